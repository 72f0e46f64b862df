/*
 * debpkg.c - Debian packages through apt-cache, apt-get and dpkg-deb (see
 * debpkg.h).  The parsing is pure and unit-tested; the rest runs the tools.
 */
#include "debpkg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spawn.h"

void debpkg_free(struct debpkg *p)
{
    free(p->name);
    free(p->version);
    free(p->arch);
    free(p->root);
    tx_strv_free(&p->depends);
    memset(p, 0, sizeof(*p));
}

/* The value of FIELD in one record (continuation lines joined), or NULL. */
static char *field_value(const char *rec, size_t reclen, const char *field)
{
    size_t flen = strlen(field);
    for (size_t pos = 0; pos < reclen;) {
        const char *line = rec + pos;
        size_t len = strcspn(line, "\n");
        if (len > reclen - pos)
            len = reclen - pos;
        if (len > flen && strncmp(line, field, flen) == 0 &&
            line[flen] == ':') {
            char *v = NULL;
            size_t vl = 0;
            FILE *f = open_memstream(&v, &vl);
            if (!f)
                return NULL;
            fwrite(line + flen + 1, 1, len - flen - 1, f);
            /* Continuation lines start with a blank. */
            for (size_t p = pos + len + 1;
                 p < reclen && (rec[p] == ' ' || rec[p] == '\t');) {
                size_t l = strcspn(rec + p, "\n");
                fputc(' ', f);
                fwrite(rec + p, 1, l, f);
                p += l + 1;
            }
            if (fclose(f) != 0) {
                free(v);
                return NULL;
            }
            /* Trim. */
            char *s = v;
            while (*s == ' ' || *s == '\t')
                s++;
            size_t n = strlen(s);
            while (n &&
                   (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
                n--;
            memmove(v, s, n);
            v[n] = '\0';
            return v;
        }
        pos += len + 1;
    }
    return NULL;
}

int debpkg_parse_depends(const char *field, struct tx_strv *deps)
{
    const char *p = field;
    while (*p) {
        size_t len = strcspn(p, ",");
        char *alt = NULL;
        size_t altlen = 0;
        FILE *f = open_memstream(&alt, &altlen);
        if (!f)
            return -ENOMEM;
        bool first = true;
        /* Alternatives: "a (>= 1) | b:any". */
        for (const char *q = p; q < p + len;) {
            size_t l = strcspn(q, "|");
            if (l > (size_t)(p + len - q))
                l = (size_t)(p + len - q);
            const char *s = q, *e = q + l;
            while (s < e && (*s == ' ' || *s == '\t'))
                s++;
            const char *n = s;
            while (n < e && !strchr(" \t(:[<", *n))
                n++;
            if (n > s) {
                if (!first)
                    fputc('|', f);
                fwrite(s, 1, (size_t)(n - s), f);
                first = false;
            }
            q += l;
            if (q < p + len)
                q++; /* the '|' */
        }
        if (fclose(f) != 0) {
            free(alt);
            return -ENOMEM;
        }
        int r = alt[0] ? tx_strv_push_owned(deps, alt) : (free(alt), 0);
        if (r < 0)
            return r;
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

int debpkg_parse_record(const char *text, struct debpkg *out,
                        struct tx_error *err)
{
    memset(out, 0, sizeof(*out));
    /* The first record ends at the first empty line. */
    const char *end = strstr(text, "\n\n");
    size_t reclen = end ? (size_t)(end - text) + 1 : strlen(text);
    out->name = field_value(text, reclen, "Package");
    if (!out->name)
        return tx_fail(err, -ENOENT, "no package record");
    out->version = field_value(text, reclen, "Version");
    out->arch = field_value(text, reclen, "Architecture");
    if (!out->version || !out->arch) {
        int r = tx_fail(err, -EINVAL, "package %s: record without %s",
                        out->name, out->version ? "Architecture" : "Version");
        debpkg_free(out);
        return r;
    }
    static const char *const dep_fields[] = { "Pre-Depends", "Depends" };
    for (size_t i = 0; i < 2; i++) {
        char *v = field_value(text, reclen, dep_fields[i]);
        int r = v ? debpkg_parse_depends(v, &out->depends) : 0;
        free(v);
        if (r < 0) {
            debpkg_free(out);
            return tx_fail(err, r, "out of memory");
        }
    }
    return 0;
}

char *debpkg_deb_name(const struct debpkg *p)
{
    /* apt-get download quotes ':' (an epoch) as %3a. */
    char *v = malloc(strlen(p->version) * 3 + 1), *o = v;
    if (!v)
        return NULL;
    for (const char *s = p->version; *s; s++) {
        if (*s == ':') {
            memcpy(o, "%3a", 3);
            o += 3;
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
    char *name = tx_asprintf("%s_%s_%s.deb", p->name, v, p->arch);
    free(v);
    return name;
}

int debpkg_lookup(const char *name, struct debpkg *out, struct tx_error *err)
{
    memset(out, 0, sizeof(*out));
    if (!*name || name[0] == '-' || strpbrk(name, " \t\n/"))
        return tx_fail(err, -EINVAL, "\"%s\" is not a Debian package name",
                       name);
    const char *argv[] = { "apt-cache", "show", "--no-all-versions", name,
                           NULL };
    struct tx_run run = { 0 };
    int r = tx_run(argv, &run, "apt", err);
    if (r < 0)
        return r;
    if (run.status != 0 || !run.out || !run.out[0]) {
        char *why = tx_last_line(run.errtext);
        if (run.status == 0) /* apt-cache prints nothing for those */
            r = tx_fail(err, -ENOENT,
                        "package %s is virtual (other packages provide it); "
                        "name one of them (apt-cache showpkg %s lists them)",
                        name, name);
        else
            r = tx_fail(err, -ENOENT,
                        "package %s does not exist: apt-cache says \"%s\" "
                        "(if it should, run apt-get update)",
                        name, why ? why : "");
        free(why);
        tx_run_free(&run);
        return r;
    }
    r = debpkg_parse_record(run.out, out, err);
    tx_run_free(&run);
    return r < 0 ? tx_prefix(err, r, "apt-cache show %s", name) : 0;
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Runs a tool, turning a non-zero status into an error with its last words. */
static int run_ok(const char *const *argv, const char *cwd,
                  const char *pkg_hint, const char *what, struct tx_error *err)
{
    struct tx_run run = { .cwd = cwd };
    int r = tx_run(argv, &run, pkg_hint, err);
    if (r < 0)
        return tx_prefix(err, r, "%s", what);
    if (run.status != 0) {
        char *why =
            tx_last_line(run.errtext && run.errtext[0] ? run.errtext : run.out);
        r = tx_fail(err, -EIO, "%s: %s exited with status %d: %s", what,
                    argv[0], run.status, why ? why : "");
        free(why);
    }
    tx_run_free(&run);
    return r;
}

int debpkg_fetch(const char *cache, struct debpkg *p, struct tx_error *err)
{
    char *debs = tx_path_join(cache, "debs"),
         *pkgs = tx_path_join(cache, "pkgs");
    char *debname = debpkg_deb_name(p);
    char *deb = debs && debname ? tx_path_join(debs, debname) : NULL;
    char *base =
        debname ? strndup(debname, strlen(debname) - 4) : NULL; /* no .deb */
    char *root = pkgs && base ? tx_path_join(pkgs, base) : NULL;
    char *tmp = root ? tx_asprintf("%s.tmp%ld", root, (long)getpid()) : NULL;
    char *what = tx_asprintf("fetching package %s %s", p->name, p->version);
    int r = 0;
    if (!tmp || !deb || !what) {
        r = tx_fail(err, -ENOMEM, "out of memory");
        goto out;
    }
    if ((r = tx_mkdirs(debs)) < 0 || (r = tx_mkdirs(pkgs)) < 0) {
        r = tx_fail(err, r, "cache %s: %s", cache, strerror(-r));
        goto out;
    }
    if (!is_file(deb)) {
        char *spec = tx_asprintf("%s=%s", p->name, p->version);
        const char *argv[] = { "apt-get", "download", "-q", spec, NULL };
        r = spec ? run_ok(argv, debs, "apt", what, err)
                 : tx_fail(err, -ENOMEM, "out of memory");
        free(spec);
        if (r == 0 && !is_file(deb))
            r = tx_fail(err, -ENOENT, "%s: apt-get download left no %s", what,
                        deb);
        if (r < 0)
            goto out;
    }
    if (!is_dir(root)) {
        tx_remove_tree(tmp);
        const char *argv[] = { "dpkg-deb", "-x", deb, tmp, NULL };
        r = run_ok(argv, NULL, "dpkg", what, err);
        if (r == 0 && rename(tmp, root) < 0 && !is_dir(root))
            r = tx_fail(err, -errno, "%s: %s: %s", what, root, strerror(errno));
        tx_remove_tree(
            tmp); /* lost a race to another build: theirs is as good */
        if (r < 0)
            goto out;
    }
    free(p->root);
    p->root = root;
    root = NULL;
out:
    free(debs);
    free(pkgs);
    free(debname);
    free(deb);
    free(base);
    free(root);
    free(tmp);
    free(what);
    return r;
}
