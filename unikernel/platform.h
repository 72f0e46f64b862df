/*
 * platform.h - what suspend.c asks of the mode-specific code (pv.c,
 * pvh.c) around SCHEDOP_shutdown(SHUTDOWN_suspend).  Both are linked into
 * every image; boot_info.pv says which one runs.
 */
#ifndef CHAOS_UK_PLATFORM_H
#define CHAOS_UK_PLATFORM_H

#include <stdbool.h>

#include "kernel.h"

/* PV: turns start_info's store and console frames into pfns (what the
 * restore expects) and unmaps shared_info (no Xen page may be mapped at
 * suspend); returns the suspend record, the start info's machine frame. */
unsigned long pv_suspend_prepare(void);

/* PV: maps shared_info again; cancelled, turns start_info's frames back
 * into mfns; in a new domain (the restore wrote mfns there), reads
 * start_info again into *boot and publishes the p2m again. */
void pv_resume(struct boot_info *boot, bool new_domain);

/* PVH: sets HVM_PARAM_CALLBACK_IRQ, without which a cancelled suspend
 * (xc_domain_resume, fast) would return 0 as if restored.  False if Xen
 * refuses: then the guest must not suspend. */
bool pvh_suspend_prepare(void);

/* PVH: in a new domain, maps shared_info again and reads the HVM
 * parameters again into *boot; nothing when cancelled. */
void pvh_resume(struct boot_info *boot, bool new_domain);

#endif
