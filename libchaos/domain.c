/*
 * domain.c - creating guests (prepare + execute), destroying and
 * controlling them, and their names.  Speaks the project's types; the
 * hypervisor work is in hv_build.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "console/console_socket.h"
#include "devices.h"
#include "hv/hv_build.h"
#include "hv/hv_inplace.h"
#include "hv/hv_xs.h"
#include "internal.h"
#include "kernel_cache.h"
#include "registry.h"
#include "shell_image.h"
#include "store_serve.h"
#include "supervisor.h"
#include "util.h"

/*
 * What a supervisor of the domain (domid, and uuid when known) leaves in
 * RUNDIR when its process goes without seeing the domain end (chaosd or
 * a monitor killed): the device record, the console's and the store's
 * sockets, its lock file.  The domain is gone (or destroyed) now, so they
 * go too; but a socket somebody still listens on, or a lock somebody
 * holds, is a live server's, which removes them when it sees the end.
 */
static void forget_server_files(chaos_domid domid, const uint8_t *uuid)
{
    devices_record_remove(domid);
    char path[640], err[300];
    if (console_socket_default_path(chaos_run_dir(), domid, path,
                                    sizeof(path)) == 0)
        console_socket_remove_stale(path, err, sizeof(err));
    if (store_serve_socket_path(domid, path, sizeof(path)) == 0)
        console_socket_remove_stale(path, err, sizeof(err));
    int fd;
    long holder;
    if (uuid && supervisor_lock(uuid, &fd, &holder) == 0)
        supervisor_unlock(uuid, fd, true);
}

/* Removes what chaos kept of a domain that is gone: its devices (and the
 * TAP devices they name), its record and its supervisor's files. */
void chaos__forget(chaos_domid domid)
{
    struct registry_record rec;
    bool known = registry_read(domid, &rec) == 0;
    forget_server_files(domid, known ? rec.uuid : NULL);
    registry_remove(domid);
}

/* The record of a live domain chaos created; -ENOENT if none or stale. */
int chaos__live_record(chaos_ctx *ctx, chaos_domid domid,
                       struct registry_record *rec)
{
    struct chaos_dominfo info;
    if (hv_domain_info(ctx->hv, domid, &info) != 0) {
        chaos__clear_error(ctx);
        chaos__forget(domid); /* a record describes a domain that is gone */
        return -ENOENT;
    }
    return chaos__record_of(&info, rec);
}

int chaos__record_of(const struct chaos_dominfo *info,
                     struct registry_record *rec)
{
    int rc = registry_read(info->domid, rec);
    if (rc)
        return rc == -EINVAL ? -ENOENT : rc;
    if (memcmp(info->uuid, rec->uuid, sizeof(rec->uuid)) != 0) {
        chaos__forget(info->domid); /* the domain it described is gone */
        return -ENOENT;
    }
    return 0;
}

/*
 * Who holds `name` in the index (registry.h): 1 and *domid if a domain
 * does -- Xen has one with that id and handle, not dying --, 0 if nobody
 * does, after removing a stale or corrupt entry, or a negative errno if Xen
 * cannot tell (ctx has the message).  Not chaos__live_record(): a create holds its
 * name before it writes its record, and must not look stale meanwhile.
 */
static int name_holder(chaos_ctx *ctx, const char *name, chaos_domid *domid)
{
    uint8_t uuid[16];
    int rc = registry_lookup_name(name, domid, uuid);
    if (rc == -EINVAL) {
        registry_drop_corrupt_name(name);
        return 0;
    }
    if (rc)
        return rc == -ENOENT ? 0
                             : chaos__fail(ctx, rc,
                                           "cannot read the "
                                           "name index entry of '%s': %s",
                                           name, strerror(-rc));
    struct chaos_dominfo info;
    rc = hv_domain_info(ctx->hv, *domid, &info);
    if (rc == 0 && !memcmp(info.uuid, uuid, sizeof(uuid)) &&
        info.state != CHAOS_DOM_DYING)
        return 1;
    if (rc && rc != -ESRCH)
        return rc;
    chaos__clear_error(ctx);
    registry_release_name(name, *domid, uuid); /* only if still this one */
    return 0;
}

