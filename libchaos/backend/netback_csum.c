/*
 * netback_csum.c - TCP and UDP checksums for checksum-offloaded tx frames
 * (netback_csum.h).  The Internet checksum (RFC 1071) over the pseudo
 * header (RFC 793, RFC 768; RFC 8200 for IPv6) and the transport segment.
 */
#include <string.h>

#include "netback_csum.h"

#define ETH_HEADER 14u
#define VLAN_TAG 4u
#define IPV6_HEADER 40u
enum { ETH_IPV4 = 0x0800, ETH_IPV6 = 0x86dd, ETH_VLAN = 0x8100 };
enum { PROTO_TCP = 6, PROTO_UDP = 17 };

static unsigned be16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

/* Adds bytes to a one's-complement sum (big-endian 16-bit words, an odd
 * last byte padded with zero). */
static uint32_t sum_bytes(uint32_t sum, const uint8_t *p, size_t n)
{
    for (; n >= 2; p += 2, n -= 2)
        sum += be16(p);
    if (n)
        sum += (uint32_t)p[0] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return sum;
}

/* Where the transport segment starts and how long it is, its protocol and
 * the pseudo header's sum; -1 for a frame we do not handle. */
static int locate(const uint8_t *f, size_t len, size_t *l4, size_t *l4len,
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
        *l4 = l3 + ihl;
        *l4len = total - ihl;
        *sum = sum_bytes(0, ip + 12, 8);
    } else if (type == ETH_IPV6) {
        if (room < IPV6_HEADER || ip[0] >> 4 != 6)
            return -1;
        size_t payload = be16(ip + 4);
        if (payload > room - IPV6_HEADER)
            return -1;
        *proto = ip[6]; /* extension headers: not handled (-1 below) */
        *l4 = l3 + IPV6_HEADER;
        *l4len = payload;
        *sum = sum_bytes(0, ip + 8, 32);
        *sum += (uint32_t)(payload >> 16); /* 32-bit length */
    } else {
        return -1;
    }
    *sum += *proto;
    *sum += (uint32_t)(*l4len & 0xffff);
    return 0;
}

int nbr_csum_fill(uint8_t *frame, size_t len)
{
    size_t l4, l4len;
    unsigned proto;
    uint32_t sum;
    if (locate(frame, len, &l4, &l4len, &proto, &sum) < 0)
        return -1;
    size_t field;
    if (proto == PROTO_TCP && l4len >= 20)
        field = 16;
    else if (proto == PROTO_UDP && l4len >= 8)
        field = 6;
    else
        return -1;
    uint8_t *seg = frame + l4;
    memset(seg + field, 0, 2);
    unsigned csum = ~sum_bytes(sum, seg, l4len) & 0xffff;
    if (proto == PROTO_UDP && csum == 0)
        csum = 0xffff; /* 0 means "no checksum" in UDP */
    seg[field] = (uint8_t)(csum >> 8);
    seg[field + 1] = (uint8_t)csum;
    return 0;
}
