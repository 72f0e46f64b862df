/*
 * guests.c - the running guests chaosd serves.  Each is a libchaos guest
 * supervisor (chaos.h), the same object the monitor of a direct `chaos
 * create` runs, so consoles, logs and on_* actions behave the same either
 * way; this file is only its libuv glue:
 *
 *  - uv_poll handles matching the supervisor's pollfds, one shared timer
 *    for the soonest chaos_supervisor_timeout_ms() of the guests on
 *    d->due (those with one), guests found by domid in d->by_domid;
 *  - Xen's domain events (one subscription for chaosd) fed to the
 *    supervisor of the domain they name;
 *  - the restart hook: an asynchronous create_start (pool or direct), so
 *    that the loop never waits for a build; its result goes back to the
 *    supervisor, which then serves the new domain into the same log.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "state.h"

static void guest_sync(struct chaosd *d, struct guest *g);
static void arm_timer(struct chaosd *d);
static void read_events(struct chaosd *d);

static struct guest **bucket(struct chaosd *d, chaos_domid domid)
{
    return &d->by_domid[domid % CHAOSD_GUEST_BUCKETS];
}

static void hash_add(struct chaosd *d, struct guest *g)
{
    struct guest **b = bucket(d, g->domid);
    g->hash_next = *b;
    *b = g;
}

static void hash_remove(struct chaosd *d, struct guest *g)
{
    for (struct guest **p = bucket(d, g->domid); *p; p = &(*p)->hash_next) {
        if (*p == g) {
            *p = g->hash_next;
            break;
        }
    }
    g->hash_next = NULL;
}

static void due_remove(struct chaosd *d, struct guest *g)
{
    if (!g->on_due)
        return;
    if (g->due_prev)
        g->due_prev->due_next = g->due_next;
    else
        d->due = g->due_next;
    if (g->due_next)
        g->due_next->due_prev = g->due_prev;
    g->due_prev = g->due_next = NULL;
    g->on_due = false;
}

/* Puts g on d->due or takes it off, by its supervisor's timeout now:
 * after every call that may change it. */
static void due_update(struct chaosd *d, struct guest *g)
{
    bool due = g->sup && chaos_supervisor_timeout_ms(g->sup) >= 0;
    if (!due) {
        due_remove(d, g);
    } else if (!g->on_due) {
        g->due_prev = NULL;
        g->due_next = d->due;
        if (d->due)
            d->due->due_prev = g;
        d->due = g;
        g->on_due = true;
    }
}

static void on_watch_closed(uv_handle_t *h)
{
    free(h->data);
}

static void close_watch(struct guest_watch *w)
{
    uv_poll_stop(&w->poll);
    w->poll.data = w;
    uv_close((uv_handle_t *)&w->poll, on_watch_closed);
}

static void close_watches(struct guest *g)
{
    for (unsigned k = 0; k < CHAOS_SUPERVISOR_MAX_POLLFDS; k++) {
        if (g->watches[k])
            close_watch(g->watches[k]);
        g->watches[k] = NULL;
    }
}

/*
 * A domain chaosd has just started enters its event snapshot before its
 * supervisor first looks at it: a domain that is born and ends between
 * two looks of the event source never shows up in it (Xen raises no
 * VIRQ_DOM_EXC for a new domain), so subscribers would get neither its
 * shutdown nor its death (seen in the lab: a pooled `hello` that powered
 * off before the next 2 s look, destroyed by its supervisor's first
 * look, was never reported).  So before a supervisor's first call for a
 * domain (pause_watches: a new guest, or a restart's new domain), a look
 * at that one domain, and what it queued (the domain's NEW, a shutdown
 * already) goes out before the supervisor acts.  A look at every domain
 * there grew with the guests chaosd serves: ~20 ms of the loop per create
 * with 1000 guests up under TCG (docs/benchmarks.md, "N = 1000").
 */
static void events_look_at(struct chaosd *d, chaos_domid domid)
{
    if (!d->events)
        return;
    int n = chaos_events_look_at(d->ctx, d->events, domid);
    if (n > 0)
        read_events(d);
    else if (n < 0)
        log_warn("looking at domain %u for events: %s", domid,
                 chaos_errmsg(d->ctx));
}

