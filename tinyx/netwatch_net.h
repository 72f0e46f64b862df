/*
 * netwatch_net.h - tinyx-netwatch's work on the guest's interface
 * (netwatch_net.c says why it is in C): IPv4 only, the interface named
 * by /init (eth0 unless ip= names another).  Each returns 0, or -1 with
 * errno set by the call that failed.
 */
#ifndef TINYX_NETWATCH_NET_H
#define TINYX_NETWATCH_NET_H

#include <stdint.h>

/* The carrier is looked at every NW_CARRIER_STEP_MS. */
#define NW_CARRIER_STEP_MS 5u

/* dev's primary IPv4 address and prefix (both 0 when it has none). */
int nw_net_current(const char *dev, uint32_t *addr_be, unsigned *prefix);

/* dev up, at addr_be/prefix instead of its old address, and the default
 * route through gw_be again when that is not 0 (the old address's route
 * went with it).  *step names what failed, for the message. */
int nw_net_set(const char *dev, uint32_t addr_be, unsigned prefix,
               uint32_t gw_be, const char **step);

/* Waits until dev's carrier is up (netfront connected to its back end),
 * up to timeout_ms. */
int nw_net_wait_carrier(const char *dev, unsigned timeout_ms);

/* dev's Ethernet address. */
int nw_net_mac(const char *dev, uint8_t mac[6]);

/* One gratuitous ARP for addr_be from dev (nw_arp_announce). */
int nw_net_announce(const char *dev, uint32_t addr_be);

#endif /* TINYX_NETWATCH_NET_H */
