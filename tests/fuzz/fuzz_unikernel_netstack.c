/*
 * fuzz_unikernel_netstack.c - libFuzzer target for the unikernel's IP
 * stack (unikernel/netstack.h): every received frame is hostile.  Built
 * and run by `make fuzz-unikernel` (unikernel/local.mk).
 *
 * The input is a sequence of records, each [ctl][len hi][len lo][frame]:
 * the frame goes to netstack_input (a short last one is cut to what is
 * left), then the clock advances (ctl & 7) * 300 ms and the timers run.
 * With ctl & 8 the harness first points the frame at us and fixes its
 * IPv4, TCP, UDP and ICMP checksums, so that the fuzzer gets past them to
 * ARP, TCP's states and the applications (ctl & 16: and sets a TCP
 * segment's ACK to what connection ctl >> 5 expects): a UDP echo on port 7 and, on
 * TCP port 80, a server that echoes data, closes on 'Q' or the peer's
 * FIN, and on 'B' streams STREAM_LEN bytes as NETSTACK_TCP_WRITABLE makes
 * room.  An input of odd length runs with a device that drops every
 * third frame; bits 1-2 of the length choose the device's offloads: none,
 * checksum offload, or both with TSO up to 64 KiB or up to TSO_SMALL
 * bytes of frame.
 *
 * Beyond "no crash, no UB": every frame sent must be 60..1514 bytes (a
 * TSO frame: up to tso_max), an IPv4 one must carry a correct header
 * checksum, an offloaded one a TCP segment with data whose IP total
 * length covers it and whose checksum field holds the pseudo-header's
 * sum, no WRITABLE may follow netstack_tcp_close, and a connection's send
 * buffer stays consistent.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netstack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t our_mac[6] = { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x02 };
#define OUR_IP 0x0a000002u
#define STREAM_LEN 100000
#define TSO_SMALL 4000

static unsigned frames_out;
static bool drop_some;
static size_t tso_max;
/* Per connection: the bytes of a 'B' stream still to hand over, and
 * whether the application closed. */
static size_t stream_left[NETSTACK_TCP_CONNS];
static bool app_closed[NETSTACK_TCP_CONNS];

static uint16_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
    for (size_t i = 0; i < len; i++)
        sum += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static int output(void *arg, const void *frame, size_t len)
{
    const uint8_t *f = frame;

    (void)arg;
    if (len < 60 || len > NETSTACK_FRAME_MAX) {
        fprintf(stderr, "fuzz_unikernel_netstack: sent %zu bytes\n", len);
        abort();
    }
    if (f[12] == 0x08 && f[13] == 0x00 && sum16(f + 14, 20, 0) != 0) {
        fprintf(stderr, "fuzz_unikernel_netstack: bad IP checksum sent\n");
        abort();
    }
    return drop_some && ++frames_out % 3 == 0 ? -1 : 0;
}

/* The folded pseudo-header sum (not complemented) of a TCP segment of
 * tcp_len bytes between the addresses of IPv4 header ip. */
static uint16_t partial_sum(const uint8_t *ip, size_t tcp_len)
{
    return (uint16_t)~sum16(ip + 12, 8, 6 + (uint32_t)tcp_len);
}

static int output_tx(void *arg, const struct netstack_tx *tx)
{
    static uint8_t f[NETSTACK_TSO_FRAME_MAX];
    const uint8_t *ip = f + 14;
    size_t len = 0, total;
    bool ok = tx->parts >= 2 && tx->parts <= NETSTACK_TX_PARTS &&
              tx->part[0].len == 54;

    (void)arg;
    /* Copying every piece lets ASan see a piece that points astray. */
    for (unsigned i = 0; ok && i < tx->parts; i++) {
        ok = tx->part[i].len > 0 && tx->part[i].len <= sizeof(f) - len;
        if (ok) {
            memcpy(f + len, tx->part[i].base, tx->part[i].len);
            len += tx->part[i].len;
        }
    }
    ok = ok && len == tx->len && len >= 60 &&
         len <= (tx->gso_size ? tso_max : NETSTACK_FRAME_MAX);
    total = ok ? (size_t)ip[2] << 8 | ip[3] : 0;
    ok =
        ok && f[12] == 0x08 && f[13] == 0x00 && ip[0] == 0x45 && ip[9] == 6 &&
        sum16(ip, 20, 0) == 0 && total > 40 &&
        (14 + total == len || (len == 60 && 14 + total < 60)) &&
        ((size_t)f[34 + 16] << 8 | f[34 + 17]) == partial_sum(ip, total - 20) &&
        (tx->gso_size == 0 || (tso_max > 0 && total - 40 > tx->gso_size));
    if (!ok) {
        fprintf(stderr,
                "fuzz_unikernel_netstack: bad offloaded frame (%zu "
                "bytes, gso %u)\n",
                tx->len, tx->gso_size);
        abort();
    }
    return drop_some && ++frames_out % 3 == 0 ? -1 : 0;
}

