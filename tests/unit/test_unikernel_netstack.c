/*
 * Unit tests: the unikernel's IP stack (unikernel/netstack.h) driven by
 * crafted frames: ARP, ICMP echo, UDP, a TCP exchange as an HTTP/1.0
 * client would make it, timers, and malformed frames, which must produce
 * no output (and, under ASan, no bad access).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "netstack.h"
#include "check_run.h"
#include "netstack_frames.h"

#define OUT_MAX 32

static struct frame out[OUT_MAX];
static unsigned n_out;
static struct netstack *ns;

static int capture(void *arg, const void *frame, size_t len)
{
    (void)arg;
    ck_assert_uint_le(len, NETSTACK_FRAME_MAX);
    ck_assert_uint_ge(len, 60);
    ck_assert_uint_lt(n_out, OUT_MAX);
    memcpy(out[n_out].b, frame, len);
    out[n_out++].len = len;
    return 0;
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

static struct seg tcp_out(unsigned i)
{
    struct seg s = { 0 };
    size_t len, hl;
    const uint8_t *t;

    ck_assert_uint_lt(i, n_out);
    t = ip_out(&out[i], 6, &len);
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
        case NETSTACK_TCP_PEER_CLOSED:
            h->peer_closed++;
            break;
        case NETSTACK_TCP_GONE:
            h->gone++;
            break;
    }
}

static const char get[] = "GET / HTTP/1.0\r\n\r\n";

/* SYN -> SYN-ACK -> ACK; returns our ISS. */
static uint32_t handshake(struct http_state *h, uint16_t mss)
{
    struct frame f;
    struct seg s;

    ck_assert_int_eq(netstack_tcp_listen(ns, 80, http_fn, h), 0);
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
    ck_assert_uint_eq(h->opened, 1);
    return s.seq;
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

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_arp_reply);
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
    tcase_add_test(tc, test_parse_ipv4);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(netstack_suite());
}
