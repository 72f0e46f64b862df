/*
 * restore.c - restoring a saved guest (a chaos image, docs/snapshot.md):
 * into a shell of a restore flavor when one fits (the domain, its limits,
 * event channels and devices were made ahead: only the image's memory and
 * state stream in), else directly (libchaos prepares the empty domain
 * first).  Both run on the work queue, on a builder; the loop thread reads
 * the image's header (its configuration, to pick a flavor) and does the
 * bookkeeping.
 *
 * A PVH image goes into a shell of an in-place restore flavor first (RAM
 * populated and zeroed ahead: only the image's non-zero pages are copied
 * in), else an empty restore shell, else directly; the reply's path says
 * which ("in-place", "pool", "direct").  The image stays open between
 * restores (images.c): checked and, PVH, mapped and indexed once.
 *
 * Crash safety as for creates (create.c): the guest is recorded with the
 * handle its domain will have (the shell's, or a uuid= override) before
 * the restore starts.  A bad image is refused by libchaos before the
 * shell is touched: the shell goes back to its pool.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "json_codec.h"
#include "state.h"
#include "util.h"

struct restore_work {
    uv_work_t req;
    struct chaosd *d;
    chaos_config *cfg; /* the image's, as restored: records, supervisor */
    char *path;
    char *overrides[CHAOSD_MAX_OVERRIDES + 1]; /* the client's, uuid= */
    unsigned n_overrides;
    bool paused;
    create_done_fn done;
    void *opaque;
    uint64_t t0, t_thread, t_thread_end; /* arrival, on the work queue, done */
    /* the image: kept open (cached), or opened on the work queue */
    struct cached_image *cached;
    chaos_image *opened;
    /* from a restore pool (in_place: an in-place flavor's), or direct */
    bool from_pool, in_place;
    unsigned flavor_id;
    char flavor[CHAOSD_FLAVOR_NAME_MAX + 1];
    struct pool_item item;
    chaos_shell *unused; /* the pool's shell, not touched by a failure */
    unsigned builder;
    struct state_guest rec;
    /* results */
    int rc;
    chaos_domid domid;
    struct chaos_restore_timings t;
    char err[512];
};

static void restore_thread(uv_work_t *req)
{
    struct restore_work *w = req->data;
    struct builder *b = &w->d->builders[w->builder];
    const struct chaosd_hv_ops *hv = w->d->hv;
    chaos_shell *shell = w->from_pool ? w->item.shell : NULL;
    unsigned flags = (w->paused ? CHAOS_RESTORE_PAUSED : 0) |
                     (w->in_place ? CHAOS_RESTORE_IN_PLACE : 0);
    w->t_thread = util_now_ns();
    uv_mutex_lock(&b->lock);
    uint64_t t0 = util_now_ns();
    const chaos_image *img = w->cached ? w->cached->img : NULL;
    w->rc = 0;
    /* Not kept yet: checked whole and, for an in-place restore, mapped
     * and indexed here, off the loop thread; the loop keeps it afterwards.
     * (Mapped only when needed: a large Linux image restored through
     * libxenguest would fill the page cache for nothing.) */
    if (!img && (w->rc = hv->image_open(
                     b->ctx, w->path, w->in_place ? CHAOS_RESTORE_IN_PLACE : 0,
                     &w->opened)) == 0)
        img = w->opened;
    uint64_t open_ns = util_now_ns() - t0;
    if (!w->rc)
        w->rc = hv->image_restore(b->ctx, &shell, img,
                                  (const char *const *)w->overrides,
                                  w->n_overrides, flags, &w->domid, &w->t);
    if (!w->rc) {
        w->t.check_ns += open_ns;
        w->t.total_ns += open_ns;
    }
    w->unused = shell;
    if (w->rc < 0)
        snprintf(w->err, sizeof(w->err), "%s", hv->errmsg(b->ctx));
    uv_mutex_unlock(&b->lock);
    w->t_thread_end = util_now_ns();
}

static void work_free(struct restore_work *w)
{
    images_unref(&w->d->images, w->cached);
    chaos_config_free(w->cfg);
    free(w->path);
    for (unsigned i = 0; i < w->n_overrides; i++)
        free(w->overrides[i]);
    free(w);
}

/* A pool shell the restore did not touch (the image was refused): first
 * in line again, or discarded if its place is gone. */
static void give_back(struct chaosd *d, struct restore_work *w)
{
    struct pool_item item = w->item;
    item.shell = w->unused;
    if (d->stopping ||
        pool_put_back(&d->pool, pool_index(&d->pool, w->flavor_id), &item) < 0)
        refill_discard(d, &item);
}