/* Finds a live domain chaos named `name`; 0 and *domid, or -ESRCH.  One
 * index read, no scan: names without an entry are not found (registry.h). */
static int find_by_name(chaos_ctx *ctx, const char *name, chaos_domid *domid)
{
    chaos_domid id;
    struct registry_record rec;
    if (name_holder(ctx, name, &id) != 1)
        return -ESRCH;
    /* A domain still being built has no record yet: not found, kept. */
    if (chaos__live_record(ctx, id, &rec) != 0 || strcmp(rec.name, name) != 0)
        return -ESRCH;
    *domid = id;
    return 0;
}

/*
 * Takes name for the domain being built (its final handle already set),
 * before anything else could take it.  A stale holder (its domain gone) is
 * removed and the claim tried once more.
 */
int chaos__claim_name(chaos_ctx *ctx, const char *name, chaos_domid domid,
                      const uint8_t uuid[16])
{
    const char *bad = registry_name_problem(name);
    if (bad)
        return chaos__fail(ctx, -EINVAL, "the name '%s' cannot be used: %s",
                           name, bad);
    for (int attempt = 0;; attempt++) {
        int rc = registry_claim_name(name, domid, uuid);
        if (rc != -EEXIST) {
            if (rc)
                return chaos__fail(ctx, rc,
                                   "cannot record the name '%s' in "
                                   "the index: %s",
                                   name, strerror(-rc));
            return 0;
        }
        chaos_domid other = 0;
        rc = name_holder(ctx, name, &other);
        if (rc < 0)
            return rc;
        if (rc == 1 || attempt == 1)
            return chaos__fail(ctx, -EEXIST,
                               "a domain named '%s' already "
                               "exists (id %u)",
                               name, other);
    }
}

/*
 * For more than a couple of domains, one read of the records' directory
 * says which have a record, and one probe whether xenstored runs, so a
 * domain with neither (a pool's shell) costs no system call.  chaosd looks
 * at every domain after each create; a failed open and a socket connect
 * per shell took ~17 ms of its loop per look under TCG with ~100 shells
 * (docs/benchmarks.md, "Where the client's wait outside chaosd goes").
 */
void chaos__fill_names(chaos_ctx *ctx, struct chaos_dominfo *list, int n,
                       bool skip_dying)
{
    uint8_t map[REGISTRY_MAP_BYTES];
    bool use_map = n > 2 && registry_recorded(map) == 0;
    int xs = -1; /* xenstored: not asked yet */
    for (int i = 0; i < n; i++) {
        struct chaos_dominfo *d = &list[i];
        if (d->domid == 0 || d->name[0] ||
            (skip_dying && d->state == CHAOS_DOM_DYING))
            continue;
        struct registry_record rec;
        bool recorded =
            !use_map || (d->domid < REGISTRY_MAP_BYTES * 8 &&
                         map[d->domid / 8] & (1u << (d->domid % 8)));
        if (recorded && registry_read(d->domid, &rec) == 0 &&
            !memcmp(rec.uuid, d->uuid, sizeof(rec.uuid))) {
            snprintf(d->name, sizeof(d->name), "%s", rec.name);
            continue;
        }
        /* e.g. made by xl: its name is in XenStore, if one runs */
        if (xs < 0)
            xs = hv_xs_running(ctx->hv);
        if (xs)
            hv_xs_name(ctx->hv, d->domid, d->name, sizeof(d->name));
    }
}

int chaos_domain_info(chaos_ctx *ctx, chaos_domid domid,
                      struct chaos_dominfo *out)
{
    int rc = chaos__need_hv(ctx);
    if (!rc)
        rc = hv_domain_info(ctx->hv, domid, out);
    if (!rc)
        chaos__fill_names(ctx, out, 1, false);
    return rc;
}

int chaos_domain_lookup(chaos_ctx *ctx, const char *name_or_id,
                        chaos_domid *out)
{
    int rc = chaos__need_hv(ctx);
    if (rc)
        return rc;
    char *end;
    unsigned long id = strtoul(name_or_id, &end, 10);
    if (end != name_or_id && !*end) {
        struct chaos_dominfo info;
        rc = hv_domain_info(ctx->hv, (chaos_domid)id, &info);
        if (rc == 0)
            *out = (chaos_domid)id;
        return rc;
    }
    if (!strcmp(name_or_id, "Domain-0")) {
        *out = 0;
        return 0;
    }
    if (find_by_name(ctx, name_or_id, out) == 0)
        return 0;
    return chaos__fail(ctx, -ESRCH, "no domain named '%s'", name_or_id);
}

