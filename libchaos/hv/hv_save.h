/*
 * hv_save.h - saving a guest's memory and CPU state into a file and
 * restoring it into a new domain, with libxenguest's migration stream v2
 * (xc_domain_save / xc_domain_restore); cancelling a suspend.  Part of the
 * hypervisor module (see hv.h).  docs/snapshot.md has the flow and the
 * Xen 4.17 facts it relies on.
 */
#ifndef CHAOS_HV_SAVE_H
#define CHAOS_HV_SAVE_H

#include "hv_build.h"

/*
 * Asks the guest to suspend and waits: 0 once the domain is shut down
 * with reason suspend, or a negative errno with the message already in
 * the handle's buffer (the caller's context: the callback writes it).
 */
typedef int hv_suspend_fn(void *opaque);

/*
 * Writes domid's stream to fd (non-live: the guest is suspended first,
 * through suspend, then every page is sent).  On failure the guest may
 * be suspended (see *suspended) or running.  0 or a negative errno.
 */
int hv_domain_save(struct chaos_hv *hv, chaos_domid domid, int fd,
                   hv_suspend_fn *suspend, void *opaque, bool *suspended);

/*
 * Lets a suspended guest run on in the same domain: its suspend
 * hypercall returns 1, "cancelled" (xc_domain_resume, fast).
 */
int hv_domain_resume(struct chaos_hv *hv, chaos_domid domid);

/* Where a restored guest's rings and channels are. */
struct hv_restore_info {
    uint32_t console_port; /* the guest's, allocated for it */
    uint32_t store_port;
    uint64_t console_frame; /* MFN (PV) or GFN (PVH), from the stream */
    uint64_t store_frame;
};

/*
 * The empty domain a restore goes into: created paused with spec's
 * handle, vCPUs, limits, TSC mode and paging pool (not the CPUID policy:
 * the stream has it), the console and store event channels allocated,
 * and no memory (xc_domain_restore populates it).  memory_kib is not
 * used.  *domid and out's ports on success; on failure nothing is left.
 */
int hv_restore_prepare(struct chaos_hv *hv, const struct hv_shell_spec *spec,
                       chaos_domid *domid, struct hv_restore_info *out);

/*
 * Reads the stream from fd (at its current offset) into domid, prepared
 * by hv_restore_prepare with io's ports; fills io's frames.  The domain
 * stays paused.  On failure the caller destroys it.
 */
int hv_domain_restore(struct chaos_hv *hv, chaos_domid domid, int fd,
                      struct hv_restore_info *io);

#endif /* CHAOS_HV_SAVE_H */
