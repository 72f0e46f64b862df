/*
 * refill.c - refilling the pools in the background, on the builders
 * (builders.c), and giving back idle shells.
 *
 * A refill is recorded (RUNDIR/chaosd/shells/UUID) before Xen is asked
 * for the domain, with the handle chaosd chose: if chaosd dies half-way,
 * its successor finds the domain by that handle and destroys it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "state.h"
#include "util.h"
#include "warm.h"

/* After a failed prepare, wait this long before trying again (a full
 * host would otherwise be asked again at once, forever). */
#define REFILL_RETRY_MS 2000

/* Below this share of its target a pool is refilled even while requests
 * come (refill_quiet_ms): a burst must not empty it. */
#define REFILL_LOW_FILL 0.25

/* ------------------------------------------------------------ refilling */

struct refill_work {
    uv_work_t req;
    struct chaosd *d;
    unsigned flavor_id;
    char flavor[CHAOSD_FLAVOR_NAME_MAX + 1];
    unsigned builder;
    chaos_config *cfg;
    uint8_t uuid[16];
    chaos_shell *shell;
    bool restore, in_place;
    bool image; /* an image flavor: load its kernel into the shell too */
    unsigned load_flags; /* CHAOS_LOAD_* for that load */
    /* a template flavor: a guest restored paused from its template */
    struct template_image *tpl;
    unsigned tpl_gen;
    chaos_domid domid;
    int rc;
    char err[256];
    /* a ready item's supervisor, prepared ahead, or why not */
    chaos_supervisor *sup;
    char sup_err[256];
    /* a warm template flavor's (template_warm): its guest resumed ahead */
    char warm[256];
    uint32_t warm_ip_base;
    unsigned warm_ip_len, warm_timeout_ms;
    char mac[WARM_MAC_LEN], ip[WARM_IP_LEN];
};

/*
 * A ready item's supervisor (an image shell's, a template guest's),
 * prepared on the builder beside the item: its lock taken, console ring
 * and device page mapped and bound, console socket listening, so that
 * the create that takes the item only opens its log (guests.c).  Serving
 * a new guest was ~10 ms of the loop after each reply under emulation,
 * before its first console line reached the log (docs/benchmarks.md);
 * on the loop, the prepare itself took ~9 ms between creates.  Best
 * effort: without one, the create starts a supervisor as for any guest.
 */
static void prepare_supervisor(struct refill_work *w, chaos_ctx *ctx,
                               chaos_domid domid)
{
    if (w->d->hv->supervisor_prepare(ctx, domid, w->shell, &w->sup) < 0) {
        w->sup = NULL;
        snprintf(w->sup_err, sizeof(w->sup_err), "%s", w->d->hv->errmsg(ctx));
    }
}

/* A template pool's guest: restored from the template, paused, under a
 * name of chaosd's (a create renames it), the handle recorded for it (a
 * chaosd that dies finds and destroys it, as a shell) and MACs of its
 * own. */
static void restore_guest(struct refill_work *w, chaos_ctx *ctx)
{
    char uuid[37], name[64], name_arg[80], uuid_arg[48];
    state_uuid_text(w->uuid, uuid);
    warm_guest_name(w->uuid, name, sizeof(name));
    snprintf(name_arg, sizeof(name_arg), "name=%s", name);
    snprintf(uuid_arg, sizeof(uuid_arg), "uuid=%s", uuid);
    const char *const ov[] = { name_arg, uuid_arg };
    chaos_shell *shell = NULL;
    /* New MACs: the template's would be every guest's (the take gives
     * the request's, if it names one). */
    w->rc = w->d->hv->image_restore(
        ctx, &shell, w->tpl->img, ov, 2,
        CHAOS_RESTORE_PAUSED | CHAOS_RESTORE_NEW_MACS, &w->domid, NULL);
    if (w->rc < 0)
        snprintf(w->err, sizeof(w->err), "%s", w->d->hv->errmsg(ctx));
}

/* A warm template flavor's guest, restored: warmed up (warm.c), or
 * destroyed. */
