/*
 * template.c - template pools' bookkeeping (see template.h): when to
 * build a template, when it is stale, which create takes one of its
 * guests.  The boot and save themselves are template_build.c's, reached
 * through d->hv->template_boot so that the unit tests run this file
 * against the fake hypervisor.
 *
 * The build is one fill of the flavor (pool_next_refill counted it, and
 * its memory against the budget: the booting guest has the flavor's
 * memory); the flavor is *held* (no other refill) until it ends.  A
 * failed build is tried again after TEMPLATE_RETRY_MS.  The build runs on
 * the work queue with a context of its own, not a builder's: it may take
 * up to template_timeout_s, and builders must stay free for creates.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "state.h"
#include "util.h"

#define TEMPLATE_RETRY_MS 10000

/* ------------------------------------------------------------ helpers */

/* A copy of cfg whose vifs keep only what every guest of a template
 * shares (bridge, vifname): the MACs and addresses are each guest's. */
static chaos_config *without_addresses(const chaos_config *cfg)
{
    char *text = chaos_config_to_text(cfg);
    chaos_config *copy = text ? chaos_config_new() : NULL;
    int rc = copy ? chaos_config_parse(copy, text, strlen(text), "key") : -1;
    free(text);
    if (!rc)
        chaos_config_clear_vifs(copy);
    for (unsigned i = 0; !rc && i < chaos_config_vif_count(cfg); i++) {
        struct chaos_vif_config v;
        char spec[64];
        chaos_config_vif(cfg, i, &v);
        snprintf(spec, sizeof(spec), "bridge=%s%s%s", v.bridge,
                 v.vifname[0] ? ",vifname=" : "", v.vifname);
        rc = chaos_config_add_vif(copy, spec);
    }
    if (rc) {
        chaos_config_free(copy);
        return NULL;
    }
    return copy;
}

char *template_key(const chaos_config *cfg)
{
    chaos_config *copy = without_addresses(cfg);
    char *text = copy ? chaos_config_to_text(copy) : NULL;
    chaos_config_free(copy);
    if (!text)
        return NULL;
    /* Drop the name and uuid lines in place. */
    char *out = text;
    for (char *line = text; *line;) {
        char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) + 1 : strlen(line);
        if (strncmp(line, "name = ", 7) && strncmp(line, "uuid = ", 7)) {
            memmove(out, line, len);
            out += len;
        }
        line += len;
    }
    *out = '\0';
    return text;
}

static struct template *find(struct chaosd *d, unsigned flavor_id)
{
    for (unsigned k = 0; k < CHAOSD_MAX_FLAVORS; k++)
        if (d->templates.t[k].flavor_id == flavor_id)
            return &d->templates.t[k];
    return NULL;
}

/* The slot of flavor pf, made if there is none; NULL if all are used. */
static struct template *slot(struct chaosd *d, const struct pool_flavor *pf)
{
    struct template *t = find(d, pf->id);
    if (t || !(t = find(d, 0)))
        return t;
    memset(t, 0, sizeof(*t));
    t->flavor_id = pf->id;
    snprintf(t->flavor, sizeof(t->flavor), "%s", pf->f.name);
    return t;
}

void template_image_unref(struct chaosd *d, struct template_image *ti)
{
    if (!ti || --ti->refs)
        return;
    d->hv->image_close(ti->img);
    unlink(ti->path);
    free(ti);
}

static void release(struct chaosd *d, struct template *t)
{
    template_image_unref(d, t->image);
    free(t->key);
    memset(t, 0, sizeof(*t));
}

