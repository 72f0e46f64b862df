/*
 * chaos.h - the public interface of libchaos, a LightVM-style Xen toolstack.
 *
 * Conventions (they hold for every function below):
 *  - Every public name starts with chaos_ / CHAOS_.
 *  - Handles are opaque.  A chaos_ctx is not thread-safe: use one per thread.
 *  - Functions that can fail return 0 (or a non-negative count) on success
 *    and a negative errno-style code on failure; chaos_errmsg(ctx) then
 *    describes the cause.  The library never prints and never exits.
 *  - Ownership: pointers passed in are borrowed for the duration of the call
 *    unless stated otherwise; memory returned through out-parameters belongs
 *    to the caller and is released with the matching chaos_*_free().
 */
#ifndef CHAOS_H
#define CHAOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CHAOS_VERSION_MAJOR 0
#define CHAOS_VERSION_MINOR 1
#define CHAOS_VERSION_PATCH 0
/* One number that compares: CHAOS_VERSION >= CHAOS_MKVERSION(0, 1, 0). */
#define CHAOS_MKVERSION(maj, min, pat) (((maj) << 16) | ((min) << 8) | (pat))
#define CHAOS_VERSION \
    CHAOS_MKVERSION(CHAOS_VERSION_MAJOR, CHAOS_VERSION_MINOR, CHAOS_VERSION_PATCH)

/* Version of the library actually linked, as "MAJOR.MINOR.PATCH".  Static. */
const char *chaos_version_string(void);

/* ------------------------------------------------------------------ */
/* Context                                                             */
/* ------------------------------------------------------------------ */

typedef struct chaos_ctx chaos_ctx;

/*
 * Opens the hypervisor interfaces (needs root in dom0 and the Xen device
 * drivers).  On success *ctxp is a new context.  On failure the return value
 * is negative and *ctxp is still a context whose chaos_errmsg() says why
 * (or NULL if even that could not be allocated, with -ENOMEM); release it
 * with chaos_close() in both cases.
 */
int chaos_open(chaos_ctx **ctxp);

/* Releases every resource of the context.  NULL is accepted. */
void chaos_close(chaos_ctx *ctx);

/*
 * Text describing the last failure on this context ("" if none).  The string
 * belongs to the context and stays valid until the next call on it.
 */
const char *chaos_errmsg(const chaos_ctx *ctx);

/* ------------------------------------------------------------------ */
/* Host                                                                */
/* ------------------------------------------------------------------ */

struct chaos_physinfo {
    unsigned nr_cpus;
    unsigned nr_nodes;
    unsigned cores_per_socket;
    unsigned threads_per_core;
    unsigned cpu_khz;
    uint64_t total_bytes;      /* host memory */
    uint64_t free_bytes;       /* memory not owned by any domain */
    unsigned xen_major, xen_minor;
    char xen_extra[32];        /* e.g. ".7" */
    bool cap_pv;               /* PV guests supported */
    bool cap_hvm;              /* HVM/PVH guests supported */
    bool cap_hap;              /* hardware-assisted paging (needed by PVH) */
    bool cap_shadow;           /* shadow paging (log-dirty for PV) */
};

int chaos_physinfo(chaos_ctx *ctx, struct chaos_physinfo *out);

/* ------------------------------------------------------------------ */
/* Domains                                                             */
/* ------------------------------------------------------------------ */

typedef uint32_t chaos_domid;

enum chaos_dom_state {
    CHAOS_DOM_RUNNING,         /* running or runnable */
    CHAOS_DOM_BLOCKED,
    CHAOS_DOM_PAUSED,
    CHAOS_DOM_SHUTDOWN,        /* shut down, not yet destroyed */
    CHAOS_DOM_CRASHED,
    CHAOS_DOM_DYING,
};

struct chaos_dominfo {
    chaos_domid domid;
    char name[64];             /* "" when the domain has no known name */
    enum chaos_dom_state state;
    bool pvh_or_hvm;           /* false: PV */
    unsigned vcpus;            /* online vCPUs */
    uint64_t mem_bytes;        /* memory currently owned */
    uint64_t maxmem_bytes;
    uint64_t cpu_time_ns;
    int shutdown_reason;       /* valid when state is SHUTDOWN/CRASHED */
};

/* Stable lower-case name of a state ("running", "paused", ...). Static. */
const char *chaos_dom_state_name(enum chaos_dom_state state);

/*
 * Lists every domain on the host, ordered by domid.  On success returns the
 * number of entries and sets *list to an array the caller releases with
 * chaos_dominfo_free().
 */
int chaos_domain_list(chaos_ctx *ctx, struct chaos_dominfo **list);
void chaos_dominfo_free(struct chaos_dominfo *list);

#ifdef __cplusplus
}
#endif

#endif /* CHAOS_H */
