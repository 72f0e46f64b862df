/*
 * builders.h - chaosd's builders: the libchaos contexts its work queue
 * builds on.  A shell keeps Xen handles of the context that prepared it
 * (libxenguest's builder state), so it is executed or discarded on that
 * same builder, under its mutex; the loop thread never takes a builder's
 * mutex for a build, so it never waits for one.  Which builder a work
 * item uses is chosen on the loop thread from the queued counts.
 */
#ifndef CHAOSD_BUILDERS_H
#define CHAOSD_BUILDERS_H

#include <stdbool.h>

#include <uv.h>

#include "chaos.h"

struct chaosd;

struct builder {
    chaos_ctx *ctx;
    uv_mutex_t lock;
    unsigned queued; /* work items that will use it (loop thread) */
};

/* Opens conf.refill_workers + 1 builders (kernel cache enabled as
 * configured).  On failure the ones opened stay for builders_close(). */
int builders_open(struct chaosd *d);
void builders_close(struct chaosd *d);
/* The builder a new direct create or refill should use: the least queued. */
unsigned builder_pick(struct chaosd *d);
/* Whether work is queued on a builder (pool_take()'s busy callback;
 * opaque is the struct chaosd). */
bool builder_busy(void *opaque, unsigned builder);

#endif /* CHAOSD_BUILDERS_H */
