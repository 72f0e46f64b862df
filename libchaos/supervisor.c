/*
 * supervisor.c - the guest supervisor of chaos.h: serves one running guest
 * (its console and its noxs devices; its store will join here) and
 * carries out its on_* actions, for the monitor process of `chaos create`
 * and for chaosd alike.
 *
 * A small state machine driven by one input, a *look* at the domain
 * (getdomaininfo): every 250 ms when the caller has no domain events,
 * else whenever an event names the domain, and once at start.  Events
 * only say "look now": the look is what decides, so an event lost or seen
 * twice changes nothing.
 *
 * The console and the devices are served on their notifications only,
 * plus one *sweep* when serving starts: a notification the guest sent
 * before we bound its channel was dropped by Xen (an unbound port), so the
 * sweep reads what it announced.  No periodic work: an idle guest costs
 * its supervisor nothing but the looks, and none with domain events
 * (chaosd serving thousands of guests would otherwise wake for each).
 *
 *   SERVING --stopped, destroy-----------------------------> DONE
 *   SERVING --stopped, preserve--> SERVING (acted; until it is gone)
 *   SERVING --stopped, restart--> RESTARTING --restarted()--> SERVING
 *                                            \-failed------> FAILED
 *   SERVING --gone or dying--------------------------------> DONE
 *   SERVING --suspended--> SERVING (no action: being saved; the saver
 *                          destroys it, or resumes it)
 *
 * Restart creates the guest with a new Xen handle, not the one it had:
 * the old domain may linger as "dying" while Xen frees its memory, and
 * every record chaos keeps (registry, chaosd's state, the lock) tells
 * domains apart by handle.  (xl keeps a configured UUID; chaos cannot
 * while two domains may carry it.)
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "devices_serve.h"
#include "internal.h"
#include "registry.h"
#include "supervisor.h"
#include "util.h"

/*
 * How often a supervisor without domain events looks at its domain.  One
 * getdomaininfo costs microseconds; a dead guest needs no faster
 * reaction: noticing late only keeps the domain "dying" a little longer
 * (its ring is still mapped).
 */
#define LOOK_MS 250

#define MSG_SLOTS 8
#define MSG_LEN 300

struct chaos_supervisor {
    chaos_config *cfg; /* what restarts create */
    char *log_path;
    struct chaos_supervisor_options opts;
    enum chaos_supervisor_state state;
    chaos_domid domid;
    uint8_t uuid[16];
    int lock_fd;                    /* -1: not held */
    chaos_console_server *console;  /* NULL: none (failed, or gone);
                                       prepared: served without a log */
    struct devices_server *devices; /* NULL: none */
    unsigned fds_closed; /* of servers closed since: fds_generation */
    bool acted;          /* this domain's stop was handled */
    int end_reason;      /* Xen's reason of the last stop acted on; -1: none */
    bool suspended;      /* seen suspended: being saved (no action) */
    bool look_now;
    bool sweep_now;        /* serve the console and devices without a
                          notification: once when serving starts */
    bool query_failed;     /* reported once */
    uint64_t next_look_ms; /* without domain events */
    /* Messages for the caller, oldest first. */
    char msgs[MSG_SLOTS][MSG_LEN];
    unsigned msg_head, msg_count, msg_dropped;
    char taken[MSG_LEN];
};

static void say(chaos_supervisor *sup, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void say(chaos_supervisor *sup, const char *fmt, ...)
{
    if (sup->msg_count == MSG_SLOTS) {
        sup->msg_dropped++;
        return;
    }
    char *slot = sup->msgs[(sup->msg_head + sup->msg_count++) % MSG_SLOTS];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(slot, MSG_LEN, fmt, ap);
    va_end(ap);
}

static const char *name_of(const chaos_supervisor *sup)
{
    const char *name = sup->cfg ? chaos_config_name(sup->cfg) : NULL;
    return name ? name : "";
}

/* mkdir -p of the directory holding path (missing parts only, 0750).
 * Usually it is there: one stat then, not a mkdir per part. */
static void make_parent_dirs(const char *path)
{
    char *dir = strdup(path);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    struct stat st;
    if (slash && slash != dir) {
        *slash = '\0';
        if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
            free(dir);
            return;
        }
        for (char *p = dir + 1; *p; p++) {
            if (*p != '/')
                continue;
            *p = '\0';
            mkdir(dir, 0750);
            *p = '/';
        }
        mkdir(dir, 0750); /* failures show when the log is opened */
    }
    free(dir);
}