/* Discards a shell after a failure, keeping the failure's message (the
 * discard may overwrite it); returns rc. */
static int discard_failed(chaos_ctx *ctx, chaos_shell *shell, int rc)
{
    char msg[CHAOS_ERRMSG_MAX];
    snprintf(msg, sizeof(msg), "%s", ctx->errmsg);
    chaos_shell_discard(ctx, shell);
    snprintf(ctx->errmsg, sizeof(ctx->errmsg), "%s", msg);
    return rc;
}

/* ---------------------------------------------------------------- shells */

/*
 * The hypervisor's description of a new domain for cfg (type, vCPUs,
 * memory, TSC mode, a handle: cfg's uuid or a random one), once its
 * memory is known to be free: one rule for created and restored guests.
 */
int chaos__domain_spec(chaos_ctx *ctx, const chaos_config *cfg,
                       struct hv_shell_spec *spec)
{
    int rc = chaos__need_hv(ctx);
    if (rc)
        return rc;
    /* Refuse early with a clear message rather than half-populating. */
    struct chaos_physinfo pi;
    rc = hv_physinfo(ctx->hv, &pi);
    if (rc)
        return rc;
    uint64_t want = chaos_config_memory_mib(cfg);
    if (want > pi.free_bytes >> 20)
        return chaos__fail(ctx, -ENOMEM,
                           "the guest needs %llu MiB of memory "
                           "but only %llu MiB are free",
                           (unsigned long long)want,
                           (unsigned long long)(pi.free_bytes >> 20));
    enum chaos_tsc_mode tsc = chaos_config_tsc_mode(cfg);
    *spec = (struct hv_shell_spec){
        .pvh = chaos_config_type(cfg) == CHAOS_GUEST_PVH,
        .max_vcpus = chaos_config_maxvcpus(cfg),
        .memory_kib = want * 1024,
        .maxmem_kib = chaos_config_maxmem_mib(cfg) * 1024,
        .tsc_mode = tsc == CHAOS_TSC_NATIVE           ? HV_TSC_NATIVE
                    : tsc == CHAOS_TSC_ALWAYS_EMULATE ? HV_TSC_ALWAYS_EMULATE
                                                      : HV_TSC_DEFAULT,
        /* Whether the guest needs XenStore is known only once its kernel
         * is (execute); the port costs nothing, so every shell has one. */
        .xenstore = true,
    };
    /* A handle is needed now: cfg's if it has one (chaosd names its shells
     * before they exist, to find them after a crash), else a random one. */
    if (chaos_config_uuid_bytes(cfg, spec->uuid) == 0)
        return 0;
    if (getrandom(spec->uuid, sizeof(spec->uuid), 0) != sizeof(spec->uuid))
        return chaos__fail(ctx, -errno, "cannot get random bytes for a UUID");
    spec->uuid[6] = (spec->uuid[6] & 0x0f) | 0x40; /* RFC 4122 version 4 */
    spec->uuid[8] = (spec->uuid[8] & 0x3f) | 0x80;
    return 0;
}

/*
 * What every shell gets once its domain exists (create and restore
 * shells): its devices, a control device at least (one event channel):
 * whether the guest is a noxs guest is known only once its kernel is
 * (execute), and every noxs guest can be asked to suspend or power off.
 * A Linux guest's control device goes unused.  On failure the shell is
 * discarded (its domain destroyed).
 */
