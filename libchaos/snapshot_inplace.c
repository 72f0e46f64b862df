/*
 * snapshot_inplace.c - an image opened for restores: header decoded,
 * stream checked whole, and for an in-place restore mapped and indexed
 * (snapshot_inplace.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snapshot_inplace.h"

static const char CORRUPT[] = "'%s': the image's memory stream does not "
                              "match its checksum: the file is corrupt";

int snap_mapped_open(chaos_ctx *ctx, const char *path, int fd, uint64_t offset,
                     uint64_t len, uint32_t crc, struct snap_mapped *m)
{
    memset(m, 0, sizeof(*m));
    if (offset + len < offset || offset + len > SIZE_MAX)
        return chaos__fail(ctx, -EFBIG, "'%s' is too large to map", path);
    m->map_len = (size_t)(offset + len);
    /* Shared, read-only: the page cache's own pages, nothing copied.
     * MAP_POPULATE: one call maps every page instead of a fault per
     * page. */
    m->map =
        mmap(NULL, m->map_len, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
    if (m->map == MAP_FAILED) {
        m->map = NULL;
        return chaos__fail(ctx, -errno, "cannot map '%s': %s", path,
                           strerror(errno));
    }
    m->stream = (const uint8_t *)m->map + offset;
    /* The stream's own records catch little of a damaged page: its CRC,
     * over the mapping (the file is read once). */
    if (snap_crc32(0, m->stream, (size_t)len) != crc) {
        snap_mapped_close(m);
        return chaos__fail(ctx, -EINVAL, CORRUPT, path);
    }
    char err[SNAP_STREAM_ERR_MAX];
    int rc =
        snap_stream_index(m->stream, (size_t)len, &m->idx, err, sizeof(err));
    if (rc) {
        snap_mapped_close(m);
        return chaos__fail(ctx, rc, "'%s': %s", path, err);
    }
    return 0;
}

void snap_mapped_close(struct snap_mapped *m)
{
    snap_stream_free(&m->idx);
    if (m->map)
        munmap(m->map, m->map_len);
    memset(m, 0, sizeof(*m));
}