/* The configuration libchaos kept when it created domid. */
static int load_config(chaos_ctx *ctx, chaos_domid domid, chaos_config **out)
{
    char *text = NULL;
    int rc = registry_read_config(domid, &text);
    if (rc < 0)
        return chaos__fail(ctx, rc,
                           "domain %u has no saved configuration (%s): it "
                           "was not created by this version of chaos",
                           domid, strerror(-rc));
    chaos_config *cfg = chaos_config_new();
    if (!cfg) {
        free(text);
        return chaos__fail(ctx, -ENOMEM, "out of memory");
    }
    rc = chaos_config_parse(cfg, text, strlen(text), "saved configuration");
    free(text);
    if (rc < 0) {
        rc = chaos__fail(ctx, rc, "domain %u: %s", domid,
                         chaos_config_errmsg(cfg));
        chaos_config_free(cfg);
        return rc;
    }
    *out = cfg;
    return 0;
}

/* Serves the devices (and store), then the console (its ring's frame and
 * port from the domain's record) of the domain in sup->domid: a client
 * that finds the console served (chaos-oci's keeper following a guest to
 * a new chaosd) finds its store served too. */
static int serve(chaos_ctx *ctx, chaos_supervisor *sup, uint64_t frame,
                 uint32_t port)
{
    /* Prepared (chaos_supervisor_prepare): the console is served without
     * a log, and the device page may be served.  On failure they stay,
     * for chaos_supervisor_close(). */
    if (sup->state == CHAOS_SUPERVISOR_PREPARED) {
        int rc = sup->devices ? 0
                              : devices_serve(ctx, sup->domid, sup->cfg,
                                              sup->uuid, &sup->devices);
        if (rc < 0) {
            sup->devices = NULL;
            return rc;
        }
        return chaos__console_server_start_log(ctx, sup->console,
                                               sup->log_path);
    }
    int rc = devices_serve(ctx, sup->domid, sup->cfg, sup->uuid, &sup->devices);
    if (rc < 0) {
        sup->devices = NULL;
        return rc;
    }
    struct chaos_console_options copts = { .log_path = sup->log_path };
    rc = chaos_console_serve(ctx, sup->domid, frame, port, &copts,
                             &sup->console);
    if (rc < 0) {
        sup->console = NULL;
        sup->fds_closed++;
        devices_server_close(sup->devices);
        sup->devices = NULL;
    }
    return rc;
}

/* The record of the domain info describes (ids are reused: its handle
 * must be the record's), with the message chaos_domain_console() gives. */
static int record_of(chaos_ctx *ctx, const struct chaos_dominfo *info,
                     struct registry_record *rec)
{
    if (chaos__record_of(info, rec) != 0)
        return chaos__fail(ctx, -ENOENT, "domain %u was not created by chaos",
                           info->domid);
    return 0;
}

/* serve(), the record read first. */
static int open_console(chaos_ctx *ctx, chaos_supervisor *sup)
{
    uint64_t frame;
    uint32_t port;
    int rc = chaos_domain_console(ctx, sup->domid, &frame, &port);
    return rc < 0 ? rc : serve(ctx, sup, frame, port);
}

static void take_device_messages(chaos_supervisor *sup)
{
    const char *m;
    while ((m = devices_server_take_message(sup->devices)))
        say(sup, "devices: %s", m);
}

/* The guest's last words first (a panic message), then unmap the ring,
 * without which its domain cannot finish dying. */
static void close_console(chaos_ctx *ctx, chaos_supervisor *sup)
{
    /* The back ends hold grant mappings of the guest's pages, which keep
     * a destroyed domain dying as the console ring's mapping does. */
    if (sup->devices) {
        take_device_messages(sup);
        sup->fds_closed += devices_server_closes(sup->devices) + 1;
        devices_server_close(sup->devices);
        sup->devices = NULL;
    }
    if (!sup->console)
        return;
    sup->fds_closed += chaos__console_server_closes(sup->console) + 1;
    chaos_console_server_handle(ctx, sup->console, NULL, 0);
    const char *warning = chaos_console_server_take_warning(sup->console);
    if (warning)
        say(sup, "console: %s", warning);
    chaos_console_server_close(sup->console);
    sup->console = NULL;
}

