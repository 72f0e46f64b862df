/*
 * template_build.c - building a template pool's template (template.h): boot
 * the guest, serve it (a supervisor of its own: console into its log,
 * devices) until a console line holds the ready text, save it
 * (chaos_domain_save: suspended, written, destroyed).  Bounded by the
 * flavor's timeout and by chaosd's stop; on any failure the domain is
 * destroyed and no image is left (the save removes its own temporary
 * file).  Runs on the work queue, with its own context: it blocks.
 *
 * Reached through chaosd_hv_libchaos.template_boot, so that the daemon's
 * logic around it is unit-tested with a fake; this file is the lab's.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv_ops.h"
#include "util.h"

/* How often the console log is read while nothing else wakes us. */
#define TEMPLATE_POLL_MS 50

static int say(char *err, size_t len, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int say(char *err, size_t len, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return rc;
}

/* The console log read line by line as the supervisor appends to it. */
struct reader {
    int fd;
    char line[1024];
    size_t n;
};

/* True once a line (or the line being printed) holds the ready text. */
static bool ready_seen(struct reader *r, const char *ready)
{
    char buf[4096];
    ssize_t got;
    if (r->fd < 0)
        return false;
    while ((got = read(r->fd, buf, sizeof(buf))) > 0) {
        for (ssize_t k = 0; k < got; k++) {
            if (buf[k] == '\n') {
                r->line[r->n] = '\0';
                if (strstr(r->line, ready))
                    return true;
                r->n = 0;
            } else if (r->n + 1 < sizeof(r->line)) {
                r->line[r->n++] = buf[k];
            }
        }
    }
    r->line[r->n] = '\0';
    return strstr(r->line, ready) != NULL;
}

/* One round of serving the guest (console, store, devices): waits up to
 * TEMPLATE_POLL_MS for its descriptors.  0, or poll's -errno.  Its
 * failures show in its state (a console that broke). */
static int serve_once(chaos_ctx *ctx, chaos_supervisor *sup)
{
    struct pollfd fds[CHAOS_SUPERVISOR_MAX_POLLFDS];
    unsigned n =
        chaos_supervisor_pollfds(sup, fds, CHAOS_SUPERVISOR_MAX_POLLFDS);
    int wait = chaos_supervisor_timeout_ms(sup);
    if (wait < 0 || wait > TEMPLATE_POLL_MS)
        wait = TEMPLATE_POLL_MS;
    if (poll(fds, n, wait) < 0 && errno != EINTR)
        return -errno;
    chaos_supervisor_handle(ctx, sup, fds, n);
    while (chaos_supervisor_take_message(sup))
        ;
    return 0;
}

/* What wait_ready() waits for: a console line holding ready in the log
 * at log_path, within timeout_ms, unless cancel is set. */
struct wait {
    const char *ready, *log_path;
    unsigned timeout_ms;
    const atomic_bool *cancel;
};

/* Serves the guest until it is ready (0), stops, times out or is
 * cancelled (negative, err says why). */
static int wait_ready(chaos_ctx *ctx, chaos_supervisor *sup,
                      const struct wait *b, char *err, size_t len)
{
    struct reader r = { .fd = -1 };
    uint64_t deadline = util_now_ns() + (uint64_t)b->timeout_ms * 1000000;
    int rc = 0;
    for (;;) {
        if (r.fd < 0)
            r.fd = open(b->log_path, O_RDONLY | O_CLOEXEC);
        if (ready_seen(&r, b->ready))
            break;
        enum chaos_supervisor_state st = chaos_supervisor_state(sup);
        if (st != CHAOS_SUPERVISOR_SERVING) {
            rc = say(err, len, -ECHILD,
                     "the guest stopped before it printed \"%s\" (console: "
                     "%s)",
                     b->ready, b->log_path);
            break;
        }
        if (atomic_load(b->cancel)) {
            rc = say(err, len, -ECANCELED, "chaosd is stopping");
            break;
        }
        if (util_now_ns() >= deadline) {
            rc = say(err, len, -ETIMEDOUT,
                     "no console line holding \"%s\" within %u s (console: "
                     "%s)",
                     b->ready, b->timeout_ms / 1000, b->log_path);
            break;
        }
        int prc = serve_once(ctx, sup);
        if (prc < 0) {
            rc = say(err, len, prc, "poll: %s", strerror(-prc));
            break;
        }
    }
    if (r.fd >= 0)
        close(r.fd);
    return rc;
}

/* The save, on a thread and a context of its own: a Linux guest is asked
 * to suspend through its private store, which the build's supervisor
 * serves on the calling thread, so that thread goes on serving it while
 * the save runs (a unikernel is asked through its noxs control device). */
struct save_job {
    chaos_domid domid;
    const char *path;
    int rc;
    char err[400];
    atomic_bool done;
};

static void *save_thread(void *arg)
{
    struct save_job *j = arg;
    chaos_ctx *c = NULL;
    j->rc = chaos_open(&c);
    if (j->rc < 0)
        snprintf(j->err, sizeof(j->err), "cannot open Xen: %s",
                 c ? chaos_errmsg(c) : "out of memory");
    else if ((j->rc = chaos_domain_save(c, j->domid, j->path, 0)) < 0)
        snprintf(j->err, sizeof(j->err), "%s", chaos_errmsg(c));
    chaos_close(c);
    atomic_store(&j->done, true);
    return NULL;
}

static int save_served(chaos_ctx *ctx, chaos_supervisor *sup, chaos_domid domid,
                       const char *path, char *err, size_t len)
{
    struct save_job j = { .domid = domid, .path = path };
    pthread_t t;
    if (pthread_create(&t, NULL, save_thread, &j) != 0)
        return say(err, len, -EAGAIN, "saving it: cannot start a thread");
    while (!atomic_load(&j.done))
        if (serve_once(ctx, sup) < 0)
            usleep(TEMPLATE_POLL_MS * 1000);
    pthread_join(t, NULL);
    if (j.rc < 0)
        say(err, len, j.rc, "saving it: %s", j.err);
    return j.rc;
}

int chaosd_template_boot(chaos_ctx *ctx, const struct chaosd_template_boot *b,
                         char *err, size_t len)
{
    chaos_domid domid;
    chaos_supervisor *sup = NULL;
    /* A line in an earlier boot's log must not count. */
    unlink(b->log_path);
    int rc = chaos_domain_create(ctx, b->cfg, 0, &domid, NULL);
    if (rc < 0)
        return say(err, len, rc, "booting it: %s", chaos_errmsg(ctx));
    struct chaos_supervisor_options o = { .log_path = b->log_path };
    rc = chaos_supervisor_start(ctx, domid, &o, &sup);
    if (rc < 0) {
        say(err, len, rc, "serving it: %s", chaos_errmsg(ctx));
        chaos_domain_destroy(ctx, domid);
        return rc;
    }
    struct wait wt = { b->ready, b->log_path, b->timeout_ms, b->cancel };
    rc = wait_ready(ctx, sup, &wt, err, len);
    /* The image; the save destroys the domain once it is written. */
    if (!rc)
        rc = save_served(ctx, sup, domid, b->image_path, err, len);
    if (rc < 0 && chaos_supervisor_destroy_domain(ctx, sup) < 0)
        chaos_domain_destroy(ctx, domid);
    chaos_supervisor_close(ctx, sup);
    return rc;
}

/* The MAC of domid's first vif as libchaos kept it (after a readdress:
 * the guest's own), "" without one. */
static void first_mac(chaos_ctx *ctx, chaos_domid domid, char *mac, size_t len)
{
    char *text = NULL;
    chaos_config *cfg = chaos_config_new();
    struct chaos_vif_config v;
    mac[0] = '\0';
    if (cfg && chaos_domain_config_text(ctx, domid, &text) == 0 &&
        chaos_config_parse(cfg, text, strlen(text), "kept") == 0 &&
        chaos_config_vif_count(cfg) > 0 && chaos_config_vif(cfg, 0, &v) == 0)
        snprintf(mac, len, "%s", v.mac);
    free(text);
    chaos_config_free(cfg);
}

/*
 * A warm template pool's guest: resumed on this thread, served by a
 * supervisor of its own until its console says it is up again (a Linux
 * guest's store and back ends answer its resume here), then paused with
 * that supervisor kept: the create that takes it renames and unpauses it,
 * and chaosd's loop serves it from then on.
 */
int chaosd_template_warm(chaos_ctx *ctx, const struct chaosd_template_warm *w,
                         chaos_supervisor **out, char *mac, size_t maclen,
                         char *err, size_t len)
{
    chaos_supervisor *sup = NULL;
    unlink(w->log_path); /* a line of an earlier guest's must not count */
    int rc = w->addrs ? chaos_domain_readdress(ctx, w->domid, w->addrs) : 0;
    if (rc < 0)
        return say(err, len, rc, "giving it its address: %s",
                   chaos_errmsg(ctx));
    struct chaos_supervisor_options o = { .log_path = NULL };
    rc = chaos_supervisor_start(ctx, w->domid, &o, &sup);
    if (rc < 0)
        return say(err, len, rc, "serving it: %s", chaos_errmsg(ctx));
    rc = chaos_domain_unpause(ctx, w->domid);
    if (rc < 0)
        say(err, len, rc, "unpausing it: %s", chaos_errmsg(ctx));
    struct wait wt = { w->ready, w->log_path, w->timeout_ms, w->cancel };
    if (!rc)
        rc = wait_ready(ctx, sup, &wt, err, len);
    if (!rc && (rc = chaos_domain_pause(ctx, w->domid)) < 0)
        say(err, len, rc, "pausing it: %s", chaos_errmsg(ctx));
    if (rc < 0) {
        chaos_supervisor_destroy_domain(ctx, sup); /* its lock file too */
        chaos_supervisor_close(ctx, sup);
        unlink(w->log_path);
        return rc;
    }
    /* Served once more: what the guest said last is in its log. */
    serve_once(ctx, sup);
    first_mac(ctx, w->domid, mac, maclen);
    *out = sup;
    return 0;
}