int chaos__shell_finish(chaos_ctx *ctx, chaos_shell *shell,
                        const chaos_config *cfg, uint64_t t0,
                        chaos_shell **shellp)
{
    char key[CHAOS_SHELL_DEVICES_MAX];
    int rc = chaos_config_shell_devices(cfg, key, sizeof(key));
    if (rc == 0 && !(shell->device_key = strdup(key)))
        rc = -ENOMEM;
    if (rc) {
        chaos_shell_discard(ctx, shell);
        return chaos__fail(ctx, rc, "too many devices, or out of memory");
    }
    rc = devices_prepare(ctx, cfg, chaos_shell_domid(shell), &shell->devs);
    if (rc)
        return discard_failed(ctx, shell, rc);
    shell->type = chaos_config_type(cfg);
    shell->memory_mib = chaos_config_memory_mib(cfg);
    shell->maxmem_mib = chaos_config_maxmem_mib(cfg);
    shell->max_vcpus = chaos_config_maxvcpus(cfg);
    shell->tsc_mode = chaos_config_tsc_mode(cfg);
    shell->prepare_ns = util_now_ns() - t0;
    *shellp = shell;
    return 0;
}

int chaos_shell_prepare(chaos_ctx *ctx, const chaos_config *cfg,
                        chaos_shell **shellp)
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
    rc = hv_shell_prepare(ctx->hv, &spec, &shell->hv);
    if (rc) {
        free(shell);
        return rc;
    }
    memcpy(shell->uuid, spec.uuid, sizeof(shell->uuid));
    return chaos__shell_finish(ctx, shell, cfg, t0, shellp);
}

chaos_domid chaos_shell_domid(const chaos_shell *shell)
{
    return shell->hv ? hv_shell_domid(shell->hv) : shell->domid;
}

int chaos__shell_console(const chaos_shell *shell, uint64_t *frame,
                         uint32_t *port, uint8_t uuid[16])
{
    if (!shell->image || !shell->hv)
        return -EINVAL;
    *frame = shell->image->info.console_frame;
    *port = shell->image->info.console_port;
    memcpy(uuid, shell->uuid, 16);
    return 0;
}

void chaos_shell_discard(chaos_ctx *ctx, chaos_shell *shell)
{
    if (!shell)
        return;
    hv_domain_destroy(ctx->hv, chaos_shell_domid(shell));
    if (shell->image && shell->image->devices_installed)
        devices_record_remove(chaos_shell_domid(shell));
    hv_shell_release(shell->hv);
    hv_inplace_release(shell->inplace);
    devices_undo(shell->devs);
    shell_image_free(shell->image);
    free(shell->device_key);
    free(shell);
}

/* A file mapped read-only, or read into memory. */
struct blob {
    void *data;
    size_t size;
    struct stat st; /* the file's, when it was mapped */
};

static int map_file(chaos_ctx *ctx, const char *what, const char *path,
                    struct blob *b)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return chaos__fail(ctx, -errno, "cannot read %s '%s': %s", what, path,
                           strerror(errno));
    struct stat st;
    const char *bad = NULL;
    if (fstat(fd, &st) != 0)
        bad = strerror(errno);
    else if (!S_ISREG(st.st_mode))
        bad = "not a regular file";
    else if (st.st_size == 0)
        bad = "empty";
    if (bad) {
        close(fd);
        return chaos__fail(ctx, -EINVAL, "%s '%s' is unusable: %s", what, path,
                           bad);
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int err = errno;
    close(fd);
    if (p == MAP_FAILED)
        return chaos__fail(ctx, -err, "cannot map %s '%s': %s", what, path,
                           strerror(err));
    b->data = p;
    b->size = (size_t)st.st_size;
    b->st = st;
    return 0;
}

static void unmap_blob(struct blob *b)
{
    if (b->data)
        munmap(b->data, b->size);
    b->data = NULL;
}

/* Checks that cfg asks for what the shell was prepared with. */
static int shell_fits(chaos_ctx *ctx, const chaos_shell *shell,
                      const chaos_config *cfg)
{
    char key[CHAOS_SHELL_DEVICES_MAX];
    if (chaos_config_shell_devices(cfg, key, sizeof(key)) != 0 ||
        strcmp(key, shell->device_key) != 0)
        return chaos__fail(ctx, -EINVAL,
                           "the configuration's devices differ from the "
                           "shell's");
    if (chaos_config_type(cfg) != shell->type ||
        chaos_config_memory_mib(cfg) != shell->memory_mib ||
        chaos_config_maxvcpus(cfg) != shell->max_vcpus ||
        chaos_config_tsc_mode(cfg) != shell->tsc_mode)
        return chaos__fail(ctx, -EINVAL,
                           "the configuration does not match "
                           "the shell (type, memory, vcpus or tsc_mode "
                           "differ)");
    return 0;
}

