/*
 * blkback_ring.h - the block back end's ring consumer: pure code that
 * serves one blkif ring (Xen's xen/io/blkif.h) in memory the caller mapped,
 * with the data moved and stored through callbacks.  blkback.c plugs in
 * gntdev's grant copy and the image file; the unit test and the fuzz
 * target plug in a fake grant table and a disk in memory.
 *
 * Xen's ring types stay in blkback_ring.c (the one file besides
 * libchaos/hv/ allowed to read xen/io/ headers): this interface speaks
 * only the project's types, so blkback.c and the tests never see them.
 *
 * Trust: the ring is guest memory, written concurrently by the guest.
 * Each request is copied once before it is looked at; every field is
 * bounded.  A malformed request gets an error response (the device keeps
 * working, as Linux's and QEMU's back ends do); a ring the consumer cannot
 * follow any more (req_prod more than a ring ahead) is -EPROTO.
 *
 * What it answers:
 *   READ, WRITE          the data, BLKIF_RSP_ERROR when a segment or the
 *                        range is wrong, a grant copy or the I/O fails, or
 *                        (WRITE) the disk is read-only;
 *   FLUSH_DISKCACHE      the segments' data written (if any), then sync();
 *                        the response exists only after sync() returned;
 *   WRITE_BARRIER        as FLUSH_DISKCACHE (write, then sync): requests
 *                        are served in order, one at a time, so every
 *                        earlier write is complete before it;
 *   anything else        BLKIF_RSP_EOPNOTSUPP (DISCARD and INDIRECT are
 *                        not offered).
 */
#ifndef CHAOS_BLKBACK_RING_H
#define CHAOS_BLKBACK_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "hv/hv_dev.h"

/* blkif's page, and its unit: a sector is always 512 bytes on the ring,
 * whatever the disk's logical sector size. */
#define BLKRING_PAGE_SIZE 4096u
#define BLKRING_SECTOR 512u
#define BLKRING_SECTORS_PER_PAGE (BLKRING_PAGE_SIZE / BLKRING_SECTOR)
/* Largest ring: 2^2 pages (noxs's NOXS_BLK_MAX_RING_PAGES). */
#define BLKRING_MAX_PAGES 4u
/* Segments of one request (BLKIF_MAX_SEGMENTS_PER_REQUEST). */
#define BLKRING_MAX_SEGS 11u

/*
 * How a request's data moves.  Each returns 0 or a negative errno; opaque
 * is the one given to blkring_new.
 */
struct blkring_ops {
    /* Copies count segments between the guest's grants and local buffers
     * (one page-bounded piece each); 0 when the copy ran: then each
     * segment's status says whether it was done (0) or refused (< 0). */
    int (*copy)(void *opaque, struct hv_gcopy *segs, unsigned count);
    /* Reads or writes the disk's bytes [off, off + total of iov). */
    int (*read)(void *opaque, const struct iovec *iov, unsigned iovcnt,
                uint64_t off);
    int (*write)(void *opaque, const struct iovec *iov, unsigned iovcnt,
                 uint64_t off);
    /* Makes every completed write stable (fdatasync). */
    int (*sync)(void *opaque);
};

struct blkring;

/*
 * Attaches to the shared ring at sring (ring_pages pages: 1, 2 or 4, the
 * front end's choice, so anything else is -EPROTO), a disk of sectors
 * 512-byte units.  The front end initialised the ring; the consumer starts
 * where its responses stand (0 on a new ring; a supervisor taking a
 * running guest over goes on from there).  -ENOMEM, -EPROTO or -EINVAL, with a message.
 */
int blkring_new(void *sring, unsigned ring_pages, uint64_t sectors,
                bool readonly, const struct blkring_ops *ops, void *opaque,
                struct blkring **out, char *err, size_t errlen);
void blkring_free(struct blkring *r); /* NULL ok; the ring is the caller's */

/*
 * Serves every request queued, pushing the responses, until the ring is
 * empty after RING_FINAL_CHECK_FOR_REQUESTS (req_event set: the guest
 * notifies for its next request).  *notify: the guest asked to be told of
 * the responses (notify its event channel); set even on -EPROTO, for the
 * responses pushed before.  0 or -EPROTO (the guest broke the ring).
 */
int blkring_serve(struct blkring *r, bool *notify, char *err, size_t errlen);

/* Counters, for tests and `chaos`. */
struct blkring_stats {
    uint64_t reads, writes, flushes; /* requests answered OKAY */
    uint64_t read_bytes, write_bytes;
    uint64_t errors;      /* answered BLKIF_RSP_ERROR */
    uint64_t unsupported; /* answered BLKIF_RSP_EOPNOTSUPP */
};
void blkring_stats(const struct blkring *r, struct blkring_stats *out);

#endif /* CHAOS_BLKBACK_RING_H */
