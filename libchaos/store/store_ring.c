/*
 * store_ring.c - dom0's end of a guest's XenStore ring page (store_ring.h).
 *
 * The indices are free-running 32-bit counters in guest memory.  The
 * guest owns req_prod and rsp_cons; it may also scribble on ours
 * (req_cons, rsp_prod), which only confuses itself: we read each index
 * once per call, with GCC's __atomic builtins (the page is plain memory
 * mapped from another domain), and do all arithmetic on the copies.
 * Ordering as xenstored's and console_ring.c's: ACQUIRE on the other
 * side's index before touching the bytes it covers, RELEASE on our index
 * after we are done with them.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <xen/io/xs_wire.h>

#include "store_ring.h"

_Static_assert(sizeof(struct xenstore_domain_interface) <= STORE_RING_PAGE_SIZE,
               "the interface fits in the page");
_Static_assert(XENSTORE_RING_SIZE == STORE_RING_BYTES, "store_ring.h's size");
_Static_assert((XENSTORE_RING_SIZE & (XENSTORE_RING_SIZE - 1)) == 0,
               "the ring size is a power of two");

void store_ring_init(void *page)
{
    memset(page, 0, STORE_RING_PAGE_SIZE);
}

ssize_t store_ring_peek(const void *page, void *buf, size_t max)
{
    const struct xenstore_domain_interface *intf = page;
    uint32_t cons = __atomic_load_n(&intf->req_cons, __ATOMIC_RELAXED);
    uint32_t prod = __atomic_load_n(&intf->req_prod, __ATOMIC_ACQUIRE);
    uint32_t avail = prod - cons;
    if (avail > XENSTORE_RING_SIZE)
        return -EPROTO;
    size_t n = avail < max ? avail : max;
    if (!n)
        return 0;
    size_t off = MASK_XENSTORE_IDX(cons);
    size_t first = XENSTORE_RING_SIZE - off;
    if (first > n)
        first = n;
    memcpy(buf, intf->req + off, first);
    memcpy((char *)buf + first, intf->req, n - first);
    return (ssize_t)n;
}

void store_ring_consume(void *page, size_t n)
{
    struct xenstore_domain_interface *intf = page;
    uint32_t cons = __atomic_load_n(&intf->req_cons, __ATOMIC_RELAXED);
    /* RELEASE: our copy of the bytes is complete before the guest may
     * reuse their space. */
    __atomic_store_n(&intf->req_cons, cons + (uint32_t)n, __ATOMIC_RELEASE);
}

ssize_t store_ring_write(void *page, const void *data, size_t len)
{
    struct xenstore_domain_interface *intf = page;
    uint32_t prod = __atomic_load_n(&intf->rsp_prod, __ATOMIC_RELAXED);
    uint32_t cons = __atomic_load_n(&intf->rsp_cons, __ATOMIC_ACQUIRE);
    uint32_t used = prod - cons;
    if (used > XENSTORE_RING_SIZE)
        return -EPROTO;
    size_t space = XENSTORE_RING_SIZE - used;
    size_t n = len < space ? len : space;
    if (!n)
        return 0; /* data may be NULL (an empty store_conn_peek()) */
    size_t off = MASK_XENSTORE_IDX(prod);
    size_t first = XENSTORE_RING_SIZE - off;
    if (first > n)
        first = n;
    memcpy(intf->rsp + off, data, first);
    memcpy(intf->rsp, (const char *)data + first, n - first);
    /* RELEASE: the bytes are in the ring before the index covers them. */
    __atomic_store_n(&intf->rsp_prod, prod + (uint32_t)n, __ATOMIC_RELEASE);
    return (ssize_t)n;
}

void store_ring_position(const void *page, struct store_ring_pos *out)
{
    const struct xenstore_domain_interface *intf = page;
    out->req_cons = __atomic_load_n(&intf->req_cons, __ATOMIC_RELAXED);
    out->req_prod = __atomic_load_n(&intf->req_prod, __ATOMIC_ACQUIRE);
    out->rsp_prod = __atomic_load_n(&intf->rsp_prod, __ATOMIC_RELAXED);
}
