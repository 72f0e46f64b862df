/*
 * The block front end: one blkif ring page (ring order 0) over noxs,
 * one request at a time through one granted bounce page, 8 sectors per
 * request at most; see blkfront.h and docs/noxs.md.  Simplicity first:
 * a unikernel's disk is small and its I/O sequential.
 */
#include "blkfront.h"

#include "clock.h"
#include "devcheck.h"
#include "devpage.h"
#include "evtchn.h"
#include "gnttab.h"
#include "kernel.h"
#include "klib.h"
#include "pages.h"
#include "x86.h"

#define BLKFRONT_MAX 2
#define SECTORS_PER_PAGE (PAGE_SIZE / BLKFRONT_SECTOR)
/* A back end that does not answer in this time is given up on. */
#define REQUEST_TIMEOUT_NS (30ull * 1000000000ull)
/* wait_response's "no answer": outside a response's int16_t status. */
#define NO_ANSWER 0x10000

struct blkfront {
    const struct devpage_dev *dev;
    evtchn_port_t port;
    blkif_front_ring_t ring;
    void *bounce;
    grant_ref_t bounce_ref;
    uint64_t next_id;
    bool broken; /* a request timed out: the bounce page may still be
                  * written, so no further request is made */
};

static struct blkfront blks[BLKFRONT_MAX];
static bool blks_open[BLKFRONT_MAX];

static unsigned devid(const struct blkfront *bf)
{
    return bf->dev->be.devid;
}

/* The ring and the bounce page, granted.  Reconnecting after a restore,
 * the pages of the first connection again. */
static bool setup_ring(struct blkfront *bf, grant_ref_t *ring_ref)
{
    domid_t backend = bf->dev->be.backend_domid;
    blkif_sring_t *sring = bf->ring.sring;

    if (sring == NULL)
        sring = page_alloc();
    if (bf->bounce == NULL)
        bf->bounce = page_alloc();
    if (sring == NULL || bf->bounce == NULL)
        return false;
    SHARED_RING_INIT(sring);
    FRONT_RING_INIT(&bf->ring, sring, PAGE_SIZE);
    *ring_ref = gnttab_grant(backend, page_frame(sring), false);
    /* Writable: reads land in it. */
    bf->bounce_ref = gnttab_grant(backend, page_frame(bf->bounce), false);
    return *ring_ref != 0 && bf->bounce_ref != 0;
}

static bool connect(struct blkfront *bf)
{
    const struct devpage_dev *dev = bf->dev;
    uint64_t deadline = clock_now_ns() + DEVPAGE_CONNECT_TIMEOUT_NS;
    grant_ref_t ring_ref;
    uint32_t state;

    if (!blk_sector_size_ok(dev->be.u.blk.sector_size)) {
        kprintf("blkfront %u: sector size %u\n", devid(bf),
                (unsigned)dev->be.u.blk.sector_size);
        return false;
    }
    state = devpage_wait_be_state(dev, NOXS_STATE_INITWAIT, deadline);
    if (state != NOXS_STATE_INITWAIT) {
        kprintf("blkfront %u: the back end is in state %u, not InitWait\n",
                devid(bf), (unsigned)state);
        return false;
    }
    if (!setup_ring(bf, &ring_ref))
        return false;
    dev->shared->fe.features = dev->be.features & NOXS_BLK_F_FLUSH;
    dev->shared->fe.u.blk.ring_order = 0;
    dev->shared->fe.u.blk.ring_ref[0] = ring_ref;
    devpage_set_fe_state(dev, NOXS_STATE_INITIALISED);
    deadline = clock_now_ns() + DEVPAGE_CONNECT_TIMEOUT_NS;
    state = devpage_wait_be_state(dev, NOXS_STATE_CONNECTED, deadline);
    if (state != NOXS_STATE_CONNECTED) {
        kprintf("blkfront %u: the back end is in state %u, not Connected\n",
                devid(bf), (unsigned)state);
        return false;
    }
    devpage_set_fe_state(dev, NOXS_STATE_CONNECTED);
    return true;
}

struct blkfront *blkfront_open(unsigned index)
{
    const struct devpage_dev *dev = devpage_find(NOXS_DEV_BLK, index);
    struct blkfront *bf;

    if (dev == NULL) {
        kprintf("blkfront: no block device %u\n", index);
        return NULL;
    }
    if (index >= BLKFRONT_MAX) {
        kprintf("blkfront: at most %u block devices\n", BLKFRONT_MAX);
        return NULL;
    }
    bf = &blks[index];
    if (blks_open[index])
        return bf;
    memset(bf, 0, sizeof(*bf));
    bf->dev = dev;
    bf->port = dev->be.evtchn;
    /* On failure the pages and grants stay taken: the back end may hold
     * them. */
    if (!connect(bf))
        return NULL;
    blks_open[index] = true;
    return bf;
}

/*
 * In a new domain: connect each open disk again (new grants, a new
 * channel, an empty ring).  Nothing is in flight: requests are
 * synchronous and suspend happens only in devices_wait.  A disk whose
 * requests timed out stays broken.
 */
void blkfront_resume(void)
{
    unsigned int index;

    for (index = 0; index < BLKFRONT_MAX; index++) {
        struct blkfront *bf = &blks[index];
        const struct devpage_dev *dev;

        if (!blks_open[index])
            continue;
        dev = devpage_find(NOXS_DEV_BLK, index);
        if (dev == NULL) {
            kprintf("blkfront %u: gone after the restore\n", index);
            bf->broken = true;
            continue;
        }
        bf->dev = dev;
        bf->port = dev->be.evtchn;
        if (!connect(bf)) {
            kprintf("blkfront %u: cannot reconnect after the restore\n", index);
            bf->broken = true;
        }
    }
}