/*
 * A restore succeeded: the reply goes first, then the guest is served.
 * Serving it (its supervisor: lock, records read, console ring mapped, its
 * socket and log opened, device back ends) need not delay the reply: the
 * loop thread does it in this same callback, before it reads any other
 * request, so the client's next request (destroy, list, ...) finds the
 * guest served; only its console socket may appear a moment after the
 * reply (the guest's output waits in its ring meanwhile).
 */
static void restored(struct chaosd *d, struct restore_work *w)
{
    uint64_t t_loop = util_now_ns(); /* the work queue's result is here */
    if (w->rec.domid != w->domid) {
        w->rec.domid = w->domid;
        state_guest_write(&w->rec);
    }
    const char *name = chaos_config_name(w->cfg);
    const char *path = w->in_place    ? "in-place"
                       : w->from_pool ? "pool"
                                      : "direct";
    struct chaosd_restore_result r = {
        .domid = w->domid,
        .name = name,
        .paused = w->paused,
        .flavor = w->from_pool ? w->flavor : NULL,
        .path = path,
        .t = &w->t,
        .request_ms = (double)(util_now_ns() - w->t0) / 1e6,
    };
    w->done(d, w->opaque, 0, chaosd_json_restore_result(&r), NULL);
    uint64_t t_reply = util_now_ns();
    server_broadcast(
        d, chaosd_event_new("restored", w->domid, name, "path", path));
    if (w->from_pool)
        d->restores_pool++;
    else
        d->restores_direct++;
    if (w->in_place)
        d->restores_in_place++;
    metrics_created(&d->metrics,
                    w->from_pool ? METRICS_PATH_RESTORE_POOL
                                 : METRICS_PATH_RESTORE_DIRECT,
                    t_reply - w->t0);
    if (!d->stopping) {
        guest_add(d, w->domid, w->cfg, NULL); /* served as created */
        w->cfg = NULL;
    }
    uint64_t t_served = util_now_ns();
    log_guest_info(
        w->domid, w->rec.name,
        "restored %s (%u) from %s %s%s%s: replied after %.1f ms "
        "(before the work queue %.1f, libchaos %.1f: check %.1f, "
        "stream %.1f, start %.1f; back on the loop %.1f; records and "
        "reply %.1f), served %.1f ms later; image %s",
        w->rec.name, w->domid, w->path,
        w->from_pool ? "into a shell of " : "directly",
        w->from_pool ? w->flavor : "", w->in_place ? " in place" : "",
        (double)(t_reply - w->t0) / 1e6, (double)(w->t_thread - w->t0) / 1e6,
        (double)w->t.total_ns / 1e6, (double)w->t.check_ns / 1e6,
        (double)w->t.stream_ns / 1e6, (double)w->t.start_ns / 1e6,
        (double)(t_loop - w->t_thread_end) / 1e6,
        (double)(t_reply - t_loop) / 1e6, (double)(t_served - t_reply) / 1e6,
        w->opened ? "opened" : "kept open");
}

static void restore_after(uv_work_t *req, int status)
{
    struct restore_work *w = req->data;
    struct chaosd *d = w->d;
    (void)status;
    d->builders[w->builder].queued--;
    if (w->opened) /* kept for the next restores */
        w->cached = images_put(&d->images, w->path, w->opened);
    if (w->from_pool && w->unused)
        give_back(d, w);
    else if (w->from_pool)
        state_shell_remove(w->item.uuid); /* consumed */
    if (w->rc < 0) {
        state_guest_remove(w->rec.uuid);
        metrics_failed(&d->metrics, w->from_pool && w->unused
                                        ? METRICS_FAIL_IMAGE
                                        : METRICS_FAIL_RESTORE);
        log_warn("restore of %s failed: %s", w->path, w->err);
        w->done(d, w->opaque, w->rc, NULL, w->err);
    } else {
        restored(d, w);
    }
    work_free(w);
    if (!d->stopping) {
        refill_trim(d, false);
        refill_kick(d);
        chaosd_update_status(d);
    }
    chaosd_work_done(d);
}

/* Takes a shell of that kind that fits w's image, if one is idle. */
static bool take_kind(struct chaosd *d, struct restore_work *w,
                      enum pool_kind kind, const char *devices)
{
    const chaos_config *cfg = w->cfg;
    int i =
        pool_match(&d->pool, kind, chaos_config_type(cfg) == CHAOS_GUEST_PVH,
                   chaos_config_memory_mib(cfg), chaos_config_maxmem_mib(cfg),
                   chaos_config_maxvcpus(cfg), devices);
    if (i < 0 || !pool_take(&d->pool, i, builder_busy, d, &w->item))
        return false;
    w->in_place = kind == POOL_RESTORE_IN_PLACE;
    w->flavor_id = d->pool.flavors[i].id;
    snprintf(w->flavor, sizeof(w->flavor), "%s", d->pool.flavors[i].f.name);
    return true;
}

