/*
 * netstack_frames.h - crafting and checking Ethernet frames for the
 * netstack's unit tests (test_unikernel_netstack.c): the peer's side of
 * each exchange, written independently of the stack's own code.
 */
#ifndef CHAOS_TESTS_NETSTACK_FRAMES_H
#define CHAOS_TESTS_NETSTACK_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define F_MAX 1600

static const uint8_t our_mac[6] = { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x02 };
static const uint8_t peer_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
#define OUR_IP 0x0a000002u  /* 10.0.0.2 */
#define PEER_IP 0x0a000001u /* 10.0.0.1 */

struct frame {
    uint8_t b[F_MAX];
    size_t len;
};

static inline uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

static inline void wr16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
    wr16(p, v >> 16);
    wr16(p + 2, v);
}

/* RFC 1071, the slow obvious way. */
static inline uint16_t csum(uint32_t sum, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        sum += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static inline uint32_t pseudo(uint32_t src, uint32_t dst, uint8_t proto,
                              size_t len)
{
    return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto +
           (uint32_t)len;
}

static inline void eth(struct frame *f, const uint8_t *dst, const uint8_t *src,
                       uint16_t type)
{
    memcpy(f->b, dst, 6);
    memcpy(f->b + 6, src, 6);
    wr16(f->b + 12, type);
    f->len = 14;
}

static inline void arp(struct frame *f, uint16_t op, const uint8_t *eth_dst,
                       uint32_t tpa)
{
    uint8_t *a = f->b + 14;

    eth(f, eth_dst, peer_mac, 0x0806);
    wr16(a, 1);
    wr16(a + 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    wr16(a + 6, op);
    memcpy(a + 8, peer_mac, 6);
    wr32(a + 14, PEER_IP);
    memset(a + 18, 0, 6);
    if (op == 2)
        memcpy(a + 18, our_mac, 6);
    wr32(a + 24, tpa);
    f->len = 42;
}

/* An IPv4 packet from the peer to us carrying proto's payload (already at
 * b + 34); the payload's own checksum is the caller's. */
static inline void ip(struct frame *f, uint8_t proto, size_t payload_len)
{
    uint8_t *h = f->b + 14;

    eth(f, our_mac, peer_mac, 0x0800);
    h[0] = 0x45;
    h[1] = 0;
    wr16(h + 2, 20 + payload_len);
    wr16(h + 4, 0x1234);
    wr16(h + 6, 0);
    h[8] = 64;
    h[9] = proto;
    wr16(h + 10, 0);
    wr32(h + 12, PEER_IP);
    wr32(h + 16, OUR_IP);
    wr16(h + 10, csum(0, h, 20));
    f->len = 34 + payload_len;
}

static inline void ip_fix(struct frame *f)
{
    uint8_t *h = f->b + 14;
    size_t hl = (size_t)(h[0] & 0xf) * 4;

    wr16(h + 10, 0);
    wr16(h + 10, csum(0, h, hl < 20 ? 20 : hl));
}

static inline void icmp_echo(struct frame *f, uint16_t id, uint16_t seq,
                             size_t data_len)
{
    uint8_t *m = f->b + 34;

    m[0] = 8;
    m[1] = 0;
    wr16(m + 2, 0);
    wr16(m + 4, id);
    wr16(m + 6, seq);
    for (size_t i = 0; i < data_len; i++)
        m[8 + i] = (uint8_t)(i * 7);
    wr16(m + 2, csum(0, m, 8 + data_len));
    ip(f, 1, 8 + data_len);
}

static inline void udp(struct frame *f, uint16_t sport, uint16_t dport,
                       const void *data, size_t len)
{
    uint8_t *u = f->b + 34;

    wr16(u, sport);
    wr16(u + 2, dport);
    wr16(u + 4, 8 + len);
    wr16(u + 6, 0);
    memcpy(u + 8, data, len);
    wr16(u + 6, csum(pseudo(PEER_IP, OUR_IP, 17, 8 + len), u, 8 + len));
    ip(f, 17, 8 + len);
}

#define T_FIN 0x01
#define T_SYN 0x02
#define T_RST 0x04
#define T_PSH 0x08
#define T_ACK 0x10

/* A TCP segment; mss != 0 adds the MSS option. */
static inline void tcp(struct frame *f, uint16_t sport, uint16_t dport,
                       uint32_t seq, uint32_t ack, uint8_t flags, uint16_t mss,
                       const void *data, size_t len)
{
    uint8_t *t = f->b + 34;
    size_t hl = mss ? 24 : 20;

    memset(t, 0, hl);
    wr16(t, sport);
    wr16(t + 2, dport);
    wr32(t + 4, seq);
    wr32(t + 8, ack);
    t[12] = (uint8_t)(hl / 4 << 4);
    t[13] = flags;
    wr16(t + 14, 65535);
    if (mss) {
        t[20] = 2;
        t[21] = 4;
        wr16(t + 22, mss);
    }
    if (len > 0)
        memcpy(t + hl, data, len);
    wr16(t + 16, csum(pseudo(PEER_IP, OUR_IP, 6, hl + len), t, hl + len));
    ip(f, 6, hl + len);
}

/* Recomputes a TCP segment's checksum after an edit. */
static inline void tcp_fix(struct frame *f)
{
    uint8_t *t = f->b + 34;
    size_t len = rd16(f->b + 16) - 20;

    wr16(t + 16, 0);
    wr16(t + 16, csum(pseudo(PEER_IP, OUR_IP, 6, len), t, len));
}

/*
 * What a device does with a TCPv4 frame whose checksum (and with gso_size
 * != 0, segmentation) was left to it, as Linux's GSO does it: cuts the
 * data into pieces of gso_size (the last may be shorter), each a segment
 * with the headers copied, the IP total length, id (+1 per segment) and
 * header checksum redone, the sequence number advanced, FIN and PSH only
 * on the last one, and the TCP checksum computed over the whole segment
 * (the field's pseudo-header sum is ignored).  The segments go to segs[];
 * returns how many (0 if they do not fit max, or the frame is not an
 * IPv4 TCP frame without IP options carrying data).
 */
static inline size_t tso_split(const uint8_t *b, size_t len, uint16_t gso_size,
                               struct frame *segs, size_t max)
{
    const uint8_t *h = b + 14, *t = b + 34;
    size_t total, thl, data, off, n = 0;

    if (len < 54 || rd16(b + 12) != 0x0800 || h[0] != 0x45 || h[9] != 6)
        return 0;
    total = rd16(h + 2);
    thl = (size_t)(t[12] >> 4) * 4;
    if (total <= 20 + thl || 14 + total > len)
        return 0;
    data = total - 20 - thl;
    if (gso_size == 0 || gso_size > data)
        gso_size = (uint16_t)data;
    for (off = 0; off < data; off += gso_size) {
        size_t seg = data - off < gso_size ? data - off : gso_size;
        bool last = off + seg == data;
        struct frame *f;
        uint8_t *fh, *ft;

        if (n == max || 34 + thl + seg > F_MAX)
            return 0;
        f = &segs[n++];
        memcpy(f->b, b, 34 + thl);
        memcpy(f->b + 34 + thl, t + thl + off, seg);
        fh = f->b + 14;
        ft = f->b + 34;
        wr16(fh + 2, 20 + thl + seg);
        wr16(fh + 4, rd16(h + 4) + n - 1);
        wr16(fh + 10, 0);
        wr16(fh + 10, csum(0, fh, 20));
        wr32(ft + 4, rd32(t + 4) + (uint32_t)off);
        if (!last)
            ft[13] &= (uint8_t) ~(0x01 | 0x08); /* FIN, PSH */
        wr16(ft + 16, 0);
        wr16(ft + 16, csum(pseudo(rd32(fh + 12), rd32(fh + 16), 6, thl + seg),
                           ft, thl + seg));
        f->len = 34 + thl + seg;
        if (f->len < 60) {
            memset(f->b + f->len, 0, 60 - f->len);
            f->len = 60;
        }
    }
    return n;
}

#endif
