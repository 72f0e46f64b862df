/*
 * hv_domctl.h - small controls of a running domain: its vCPUs and its
 * memory limit.  Part of the hypervisor module (see hv.h).
 */
#ifndef CHAOS_HV_DOMCTL_H
#define CHAOS_HV_DOMCTL_H

#include "hv.h"

/* The vCPUs of domid, 0 to its highest id, into a malloc'd *out (the
 * caller frees it); returns the count, or a negative errno. */
int hv_vcpu_list(struct chaos_hv *hv, chaos_domid domid,
                 struct chaos_vcpuinfo **out);

/* Xen's limit on the memory domid may own (XEN_DOMCTL_max_mem), in KiB. */
int hv_domain_set_maxmem(struct chaos_hv *hv, chaos_domid domid,
                         uint64_t max_kib);

#endif /* CHAOS_HV_DOMCTL_H */
