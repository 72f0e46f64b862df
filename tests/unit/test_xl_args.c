/*
 * Unit tests: xl's value syntax for chaos's operator verbs
 * (tools/chaos/xl_args.c): memory sizes with xl's suffixes (mem-set,
 * mem-max), domain ids (domname), CPU maps as vcpu-list prints them.
 */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "check_run.h"
#include "xl_args.h"

struct size_case {
    const char *text;
    int rc;
    uint64_t kib;
};

static const struct size_case sizes[] = {
    { "256", 0, 256 * 1024 }, /* no suffix: MiB, as xl */
    { "256m", 0, 256 * 1024 },
    { "256M", 0, 256 * 1024 },
    { "512k", 0, 512 },
    { "512K", 0, 512 },
    { "1g", 0, 1024 * 1024 },
    { "2G", 0, 2 * 1024 * 1024 },
    { "1t", 0, 1ull << 30 },
    { "1T", 0, 1ull << 30 },
    { "2048b", 0, 2 },
    { "1023B", 0, 0 }, /* bytes: rounded down */
    { "0", 0, 0 },
    { "007m", 0, 7 * 1024 },
    { "", -EINVAL, 0 },
    { "m", -EINVAL, 0 },
    { "-1", -EINVAL, 0 },
    { "+5", -EINVAL, 0 },
    { " 5", -EINVAL, 0 },
    { "5 ", -EINVAL, 0 },
    { "5mb", -EINVAL, 0 },
    { "12abc", -EINVAL, 0 },
    { "5x", -EINVAL, 0 },
    { "1.5g", -EINVAL, 0 },
    { "0x10", -EINVAL, 0 },
    /* past 2^63 KiB, and past uint64_t itself */
    { "8589934592t", -EINVAL, 0 },
    { "99999999999999999999999", -EINVAL, 0 },
    { "8589934591t", 0, 8589934591ull << 30 },
};

START_TEST(mem_sizes)
{
    const struct size_case *c = &sizes[_i];
    uint64_t kib = 12345;
    int rc = xl_parse_mem_kib(c->text, &kib);
    ck_assert_msg(rc == c->rc, "'%s': rc %d, want %d", c->text, rc, c->rc);
    if (c->rc == 0)
        ck_assert_msg(kib == c->kib, "'%s': %llu KiB, want %llu", c->text,
                      (unsigned long long)kib, (unsigned long long)c->kib);
    else
        ck_assert_uint_eq(kib, 12345); /* untouched on failure */
}
END_TEST

START_TEST(domids)
{
    chaos_domid d = 99;
    ck_assert_int_eq(xl_parse_domid("0", &d), 0);
    ck_assert_uint_eq(d, 0);
    ck_assert_int_eq(xl_parse_domid("32767", &d), 0);
    ck_assert_uint_eq(d, 32767);
    const char *bad[] = { "",  "-1", "32768",  "65535", "1x",
                          "x", " 1", "123456", "0x1" };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(xl_parse_domid(bad[i], &d) == -EINVAL, "'%s'", bad[i]);
    ck_assert_uint_eq(d, 32767);
}
END_TEST

static void map_of(uint8_t map[CHAOS_CPUMAP_BYTES], const char *bits)
{
    memset(map, 0, CHAOS_CPUMAP_BYTES);
    for (unsigned i = 0; bits[i]; i++)
        if (bits[i] == '1')
            map[i / 8] |= (uint8_t)(1u << (i % 8));
}

START_TEST(cpumaps)
{
    uint8_t map[CHAOS_CPUMAP_BYTES];
    char buf[64];
    static const struct {
        const char *bits;
        unsigned nr;
        const char *text;
    } cases[] = {
        { "11", 2, "all" },
        { "1111111111", 10, "all" },
        { "00", 2, "none" },
        { "10", 2, "0" },
        { "01", 2, "1" },
        { "11110010", 8, "0-3,6" },
        { "0111", 4, "1-3" },
        { "101010101", 9, "0,2,4,6,8" },
        /* bits past nr_cpus do not count (Xen's map is wider) */
        { "1111", 2, "all" },
        { "0011", 2, "none" },
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        map_of(map, cases[i].bits);
        xl_format_cpumap(map, cases[i].nr, buf, sizeof(buf));
        ck_assert_msg(!strcmp(buf, cases[i].text), "%s/%u: '%s', want '%s'",
                      cases[i].bits, cases[i].nr, buf, cases[i].text);
    }
    /* 512 CPUs, every other one: cut to the buffer, still terminated. */
    memset(map, 0x55, sizeof(map));
    xl_format_cpumap(map, CHAOS_CPUMAP_BYTES * 8, buf, 10);
    ck_assert_uint_lt(strlen(buf), 10);
    ck_assert(!strncmp(buf, "0,2,4", 5));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("xl_args");
    TCase *tc = tcase_create("values");
    tcase_add_loop_test(tc, mem_sizes, 0, sizeof(sizes) / sizeof(sizes[0]));
    tcase_add_test(tc, domids);
    tcase_add_test(tc, cpumaps);
    suite_add_tcase(s, tc);
    return check_run(s);
}