/*
 * A guest with a store page (stock Linux, or xenstore = "yes") or a noxs
 * page (devices, not Linux) gets it written now, while it is paused, and
 * recorded for its supervisor, which serves it (docs/store.md,
 * docs/noxs.md).  A Linux guest with no vif or disk still has a store:
 * its shutdown requests go there.
 */
static int install_devices(chaos_ctx *ctx, chaos_shell *shell,
                           const chaos_config *cfg, chaos_domid domid,
                           const struct hv_boot_info *info)
{
    if (!info->xenstore && !info->noxs)
        return 0;
    if (devices_wanted(cfg) && info->xenstore &&
        chaos_config_xenstore(cfg) == CHAOS_XENSTORE_NO)
        return chaos__fail(ctx, -EINVAL,
                           "'xenstore': a Linux guest finds its vif and disk "
                           "in its XenStore, so it cannot be \"no\"");
    return devices_install(ctx, shell->devs, domid, cfg, info->xenstore,
                           info->store_frame, info->store_port);
}

/*
 * Loads cfg's kernel and ramdisk into the shell's domain and builds it
 * (start info, page tables, vCPU context): execute's part that depends
 * on the image only, with the given command line (cfg's, or room for
 * any).  info is the build's result; t's load_ns, build_ns
 * and kernel_cached are set.  st_kernel and st_ramdisk (may be NULL)
 * receive the files' identity.
 */
static int load_image(chaos_ctx *ctx, chaos_shell *shell,
                      const chaos_config *cfg, const char *cmdline,
                      struct hv_boot_info *info, struct stat *st_kernel,
                      struct stat *st_ramdisk, struct chaos_create_timings *t)
{
    uint64_t t0 = util_now_ns();
    struct blob kernel = { 0 }, ramdisk = { 0 };
    struct kernel_cache_probe cached = { 0 };
    int rc = map_file(ctx, "kernel", chaos_config_kernel(cfg), &kernel);
    if (!rc)
        chaos__kernel_cache_probe(ctx, &kernel.st, kernel.data, kernel.size,
                                  &cached);
    const char *rd = chaos_config_ramdisk(cfg);
    if (!rc && rd && rd[0])
        rc = map_file(ctx, "ramdisk", rd, &ramdisk);
    uint64_t t1 = util_now_ns();
    if (!rc) {
        /* A cached kernel is the ELF libxenguest would have decompressed
         * from the file: it loads that as it is. */
        struct hv_boot_spec boot = {
            .kernel = cached.hit ? cached.elf : kernel.data,
            .kernel_size = cached.hit ? cached.elf_size : kernel.size,
            .want_elf = cached.enabled && !cached.hit,
            .ramdisk = ramdisk.data,
            .ramdisk_size = ramdisk.size,
            .cmdline = cmdline,
            .xenstore = chaos_config_xenstore(cfg) == CHAOS_XENSTORE_YES
                            ? HV_XENSTORE_YES
                        : chaos_config_xenstore(cfg) == CHAOS_XENSTORE_NO
                            ? HV_XENSTORE_NO
                            : HV_XENSTORE_AUTO,
            .devices = devices_wanted(cfg),
        };
        rc = hv_shell_execute(ctx->hv, shell->hv, &boot, info);
        if (!rc && info->elf) {
            chaos__kernel_cache_store(ctx, &cached, info->elf, info->elf_size);
            info->elf = NULL; /* the cache's now */
        }
        if (rc) {
            /* Name the kernel; copy first, the message is in the same buffer. */
            char why[CHAOS_ERRMSG_MAX];
            snprintf(why, sizeof(why), "%s", chaos_errmsg(ctx));
            chaos__fail(ctx, rc, "kernel '%s': %s", chaos_config_kernel(cfg),
                        why);
        }
    }
    if (st_kernel)
        *st_kernel = kernel.st;
    if (st_ramdisk)
        *st_ramdisk = ramdisk.st;
    unmap_blob(&kernel);
    unmap_blob(&ramdisk);
    t->load_ns = t1 - t0;
    t->build_ns = util_now_ns() - t1;
    t->kernel_cached = cached.hit;
    return rc;
}

