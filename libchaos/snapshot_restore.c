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
    int fd;
    struct snap_header h;
    chaos_config *cfg;
    chaos_domid domid;
    bool domain; /* domid exists (ours to destroy on failure) */
    uint8_t uuid[16];
    const char *name; /* claimed, when not NULL */
    struct devices *devs;
    struct hv_restore_info io;
    bool in_place;
    struct snap_mapped mapped;      /* in place: the image, indexed */
    struct hv_inplace_shell *shell; /* in place: the shell's RAM, mapped */
};

static int read_exact_at(int fd, void *buf, size_t len, off_t off)
{
    char *p = buf;
    while (len > 0) {
        ssize_t n = pread(fd, p, len, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -ENODATA;
        p += n;
        len -= (size_t)n;
        off += n;
    }
    return 0;
}

/* Step 1: header and (whole) stream checked; *config the saved text
 * (free()). */
static int check_image(struct restore *r, bool whole, char **config)
{
    chaos_ctx *ctx = r->ctx;
    char err[SNAP_ERR_MAX];
    uint8_t fixed[SNAP_FIXED_SIZE];
    struct stat st;
    if (fstat(r->fd, &st) != 0)
        return chaos__fail(ctx, -errno, "'%s': %s", r->path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return chaos__fail(ctx, -EINVAL, "'%s' is not a regular file", r->path);
    /* A file shorter than the fixed part: cut short, or not an image. */
    size_t have = (uint64_t)st.st_size < sizeof(fixed) ? (size_t)st.st_size
                                                       : sizeof(fixed);
    int rc = read_exact_at(r->fd, fixed, have, 0);
    if (rc)
        return chaos__fail(ctx, rc, "cannot read '%s': %s", r->path,
                           strerror(-rc));
    if (have < sizeof(fixed) && have >= 8 && !memcmp(fixed, SNAP_MAGIC, 8))
        return chaos__fail(ctx, -EINVAL,
                           "'%s': the image is truncated (in its header)",
                           r->path);
    long size = snap_header_size(fixed, have, err, sizeof(err));
    if (size < 0)
        return chaos__fail(ctx, (int)size, "'%s': %s", r->path, err);
    if ((uint64_t)size > (uint64_t)st.st_size)
        return chaos__fail(ctx, -EINVAL,
                           "'%s': the image is truncated (in its header)",
                           r->path);
    uint8_t *hdr = malloc((size_t)size);
    if (!hdr)
        return chaos__fail(ctx, -ENOMEM, "out of memory");
    rc = read_exact_at(r->fd, hdr, (size_t)size, 0);
    if (rc) {
        free(hdr);
        return chaos__fail(ctx, rc, "cannot read '%s': %s", r->path,
                           strerror(-rc));
    }
    rc = snap_header_decode(hdr, (size_t)size, &r->h, config, err, sizeof(err));
    free(hdr);
    if (rc)
        return chaos__fail(ctx, rc, "'%s': %s", r->path, err);
    rc = snap_check_stream(&r->h, (uint64_t)st.st_size, err, sizeof(err));
    if (rc)
        return chaos__fail(ctx, rc, "'%s': %s", r->path, err);
    if (!whole)
        return 0;
    /* The stream's own records catch little of a damaged page: its CRC. */
    uint32_t crc = 0;
    static const size_t CHUNK = 1u << 20;
    char *buf = malloc(CHUNK);
    if (!buf)
        return chaos__fail(ctx, -ENOMEM, "out of memory");
    off_t off = (off_t)r->h.header_size;
    for (uint64_t left = r->h.stream_length; !rc && left > 0;) {
        size_t n = left < CHUNK ? (size_t)left : CHUNK;
        rc = read_exact_at(r->fd, buf, n, off);
        crc = snap_crc32(crc, buf, n);
        off += (off_t)n;
        left -= n;
    }
    free(buf);
    if (rc)
        return chaos__fail(ctx, rc, "cannot read '%s': %s", r->path,
                           strerror(-rc));
    if (crc != r->h.stream_crc)
        return chaos__fail(ctx, -EINVAL,
                           "'%s': the image's memory stream does not match "
                           "its checksum: the file is corrupt",
                           r->path);
    return 0;
}

/* The vif's spec for chaos_config_add_vif, with mac (NULL: none). */
static void vif_spec(const struct chaos_vif_config *v, const uint8_t *mac,
                     char *out, size_t len)
{
    int n = snprintf(out, len, "bridge=%s", v->bridge);
    if (mac && n > 0 && (size_t)n < len)
        n += snprintf(out + n, len - (size_t)n,
                      ",mac=%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
                      mac[2], mac[3], mac[4], mac[5]);
    if (v->vifname[0] && n > 0 && (size_t)n < len)
        n += snprintf(out + n, len - (size_t)n, ",vifname=%s", v->vifname);
    if (v->ip[0] && n > 0 && (size_t)n < len)
        snprintf(out + n, len - (size_t)n, ",ip=%s", v->ip);
}

/* Gives each vif without a MAC the one it had when saved: the restored
 * guest keeps its addresses unless an override gives another. */
static int keep_macs(struct restore *r)
{
    unsigned n = chaos_config_vif_count(r->cfg);
    struct chaos_vif_config vifs[CHAOS_CONFIG_MAX_VIFS];
    bool change = false;
    for (unsigned i = 0; i < n; i++) {
        chaos_config_vif(r->cfg, i, &vifs[i]);
        change |= !vifs[i].mac_given && i < r->h.nr_macs;
    }
    if (!change)
        return 0;
    chaos_config_clear_vifs(r->cfg);
    for (unsigned i = 0; i < n; i++) {
        char spec[160];
        const uint8_t *mac = vifs[i].mac_given  ? vifs[i].mac_bytes
                             : i < r->h.nr_macs ? r->h.macs[i]
                                                : NULL;
        vif_spec(&vifs[i], mac, spec, sizeof(spec));
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
                                chaos_shell **shellp)
{
    return restore_shell_prepare(ctx, cfg, false, shellp);
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

/* Steps 4 and 5; *stream_ns: how long step 4 took. */
static int fill_domain(struct restore *r, unsigned flags, uint64_t *stream_ns)
{
    uint64_t t0 = util_now_ns();
    chaos_ctx *ctx = r->ctx;
    int rc;
    if (r->in_place) {
        rc = hv_inplace_restore(ctx->hv, r->shell, r->mapped.stream,
                                &r->mapped.idx, &r->io);
    } else {
        if (lseek(r->fd, (off_t)r->h.header_size, SEEK_SET) < 0)
            return chaos__fail(ctx, -errno, "'%s': %s", r->path,
                               strerror(errno));
        rc = hv_domain_restore(ctx->hv, r->domid, r->fd, &r->io);
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

/* Steps 1 and 2; whole: the stream's CRC too. */
static int open_image(struct restore *r, bool whole,
                      const char *const *overrides, unsigned n)
{
    r->fd = open(r->path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0)
        return chaos__fail(r->ctx, -errno, "cannot open '%s': %s", r->path,
                           strerror(errno));
    char *text = NULL;
    int rc = check_image(r, whole, &text);
    if (!rc)
        rc = make_config(r, text, overrides, n);
    free(text);
    return rc;
}

int chaos_image_config(chaos_ctx *ctx, const char *path,
                       const char *const *overrides, unsigned n,
                       chaos_config **cfgp)
{
    chaos__clear_error(ctx);
    struct restore r = { .ctx = ctx, .path = path, .fd = -1 };
    int rc = open_image(&r, false, overrides, n);
    if (!rc) {
        *cfgp = r.cfg;
        r.cfg = NULL;
    }
    chaos_config_free(r.cfg);
    if (r.fd >= 0)
        close(r.fd);
    return rc;
}

int chaos_shell_restore(chaos_ctx *ctx, chaos_shell **shellp, const char *path,
                        const char *const *overrides, unsigned n,
                        unsigned flags, chaos_domid *domid,
                        struct chaos_restore_timings *t)
{
    struct restore r = { .ctx = ctx,
                         .path = path,
                         .fd = -1,
                         .in_place = flags & CHAOS_RESTORE_IN_PLACE };
    struct chaos_restore_timings tm = { 0 };
    uint64_t t0 = util_now_ns();
    int rc = chaos__need_hv(ctx);
    /* Everything that can refuse the image comes before the shell is
     * touched: a bad image leaves the caller's shell as it was. */
    if (!rc)
        rc = open_image(&r, true, overrides, n);
    if (!rc && r.in_place && !r.h.pvh)
        rc = chaos__fail(ctx, -EINVAL,
                         "'%s' is a PV guest: an in-place restore is for "
                         "PVH guests",
                         path);
    if (!rc && r.in_place)
        rc = snap_mapped_open(ctx, path, r.fd, r.h.header_size,
                              r.h.stream_length, &r.mapped);
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
        tm.pages_copied = r.mapped.idx.nr_data;
        tm.pages_skipped = r.mapped.idx.nr_zero;
    }
    if (t && !rc)
        *t = tm;
    snap_mapped_close(&r.mapped);
    devices_free(r.devs);
    chaos_config_free(r.cfg);
    if (r.fd >= 0)
        close(r.fd);
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
