/*
 * snapshot_inplace.c - an image mapped and its stream indexed
 * (snapshot_inplace.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "snapshot_inplace.h"

int snap_mapped_open(chaos_ctx *ctx, const char *path, int fd, uint64_t offset,
                     uint64_t len, struct snap_mapped *m)
{
    memset(m, 0, sizeof(*m));
    if (offset + len < offset || offset + len > SIZE_MAX)
        return chaos__fail(ctx, -EFBIG, "'%s' is too large to map", path);
    m->map_len = (size_t)(offset + len);
    /* Shared, read-only: the page cache's own pages, nothing copied. */
    /* MAP_POPULATE: one call maps every page (the check just read them
     * into the page cache) instead of a fault per page. */
    m->map =
        mmap(NULL, m->map_len, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
    if (m->map == MAP_FAILED) {
        m->map = NULL;
        return chaos__fail(ctx, -errno, "cannot map '%s': %s", path,
                           strerror(errno));
    }
    m->stream = (const uint8_t *)m->map + offset;
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
