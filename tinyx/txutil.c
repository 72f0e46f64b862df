/*
 * txutil.c - helpers shared by the tinyx library; see txutil.h.
 */
#include "txutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int tx_fail(struct tx_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
    }
    return code < 0 ? code : -EIO;
}

int tx_prefix(struct tx_error *err, int code, const char *fmt, ...)
{
    if (err) {
        char old[TX_ERRMSG_MAX];
        va_list ap;
        memcpy(old, err->msg, sizeof(old));
        old[sizeof(old) - 1] = '\0';
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
        size_t len = strlen(err->msg), room = sizeof(err->msg) - 1 - len;
        if (room > 2) {
            memcpy(err->msg + len, ": ", 2);
            len += 2;
            size_t oldlen = strnlen(old, room - 2);
            memcpy(err->msg + len, old, oldlen);
            len += oldlen;
        }
        err->msg[len] = '\0';
    }
    return code < 0 ? code : -EIO;
}

char *tx_asprintf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    int r = vasprintf(&s, fmt, ap);
    va_end(ap);
    return r < 0 ? NULL : s;
}

int tx_grow(void *arrp, size_t *cap, size_t need, size_t elsize)
{
    void **arr = arrp;
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : 8;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2)
            return -ENOMEM;
        ncap *= 2;
    }
    if (ncap > SIZE_MAX / elsize)
        return -ENOMEM;
    void *p = realloc(*arr, ncap * elsize);
    if (!p)
        return -ENOMEM;
    *arr = p;
    *cap = ncap;
    return 0;
}

int tx_strv_push_owned(struct tx_strv *sv, char *s)
{
    if (!s)
        return -ENOMEM;
    if (tx_grow(&sv->v, &sv->cap, sv->n + 1, sizeof(*sv->v)) < 0) {
        free(s);
        return -ENOMEM;
    }
    sv->v[sv->n++] = s;
    return 0;
}

int tx_strv_push(struct tx_strv *sv, const char *s)
{
    return tx_strv_push_owned(sv, strdup(s));
}

bool tx_strv_contains(const struct tx_strv *sv, const char *s)
{
    for (size_t i = 0; i < sv->n; i++)
        if (strcmp(sv->v[i], s) == 0)
            return true;
    return false;
}

void tx_strv_free(struct tx_strv *sv)
{
    for (size_t i = 0; i < sv->n; i++)
        free(sv->v[i]);
    free(sv->v);
    sv->v = NULL;
    sv->n = sv->cap = 0;
}

/* ------------------------------------------------------------ map */

struct tx_map_slot {
    char *key; /* NULL: empty slot */
    size_t val;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 14695981039346656037ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static struct tx_map_slot *map_find(const struct tx_map *m, const char *key)
{
    size_t mask = m->cap - 1;
    for (size_t i = hash_str(key) & mask;; i = (i + 1) & mask)
        if (!m->slots[i].key || strcmp(m->slots[i].key, key) == 0)
            return &m->slots[i];
}

static int map_rehash(struct tx_map *m, size_t ncap)
{
    struct tx_map_slot *old = m->slots;
    size_t ocap = m->cap;
    m->slots = calloc(ncap, sizeof(*m->slots));
    if (!m->slots) {
        m->slots = old;
        return -ENOMEM;
    }
    m->cap = ncap;
    for (size_t i = 0; i < ocap; i++)
        if (old[i].key)
            *map_find(m, old[i].key) = old[i];
    free(old);
    return 0;
}

int tx_map_put(struct tx_map *m, const char *key, size_t val)
{
    /* Keep the load factor under 1/2 so probe chains stay short. */
    if ((m->n + 1) * 2 > m->cap) {
        if (m->cap > SIZE_MAX / 4)
            return -ENOMEM;
        int r = map_rehash(m, m->cap ? m->cap * 2 : 64);
        if (r < 0)
            return r;
    }
    struct tx_map_slot *s = map_find(m, key);
    if (!s->key) {
        s->key = strdup(key);
        if (!s->key)
            return -ENOMEM;
        m->n++;
    }
    s->val = val;
    return 0;
}

bool tx_map_get(const struct tx_map *m, const char *key, size_t *val)
{
    if (!m->cap)
        return false;
    struct tx_map_slot *s = map_find(m, key);
    if (!s->key)
        return false;
    if (val)
        *val = s->val;
    return true;
}

void tx_map_free(struct tx_map *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].key);
    free(m->slots);
    m->slots = NULL;
    m->cap = m->n = 0;
}

/* ------------------------------------------------------------ paths */

char *tx_path_normalize(const char *path)
{
    size_t len = strlen(path);
    char *out = malloc(len + 2);
    if (!out)
        return NULL;
    size_t o = 0; /* out[0..o) holds "/a/b" (o == 0: root) */
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        const char *start = p;
        while (*p && *p != '/')
            p++;
        size_t clen = (size_t)(p - start);
        if (clen == 0 || (clen == 1 && start[0] == '.'))
            continue;
        if (clen == 2 && start[0] == '.' && start[1] == '.') {
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--; /* drop the slash too */
            continue;
        }
        out[o++] = '/';
        memcpy(out + o, start, clen);
        o += clen;
    }
    if (o == 0)
        out[o++] = '/';
    out[o] = '\0';
    return out;
}

char *tx_path_join(const char *dir, const char *name)
{
    size_t dl = strlen(dir);
    while (dl > 0 && dir[dl - 1] == '/')
        dl--;
    while (*name == '/')
        name++;
    return tx_asprintf("%.*s/%s", (int)dl, dir, name);
}

char *tx_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    while (slash > path && slash[-1] == '/')
        slash--;
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

const char *tx_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* ------------------------------------------------------------ I/O */

int tx_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

ssize_t tx_pread_full(int fd, void *buf, size_t len, uint64_t off)
{
    size_t got = 0;
    while (got < len) {
        ssize_t r = pread(fd, (char *)buf + got, len - got, (off_t)(off + got));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

ssize_t tx_read_full(int fd, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t r = read(fd, (char *)buf + got, len - got);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

int tx_read_file(const char *path, size_t max, char **data, size_t *len)
{
    bool is_stdin = strcmp(path, "-") == 0;
    int fd =
        is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -errno;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    int ret = 0;
    if (!buf) {
        ret = -ENOMEM;
        goto out;
    }
    for (;;) {
        if (n + 1 >= cap) {
            if (cap > max + 1) {
                ret = -EFBIG;
                goto out;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                ret = -ENOMEM;
                goto out;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = tx_read_full(fd, buf + n, cap - 1 - n);
        if (r < 0) {
            ret = (int)r;
            goto out;
        }
        n += (size_t)r;
        if (n > max) {
            ret = -EFBIG;
            goto out;
        }
        if (n < cap - 1)
            break; /* short read: end of file */
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    buf = NULL;
out:
    free(buf);
    if (!is_stdin)
        close(fd);
    return ret;
}
