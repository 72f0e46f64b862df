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

const char *chaos_dom_state_name(enum chaos_dom_state state)
{
    switch (state) {
        case CHAOS_DOM_RUNNING:
            return "running";
        case CHAOS_DOM_BLOCKED:
            return "blocked";
        case CHAOS_DOM_PAUSED:
            return "paused";
        case CHAOS_DOM_SHUTDOWN:
            return "shutdown";
        case CHAOS_DOM_CRASHED:
            return "crashed";
        case CHAOS_DOM_DYING:
            return "dying";
    }
    return "unknown";
}

const char *chaos_shutdown_reason_name(int reason)
{
    /* Xen's SHUTDOWN_* codes (public/sched.h), which are ABI. */
    static const char *const names[] = {
        "poweroff", "reboot", "suspend", "crash", "watchdog", "soft_reset",
    };
    if (reason >= 0 && reason < (int)N_ELEMENTS(names))
        return names[reason];
    return "unknown";
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
        chaos__fill_names(ctx, *list, n);
    return n;
}

void chaos_dominfo_free(struct chaos_dominfo *list)
{
    free(list);
}
