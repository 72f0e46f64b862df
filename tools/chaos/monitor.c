/*
 * monitor.c - the per-guest console monitor (see monitor.h): one small
 * process per guest that serves its console until the guest is gone.
 * chaosd will later serve many consoles from one event loop with the same
 * library calls.
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
 * virtual interrupt can be bound by only one process in dom0, and
 * xenstored takes it when it runs; a monitor per guest could not all bind
 * it anyway.  One getdomaininfo hypercall every 250 ms costs microseconds,
 * and a dead guest's console needs no faster reaction: the only cost of
 * noticing late is that the domain stays "dying" until we unmap its ring.
 */
#define LIVENESS_INTERVAL_MS 250

static chaos_domid monitored;
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

/*
 * True while the domain we started with exists and is not dying.  The
 * UUID guards against a new domain that got the same id.  A query that
 * fails for another reason counts as alive (and is reported once), since
 * abandoning a live guest's console is worse than a late exit.
 */
static const enum chaos_action *actions;   /* NULL: take no action */

/*
 * The guest has shut down: carry out what its config says for the reason
 * (xl's on_poweroff / on_reboot / on_crash), as xl's own background process
 * does.  destroy and preserve are supported; the restart family and
 * soft-reset are not yet, and fall back to destroy, saying so.
 */
static void apply_action(chaos_ctx *ctx, const struct chaos_dominfo *info)
{
    static bool done;
    if (!actions || done)
        return;
    done = true;
    const char *why = chaos_shutdown_reason_name(info->shutdown_reason);
    enum chaos_event ev = info->state == CHAOS_DOM_CRASHED ? CHAOS_ON_CRASH
                        : !strcmp(why, "reboot") ? CHAOS_ON_REBOOT
                        : CHAOS_ON_POWEROFF;
    enum chaos_action act = actions[ev];
    if (act == CHAOS_ACTION_PRESERVE) {
        report("domain %u shut down (%s): preserved", monitored, why);
        return;
    }
    if (act != CHAOS_ACTION_DESTROY && act != CHAOS_ACTION_COREDUMP_DESTROY)
        report("domain %u shut down (%s): action '%s' is not supported yet; "
               "destroying it", monitored, why, chaos_action_name(act));
    if (chaos_domain_destroy(ctx, monitored) < 0)
        report("destroying domain %u failed: %s", monitored, chaos_errmsg(ctx));
}

static bool domain_alive(chaos_ctx *ctx, const uint8_t uuid[16])
{
    static bool query_failed;
    struct chaos_dominfo info;
    int rc = chaos_domain_info(ctx, monitored, &info);
    if (rc == -ESRCH)
        return false;
    if (rc < 0) {
        if (!query_failed)
            report("cannot query the domain: %s", chaos_errmsg(ctx));
        query_failed = true;
        return true;
    }
    query_failed = false;
    if (memcmp(info.uuid, uuid, sizeof(info.uuid)) != 0)
        return false;
    if (info.state == CHAOS_DOM_SHUTDOWN || info.state == CHAOS_DOM_CRASHED)
        apply_action(ctx, &info);
    return info.state != CHAOS_DOM_DYING;
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

static int serve(chaos_ctx *ctx, chaos_console_server *srv,
                 const uint8_t uuid[16])
{
    sigset_t wait_mask;
    catch_stop_signals(&wait_mask);
    uint64_t next_check = now_ms() + LIVENESS_INTERVAL_MS;

    while (!stop_signal) {
        struct pollfd fds[CHAOS_CONSOLE_MAX_POLLFDS];
        unsigned n = chaos_console_server_pollfds(srv, fds,
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
        if (chaos_console_server_handle(ctx, srv, fds,
                                        ready > 0 ? n : 0) < 0) {
            report("%s", chaos_errmsg(ctx));
            return 1;
        }
        const char *warning = chaos_console_server_take_warning(srv);
        if (warning)
            report("%s", warning);
        if (now_ms() >= next_check) {
            if (!domain_alive(ctx, uuid))
                break;
            next_check = now_ms() + LIVENESS_INTERVAL_MS;
        }
    }
    /* The guest's last words (a panic message, say) before we unmap. */
    chaos_console_server_handle(ctx, srv, NULL, 0);
    return 0;
}

int chaos_monitor_run(chaos_domid domid, uint64_t frame, uint32_t port,
                      const char *log_path, const enum chaos_action *on)
{
    monitored = domid;
    actions = on;
    chaos_ctx *ctx;
    if (chaos_open(&ctx) < 0) {
        report("%s", chaos_errmsg(ctx));
        chaos_close(ctx);
        return 1;
    }
    struct chaos_dominfo info;
    if (chaos_domain_info(ctx, domid, &info) < 0) {
        report("%s", chaos_errmsg(ctx));
        chaos_close(ctx);
        return 1;
    }
    if (log_path)
        make_parent_dirs(log_path);
    struct chaos_console_options opts = { .log_path = log_path };
    chaos_console_server *srv;
    if (chaos_console_serve(ctx, domid, frame, port, &opts, &srv) < 0) {
        report("%s", chaos_errmsg(ctx));
        chaos_close(ctx);
        return 1;
    }
    int status = serve(ctx, srv, info.uuid);
    chaos_console_server_close(srv);
    chaos_close(ctx);
    return status;
}
