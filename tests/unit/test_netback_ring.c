/*
 * test_netback_ring.c - the network back end's ring logic
 * (libchaos/backend/netback_ring.c) on fake rings in plain memory, with a
 * fake grant table (pages indexed by grant reference), a fake TAP sink and
 * a fake TAP source (frames with their virtio-net headers).  Also
 * netback_csum.c, and the offloads: GSO and checksum-blank packets reach
 * the TAP whole, with the header that tells the kernel what to do.
 *
 * The rings are laid out here from netif.h's wire diagrams, not from
 * Xen's headers (which only the ring code may include): a layout mistake
 * on either side fails these tests.
 */
#include <check.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_net.h>

#include "backend/netback_csum.h"
#include "backend/netback_ring.h"
#include "check_run.h"
#include "noxs_abi.h"

/* ---- netif rings, from netif.h's diagrams -------------------------------- */

enum {
    TXF_CSUM_BLANK = 1,
    TXF_DATA_VALIDATED = 2,
    TXF_MORE_DATA = 4,
    TXF_EXTRA_INFO = 8,
    EXTRA_GSO = 1,
    EXTRA_MCAST_ADD = 2,
    EXTRA_HASH = 4,
    EXTRA_FLAG_MORE = 1,
    GSO_TCPV4 = 1,
    GSO_TCPV6 = 2,
    RSP_ERROR = -1,
    RSP_OKAY = 0,
    RSP_NULL = 1,
    RING = 256, /* entries of a one-page ring, tx (12 bytes) and rx (8) */
};

struct txreq {
    uint32_t gref;
    uint16_t offset, flags, id, size;
};
struct extra {
    uint8_t type, flags;
    uint8_t data[6];
};
union txent {
    struct txreq req;
    struct extra ex;
    struct {
        uint16_t id;
        int16_t status;
    } rsp;
};
struct rxreq {
    uint16_t id, pad;
    uint32_t gref;
};
struct rxrsp {
    uint16_t id, offset, flags;
    int16_t status;
};
union rxent {
    struct rxreq req;
    struct rxrsp rsp;
};
#define SRING_HEADER                                   \
    uint32_t req_prod, req_event, rsp_prod, rsp_event; \
    uint8_t pvt[4], pad[44]
struct txsring {
    SRING_HEADER;
    union txent ring[RING];
};
struct rxsring {
    SRING_HEADER;
    union rxent ring[RING];
};
_Static_assert(sizeof(union txent) == 12, "tx slot");
_Static_assert(sizeof(union rxent) == 8, "rx slot");
_Static_assert(offsetof(struct txsring, ring) == 64, "ring offset");
_Static_assert(sizeof(struct txsring) <= NBR_PAGE_SIZE, "tx page");
_Static_assert(sizeof(struct rxsring) <= NBR_PAGE_SIZE, "rx page");

/* ---- the fake world ---------------------------------------------------- */

#define NPAGES 128
#define MAX_FRAMES 8
#define MAX_FRAME_LEN 70000

static _Alignas(4096) uint8_t tx_page[NBR_PAGE_SIZE], rx_page[NBR_PAGE_SIZE];
static struct txsring *txs = (struct txsring *)tx_page;
static struct rxsring *rxs = (struct rxsring *)rx_page;
static uint8_t guest[NPAGES][NBR_PAGE_SIZE]; /* by grant reference */
static unsigned copy_calls;

static uint8_t *sink[MAX_FRAMES]; /* frames the "TAP" got */
static size_t sink_len[MAX_FRAMES];
static struct virtio_net_hdr sink_vh[MAX_FRAMES];
static unsigned nsink;
static int sink_rc; /* what the TAP says to a write */

static uint8_t *source[MAX_FRAMES]; /* frames waiting in the "TAP" */
static size_t source_len[MAX_FRAMES];
static struct virtio_net_hdr source_vh[MAX_FRAMES];
static unsigned nsource, source_next;

static int fake_copy(void *arg, struct hv_gcopy *segs, unsigned n)
{
    copy_calls++;
    for (unsigned i = 0; i < n; i++) {
        struct hv_gcopy *s = &segs[i];
        ck_assert_uint_le(s->offset + s->len, NBR_PAGE_SIZE);
        ck_assert_uint_gt(s->len, 0);
        if (s->ref >= NPAGES) {
            s->status = -4; /* GNTST_bad_gntref */
            continue;
        }
        uint8_t *g = guest[s->ref] + s->offset;
        memcpy(s->to_guest ? g : s->local, s->to_guest ? s->local : g, s->len);
        s->status = 0;
    }
    return 0;
}

static int fake_tx_frame(void *arg, const struct virtio_net_hdr *vh,
                         const void *frame, size_t len)
{
    if (sink_rc)
        return sink_rc;
    ck_assert_uint_lt(nsink, MAX_FRAMES);
    ck_assert_uint_le(len, MAX_FRAME_LEN);
    memcpy(sink[nsink], frame, len);
    sink_vh[nsink] = *vh;
    sink_len[nsink++] = len;
    return 0;
}

static ssize_t fake_rx_frame(void *arg, struct virtio_net_hdr *vh, void *buf,
                             size_t cap)
{
    if (source_next == nsource)
        return 0;
    size_t len = source_len[source_next];
    if (len > cap)
        len = cap; /* as a TAP read: truncated */
    *vh = source_vh[source_next];
    memcpy(buf, source[source_next++], len);
    return (ssize_t)len;
}

