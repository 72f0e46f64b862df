/*
 * recover.c - what chaosd does at start with what an earlier chaosd left
 * (it stopped, or it crashed, possibly in the middle of a build):
 *
 *  - guests/UUID records: a domain with that handle that libchaos's
 *    registry knows (its build finished) is adopted: its console is
 *    served again and its on_* actions apply.  One the registry does not
 *    know was being built when chaosd died: destroyed.  Records of
 *    domains that no longer exist are dropped.
 *  - shells/UUID records: shells live in the memory of the process that
 *    prepared them (libxenguest's state), so they cannot be adopted; any
 *    domain with a recorded shell handle is destroyed, and the pools are
 *    filled anew.  Records are written before the domain exists, so a
 *    shell half-prepared when chaosd died is found too.
 *
 * Domains are matched by Xen's handle, never by id alone: ids are reused.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "state.h"

struct recovery {
    struct chaosd *d;
    struct chaos_dominfo *list;
    int n;
    unsigned adopted, half_built, shells;
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

static chaos_config *saved_config(const struct state_guest *g)
{
    chaos_config *cfg = chaos_config_new();
    char *text = state_guest_config(g->uuid);
    if (cfg && (!text || chaos_config_parse(cfg, text, strlen(text), "saved") < 0)) {
        /* Unreadable: keep the name; the default actions apply. */
        log_warn("the saved config of %s is unreadable: default actions apply",
                 g->name);
        chaos_config_free(cfg);
        cfg = chaos_config_new();
        if (cfg && g->name[0])
            chaos_config_set_name(cfg, g->name);
    }
    free(text);
    return cfg;
}

static void recover_guest(void *opaque, const struct state_guest *g)
{
    struct recovery *r = opaque;
    struct chaosd *d = r->d;
    const struct chaos_dominfo *dom = by_uuid(r, g->uuid);
    if (!dom)
        dom = by_uuid(r, g->shell_uuid);   /* died before the handle was set */
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
    state_guest_write(&rec, NULL);
    state_shell_remove(g->shell_uuid);   /* built: not a shell any more */
    chaos_config *cfg = saved_config(g);
    if (cfg && guest_add(d, dom->domid, cfg) == 0)
        r->adopted++;
}

static void recover_shell(void *opaque, const uint8_t uuid[16], int64_t domid)
{
    struct recovery *r = opaque;
    struct chaosd *d = r->d;
    const struct chaos_dominfo *dom = by_uuid(r, uuid);
    if (dom) {
        if (d->hv->domain_destroy(d->ctx, dom->domid) < 0)
            log_warn("destroying shell %u: %s", dom->domid, d->hv->errmsg(d->ctx));
        else
            r->shells++;
    }
    state_shell_remove(uuid);
}

int chaosd_recover(struct chaosd *d)
{
    struct recovery r = { .d = d };
    r.n = d->hv->domain_list(d->ctx, &r.list);
    if (r.n < 0) {
        log_warn("cannot list domains: %s", d->hv->errmsg(d->ctx));
        return r.n;
    }
    state_each_guest(recover_guest, &r);
    state_each_shell(recover_shell, &r);
    d->hv->dominfo_free(r.list);
    if (r.adopted || r.half_built || r.shells)
        log_info("recovered: %u running guests adopted, %u half-built domains "
                 "and %u idle shells of an earlier chaosd destroyed",
                 r.adopted, r.half_built, r.shells);
    return 0;
}