/*
 * Before every call into a supervisor.  A call may close fds we watch (a
 * console client gone, a console that stops, a restart) and open others
 * that get the same numbers, and libuv must never keep a watch on a
 * number whose file changed (the old registration went with the old
 * file: the new one would never be polled).  The supervisor's fd
 * generation says whether that can have happened; guest_sync() then
 * renews every watch (renew_watches).  Stopping and starting them around
 * every call, as chaosd did, cost two epoll_ctl calls per fd per call:
 * ~0.6 ms of the loop per call under TCG, a few calls per create.
 */
static void pause_watches(struct guest *g)
{
    if (g->events_unseen && g->sup) {
        g->events_unseen = false;
        events_look_at(g->d, chaos_supervisor_domid(g->sup));
    }
    g->busy = true;
    if (g->sup)
        g->fds_gen = chaos_supervisor_fds_generation(g->sup);
}

/* Every watch stopped and marked for a fresh start (sync_watches): an fd
 * may have been closed and its number reused. */
static void renew_watches(struct guest *g)
{
    for (unsigned k = 0; k < CHAOS_SUPERVISOR_MAX_POLLFDS; k++) {
        struct guest_watch *w = g->watches[k];
        if (w && w->events > 0)
            uv_poll_stop(&w->poll);
        if (w)
            w->events = -1;
    }
}

static void on_guest_fd(uv_poll_t *h, int status, int events)
{
    struct guest_watch *w = h->data;
    struct guest *g = w->guest;
    struct chaosd *d = g->d;
    struct pollfd pfd = { .fd = w->fd, .events = (short)w->events };
    pfd.revents = (short)((events & UV_READABLE ? POLLIN : 0) |
                          (events & UV_WRITABLE ? POLLOUT : 0) |
                          (events & UV_DISCONNECT ? POLLHUP : 0) |
                          (status < 0 ? POLLERR : 0));
    pause_watches(g);
    if (chaos_supervisor_handle(d->ctx, g->sup, &pfd, 1) < 0)
        log_guest_warn(g->domid, g->name, "%s (%u): %s", g->name, g->domid,
                       chaos_errmsg(d->ctx));
    g->busy = false;
    guest_sync(d, g);
    arm_timer(d);
}

/* Makes the uv_poll handles match the fds the supervisor wants watched. */
static void sync_watches(struct chaosd *d, struct guest *g)
{
    unsigned gen = chaos_supervisor_fds_generation(g->sup);
    if (gen != g->fds_gen) {
        renew_watches(g);
        g->fds_gen = gen;
    }
    struct pollfd fds[CHAOS_SUPERVISOR_MAX_POLLFDS];
    unsigned n =
        chaos_supervisor_pollfds(g->sup, fds, CHAOS_SUPERVISOR_MAX_POLLFDS);
    for (unsigned k = 0; k < CHAOS_SUPERVISOR_MAX_POLLFDS; k++) {
        struct guest_watch *w = g->watches[k];
        bool wanted = false;
        for (unsigned i = 0; w && i < n && !wanted; i++)
            wanted = fds[i].fd == w->fd;
        if (w && !wanted) {
            close_watch(w);
            g->watches[k] = NULL;
        }
    }
    for (unsigned i = 0; i < n; i++) {
        int ev = (fds[i].events & POLLIN ? UV_READABLE : 0) |
                 (fds[i].events & POLLOUT ? UV_WRITABLE : 0);
        struct guest_watch *w = NULL;
        unsigned free_slot = CHAOS_SUPERVISOR_MAX_POLLFDS;
        for (unsigned k = 0; k < CHAOS_SUPERVISOR_MAX_POLLFDS; k++) {
            if (g->watches[k] && g->watches[k]->fd == fds[i].fd)
                w = g->watches[k];
            else if (!g->watches[k] &&
                     free_slot == CHAOS_SUPERVISOR_MAX_POLLFDS)
                free_slot = k;
        }
        if (!w) {
            if (free_slot == CHAOS_SUPERVISOR_MAX_POLLFDS ||
                !(w = calloc(1, sizeof(*w))))
                continue;
            w->fd = fds[i].fd;
            w->guest = g;
            w->events = -1;
            if (uv_poll_init(d->loop, &w->poll, w->fd) != 0) {
                free(w);
                continue;
            }
            w->poll.data = w;
            g->watches[free_slot] = w;
        }
        if (w->events != ev) {
            /* Nothing wanted (a client's input waits for room): stop, or a
             * level-triggered readable fd would wake us forever. */
            w->events = ev;
            if (ev)
                uv_poll_start(&w->poll, ev, on_guest_fd);
            else
                uv_poll_stop(&w->poll);
        }
    }
}

