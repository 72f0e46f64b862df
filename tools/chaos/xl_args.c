/*
 * xl_args.c - xl's value syntax for the operator verbs (see xl_args.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "xl_args.h"

int xl_parse_mem_kib(const char *text, uint64_t *kib)
{
    const char *p = text;
    uint64_t n = 0;
    if (!isdigit((unsigned char)*p))
        return -EINVAL; /* empty, a sign, or a suffix alone */
    for (; isdigit((unsigned char)*p); p++) {
        if (n > (UINT64_MAX - 9) / 10)
            return -EINVAL;
        n = n * 10 + (uint64_t)(*p - '0');
    }
    if (p[0] && p[1])
        return -EINVAL; /* one suffix at most */
    /* Shifts from the unit to KiB, as xl's fall-through switch. */
    unsigned shift;
    switch (tolower((unsigned char)*p)) {
        case 't':
            shift = 30;
            break;
        case 'g':
            shift = 20;
            break;
        case '\0':
        case 'm':
            shift = 10;
            break;
        case 'k':
            shift = 0;
            break;
        case 'b':
            *kib = n >> 10;
            return 0;
        default:
            return -EINVAL;
    }
    if (n > (UINT64_MAX >> 1) >> shift)
        return -EINVAL;
    *kib = n << shift;
    return 0;
}

int xl_parse_domid(const char *text, chaos_domid *domid)
{
    unsigned long n = 0;
    if (!*text || strlen(text) > 5)
        return -EINVAL;
    for (const char *p = text; *p; p++) {
        if (!isdigit((unsigned char)*p))
            return -EINVAL;
        n = n * 10 + (unsigned long)(*p - '0');
    }
    if (n > 32767)
        return -EINVAL;
    *domid = (chaos_domid)n;
    return 0;
}

static bool bit(const uint8_t *map, unsigned i)
{
    return map[i / 8] & (1u << (i % 8));
}

void xl_format_cpumap(const uint8_t *map, unsigned nr_cpus, char *buf,
                      size_t len)
{
    if (nr_cpus > CHAOS_CPUMAP_BYTES * 8)
        nr_cpus = CHAOS_CPUMAP_BYTES * 8;
    if (!len)
        return;
    buf[0] = '\0';
    size_t used = 0;
    unsigned set = 0;
    for (unsigned i = 0; i < nr_cpus; i++) {
        if (!bit(map, i) || (i > 0 && bit(map, i - 1)))
            continue;
        unsigned last = i;
        while (last + 1 < nr_cpus && bit(map, last + 1))
            last++;
        set += last - i + 1;
        int n = last > i ? snprintf(buf + used, len - used, "%s%u-%u",
                                    used ? "," : "", i, last)
                         : snprintf(buf + used, len - used, "%s%u",
                                    used ? "," : "", i);
        if (n < 0 || (size_t)n >= len - used) {
            used = len - 1;
            break;
        }
        used += (size_t)n;
    }
    if (set == 0)
        snprintf(buf, len, "none");
    else if (set == nr_cpus)
        snprintf(buf, len, "all");
}
