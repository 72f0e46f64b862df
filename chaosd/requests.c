/*
 * requests.c - what chaosd does for each request of the protocol
 * (docs/chaosd.md).  Everything here runs on the loop thread; creating a
 * guest continues on the work queue (create.c) and replies when done.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "json_codec.h"

static void reply_error(struct client *c, json_object *id,
                        enum chaosd_errcode code, const char *msg)
{
    client_send(c, chaosd_reply_error(id, code, msg));
}

/* ---------------------------------------------------------------- create */

struct create_reply {
    struct client *c;
    json_object *id;
};

static void create_replied(struct chaosd *d, void *opaque, int rc,
                           json_object *result, const char *errmsg)
{
    struct create_reply *r = opaque;
    if (rc < 0) {
        reply_error(r->c, r->id, CHAOSD_ERR_FAILED, errmsg);
    } else {
        json_object *reply = chaosd_reply_ok(r->id);
        json_object_object_foreach(result, key, val)
            json_object_object_add(reply, key, json_object_get(val));
        client_send(r->c, reply);
    }
    json_object_put(result);
    json_object_put(r->id);
    client_unref(r->c);
    free(r);
}

static void handle_create(struct client *c, struct chaosd_request *req)
{
    struct chaosd *d = c->d;
    const struct chaosd_req_create *cr = &req->create;
    chaos_config *cfg = chaos_config_new();
    if (!cfg) {
        reply_error(c, req->id, CHAOSD_ERR_FAILED, "out of memory");
        return;
    }
    int rc = cr->config
                 ? chaos_config_parse(cfg, cr->config, strlen(cr->config),
                                      cr->source ? cr->source : "request")
                 : chaos_config_parse_file(cfg, cr->path);
    for (unsigned i = 0; rc == 0 && i < cr->n_overrides; i++)
        rc = chaos_config_set_arg(cfg, cr->overrides[i]);
    if (rc == 0)
        rc = chaos_config_validate(cfg);
    if (rc) {
        reply_error(c, req->id, CHAOSD_ERR_CONFIG, chaos_config_errmsg(cfg));
        chaos_config_free(cfg);
        return;
    }
    /* The rule `chaos create` applies too: actions the supervisor would
     * not carry out are refused before anything is created. */
    char why[256];
    if (chaos_supervisor_check_config(cfg, why, sizeof(why)) < 0) {
        reply_error(c, req->id, CHAOSD_ERR_CONFIG, why);
        chaos_config_free(cfg);
        return;
    }
    /* chaosd's working directory means nothing to the client. */
    const char *rd = chaos_config_ramdisk(cfg);
    if (chaos_config_kernel(cfg)[0] != '/' || (rd && rd[0] && rd[0] != '/')) {
        reply_error(c, req->id, CHAOSD_ERR_CONFIG,
                    "kernel and ramdisk must be "
                    "absolute paths in requests to chaosd");
        chaos_config_free(cfg);
        return;
    }
    struct create_reply *r = calloc(1, sizeof(*r));
    if (!r) {
        chaos_config_free(cfg);
        reply_error(c, req->id, CHAOSD_ERR_FAILED, "out of memory");
        return;
    }
    r->c = c;
    r->id = req->id ? json_object_get(req->id) : NULL;
    client_ref(c);
    create_start(d, cfg, (cr->paused ? CREATE_PAUSED : 0u) | CREATE_MAY_FINISH,
                 create_replied, r);
}

/* --------------------------------------------------------------- restore */

static void handle_restore(struct client *c, struct chaosd_request *req)
{
    const struct chaosd_req_restore *rr = &req->restore;
    struct create_reply *r = calloc(1, sizeof(*r));
    if (!r) {
        reply_error(c, req->id, CHAOSD_ERR_FAILED, "out of memory");
        return;
    }
    r->c = c;
    r->id = req->id ? json_object_get(req->id) : NULL;
    client_ref(c);
    /* The reply comes as a create's does (create_replied). */
    restore_start(c->d, rr->path, rr->overrides, rr->n_overrides, rr->paused,
                  create_replied, r);
}

