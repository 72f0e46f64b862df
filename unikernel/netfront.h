/*
 * netfront.h - a network front end over noxs (netif rings, Xen's
 * io/netif.h): one queue, receive by copy (the back end copies into
 * buffers we grant), one frame per slot (no SG, no offloads).
 */
#ifndef CHAOS_UK_NETFRONT_H
#define CHAOS_UK_NETFRONT_H

#include <stddef.h>
#include <stdint.h>

#define NETFRONT_MTU 1500
/* Largest Ethernet frame without FCS: MTU + 14-byte header. */
#define NETFRONT_FRAME_MAX (NETFRONT_MTU + 14)

struct netfront;

/* Connects the index-th network device of the page (0: the first vif);
 * NULL (and a message) when there is none or it cannot connect. */
struct netfront *netfront_open(unsigned index);

/* The MAC address dom0 gave the device (6 bytes). */
const uint8_t *netfront_mac(const struct netfront *nf);

/* Queues one Ethernet frame (copied: the caller keeps frame).  0, or -1
 * when the frame is too long or the ring is full (the frame is dropped,
 * as a NIC drops it). */
int netfront_send(struct netfront *nf, const void *frame, size_t len);

typedef void netfront_deliver_fn(void *arg, const void *frame, size_t len);

/* Hands every frame received so far to deliver (frame is valid only during
 * the call), refills the receive ring; never blocks.  Returns the number
 * of frames delivered. */
unsigned netfront_poll(struct netfront *nf, netfront_deliver_fn *deliver,
                       void *arg);

#endif
