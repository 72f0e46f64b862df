/*
 * hv_private.h - shared by the files of the hypervisor module (hv*.c) only:
 * it may name Xen's types, which nothing outside the module sees.
 */
#ifndef CHAOS_HV_PRIVATE_H
#define CHAOS_HV_PRIVATE_H

#include <xenctrl.h>

#include "hv.h"

/* XenStore connection state of a context (hv_xs.c), opened on first use. */
struct chaos_hv_xs {
    struct xs_handle *h;
};
struct chaos_hv_xs *hv_xs_slot(chaos_ctx *ctx);

/* The libxenctrl handle of a connected context. */
xc_interface *hv_xch(chaos_ctx *ctx);

/* The context's logger, for opening more of Xen's libraries: it keeps
 * their messages for hv_fail() instead of printing them. */
xentoollog_logger *hv_logger(chaos_ctx *ctx);

/*
 * Records a failure: the formatted text, then the last message Xen's
 * libraries logged, or strerror(err) if they logged none.  Returns -err.
 */
int hv_fail(chaos_ctx *ctx, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* CHAOS_HV_PRIVATE_H */
