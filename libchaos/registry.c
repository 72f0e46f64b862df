/*
 * registry.c - records of the domains chaos created (see registry.h).
 * Plain text, one "key=value" per line, so that an operator can read them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry.h"

/* The one place that decides where chaos's run-time state lives. */
const char *chaos_run_dir(void)
{
    const char *base = getenv("CHAOS_RUN_DIR");
    return base && base[0] ? base : "/run/chaos";
}

int registry_run_path(const char *sub, char *out, size_t len)
{
    int n = snprintf(out, len, "%s/%s", chaos_run_dir(), sub);
    return n > 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

const char *registry_dir(void)
{
    /* One per thread: chaosd's builders create guests concurrently, and a
     * shared buffer rewritten by one while another read it gave torn paths
     * ("cannot record domain N in /run/chaos/domains: No such file or
     * directory" with 8 creates in flight, pool-bench's api8). */
    static _Thread_local char dir[512];
    registry_run_path("domains", dir, sizeof(dir));
    return dir;
}

static int record_path(chaos_domid domid, char *out, size_t len)
{
    int n = snprintf(out, len, "%s/%u", registry_dir(), domid);
    return n > 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

int registry_ensure_dir(const char *path)
{
    char dir[512];
    if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
        return -ENAMETOOLONG;
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        if (mkdir(dir, 0755) != 0 && errno != EEXIST)
            return -errno;
        *slash = '/';
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return -errno;
    return 0;
}

void registry_uuid_format(const uint8_t u[16], char out[37])
{
    snprintf(out, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10],
             u[11], u[12], u[13], u[14], u[15]);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int registry_uuid_parse(const char *text, uint8_t uuid[16])
{
    int n = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '-')
            continue;
        int hi = hexval(p[0]), lo = p[1] ? hexval(p[1]) : -1;
        if (hi < 0 || lo < 0 || n == 16)
            return -EINVAL;
        uuid[n++] = (uint8_t)(hi << 4 | lo);
        p++;
    }
    return n == 16 ? 0 : -EINVAL;
}

int registry_write(const struct registry_record *rec)
{
    int rc = registry_ensure_dir(registry_dir());
    if (rc)
        return rc;
    char path[600], tmp[620];
    if (record_path(rec->domid, path, sizeof(path)))
        return -ENAMETOOLONG;
    snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -errno;
    char uuid[37];
    registry_uuid_format(rec->uuid, uuid);
    fprintf(f,
            "domid=%u\nuuid=%s\nname=%s\ntype=%s\n"
            "console_frame=%" PRIu64 "\nconsole_port=%u\n",
            rec->domid, uuid, rec->name, rec->type, rec->console_frame,
            rec->console_port);
    /* Renamed into place only when complete: readers never see half. */
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        rc = -errno;
        unlink(tmp);
        return rc;
    }
    return 0;
}

int registry_read(chaos_domid domid, struct registry_record *rec)
{
    char path[600];
    if (record_path(domid, path, sizeof(path)))
        return -ENAMETOOLONG;
    FILE *f = fopen(path, "r");
    if (!f)
        return -errno;
    memset(rec, 0, sizeof(*rec));
    rec->domid = domid;
    char line[256];
    int seen_uuid = 0;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = '\0';
        const char *key = line, *val = eq + 1;
        if (!strcmp(key, "uuid"))
            seen_uuid = registry_uuid_parse(val, rec->uuid) == 0;
        else if (!strcmp(key, "name"))
            snprintf(rec->name, sizeof(rec->name), "%s", val);
        else if (!strcmp(key, "type"))
            snprintf(rec->type, sizeof(rec->type), "%s", val);
        else if (!strcmp(key, "console_frame"))
            rec->console_frame = strtoull(val, NULL, 10);
        else if (!strcmp(key, "console_port"))
            rec->console_port = (uint32_t)strtoul(val, NULL, 10);
    }
    fclose(f);
    return seen_uuid ? 0 : -EINVAL;
}

int registry_remove_config(chaos_domid domid)
{
    char path[620];
    int n = snprintf(path, sizeof(path), "%s/%u.cfg", registry_dir(), domid);
    if (n <= 0 || (size_t)n >= sizeof(path))
        return -ENAMETOOLONG;
    return unlink(path) == 0 || errno == ENOENT ? 0 : -errno;
}

int registry_recorded(uint8_t map[REGISTRY_MAP_BYTES])
{
    memset(map, 0, REGISTRY_MAP_BYTES);
    DIR *dir = opendir(registry_dir());
    if (!dir)
        return errno == ENOENT ? 0 : -errno;
    struct dirent *e;
    while ((e = readdir(dir))) {
        /* Records are named DOMID; DOMID.cfg and temporaries are not. */
        char *end;
        unsigned long id = strtoul(e->d_name, &end, 10);
        if (end != e->d_name && !*end && e->d_name[0] != '-' &&
            id < REGISTRY_MAP_BYTES * 8)
            map[id / 8] |= (uint8_t)(1u << (id % 8));
    }
    closedir(dir);
    return 0;
}

int registry_remove(chaos_domid domid)
{
    char path[600];
    if (record_path(domid, path, sizeof(path)))
        return -ENAMETOOLONG;
    /* The name first, then the record that says which name is ours (the
     * other order would lose it).  Exact match: the name may belong to a
     * newer domain by now. */
    struct registry_record rec;
    if (registry_read(domid, &rec) == 0 && rec.name[0])
        registry_release_name(rec.name, domid, rec.uuid);
    registry_remove_config(domid); /* before the record: its commit point */
    if (unlink(path) != 0 && errno != ENOENT)
        return -errno;
    return 0;
}
