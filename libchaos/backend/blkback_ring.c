/*
 * blkback_ring.c - serves a blkif ring (blkback_ring.h): copies each
 * request once out of guest memory, bounds it, moves its data through the
 * caller's callbacks and answers it, in ring order, one at a time.
 *
 * Why one at a time: the supervisor serves one guest, and synchronous I/O
 * keeps the ordering rules of blkif trivially true (a flush or a barrier
 * follows every write the guest queued before it).  Asynchronous I/O
 * (io_uring, threads) can come later behind the same callbacks.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Xen's ring macros expect the includer's barriers.  __XEN_TOOLS__: the
 * current interface, as every dom0 tool (else xen-compat.h picks the
 * legacy one, whose barriers are the kernel's mb()). */
#define __XEN_TOOLS__ 1
#define xen_mb() atomic_thread_fence(memory_order_seq_cst)
#define xen_rmb() atomic_thread_fence(memory_order_acquire)
#define xen_wmb() atomic_thread_fence(memory_order_release)
#include <xen/io/blkif.h>
#include <xen/io/ring.h>

#include "blkback_ring.h"

_Static_assert(BLKIF_MAX_SEGMENTS_PER_REQUEST == BLKRING_MAX_SEGS,
               "segments per request");
_Static_assert(sizeof(struct blkif_request) == 112, "blkif request layout");

struct blkring {
    blkif_back_ring_t ring;
    uint64_t sectors;
    bool readonly;
    const struct blkring_ops *ops;
    void *opaque;
    /* BLKRING_MAX_SEGS pages, page-aligned: segment i lives in page i at
     * the offset it has in the guest's page, so no grant copy crosses a
     * page on either side (gntdev's and hv_gnttab_copy's rule). */
    uint8_t *bounce;
    struct blkring_stats stats;
};

/* One request's data, planned from the copied request. */
struct plan {
    unsigned nsegs;
    uint64_t off; /* bytes into the disk */
    size_t bytes;
    struct hv_gcopy gc[BLKRING_MAX_SEGS];
    struct iovec iov[BLKRING_MAX_SEGS];
};

/* Bounds every segment and the range; BLKIF_RSP_OKAY or _ERROR.  nsegs is
 * at least 1 here (the callers refuse 0 where it is not allowed). */
static int16_t plan_request(const struct blkring *r,
                            const struct blkif_request *req, bool to_guest,
                            struct plan *p)
{
    uint64_t nsect = 0;

    if (req->nr_segments < 1 || req->nr_segments > BLKRING_MAX_SEGS)
        return BLKIF_RSP_ERROR;
    p->nsegs = req->nr_segments;
    for (unsigned i = 0; i < p->nsegs; i++) {
        unsigned first = req->seg[i].first_sect, last = req->seg[i].last_sect;

        if (first > last || last >= BLKRING_SECTORS_PER_PAGE)
            return BLKIF_RSP_ERROR;
        uint16_t off = (uint16_t)(first * BLKRING_SECTOR);
        uint16_t len = (uint16_t)((last - first + 1) * BLKRING_SECTOR);
        uint8_t *local = r->bounce + (size_t)i * BLKRING_PAGE_SIZE + off;

        p->gc[i] = (struct hv_gcopy){ .to_guest = to_guest,
                                      .ref = req->seg[i].gref,
                                      .offset = off,
                                      .len = len,
                                      .local = local };
        p->iov[i] = (struct iovec){ .iov_base = local, .iov_len = len };
        nsect += last - first + 1;
    }
    if (req->sector_number > r->sectors ||
        nsect > r->sectors - req->sector_number)
        return BLKIF_RSP_ERROR;
    p->off = req->sector_number * BLKRING_SECTOR;
    p->bytes = (size_t)(nsect * BLKRING_SECTOR);
    return BLKIF_RSP_OKAY;
}

/* Runs the plan's grant copies; every segment must have been done. */
static int16_t copy_segments(struct blkring *r, struct plan *p)
{
    if (r->ops->copy(r->opaque, p->gc, p->nsegs) < 0)
        return BLKIF_RSP_ERROR;
    for (unsigned i = 0; i < p->nsegs; i++)
        if (p->gc[i].status != 0)
            return BLKIF_RSP_ERROR;
    return BLKIF_RSP_OKAY;
}

static int16_t do_read(struct blkring *r, const struct blkif_request *req)
{
    struct plan p;
    int16_t st = plan_request(r, req, true, &p);

    if (st != BLKIF_RSP_OKAY)
        return st;
    if (r->ops->read(r->opaque, p.iov, p.nsegs, p.off) < 0)
        return BLKIF_RSP_ERROR;
    st = copy_segments(r, &p);
    if (st == BLKIF_RSP_OKAY) {
        r->stats.reads++;
        r->stats.read_bytes += p.bytes;
    }
    return st;
}

/* The data of a write (or of a flush or barrier that carries data). */
static int16_t write_data(struct blkring *r, const struct blkif_request *req)
{
    struct plan p;

    if (r->readonly)
        return BLKIF_RSP_ERROR;
    int16_t st = plan_request(r, req, false, &p);
    if (st == BLKIF_RSP_OKAY)
        st = copy_segments(r, &p);
    if (st != BLKIF_RSP_OKAY)
        return st;
    if (r->ops->write(r->opaque, p.iov, p.nsegs, p.off) < 0)
        return BLKIF_RSP_ERROR;
    r->stats.write_bytes += p.bytes;
    return BLKIF_RSP_OKAY;
}

static int16_t do_write(struct blkring *r, const struct blkif_request *req)
{
    int16_t st = write_data(r, req);

    if (st == BLKIF_RSP_OKAY)
        r->stats.writes++;
    return st;
}

