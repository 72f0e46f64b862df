/*
 * guests.c - the running guests chaosd manages: it serves their consoles
 * from its loop (same log and socket as the per-guest monitor of a direct
 * `chaos create`, so `chaos console` works either way) and carries out
 * their on_poweroff / on_reboot / on_crash actions from Xen's domain
 * events.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon.h"
#include "state.h"

#define CONSOLE_LOG_DIR "/var/log/chaos/console"
/* Consoles are drained at least this often (lost notifications cost
 * nothing); without domain events, liveness is checked every 4 ticks. */
#define TICK_MS 250

static void console_sync(struct chaosd *d, struct guest *g);

static void on_watch_closed(uv_handle_t *h)
{
    free(h->data);
}

static void close_watch(struct console_watch *w)
{
    uv_poll_stop(&w->poll);
    w->poll.data = w;
    uv_close((uv_handle_t *)&w->poll, on_watch_closed);
}

static void on_console_fd(uv_poll_t *h, int status, int events)
{
    struct console_watch *w = h->data;
    struct guest *g = w->guest;
    struct chaosd *d = h->loop->data;
    struct pollfd pfd = { .fd = w->fd, .events = (short)w->events };
    pfd.revents = (short)((events & UV_READABLE ? POLLIN : 0) |
                          (events & UV_WRITABLE ? POLLOUT : 0) |
                          (events & UV_DISCONNECT ? POLLHUP : 0) |
                          (status < 0 ? POLLERR : 0));
    if (chaos_console_server_handle(d->ctx, g->console, &pfd, 1) < 0) {
        log_warn("console of %s (%u) failed: %s", g->name, g->domid,
                 chaos_errmsg(d->ctx));
        guests_console_close(d, g);
        return;
    }
    console_sync(d, g);
}

/* Makes the uv_poll handles match the fds the server wants watched. */
static void console_sync(struct chaosd *d, struct guest *g)
{
    if (!g->console)
        return;
    const char *warning = chaos_console_server_take_warning(g->console);
    if (warning)
        log_warn("console of %s (%u): %s", g->name, g->domid, warning);
    struct pollfd fds[CHAOS_CONSOLE_MAX_POLLFDS];
    unsigned n = chaos_console_server_pollfds(g->console, fds,
                                              CHAOS_CONSOLE_MAX_POLLFDS);
    /* Drop watches whose fd is no longer wanted. */
    for (unsigned k = 0; k < CHAOS_CONSOLE_MAX_POLLFDS; k++) {
        struct console_watch *w = g->watches[k];
        if (!w)
            continue;
        bool wanted = false;
        for (unsigned i = 0; i < n && !wanted; i++)
            wanted = fds[i].fd == w->fd;
        if (!wanted) {
            close_watch(w);
            g->watches[k] = NULL;
        }
    }
    for (unsigned i = 0; i < n; i++) {
        int ev = (fds[i].events & POLLIN ? UV_READABLE : 0) |
                 (fds[i].events & POLLOUT ? UV_WRITABLE : 0);
        struct console_watch *w = NULL;
        unsigned free_slot = CHAOS_CONSOLE_MAX_POLLFDS;
        for (unsigned k = 0; k < CHAOS_CONSOLE_MAX_POLLFDS; k++) {
            if (g->watches[k] && g->watches[k]->fd == fds[i].fd)
                w = g->watches[k];
            else if (!g->watches[k] && free_slot == CHAOS_CONSOLE_MAX_POLLFDS)
                free_slot = k;
        }
        if (!w) {
            if (free_slot == CHAOS_CONSOLE_MAX_POLLFDS || !(w = calloc(1, sizeof(*w))))
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
                uv_poll_start(&w->poll, ev, on_console_fd);
            else
                uv_poll_stop(&w->poll);
        }
    }
}

void guests_console_close(struct chaosd *d, struct guest *g)
{
    for (unsigned k = 0; k < CHAOS_CONSOLE_MAX_POLLFDS; k++) {
        if (g->watches[k])
            close_watch(g->watches[k]);
        g->watches[k] = NULL;
    }
    if (g->console) {
        /* The guest's last words (a panic message) before unmapping. */
        chaos_console_server_handle(d->ctx, g->console, NULL, 0);
        chaos_console_server_close(g->console);
        g->console = NULL;
    }
}

