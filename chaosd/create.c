/*
 * create.c - creating a guest: from a pool shell when one fits (only the
 * execute phase remains), else directly (prepare + execute).  Both run on
 * the work queue, on a builder; the loop thread only does bookkeeping.
 *
 * Crash safety: the guest is recorded (RUNDIR/chaosd/guests/UUID) before
 * the build starts, with the handle its domain will have; the shell's
 * record goes only once the build ended.  A chaosd that dies in between
 * leaves both records, and its successor adopts the guest if libchaos's
 * registry knows it (the build finished) or destroys the domain if not.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "json_codec.h"
#include "state.h"
#include "util.h"

struct create_work {
    uv_work_t req;
    struct chaosd *d;
    chaos_config *cfg;
    bool paused;
    create_done_fn done;
    void *opaque;
    uint64_t t0;
    /* from the pool (image: an image flavor's shell; template: a template
     * pool's paused guest), or direct */
    bool from_pool, image, from_template;
    char flavor[CHAOSD_FLAVOR_NAME_MAX + 1];
    struct pool_item item; /* the shell (from_pool) */
    unsigned builder;
    struct state_guest rec;
    /* results */
    int rc;
    chaos_domid domid;
    struct chaos_create_timings t;
    char err[512];
};

/* A warm template pool's guest, resumed ahead and paused under its
 * supervisor: renamed (its log with it) and let run.  Nothing else: it
 * has its MAC and address already. */
static void take_warm(struct create_work *w, chaos_ctx *ctx)
{
    const struct chaosd_hv_ops *hv = w->d->hv;
    uint64_t t0 = util_now_ns();
    w->domid = w->item.domid;
    w->rc = hv->supervisor_rename(ctx, w->item.sup, chaos_config_name(w->cfg));
    if (!w->rc && !w->paused)
        w->rc = hv->domain_unpause(ctx, w->domid);
    if (w->rc < 0) {
        snprintf(w->err, sizeof(w->err), "%s", hv->errmsg(ctx));
        if (hv->supervisor_destroy_domain(ctx, w->item.sup) < 0)
            hv->domain_destroy(ctx, w->domid);
        return;
    }
    /* The reply gives its MAC and address from the item; its supervisor
     * serves it from the config libchaos kept, which has them. */
    w->t.start_ns = w->t.total_ns = util_now_ns() - t0;
}

/* A template pool's guest, restored and paused ahead: it takes the
 * request's MACs and addresses (before it first runs: it reads them from
 * its page when it resumes), its name, and runs.  Consumed either way:
 * on failure (a MAC in use, say) its domain is destroyed. */
static void take_guest(struct create_work *w, chaos_ctx *ctx)
{
    const struct chaosd_hv_ops *hv = w->d->hv;
    uint64_t t0 = util_now_ns();
    if (w->item.warm) {
        take_warm(w, ctx);
        return;
    }
    w->domid = w->item.domid;
    w->rc = chaos_config_vif_count(w->cfg)
                ? hv->domain_readdress(ctx, w->domid, w->cfg)
                : 0;
    if (!w->rc)
        w->rc = hv->domain_rename(ctx, w->domid, chaos_config_name(w->cfg));
    if (!w->rc && !w->paused)
        w->rc = hv->domain_unpause(ctx, w->domid);
    if (w->rc < 0) {
        snprintf(w->err, sizeof(w->err), "%s", hv->errmsg(ctx));
        hv->domain_destroy(ctx, w->domid);
        return;
    }
    w->t.start_ns = w->t.total_ns = util_now_ns() - t0;
}

/* The create's work, on a context nobody else uses meanwhile: its
 * builder's, under the builder's lock, or (a template's guest) the
 * loop's. */
static void create_on(struct create_work *w, chaos_ctx *ctx)
{
    unsigned flags = w->paused ? CHAOS_CREATE_PAUSED : 0;
    const struct chaosd_hv_ops *hv = w->d->hv;
    if (w->from_template) {
        take_guest(w, ctx);
    } else if (w->from_pool) {
        w->rc = hv->shell_execute(ctx, w->item.shell, w->cfg, flags, &w->t);
        w->domid = w->item.domid;
    } else {
        w->rc = hv->domain_create(ctx, w->cfg, flags, &w->domid, &w->t);
    }
    if (w->rc < 0 && !w->from_template)
        snprintf(w->err, sizeof(w->err), "%s", hv->errmsg(ctx));
}

static void create_thread(uv_work_t *req)
{
    struct create_work *w = req->data;
    struct builder *b = &w->d->builders[w->builder];
    uv_mutex_lock(&b->lock);
    create_on(w, b->ctx);
    uv_mutex_unlock(&b->lock);
}

static double ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

static json_object *result_json(struct create_work *w)
{
    struct chaosd_create_result r = {
        .domid = w->domid,
        .name = chaos_config_name(w->cfg),
        .paused = w->paused,
        .flavor = w->from_pool ? w->flavor : NULL,
        .image = w->image,
        .from_template = w->from_template,
        .warm = w->item.warm,
        .mac = w->item.mac,
        .ip = w->item.ip,
        .t = &w->t,
        /* From the request's arrival to now: queueing included. */
        .request_ms = ms(util_now_ns() - w->t0)
    };
    return chaosd_json_create_result(&r);
}

