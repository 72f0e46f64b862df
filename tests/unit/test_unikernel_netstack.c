/*
 * Unit tests: the unikernel's IP stack (unikernel/netstack.h) driven by
 * crafted frames: ARP, ICMP echo, UDP, a TCP exchange as an HTTP/1.0
 * client would make it, a long stream sent as the peer acknowledges it
 * (NETSTACK_TCP_WRITABLE), timers, and malformed frames, which must
 * produce no output (and, under ASan, no bad access).  Then the same
 * streams through a device with checksum offload and TSO, which cuts and
 * checksums what it gets as Linux's GSO would (tso_split), so that the
 * peer checks the segments that reach the wire.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "netstack.h"
#include "check_run.h"
#include "netstack_frames.h"

/* A full send buffer at the smallest MSS we accept from a peer (536
 * without the option) goes out at once. */
#define OUT_MAX (NETSTACK_TCP_SNDBUF_TSO / 536 + 8)

static struct frame out[OUT_MAX];
static unsigned n_out;
static struct netstack *ns;
/* The device takes this many frames per feed(), then drops them. */
static unsigned accept_max;
static unsigned n_dropped;
/* FNV-1a over every frame the device took, in order: a fingerprint of
 * what the stack sent.  The tests of the plain path (no offloads) pin it
 * to the value the stack produced before offloads existed: without them,
 * its output must stay byte for byte what it was. */
static uint64_t out_hash;

