/*
 * netback_csum.h - the TCP or UDP checksum of a frame a guest sent with
 * NETTXF_csum_blank (checksum offload): the guest left the field for the
 * "hardware", and the TAP device, opened without IFF_VNET_HDR, has no way
 * to pass the job on, so the back end computes it.  Pure code.
 */
#ifndef CHAOS_NETBACK_CSUM_H
#define CHAOS_NETBACK_CSUM_H

#include <stddef.h>
#include <stdint.h>

/*
 * Computes and stores the TCP or UDP checksum of the Ethernet frame
 * (len bytes; IPv4 unfragmented or IPv6 without extension headers,
 * optionally one VLAN tag), ignoring what the field held.  0, or -1 when
 * the frame is not one whose checksum can be computed (then the caller
 * drops it: sending it with a blank checksum would only fail later).
 */
int nbr_csum_fill(uint8_t *frame, size_t len);

#endif /* CHAOS_NETBACK_CSUM_H */
