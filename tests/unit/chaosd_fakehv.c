/*
 * chaosd_fakehv.c - the fake hypervisor of chaosd's unit tests (see
 * chaosd_fakehv.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "chaosd_fakehv.h"

struct fakehv fakehv;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

struct fake_ctx {
    char err[256];
};

struct fake_shell {
    chaos_domid domid;
    bool in_place;      /* a restore shell with its RAM populated */
    char *image;        /* shell_load's "kernel|ramdisk|cmdline"; NULL: none */
    bool any_cmdline;   /* loaded with CHAOS_LOAD_ANY_CMDLINE: "*" */
    unsigned image_gen; /* fakehv.image_gen when it was loaded */
};

static void free_shell(struct fake_shell *sh)
{
    if (sh)
        free(sh->image);
    free(sh);
}

/* What an image shell for cfg holds: its files and command line. */
static char *image_key(const chaos_config *cfg, bool any_cmdline)
{
    const char *k = chaos_config_kernel(cfg), *r = chaos_config_ramdisk(cfg),
               *c = any_cmdline ? "*" : chaos_config_cmdline(cfg);
    size_t len =
        strlen(k ? k : "") + strlen(r ? r : "") + strlen(c ? c : "") + 3;
    char *key = malloc(len);
    if (key)
        snprintf(key, len, "%s|%s|%s", k ? k : "", r ? r : "", c ? c : "");
    return key;
}

/* An image "opened": its configuration text and its file's identity. */
struct fake_image {
    char *path;
    char *text;
    bool pvh;
    bool in_place; /* opened for in-place restores (a PVH image) */
    struct chaos_image_id id;
};

void fakehv_reset(void)
{
    pthread_mutex_lock(&lock);
    memset(&fakehv, 0, sizeof(fakehv));
    fakehv.next_domid = 1;
    pthread_mutex_unlock(&lock);
}