/*
 * After every call into a supervisor: log its messages, follow a restart
 * to the new domain's records, watch its fds, and let it go once its
 * guest is gone.
 */
static void guest_sync(struct chaosd *d, struct guest *g)
{
    if (!g->sup || g->busy)
        return;
    const char *msg;
    while ((msg = chaos_supervisor_take_message(g->sup)))
        log_guest_info(g->domid, g->name, "%s", msg);
    chaos_domid domid = chaos_supervisor_domid(g->sup);
    if (domid != g->domid) {
        hash_remove(d, g);
        g->domid = domid;
        hash_add(d, g);
        chaos_supervisor_uuid(g->sup, g->uuid);
    }
    enum chaos_supervisor_state st = chaos_supervisor_state(g->sup);
    if (st == CHAOS_SUPERVISOR_DONE || st == CHAOS_SUPERVISOR_FAILED) {
        /* Subscribers' "ended": the guest is over, and how, as its
         * supervisor saw it (Xen's own shutdown and death events can be
         * one look apart or merged; `chaos create -F` needs the how). */
        int reason = chaos_supervisor_end_reason(g->sup);
        server_broadcast(
            d, chaosd_event_new("ended", g->domid, g->name, "reason",
                                st == CHAOS_SUPERVISOR_FAILED ? "failed"
                                : reason < 0
                                    ? "destroyed"
                                    : chaos_shutdown_reason_name(reason)));
        guest_remove(d, g);
    } else {
        sync_watches(d, g);
        due_update(d, g);
    }
}

/* ------------------------------------------------------------- restart */

static void restart_done(struct chaosd *d, void *opaque, int rc,
                         json_object *result, const char *errmsg)
{
    uint64_t id = (uint64_t)(uintptr_t)opaque;
    json_object_put(result);
    struct guest *g = d->guests;
    while (g && g->restart_id != id)
        g = g->next;
    if (!g || !g->restart_cfg)
        return; /* its guest is gone: chaosd is stopping */
    /* Created: create_after serves it right after this reply, in the same
     * loop callback (guest_add), which finishes the restart. */
    if (rc >= 0 && !d->stopping)
        return;
    /* Failed: the create freed the config (or is about to). */
    g->restart_cfg = NULL;
    chaos_supervisor_restart_failed(g->sup, rc < 0 ? errmsg : "not served");
    guest_sync(d, g);
}

/* The supervisor's restart hook: create again, asynchronously. */
static void restart_hook(void *opaque, chaos_supervisor *sup, chaos_config *cfg)
{
    static uint64_t restarts;
    struct guest *g = opaque;
    (void)sup;
    /* The old domain is destroyed: its record goes. */
    state_guest_remove(g->uuid);
    g->restart_cfg = cfg;
    g->restart_id = ++restarts;
    create_start(g->d, cfg, 0, restart_done, (void *)(uintptr_t)g->restart_id);
}

/* ------------------------------------------------------ the guest list */

/* guest_serve(), with the supervisor prepared ahead (NULL: none) and the
 * config the guest was created with (NULL: the registry's), both taken:
 * the supervisor begun, or closed if it cannot begin (a start serves
 * then, from the registry's config). */