/* The execute phase once the name is held; di is the shell's info (its
 * final handle).  An image shell (chaos_shell_load) was built already.
 * On failure the caller releases the name. */
static int build(chaos_ctx *ctx, chaos_shell *shell, const chaos_config *cfg,
                 const struct chaos_dominfo *di, unsigned flags,
                 struct chaos_create_timings *t)
{
    chaos_domid domid = di->domid;
    const char *name = chaos_config_name(cfg);
    int rc;
    uint64_t t0 = util_now_ns();
    /* An image shell's load and build were done ahead: they cost this
     * create nothing. */
    struct chaos_create_timings lt = { 0 };
    struct hv_boot_info info;
    if (shell->image) {
        info = shell->image->info;
        lt.kernel_cached = shell->image->kernel_cached;
        /* The guest has not run: it reads this line when it first does. */
        if (shell->image->cmdline_any) {
            const char *line = chaos_config_cmdline(cfg);
            rc = hv_cmdline_patch(ctx->hv, domid, &info, line ? line : "");
            if (rc)
                return rc;
        }
    } else {
        rc = load_image(ctx, shell, cfg, chaos_config_cmdline(cfg), &info, NULL,
                        NULL, &lt);
        if (rc)
            return rc;
    }
    uint64_t t2 = util_now_ns();

    if (!shell->image || !shell->image->devices_installed)
        rc = install_devices(ctx, shell, cfg, domid, &info);
    if (rc)
        return rc;
    struct registry_record rec = {
        .domid = domid,
        .console_frame = info.console_frame,
        .console_port = info.console_port,
    };
    memcpy(rec.uuid, di->uuid, sizeof(rec.uuid));
    snprintf(rec.name, sizeof(rec.name), "%s", name ? name : "");
    snprintf(rec.type, sizeof(rec.type), "%s",
             shell->type == CHAOS_GUEST_PVH ? "pvh" : "pv");
    /* The configuration first: the record makes both valid (whoever
     * serves the guest later needs it for its on_* actions). */
    rc = registry_write_config(domid, cfg);
    if (!rc)
        rc = registry_write(&rec);
    if (rc) {
        registry_remove_config(domid);
        devices_record_remove(domid);
        return chaos__fail(ctx, rc, "cannot record domain %u in %s: %s", domid,
                           registry_dir(), strerror(-rc));
    }

    if (!(flags & CHAOS_CREATE_PAUSED)) {
        rc = hv_domain_unpause(ctx->hv, domid);
        if (rc) {
            chaos__forget(domid);
            return rc;
        }
    }
    uint64_t t3 = util_now_ns();
    if (t) {
        t->prepare_ns = shell->prepare_ns;
        t->load_ns = lt.load_ns;
        t->build_ns = lt.build_ns;
        t->start_ns = t3 - t2;
        t->total_ns = shell->prepare_ns + (t3 - t0);
        t->kernel_cached = lt.kernel_cached;
    }
    return 0;
}

static int execute(chaos_ctx *ctx, chaos_shell *shell, const chaos_config *cfg,
                   unsigned flags, struct chaos_create_timings *t)
{
    chaos_domid domid = hv_shell_domid(shell->hv);
    int rc = shell_fits(ctx, shell, cfg);
    if (rc)
        return rc;
    char why[CHAOS_ERRMSG_MAX];
    if (shell->image &&
        (rc = shell_image_fits(shell->image, cfg, devices_wanted(cfg), why,
                               sizeof(why))) != 0)
        return chaos__fail(ctx, rc, "%s", why);
    /* The handle is final now: the name entry carries it, so that another
     * create judging whether our claim is stale sees a live domain.  Most
     * guests keep the shell's (chaosd gives each its shell's): nothing to
     * ask Xen then, which costs ~0.5 ms a call under emulation. */
    uint8_t uuid[16];
    struct chaos_dominfo di = { .domid = domid };
    memcpy(di.uuid, shell->uuid, sizeof(di.uuid));
    if (chaos_config_uuid_bytes(cfg, uuid) == 0 &&
        memcmp(uuid, shell->uuid, sizeof(uuid)) != 0) {
        rc = hv_domain_set_handle(ctx->hv, domid, uuid);
        if (!rc)
            rc = hv_domain_info(ctx->hv, domid, &di);
        if (rc)
            return rc;
    }
    const char *name = chaos_config_name(cfg);
    if (name && !name[0])
        name = NULL; /* unnamed: nothing to index */
    if (name && (rc = chaos__claim_name(ctx, name, domid, di.uuid)) != 0)
        return rc;
    rc = build(ctx, shell, cfg, &di, flags, t);
    if (rc && name) /* nothing left behind (exact match: see registry.h) */
        registry_release_name(name, domid, di.uuid);
    return rc;
}

