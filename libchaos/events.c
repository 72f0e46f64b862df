/*
 * events.c - domain events with a pollable descriptor (chaos.h, "Domain
 * events"; docs/events.md).
 *
 * One epoll descriptor gathers three things, so the caller polls one fd:
 *  - the notification source of hv_events.c (VIRQ_DOM_EXC, or xenstored's
 *    watches), when there is one;
 *  - a timerfd: the periodic check that catches what the source does not
 *    announce: new domains never raise VIRQ_DOM_EXC (every 2 s with that
 *    source), and xenstored's watches only fire for domains it knows,
 *    which the guests chaos builds without XenStore never are (every
 *    250 ms with xenstored, as with no source at all: chaosd carries out
 *    their lifecycle actions from these looks);
 *  - an eventfd, written when events are left over after a read that was
 *    given too little room, so the descriptor stays readable until the
 *    caller has them all.
 * A read rescans Xen's domain list and compares it with the last snapshot
 * (events_diff.c); the notifications only say when to look.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "events_diff.h"
#include "hv/hv_build.h"
#include "hv/hv_events.h"
#include "internal.h"

#define CHECK_MS_VIRQ 2000
#define CHECK_MS_OTHERWISE 250

struct chaos_events {
    struct hv_events *hv;
    int epfd, timerfd, pendfd;
    struct chaos_dominfo *snap; /* the domains at the last look */
    size_t n_snap;
    struct events_queue queue;
};

const char *chaos_event_kind_name(enum chaos_event_kind kind)
{
    switch (kind) {
        case CHAOS_EVENT_NEW:
            return "new";
        case CHAOS_EVENT_SHUTDOWN:
            return "shutdown";
        case CHAOS_EVENT_CRASH:
            return "crash";
        case CHAOS_EVENT_DEATH:
            return "death";
    }
    return "unknown";
}

/*
 * The domains now, named: names are carried over from the last snapshot
 * and looked up (registry file, XenStore) only for domains that have none
 * yet, so a look costs one hypercall and one directory read, not a file
 * per domain (chaos__fill_names: a pool's unnamed shells cost nothing).
 */
static int look(chaos_ctx *ctx, const chaos_events *ev,
                struct chaos_dominfo **out)
{
    struct chaos_dominfo *cur;
    int n = chaos__domain_list_raw(ctx, &cur);
    if (n < 0)
        return n;
    events_carry_names(ev->snap, ev->n_snap, cur, (size_t)n);
    chaos__fill_names(ctx, cur, n, true);
    *out = cur;
    return n;
}

static int watch(chaos_ctx *ctx, int epfd, int fd, const char *what)
{
    struct epoll_event e = { .events = EPOLLIN, .data.fd = fd };
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e) != 0)
        return chaos__fail(ctx, -errno, "cannot watch the %s: %s", what,
                           strerror(errno));
    return 0;
}

static int start_timer(chaos_ctx *ctx, int fd, unsigned ms)
{
    struct timespec every = { .tv_sec = ms / 1000,
                              .tv_nsec = (long)(ms % 1000) * 1000000 };
    struct itimerspec its = { .it_interval = every, .it_value = every };
    if (timerfd_settime(fd, 0, &its, NULL) != 0)
        return chaos__fail(ctx, -errno, "cannot start the event timer: %s",
                           strerror(errno));
    return 0;
}

static int setup(chaos_ctx *ctx, chaos_events *ev)
{
    int rc = hv_events_open(ctx->hv, &ev->hv);
    if (rc)
        return rc;
    ev->epfd = epoll_create1(EPOLL_CLOEXEC);
    ev->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    ev->pendfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (ev->epfd < 0 || ev->timerfd < 0 || ev->pendfd < 0)
        return chaos__fail(ctx, -errno,
                           "cannot create the event "
                           "descriptors: %s",
                           strerror(errno));
    int src = hv_events_fd(ev->hv);
    rc = start_timer(ctx, ev->timerfd,
                     hv_events_kind(ev->hv) == HV_EVENTS_VIRQ
                         ? CHECK_MS_VIRQ
                         : CHECK_MS_OTHERWISE);
    if (!rc && src >= 0)
        rc = watch(ctx, ev->epfd, src, "notification source");
    if (!rc)
        rc = watch(ctx, ev->epfd, ev->timerfd, "event timer");
    if (!rc)
        rc = watch(ctx, ev->epfd, ev->pendfd, "pending-events counter");
    if (rc)
        return rc;
    /* The starting point: what exists now gives no NEW events. */
    int n = look(ctx, ev, &ev->snap);
    if (n < 0)
        return n;
    ev->n_snap = (size_t)n;
    return 0;
}

