/*
 * pool.h - the bookkeeping of chaosd's shell pools: which flavors exist,
 * how many idle shells each holds and wants, which one to refill next
 * within the memory budget, which shells to give back.  Pure logic: the
 * shells are opaque items (the daemon stores chaos_shell pointers), so
 * the rules are unit-tested without Xen.
 *
 * Invariants the daemon relies on:
 *  - an item is in at most one pool, and pool_take() removes it: a shell
 *    is never handed out twice;
 *  - idle + filling shells never use more than the budget (idle memory
 *    is guest memory of idle shells, in MiB).
 */
#ifndef CHAOSD_POOL_H
#define CHAOSD_POOL_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"

struct pool_item {
    void *shell;
    uint8_t uuid[16]; /* Xen's handle of the shell's domain */
    uint32_t domid;
    unsigned builder; /* which builder (context) prepared it */
    bool guest;       /* a template pool's guest (restored, paused; shell
                         NULL): given back by destroying its domain */
    void *sup;        /* its supervisor, prepared ahead (a ready item:
                         image shell or template guest), or NULL */
    /* A warm template pool's guest: resumed ahead and paused again, its
     * supervisor serving it (sup), its first vif's MAC and address (""
     * without a vif) what the create's reply gives. */
    bool warm;
    char mac[18];
    char ip[20];
};

struct pool_flavor {
    unsigned id;            /* stable across configure(); indices are not */
    struct chaosd_flavor f; /* name, type, memory, vcpus, pool target */
    bool configured;        /* false: left over from an older config;
                                  drained, then forgotten */
    unsigned filling;       /* prepares in flight */
    bool held;              /* refilled by nobody for now: a template
                               flavor whose template is being built, or
                               failed and waits to be tried again */
    unsigned n_idle, cap_idle;
    struct pool_item *idle; /* FIFO: oldest first */
    uint64_t handed_out;    /* statistics */
    uint64_t fill_failures;
};

struct pool {
    uint64_t budget_mib;
    unsigned next_id;
    unsigned n;
    struct pool_flavor *flavors;
};

void pool_init(struct pool *p, uint64_t budget_mib);
/* Frees the bookkeeping (not the shells: drain them first). */
void pool_free(struct pool *p);

/*
 * Applies a configuration: new flavors are added, existing ones get the
 * new target; flavors no longer configured are marked (target 0) so that
 * their shells are given back.  A flavor whose shape (type, memory,
 * maxmem, vcpus) changed is treated as removed and added anew.
 * Returns 0 or -ENOMEM.
 */
int pool_configure(struct pool *p, const struct chaosd_conf *conf);

/* Index of the flavor with that id (struct pool_flavor.id), or -1. */
int pool_index(const struct pool *p, unsigned id);

/* Index of the configured flavor named name, or -1. */
int pool_find_name(const struct pool *p, const char *name);

/* What a flavor's shells are for. */
enum pool_kind {
    POOL_CREATE,           /* memory populated, for a kernel */
    POOL_IMAGE,            /* a kernel built in already (image flavors) */
    POOL_RESTORE,          /* empty: libxenguest's restore populates it */
    POOL_RESTORE_IN_PLACE, /* RAM populated and zeroed (PVH) */
    POOL_TEMPLATE,         /* guests restored paused from a template's
                              image (template.c matches them) */
};
enum pool_kind pool_flavor_kind(const struct chaosd_flavor *f);

/*
 * Index of a configured flavor of that kind whose shells fit a guest of
 * that shape (devices: its chaos_config_shell_devices() text), preferring
 * one with an idle shell; -1 if none.
 */
int pool_match(const struct pool *p, enum pool_kind kind, bool pvh,
               uint64_t memory_mib, uint64_t maxmem_mib, unsigned maxvcpus,
               const char *devices);

/*
 * pool_match() for POOL_IMAGE: also the image flavor's kernel, ramdisk and
 * command line must equal the guest's (ramdisk and cmdline NULL: none).
 * Whether the files are still those its shells loaded is for the caller
 * to ask of the shell (chaos_shell_image_fits).
 */
int pool_match_image(const struct pool *p, bool pvh, uint64_t memory_mib,
                     uint64_t maxmem_mib, unsigned maxvcpus,
                     const char *devices, const char *kernel,
                     const char *ramdisk, const char *cmdline);

/* Memory (MiB) of idle and filling shells. */
uint64_t pool_used_mib(const struct pool *p);

/*
 * The flavor to prepare a shell for next, or -1 when every pool is at its
 * target (or held) or the budget has no room.  The emptiest pool (idle + filling
 * against its target) goes first.  Counts the prepare as in flight.
 */
int pool_next_refill(struct pool *p);
/* The same among pools filled (idle + filling) below max_fill of their
 * target: pool_next_refill is max_fill 1. */
int pool_next_refill_below(struct pool *p, double max_fill);

/* A prepare of flavor i ended: adds its item, or counts a failure. */
int pool_fill_done(struct pool *p, int i, const struct pool_item *item);
void pool_fill_failed(struct pool *p, int i);
/* A fill of flavor i ended with no item and no failure (a template was
 * built instead of a guest). */
void pool_fill_none(struct pool *p, int i);

/*
 * Takes the oldest idle shell of flavor i into *out; false if none.  If
 * busy(builder) says a builder is busy, a shell of an idle builder is
 * preferred (busy may be NULL).
 */
bool pool_take(struct pool *p, int i, bool (*busy)(void *, unsigned),
               void *opaque, struct pool_item *out);

/*
 * Gives back an item pool_take(p, i, ...) handed out that was not used
 * (nothing else touched the pool since): it becomes flavor i's oldest idle
 * shell again and no longer counts as handed out.  pool_take() left its
 * slot, so this never allocates: -ENOMEM if there is no slot (the item
 * did not come from pool_take()), -ENOENT if flavor i is gone.
 */
int pool_put_back(struct pool *p, int i, const struct pool_item *item);

/*
 * Takes one shell above its flavor's target (a shrunk pool, a flavor no
 * longer configured, or everything when draining) into *out; false if
 * none.  Flavors not configured and empty are forgotten.
 */
bool pool_take_excess(struct pool *p, bool drain, struct pool_item *out);

/* Sets the target of flavor i. */
void pool_resize(struct pool *p, int i, unsigned size);

/* True when no refill can start (held flavors cannot) and none is in
 * flight. */
bool pool_settled(const struct pool *p);

#endif /* CHAOSD_POOL_H */