static int serve(struct chaosd *d, chaos_domid domid, chaos_supervisor *sup,
                 chaos_config *cfg)
{
    struct guest *g = calloc(1, sizeof(*g));
    if (!g) {
        chaos_supervisor_close(d->ctx, sup);
        chaos_config_free(cfg);
        return -ENOMEM;
    }
    g->d = d;
    struct chaos_supervisor_options opts = {
        .domain_events = d->events != NULL,
        .restart = restart_hook,
        .opaque = g,
    };
    int rc = 0;
    if (!sup) {
        chaos_config_free(cfg);
    } else if (chaos_supervisor_state(sup) == CHAOS_SUPERVISOR_SERVING) {
        /* A warm guest's: serving it since its resume, from the config
         * libchaos kept (its addresses in it). */
        chaos_config_free(cfg);
        chaos_supervisor_set_options(sup, &opts);
        g->sup = sup;
    } else if ((rc = chaos_supervisor_begin(d->ctx, sup, cfg, &opts)) == 0) {
        g->sup = sup;
    } else {
        log_guest_warn(domid, NULL,
                       "domain %u: its prepared supervisor did not begin "
                       "(starting one): %s",
                       domid, chaos_errmsg(d->ctx));
        chaos_supervisor_close(d->ctx, sup);
    }
    if (!g->sup)
        rc = chaos_supervisor_start(d->ctx, domid, &opts, &g->sup);
    if (rc < 0) {
        free(g);
        return rc;
    }
    g->domid = domid;
    g->events_unseen = true;
    chaos_supervisor_uuid(g->sup, g->uuid);
    snprintf(g->name, sizeof(g->name), "%s", chaos_supervisor_name(g->sup));
    g->next = d->guests;
    d->guests = g;
    hash_add(d, g);
    guest_sync(d, g);
    arm_timer(d); /* its first look is due at once */
    return 0;
}

int guest_serve(struct chaosd *d, chaos_domid domid)
{
    return serve(d, domid, NULL, NULL);
}

int guest_add(struct chaosd *d, chaos_domid domid, chaos_config *cfg,
              chaos_supervisor *sup)
{
    for (struct guest *g = d->guests; g; g = g->next) {
        if (g->restart_cfg != cfg)
            continue;
        g->restart_cfg = NULL;
        chaos_config_free(cfg);
        /* The guest's own supervisor goes on serving it (one log, one
         * restart count): one prepared for the shell is not needed. */
        chaos_supervisor_close(d->ctx, sup);
        pause_watches(g);
        int rc = chaos_supervisor_restarted(d->ctx, g->sup, domid);
        g->events_unseen = true;
        g->busy = false;
        guest_sync(d, g);
        arm_timer(d);
        return rc < 0 ? -1 : 0;
    }
    /* A new guest: its prepared supervisor takes the config it was created
     * with; one started now reads the config the registry kept. */
    int rc = serve(d, domid, sup, cfg);
    if (rc < 0) {
        log_guest_warn(domid, NULL, "cannot serve domain %u: %s", domid,
                       chaos_errmsg(d->ctx));
        return -1;
    }
    return 0;
}

struct guest *guest_find(struct chaosd *d, chaos_domid domid)
{
    for (struct guest *g = *bucket(d, domid); g; g = g->hash_next)
        if (g->domid == domid)
            return g;
    return NULL;
}

void guests_console_close(struct chaosd *d, struct guest *g)
{
    close_watches(g);
    if (g->sup) {
        chaos_supervisor_close(d->ctx, g->sup);
        g->sup = NULL;
    }
}

static void guest_free(struct chaosd *d, struct guest *g)
{
    hash_remove(d, g);
    due_remove(d, g);
    guests_console_close(d, g);
    free(g);
}

void guest_remove(struct chaosd *d, struct guest *g)
{
    for (struct guest **p = &d->guests; *p; p = &(*p)->next) {
        if (*p == g) {
            *p = g->next;
            break;
        }
    }
    /* A create for its restart may still run: its result finds no guest
     * (restart_done looks the id up) and the domain stays recorded. */
    if (!g->restart_cfg)
        state_guest_remove(g->uuid);
    guest_free(d, g);
}

int guest_destroy(struct chaosd *d, struct guest *g)
{
    if (!g->sup) {
        int rc = d->hv->domain_destroy(d->ctx, g->domid);
        if (rc == 0)
            guest_remove(d, g);
        return rc;
    }
    pause_watches(g);
    int rc = chaos_supervisor_destroy_domain(d->ctx, g->sup);
    g->busy = false;
    guest_sync(d, g); /* done: removes the guest */
    return rc;
}

/* ------------------------------------------------ domain events, timer */

static json_object *event_message(const struct chaos_domain_event *e)
{
    bool stopped =
        e->kind == CHAOS_EVENT_SHUTDOWN || e->kind == CHAOS_EVENT_CRASH;
    return chaosd_event_new(
        chaos_event_kind_name(e->kind), e->domid, e->name, "reason",
        stopped ? chaos_shutdown_reason_name(e->shutdown_reason) : NULL);
}