static const struct nbr_ops ops = {
    .copy = fake_copy,
    .tx_frame = fake_tx_frame,
    .rx_frame = fake_rx_frame,
};

static struct nbr *ring;
static char err[256];

/* What a front end that takes every offload takes (setup's default). */
#define FEAT_ALL                                            \
    (NOXS_NET_F_RX_COPY | NOXS_NET_F_SG | NOXS_NET_F_CSUM | \
     NOXS_NET_F_GSO_TCPV4)

static void attach(uint32_t features)
{
    ck_assert_int_eq(nbr_new(tx_page, rx_page, 1518, features, &ops, NULL,
                             &ring, err, sizeof(err)),
                     0);
}

/* As a front end's SHARED_RING_INIT, then the back end attaches. */
static void setup(void)
{
    memset(tx_page, 0, sizeof(tx_page));
    memset(rx_page, 0, sizeof(rx_page));
    txs->req_event = txs->rsp_event = 1;
    rxs->req_event = rxs->rsp_event = 1;
    for (unsigned p = 0; p < NPAGES; p++)
        for (unsigned b = 0; b < NBR_PAGE_SIZE; b++)
            guest[p][b] = (uint8_t)(p * 31 + b * 7);
    for (unsigned f = 0; f < MAX_FRAMES; f++) {
        if (!sink[f])
            sink[f] = malloc(MAX_FRAME_LEN);
        if (!source[f])
            source[f] = malloc(MAX_FRAME_LEN);
    }
    nsink = nsource = source_next = copy_calls = 0;
    memset(source_vh, 0, sizeof(source_vh));
    sink_rc = 0;
    err[0] = '\0';
    attach(FEAT_ALL);
}

static void teardown(void)
{
    nbr_free(ring);
    ring = NULL;
}

static void put_tx(unsigned idx, uint32_t gref, uint16_t offset, uint16_t flags,
                   uint16_t id, uint16_t size)
{
    txs->ring[idx % RING].req = (struct txreq){ gref, offset, flags, id, size };
}

static void put_extra(unsigned idx, uint8_t type, uint8_t flags)
{
    memset(&txs->ring[idx % RING], 0, sizeof(union txent));
    txs->ring[idx % RING].ex = (struct extra){ .type = type, .flags = flags };
}

static int run_tx(bool *notify)
{
    return nbr_tx(ring, notify, err, sizeof(err));
}

static void expect_proto(int rc, const char *needle)
{
    ck_assert_int_eq(rc, -EPROTO);
    ck_assert_msg(strstr(err, needle) != NULL, "message '%s' lacks '%s'", err,
                  needle);
}

/* ---- tx ---------------------------------------------------------------- */

START_TEST(test_tx_one_slot)
{
    put_tx(0, 10, 100, 0, 5, 60);
    txs->req_prod = 1;
    bool notify;
    ck_assert_int_eq(run_tx(&notify), 0);
    ck_assert(notify);
    ck_assert_uint_eq(nsink, 1);
    ck_assert_uint_eq(sink_len[0], 60);
    ck_assert_mem_eq(sink[0], guest[10] + 100, 60);
    /* A complete frame: nothing for the kernel to do. */
    static const struct virtio_net_hdr zero;
    ck_assert_mem_eq(&sink_vh[0], &zero, sizeof(zero));
    ck_assert_uint_eq(txs->rsp_prod, 1);
    ck_assert_uint_eq(txs->ring[0].rsp.id, 5);
    ck_assert_int_eq(txs->ring[0].rsp.status, RSP_OKAY);
    /* Idle: the guest is asked to notify at the next request. */
    ck_assert_uint_eq(txs->req_event, 2);
    struct netback_stats st;
    nbr_stats(ring, &st);
    ck_assert_uint_eq(st.tx_packets, 1);
    ck_assert_uint_eq(st.tx_bytes, 60);
    ck_assert_uint_eq(st.tx_dropped, 0);
    /* Nothing new: nothing happens, no event. */
    ck_assert_int_eq(run_tx(&notify), 0);
    ck_assert(!notify);
    ck_assert_uint_eq(nsink, 1);
}
END_TEST

START_TEST(test_tx_multi_slot_with_extra)
{
    /* 1400 bytes: 400 in the first slot (size = the total), an extra
     * (multicast: skipped), then 700 and 300. */
    put_tx(0, 10, 3000, TXF_MORE_DATA | TXF_EXTRA_INFO, 1, 1400);
    put_extra(1, EXTRA_MCAST_ADD, 0);
    put_tx(2, 11, 50, TXF_MORE_DATA, 2, 700);
    put_tx(3, 12, 3796, 0, 3, 300);
    txs->req_prod = 4;
    bool notify;
    ck_assert_int_eq(run_tx(&notify), 0);
    ck_assert_uint_eq(nsink, 1);
    ck_assert_uint_eq(sink_len[0], 1400);
    ck_assert_mem_eq(sink[0], guest[10] + 3000, 400);
    ck_assert_mem_eq(sink[0] + 400, guest[11] + 50, 700);
    ck_assert_mem_eq(sink[0] + 1100, guest[12] + 3796, 300);
    ck_assert_uint_eq(copy_calls, 1);
    ck_assert_uint_eq(txs->rsp_prod, 4);
    ck_assert_int_eq(txs->ring[0].rsp.status, RSP_OKAY);
    ck_assert_int_eq(txs->ring[1].rsp.status, RSP_NULL);
    ck_assert_uint_eq(txs->ring[2].rsp.id, 2);
    ck_assert_uint_eq(txs->ring[3].rsp.id, 3);
    ck_assert_int_eq(txs->ring[3].rsp.status, RSP_OKAY);
}
END_TEST