static void warm_guest(struct refill_work *w, chaos_ctx *ctx)
{
    const struct warm_spec spec = { w->warm, w->warm_ip_base, w->warm_ip_len,
                                    w->warm_timeout_ms };
    w->rc = warm_up(w->d, ctx, w->tpl, w->uuid, w->domid, &spec, &w->sup,
                    w->mac, w->ip, w->err, sizeof(w->err));
}

static void refill_thread(uv_work_t *req)
{
    struct refill_work *w = req->data;
    struct builder *b = &w->d->builders[w->builder];
    uv_mutex_lock(&b->lock);
    if (w->tpl) {
        restore_guest(w, b->ctx);
        if (w->rc == 0 && w->warm[0])
            warm_guest(w, b->ctx);
        else if (w->rc == 0)
            prepare_supervisor(w, b->ctx, w->domid);
        uv_mutex_unlock(&b->lock);
        return;
    }
    /* A restore flavor's shells have no memory (the image brings it), or
     * in place their RAM populated and zeroed. */
    w->rc = w->restore
                ? w->d->hv->restore_shell_prepare(
                      b->ctx, w->cfg, w->in_place ? CHAOS_RESTORE_IN_PLACE : 0,
                      &w->shell)
                : w->d->hv->shell_prepare(b->ctx, w->cfg, &w->shell);
    /* An image flavor's shell gets its kernel built in now, off the
     * request path; a failed load discarded the shell. */
    if (w->rc == 0 && w->image) {
        w->rc =
            w->d->hv->shell_load(b->ctx, w->shell, w->cfg, w->load_flags, NULL);
        if (w->rc < 0)
            w->shell = NULL;
        else
            prepare_supervisor(w, b->ctx, w->d->hv->shell_domid(w->shell));
    }
    if (w->rc < 0)
        snprintf(w->err, sizeof(w->err), "%s", w->d->hv->errmsg(b->ctx));
    uv_mutex_unlock(&b->lock);
}

static void on_retry(uv_timer_t *t)
{
    struct chaosd *d = t->data;
    d->refill_retry_pending = false;
    refill_kick(d);
}

/* Discards one shell on its builder, then forgets its record. */
struct discard_work {
    uv_work_t req;
    struct chaosd *d;
    struct pool_item item;
};

static void discard_thread(uv_work_t *req)
{
    struct discard_work *w = req->data;
    struct builder *b = &w->d->builders[w->item.builder];
    uv_mutex_lock(&b->lock);
    if (w->item.warm) { /* destroyed already; its log goes too */
        char log[300];
        warm_guest_log(w->item.uuid, log, sizeof(log));
        unlink(log);
    } else if (w->item.guest) { /* a template pool's paused guest */
        w->d->hv->domain_destroy(b->ctx, w->item.domid);
    } else
        w->d->hv->shell_discard(b->ctx, w->item.shell);
    uv_mutex_unlock(&b->lock);
}

static void discard_done(uv_work_t *req, int status)
{
    struct discard_work *w = req->data;
    state_shell_remove(w->item.uuid);
    w->d->builders[w->item.builder].queued--;
    struct chaosd *d = w->d;
    free(w);
    chaosd_work_done(d);
}

void refill_discard(struct chaosd *d, const struct pool_item *item)
{
    /* A warm guest runs (paused) under its supervisor, which destroys
     * it (its lock file goes with it).  Others' rings are unmapped
     * first: the domain could not finish dying. */
    if (item->warm && d->hv->supervisor_destroy_domain(d->ctx, item->sup) < 0)
        d->hv->domain_destroy(d->ctx, item->domid);
    if (item->sup)
        d->hv->supervisor_close(d->ctx, item->sup);
    struct discard_work *w = calloc(1, sizeof(*w));
    if (!w) {
        log_warn("out of memory: shell of domain %u kept", item->domid);
        return;
    }
    w->d = d;
    w->item = *item;
    w->item.sup = NULL;
    w->req.data = w;
    d->builders[item->builder].queued++;
    d->work_in_flight++;
    uv_queue_work(d->loop, &w->req, discard_thread, discard_done);
}

