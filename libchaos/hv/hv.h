/*
 * hv.h - the hypervisor module (libchaos/hv/, libhv.la): the one part of
 * chaos that calls libxenctrl, libxenguest, libxenforeignmemory,
 * libxengnttab, libxenevtchn and libxenstore.  It takes and returns the
 * project's own types, so that everything above it can be read (and
 * unit-tested) without Xen.
 *
 * It stands alone: it knows nothing of the chaos_ctx (internal.h).  Its
 * functions take its own handle, struct chaos_hv, and write the text of
 * a failure into the buffer hv_open() was given (the context's message
 * buffer, so callers pass errors on without copying).  What it includes
 * from the rest of libchaos is pure code with no state: chaos.h for the
 * public types, acpi.h (hv_build_pvh.c: a PVH guest's ACPI tables),
 * registry.h (hv_xs.c: formatting UUIDs), console/console_ring.h
 * (hv_console.c: checking its ring layout against Xen's) and
 * snapshot_stream.h (hv_inplace.c: the index of a migration stream).
 */
#ifndef CHAOS_HV_H
#define CHAOS_HV_H

#include <stddef.h>

#include "chaos.h"

/* The connection to Xen's interfaces; opaque outside libchaos/hv/. */
struct chaos_hv;

/*
 * Opens the Xen interfaces into *out (NULL on failure).  errbuf (errlen
 * bytes) receives the message of every failure of this handle, this open
 * included (even when the handle itself cannot be allocated); it must
 * outlive the handle.  Returns 0 or a negative errno.
 */
int hv_open(struct chaos_hv **out, char *errbuf, size_t errlen);
void hv_close(struct chaos_hv *hv); /* NULL ok */

int hv_physinfo(struct chaos_hv *hv, struct chaos_physinfo *out);

/* Fills up to max entries starting at domid first; returns the count. */
int hv_domain_list(struct chaos_hv *hv, chaos_domid first,
                   struct chaos_dominfo *out, unsigned max);

/* Forgets the last message Xen's libraries logged (start of an operation).
 * NULL ok. */
void hv_clear_log(struct chaos_hv *hv);

#endif /* CHAOS_HV_H */
