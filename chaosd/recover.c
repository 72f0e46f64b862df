/*
 * recover.c - what chaosd does at start with what was left running:
 *
 *  - guests/UUID records (guests an earlier chaosd started): a domain with
 *    that handle that libchaos's registry knows (its build finished) is
 *    served again.  One the registry does not know was being built when
 *    chaosd died: destroyed.  Records of domains that no longer exist are
 *    dropped.
 *  - shells/UUID records: shells live in the memory of the process that
 *    prepared them (libxenguest's state), so they cannot be adopted; any
 *    domain with a recorded shell handle is destroyed, and the pools are
 *    filled anew.  Records are written before the domain exists, so a
 *    shell half-prepared when chaosd died is found too.
 *  - every other guest chaos created (the registry has its record and its
 *    configuration) is served too if nobody serves it: the guests of a
 *    `chaos create` monitor that was killed.  A guest whose supervisor
 *    lock is held (its monitor runs) is left to it.
 *
 * Serving is libchaos's guest supervisor (guests.c); its lock makes sure
 * that chaosd and a monitor never both serve one guest.  Domains are
 * matched by Xen's handle, never by id alone: ids are reused.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "state.h"
#include "warm.h"

struct recovery {
    struct chaosd *d;
    struct chaos_dominfo *list;
    int n;
    unsigned adopted, left, half_built, shells;
};

/* The domain with that handle, or NULL. */
static const struct chaos_dominfo *by_uuid(const struct recovery *r,
                                           const uint8_t uuid[16])
{
    for (int i = 0; i < r->n; i++)
        if (r->list[i].domid != 0 && !memcmp(r->list[i].uuid, uuid, 16))
            return &r->list[i];
    return NULL;
}

/* Serves a guest that chaos built, unless another process does. */
static void adopt(struct recovery *r, const struct chaos_dominfo *dom)
{
    struct chaosd *d = r->d;
    int rc = guest_serve(d, dom->domid);
    if (rc == 0) {
        r->adopted++;
    } else if (rc == -EBUSY) {
        log_guest_info(dom->domid, dom->name, "%s (%u): left to its server: %s",
                       dom->name, dom->domid, d->hv->errmsg(d->ctx));
        r->left++;
    } else {
        log_guest_warn(dom->domid, dom->name, "cannot serve %s (%u): %s",
                       dom->name, dom->domid, d->hv->errmsg(d->ctx));
    }
}

static void recover_guest(void *opaque, const struct state_guest *g)
{
    struct recovery *r = opaque;
    struct chaosd *d = r->d;
    const struct chaos_dominfo *dom = by_uuid(r, g->uuid);
    if (!dom)
        dom = by_uuid(r, g->shell_uuid); /* died before the handle was set */
    if (!dom) {
        state_guest_remove(g->uuid);
        return;
    }
    uint64_t frame;
    uint32_t port;
    if (d->hv->domain_console(d->ctx, dom->domid, &frame, &port) < 0) {
        log_info("destroying domain %u: its build was cut short", dom->domid);
        if (d->hv->domain_destroy(d->ctx, dom->domid) < 0)
            log_warn("destroying %u: %s", dom->domid, d->hv->errmsg(d->ctx));
        state_shell_remove(g->shell_uuid);
        state_guest_remove(g->uuid);
        r->half_built++;
        return;
    }
    struct state_guest rec = *g;
    rec.domid = dom->domid;
    state_guest_write(&rec);
    state_shell_remove(g->shell_uuid); /* built: not a shell any more */
    adopt(r, dom);
}

static void recover_shell(void *opaque, const uint8_t uuid[16], int64_t domid)
{
    struct recovery *r = opaque;
    struct chaosd *d = r->d;
    (void)domid;
    struct chaos_dominfo *dom = (struct chaos_dominfo *)by_uuid(r, uuid);
    if (dom) {
        if (d->hv->domain_destroy(d->ctx, dom->domid) < 0) {
            log_warn("destroying shell %u: %s", dom->domid,
                     d->hv->errmsg(d->ctx));
        } else {
            r->shells++;
            dom->domid = 0; /* gone: not a guest to adopt below */
        }
    }
    /* A warm template guest's log, under its pool name (none for other
     * shells): nobody else would ever remove it. */
    char log[300];
    warm_guest_log(uuid, log, sizeof(log));
    unlink(log);
    state_shell_remove(uuid);
}

/* Guests chaos built that chaosd did not start, or whose record is gone. */
static void recover_others(struct recovery *r)
{
    struct chaosd *d = r->d;
    for (int i = 0; i < r->n; i++) {
        const struct chaos_dominfo *dom = &r->list[i];
        uint64_t frame;
        uint32_t port;
        if (dom->domid == 0 || guest_find(d, dom->domid) ||
            dom->state == CHAOS_DOM_DYING ||
            d->hv->domain_console(d->ctx, dom->domid, &frame, &port) < 0)
            continue; /* not built by chaos (or a shell), or served */
        adopt(r, dom);
    }
}

int chaosd_recover(struct chaosd *d)
{
    struct recovery r = { .d = d };
    /* First: adopted guests are told of domain events from the start. */
    guests_subscribe(d);
    r.n = d->hv->domain_list(d->ctx, &r.list);
    if (r.n < 0) {
        log_warn("cannot list domains: %s", d->hv->errmsg(d->ctx));
        return r.n;
    }
    state_each_guest(recover_guest, &r);
    state_each_shell(recover_shell, &r);
    recover_others(&r);
    d->hv->dominfo_free(r.list);
    if (r.adopted || r.left || r.half_built || r.shells)
        log_info("recovered: %u running guests adopted, %u left to their "
                 "servers, %u half-built domains and %u idle shells of an "
                 "earlier chaosd destroyed",
                 r.adopted, r.left, r.half_built, r.shells);
    return 0;
}
