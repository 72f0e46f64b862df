/*
 * domain_admin.c - operating guests that run: renaming them, their kept
 * configuration, their memory target and limit, their vCPUs (the xl verbs
 * rename, list -l, mem-set, mem-max, vcpu-list).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "devices.h"
#include "hv/hv_build.h"
#include "hv/hv_domctl.h"
#include "internal.h"
#include "registry.h"
#include "store_serve.h"

/* The slack chaos (as libxl, LIBXL_MAXMEM_CONSTANT) adds to Xen's limit
 * over the guest's maxmem. */
#define MAXMEM_SLACK_KIB 1024

/* The live record of domid; a message naming the verb when there is none. */
static int guest_record(chaos_ctx *ctx, chaos_domid domid, const char *what,
                        struct registry_record *rec)
{
    struct chaos_dominfo info;
    int rc = hv_domain_info(ctx->hv, domid, &info);
    if (rc)
        return rc;
    if (domid == 0 || chaos__live_record(ctx, domid, rec) != 0)
        return chaos__fail(ctx, -ENOTSUP,
                           "domain %u was not created by chaos: %s only "
                           "works for chaos's guests (use xl for others)",
                           domid, what);
    return 0;
}

/* The registry's lock, held while *fd is open (close it to release):
 * what rename and readdress change is decided and written under it.
 * With no registry at all, the error guest_record gives (no guest of
 * chaos to act on). */
static int registry_lock(chaos_ctx *ctx, chaos_domid domid, const char *verb,
                         int *fd)
{
    const char *dir = registry_dir();
    int lock = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (lock >= 0 && flock(lock, LOCK_EX) == 0) {
        *fd = lock;
        return 0;
    }
    int rc = -errno;
    if (lock >= 0)
        close(lock);
    struct registry_record none;
    if (rc == -ENOENT)
        return guest_record(ctx, domid, verb, &none);
    return chaos__fail(ctx, rc, "cannot lock %s: %s", dir, strerror(-rc));
}

int chaos_domain_config_text(chaos_ctx *ctx, chaos_domid domid, char **text)
{
    int rc = chaos__need_hv(ctx);
    if (rc)
        return rc;
    struct registry_record rec;
    if (chaos__live_record(ctx, domid, &rec) != 0)
        return chaos__fail(ctx, -ENOENT, "domain %u was not created by chaos",
                           domid);
    rc = registry_read_config(domid, text);
    if (rc)
        return chaos__fail(ctx, rc,
                           "cannot read the configuration of "
                           "domain %u in %s: %s",
                           domid, registry_dir(), strerror(-rc));
    return 0;
}

/* --------------------------------------------------------------- rename */

/* Writes name into the guest's private store, where libxl keeps it:
 * /local/domain/N/name and /vm/UUID/name.  0 when it has no store. */
/* Writes one key through the store's socket (its supervisor answers). */
static int socket_write(chaos_ctx *ctx, chaos_domid domid, const char *path,
                        const char *value, void *opaque)
{
    (void)opaque;
    return store_serve_write(ctx, domid, path, value);
}

static int store_names(chaos_ctx *ctx, const struct registry_record *rec,
                       const char *name, const struct chaos__store_writer *w)
{
    char path[128], uuid[37];
    snprintf(path, sizeof(path), "/local/domain/%u/name", rec->domid);
    int rc = w->write(ctx, rec->domid, path, name, w->opaque);
    if (rc == -ENOENT)
        return 0; /* no store (chaos's unikernel), nothing to update */
    if (rc)
        return rc;
    registry_uuid_format(rec->uuid, uuid);
    snprintf(path, sizeof(path), "/vm/%s/name", uuid);
    return w->write(ctx, rec->domid, path, name, w->opaque);
}

/* The kept configuration of domid, parsed into *out (the caller frees
 * it): 0, or an error with its message. */
