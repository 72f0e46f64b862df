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

#include <linux/virtio_net.h>

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
/* The tx buffer of a guest that took GSO: four packets of 64 KiB, or more
 * smaller ones, per batch (a guest without GSO gets TX_BATCH frames of
 * max_frame).  Packets are laid out one after the other, so the pages
 * touched are those a batch needed. */
#define TX_BUF_GSO (4u * 65536u)
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
    size_t off, len;             /* its frame, in nbr.txbuf */
    int16_t status; /* NETIF_RSP_OKAY, or ERROR: before or after copying */
    bool csum_blank;
    uint16_t gso_size; /* from a GSO extra: the MSS; 0 without */
};

/* The batch being built: what its packets use of nbr's arrays. */
struct tx_batch {
    unsigned npkt, nslot, nseg;
    size_t nbuf; /* bytes of txbuf */
};

struct nbr {
    netif_tx_back_ring_t tx;
    netif_rx_back_ring_t rx;
    size_t max_frame;  /* of a frame that is not GSO */
    uint32_t features; /* NOXS_NET_F_*, taken by the guest */
    const struct nbr_ops *ops;
    void *arg;
    struct netback_stats st;
    uint8_t *txbuf; /* the batch's frames, one after the other */
    size_t txbuf_size;
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

int nbr_new(void *tx_page, void *rx_page, size_t max_frame, uint32_t features,
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
    r->features = features;
    r->rx_cap = max_frame + 1; /* one more: a longer frame is seen */
    r->txbuf_size =
        features & NOXS_NET_F_GSO_TCPV4 ? TX_BUF_GSO : TX_BATCH * max_frame;
    r->txbuf = malloc(r->txbuf_size);
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

/* A packet taken into the batch, one that must wait for the guest to
 * publish the rest of it, or one for the next batch (the buffer is full):
 * nothing of the last two is consumed. */
enum { PKT_READY = 0, PKT_INCOMPLETE = 1, PKT_FULL = 2 };

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

/* A GSO extra: used only if the guest took GSO_TCPV4, for TCPv4 with a
 * sane MSS, once per packet; anything else drops the packet, since the
 * ring itself is intact. */
static void tx_gso(const struct nbr *r, struct tx_pkt *p,
                   const netif_extra_info_t *ex)
{
    if (!(r->features & NOXS_NET_F_GSO_TCPV4) || p->gso_size != 0 ||
        ex->u.gso.type != XEN_NETIF_GSO_TYPE_TCPV4 ||
        ex->u.gso.size < NBR_GSO_MIN_MSS)
        p->status = NETIF_RSP_ERROR;
    else
        p->gso_size = ex->u.gso.size;
}

static int tx_extra(const struct nbr *r, struct tx_pkt *p,
                    const netif_extra_info_t *ex, RING_IDX i, char *err,
                    size_t errlen)
{
    if (ex->type == XEN_NETIF_EXTRA_TYPE_NONE ||
        ex->type >= XEN_NETIF_EXTRA_TYPE_MAX)
        return fail(err, errlen,
                    "netback: tx ring: request %u: extra info of unknown "
                    "type %u",
                    i, ex->type);
    if (ex->type == XEN_NETIF_EXTRA_TYPE_GSO)
        tx_gso(r, p, ex);
    return 0; /* multicast and hash: nothing to do for a TAP device */
}

/* Takes the extra-info slots after the first request: from *i on. */
static int tx_extras(struct nbr *r, struct tx_pkt *p, RING_IDX *i,
                     RING_IDX prod, struct tx_slot *slots, unsigned *nslot,
                     char *err, size_t errlen)
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
        int rc = tx_extra(r, p, &ex, *i, err, errlen);
        if (rc < 0)
            return rc;
        more = ex.flags & XEN_NETIF_EXTRA_FLAG_MORE;
        slots[(*nslot)++] = (struct tx_slot){ .extra = true };
    }
    return PKT_READY;
}

/* Whether a packet may be sent at all, before its bytes are copied: the
 * offloads it uses were taken (a GSO packet's checksum is part of GSO),
 * and it fits what it may be (a frame of the MTU, a GSO packet of 64
 * KiB). */
