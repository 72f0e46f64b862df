/*
 * hv_events.h - where Xen's domain-state notifications come from (part of
 * the hypervisor module).  events.c builds the public subscription on it.
 *
 * Xen raises the global virtual interrupt VIRQ_DOM_EXC when any domain
 * shuts down, crashes or dies (not when one is created), and one event
 * channel in the whole host can be bound to it: xenstored's, if it runs.  So a source is, in order of preference:
 *   VIRQ      the interrupt itself, on an event channel of our own;
 *   XENSTORE  xenstored's @releaseDomain and @introduceDomain watches,
 *             on a XenStore connection of our own (xenstored fires them
 *             for the domains it knows, so the caller still polls);
 *   POLL      nothing to wait on: the caller polls.
 * A notification only says "something changed": the caller compares the
 * domain list with the last one it saw.
 */
#ifndef CHAOS_HV_EVENTS_H
#define CHAOS_HV_EVENTS_H

#include "hv.h"

enum hv_events_kind {
    HV_EVENTS_VIRQ,
    HV_EVENTS_XENSTORE,
    HV_EVENTS_POLL,
};

struct hv_events;

/*
 * Takes the best source there is.  Not finding one is no error (POLL);
 * errors are only failures to allocate.  *out is released with
 * hv_events_close().
 */
int hv_events_open(struct chaos_hv *hv, struct hv_events **out);

enum hv_events_kind hv_events_kind(const struct hv_events *ev);

/* The descriptor that becomes readable on a notification; -1 for POLL. */
int hv_events_fd(const struct hv_events *ev);

/*
 * Consumes every pending notification (and re-arms the event channel),
 * so that the descriptor is quiet until the next one.  Never blocks.
 * Returns the number consumed, or a negative errno.
 */
int hv_events_drain(struct chaos_hv *hv, struct hv_events *ev);

void hv_events_close(struct hv_events *ev);

#endif /* CHAOS_HV_EVENTS_H */