int chaos_shell_load(chaos_ctx *ctx, chaos_shell *shell,
                     const chaos_config *cfg,
                     struct chaos_create_timings *timings)
{
    return chaos_shell_load_flags(ctx, shell, cfg, 0, timings);
}

int chaos_shell_load_flags(chaos_ctx *ctx, chaos_shell *shell,
                           const chaos_config *cfg, unsigned flags,
                           struct chaos_create_timings *timings)
{
    int rc = chaos__need_hv(ctx);
    if (!rc && (flags & ~CHAOS_LOAD_ANY_CMDLINE))
        rc = chaos__fail(ctx, -EINVAL, "unknown load flags 0x%x", flags);
    if (!rc && !shell->hv)
        rc = chaos__fail(ctx, -EINVAL,
                         "the shell was prepared for a restore, not for a "
                         "kernel");
    if (!rc && shell->image)
        rc = chaos__fail(ctx, -EBUSY, "the shell holds an image already");
    if (!rc)
        rc = shell_fits(ctx, shell, cfg);
    struct chaos_create_timings lt = { 0 };
    struct hv_boot_info info;
    struct stat st_kernel, st_ramdisk;
    /* Any line: built with a placeholder as long as the longest (a PVH
     * guest's room is what libxenguest reserves for the line it gets);
     * execute writes the request's over it. */
    bool any = flags & CHAOS_LOAD_ANY_CMDLINE;
    char room[CHAOS_CMDLINE_MAX + 1];
    memset(room, ' ', CHAOS_CMDLINE_MAX);
    room[CHAOS_CMDLINE_MAX] = '\0';
    if (!rc)
        rc = load_image(ctx, shell, cfg, any ? room : chaos_config_cmdline(cfg),
                        &info, &st_kernel, &st_ramdisk, &lt);
    const char *rd = chaos_config_ramdisk(cfg);
    if (!rc) {
        shell->image =
            shell_image_new(cfg, &st_kernel, rd && rd[0] ? &st_ramdisk : NULL,
                            devices_wanted(cfg), any);
        if (!shell->image)
            rc = chaos__fail(ctx, -ENOMEM, "out of memory");
    }
    if (rc)
        return discard_failed(ctx, shell, rc);
    shell->image->info = info;
    /* With no vif or disk, the device page is the same for every guest:
     * written now, it costs the create nothing (~2 ms under emulation:
     * a page mapped, written and unmapped, a record written). */
    if (!shell->image->devices) {
        rc = install_devices(ctx, shell, cfg, chaos_shell_domid(shell), &info);
        if (rc)
            return discard_failed(ctx, shell, rc);
        shell->image->devices_installed = true;
    }
    shell->image->kernel_cached = lt.kernel_cached;
    shell->image->load_ns = lt.load_ns;
    shell->image->build_ns = lt.build_ns;
    if (timings) {
        *timings = lt;
        timings->prepare_ns = shell->prepare_ns;
        timings->total_ns = shell->prepare_ns + lt.load_ns + lt.build_ns;
    }
    return 0;
}

int chaos_shell_image_fits(const chaos_shell *shell, const chaos_config *cfg,
                           char *why, size_t len)
{
    if (!shell->image) {
        snprintf(why, len, "the shell holds no image");
        return -ENOENT;
    }
    return shell_image_fits(shell->image, cfg, devices_wanted(cfg), why, len);
}