static const char *path_of(const struct create_work *w)
{
    return w->from_template ? "template"
           : w->image       ? "image"
           : w->from_pool   ? "pool"
                            : "direct";
}

/* Subscribers' "created" event: chaosd started a guest (for a request or
 * a restart).  Xen's own "new" event for its domain came earlier, when
 * the shell was prepared, before it had a name or a kernel. */
static json_object *created_event(struct create_work *w)
{
    return chaosd_event_new("created", w->domid, chaos_config_name(w->cfg),
                            "path", path_of(w));
}

static void create_after(uv_work_t *req, int status)
{
    struct create_work *w = req->data;
    struct chaosd *d = w->d;
    d->builders[w->builder].queued--;
    json_object *result = NULL;
    chaos_supervisor *sup = w->item.sup; /* a ready item's, prepared */
    if (w->rc < 0) {
        if (sup)
            d->hv->supervisor_close(d->ctx, sup);
        state_guest_remove(w->rec.uuid);
        metrics_failed(&d->metrics, METRICS_FAIL_CREATE);
        log_guest_warn(-1, w->rec.name, "create of %s failed: %s", w->rec.name,
                       w->err);
    } else {
        /* A pool shell's record named its domain from the start. */
        if (w->rec.domid != w->domid) {
            w->rec.domid = w->domid;
            state_guest_write(&w->rec);
        }
        result = result_json(w);
        /* The reply first: what follows (event, log, serving the guest's
         * console) is chaosd's bookkeeping, and took ~30 ms of the
         * client's wait under TCG (docs/benchmarks.md).  The loop runs
         * nothing else before this function returns, so a request that
         * follows the reply still finds the guest served. */
        w->done(d, w->opaque, w->rc, result, w->err);
        w->done = NULL;
        server_broadcast(d, created_event(w));
        if (w->from_pool)
            d->creates_pool++;
        else
            d->creates_direct++;
        metrics_created(&d->metrics,
                        w->from_template ? METRICS_PATH_TEMPLATE
                        : w->image       ? METRICS_PATH_IMAGE
                        : w->from_pool   ? METRICS_PATH_POOL
                                         : METRICS_PATH_DIRECT,
                        util_now_ns() - w->t0);
        log_guest_info(w->domid, w->rec.name,
                       "created %s (%u) %s%s in %.1f ms%s", w->rec.name,
                       w->domid,
                       w->from_template ? "from template pool "
                       : w->image       ? "from image pool "
                       : w->from_pool   ? "from pool "
                                        : "directly",
                       w->from_pool ? w->flavor : "", ms(util_now_ns() - w->t0),
                       w->item.warm ? ", resumed ahead"
                       : sup        ? ", its supervisor prepared ahead"
                                    : "");
        if (!d->stopping) {
            /* The guest is ours now (console, on_* actions). */
            guest_add(d, w->domid, w->cfg, sup);
            w->cfg = NULL;
        } else if (sup) {
            d->hv->supervisor_close(d->ctx, sup);
        }
    }
    /* The shell was consumed either way: its record goes, once the guest's
     * is there and after the reply and the new guest's first output (an
     * unlink is ~0.4 ms under TCG).  The loop ran nothing else since the
     * build ended, so a chaosd that dies in between leaves the same two
     * records as one that died before. */
    if (w->from_pool)
        state_shell_remove(w->item.uuid);
    if (w->done)
        w->done(d, w->opaque, w->rc, result, w->err);
    chaos_config_free(w->cfg);
    free(w);
    if (!d->stopping) {
        refill_kick(d);
        chaosd_update_status(d);
    }
    chaosd_work_done(d);
}

/* The handle the guest will have: its config's, else (set into it) the
 * shell's, so that records and Xen agree from the start. */
static int guest_uuid(chaos_config *cfg, const uint8_t shell[16],
                      uint8_t out[16])
{
    if (chaos_config_uuid_bytes(cfg, out) == 0)
        return 0;
    char text[37];
    state_uuid_text(shell, text);
    memcpy(out, shell, 16);
    return chaos_config_set_uuid(cfg, text);
}

/*
 * An image flavor's shell holding cfg's image, taken from its pool into
 * *item: its index, or -1 (none fits: the plain pool or a direct build
 * serves the request).  A shell whose kernel or ramdisk file changed since
 * it was loaded is stale, and so are its flavor's other idle shells: all
 * are given back, and the refill builds new ones from the file as it is.
 */
