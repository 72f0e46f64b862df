/*
 * refill.c - builders (libchaos contexts for the work queue), refilling
 * the pools in the background, and giving back idle shells.
 *
 * A refill is recorded (RUNDIR/chaosd/shells/UUID) before Xen is asked
 * for the domain, with the handle chaosd chose: if chaosd dies half-way,
 * its successor finds the domain by that handle and destroys it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "state.h"

/* After a failed prepare, wait this long before trying again (a full
 * host would otherwise be asked again at once, forever). */
#define REFILL_RETRY_MS 2000

int builders_open(struct chaosd *d)
{
    /* One more than refills run at once: a create rarely waits for one. */
    unsigned want = d->conf.refill_workers + 1;
    d->builders = calloc(want, sizeof(*d->builders));
    if (!d->builders)
        return -ENOMEM;
    for (unsigned i = 0; i < want; i++) {
        struct builder *b = &d->builders[i];
        uv_mutex_init(&b->lock);
        d->n_builders++;
        int rc = chaos_open(&b->ctx);
        if (rc < 0) {
            log_warn("cannot open a libchaos context: %s", chaos_errmsg(b->ctx));
            return rc;
        }
        if (d->conf.kernel_cache_mib &&
            chaos_kernel_cache_enable(b->ctx, d->conf.kernel_cache_mib << 20) < 0)
            log_warn("kernel cache disabled: %s", chaos_errmsg(b->ctx));
    }
    return 0;
}

void builders_close(struct chaosd *d)
{
    for (unsigned i = 0; i < d->n_builders; i++) {
        chaos_close(d->builders[i].ctx);
        uv_mutex_destroy(&d->builders[i].lock);
    }
    free(d->builders);
    d->builders = NULL;
    d->n_builders = 0;
}

bool builder_busy(void *opaque, unsigned builder)
{
    struct chaosd *d = opaque;
    return builder < d->n_builders && d->builders[builder].queued > 0;
}

unsigned builder_pick(struct chaosd *d)
{
    unsigned best = 0;
    for (unsigned i = 1; i < d->n_builders; i++)
        if (d->builders[i].queued < d->builders[best].queued)
            best = i;
    return best;
}

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
    int rc;
    char err[256];
};

static uv_timer_t retry_timer;
static bool retry_timer_ready, retry_pending;

static void refill_thread(uv_work_t *req)
{
    struct refill_work *w = req->data;
    struct builder *b = &w->d->builders[w->builder];
    uv_mutex_lock(&b->lock);
    w->rc = chaos_shell_prepare(b->ctx, w->cfg, &w->shell);
    if (w->rc < 0)
        snprintf(w->err, sizeof(w->err), "%s", chaos_errmsg(b->ctx));
    uv_mutex_unlock(&b->lock);
}

static void on_retry(uv_timer_t *t)
{
    retry_pending = false;
    refill_kick(t->data);
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
    chaos_shell_discard(b->ctx, w->item.shell);
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

static void discard(struct chaosd *d, const struct pool_item *item)
{
    struct discard_work *w = calloc(1, sizeof(*w));
    if (!w) {
        log_warn("out of memory: shell of domain %u kept", item->domid);
        return;
    }
    w->d = d;
    w->item = *item;
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
        log_warn("preparing a shell of flavor %s failed: %s", w->flavor, w->err);
        if (!d->stopping && retry_timer_ready && !retry_pending) {
            retry_pending = true;
            uv_timer_start(&retry_timer, on_retry, REFILL_RETRY_MS, 0);
        }
    } else {
        struct pool_item item = { .shell = w->shell, .builder = w->builder,
                                  .domid = chaos_shell_domid(w->shell) };
        memcpy(item.uuid, w->uuid, sizeof(item.uuid));
        state_shell_write(w->uuid, item.domid, w->flavor);
        if (i < 0 || d->stopping || pool_fill_done(&d->pool, i, &item) < 0) {
            if (i >= 0)
                pool_fill_failed(&d->pool, i);
            discard(d, &item);
        }
    }
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
    if (!cfg || chaos_config_set_type(cfg, f->pvh ? CHAOS_GUEST_PVH : CHAOS_GUEST_PV) ||
        chaos_config_set_memory_mib(cfg, f->memory_mib) ||
        chaos_config_set_maxmem_mib(cfg, f->maxmem_mib) ||
        chaos_config_set_vcpus(cfg, f->vcpus) ||
        chaos_config_set_maxvcpus(cfg, f->vcpus) ||
        chaos_config_set_uuid(cfg, u)) {
        chaos_config_free(cfg);
        return NULL;
    }
    return cfg;
}

void refill_kick(struct chaosd *d)
{
    if (!retry_timer_ready) {
        uv_timer_init(d->loop, &retry_timer);
        retry_timer.data = d;
        retry_timer_ready = true;
    }
    if (d->stopping) {
        if (retry_timer_ready && !uv_is_closing((uv_handle_t *)&retry_timer))
            uv_close((uv_handle_t *)&retry_timer, NULL);
        return;
    }
    while (!retry_pending && d->refills_running < d->conf.refill_workers) {
        int i = pool_next_refill(&d->pool);
        if (i < 0)
            break;
        struct pool_flavor *pf = &d->pool.flavors[i];
        struct refill_work *w = calloc(1, sizeof(*w));
        if (w && state_new_uuid(w->uuid) == 0)
            w->cfg = flavor_config(&pf->f, w->uuid);
        if (!w || !w->cfg || state_shell_write(w->uuid, STATE_NO_DOMID, pf->f.name)) {
            log_warn("cannot start a refill of flavor %s (out of memory, or "
                     "%s not writable)", pf->f.name, state_dir());
            pool_fill_failed(&d->pool, i);
            if (w)
                chaos_config_free(w->cfg);
            free(w);
            break;
        }
        w->d = d;
        w->flavor_id = pf->id;
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
        discard(d, &item);
}