int chaos_events_open(chaos_ctx *ctx, chaos_events **evp)
{
    *evp = NULL;
    int hv = chaos__need_hv(ctx);
    if (hv)
        return hv;
    chaos_events *ev = calloc(1, sizeof(*ev));
    if (!ev)
        return chaos__fail(ctx, -ENOMEM, "out of memory");
    ev->epfd = ev->timerfd = ev->pendfd = -1;
    int rc = setup(ctx, ev);
    if (rc) {
        chaos_events_close(ev);
        return rc;
    }
    *evp = ev;
    return 0;
}

int chaos_events_fd(const chaos_events *ev)
{
    return ev->epfd;
}

const char *chaos_events_source(const chaos_events *ev)
{
    switch (hv_events_kind(ev->hv)) {
        case HV_EVENTS_VIRQ:
            return "virq";
        case HV_EVENTS_XENSTORE:
            return "xenstore";
        case HV_EVENTS_POLL:
            break;
    }
    return "poll";
}

/* Empties a timerfd or eventfd (both are read as one 8-byte counter);
 * what it counted. */
static uint64_t drain_counter(int fd)
{
    uint64_t count, total = 0;
    while (read(fd, &count, sizeof(count)) == (ssize_t)sizeof(count))
        total += count;
    return total;
}

/* Keeps the descriptor readable while events wait in the queue. */
static void signal_pending(const chaos_events *ev)
{
    if (ev->queue.len > 0) {
        /* Fails only when the counter would overflow: then it is
         * readable already, which is all that is wanted. */
        uint64_t one = 1;
        if (write(ev->pendfd, &one, sizeof(one)) < 0)
            (void)0;
    }
}

int chaos_events_read(chaos_ctx *ctx, chaos_events *ev,
                      struct chaos_domain_event *out, unsigned max)
{
    chaos__clear_error(ctx);
    /* Quiet every descriptor before looking, so that a change from now
     * on makes the fd readable again rather than being lost. */
    int fired = hv_events_drain(ctx->hv, ev->hv);
    if (fired < 0)
        return fired;
    uint64_t ticks = drain_counter(ev->timerfd);
    uint64_t pending = drain_counter(ev->pendfd);
    /* Only events already queued (left over, or from a look at one
     * domain): hand them out without a look at every domain, which costs
     * one hypercall per 256 domains and a directory read. */
    if (!fired && !ticks && pending && ev->queue.len > 0) {
        size_t got = events_queue_pop(&ev->queue, out, max);
        signal_pending(ev);
        return (int)got;
    }
    struct chaos_dominfo *cur;
    int n = look(ctx, ev, &cur);
    if (n < 0)
        return n;
    int rc = events_diff(ev->snap, ev->n_snap, cur, (size_t)n, &ev->queue);
    if (rc < 0) {
        /* Keep the old snapshot: the next read finds the same changes
         * (the ones queued before memory ran out may come twice). */
        free(cur);
        return chaos__fail(ctx, rc, "out of memory");
    }
    free(ev->snap);
    ev->snap = cur;
    ev->n_snap = (size_t)n;
    size_t got = events_queue_pop(&ev->queue, out, max);
    signal_pending(ev);
    return (int)got;
}

int chaos_events_look_at(chaos_ctx *ctx, chaos_events *ev, chaos_domid domid)
{
    chaos__clear_error(ctx);
    struct chaos_dominfo cur;
    int rc = hv_domain_info(ctx->hv, domid, &cur);
    if (rc && rc != -ESRCH)
        return rc;
    size_t n_cur = rc ? 0 : 1;
    size_t i = events_snap_index(ev->snap, ev->n_snap, domid);
    size_t n_old = i < ev->n_snap && ev->snap[i].domid == domid ? 1 : 0;
    const struct chaos_dominfo *old = n_old ? &ev->snap[i] : NULL;
    if (n_cur) {
        events_carry_names(old, n_old, &cur, 1);
        chaos__fill_names(ctx, &cur, 1, true);
    }
    size_t before = ev->queue.len;
    /* The same comparison as a look's, over this one domain. */
    rc = events_diff(old, n_old, &cur, n_cur, &ev->queue);
    if (rc >= 0)
        rc =
            events_snap_put(&ev->snap, &ev->n_snap, domid, n_cur ? &cur : NULL);
    if (rc < 0)
        return chaos__fail(ctx, rc, "out of memory");
    signal_pending(ev);
    return (int)(ev->queue.len - before);
}

void chaos_events_close(chaos_events *ev)
{
    if (!ev)
        return;
    hv_events_close(ev->hv);
    if (ev->epfd >= 0)
        close(ev->epfd);
    if (ev->timerfd >= 0)
        close(ev->timerfd);
    if (ev->pendfd >= 0)
        close(ev->pendfd);
    free(ev->snap);
    events_queue_free(&ev->queue);
    free(ev);
}