static void udp_echo(void *arg, struct netstack *ns, uint32_t src_ip,
                     uint16_t src_port, uint16_t dst_port, const void *data,
                     size_t len)
{
    (void)arg;
    netstack_udp_send(ns, dst_port, src_ip, src_port, data, len);
}

static void app_close(struct netstack *ns, struct netstack_tcp *conn)
{
    app_closed[netstack_tcp_index(ns, conn)] = true;
    netstack_tcp_close(ns, conn);
}

static void stream(struct netstack *ns, struct netstack_tcp *conn)
{
    static const uint8_t text[4096];
    size_t *left = &stream_left[netstack_tcp_index(ns, conn)];

    while (*left > 0) {
        size_t n = *left < sizeof(text) ? *left : sizeof(text);
        size_t took = netstack_tcp_send(ns, conn, text, n);

        *left -= took;
        if (took < n)
            return;
    }
    app_close(ns, conn);
}

static void tcp_app(void *arg, struct netstack *ns, struct netstack_tcp *conn,
                    enum netstack_tcp_event event, const void *data, size_t len)
{
    unsigned i = netstack_tcp_index(ns, conn);

    (void)arg;
    if (i >= NETSTACK_TCP_CONNS)
        abort();
    switch (event) {
        case NETSTACK_TCP_OPEN:
        case NETSTACK_TCP_GONE:
            stream_left[i] = 0;
            app_closed[i] = false;
            break;
        case NETSTACK_TCP_DATA:
            if (stream_left[i] > 0)
                break;
            netstack_tcp_send(ns, conn, data, len);
            if (memchr(data, 'Q', len) != NULL)
                app_close(ns, conn);
            else if (memchr(data, 'B', len) != NULL && !app_closed[i]) {
                stream_left[i] = STREAM_LEN;
                stream(ns, conn);
            }
            break;
        case NETSTACK_TCP_WRITABLE:
            if (app_closed[i]) {
                fprintf(stderr, "fuzz_unikernel_netstack: WRITABLE after "
                                "close\n");
                abort();
            }
            if (stream_left[i] > 0)
                stream(ns, conn);
            break;
        case NETSTACK_TCP_PEER_CLOSED:
            app_close(ns, conn);
            break;
    }
}

/* The send buffer's bookkeeping, seen from outside. */
static void check_conns(const struct netstack *ns)
{
    for (unsigned i = 0; i < NETSTACK_TCP_CONNS; i++) {
        const struct netstack_tcp *c = &ns->tcp[i];

        if (c->state != 0 &&
            (c->buffered > ns->sndbuf_max || c->sent > c->buffered ||
             c->head >= NETSTACK_TCP_SNDBUF_TSO)) {
            fprintf(stderr, "fuzz_unikernel_netstack: send buffer broken\n");
            abort();
        }
    }
}

/* Aims an IPv4 frame at us and makes its checksums right (as far as its
 * own lengths allow: a bad length stays bad).  With ack_conn, a TCP
 * segment's ACK field becomes that connection's snd_nxt: the fuzzer cannot
 * guess our initial sequence numbers. */
