/*
 * The network front end: netif rings over noxs; see netfront.h and
 * docs/noxs.md ("States", steps 2 and 4).
 *
 * Buffers are granted once, when the device connects, and stay granted:
 * each tx buffer read-only, each rx buffer writable (the back end copies
 * received frames into them).
 *
 * Transmit: TX_PAGES one-page buffers; a frame takes one per 4 KiB of it,
 * each its own ring slot whose id is the page's index, and every slot's
 * response frees its page (an extra-info slot's NETIF_RSP_NULL response
 * frees nothing).  So a small frame costs one slot and one page as it
 * always did, and a 64 KiB GSO frame 16 pages and 17 slots.  Offloads are
 * taken as the back end offers them (devcheck.h, net_taken): checksum
 * offload alone, or GSO with SG and checksum offload.  They concern only
 * what we send: received frames stay one slot each with their checksums
 * complete (we take no receive offload; a multi-slot or extra-info
 * packet received is dropped).
 *
 * Receive: we keep exactly NETFRONT_RX_BUFS requests posted and repost
 * each buffer as its response is consumed, so the request at ring index i
 * always holds buffer i % NETFRONT_RX_BUFS.  A netif back end answers
 * request i in response slot i (Linux's netfront relies on it too), so the
 * buffer of a response follows from its index, whatever id the back end
 * writes: a wrong id cannot make us hand out or repost the wrong page.
 */
#include "netfront.h"

#include <stdbool.h>

#include "clock.h"
#include "devcheck.h"
#include "devpage.h"
#include "evtchn.h"
#include "gnttab.h"
#include "kernel.h"
#include "klib.h"
#include "pages.h"
#include "x86.h"

#define NETFRONT_MAX 2
#define RX_BUFS 16 /* a power of 2: ring indexes wrap around */
/* Room for two 64 KiB GSO frames, so that we fill one while the back end
 * copies the other; or 32 small frames. */
#define TX_PAGES 32
/* The data slots of the largest frame.  netif back ends take at most 18
 * (Linux's XEN_NETBK_LEGACY_SLOTS_MAX): we use 16. */
#define TX_SLOTS_MAX ((NETFRONT_GSO_FRAME_MAX + PAGE_SIZE - 1) / PAGE_SIZE)

_Static_assert((RX_BUFS & (RX_BUFS - 1)) == 0, "RX_BUFS is a power of 2");
_Static_assert(NETFRONT_FRAME_MAX <= PAGE_SIZE, "a frame fits a page");
_Static_assert(TX_SLOTS_MAX <= 18 && TX_SLOTS_MAX <= TX_PAGES,
               "a GSO frame takes at most 18 slots and fits the buffers");

struct netfront {
    const struct devpage_dev *dev;
    evtchn_port_t port;
    netif_tx_front_ring_t tx;
    netif_rx_front_ring_t rx;
    void *rx_buf[RX_BUFS];
    grant_ref_t rx_ref[RX_BUFS];
    void *tx_buf[TX_PAGES];
    grant_ref_t tx_ref[TX_PAGES];
    bool tx_busy[TX_PAGES];
    uint32_t features;   /* taken: NOXS_NET_F_* */
    bool rx_skip_frags;  /* the rest of a multi-slot packet: dropped */
    bool rx_skip_extras; /* extra-info slots (never negotiated) */
    bool warned;         /* a protocol complaint was printed */
};

static struct netfront nets[NETFRONT_MAX];
static bool nets_open[NETFRONT_MAX];

static void complain(struct netfront *nf, const char *what)
{
    if (nf->warned)
        return;
    nf->warned = true;
    kprintf("netfront %u: the back end %s\n", (unsigned)nf->dev->be.devid,
            what);
}

/* A zeroed page granted to the back end: its reference, or 0.  *page
 * non-NULL (reconnecting after a restore): that page again. */
