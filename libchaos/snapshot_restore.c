/*
 * snapshot_restore.c - chaos_domain_restore (chaos.h; docs/snapshot.md):
 *
 *   1. the image checked whole before anything exists: header (magic,
 *      format version, CRC), the stream complete (its length) and intact
 *      (its CRC);
 *   2. the configuration: the saved one, overrides on top, the saved MACs
 *      for vifs that the overrides do not give one; what the stream fixes
 *      (type, memory, vCPUs) must not change;
 *   3. a restore shell: an empty domain (limits, event channels, no
 *      memory) with its devices prepared (TAP devices, event channels),
 *      made now or ahead of time (chaosd's restore pools: the same
 *      chaos_restore_shell_prepare), then its name claimed;
 *   4. libxenguest's restore (memory, vCPUs, store and console rewired);
 *   5. the noxs page rebuilt (generation: saved + 1), or a Linux guest's
 *      store ring reset (its supervisor serves it a new tree), the
 *      records, unpause.
 * Any failure after 3 destroys the domain (its event channels go with it),
 * deletes the TAP devices, releases the name and the records.
 * With CHAOS_RESTORE_IN_PLACE (PVH): 1 also maps the image and indexes its
 * stream (snapshot_inplace.c), 3 populates, maps and zeroes the shell's
 * RAM, and 4 copies the non-zero pages and applies the state records
 * itself (hv/hv_inplace.c) instead of libxenguest's restore.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices.h"
#include "hv/hv_inplace.h"
#include "hv/hv_save.h"
#include "internal.h"
#include "registry.h"
#include "snapshot_image.h"
#include "snapshot_inplace.h"
#include "util.h"

struct restore {
    chaos_ctx *ctx;
    const char *path;
    const chaos_image *img;
    struct snap_header h;
    chaos_config *cfg;
    chaos_domid domid;
    bool domain; /* domid exists (ours to destroy on failure) */
    uint8_t uuid[16];
    const char *name; /* claimed, when not NULL */
    struct devices *devs;
    struct hv_restore_info io;
    bool in_place;
    bool new_macs;                  /* CHAOS_RESTORE_NEW_MACS */
    struct hv_inplace_shell *shell; /* in place: the shell's RAM, mapped */
};

/* Gives each vif without a MAC the one it had when saved: the restored
 * guest keeps its addresses unless an override gives another.  With
 * CHAOS_RESTORE_NEW_MACS every vif gets a new one instead, free on its
 * bridge. */
static int keep_macs(struct restore *r)
{
    unsigned n = chaos_config_vif_count(r->cfg);
    struct chaos_vif_config vifs[CHAOS_CONFIG_MAX_VIFS];
    bool change = false;
    for (unsigned i = 0; i < n; i++) {
        chaos_config_vif(r->cfg, i, &vifs[i]);
        change |= r->new_macs || (!vifs[i].mac_given && i < r->h.nr_macs);
    }
    if (!change)
        return 0;
    chaos_config_clear_vifs(r->cfg);
    for (unsigned i = 0; i < n; i++) {
        char spec[160];
        /* New MACs: drawn here, free on their bridge, so that the
         * kept configuration holds them. */
        uint8_t fresh[6];
        const uint8_t *mac = vifs[i].mac_given  ? vifs[i].mac_bytes
                             : i < r->h.nr_macs ? r->h.macs[i]
                                                : NULL;
        if (r->new_macs) {
            int rc = devices_new_mac(r->ctx, vifs[i].bridge, fresh);
            if (rc)
                return rc;
            mac = fresh;
        }
        devices_vif_spec(&vifs[i], mac, spec, sizeof(spec));
        if (chaos_config_add_vif(r->cfg, spec) != 0)
            return chaos__fail(r->ctx, -EINVAL, "vif[%u]: %s", i,
                               chaos_config_errmsg(r->cfg));
    }
    return 0;
}