/*
 * FLUSH_DISKCACHE (and WRITE_BARRIER): Linux's blkfront sends a flush with
 * segments for a write that must be durable (REQ_FUA), and without for a
 * bare cache flush.  The data goes first, then sync(): when the response
 * exists, everything written before it and with it is stable.
 */
static int16_t do_flush(struct blkring *r, const struct blkif_request *req)
{
    if (req->nr_segments > 0) {
        int16_t st = write_data(r, req);
        if (st != BLKIF_RSP_OKAY)
            return st;
    }
    if (r->ops->sync(r->opaque) < 0)
        return BLKIF_RSP_ERROR;
    r->stats.flushes++;
    return BLKIF_RSP_OKAY;
}

/* The operations served; any other is BLKIF_RSP_EOPNOTSUPP (DISCARD and
 * INDIRECT are never offered, RESERVED_1 is SLES's). */
static int16_t (*const serve_op[])(struct blkring *,
                                   const struct blkif_request *) = {
    [BLKIF_OP_READ] = do_read,
    [BLKIF_OP_WRITE] = do_write,
    [BLKIF_OP_WRITE_BARRIER] = do_flush,
    [BLKIF_OP_FLUSH_DISKCACHE] = do_flush,
};

static int16_t serve_one(struct blkring *r, const struct blkif_request *req)
{
    size_t n = sizeof(serve_op) / sizeof(serve_op[0]);

    if (req->operation >= n || !serve_op[req->operation]) {
        r->stats.unsupported++;
        return BLKIF_RSP_EOPNOTSUPP;
    }
    int16_t st = serve_op[req->operation](r, req);
    if (st == BLKIF_RSP_ERROR)
        r->stats.errors++;
    return st;
}

int blkring_serve(struct blkring *r, bool *notify, char *err, size_t errlen)
{
    blkif_back_ring_t *br = &r->ring;
    int more;

    *notify = false;
    do {
        /* One read of the guest's producer index, then the barrier: the
         * requests up to it are written. */
        RING_IDX rp = *(volatile RING_IDX *)&br->sring->req_prod;
        xen_rmb();
        /* Every request is answered before the next is read, so
         * req_cons == rsp_prod_pvt here: more than a ring's worth queued
         * (or an index that went backwards) is no ring at all. */
        if (RING_REQUEST_PROD_OVERFLOW(br, rp)) {
            snprintf(err, errlen,
                     "blk: the guest's req_prod %u is %u requests past its "
                     "consumer %u (a ring holds %u)",
                     rp, rp - br->rsp_prod_pvt, br->req_cons, RING_SIZE(br));
            return -EPROTO;
        }
        while (br->req_cons != rp) {
            struct blkif_request req;

            RING_COPY_REQUEST(br, br->req_cons, &req);
            br->req_cons++;
            int16_t st = serve_one(r, &req);

            blkif_response_t *rsp = RING_GET_RESPONSE(br, br->rsp_prod_pvt);
            rsp->id = req.id;
            rsp->operation = req.operation;
            rsp->status = st;
            br->rsp_prod_pvt++;
        }
        int tell;
        RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(br, tell);
        *notify = *notify || tell;
        /* Sets req_event before the last look, so a request queued after
         * it is notified.  A guest that keeps queueing keeps this loop
         * going: it slows only its own supervisor. */
        RING_FINAL_CHECK_FOR_REQUESTS(br, more);
    } while (more);
    return 0;
}

int blkring_new(void *sring, unsigned ring_pages, uint64_t sectors,
                bool readonly, const struct blkring_ops *ops, void *opaque,
                struct blkring **out, char *err, size_t errlen)
{
    *out = NULL;
    if (ring_pages < 1 || ring_pages > BLKRING_MAX_PAGES ||
        (ring_pages & (ring_pages - 1)) != 0) {
        snprintf(err, errlen, "blk: ring of %u pages (ring_order: 0 to 2)",
                 ring_pages);
        return -EPROTO;
    }
    if (!sring || !ops || !ops->copy || !ops->read || !ops->write ||
        !ops->sync) {
        snprintf(err, errlen, "blk: no ring or no callbacks");
        return -EINVAL;
    }
    if (sectors == 0 || sectors > UINT64_MAX / BLKRING_SECTOR) {
        snprintf(err, errlen, "blk: a disk of %llu sectors",
                 (unsigned long long)sectors);
        return -EINVAL;
    }
    struct blkring *r = calloc(1, sizeof(*r));
    if (r)
        r->bounce = aligned_alloc(BLKRING_PAGE_SIZE,
                                  BLKRING_MAX_SEGS * BLKRING_PAGE_SIZE);
    if (!r || !r->bounce) {
        free(r);
        snprintf(err, errlen, "blk: out of memory");
        return -ENOMEM;
    }
    /* Attach where the front end's ring stands: 0 after its
     * SHARED_RING_INIT, further on for a supervisor that takes a running
     * guest over (requests the last one took but did not answer are
     * served again, in order). */
    blkif_sring_t *ss = sring;
    RING_IDX rsp = *(volatile RING_IDX *)&ss->rsp_prod;
    BACK_RING_ATTACH(&r->ring, ss, rsp, ring_pages * BLKRING_PAGE_SIZE);
    r->sectors = sectors;
    r->readonly = readonly;
    r->ops = ops;
    r->opaque = opaque;
    *out = r;
    return 0;
}

void blkring_free(struct blkring *r)
{
    if (!r)
        return;
    free(r->bounce);
    free(r);
}

void blkring_stats(const struct blkring *r, struct blkring_stats *out)
{
    *out = r->stats;
}