static void refill_done(uv_work_t *req, int status)
{
    struct refill_work *w = req->data;
    struct chaosd *d = w->d;
    d->refills_running--;
    d->builders[w->builder].queued--;
    int i = pool_index(&d->pool, w->flavor_id);
    if (w->rc < 0) {
        state_shell_remove(w->uuid);
        if (i >= 0)
            pool_fill_failed(&d->pool, i);
        metrics_failed(&d->metrics, METRICS_FAIL_REFILL);
        log_warn("preparing a shell of flavor %s failed: %s", w->flavor,
                 w->err);
        if (!d->stopping && d->refill_retry_ready && !d->refill_retry_pending) {
            d->refill_retry_pending = true;
            uv_timer_start(&d->refill_retry, on_retry, REFILL_RETRY_MS, 0);
        }
    } else {
        struct pool_item item = { .shell = w->shell,
                                  .builder = w->builder,
                                  .guest = w->tpl != NULL,
                                  .domid = w->tpl
                                               ? w->domid
                                               : d->hv->shell_domid(w->shell) };
        memcpy(item.uuid, w->uuid, sizeof(item.uuid));
        item.warm = w->warm[0] != 0;
        memcpy(item.mac, w->mac, sizeof(item.mac));
        memcpy(item.ip, w->ip, sizeof(item.ip));
        state_shell_write(w->uuid, item.domid, w->flavor);
        item.sup = w->sup;
        w->sup = NULL;
        if (w->sup_err[0])
            log_warn("domain %u: its supervisor is not prepared ahead (its "
                     "create will start one): %s",
                     item.domid, w->sup_err);
        /* A guest of a template that went stale meanwhile goes too. */
        if (i < 0 || d->stopping ||
            (w->tpl && !template_current(d, w->flavor_id, w->tpl_gen)) ||
            pool_fill_done(&d->pool, i, &item) < 0) {
            if (i >= 0)
                pool_fill_failed(&d->pool, i);
            refill_discard(d, &item);
        }
    }
    template_image_unref(d, w->tpl);
    chaos_config_free(w->cfg);
    free(w);
    if (!d->stopping) {
        refill_trim(d, false);
        refill_kick(d);
        chaosd_update_status(d);
    }
    chaosd_work_done(d);
}

/* The configuration a flavor's shells are prepared from. */
static chaos_config *flavor_config(const struct chaosd_flavor *f,
                                   const uint8_t uuid[16])
{
    chaos_config *cfg = chaos_config_new();
    char u[37];
    state_uuid_text(uuid, u);
    if (!cfg ||
        chaos_config_set_type(cfg, f->pvh ? CHAOS_GUEST_PVH : CHAOS_GUEST_PV) ||
        chaos_config_set_memory_mib(cfg, f->memory_mib) ||
        chaos_config_set_maxmem_mib(cfg, f->maxmem_mib) ||
        chaos_config_set_vcpus(cfg, f->vcpus) ||
        chaos_config_set_maxvcpus(cfg, f->vcpus) ||
        chaos_config_set_uuid(cfg, u) ||
        (f->kernel[0] && chaos_config_set_kernel(cfg, f->kernel)) ||
        (f->ramdisk[0] && chaos_config_set_ramdisk(cfg, f->ramdisk)) ||
        (f->cmdline[0] && chaos_config_set_cmdline(cfg, f->cmdline))) {
        chaos_config_free(cfg);
        return NULL;
    }
    for (unsigned i = 0; i < f->n_vifs; i++)
        if (chaos_config_add_vif(cfg, f->vifs[i]) != 0) {
            chaos_config_free(cfg);
            return NULL;
        }
    return cfg;
}

static void on_quiet(uv_timer_t *t)
{
    refill_kick(t->data);
}

