/*
 * sysroot.c - confined path lookup and ld.so.conf reading; see sysroot.h.
 *
 * Lookups go one component at a time with lstat(), so every prefix handed
 * to the host kernel is made of real directories inside the root: a symlink
 * is never followed by the kernel, always by us, which is what keeps
 * absolute and ".."-laden targets inside the root.
 */
#include "sysroot.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Longest path (pending components included) a lookup will carry. */
#define RESOLVE_MAX_LEN (PATH_MAX * 4)
/* ld.so.conf limits: include depth, file size, number of directories. */
#define LDCONF_MAX_DEPTH 8
#define LDCONF_MAX_SIZE (1u << 20)
#define LDCONF_MAX_DIRS 1024

int tx_links_add(struct tx_links *links, const char *path, const char *target)
{
    for (size_t i = 0; i < links->n; i++)
        if (strcmp(links->v[i].path, path) == 0 &&
            strcmp(links->v[i].target, target) == 0)
            return 0;
    if (tx_grow(&links->v, &links->cap, links->n + 1, sizeof(*links->v)) < 0)
        return -ENOMEM;
    struct tx_link *l = &links->v[links->n];
    l->path = strdup(path);
    l->target = strdup(target);
    if (!l->path || !l->target) {
        free(l->path);
        free(l->target);
        return -ENOMEM;
    }
    links->n++;
    return 0;
}

void tx_links_free(struct tx_links *links)
{
    for (size_t i = 0; i < links->n; i++) {
        free(links->v[i].path);
        free(links->v[i].target);
    }
    free(links->v);
    links->v = NULL;
    links->n = links->cap = 0;
}

char *tx_host_path(const char *root, const char *path)
{
    if (strcmp(path, "/") == 0 || path[0] == '\0')
        return strdup(root[0] ? root : "/");
    return tx_asprintf("%s%s%s", root, path[0] == '/' ? "" : "/", path);
}

int tx_root_from_dir(const char *dir, char **root, struct tx_error *err)
{
    char *real = realpath(dir, NULL);
    if (!real)
        return tx_fail(err, -errno, "sysroot %s: %s", dir, strerror(errno));
    struct stat st;
    if (stat(real, &st) < 0 || !S_ISDIR(st.st_mode)) {
        free(real);
        return tx_fail(err, -ENOTDIR, "sysroot %s: not a directory", dir);
    }
    if (strcmp(real, "/") == 0)
        real[0] = '\0';
    *root = real;
    return 0;
}

/* Is there anything but slashes left in s? */
static bool has_component(const char *s)
{
    for (; *s; s++)
        if (*s != '/')
            return true;
    return false;
}

int tx_resolve(const char *root, const char *path, char **canon,
               struct tx_links *links)
{
    size_t rootlen = strlen(root);
    char *pending = strdup(path);            /* components still to walk */
    char *cur = malloc(RESOLVE_MAX_LEN + 1); /* resolved so far: "" or "/a/b" */
    char *host = malloc(rootlen + RESOLVE_MAX_LEN + 2);
    char *target = malloc(PATH_MAX + 1);
    size_t curlen = 0, pos = 0;
    unsigned followed = 0;
    int ret = 0;

