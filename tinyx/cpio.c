/*
 * cpio.c - the newc writer; see cpio.h.
 *
 * newc: each entry is a 110-byte ASCII header ("070701" and 13 fields of 8
 * hex digits), the name with its NUL, padding to 4 bytes, the data, padding
 * to 4 bytes.  The archive ends with an entry named "TRAILER!!!"; we pad it
 * to 512 bytes as cpio(1) does.
 */
#include "cpio.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define CHUNK (64 * 1024)

struct cpio_writer {
    int fd;
    bool gzip;
    bool failed; /* after an error only free() is allowed */
    z_stream z;
    gz_header gzh; /* zlib keeps a pointer to it */
    uint32_t mtime;
    uint32_t next_ino;
    uint64_t offset; /* bytes of (uncompressed) archive so far */
    size_t outlen;
    unsigned char out[CHUNK]; /* bytes on their way to fd */
    unsigned char io[CHUNK];  /* file contents on their way in */
};

static int flush_out(struct cpio_writer *w, struct tx_error *err)
{
    int r = tx_write_all(w->fd, w->out, w->outlen);
    w->outlen = 0;
    if (r < 0)
        return tx_fail(err, r, "writing the archive: %s", strerror(-r));
    return 0;
}

/* Runs deflate until it has consumed its input (or finished, with Z_FINISH). */
static int deflate_pending(struct cpio_writer *w, int flush,
                           struct tx_error *err)
{
    for (;;) {
        w->z.next_out = w->out + w->outlen;
        w->z.avail_out = (uInt)(sizeof(w->out) - w->outlen);
        int zr = deflate(&w->z, flush);
        w->outlen = sizeof(w->out) - w->z.avail_out;
        if (zr == Z_STREAM_ERROR)
            return tx_fail(err, -EIO, "gzip compression failed");
        if (w->outlen == sizeof(w->out)) {
            int r = flush_out(w, err);
            if (r < 0)
                return r;
            continue; /* output was full: there may be more */
        }
        if (flush == Z_FINISH ? zr == Z_STREAM_END : w->z.avail_in == 0)
            return 0;
    }
}

static int emit(struct cpio_writer *w, const void *data, size_t len,
                struct tx_error *err)
{
    if (w->failed)
        return tx_fail(err, -EIO, "archive writer used after an error");
    w->offset += len;
    int r = 0;
    if (w->gzip) {
        w->z.next_in = (Bytef *)(uintptr_t)data; /* zlib does not write it */
        w->z.avail_in = (uInt)len;
        r = deflate_pending(w, Z_NO_FLUSH, err);
    } else {
        const unsigned char *p = data;
        while (len > 0 && r == 0) {
            size_t n = sizeof(w->out) - w->outlen;
            if (n > len)
                n = len;
            memcpy(w->out + w->outlen, p, n);
            w->outlen += n;
            p += n;
            len -= n;
            if (w->outlen == sizeof(w->out))
                r = flush_out(w, err);
        }
    }
    if (r < 0)
        w->failed = true;
    return r;
}

static int pad(struct cpio_writer *w, unsigned align, struct tx_error *err)
{
    static const unsigned char zeros[512];
    size_t n = (size_t)((align - w->offset % align) % align);
    return n ? emit(w, zeros, n, err) : 0;
}

static int header(struct cpio_writer *w, const char *name, uint32_t ino,
                  uint32_t mode, uint32_t nlink, uint32_t mtime, uint64_t size,
                  unsigned rmajor, unsigned rminor, struct tx_error *err)
{
    while (*name == '/')
        name++;
    size_t namesize = strlen(name) + 1;
    if (namesize == 1 || namesize > 4096)
        return tx_fail(err, -EINVAL, "bad archive member name \"%s\"", name);
    if (size > CPIO_MAX_FILE_SIZE)
        return tx_fail(err, -EFBIG,
                       "%s: larger than 4 GiB, which cpio newc cannot hold",
                       name);
    char h[111];
    snprintf(h, sizeof(h),
             "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", ino,
             mode, 0u, 0u, nlink, mtime, (uint32_t)size, 0u, 0u, rmajor, rminor,
             (uint32_t)namesize, 0u);
    int r = emit(w, h, 110, err);
    if (r == 0)
        r = emit(w, name, namesize, err);
    return r ? r : pad(w, 4, err);
}