uint64_t blkfront_sectors(const struct blkfront *bf)
{
    return bf->dev->be.u.blk.sectors;
}

bool blkfront_readonly(const struct blkfront *bf)
{
    return (bf->dev->be.features & NOXS_BLK_F_READONLY) != 0;
}

bool blkfront_can_flush(const struct blkfront *bf)
{
    return (bf->dev->be.features & NOXS_BLK_F_FLUSH) != 0;
}

/* Waits for the response to request `id`: its status, or NO_ANSWER when
 * the back end gave up on the device or did not answer in time. */
static int wait_response(struct blkfront *bf, uint64_t id)
{
    uint64_t deadline = clock_now_ns() + REQUEST_TIMEOUT_NS;

    for (;;) {
        RING_IDX cons = bf->ring.rsp_cons, prod;
        int more;

        evtchn_clear(bf->port); /* before looking: see evtchn.h */
        RING_FINAL_CHECK_FOR_RESPONSES(&bf->ring, more);
        if (more) {
            /* One request in flight: at most one response is real. */
            prod = ring_trusted_prod(
                cons, *(volatile RING_IDX *)&bf->ring.sring->rsp_prod, 1);
            xen_rmb();
            for (; cons != prod; cons++) {
                volatile blkif_response_t *rsp =
                    RING_GET_RESPONSE(&bf->ring, cons);
                uint64_t rsp_id = rsp->id;
                int16_t status = rsp->status;

                bf->ring.rsp_cons = cons + 1;
                if (rsp_id == id)
                    return status;
            }
            if (clock_now_ns() < deadline) /* bounded, whatever it says */
                continue;
        }
        if (devpage_be_state(bf->dev) >= NOXS_STATE_CLOSING ||
            clock_now_ns() >= deadline)
            return NO_ANSWER;
        devpage_block(bf->port, deadline);
    }
}

/* One request of at most a page, data in the bounce page.  0 or -1. */
static int request(struct blkfront *bf, uint8_t op, uint64_t sector,
                   unsigned int count)
{
    blkif_request_t *req;
    uint64_t id = ++bf->next_id;
    int notify, status;

    if (bf->broken)
        return -1;
    req = RING_GET_REQUEST(&bf->ring, bf->ring.req_prod_pvt);
    memset(req, 0, sizeof(*req));
    req->operation = op;
    req->handle = bf->dev->be.devid;
    req->id = id;
    req->sector_number = sector;
    if (count > 0) {
        req->nr_segments = 1;
        req->seg[0].gref = bf->bounce_ref;
        req->seg[0].first_sect = 0;
        req->seg[0].last_sect = (uint8_t)(count - 1);
    }
    bf->ring.req_prod_pvt++;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&bf->ring, notify);
    if (notify)
        evtchn_send(bf->port);
    status = wait_response(bf, id);
    if (status == NO_ANSWER) {
        bf->broken = true;
        kprintf("blkfront %u: no answer from the back end\n", devid(bf));
        return -1;
    }
    if (status != BLKIF_RSP_OKAY) {
        kprintf("blkfront %u: operation %u at sector %llu failed (%d)\n",
                devid(bf), op, (unsigned long long)sector, status);
        return -1;
    }
    return 0;
}

static int check_range(struct blkfront *bf, uint64_t sector, size_t count)
{
    if (blk_range_ok(sector, count, bf->dev->be.u.blk.sector_size,
                     blkfront_sectors(bf)))
        return 0;
    kprintf("blkfront %u: sectors %llu+%llu: beyond the disk or not aligned "
            "to its %u-byte sectors\n",
            devid(bf), (unsigned long long)sector, (unsigned long long)count,
            (unsigned)bf->dev->be.u.blk.sector_size);
    return -1;
}

int blkfront_read(struct blkfront *bf, uint64_t sector, void *buf, size_t count)
{
    uint8_t *out = buf;

    if (check_range(bf, sector, count) != 0)
        return -1;
    while (count > 0) {
        unsigned int n =
            count < SECTORS_PER_PAGE ? (unsigned)count : SECTORS_PER_PAGE;

        if (request(bf, BLKIF_OP_READ, sector, n) != 0)
            return -1;
        memcpy(out, bf->bounce, n * BLKFRONT_SECTOR);
        out += n * BLKFRONT_SECTOR;
        sector += n;
        count -= n;
    }
    return 0;
}

int blkfront_write(struct blkfront *bf, uint64_t sector, const void *buf,
                   size_t count)
{
    const uint8_t *in = buf;

    if (blkfront_readonly(bf)) {
        kprintf("blkfront %u: the disk is read-only\n", devid(bf));
        return -1;
    }
    if (check_range(bf, sector, count) != 0)
        return -1;
    while (count > 0) {
        unsigned int n =
            count < SECTORS_PER_PAGE ? (unsigned)count : SECTORS_PER_PAGE;

        memcpy(bf->bounce, in, n * BLKFRONT_SECTOR);
        if (request(bf, BLKIF_OP_WRITE, sector, n) != 0)
            return -1;
        in += n * BLKFRONT_SECTOR;
        sector += n;
        count -= n;
    }
    return 0;
}

int blkfront_flush(struct blkfront *bf)
{
    if (!blkfront_can_flush(bf)) {
        kprintf("blkfront %u: the back end offers no flush\n", devid(bf));
        return -1;
    }
    return request(bf, BLKIF_OP_FLUSH_DISKCACHE, 0, 0);
}

void blkfront_corrupt_ring(struct blkfront *bf)
{
    bf->broken = true;
    bf->ring.sring->req_prod = bf->ring.req_prod_pvt + 2 * RING_SIZE(&bf->ring);
    evtchn_send(bf->port);
}
