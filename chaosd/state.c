/*
 * state.c - chaosd's records under RUNDIR/chaosd (see state.h).  Plain
 * "key=value" lines, so that an operator can read them.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state.h"

struct state_dir state_dir(void)
{
    struct state_dir dir;
    snprintf(dir.path, sizeof(dir.path), "%s/chaosd", chaos_run_dir());
    return dir;
}

static int make_dir(const char *path)
{
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return -errno;
    return 0;
}

int state_init(void)
{
    char path[600];
    snprintf(path, sizeof(path), "%s", state_dir().path);
    char *slash = strrchr(path, '/');
    if (slash && slash != path) { /* RUNDIR itself is shared: 0755 */
        *slash = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return -errno;
        *slash = '/';
    }
    int rc = make_dir(path);
    snprintf(path, sizeof(path), "%s/shells", state_dir().path);
    if (!rc)
        rc = make_dir(path);
    snprintf(path, sizeof(path), "%s/guests", state_dir().path);
    if (!rc)
        rc = make_dir(path);
    return rc;
}

int state_new_uuid(uint8_t u[16])
{
    if (getrandom(u, 16, 0) != 16)
        return -EIO;
    u[6] = (uint8_t)((u[6] & 0x0f) | 0x40); /* RFC 4122 version 4 */
    u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
    return 0;
}

void state_uuid_text(const uint8_t u[16], char out[37])
{
    snprintf(out, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10],
             u[11], u[12], u[13], u[14], u[15]);
}

int state_uuid_parse(const char *text, uint8_t u[16])
{
    static const int dash[] = { 8, 13, 18, 23 };
    if (strlen(text) != 36)
        return -EINVAL;
    for (int k = 0; k < 4; k++)
        if (text[dash[k]] != '-')
            return -EINVAL;
    int n = 0;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            continue;
        unsigned v;
        if (sscanf(text + i, "%1x", &v) != 1 ||
            !strchr("0123456789abcdefABCDEF", text[i]))
            return -EINVAL;
        if (n % 2 == 0)
            u[n / 2] = (uint8_t)(v << 4);
        else
            u[n / 2] |= (uint8_t)v;
        n++;
    }
    return 0;
}

static void record_path(char *out, size_t len, const char *kind,
                        const uint8_t uuid[16], const char *suffix)
{
    char u[37];
    state_uuid_text(uuid, u);
    snprintf(out, len, "%s/%s/%s%s", state_dir().path, kind, u, suffix);
}

/* Writes text to path through a temporary file and rename(2). */
static int write_file(const char *path, const char *text)
{
    char tmp[700];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -errno;
    fputs(text, f);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        int rc = -errno;
        unlink(tmp);
        return rc;
    }
    return 0;
}

int state_shell_write(const uint8_t uuid[16], int64_t domid, const char *flavor)
{
    char path[640], text[256];
    record_path(path, sizeof(path), "shells", uuid, "");
    snprintf(text, sizeof(text), "domid=%" PRId64 "\nflavor=%s\n", domid,
             flavor ? flavor : "");
    return write_file(path, text);
}

int state_shell_remove(const uint8_t uuid[16])
{
    char path[640];
    record_path(path, sizeof(path), "shells", uuid, "");
    return unlink(path) == 0 || errno == ENOENT ? 0 : -errno;
}

int state_guest_write(const struct state_guest *g)
{
    char path[640], text[512], su[37];
    state_uuid_text(g->shell_uuid, su);
    record_path(path, sizeof(path), "guests", g->uuid, "");
    snprintf(text, sizeof(text), "domid=%" PRId64 "\nshell_uuid=%s\nname=%s\n",
             g->domid, su, g->name);
    return write_file(path, text);
}

int state_guest_remove(const uint8_t uuid[16])
{
    char path[640];
    /* chaosd before 2026-12 kept the config beside the record too. */
    record_path(path, sizeof(path), "guests", uuid, ".cfg");
    unlink(path);
    record_path(path, sizeof(path), "guests", uuid, "");
    return unlink(path) == 0 || errno == ENOENT ? 0 : -errno;
}

/* Reads "key=value" lines of one record into g (guests) or domid. */
static int read_record(const char *path, struct state_guest *g)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -errno;
    char line[256];
    bool have_domid = false;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = '\0';
        if (!strcmp(line, "domid")) {
            g->domid = strtoll(eq + 1, NULL, 10);
            have_domid = true;
        } else if (!strcmp(line, "shell_uuid")) {
            state_uuid_parse(eq + 1, g->shell_uuid);
        } else if (!strcmp(line, "name")) {
            snprintf(g->name, sizeof(g->name), "%s", eq + 1);
        }
    }
    fclose(f);
    return have_domid ? 0 : -EINVAL;
}

/* Calls fn(opaque, record) for each file of dir named by a UUID. */
static void each_record(const char *kind, bool guests,
                        void (*fn)(void *, const struct state_guest *),
                        void *opaque)
{
    char dir[600];
    snprintf(dir, sizeof(dir), "%s/%s", state_dir().path, kind);
    DIR *dh = opendir(dir);
    if (!dh)
        return;
    struct dirent *e;
    while ((e = readdir(dh))) {
        struct state_guest g = { .domid = STATE_NO_DOMID };
        char path[900];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (strlen(e->d_name) != 36 ||
            state_uuid_parse(e->d_name, g.uuid) != 0) {
            /* Leftover temporaries of a writer that died. */
            if (strstr(e->d_name, ".tmp"))
                unlink(path);
            continue;
        }
        if (!guests)
            memcpy(g.shell_uuid, g.uuid, 16);
        if (read_record(path, &g) != 0) {
            /* Unreadable: only the UUID is trusted; the callback decides. */
            g.domid = STATE_NO_DOMID;
        }
        fn(opaque, &g);
    }
    closedir(dh);
}

struct shell_iter {
    void (*fn)(void *, const uint8_t *, int64_t);
    void *opaque;
};

static void shell_adapter(void *opaque, const struct state_guest *g)
{
    struct shell_iter *it = opaque;
    it->fn(it->opaque, g->uuid, g->domid);
}

void state_each_shell(void (*fn)(void *opaque, const uint8_t uuid[16],
                                 int64_t domid),
                      void *opaque)
{
    struct shell_iter it = { fn, opaque };
    each_record("shells", false, shell_adapter, &it);
}

void state_each_guest(void (*fn)(void *opaque, const struct state_guest *g),
                      void *opaque)
{
    each_record("guests", true, fn, opaque);
}