static int read_exact_at(int fd, void *buf, size_t len, off_t off)
{
    char *p = buf;
    while (len > 0) {
        ssize_t n = pread(fd, p, len, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -ENODATA;
        p += n;
        len -= (size_t)n;
        off += n;
    }
    return 0;
}

/* The header, decoded into img, and the stream's length checked. */
static int check_header(chaos_ctx *ctx, chaos_image *img, int fd,
                        const struct stat *st)
{
    const char *path = img->path;
    char err[SNAP_ERR_MAX];
    uint8_t fixed[SNAP_FIXED_SIZE];
    if (!S_ISREG(st->st_mode))
        return chaos__fail(ctx, -EINVAL, "'%s' is not a regular file", path);
    /* A file shorter than the fixed part: cut short, or not an image. */
    size_t have = (uint64_t)st->st_size < sizeof(fixed) ? (size_t)st->st_size
                                                        : sizeof(fixed);
    int rc = read_exact_at(fd, fixed, have, 0);
    if (rc)
        return chaos__fail(ctx, rc, "cannot read '%s': %s", path,
                           strerror(-rc));
    if (have < sizeof(fixed) && have >= 8 && !memcmp(fixed, SNAP_MAGIC, 8))
        return chaos__fail(
            ctx, -EINVAL, "'%s': the image is truncated (in its header)", path);
    long size = snap_header_size(fixed, have, err, sizeof(err));
    if (size < 0)
        return chaos__fail(ctx, (int)size, "'%s': %s", path, err);
    if ((uint64_t)size > (uint64_t)st->st_size)
        return chaos__fail(
            ctx, -EINVAL, "'%s': the image is truncated (in its header)", path);
    uint8_t *hdr = malloc((size_t)size);
    if (!hdr)
        return chaos__fail(ctx, -ENOMEM, "out of memory");
    rc = read_exact_at(fd, hdr, (size_t)size, 0);
    if (rc) {
        free(hdr);
        return chaos__fail(ctx, rc, "cannot read '%s': %s", path,
                           strerror(-rc));
    }
    rc = snap_header_decode(hdr, (size_t)size, &img->h, &img->config, err,
                            sizeof(err));
    free(hdr);
    if (rc)
        return chaos__fail(ctx, rc, "'%s': %s", path, err);
    rc = snap_check_stream(&img->h, (uint64_t)st->st_size, err, sizeof(err));
    if (rc)
        return chaos__fail(ctx, rc, "'%s': %s", path, err);
    return 0;
}

/* The stream read through and checked against its CRC. */
static int check_crc(chaos_ctx *ctx, const chaos_image *img, int fd)
{
    uint32_t crc = 0;
    static const size_t CHUNK = 1u << 20;
    char *buf = malloc(CHUNK);
    if (!buf)
        return chaos__fail(ctx, -ENOMEM, "out of memory");
    int rc = 0;
    off_t off = (off_t)img->h.header_size;
    for (uint64_t left = img->h.stream_length; !rc && left > 0;) {
        size_t n = left < CHUNK ? (size_t)left : CHUNK;
        rc = read_exact_at(fd, buf, n, off);
        crc = snap_crc32(crc, buf, n);
        off += (off_t)n;
        left -= n;
    }
    free(buf);
    if (rc)
        return chaos__fail(ctx, rc, "cannot read '%s': %s", img->path,
                           strerror(-rc));
    if (crc != img->h.stream_crc)
        return chaos__fail(ctx, -EINVAL, CORRUPT, img->path);
    return 0;
}

void snap_image_id_of(const struct stat *st, struct chaos_image_id *out)
{
    out->dev = (uint64_t)st->st_dev;
    out->ino = (uint64_t)st->st_ino;
    out->size = (uint64_t)st->st_size;
    out->mtime_ns =
        (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

int snap_image_open(chaos_ctx *ctx, const char *path, unsigned flags,
                    bool whole, chaos_image **imgp)
{
    chaos_image *img = calloc(1, sizeof(*img));
    if (!img || !(img->path = strdup(path))) {
        free(img);
        return chaos__fail(ctx, -ENOMEM, "out of memory");
    }
    struct stat st;
    int rc = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        rc = chaos__fail(ctx, -errno, "cannot open '%s': %s", path,
                         strerror(errno));
    else if (fstat(fd, &st) != 0)
        rc = chaos__fail(ctx, -errno, "'%s': %s", path, strerror(errno));
    if (!rc)
        rc = check_header(ctx, img, fd, &st);
    if (!rc)
        snap_image_id_of(&st, &img->id);
    if (!rc && whole && (flags & CHAOS_RESTORE_IN_PLACE) && img->h.pvh) {
        rc = snap_mapped_open(ctx, path, fd, img->h.header_size,
                              img->h.stream_length, img->h.stream_crc, &img->m);
        img->mapped = rc == 0;
    } else if (!rc && whole) {
        rc = check_crc(ctx, img, fd);
    }
    if (fd >= 0)
        close(fd);
    if (rc) {
        chaos_image_close(img);
        return rc;
    }
    *imgp = img;
    return 0;
}

int chaos_image_open(chaos_ctx *ctx, const char *path, unsigned flags,
                     chaos_image **imgp)
{
    chaos__clear_error(ctx);
    return snap_image_open(ctx, path, flags, true, imgp);
}

void chaos_image_close(chaos_image *img)
{
    if (!img)
        return;
    snap_mapped_close(&img->m);
    free(img->config);
    free(img->path);
    free(img);
}

void chaos_image_id(const chaos_image *img, struct chaos_image_id *out)
{
    *out = img->id;
}

bool chaos_image_in_place(const chaos_image *img)
{
    return img->mapped;
}

bool chaos_image_pvh(const chaos_image *img)
{
    return img->h.pvh;
}