static void fix_up(uint8_t *f, size_t len, const struct netstack_tcp *ack_conn)
{
    uint8_t *ip = f + 14, *p;
    size_t hlen, total, plen;
    uint32_t pseudo;

    if (len < 34 || f[12] != 0x08 || f[13] != 0x00)
        return;
    memcpy(f, our_mac, 6);
    hlen = (size_t)(ip[0] & 0xf) * 4;
    if (hlen < 20 || 14 + hlen > len)
        return;
    put16(ip + 16, OUR_IP >> 16);
    put16(ip + 18, OUR_IP & 0xffff);
    put16(ip + 10, 0);
    put16(ip + 10, sum16(ip, hlen, 0));
    total = (size_t)ip[2] << 8 | ip[3];
    if (total < hlen || 14 + total > len)
        return;
    p = ip + hlen;
    plen = total - hlen;
    pseudo = ((uint32_t)ip[12] << 8 | ip[13]) +
             ((uint32_t)ip[14] << 8 | ip[15]) + (OUR_IP >> 16) +
             (OUR_IP & 0xffff) + ip[9] + (uint32_t)plen;
    if (ip[9] == 6 && plen >= 20) {
        if (ack_conn != NULL) {
            put16(p + 8, (uint16_t)(ack_conn->snd_nxt >> 16));
            put16(p + 10, (uint16_t)ack_conn->snd_nxt);
        }
        put16(p + 16, 0);
        put16(p + 16, sum16(p, plen, pseudo));
    } else if (ip[9] == 17 && plen >= 8) {
        size_t ulen = (size_t)p[4] << 8 | p[5];

        if (ulen >= 8 && ulen <= plen) {
            pseudo += (uint32_t)ulen - (uint32_t)plen;
            put16(p + 6, 0);
            put16(p + 6, sum16(p, ulen, pseudo));
        }
    } else if (ip[9] == 1 && plen >= 8) {
        put16(p + 2, 0);
        put16(p + 2, sum16(p, plen, 0));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct {
        unsigned offload;
        size_t tso_max;
    } devices[4] = {
        { 0, 0 },
        { NETSTACK_OFFLOAD_CSUM, 0 },
        { NETSTACK_OFFLOAD_CSUM | NETSTACK_OFFLOAD_TSO,
          NETSTACK_TSO_FRAME_MAX },
        { NETSTACK_OFFLOAD_CSUM | NETSTACK_OFFLOAD_TSO, TSO_SMALL },
    };
    struct netstack_config cfg = { .ip = OUR_IP,
                                   .prefix = 24,
                                   .iss_seed = 1,
                                   .output = output,
                                   .offload = devices[size >> 1 & 3].offload,
                                   .tso_max = devices[size >> 1 & 3].tso_max,
                                   .output_tx = output_tx };
    struct netstack *ns = calloc(1, sizeof(*ns));
    uint64_t now = 1000;

    if (ns == NULL)
        return 0;
    frames_out = 0;
    drop_some = size & 1;
    tso_max = cfg.tso_max;
    memset(stream_left, 0, sizeof(stream_left));
    memset(app_closed, 0, sizeof(app_closed));
    memcpy(cfg.mac, our_mac, 6);
    if (netstack_init(ns, &cfg, now) != 0 ||
        netstack_udp_bind(ns, 7, udp_echo, NULL) != 0 ||
        netstack_tcp_listen(ns, 80, tcp_app, NULL) != 0)
        abort();
    while (size >= 3) {
        uint8_t ctl = data[0];
        size_t len = (size_t)data[1] << 8 | data[2];

        data += 3;
        size -= 3;
        if (len > size)
            len = size;
        /* A copy of exactly len bytes: ASan sees any read past it. */
        uint8_t *copy = malloc(len ? len : 1);

        if (copy == NULL)
            break;
        memcpy(copy, data, len);
        if (ctl & 8)
            fix_up(copy, len,
                   (ctl & 16) ? &ns->tcp[(ctl >> 5) % NETSTACK_TCP_CONNS]
                              : NULL);
        netstack_input(ns, copy, len);
        free(copy);
        data += len;
        size -= len;
        now += (uint64_t)(ctl & 7) * 300;
        netstack_tick(ns, now);
        if (netstack_next_timer(ns) < now)
            abort(); /* a timer in the past must have run */
        check_conns(ns);
    }
    /* Let every timer run out: retransmissions, TIME_WAIT, idle. */
    for (int i = 0; i < 64 && netstack_next_timer(ns) != UINT64_MAX; i++) {
        netstack_tick(ns, netstack_next_timer(ns));
        check_conns(ns);
    }
    free(ns);
    return 0;
}