/* Reads Xen's domain events: to subscribers, and to the supervisors
 * they name (which then look at once). */
static void read_events(struct chaosd *d)
{
    struct chaos_domain_event ev[32];
    int n;
    if (!d->events)
        return;
    while ((n = chaos_events_read(d->ctx, d->events, ev, 32)) > 0) {
        for (int i = 0; i < n; i++) {
            server_broadcast(d, event_message(&ev[i]));
            struct guest *g = guest_find(d, ev[i].domid);
            if (g && g->sup) {
                chaos_supervisor_domain_event(d->ctx, g->sup, &ev[i]);
                due_update(d, g);
            }
        }
        if (n < 32)
            break;
    }
    if (n < 0)
        log_warn("reading domain events: %s", chaos_errmsg(d->ctx));
}

static void on_events(uv_poll_t *h, int status, int events)
{
    struct chaosd *d = h->data;
    (void)status, (void)events;
    read_events(d);
    arm_timer(d); /* a supervisor an event named looks at once */
}

static void on_tick(uv_timer_t *t)
{
    struct chaosd *d = t->data;
    /* A call may take g off the list (or free it), never another guest:
     * next is safe. */
    for (struct guest *g = d->due, *next; g; g = next) {
        next = g->due_next;
        if (!g->sup || chaos_supervisor_timeout_ms(g->sup) != 0)
            continue;
        pause_watches(g);
        if (chaos_supervisor_handle(d->ctx, g->sup, NULL, 0) < 0)
            log_guest_warn(g->domid, g->name, "%s (%u): %s", g->name, g->domid,
                           chaos_errmsg(d->ctx));
        g->busy = false;
        guest_sync(d, g);
    }
    arm_timer(d);
}

/* One timer for every guest: when the soonest supervisor wants a call. */
static void arm_timer(struct chaosd *d)
{
    if (d->stopping || uv_is_closing((uv_handle_t *)&d->tick))
        return;
    int soonest = -1;
    for (struct guest *g = d->due, *next; g; g = next) {
        next = g->due_next;
        int t = g->sup ? chaos_supervisor_timeout_ms(g->sup) : -1;
        if (t < 0)
            due_remove(d, g); /* its call came and went elsewhere */
        else if (soonest < 0 || t < soonest)
            soonest = t;
    }
    if (soonest < 0)
        uv_timer_stop(&d->tick);
    else
        uv_timer_start(&d->tick, on_tick, (uint64_t)soonest, 0);
}

int guests_subscribe(struct chaosd *d)
{
    if (d->events)
        return 0;
    if (chaos_events_open(d->ctx, &d->events) < 0) {
        log_warn("no domain events (%s): each guest's supervisor looks at it "
                 "every 250 ms instead",
                 chaos_errmsg(d->ctx));
        d->events = NULL;
        return 0;
    }
    log_info("domain events from %s", chaos_events_source(d->events));
    return 0;
}

int guests_start(struct chaosd *d)
{
    guests_subscribe(d);
    if (d->events) {
        uv_poll_init(d->loop, &d->events_poll, chaos_events_fd(d->events));
        d->events_poll.data = d;
        uv_poll_start(&d->events_poll, UV_READABLE, on_events);
    }
    arm_timer(d);
    return 0;
}

static void on_events_closed(uv_handle_t *h)
{
    struct chaosd *d = h->data;
    chaos_events_close(d->events);
    d->events = NULL;
}

void guests_stop(struct chaosd *d)
{
    uv_timer_stop(&d->tick);
    if (!uv_is_closing((uv_handle_t *)&d->tick))
        uv_close((uv_handle_t *)&d->tick, NULL);
    if (d->events && !d->events_poll.loop) {
        /* Subscribed by recovery, never polled: start-up failed. */
        chaos_events_close(d->events);
        d->events = NULL;
    } else if (d->events && !uv_is_closing((uv_handle_t *)&d->events_poll)) {
        uv_close((uv_handle_t *)&d->events_poll, on_events_closed);
    }
    /* Guests keep running; their records stay for the next chaosd, which
     * takes them over (the locks go with their supervisors). */
    while (d->guests) {
        struct guest *g = d->guests;
        d->guests = g->next;
        guest_free(d, g);
    }
}