/* ------------------------------------------------------- other requests */

/* The domain a request names; replies not-found and returns false when
 * there is none. */
static bool lookup(struct client *c, struct chaosd_request *req,
                   const char *domain, chaos_domid *domid)
{
    struct chaosd *d = c->d;
    if (d->hv->domain_lookup(d->ctx, domain, domid) == 0)
        return true;
    reply_error(c, req->id, CHAOSD_ERR_NOT_FOUND, d->hv->errmsg(d->ctx));
    return false;
}

static void reply_domid(struct client *c, struct chaosd_request *req, int rc,
                        chaos_domid domid)
{
    if (rc < 0) {
        reply_error(c, req->id, CHAOSD_ERR_FAILED, c->d->hv->errmsg(c->d->ctx));
        return;
    }
    json_object *reply = chaosd_reply_ok(req->id);
    json_object_object_add(reply, "domid", json_object_new_int64(domid));
    client_send(c, reply);
}

static void handle_destroy(struct client *c, struct chaosd_request *req)
{
    struct chaosd *d = c->d;
    chaos_domid domid;
    if (!lookup(c, req, req->destroy.domain, &domid))
        return;
    /* A guest chaosd serves is destroyed by its supervisor (console
     * unmapped first, its lock released); any other directly. */
    struct guest *g = guest_find(d, domid);
    int rc = g ? guest_destroy(d, g) : d->hv->domain_destroy(d->ctx, domid);
    reply_domid(c, req, rc, domid);
}

static void handle_shutdown(struct client *c, struct chaosd_request *req)
{
    chaos_domid domid;
    if (!lookup(c, req, req->shutdown.domain, &domid))
        return;
    int rc = chaos_domain_shutdown(
        c->d->ctx, domid,
        req->shutdown.reboot ? CHAOS_SHUTDOWN_REBOOT : CHAOS_SHUTDOWN_POWEROFF);
    reply_domid(c, req, rc, domid);
}

/* Whether domid is an idle shell, and of which flavor. */
static const char *shell_flavor(struct chaosd *d, chaos_domid domid)
{
    for (unsigned i = 0; i < d->pool.n; i++)
        for (unsigned k = 0; k < d->pool.flavors[i].n_idle; k++)
            if (d->pool.flavors[i].idle[k].domid == domid)
                return d->pool.flavors[i].f.name;
    return NULL;
}

static void handle_list(struct client *c, struct chaosd_request *req)
{
    struct chaosd *d = c->d;
    struct chaos_dominfo *list;
    int n = d->hv->domain_list(d->ctx, &list);
    if (n < 0) {
        reply_error(c, req->id, CHAOSD_ERR_FAILED, d->hv->errmsg(d->ctx));
        return;
    }
    json_object *arr = json_object_new_array();
    for (int i = 0; i < n; i++) {
        const char *flavor = shell_flavor(d, list[i].domid);
        const char *role = flavor                         ? "shell"
                           : guest_find(d, list[i].domid) ? "guest"
                                                          : "other";
        json_object *o = chaosd_json_domain(&list[i], role, flavor);
        json_object_array_add(arr, o);
    }
    d->hv->dominfo_free(list);
    json_object *reply = chaosd_reply_ok(req->id);
    json_object_object_add(reply, "domains", arr);
    client_send(c, reply);
}

