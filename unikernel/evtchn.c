/* Event channels by polling; see evtchn.h. */
#include "evtchn.h"

#include <stddef.h>

#include "clock.h"
#include "hypercall.h"

#define BITS_PER_WORD (8 * sizeof(xen_ulong_t))

static struct shared_info *shared;

void evtchn_init(struct shared_info *shared_info)
{
    shared = shared_info;
    /*
     * No upcalls: with no callback registered, an upcall would jump to
     * address 0.  The PV domain builder already sets this mask; PVH has no
     * callback vector, so it only documents intent there.
     */
    shared->vcpu_info[0].evtchn_upcall_mask = 1;
}

void evtchn_send(evtchn_port_t port)
{
    struct evtchn_send send = { .port = port };

    hyp_event_channel_op(EVTCHNOP_send, &send);
}

bool evtchn_clear(evtchn_port_t port)
{
    xen_ulong_t bit = (xen_ulong_t)1 << (port % BITS_PER_WORD);
    xen_ulong_t *word = &shared->evtchn_pending[port / BITS_PER_WORD];

    /* A locked RMW: also a full barrier, so the caller's following reads
     * of the ring cannot be satisfied before the clear. */
    return (__atomic_fetch_and(word, ~bit, __ATOMIC_SEQ_CST) & bit) != 0;
}

void evtchn_poll_ports(const evtchn_port_t *ports, unsigned int nr_ports,
                       uint64_t deadline_ns)
{
    struct sched_poll poll = {
        .nr_ports = nr_ports,
        /* absolute Xen system time, 0 = none */
        .timeout = clock_to_xen_deadline(deadline_ns),
    };

    /* Xen only reads the array; the handle type is not const. */
    set_xen_guest_handle(poll.ports, (evtchn_port_t *)ports);
    hyp_sched_op(SCHEDOP_poll, &poll);
}

void evtchn_poll(evtchn_port_t port, uint64_t deadline_ns)
{
    evtchn_poll_ports(&port, 1, deadline_ns);
}

void sleep_until(uint64_t deadline_ns)
{
    /* Polling no port at all is a plain timed sleep. */
    while (clock_now_ns() < deadline_ns)
        evtchn_poll_ports(NULL, 0, deadline_ns);
}
