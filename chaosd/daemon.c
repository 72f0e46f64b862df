/*
 * daemon.c - chaosd's life: start (contexts, recovery, socket, pools),
 * readiness for systemd, and a clean stop on SIGTERM: no new requests,
 * builds in flight finish, idle shells are destroyed, running guests are
 * left alone (the next chaosd adopts them).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "daemon.h"
#include "state.h"

static void send_ready(struct chaosd *d, const char *why)
{
    if (d->ready)
        return;
    d->ready = true;
    uv_timer_stop(&d->ready_timer);
    log_info("ready (%s)", why);
    sd_notify(0, "READY=1");
}

void chaosd_update_status(struct chaosd *d)
{
    unsigned idle = 0, want = 0;
    for (unsigned i = 0; i < d->pool.n; i++) {
        idle += d->pool.flavors[i].n_idle;
        want += d->pool.flavors[i].f.pool;
    }
    sd_notifyf(0,
               "STATUS=%u/%u idle shells, %llu created from pools, "
               "%llu directly",
               idle, want, (unsigned long long)d->creates_pool,
               (unsigned long long)d->creates_direct);
    if (d->listening && pool_settled(&d->pool))
        send_ready(d, "pools filled");
}

static void on_ready_timeout(uv_timer_t *t)
{
    send_ready(t->data, "ready_timeout_s passed before the pools were full");
}

static void close_handle(uv_handle_t *h)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

void chaosd_work_done(struct chaosd *d)
{
    d->work_in_flight--;
    /* Shells prepared while stopping are given back as they come. */
    if (d->stopping)
        refill_trim(d, true);
}

static void stop(struct chaosd *d, const char *why)
{
    if (d->stopping)
        return;
    d->stopping = true;
    log_info("stopping (%s): destroying idle shells, leaving guests running",
             why);
    sd_notify(0, "STOPPING=1");
    server_close(d);
    guests_stop(d);
    refill_kick(d); /* closes its retry timer, stops template builds */
    refill_trim(d, true);
    close_handle((uv_handle_t *)&d->sig_term);
    close_handle((uv_handle_t *)&d->sig_int);
    close_handle((uv_handle_t *)&d->ready_timer);
    /* uv_run returns once the last build and discard have finished. */
}

static void on_signal(uv_signal_t *h, int signum)
{
    stop(h->data, strsignal(signum));
}

/* Many guests mean many consoles, each a few descriptors. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int chaosd_run(struct chaosd *d)
{
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();
    if (!d->hv)
        d->hv = &chaosd_hv_libchaos;
    images_init(&d->images, d->hv);
    int rc = d->hv->open(&d->ctx);
    if (rc < 0) {
        log_warn("cannot open Xen: %s",
                 d->ctx ? d->hv->errmsg(d->ctx) : "out of memory");
        d->hv->close(d->ctx);
        return 1;
    }
    rc = state_init();
    if (rc < 0) {
        log_warn("cannot create %s: %s", state_dir().path, strerror(-rc));
        d->hv->close(d->ctx);
        return 1;
    }
    /* The loop only now: it owns descriptors (epoll, signal pipe) that
     * the early returns above would leave open. */
    d->loop = uv_default_loop();
    d->loop->data = d;
    pool_init(&d->pool, d->conf.idle_memory_mib);
    /* Every handle stop() closes exists from here on, whatever fails. */
    uv_signal_init(d->loop, &d->sig_term);
    uv_signal_init(d->loop, &d->sig_int);
    d->sig_term.data = d->sig_int.data = d;
    uv_timer_init(d->loop, &d->ready_timer);
    d->ready_timer.data = d;
    uv_timer_init(d->loop, &d->tick);
    d->tick.data = d;
    if (builders_open(d) < 0 || pool_configure(&d->pool, &d->conf) < 0 ||
        chaosd_recover(d) < 0 || guests_start(d) < 0 || server_listen(d) < 0) {
        d->exit_status = 1;
        stop(d, "start-up failed");
    } else {
        uv_signal_start(&d->sig_term, on_signal, SIGTERM);
        uv_signal_start(&d->sig_int, on_signal, SIGINT);
        uv_timer_start(&d->ready_timer, on_ready_timeout,
                       (uint64_t)d->conf.ready_timeout_s * 1000, 0);
        log_info("%u flavors, idle memory budget %llu MiB, %u builders",
                 d->conf.n_flavors, (unsigned long long)d->conf.idle_memory_mib,
                 d->n_builders);
        refill_kick(d);
        chaosd_update_status(d);
    }
    uv_run(d->loop, UV_RUN_DEFAULT);
    template_clear(d);
    images_clear(&d->images);
    builders_close(d);
    pool_free(&d->pool);
    d->hv->close(d->ctx);
    /* Every handle is closed by now; one left open is a bug to see. */
    if (uv_loop_close(d->loop) != 0)
        log_warn("a libuv handle was left open");
    log_info("stopped");
    return d->exit_status;
}