/* A restore shell that fits w's image: in place first (PVH), then an
 * empty one. */
static bool take_shell(struct chaosd *d, struct restore_work *w)
{
    char devices[CHAOS_SHELL_DEVICES_MAX];
    if (chaos_config_shell_devices(w->cfg, devices, sizeof(devices)) != 0)
        return false;
    if (chaos_config_type(w->cfg) == CHAOS_GUEST_PVH &&
        take_kind(d, w, POOL_RESTORE_IN_PLACE, devices))
        return true;
    return take_kind(d, w, POOL_RESTORE, devices);
}

/*
 * The handle the guest will have, set in its configuration and passed to
 * libchaos as an override: a uuid= override's, else the shell's (a pool
 * shell keeps its handle), else a new one, so that records and Xen agree
 * from the start.
 */
static int guest_uuid(struct restore_work *w)
{
    if (chaos_config_uuid_bytes(w->cfg, w->rec.uuid) == 0)
        return 0; /* an override gave it: libchaos sets it */
    if (w->from_pool)
        memcpy(w->rec.uuid, w->item.uuid, 16);
    else if (state_new_uuid(w->rec.uuid) < 0)
        return -1;
    char text[37], arg[48];
    state_uuid_text(w->rec.uuid, text);
    snprintf(arg, sizeof(arg), "uuid=%s", text);
    if (chaos_config_set_uuid(w->cfg, text) != 0 ||
        !(w->overrides[w->n_overrides] = strdup(arg)))
        return -1;
    w->n_overrides++;
    return 0;
}

void restore_start(struct chaosd *d, const char *path,
                   const char *const *overrides, unsigned n, bool paused,
                   create_done_fn done, void *opaque)
{
    struct restore_work *w = calloc(1, sizeof(*w));
    if (!w || n > CHAOSD_MAX_OVERRIDES) {
        free(w);
        done(d, opaque, -ENOMEM, NULL, "out of memory");
        return;
    }
    w->d = d;
    w->paused = paused;
    w->done = done;
    w->opaque = opaque;
    w->t0 = d->last_request_ns = util_now_ns();
    w->req.data = w;
    if (!d->images.hv)
        images_init(&d->images, d->hv);
    /* Its configuration picks the flavor: from the image kept open, or
     * from its header only (small); the whole image is checked on the
     * work queue, before the shell is touched. */
    w->cached = images_get(&d->images, path);
    if ((w->cached
             ? d->hv->image_config_of(d->ctx, w->cached->img, overrides, n,
                                      &w->cfg)
             : d->hv->image_config(d->ctx, path, overrides, n, &w->cfg)) < 0) {
        metrics_failed(&d->metrics, METRICS_FAIL_IMAGE);
        done(d, opaque, -EINVAL, NULL, d->hv->errmsg(d->ctx));
        images_unref(&d->images, w->cached);
        free(w);
        return;
    }
    if (!(w->path = strdup(path)))
        goto fail;
    for (; w->n_overrides < n; w->n_overrides++)
        if (!(w->overrides[w->n_overrides] = strdup(overrides[w->n_overrides])))
            goto fail;
    w->from_pool = take_shell(d, w);
    /* Kept, but opened for libxenguest only: opened again, mapped. */
    if (w->in_place && w->cached && !d->hv->image_in_place(w->cached->img)) {
        images_unref(&d->images, w->cached);
        w->cached = NULL;
    }
    if (w->from_pool) {
        w->builder = w->item.builder;
        w->rec.domid = w->item.domid;
    } else {
        w->builder = builder_pick(d);
        w->rec.domid = STATE_NO_DOMID;
    }
    if (guest_uuid(w) < 0)
        goto fail;
    memcpy(w->rec.shell_uuid, w->from_pool ? w->item.uuid : w->rec.uuid, 16);
    const char *name = chaos_config_name(w->cfg);
    snprintf(w->rec.name, sizeof(w->rec.name), "%s", name ? name : "");
    if (state_guest_write(&w->rec) < 0)
        goto fail;
    d->builders[w->builder].queued++;
    d->work_in_flight++;
    uv_queue_work(d->loop, &w->req, restore_thread, restore_after);
    return;

fail:
    if (w->from_pool) {
        w->unused = w->item.shell;
        give_back(d, w);
    }
    work_free(w);
    metrics_failed(&d->metrics, METRICS_FAIL_RECORD);
    done(d, opaque, -EIO, NULL,
         "cannot record the guest (out of memory, or "
         "the run directory is not writable)");
}
