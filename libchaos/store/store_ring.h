/*
 * store_ring.h - dom0's end of a guest's XenStore ring page
 * (struct xenstore_domain_interface in xen/io/xs_wire.h): requests come
 * in on req[], replies and watch events go out on rsp[], each a 1024-byte
 * byte ring with free-running 32-bit indices.
 *
 * The page is guest memory, written by the guest at any time: each index
 * the guest owns (req_prod, rsp_cons) is read once per call, an impossible
 * one (more than a ring's worth ahead) is a protocol error, and the bytes
 * are copied out before anything looks at them.  Barriers as Xen's
 * xenstored uses them: read the producer index, then the data; write the
 * data, then the producer index.  Pure code: the caller maps the page and
 * notifies the event channel when a call moved anything.
 */
#ifndef CHAOS_STORE_RING_H
#define CHAOS_STORE_RING_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The page's size the functions below touch (one page holds it). */
#define STORE_RING_PAGE_SIZE 4096
/* Bytes of each of the two rings (XENSTORE_RING_SIZE). */
#define STORE_RING_BYTES 1024u

/* Sets a page up for a new guest: everything zero (the indices, and
 * server_features, connection and error as "connected, no error"). */
void store_ring_init(void *page);

/*
 * Copies up to max request bytes the guest has produced into buf, without
 * consuming them: the count (0: none), or -EPROTO when the guest's index
 * is impossible.
 */
ssize_t store_ring_peek(const void *page, void *buf, size_t max);
/* Consumes n request bytes (n <= what the last peek returned). */
void store_ring_consume(void *page, size_t n);

/*
 * Copies up to len bytes of data into the response ring, as many as the
 * guest left room for: the count (0: the ring is full), or -EPROTO when
 * the guest's index is impossible.
 */
ssize_t store_ring_write(void *page, const void *data, size_t len);

/*
 * The indices a server takes over (a snapshot says where its state
 * stood): req_cons and rsp_prod are dom0's, req_prod the guest's (each
 * read once; the caller checks them against each other).
 */
struct store_ring_pos {
    uint32_t req_cons, req_prod, rsp_prod;
};
void store_ring_position(const void *page, struct store_ring_pos *out);

#endif /* CHAOS_STORE_RING_H */