static int kept_read(chaos_ctx *ctx, chaos_domid domid, chaos_config **out)
{
    char *text = NULL;
    int rc = registry_read_config(domid, &text);
    if (rc)
        return chaos__fail(ctx, rc,
                           "cannot read the configuration of "
                           "domain %u: %s",
                           domid, strerror(-rc));
    chaos_config *cfg = chaos_config_new();
    if (!cfg)
        rc = chaos__fail(ctx, -ENOMEM, "out of memory");
    else if ((rc = chaos_config_parse(cfg, text, strlen(text), "kept")))
        chaos__fail(ctx, rc, "%s", chaos_config_errmsg(cfg));
    free(text);
    if (rc) {
        chaos_config_free(cfg);
        return rc;
    }
    *out = cfg;
    return 0;
}

/* cfg written back as domid's kept configuration, and freed. */
static int kept_write(chaos_ctx *ctx, chaos_domid domid, chaos_config *cfg)
{
    int rc = registry_write_config(domid, cfg);
    if (rc)
        chaos__fail(ctx, rc, "cannot write the configuration of domain %u: %s",
                    domid, strerror(-rc));
    chaos_config_free(cfg);
    return rc;
}

/* The kept configuration with its name changed, written back. */
static int config_rename(chaos_ctx *ctx, chaos_domid domid, const char *name)
{
    chaos_config *cfg;
    int rc = kept_read(ctx, domid, &cfg);
    if (rc)
        return rc;
    if ((rc = chaos_config_set_name(cfg, name))) {
        chaos__fail(ctx, rc, "%s", chaos_config_errmsg(cfg));
        chaos_config_free(cfg);
        return rc;
    }
    return kept_write(ctx, domid, cfg);
}

/* The rename itself, under the lock; rec is the domain's live record. */
static int rename_locked(chaos_ctx *ctx, struct registry_record *rec,
                         const char *name, const struct chaos__store_writer *w)
{
    char old[sizeof(rec->name)];
    snprintf(old, sizeof(old), "%s", rec->name);
    int rc = chaos__claim_name(ctx, name, rec->domid, rec->uuid);
    if (rc)
        return rc;
    /* The store first: the step most likely to fail (its supervisor may
     * be busy or gone); the registry's own writes are local files. */
    rc = store_names(ctx, rec, name, w);
    if (!rc)
        rc = config_rename(ctx, rec->domid, name);
    if (!rc) {
        snprintf(rec->name, sizeof(rec->name), "%s", name);
        rc = registry_write(rec);
        if (rc) {
            chaos__fail(ctx, rc, "cannot write the record of domain %u: %s",
                        rec->domid, strerror(-rc));
            config_rename(ctx, rec->domid, old);
        }
    }
    if (rc) { /* put back what changed; keep the first failure's message */
        char msg[CHAOS_ERRMSG_MAX];
        snprintf(msg, sizeof(msg), "%s", ctx->errmsg);
        snprintf(rec->name, sizeof(rec->name), "%s", old);
        store_names(ctx, rec, old, w);
        registry_release_name(name, rec->domid, rec->uuid);
        snprintf(ctx->errmsg, sizeof(ctx->errmsg), "%s", msg);
        return rc;
    }
    if (old[0])
        registry_release_name(old, rec->domid, rec->uuid);
    return 0;
}

int chaos_domain_rename(chaos_ctx *ctx, chaos_domid domid, const char *new_name)
{
    static const struct chaos__store_writer through_socket = { socket_write,
                                                               NULL };
    return chaos__domain_rename(ctx, domid, new_name, &through_socket);
}