static bool tx_allowed(const struct nbr *r, const struct tx_pkt *p)
{
    if (p->csum_blank && !p->gso_size && !(r->features & NOXS_NET_F_CSUM))
        return false;
    return p->len <= (p->gso_size ? XEN_NETIF_MAX_TX_SIZE : r->max_frame);
}

/* Checks a packet's sizes, and places it in the batch: its bytes in
 * txbuf, its copy segments in segs.  PKT_FULL when txbuf has no room
 * left for it. */
static int tx_layout(struct nbr *r, struct tx_pkt *p,
                     const netif_tx_request_t *req, unsigned nreq,
                     RING_IDX first, const struct tx_batch *b, char *err,
                     size_t errlen)
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
    p->off = b->nbuf;
    p->first_seg = b->nseg;
    p->nsegs = 0;
    if (p->status == NETIF_RSP_OKAY && !tx_allowed(r, p))
        p->status = NETIF_RSP_ERROR;
    if (p->status != NETIF_RSP_OKAY) {
        p->len = 0; /* nothing to copy: answered and dropped */
        return PKT_READY;
    }
    if (total > r->txbuf_size - b->nbuf)
        return PKT_FULL; /* never for the batch's first packet */
    uint8_t *buf = r->txbuf + p->off;
    size_t off = 0;
    for (unsigned j = 0; j < nreq; j++) {
        unsigned len = j == 0 ? len0 : req[j].size;
        if (len == 0)
            continue;
        r->segs[b->nseg + p->nsegs++] = (struct hv_gcopy){
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
 * Reads the packet at req_cons (requests up to prod) into the batch's
 * next packet, slots and segments.  PKT_INCOMPLETE or PKT_FULL (nothing
 * consumed) when the guest has not published all of it yet, or the batch
 * has no room for it.
 */
static int tx_parse(struct nbr *r, RING_IDX prod, struct tx_batch *b, char *err,
                    size_t errlen)
{
    RING_IDX first = r->tx.req_cons, i = first;
    netif_tx_request_t req[NBR_MAX_SLOTS];
    struct tx_pkt *p = &r->pkts[b->npkt];
    struct tx_slot *slots = r->slots + b->nslot;
    unsigned nreq = 0, n = 0;

    RING_COPY_REQUEST(&r->tx, i, &req[0]);
    int rc = tx_check_id(r, i, req[0].id, err, errlen);
    if (rc < 0)
        return rc;
    *p = (struct tx_pkt){
        .status = NETIF_RSP_OKAY,
        .csum_blank = req[0].flags & NETTXF_csum_blank,
    };
    slots[n++] = (struct tx_slot){ .id = req[0].id };
    nreq = 1;
    i++;
    if (req[0].flags & NETTXF_extra_info) {
        rc = tx_extras(r, p, &i, prod, slots, &n, err, errlen);
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
    rc = tx_layout(r, p, req, nreq, first, b, err, errlen);
    if (rc != PKT_READY)
        return rc;
    p->first_slot = b->nslot;
    p->nslots = n;
    b->npkt++;
    b->nslot += n;
    b->nseg += p->nsegs;
    b->nbuf += p->len;
    r->tx.req_cons = i;
    return PKT_READY;
}

/*
 * Header work for a checksum-offloaded or GSO packet, its bytes copied:
 * the virtio-net header tells the kernel to finish the checksum and, for
 * a GSO packet of more than one segment, to cut it.  Nothing the guest
 * says about its headers is trusted but their bytes: the offsets are
 * ours, the checksum field gets the pseudo-header sum.  A GSO packet is
 * checksum-offloaded whether or not it says csum_blank (as Linux's
 * netback: GSO needs the partial checksum).  OKAY or ERROR.
 */
static int16_t tx_offload(const struct nbr *r, struct tx_pkt *p, uint8_t *frame,
                          struct virtio_net_hdr *vh)
{
    struct nbr_l4 l4;
    if (nbr_csum_partial(frame, p->len, &l4) < 0)
        return NETIF_RSP_ERROR; /* no checksum the kernel could finish */
    p->len = l4.end;            /* the kernel would sum the padding */
    vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    vh->csum_start = (uint16_t)l4.start;
    vh->csum_offset = l4.field;
    if (p->gso_size == 0)
        return NETIF_RSP_OKAY;
    if (!l4.ipv4 || !l4.tcp)
        return NETIF_RSP_ERROR;
    /* One segment's worth: a plain frame, which must fit the MTU. */
    if (l4.end - l4.hdr_end <= p->gso_size)
        return p->len <= r->max_frame ? NETIF_RSP_OKAY : NETIF_RSP_ERROR;
    vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
    vh->gso_size = p->gso_size;
    vh->hdr_len = (uint16_t)l4.hdr_end;
    return NETIF_RSP_OKAY;
}

/* Copies the batch's packets out of the guest, delivers them, answers
 * every slot. */
static int tx_finish(struct nbr *r, const struct tx_batch *b)
{
    if (b->nseg > 0) {
        int rc = r->ops->copy(r->arg, r->segs, b->nseg);
        if (rc < 0)
            return rc; /* the callback wrote the message */
    }
    for (unsigned k = 0; k < b->npkt; k++) {
        struct tx_pkt *p = &r->pkts[k];
        for (unsigned s = 0; s < p->nsegs; s++)
            if (r->segs[p->first_seg + s].status != 0)
                p->status = NETIF_RSP_ERROR; /* a bad grant: dropped */
        uint8_t *frame = r->txbuf + p->off;
        struct virtio_net_hdr vh = { 0 };
        if (p->status == NETIF_RSP_OKAY && (p->csum_blank || p->gso_size))
            p->status = tx_offload(r, p, frame, &vh);
        /* A frame the TAP device refuses is lost as on a wire: the guest
         * is still told OKAY, only our counter knows. */
        if (p->status == NETIF_RSP_OKAY &&
            r->ops->tx_frame(r->arg, &vh, frame, p->len) == 0) {
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
        struct tx_batch b = { 0 };
        bool incomplete = false;
        while (b.npkt < TX_BATCH && r->tx.req_cons != prod) {
            rc = tx_parse(r, prod, &b, err, errlen);
            if (rc < 0)
                return rc;
            if (rc == PKT_INCOMPLETE)
                incomplete = true;
            if (rc != PKT_READY)
                break;
        }
        if (b.npkt == 0) {
            RING_IDX want = (incomplete ? prod : r->tx.req_cons) + 1;
            if (!final_check(&r->tx.sring->req_event, &r->tx.sring->req_prod,
                             prod, want))
                return 0;
            continue;
        }
        rc = tx_finish(r, &b);
        if (rc < 0)
            return rc;
        bool n;
        RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&r->tx, n);
        *notify |= n;
    }
}

/* ---- rx: TAP -> guest ---------------------------------------------------- */

/* Whether a frame from the TAP can go to the guest as it is, or once its
 * checksum is completed: the guest gets complete frames (flags 0).  The
 * TAP was asked for no offload, so the kernel should hand us no GSO frame
 * and no partial checksum; whatever it says is bounded anyway. */
static bool rx_complete(const struct virtio_net_hdr *vh, uint8_t *frame,
                        size_t len)
{
    if (vh->gso_type != VIRTIO_NET_HDR_GSO_NONE)
        return false;
    if (!(vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
        return true;
    return nbr_csum_complete(frame, len, vh->csum_start, vh->csum_offset) == 0;
}

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
            struct virtio_net_hdr vh = { 0 };
            ssize_t len = r->ops->rx_frame(r->arg, &vh, buf, r->rx_cap);
            if (len < 0)
                return (int)len; /* the callback wrote the message */
            if (len == 0) {
                source_empty = true;
                break;
            }
            /* One slot per frame: a longer one has nowhere to go. */
            if ((size_t)len > r->max_frame || (size_t)len > NBR_PAGE_SIZE ||
                !rx_complete(&vh, buf, (size_t)len)) {
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