START_TEST(test_tx_batch_and_wrap)
{
    /* Start near the end of the index space: indices wrap. */
    teardown();
    txs->req_prod = txs->rsp_prod = 0xfffffffe;
    attach(FEAT_ALL);
    for (unsigned k = 0; k < 5; k++)
        put_tx(0xfffffffe + k, 20 + k, 0, 0, (uint16_t)k, 64);
    txs->req_prod = 0xfffffffe + 5;
    bool notify;
    ck_assert_int_eq(run_tx(&notify), 0);
    ck_assert_uint_eq(nsink, 5);
    for (unsigned k = 0; k < 5; k++)
        ck_assert_mem_eq(sink[k], guest[20 + k], 64);
    ck_assert_uint_eq(txs->rsp_prod, 3);
    ck_assert_uint_eq(copy_calls, 1); /* one batch */
}
END_TEST

START_TEST(test_tx_incomplete_packet_waits)
{
    put_tx(0, 10, 0, TXF_MORE_DATA, 1, 100);
    txs->req_prod = 1;
    bool notify;
    ck_assert_int_eq(run_tx(&notify), 0);
    ck_assert_uint_eq(nsink, 0);
    ck_assert_uint_eq(txs->rsp_prod, 0);
    /* The next event must come when more than what is there arrives. */
    ck_assert_uint_eq(txs->req_event, 2);
    put_tx(1, 11, 0, 0, 2, 40);
    txs->req_prod = 2;
    ck_assert_int_eq(run_tx(&notify), 0);
    ck_assert_uint_eq(nsink, 1);
    ck_assert_uint_eq(sink_len[0], 100);
    ck_assert_mem_eq(sink[0] + 60, guest[11], 40);
}
END_TEST

START_TEST(test_tx_dropped_packets_are_answered)
{
    put_tx(0, 999, 0, 0, 1, 60);  /* a grant that fails */
    put_tx(1, 10, 0, 0, 2, 2000); /* larger than the 1518 of an MTU */
    put_tx(2, 10, 0, 0, 3, 60);   /* fine, but the TAP refuses */
    txs->req_prod = 3;
    sink_rc = -EAGAIN;
    bool notify;
    ck_assert_int_eq(run_tx(&notify), 0);
    ck_assert_int_eq(txs->ring[0].rsp.status, RSP_ERROR);
    ck_assert_int_eq(txs->ring[1].rsp.status, RSP_ERROR);
    ck_assert_int_eq(txs->ring[2].rsp.status, RSP_OKAY); /* as a wire */
    struct netback_stats st;
    nbr_stats(ring, &st);
    ck_assert_uint_eq(st.tx_dropped, 3);
    ck_assert_uint_eq(st.tx_packets, 0);
}
END_TEST

static void fresh(void)
{
    teardown();
    setup();
}

START_TEST(test_tx_hostile)
{
    bool notify;

    txs->req_prod = RING + 1; /* far ahead of our responses */
    expect_proto(run_tx(&notify), "req_prod");
    txs->req_prod = 0u - 1; /* behind */
    expect_proto(run_tx(&notify), "req_prod");

    fresh();
    put_tx(0, 10, 4000, 0, 1, 200);
    txs->req_prod = 1;
    expect_proto(run_tx(&notify), "offset 4000 + size 200 crosses the page");

    fresh();
    put_tx(0, 10, 0, TXF_MORE_DATA, 1, 5000);
    put_tx(1, 11, 100, 0, 2, 4000);
    txs->req_prod = 2;
    expect_proto(run_tx(&notify), "request 1: offset 100 + size 4000");

    fresh();
    put_tx(0, 10, 0, 0, RING, 60);
    txs->req_prod = 1;
    expect_proto(run_tx(&notify), "id 256");

    fresh();
    put_tx(0, 10, 0, 0, 1, 0);
    txs->req_prod = 1;
    expect_proto(run_tx(&notify), "packet size 0");

    fresh();
    put_tx(0, 10, 0, TXF_MORE_DATA, 1, 100);
    put_tx(1, 11, 0, 0, 2, 200);
    txs->req_prod = 2;
    expect_proto(run_tx(&notify), "less than the 200 bytes");

    fresh();
    for (unsigned k = 0; k < NBR_MAX_SLOTS + 1; k++)
        put_tx(k, 10, 0, TXF_MORE_DATA, (uint16_t)k, 60);
    txs->req_prod = RING;
    expect_proto(run_tx(&notify), "more than 18 slots");

    static const struct {
        uint8_t type, flags;
        const char *needle;
    } extras[] = {
        { 0, 0, "unknown type 0" },
        { 5, 0, "unknown type 5" },
        { 0xff, EXTRA_FLAG_MORE, "unknown type 255" },
    };
    for (unsigned e = 0; e < sizeof(extras) / sizeof(extras[0]); e++) {
        fresh();
        put_tx(0, 10, 0, TXF_EXTRA_INFO, 1, 60);
        put_extra(1, extras[e].type, extras[e].flags);
        txs->req_prod = 2;
        expect_proto(run_tx(&notify), extras[e].needle);
    }
    fresh();
    put_tx(0, 10, 0, TXF_EXTRA_INFO, 1, 60);
    for (unsigned k = 1; k < 10; k++)
        put_extra(k, EXTRA_HASH, EXTRA_FLAG_MORE);
    txs->req_prod = 10;
    expect_proto(run_tx(&notify), "extra-info slots");
    ck_assert_uint_eq(nsink, 0);

    /* An attach to rings already inconsistent is refused too. */
    teardown();
    txs->req_prod = 5000;
    ck_assert_int_eq(nbr_new(tx_page, rx_page, 1518, FEAT_ALL, &ops, NULL,
                             &ring, err, sizeof(err)),
                     -EPROTO);
    ck_assert_ptr_null(ring);
    setup();
}
END_TEST

