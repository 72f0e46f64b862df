/*
 * cmd_top.c - `chaos top`: a live table of the domains, like xentop, but
 * without XenStore: names come from libchaos's registry, as in `chaos
 * list` (xentop cannot name chaos's guests).  CPU % is the CPU time a
 * domain used between two samples over the wall time between them
 * (top_calc.c).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "chaos.h"
#include "cmd.h"
#include "top_calc.h"
#include "util.h"

const char cmd_top_help[] =
    "Usage: chaos top [-b] [-n N] [-d SECS] [--json]\n"
    "\n"
    "Show the domains on this host and what they use, refreshed every SECS\n"
    "seconds, like xentop (which cannot name chaos's guests: chaos reads\n"
    "names from its own registry, no XenStore needed).  Columns: name,\n"
    "domain id, state, CPU time (s), CPU use since the last refresh (% of\n"
    "one physical CPU: a guest busy on two vCPUs shows 200), memory (MiB\n"
    "and % of the host's), maximum memory (MiB), online vCPUs.  The first\n"
    "refresh measures CPU use over a quarter of a second (or SECS if\n"
    "shorter).  On a terminal, q quits.\n"
    "\n"
    "  -b, --batch           print one table after another instead of\n"
    "                        redrawing the screen (for scripts and logs)\n"
    "  -n, --iterations N    stop after N refreshes (default: until\n"
    "                        interrupted)\n"
    "  -d, --delay SECS      seconds between refreshes (default 3; may be\n"
    "                        a fraction, at least 0.1)\n"
    "      --json            batch mode, one JSON array of domain objects\n"
    "                        per refresh and line (docs/json.md)\n"
    "\n"
    "Exit status: 0 after the last refresh or q, 1 Xen refused (no domain\n"
    "list), 2 usage error.\n";

#define FIRST_WINDOW_NS 250000000ull

struct top {
    chaos_ctx *ctx;
    bool batch, json, tty;
    long iterations; /* 0: no end */
    uint64_t delay_ns;
    uint64_t total_bytes;
    struct top_prev *prev;
    unsigned n_prev;
    uint64_t prev_ns;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static int parse_delay(const char *text, uint64_t *ns)
{
    char *end;
    errno = 0;
    double s = strtod(text, &end);
    if (errno || end == text || *end || !(s >= 0.1) || s > 86400)
        return -1;
    *ns = (uint64_t)(s * 1e9);
    return 0;
}