static grant_ref_t grant_new_page(struct netfront *nf, void **page,
                                  bool readonly)
{
    bool fresh = *page == NULL;
    grant_ref_t ref;

    if (fresh)
        *page = page_alloc();
    else
        memset(*page, 0, PAGE_SIZE);
    if (*page == NULL)
        return 0;
    ref = gnttab_grant(nf->dev->be.backend_domid, page_frame(*page), readonly);
    if (ref == 0 && fresh) {
        page_free(*page);
        *page = NULL;
    }
    return ref;
}

/* Rings and buffers, granted; all rx buffers posted.  The pages are
 * those of an earlier connection if there was one (nf->tx.sring ...). */
static bool setup_rings(struct netfront *nf, grant_ref_t *tx_ref,
                        grant_ref_t *rx_ref)
{
    netif_tx_sring_t *txs = nf->tx.sring;
    netif_rx_sring_t *rxs = nf->rx.sring;
    unsigned int i;

    if ((*tx_ref = grant_new_page(nf, (void **)&txs, false)) == 0 ||
        (*rx_ref = grant_new_page(nf, (void **)&rxs, false)) == 0)
        return false;
    SHARED_RING_INIT(txs);
    FRONT_RING_INIT(&nf->tx, txs, PAGE_SIZE);
    SHARED_RING_INIT(rxs);
    FRONT_RING_INIT(&nf->rx, rxs, PAGE_SIZE);
    for (i = 0; i < TX_PAGES; i++)
        if ((nf->tx_ref[i] = grant_new_page(nf, &nf->tx_buf[i], true)) == 0)
            return false;
    for (i = 0; i < RX_BUFS; i++) {
        netif_rx_request_t *req;

        if ((nf->rx_ref[i] = grant_new_page(nf, &nf->rx_buf[i], false)) == 0)
            return false;
        req = RING_GET_REQUEST(&nf->rx, nf->rx.req_prod_pvt);
        req->id = (uint16_t)i;
        req->gref = nf->rx_ref[i];
        nf->rx.req_prod_pvt++;
    }
    RING_PUSH_REQUESTS(&nf->rx);
    return true;
}

static bool connect(struct netfront *nf)
{
    const struct devpage_dev *dev = nf->dev;
    uint64_t deadline = clock_now_ns() + DEVPAGE_CONNECT_TIMEOUT_NS;
    grant_ref_t tx_ref, rx_ref;
    uint32_t state;

    if (!(dev->be.features & NOXS_NET_F_RX_COPY)) {
        kprintf("netfront %u: the back end offers no rx-copy\n",
                (unsigned)dev->be.devid);
        return false;
    }
    state = devpage_wait_be_state(dev, NOXS_STATE_INITWAIT, deadline);
    if (state != NOXS_STATE_INITWAIT) {
        kprintf("netfront %u: the back end is in state %u, not InitWait\n",
                (unsigned)dev->be.devid, (unsigned)state);
        return false;
    }
    if (!setup_rings(nf, &tx_ref, &rx_ref))
        return false;
    nf->features = net_taken(dev->be.features);
    dev->shared->fe.features = nf->features;
    dev->shared->fe.u.net.tx_ring_ref = tx_ref;
    dev->shared->fe.u.net.rx_ring_ref = rx_ref;
    devpage_set_fe_state(dev, NOXS_STATE_INITIALISED);
    deadline = clock_now_ns() + DEVPAGE_CONNECT_TIMEOUT_NS;
    state = devpage_wait_be_state(dev, NOXS_STATE_CONNECTED, deadline);
    if (state != NOXS_STATE_CONNECTED) {
        kprintf("netfront %u: the back end is in state %u, not Connected\n",
                (unsigned)dev->be.devid, (unsigned)state);
        return false;
    }
    devpage_set_fe_state(dev, NOXS_STATE_CONNECTED);
    return true;
}

struct netfront *netfront_open(unsigned index)
{
    const struct devpage_dev *dev = devpage_find(NOXS_DEV_NET, index);
    struct netfront *nf;

