/*
 * netfront.h - a network front end over noxs (netif rings, Xen's
 * io/netif.h): one queue, receive by copy (the back end copies into
 * buffers we grant), one frame per received slot.  Transmit takes the
 * offloads the back end offers: checksum offload, and TCPv4 segmentation
 * (GSO) of frames up to 64 KiB sent over several slots.
 */
#ifndef CHAOS_UK_NETFRONT_H
#define CHAOS_UK_NETFRONT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETFRONT_MTU 1500
/* Largest Ethernet frame without FCS: MTU + 14-byte header. */
#define NETFRONT_FRAME_MAX (NETFRONT_MTU + 14)
/* The largest GSO frame: netif's packet size is 16 bits. */
#define NETFRONT_GSO_FRAME_MAX 65535

/* Transmit offloads (netfront_offloads). */
#define NETFRONT_OFFLOAD_CSUM 1u      /* csum_blank frames */
#define NETFRONT_OFFLOAD_GSO_TCPV4 2u /* and TCPv4 GSO frames */

struct netfront;

/* Connects the index-th network device of the page (0: the first vif);
 * NULL (and a message) when there is none or it cannot connect. */
struct netfront *netfront_open(unsigned index);

/* After a restore into a new domain (devices.c): connects every open
 * device again, keeping its struct netfront. */
void netfront_resume(void);

/* The MAC address dom0 gave the device (6 bytes). */
const uint8_t *netfront_mac(const struct netfront *nf);

/* The IPv4 address dom0 gave the device (the vif's ip=, host order) and
 * its prefix length (0: not given): false when it gave none. */
bool netfront_ipv4(const struct netfront *nf, uint32_t *ip, unsigned *prefix);

/* Queues one Ethernet frame (copied: the caller keeps frame).  0, or -1
 * when the frame is too long or the ring is full (the frame is dropped,
 * as a NIC drops it). */
int netfront_send(struct netfront *nf, const void *frame, size_t len);

/* The offloads taken: NETFRONT_OFFLOAD_*, those the back end offered. */
unsigned netfront_offloads(const struct netfront *nf);

struct netfront_iov {
    const void *base;
    size_t len;
};

/*
 * Queues one Ethernet frame given as n pieces (copied), like
 * netfront_send.  csum_blank (needs NETFRONT_OFFLOAD_CSUM): its TCP or
 * UDP checksum is left to the back end, the field holding the folded
 * pseudo-header sum.  gso_size (needs NETFRONT_OFFLOAD_GSO_TCPV4 and
 * csum_blank): a TCPv4 super-segment of up to NETFRONT_GSO_FRAME_MAX
 * bytes, to be cut into segments of gso_size bytes of data; else the
 * frame is at most NETFRONT_FRAME_MAX.  0, or -1 (dropped).
 */
int netfront_send_iov(struct netfront *nf, const struct netfront_iov *iov,
                      unsigned n, bool csum_blank, uint16_t gso_size);

typedef void netfront_deliver_fn(void *arg, const void *frame, size_t len);

/* Hands every frame received so far to deliver (frame is valid only during
 * the call), refills the receive ring; never blocks.  Returns the number
 * of frames delivered. */
unsigned netfront_poll(struct netfront *nf, netfront_deliver_fn *deliver,
                       void *arg);

#endif
