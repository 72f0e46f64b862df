/*
 * snapshot_inplace.h - an image's migration stream mapped from the page
 * cache and indexed, for the in-place restore (docs/snapshot.md,
 * "In-place restore"; hv/hv_inplace.h does the restore itself).  Kept
 * apart from snapshot_restore.c so that a pool of prepared shells
 * (chaosd) can map an image once and restore it into many shells.
 */
#ifndef CHAOS_SNAPSHOT_INPLACE_H
#define CHAOS_SNAPSHOT_INPLACE_H

#include <stdint.h>

#include "internal.h"
#include "snapshot_stream.h"

struct snap_mapped {
    void *map; /* the whole file, read-only, shared (page cache) */
    size_t map_len;
    const uint8_t *stream; /* map + the chaos header's size */
    struct snap_stream_index idx;
};

/*
 * Maps fd (the image at path, already checked: snapshot_restore.c) and
 * indexes its stream at [offset, offset + len).  0 or a negative errno
 * with the context's message naming path; on failure nothing to free.
 */
int snap_mapped_open(chaos_ctx *ctx, const char *path, int fd, uint64_t offset,
                     uint64_t len, struct snap_mapped *m);

void snap_mapped_close(struct snap_mapped *m); /* zeroed or opened */

#endif /* CHAOS_SNAPSHOT_INPLACE_H */