/* ---- rx ---------------------------------------------------------------- */

static void post_rx(unsigned idx, uint16_t id, uint32_t gref)
{
    rxs->ring[idx % RING].req = (struct rxreq){ .id = id, .gref = gref };
}

static void queue_frame(size_t len, uint8_t seed)
{
    ck_assert_uint_lt(nsource, MAX_FRAMES);
    for (size_t b = 0; b < len; b++)
        source[nsource][b] = (uint8_t)(seed + b * 13);
    source_len[nsource++] = len;
}

START_TEST(test_rx_fills_posted_buffers)
{
    post_rx(0, 7, 20);
    post_rx(1, 8, 21);
    post_rx(2, 9, 22);
    rxs->req_prod = 3;
    queue_frame(60, 1);
    queue_frame(1514, 2);
    bool notify;
    ck_assert_int_eq(nbr_rx(ring, &notify, err, sizeof(err)), 0);
    ck_assert(notify);
    ck_assert_uint_eq(rxs->rsp_prod, 2);
    const struct rxrsp *r0 = &rxs->ring[0].rsp, *r1 = &rxs->ring[1].rsp;
    ck_assert_uint_eq(r0->id, 7);
    ck_assert_uint_eq(r0->offset, 0);
    ck_assert_uint_eq(r0->flags, 0);
    ck_assert_int_eq(r0->status, 60);
    ck_assert_uint_eq(r1->id, 8);
    ck_assert_int_eq(r1->status, 1514);
    ck_assert_mem_eq(guest[20], source[0], 60);
    ck_assert_mem_eq(guest[21], source[1], 1514);
    ck_assert(nbr_rx_posted(ring));

    /* Two more frames, one buffer: the second waits in the TAP. */
    queue_frame(100, 3);
    queue_frame(100, 4);
    ck_assert_int_eq(nbr_rx(ring, &notify, err, sizeof(err)), 0);
    ck_assert_uint_eq(rxs->rsp_prod, 3);
    ck_assert_uint_eq(rxs->ring[2].rsp.id, 9);
    ck_assert_uint_eq(source_next, 3);
    ck_assert(!nbr_rx_posted(ring));
    ck_assert_uint_eq(rxs->req_event, 4); /* tell us when you post */
    struct netback_stats st;
    nbr_stats(ring, &st);
    ck_assert_uint_eq(st.rx_packets, 3);
    ck_assert_uint_eq(st.rx_bytes, 60 + 1514 + 100);
}
END_TEST

START_TEST(test_rx_drops_and_hostile)
{
    bool notify;
    /* A frame longer than the largest one, and a grant that fails. */
    post_rx(0, 1, 999);
    rxs->req_prod = 1;
    queue_frame(3000, 1);
    queue_frame(80, 2);
    ck_assert_int_eq(nbr_rx(ring, &notify, err, sizeof(err)), 0);
    ck_assert_uint_eq(rxs->rsp_prod, 1);
    ck_assert_int_eq(rxs->ring[0].rsp.status, RSP_ERROR);
    struct netback_stats st;
    nbr_stats(ring, &st);
    ck_assert_uint_eq(st.rx_dropped, 2);

    post_rx(1, RING + 3, 20);
    rxs->req_prod = 2;
    queue_frame(80, 3);
    expect_proto(nbr_rx(ring, &notify, err, sizeof(err)), "rx ring");
    ck_assert_msg(strstr(err, "id 259") != NULL, "%s", err);

    fresh();
    rxs->req_prod = 2 * RING;
    queue_frame(80, 3);
    expect_proto(nbr_rx(ring, &notify, err, sizeof(err)), "req_prod");
}
END_TEST

/* ---- checksums --------------------------------------------------------- */

static unsigned fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return s;
}

static uint32_t sum16(const uint8_t *p, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    return s;
}

static unsigned be16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

/* An Ethernet + IPv4 + UDP (or TCP) frame with payload bytes. */
static size_t ipv4_frame(uint8_t *f, uint8_t proto, size_t payload)
{
    size_t l4hdr = proto == 17 ? 8 : 20, l4len = l4hdr + payload;
    memset(f, 0, 14 + 20 + l4len);
    f[12] = 0x08;
    uint8_t *ip = f + 14;
    ip[0] = 0x45;
    ip[2] = (uint8_t)((20 + l4len) >> 8);
    ip[3] = (uint8_t)(20 + l4len);
    ip[6] = 0x40; /* DF: not a fragment */
    ip[8] = 64;
    ip[9] = proto;
    memcpy(ip + 12, (uint8_t[]){ 10, 0, 0, 1, 10, 0, 0, 2 }, 8);
    uint8_t *l4 = ip + 20;
    l4[1] = 80;
    l4[3] = 99;
    if (proto == 17) {
        l4[4] = (uint8_t)(l4len >> 8);
        l4[5] = (uint8_t)l4len;
    } else {
        l4[12] = 0x50; /* data offset: 5 words */
    }
    for (size_t b = 0; b < payload; b++)
        l4[l4hdr + b] = (uint8_t)(b * 7 + 3);
    l4[proto == 17 ? 6 : 16] = 0xde; /* garbage the guest left */
    return 14 + 20 + l4len;
}

