/*
 * Event channels without interrupts.
 *
 * The kernel never registers an event callback (no upcalls, no IDT work):
 * it keeps event delivery masked and waits with SCHEDOP_poll, which blocks
 * the vCPU until one of the given ports is pending or a deadline passes,
 * and works whatever the mask.  Xen sets a port's pending bit in
 * shared_info and never clears it; we clear it before looking for work, so
 * a notification that arrives while we look makes the next poll return.
 */
#ifndef CHAOS_UK_EVTCHN_H
#define CHAOS_UK_EVTCHN_H

#include <stdbool.h>
#include <stdint.h>

#include "xen_abi.h"

void evtchn_init(struct shared_info *shared);

/* Ports of the 2-level ABI: one bit each in shared_info's pending array.
 * A port number from outside (the noxs page) is checked against this
 * before it indexes that array. */
#define EVTCHN_NR_PORTS (8 * sizeof(((struct shared_info *)0)->evtchn_pending))

/* Notify the other end of `port`. */
void evtchn_send(evtchn_port_t port);

/* Clear the pending bit of `port`; returns whether it was set. */
bool evtchn_clear(evtchn_port_t port);

/*
 * Block until `port` is pending or the program's clock (clock.h) reaches
 * `deadline_ns` (0: no deadline).  May return early (spuriously); callers loop.
 */
void evtchn_poll(evtchn_port_t port, uint64_t deadline_ns);

/* The same for several ports: returns when any of them is pending. */
void evtchn_poll_ports(const evtchn_port_t *ports, unsigned int nr_ports,
                       uint64_t deadline_ns);

/* Block until the program's clock reaches `deadline_ns`. */
void sleep_until(uint64_t deadline_ns);

#endif