static void console_open(struct chaosd *d, struct guest *g)
{
    uint64_t frame;
    uint32_t port;
    if (chaos_domain_console(d->ctx, g->domid, &frame, &port) < 0) {
        log_warn("no console for %s (%u): %s", g->name, g->domid,
                 chaos_errmsg(d->ctx));
        return;
    }
    mkdir("/var/log/chaos", 0750);
    mkdir(CONSOLE_LOG_DIR, 0750);
    char log[256];
    snprintf(log, sizeof(log), CONSOLE_LOG_DIR "/%s.log",
             g->name[0] ? g->name : "unnamed");
    struct chaos_console_options opts = { .log_path = log };
    if (chaos_console_serve(d->ctx, g->domid, frame, port, &opts, &g->console) < 0) {
        log_warn("cannot serve the console of %s (%u): %s", g->name, g->domid,
                 chaos_errmsg(d->ctx));
        g->console = NULL;
        return;
    }
    console_sync(d, g);
}

struct guest *guest_find(struct chaosd *d, chaos_domid domid)
{
    for (struct guest *g = d->guests; g; g = g->next)
        if (g->domid == domid)
            return g;
    return NULL;
}

/* Carries out the guest's action for how it stopped (xl's semantics). */
static void apply_action(struct chaosd *d, struct guest *g, bool crashed,
                         int reason)
{
    if (g->acted)
        return;
    g->acted = true;
    const char *why = crashed ? "crash" : chaos_shutdown_reason_name(reason);
    enum chaos_event ev = crashed ? CHAOS_ON_CRASH
                        : !strcmp(why, "reboot") ? CHAOS_ON_REBOOT
                        : CHAOS_ON_POWEROFF;
    enum chaos_action act = chaos_config_action(g->cfg, ev);
    log_info("%s (%u) shut down (%s): %s", g->name, g->domid, why,
             chaos_action_name(act));
    if (act == CHAOS_ACTION_PRESERVE)
        return;
    bool restart = act == CHAOS_ACTION_RESTART ||
                   act == CHAOS_ACTION_RENAME_RESTART ||
                   act == CHAOS_ACTION_COREDUMP_RESTART;
    if (act == CHAOS_ACTION_SOFT_RESET)
        log_warn("%s: soft-reset is not supported; destroying it", g->name);
    chaos_config *again = restart ? g->cfg : NULL;
    if (restart)
        g->cfg = NULL;
    chaos_domid domid = g->domid;
    guests_console_close(d, g);
    if (chaos_domain_destroy(d->ctx, domid) < 0)
        log_warn("destroying %u failed: %s", domid, chaos_errmsg(d->ctx));
    guest_remove(d, g);
    if (again)
        guest_restart(d, again);
}

/* Looks at one guest's state now (adoption, or no domain events). */
static void check_guest(struct chaosd *d, struct guest *g)
{
    struct chaos_dominfo info;
    int rc = chaos_domain_info(d->ctx, g->domid, &info);
    if (rc == -ESRCH || (rc == 0 && (memcmp(info.uuid, g->uuid, 16) ||
                                     info.state == CHAOS_DOM_DYING))) {
        guests_console_close(d, g);
        guest_remove(d, g);
        return;
    }
    if (rc == 0 && (info.state == CHAOS_DOM_SHUTDOWN || info.state == CHAOS_DOM_CRASHED))
        apply_action(d, g, info.state == CHAOS_DOM_CRASHED, info.shutdown_reason);
}

int guest_add(struct chaosd *d, chaos_domid domid, chaos_config *cfg)
{
    struct guest *g = calloc(1, sizeof(*g));
    struct chaos_dominfo info;
    if (!g || chaos_domain_info(d->ctx, domid, &info) < 0) {
        log_warn("guest %u: %s", domid, g ? chaos_errmsg(d->ctx) : "out of memory");
        free(g);
        chaos_config_free(cfg);
        return -1;
    }
    g->domid = domid;
    g->cfg = cfg;
    memcpy(g->uuid, info.uuid, sizeof(g->uuid));
    const char *name = chaos_config_name(cfg);
    snprintf(g->name, sizeof(g->name), "%s", name ? name : "");
    g->next = d->guests;
    d->guests = g;
    console_open(d, g);
    check_guest(d, g);   /* it may have stopped already (hello does) */
    return 0;
}

