/*
 * monitor.c - the per-guest monitor (see monitor.h): a poll(2) loop around
 * one chaos_supervisor, which does all the serving.  chaosd drives the
 * same object from libuv.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "foreground.h"
#include "monitor.h"
#include "util.h"

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

/* Stop signals are blocked except while waiting in ppoll(), so one that
 * arrives between the check and the wait cannot be missed. */
static void catch_stop_signals(sigset_t *wait_mask)
{
    static const int stops[] = { SIGTERM, SIGINT, SIGHUP };
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < N_ELEMENTS(stops); i++)
        sigaddset(&set, stops[i]);
    sigprocmask(SIG_BLOCK, &set, wait_mask);
    struct sigaction sa = { .sa_handler = on_stop_signal };
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < N_ELEMENTS(stops); i++) {
        sigdelset(wait_mask, stops[i]);
        sigaction(stops[i], &sa, NULL);
    }
    /* The console sends with MSG_NOSIGNAL; this covers anything else. */
    signal(SIGPIPE, SIG_IGN);
}

static void report(chaos_domid domid, const char *what)
{
    fprintf(stderr, "chaos monitor %u: %s\n", domid, what);
}

static void report_messages(chaos_supervisor *sup)
{
    const char *msg;
    while ((msg = chaos_supervisor_take_message(sup)))
        report(chaos_supervisor_domid(sup), msg);
}

static int serve(chaos_ctx *ctx, chaos_supervisor *sup)
{
    sigset_t wait_mask;
    catch_stop_signals(&wait_mask);
    enum chaos_supervisor_state st;
    while (!stop_signal &&
           ((st = chaos_supervisor_state(sup)) == CHAOS_SUPERVISOR_SERVING ||
            st == CHAOS_SUPERVISOR_RESTARTING)) {
        struct pollfd fds[CHAOS_SUPERVISOR_MAX_POLLFDS];
        unsigned n =
            chaos_supervisor_pollfds(sup, fds, CHAOS_SUPERVISOR_MAX_POLLFDS);
        int wait = chaos_supervisor_timeout_ms(sup);
        struct timespec ts = { .tv_sec = wait / 1000,
                               .tv_nsec = (long)(wait % 1000) * 1000000 };
        int ready = ppoll(fds, n, wait < 0 ? NULL : &ts, &wait_mask);
        if (ready < 0 && errno != EINTR) {
            report(chaos_supervisor_domid(sup), strerror(errno));
            return 1;
        }
        if (chaos_supervisor_handle(ctx, sup, fds, ready > 0 ? n : 0) < 0)
            report(chaos_supervisor_domid(sup), chaos_errmsg(ctx));
        report_messages(sup);
    }
    return chaos_supervisor_state(sup) == CHAOS_SUPERVISOR_FAILED ? 1 : 0;
}

static int run(chaos_domid domid, bool foreground)
{
    chaos_ctx *ctx;
    if (chaos_open(&ctx) < 0) {
        report(domid, chaos_errmsg(ctx));
        chaos_close(ctx);
        return 1;
    }
    chaos_supervisor *sup;
    int status = 1;
    if (chaos_supervisor_start(ctx, domid, NULL, &sup) < 0) {
        report(domid, chaos_errmsg(ctx));
    } else {
        status = serve(ctx, sup);
        if (foreground && stop_signal) {
            chaos_domid now = chaos_supervisor_domid(sup);
            if (chaos_domain_destroy(ctx, now) < 0) {
                report(now, chaos_errmsg(ctx));
                status = 1;
            }
        } else if (foreground && status == 0) {
            int reason = chaos_supervisor_end_reason(sup);
            status = foreground_status(
                reason < 0 ? NULL : chaos_shutdown_reason_name(reason));
        }
        chaos_supervisor_close(ctx, sup);
    }
    chaos_close(ctx);
    return status;
}

int chaos_monitor_run(chaos_domid domid)
{
    return run(domid, false);
}

int chaos_monitor_run_foreground(chaos_domid domid)
{
    return run(domid, true);
}
