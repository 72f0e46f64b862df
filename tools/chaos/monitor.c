/*
 * monitor.c - the per-guest console monitor (see monitor.h): one small
 * process per guest that serves its console, carries out its on_*
 * actions, and exits when the guest is gone.  chaosd will later serve
 * many consoles from one event loop with the same library calls.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "monitor.h"

/*
 * How often the monitor asks Xen whether its domain still exists.
 *
 * Why poll: Xen announces domain deaths with VIRQ_DOM_EXC, but that
 * virtual interrupt can be bound by only one process in dom0 (xenstored,
 * or chaosd through chaos_events_open), and a monitor per guest could
 * not all bind it anyway.  One getdomaininfo hypercall every 250 ms costs
 * microseconds, and a dead guest's console needs no faster reaction: the
 * only cost of noticing late is that the domain stays "dying" until we
 * unmap its ring.
 */
#define LIVENESS_INTERVAL_MS 250

/* The guest being served; it changes when a restart creates it again. */
struct monitor {
    chaos_ctx *ctx;
    const chaos_config *cfg;        /* NULL: take no action */
    const char *log_path;
    chaos_console_server *srv;
    chaos_domid domid;
    uint8_t uuid[16];               /* tells it from a later domain with
                                       the same id */
    bool acted;                     /* its shutdown has been handled */
    bool query_failed;              /* reported once */
    bool restart_failed;            /* exit with status 1 */
};

static chaos_domid monitored;       /* for report(), which every path uses */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void report(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "chaos monitor %u: ", monitored);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* mkdir -p of the directory holding path (missing parts only, 0750). */
static void make_parent_dirs(const char *path)
{
    char *dir = strdup(path);
    if (!dir)
        return;
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        for (char *p = dir + 1; *p; p++) {
            if (*p != '/')
                continue;
            *p = '\0';
            mkdir(dir, 0750);
            *p = '/';
        }
        mkdir(dir, 0750);     /* failures show when the log is opened */
    }
    free(dir);
}

static bool supported(enum chaos_action act)
{
    return act == CHAOS_ACTION_DESTROY || act == CHAOS_ACTION_PRESERVE ||
           act == CHAOS_ACTION_RESTART;
}

int chaos_monitor_check_actions(const chaos_config *cfg, char *msg, size_t len)
{
    static const char *const keys[] = {
        [CHAOS_ON_POWEROFF] = "on_poweroff",
        [CHAOS_ON_REBOOT] = "on_reboot",
        [CHAOS_ON_CRASH] = "on_crash",
    };
    for (int ev = CHAOS_ON_POWEROFF; ev <= CHAOS_ON_CRASH; ev++) {
        enum chaos_action act = chaos_config_action(cfg, (enum chaos_event)ev);
        if (!supported(act)) {
            snprintf(msg, len, "%s = \"%s\" is not supported yet (chaos "
                     "carries out destroy, preserve and restart)", keys[ev],
                     chaos_action_name(act));
            return -ENOTSUP;
        }
    }
    return 0;
}

/* Starts serving the console of domain id (whose ring is at frame/port). */
static int serve_domain(struct monitor *m, chaos_domid id, uint64_t frame,
                        uint32_t port)
{
    monitored = id;
    struct chaos_dominfo info;
    if (chaos_domain_info(m->ctx, id, &info) < 0) {
        report("%s", chaos_errmsg(m->ctx));
        return -1;
    }
    struct chaos_console_options opts = { .log_path = m->log_path };
    if (chaos_console_serve(m->ctx, id, frame, port, &opts, &m->srv) < 0) {
        m->srv = NULL;
        report("%s", chaos_errmsg(m->ctx));
        return -1;
    }
    m->domid = id;
    memcpy(m->uuid, info.uuid, sizeof(m->uuid));
    m->acted = false;
    return 0;
}

/* Stops serving: the guest's last words first (a panic message, say),
 * then unmap the ring, without which its domain cannot finish dying. */
static void stop_serving(struct monitor *m)
{
    if (!m->srv)
        return;
    chaos_console_server_handle(m->ctx, m->srv, NULL, 0);
    chaos_console_server_close(m->srv);
    m->srv = NULL;
}

/*
 * "restart", as xl means it: destroy the domain and create it again from
 * the same configuration (same name; the console log goes on).
 */
static int restart(struct monitor *m, const char *why)
{
    report("domain %u shut down (%s): restarting it", m->domid, why);
    stop_serving(m);
    if (chaos_domain_destroy(m->ctx, m->domid) < 0) {
        report("destroying domain %u failed: %s", m->domid,
               chaos_errmsg(m->ctx));
        return -1;
    }
    chaos_domid id;
    uint64_t frame;
    uint32_t port;
    if (chaos_domain_create(m->ctx, m->cfg, 0, &id, NULL) < 0 ||
        chaos_domain_console(m->ctx, id, &frame, &port) < 0) {
        report("restarting '%s' failed: %s", chaos_config_name(m->cfg),
               chaos_errmsg(m->ctx));
        return -1;
    }
    report("'%s' restarted as domain %u", chaos_config_name(m->cfg), id);
    return serve_domain(m, id, frame, port);
}

enum liveness { ALIVE, GONE, RESTART };

/*
 * The guest has shut down: carry out what its config says for the reason
 * (xl's on_poweroff / on_reboot / on_crash), once per domain.
 */
