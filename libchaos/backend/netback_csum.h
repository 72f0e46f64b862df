/*
 * netback_csum.h - header work for checksum offload and GSO.  A guest
 * that sends with NETTXF_csum_blank (or GSO) left its TCP or UDP checksum
 * to "the hardware": here that is the kernel, reached through the TAP's
 * virtio-net header, which wants where the transport header is and, in
 * the checksum field, the pseudo-header sum (Linux's CHECKSUM_PARTIAL).
 * That is header work: the back end never sums a payload it sends.  On
 * rx the kernel may (in principle) hand us a frame in the same partial
 * state: nbr_csum_complete finishes it, since the guest gets complete
 * frames.  Pure code.
 */
#ifndef CHAOS_NETBACK_CSUM_H
#define CHAOS_NETBACK_CSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where a frame's transport header is, as nbr_csum_partial found it. */
struct nbr_l4 {
    size_t start;   /* offset of the TCP or UDP header in the frame */
    size_t end;     /* end of the IP packet (the frame may be padded) */
    size_t hdr_end; /* end of the transport header (TCP: data offset) */
    uint16_t field; /* the checksum field, from start: 16 TCP, 6 UDP */
    bool ipv4, tcp;
};

/*
 * Parses the Ethernet frame (len bytes; IPv4 unfragmented or IPv6 without
 * extension headers, optionally one VLAN tag; TCP or UDP), trusting none
 * of the sender's checksum or offsets, fills *out and writes the folded,
 * non-complemented pseudo-header sum (addresses, protocol, transport
 * length) into the checksum field.  0, or -1 for a frame that is not one
 * (then the caller drops it: sent with a blank checksum it would only
 * fail later).
 */
int nbr_csum_partial(uint8_t *frame, size_t len, struct nbr_l4 *out);

/*
 * Completes a partial checksum (the field at start + field holds the
 * pseudo-header sum): the one's-complement sum from start to len,
 * complemented, into the field (0 sent as 0xffff, as Linux does).  0, or
 * -1 when the field is not within the frame.
 */
int nbr_csum_complete(uint8_t *frame, size_t len, size_t start, size_t field);

#endif /* CHAOS_NETBACK_CSUM_H */