/* The folded pseudo-header sum of an IPv4 frame (what CHECKSUM_PARTIAL
 * leaves in the checksum field). */
static unsigned pseudo4(const uint8_t *f)
{
    const uint8_t *ip = f + 14;
    return fold(sum16(ip + 12, 8) + ip[9] + be16(ip + 2) - 20);
}

/* A correct checksum makes the pseudo header plus segment sum to 0xffff. */
static void ck_ipv4_valid(const uint8_t *f, size_t len)
{
    const uint8_t *ip = f + 14;
    size_t l4len = len - 34;
    uint32_t s = sum16(ip + 12, 8) + ip[9] + (uint32_t)l4len;
    s += sum16(ip + 20, l4len);
    ck_assert_uint_eq(fold(s), 0xffff);
}

START_TEST(test_csum)
{
    static uint8_t f[2000];
    struct nbr_l4 l4;
    size_t len = ipv4_frame(f, 17, 101); /* odd length */
    ck_assert_int_eq(nbr_csum_partial(f, len, &l4), 0);
    ck_assert(l4.ipv4 && !l4.tcp);
    ck_assert_uint_eq(l4.start, 34);
    ck_assert_uint_eq(l4.end, len);
    ck_assert_uint_eq(l4.hdr_end, 42);
    ck_assert_uint_eq(l4.field, 6);
    ck_assert_uint_eq(be16(f + 40), pseudo4(f));
    ck_assert_int_eq(nbr_csum_complete(f, len, l4.start, l4.field), 0);
    ck_ipv4_valid(f, len);

    len = ipv4_frame(f, 6, 1000);
    f[34 + 12] = 0x80; /* 12 bytes of TCP options */
    ck_assert_int_eq(nbr_csum_partial(f, len, &l4), 0);
    ck_assert(l4.ipv4 && l4.tcp);
    ck_assert_uint_eq(l4.hdr_end, 34 + 32);
    ck_assert_uint_eq(l4.field, 16);
    ck_assert_uint_eq(be16(f + 50), pseudo4(f));
    ck_assert_int_eq(nbr_csum_complete(f, len, l4.start, l4.field), 0);
    ck_ipv4_valid(f, len);

    /* IPv6 TCP. */
    memset(f, 0, 200);
    f[12] = 0x86, f[13] = 0xdd;
    uint8_t *ip = f + 14;
    ip[0] = 0x60, ip[5] = 40, ip[6] = 6, ip[7] = 64;
    for (unsigned b = 0; b < 32; b++)
        ip[8 + b] = (uint8_t)(b * 5);
    ip[40 + 12] = 0x50;
    for (unsigned b = 20; b < 40; b++)
        ip[40 + b] = (uint8_t)b;
    ck_assert_int_eq(nbr_csum_partial(f, 14 + 40 + 40, &l4), 0);
    ck_assert(!l4.ipv4 && l4.tcp);
    ck_assert_uint_eq(l4.start, 54);
    ck_assert_int_eq(nbr_csum_complete(f, 14 + 40 + 40, 54, 16), 0);
    uint32_t s = sum16(ip + 8, 32) + 40 + 6 + sum16(ip + 40, 40);
    ck_assert_uint_eq(fold(s), 0xffff);

    /* What cannot be done. */
    len = ipv4_frame(f, 17, 10);
    ck_assert_int_eq(nbr_csum_partial(f, len - 1, &l4), -1); /* cut short */
    f[14 + 6] = 0x20;                                        /* a fragment */
    ck_assert_int_eq(nbr_csum_partial(f, len, &l4), -1);
    len = ipv4_frame(f, 1, 10); /* ICMP */
    ck_assert_int_eq(nbr_csum_partial(f, len, &l4), -1);
    len = ipv4_frame(f, 6, 10);
    f[34 + 12] = 0x40; /* a TCP header of 16 bytes */
    ck_assert_int_eq(nbr_csum_partial(f, len, &l4), -1);
    f[34 + 12] = 0x90; /* 36 bytes, beyond the segment's 30 */
    ck_assert_int_eq(nbr_csum_partial(f, len, &l4), -1);
    f[12] = 0x08, f[13] = 0x06; /* ARP */
    ck_assert_int_eq(nbr_csum_partial(f, 60, &l4), -1);
    ck_assert_int_eq(nbr_csum_partial(f, 10, &l4), -1);
    /* A field beyond the frame. */
    ck_assert_int_eq(nbr_csum_complete(f, 40, 34, 6), -1);
    ck_assert_int_eq(nbr_csum_complete(f, 40, 41, 0), -1);
    ck_assert_int_eq(nbr_csum_complete(f, 40, 0xffff, 0xffff), -1);
    ck_assert_int_eq(nbr_csum_complete(f, 42, 34, 6), 0);
}
END_TEST

/* ---- offloads ---------------------------------------------------------- */

