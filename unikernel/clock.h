/*
 * Xen system time (ns since the host booted) read from shared_info, the
 * program's clock built on it, and the age of our vCPU, the basis of the
 * boot time the demos report.
 */
#ifndef CHAOS_UK_CLOCK_H
#define CHAOS_UK_CLOCK_H

#include <stdint.h>

#include "xen_abi.h"

void clock_init(struct shared_info *shared);

/*
 * The program's clock, in ns: Xen system time until the guest is first
 * restored into a new domain; from then on it goes on from where it was
 * at suspend (timemath.h), so it never jumps.  Every deadline in the
 * kernel's interface is on this clock.
 */
uint64_t clock_now_ns(void);

/* Xen system time now, in ns (what Xen's own timestamps are in). */
uint64_t clock_xen_ns(void);

/* The Xen time of a deadline on the program's clock (0: none stays 0),
 * for SCHEDOP_poll. */
uint64_t clock_to_xen_deadline(uint64_t deadline_ns);

/* Suspend (suspend.c): remember the program's clock; after a restore
 * into a new domain, read time from the new shared_info and make the
 * program's clock go on from the remembered value. */
void clock_suspend(void);
void clock_resume(struct shared_info *shared);

/*
 * Nanoseconds since vCPU 0 was created (XEN_DOMCTL_max_vcpus, issued by
 * the toolstack right after XEN_DOMCTL_createdomain); see timemath.h and
 * docs/unikernel.md.  0 if Xen refuses to tell.  After a restore: since
 * the new domain's vCPU 0 was created.
 */
uint64_t clock_vcpu_age_ns(void);

#endif