    if (dev == NULL) {
        kprintf("netfront: no network device %u\n", index);
        return NULL;
    }
    if (index >= NETFRONT_MAX) {
        kprintf("netfront: at most %u network devices\n", NETFRONT_MAX);
        return NULL;
    }
    nf = &nets[index];
    if (nets_open[index])
        return nf;
    memset(nf, 0, sizeof(*nf));
    nf->dev = dev;
    nf->port = dev->be.evtchn;
    /* On failure the pages and grants stay taken: the back end may hold
     * them, and there is nothing to retry with. */
    if (!connect(nf))
        return NULL;
    nets_open[index] = true;
    devpage_watch(nf->port);
    return nf;
}

/*
 * In a new domain the grants, the event channel and the back end are new
 * (the grant table was reset: gnttab_resume): connect each open device
 * again from step 2, with the same pages, empty rings and nothing in
 * flight (frames queued at suspend are lost, as on a wire).  The device is
 * found again by its index: dom0 rebuilt the table.
 */
void netfront_resume(void)
{
    unsigned int index, i;

    for (index = 0; index < NETFRONT_MAX; index++) {
        struct netfront *nf = &nets[index];
        const struct devpage_dev *dev;

        if (!nets_open[index])
            continue;
        dev = devpage_find(NOXS_DEV_NET, index);
        if (dev == NULL) {
            /* The program keeps polling a ring nobody answers. */
            kprintf("netfront %u: gone after the restore\n", index);
            nf->port = 0;
            continue;
        }
        nf->dev = dev;
        nf->port = dev->be.evtchn;
        for (i = 0; i < TX_PAGES; i++)
            nf->tx_busy[i] = false;
        nf->rx_skip_frags = false;
        nf->rx_skip_extras = false;
        nf->warned = false;
        if (!connect(nf)) {
            kprintf("netfront %u: cannot reconnect after the restore\n", index);
            continue; /* stays open: polling a dead ring finds nothing */
        }
        devpage_watch(nf->port);
    }
}

const uint8_t *netfront_mac(const struct netfront *nf)
{
    return nf->dev->be.u.net.mac;
}

bool netfront_ipv4(const struct netfront *nf, uint32_t *ip, unsigned *prefix)
{
    const uint8_t *a = nf->dev->be.u.net.ipv4;
    unsigned p = nf->dev->be.u.net.ipv4_prefix;

    *ip = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 |
          a[3];
    /* A prefix beyond 32 is dom0's bug: as if not given. */
    *prefix = p <= 32 ? p : 0;
    return *ip != 0;
}

/* Takes back the tx buffers the back end is done with. */
static void tx_reclaim(struct netfront *nf)
{
    bool bogus;
    int more;

    do {
        RING_IDX cons = nf->tx.rsp_cons;
        RING_IDX claimed = *(volatile RING_IDX *)&nf->tx.sring->rsp_prod;
        RING_IDX prod =
            ring_trusted_prod(cons, claimed, nf->tx.req_prod_pvt - cons);

        bogus = prod != claimed;
        if (bogus)
            complain(nf, "answered tx requests never made");
        xen_rmb(); /* the index before the responses it covers */
        for (; cons != prod; cons++) {
            netif_tx_response_t *rsp = RING_GET_RESPONSE(&nf->tx, cons);
            uint16_t id = *(volatile uint16_t *)&rsp->id;
            int16_t status = *(volatile int16_t *)&rsp->status;

            if (status == NETIF_RSP_NULL)
                continue;
            if (id >= TX_PAGES || !nf->tx_busy[id]) {
                complain(nf, "answered a tx buffer not in flight");
                continue;
            }
            nf->tx_busy[id] = false;
        }
        nf->tx.rsp_cons = cons;
        RING_FINAL_CHECK_FOR_RESPONSES(&nf->tx, more);
    } while (more && !bogus); /* a lying index must not keep us here */
}

