/*
 * console_ring.h - the dom0 side of a Xen PV console ring, as pure logic.
 *
 * A PV console is one 4096-byte page shared with the guest, holding two
 * byte rings: `out` (guest -> dom0: what the guest prints) and `in`
 * (dom0 -> guest: keystrokes).  Each ring has a producer and a consumer
 * index that run freely (they only ever grow, wrapping at 2^32); the
 * number of bytes in a ring is prod - cons in unsigned arithmetic, and a
 * byte's slot is its index masked by the ring size (a power of two).
 *
 * The page is written concurrently by an untrusted guest: these functions
 * read each index it controls exactly once, never trust the result to be
 * sane, and never touch memory outside the page.  No Xen headers here; the
 * layout is restated below and checked against Xen's ABI at compile time.
 */
#ifndef CHAOS_CONSOLE_RING_H
#define CHAOS_CONSOLE_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_RING_IN_SIZE 1024u
#define CONSOLE_RING_OUT_SIZE 2048u
#define CONSOLE_RING_PAGE_SIZE 4096u

/*
 * The layout of Xen's struct xencons_interface (xen/io/console.h).  It is
 * the guest ABI, so it cannot change; restating it keeps this code free of
 * Xen headers (only the hypervisor module may include them) and lets unit
 * tests build fake rings in ordinary memory.  console_ring.c checks every
 * offset with static assertions, so a typo here cannot compile.
 */
struct console_ring_page {
    char in[CONSOLE_RING_IN_SIZE];   /* dom0 produces, guest consumes */
    char out[CONSOLE_RING_OUT_SIZE]; /* guest produces, dom0 consumes */
    uint32_t in_cons, in_prod;
    uint32_t out_cons, out_prod;
};

/*
 * Copies up to cap bytes of guest output into buf and hands the space
 * back to the guest (advances out_cons).  Returns the number of bytes
 * copied; 0 when the ring is empty.  Call again until it returns 0 (or
 * less than cap) to drain the ring.
 *
 * If the guest's indices claim more than the ring holds, the guest is
 * broken or hostile: the read is clamped to the newest ring-size bytes,
 * the consumer index is resynchronised so the ring is consistent again,
 * and *corrupt is set to true (it is never set to false, so one flag can
 * collect a whole drain).  corrupt may be NULL.
 */
size_t console_ring_read_output(struct console_ring_page *page, void *buf,
                                size_t cap, bool *corrupt);

/*
 * Copies up to len bytes of input from buf into the guest's input ring
 * (advances in_prod).  Returns the number of bytes written: less than len
 * when the ring is (nearly) full, 0 when it is full.  If the guest's
 * indices claim more than the ring holds, nothing is written and
 * *corrupt is set to true.  corrupt may be NULL.
 */
size_t console_ring_write_input(struct console_ring_page *page, const void *buf,
                                size_t len, bool *corrupt);

/* True when the guest has output waiting (a cheap check, no side effect). */
bool console_ring_output_pending(const struct console_ring_page *page);

#endif /* CHAOS_CONSOLE_RING_H */
