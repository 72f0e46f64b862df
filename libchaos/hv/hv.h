/*
 * hv.h - the hypervisor module: the one part of chaos that calls libxenctrl,
 * libxenguest, libxenforeignmemory, libxengnttab and libxenevtchn.  It takes
 * and returns the project's own types, so that everything above it can be
 * read (and unit-tested) without Xen.
 */
#ifndef CHAOS_HV_H
#define CHAOS_HV_H

#include "internal.h"

/* Opens the Xen interfaces into ctx->hv; on failure sets the ctx error. */
int hv_open(chaos_ctx *ctx);
void hv_close(chaos_ctx *ctx);

int hv_physinfo(chaos_ctx *ctx, struct chaos_physinfo *out);

/* Fills up to max entries starting at domid first; returns the count. */
int hv_domain_list(chaos_ctx *ctx, chaos_domid first,
                   struct chaos_dominfo *out, unsigned max);

/* Forgets the last message Xen's libraries logged (start of an operation). */
void hv_clear_log(chaos_ctx *ctx);

#endif /* CHAOS_HV_H */