unsigned netfront_offloads(const struct netfront *nf)
{
    unsigned offloads = 0;

    if (nf->features & NOXS_NET_F_CSUM)
        offloads |= NETFRONT_OFFLOAD_CSUM;
    if (nf->features & NOXS_NET_F_GSO_TCPV4)
        offloads |= NETFRONT_OFFLOAD_GSO_TCPV4;
    return offloads;
}

/* Copies the frame's pieces into the pages ids[0], ids[1], ..., each
 * filled before the next. */
static void tx_copy(struct netfront *nf, const uint16_t *ids,
                    const struct netfront_iov *iov, unsigned n)
{
    unsigned page = 0, i;
    size_t at = 0;

    for (i = 0; i < n; i++) {
        const uint8_t *p = iov[i].base;
        size_t left = iov[i].len;

        while (left > 0) {
            size_t chunk = left < PAGE_SIZE - at ? left : PAGE_SIZE - at;

            memcpy((uint8_t *)nf->tx_buf[ids[page]] + at, p, chunk);
            p += chunk;
            left -= chunk;
            at += chunk;
            if (at == PAGE_SIZE) {
                page++;
                at = 0;
            }
        }
    }
}

/*
 * Queues a frame of len bytes (1..NETFRONT_GSO_FRAME_MAX) as netif.h's
 * transmit format has it: the first slot with the packet's flags and its
 * whole size, the GSO extra-info slot after it if gso_size, then one slot
 * per further page, each but the last with NETTXF_more_data.  Every data
 * slot covers a whole page but the last, so the first one's own size (the
 * total less the others) is a page too.
 */
static int tx_queue(struct netfront *nf, const struct netfront_iov *iov,
                    unsigned n, size_t len, uint16_t flags, uint16_t gso_size)
{
    unsigned pages = (unsigned)((len + PAGE_SIZE - 1) / PAGE_SIZE), k, i;
    uint16_t ids[TX_SLOTS_MAX];
    RING_IDX prod;
    int notify;

    tx_reclaim(nf);
    for (i = 0, k = 0; i < TX_PAGES && k < pages; i++)
        if (!nf->tx_busy[i])
            ids[k++] = (uint16_t)i;
    if (k < pages || RING_FREE_REQUESTS(&nf->tx) < pages + (gso_size != 0))
        return -1;
    tx_copy(nf, ids, iov, n);
    prod = nf->tx.req_prod_pvt;
    for (k = 0; k < pages; k++) {
        netif_tx_request_t *req = RING_GET_REQUEST(&nf->tx, prod++);
        /* The first slot's size is the packet's; the others', their own. */
        size_t size = len - (size_t)k * PAGE_SIZE;

        if (k > 0 && size > PAGE_SIZE)
            size = PAGE_SIZE;
        nf->tx_busy[ids[k]] = true;
        req->gref = nf->tx_ref[ids[k]];
        req->offset = 0;
        req->flags = k + 1 < pages ? NETTXF_more_data : 0;
        req->id = ids[k];
        req->size = (uint16_t)size;
        if (k == 0 && gso_size != 0) {
            /* The extra-info slot overlays a request: copied in whole,
             * its tail (the request's id and size) zero. */
            netif_tx_request_t slot;
            netif_extra_info_t gso = { 0 };

            gso.type = XEN_NETIF_EXTRA_TYPE_GSO;
            gso.u.gso.size = gso_size;
            gso.u.gso.type = XEN_NETIF_GSO_TYPE_TCPV4;
            memset(&slot, 0, sizeof(slot));
            memcpy(&slot, &gso, sizeof(gso));
            *RING_GET_REQUEST(&nf->tx, prod++) = slot;
            req->flags |= NETTXF_extra_info;
        }
        if (k == 0)
            req->flags |= flags;
    }
    nf->tx.req_prod_pvt = prod;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&nf->tx, notify);
    if (notify)
        evtchn_send(nf->port);
    return 0;
}

