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

static void do_create(struct client *c, struct chaosd_request *req)
{
    struct chaosd *d = c->d;
    chaos_config *cfg = chaos_config_new();
    if (!cfg) {
        reply_error(c, req->id, CHAOSD_ERR_FAILED, "out of memory");
        return;
    }
    int rc = req->config
        ? chaos_config_parse(cfg, req->config, strlen(req->config),
                             req->source ? req->source : "request")
        : chaos_config_parse_file(cfg, req->path);
    for (unsigned i = 0; rc == 0 && i < req->n_overrides; i++)
        rc = chaos_config_set_arg(cfg, req->overrides[i]);
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
        reply_error(c, req->id, CHAOSD_ERR_CONFIG, "kernel and ramdisk must be "
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
    create_start(d, cfg, req->paused, create_replied, r);
}

/* ------------------------------------------------------- other requests */

static void do_destroy_or_shutdown(struct client *c, struct chaosd_request *req)
{
    struct chaosd *d = c->d;
    chaos_domid domid;
    if (d->hv->domain_lookup(d->ctx, req->domain, &domid) < 0) {
        reply_error(c, req->id, CHAOSD_ERR_NOT_FOUND, d->hv->errmsg(d->ctx));
        return;
    }
    int rc;
    if (req->op == CHAOSD_OP_DESTROY) {
        /* Unmap its console first: a mapped page keeps it dying. */
        struct guest *g = guest_find(d, domid);
        if (g)
            guests_console_close(d, g);
        rc = d->hv->domain_destroy(d->ctx, domid);
        if (g && rc == 0)
            guest_remove(d, g);
    } else {
        rc = d->hv->domain_shutdown(d->ctx, domid, req->reboot
                                    ? CHAOS_SHUTDOWN_REBOOT : CHAOS_SHUTDOWN_POWEROFF);
    }
    if (rc < 0) {
        reply_error(c, req->id, CHAOSD_ERR_FAILED, d->hv->errmsg(d->ctx));
        return;
    }
    json_object *reply = chaosd_reply_ok(req->id);
    json_object_object_add(reply, "domid", json_object_new_int64(domid));
    client_send(c, reply);
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

static void do_list(struct client *c, struct chaosd_request *req)
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
        json_object *o = json_object_new_object();
        json_object_object_add(o, "domid", json_object_new_int64(list[i].domid));
        json_object_object_add(o, "name", json_object_new_string(list[i].name));
        json_object_object_add(o, "state", json_object_new_string(
            chaos_dom_state_name(list[i].state)));
        json_object_object_add(o, "mem_mib", json_object_new_int64(
            (int64_t)(list[i].mem_bytes >> 20)));
        json_object_object_add(o, "vcpus", json_object_new_int64(list[i].vcpus));
        const char *flavor = shell_flavor(d, list[i].domid);
        const char *role = flavor ? "shell"
                         : guest_find(d, list[i].domid) ? "guest" : "other";
        json_object_object_add(o, "chaosd", json_object_new_string(role));
        if (flavor)
            json_object_object_add(o, "flavor", json_object_new_string(flavor));
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
    json_object_object_add(o, "type", json_object_new_string(pf->f.pvh ? "pvh" : "pv"));
    json_object_object_add(o, "memory_mib", json_object_new_int64((int64_t)pf->f.memory_mib));
    json_object_object_add(o, "maxmem_mib", json_object_new_int64((int64_t)pf->f.maxmem_mib));
    json_object_object_add(o, "vcpus", json_object_new_int64(pf->f.vcpus));
    json_object_object_add(o, "size", json_object_new_int64(pf->f.pool));
    json_object_object_add(o, "idle", json_object_new_int64(pf->n_idle));
    json_object_object_add(o, "filling", json_object_new_int64(pf->filling));
    json_object_object_add(o, "handed_out", json_object_new_int64((int64_t)pf->handed_out));
    json_object_object_add(o, "fill_failures", json_object_new_int64((int64_t)pf->fill_failures));
    json_object_object_add(o, "configured", json_object_new_boolean(pf->configured));
    return o;
}

static json_object *pool_json(struct chaosd *d, json_object *reply)
{
    json_object *arr = json_object_new_array();
    for (unsigned i = 0; i < d->pool.n; i++)
        json_object_array_add(arr, flavor_json(&d->pool.flavors[i]));
    json_object_object_add(reply, "pools", arr);
    json_object_object_add(reply, "budget_mib", json_object_new_int64((int64_t)d->pool.budget_mib));
    json_object_object_add(reply, "used_mib", json_object_new_int64((int64_t)pool_used_mib(&d->pool)));
    return reply;
}

static void do_pool_resize(struct client *c, struct chaosd_request *req)
{
    struct chaosd *d = c->d;
    int i = pool_find_name(&d->pool, req->flavor);
    if (i < 0) {
        char msg[128];
        snprintf(msg, sizeof(msg), "no flavor named '%.64s'", req->flavor);
        reply_error(c, req->id, CHAOSD_ERR_NOT_FOUND, msg);
        return;
    }
    pool_resize(&d->pool, i, req->size);
    log_info("pool %s resized to %u", req->flavor, req->size);
    refill_trim(d, false);
    refill_kick(d);
    chaosd_update_status(d);
    client_send(c, pool_json(d, chaosd_reply_ok(req->id)));
}

static void do_info(struct client *c, struct chaosd_request *req)
{
    struct chaosd *d = c->d;
    struct chaos_physinfo pi;
    if (d->hv->physinfo(d->ctx, &pi) < 0) {
        reply_error(c, req->id, CHAOSD_ERR_FAILED, d->hv->errmsg(d->ctx));
        return;
    }
    json_object *reply = chaosd_reply_ok(req->id);
    json_object_object_add(reply, "version", json_object_new_string(PACKAGE_VERSION));
    json_object_object_add(reply, "free_memory_mib", json_object_new_int64((int64_t)(pi.free_bytes >> 20)));
    json_object_object_add(reply, "total_memory_mib", json_object_new_int64((int64_t)(pi.total_bytes >> 20)));
    unsigned guests = 0;
    for (struct guest *g = d->guests; g; g = g->next)
        guests++;
    json_object_object_add(reply, "guests", json_object_new_int64(guests));
    json_object_object_add(reply, "creates_pool", json_object_new_int64((int64_t)d->creates_pool));
    json_object_object_add(reply, "creates_direct", json_object_new_int64((int64_t)d->creates_direct));
    json_object_object_add(reply, "events", json_object_new_string(
        d->events ? chaos_events_source(d->events) : "none"));
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
    json_object_object_add(kc, "mib", json_object_new_int64((int64_t)(sum.bytes >> 20)));
    json_object_object_add(kc, "hits", json_object_new_int64((int64_t)sum.hits));
    json_object_object_add(kc, "misses", json_object_new_int64((int64_t)sum.misses));
    json_object_object_add(reply, "kernel_cache", kc);
    client_send(c, pool_json(d, reply));
}

void request_dispatch(struct client *c, struct chaosd_request *req)
{
    struct chaosd *d = c->d;
    if (d->stopping) {
        reply_error(c, req->id, CHAOSD_ERR_BUSY, "chaosd is stopping");
        return;
    }
    switch (req->op) {
    case CHAOSD_OP_CREATE:
        do_create(c, req);
        break;
    case CHAOSD_OP_DESTROY:
    case CHAOSD_OP_SHUTDOWN:
        do_destroy_or_shutdown(c, req);
        break;
    case CHAOSD_OP_LIST:
        do_list(c, req);
        break;
    case CHAOSD_OP_INFO:
        do_info(c, req);
        break;
    case CHAOSD_OP_POOL:
        client_send(c, pool_json(d, chaosd_reply_ok(req->id)));
        break;
    case CHAOSD_OP_POOL_RESIZE:
        do_pool_resize(c, req);
        break;
    case CHAOSD_OP_SUBSCRIBE: {
        c->subscribed = true;
        /* Where Xen's events come from: how exact they are (docs/events.md). */
        json_object *reply = chaosd_reply_ok(req->id);
        json_object_object_add(reply, "source", json_object_new_string(
            d->events ? chaos_events_source(d->events) : "none"));
        client_send(c, reply);
        break;
    }
    case CHAOSD_OP_PING: {
        json_object *reply = chaosd_reply_ok(req->id);
        json_object_object_add(reply, "version", json_object_new_string(PACKAGE_VERSION));
        client_send(c, reply);
        break;
    }
    }
}
