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