/* The domain is gone (or we destroyed it): nothing left to serve. */
static void finish(chaos_ctx *ctx, chaos_supervisor *sup,
                   enum chaos_supervisor_state state)
{
    close_console(ctx, sup);
    supervisor_unlock(sup->uuid, sup->lock_fd, true);
    sup->lock_fd = -1;
    sup->state = state;
}

/* Takes the lock of the domain with handle uuid into sup (-EBUSY: another
 * supervisor holds it, *holder its pid when known), with the message a
 * caller shows. */
static int take_lock(chaos_ctx *ctx, chaos_supervisor *sup,
                     const uint8_t uuid[16], long *holder)
{
    memcpy(sup->uuid, uuid, sizeof(sup->uuid));
    int rc = supervisor_lock(sup->uuid, &sup->lock_fd, holder);
    if (rc == 0)
        return 0;
    sup->lock_fd = -1;
    if (rc == -EBUSY && *holder > 0)
        return chaos__fail(ctx, rc, "domain %u is served by process %ld",
                           sup->domid, *holder);
    return chaos__fail(ctx, rc, "cannot take the lock of domain %u: %s",
                       sup->domid, strerror(-rc));
}

/* CHAOS_CONSOLE_LOG_DIR/NAME.log, or NULL (out of memory). */
static char *default_log_path(const char *name)
{
    size_t len = strlen(CHAOS_CONSOLE_LOG_DIR) + strlen(name) + 16;
    char *path = malloc(len);
    if (path)
        snprintf(path, len, CHAOS_CONSOLE_LOG_DIR "/%s.log",
                 name[0] ? name : "unnamed");
    return path;
}

/*
 * What a start and a begin share: sup's options, the lock of the domain
 * rec describes (its handle, checked by the caller; a prepared
 * supervisor holds its shell's already), its configuration (cfg, taken,
 * else the one libchaos kept), its log, and serving it.  On failure
 * everything taken here is given back; what was prepared ahead stays
 * for chaos_supervisor_close().
 */
static int begin_serving(chaos_ctx *ctx, chaos_supervisor *sup,
                         chaos_config *cfg,
                         const struct chaos_supervisor_options *opts,
                         const struct registry_record *rec)
{
    if (opts)
        sup->opts = *opts;
    sup->opts.log_path = NULL; /* ours is sup->log_path */
    int rc = 0;
    bool locked_here = false;
    /* Prepared on another context, perhaps (a builder thread's). */
    devices_server_rebind(sup->devices, ctx);
    if (sup->lock_fd < 0 || memcmp(sup->uuid, rec->uuid, 16) != 0) {
        /* The guest got a handle of its own (its config named one): the
         * shell's lock goes with the shell's handle. */
        supervisor_unlock(sup->uuid, sup->lock_fd, true);
        sup->lock_fd = -1;
        long holder;
        rc = take_lock(ctx, sup, rec->uuid, &holder);
        locked_here = rc == 0;
    }
    if (rc < 0) {
        chaos_config_free(cfg);
        return rc;
    }
    if (cfg)
        sup->cfg = cfg;
    else if ((rc = load_config(ctx, sup->domid, &sup->cfg)) < 0)
        goto fail;
    if (opts && opts->log_path) {
        sup->log_path = strdup(opts->log_path);
    } else {
        sup->log_path = default_log_path(name_of(sup));
    }
    if (!sup->log_path) {
        rc = chaos__fail(ctx, -ENOMEM, "out of memory");
        goto fail;
    }
    make_parent_dirs(sup->log_path);
    rc = serve(ctx, sup, rec->console_frame, rec->console_port);
    if (rc < 0)
        goto fail;
    sup->state = CHAOS_SUPERVISOR_SERVING;
    sup->look_now = true; /* it may have stopped already */
    sup->sweep_now = true;
    sup->next_look_ms = util_now_ms() + LOOK_MS;
    return 0;

fail:
    if (locked_here) {
        supervisor_unlock(sup->uuid, sup->lock_fd, false);
        sup->lock_fd = -1;
    }
    chaos_config_free(sup->cfg);
    sup->cfg = NULL;
    free(sup->log_path);
    sup->log_path = NULL;
    return rc;
}

