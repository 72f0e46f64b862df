/*
 * registry_config.c - the configuration of each guest chaos created, kept
 * beside its record as RUNDIR/domains/DOMID.cfg (xl.cfg text), so that any
 * process can serve the guest from its id alone: a supervisor needs it to
 * carry out the guest's on_* actions, and chaosd adopts the guests of a
 * monitor that is gone with it.  Trusted, like the record, only while the
 * record is live (same id and handle); written before the record, which
 * is the commit point, and removed with it (registry_remove).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registry.h"

static int config_path(chaos_domid domid, char *out, size_t len)
{
    int n = snprintf(out, len, "%s/%u.cfg", registry_dir(), domid);
    return n > 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

/* Relative paths meant the creator's working directory, which whoever
 * serves the guest later (chaosd) does not share: keep them absolute. */
static int absolute(chaos_config *cfg, const char *path,
                    int (*set)(chaos_config *, const char *))
{
    if (!path || !path[0] || path[0] == '/')
        return 0;
    char *abs = realpath(path, NULL);
    if (!abs)
        return 0; /* the build read it a moment ago; keep it as given */
    int rc = set(cfg, abs);
    free(abs);
    return rc;
}

static char *config_text(const chaos_config *cfg)
{
    char *text = chaos_config_to_text(cfg);
    const char *kernel = chaos_config_kernel(cfg);
    const char *ramdisk = chaos_config_ramdisk(cfg);
    if (!text || ((!kernel || kernel[0] == '/') &&
                  (!ramdisk || !ramdisk[0] || ramdisk[0] == '/')))
        return text;
    chaos_config *copy = chaos_config_new();
    char *out = NULL;
    if (copy && chaos_config_parse(copy, text, strlen(text), "registry") == 0 &&
        absolute(copy, kernel, chaos_config_set_kernel) == 0 &&
        absolute(copy, ramdisk, chaos_config_set_ramdisk) == 0)
        out = chaos_config_to_text(copy);
    chaos_config_free(copy);
    if (out) {
        free(text);
        return out;
    }
    return text;
}

int registry_write_config(chaos_domid domid, const chaos_config *cfg)
{
    char path[600], tmp[620];
    int rc = registry_ensure_dir(registry_dir());
    if (!rc)
        rc = config_path(domid, path, sizeof(path));
    if (rc)
        return rc;
    char *text = config_text(cfg);
    if (!text)
        return -ENOMEM;
    snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        rc = -errno;
        free(text);
        return rc;
    }
    fputs(text, f);
    free(text);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        rc = -errno;
        unlink(tmp);
        return rc;
    }
    return 0;
}

int registry_read_config(chaos_domid domid, char **text)
{
    char path[600];
    int rc = config_path(domid, path, sizeof(path));
    if (rc)
        return rc;
    FILE *f = fopen(path, "r");
    if (!f)
        return -errno;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len - 1 == 0) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                buf = NULL;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf)
        return -ENOMEM;
    buf[len] = '\0';
    *text = buf;
    return 0;
}