static enum liveness apply_action(struct monitor *m,
                                  const struct chaos_dominfo *info)
{
    if (!m->cfg || m->acted)
        return ALIVE;
    m->acted = true;
    const char *why = chaos_shutdown_reason_name(info->shutdown_reason);
    enum chaos_event ev = info->state == CHAOS_DOM_CRASHED ? CHAOS_ON_CRASH
                        : !strcmp(why, "reboot") ? CHAOS_ON_REBOOT
                        : CHAOS_ON_POWEROFF;
    enum chaos_action act = chaos_config_action(m->cfg, ev);
    if (act == CHAOS_ACTION_PRESERVE) {
        report("domain %u shut down (%s): preserved", m->domid, why);
        return ALIVE;
    }
    if (act == CHAOS_ACTION_RESTART)
        return RESTART;
    /* chaos create refused the others (chaos_monitor_check_actions). */
    if (act != CHAOS_ACTION_DESTROY)
        report("domain %u shut down (%s): action '%s' is not supported; "
               "destroying it", m->domid, why, chaos_action_name(act));
    if (chaos_domain_destroy(m->ctx, m->domid) < 0)
        report("destroying domain %u failed: %s", m->domid,
               chaos_errmsg(m->ctx));
    return ALIVE;   /* the next look sees it dying or gone */
}

/*
 * Whether the domain we serve still exists and is not dying, and acts on
 * its shutdown.  A query that fails for another reason than "no such
 * domain" counts as alive (and is reported once), since abandoning a live
 * guest's console is worse than a late exit.
 */
static enum liveness check(struct monitor *m)
{
    struct chaos_dominfo info;
    int rc = chaos_domain_info(m->ctx, m->domid, &info);
    if (rc == -ESRCH)
        return GONE;
    if (rc < 0) {
        if (!m->query_failed)
            report("cannot query the domain: %s", chaos_errmsg(m->ctx));
        m->query_failed = true;
        return ALIVE;
    }
    m->query_failed = false;
    if (memcmp(info.uuid, m->uuid, sizeof(info.uuid)) != 0)
        return GONE;
    if (info.state == CHAOS_DOM_SHUTDOWN || info.state == CHAOS_DOM_CRASHED) {
        if (apply_action(m, &info) == RESTART) {
            if (restart(m, chaos_shutdown_reason_name(info.shutdown_reason)) == 0)
                return ALIVE;   /* serving the new domain now */
            m->restart_failed = true;
            return GONE;
        }
    }
    return info.state != CHAOS_DOM_DYING ? ALIVE : GONE;
}

/* Stop signals are blocked except while waiting in ppoll(), so one that
 * arrives between the check and the wait cannot be missed. */
static void catch_stop_signals(sigset_t *wait_mask)
{
    sigset_t stops;
    sigemptyset(&stops);
    sigaddset(&stops, SIGTERM);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGHUP);
    sigprocmask(SIG_BLOCK, &stops, wait_mask);
    sigdelset(wait_mask, SIGTERM);
    sigdelset(wait_mask, SIGINT);
    sigdelset(wait_mask, SIGHUP);
    struct sigaction sa = { .sa_handler = on_stop_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    /* The server sends with MSG_NOSIGNAL; this covers anything else. */
    signal(SIGPIPE, SIG_IGN);
}

static int serve(struct monitor *m)
{
    sigset_t wait_mask;
    catch_stop_signals(&wait_mask);
    uint64_t next_check = now_ms() + LIVENESS_INTERVAL_MS;

    while (!stop_signal) {
        struct pollfd fds[CHAOS_CONSOLE_MAX_POLLFDS];
        unsigned n = chaos_console_server_pollfds(m->srv, fds,
                                                  CHAOS_CONSOLE_MAX_POLLFDS);
        uint64_t now = now_ms();
        uint64_t wait = next_check > now ? next_check - now : 0;
        struct timespec ts = { .tv_sec = (time_t)(wait / 1000),
                               .tv_nsec = (long)(wait % 1000) * 1000000 };
        int ready = ppoll(fds, n, &ts, &wait_mask);
        if (ready < 0 && errno != EINTR) {
            report("poll: %s", strerror(errno));
            return 1;
        }
        /* After a timeout or a signal, n == 0 still moves pending data. */
        if (chaos_console_server_handle(m->ctx, m->srv, fds,
                                        ready > 0 ? n : 0) < 0) {
            report("%s", chaos_errmsg(m->ctx));
            return 1;
        }
        const char *warning = chaos_console_server_take_warning(m->srv);
        if (warning)
            report("%s", warning);
        if (now_ms() >= next_check) {
            if (check(m) == GONE)
                break;
            next_check = now_ms() + LIVENESS_INTERVAL_MS;
        }
    }
    return m->restart_failed ? 1 : 0;
}

int chaos_monitor_run(chaos_domid domid, uint64_t frame, uint32_t port,
                      const char *log_path, const chaos_config *cfg)
{
    monitored = domid;
    struct monitor m = { .cfg = cfg, .log_path = log_path };
    if (chaos_open(&m.ctx) < 0) {
        report("%s", chaos_errmsg(m.ctx));
        chaos_close(m.ctx);
        return 1;
    }
    if (log_path)
        make_parent_dirs(log_path);
    int status = 1;
    if (serve_domain(&m, domid, frame, port) == 0)
        status = serve(&m);
    stop_serving(&m);
    chaos_close(m.ctx);
    return status;
}
