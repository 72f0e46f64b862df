/*
 * lab-kernel-cache: creates one guest twice through libchaos with the
 * kernel cache enabled, to show the second build reuses the decompressed
 * kernel.
 *
 *   lab-kernel-cache LOGDIR CONFIG [KEY=VALUE...]
 *
 * Each time: creates the guest, serves its console into LOGDIR/run-N.log
 * until it shuts down (at most 300 s), destroys it.  Prints per run
 *   run N: kernel_cached=0|1 load_ms=.. build_ms=.. total_ms=.. reason=..
 * and the cache's statistics at the end.  Asserts nothing about times
 * (the lab is emulated and shared); the caller checks the lines.  Exit
 * status 0 when both runs created a guest that shut down, else 1.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "chaos.h"

static double ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

static int fail(chaos_ctx *ctx, const char *what)
{
    fprintf(stderr, "lab-kernel-cache: %s: %s\n", what, chaos_errmsg(ctx));
    return -1;
}

/* Serves the console until the domain has stopped; returns its reason. */
static int run_guest(chaos_ctx *ctx, chaos_domid id, const char *log)
{
    uint64_t frame;
    uint32_t port;
    chaos_console_server *srv;
    struct chaos_console_options opts = { .log_path = log };
    if (chaos_domain_console(ctx, id, &frame, &port) < 0 ||
        chaos_console_serve(ctx, id, frame, port, &opts, &srv) < 0)
        return fail(ctx, "console");
    int reason = -1;
    time_t deadline = time(NULL) + 300;
    while (reason < 0 && time(NULL) < deadline) {
        struct pollfd fds[CHAOS_CONSOLE_MAX_POLLFDS];
        unsigned n =
            chaos_console_server_pollfds(srv, fds, CHAOS_CONSOLE_MAX_POLLFDS);
        int ready = poll(fds, n, 250);
        chaos_console_server_handle(ctx, srv, fds, ready > 0 ? n : 0);
        struct chaos_dominfo info;
        if (chaos_domain_info(ctx, id, &info) < 0)
            break;
        if (info.state == CHAOS_DOM_SHUTDOWN || info.state == CHAOS_DOM_CRASHED)
            reason = info.shutdown_reason;
    }
    chaos_console_server_handle(ctx, srv, NULL, 0);
    chaos_console_server_close(srv);
    return reason;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr,
                "usage: lab-kernel-cache LOGDIR CONFIG [KEY=VALUE...]\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    chaos_config *cfg = chaos_config_new();
    int rc = cfg ? chaos_config_parse_file(cfg, argv[2]) : -1;
    for (int i = 3; rc == 0 && i < argc; i++)
        rc = chaos_config_set_arg(cfg, argv[i]);
    if (rc == 0)
        rc = chaos_config_validate(cfg);
    if (rc) {
        fprintf(stderr, "lab-kernel-cache: %s\n", chaos_config_errmsg(cfg));
        return 1;
    }
    chaos_ctx *ctx;
    if (chaos_open(&ctx) < 0 ||
        chaos_kernel_cache_enable(ctx, 512ull << 20) < 0) {
        fail(ctx, "open");
        return 1;
    }
    int status = 0;
    for (int run = 1; run <= 2 && status == 0; run++) {
        chaos_domid id;
        struct chaos_create_timings t;
        if (chaos_domain_create(ctx, cfg, 0, &id, &t) < 0) {
            fail(ctx, "create");
            status = 1;
            break;
        }
        char log[512];
        snprintf(log, sizeof(log), "%s/run-%d.log", argv[1], run);
        int reason = run_guest(ctx, id, log);
        printf("run %d: domid=%u kernel_cached=%d load_ms=%.1f build_ms=%.1f "
               "total_ms=%.1f reason=%s\n",
               run, id, t.kernel_cached, ms(t.load_ns), ms(t.build_ns),
               ms(t.total_ns),
               reason < 0 ? "none" : chaos_shutdown_reason_name(reason));
        if (reason < 0)
            status = 1;
        if (chaos_domain_destroy(ctx, id) < 0) {
            fail(ctx, "destroy");
            status = 1;
        }
    }
    struct chaos_kernel_cache_stats st;
    chaos_kernel_cache_stats(ctx, &st);
    printf("cache: entries=%u bytes=%llu hits=%llu misses=%llu\n", st.entries,
           (unsigned long long)st.bytes, (unsigned long long)st.hits,
           (unsigned long long)st.misses);
    chaos_close(ctx);
    chaos_config_free(cfg);
    return status;
}