/* A GSO extra-info slot (netif.h: u.gso = size, type, pad, features). */
static void put_gso(unsigned idx, uint8_t flags, uint16_t mss, uint8_t type)
{
    put_extra(idx, EXTRA_GSO, flags);
    struct extra *ex = &txs->ring[idx % RING].ex;
    memcpy(ex->data, &mss, 2);
    ex->data[2] = type;
}

struct gso {
    uint16_t mss;
    uint8_t type;
};

/*
 * Puts a packet on the tx ring from index idx on: frame's bytes scattered
 * over guest pages from pg on (the first slot at offset off0, each later
 * one a page from 0), the first slot with flags (and a GSO extra if g).
 * Ids are the ring indices.  Returns the next index.
 */
static unsigned put_packet(unsigned idx, unsigned pg, unsigned off0,
                           const uint8_t *f, size_t len, uint16_t flags,
                           const struct gso *g)
{
    size_t n = len < NBR_PAGE_SIZE - off0 ? len : NBR_PAGE_SIZE - off0;
    memcpy(guest[pg] + off0, f, n);
    flags |= (g ? TXF_EXTRA_INFO : 0) | (n < len ? TXF_MORE_DATA : 0);
    put_tx(idx, pg, (uint16_t)off0, flags, idx % RING, (uint16_t)len);
    idx++;
    if (g)
        put_gso(idx++, 0, g->mss, g->type);
    for (size_t done = n; done < len; done += n, idx++) {
        n = len - done < NBR_PAGE_SIZE ? len - done : NBR_PAGE_SIZE;
        ck_assert_uint_lt(++pg, NPAGES);
        memcpy(guest[pg], f + done, n);
        put_tx(idx, pg, 0, done + n < len ? TXF_MORE_DATA : 0, idx % RING,
               (uint16_t)n);
    }
    return idx;
}

#define GSO_FLAGS (TXF_CSUM_BLANK | TXF_DATA_VALIDATED)

static void ck_vh(unsigned k, uint8_t flags, uint8_t gso_type,
                  uint16_t gso_size, uint16_t hdr_len, uint16_t csum_start,
                  uint16_t csum_offset)
{
    const struct virtio_net_hdr *vh = &sink_vh[k];
    ck_assert_uint_eq(vh->flags, flags);
    ck_assert_uint_eq(vh->gso_type, gso_type);
    ck_assert_uint_eq(vh->gso_size, gso_size);
    ck_assert_uint_eq(vh->hdr_len, hdr_len);
    ck_assert_uint_eq(vh->csum_start, csum_start);
    ck_assert_uint_eq(vh->csum_offset, csum_offset);
}

START_TEST(test_tx_gso)
{
    /* 10054 bytes: 1096 in the first slot, a GSO extra, 4096, 4096, 766. */
    static uint8_t f[12000];
    size_t len = ipv4_frame(f, 6, 10000);
    unsigned end = put_packet(0, 30, 3000, f, len, GSO_FLAGS,
                              &(struct gso){ 1448, GSO_TCPV4 });
    ck_assert_uint_eq(end, 5);
    txs->req_prod = end;
    bool notify;
    ck_assert_int_eq(run_tx(&notify), 0);
    ck_assert_uint_eq(copy_calls, 1);
    ck_assert_uint_eq(nsink, 1);
    ck_assert_uint_eq(sink_len[0], len);
    ck_vh(0, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 1448, 54,
          34, 16);
    /* The frame as the guest wrote it, but the checksum field: the
     * pseudo-header sum, whatever the guest left there. */
    ck_assert_mem_eq(sink[0], f, 50);
    ck_assert_mem_eq(sink[0] + 52, f + 52, len - 52);
    ck_assert_uint_eq(be16(sink[0] + 50), pseudo4(f));
    /* Finished as the kernel would, it is right. */
    ck_assert_int_eq(nbr_csum_complete(sink[0], len, 34, 16), 0);
    ck_ipv4_valid(sink[0], len);
    ck_assert_uint_eq(txs->rsp_prod, 5);
    static const int16_t want[] = { RSP_OKAY, RSP_NULL, RSP_OKAY, RSP_OKAY,
                                    RSP_OKAY };
    for (unsigned k = 0; k < 5; k++) {
        if (want[k] != RSP_NULL) /* an extra's id means nothing */
            ck_assert_uint_eq(txs->ring[k].rsp.id, k);
        ck_assert_int_eq(txs->ring[k].rsp.status, want[k]);
    }
    struct netback_stats st;
    nbr_stats(ring, &st);
    ck_assert_uint_eq(st.tx_packets, 1);
    ck_assert_uint_eq(st.tx_bytes, len);
}
END_TEST