static chaos_supervisor *supervisor_new(chaos_ctx *ctx, chaos_domid domid,
                                        enum chaos_supervisor_state state)
{
    chaos_supervisor *sup = calloc(1, sizeof(*sup));
    if (!sup) {
        chaos__fail(ctx, -ENOMEM, "out of memory");
        return NULL;
    }
    sup->state = state;
    sup->domid = domid;
    sup->lock_fd = -1;
    sup->end_reason = -1;
    return sup;
}

int chaos_supervisor_start(chaos_ctx *ctx, chaos_domid domid,
                           const struct chaos_supervisor_options *opts,
                           chaos_supervisor **out)
{
    chaos__clear_error(ctx);
    struct chaos_dominfo info;
    int rc = chaos_domain_info(ctx, domid, &info);
    if (rc < 0)
        return rc;
    /* The record must still describe this domain (ids are reused) before
     * its configuration is trusted: the handle Xen gave above (the
     * lock's) is the record's.  One look at Xen for both: each costs
     * ~0.5 ms under emulation, and chaosd starts a supervisor per create. */
    struct registry_record rec;
    rc = record_of(ctx, &info, &rec);
    if (rc < 0)
        return rc;
    chaos_supervisor *sup =
        supervisor_new(ctx, domid, CHAOS_SUPERVISOR_SERVING);
    if (!sup)
        return -ENOMEM;
    rc = begin_serving(ctx, sup, NULL, opts, &rec);
    if (rc < 0) {
        free(sup);
        return rc;
    }
    *out = sup;
    return 0;
}

int chaos_supervisor_prepare(chaos_ctx *ctx, chaos_domid domid,
                             const chaos_shell *shell, chaos_supervisor **out)
{
    int rc = chaos__need_hv(ctx);
    if (rc)
        return rc;
    struct registry_record rec = { .domid = domid };
    if (shell) {
        if (chaos_shell_domid(shell) != domid ||
            chaos__shell_console(shell, &rec.console_frame, &rec.console_port,
                                 rec.uuid) < 0)
            return chaos__fail(ctx, -EINVAL,
                               "domain %u: not the domain of a loaded shell",
                               domid);
    } else if (chaos__live_record(ctx, domid, &rec) != 0) {
        return chaos__fail(ctx, -ENOENT, "domain %u was not created by chaos",
                           domid);
    }
    chaos_supervisor *sup =
        supervisor_new(ctx, domid, CHAOS_SUPERVISOR_PREPARED);
    if (!sup)
        return -ENOMEM;
    /* The console without a log (its name is the guest's, not known yet):
     * the ring mapped and bound, the socket listening. */
    static const struct chaos_console_options no_log;
    long holder;
    rc = take_lock(ctx, sup, rec.uuid, &holder);
    if (rc == 0)
        rc = chaos_console_serve(ctx, domid, rec.console_frame,
                                 rec.console_port, &no_log, &sup->console);
    if (rc == 0)
        rc = devices_serve_ahead(ctx, domid, &sup->devices);
    if (rc < 0) {
        chaos_supervisor_close(ctx, sup);
        return rc;
    }
    *out = sup;
    return 0;
}

int chaos_supervisor_begin(chaos_ctx *ctx, chaos_supervisor *sup,
                           chaos_config *cfg,
                           const struct chaos_supervisor_options *opts)
{
    chaos__clear_error(ctx);
    if (sup->state != CHAOS_SUPERVISOR_PREPARED) {
        chaos_config_free(cfg);
        return chaos__fail(ctx, -EINVAL,
                           "domain %u: its supervisor is not a prepared one",
                           sup->domid);
    }
    /* No look at Xen: the guest was created from this domain just now,
     * and the mapped ring keeps its id from being reused.  The first
     * handle() looks, as after a start. */
    struct registry_record rec;
    int rc = registry_read(sup->domid, &rec);
    if (rc < 0 || rec.domid != sup->domid) {
        chaos_config_free(cfg);
        return chaos__fail(ctx, rc < 0 ? rc : -ESTALE,
                           "domain %u was not created by chaos", sup->domid);
    }
    return begin_serving(ctx, sup, cfg, opts, &rec);
}

