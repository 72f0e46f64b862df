/*
 * json_codec.c - domain, host and create-result JSON (see json_codec.h,
 * docs/json.md).  Field names end in their unit (_mib, _ms, _ns).
 */
#include <stdint.h>
#include <stdio.h>

#include "json_codec.h"

#define MiB (1024 * 1024)

static void add_int(json_object *o, const char *key, int64_t v)
{
    json_object_object_add(o, key, json_object_new_int64(v));
}

static void add_str(json_object *o, const char *key, const char *v)
{
    json_object_object_add(o, key, json_object_new_string(v));
}

static void add_ms(json_object *o, const char *key, uint64_t ns)
{
    json_object_object_add(o, key, json_object_new_double((double)ns / 1e6));
}

json_object *chaosd_json_domain(const struct chaos_dominfo *d, const char *role,
                                const char *flavor)
{
    json_object *o = json_object_new_object();
    if (!o)
        return NULL;
    add_int(o, "domid", d->domid);
    add_str(o, "name", d->name);
    add_str(o, "type", d->pvh_or_hvm ? "pvh" : "pv");
    add_str(o, "state", chaos_dom_state_name(d->state));
    add_int(o, "memory_mib", (int64_t)(d->mem_bytes / MiB));
    add_int(o, "maxmem_mib", (int64_t)(d->maxmem_bytes / MiB));
    add_int(o, "vcpus", d->vcpus);
    add_int(o, "cpu_time_ns", (int64_t)d->cpu_time_ns);
    if (d->state == CHAOS_DOM_SHUTDOWN || d->state == CHAOS_DOM_CRASHED)
        add_str(o, "shutdown_reason",
                chaos_shutdown_reason_name(d->shutdown_reason));
    if (role)
        add_str(o, "chaosd", role);
    if (flavor)
        add_str(o, "flavor", flavor);
    return o;
}

/* What a create and a restore result share: the guest, where it came
 * from, and an empty timings object (*t) for the caller to fill. */
static json_object *result_new(chaos_domid domid, const char *name, bool paused,
                               const char *path, const char *flavor,
                               json_object **t)
{
    json_object *o = json_object_new_object();
    *t = json_object_new_object();
    if (!o || !*t) {
        json_object_put(o);
        json_object_put(*t);
        return NULL;
    }
    add_int(o, "domid", domid);
    add_str(o, "name", name ? name : "");
    json_object_object_add(o, "paused", json_object_new_boolean(paused));
    add_str(o, "path", path);
    if (flavor)
        add_str(o, "flavor", flavor);
    return o;
}

/* Closes a result: chaosd's request time (-1: none) and the timings. */
static json_object *result_done(json_object *o, json_object *t,
                                double request_ms)
{
    if (request_ms >= 0)
        json_object_object_add(t, "request_ms",
                               json_object_new_double(request_ms));
    json_object_object_add(o, "timings", t);
    return o;
}

json_object *chaosd_json_create_result(const struct chaosd_create_result *r)
{
    json_object *t;
    json_object *o = result_new(r->domid, r->name, r->paused,
                                !r->flavor         ? "direct"
                                : r->from_template ? "template"
                                : r->image         ? "image"
                                                   : "pool",
                                r->flavor, &t);
    if (!o)
        return NULL;
    if (r->warm) {
        json_object_object_add(o, "warm", json_object_new_boolean(true));
        json_object *vifs = json_object_new_array();
        json_object *vif =
            r->mac && r->mac[0] ? json_object_new_object() : NULL;
        if (vif) {
            json_object_object_add(vif, "mac", json_object_new_string(r->mac));
            if (r->ip && r->ip[0])
                json_object_object_add(vif, "ip",
                                       json_object_new_string(r->ip));
            json_object_array_add(vifs, vif);
        }
        json_object_object_add(o, "vifs", vifs);
    }
    json_object_object_add(o, "kernel_cached",
                           json_object_new_boolean(r->t->kernel_cached));
    /* From a pool the shell was prepared before the request: libchaos's
     * total counts that prepare, the reply only this request's part. */
    uint64_t ahead = r->flavor ? r->t->prepare_ns : 0;
    add_ms(t, "prepare_ms", r->flavor ? 0 : r->t->prepare_ns);
    add_ms(t, "load_ms", r->t->load_ns);
    add_ms(t, "build_ms", r->t->build_ns);
    add_ms(t, "start_ms", r->t->start_ns);
    add_ms(t, "total_ms", r->t->total_ns > ahead ? r->t->total_ns - ahead : 0);
    return result_done(o, t, r->request_ms);
}

json_object *chaosd_json_restore_result(const struct chaosd_restore_result *r)
{
    json_object *t;
    json_object *o = result_new(
        r->domid, r->name, r->paused,
        r->path ? r->path : (r->flavor ? "pool" : "direct"), r->flavor, &t);
    if (!o)
        return NULL;
    add_ms(t, "prepare_ms", r->t->prepare_ns);
    add_ms(t, "check_ms", r->t->check_ns);
    add_ms(t, "stream_ms", r->t->stream_ns);
    add_ms(t, "start_ms", r->t->start_ns);
    add_ms(t, "total_ms", r->t->total_ns);
    if (r->t->pages_copied || r->t->pages_skipped) { /* in place */
        add_int(t, "pages_copied", (int64_t)r->t->pages_copied);
        add_int(t, "pages_skipped", (int64_t)r->t->pages_skipped);
    }
    return result_done(o, t, r->request_ms);
}

json_object *chaosd_json_host(json_object *o, const struct chaos_physinfo *pi)
{
    if (!o)
        o = json_object_new_object();
    if (!o)
        return NULL;
    char ver[64];
    snprintf(ver, sizeof(ver), "%u.%u%s", pi->xen_major, pi->xen_minor,
             pi->xen_extra);
    add_str(o, "xen_version", ver);
    add_int(o, "nr_cpus", pi->nr_cpus);
    add_int(o, "nr_nodes", pi->nr_nodes);
    add_int(o, "cores_per_socket", pi->cores_per_socket);
    add_int(o, "threads_per_core", pi->threads_per_core);
    add_int(o, "cpu_mhz", pi->cpu_khz / 1000);
    add_int(o, "total_memory_mib", (int64_t)(pi->total_bytes / MiB));
    add_int(o, "free_memory_mib", (int64_t)(pi->free_bytes / MiB));
    json_object *caps = json_object_new_array();
    const struct {
        bool on;
        const char *name;
    } cap[] = {
        { pi->cap_pv, "pv" },
        { pi->cap_hvm, "hvm" },
        { pi->cap_hap, "hap" },
        { pi->cap_shadow, "shadow" },
    };
    for (size_t i = 0; caps && i < sizeof(cap) / sizeof(cap[0]); i++)
        if (cap[i].on)
            json_object_array_add(caps, json_object_new_string(cap[i].name));
    json_object_object_add(o, "capabilities", caps);
    return o;
}