START_TEST(test_tx_gso_batches)
{
    /* Four packets of about 60 KiB fill a batch's buffer; the fifth and
     * one of the largest size (65535 bytes, 16 slots) go in a second. */
    static uint8_t f[65536];
    unsigned idx = 0;
    for (unsigned k = 0; k < 5; k++) {
        size_t len = ipv4_frame(f, 6, 60000);
        f[60] = (uint8_t)k;
        idx = put_packet(idx, 20 + 16 * k, 0, f, len, GSO_FLAGS,
                         &(struct gso){ 1460, GSO_TCPV4 });
    }
    size_t len = ipv4_frame(f, 6, 65535 - 54);
    ck_assert_uint_eq(len, 65535);
    idx = put_packet(idx, 20 + 16 * 5, 0, f, len, GSO_FLAGS,
                     &(struct gso){ 1460, GSO_TCPV4 });
    txs->req_prod = idx;
    bool notify;
    ck_assert_int_eq(run_tx(&notify), 0);
    for (unsigned k = 0; k < idx; k++)
        ck_assert_msg(txs->ring[k].rsp.status >= 0, "slot %u: %d", k,
                      txs->ring[k].rsp.status);
    ck_assert_uint_eq(copy_calls, 2);
    ck_assert_uint_eq(nsink, 6);
    for (unsigned k = 0; k < 5; k++) {
        ck_assert_uint_eq(sink_len[k], 60054);
        ck_assert_uint_eq(sink[k][60], k);
        ck_vh(k, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 1460,
              54, 34, 16);
    }
    ck_assert_uint_eq(sink_len[5], 65535);
    ck_assert_mem_eq(sink[5] + 52, f + 52, len - 52);
    ck_assert_uint_eq(txs->rsp_prod, idx);
    struct netback_stats st;
    nbr_stats(ring, &st);
    ck_assert_uint_eq(st.tx_dropped, 0);
}
END_TEST

START_TEST(test_tx_csum_blank)
{
    /* UDP with 10 bytes of Ethernet padding: the offsets are ours, the
     * padding goes (the kernel would sum it). */
    uint8_t *f = guest[30];
    size_t len = ipv4_frame(f, 17, 200);
    memset(f + len, 0xee, 10);
    put_tx(0, 30, 0, TXF_CSUM_BLANK, 1, (uint16_t)(len + 10));
    memset(guest[31], 0xaa, 60); /* not IP: cannot be completed */
    put_tx(1, 31, 0, TXF_CSUM_BLANK, 2, 60);
    /* IPv6 TCP, checksum-blank too. */
    uint8_t *g = guest[32];
    memset(g, 0, 200);
    g[12] = 0x86, g[13] = 0xdd;
    g[14] = 0x60, g[14 + 5] = 40, g[14 + 6] = 6;
    g[54 + 12] = 0x50;
    put_tx(2, 32, 0, TXF_CSUM_BLANK, 3, 94);
    txs->req_prod = 3;
    bool notify;
    ck_assert_int_eq(run_tx(&notify), 0);
    ck_assert_uint_eq(nsink, 2);
    ck_assert_uint_eq(sink_len[0], len);
    ck_vh(0, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_NONE, 0, 0, 34, 6);
    ck_assert_uint_eq(be16(sink[0] + 40), pseudo4(f));
    ck_assert_int_eq(nbr_csum_complete(sink[0], len, 34, 6), 0);
    ck_ipv4_valid(sink[0], len);
    ck_assert_int_eq(txs->ring[1].rsp.status, RSP_ERROR);
    ck_assert_uint_eq(sink_len[1], 94);
    ck_vh(1, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_NONE, 0, 0, 54,
          16);
}
END_TEST

START_TEST(test_tx_gso_refused)
{
    static uint8_t f[4000];
    unsigned idx = 0, first[16], n = 0;
    size_t tcp = ipv4_frame(f, 6, 3000);
    const struct gso ok = { 1448, GSO_TCPV4 };
    static const struct gso bad[] = {
        { 0, GSO_TCPV4 },
        { NBR_GSO_MIN_MSS - 1, GSO_TCPV4 },
        { 1448, GSO_TCPV6 },
        { 1448, 0 },
    };
    for (unsigned b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
        first[n++] = idx;
        idx = put_packet(idx, 10, 0, f, tcp, GSO_FLAGS, &bad[b]);
    }
    /* GSO of UDP, and of a frame too short for its headers. */
    static uint8_t u[4000];
    size_t udp = ipv4_frame(u, 17, 3000);
    first[n++] = idx;
    idx = put_packet(idx, 12, 0, u, udp, GSO_FLAGS, &ok);
    first[n++] = idx;
    idx = put_packet(idx, 14, 0, f, 50, GSO_FLAGS, &ok);
    /* Two GSO extras. */
    first[n++] = idx;
    put_tx(idx, 10, 0, GSO_FLAGS | TXF_EXTRA_INFO, (uint16_t)idx, 1000);
    idx++;
    put_gso(idx++, EXTRA_FLAG_MORE, 1448, GSO_TCPV4);
    put_gso(idx++, 0, 1448, GSO_TCPV4);
    /* Without GSO, more than the MTU. */
    first[n++] = idx;
    idx = put_packet(idx, 16, 0, f, tcp, TXF_CSUM_BLANK, NULL);
    unsigned refused = n;
    /* Fine: a GSO packet of one segment goes as a plain frame. */
    static uint8_t s[2000];
    size_t small = ipv4_frame(s, 6, 1000);
    first[n++] = idx;
    idx = put_packet(idx, 18, 0, s, small, GSO_FLAGS, &ok);
    txs->req_prod = idx;
    bool notify;
    ck_assert_int_eq(run_tx(&notify), 0);
    ck_assert_uint_eq(txs->rsp_prod, idx);
    for (unsigned k = 0; k < n; k++)
        ck_assert_msg(txs->ring[first[k]].rsp.status ==
                          (k < refused ? RSP_ERROR : RSP_OKAY),
                      "packet %u: status %d", k,
                      txs->ring[first[k]].rsp.status);
    ck_assert_uint_eq(nsink, 1);
    ck_assert_uint_eq(sink_len[0], small);
    ck_vh(0, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_NONE, 0, 0, 34,
          16);
    struct netback_stats st;
    nbr_stats(ring, &st);
    ck_assert_uint_eq(st.tx_dropped, refused);
    ck_assert_uint_eq(st.tx_packets, 1);

    /* More data slots than netif allows: the ring is broken. */
    fresh();
    idx = 0;
    put_tx(idx++, 10, 0, GSO_FLAGS | TXF_EXTRA_INFO | TXF_MORE_DATA, 0, 60000);
    put_gso(idx++, 0, 1448, GSO_TCPV4);
    for (unsigned k = 0; k < NBR_MAX_SLOTS; k++, idx++)
        put_tx(idx, 10, 0, TXF_MORE_DATA, (uint16_t)idx, 3000);
    txs->req_prod = idx;
    expect_proto(run_tx(&notify), "more than 18 slots");
    ck_assert_uint_eq(nsink, 0);
}
END_TEST

