/*
 * netback_csum.c - header work for checksum offload and GSO
 * (netback_csum.h).  The Internet checksum (RFC 1071) over the pseudo
 * header (RFC 793, RFC 768; RFC 8200 for IPv6).
 */
#include <string.h>

#include "netback_csum.h"

#define ETH_HEADER 14u
#define VLAN_TAG 4u
#define IPV6_HEADER 40u
#define TCP_HEADER 20u
#define UDP_HEADER 8u
enum { ETH_IPV4 = 0x0800, ETH_IPV6 = 0x86dd, ETH_VLAN = 0x8100 };
enum { PROTO_TCP = 6, PROTO_UDP = 17 };

static unsigned be16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static void put_be16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint32_t fold(uint64_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint32_t)sum;
}

/* Adds bytes to a one's-complement sum (big-endian 16-bit words, an odd
 * last byte padded with zero), folded. */
static uint32_t sum_bytes(uint32_t sum, const uint8_t *p, size_t n)
{
    uint64_t s = sum; /* 64 KiB of words cannot overflow it */
    for (; n >= 2; p += 2, n -= 2)
        s += be16(p);
    if (n)
        s += (uint32_t)p[0] << 8;
    return fold(s);
}

/* Where the transport segment starts and ends, its protocol and the
 * pseudo header's sum (unfolded); -1 for a frame we do not handle. */
static int locate(const uint8_t *f, size_t len, struct nbr_l4 *out,
                  unsigned *proto, uint32_t *sum)
{
    size_t l3 = ETH_HEADER;
    if (len < ETH_HEADER)
        return -1;
    unsigned type = be16(f + 12);
    if (type == ETH_VLAN) {
        if (len < ETH_HEADER + VLAN_TAG)
            return -1;
        type = be16(f + 16);
        l3 += VLAN_TAG;
    }
    const uint8_t *ip = f + l3;
    size_t room = len - l3;
    if (type == ETH_IPV4) {
        if (room < 20 || ip[0] >> 4 != 4)
            return -1;
        size_t ihl = (size_t)(ip[0] & 0xf) * 4, total = be16(ip + 2);
        /* A fragment's checksum covers the whole datagram: not ours. */
        if (ihl < 20 || total < ihl || total > room || (be16(ip + 6) & 0x3fff))
            return -1;
        *proto = ip[9];
        out->ipv4 = true;
        out->start = l3 + ihl;
        out->end = l3 + total;
        *sum = sum_bytes(0, ip + 12, 8);
    } else if (type == ETH_IPV6) {
        if (room < IPV6_HEADER || ip[0] >> 4 != 6)
            return -1;
        size_t payload = be16(ip + 4);
        if (payload > room - IPV6_HEADER)
            return -1;
        *proto = ip[6]; /* extension headers: not handled (-1 below) */
        out->ipv4 = false;
        out->start = l3 + IPV6_HEADER;
        out->end = out->start + payload;
        *sum = sum_bytes(0, ip + 8, 32); /* the 32-bit length: below */
    } else {
        return -1;
    }
    *sum += *proto;
    *sum += (uint32_t)(out->end - out->start);
    return 0;
}

int nbr_csum_partial(uint8_t *frame, size_t len, struct nbr_l4 *out)
{
    unsigned proto;
    uint32_t sum;
    *out = (struct nbr_l4){ 0 };
    if (locate(frame, len, out, &proto, &sum) < 0)
        return -1;
    size_t l4len = out->end - out->start, hdr;
    uint8_t *seg = frame + out->start;
    if (proto == PROTO_TCP && l4len >= TCP_HEADER) {
        hdr = (size_t)(seg[12] >> 4) * 4; /* the data offset */
        if (hdr < TCP_HEADER || hdr > l4len)
            return -1;
        out->field = 16;
        out->tcp = true;
    } else if (proto == PROTO_UDP && l4len >= UDP_HEADER) {
        hdr = UDP_HEADER;
        out->field = 6;
    } else {
        return -1;
    }
    out->hdr_end = out->start + hdr;
    put_be16(seg + out->field, fold(sum));
    return 0;
}

int nbr_csum_complete(uint8_t *frame, size_t len, size_t start, size_t field)
{
    if (start > len || field > len - start || len - start - field < 2)
        return -1;
    unsigned csum = ~sum_bytes(0, frame + start, len - start) & 0xffff;
    put_be16(frame + start + field, csum ? csum : 0xffff);
    return 0;
}
