/*
 * context.c - the chaos_ctx lifecycle and error reporting.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "hv/hv.h"
#include "hv/hv_xs.h"
#include "internal.h"
#include "kernel_cache.h"

const char *chaos_version_string(void)
{
    return PACKAGE_VERSION;
}

int chaos__fail(chaos_ctx *ctx, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->errmsg, sizeof(ctx->errmsg), fmt, ap);
    va_end(ap);
    return code < 0 ? code : -EIO;
}

void chaos__clear_error(chaos_ctx *ctx)
{
    ctx->errmsg[0] = '\0';
    hv_clear_log(ctx->hv);
}

int chaos__need_hv(chaos_ctx *ctx)
{
    chaos__clear_error(ctx);
    if (!ctx->hv)
        return chaos__fail(ctx, -ENODEV, "context is not connected to Xen");
    return 0;
}

int chaos_open(chaos_ctx **ctxp)
{
    chaos_ctx *ctx = calloc(1, sizeof(*ctx));
    *ctxp = ctx;
    if (!ctx)
        return -ENOMEM;
    /* The module writes its failures straight into the context's message,
     * this open's included. */
    int rc = hv_open(&ctx->hv, ctx->errmsg, sizeof(ctx->errmsg));
    /* When xenstored runs, the context's connection to it is made now, not
     * at its first use (a destroy forgetting a domain, a name looked up):
     * a daemon's descriptors then stay what they were at its start (a
     * chaosd builder's first destroy added one in test-chaosd-template-vif
     * when xenstored ran).  Nothing when it does not run. */
    if (rc == 0)
        hv_xs_running(ctx->hv);
    return rc;
}

void chaos_close(chaos_ctx *ctx)
{
    if (!ctx)
        return;
    hv_close(ctx->hv);
    chaos__kernel_cache_free(ctx);
    free(ctx);
}

const char *chaos_errmsg(const chaos_ctx *ctx)
{
    return ctx ? ctx->errmsg : "out of memory";
}