/* The rename's store writes, into the store this supervisor serves. */
static int own_store_write(chaos_ctx *ctx, chaos_domid domid, const char *path,
                           const char *value, void *opaque)
{
    chaos_supervisor *sup = opaque;
    (void)domid;
    int rc = devices_server_store_put(sup->devices, path, value);
    if (rc < 0 && rc != -ENOENT)
        return chaos__fail(ctx, rc, "domain %u: writing %s: %s", sup->domid,
                           path, strerror(-rc));
    return rc;
}

int chaos_supervisor_rename(chaos_ctx *ctx, chaos_supervisor *sup,
                            const char *new_name)
{
    chaos__clear_error(ctx);
    if (sup->state != CHAOS_SUPERVISOR_SERVING)
        return chaos__fail(ctx, -EINVAL,
                           "domain %u: its supervisor does not serve it",
                           sup->domid);
    devices_server_rebind(sup->devices, ctx); /* see handle() */
    char *old_default = default_log_path(name_of(sup));
    char *new_path = default_log_path(new_name);
    int rc = old_default && new_path
                 ? 0
                 : chaos__fail(ctx, -ENOMEM, "out of memory");
    const struct chaos__store_writer own = { own_store_write, sup };
    if (rc == 0)
        rc = chaos__domain_rename(ctx, sup->domid, new_name, &own);
    if (rc == 0)
        rc = chaos_config_set_name(sup->cfg, new_name);
    /* A log the caller placed itself stays where it was put. */
    if (rc == 0 && sup->console && !strcmp(sup->log_path, old_default)) {
        if (chaos__console_server_move_log(ctx, sup->console, new_path) < 0) {
            say(sup, "'%s': console log not renamed: %s", new_name,
                chaos_errmsg(ctx));
            chaos__clear_error(ctx);
        } else {
            free(sup->log_path);
            sup->log_path = new_path;
            new_path = NULL;
        }
    }
    free(old_default);
    free(new_path);
    return rc;
}

void chaos_supervisor_set_options(chaos_supervisor *sup,
                                  const struct chaos_supervisor_options *opts)
{
    sup->opts = *opts;
    sup->opts.log_path = NULL; /* ours is sup->log_path */
    /* Its new server may have missed notifications: as after a start. */
    sup->look_now = true;
    sup->sweep_now = true;
}

static void default_restart(void *opaque, chaos_supervisor *sup,
                            chaos_config *cfg)
{
    chaos_ctx *ctx = opaque;
    chaos_domid id;
    if (chaos_domain_create(ctx, cfg, 0, &id, NULL) < 0)
        chaos_supervisor_restart_failed(sup, chaos_errmsg(ctx));
    else
        chaos_supervisor_restarted(ctx, sup, id);
    chaos_config_free(cfg);
}

/* A copy of the configuration for the restart hook, without the handle
 * (see the top of this file). */
static chaos_config *restart_config(const chaos_supervisor *sup)
{
    char *text = chaos_config_to_text(sup->cfg);
    chaos_config *cfg = text ? chaos_config_new() : NULL;
    if (cfg && (chaos_config_parse(cfg, text, strlen(text), "restart") < 0 ||
                chaos_config_set_uuid(cfg, NULL) < 0)) {
        chaos_config_free(cfg);
        cfg = NULL;
    }
    free(text);
    return cfg;
}

static void restart(chaos_ctx *ctx, chaos_supervisor *sup)
{
    chaos_config *cfg = restart_config(sup);
    if (!cfg) {
        say(sup, "'%s': cannot restart it: out of memory", name_of(sup));
        finish(ctx, sup, CHAOS_SUPERVISOR_FAILED);
        return;
    }
    /* The old domain's lock goes with it; restarted() takes the new one. */
    finish(ctx, sup, CHAOS_SUPERVISOR_RESTARTING);
    if (sup->opts.restart)
        sup->opts.restart(sup->opts.opaque, sup, cfg);
    else
        default_restart(ctx, sup, cfg);
}

/* `chaos rename` changes the registry, not this process's copy of the
 * configuration: take the name recorded now (a restart keeps it). */
