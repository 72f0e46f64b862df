/*
 * events_diff.c - domain events from two snapshots of the domain list
 * (see events_diff.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "events_diff.h"

int events_queue_push(struct events_queue *q,
                      const struct chaos_domain_event *e)
{
    if (q->head + q->len == q->cap) {
        if (q->head > 0) {
            /* Reuse the room that reading freed at the front. */
            memmove(q->ev, q->ev + q->head, q->len * sizeof(*q->ev));
            q->head = 0;
        } else {
            size_t cap = q->cap ? q->cap * 2 : 16;
            struct chaos_domain_event *grown =
                realloc(q->ev, cap * sizeof(*grown));
            if (!grown)
                return -ENOMEM;
            q->ev = grown;
            q->cap = cap;
        }
    }
    q->ev[q->head + q->len++] = *e;
    return 0;
}

size_t events_queue_pop(struct events_queue *q, struct chaos_domain_event *out,
                        size_t max)
{
    size_t n = q->len < max ? q->len : max;
    if (n)
        memcpy(out, q->ev + q->head, n * sizeof(*out));
    q->head += n;
    q->len -= n;
    if (q->len == 0)
        q->head = 0;
    return n;
}

void events_queue_free(struct events_queue *q)
{
    free(q->ev);
    *q = (struct events_queue){ 0 };
}

static bool same_domain(const struct chaos_dominfo *a,
                        const struct chaos_dominfo *b)
{
    return a->domid == b->domid && !memcmp(a->uuid, b->uuid, sizeof(a->uuid));
}

void events_carry_names(const struct chaos_dominfo *old, size_t n_old,
                        struct chaos_dominfo *cur, size_t n_cur)
{
    size_t i = 0;
    for (size_t j = 0; j < n_cur; j++) {
        while (i < n_old && old[i].domid < cur[j].domid)
            i++;
        if (i < n_old && same_domain(&old[i], &cur[j]) && !cur[j].name[0])
            memcpy(cur[j].name, old[i].name, sizeof(cur[j].name));
    }
}

/* A dying domain is as good as gone: it will never run again. */
static bool present(const struct chaos_dominfo *d)
{
    return d->state != CHAOS_DOM_DYING;
}

static bool stopped(const struct chaos_dominfo *d)
{
    return d->state == CHAOS_DOM_SHUTDOWN || d->state == CHAOS_DOM_CRASHED;
}

static int push(struct events_queue *q, enum chaos_event_kind kind,
                const struct chaos_dominfo *d, const char *name)
{
    struct chaos_domain_event e = {
        .kind = kind,
        .domid = d->domid,
        .shutdown_reason =
            kind == CHAOS_EVENT_SHUTDOWN || kind == CHAOS_EVENT_CRASH
                ? d->shutdown_reason
                : 0,
    };
    memcpy(e.uuid, d->uuid, sizeof(e.uuid));
    memcpy(e.name, name, sizeof(e.name));
    e.name[sizeof(e.name) - 1] = '\0';
    return events_queue_push(q, &e) ? -ENOMEM : 1;
}

static int push_stop(struct events_queue *q, const struct chaos_dominfo *d)
{
    return push(q,
                d->state == CHAOS_DOM_CRASHED ? CHAOS_EVENT_CRASH
                                              : CHAOS_EVENT_SHUTDOWN,
                d, d->name);
}

static int appeared(struct events_queue *q, const struct chaos_dominfo *d)
{
    if (!present(d))
        return 0;
    int rc = push(q, CHAOS_EVENT_NEW, d, d->name);
    if (rc < 0 || !stopped(d))
        return rc;
    int more = push_stop(q, d);
    return more < 0 ? more : rc + more;
}

/* old is gone (cur NULL) or dying (cur): its name may survive only in old. */
static int gone(struct events_queue *q, const struct chaos_dominfo *old,
                const struct chaos_dominfo *cur)
{
    if (!present(old))
        return 0;
    const struct chaos_dominfo *d = cur ? cur : old;
    return push(q, CHAOS_EVENT_DEATH, d, d->name[0] ? d->name : old->name);
}

static int changed(struct events_queue *q, const struct chaos_dominfo *old,
                   const struct chaos_dominfo *cur)
{
    if (!present(cur))
        return gone(q, old, cur);
    if (!present(old))
        return appeared(q, cur);
    if (stopped(cur) &&
        !(stopped(old) && old->shutdown_reason == cur->shutdown_reason))
        return push_stop(q, cur);
    return 0;
}

int events_diff(const struct chaos_dominfo *old, size_t n_old,
                const struct chaos_dominfo *cur, size_t n_cur,
                struct events_queue *q)
{
    size_t i = 0, j = 0;
    int total = 0;
    while (i < n_old || j < n_cur) {
        int rc;
        if (j == n_cur || (i < n_old && old[i].domid < cur[j].domid)) {
            rc = gone(q, &old[i++], NULL);
        } else if (i == n_old || cur[j].domid < old[i].domid) {
            rc = appeared(q, &cur[j++]);
        } else if (!same_domain(&old[i], &cur[j])) {
            /* The id was reused between two looks: two domains. */
            rc = gone(q, &old[i++], NULL);
            if (rc >= 0) {
                int more = appeared(q, &cur[j++]);
                rc = more < 0 ? more : rc + more;
            }
        } else {
            rc = changed(q, &old[i++], &cur[j++]);
        }
        if (rc < 0)
            return rc;
        total += rc;
    }
    return total;
}

size_t events_snap_index(const struct chaos_dominfo *snap, size_t n,
                         chaos_domid domid)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (snap[mid].domid < domid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int events_snap_put(struct chaos_dominfo **snap, size_t *n, chaos_domid domid,
                    const struct chaos_dominfo *d)
{
    size_t i = events_snap_index(*snap, *n, domid);
    bool have = i < *n && (*snap)[i].domid == domid;
    if (have && d) {
        (*snap)[i] = *d;
    } else if (have) {
        memmove(*snap + i, *snap + i + 1, (*n - i - 1) * sizeof(**snap));
        (*n)--;
    } else if (d) {
        struct chaos_dominfo *grown = realloc(*snap, (*n + 1) * sizeof(**snap));
        if (!grown)
            return -ENOMEM;
        *snap = grown;
        memmove(grown + i + 1, grown + i, (*n - i) * sizeof(*grown));
        grown[i] = *d;
        (*n)++;
    }
    return 0;
}
