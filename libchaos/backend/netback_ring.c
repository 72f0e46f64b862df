/*
 * netback_ring.c - the netif rings of one guest device, served from dom0
 * (netback_ring.h says what is supported and why).  The only file of the
 * network back end that sees Xen's ring ABI (xen/io/netif.h).
 *
 * Consumption is synchronous: every request taken off a ring is answered
 * in the same call, so between calls req_cons == rsp_prod_pvt on both
 * rings.  That is what makes the bounds below simple: the guest may have
 * at most RING_SIZE requests beyond our responses, and an rx response
 * lands in the slot of its request, as netif.h requires.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Xen's ring ABI wants <stdint.h> and <string.h> first.  Dom0 tools
 * speak the latest interface (as libxenctrl's users do): ring.h then
 * leaves xen_mb() and friends to us (below). */
#define __XEN_TOOLS__ 1
#include <xen/io/netif.h>

#include "netback_csum.h"
#include "netback_ring.h"

/* ring.h leaves the barriers to its user.  Fences, not only compiler
 * barriers: a full one is needed between publishing an index and reading
 * the other side's event index (RING_PUSH_RESPONSES_AND_CHECK_NOTIFY). */
#define xen_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define xen_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)

#define ETH_HEADER 14u
/* Packets per grant-copy call (one hypercall for a batch). */
#define TX_BATCH 16u
#define RX_BATCH 32u
/* Extra-info slots per packet: at most one of each type. */
#define TX_EXTRA_MAX (XEN_NETIF_EXTRA_TYPE_MAX - 1u)
#define TX_PKT_SLOTS (NBR_MAX_SLOTS + TX_EXTRA_MAX)

_Static_assert(sizeof(netif_extra_info_t) <= sizeof(netif_tx_request_t),
               "an extra-info slot is read through a tx request's copy");
_Static_assert(RX_BATCH <= TX_BATCH * NBR_MAX_SLOTS, "rx shares segs");

/* One consumed tx slot, to be answered. */
struct tx_slot {
    uint16_t id;
    bool extra; /* an extra-info slot: answered NETIF_RSP_NULL */
};

/* One tx packet of the batch. */
struct tx_pkt {
    unsigned first_slot, nslots; /* in nbr.slots */
    unsigned first_seg, nsegs;   /* in nbr.segs */
    size_t len;
    int16_t status; /* NETIF_RSP_OKAY, or ERROR: decided before copying */
    bool csum_blank;
};

struct nbr {
    netif_tx_back_ring_t tx;
    netif_rx_back_ring_t rx;
    size_t max_frame;
    const struct nbr_ops *ops;
    void *arg;
    struct netback_stats st;
    uint8_t *txbuf; /* TX_BATCH frames of max_frame bytes */
    uint8_t *rxbuf; /* RX_BATCH frames of rx_cap bytes */
    size_t rx_cap;
    struct hv_gcopy segs[TX_BATCH * NBR_MAX_SLOTS];
    struct tx_slot slots[TX_BATCH * TX_PKT_SLOTS];
    struct tx_pkt pkts[TX_BATCH];
    uint16_t rx_ids[RX_BATCH];
};

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen,
                                                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -EPROTO;
}

/* The guest's producer index, read once; what it publishes is read after
 * it (acquire). */
