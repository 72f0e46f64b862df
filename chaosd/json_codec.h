/*
 * json_codec.h - the JSON objects that describe domains, hosts and create
 * results, built here only: `chaos list/info/create --json` print them
 * and chaosd's list, info and create replies carry them, so both speak
 * one schema (docs/json.md, versioned with CHAOSD_PROTOCOL_VERSION).
 *
 * Part of the protocol's convenience library, but unlike protocol.c it
 * reads libchaos's types and names (chaos.h): its users link libchaos.
 * Every function returns a new object (NULL if out of memory).
 */
#ifndef CHAOSD_JSON_CODEC_H
#define CHAOSD_JSON_CODEC_H

#include <stdbool.h>

#include <json-c/json.h>

#include "chaos.h"

/*
 * A domain: domid, name, type ("pv"/"pvh"), state, memory_mib,
 * maxmem_mib, vcpus, cpu_time_ns, and shutdown_reason once it shut down
 * or crashed.  role, when not NULL, is chaosd's view ("chaosd": "shell",
 * "guest" or "other"); flavor, when not NULL, the pool of a shell.
 */
json_object *chaosd_json_domain(const struct chaos_dominfo *d, const char *role,
                                const char *flavor);

/* What a create did. */
struct chaosd_create_result {
    chaos_domid domid;
    const char *name;
    bool paused;
    const char *flavor; /* the pool's flavor, or NULL: built directly */
    bool image;         /* the flavor's shell held the image: path "image" */
    bool from_template; /* a template pool's guest: path "template" */
    bool warm;          /* ... resumed ahead: "warm", and its "vifs" */
    const char *mac;    /* a warm guest's first vif ("": none) */
    const char *ip;     /* its address, "A.B.C.D/LEN" ("": none) */
    const struct chaos_create_timings *t;
    double request_ms; /* chaosd: arrival to reply; < 0: not sent */
};

/*
 * A create result: domid, name, paused, path ("template": a template
 * pool's restored guest, "image": an image pool's
 * shell, "pool", "direct"), flavor (image and pool only), warm and vifs
 * ([{"mac", "ip"}], a warm template pool's guest only: chaosd gave it
 * those), kernel_cached, timings (prepare_ms (0 from a pool: the
 * shell was prepared before), load_ms, build_ms, start_ms, total_ms, and
 * request_ms when given).
 */
json_object *chaosd_json_create_result(const struct chaosd_create_result *r);

/* What a restore did. */
struct chaosd_restore_result {
    chaos_domid domid;
    const char *name;
    bool paused;
    const char *flavor; /* the restore pool's flavor, or NULL: direct */
    const char *path;   /* "in-place", "pool", "direct"; NULL: from flavor */
    const struct chaos_restore_timings *t;
    double request_ms; /* chaosd: arrival to reply; < 0: not sent */
};

/*
 * A restore result: domid, name, paused, path ("in-place": into an
 * in-place restore flavor's shell, "pool": into an empty restore shell,
 * "direct"), flavor (in-place and pool only), timings (prepare_ms (0 from a pool), check_ms, stream_ms,
 * start_ms, total_ms, and request_ms when given).
 */
json_object *chaosd_json_restore_result(const struct chaosd_restore_result *r);

/*
 * The host: xen_version, nr_cpus, nr_nodes, cores_per_socket,
 * threads_per_core, cpu_mhz, total_memory_mib, free_memory_mib,
 * capabilities (["pv","hvm","hap","shadow"], those it has).  Added to o
 * (chaosd's info reply), or to a new object when o is NULL; returns o.
 */
json_object *chaosd_json_host(json_object *o, const struct chaos_physinfo *pi);

#endif /* CHAOSD_JSON_CODEC_H */