/* How full a pool may be and still be refilled now: any pool once no
 * create or restore came for refill_quiet_ms, else only a low one, with
 * the timer set for the quiet moment.  A refill beside a request slows
 * it: under TCG a pooled create's reply took ~25 ms longer with the
 * previous create's refill running than without (pool-bench --gap,
 * docs/benchmarks.md). */
static double refill_max_fill(struct chaosd *d)
{
    uint64_t quiet_ns = (uint64_t)d->conf.refill_quiet_ms * 1000000u;
    uint64_t since = util_now_ns() - d->last_request_ns;
    if (!d->last_request_ns || since >= quiet_ns) {
        uv_timer_stop(&d->refill_quiet);
        return 1.0;
    }
    uv_timer_start(&d->refill_quiet, on_quiet,
                   (quiet_ns - since + 999999u) / 1000000u, 0);
    return REFILL_LOW_FILL;
}

void refill_kick(struct chaosd *d)
{
    if (!d->refill_retry_ready) {
        uv_timer_init(d->loop, &d->refill_retry);
        d->refill_retry.data = d;
        uv_timer_init(d->loop, &d->refill_quiet);
        d->refill_quiet.data = d;
        d->refill_retry_ready = true;
    }
    if (d->stopping) {
        atomic_store(&d->refills_cancel, true);
        if (!uv_is_closing((uv_handle_t *)&d->refill_retry)) {
            uv_close((uv_handle_t *)&d->refill_retry, NULL);
            uv_close((uv_handle_t *)&d->refill_quiet, NULL);
        }
        template_stop(d); /* its builds give up, its timer closes */
        return;
    }
    template_update(d);
    double max_fill = refill_max_fill(d);
    while (!d->refill_retry_pending &&
           d->refills_running < d->conf.refill_workers) {
        int i = pool_next_refill_below(&d->pool, max_fill);
        if (i < 0)
            break;
        struct pool_flavor *pf = &d->pool.flavors[i];
        /* A template flavor is filled from its template once built; the
         * first fill is the build (template.c). */
        struct template_image *tpl = NULL;
        unsigned tpl_gen = 0;
        if (pool_flavor_kind(&pf->f) == POOL_TEMPLATE &&
            !template_refill(d, i, &tpl, &tpl_gen))
            continue;
        struct refill_work *w = calloc(1, sizeof(*w));
        if (w && state_new_uuid(w->uuid) == 0)
            w->cfg = flavor_config(&pf->f, w->uuid);
        if (!w || !w->cfg ||
            state_shell_write(w->uuid, STATE_NO_DOMID, pf->f.name)) {
            log_warn("cannot start a refill of flavor %s (out of memory, or "
                     "%s not writable)",
                     pf->f.name, state_dir().path);
            pool_fill_failed(&d->pool, i);
            if (w)
                chaos_config_free(w->cfg);
            free(w);
            template_image_unref(d, tpl);
            break;
        }
        w->tpl = tpl;
        w->tpl_gen = tpl_gen;
        if (tpl && pf->f.template_warm[0]) {
            snprintf(w->warm, sizeof(w->warm), "%s", pf->f.template_warm);
            w->warm_ip_base = pf->f.warm_ip_base;
            w->warm_ip_len = pf->f.warm_ip_len;
            w->warm_timeout_ms = pf->f.template_timeout_s * 1000;
        }
        w->d = d;
        w->flavor_id = pf->id;
        w->restore = pf->f.restore;
        w->in_place = pf->f.in_place;
        w->image = pf->f.kernel[0] != 0;
        w->load_flags = pf->f.cmdline_per_request ? CHAOS_LOAD_ANY_CMDLINE : 0;
        snprintf(w->flavor, sizeof(w->flavor), "%s", pf->f.name);
        w->builder = builder_pick(d);
        w->req.data = w;
        d->builders[w->builder].queued++;
        d->refills_running++;
        d->work_in_flight++;
        uv_queue_work(d->loop, &w->req, refill_thread, refill_done);
    }
}

void refill_trim(struct chaosd *d, bool drain)
{
    struct pool_item item;
    while (pool_take_excess(&d->pool, drain, &item))
        refill_discard(d, &item);
}