static void refresh_name(chaos_supervisor *sup)
{
    struct registry_record rec;
    if (registry_read(sup->domid, &rec) == 0 &&
        !memcmp(rec.uuid, sup->uuid, sizeof(rec.uuid)) && rec.name[0] &&
        strcmp(rec.name, name_of(sup)) != 0)
        chaos_config_set_name(sup->cfg, rec.name);
}

/* Carries out the action for how the domain stopped, once per domain. */
static void act(chaos_ctx *ctx, chaos_supervisor *sup,
                const struct chaos_dominfo *info)
{
    if (sup->acted)
        return;
    sup->acted = true;
    refresh_name(sup);
    bool crashed = info->state == CHAOS_DOM_CRASHED;
    sup->end_reason = crashed ? XEN_REASON_CRASH : info->shutdown_reason;
    enum chaos_event ev = supervisor_event_for(crashed, info->shutdown_reason);
    enum chaos_action action = chaos_config_action(sup->cfg, ev);
    const char *why =
        crashed ? "crash" : chaos_shutdown_reason_name(info->shutdown_reason);
    say(sup, "'%s' (domain %u) shut down (%s): %s", name_of(sup), sup->domid,
        why, chaos_action_name(action));
    if (action == CHAOS_ACTION_PRESERVE)
        return; /* served until someone destroys it */
    if (!supervisor_action_supported(action))
        say(sup, "%s = \"%s\" is not supported: destroying it",
            supervisor_event_key(ev), chaos_action_name(action));
    close_console(ctx, sup);
    if (chaos_domain_destroy(ctx, sup->domid) < 0) {
        say(sup, "destroying domain %u failed: %s", sup->domid,
            chaos_errmsg(ctx));
        finish(ctx, sup, CHAOS_SUPERVISOR_FAILED);
        return;
    }
    if (action == CHAOS_ACTION_RESTART)
        restart(ctx, sup);
    else
        finish(ctx, sup, CHAOS_SUPERVISOR_DONE);
}

/*
 * Looks at the domain and acts on what it sees.  A query that fails for
 * another reason than "no such domain" counts as alive (reported once):
 * abandoning a live guest is worse than noticing its end late.
 */
static void look(chaos_ctx *ctx, chaos_supervisor *sup)
{
    struct chaos_dominfo info;
    int rc = chaos_domain_info(ctx, sup->domid, &info);
    if (rc < 0 && rc != -ESRCH) {
        if (!sup->query_failed)
            say(sup, "cannot query domain %u: %s", sup->domid,
                chaos_errmsg(ctx));
        sup->query_failed = true;
        return;
    }
    sup->query_failed = false;
    if (rc == -ESRCH || memcmp(info.uuid, sup->uuid, 16) != 0 ||
        info.state == CHAOS_DOM_DYING) {
        finish(ctx, sup, CHAOS_SUPERVISOR_DONE);
        return;
    }
    bool stopped =
        info.state == CHAOS_DOM_SHUTDOWN || info.state == CHAOS_DOM_CRASHED;
    /* Suspended for a save: wait for the saver to destroy the domain (the
     * image is written) or to resume it (a checkpoint, a failed save). */
    if (stopped && supervisor_being_saved(info.state == CHAOS_DOM_CRASHED,
                                          info.shutdown_reason)) {
        if (!sup->suspended)
            say(sup, "'%s' (domain %u) suspended: being saved", name_of(sup),
                sup->domid);
        sup->suspended = true;
        return;
    }
    if (sup->suspended && !stopped)
        say(sup, "'%s' (domain %u) resumed", name_of(sup), sup->domid);
    sup->suspended = false;
    if (stopped)
        act(ctx, sup, &info);
}

unsigned chaos_supervisor_pollfds(const chaos_supervisor *sup,
                                  struct pollfd *fds, unsigned max)
{
    /* The back ends' after the console's. */
    if (sup->state != CHAOS_SUPERVISOR_SERVING || !sup->console)
        return 0;
    unsigned n = chaos_console_server_pollfds(sup->console, fds, max);
    return n + devices_server_pollfds(sup->devices, fds + n, max - n);
}

int chaos_supervisor_timeout_ms(const chaos_supervisor *sup)
{
    /* Waiting for the restart hook, or finished: nothing to do until the
     * hook reports.  (A 0 here that handle() does not consume would make
     * an event loop spin.) */
    if (sup->state != CHAOS_SUPERVISOR_SERVING)
        return -1;
    if (sup->look_now || sup->sweep_now)
        return 0;
    if (sup->opts.domain_events)
        return -1;
    uint64_t now = util_now_ms();
    return sup->next_look_ms > now ? (int)(sup->next_look_ms - now) : 0;
}

