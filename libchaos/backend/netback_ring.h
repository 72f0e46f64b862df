/*
 * netback_ring.h - the network back end's ring logic, pure: it reads and
 * writes a guest's netif tx and rx rings (xen/io/netif.h) in memory the
 * caller mapped, and leaves every side effect to callbacks (grant copies,
 * TAP writes and reads), so that unit tests and the fuzzer run it on fake
 * rings in plain memory.  netback.c is the glue to Xen and the TAP fd.
 *
 * What it speaks (docs/noxs.md, network features): receive by copy
 * (RX_COPY), one rx slot per frame (frames larger than a page are
 * dropped); tx packets of up to NBR_MAX_SLOTS slots (NETTXF_more_data);
 * extra-info slots are skipped (multicast, hash) or used (GSO).
 *
 * Offload, and why: the kernel, not this process, segments and checksums.
 * A guest that took CSUM may send NETTXF_csum_blank, one that took
 * GSO_TCPV4 may send a TCPv4 packet of up to 64 KiB with a GSO extra (its
 * MSS); such a packet goes to the TAP device in one write with a
 * virtio-net header saying so (NEEDS_CSUM, GSO_TCPV4), and the kernel
 * cuts and checksums it only where it must (a guest on the same bridge or
 * dom0's own stack takes it whole).  What is done here is header work:
 * the Ethernet/IP/TCP headers are parsed (the guest's offsets are not
 * trusted), the pseudo-header sum written (netback_csum.c).  No offload
 * on rx: the TAP is never asked for it (no TUNSETOFFLOAD), so the kernel
 * hands us complete frames; should one still need its checksum, it is
 * completed here, and responses carry flags 0.
 *
 * Trust: every request is copied once out of the shared ring
 * (RING_COPY_REQUEST) and bounded before use; a guest that breaks the ring
 * protocol gets -EPROTO and a message naming the ring, the slot and the
 * field.  A packet the guest may legitimately send but that cannot be
 * delivered (too large, a grant that fails, headers we cannot parse) is
 * answered NETIF_RSP_ERROR and counted as dropped; so is one using an
 * offload the guest did not take (csum_blank without CSUM, a GSO extra
 * without GSO_TCPV4): the ring itself is intact, and a guest that only
 * misjudged a feature keeps its network.
 */
#ifndef CHAOS_NETBACK_RING_H
#define CHAOS_NETBACK_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "backend.h"
#include "hv/hv_dev.h"

/* A ring page, and the largest packet (in ring slots, data slots only)
 * accepted on tx: netif.h's XEN_NETIF_NR_SLOTS_MIN, which every front end
 * may assume. */
#define NBR_PAGE_SIZE 4096u
#define NBR_MAX_SLOTS 18u
/* Ethernet header plus one VLAN tag: a frame is at most mtu + this. */
#define NBR_ETH_OVERHEAD 18u
/* The smallest MSS of a GSO packet: Linux's own floor for what it sends
 * (net.ipv4.tcp_min_snd_mss); below it a 64 KiB packet would make the
 * kernel cut well over a thousand segments. */
#define NBR_GSO_MIN_MSS 48u

struct virtio_net_hdr; /* <linux/virtio_net.h>: the TAP's per-frame header */

/* The side effects, supplied by the caller (netback.c: Xen and the TAP). */
struct nbr_ops {
    /* Performs n grant copies (hv_gnttab_copy): 0 when they ran (each
     * segment's status says whether it succeeded), or -errno when the
     * call itself failed (fatal for the device). */
    int (*copy)(void *arg, struct hv_gcopy *segs, unsigned n);
    /* Delivers one frame (tx, guest -> TAP) with the virtio-net header
     * that goes before it (host byte order, as a TAP without TUNSETVNETLE
     * reads it): all zero for a complete frame, else NEEDS_CSUM and
     * possibly GSO_TCPV4.  0, or -errno when the frame was not delivered
     * (counted as dropped; never fatal). */
    int (*tx_frame)(void *arg, const struct virtio_net_hdr *vh,
                    const void *frame, size_t len);
    /* Fetches the next frame (rx, TAP -> guest) into buf (cap bytes) and
     * the virtio-net header that came before it into *vh: its length, 0
     * when none waits, or -errno (fatal for the device). */
    ssize_t (*rx_frame)(void *arg, struct virtio_net_hdr *vh, void *buf,
                        size_t cap);
};

struct nbr;

/*
 * Attaches to the rings in tx_page and rx_page (NBR_PAGE_SIZE bytes each,
 * initialised by the front end) where the guest left them (the shared
 * rsp_prod), for frames of at most max_frame bytes (mtu +
 * NBR_ETH_OVERHEAD; GSO packets up to XEN_NETIF_MAX_TX_SIZE), serving
 * the features the guest took (NOXS_NET_F_*, fe.features).  -EPROTO when
 * the rings' indices are already inconsistent, -ENOMEM.
 */
int nbr_new(void *tx_page, void *rx_page, size_t max_frame, uint32_t features,
            const struct nbr_ops *ops, void *arg, struct nbr **out, char *err,
            size_t errlen);
void nbr_free(struct nbr *r); /* NULL ok */

/* Serves every tx request queued (until the ring is empty and the guest
 * was told to notify on the next one).  *notify: the guest must be sent
 * an event.  0, -EPROTO, or the copy callback's error. */
int nbr_tx(struct nbr *r, bool *notify, char *err, size_t errlen);

/* Moves frames from rx_frame into the guest's posted rx buffers until
 * either runs out.  *notify as for nbr_tx. */
int nbr_rx(struct nbr *r, bool *notify, char *err, size_t errlen);

/* Whether the guest has posted rx buffers not yet filled (if not, the
 * guest was asked, by nbr_rx, to notify when it posts some). */
bool nbr_rx_posted(const struct nbr *r);

void nbr_stats(const struct nbr *r, struct netback_stats *out);

#endif /* CHAOS_NETBACK_RING_H */
