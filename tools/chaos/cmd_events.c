/*
 * cmd_events.c - `chaos events`: domain events as they happen, one line
 * each, from chaosd's subscription when chaosd runs (it adds "created"
 * for the guests it starts), else straight from libchaos.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chaos.h"
#include "cmd.h"
#include "daemon_client.h"
#include "protocol.h"

const char cmd_events_help[] =
    "Usage: chaos events [--json] [--count N] [--timeout SEC]\n"
    "                    [--daemon | --direct] [--socket PATH]\n"
    "\n"
    "Print domain events as they happen, one line each:\n"
    "    EVENT DOMID NAME [DETAIL]\n"
    "EVENT is one of\n"
    "    new       a domain appeared (a shell of chaosd's pools, too: its\n"
    "              name is \"-\" until it becomes a guest)\n"
    "    created   chaosd started a guest; DETAIL is pool or direct\n"
    "              (only through chaosd)\n"
    "    restored  chaosd restored a guest; DETAIL is in-place, pool or\n"
    "              direct (only through chaosd)\n"
    "    shutdown  a guest shut down; DETAIL is the reason (poweroff,\n"
    "              reboot, suspend, watchdog, soft_reset)\n"
    "    crash     a guest crashed; DETAIL is crash\n"
    "    death     a domain is gone\n"
    "    ended     chaosd's supervisor saw a guest end for good (after any\n"
    "              restarts); DETAIL is the reason, destroyed or failed\n"
    "              (only through chaosd)\n"
    "NAME is \"-\" when the domain has none.\n"
    "\n"
    "When chaosd runs, the events come from its subscription (what its\n"
    "clients see); otherwise from Xen through libchaos (Xen's VIRQ_DOM_EXC,\n"
    "else xenstored's watches, else a periodic look), which needs root.\n"
    "\n"
    "  --json         one JSON object per line, as chaosd's protocol has it:\n"
    "                 {\"v\":1,\"event\":...,\"domid\":...,\"name\":...}\n"
    "  -n, --count N  stop after N events\n"
    "  -t, --timeout SEC\n"
    "                 stop after SEC seconds\n"
    "  --daemon       only through chaosd (fail if it does not run)\n"
    "  --direct       never through chaosd\n"
    "  --socket PATH  chaosd's socket (default $CHAOSD_SOCKET, else\n"
    "                 " CHAOSD_DEFAULT_SOCKET ")\n"
    "\n"
    "Once it listens, it says so on standard error, with the source of Xen's\n"
    "events: virq (exact), xenstore or poll (a domain is looked at every\n"
    "250 ms, so a shutdown followed at once by destruction may show as death\n"
    "alone; see docs/events.md).\n"
    "\n"
    "Stops on Ctrl-C or SIGTERM, or when chaosd goes away.\n"
    "Exit status: 0 stopped as asked (or chaosd stopped), 1 subscribing or\n"
    "reading failed, 2 usage error.\n";

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

struct events_opts {
    int json;
    long count;      /* events still to print; < 0: no limit */
    time_t deadline; /* 0: none */
};

/* Milliseconds to wait in poll(): until the deadline, at most 500, so a
 * signal that lands just before poll() is seen soon anyway. */
static int wait_ms(const struct events_opts *o)
{
    return o->deadline && time(NULL) >= o->deadline ? 0 : 500;
}

static int done(const struct events_opts *o)
{
    return stop_signal || o->count == 0 ||
           (o->deadline && time(NULL) >= o->deadline);
}

/* Prints one event; detail may be NULL. */
static void print_event(struct events_opts *o, const char *kind,
                        long long domid, const char *name,
                        const char *detail_key, const char *detail)
{
    if (o->json) {
        json_object *m =
            chaosd_event_new(kind, domid, name, detail_key, detail);
        if (m)
            cmd_put_json(m, 0);
        else
            puts("{}");
        json_object_put(m);
    } else {
        printf("%-8s %6lld %s%s%s\n", kind, domid, name && name[0] ? name : "-",
               detail ? " " : "", detail ? detail : "");
    }
    fflush(stdout);
    if (o->count > 0)
        o->count--;
}

/* ---- through chaosd */

static int on_event_line(void *opaque, const char *line, size_t len)
{
    struct events_opts *o = opaque;
    if (!line)
        return 0; /* an oversized line: not an event of ours; skip it */
    json_object *m = json_tokener_parse(line);
    (void)len;
    if (m && json_object_is_type(m, json_type_object) &&
        daemon_str(m, "event", NULL)) {
        const char *kind = daemon_str(m, "event", "?");
        const char *key = !strcmp(kind, "created") || !strcmp(kind, "restored")
                              ? "path"
                              : "reason";
        print_event(o, kind, daemon_int(m, "domid", -1),
                    daemon_str(m, "name", ""), key, daemon_str(m, key, NULL));
    }
    json_object_put(m);
    return done(o);
}

