/*
 * hv_build_int.h - shared by hv_build.c (the prepare/execute sequence and
 * PV guests) and hv_build_pvh.c (what differs for PVH guests).  Names
 * Xen's types, so only the hypervisor module includes it.
 */
#ifndef CHAOS_HV_BUILD_INT_H
#define CHAOS_HV_BUILD_INT_H

#include <xenctrl.h>
#include <xenguest.h>

#include "hv_build.h"
#include "hv_private.h"

struct hv_shell {
    chaos_domid domid;
    bool pvh;
    bool xenstore;
    struct xc_dom_image *dom; /* NULL once executed */
    uint32_t console_port;
    uint32_t store_port;
};

/* Records the failure with Xen's own last message, and returns -errno. */
#define FAIL(hv, what) hv_fail((hv), errno, "%s", (what))

/* XEN_DOMCTL_createdomain (paused) for spec: Xen picks *domid. */
int hv__create_domain(struct chaos_hv *hv, const struct hv_shell_spec *spec,
                      chaos_domid *domid);

/*
 * The domain-wide settings before building or restoring (libxl's
 * libxl__build_pre): vCPUs, max memory, PV memory map limit, PVH paging
 * pool, TSC mode, and with cpuid the CPUID policy (a restore takes the
 * one in its stream instead, as libxl does).
 */
int hv__set_limits(struct chaos_hv *hv, chaos_domid domid,
                   const struct hv_shell_spec *spec, bool cpuid);

/* PVH: the HVM parameters chaos sets before building or restoring
 * (those the migration stream does not carry). */
int hv_pvh_params(struct chaos_hv *hv, chaos_domid domid);

/* PVH: refuses what chaos cannot build, before any domain exists. */
int hv_pvh_check(struct chaos_hv *hv, const struct hv_shell_spec *spec);

/*
 * PVH, prepare (hv_build_pvh.c): the domain-wide HVM settings, the
 * guest's physical memory layout and its ACPI tables, in shell->dom,
 * before xc_dom_mem_init and xc_dom_boot_mem_init populate the memory.
 */
int hv_pvh_prepare(struct chaos_hv *hv, struct hv_shell *shell,
                   const struct hv_shell_spec *spec);

/*
 * PVH, execute, after the kernel is loaded: for a guest given no XenStore,
 * removes the XenStore ring libxenguest always announces to PVH guests.
 */
int hv_pvh_hide_xenstore(struct chaos_hv *hv, struct hv_shell *shell);

#endif /* CHAOS_HV_BUILD_INT_H */
