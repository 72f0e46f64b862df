/*
 * hv_inplace.h - restoring a PVH guest in place (docs/snapshot.md,
 * "In-place restore"): into a shell whose RAM is already populated,
 * mapped and zeroed, from a migration stream already in memory (the
 * image mapped from the page cache) and indexed (snapshot_stream.h).
 * Part of the hypervisor module (see hv.h).
 *
 * Two calls, so that the slow half runs ahead of the request:
 * hv_inplace_prepare (domain, limits, event channels, RAM populated with
 * 2 MiB pages where it can, mapped in one foreign mapping and zeroed) and
 * hv_inplace_restore (only the non-zero pages copied, the pages the shell
 * lacks populated, then the state records applied as xc_domain_restore
 * applies them for an HVM guest).
 */
#ifndef CHAOS_HV_INPLACE_H
#define CHAOS_HV_INPLACE_H

#include <stdint.h>

#include "hv_build.h"
#include "hv_save.h"
#include "snapshot_stream.h"

struct hv_inplace_shell;

/*
 * A PVH shell for spec (spec->pvh must be true; memory_kib is its RAM):
 * what hv_restore_prepare makes, plus its RAM populated in the PVH layout
 * (docs/pvh.md, "The memory map"), mapped and zeroed.  *out, *domid and
 * io's ports on success; on failure nothing is left.
 */
int hv_inplace_prepare(struct chaos_hv *hv, const struct hv_shell_spec *spec,
                       struct hv_inplace_shell **out, chaos_domid *domid,
                       struct hv_restore_info *io);

/*
 * Restores the stream (stream, indexed as idx) into the shell: pages,
 * TSC, CPUID and MSR policy, HVM parameters (the console and store pages
 * cleared, their event channels io's ports), HVM context, grant refs 0
 * and 1 seeded for dom0; fills io's frames.  The domain stays paused.
 * Once per shell.  On failure the caller destroys the domain.
 */
int hv_inplace_restore(struct chaos_hv *hv, struct hv_inplace_shell *shell,
                       const uint8_t *stream,
                       const struct snap_stream_index *idx,
                       struct hv_restore_info *io);

/* Drops the shell's mapping and state (NULL ok); the domain stays. */
void hv_inplace_release(struct hv_inplace_shell *shell);

#endif /* CHAOS_HV_INPLACE_H */