void guest_remove(struct chaosd *d, struct guest *g)
{
    for (struct guest **p = &d->guests; *p; p = &(*p)->next) {
        if (*p == g) {
            *p = g->next;
            break;
        }
    }
    guests_console_close(d, g);
    state_guest_remove(g->uuid);
    chaos_config_free(g->cfg);
    free(g);
}

static void restart_done(struct chaosd *d, void *opaque, int rc,
                         json_object *result, const char *errmsg)
{
    if (rc < 0)
        log_warn("restart failed: %s", errmsg);
    json_object_put(result);
}

void guest_restart(struct chaosd *d, chaos_config *cfg)
{
    /* The new domain gets a handle of its own. */
    chaos_config_set_uuid(cfg, NULL);
    create_start(d, cfg, false, restart_done, NULL);
}

/* ------------------------------------------------------- domain events */

static json_object *event_message(const struct chaos_domain_event *e)
{
    bool stopped = e->kind == CHAOS_EVENT_SHUTDOWN || e->kind == CHAOS_EVENT_CRASH;
    return chaosd_event_new(chaos_event_kind_name(e->kind), e->domid, e->name, "reason",
                            stopped ? chaos_shutdown_reason_name(e->shutdown_reason) : NULL);
}

static void on_events(uv_poll_t *h, int status, int events)
{
    struct chaosd *d = h->data;
    struct chaos_domain_event ev[32];
    int n;
    while ((n = chaos_events_read(d->ctx, d->events, ev, 32)) > 0) {
        for (int i = 0; i < n; i++) {
            server_broadcast(d, event_message(&ev[i]));
            struct guest *g = guest_find(d, ev[i].domid);
            if (!g || memcmp(g->uuid, ev[i].uuid, 16))
                continue;
            if (ev[i].kind == CHAOS_EVENT_DEATH) {
                guest_remove(d, g);
            } else if (ev[i].kind == CHAOS_EVENT_SHUTDOWN ||
                       ev[i].kind == CHAOS_EVENT_CRASH) {
                apply_action(d, g, ev[i].kind == CHAOS_EVENT_CRASH,
                             ev[i].shutdown_reason);
            }
        }
        if (n < 32)
            break;
    }
    if (n < 0)
        log_warn("reading domain events: %s", chaos_errmsg(d->ctx));
}

static void on_tick(uv_timer_t *t)
{
    struct chaosd *d = t->data;
    bool check = !d->events && ++d->ticks % 4 == 0;
    for (struct guest *g = d->guests, *next; g; g = next) {
        next = g->next;
        if (g->console &&
            chaos_console_server_handle(d->ctx, g->console, NULL, 0) < 0)
            guests_console_close(d, g);
        console_sync(d, g);
        if (check)
            check_guest(d, g);
    }
}

int guests_start(struct chaosd *d)
{
    uv_timer_start(&d->tick, on_tick, TICK_MS, TICK_MS);
    if (chaos_events_open(d->ctx, &d->events) < 0) {
        log_warn("no domain events (%s): checking guests every %d ms instead",
                 chaos_errmsg(d->ctx), 4 * TICK_MS);
        d->events = NULL;
        return 0;
    }
    log_info("domain events from %s", chaos_events_source(d->events));
    uv_poll_init(d->loop, &d->events_poll, chaos_events_fd(d->events));
    d->events_poll.data = d;
    uv_poll_start(&d->events_poll, UV_READABLE, on_events);
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
    if (d->events && !uv_is_closing((uv_handle_t *)&d->events_poll))
        uv_close((uv_handle_t *)&d->events_poll, on_events_closed);
    /* Guests keep running; their records stay for the next chaosd. */
    while (d->guests) {
        struct guest *g = d->guests;
        d->guests = g->next;
        guests_console_close(d, g);
        chaos_config_free(g->cfg);
        free(g);
    }
}
