/*
 * oci_root.c - the files chaos-oci keeps under --root, one folder per
 * container (ROOT/ID: state.json, the image, /init, the console log, the
 * keeper's log), and how a container's status is found from them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci.h"

char *oci_path(const struct oci_global *g, const char *id, const char *file)
{
    char *p;
    int n = file ? asprintf(&p, "%s/%s/%s", g->root, id, file)
                 : asprintf(&p, "%s/%s", g->root, id);
    return n < 0 ? NULL : p;
}

int oci_root_make(const struct oci_global *g)
{
    char *p = strdup(g->root);
    if (!p)
        return -ENOMEM;
    int r = 0;
    /* Each folder on the way, as runc's MkdirAll: the shim passes
     * ROOT/NAMESPACE, and ROOT (the runtime's Root option) may not exist. */
    for (char *q = p + 1; r == 0; q++) {
        if (*q != '/' && *q)
            continue;
        char c = *q;
        *q = '\0';
        if (mkdir(p, 0700) < 0 && errno != EEXIST)
            r = -errno;
        *q = c;
        if (!c)
            break;
    }
    free(p);
    return r;
}

int oci_record_load(const struct oci_global *g, const char *id,
                    struct oci_record *r)
{
    memset(r, 0, sizeof(*r));
    char *path = oci_path(g, id, "state.json");
    if (!path)
        return -ENOMEM;
    FILE *f = fopen(path, "re");
    free(path);
    if (!f)
        return -errno;
    char buf[65536];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    return oci_record_parse(buf, n, r);
}

int oci_record_save(const struct oci_global *g, const struct oci_record *r)
{
    char *text = oci_record_to_json(r);
    char *path = oci_path(g, r->id, "state.json");
    char *tmp = oci_path(g, r->id, "state.json.new");
    int rc = 0;
    if (!text || !path || !tmp) {
        rc = -ENOMEM;
        goto out;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = -errno;
        goto out;
    }
    size_t len = strlen(text);
    if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0)
        rc = -EIO;
    close(fd);
    if (rc == 0 && rename(tmp, path) < 0)
        rc = -errno;
    if (rc < 0)
        unlink(tmp);
out:
    free(text);
    free(path);
    free(tmp);
    return rc;
}

/* Only the files chaos-oci itself writes are in ROOT/ID: no subfolders. */
int oci_remove(const struct oci_global *g, const char *id)
{
    char *dir = oci_path(g, id, NULL);
    if (!dir)
        return -ENOMEM;
    DIR *d = opendir(dir);
    int rc = 0;
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
                unlinkat(dirfd(d), e->d_name, 0) < 0 && errno != ENOENT)
                rc = -errno;
        closedir(d);
    }
    if (rmdir(dir) < 0 && errno != ENOENT && rc == 0)
        rc = -errno;
    free(dir);
    return rc;
}

/* Field 22 (starttime) of /proc/PID/stat, and field 3 (state) in *state.
 * The command (field 2) may hold blanks and ')': read after the last ')'. */
static uint64_t stat_fields(int pid, char *state)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (!p)
        return 0;
    unsigned long long start = 0;
    /* After ')': state is field 3, starttime field 22. */
    if (sscanf(p + 1,
               " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d "
               "%*d %*d %*d %*d %*d %llu",
               state, &start) != 2)
        return 0;
    return start;
}

uint64_t oci_pid_start(int pid)
{
    char state;
    return stat_fields(pid, &state);
}

bool oci_keeper_alive(const struct oci_record *r)
{
    char state = 0;
    return r->pid > 0 && r->pid_start &&
           stat_fields(r->pid, &state) == r->pid_start && state != 'Z' &&
           state != 'X';
}

bool oci_domain_exists(chaos_ctx *ctx, const struct oci_record *r,
                       struct chaos_dominfo *info)
{
    struct chaos_dominfo tmp;
    if (!info)
        info = &tmp;
    return r->has_domain && ctx &&
           chaos_domain_info(ctx, r->domid, info) == 0 &&
           memcmp(info->uuid, r->uuid, 16) == 0 &&
           info->state != CHAOS_DOM_DYING;
}

enum oci_status oci_status_of(chaos_ctx *ctx, const struct oci_record *r)
{
    if (r->pid == 0)
        return OCI_CREATING;
    struct chaos_dominfo info;
    if (!oci_keeper_alive(r) || !oci_domain_exists(ctx, r, &info))
        return OCI_STOPPED;
    if (info.state == CHAOS_DOM_SHUTDOWN || info.state == CHAOS_DOM_CRASHED)
        return OCI_STOPPED;
    /* Created paused; `start` unpauses, and nothing else pauses it. */
    return info.state == CHAOS_DOM_PAUSED ? OCI_CREATED : OCI_RUNNING;
}