int chaos_supervisor_handle(chaos_ctx *ctx, chaos_supervisor *sup,
                            const struct pollfd *fds, unsigned n)
{
    chaos__clear_error(ctx);
    if (sup->state != CHAOS_SUPERVISOR_SERVING) {
        sup->look_now = false;
        return 0;
    }
    /* Served on another context before, perhaps (a builder thread's):
     * the back ends report through this one from now on. */
    devices_server_rebind(sup->devices, ctx);
    int rc = 0;
    bool sweep = sup->sweep_now;
    sup->sweep_now = false;
    if (sup->console && (n > 0 || sweep)) {
        /* n == 0 on a sweep: just move pending data. */
        rc = chaos_console_server_handle(ctx, sup->console, fds, n);
        const char *warning = chaos_console_server_take_warning(sup->console);
        if (warning)
            say(sup, "console: %s", warning);
        if (rc < 0) {
            /* The guest side broke: its actions still apply. */
            say(sup, "console of domain %u stopped: %s", sup->domid,
                chaos_errmsg(ctx));
            close_console(ctx, sup);
        }
    }
    if (sup->devices) {
        if (n > 0)
            devices_server_handle(sup->devices, fds, n);
        if (sweep)
            devices_server_handle(sup->devices, NULL, 0);
        /* Requests left in a store ring: again at once, as a sweep. */
        if (sup->devices && devices_server_busy(sup->devices))
            sup->sweep_now = true;
        /* A back end failed: its TAP device is gone when `chaos destroy`
         * got there first, so look now rather than when the domain
         * event comes (seen in the lab: chaosd kept serving a destroyed
         * guest, holding its pages, after its TAP went). */
        if (sup->devices && devices_server_take_failure(sup->devices))
            sup->look_now = true;
        take_device_messages(sup);
    }
    uint64_t now = util_now_ms();
    if (!sup->opts.domain_events && now >= sup->next_look_ms) {
        sup->look_now = true;
        sup->next_look_ms = now + LOOK_MS;
    }
    if (sup->look_now) {
        sup->look_now = false;
        look(ctx, sup);
    }
    return rc;
}

void chaos_supervisor_domain_event(chaos_ctx *ctx, chaos_supervisor *sup,
                                   const struct chaos_domain_event *ev)
{
    (void)ctx;
    if (sup->state == CHAOS_SUPERVISOR_SERVING && ev->domid == sup->domid &&
        !memcmp(ev->uuid, sup->uuid, 16))
        sup->look_now = true;
}

int chaos_supervisor_restarted(chaos_ctx *ctx, chaos_supervisor *sup,
                               chaos_domid domid)
{
    chaos__clear_error(ctx);
    struct chaos_dominfo info;
    struct registry_record rec;
    long holder;
    int rc = chaos_domain_info(ctx, domid, &info);
    if (rc == 0) {
        sup->domid = domid;
        rc = take_lock(ctx, sup, info.uuid, &holder);
        /* Taken over between its creation and now (a starting chaosd
         * adopting it): served, just not by us. */
        if (rc == -EBUSY) {
            chaos__clear_error(ctx);
            say(sup,
                "'%s' restarted as domain %u, now served by "
                "process %ld",
                name_of(sup), domid, holder);
            sup->state = CHAOS_SUPERVISOR_DONE;
            return 0;
        }
    }
    /* As at start: the look above checks the record too. */
    if (rc == 0)
        rc = record_of(ctx, &info, &rec);
    if (rc == 0)
        rc = serve(ctx, sup, rec.console_frame, rec.console_port);
    if (rc < 0) {
        say(sup, "'%s' restarted as domain %u, but cannot serve it: %s",
            name_of(sup), domid, chaos_errmsg(ctx));
        finish(ctx, sup, CHAOS_SUPERVISOR_FAILED);
        return rc;
    }
    say(sup, "'%s' restarted as domain %u", name_of(sup), domid);
    sup->state = CHAOS_SUPERVISOR_SERVING;
    sup->acted = false;
    sup->end_reason = -1;
    sup->look_now = true;
    sup->sweep_now = true;
    sup->next_look_ms = util_now_ms() + LOOK_MS;
    return 0;
}

