/*
 * tinyx_testlib.c - helpers for tinyx's unit tests; see tinyx_testlib.h.
 */
#include "tinyx_testlib.h"

#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

char *tt_fmt(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    int r = vasprintf(&s, fmt, ap);
    va_end(ap);
    ck_assert_msg(r >= 0, "out of memory");
    return s;
}

static char *vfmt(const char *fmt, va_list ap)
{
    char *s = NULL;
    ck_assert_msg(vasprintf(&s, fmt, ap) >= 0, "out of memory");
    return s;
}

char *tt_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char *tmpl = tt_fmt("%s/tinyx-test-XXXXXX", base && *base ? base : "/tmp");
    ck_assert_msg(mkdtemp(tmpl) != NULL, "mkdtemp: %s", strerror(errno));
    return tmpl;
}

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

void tt_rm_rf(const char *path)
{
    if (path)
        nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS);
}

void tt_mkdirs(const char *path)
{
    char *p = tt_fmt("%s", path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        mkdir(p, 0755);
        *s = '/';
    }
    ck_assert_msg(mkdir(p, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", p,
                  strerror(errno));
    free(p);
}

static void mkparent(const char *path)
{
    char *p = tt_fmt("%s", path);
    char *slash = strrchr(p, '/');
    if (slash && slash != p) {
        *slash = '\0';
        tt_mkdirs(p);
    }
    free(p);
}

void tt_write(const char *path, const void *data, size_t len)
{
    mkparent(path);
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "open %s: %s", path, strerror(errno));
    ck_assert(fwrite(data, 1, len, f) == len);
    ck_assert(fclose(f) == 0);
}

void tt_write_str(const char *path, const char *text)
{
    tt_write(path, text, strlen(text));
}

char *tt_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
    }
    fclose(f);
    ck_assert_msg(buf != NULL, "out of memory");
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

void tt_symlink(const char *target, const char *path)
{
    mkparent(path);
    ck_assert_msg(symlink(target, path) == 0, "symlink %s: %s", path,
                  strerror(errno));
}

static int status_of(int st)
{
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int tt_sh(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *cmd = vfmt(fmt, ap);
    va_end(ap);
    int st = system(cmd);
    free(cmd);
    return status_of(st);
}

void tt_sh_ok(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *cmd = vfmt(fmt, ap);
    va_end(ap);
    int st = status_of(system(cmd));
    ck_assert_msg(st == 0, "command failed (%d): %s", st, cmd);
    free(cmd);
}

char *tt_capture(int *status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *cmd = vfmt(fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    ck_assert_msg(p != NULL, "popen %s", cmd);
    size_t cap = 4096, n = 0, got;
    char *buf = malloc(cap + 1);
    while (buf && (got = fread(buf + n, 1, cap - n, p)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
    }
    int st = pclose(p);
    ck_assert_msg(buf != NULL, "out of memory");
    buf[n] = '\0';
    if (status)
        *status = status_of(st);
    free(cmd);
    return buf;
}

void tt_cc(const char *dir, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *args = vfmt(fmt, ap);
    va_end(ap);
    int st = tt_sh("cd '%s' && %s %s", dir, TEST_CC, args);
    ck_assert_msg(st == 0, "compiling failed (%d): %s %s", st, TEST_CC, args);
    free(args);
}

static uint32_t hex8(const unsigned char *p)
{
    char buf[9];
    memcpy(buf, p, 8);
    buf[8] = '\0';
    return (uint32_t)strtoul(buf, NULL, 16);
}

int tt_cpio_parse(const unsigned char *data, size_t len,
                  struct tt_cpio_entry *out, int max)
{
    size_t off = 0;
    int n = 0;
    for (;;) {
        if (off + 110 > len || memcmp(data + off, "070701", 6) != 0)
            return -1;
        const unsigned char *h = data + off + 6;
        struct tt_cpio_entry e;
        e.ino = hex8(h);
        e.mode = hex8(h + 8);
        e.uid = hex8(h + 16);
        e.gid = hex8(h + 24);
        e.nlink = hex8(h + 32);
        e.mtime = hex8(h + 40);
        e.size = hex8(h + 48);
        e.rmajor = hex8(h + 72);
        e.rminor = hex8(h + 80);
        uint32_t namesize = hex8(h + 88);
        off += 110;
        if (namesize == 0 || namesize > sizeof(e.name) || off + namesize > len)
            return -1;
        memcpy(e.name, data + off, namesize);
        if (e.name[namesize - 1] != '\0')
            return -1;
        off = (off + namesize + 3) & ~(size_t)3;
        if (strcmp(e.name, "TRAILER!!!") == 0)
            return len % 512 == 0 ? n : -1;
        off = (off + e.size + 3) & ~(size_t)3;
        if (off > len)
            return -1;
        if (n < max)
            out[n] = e;
        n++;
    }
}

static char *kept[512];
static size_t nkept;

char *tt_keep(char *s)
{
    ck_assert_uint_lt(nkept, sizeof(kept) / sizeof(*kept));
    return kept[nkept++] = s;
}

void tt_free_kept(void)
{
    while (nkept)
        free(kept[--nkept]);
}
