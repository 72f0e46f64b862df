/*
 * net_internal.h - what the netstack's files (net_ip.c, net_tcp.c) share:
 * big-endian field access (frames are byte arrays: no packed structs, no
 * alignment assumptions), the Internet checksum, and the IPv4 layer's
 * entry points for TCP.
 */
#ifndef CHAOS_UK_NET_INTERNAL_H
#define CHAOS_UK_NET_INTERNAL_H

#include "netstack.h"

#define ETH_HLEN 14
#define IP_HLEN 20
#define TCP_HLEN 20
#define IP_PROTO_ICMP 1
#define IP_PROTO_TCP 6
#define IP_PROTO_UDP 17

static inline uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

static inline void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Ones' complement sum of data, added to sum (not folded, not inverted). */
uint32_t net_sum(uint32_t sum, const uint8_t *data, size_t len);
/* Folds and inverts: the checksum field's value. */
uint16_t net_fold(uint32_t sum);
/* Folds without inverting: what a checksum field holds when the device
 * completes the checksum (netstack.h, NETSTACK_OFFLOAD_CSUM). */
uint16_t net_fold_partial(uint32_t sum);
/* The TCP/UDP pseudo-header's sum. */
uint32_t net_pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, size_t len);

/* A received IPv4 packet, already checked by the IP layer. */
struct net_ip_packet {
    const uint8_t *eth_src;
    uint32_t src, dst;
    const uint8_t *payload;
    size_t len;
};

/*
 * The IP layer for TCP: the frame buffer (ns->tx), where the caller puts
 * len bytes of TCP at tx + ETH_HLEN + IP_HLEN; net_ip_send_to_mac adds the
 * IP and Ethernet headers and sends.  -1 on a drop.
 */
static inline uint8_t *net_ip_payload(struct netstack *ns)
{
    return ns->tx + ETH_HLEN + IP_HLEN;
}
int net_ip_send_to_mac(struct netstack *ns, const uint8_t *mac, uint32_t dst,
                       uint8_t proto, size_t len);
/*
 * The same through output_tx, for a TCP segment whose checksum (and with
 * gso_size, segmentation) the device does: the caller puts the hlen bytes
 * of TCP header at net_ip_payload(ns), its checksum field holding the
 * pseudo-header's sum (net_fold_partial); the data, data[0] then data[1]
 * (either may be empty), is not copied.  -1 on a drop.
 */
int net_ip_send_tx(struct netstack *ns, const uint8_t *mac, uint32_t dst,
                   size_t hlen, const struct netstack_iov data[2],
                   uint16_t gso_size);

void net_tcp_input(struct netstack *ns, const struct net_ip_packet *pkt);
void net_tcp_tick(struct netstack *ns);
/* Every connection ends at once (GONE to the application), nothing sent:
 * the address they used is no longer ours. */
void net_tcp_forget_all(struct netstack *ns);
uint64_t net_tcp_next_timer(const struct netstack *ns);

#endif