/* Offloads the guest did not take: its packet is answered ERROR. */
START_TEST(test_tx_offload_not_taken)
{
    static uint8_t f[4000], s[1000];
    size_t tcp = ipv4_frame(f, 6, 3000), small = ipv4_frame(s, 6, 900);
    const struct gso ok = { 1448, GSO_TCPV4 };
    static const struct {
        uint32_t features;
        int16_t csum, gso;
    } cases[] = {
        { NOXS_NET_F_RX_COPY, RSP_ERROR, RSP_ERROR },
        { NOXS_NET_F_RX_COPY | NOXS_NET_F_SG, RSP_ERROR, RSP_ERROR },
        { NOXS_NET_F_RX_COPY | NOXS_NET_F_CSUM, RSP_OKAY, RSP_ERROR },
        { NOXS_NET_F_RX_COPY | NOXS_NET_F_GSO_TCPV4, RSP_ERROR, RSP_OKAY },
    };
    for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        teardown();
        setup();
        teardown();
        attach(cases[c].features);
        unsigned idx = put_packet(0, 10, 0, s, small, TXF_CSUM_BLANK, NULL);
        unsigned gso = idx;
        idx = put_packet(idx, 20, 0, f, tcp, GSO_FLAGS, &ok);
        unsigned plain = idx;
        idx = put_packet(idx, 30, 0, s, small, 0, NULL);
        txs->req_prod = idx;
        bool notify;
        ck_assert_int_eq(run_tx(&notify), 0);
        ck_assert_int_eq(txs->ring[0].rsp.status, cases[c].csum);
        ck_assert_int_eq(txs->ring[gso].rsp.status, cases[c].gso);
        ck_assert_int_eq(txs->ring[plain].rsp.status, RSP_OKAY);
    }
}
END_TEST

START_TEST(test_rx_completes_checksums)
{
    /* A partial checksum (the kernel's NEEDS_CSUM) is finished here; a
     * header out of bounds or a GSO frame (never asked for) is dropped. */
    for (unsigned k = 0; k < 4; k++)
        post_rx(k, (uint16_t)k, 20 + k);
    rxs->req_prod = 4;
    static uint8_t f[200];
    size_t len = ipv4_frame(f, 17, 100);
    f[40] = (uint8_t)(pseudo4(f) >> 8), f[41] = (uint8_t)pseudo4(f);
    const struct virtio_net_hdr partial = {
        .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
        .csum_start = 34,
        .csum_offset = 6,
    };
    queue_frame(len, 0);
    memcpy(source[0], f, len);
    source_vh[0] = partial;
    queue_frame(len, 0);
    source_vh[1] = partial;
    source_vh[1].csum_start = (uint16_t)len;
    queue_frame(len, 0);
    source_vh[2].gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
    queue_frame(60, 9);
    source_vh[3].flags = VIRTIO_NET_HDR_F_DATA_VALID; /* nothing to do */
    bool notify;
    ck_assert_int_eq(nbr_rx(ring, &notify, err, sizeof(err)), 0);
    ck_assert_uint_eq(rxs->rsp_prod, 2);
    ck_assert_int_eq(rxs->ring[0].rsp.status, (int16_t)len);
    ck_assert_uint_eq(rxs->ring[0].rsp.flags, 0);
    ck_ipv4_valid(guest[20], len);
    ck_assert_int_eq(rxs->ring[1].rsp.status, 60);
    ck_assert_mem_eq(guest[21], source[3], 60);
    struct netback_stats st;
    nbr_stats(ring, &st);
    ck_assert_uint_eq(st.rx_dropped, 2);
    ck_assert_uint_eq(st.rx_packets, 2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("netback_ring");
    TCase *tc = tcase_create("rings");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_tx_one_slot);
    tcase_add_test(tc, test_tx_multi_slot_with_extra);
    tcase_add_test(tc, test_tx_batch_and_wrap);
    tcase_add_test(tc, test_tx_incomplete_packet_waits);
    tcase_add_test(tc, test_tx_dropped_packets_are_answered);
    tcase_add_test(tc, test_tx_hostile);
    tcase_add_test(tc, test_rx_fills_posted_buffers);
    tcase_add_test(tc, test_rx_drops_and_hostile);
    tcase_add_test(tc, test_csum);
    tcase_add_test(tc, test_tx_csum_blank);
    tcase_add_test(tc, test_tx_gso);
    tcase_add_test(tc, test_tx_gso_batches);
    tcase_add_test(tc, test_tx_gso_refused);
    tcase_add_test(tc, test_tx_offload_not_taken);
    tcase_add_test(tc, test_rx_completes_checksums);
    suite_add_tcase(s, tc);
    return check_run(s);
}