    if (!pending || !cur || !host || !target) {
        ret = -ENOMEM;
        goto out;
    }
    if (strlen(pending) > RESOLVE_MAX_LEN) {
        ret = -ENAMETOOLONG;
        goto out;
    }
    cur[0] = '\0';
    for (;;) {
        while (pending[pos] == '/')
            pos++;
        if (!pending[pos])
            break;
        const char *comp = pending + pos;
        size_t clen = strcspn(comp, "/");
        pos += clen;
        if (clen == 1 && comp[0] == '.')
            continue;
        if (clen == 2 && comp[0] == '.' && comp[1] == '.') {
            while (curlen > 0 && cur[curlen - 1] != '/')
                curlen--;
            if (curlen > 0)
                curlen--;
            cur[curlen] = '\0';
            continue;
        }
        if (curlen + 1 + clen > RESOLVE_MAX_LEN) {
            ret = -ENAMETOOLONG;
            goto out;
        }
        size_t prevlen = curlen;
        cur[curlen++] = '/';
        memcpy(cur + curlen, comp, clen);
        curlen += clen;
        cur[curlen] = '\0';

        memcpy(host, root, rootlen);
        memcpy(host + rootlen, cur, curlen + 1);
        struct stat st;
        if (lstat(host, &st) < 0) {
            ret = -errno;
            goto out;
        }
        if (S_ISDIR(st.st_mode))
            continue;
        if (!S_ISLNK(st.st_mode)) {
            if (has_component(pending + pos)) {
                ret = -ENOTDIR;
                goto out;
            }
            continue;
        }
        if (++followed > TX_MAX_SYMLINKS) {
            ret = -ELOOP;
            goto out;
        }
        ssize_t tlen = readlink(host, target, PATH_MAX + 1);
        if (tlen < 0) {
            ret = -errno;
            goto out;
        }
        if (tlen > PATH_MAX) {
            ret = -ENAMETOOLONG;
            goto out;
        }
        target[tlen] = '\0';
        if (tlen == 0) { /* Linux: an empty symlink resolves to nothing */
            ret = -ENOENT;
            goto out;
        }
        if (links && (ret = tx_links_add(links, cur, target)) < 0)
            goto out;
        /* The link's text replaces it: walk target, then what was left. */
        const char *rest = pending + pos;
        if (strlen(target) + 1 + strlen(rest) > RESOLVE_MAX_LEN) {
            ret = -ENAMETOOLONG;
            goto out;
        }
        char *np = tx_asprintf("%s/%s", target, rest);
        if (!np) {
            ret = -ENOMEM;
            goto out;
        }
        free(pending);
        pending = np;
        pos = 0;
        curlen = target[0] == '/' ? 0 : prevlen;
        cur[curlen] = '\0';
    }
    *canon = curlen ? strdup(cur) : strdup("/");
    if (!*canon)
        ret = -ENOMEM;
out:
    free(pending);
    free(cur);
    free(host);
    free(target);
    return ret;
}

/* ------------------------------------------------------------ ld.so.conf */

static int ldconf_file(const char *root, const char *path, struct tx_strv *dirs,
                       unsigned depth, bool must_exist, struct tx_error *err);

static bool has_glob(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads every file matching PATTERN (glob only in its last component). */
static int ldconf_include(const char *root, const char *pattern,
                          struct tx_strv *dirs, unsigned depth,
                          struct tx_error *err)
{
    if (!has_glob(tx_basename(pattern)))
        return ldconf_file(root, pattern, dirs, depth, false, err);

    char *dir = tx_dirname(pattern), *canon = NULL, *host = NULL;
    struct tx_strv names = { 0 };
    int ret = 0;
    if (!dir)
        return -ENOMEM;
    if (tx_resolve(root, dir, &canon, NULL) < 0)
        goto out; /* no such directory: nothing included */
    host = tx_host_path(root, canon);
    if (!host) {
        ret = -ENOMEM;
        goto out;
    }
    DIR *d = opendir(host);
    if (!d)
        goto out;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (fnmatch(tx_basename(pattern), de->d_name, FNM_PERIOD) != 0)
            continue;
        if ((ret = tx_strv_push(&names, de->d_name)) < 0)
            break;
    }
    closedir(d);
    if (ret < 0)
        goto out;
    if (names.n)
        qsort(names.v, names.n, sizeof(*names.v), cmp_str);
    for (size_t i = 0; i < names.n && ret == 0; i++) {
        char *p = tx_path_join(canon, names.v[i]);
        if (!p) {
            ret = -ENOMEM;
            break;
        }
        ret = ldconf_file(root, p, dirs, depth, false, err);
        free(p);
    }
out:
    free(dir);
    free(canon);
    free(host);
    tx_strv_free(&names);
    return ret == -ENOMEM ? tx_fail(err, ret, "out of memory") : ret;
}

