/*
 * events_diff.h - the pure part of domain events (events.c): comparing two
 * snapshots of Xen's domain list, and the queue of events not read yet.
 * No Xen, no I/O: unit-tested in tests/unit/test_events_diff.c.
 */
#ifndef CHAOS_EVENTS_DIFF_H
#define CHAOS_EVENTS_DIFF_H

#include <stddef.h>

#include "chaos.h"

/* Events waiting to be read, oldest first.  Zero-initialised is empty. */
struct events_queue {
    struct chaos_domain_event *ev;
    size_t head; /* index of the oldest */
    size_t len;
    size_t cap;
};

/* Appends one event; -ENOMEM if it cannot grow. */
int events_queue_push(struct events_queue *q,
                      const struct chaos_domain_event *e);

/* Moves up to max of the oldest events to out; returns how many. */
size_t events_queue_pop(struct events_queue *q, struct chaos_domain_event *out,
                        size_t max);

void events_queue_free(struct events_queue *q);

/*
 * A domain of cur that is the same domain as one of old (same id and
 * handle) and has no name gets old's: names come from chaos's registry
 * and XenStore, which forget a domain as it is destroyed, and its DEATH
 * event should still say who died.  Both lists are ordered by domid.
 */
void events_carry_names(const struct chaos_dominfo *old, size_t n_old,
                        struct chaos_dominfo *cur, size_t n_cur);

/*
 * Queues the events that lead from snapshot old to snapshot cur (both
 * ordered by domid, as Xen lists them):
 *  - NEW for a domain in cur only (a reused id with another handle is a
 *    different domain: DEATH of the old, NEW of the new), followed by
 *    SHUTDOWN or CRASH if it has already stopped;
 *  - SHUTDOWN (CRASH when the reason is "crash") when a domain enters the
 *    shut-down state, or its reason changes;
 *  - DEATH for a domain that is gone or dying.
 * A dying domain counts as gone, so one that appears already dying gives
 * no event at all.  Returns the number of events queued, or -ENOMEM.
 */
int events_diff(const struct chaos_dominfo *old, size_t n_old,
                const struct chaos_dominfo *cur, size_t n_cur,
                struct events_queue *q);

/* Where domid is, or would go, in a snapshot ordered by domid (the index
 * of the first entry whose id is not below it). */
size_t events_snap_index(const struct chaos_dominfo *snap, size_t n,
                         chaos_domid domid);

/*
 * One domain's entry in a snapshot of *n domains ordered by domid: d
 * replaces domid's entry or goes in its place; d NULL removes it.  The
 * order is kept.  0, or -ENOMEM (the snapshot unchanged).
 */
int events_snap_put(struct chaos_dominfo **snap, size_t *n, chaos_domid domid,
                    const struct chaos_dominfo *d);

#endif /* CHAOS_EVENTS_DIFF_H */
