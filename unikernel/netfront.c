/*
 * The network front end: netif rings over noxs; see netfront.h and
 * docs/noxs.md ("States", steps 2 and 4).
 *
 * Buffers are granted once, when the device connects, and stay granted:
 * each tx buffer read-only, each rx buffer writable (the back end copies
 * received frames into them).
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
#define TX_BUFS 16

_Static_assert((RX_BUFS & (RX_BUFS - 1)) == 0, "RX_BUFS is a power of 2");
_Static_assert(NETFRONT_FRAME_MAX <= PAGE_SIZE, "a frame fits a page");

struct netfront {
    const struct devpage_dev *dev;
    evtchn_port_t port;
    netif_tx_front_ring_t tx;
    netif_rx_front_ring_t rx;
    void *rx_buf[RX_BUFS];
    grant_ref_t rx_ref[RX_BUFS];
    void *tx_buf[TX_BUFS];
    grant_ref_t tx_ref[TX_BUFS];
    bool tx_busy[TX_BUFS];
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

/* A zeroed page granted to the back end: its reference, or 0. */
static grant_ref_t grant_new_page(struct netfront *nf, void **page,
                                  bool readonly)
{
    grant_ref_t ref;

    *page = page_alloc();
    if (*page == NULL)
        return 0;
    ref = gnttab_grant(nf->dev->be.backend_domid, page_frame(*page), readonly);
    if (ref == 0) {
        page_free(*page);
        *page = NULL;
    }
    return ref;
}

/* Rings and buffers, granted; all rx buffers posted. */
static bool setup_rings(struct netfront *nf, grant_ref_t *tx_ref,
                        grant_ref_t *rx_ref)
{
    netif_tx_sring_t *txs;
    netif_rx_sring_t *rxs;
    unsigned int i;

    if ((*tx_ref = grant_new_page(nf, (void **)&txs, false)) == 0 ||
        (*rx_ref = grant_new_page(nf, (void **)&rxs, false)) == 0)
        return false;
    SHARED_RING_INIT(txs);
    FRONT_RING_INIT(&nf->tx, txs, PAGE_SIZE);
    SHARED_RING_INIT(rxs);
    FRONT_RING_INIT(&nf->rx, rxs, PAGE_SIZE);
    for (i = 0; i < TX_BUFS; i++)
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
    dev->shared->fe.features = NOXS_NET_F_RX_COPY;
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

const uint8_t *netfront_mac(const struct netfront *nf)
{
    return nf->dev->be.u.net.mac;
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
            if (id >= TX_BUFS || !nf->tx_busy[id]) {
                complain(nf, "answered a tx buffer not in flight");
                continue;
            }
            nf->tx_busy[id] = false;
        }
        nf->tx.rsp_cons = cons;
        RING_FINAL_CHECK_FOR_RESPONSES(&nf->tx, more);
    } while (more && !bogus); /* a lying index must not keep us here */
}

int netfront_send(struct netfront *nf, const void *frame, size_t len)
{
    netif_tx_request_t *req;
    unsigned int id;
    int notify;

    if (len == 0 || len > NETFRONT_FRAME_MAX)
        return -1;
    tx_reclaim(nf);
    for (id = 0; id < TX_BUFS && nf->tx_busy[id]; id++)
        ;
    if (id == TX_BUFS || RING_FULL(&nf->tx))
        return -1;
    memcpy(nf->tx_buf[id], frame, len);
    nf->tx_busy[id] = true;
    req = RING_GET_REQUEST(&nf->tx, nf->tx.req_prod_pvt);
    req->gref = nf->tx_ref[id];
    req->offset = 0;
    req->flags = 0;
    req->id = (uint16_t)id;
    req->size = (uint16_t)len;
    nf->tx.req_prod_pvt++;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&nf->tx, notify);
    if (notify)
        evtchn_send(nf->port);
    return 0;
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
