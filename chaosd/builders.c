/*
 * builders.c - the libchaos contexts of chaosd's work queue (see
 * builders.h).
 */
#include <errno.h>
#include <stdlib.h>

#include "builders.h"
#include "daemon.h"

int builders_open(struct chaosd *d)
{
    /* One more than refills run at once: a create rarely waits for one. */
    unsigned want = d->conf.refill_workers + 1;
    d->builders = calloc(want, sizeof(*d->builders));
    if (!d->builders)
        return -ENOMEM;
    for (unsigned i = 0; i < want; i++) {
        struct builder *b = &d->builders[i];
        uv_mutex_init(&b->lock);
        d->n_builders++;
        int rc = d->hv->open(&b->ctx);
        if (rc < 0) {
            log_warn("cannot open a libchaos context: %s",
                     b->ctx ? d->hv->errmsg(b->ctx) : "out of memory");
            return rc;
        }
        if (d->conf.kernel_cache_mib &&
            d->hv->kernel_cache_enable(b->ctx, d->conf.kernel_cache_mib << 20) <
                0)
            log_warn("kernel cache disabled: %s", d->hv->errmsg(b->ctx));
    }
    return 0;
}

void builders_close(struct chaosd *d)
{
    for (unsigned i = 0; i < d->n_builders; i++) {
        d->hv->close(d->builders[i].ctx);
        uv_mutex_destroy(&d->builders[i].lock);
    }
    free(d->builders);
    d->builders = NULL;
    d->n_builders = 0;
}

bool builder_busy(void *opaque, unsigned builder)
{
    struct chaosd *d = opaque;
    return builder < d->n_builders && d->builders[builder].queued > 0;
}

unsigned builder_pick(struct chaosd *d)
{
    unsigned best = 0;
    for (unsigned i = 1; i < d->n_builders; i++)
        if (d->builders[i].queued < d->builders[best].queued)
            best = i;
    return best;
}