int chaos__domain_rename(chaos_ctx *ctx, chaos_domid domid,
                         const char *new_name,
                         const struct chaos__store_writer *w)
{
    int rc = chaos__need_hv(ctx);
    if (rc)
        return rc;
    /* The config parser's rule for names (it is stricter than the
     * index's): a name rename gives must be one create accepts. */
    chaos_config *probe = chaos_config_new();
    if (!probe)
        return chaos__fail(ctx, -ENOMEM, "out of memory");
    rc = chaos_config_set_name(probe, new_name);
    if (rc)
        chaos__fail(ctx, rc, "the name '%s' cannot be used: %s", new_name,
                    chaos_config_errmsg(probe));
    chaos_config_free(probe);
    if (rc)
        return rc;
    /* One rename at a time on the host: two renames of one guest would
     * each claim a name and only one record would keep it. */
    int lock;
    if ((rc = registry_lock(ctx, domid, "rename", &lock)))
        return rc;
    struct registry_record rec;
    rc = guest_record(ctx, domid, "rename", &rec);
    if (!rc && strcmp(rec.name, new_name) != 0)
        rc = rename_locked(ctx, &rec, new_name, w);
    close(lock); /* releases the flock */
    return rc;
}

/* ------------------------------------------------------------ readdress */

/* The kept configuration's vifs made cfg's, with the MACs the guest has. */
static int config_vifs(chaos_ctx *ctx, chaos_domid domid,
                       const chaos_config *cfg)
{
    uint8_t macs[CHAOS_CONFIG_MAX_VIFS][6];
    int n = devices_vif_macs(domid, macs, CHAOS_CONFIG_MAX_VIFS);
    if (n < 0)
        return chaos__fail(ctx, n,
                           "cannot read the configuration of "
                           "domain %u: %s",
                           domid, strerror(-n));
    chaos_config *kept;
    int rc = kept_read(ctx, domid, &kept);
    if (rc)
        return rc;
    chaos_config_clear_vifs(kept);
    for (unsigned i = 0; i < chaos_config_vif_count(cfg); i++) {
        struct chaos_vif_config v;
        char spec[160];
        chaos_config_vif(cfg, i, &v);
        devices_vif_spec(&v, (int)i < n ? macs[i] : NULL, spec, sizeof(spec));
        if ((rc = chaos_config_add_vif(kept, spec))) {
            chaos__fail(ctx, rc, "%s", chaos_config_errmsg(kept));
            chaos_config_free(kept);
            return rc;
        }
    }
    return kept_write(ctx, domid, kept);
}

int chaos_domain_readdress(chaos_ctx *ctx, chaos_domid domid,
                           const chaos_config *cfg)
{
    int rc = chaos__need_hv(ctx);
    if (rc)
        return rc;
    /* Under the registry's lock, as renames: two guests readdressed at
     * once cannot both take one MAC. */
    int lock;
    if ((rc = registry_lock(ctx, domid, "readdress", &lock)))
        return rc;
    struct registry_record rec;
    struct chaos_dominfo info;
    rc = guest_record(ctx, domid, "readdress", &rec);
    if (!rc)
        rc = hv_domain_info(ctx->hv, domid, &info);
    if (!rc && info.state != CHAOS_DOM_PAUSED)
        rc = chaos__fail(ctx, -EBUSY,
                         "domain %u is not paused: its MACs and addresses "
                         "can change only before it first runs",
                         domid);
    if (!rc)
        rc = devices_readdress(ctx, domid, cfg);
    if (!rc)
        rc = config_vifs(ctx, domid, cfg);
    close(lock);
    return rc;
}

/* --------------------------------------------------------------- memory */

/* Writes a number (KiB) at /local/domain/N/memory/KEY in domid's store.
 * -ENOTSUP with a message when the guest has none. */
static int store_memory(chaos_ctx *ctx, chaos_domid domid, const char *key,
                        uint64_t kib, bool required)
{
    struct devices *devs = NULL;
    bool has_store = devices_record_read(domid, &devs) == 0 && devs->via_store;
    devices_free(devs);
    if (!has_store)
        return required ? chaos__fail(ctx, -ENOTSUP,
                                      "domain %u has no XenStore, so no "
                                      "balloon driver reads a memory "
                                      "target (chaos's unikernel keeps the "
                                      "memory it was built with; mem-max "
                                      "still sets its limit)",
                                      domid)
                        : 0;
    char path[96], value[24];
    snprintf(path, sizeof(path), "/local/domain/%u/memory/%s", domid, key);
    snprintf(value, sizeof(value), "%" PRIu64, kib);
    int rc = store_serve_write(ctx, domid, path, value);
    if (rc == -ENOENT)
        return chaos__fail(ctx, -ENOTCONN,
                           "domain %u: its private store is not served (is "
                           "its monitor or chaosd running?)",
                           domid);
    return rc;
}