static int fail(chaos_ctx *ctx, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(chaos_ctx *ctx, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(((struct fake_ctx *)ctx)->err,
              sizeof(((struct fake_ctx *)ctx)->err), fmt, ap);
    va_end(ap);
    return rc;
}

/* Callers hold the lock. */
static struct fakehv_dom *find(chaos_domid domid)
{
    for (unsigned i = 0; i < fakehv.n_doms; i++)
        if (fakehv.doms[i].domid == domid)
            return &fakehv.doms[i];
    return NULL;
}

static void remove_dom(struct fakehv_dom *dom)
{
    *dom = fakehv.doms[--fakehv.n_doms];
}

static struct fakehv_dom *add(const uint8_t uuid[16], bool built)
{
    if (fakehv.n_doms == FAKEHV_MAX_DOMS)
        return NULL;
    struct fakehv_dom *dom = &fakehv.doms[fakehv.n_doms++];
    memset(dom, 0, sizeof(*dom));
    dom->domid = fakehv.next_domid++;
    memcpy(dom->uuid, uuid, 16);
    dom->built = built;
    return dom;
}

chaos_domid fakehv_add_domain(const uint8_t uuid[16], bool built)
{
    pthread_mutex_lock(&lock);
    struct fakehv_dom *dom = add(uuid, built);
    chaos_domid domid = dom ? dom->domid : 0;
    pthread_mutex_unlock(&lock);
    return domid;
}

const struct fakehv_dom *fakehv_find(chaos_domid domid)
{
    pthread_mutex_lock(&lock);
    const struct fakehv_dom *dom = find(domid);
    pthread_mutex_unlock(&lock);
    return dom;
}

void fakehv_vanish(chaos_domid domid)
{
    pthread_mutex_lock(&lock);
    struct fakehv_dom *dom = find(domid);
    if (dom)
        remove_dom(dom);
    pthread_mutex_unlock(&lock);
}

/* ------------------------------------------------------------ the table */

static int f_open(chaos_ctx **ctxp)
{
    *ctxp = calloc(1, sizeof(struct fake_ctx));
    if (!*ctxp)
        return -ENOMEM;
    pthread_mutex_lock(&lock);
    fakehv.ctxs_open++;
    pthread_mutex_unlock(&lock);
    return 0;
}

static void f_close(chaos_ctx *ctx)
{
    if (!ctx)
        return;
    pthread_mutex_lock(&lock);
    fakehv.ctxs_open--;
    pthread_mutex_unlock(&lock);
    free(ctx);
}

static const char *f_errmsg(const chaos_ctx *ctx)
{
    return ((const struct fake_ctx *)ctx)->err;
}

static int f_kernel_cache_enable(chaos_ctx *ctx, uint64_t max_bytes)
{
    return 0;
}

static void f_kernel_cache_stats(const chaos_ctx *ctx,
                                 struct chaos_kernel_cache_stats *out)
{
    memset(out, 0, sizeof(*out));
}

static int f_shell_prepare(chaos_ctx *ctx, const chaos_config *cfg,
                           chaos_shell **shellp)
{
    uint8_t uuid[16] = { 0 };
    chaos_config_uuid_bytes(cfg, uuid);
    pthread_mutex_lock(&lock);
    fakehv.prepares++;
    int rc = 0;
    struct fake_shell *sh = NULL;
    if (fakehv.fail_prepare) {
        fakehv.fail_prepare--;
        rc = fail(ctx, -ENOMEM, "injected: out of host memory");
    } else if (!(sh = calloc(1, sizeof(*sh)))) {
        rc = fail(ctx, -ENOMEM, "out of memory");
    } else {
        struct fakehv_dom *dom = add(uuid, false);
        if (!dom) {
            free_shell(sh);
            rc = fail(ctx, -ENOSPC, "fake: too many domains");
        } else {
            dom->memory_mib = chaos_config_memory_mib(cfg);
            sh->domid = dom->domid;
            fakehv.shells_live++;
            *shellp = (chaos_shell *)sh;
        }
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

static chaos_domid f_shell_domid(const chaos_shell *shell)
{
    return ((const struct fake_shell *)shell)->domid;
}

static int f_shell_execute(chaos_ctx *ctx, chaos_shell *shell,
                           const chaos_config *cfg, unsigned flags,
                           struct chaos_create_timings *timings)
{
    struct fake_shell *sh = (struct fake_shell *)shell;
    pthread_mutex_lock(&lock);
    fakehv.executes++;
    fakehv.shells_live--;
    struct fakehv_dom *dom = find(sh->domid);
    int rc = 0;
    if (!dom) {
        rc = fail(ctx, -ESRCH, "the shell's domain is gone");
    } else if (fakehv.fail_execute) {
        /* Half-way: the kernel did not load; libchaos destroys the domain. */
        fakehv.fail_execute--;
        remove_dom(dom);
        fakehv.destroys++;
        rc = fail(ctx, -EIO, "injected: loading the kernel failed");
    } else {
        dom->built = true;
        fakehv.executes_image += sh->image != NULL;
        const char *line = chaos_config_cmdline(cfg);
        snprintf(dom->cmdline, sizeof(dom->cmdline), "%s", line ? line : "");
        snprintf(dom->name, sizeof(dom->name), "%s", chaos_config_name(cfg));
        if (timings)
            memset(timings, 0, sizeof(*timings));
    }
    pthread_mutex_unlock(&lock);
    free_shell(sh);
    return rc;
}

/* Keeps libchaos's contract: on failure the shell is discarded. */
static int f_shell_load(chaos_ctx *ctx, chaos_shell *shell,
                        const chaos_config *cfg, unsigned flags,
                        struct chaos_create_timings *timings)
{
    struct fake_shell *sh = (struct fake_shell *)shell;
    char *key = image_key(cfg, flags & CHAOS_LOAD_ANY_CMDLINE);
    pthread_mutex_lock(&lock);
    int rc = 0;
    if (fakehv.fail_load || !key || sh->image) {
        if (fakehv.fail_load)
            fakehv.fail_load--;
        struct fakehv_dom *dom = find(sh->domid);
        if (dom)
            remove_dom(dom);
        fakehv.shells_live--;
        fakehv.discards++;
        rc = fail(ctx, -EIO, "injected: loading the image failed");
    } else {
        fakehv.loads++;
        sh->image = key;
        sh->any_cmdline = flags & CHAOS_LOAD_ANY_CMDLINE;
        key = NULL;
        sh->image_gen = fakehv.image_gen;
        if (timings)
            memset(timings, 0, sizeof(*timings));
    }
    pthread_mutex_unlock(&lock);
    free(key);
    if (rc)
        free_shell(sh);
    return rc;
}

static int f_shell_image_fits(const chaos_shell *shell, const chaos_config *cfg,
                              char *why, size_t len)
{
    const struct fake_shell *sh = (const struct fake_shell *)shell;
    char *key = image_key(cfg, sh->any_cmdline);
    pthread_mutex_lock(&lock);
    int rc = !sh->image                          ? -ENOENT
             : !key || strcmp(key, sh->image)    ? -EINVAL
             : sh->image_gen != fakehv.image_gen ? -ESTALE
                                                 : 0;
    pthread_mutex_unlock(&lock);
    free(key);
    snprintf(why, len, "fake: image check %d", rc);
    return rc;
}

static int f_restore_shell_prepare(chaos_ctx *ctx, const chaos_config *cfg,
                                   unsigned flags, chaos_shell **shellp)
{
    int rc = f_shell_prepare(ctx, cfg, shellp);
    if (!rc && (flags & CHAOS_RESTORE_IN_PLACE)) {
        ((struct fake_shell *)*shellp)->in_place = true;
        pthread_mutex_lock(&lock);
        fakehv.prepares_in_place++;
        pthread_mutex_unlock(&lock);
    }
    return rc;
}

static int config_of(chaos_ctx *ctx, const char *text, const char *source,
                     const char *const *overrides, unsigned n,
                     chaos_config **cfgp)
{
    chaos_config *cfg = chaos_config_new();
    int rc = text && cfg ? chaos_config_parse(cfg, text, strlen(text), source)
                         : -ENOENT;
    for (unsigned i = 0; !rc && i < n; i++)
        rc = chaos_config_set_arg(cfg, overrides[i]);
    if (rc) {
        chaos_config_free(cfg);
        return fail(ctx, rc, "fake: no image");
    }
    *cfgp = cfg;
    return 0;
}

static int f_image_config(chaos_ctx *ctx, const char *path,
                          const char *const *overrides, unsigned n,
                          chaos_config **cfgp)
{
    return config_of(ctx, fakehv.image_config, path, overrides, n, cfgp);
}

/* A whole small file as a string (malloc'd), or NULL. */
static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = calloc(1, 65536);
    if (buf && fread(buf, 1, 65535, f) == 0 && ferror(f)) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

static int f_image_open(chaos_ctx *ctx, const char *path, unsigned flags,
                        chaos_image **imgp)
{
    pthread_mutex_lock(&lock);
    int rc = 0;
    fakehv.image_opens++;
    if (fakehv.fail_open) {
        fakehv.fail_open--;
        rc = fail(ctx, -EINVAL, "injected: the image's stream is corrupt");
    }
    pthread_mutex_unlock(&lock);
    chaos_config *cfg = NULL;
    char *text =
        fakehv.image_config ? strdup(fakehv.image_config) : read_text(path);
    if (!rc)
        rc = config_of(ctx, text, path, NULL, 0, &cfg);
    if (rc) {
        free(text);
        return rc;
    }
    struct fake_image *img = calloc(1, sizeof(*img));
    if (img) {
        img->path = strdup(path);
        img->text = text;
        text = NULL;
    }
    free(text);
    if (!img || !img->path || !img->text) {
        if (img) {
            free(img->path);
            free(img->text);
        }
        free(img);
        chaos_config_free(cfg);
        return fail(ctx, -ENOMEM, "out of memory");
    }
    img->pvh = chaos_config_type(cfg) == CHAOS_GUEST_PVH;
    img->in_place = img->pvh && (flags & CHAOS_RESTORE_IN_PLACE);
    chaos_config_free(cfg);
    struct stat st;
    if (stat(path, &st) == 0) {
        img->id.dev = (uint64_t)st.st_dev;
        img->id.ino = (uint64_t)st.st_ino;
        img->id.size = (uint64_t)st.st_size;
        img->id.mtime_ns =
            (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    }
    pthread_mutex_lock(&lock);
    fakehv.images_live++;
    pthread_mutex_unlock(&lock);
    *imgp = (chaos_image *)img;
    return 0;
}

static void f_image_close(chaos_image *image)
{
    struct fake_image *img = (struct fake_image *)image;
    if (!img)
        return;
    pthread_mutex_lock(&lock);
    fakehv.images_live--;
    pthread_mutex_unlock(&lock);
    free(img->path);
    free(img->text);
    free(img);
}

static void f_image_id(const chaos_image *image, struct chaos_image_id *out)
{
    *out = ((const struct fake_image *)image)->id;
}

static bool f_image_in_place(const chaos_image *image)
{
    return ((const struct fake_image *)image)->in_place;
}

static int f_image_config_of(chaos_ctx *ctx, const chaos_image *image,
                             const char *const *overrides, unsigned n,
                             chaos_config **cfgp)
{
    const struct fake_image *img = (const struct fake_image *)image;
    return config_of(ctx, img->text, img->path, overrides, n, cfgp);
}

/* A guest's vifs from cfg: its MACs (new ones, or the config's, made
 * up when it has none) and addresses. */
static void set_vifs(struct fakehv_dom *dom, const chaos_config *cfg,
                     bool new_macs)
{
    dom->n_vifs = chaos_config_vif_count(cfg);
    for (unsigned i = 0; i < dom->n_vifs && i < 8; i++) {
        struct chaos_vif_config v;
        chaos_config_vif(cfg, i, &v);
        if (new_macs || !v.mac_given) {
            unsigned n = ++fakehv.macs_made;
            const uint8_t m[6] = { 0x00,      0x16, 0x3e, 0, (uint8_t)(n >> 8),
                                   (uint8_t)n };
            memcpy(dom->macs[i], m, 6);
        } else {
            memcpy(dom->macs[i], v.mac_bytes, 6);
        }
        dom->ips[i][0] = '\0';
        if (v.ip[0] && v.ip_prefix)
            snprintf(dom->ips[i], sizeof(dom->ips[i]), "%s/%u", v.ip,
                     v.ip_prefix);
        else if (v.ip[0])
            snprintf(dom->ips[i], sizeof(dom->ips[i]), "%s", v.ip);
    }
}

static int f_image_restore(chaos_ctx *ctx, chaos_shell **shellp,
                           const chaos_image *image,
                           const char *const *overrides, unsigned n,
                           unsigned flags, chaos_domid *domid,
                           struct chaos_restore_timings *timings)
{
    const struct fake_image *img = (const struct fake_image *)image;
    bool in_place = flags & CHAOS_RESTORE_IN_PLACE;
    chaos_config *cfg;
    if (f_image_config_of(ctx, image, overrides, n, &cfg) < 0)
        return -ENOENT;
    uint8_t uuid[16] = { 0 };
    chaos_config_uuid_bytes(cfg, uuid);
    struct fake_shell *sh = (struct fake_shell *)*shellp;
    pthread_mutex_lock(&lock);
    int rc = 0;
    struct fakehv_dom *dom = NULL;
    if (fakehv.fail_image) {
        fakehv.fail_image--;
        rc = fail(ctx, -EINVAL, "injected: the image is corrupt");
    } else if (in_place && !img->in_place) {
        rc = fail(ctx, -EINVAL, "fake: not opened for an in-place restore");
    } else if (sh && sh->in_place != in_place) {
        rc = fail(ctx, -EINVAL, "fake: the shell's kind does not fit");
    } else if (sh) {
        fakehv.restores_pool++;
        fakehv.restores_in_place += in_place;
        fakehv.shells_live--;
        *shellp = NULL;
        if (!(dom = find(sh->domid)))
            rc = fail(ctx, -ESRCH, "the shell's domain is gone");
        free_shell(sh);
    } else {
        fakehv.restores_direct++;
        if (!(dom = add(uuid, false)))
            rc = fail(ctx, -ENOSPC, "fake: too many domains");
    }
    if (!rc) {
        dom->built = true;
        memcpy(dom->uuid, uuid, 16);
        dom->memory_mib = chaos_config_memory_mib(cfg);
        dom->paused = flags & CHAOS_RESTORE_PAUSED;
        snprintf(dom->name, sizeof(dom->name), "%s", chaos_config_name(cfg));
        set_vifs(dom, cfg, flags & CHAOS_RESTORE_NEW_MACS);
        *domid = dom->domid;
        if (timings)
            memset(timings, 0, sizeof(*timings));
    }
    pthread_mutex_unlock(&lock);
    chaos_config_free(cfg);
    return rc;
}

static void f_shell_discard(chaos_ctx *ctx, chaos_shell *shell)
{
    struct fake_shell *sh = (struct fake_shell *)shell;
    if (!sh)
        return;
    pthread_mutex_lock(&lock);
    fakehv.discards++;
    fakehv.shells_live--;
    struct fakehv_dom *dom = find(sh->domid);
    if (dom)
        remove_dom(dom);
    pthread_mutex_unlock(&lock);
    free_shell(sh);
}

static int f_domain_create(chaos_ctx *ctx, const chaos_config *cfg,
                           unsigned flags, chaos_domid *domid,
                           struct chaos_create_timings *timings)
{
    uint8_t uuid[16] = { 0 };
    chaos_config_uuid_bytes(cfg, uuid);
    pthread_mutex_lock(&lock);
    fakehv.creates++;
    int rc = 0;
    struct fakehv_dom *dom;
    if (fakehv.fail_create) {
        fakehv.fail_create--;
        rc = fail(ctx, -EIO, "injected: building the guest failed");
    } else if (!(dom = add(uuid, true))) {
        rc = fail(ctx, -ENOSPC, "fake: too many domains");
    } else {
        dom->memory_mib = chaos_config_memory_mib(cfg);
        snprintf(dom->name, sizeof(dom->name), "%s", chaos_config_name(cfg));
        *domid = dom->domid;
        if (timings)
            memset(timings, 0, sizeof(*timings));
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

static int f_domain_destroy(chaos_ctx *ctx, chaos_domid domid)
{
    pthread_mutex_lock(&lock);
    struct fakehv_dom *dom = find(domid);
    int rc = 0;
    if (dom) {
        remove_dom(dom);
        fakehv.destroys++;
    } else {
        rc = fail(ctx, -ESRCH, "no such domain");
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

static void fill_info(const struct fakehv_dom *dom, struct chaos_dominfo *out)
{
    memset(out, 0, sizeof(*out));
    out->domid = dom->domid;
    snprintf(out->name, sizeof(out->name), "%s", dom->name);
    out->state = dom->built ? CHAOS_DOM_RUNNING : CHAOS_DOM_PAUSED;
    out->vcpus = 1;
    out->mem_bytes = out->maxmem_bytes = dom->memory_mib << 20;
    memcpy(out->uuid, dom->uuid, 16);
}

static int f_domain_list(chaos_ctx *ctx, struct chaos_dominfo **list)
{
    pthread_mutex_lock(&lock);
    unsigned n = fakehv.n_doms;
    struct chaos_dominfo *l = calloc(n + 1, sizeof(*l));
    if (l) {
        snprintf(l[0].name, sizeof(l[0].name), "Domain-0");
        l[0].state = CHAOS_DOM_RUNNING;
        for (unsigned i = 0; i < n; i++)
            fill_info(&fakehv.doms[i], &l[i + 1]);
    }
    pthread_mutex_unlock(&lock);
    if (!l)
        return fail(ctx, -ENOMEM, "out of memory");
    *list = l;
    return (int)n + 1;
}

static void f_dominfo_free(struct chaos_dominfo *list)
{
    free(list);
}

static int f_domain_info(chaos_ctx *ctx, chaos_domid domid,
                         struct chaos_dominfo *out)
{
    pthread_mutex_lock(&lock);
    struct fakehv_dom *dom = find(domid);
    if (dom)
        fill_info(dom, out);
    pthread_mutex_unlock(&lock);
    return dom ? 0 : fail(ctx, -ESRCH, "no such domain");
}

static int f_domain_lookup(chaos_ctx *ctx, const char *name_or_id,
                           chaos_domid *out)
{
    pthread_mutex_lock(&lock);
    int rc = fail(ctx, -ESRCH, "no such domain");
    for (unsigned i = 0; i < fakehv.n_doms; i++) {
        if (!strcmp(fakehv.doms[i].name, name_or_id)) {
            *out = fakehv.doms[i].domid;
            rc = 0;
        }
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

static int f_domain_shutdown(chaos_ctx *ctx, chaos_domid domid,
                             enum chaos_shutdown_kind kind)
{
    return fail(ctx, -ENOTSUP, "fake: no XenStore");
}

static int f_domain_console(chaos_ctx *ctx, chaos_domid domid, uint64_t *frame,
                            uint32_t *port)
{
    pthread_mutex_lock(&lock);
    struct fakehv_dom *dom = find(domid);
    bool built = dom && dom->built;
    pthread_mutex_unlock(&lock);
    if (!built)
        return fail(ctx, -ENOENT, "not created by chaos");
    *frame = 0x1000 + domid;
    *port = 1;
    return 0;
}

static int f_physinfo(chaos_ctx *ctx, struct chaos_physinfo *out)
{
    memset(out, 0, sizeof(*out));
    out->total_bytes = 4096ull << 20;
    out->free_bytes = 2048ull << 20;
    return 0;
}

static int f_domain_rename(chaos_ctx *ctx, chaos_domid domid,
                           const char *new_name)
{
    pthread_mutex_lock(&lock);
    struct fakehv_dom *dom = find(domid);
    int rc = 0;
    if (fakehv.fail_rename) {
        fakehv.fail_rename--;
        rc = fail(ctx, -EEXIST, "injected: the name is in use");
    } else if (!dom) {
        rc = fail(ctx, -ESRCH, "no such domain");
    } else {
        fakehv.renames++;
        snprintf(dom->name, sizeof(dom->name), "%s", new_name);
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

/* libchaos's contract: paused, the same number of vifs, a given MAC
 * free (no other domain has it), all or nothing. */
static int f_domain_readdress(chaos_ctx *ctx, chaos_domid domid,
                              const chaos_config *cfg)
{
    pthread_mutex_lock(&lock);
    struct fakehv_dom *dom = find(domid);
    int rc = 0;
    if (fakehv.fail_readdress) {
        fakehv.fail_readdress--;
        rc = fail(ctx, -EIO, "injected: the page cannot be mapped");
    } else if (!dom) {
        rc = fail(ctx, -ESRCH, "no such domain");
    } else if (!dom->paused) {
        rc = fail(ctx, -EBUSY, "domain %u is not paused", domid);
    } else if (chaos_config_vif_count(cfg) != dom->n_vifs) {
        rc = fail(ctx, -EINVAL, "the configuration has %u vifs, the guest %u",
                  chaos_config_vif_count(cfg), dom->n_vifs);
    }
    for (unsigned i = 0; !rc && i < dom->n_vifs; i++) {
        struct chaos_vif_config v;
        chaos_config_vif(cfg, i, &v);
        for (unsigned k = 0; v.mac_given && !rc && k < fakehv.n_doms; k++)
            for (unsigned j = 0; !rc && j < fakehv.doms[k].n_vifs; j++)
                if (fakehv.doms[k].domid != domid &&
                    !memcmp(fakehv.doms[k].macs[j], v.mac_bytes, 6))
                    rc = fail(ctx, -EADDRINUSE,
                              "vif[%u]: MAC %s is already used on bridge %s "
                              "by domain %u",
                              i, v.mac, v.bridge, fakehv.doms[k].domid);
    }
    if (!rc) {
        fakehv.readdresses++;
        uint8_t keep[8][6];
        memcpy(keep, dom->macs, sizeof(keep));
        set_vifs(dom, cfg, false);
        for (unsigned i = 0; i < dom->n_vifs; i++) {
            struct chaos_vif_config v;
            chaos_config_vif(cfg, i, &v);
            if (!v.mac_given) /* keeps the guest's */
                memcpy(dom->macs[i], keep[i], 6);
        }
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

static int f_domain_unpause(chaos_ctx *ctx, chaos_domid domid)
{
    pthread_mutex_lock(&lock);
    struct fakehv_dom *dom = find(domid);
    if (dom) {
        fakehv.unpauses++;
        dom->paused = false;
    }
    pthread_mutex_unlock(&lock);
    return dom ? 0 : fail(ctx, -ESRCH, "no such domain");
}

/* The guest "boots", "prints" its line at once and is "saved": the image
 * file holds its config text (what the fake's image_open reads).  A
 * domain exists meanwhile, and none after, as libchaos's contract says. */
static int f_template_boot(chaos_ctx *ctx, const struct chaosd_template_boot *b,
                           char *err, size_t len)
{
    uint8_t uuid[16] = { 0 };
    chaos_config_uuid_bytes(b->cfg, uuid);
    pthread_mutex_lock(&lock);
    fakehv.template_boots++;
    struct fakehv_dom *dom = add(uuid, true);
    int rc = dom ? 0 : -ENOSPC;
    if (fakehv.fail_template) {
        fakehv.fail_template--;
        rc = -ETIMEDOUT;
    }
    if (dom)
        remove_dom(dom);
    pthread_mutex_unlock(&lock);
    if (rc) {
        snprintf(err, len, "injected: no console line holding \"%s\"",
                 b->ready);
        return rc;
    }
    char *text = chaos_config_to_text(b->cfg);
    FILE *f = text ? fopen(b->image_path, "w") : NULL;
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    free(text);
    if (!f) {
        snprintf(err, len, "fake: cannot write %s", b->image_path);
        return -EIO;
    }
    return 0;
}

/* A supervisor prepared ahead: only its domain, and that it is open. */
struct fake_sup {
    chaos_domid domid;
};

static int f_supervisor_prepare(chaos_ctx *ctx, chaos_domid domid,
                                const chaos_shell *shell,
                                chaos_supervisor **out)
{
    (void)shell;
    int rc = 0;
    pthread_mutex_lock(&lock);
    if (fakehv.fail_sup_prepare) {
        fakehv.fail_sup_prepare--;
        rc = fail(ctx, -EIO, "injected: mapping the console ring failed");
    } else if (!find(domid)) {
        rc = fail(ctx, -ESRCH, "no domain %u", domid);
    }
    struct fake_sup *sup = rc ? NULL : calloc(1, sizeof(*sup));
    if (!rc && !sup)
        rc = fail(ctx, -ENOMEM, "out of memory");
    if (!rc) {
        sup->domid = domid;
        fakehv.sups_prepared++;
        fakehv.sups_live++;
        *out = (chaos_supervisor *)sup;
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

static void f_supervisor_close(chaos_ctx *ctx, chaos_supervisor *sup)
{
    (void)ctx;
    if (!sup)
        return;
    pthread_mutex_lock(&lock);
    fakehv.sups_live--;
    pthread_mutex_unlock(&lock);
    free(sup);
}

/* A warm-up: readdressed (libchaos's rules, above), "resumed" and
 * "paused" again at once, a supervisor kept for it. */
static int f_template_warm(chaos_ctx *ctx, const struct chaosd_template_warm *w,
                           chaos_supervisor **out, char *mac, size_t maclen,
                           char *err, size_t len)
{
    int rc = w->addrs ? f_domain_readdress(ctx, w->domid, w->addrs) : 0;
    if (rc < 0) {
        snprintf(err, len, "giving it its address: %s", f_errmsg(ctx));
        return rc;
    }
    pthread_mutex_lock(&lock);
    struct fakehv_dom *dom = find(w->domid);
    if (fakehv.fail_warm) {
        fakehv.fail_warm--;
        rc = -ETIMEDOUT;
        snprintf(err, len, "injected: no console line holding \"%s\"",
                 w->ready);
    } else if (!dom) {
        rc = -ESRCH;
        snprintf(err, len, "no domain %u", w->domid);
    }
    struct fake_sup *sup = rc ? NULL : calloc(1, sizeof(*sup));
    if (!rc && !sup) {
        rc = -ENOMEM;
        snprintf(err, len, "out of memory");
    }
    if (!rc) {
        sup->domid = w->domid;
        fakehv.warms++;
        fakehv.sups_live++;
        const uint8_t *m = dom->macs[0];
        snprintf(mac, maclen, "%s", "");
        if (dom->n_vifs)
            snprintf(mac, maclen, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1],
                     m[2], m[3], m[4], m[5]);
        *out = (chaos_supervisor *)sup;
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

static int f_supervisor_rename(chaos_ctx *ctx, chaos_supervisor *sup,
                               const char *new_name)
{
    return f_domain_rename(ctx, ((struct fake_sup *)sup)->domid, new_name);
}

static int f_supervisor_destroy_domain(chaos_ctx *ctx, chaos_supervisor *sup)
{
    return f_domain_destroy(ctx, ((struct fake_sup *)sup)->domid);
}

const struct chaosd_hv_ops fakehv_ops = {
    .open = f_open,
    .close = f_close,
    .errmsg = f_errmsg,
    .kernel_cache_enable = f_kernel_cache_enable,
    .kernel_cache_stats = f_kernel_cache_stats,
    .shell_prepare = f_shell_prepare,
    .shell_domid = f_shell_domid,
    .shell_execute = f_shell_execute,
    .shell_discard = f_shell_discard,
    .shell_load = f_shell_load,
    .shell_image_fits = f_shell_image_fits,
    .supervisor_prepare = f_supervisor_prepare,
    .supervisor_close = f_supervisor_close,
    .supervisor_rename = f_supervisor_rename,
    .supervisor_destroy_domain = f_supervisor_destroy_domain,
    .restore_shell_prepare = f_restore_shell_prepare,
    .image_config = f_image_config,
    .image_open = f_image_open,
    .image_close = f_image_close,
    .image_id = f_image_id,
    .image_in_place = f_image_in_place,
    .image_config_of = f_image_config_of,
    .image_restore = f_image_restore,
    .domain_create = f_domain_create,
    .domain_destroy = f_domain_destroy,
    .domain_list = f_domain_list,
    .dominfo_free = f_dominfo_free,
    .domain_info = f_domain_info,
    .domain_lookup = f_domain_lookup,
    .domain_shutdown = f_domain_shutdown,
    .domain_console = f_domain_console,
    .physinfo = f_physinfo,
    .domain_rename = f_domain_rename,
    .domain_unpause = f_domain_unpause,
    .domain_readdress = f_domain_readdress,
    .template_boot = f_template_boot,
    .template_warm = f_template_warm,
};