int chaos_shell_execute(chaos_ctx *ctx, chaos_shell *shell,
                        const chaos_config *cfg, unsigned flags,
                        struct chaos_create_timings *timings)
{
    int rc = chaos__need_hv(ctx);
    if (!rc && !shell->hv)
        rc = chaos__fail(ctx, -EINVAL,
                         "the shell was prepared for a restore, not for a "
                         "kernel");
    if (!rc)
        rc = execute(ctx, shell, cfg, flags, timings);
    if (rc)
        return discard_failed(ctx, shell, rc);
    hv_shell_release(shell->hv);
    devices_free(shell->devs); /* the record has them now */
    shell_image_free(shell->image);
    free(shell->device_key);
    free(shell);
    return 0;
}

int chaos_domain_create(chaos_ctx *ctx, const chaos_config *cfg, unsigned flags,
                        chaos_domid *domid,
                        struct chaos_create_timings *timings)
{
    chaos_shell *shell;
    int rc = chaos_shell_prepare(ctx, cfg, &shell);
    if (rc)
        return rc;
    chaos_domid id = chaos_shell_domid(shell);
    rc = chaos_shell_execute(ctx, shell, cfg, flags, timings);
    if (rc == 0)
        *domid = id;
    return rc;
}

/* -------------------------------------------------------------- control */

int chaos_domain_destroy(chaos_ctx *ctx, chaos_domid domid)
{
    int rc = chaos__need_hv(ctx);
    if (rc)
        return rc;
    if (domid == 0)
        return chaos__fail(ctx, -EPERM, "refusing to destroy Domain-0");
    /* One look: whether chaos recorded the domain, and else its handle,
     * for what a supervisor of a shell (chaosd prepares one with an image
     * shell) may have left keyed by it. */
    struct chaos_dominfo info;
    struct registry_record rec;
    if (hv_domain_info(ctx->hv, domid, &info) != 0) {
        chaos__forget(domid); /* a record describes a domain that is gone */
        return hv_domain_destroy(ctx->hv, domid); /* and says why */
    }
    bool known = chaos__record_of(&info, &rec) == 0;
    rc = hv_domain_destroy(ctx->hv, domid);
    if (rc == 0) {
        hv_xs_forget(ctx->hv, domid);
        if (known)
            chaos__forget(domid);
        else
            forget_server_files(domid, info.uuid);
    }
    return rc;
}

int chaos_domain_shutdown(chaos_ctx *ctx, chaos_domid domid,
                          enum chaos_shutdown_kind kind)
{
    int rc = chaos__need_hv(ctx);
    if (rc)
        return rc;
    struct chaos_dominfo info;
    rc = hv_domain_info(ctx->hv, domid, &info);
    if (rc)
        return rc;
    /* A noxs guest has a control device and no XenStore. */
    struct registry_record rec;
    if (chaos__live_record(ctx, domid, &rec) == 0) {
        rc =
            devices_request(ctx, domid,
                            kind == CHAOS_SHUTDOWN_REBOOT ? NOXS_CTRL_REBOOT
                                                          : NOXS_CTRL_POWEROFF);
        if (rc != -ENOENT)
            return rc;
    }
    return hv_xs_request_shutdown(
        ctx->hv, domid, kind == CHAOS_SHUTDOWN_REBOOT ? "reboot" : "poweroff");
}

int chaos_domain_pause(chaos_ctx *ctx, chaos_domid domid)
{
    int rc = chaos__need_hv(ctx);
    return rc ? rc : hv_domain_pause(ctx->hv, domid);
}

int chaos_domain_unpause(chaos_ctx *ctx, chaos_domid domid)
{
    int rc = chaos__need_hv(ctx);
    return rc ? rc : hv_domain_unpause(ctx->hv, domid);
}

int chaos_domain_console(chaos_ctx *ctx, chaos_domid domid, uint64_t *frame,
                         uint32_t *port)
{
    int rc = chaos__need_hv(ctx);
    if (rc)
        return rc;
    struct registry_record rec;
    if (chaos__live_record(ctx, domid, &rec) != 0)
        return chaos__fail(ctx, -ENOENT, "domain %u was not created by chaos",
                           domid);
    *frame = rec.console_frame;
    *port = rec.console_port;
    return 0;
}