int cpio_writer_new(struct cpio_writer **out, int fd, unsigned flags,
                    uint32_t mtime, struct tx_error *err)
{
    struct cpio_writer *w = calloc(1, sizeof(*w));
    *out = NULL;
    if (!w)
        return tx_fail(err, -ENOMEM, "out of memory");
    w->fd = fd;
    w->mtime = mtime;
    w->next_ino = 1;
    if (flags & CPIO_GZIP) {
        /* windowBits 15 + 16: a gzip wrapper.  The header is set by hand so
         * it holds no time, no name and a fixed OS byte. */
        if (deflateInit2(&w->z, 9, Z_DEFLATED, 15 + 16, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK) {
            free(w);
            return tx_fail(err, -ENOMEM, "cannot start gzip compression");
        }
        w->gzh.os = 3; /* Unix; everything else stays 0 */
        deflateSetHeader(&w->z, &w->gzh);
        w->gzip = true;
    }
    *out = w;
    return 0;
}

int cpio_add_dir(struct cpio_writer *w, const char *name, unsigned mode,
                 struct tx_error *err)
{
    return header(w, name, w->next_ino++, S_IFDIR | (mode & 07777), 2, w->mtime,
                  0, 0, 0, err);
}

int cpio_add_symlink(struct cpio_writer *w, const char *name,
                     const char *target, struct tx_error *err)
{
    size_t len = strlen(target);
    int r = header(w, name, w->next_ino++, S_IFLNK | 0777, 1, w->mtime, len, 0,
                   0, err);
    if (r == 0)
        r = emit(w, target, len, err);
    return r ? r : pad(w, 4, err);
}

int cpio_add_node(struct cpio_writer *w, const char *name, char type,
                  unsigned major, unsigned minor, unsigned mode,
                  struct tx_error *err)
{
    if (type != 'c' && type != 'b')
        return tx_fail(err, -EINVAL, "%s: device type must be 'c' or 'b'",
                       name);
    unsigned fmt = type == 'c' ? S_IFCHR : S_IFBLK;
    return header(w, name, w->next_ino++, fmt | (mode & 07777), 1, w->mtime, 0,
                  major, minor, err);
}

int cpio_add_data(struct cpio_writer *w, const char *name, unsigned mode,
                  const void *data, size_t len, struct tx_error *err)
{
    int r = header(w, name, w->next_ino++, S_IFREG | (mode & 07777), 1,
                   w->mtime, len, 0, 0, err);
    if (r == 0)
        r = emit(w, data, len, err);
    return r ? r : pad(w, 4, err);
}

int cpio_add_file(struct cpio_writer *w, const char *name, unsigned mode,
                  int fd, uint64_t size, struct tx_error *err)
{
    int r = header(w, name, w->next_ino++, S_IFREG | (mode & 07777), 1,
                   w->mtime, size, 0, 0, err);
    for (uint64_t left = size; r == 0 && left > 0;) {
        size_t want = left < sizeof(w->io) ? (size_t)left : sizeof(w->io);
        ssize_t got = tx_read_full(fd, w->io, want);
        if (got < 0)
            r = tx_fail(err, (int)got, "%s: read error: %s", name,
                        strerror((int)-got));
        else if ((size_t)got < want)
            r = tx_fail(err, -EIO, "%s: the file shrank while being packed",
                        name);
        else
            r = emit(w, w->io, want, err);
        left -= want;
    }
    if (r == 0) {
        /* The header already promised `size` bytes: a file still growing
         * would be cut silently, so say so instead. */
        unsigned char extra;
        ssize_t got = tx_read_full(fd, &extra, 1);
        if (got != 0)
            r = tx_fail(err, got < 0 ? (int)got : -EIO,
                        "%s: the file grew while being packed", name);
    }
    if (r < 0)
        w->failed = true;
    return r ? r : pad(w, 4, err);
}

int cpio_finish(struct cpio_writer *w, struct tx_error *err)
{
    int r = header(w, "TRAILER!!!", 0, 0, 1, 0, 0, 0, 0, err);
    if (r == 0)
        r = pad(w, 512, err);
    if (r == 0 && w->gzip) {
        w->z.next_in = NULL;
        w->z.avail_in = 0;
        r = deflate_pending(w, Z_FINISH, err);
    }
    if (r == 0)
        r = flush_out(w, err);
    if (r < 0)
        w->failed = true;
    return r;
}

void cpio_writer_free(struct cpio_writer *w)
{
    if (!w)
        return;
    if (w->gzip)
        deflateEnd(&w->z);
    free(w);
}

int cpio_mtime_from_env(uint32_t *mtime, struct tx_error *err)
{
    const char *s = getenv("SOURCE_DATE_EPOCH");
    *mtime = 0;
    if (!s || !*s)
        return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || s[0] == '-' || v > UINT32_MAX)
        return tx_fail(err, -EINVAL,
                       "SOURCE_DATE_EPOCH=\"%s\" is not a number of seconds "
                       "between 0 and %u",
                       s, UINT32_MAX);
    *mtime = (uint32_t)v;
    return 0;
}