/* What the stream fixes must stay as saved. */
static int check_fixed(struct restore *r, const chaos_config *saved)
{
    static const struct {
        const char *key;
        uint64_t (*get)(const chaos_config *);
    } keys[] = {
        { "memory", chaos_config_memory_mib },
        { "maxmem", chaos_config_maxmem_mib },
    };
    if ((chaos_config_type(r->cfg) == CHAOS_GUEST_PVH) != r->h.pvh)
        return chaos__fail(r->ctx, -EINVAL,
                           "'type' cannot change on restore: the image is a "
                           "%s guest",
                           r->h.pvh ? "PVH" : "PV");
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (keys[i].get(r->cfg) != keys[i].get(saved))
            return chaos__fail(r->ctx, -EINVAL,
                               "'%s' cannot change on restore: the image "
                               "holds %llu MiB",
                               keys[i].key,
                               (unsigned long long)keys[i].get(saved));
    if (chaos_config_vcpus(r->cfg) != chaos_config_vcpus(saved) ||
        chaos_config_maxvcpus(r->cfg) != chaos_config_maxvcpus(saved))
        return chaos__fail(r->ctx, -EINVAL,
                           "'vcpus' and 'maxvcpus' cannot change on restore "
                           "(the image has %u of %u)",
                           chaos_config_vcpus(saved),
                           chaos_config_maxvcpus(saved));
    return 0;
}

/* Step 2. */
static int make_config(struct restore *r, const char *text,
                       const char *const *overrides, unsigned n)
{
    chaos_ctx *ctx = r->ctx;
    chaos_config *saved = chaos_config_new();
    r->cfg = chaos_config_new();
    if (!saved || !r->cfg) {
        chaos_config_free(saved);
        return chaos__fail(ctx, -ENOMEM, "out of memory");
    }
    char source[300];
    snprintf(source, sizeof(source), "%s (saved configuration)", r->path);
    int rc = chaos_config_parse(saved, text, strlen(text), source);
    if (!rc)
        rc = chaos_config_parse(r->cfg, text, strlen(text), source);
    /* A new Xen handle unless one is asked for: the saved guest's may
     * still exist (a checkpoint), and records tell domains by handle. */
    if (!rc)
        rc = chaos_config_set_uuid(r->cfg, NULL);
    for (unsigned i = 0; !rc && i < n; i++)
        rc = chaos_config_set_arg(r->cfg, overrides[i]);
    if (!rc)
        rc = chaos_config_validate(r->cfg);
    if (rc) {
        rc = chaos__fail(ctx, rc, "%s",
                         chaos_config_errmsg(saved)[0]
                             ? chaos_config_errmsg(saved)
                             : chaos_config_errmsg(r->cfg));
        chaos_config_free(saved);
        return rc;
    }
    rc = check_fixed(r, saved);
    chaos_config_free(saved);
    char why[256];
    if (!rc && chaos_supervisor_check_config(r->cfg, why, sizeof(why)) < 0)
        rc = chaos__fail(ctx, -ENOTSUP, "%s", why);
    return rc ? rc : keep_macs(r);
}

/* A restore shell: empty, or (in_place, PVH) with its RAM populated,
 * mapped and zeroed for an in-place restore. */
static int restore_shell_prepare(chaos_ctx *ctx, const chaos_config *cfg,
                                 bool in_place, chaos_shell **shellp)
{
    int rc = chaos__need_hv(ctx);
    if (rc)
        return rc;
    uint64_t t0 = util_now_ns();
    struct hv_shell_spec spec;
    rc = chaos__domain_spec(ctx, cfg, &spec);
    if (rc)
        return rc;
    chaos_shell *shell = calloc(1, sizeof(*shell));
    if (!shell)
        return chaos__fail(ctx, -ENOMEM, "out of memory");
    struct hv_restore_info io;
    rc = in_place ? hv_inplace_prepare(ctx->hv, &spec, &shell->inplace,
                                       &shell->domid, &io)
                  : hv_restore_prepare(ctx->hv, &spec, &shell->domid, &io);
    if (rc) {
        free(shell);
        return rc;
    }
    shell->console_port = io.console_port;
    shell->store_port = io.store_port;
    return chaos__shell_finish(ctx, shell, cfg, t0, shellp);
}

int chaos_restore_shell_prepare(chaos_ctx *ctx, const chaos_config *cfg,
                                unsigned flags, chaos_shell **shellp)
{
    chaos__clear_error(ctx);
    bool in_place = flags & CHAOS_RESTORE_IN_PLACE;
    if (in_place && chaos_config_type(cfg) != CHAOS_GUEST_PVH)
        return chaos__fail(ctx, -EINVAL,
                           "an in-place restore shell is for PVH guests");
    return restore_shell_prepare(ctx, cfg, in_place, shellp);
}