static int ldconf_add_dir(struct tx_strv *dirs, const char *dir)
{
    if (dir[0] != '/')
        return 0; /* ld.so ignores relative entries too */
    char *norm = tx_path_normalize(dir);
    if (!norm)
        return -ENOMEM;
    if (tx_strv_contains(dirs, norm) || dirs->n >= LDCONF_MAX_DIRS) {
        free(norm);
        return 0;
    }
    return tx_strv_push_owned(dirs, norm);
}

static int ldconf_line(const char *root, const char *conf_canon, char *line,
                       struct tx_strv *dirs, unsigned depth,
                       struct tx_error *err)
{
    char *hash = strchr(line, '#');
    if (hash)
        *hash = '\0';
    char *save = NULL;
    char *word = strtok_r(line, " \t\r\f\v", &save);
    if (!word)
        return 0;
    if (strcmp(word, "hwcap") == 0)
        return 0;
    if (strcmp(word, "include") == 0) {
        while ((word = strtok_r(NULL, " \t\r\f\v", &save)) != NULL) {
            char *pattern;
            if (word[0] == '/') {
                pattern = strdup(word);
            } else {
                char *d = tx_dirname(conf_canon);
                pattern = d ? tx_path_join(d, word) : NULL;
                free(d);
            }
            if (!pattern)
                return tx_fail(err, -ENOMEM, "out of memory");
            int r = ldconf_include(root, pattern, dirs, depth + 1, err);
            free(pattern);
            if (r < 0)
                return r;
        }
        return 0;
    }
    /* Directory lines; old files also separate entries with ':' or ','
     * and may append "=TYPE". */
    do {
        char *save2 = NULL;
        for (char *d = strtok_r(word, ":,", &save2); d;
             d = strtok_r(NULL, ":,", &save2)) {
            char *eq = strchr(d, '=');
            if (eq)
                *eq = '\0';
            if (ldconf_add_dir(dirs, d) < 0)
                return tx_fail(err, -ENOMEM, "out of memory");
        }
    } while ((word = strtok_r(NULL, " \t\r\f\v", &save)) != NULL);
    return 0;
}

static int ldconf_file(const char *root, const char *path, struct tx_strv *dirs,
                       unsigned depth, bool must_exist, struct tx_error *err)
{
    char *canon = NULL, *host = NULL, *data = NULL;
    size_t len;
    int ret = 0;

    if (depth > LDCONF_MAX_DEPTH)
        return tx_fail(err, -ELOOP,
                       "%s%s: includes nested more than %d deep (a loop?)",
                       root, path, LDCONF_MAX_DEPTH);
    int r = tx_resolve(root, path, &canon, NULL);
    if (r == -ENOENT && !must_exist)
        return 0;
    if (r < 0)
        return tx_fail(err, r, "%s%s: %s", root, path, strerror(-r));
    host = tx_host_path(root, canon);
    if (!host) {
        ret = tx_fail(err, -ENOMEM, "out of memory");
        goto out;
    }
    struct stat st;
    if (stat(host, &st) < 0 || !S_ISREG(st.st_mode))
        goto out; /* a directory or device: not a config file */
    r = tx_read_file(host, LDCONF_MAX_SIZE, &data, &len);
    if (r < 0) {
        ret = tx_fail(err, r, "%s: %s", host, strerror(-r));
        goto out;
    }
    char *save = NULL;
    for (char *line = strtok_r(data, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save))
        if ((ret = ldconf_line(root, canon, line, dirs, depth, err)) < 0)
            goto out;
out:
    free(canon);
    free(host);
    free(data);
    return ret;
}

int tx_ldconf_dirs(const char *root, struct tx_strv *dirs, struct tx_error *err)
{
    return ldconf_file(root, "/etc/ld.so.conf", dirs, 0, false, err);
}
