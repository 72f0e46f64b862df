/*
 * host.c - host information and the domain list.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hv/hv.h"
#include "internal.h"
#include "util.h"

int chaos_physinfo(chaos_ctx *ctx, struct chaos_physinfo *out)
{
    int rc = chaos__need_hv(ctx);
    return rc ? rc : hv_physinfo(ctx->hv, out);
}

int chaos__domain_list_raw(chaos_ctx *ctx, struct chaos_dominfo **list)
{
    /* Read in batches until Xen returns a short batch: the number of
     * domains is not bounded by anything we know in advance. */
    enum { BATCH = 256 };
    struct chaos_dominfo *all = NULL;
    size_t n = 0;
    chaos_domid next = 0;
    for (;;) {
        struct chaos_dominfo *grown = realloc(all, (n + BATCH) * sizeof(*all));
        if (!grown) {
            free(all);
            return chaos__fail(ctx, -ENOMEM, "out of memory");
        }
        all = grown;
        int got = hv_domain_list(ctx->hv, next, all + n, BATCH);
        if (got < 0) {
            free(all);
            return got;
        }
        n += (size_t)got;
        if (got < BATCH)
            break;
        next = all[n - 1].domid + 1;
    }
    *list = all;
    return (int)n;
}

int chaos_domain_list(chaos_ctx *ctx, struct chaos_dominfo **list)
{
    int rc = chaos__need_hv(ctx);
    if (rc)
        return rc;
    int n = chaos__domain_list_raw(ctx, list);
    if (n > 0)
        chaos__fill_names(ctx, *list, n, false);
    return n;
}

void chaos_dominfo_free(struct chaos_dominfo *list)
{
    free(list);
}
