/*
 * lab-events: prints domain events as lines, for lab tests.
 *
 *   lab-events SECONDS
 *
 * Subscribes (chaos_events_open), prints "source SOURCE", then one line
 * per event until SECONDS have passed or SIGTERM/SIGINT arrives:
 *   event KIND DOMID NAME REASON
 * (NAME "-" when unknown; REASON is the shutdown reason's name for
 * shutdown and crash events, else "-").  Reads one event at a time, so
 * that a look that finds several (a short-lived guest's NEW and SHUTDOWN)
 * exercises "the rest stay queued and the fd stays readable".  Exit 0,
 * or 1 if subscribing or reading failed (the message on stderr).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "chaos.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    stop = sig;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void print_event(const struct chaos_domain_event *e)
{
    int stopped =
        e->kind == CHAOS_EVENT_SHUTDOWN || e->kind == CHAOS_EVENT_CRASH;
    printf("event %s %u %s %s\n", chaos_event_kind_name(e->kind), e->domid,
           e->name[0] ? e->name : "-",
           stopped ? chaos_shutdown_reason_name(e->shutdown_reason) : "-");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: lab-events SECONDS\n");
        return 2;
    }
    double until = now_s() + atof(argv[1]);
    struct sigaction sa = { .sa_handler = on_signal };
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    setvbuf(stdout, NULL, _IOLBF, 0);

    chaos_ctx *ctx;
    chaos_events *ev = NULL;
    int rc = chaos_open(&ctx);
    if (rc == 0)
        rc = chaos_events_open(ctx, &ev);
    if (rc < 0) {
        fprintf(stderr, "lab-events: %s\n", chaos_errmsg(ctx));
        chaos_close(ctx);
        return 1;
    }
    printf("source %s\n", chaos_events_source(ev));
    while (!stop && now_s() < until) {
        struct pollfd p = { .fd = chaos_events_fd(ev), .events = POLLIN };
        int ms = (int)((until - now_s()) * 1000);
        if (poll(&p, 1, ms > 0 ? ms : 0) < 0) {
            if (errno == EINTR)
                continue;
            perror("lab-events: poll");
            rc = -1;
            break;
        }
        if (!(p.revents & POLLIN))
            continue;
        struct chaos_domain_event e[1];
        int n = chaos_events_read(ctx, ev, e, 1);
        if (n < 0) {
            fprintf(stderr, "lab-events: %s\n", chaos_errmsg(ctx));
            rc = n;
            break;
        }
        for (int i = 0; i < n; i++)
            print_event(&e[i]);
    }
    chaos_events_close(ev);
    chaos_close(ctx);
    return rc < 0 ? 1 : 0;
}