static int events_via_daemon(int fd, struct events_opts *o)
{
    char err[512];
    json_object *reply = daemon_call(
        fd, chaosd_request_new(CHAOSD_OP_SUBSCRIBE), err, sizeof(err));
    if (!reply) {
        cmd_error("events: %s", err);
        close(fd);
        return EXIT_FAIL;
    }
    /* Said once on stderr (stdout is the events): that it listens now, and
     * how exact Xen's events are (docs/events.md). */
    fprintf(stderr,
            "chaos: events: subscribed to chaosd (Xen's events from %s)\n",
            daemon_str(reply, "source", "?"));
    json_object_put(reply);
    struct chaosd_lines lb;
    chaosd_lines_init(&lb, CHAOSD_MAX_LINE);
    int rc = EXIT_OK;
    while (!done(o)) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        int r = poll(&pfd, 1, wait_ms(o));
        if (r < 0 && errno != EINTR) {
            cmd_error("events: %s", strerror(errno));
            rc = EXIT_FAIL;
            break;
        }
        if (r <= 0)
            continue;
        char buf[16384];
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fprintf(stderr, "chaos: events: chaosd closed the connection\n");
            break;
        }
        if (chaosd_lines_feed(&lb, buf, (size_t)n, on_event_line, o))
            break;
    }
    chaosd_lines_free(&lb);
    close(fd);
    return rc;
}

/* ---- straight from Xen */

static int events_direct(struct events_opts *o)
{
    chaos_events *ev = NULL;
    chaos_ctx *ctx = cmd_open_ctx("events");
    if (!ctx)
        return EXIT_FAIL;
    int rc = EXIT_OK;
    if (chaos_events_open(ctx, &ev) < 0) {
        cmd_error("events: %s", chaos_errmsg(ctx));
        rc = EXIT_FAIL;
    }
    if (rc == EXIT_OK)
        fprintf(stderr, "chaos: events: subscribed to Xen (events from %s)\n",
                chaos_events_source(ev));
    while (rc == EXIT_OK && !done(o)) {
        struct pollfd pfd = { .fd = chaos_events_fd(ev), .events = POLLIN };
        int r = poll(&pfd, 1, wait_ms(o));
        if (r < 0 && errno != EINTR) {
            cmd_error("events: %s", strerror(errno));
            rc = EXIT_FAIL;
        }
        if (r <= 0)
            continue;
        struct chaos_domain_event e[16];
        int n = chaos_events_read(ctx, ev, e, 16);
        if (n < 0) {
            cmd_error("events: %s", chaos_errmsg(ctx));
            rc = EXIT_FAIL;
        }
        for (int i = 0; i < n && !done(o); i++) {
            int reason = e[i].kind == CHAOS_EVENT_SHUTDOWN ||
                         e[i].kind == CHAOS_EVENT_CRASH;
            print_event(o, chaos_event_kind_name(e[i].kind), e[i].domid,
                        e[i].name, "reason",
                        reason
                            ? chaos_shutdown_reason_name(e[i].shutdown_reason)
                            : NULL);
        }
    }
    chaos_events_close(ev);
    chaos_close(ctx);
    return rc;
}

int cmd_events(int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "count", required_argument, NULL, 'n' },
        { "timeout", required_argument, NULL, 't' },
        { "daemon", no_argument, NULL, 'D' },
        { "direct", no_argument, NULL, 'd' },
        { "socket", required_argument, NULL, 'S' },
        { NULL, 0, NULL, 0 },
    };
    struct events_opts o = { .count = -1 };
    int daemon = 0, direct = 0, c;
    const char *socket_path = NULL;
    char *end;
    long v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "n:t:", opts, NULL)) != -1) {
        switch (c) {
            case 'j':
                o.json = 1;
                break;
            case 'n':
            case 't':
                v = strtol(optarg, &end, 10);
                if (end == optarg || *end || v < 1) {
                    cmd_error("events: --%s wants a positive number, not '%s'",
                              c == 'n' ? "count" : "timeout", optarg);
                    return EXIT_USAGE;
                }
                if (c == 'n')
                    o.count = v;
                else
                    o.deadline = time(NULL) + v;
                break;
            case 'D':
                daemon = 1;
                break;
            case 'd':
                direct = 1;
                break;
            case 'S':
                socket_path = optarg;
                break;
            default:
                return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        cmd_error("events: unexpected argument '%s'", argv[optind]);
        return EXIT_USAGE;
    }
    if (daemon && direct) {
        cmd_error("events: --daemon and --direct exclude each other");
        return EXIT_USAGE;
    }
    struct sigaction sa = { .sa_handler = on_signal };
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (!direct) {
        const char *path = daemon_socket_path(socket_path);
        int fd = daemon_connect(path);
        if (fd >= 0)
            return events_via_daemon(fd, &o);
        if (daemon) {
            cmd_error("events: chaosd does not answer on %s: %s", path,
                      strerror(-fd));
            return EXIT_FAIL;
        }
    }
    return events_direct(&o);
}