/* The shell fits what the image fixes and the devices asked for.  Not
 * the TSC mode: the stream sets it (its TSC_INFO record). */
static int shell_fits(struct restore *r, const chaos_shell *shell)
{
    char key[CHAOS_SHELL_DEVICES_MAX];
    if (shell->hv)
        return chaos__fail(r->ctx, -EINVAL,
                           "the shell was prepared for a kernel, not for a "
                           "restore");
    if (!shell->inplace != !r->in_place)
        return chaos__fail(r->ctx, -EINVAL,
                           r->in_place ? "an in-place restore needs a shell "
                                         "with its memory populated; this "
                                         "one is empty"
                                       : "the shell was prepared for an "
                                         "in-place restore");
    if (chaos_config_shell_devices(r->cfg, key, sizeof(key)) != 0 ||
        strcmp(key, shell->device_key) != 0)
        return chaos__fail(r->ctx, -EINVAL,
                           "the image's devices differ from the shell's");
    if ((shell->type == CHAOS_GUEST_PVH) != r->h.pvh ||
        chaos_config_memory_mib(r->cfg) != shell->memory_mib ||
        chaos_config_maxmem_mib(r->cfg) != shell->maxmem_mib ||
        chaos_config_maxvcpus(r->cfg) != shell->max_vcpus)
        return chaos__fail(r->ctx, -EINVAL,
                           "the image does not match the shell (type, "
                           "memory, maxmem or vcpus differ)");
    return 0;
}

/* Step 3: the shell's domain and devices become the restore's (the
 * shell is freed), its handle final, its name claimed. */
static int take_shell(struct restore *r, chaos_shell *shell)
{
    chaos_ctx *ctx = r->ctx;
    r->domid = shell->domid;
    r->domain = true;
    r->io.console_port = shell->console_port;
    r->io.store_port = shell->store_port;
    r->devs = shell->devs;
    r->shell = shell->inplace;
    free(shell->device_key);
    free(shell);
    int rc = 0;
    if (chaos_config_uuid_bytes(r->cfg, r->uuid) == 0)
        rc = hv_domain_set_handle(ctx->hv, r->domid, r->uuid);
    struct chaos_dominfo di;
    if (!rc)
        rc = hv_domain_info(ctx->hv, r->domid, &di);
    if (rc)
        return rc;
    memcpy(r->uuid, di.uuid, sizeof(r->uuid));
    const char *name = chaos_config_name(r->cfg);
    if (name && name[0]) {
        rc = chaos__claim_name(ctx, name, r->domid, r->uuid);
        if (rc)
            return rc;
        r->name = name;
    }
    if (r->h.store == SNAP_STORE_NONE) {
        devices_undo(r->devs); /* a guest with neither page nor store */
        r->devs = NULL;
        return 0;
    }
    /* Linux binds its store channel again by the number it had; a new
     * domain's first two channels are the console's and the store's, at
     * create as here, so it is the same: checked, not assumed. */
    if (r->h.store == SNAP_STORE_XENSTORE &&
        r->io.store_port != r->h.store_port)
        return chaos__fail(ctx, -EIO,
                           "the new domain's store event channel is %u, the "
                           "saved guest's was %u (its kernel would not find "
                           "its store)",
                           r->io.store_port, r->h.store_port);
    if (r->h.store == SNAP_STORE_XENSTORE)
        return 0; /* a private store starts afresh: see fill_domain */
    /* A generation the guest has not seen: it forgets its devices and
     * connects them anew (docs/noxs.md, "Save, restore and reconnect"). */
    r->devs->host.generation = r->h.noxs_generation + 1;
    if (r->devs->host.generation == 0)
        r->devs->host.generation = 1;
    return 0;
}

/* The image's file again, at its stream, for libxenguest (which reads
 * from a descriptor): refused if it is not the file that was checked. */
