/*
 * Xen system time (ns since the host booted) read from shared_info, and the
 * age of our vCPU, the basis of the boot time the demos report.
 */
#ifndef CHAOS_UK_CLOCK_H
#define CHAOS_UK_CLOCK_H

#include <stdint.h>

#include "xen_abi.h"

void clock_init(struct shared_info *shared);

/* Xen system time now, in ns. */
uint64_t clock_now_ns(void);

/*
 * Nanoseconds since vCPU 0 was created (XEN_DOMCTL_max_vcpus, issued by
 * the toolstack right after XEN_DOMCTL_createdomain); see timemath.h and
 * docs/unikernel.md.  0 if Xen refuses to tell.
 */
uint64_t clock_vcpu_age_ns(void);

#endif