static int take_image(struct chaosd *d, const chaos_config *cfg,
                      const char *devices, struct pool_item *item)
{
    int i = pool_match_image(
        &d->pool, chaos_config_type(cfg) == CHAOS_GUEST_PVH,
        chaos_config_memory_mib(cfg), chaos_config_maxmem_mib(cfg),
        chaos_config_maxvcpus(cfg), devices, chaos_config_kernel(cfg),
        chaos_config_ramdisk(cfg), chaos_config_cmdline(cfg));
    if (i < 0 || !pool_take(&d->pool, i, builder_busy, d, item))
        return -1;
    char why[256];
    int rc = d->hv->shell_image_fits(item->shell, cfg, why, sizeof(why));
    if (rc == 0)
        return i;
    if (rc != -ESTALE) {
        /* Another xenstore setting, say: the shell stays for others. */
        if (pool_put_back(&d->pool, i, item) < 0)
            refill_discard(d, item);
        return -1;
    }
    log_warn("image pool %s: %s; its idle shells are given back and "
             "rebuilt",
             d->pool.flavors[i].f.name, why);
    refill_discard(d, item);
    while (pool_take(&d->pool, i, NULL, NULL, item))
        refill_discard(d, item);
    return -1;
}

void create_start(struct chaosd *d, chaos_config *cfg, unsigned flags,
                  create_done_fn done, void *opaque)
{
    struct create_work *w = calloc(1, sizeof(*w));
    if (!w) {
        chaos_config_free(cfg);
        done(d, opaque, -ENOMEM, NULL, "out of memory");
        return;
    }
    w->d = d;
    w->cfg = cfg;
    w->paused = flags & CREATE_PAUSED;
    w->done = done;
    w->opaque = opaque;
    w->t0 = d->last_request_ns = util_now_ns();
    w->req.data = w;
    /* Flavors' shells are prepared with Xen's default TSC mode (set at
     * prepare): a guest asking for another one is built directly. */
    char devices[CHAOS_SHELL_DEVICES_MAX];
    bool shaped =
        chaos_config_tsc_mode(cfg) == CHAOS_TSC_DEFAULT &&
        chaos_config_shell_devices(cfg, devices, sizeof(devices)) == 0;
    int i = shaped ? pool_match(&d->pool, POOL_CREATE,
                                chaos_config_type(cfg) == CHAOS_GUEST_PVH,
                                chaos_config_memory_mib(cfg),
                                chaos_config_maxmem_mib(cfg),
                                chaos_config_maxvcpus(cfg), devices)
                   : -1;
    uint8_t shell_uuid[16];
    /* The most ready first: a template's guest, an image shell, a plain
     * shell; none: direct. */
    int tpl = shaped ? template_take(d, cfg, &w->item) : -1;
    int img = shaped && tpl < 0 ? take_image(d, cfg, devices, &w->item) : -1;
    if (tpl >= 0) {
        i = tpl;
        w->from_template = true;
    } else if (img >= 0) {
        i = img;
        w->image = true;
    }
    if (tpl >= 0 || img >= 0 ||
        (i >= 0 && pool_take(&d->pool, i, builder_busy, d, &w->item))) {
        w->from_pool = true;
        snprintf(w->flavor, sizeof(w->flavor), "%s", d->pool.flavors[i].f.name);
        w->builder = w->item.builder;
        memcpy(shell_uuid, w->item.uuid, 16);
        w->rec.domid = w->item.domid;
    } else {
        w->builder = builder_pick(d);
        w->rec.domid = STATE_NO_DOMID;
        if (state_new_uuid(shell_uuid) < 0)
            goto fail;
    }
    if (guest_uuid(cfg, shell_uuid, w->rec.uuid) < 0)
        goto fail;
    memcpy(w->rec.shell_uuid, w->from_pool ? shell_uuid : w->rec.uuid, 16);
    const char *name = chaos_config_name(cfg);
    snprintf(w->rec.name, sizeof(w->rec.name), "%s", name ? name : "");
    if (state_guest_write(&w->rec) < 0)
        goto fail;
    struct builder *b = &d->builders[w->builder];
    b->queued++;
    d->work_in_flight++;
    /* A ready guest is started here, on the loop: its execute takes a
     * few ms, and the hand-over to a worker thread and back cost ~3 ms
     * under emulation (probably a dom0 vCPU woken each way:
     * docs/benchmarks.md).  A template's guest is a restored domain with
     * no builder state: the loop's own context serves, and the take never
     * waits for a restore its builder is busy with.  An image shell holds
     * its builder's state: only when that builder is free.  A plain
     * shell's execute builds the kernel (~10 ms and more), and a busy
     * builder would block the loop: those go to the work queue. */
    if ((flags & CREATE_MAY_FINISH) && w->from_template) {
        create_on(w, d->ctx);
        create_after(&w->req, 0);
        return;
    }
    if ((flags & CREATE_MAY_FINISH) && w->image &&
        uv_mutex_trylock(&b->lock) == 0) {
        create_on(w, b->ctx);
        uv_mutex_unlock(&b->lock);
        create_after(&w->req, 0);
        return;
    }
    uv_queue_work(d->loop, &w->req, create_thread, create_after);
    return;

fail:
    if (w->from_pool && pool_put_back(&d->pool, i, &w->item) < 0) {
        /* Cannot happen (nothing ran since pool_take()); never leak it. */
        refill_discard(d, &w->item);
    }
    chaos_config_free(w->cfg);
    free(w);
    metrics_failed(&d->metrics, METRICS_FAIL_RECORD);
    done(d, opaque, -EIO, NULL,
         "cannot record the guest (out of memory, or "
         "the run directory is not writable)");
}