static int parse_args(struct top *t, int argc, char **argv)
{
    static const struct option opts[] = {
        { "batch", no_argument, NULL, 'b' },
        { "iterations", required_argument, NULL, 'n' },
        { "delay", required_argument, NULL, 'd' },
        { "json", no_argument, NULL, 'j' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    char *end;
    optind = 1;
    while ((c = getopt_long(argc, argv, "bn:d:", opts, NULL)) != -1) {
        switch (c) {
            case 'b':
                t->batch = true;
                break;
            case 'j':
                t->json = t->batch = true;
                break;
            case 'n':
                errno = 0;
                t->iterations = strtol(optarg, &end, 10);
                if (errno || end == optarg || *end || t->iterations < 1) {
                    cmd_error("top: -n wants a number of refreshes, at "
                              "least 1, not '%s'",
                              optarg);
                    return -1;
                }
                break;
            case 'd':
                if (parse_delay(optarg, &t->delay_ns) < 0) {
                    cmd_error("top: -d wants seconds, at least 0.1, not '%s'",
                              optarg);
                    return -1;
                }
                break;
            default:
                return -1;
        }
    }
    if (optind != argc) {
        cmd_error("top: unexpected argument '%s'", argv[optind]);
        return -1;
    }
    return 0;
}

/* Remembers this sample's CPU times for the next refresh. */
static int remember(struct top *t, const struct chaos_dominfo *doms, int n,
                    uint64_t now)
{
    struct top_prev *p = calloc((size_t)n + 1, sizeof(*p));
    if (!p)
        return -1;
    for (int i = 0; i < n; i++) {
        p[i].domid = doms[i].domid;
        memcpy(p[i].uuid, doms[i].uuid, sizeof(p[i].uuid));
        p[i].cpu_time_ns = doms[i].cpu_time_ns;
    }
    free(t->prev);
    t->prev = p;
    t->n_prev = (unsigned)n;
    t->prev_ns = now;
    return 0;
}

static const uint64_t MiB = 1024 * 1024;

static void print_table(const struct top *t, const struct chaos_dominfo *doms,
                        int n, uint64_t wall_ns)
{
    unsigned running = 0;
    for (int i = 0; i < n; i++)
        running += doms[i].state == CHAOS_DOM_RUNNING;
    if (!t->batch) {
        time_t now = time(NULL);
        struct tm tm;
        char clock[16] = "";
        if (localtime_r(&now, &tm))
            strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
        printf("\033[H\033[2Jchaos top - %s  %d domains, %u running, "
               "%" PRIu64 " MiB host memory  (q quits)\n\n",
               clock, n, running, t->total_bytes / MiB);
    }
    printf("%-24s %5s %-8s %10s %6s %9s %6s %9s %5s\n", "NAME", "ID", "STATE",
           "CPU(sec)", "CPU(%)", "MEM(MiB)", "MEM(%)", "MAX(MiB)", "VCPUS");
    for (int i = 0; i < n; i++) {
        const struct chaos_dominfo *d = &doms[i];
        double cpu = top_cpu_percent(t->prev, t->n_prev, d, wall_ns);
        double mem = top_mem_percent(d->mem_bytes, t->total_bytes);
        char cpu_text[16] = "-", mem_text[16] = "-";
        if (cpu >= 0)
            snprintf(cpu_text, sizeof(cpu_text), "%.1f", cpu);
        if (mem >= 0)
            snprintf(mem_text, sizeof(mem_text), "%.1f", mem);
        printf("%-24s %5u %-8s %10.1f %6s %9" PRIu64 " %6s %9" PRIu64 " %5u\n",
               d->name[0] ? d->name : "-", d->domid,
               chaos_dom_state_name(d->state), (double)d->cpu_time_ns / 1e9,
               cpu_text, d->mem_bytes / MiB, mem_text, d->maxmem_bytes / MiB,
               d->vcpus);
    }
}

static void print_json(const struct top *t, const struct chaos_dominfo *doms,
                       int n, uint64_t wall_ns)
{
    json_object *a = json_object_new_array();
    for (int i = 0; i < n; i++) {
        const struct chaos_dominfo *d = &doms[i];
        double cpu = top_cpu_percent(t->prev, t->n_prev, d, wall_ns);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "domid", json_object_new_int64(d->domid));
        json_object_object_add(o, "name", json_object_new_string(d->name));
        json_object_object_add(
            o, "state", json_object_new_string(chaos_dom_state_name(d->state)));
        json_object_object_add(o, "vcpus", json_object_new_int64(d->vcpus));
        json_object_object_add(o, "cpu_time_ns",
                               json_object_new_int64((int64_t)d->cpu_time_ns));
        json_object_object_add(o, "cpu_percent",
                               cpu >= 0 ? json_object_new_double(cpu) : NULL);
        json_object_object_add(o, "mem_bytes",
                               json_object_new_int64((int64_t)d->mem_bytes));
        json_object_object_add(o, "maxmem_bytes",
                               json_object_new_int64((int64_t)d->maxmem_bytes));
        json_object_array_add(a, o);
    }
    cmd_put_json(a, 0);
    json_object_put(a);
}

/* Waits ns, or less when interrupted; on a terminal 'q' quits.  Returns
 * true to go on. */
static bool wait_or_quit(const struct top *t, uint64_t ns)
{
    uint64_t until = util_now_ns() + ns;
    while (!stop_requested) {
        uint64_t now = util_now_ns();
        if (now >= until)
            return true;
        int ms = (int)((until - now + 999999) / 1000000);
        struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
        int rc = poll(&pfd, t->tty ? 1 : 0, ms);
        char ch;
        if (rc > 0 && read(STDIN_FILENO, &ch, 1) == 1 &&
            (ch == 'q' || ch == 'Q'))
            return false;
        if (rc > 0 && !(pfd.revents & POLLIN))
            return false; /* the terminal went away */
    }
    return false;
}

/* One sample: the domains, sorted by id (chaos_domain_list's order). */
static int sample(struct top *t, struct chaos_dominfo **doms)
{
    int n = chaos_domain_list(t->ctx, doms);
    if (n < 0)
        cmd_error("top: %s", chaos_errmsg(t->ctx));
    return n;
}

static int run(struct top *t)
{
    struct chaos_dominfo *doms;
    int n = sample(t, &doms);
    if (n < 0)
        return EXIT_FAIL;
    uint64_t now = util_now_ns();
    int rc = remember(t, doms, n, now);
    chaos_dominfo_free(doms);
    uint64_t window =
        t->delay_ns < FIRST_WINDOW_NS ? t->delay_ns : FIRST_WINDOW_NS;
    if (rc < 0 || !wait_or_quit(t, window))
        return rc < 0 ? EXIT_FAIL : EXIT_OK;
    for (long i = 0; !t->iterations || i < t->iterations; i++) {
        if (i > 0 && !wait_or_quit(t, t->delay_ns))
            break;
        if ((n = sample(t, &doms)) < 0)
            return EXIT_FAIL;
        now = util_now_ns();
        if (t->json)
            print_json(t, doms, n, now - t->prev_ns);
        else
            print_table(t, doms, n, now - t->prev_ns);
        fflush(stdout);
        rc = remember(t, doms, n, now);
        chaos_dominfo_free(doms);
        if (rc < 0) {
            cmd_error("top: out of memory");
            return EXIT_FAIL;
        }
    }
    return EXIT_OK;
}

int cmd_top(int argc, char **argv)
{
    struct top t = { .delay_ns = 3000000000ull };
    if (parse_args(&t, argc, argv) < 0)
        return EXIT_USAGE;
    t.ctx = cmd_open_ctx("top");
    if (!t.ctx)
        return EXIT_FAIL;
    struct chaos_physinfo pi;
    if (chaos_physinfo(t.ctx, &pi) == 0)
        t.total_bytes = pi.total_bytes;
    /* Keys without Enter, no echo, while top runs on a terminal. */
    struct termios saved, raw;
    t.tty = !t.batch && isatty(STDIN_FILENO) &&
            tcgetattr(STDIN_FILENO, &saved) == 0;
    if (t.tty) {
        raw = saved;
        raw.c_lflag &= (tcflag_t) ~(ICANON | ECHO);
        raw.c_cc[VMIN] = 1;
        raw.c_cc[VTIME] = 0;
        tcsetattr(STDIN_FILENO, TCSANOW, &raw);
    }
    /* Ctrl-C and SIGTERM end the loop (the terminal is restored). */
    struct sigaction sa = { .sa_handler = on_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int status = run(&t);
    if (t.tty)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    free(t.prev);
    chaos_close(t.ctx);
    return status;
}