static int64_t mtime_ns(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static int record_file(struct template *t, const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return -errno;
    struct template_file *f = &t->files[t->n_files++];
    snprintf(f->path, sizeof(f->path), "%s", path);
    f->dev = (uint64_t)st.st_dev;
    f->ino = (uint64_t)st.st_ino;
    f->size = (uint64_t)st.st_size;
    f->mtime_ns = mtime_ns(&st);
    return 0;
}

/* Whether a file the template was built from changed (why says which). */
static bool stale(const struct template *t, char *why, size_t len)
{
    for (unsigned k = 0; k < t->n_files; k++) {
        const struct template_file *f = &t->files[k];
        struct stat st;
        if (stat(f->path, &st) < 0) {
            snprintf(why, len, "%s: %s", f->path, strerror(errno));
            return true;
        }
        if ((uint64_t)st.st_dev != f->dev || (uint64_t)st.st_ino != f->ino ||
            (uint64_t)st.st_size != f->size || mtime_ns(&st) != f->mtime_ns) {
            snprintf(why, len, "%s changed since the template was built",
                     f->path);
            return true;
        }
    }
    return false;
}

/* A stale template: its idle guests destroyed, its image dropped. */
static void drop(struct chaosd *d, struct template *t, int i, const char *why)
{
    log_warn("template pool %s: %s; its idle guests are destroyed and the "
             "template is built again",
             t->flavor, why);
    struct pool_item item;
    while (i >= 0 && pool_take(&d->pool, i, NULL, NULL, &item))
        refill_discard(d, &item);
    template_image_unref(d, t->image);
    t->image = NULL;
    free(t->key);
    t->key = NULL;
    t->n_files = 0;
}

static void on_retry(uv_timer_t *timer)
{
    refill_kick(timer->data);
}

/* What an earlier chaosd left in RUNDIR/chaosd/templates goes. */
static void clean_dir(void)
{
    char dir[600];
    snprintf(dir, sizeof(dir), "%s/templates", state_dir().path);
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return;
    DIR *dh = opendir(dir);
    struct dirent *e;
    while (dh && (e = readdir(dh)))
        if (e->d_name[0] != '.')
            unlinkat(dirfd(dh), e->d_name, 0);
    if (dh)
        closedir(dh);
}

/* ------------------------------------------------------------ updates */

void template_update(struct chaosd *d)
{
    struct templates *ts = &d->templates;
    if (!ts->retry_ready) {
        uv_timer_init(d->loop, &ts->retry);
        ts->retry.data = d;
        ts->retry_ready = true;
        clean_dir();
    }
    for (unsigned k = 0; k < CHAOSD_MAX_FLAVORS; k++) {
        struct template *t = &ts->t[k];
        int i = t->flavor_id ? pool_index(&d->pool, t->flavor_id) : 0;
        if (!t->flavor_id || (i >= 0 && d->pool.flavors[i].configured))
            continue;
        if (t->building)
            atomic_store(&t->cancel, true); /* released when it ends */
        else
            release(d, t);
    }
    uint64_t now = util_now_ns(), soonest = 0;
    for (unsigned i = 0; i < d->pool.n; i++) {
        struct pool_flavor *pf = &d->pool.flavors[i];
        if (!pf->configured || pool_flavor_kind(&pf->f) != POOL_TEMPLATE)
            continue;
        struct template *t = slot(d, pf);
        char why[600];
        if (t && t->image && stale(t, why, sizeof(why)))
            drop(d, t, (int)i, why);
        bool waiting = t && !t->image && !t->building && now < t->retry_at_ns;
        pf->held = !t || t->building || waiting;
        if (waiting && (!soonest || t->retry_at_ns < soonest))
            soonest = t->retry_at_ns;
    }
    if (soonest)
        uv_timer_start(&ts->retry, on_retry, (soonest - now) / 1000000 + 1, 0);
}

bool template_current(struct chaosd *d, unsigned flavor_id, unsigned gen)
{
    const struct template *t = find(d, flavor_id);
    return t && t->image && t->gen == gen;
}

/* --------------------------------------------------------------- build */

struct build_work {
    uv_work_t req;
    struct chaosd *d;
    unsigned flavor_id;
    char flavor[CHAOSD_FLAVOR_NAME_MAX + 1];
    chaos_config *cfg;
    char ready[256];
    unsigned timeout_ms;
    char image_path[640], log_path[512];
    uint8_t uuid[16];
    const atomic_bool *cancel;
    uint64_t t0;
    chaos_image *img;
    int rc;
    char err[512];
};

static void build_thread(uv_work_t *req)
{
    struct build_work *w = req->data;
    const struct chaosd_hv_ops *hv = w->d->hv;
    chaos_ctx *ctx = NULL;
    if ((w->rc = hv->open(&ctx)) < 0) {
        snprintf(w->err, sizeof(w->err), "cannot open Xen: %s",
                 ctx ? hv->errmsg(ctx) : "out of memory");
        hv->close(ctx);
        return;
    }
    struct chaosd_template_boot b = { .cfg = w->cfg,
                                      .ready = w->ready,
                                      .timeout_ms = w->timeout_ms,
                                      .image_path = w->image_path,
                                      .log_path = w->log_path,
                                      .cancel = w->cancel };
    w->rc = hv->template_boot(ctx, &b, w->err, sizeof(w->err));
    /* Checked whole once; every restore of a guest reads it. */
    if (!w->rc && (w->rc = hv->image_open(ctx, w->image_path, 0, &w->img))) {
        snprintf(w->err, sizeof(w->err), "the template's image: %s",
                 hv->errmsg(ctx));
        unlink(w->image_path);
    }
    hv->close(ctx);
}

static void build_done(uv_work_t *req, int status)
{
    struct build_work *w = req->data;
    struct chaosd *d = w->d;
    (void)status;
    state_shell_remove(w->uuid);
    int i = pool_index(&d->pool, w->flavor_id);
    bool gone = i < 0 || !d->pool.flavors[i].configured;
    struct template *t = find(d, w->flavor_id);
    struct template_image *ti = NULL;
    if (t)
        t->building = false;
    if (!w->rc && t && !gone && !d->stopping && (ti = calloc(1, sizeof(*ti)))) {
        ti->img = w->img;
        ti->refs = 1;
        snprintf(ti->path, sizeof(ti->path), "%s", w->image_path);
        t->image = ti;
        t->retry_at_ns = 0;
        pool_fill_none(&d->pool, i);
        log_info("template pool %s: template built in %.1f s (%s)", w->flavor,
                 (double)(util_now_ns() - w->t0) / 1e9, w->image_path);
    } else {
        d->hv->image_close(w->img);
        if (!w->rc)
            unlink(w->image_path);
        if (i >= 0)
            pool_fill_failed(&d->pool, i);
        if (w->rc < 0 && !d->stopping) {
            metrics_failed(&d->metrics, METRICS_FAIL_TEMPLATE);
            log_warn("template pool %s: building the template failed: %s",
                     w->flavor, w->err);
        }
        if (t) {
            t->retry_at_ns =
                util_now_ns() + (uint64_t)(d->templates.retry_ms
                                               ? d->templates.retry_ms
                                               : TEMPLATE_RETRY_MS) *
                                    1000000;
            free(t->key);
            t->key = NULL;
            t->n_files = 0;
        }
    }
    if (t && gone)
        release(d, t);
    chaos_config_free(w->cfg);
    free(w);
    if (!d->stopping) {
        refill_kick(d);
        chaosd_update_status(d);
    }
    chaosd_work_done(d);
}

static int fail(char *err, size_t len, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t len, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return rc;
}

/* The shape the flavor's guests have is the template's: checked here,
 * where the config is first read, not at each create. */
static int check_shape(const chaos_config *cfg, const struct chaosd_flavor *f,
                       char *err, size_t len)
{
    char msg[256];
    if ((chaos_config_type(cfg) == CHAOS_GUEST_PVH) != f->pvh ||
        chaos_config_memory_mib(cfg) != f->memory_mib ||
        chaos_config_maxmem_mib(cfg) != f->maxmem_mib ||
        chaos_config_maxvcpus(cfg) != f->vcpus)
        return fail(err, len, -EINVAL,
                    "its type, memory, maxmem or maxvcpus differ from the "
                    "flavor's (%s, %llu, %llu, %u)",
                    f->pvh ? "pvh" : "pv", (unsigned long long)f->memory_mib,
                    (unsigned long long)f->maxmem_mib, f->vcpus);
    if (chaos_config_disk_count(cfg))
        return fail(err, len, -ENOTSUP,
                    "a template with disks is not supported (each guest "
                    "would need a disk of its own; vifs are fine)");
    for (unsigned i = 0; i < chaos_config_vif_count(cfg); i++) {
        struct chaos_vif_config v;
        chaos_config_vif(cfg, i, &v);
        if (v.vifname[0])
            return fail(err, len, -EINVAL,
                        "vif[%u]: vifname names one TAP device, and each "
                        "guest of a template pool has its own: leave it out",
                        i);
    }
    const char *k = chaos_config_kernel(cfg), *r = chaos_config_ramdisk(cfg);
    if (!k || k[0] != '/' || (r && r[0] != '/'))
        return fail(err, len, -EINVAL,
                    "its kernel and ramdisk must be absolute paths");
    if (chaos_supervisor_check_config(cfg, msg, sizeof(msg)) < 0)
        return fail(err, len, -ENOTSUP, "%s", msg);
    return 0;
}

/* Reads the template config of flavor f into w and t (files, key). */
static int load(struct chaosd *d, struct template *t,
                const struct chaosd_flavor *f, struct build_work *w, char *err,
                size_t len)
{
    const char *path = f->template_cfg;
    t->n_files = 0;
    int rc = record_file(t, path);
    if (rc < 0)
        return fail(err, len, rc, "%s: %s", path, strerror(-rc));
    if (!(w->cfg = chaos_config_new()))
        return fail(err, len, -ENOMEM, "out of memory");
    char name[64], uuid[37];
    snprintf(name, sizeof(name), "chaosd-template-%s", f->name);
    if ((rc = chaos_config_parse_file(w->cfg, path)) < 0 ||
        (rc = chaos_config_set_name(w->cfg, name)) < 0 ||
        (rc = chaos_config_validate(w->cfg)) < 0)
        return fail(err, len, rc, "%s", chaos_config_errmsg(w->cfg));
    char why[400];
    if ((rc = check_shape(w->cfg, f, why, sizeof(why))) < 0)
        return fail(err, len, rc, "%s: %s", path, why);
    const char *r = chaos_config_ramdisk(w->cfg);
    if ((rc = record_file(t, chaos_config_kernel(w->cfg))) < 0 ||
        (r && (rc = record_file(t, r)) < 0))
        return fail(err, len, rc, "%s: its kernel or ramdisk: %s", path,
                    strerror(-rc));
    free(t->key);
    if (!(t->key = template_key(w->cfg)) || state_new_uuid(w->uuid) < 0)
        return fail(err, len, -ENOMEM, "out of memory");
    state_uuid_text(w->uuid, uuid);
    if ((rc = chaos_config_set_uuid(w->cfg, uuid)) < 0)
        return fail(err, len, rc, "%s", chaos_config_errmsg(w->cfg));
    /* Recorded as a shell: a chaosd that dies during the boot leaves a
     * domain its successor destroys (recover.c). */
    if ((rc = state_shell_write(w->uuid, STATE_NO_DOMID, f->name)) < 0)
        return fail(err, len, rc, "%s not writable", state_dir().path);
    snprintf(w->image_path, sizeof(w->image_path), "%s/templates/%s.%u.chaos",
             state_dir().path, f->name, t->gen + 1);
    snprintf(w->log_path, sizeof(w->log_path), "%s/%s.log",
             CHAOS_CONSOLE_LOG_DIR, name);
    snprintf(w->ready, sizeof(w->ready), "%s", f->template_ready);
    w->timeout_ms = f->template_timeout_s * 1000;
    return 0;
}

static void build_start(struct chaosd *d, struct template *t, int i)
{
    struct pool_flavor *pf = &d->pool.flavors[i];
    char err[512] = "out of memory";
    struct build_work *w = calloc(1, sizeof(*w));
    int rc = w ? load(d, t, &pf->f, w, err, sizeof(err)) : -ENOMEM;
    pf->held = true;
    if (rc < 0) {
        if (w) {
            state_shell_remove(w->uuid);
            chaos_config_free(w->cfg);
        }
        free(w);
        free(t->key);
        t->key = NULL;
        t->n_files = 0;
        pool_fill_failed(&d->pool, i);
        metrics_failed(&d->metrics, METRICS_FAIL_TEMPLATE);
        log_warn("template pool %s: %s", pf->f.name, err);
        t->retry_at_ns = util_now_ns() + (uint64_t)(d->templates.retry_ms
                                                        ? d->templates.retry_ms
                                                        : TEMPLATE_RETRY_MS) *
                                             1000000;
        return;
    }
    w->d = d;
    w->flavor_id = pf->id;
    snprintf(w->flavor, sizeof(w->flavor), "%s", pf->f.name);
    w->cancel = &t->cancel;
    w->t0 = util_now_ns();
    w->req.data = w;
    t->building = true;
    t->gen++;
    atomic_store(&t->cancel, false);
    log_info("template pool %s: booting %s until it prints \"%s\"", w->flavor,
             pf->f.template_cfg, w->ready);
    d->work_in_flight++;
    uv_queue_work(d->loop, &w->req, build_thread, build_done);
}

bool template_refill(struct chaosd *d, int i, struct template_image **img,
                     unsigned *gen)
{
    struct pool_flavor *pf = &d->pool.flavors[i];
    struct template *t = slot(d, pf);
    if (t && t->image) {
        t->image->refs++;
        *img = t->image;
        *gen = t->gen;
        return true;
    }
    if (!t || t->building) { /* not reached: such a flavor is held */
        pf->held = true;
        pool_fill_none(&d->pool, i);
        return false;
    }
    build_start(d, t, i);
    return false;
}

/* ---------------------------------------------------------------- take */

/* Whether t was built from kernel: its key has the kernel's path, and
 * the key costs ~0.7 ms to make under TCG, for every create while a
 * template pool exists.  A path too long to be recorded whole could
 * match: the key decides then. */
static bool from_kernel(const struct template *t, const char *kernel)
{
    if (strlen(kernel) >= sizeof(t->files[0].path))
        return true;
    for (unsigned k = 0; k < t->n_files; k++)
        if (!strcmp(t->files[k].path, kernel))
            return true;
    return false;
}

int template_take(struct chaosd *d, const chaos_config *cfg,
                  struct pool_item *item)
{
    bool any = false;
    const char *kernel = chaos_config_kernel(cfg);
    for (unsigned k = 0; k < CHAOSD_MAX_FLAVORS && !any; k++)
        any = d->templates.t[k].image != NULL &&
              from_kernel(&d->templates.t[k], kernel ? kernel : "");
    uint8_t uuid[16];
    /* A config with its own handle keeps it: not a restored guest's. */
    if (!any || chaos_config_uuid_bytes(cfg, uuid) == 0 ||
        !chaos_config_name(cfg))
        return -1;
    char *key = template_key(cfg);
    /* A warm guest has read its MAC and address already: only a request
     * that names none takes one (and is told them). */
    bool addressed = false;
    for (unsigned v = 0; v < chaos_config_vif_count(cfg); v++) {
        struct chaos_vif_config vif;
        addressed |=
            chaos_config_vif(cfg, v, &vif) == 0 && (vif.mac_given || vif.ip[0]);
    }
    int found = -1;
    /* A request with no address of its own prefers a warm guest (an
     * unaddressed paused one would answer at the template's address). */
    for (int pass = addressed; key && pass < 2 && found < 0; pass++)
        for (unsigned k = 0; k < CHAOSD_MAX_FLAVORS && found < 0; k++) {
            struct template *t = &d->templates.t[k];
            int i = t->image ? pool_index(&d->pool, t->flavor_id) : -1;
            char why[600];
            if (i < 0 || strcmp(t->key, key) ||
                (d->pool.flavors[i].f.template_warm[0] != 0) != (pass == 0))
                continue;
            if (stale(t, why, sizeof(why)))
                drop(d, t, i, why);
            else if (pool_take(&d->pool, i, builder_busy, d, item))
                found = i;
        }
    free(key);
    return found;
}

/* ------------------------------------------------------------- the end */

void template_stop(struct chaosd *d)
{
    for (unsigned k = 0; k < CHAOSD_MAX_FLAVORS; k++)
        atomic_store(&d->templates.t[k].cancel, true);
    if (d->templates.retry_ready &&
        !uv_is_closing((uv_handle_t *)&d->templates.retry))
        uv_close((uv_handle_t *)&d->templates.retry, NULL);
}

void template_clear(struct chaosd *d)
{
    for (unsigned k = 0; k < CHAOSD_MAX_FLAVORS; k++)
        if (d->templates.t[k].flavor_id)
            release(d, &d->templates.t[k]);
}
