/* The PV console ring; see console.h. */
#include "console.h"

#include "clock.h"
#include "evtchn.h"
#include "hypercall.h"
#include "x86.h"

static volatile struct xencons_interface *ring; /* shared with dom0 */
static evtchn_port_t ring_port;
static uint64_t timeout_ns = 5000000000ull; /* 5 s: see docs */
static bool backend_stalled; /* it timed out once: stop waiting */

void console_init(struct xencons_interface *console_ring, evtchn_port_t port)
{
    ring = console_ring;
    ring_port = port;
    backend_stalled = false; /* after a restore: a new back end */
}

void console_set_timeout_ns(uint64_t ns)
{
    timeout_ns = ns;
}

/*
 * Waits until `done()` or the timeout.  Every change the backend makes is
 * followed by a notification, so we sleep on the port between checks.
 */
static bool wait_for_backend(bool (*done)(void))
{
    uint64_t deadline = clock_now_ns() + timeout_ns;

    for (;;) {
        evtchn_clear(ring_port);
        if (done())
            return true;
        if (clock_now_ns() >= deadline)
            return false;
        evtchn_poll(ring_port, deadline);
    }
}

static bool output_has_room(void)
{
    return ring->out_prod - ring->out_cons < sizeof(ring->out);
}

static bool output_drained(void)
{
    return ring->out_cons == ring->out_prod;
}

static void put_bytes(const char *text, size_t len)
{
    while (len > 0) {
        XENCONS_RING_IDX cons = ring->out_cons, prod = ring->out_prod;
        size_t room = sizeof(ring->out) - (prod - cons);

        if (room == 0) {
            evtchn_send(ring_port); /* make sure it knows to read */
            if (backend_stalled || !wait_for_backend(output_has_room)) {
                backend_stalled = true;
                return; /* drop the rest */
            }
            continue;
        }
        backend_stalled = false;
        /* Read cons before overwriting the bytes it freed. */
        rmb();
        for (; room > 0 && len > 0; room--, len--)
            ring->out[MASK_XENCONS_IDX(prod++, ring->out)] = *text++;
        wmb(); /* the bytes before the index that publishes them */
        ring->out_prod = prod;
    }
}

void console_write(const char *text, size_t len)
{
    size_t start = 0, i;

    if (ring == NULL) {
        hyp_console_write(text, len);
        return;
    }
    for (i = 0; i < len; i++) {
        if (text[i] == '\n') {
            put_bytes(text + start, i - start);
            put_bytes("\r\n", 2);
            start = i + 1;
        }
    }
    put_bytes(text + start, len - start);
    evtchn_send(ring_port);
}

size_t console_read(char *buf, size_t len)
{
    XENCONS_RING_IDX cons, prod;
    size_t n = 0;

    if (ring == NULL)
        return 0;
    cons = ring->in_cons;
    prod = ring->in_prod;
    rmb(); /* the index before the bytes it covers */
    while (cons != prod && n < len)
        buf[n++] = ring->in[MASK_XENCONS_IDX(cons++, ring->in)];
    mb(); /* done reading before handing the space back */
    ring->in_cons = cons;
    if (n > 0)
        evtchn_send(ring_port); /* room for more input */
    return n;
}

bool console_wait_input(uint64_t deadline_ns)
{
    if (ring == NULL) {
        if (deadline_ns != 0)
            sleep_until(deadline_ns);
        return false;
    }
    for (;;) {
        evtchn_clear(ring_port);
        if (ring->in_cons != ring->in_prod)
            return true;
        if (deadline_ns != 0 && clock_now_ns() >= deadline_ns)
            return false;
        evtchn_poll(ring_port, deadline_ns);
    }
}

void console_flush(void)
{
    if (ring == NULL || backend_stalled)
        return;
    evtchn_send(ring_port);
    if (!wait_for_backend(output_drained))
        backend_stalled = true;
}
