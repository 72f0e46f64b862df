/*
 * console_ring.c - reading guest output from, and writing input into, a
 * Xen PV console ring (see console_ring.h).
 *
 * Memory ordering.  The guest runs on other CPUs and follows Xen's ring
 * protocol: a producer writes the bytes, issues a write barrier, then
 * publishes the new producer index; a consumer reads the producer index,
 * issues a read barrier, reads the bytes, issues a full barrier, then
 * publishes the new consumer index.  Our half of each pairing is written
 * with GCC's __atomic builtins on the shared indices (the page is plain
 * memory mapped from another domain, so the indices cannot be declared
 * _Atomic; the builtins give the same guarantees on plain uint32_t):
 *  - loading the other side's index with ACQUIRE orders every later access
 *    to the ring bytes after it (we never read bytes older than the index
 *    that published them, nor overwrite bytes before the guest is done);
 *  - storing our own index with RELEASE orders every earlier access to the
 *    ring bytes before it (the guest never sees a free slot we are still
 *    reading, nor an index covering bytes we have not written yet).
 * On x86 both compile to plain moves plus a compiler barrier, which is
 * exactly what the total store order needs; on weaker CPUs they emit the
 * fences.  The event-channel hypercall that follows is a full barrier.
 *
 * Hostile guests.  Both indices live in guest-writable memory, including
 * "our" consumer/producer index.  Each is loaded once into a local, all
 * arithmetic is done on the locals, every slot is masked into the ring, and
 * a byte count larger than the ring is treated as corruption.  The bytes
 * themselves may change under us while we copy them; that only changes
 * which bytes the guest "printed", which is the guest's own business.
 */
#include <stddef.h>
#include <string.h>

#include "console_ring.h"

/* The guest ABI: struct xencons_interface, offsets and all. */
_Static_assert(offsetof(struct console_ring_page, in) == 0, "in");
_Static_assert(offsetof(struct console_ring_page, out) == 1024, "out");
_Static_assert(offsetof(struct console_ring_page, in_cons) == 3072, "in_cons");
_Static_assert(offsetof(struct console_ring_page, in_prod) == 3076, "in_prod");
_Static_assert(offsetof(struct console_ring_page, out_cons) == 3080,
               "out_cons");
_Static_assert(offsetof(struct console_ring_page, out_prod) == 3084,
               "out_prod");
_Static_assert(sizeof(struct console_ring_page) <= CONSOLE_RING_PAGE_SIZE,
               "the rings fit in one page");
/* Masking an index into a ring only works for power-of-two sizes. */
_Static_assert((CONSOLE_RING_IN_SIZE & (CONSOLE_RING_IN_SIZE - 1)) == 0,
               "in size is a power of two");
_Static_assert((CONSOLE_RING_OUT_SIZE & (CONSOLE_RING_OUT_SIZE - 1)) == 0,
               "out size is a power of two");

/* Copies n <= size bytes starting at free-running index idx out of ring. */
static void copy_from_ring(const char *ring, uint32_t size, uint32_t idx,
                           char *dst, size_t n)
{
    size_t off = idx & (size - 1);
    size_t first = size - off; /* bytes before the wrap point */
    if (first > n)
        first = n;
    memcpy(dst, ring + off, first);
    memcpy(dst + first, ring, n - first);
}

static void copy_to_ring(char *ring, uint32_t size, uint32_t idx,
                         const char *src, size_t n)
{
    size_t off = idx & (size - 1);
    size_t first = size - off;
    if (first > n)
        first = n;
    memcpy(ring + off, src, first);
    memcpy(ring, src + first, n - first);
}

size_t console_ring_read_output(struct console_ring_page *page, void *buf,
                                size_t cap, bool *corrupt)
{
    /* Our own index: nothing to order against, but read it only once. */
    uint32_t cons = __atomic_load_n(&page->out_cons, __ATOMIC_RELAXED);
    /* ACQUIRE: the bytes below were written before this index. */
    uint32_t prod = __atomic_load_n(&page->out_prod, __ATOMIC_ACQUIRE);
    uint32_t avail = prod - cons; /* wraps correctly at 2^32 */
    bool resync = false;

    if (avail > CONSOLE_RING_OUT_SIZE) {
        /* Impossible for an honest guest.  The newest ring-size bytes are
         * all the ring can hold, so read those and pretend cons was there:
         * afterwards prod - cons <= size again and the ring works on. */
        if (corrupt)
            *corrupt = true;
        cons = prod - CONSOLE_RING_OUT_SIZE;
        avail = CONSOLE_RING_OUT_SIZE;
        resync = true;
    }
    size_t n = avail < cap ? avail : cap;
    if (n == 0 && !resync)
        return 0;
    copy_from_ring(page->out, CONSOLE_RING_OUT_SIZE, cons, buf, n);
    /* RELEASE: finish reading the bytes before the guest may reuse them. */
    __atomic_store_n(&page->out_cons, cons + (uint32_t)n, __ATOMIC_RELEASE);
    return n;
}

size_t console_ring_write_input(struct console_ring_page *page, const void *buf,
                                size_t len, bool *corrupt)
{
    uint32_t prod = __atomic_load_n(&page->in_prod, __ATOMIC_RELAXED);
    /* ACQUIRE: the guest finished reading the slots it handed back before
     * it published this index, so our writes below cannot overtake it. */
    uint32_t cons = __atomic_load_n(&page->in_cons, __ATOMIC_ACQUIRE);
    uint32_t used = prod - cons;

    if (used > CONSOLE_RING_IN_SIZE) {
        /* The free space would be negative: clamp it to none.  We do not
         * resynchronise the guest's consumer index for it; a guest that
         * breaks its input ring simply gets no input. */
        if (corrupt)
            *corrupt = true;
        return 0;
    }
    size_t space = CONSOLE_RING_IN_SIZE - used;
    size_t n = len < space ? len : space;
    if (n == 0)
        return 0;
    copy_to_ring(page->in, CONSOLE_RING_IN_SIZE, prod, buf, n);
    /* RELEASE: the bytes are in the ring before the index covers them. */
    __atomic_store_n(&page->in_prod, prod + (uint32_t)n, __ATOMIC_RELEASE);
    return n;
}

bool console_ring_output_pending(const struct console_ring_page *page)
{
    uint32_t cons = __atomic_load_n(&page->out_cons, __ATOMIC_RELAXED);
    uint32_t prod = __atomic_load_n(&page->out_prod, __ATOMIC_RELAXED);
    return prod != cons;
}