int chaos_domain_set_memory_target(chaos_ctx *ctx, chaos_domid domid,
                                   uint64_t target_kib)
{
    int rc = chaos__need_hv(ctx);
    if (rc)
        return rc;
    struct registry_record rec;
    rc = guest_record(ctx, domid, "mem-set", &rec);
    if (rc)
        return rc;
    struct chaos_dominfo info;
    rc = hv_domain_info(ctx->hv, domid, &info);
    if (rc)
        return rc;
    /* The guest's maximum (static-max) is Xen's limit without the slack,
     * as mem-max and creation set it. */
    uint64_t max_kib = info.maxmem_bytes / 1024;
    max_kib = max_kib > MAXMEM_SLACK_KIB ? max_kib - MAXMEM_SLACK_KIB : 0;
    if (target_kib == 0 || target_kib > max_kib)
        return chaos__fail(ctx, -EINVAL,
                           "domain %u: a target of %" PRIu64 " KiB is %s "
                           "(its maximum is %" PRIu64 " KiB: see mem-max)",
                           domid, target_kib,
                           target_kib ? "above its maximum" : "empty", max_kib);
    return store_memory(ctx, domid, "target", target_kib, true);
}

int chaos_domain_set_maxmem(chaos_ctx *ctx, chaos_domid domid, uint64_t max_kib)
{
    int rc = chaos__need_hv(ctx);
    if (rc)
        return rc;
    if (domid == 0)
        return chaos__fail(ctx, -EPERM,
                           "chaos does not manage Domain-0's memory");
    struct chaos_dominfo info;
    rc = hv_domain_info(ctx->hv, domid, &info);
    if (rc)
        return rc;
    uint64_t owned_kib = info.mem_bytes / 1024;
    if (max_kib == 0 || max_kib < owned_kib)
        return chaos__fail(ctx, -EINVAL,
                           "domain %u owns %" PRIu64 " KiB now: a maximum "
                           "of %" PRIu64 " KiB is below it (lower its "
                           "target with mem-set first)",
                           domid, owned_kib, max_kib);
    if (max_kib > UINT64_MAX / 2)
        return chaos__fail(ctx, -EINVAL,
                           "a maximum of %" PRIu64 " KiB is "
                           "too large",
                           max_kib);
    /* libxl_domain_setmaxmem writes static-max too.  The store first
     * (the step that may fail: its supervisor may be gone), put back if
     * Xen refuses; a guest without a store has nobody to tell. */
    struct registry_record rec;
    bool chaos_made = chaos__live_record(ctx, domid, &rec) == 0;
    if (chaos_made &&
        (rc = store_memory(ctx, domid, "static-max", max_kib, false)))
        return rc;
    rc = hv_domain_set_maxmem(ctx->hv, domid, max_kib + MAXMEM_SLACK_KIB);
    if (rc && chaos_made) {
        char msg[CHAOS_ERRMSG_MAX];
        snprintf(msg, sizeof(msg), "%s", ctx->errmsg);
        uint64_t was = info.maxmem_bytes / 1024;
        store_memory(ctx, domid, "static-max",
                     was > MAXMEM_SLACK_KIB ? was - MAXMEM_SLACK_KIB : 0,
                     false);
        snprintf(ctx->errmsg, sizeof(ctx->errmsg), "%s", msg);
    }
    return rc;
}

/* ---------------------------------------------------------------- vCPUs */

int chaos_vcpu_list(chaos_ctx *ctx, chaos_domid domid,
                    struct chaos_vcpuinfo **list)
{
    int rc = chaos__need_hv(ctx);
    return rc ? rc : hv_vcpu_list(ctx->hv, domid, list);
}

void chaos_vcpuinfo_free(struct chaos_vcpuinfo *list)
{
    free(list);
}