static RING_IDX load_idx(const RING_IDX *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* A producer may run at most a ring ahead of our responses (it would
 * otherwise overwrite requests we have not answered). */
static int check_prod(const char *ring, RING_IDX prod, RING_IDX rsp,
                      unsigned size, char *err, size_t errlen)
{
    if (prod - rsp <= size)
        return 0;
    return fail(err, errlen,
                "netback: %s ring: req_prod %u is %u requests beyond the "
                "responses (%u), more than the ring's %u slots",
                ring, prod, prod - rsp, rsp, size);
}

int nbr_new(void *tx_page, void *rx_page, size_t max_frame,
            const struct nbr_ops *ops, void *arg, struct nbr **out, char *err,
            size_t errlen)
{
    *out = NULL;
    if (max_frame <= ETH_HEADER || max_frame > XEN_NETIF_MAX_TX_SIZE) {
        snprintf(err, errlen, "netback: largest frame %zu out of range",
                 max_frame);
        return -EINVAL;
    }
    struct nbr *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return snprintf(err, errlen, "netback: out of memory"), -ENOMEM;
    r->max_frame = max_frame;
    r->rx_cap = max_frame + 1; /* one more: a longer frame is seen */
    r->txbuf = malloc(TX_BATCH * max_frame);
    r->rxbuf = malloc(RX_BATCH * r->rx_cap);
    if (r->txbuf == NULL || r->rxbuf == NULL) {
        nbr_free(r);
        return snprintf(err, errlen, "netback: out of memory"), -ENOMEM;
    }
    r->ops = ops;
    r->arg = arg;

    /* Attach where the guest's front end left the rings (0 after its
     * SHARED_RING_INIT), as Linux's netback does. */
    netif_tx_sring_t *txs = tx_page;
    netif_rx_sring_t *rxs = rx_page;
    RING_IDX txr = load_idx(&txs->rsp_prod), rxr = load_idx(&rxs->rsp_prod);
    BACK_RING_ATTACH(&r->tx, txs, txr, NBR_PAGE_SIZE);
    BACK_RING_ATTACH(&r->rx, rxs, rxr, NBR_PAGE_SIZE);
    int rc = check_prod("tx", load_idx(&txs->req_prod), txr, RING_SIZE(&r->tx),
                        err, errlen);
    if (rc == 0)
        rc = check_prod("rx", load_idx(&rxs->req_prod), rxr, RING_SIZE(&r->rx),
                        err, errlen);
    if (rc < 0) {
        nbr_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

void nbr_free(struct nbr *r)
{
    if (r == NULL)
        return;
    free(r->txbuf);
    free(r->rxbuf);
    free(r);
}

void nbr_stats(const struct nbr *r, struct netback_stats *out)
{
    *out = r->st;
}

bool nbr_rx_posted(const struct nbr *r)
{
    return load_idx(&r->rx.sring->req_prod) != r->rx.req_cons;
}

/* Asks the guest to notify at request `want` (netif.h's req_event), then
 * looks again: whether requests arrived meanwhile.  As
 * RING_FINAL_CHECK_FOR_REQUESTS, but with the index given: for a packet
 * half-published, the next event must come after what is already there. */
static bool final_check(RING_IDX *req_event, const RING_IDX *req_prod,
                        RING_IDX prod, RING_IDX want)
{
    __atomic_store_n(req_event, want, __ATOMIC_RELAXED);
    xen_mb(); /* the guest sees req_event before we read req_prod again */
    return load_idx(req_prod) != prod;
}

/* ---- tx: guest -> TAP ---------------------------------------------------- */

enum { PKT_READY = 0, PKT_INCOMPLETE = 1 };

static int tx_check_id(const struct nbr *r, RING_IDX i, uint16_t id, char *err,
                       size_t errlen)
{
    /* Front ends index their buffers by id; one beyond the ring means a
     * corrupt ring, not a packet. */
    if (id < RING_SIZE(&r->tx))
        return 0;
    return fail(err, errlen,
                "netback: tx ring: request %u: id %u beyond the ring's %u "
                "entries",
                i, id, RING_SIZE(&r->tx));
}

static int tx_check_extra(const netif_extra_info_t *ex, RING_IDX i, char *err,
                          size_t errlen)
{
    if (ex->type == XEN_NETIF_EXTRA_TYPE_GSO)
        return fail(err, errlen,
                    "netback: tx ring: request %u: GSO extra info, but GSO "
                    "is not offered",
                    i);
    if (ex->type == XEN_NETIF_EXTRA_TYPE_NONE ||
        ex->type >= XEN_NETIF_EXTRA_TYPE_MAX)
        return fail(err, errlen,
                    "netback: tx ring: request %u: extra info of unknown "
                    "type %u",
                    i, ex->type);
    return 0; /* multicast and hash: nothing to do for a TAP device */
}

/* Takes the extra-info slots after the first request: from *i on. */
static int tx_extras(struct nbr *r, RING_IDX *i, RING_IDX prod,
                     struct tx_slot *slots, unsigned *nslot, char *err,
                     size_t errlen)
{
    bool more = true;
    for (unsigned n = 0; more; n++, (*i)++) {
        if (*i == prod)
            return PKT_INCOMPLETE;
        if (n == TX_EXTRA_MAX)
            return fail(err, errlen,
                        "netback: tx ring: request %u: more than %u "
                        "extra-info slots in one packet",
                        *i, TX_EXTRA_MAX);
        netif_tx_request_t raw;
        netif_extra_info_t ex;
        RING_COPY_REQUEST(&r->tx, *i, &raw);
        memcpy(&ex, &raw, sizeof(ex));
        int rc = tx_check_extra(&ex, *i, err, errlen);
        if (rc < 0)
            return rc;
        more = ex.flags & XEN_NETIF_EXTRA_FLAG_MORE;
        slots[(*nslot)++] = (struct tx_slot){ .extra = true };
    }
    return PKT_READY;
}

/* Checks a packet's sizes, and fills its copy segments into the batch. */
static int tx_layout(struct nbr *r, struct tx_pkt *p,
                     const netif_tx_request_t *req, unsigned nreq,
                     RING_IDX first, unsigned nseg, char *err, size_t errlen)
{
    unsigned total = req[0].size, rest = 0;
    for (unsigned j = 1; j < nreq; j++)
        rest += req[j].size;
    if (total < ETH_HEADER)
        return fail(err, errlen,
                    "netback: tx ring: request %u: packet size %u, less "
                    "than an Ethernet header",
                    first, total);
    if (rest > total)
        return fail(err, errlen,
                    "netback: tx ring: request %u: packet size %u, less "
                    "than the %u bytes of its later slots",
                    first, total, rest);
    unsigned len0 = total - rest;
    if (req[0].offset + len0 > NBR_PAGE_SIZE)
        return fail(err, errlen,
                    "netback: tx ring: request %u: offset %u + size %u "
                    "crosses the page",
                    first, req[0].offset, len0);
    p->len = total;
    p->status = NETIF_RSP_OKAY;
    p->csum_blank = req[0].flags & NETTXF_csum_blank;
    p->first_seg = nseg;
    p->nsegs = 0;
    if (total > r->max_frame) {
        p->status = NETIF_RSP_ERROR; /* deliverable nowhere: dropped */
        return PKT_READY;
    }
    uint8_t *buf = r->txbuf + (size_t)(p - r->pkts) * r->max_frame;
    size_t off = 0;
    for (unsigned j = 0; j < nreq; j++) {
        unsigned len = j == 0 ? len0 : req[j].size;
        if (len == 0)
            continue;
        r->segs[nseg + p->nsegs++] = (struct hv_gcopy){
            .to_guest = false,
            .ref = req[j].gref,
            .offset = req[j].offset,
            .len = (uint16_t)len,
            .local = buf + off,
        };
        off += len;
    }
    return PKT_READY;
}

/*
 * Reads the packet at req_cons (requests up to prod) into p and the
 * batch's slots and segments.  PKT_INCOMPLETE (nothing consumed) when the
 * guest has not published all of it yet.
 */
static int tx_parse(struct nbr *r, RING_IDX prod, struct tx_pkt *p,
                    unsigned nslot, unsigned nseg, char *err, size_t errlen)
{
    RING_IDX first = r->tx.req_cons, i = first;
    netif_tx_request_t req[NBR_MAX_SLOTS];
    struct tx_slot *slots = r->slots + nslot;
    unsigned nreq = 0, n = 0;

    RING_COPY_REQUEST(&r->tx, i, &req[0]);
    int rc = tx_check_id(r, i, req[0].id, err, errlen);
    if (rc < 0)
        return rc;
    slots[n++] = (struct tx_slot){ .id = req[0].id };
    nreq = 1;
    i++;
    if (req[0].flags & NETTXF_extra_info) {
        rc = tx_extras(r, &i, prod, slots, &n, err, errlen);
        if (rc != PKT_READY)
            return rc;
    }
    /* Only the last data slot's more_data counts (netif.h: the flags of
     * extras are not relevant here). */
    for (uint16_t flags = req[0].flags; flags & NETTXF_more_data; i++) {
        if (i == prod)
            return PKT_INCOMPLETE;
        if (nreq == NBR_MAX_SLOTS)
            return fail(err, errlen,
                        "netback: tx ring: request %u: a packet of more "
                        "than %u slots",
                        first, NBR_MAX_SLOTS);
        netif_tx_request_t *q = &req[nreq];
        RING_COPY_REQUEST(&r->tx, i, q);
        if ((rc = tx_check_id(r, i, q->id, err, errlen)) < 0)
            return rc;
        if (q->offset + q->size > NBR_PAGE_SIZE)
            return fail(err, errlen,
                        "netback: tx ring: request %u: offset %u + size %u "
                        "crosses the page",
                        i, q->offset, q->size);
        slots[n++] = (struct tx_slot){ .id = q->id };
        flags = q->flags;
        nreq++;
    }
    rc = tx_layout(r, p, req, nreq, first, nseg, err, errlen);
    if (rc < 0)
        return rc;
    p->first_slot = nslot;
    p->nslots = n;
    r->tx.req_cons = i;
    return PKT_READY;
}

/* Copies the batch's packets out of the guest, delivers them, answers
 * every slot. */
static int tx_finish(struct nbr *r, unsigned npkt, unsigned nseg)
{
    if (nseg > 0) {
        int rc = r->ops->copy(r->arg, r->segs, nseg);
        if (rc < 0)
            return rc; /* the callback wrote the message */
    }
    for (unsigned k = 0; k < npkt; k++) {
        struct tx_pkt *p = &r->pkts[k];
        for (unsigned s = 0; s < p->nsegs; s++)
            if (r->segs[p->first_seg + s].status != 0)
                p->status = NETIF_RSP_ERROR; /* a bad grant: dropped */
        const uint8_t *frame = r->txbuf + (size_t)k * r->max_frame;
        if (p->status == NETIF_RSP_OKAY && p->csum_blank &&
            nbr_csum_fill(r->txbuf + (size_t)k * r->max_frame, p->len) < 0)
            p->status = NETIF_RSP_ERROR; /* no checksum we can compute */
        /* A frame the TAP device refuses is lost as on a wire: the guest
         * is still told OKAY, only our counter knows. */
        if (p->status == NETIF_RSP_OKAY &&
            r->ops->tx_frame(r->arg, frame, p->len) == 0) {
            r->st.tx_packets++;
            r->st.tx_bytes += p->len;
        } else {
            r->st.tx_dropped++;
        }
        for (unsigned s = 0; s < p->nslots; s++) {
            const struct tx_slot *sl = &r->slots[p->first_slot + s];
            netif_tx_response_t *rsp =
                RING_GET_RESPONSE(&r->tx, r->tx.rsp_prod_pvt);
            rsp->id = sl->id;
            rsp->status = sl->extra ? NETIF_RSP_NULL : p->status;
            r->tx.rsp_prod_pvt++;
        }
    }
    return 0;
}

int nbr_tx(struct nbr *r, bool *notify, char *err, size_t errlen)
{
    *notify = false;
    for (;;) {
        RING_IDX prod = load_idx(&r->tx.sring->req_prod);
        int rc = check_prod("tx", prod, r->tx.rsp_prod_pvt, RING_SIZE(&r->tx),
                            err, errlen);
        if (rc < 0)
            return rc;
        unsigned npkt = 0, nslot = 0, nseg = 0;
        bool incomplete = false;
        while (npkt < TX_BATCH && r->tx.req_cons != prod) {
            struct tx_pkt *p = &r->pkts[npkt];
            rc = tx_parse(r, prod, p, nslot, nseg, err, errlen);
            if (rc < 0)
                return rc;
            if (rc == PKT_INCOMPLETE) {
                incomplete = true;
                break;
            }
            nslot += p->nslots;
            nseg += p->nsegs;
            npkt++;
        }
        if (npkt == 0) {
            RING_IDX want = (incomplete ? prod : r->tx.req_cons) + 1;
            if (!final_check(&r->tx.sring->req_event, &r->tx.sring->req_prod,
                             prod, want))
                return 0;
            continue;
        }
        rc = tx_finish(r, npkt, nseg);
        if (rc < 0)
            return rc;
        bool n;
        RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&r->tx, n);
        *notify |= n;
    }
}

/* ---- rx: TAP -> guest ---------------------------------------------------- */

/* Copies n frames into the guest's buffers and answers their requests, in
 * the slots of the requests. */
static int rx_finish(struct nbr *r, unsigned n)
{
    int rc = r->ops->copy(r->arg, r->segs, n);
    if (rc < 0)
        return rc;
    for (unsigned k = 0; k < n; k++) {
        const struct hv_gcopy *s = &r->segs[k];
        netif_rx_response_t *rsp =
            RING_GET_RESPONSE(&r->rx, r->rx.rsp_prod_pvt);
        rsp->id = r->rx_ids[k];
        rsp->offset = 0;
        rsp->flags = 0; /* checksums are in the frame: nothing to skip */
        if (s->status == 0) {
            rsp->status = (int16_t)s->len;
            r->st.rx_packets++;
            r->st.rx_bytes += s->len;
        } else {
            rsp->status = NETIF_RSP_ERROR;
            r->st.rx_dropped++;
        }
        r->rx.rsp_prod_pvt++;
    }
    return 0;
}

int nbr_rx(struct nbr *r, bool *notify, char *err, size_t errlen)
{
    *notify = false;
    for (;;) {
        RING_IDX prod = load_idx(&r->rx.sring->req_prod);
        int rc = check_prod("rx", prod, r->rx.rsp_prod_pvt, RING_SIZE(&r->rx),
                            err, errlen);
        if (rc < 0)
            return rc;
        unsigned n = 0;
        bool source_empty = false;
        while (n < RX_BATCH && r->rx.req_cons != prod) {
            uint8_t *buf = r->rxbuf + (size_t)n * r->rx_cap;
            ssize_t len = r->ops->rx_frame(r->arg, buf, r->rx_cap);
            if (len < 0)
                return (int)len; /* the callback wrote the message */
            if (len == 0) {
                source_empty = true;
                break;
            }
            /* One slot per frame: a longer one has nowhere to go. */
            if ((size_t)len > r->max_frame || (size_t)len > NBR_PAGE_SIZE) {
                r->st.rx_dropped++;
                continue;
            }
            netif_rx_request_t req;
            RING_COPY_REQUEST(&r->rx, r->rx.req_cons, &req);
            if (req.id >= RING_SIZE(&r->rx))
                return fail(err, errlen,
                            "netback: rx ring: request %u: id %u beyond the "
                            "ring's %u entries",
                            r->rx.req_cons, req.id, RING_SIZE(&r->rx));
            r->rx.req_cons++;
            r->rx_ids[n] = req.id;
            r->segs[n++] = (struct hv_gcopy){
                .to_guest = true,
                .ref = req.gref,
                .offset = 0,
                .len = (uint16_t)len,
                .local = buf,
            };
        }
        if (n > 0) {
            if ((rc = rx_finish(r, n)) < 0)
                return rc;
            bool ev;
            RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&r->rx, ev);
            *notify |= ev;
        }
        if (source_empty)
            return 0;
        if (n == RX_BATCH)
            continue;
        /* Out of posted buffers: ask for an event when the guest posts. */
        if (!final_check(&r->rx.sring->req_event, &r->rx.sring->req_prod, prod,
                         r->rx.req_cons + 1))
            return 0;
    }
}