static void hash_frame(const uint8_t *b, size_t len)
{
    uint64_t h = out_hash ^ len;

    for (size_t i = 0; i < len; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    out_hash = h * 0x100000001b3ull;
}

/* The peer's side of a stream: our segments wait in a queue until it reads
 * them. */
#define QUEUE_MAX 256

static struct frame queue[QUEUE_MAX];
static unsigned q_head, q_tail;
/* The right edge of the peer's window as the stack knew it when each
 * queued segment left (the last ACK fed): a short segment must reach it
 * or end the stream. */
static uint32_t q_edge[QUEUE_MAX];
static uint32_t wnd_edge;

static int capture(void *arg, const void *frame, size_t len)
{
    (void)arg;
    ck_assert_uint_le(len, NETSTACK_FRAME_MAX);
    ck_assert_uint_ge(len, 60);
    if (n_out >= accept_max) {
        n_dropped++;
        return -1;
    }
    ck_assert_uint_lt(n_out, OUT_MAX);
    hash_frame(frame, len);
    memcpy(out[n_out].b, frame, len);
    out[n_out++].len = len;
    return 0;
}

/*
 * The fake device's offloads (0: a plain device, which never sees
 * output_tx) and what output_tx was given: for each frame (the first
 * TXS_MAX), its length and pieces, gso_size, and from its headers the IP
 * total length, the TCP checksum field, sequence number and flags.
 */
struct tx_rec {
    size_t len;
    unsigned parts;
    uint16_t gso_size, ip_total, check;
    uint32_t seq;
    uint8_t flags;
};

#define TXS_MAX 64

static unsigned offload;
static size_t tso_max;
static struct tx_rec txs[TXS_MAX];
static unsigned n_txs;

/* The folded pseudo-header sum of a TCP segment to the peer, not
 * complemented: what the checksum field must hold under CSUM. */
static uint16_t partial_sum(size_t tcp_len)
{
    return (uint16_t)~csum(pseudo(OUR_IP, PEER_IP, 6, tcp_len), NULL, 0);
}

/* output_tx: checks the frame, then puts the segments the device would
 * send in out[] (the whole frame counts as one against accept_max). */
static int capture_tx(void *arg, const struct netstack_tx *tx)
{
    static uint8_t b[NETSTACK_TSO_FRAME_MAX];
    const uint8_t *h = b + 14, *t = b + 34;
    size_t len = 0, total, n;

    (void)arg;
    ck_assert_uint_ne(offload & NETSTACK_OFFLOAD_CSUM, 0);
    ck_assert_uint_ge(tx->parts, 2); /* headers, data */
    ck_assert_uint_le(tx->parts, NETSTACK_TX_PARTS);
    for (unsigned i = 0; i < tx->parts; i++) {
        ck_assert_uint_gt(tx->part[i].len, 0);
        ck_assert_uint_le(tx->part[i].len, sizeof(b) - len);
        memcpy(b + len, tx->part[i].base, tx->part[i].len);
        len += tx->part[i].len;
    }
    ck_assert_uint_eq(len, tx->len);
    ck_assert_uint_ge(len, 60);
    ck_assert_uint_eq(tx->part[0].len, 14 + 20 + 20); /* the headers */
    ck_assert_mem_eq(b, peer_mac, 6);
    ck_assert_mem_eq(b + 6, our_mac, 6);
    ck_assert_uint_eq(rd16(b + 12), 0x0800);
    ck_assert_uint_eq(h[0], 0x45);
    ck_assert_uint_eq(csum(0, h, 20), 0);
    ck_assert_uint_eq(rd16(h + 6), 0x4000); /* DF */
    ck_assert_uint_eq(h[9], 6);
    ck_assert_uint_eq(rd32(h + 12), OUR_IP);
    ck_assert_uint_eq(rd32(h + 16), PEER_IP);
    total = rd16(h + 2);
    /* The IP total length covers the whole frame, but Ethernet padding. */
    ck_assert(14 + total == len || (len == 60 && 14 + total < 60));
    ck_assert_uint_gt(total, 40);
    ck_assert_uint_eq(rd16(t + 16), partial_sum(total - 20));
    if (tx->gso_size != 0) {
        ck_assert_uint_ne(offload & NETSTACK_OFFLOAD_TSO, 0);
        ck_assert_uint_gt(total - 40, tx->gso_size);
        ck_assert_uint_le(len, tso_max);
    } else {
        ck_assert_uint_le(len, NETSTACK_FRAME_MAX);
    }
    if (n_out >= accept_max) {
        n_dropped++;
        return -1;
    }
    if (n_txs < TXS_MAX)
        txs[n_txs] = (struct tx_rec){ .len = len,
                                      .parts = tx->parts,
                                      .gso_size = tx->gso_size,
                                      .ip_total = (uint16_t)total,
                                      .check = rd16(t + 16),
                                      .seq = rd32(t + 4),
                                      .flags = t[13] };
    n_txs++;
    n = tso_split(b, len, tx->gso_size, out + n_out, OUT_MAX - n_out);
    ck_assert_uint_gt(n, 0);
    for (size_t i = 0; i < n; i++)
        hash_frame(out[n_out + i].b, out[n_out + i].len);
    n_out += (unsigned)n;
    return 0;
}

/* Starts the stack again with a device that offers offloads. */
static void offload_setup(unsigned what, size_t max)
{
    struct netstack_config cfg = { .ip = OUR_IP,
                                   .prefix = 24,
                                   .iss_seed = 42,
                                   .output = capture,
                                   .offload = what,
                                   .tso_max = max,
                                   .output_tx = capture_tx };

    memcpy(cfg.mac, our_mac, 6);
    ck_assert_int_eq(netstack_init(ns, &cfg, 1000), 0);
    offload = what;
    tso_max = max < NETSTACK_TSO_FRAME_MAX ? max : NETSTACK_TSO_FRAME_MAX;
}

static void setup(void)
{
    struct netstack_config cfg = {
        .ip = OUR_IP, .prefix = 24, .iss_seed = 42, .output = capture
    };

    memcpy(cfg.mac, our_mac, 6);
    ns = calloc(1, sizeof(*ns));
    ck_assert_ptr_nonnull(ns);
    ck_assert_int_eq(netstack_init(ns, &cfg, 1000), 0);
    n_out = 0;
    accept_max = OUT_MAX;
    n_dropped = 0;
    out_hash = 0xcbf29ce484222325ull;
    q_head = q_tail = 0;
    offload = 0;
    n_txs = 0;
}

static void teardown(void)
{
    free(ns);
}

static void feed(const struct frame *f)
{
    n_out = 0;
    netstack_input(ns, f->b, f->len);
}

/* An IPv4 frame we sent to the peer: checks the headers and returns the
 * payload (its length in *len). */
static const uint8_t *ip_out(const struct frame *f, uint8_t proto, size_t *len)
{
    const uint8_t *h = f->b + 14;
    size_t total;

    ck_assert_mem_eq(f->b, peer_mac, 6);
    ck_assert_mem_eq(f->b + 6, our_mac, 6);
    ck_assert_uint_eq(rd16(f->b + 12), 0x0800);
    ck_assert_uint_eq(h[0], 0x45);
    ck_assert_uint_eq(csum(0, h, 20), 0);
    ck_assert_uint_eq(h[9], proto);
    ck_assert_uint_eq(rd32(h + 12), OUR_IP);
    ck_assert_uint_eq(rd32(h + 16), PEER_IP);
    total = rd16(h + 2);
    ck_assert_uint_le(14 + total, f->len);
    *len = total - 20;
    return h + 20;
}

struct seg {
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t mss;
    const uint8_t *data;
    size_t len;
};

static struct seg tcp_parse(const struct frame *f)
{
    struct seg s = { 0 };
    size_t len, hl;
    const uint8_t *t;

    t = ip_out(f, 6, &len);
    ck_assert_uint_eq(csum(pseudo(OUR_IP, PEER_IP, 6, len), t, len), 0);
    ck_assert_uint_eq(rd16(t), 80);
    ck_assert_uint_eq(rd16(t + 2), 40000);
    hl = (size_t)(t[12] >> 4) * 4;
    s.seq = rd32(t + 4);
    s.ack = rd32(t + 8);
    s.flags = t[13];
    if (hl == 24 && t[20] == 2)
        s.mss = rd16(t + 22);
    s.data = t + hl;
    s.len = len - hl;
    return s;
}

static struct seg tcp_out(unsigned i)
{
    ck_assert_uint_lt(i, n_out);
    return tcp_parse(&out[i]);
}

/* ---------------------------------------------------------------- ARP */

START_TEST(test_arp_reply)
{
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    struct frame f;
    const uint8_t *a = out[0].b + 14;

    arp(&f, 1, bcast, OUR_IP);
    feed(&f);
    ck_assert_uint_eq(n_out, 1);
    ck_assert_mem_eq(out[0].b, peer_mac, 6);
    ck_assert_uint_eq(rd16(out[0].b + 12), 0x0806);
    ck_assert_uint_eq(rd16(a + 6), 2);
    ck_assert_mem_eq(a + 8, our_mac, 6);
    ck_assert_uint_eq(rd32(a + 14), OUR_IP);
    ck_assert_mem_eq(a + 18, peer_mac, 6);
    ck_assert_uint_eq(rd32(a + 24), PEER_IP);

    arp(&f, 1, bcast, 0x0a000003); /* someone else */
    feed(&f);
    ck_assert_uint_eq(n_out, 0);
}
END_TEST

/* ---------------------------------------------------------------- ICMP */

START_TEST(test_icmp_echo)
{
    struct frame f;
    const uint8_t *m;
    size_t len;

    icmp_echo(&f, 0x77, 3, 56);
    feed(&f);
    ck_assert_uint_eq(n_out, 1);
    m = ip_out(&out[0], 1, &len);
    ck_assert_uint_eq(len, 64);
    ck_assert_uint_eq(m[0], 0);
    ck_assert_uint_eq(csum(0, m, len), 0);
    ck_assert_mem_eq(m + 4, f.b + 34 + 4, 60); /* id, seq, data */

    f.b[34 + 10] ^= 1; /* bad ICMP checksum */
    feed(&f);
    ck_assert_uint_eq(n_out, 0);
}
END_TEST

/* ---------------------------------------------------------------- UDP */

static void udp_echo(void *arg, struct netstack *n, uint32_t src_ip,
                     uint16_t src_port, uint16_t dst_port, const void *data,
                     size_t len)
{
    (void)arg;
    ck_assert_int_eq(
        netstack_udp_send(n, dst_port, src_ip, src_port, data, len), 0);
}

static void check_udp_reply(const struct frame *f, const char *text)
{
    size_t len;
    const uint8_t *u = ip_out(f, 17, &len);

    ck_assert_uint_eq(len, 8 + strlen(text));
    ck_assert_uint_eq(rd16(u), 7);
    ck_assert_uint_eq(rd16(u + 2), 5555);
    ck_assert_uint_eq(rd16(u + 4), len);
    ck_assert_uint_eq(csum(pseudo(OUR_IP, PEER_IP, 17, len), u, len), 0);
    ck_assert_mem_eq(u + 8, text, strlen(text));
}

START_TEST(test_udp_echo_known_peer)
{
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    struct frame f;

    ck_assert_int_eq(netstack_udp_bind(ns, 7, udp_echo, NULL), 0);
    ck_assert_int_eq(netstack_udp_bind(ns, 7, udp_echo, NULL), -1);
    arp(&f, 1, bcast, OUR_IP); /* the peer asks first: now we know it */
    feed(&f);
    udp(&f, 5555, 7, "hello", 5);
    feed(&f);
    ck_assert_uint_eq(n_out, 1);
    check_udp_reply(&out[0], "hello");

    udp(&f, 5555, 8, "hello", 5); /* nobody there */
    feed(&f);
    ck_assert_uint_eq(n_out, 0);
}
END_TEST

START_TEST(test_udp_echo_resolves)
{
    struct frame f;
    const uint8_t *a = out[0].b + 14;

    ck_assert_int_eq(netstack_udp_bind(ns, 7, udp_echo, NULL), 0);
    udp(&f, 5555, 7, "ping", 4);
    feed(&f);
    /* We do not know the peer's MAC: an ARP request, the datagram waits. */
    ck_assert_uint_eq(n_out, 1);
    ck_assert_uint_eq(rd16(out[0].b + 12), 0x0806);
    ck_assert_uint_eq(out[0].b[0], 0xff);
    ck_assert_uint_eq(rd16(a + 6), 1);
    ck_assert_uint_eq(rd32(a + 24), PEER_IP);
    ck_assert_uint_eq(netstack_next_timer(ns), 1000 + NETSTACK_ARP_RETRY_MS);

    n_out = 0;
    netstack_tick(ns, 2000); /* no answer: asked again */
    ck_assert_uint_eq(n_out, 1);
    ck_assert_uint_eq(rd16(out[0].b + 12), 0x0806);

    arp(&f, 2, our_mac, OUR_IP);
    feed(&f);
    ck_assert_uint_eq(n_out, 1);
    check_udp_reply(&out[0], "ping");
}
END_TEST

START_TEST(test_arp_gives_up)
{
    ck_assert_int_eq(netstack_udp_send(ns, 7, PEER_IP, 9, "x", 1), 0);
    ck_assert_uint_eq(n_out, 1);
    for (uint64_t t = 2000; t <= 10000; t += 1000)
        netstack_tick(ns, t);
    ck_assert_uint_eq(n_out, NETSTACK_ARP_TRIES);
    ck_assert_uint_eq(netstack_next_timer(ns), UINT64_MAX);
    /* Off-link without a gateway: unreachable. */
    ck_assert_int_eq(netstack_udp_send(ns, 7, 0x08080808, 9, "x", 1), -1);
}
END_TEST

/* ---------------------------------------------------------------- TCP */

struct http_state {
    char req[256];
    size_t len;
    unsigned opened, peer_closed, gone;
    size_t response_len;
};

static void http_fn(void *arg, struct netstack *n, struct netstack_tcp *c,
                    enum netstack_tcp_event ev, const void *data, size_t len)
{
    struct http_state *h = arg;
    static char page[1200];

    switch (ev) {
        case NETSTACK_TCP_OPEN:
            h->opened++;
            break;
        case NETSTACK_TCP_DATA:
            ck_assert_uint_le(h->len + len, sizeof(h->req));
            memcpy(h->req + h->len, data, len);
            h->len += len;
            if (h->len >= 4 &&
                memcmp(h->req + h->len - 4, "\r\n\r\n", 4) == 0) {
                for (size_t i = 0; i < sizeof(page); i++)
                    page[i] = (char)('a' + i % 26);
                ck_assert_uint_eq(
                    netstack_tcp_send(n, c, page, h->response_len),
                    h->response_len);
                netstack_tcp_close(n, c);
            }
            break;
        case NETSTACK_TCP_WRITABLE:
            break; /* the response fits the buffer */
        case NETSTACK_TCP_PEER_CLOSED:
            h->peer_closed++;
            break;
        case NETSTACK_TCP_GONE:
            h->gone++;
            break;
    }
}

static const char get[] = "GET / HTTP/1.0\r\n\r\n";

/* SYN -> SYN-ACK -> ACK to a listener fn; returns our ISS. */
static uint32_t handshake_to(netstack_tcp_fn *fn, void *arg, uint16_t mss)
{
    struct frame f;
    struct seg s;

    ck_assert_int_eq(netstack_tcp_listen(ns, 80, fn, arg), 0);
    tcp(&f, 40000, 80, 1000, 0, T_SYN, mss, NULL, 0);
    feed(&f);
    ck_assert_uint_eq(n_out, 1);
    s = tcp_out(0);
    ck_assert_uint_eq(s.flags, T_SYN | T_ACK);
    ck_assert_uint_eq(s.ack, 1001);
    ck_assert_uint_eq(s.mss, 1460);
    tcp(&f, 40000, 80, 1001, s.seq + 1, T_ACK, 0, NULL, 0);
    feed(&f);
    ck_assert_uint_eq(n_out, 0);
    return s.seq;
}

static uint32_t handshake(struct http_state *h, uint16_t mss)
{
    uint32_t iss = handshake_to(http_fn, h, mss);

    ck_assert_uint_eq(h->opened, 1);
    return iss;
}

START_TEST(test_tcp_get)
{
    struct http_state h = { .response_len = 1200 };
    uint32_t iss = handshake(&h, 536), next = 1001 + sizeof(get) - 1;
    size_t total = 0;
    struct frame f;
    unsigned i;

    tcp(&f, 40000, 80, 1001, iss + 1, T_ACK | T_PSH, 0, get, sizeof(get) - 1);
    feed(&f);
    ck_assert_uint_eq(h.len, sizeof(get) - 1);
    /* 1200 bytes at the peer's MSS of 536: three segments, FIN on the
     * last, each acknowledging the request. */
    ck_assert_uint_eq(n_out, 3);
    for (i = 0; i < 3; i++) {
        struct seg s = tcp_out(i);

        ck_assert_uint_eq(s.seq, iss + 1 + total);
        ck_assert_uint_eq(s.ack, next);
        ck_assert_uint_eq(s.len, i < 2 ? 536 : 128);
        ck_assert(!!(s.flags & T_FIN) == (i == 2));
        ck_assert_uint_eq(s.data[0], 'a' + total % 26);
        total += s.len;
    }
    /* The peer acknowledges everything and closes its side. */
    tcp(&f, 40000, 80, next, iss + 1 + 1200 + 1, T_ACK | T_FIN, 0, NULL, 0);
    feed(&f);
    ck_assert_uint_eq(n_out, 1);
    {
        struct seg s = tcp_out(0);

        ck_assert_uint_eq(s.flags, T_ACK);
        ck_assert_uint_eq(s.ack, next + 1);
    }
    ck_assert_uint_eq(h.peer_closed, 1);
    ck_assert_uint_eq(h.gone, 0);
    /* TIME_WAIT is short. */
    ck_assert_uint_eq(netstack_next_timer(ns),
                      1000 + NETSTACK_TCP_TIME_WAIT_MS);
    n_out = 0;
    netstack_tick(ns, 1000 + NETSTACK_TCP_TIME_WAIT_MS);
    ck_assert_uint_eq(h.gone, 1);
    ck_assert_uint_eq(n_out, 0);
    ck_assert_uint_eq(netstack_next_timer(ns), UINT64_MAX);
    ck_assert_uint_eq(out_hash, 0x02ebcbed43480a04ull);
}
END_TEST

/* A restored guest given another MAC and address: it announces them
 * (a gratuitous ARP), answers ARP for the new address only, and ends the
 * connections of the old address (not those of an address kept). */
START_TEST(test_readdress_announces)
{
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    static const uint8_t new_mac[6] = { 0x00, 0x16, 0x3e, 0xaa, 0x00, 0x01 };
    const uint32_t new_ip = 0x0a000009; /* 10.0.0.9 */
    struct http_state h = { .response_len = 10 };
    const uint8_t *a = out[0].b + 14;
    struct frame f;

    handshake(&h, 536);
    ck_assert_int_eq(netstack_readdress(ns, new_mac, 0, 24), -1);
    ck_assert_int_eq(netstack_readdress(ns, new_mac, new_ip, 33), -1);
    /* Another MAC, the same address: the connection stays. */
    n_out = 0;
    ck_assert_int_eq(netstack_readdress(ns, new_mac, OUR_IP, 24), 0);
    ck_assert_uint_eq(h.gone, 0);
    ck_assert_uint_eq(n_out, 1);
    n_out = 0;
    ck_assert_int_eq(netstack_readdress(ns, new_mac, new_ip, 24), 0);
    ck_assert_uint_eq(h.gone, 1);
    ck_assert_uint_eq(n_out, 1);
    ck_assert_mem_eq(out[0].b, bcast, 6);
    ck_assert_mem_eq(out[0].b + 6, new_mac, 6);
    ck_assert_uint_eq(rd16(out[0].b + 12), 0x0806);
    ck_assert_uint_eq(rd16(a + 6), 1);
    ck_assert_mem_eq(a + 8, new_mac, 6);
    ck_assert_uint_eq(rd32(a + 14), new_ip);
    ck_assert_uint_eq(rd32(a + 24), new_ip);

    arp(&f, 1, bcast, OUR_IP); /* the old address: not ours any more */
    feed(&f);
    ck_assert_uint_eq(n_out, 0);
    arp(&f, 1, bcast, new_ip);
    feed(&f);
    ck_assert_uint_eq(n_out, 1);
    ck_assert_mem_eq(a + 8, new_mac, 6);
    ck_assert_uint_eq(rd32(a + 14), new_ip);
}
END_TEST

START_TEST(test_tcp_peer_closes_first)
{
    struct http_state h = { .response_len = 10 };
    uint32_t iss = handshake(&h, 0);
    uint32_t next = 1001 + sizeof(get) - 1;
    struct frame f;
    struct seg s;

    /* Request and FIN together: the response (one segment, MSS 536 by
     * default) carries our FIN and acknowledges theirs: what callbacks
     * send goes out when the segment has been handled. */
    tcp(&f, 40000, 80, 1001, iss + 1, T_ACK | T_PSH | T_FIN, 0, get,
        sizeof(get) - 1);
    feed(&f);
    ck_assert_uint_eq(h.peer_closed, 1);
    ck_assert_uint_eq(n_out, 1);
    s = tcp_out(0);
    ck_assert_uint_eq(s.flags, T_ACK | T_PSH | T_FIN);
    ck_assert_uint_eq(s.len, 10);
    ck_assert_uint_eq(s.ack, next + 1);
    /* LAST_ACK: their ACK of our FIN ends it at once. */
    tcp(&f, 40000, 80, next + 1, iss + 1 + 10 + 1, T_ACK, 0, NULL, 0);
    feed(&f);
    ck_assert_uint_eq(n_out, 0);
    ck_assert_uint_eq(h.gone, 1);
    ck_assert_uint_eq(netstack_next_timer(ns), UINT64_MAX);
    ck_assert_uint_eq(out_hash, 0xfcc1da1ac6539ed4ull);
}
END_TEST

START_TEST(test_tcp_retransmit)
{
    struct http_state h = { .response_len = 100 };
    struct frame f;
    struct seg s;
    uint32_t iss;

    ck_assert_int_eq(netstack_tcp_listen(ns, 80, http_fn, &h), 0);
    tcp(&f, 40000, 80, 1000, 0, T_SYN, 1460, NULL, 0);
    feed(&f);
    iss = tcp_out(0).seq;
    /* The SYN-ACK is lost: sent again after the RTO. */
    n_out = 0;
    netstack_tick(ns, 1000 + NETSTACK_TCP_RTO_MS);
    ck_assert_uint_eq(n_out, 1);
    s = tcp_out(0);
    ck_assert_uint_eq(s.flags, T_SYN | T_ACK);
    ck_assert_uint_eq(s.seq, iss);
    /* Established, request, response lost: the data comes again. */
    tcp(&f, 40000, 80, 1001, iss + 1, T_ACK | T_PSH, 0, get, sizeof(get) - 1);
    feed(&f);
    ck_assert_uint_eq(h.opened, 1);
    ck_assert_uint_eq(n_out, 1);
    n_out = 0;
    netstack_tick(ns, netstack_next_timer(ns));
    ck_assert_uint_eq(n_out, 1);
    s = tcp_out(0);
    ck_assert_uint_eq(s.seq, iss + 1);
    ck_assert_uint_eq(s.len, 100);
    ck_assert_uint_eq(s.flags & T_FIN, T_FIN);
    /* Nobody answers: after the retries, a reset and the end. */
    for (unsigned i = 0; i < 20 && h.gone == 0; i++)
        netstack_tick(ns, netstack_next_timer(ns));
    ck_assert_uint_eq(h.gone, 1);
    ck_assert_uint_eq(tcp_out(n_out - 1).flags & T_RST, T_RST);
    ck_assert_uint_eq(out_hash, 0xfb6ea71f4220cb4full);
}
END_TEST

START_TEST(test_tcp_resets)
{
    struct http_state h = { 0 };
    struct frame f;
    struct seg s;

    ck_assert_int_eq(netstack_tcp_listen(ns, 80, http_fn, &h), 0);
    /* An ACK for no connection: RST with its ack as our seq. */
    tcp(&f, 40000, 80, 5000, 777, T_ACK, 0, NULL, 0);
    feed(&f);
    ck_assert_uint_eq(n_out, 1);
    s = tcp_out(0);
    ck_assert_uint_eq(s.flags, T_RST);
    ck_assert_uint_eq(s.seq, 777);
    /* A SYN to a closed port: RST+ACK. */
    tcp(&f, 40000, 81, 5000, 0, T_SYN, 0, NULL, 0);
    feed(&f);
    ck_assert_uint_eq(n_out, 1);
    ck_assert_uint_eq(out[0].b[34 + 13], T_RST | T_ACK);
    ck_assert_uint_eq(rd32(out[0].b + 34 + 8), 5001);
    /* A RST for no connection: silence. */
    tcp(&f, 40000, 80, 5000, 0, T_RST, 0, NULL, 0);
    feed(&f);
    ck_assert_uint_eq(n_out, 0);
}
END_TEST

START_TEST(test_tcp_out_of_order_and_full)
{
    struct http_state h = { .response_len = 10 };
    uint32_t iss = handshake(&h, 0);
    struct frame f;

    /* Data beyond rcv_nxt: not taken, duplicate ACK. */
    tcp(&f, 40000, 80, 1005, iss + 1, T_ACK, 0, "xx", 2);
    feed(&f);
    ck_assert_uint_eq(h.len, 0);
    ck_assert_uint_eq(n_out, 1);
    ck_assert_uint_eq(tcp_out(0).ack, 1001);
    /* The slots fill up; one more SYN is ignored (no RST either). */
    for (uint16_t p = 1; p < NETSTACK_TCP_CONNS; p++) {
        tcp(&f, 40000 + p, 80, 1000, 0, T_SYN, 0, NULL, 0);
        feed(&f);
        ck_assert_uint_eq(n_out, 1);
    }
    tcp(&f, 50000, 80, 1000, 0, T_SYN, 0, NULL, 0);
    feed(&f);
    ck_assert_uint_eq(n_out, 0);
    /* Idle connections are dropped eventually. */
    netstack_tick(ns, 1000 + NETSTACK_TCP_IDLE_MS);
    ck_assert_uint_eq(h.gone, 1);
    ck_assert_uint_eq(out_hash, 0xaf83de05701ecc48ull);
}
END_TEST

/* ---------------------------------------------------------------- streams */

/* An application that answers any data with `total` bytes of
 * stream_byte(), handed over as the send buffer makes room, then closes. */
struct stream_state {
    size_t total, queued;
    bool started, closed;
    unsigned writable, gone;
};

static uint8_t stream_byte(size_t i)
{
    return (uint8_t)(i ^ i >> 8 ^ i >> 16);
}

static void stream_fill(struct netstack *n, struct netstack_tcp *c,
                        struct stream_state *st)
{
    /* An odd size, so that the ring wraps in the middle of a piece. */
    uint8_t piece[3001];

    while (st->queued < st->total) {
        size_t len = st->total - st->queued, took;

        if (len > sizeof(piece))
            len = sizeof(piece);
        for (size_t i = 0; i < len; i++)
            piece[i] = stream_byte(st->queued + i);
        took = netstack_tcp_send(n, c, piece, len);
        st->queued += took;
        if (took < len)
            return;
    }
    st->closed = true;
    netstack_tcp_close(n, c);
}

static void stream_fn(void *arg, struct netstack *n, struct netstack_tcp *c,
                      enum netstack_tcp_event ev, const void *data, size_t len)
{
    struct stream_state *st = arg;

    (void)data;
    (void)len;
    switch (ev) {
        case NETSTACK_TCP_OPEN:
        case NETSTACK_TCP_PEER_CLOSED:
            break;
        case NETSTACK_TCP_DATA:
            if (!st->started) {
                st->started = true;
                stream_fill(n, c, st);
            }
            break;
        case NETSTACK_TCP_WRITABLE:
            ck_assert(st->started);
            ck_assert(!st->closed); /* not after netstack_tcp_close */
            st->writable++;
            stream_fill(n, c, st);
            break;
        case NETSTACK_TCP_GONE:
            st->gone++;
            break;
    }
}

struct peer {
    uint32_t iss;   /* ours */
    uint32_t seq;   /* the peer's next sequence number */
    uint32_t rcv;   /* the next one it expects from us */
    uint32_t acked; /* the last ACK it sent */
    uint16_t wnd, mss;
    unsigned ack_every; /* segments per ACK (or when the queue is empty) */
    unsigned acks;
    bool fin;
};

static void queue_out(void)
{
    for (unsigned i = 0; i < n_out; i++) {
        ck_assert_uint_lt(q_tail - q_head, QUEUE_MAX);
        q_edge[q_tail % QUEUE_MAX] = wnd_edge;
        queue[q_tail++ % QUEUE_MAX] = out[i];
    }
    n_out = 0;
}

/* A segment from the peer, with its window. */
static void peer_send(struct peer *p, uint8_t flags, const void *data,
                      size_t len)
{
    struct frame f;

    tcp(&f, 40000, 80, p->seq, p->rcv, flags, 0, data, len);
    wr16(f.b + 34 + 14, p->wnd);
    tcp_fix(&f);
    p->seq += (uint32_t)len;
    p->acked = p->rcv;
    wnd_edge = p->acked + p->wnd;
    feed(&f);
    queue_out();
}

/* Reads our segments until our FIN, acknowledging as told: each must come
 * in order (no retransmission), within the window and the MSS, holding
 * stream_byte() of its offset.  Returns the stream's length. */
static size_t peer_receive(struct peer *p)
{
    unsigned unacked = 0;

    while (!p->fin) {
        struct seg s;
        size_t off;
        uint32_t edge;

        ck_assert_msg(q_head != q_tail, "the stream stalled after %u bytes",
                      p->rcv - p->iss - 1);
        edge = q_edge[q_head % QUEUE_MAX];
        s = tcp_parse(&queue[q_head++ % QUEUE_MAX]);
        off = p->rcv - p->iss - 1;
        ck_assert_uint_eq(s.seq, p->rcv);
        ck_assert_uint_eq(s.ack, p->seq);
        ck_assert_uint_le(s.len, p->mss);
        ck_assert_uint_le((uint32_t)(s.seq + s.len - p->acked), p->wnd);
        for (size_t i = 0; i < s.len; i++)
            ck_assert_msg(s.data[i] == stream_byte(off + i),
                          "byte %zu is wrong", off + i);
        /* No runts: a short segment ends the stream or fills the
         * window (with TSO too: the device cuts whole MSS). */
        ck_assert_msg(s.len == p->mss || (s.flags & T_FIN) ||
                          s.seq + (uint32_t)s.len == edge,
                      "a runt of %zu bytes at %zu", s.len, off);
        p->rcv += (uint32_t)s.len;
        if (s.flags & T_FIN) {
            p->fin = true;
            p->rcv++;
        }
        if (++unacked >= p->ack_every || p->fin || q_head == q_tail) {
            p->acks++;
            unacked = 0;
            peer_send(p, T_ACK, NULL, 0);
        }
    }
    ck_assert_uint_eq(q_head, q_tail); /* nothing after the FIN */
    return p->rcv - p->iss - 2;
}

START_TEST(test_tcp_writable)
{
    struct stream_state st = { .total = 3 * NETSTACK_TCP_SNDBUF + 7 };
    struct peer p = { .seq = 1001, .wnd = 65535, .mss = 1460, .ack_every = 2 };
    size_t sent, unsent;

    p.iss = handshake_to(stream_fn, &st, 1460);
    p.rcv = p.acked = p.iss + 1;
    peer_send(&p, T_ACK | T_PSH, get, sizeof(get) - 1);
    /* The buffer is full; only full-size segments go out: its short tail
     * waits for the application's next bytes. */
    ck_assert_uint_eq(st.queued, NETSTACK_TCP_SNDBUF);
    ck_assert_uint_eq(q_tail, NETSTACK_TCP_SNDBUF / 1460);
    sent = q_tail * 1460;
    for (unsigned i = 0; i < q_tail; i++) {
        struct seg s = tcp_parse(&queue[i]);

        ck_assert_uint_eq(s.seq, p.iss + 1 + i * 1460);
        ck_assert_uint_eq(s.len, 1460);
    }
    /* An ACK that frees nothing raises nothing. */
    peer_send(&p, T_ACK, NULL, 0);
    ck_assert_uint_eq(st.writable, 0);
    ck_assert_uint_eq(q_tail, sent / 1460);
    /* The first two segments acknowledged: the event, the application
     * fills the room, the stack sends it with the held tail. */
    p.rcv += 2 * 1460;
    peer_send(&p, T_ACK, NULL, 0);
    ck_assert_uint_eq(st.writable, 1);
    ck_assert_uint_eq(st.queued, NETSTACK_TCP_SNDBUF + 2 * 1460);
    unsent = NETSTACK_TCP_SNDBUF - (sent - 2 * 1460);
    ck_assert_uint_eq(q_tail - sent / 1460, unsent / 1460);
    /* The peer reads everything from the start. */
    q_head = 0;
    p.rcv = p.acked = p.iss + 1;
    ck_assert_uint_eq(peer_receive(&p), st.total);
    ck_assert_uint_eq(st.queued, st.total);
    ck_assert(st.closed);
    ck_assert_uint_gt(st.writable, 3);
    ck_assert_uint_eq(st.gone, 0);
    ck_assert_uint_eq(n_dropped, 0);
    ck_assert_uint_eq(out_hash, 0x31effdc1fadde493ull);
}
END_TEST

/* Long streams against different peers and devices. */
static const struct stream_case {
    uint16_t wnd, mss;
    unsigned ack_every, accept_max;
    uint64_t golden; /* out_hash */
} stream_cases[] = {
    /* a typical peer (delayed ACKs) */
    { 65535, 1460, 2, OUT_MAX, 0xbc5bd8e600f859e0ull },
    /* acknowledges what it has, at once */
    { 65535, 1460, 1000, OUT_MAX, 0xbc5bd8e600f859e0ull },
    /* a small window */
    { 5000, 1460, 1, OUT_MAX, 0x266a3ed58b8bd3d2ull },
    /* no MSS option */
    { 65535, 536, 3, OUT_MAX, 0x4121d645ce6ef627ull },
    /* a device that takes 3 frames at a time */
    { 65535, 1460, 2, 3, 0xc49698d2de769cdcull },
};

#define N_STREAM_CASES (sizeof(stream_cases) / sizeof(stream_cases[0]))

/* A stream of 300001 bytes to peer k, through the device set up. */
static void run_stream(const struct stream_case *k)
{
    struct stream_state st = { .total = 300001 };
    struct peer p = {
        .seq = 1001, .wnd = k->wnd, .mss = k->mss, .ack_every = k->ack_every
    };

    p.iss = handshake_to(stream_fn, &st, k->mss == 536 ? 0 : k->mss);
    p.rcv = p.acked = p.iss + 1;
    accept_max = k->accept_max;
    peer_send(&p, T_ACK | T_PSH, get, sizeof(get) - 1);
    ck_assert_uint_eq(peer_receive(&p), st.total);
    ck_assert(st.closed);
    ck_assert_uint_gt(st.writable, 0);
    ck_assert_uint_ge(p.acks, st.total / k->wnd);
    /* The peer closes too: TIME_WAIT, then the end. */
    peer_send(&p, T_ACK | T_FIN, NULL, 0);
    ck_assert_uint_eq(q_tail - q_head, 1);
    netstack_tick(ns, 1000 + NETSTACK_TCP_TIME_WAIT_MS);
    ck_assert_uint_eq(st.gone, 1);
}

START_TEST(test_tcp_stream)
{
    const struct stream_case *k = &stream_cases[_i];

    run_stream(k);
    ck_assert_uint_eq(n_dropped > 0, k->accept_max < OUT_MAX);
    ck_assert_uint_eq(out_hash, k->golden);
}
END_TEST

/* ---------------------------------------------------------------- offloads */

static const struct offload_case {
    unsigned offload;
    size_t tso_max;
} offload_cases[] = {
    { NETSTACK_OFFLOAD_CSUM, 0 },
    { NETSTACK_OFFLOAD_CSUM | NETSTACK_OFFLOAD_TSO, 65535 },
    { NETSTACK_OFFLOAD_CSUM | NETSTACK_OFFLOAD_TSO, 1000000 }, /* cut */
    { NETSTACK_OFFLOAD_CSUM | NETSTACK_OFFLOAD_TSO, 10000 },
    { NETSTACK_OFFLOAD_CSUM | NETSTACK_OFFLOAD_TSO, NETSTACK_FRAME_MAX },
};

/* The streams again, through each device with offloads.  With checksum
 * offload alone the segments on the wire are the plain stack's, byte for
 * byte; with TSO every frame holds whole MSS (but where the window or
 * the data ends) up to tso_max, and the peer checks the stream. */
START_TEST(test_tcp_stream_offload)
{
    const struct stream_case *k = &stream_cases[_i % N_STREAM_CASES];
    const struct offload_case *o = &offload_cases[_i / N_STREAM_CASES];
    size_t seg_max;

    offload_setup(o->offload, o->tso_max);
    run_stream(k);
    ck_assert_uint_gt(n_txs, 0);
    if (k->accept_max == OUT_MAX)
        ck_assert_uint_eq(n_dropped, 0);
    if (!(o->offload & NETSTACK_OFFLOAD_TSO)) {
        ck_assert_uint_eq(out_hash, k->golden);
        ck_assert_uint_eq(n_dropped > 0, k->accept_max < OUT_MAX);
        return;
    }
    seg_max = (tso_max - 54) / k->mss * k->mss;
    for (unsigned i = 0; i < n_txs && i < TXS_MAX; i++) {
        const struct tx_rec *r = &txs[i];
        size_t data = r->ip_total - 40u;

        ck_assert_uint_le(r->len, tso_max);
        ck_assert_uint_le(data, seg_max > k->mss ? seg_max : k->mss);
        ck_assert_uint_eq(r->gso_size, data > k->mss ? k->mss : 0);
    }
}
END_TEST

/* A response that fits the window leaves as one frame: the IP total
 * length covers it all, the checksum field holds the pseudo-header's
 * sum over the whole TCP length, gso_size is the peer's MSS, FIN and PSH
 * ride on it (for its last segment). */
START_TEST(test_tso_one_frame)
{
    struct stream_state st = { .total = 40000 };
    struct peer p = { .seq = 1001, .wnd = 65535, .mss = 1460, .ack_every = 2 };
    const struct tx_rec *r = &txs[0];

    offload_setup(NETSTACK_OFFLOAD_CSUM | NETSTACK_OFFLOAD_TSO, 65535);
    p.iss = handshake_to(stream_fn, &st, 1460);
    p.rcv = p.acked = p.iss + 1;
    peer_send(&p, T_ACK | T_PSH, get, sizeof(get) - 1);
    ck_assert_uint_eq(n_txs, 1);
    ck_assert_uint_eq(r->len, 54 + 40000);
    ck_assert_uint_eq(r->ip_total, 40 + 40000);
    ck_assert_uint_eq(r->check, partial_sum(20 + 40000));
    ck_assert_uint_eq(r->gso_size, 1460);
    ck_assert_uint_eq(r->seq, p.iss + 1);
    ck_assert_uint_eq(r->flags, T_ACK | T_PSH | T_FIN);
    ck_assert_uint_eq(q_tail, (40000 + 1459) / 1460);
    ck_assert_uint_eq(peer_receive(&p), st.total);
    ck_assert_uint_eq(n_txs, 1);
}
END_TEST

/* More than a frame holds: whole MSS up to tso_max, the buffer's short
 * tail held back as without TSO; the buffer is NETSTACK_TCP_SNDBUF_TSO. */
START_TEST(test_tso_limits)
{
    struct stream_state st = { .total = 3 * NETSTACK_TCP_SNDBUF_TSO };
    struct peer p = { .seq = 1001, .wnd = 65535, .mss = 1460, .ack_every = 1 };

    offload_setup(NETSTACK_OFFLOAD_CSUM | NETSTACK_OFFLOAD_TSO, 65535);
    p.iss = handshake_to(stream_fn, &st, 1460);
    p.rcv = p.acked = p.iss + 1;
    peer_send(&p, T_ACK | T_PSH, get, sizeof(get) - 1);
    ck_assert_uint_eq(st.queued, NETSTACK_TCP_SNDBUF_TSO);
    ck_assert_uint_eq(n_txs, 1);
    ck_assert_uint_eq(txs[0].ip_total, 40 + 44 * 1460); /* 65535 - 54 */
    ck_assert_uint_eq(txs[0].flags, T_ACK);
    ck_assert_uint_eq(q_tail, 44);
    /* Acknowledged at once: the next 44 segments go as one frame. */
    p.rcv += 44 * 1460;
    peer_send(&p, T_ACK, NULL, 0);
    ck_assert_uint_eq(n_txs, 2);
    ck_assert_uint_eq(txs[1].seq, p.iss + 1 + 44 * 1460);
    ck_assert_uint_eq(txs[1].ip_total, 40 + 44 * 1460);
    q_head = 0;
    p.rcv = p.acked = p.iss + 1;
    ck_assert_uint_eq(peer_receive(&p), st.total);
}
END_TEST

/* The short tail of a full buffer waits with TSO too: a frame stops at
 * the last whole MSS rather than end in a runt (here, one byte short of
 * the window's edge, as the buffer is a byte larger than the window). */
START_TEST(test_tso_tail)
{
    struct stream_state st = { .total = 3 * NETSTACK_TCP_SNDBUF_TSO };
    struct peer p = { .seq = 1001, .wnd = 65535, .mss = 1460, .ack_every = 1 };

    offload_setup(NETSTACK_OFFLOAD_CSUM | NETSTACK_OFFLOAD_TSO, 10000);
    p.iss = handshake_to(stream_fn, &st, 1460);
    p.rcv = p.acked = p.iss + 1;
    peer_send(&p, T_ACK | T_PSH, get, sizeof(get) - 1);
    /* Frames of 6 MSS (8760 bytes: 10000 - 54 holds 6), then of the
     * 4216 bytes left 2 MSS; the 1296 of the tail wait. */
    ck_assert_uint_eq(n_txs, 8);
    for (unsigned i = 0; i < 7; i++)
        ck_assert_uint_eq(txs[i].ip_total, 40 + 6 * 1460);
    ck_assert_uint_eq(txs[7].ip_total, 40 + 2 * 1460);
    /* Two segments acknowledged: 2920 bytes of room, refilled; again
     * 2 MSS go, the tail waits. */
    p.rcv += 2 * 1460;
    peer_send(&p, T_ACK, NULL, 0);
    ck_assert_uint_eq(n_txs, 9);
    ck_assert_uint_eq(txs[8].ip_total, 40 + 2 * 1460);
    ck_assert_uint_eq(txs[8].seq, p.iss + 1 + 44 * 1460);
    q_head = 0;
    p.rcv = p.acked = p.iss + 1;
    ck_assert_uint_eq(peer_receive(&p), st.total);
}
END_TEST

/* A segment lost on the wire: the timer sends its first MSS again, as
 * one plain-sized frame (checksum still offloaded), then the next. */
START_TEST(test_tso_retransmit)
{
    struct stream_state st = { .total = 40000 };
    struct peer p = { .seq = 1001, .wnd = 65535, .mss = 1460, .ack_every = 1 };

    offload_setup(NETSTACK_OFFLOAD_CSUM | NETSTACK_OFFLOAD_TSO, 65535);
    p.iss = handshake_to(stream_fn, &st, 1460);
    p.rcv = p.acked = p.iss + 1;
    peer_send(&p, T_ACK | T_PSH, get, sizeof(get) - 1);
    ck_assert_uint_eq(n_txs, 1);
    q_head = q_tail; /* lost */
    netstack_tick(ns, netstack_next_timer(ns));
    ck_assert_uint_eq(n_txs, 2);
    ck_assert_uint_eq(txs[1].seq, p.iss + 1);
    ck_assert_uint_eq(txs[1].ip_total, 40 + 1460);
    ck_assert_uint_eq(txs[1].gso_size, 0);
    ck_assert_uint_eq(txs[1].check, partial_sum(20 + 1460));
    queue_out();
    /* The peer takes it; the rest comes MSS by MSS at each timeout. */
    while (!p.fin) {
        struct seg s;

        ck_assert_uint_eq(q_tail - q_head, 1);
        s = tcp_parse(&queue[q_head++ % QUEUE_MAX]);
        ck_assert_uint_eq(s.seq, p.rcv);
        ck_assert_uint_le(s.len, 1460);
        p.rcv += (uint32_t)s.len;
        if (s.flags & T_FIN) {
            p.fin = true;
            p.rcv++;
        }
        peer_send(&p, T_ACK, NULL, 0);
        if (!p.fin) {
            netstack_tick(ns, netstack_next_timer(ns));
            queue_out();
        }
    }
    ck_assert_uint_eq(p.rcv, p.iss + 1 + 40000 + 1);
    ck_assert_uint_eq(n_txs, 1 + (40000 + 1459) / 1460);
}
END_TEST

/* Checksum offload alone: a one-byte segment is padded to Ethernet's
 * minimum in a piece of its own. */
START_TEST(test_csum_tiny)
{
    struct stream_state st = { .total = 1 };
    struct peer p = { .seq = 1001, .wnd = 65535, .mss = 1460, .ack_every = 1 };

    offload_setup(NETSTACK_OFFLOAD_CSUM, 0);
    p.iss = handshake_to(stream_fn, &st, 1460);
    p.rcv = p.acked = p.iss + 1;
    peer_send(&p, T_ACK | T_PSH, get, sizeof(get) - 1);
    ck_assert_uint_eq(n_txs, 1);
    ck_assert_uint_eq(txs[0].len, 60);
    ck_assert_uint_eq(txs[0].parts, 3);
    ck_assert_uint_eq(txs[0].ip_total, 41);
    ck_assert_uint_eq(txs[0].check, partial_sum(21));
    ck_assert_uint_eq(txs[0].gso_size, 0);
    ck_assert_uint_eq(peer_receive(&p), 1);
}
END_TEST

/* Offload settings the stack refuses. */
START_TEST(test_offload_config)
{
    struct netstack_config cfg = {
        .ip = OUR_IP, .prefix = 24, .output = capture, .output_tx = capture_tx
    };
    static const struct {
        unsigned offload;
        size_t tso_max;
        bool ok;
    } cases[] = {
        { 0, 0, true },
        { NETSTACK_OFFLOAD_CSUM, 0, true },
        { NETSTACK_OFFLOAD_CSUM | NETSTACK_OFFLOAD_TSO, 65535, true },
        { NETSTACK_OFFLOAD_CSUM | NETSTACK_OFFLOAD_TSO, NETSTACK_FRAME_MAX,
          true },
        { NETSTACK_OFFLOAD_TSO, 65535, false }, /* TSO needs CSUM */
        { NETSTACK_OFFLOAD_CSUM | NETSTACK_OFFLOAD_TSO, NETSTACK_FRAME_MAX - 1,
          false },
        { NETSTACK_OFFLOAD_CSUM | 4, 0, false }, /* unknown */
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cfg.offload = cases[i].offload;
        cfg.tso_max = cases[i].tso_max;
        ck_assert_msg((netstack_init(ns, &cfg, 1000) == 0) == cases[i].ok,
                      "case %zu", i);
    }
    cfg.offload = NETSTACK_OFFLOAD_CSUM;
    cfg.output_tx = NULL;
    ck_assert_int_eq(netstack_init(ns, &cfg, 1000), -1);
}
END_TEST

/* A device that drops everything: nothing counts as sent, the timer sends
 * it once the device takes frames again. */
START_TEST(test_tcp_device_full)
{
    struct stream_state st = { .total = 5000 };
    struct peer p = { .seq = 1001, .wnd = 65535, .mss = 1460, .ack_every = 1 };

    p.iss = handshake_to(stream_fn, &st, 1460);
    p.rcv = p.acked = p.iss + 1;
    accept_max = 0;
    peer_send(&p, T_ACK | T_PSH, get, sizeof(get) - 1);
    ck_assert_uint_eq(q_tail, 0);
    ck_assert_uint_gt(n_dropped, 0);
    ck_assert_uint_eq(netstack_next_timer(ns), 1000 + NETSTACK_TCP_RTO_MS);
    netstack_tick(ns, 1000 + NETSTACK_TCP_RTO_MS); /* still full */
    ck_assert_uint_eq(n_out, 0);
    accept_max = OUT_MAX;
    netstack_tick(ns, netstack_next_timer(ns));
    queue_out();
    ck_assert_uint_eq(q_tail, 4); /* 5000 bytes and the FIN */
    ck_assert_uint_eq(peer_receive(&p), st.total);
    ck_assert_uint_eq(out_hash, 0x753c2a4dc8dd6c37ull);
}
END_TEST

/* ---------------------------------------------------------------- garbage */

static void silent(const struct frame *f)
{
    feed(f);
    ck_assert_msg(n_out == 0, "a malformed frame (%zu bytes) was answered",
                  f->len);
}

/* Every truncation of a valid frame is dropped. */
static void truncations(const struct frame *good)
{
    struct frame f = *good;

    for (f.len = 0; f.len < good->len; f.len++)
        silent(&f);
}

START_TEST(test_malformed)
{
    struct http_state h = { 0 };
    struct frame good, f;

    ck_assert_int_eq(netstack_udp_bind(ns, 7, udp_echo, NULL), 0);
    ck_assert_int_eq(netstack_tcp_listen(ns, 80, http_fn, &h), 0);

    icmp_echo(&good, 1, 1, 32);
    truncations(&good);
    f = good;
    f.b[14 + 10] ^= 0x40; /* IP checksum */
    silent(&f);
    f = good;
    f.b[14] = 0x44; /* IHL 4 */
    ip_fix(&f);
    silent(&f);
    f = good;
    f.b[14] = 0x4f; /* IHL 15: options past the end */
    ip_fix(&f);
    silent(&f);
    f = good;
    wr16(f.b + 16, 19); /* total length below the header */
    ip_fix(&f);
    silent(&f);
    f = good;
    wr16(f.b + 16, 2000); /* total length past the frame */
    ip_fix(&f);
    silent(&f);
    f = good;
    wr16(f.b + 20, 0x2000); /* more fragments */
    ip_fix(&f);
    silent(&f);
    f = good;
    wr16(f.b + 20, 0x0001); /* a fragment offset */
    ip_fix(&f);
    silent(&f);
    f = good;
    f.b[14] = 0x65; /* IPv6 in an IPv4 frame */
    ip_fix(&f);
    silent(&f);
    f = good;
    f.b[0] ^= 2; /* not our MAC */
    silent(&f);
    f = good;
    wr32(f.b + 26, 0x0a0000ff); /* from the subnet's broadcast address */
    ip_fix(&f);
    silent(&f);

    udp(&good, 5555, 7, "abc", 3);
    truncations(&good);
    f = good;
    wr16(f.b + 34 + 4, 100); /* UDP length past the packet */
    silent(&f);
    f = good;
    wr16(f.b + 34 + 4, 7); /* UDP length below its header */
    silent(&f);
    f = good;
    f.b[34 + 8] ^= 1; /* UDP checksum */
    silent(&f);

    tcp(&good, 40000, 80, 1000, 0, T_SYN, 1460, NULL, 0);
    truncations(&good);
    f = good;
    f.b[34 + 12] = 0x40; /* data offset 4 */
    tcp_fix(&f);
    silent(&f);
    f = good;
    f.b[34 + 12] = 0xf0; /* data offset past the end */
    tcp_fix(&f);
    silent(&f);
    f = good;
    f.b[34 + 17] ^= 1; /* TCP checksum */
    silent(&f);

    arp(&good, 1, our_mac, OUR_IP);
    truncations(&good);
    f = good;
    f.b[14 + 4] = 8; /* hardware address length */
    silent(&f);
    f = good;
    f.b[14 + 8] = 0x01; /* a multicast sender */
    silent(&f);

    ck_assert_uint_eq(h.opened + h.gone, 0);
}
END_TEST

/* A SYN whose MSS option is malformed or absurd still gets a sane MSS. */
START_TEST(test_tcp_options)
{
    struct http_state h = { .response_len = 200 };
    uint32_t iss;
    struct frame f;

    ck_assert_int_eq(netstack_tcp_listen(ns, 80, http_fn, &h), 0);
    tcp(&f, 40000, 80, 1000, 0, T_SYN, 1, NULL, 0); /* MSS 1 */
    feed(&f);
    iss = tcp_out(0).seq;
    tcp(&f, 40000, 80, 1001, iss + 1, T_ACK, 0, get, sizeof(get) - 1);
    feed(&f);
    ck_assert_uint_eq(n_out, 4); /* 200 bytes at the floor of 64 */

    tcp(&f, 40001, 80, 1000, 0, T_SYN, 1460, NULL, 0);
    f.b[34 + 21] = 40; /* option length past the header */
    tcp_fix(&f);
    feed(&f);
    ck_assert_uint_eq(n_out, 1);
    ck_assert_uint_eq(out_hash, 0x75cc63f35f89ca70ull);
}
END_TEST

START_TEST(test_parse_ipv4)
{
    uint32_t ip = 0;
    unsigned prefix = 99;

    ck_assert(netstack_parse_ipv4("10.0.0.2/24", 11, &ip, &prefix));
    ck_assert_uint_eq(ip, 0x0a000002);
    ck_assert_uint_eq(prefix, 24);
    ck_assert(netstack_parse_ipv4("255.255.255.255", 15, &ip, NULL));
    ck_assert_uint_eq(ip, 0xffffffff);
    ck_assert(netstack_parse_ipv4("0.0.0.0/0", 9, &ip, &prefix));

    static const char *const bad[] = {
        "10.0.0.2",  "10.0.0/24",   "10.0.0.256/24", "10.0.0.2/33",
        "10.0.0.2/", "010.0.0.2/8", "10..0.2/8",     "10.0.0.2/24x",
        "",          " 10.0.0.2/8", "10.0.0.2/-1",   "1.2.3.4.5/8",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(
            !netstack_parse_ipv4(bad[i], strlen(bad[i]), &ip, &prefix),
            "accepted %s", bad[i]);
    ck_assert(!netstack_parse_ipv4("10.0.0.2/24", 11, &ip, NULL));
}
END_TEST

static Suite *netstack_suite(void)
{
    Suite *s = suite_create("unikernel_netstack");
    TCase *tc = tcase_create("core");

    /* The streams move megabytes through the stack byte-checked: under
     * ASan on a loaded 2-core machine one took longer than Check's 4 s. */
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_arp_reply);
    tcase_add_test(tc, test_readdress_announces);
    tcase_add_test(tc, test_icmp_echo);
    tcase_add_test(tc, test_udp_echo_known_peer);
    tcase_add_test(tc, test_udp_echo_resolves);
    tcase_add_test(tc, test_arp_gives_up);
    tcase_add_test(tc, test_tcp_get);
    tcase_add_test(tc, test_tcp_peer_closes_first);
    tcase_add_test(tc, test_tcp_retransmit);
    tcase_add_test(tc, test_tcp_resets);
    tcase_add_test(tc, test_tcp_out_of_order_and_full);
    tcase_add_test(tc, test_malformed);
    tcase_add_test(tc, test_tcp_options);
    tcase_add_test(tc, test_tcp_writable);
    tcase_add_loop_test(tc, test_tcp_stream, 0, N_STREAM_CASES);
    tcase_add_test(tc, test_tcp_device_full);
    tcase_add_loop_test(tc, test_tcp_stream_offload, 0,
                        N_STREAM_CASES *
                            (sizeof(offload_cases) / sizeof(offload_cases[0])));
    tcase_add_test(tc, test_tso_one_frame);
    tcase_add_test(tc, test_tso_limits);
    tcase_add_test(tc, test_tso_tail);
    tcase_add_test(tc, test_tso_retransmit);
    tcase_add_test(tc, test_csum_tiny);
    tcase_add_test(tc, test_offload_config);
    tcase_add_test(tc, test_parse_ipv4);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(netstack_suite());
}