void chaos_supervisor_restart_failed(chaos_supervisor *sup, const char *why)
{
    say(sup, "restarting '%s' failed: %s", name_of(sup), why ? why : "?");
    sup->state = CHAOS_SUPERVISOR_FAILED;
}

const char *chaos_supervisor_take_message(chaos_supervisor *sup)
{
    if (sup->msg_count == 0) {
        if (!sup->msg_dropped)
            return NULL;
        snprintf(sup->taken, sizeof(sup->taken), "(%u more messages lost)",
                 sup->msg_dropped);
        sup->msg_dropped = 0;
        return sup->taken;
    }
    memcpy(sup->taken, sup->msgs[sup->msg_head], MSG_LEN);
    sup->msg_head = (sup->msg_head + 1) % MSG_SLOTS;
    sup->msg_count--;
    return sup->taken;
}

enum chaos_supervisor_state chaos_supervisor_state(const chaos_supervisor *sup)
{
    return sup->state;
}

int chaos_supervisor_end_reason(const chaos_supervisor *sup)
{
    return sup->end_reason;
}

chaos_domid chaos_supervisor_domid(const chaos_supervisor *sup)
{
    return sup->domid;
}

unsigned chaos_supervisor_device_stats(const chaos_supervisor *sup,
                                       struct chaos_device_stats *out,
                                       unsigned max)
{
    return sup->devices ? devices_server_stats(sup->devices, out, max) : 0;
}

void chaos_supervisor_uuid(const chaos_supervisor *sup, uint8_t out[16])
{
    memcpy(out, sup->uuid, 16);
}

const char *chaos_supervisor_name(const chaos_supervisor *sup)
{
    return name_of(sup);
}

int chaos_supervisor_destroy_domain(chaos_ctx *ctx, chaos_supervisor *sup)
{
    chaos__clear_error(ctx);
    if (sup->state != CHAOS_SUPERVISOR_SERVING)
        return chaos__fail(ctx, -ESRCH, "'%s' is not running", name_of(sup));
    devices_server_rebind(sup->devices, ctx); /* see handle() */
    close_console(ctx, sup);
    int rc = chaos_domain_destroy(ctx, sup->domid);
    if (rc < 0) {
        /* Still there: serve its console again, and say why it stays. */
        char why[256];
        snprintf(why, sizeof(why), "%s", chaos_errmsg(ctx));
        if (open_console(ctx, sup) < 0)
            say(sup, "'%s': console not served any more: %s", name_of(sup),
                chaos_errmsg(ctx));
        return chaos__fail(ctx, rc, "%s", why);
    }
    finish(ctx, sup, CHAOS_SUPERVISOR_DONE);
    return 0;
}

void chaos_supervisor_close(chaos_ctx *ctx, chaos_supervisor *sup)
{
    if (!sup)
        return;
    devices_server_rebind(sup->devices, ctx); /* see begin_serving() */
    close_console(ctx, sup);
    /* A domain that ended before this server looked (destroyed just
     * before chaosd stopped) takes its lock file with it, as finish()
     * does; a live one's stays for whoever serves it next. */
    struct chaos_dominfo info;
    bool prepared = sup->state == CHAOS_SUPERVISOR_PREPARED;
    int rc = sup->lock_fd >= 0 && !prepared
                 ? chaos_domain_info(ctx, sup->domid, &info)
                 : 0;
    /* A prepared one's domain never ran as a guest: the pool that held
     * it is giving it back. */
    bool gone = prepared || rc == -ESRCH ||
                (rc == 0 && sup->lock_fd >= 0 &&
                 (memcmp(info.uuid, sup->uuid, 16) != 0 ||
                  info.state == CHAOS_DOM_DYING));
    supervisor_unlock(sup->uuid, sup->lock_fd, gone);
    chaos_config_free(sup->cfg);
    free(sup->log_path);
    free(sup);
}

unsigned chaos_supervisor_fds_generation(const chaos_supervisor *sup)
{
    return sup->fds_closed + devices_server_closes(sup->devices) +
           (sup->console ? chaos__console_server_closes(sup->console) : 0);
}