static json_object *flavor_json(const struct pool_flavor *pf)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "flavor", json_object_new_string(pf->f.name));
    json_object_object_add(o, "type",
                           json_object_new_string(pf->f.pvh ? "pvh" : "pv"));
    json_object_object_add(o, "memory_mib",
                           json_object_new_int64((int64_t)pf->f.memory_mib));
    json_object_object_add(o, "maxmem_mib",
                           json_object_new_int64((int64_t)pf->f.maxmem_mib));
    json_object_object_add(o, "vcpus", json_object_new_int64(pf->f.vcpus));
    json_object_object_add(o, "restore",
                           json_object_new_boolean(pf->f.restore));
    json_object_object_add(o, "in_place",
                           json_object_new_boolean(pf->f.in_place));
    json_object_object_add(o, "template",
                           json_object_new_boolean(pf->f.template_cfg[0] != 0));
    json_object_object_add(o, "size", json_object_new_int64(pf->f.pool));
    json_object_object_add(o, "idle", json_object_new_int64(pf->n_idle));
    json_object_object_add(o, "filling", json_object_new_int64(pf->filling));
    json_object_object_add(o, "handed_out",
                           json_object_new_int64((int64_t)pf->handed_out));
    json_object_object_add(o, "fill_failures",
                           json_object_new_int64((int64_t)pf->fill_failures));
    json_object_object_add(o, "configured",
                           json_object_new_boolean(pf->configured));
    return o;
}

static json_object *pool_json(struct chaosd *d, json_object *reply)
{
    json_object *arr = json_object_new_array();
    for (unsigned i = 0; i < d->pool.n; i++)
        json_object_array_add(arr, flavor_json(&d->pool.flavors[i]));
    json_object_object_add(reply, "pools", arr);
    json_object_object_add(reply, "budget_mib",
                           json_object_new_int64((int64_t)d->pool.budget_mib));
    json_object_object_add(
        reply, "used_mib",
        json_object_new_int64((int64_t)pool_used_mib(&d->pool)));
    return reply;
}

static void handle_pool(struct client *c, struct chaosd_request *req)
{
    client_send(c, pool_json(c->d, chaosd_reply_ok(req->id)));
}

static void handle_pool_resize(struct client *c, struct chaosd_request *req)
{
    struct chaosd *d = c->d;
    const struct chaosd_req_pool_resize *r = &req->pool_resize;
    int i = pool_find_name(&d->pool, r->flavor);
    if (i < 0) {
        char msg[128];
        snprintf(msg, sizeof(msg), "no flavor named '%.64s'", r->flavor);
        reply_error(c, req->id, CHAOSD_ERR_NOT_FOUND, msg);
        return;
    }
    pool_resize(&d->pool, i, r->size);
    log_info("pool %s resized to %u", r->flavor, r->size);
    refill_trim(d, false);
    refill_kick(d);
    chaosd_update_status(d);
    client_send(c, pool_json(d, chaosd_reply_ok(req->id)));
}