int netfront_send(struct netfront *nf, const void *frame, size_t len)
{
    struct netfront_iov iov = { frame, len };

    if (len == 0 || len > NETFRONT_FRAME_MAX)
        return -1;
    return tx_queue(nf, &iov, 1, len, 0, 0);
}

int netfront_send_iov(struct netfront *nf, const struct netfront_iov *iov,
                      unsigned n, bool csum_blank, uint16_t gso_size)
{
    size_t len = 0, max = NETFRONT_FRAME_MAX;
    unsigned i;

    for (i = 0; i < n; i++)
        len += iov[i].len;
    if (csum_blank && !(nf->features & NOXS_NET_F_CSUM))
        return -1;
    if (gso_size != 0) {
        if (!csum_blank || !(nf->features & NOXS_NET_F_GSO_TCPV4))
            return -1;
        max = NETFRONT_GSO_FRAME_MAX;
    }
    if (len == 0 || len > max)
        return -1;
    return tx_queue(nf, iov, n, len,
                    csum_blank ? NETTXF_csum_blank | NETTXF_data_validated : 0,
                    gso_size);
}

/* One response slot: deliver its frame if it is a whole, sane one. */
static bool rx_slot(struct netfront *nf, RING_IDX idx,
                    netfront_deliver_fn *deliver, void *arg)
{
    volatile netif_rx_response_t *rsp = RING_GET_RESPONSE(&nf->rx, idx);
    unsigned int buf = idx % RX_BUFS;
    uint16_t id = rsp->id, offset = rsp->offset, flags = rsp->flags;
    int16_t status = rsp->status;
    bool first = !nf->rx_skip_frags;
    size_t len;

    if (nf->rx_skip_extras) { /* this slot is a netif_extra_info */
        nf->rx_skip_extras = (((volatile struct netif_extra_info *)rsp)->flags &
                              XEN_NETIF_EXTRA_FLAG_MORE) != 0;
        return false;
    }
    if (id != buf)
        complain(nf, "answered rx requests out of order");
    nf->rx_skip_extras = (flags & NETRXF_extra_info) != 0;
    nf->rx_skip_frags = (flags & NETRXF_more_data) != 0;
    if (!first || nf->rx_skip_frags)
        return false; /* part of a multi-slot packet: never negotiated */
    len = netrx_frame_len(offset, status, PAGE_SIZE);
    if (len == 0)
        return false;
    deliver(arg, (const uint8_t *)nf->rx_buf[buf] + offset, len);
    return true;
}

unsigned netfront_poll(struct netfront *nf, netfront_deliver_fn *deliver,
                       void *arg)
{
    unsigned int delivered = 0;
    bool bogus;
    int more, notify;

    evtchn_clear(nf->port); /* before looking: see evtchn.h */
    tx_reclaim(nf);
    do {
        RING_IDX cons = nf->rx.rsp_cons;
        RING_IDX claimed = *(volatile RING_IDX *)&nf->rx.sring->rsp_prod;
        RING_IDX prod = ring_trusted_prod(cons, claimed, RX_BUFS);

        bogus = prod != claimed;
        if (bogus)
            complain(nf, "answered rx requests never made");
        xen_rmb(); /* the index before the responses it covers */
        for (; cons != prod; cons++) {
            netif_rx_request_t *req;

            if (rx_slot(nf, cons, deliver, arg))
                delivered++;
            /* Repost the buffer: request cons + RX_BUFS holds it again. */
            req = RING_GET_REQUEST(&nf->rx, nf->rx.req_prod_pvt);
            req->id = (uint16_t)(cons % RX_BUFS);
            req->gref = nf->rx_ref[cons % RX_BUFS];
            nf->rx.req_prod_pvt++;
        }
        nf->rx.rsp_cons = cons;
        RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&nf->rx, notify);
        if (notify)
            evtchn_send(nf->port);
        RING_FINAL_CHECK_FOR_RESPONSES(&nf->rx, more);
    } while (more && !bogus); /* a lying index must not keep us here */
    return delivered;
}
