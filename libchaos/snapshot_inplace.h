/*
 * snapshot_inplace.h - an image opened for restores (chaos_image,
 * chaos.h): its header decoded, its stream checked, and for in-place
 * restores (docs/snapshot.md, "In-place restore"; hv/hv_inplace.h does
 * the restore itself) the file mapped from the page cache and its stream
 * indexed.  Kept apart from snapshot_restore.c so that a pool of prepared
 * shells (chaosd) opens an image once and restores it into many shells.
 */
#ifndef CHAOS_SNAPSHOT_INPLACE_H
#define CHAOS_SNAPSHOT_INPLACE_H

#include <stdint.h>

#include "internal.h"
#include "snapshot_image.h"
#include "snapshot_stream.h"

struct snap_mapped {
    void *map; /* the whole file, read-only, shared (page cache) */
    size_t map_len;
    const uint8_t *stream; /* map + the chaos header's size */
    struct snap_stream_index idx;
};

/*
 * Maps fd (the image at path, its header checked) and checks its stream
 * at [offset, offset + len) against crc, then indexes it.  0 or a negative
 * errno with the context's message naming path; on failure nothing to
 * free.
 */
int snap_mapped_open(chaos_ctx *ctx, const char *path, int fd, uint64_t offset,
                     uint64_t len, uint32_t crc, struct snap_mapped *m);

void snap_mapped_close(struct snap_mapped *m); /* zeroed or opened */

/* chaos.h's chaos_image.  Read-only once opened. */
struct chaos_image {
    char *path;
    struct snap_header h;
    char *config; /* the saved configuration's text */
    bool mapped;  /* m holds the file, its stream indexed */
    struct snap_mapped m;
    struct chaos_image_id id; /* the checked file's */
};

/* chaos_image_open; whole: the stream's CRC checked too (else the header
 * only, never mapped: chaos_image_config). */
int snap_image_open(chaos_ctx *ctx, const char *path, unsigned flags,
                    bool whole, chaos_image **imgp);

/* The file's identity from fstat. */
struct stat;
void snap_image_id_of(const struct stat *st, struct chaos_image_id *out);

#endif /* CHAOS_SNAPSHOT_INPLACE_H */