static void handle_info(struct client *c, struct chaosd_request *req)
{
    struct chaosd *d = c->d;
    struct chaos_physinfo pi;
    if (d->hv->physinfo(d->ctx, &pi) < 0) {
        reply_error(c, req->id, CHAOSD_ERR_FAILED, d->hv->errmsg(d->ctx));
        return;
    }
    json_object *reply = chaosd_reply_ok(req->id);
    json_object_object_add(reply, "version",
                           json_object_new_string(PACKAGE_VERSION));
    chaosd_json_host(reply, &pi);
    unsigned guests = 0;
    for (struct guest *g = d->guests; g; g = g->next)
        guests++;
    json_object_object_add(reply, "guests", json_object_new_int64(guests));
    json_object_object_add(reply, "creates_pool",
                           json_object_new_int64((int64_t)d->creates_pool));
    json_object_object_add(reply, "creates_direct",
                           json_object_new_int64((int64_t)d->creates_direct));
    json_object_object_add(reply, "restores_pool",
                           json_object_new_int64((int64_t)d->restores_pool));
    json_object_object_add(reply, "restores_direct",
                           json_object_new_int64((int64_t)d->restores_direct));
    json_object_object_add(
        reply, "restores_in_place",
        json_object_new_int64((int64_t)d->restores_in_place));
    json_object_object_add(reply, "image_cache_hits",
                           json_object_new_int64((int64_t)d->images.hits));
    json_object_object_add(reply, "image_cache_misses",
                           json_object_new_int64((int64_t)d->images.misses));
    json_object_object_add(
        reply, "events",
        json_object_new_string(d->events ? chaos_events_source(d->events)
                                         : "none"));
    /* Kernel cache figures of idle builders (a busy one is not waited for). */
    struct chaos_kernel_cache_stats sum = { 0 };
    for (unsigned i = 0; i < d->n_builders; i++) {
        struct builder *b = &d->builders[i];
        if (uv_mutex_trylock(&b->lock) != 0)
            continue;
        struct chaos_kernel_cache_stats s;
        d->hv->kernel_cache_stats(b->ctx, &s);
        uv_mutex_unlock(&b->lock);
        sum.entries += s.entries;
        sum.bytes += s.bytes;
        sum.hits += s.hits;
        sum.misses += s.misses;
    }
    json_object *kc = json_object_new_object();
    json_object_object_add(kc, "entries", json_object_new_int64(sum.entries));
    json_object_object_add(kc, "mib",
                           json_object_new_int64((int64_t)(sum.bytes >> 20)));
    json_object_object_add(kc, "hits",
                           json_object_new_int64((int64_t)sum.hits));
    json_object_object_add(kc, "misses",
                           json_object_new_int64((int64_t)sum.misses));
    json_object_object_add(reply, "kernel_cache", kc);
    client_send(c, pool_json(d, reply));
}

static void handle_subscribe(struct client *c, struct chaosd_request *req)
{
    struct chaosd *d = c->d;
    c->subscribed = true;
    /* Where Xen's events come from: how exact they are (docs/events.md). */
    json_object *reply = chaosd_reply_ok(req->id);
    json_object_object_add(
        reply, "source",
        json_object_new_string(d->events ? chaos_events_source(d->events)
                                         : "none"));
    client_send(c, reply);
}

static void handle_ping(struct client *c, struct chaosd_request *req)
{
    json_object *reply = chaosd_reply_ok(req->id);
    json_object_object_add(reply, "version",
                           json_object_new_string(PACKAGE_VERSION));
    client_send(c, reply);
}

/* chaosd's half of each row of CHAOSD_OPS (protocol.h): a missing
 * handle_NAME is a compile error. */
typedef void handler_fn(struct client *c, struct chaosd_request *req);
static handler_fn *const handlers[] = {
#define ROW(op, name, dec, handler, access, fields) \
    [CHAOSD_OP_##op] = handle_##handler,
    CHAOSD_OPS(ROW)
#undef ROW
};
_Static_assert(sizeof(handlers) / sizeof(handlers[0]) == CHAOSD_N_OPS,
               "one handler per op");

void request_dispatch(struct client *c, struct chaosd_request *req)
{
    struct chaosd *d = c->d;
    if (d->stopping) {
        reply_error(c, req->id, CHAOSD_ERR_BUSY, "chaosd is stopping");
        return;
    }
    const struct chaosd_op_info *op = chaosd_op_info(req->op);
    if (op->access == CHAOSD_CHANGE && !c->may_change) {
        const char *group = d->conf.admin_group;
        log_warn("refused %s from uid %ld pid %ld: not root%s%s%s", op->name,
                 (long)c->uid, (long)c->pid,
                 group[0] ? " and not in group '" : "", group,
                 group[0] ? "'" : "");
        char msg[256];
        snprintf(msg, sizeof(msg),
                 "%s is forbidden: only root%s%s%s may change "
                 "guests",
                 op->name, group[0] ? " and members of the group '" : "", group,
                 group[0] ? "'" : "");
        reply_error(c, req->id, CHAOSD_ERR_FORBIDDEN, msg);
        return;
    }
    handlers[req->op](c, req);
}