static int open_checked(struct restore *r)
{
    chaos_ctx *ctx = r->ctx;
    struct stat st;
    struct chaos_image_id id;
    int fd = open(r->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return chaos__fail(ctx, -errno, "cannot open '%s': %s", r->path,
                           strerror(errno));
    if (fstat(fd, &st) != 0) {
        int rc = -errno;
        close(fd);
        return chaos__fail(ctx, rc, "'%s': %s", r->path, strerror(-rc));
    }
    snap_image_id_of(&st, &id);
    if (memcmp(&id, &r->img->id, sizeof(id)) != 0) {
        close(fd);
        return chaos__fail(ctx, -ESTALE,
                           "'%s' changed since it was checked: restore it "
                           "again",
                           r->path);
    }
    if (lseek(fd, (off_t)r->h.header_size, SEEK_SET) < 0) {
        int rc = -errno;
        close(fd);
        return chaos__fail(ctx, rc, "'%s': %s", r->path, strerror(-rc));
    }
    return fd;
}

/* Steps 4 and 5; *stream_ns: how long step 4 took. */
static int fill_domain(struct restore *r, unsigned flags, uint64_t *stream_ns)
{
    uint64_t t0 = util_now_ns();
    chaos_ctx *ctx = r->ctx;
    int rc;
    if (r->in_place) {
        rc = hv_inplace_restore(ctx->hv, r->shell, r->img->m.stream,
                                &r->img->m.idx, &r->io);
    } else {
        int fd = open_checked(r);
        if (fd < 0)
            return fd;
        rc = hv_domain_restore(ctx->hv, r->domid, fd, &r->io);
        close(fd);
    }
    /* The guest's memory is in: the shell's mapping of it can go. */
    hv_inplace_release(r->shell);
    r->shell = NULL;
    if (rc) {
        char why[CHAOS_ERRMSG_MAX];
        snprintf(why, sizeof(why), "%s", ctx->errmsg);
        return chaos__fail(ctx, rc, "'%s': %s", r->path, why);
    }
    *stream_ns = util_now_ns() - t0;
    /* A private store: its ring reset and recorded; the supervisor serves
     * a new tree (the new domain's paths, the back ends in InitWait), and
     * the guest's xenbus registers its watches again and its front ends
     * connect anew (docs/snapshot.md, "Linux guests"). */
    if (r->devs) {
        rc = devices_install(ctx, r->devs, r->domid, r->cfg,
                             r->h.store == SNAP_STORE_XENSTORE,
                             r->io.store_frame, r->io.store_port);
        if (rc)
            return rc;
    }
    struct registry_record rec = {
        .domid = r->domid,
        .console_frame = r->io.console_frame,
        .console_port = r->io.console_port,
    };
    memcpy(rec.uuid, r->uuid, sizeof(rec.uuid));
    snprintf(rec.name, sizeof(rec.name), "%s", r->name ? r->name : "");
    snprintf(rec.type, sizeof(rec.type), "%s", r->h.pvh ? "pvh" : "pv");
    rc = registry_write_config(r->domid, r->cfg);
    if (!rc)
        rc = registry_write(&rec);
    if (rc)
        return chaos__fail(ctx, rc, "cannot record domain %u in %s: %s",
                           r->domid, registry_dir(), strerror(-rc));
    if (!(flags & CHAOS_RESTORE_PAUSED))
        return chaos_domain_unpause(ctx, r->domid);
    return 0;
}

/* Leaves nothing of a failed restore, keeping its message. */
static void undo(struct restore *r)
{
    chaos_ctx *ctx = r->ctx;
    char msg[CHAOS_ERRMSG_MAX];
    snprintf(msg, sizeof(msg), "%s", ctx->errmsg);
    hv_inplace_release(r->shell);
    r->shell = NULL;
    if (r->domain) {
        chaos_domain_pause(ctx, r->domid);
        chaos__forget(r->domid); /* records, TAP devices */
        registry_remove_config(r->domid);
        chaos_domain_destroy(ctx, r->domid);
    }
    devices_undo(r->devs);
    r->devs = NULL;
    if (r->name)
        registry_release_name(r->name, r->domid, r->uuid);
    snprintf(ctx->errmsg, sizeof(ctx->errmsg), "%s", msg);
}

/* Step 2 from an open image (step 1). */
static int image_config(struct restore *r, const char *const *overrides,
                        unsigned n)
{
    r->h = r->img->h;
    return make_config(r, r->img->config, overrides, n);
}

int chaos_image_config_of(chaos_ctx *ctx, const chaos_image *img,
                          const char *const *overrides, unsigned n,
                          chaos_config **cfgp)
{
    chaos__clear_error(ctx);
    struct restore r = { .ctx = ctx, .path = img->path, .img = img };
    int rc = image_config(&r, overrides, n);
    if (!rc) {
        *cfgp = r.cfg;
        r.cfg = NULL;
    }
    chaos_config_free(r.cfg);
    return rc;
}

int chaos_image_config(chaos_ctx *ctx, const char *path,
                       const char *const *overrides, unsigned n,
                       chaos_config **cfgp)
{
    chaos__clear_error(ctx);
    chaos_image *img;
    int rc = snap_image_open(ctx, path, 0, false, &img);
    if (!rc)
        rc = chaos_image_config_of(ctx, img, overrides, n, cfgp);
    chaos_image_close(img);
    return rc;
}

int chaos_image_restore(chaos_ctx *ctx, chaos_shell **shellp,
                        const chaos_image *img, const char *const *overrides,
                        unsigned n, unsigned flags, chaos_domid *domid,
                        struct chaos_restore_timings *t)
{
    struct restore r = { .ctx = ctx,
                         .path = img->path,
                         .img = img,
                         .in_place = flags & CHAOS_RESTORE_IN_PLACE,
                         .new_macs = flags & CHAOS_RESTORE_NEW_MACS };
    struct chaos_restore_timings tm = { 0 };
    uint64_t t0 = util_now_ns();
    chaos__clear_error(ctx);
    int rc = chaos__need_hv(ctx);
    /* Everything that can refuse the image comes before the shell is
     * touched: a bad image leaves the caller's shell as it was. */
    if (!rc)
        rc = image_config(&r, overrides, n);
    if (!rc && r.in_place && !r.h.pvh)
        rc = chaos__fail(ctx, -EINVAL,
                         "'%s' is a PV guest: an in-place restore is for "
                         "PVH guests",
                         r.path);
    if (!rc && r.in_place && !img->mapped)
        rc = chaos__fail(ctx, -EINVAL,
                         "'%s' was not opened for an in-place restore", r.path);
    tm.check_ns = util_now_ns() - t0;
    chaos_shell *shell = *shellp;
    if (!rc && shell) {
        rc = shell_fits(&r, shell);
    } else if (!rc) {
        rc = restore_shell_prepare(ctx, r.cfg, r.in_place, &shell);
        tm.prepare_ns = rc ? 0 : shell->prepare_ns;
    }
    if (!rc) {
        *shellp = NULL; /* ours from here: its domain goes on failure */
        rc = take_shell(&r, shell);
    }
    uint64_t t2 = util_now_ns();
    if (!rc)
        rc = fill_domain(&r, flags, &tm.stream_ns);
    if (rc)
        undo(&r);
    else
        *domid = r.domid;
    tm.start_ns = util_now_ns() - t2 - tm.stream_ns;
    tm.total_ns = util_now_ns() - t0;
    if (r.in_place) {
        tm.pages_copied = img->m.idx.nr_data;
        tm.pages_skipped = img->m.idx.nr_zero;
    }
    if (t && !rc)
        *t = tm;
    devices_free(r.devs);
    chaos_config_free(r.cfg);
    return rc;
}

int chaos_shell_restore(chaos_ctx *ctx, chaos_shell **shellp, const char *path,
                        const char *const *overrides, unsigned n,
                        unsigned flags, chaos_domid *domid,
                        struct chaos_restore_timings *t)
{
    uint64_t t0 = util_now_ns();
    chaos_image *img = NULL;
    int rc = chaos__need_hv(ctx);
    if (!rc)
        rc = chaos_image_open(ctx, path, flags, &img);
    /* An in-place restore of a PV image is refused by name below. */
    uint64_t open_ns = util_now_ns() - t0;
    if (!rc)
        rc = chaos_image_restore(ctx, shellp, img, overrides, n, flags, domid,
                                 t);
    if (!rc && t) {
        t->check_ns += open_ns;
        t->total_ns += open_ns;
    }
    chaos_image_close(img);
    return rc;
}

int chaos_domain_restore(chaos_ctx *ctx, const char *path,
                         const char *const *overrides, unsigned n,
                         unsigned flags, chaos_domid *domid)
{
    chaos_shell *none = NULL;
    return chaos_shell_restore(ctx, &none, path, overrides, n, flags, domid,
                               NULL);
}
