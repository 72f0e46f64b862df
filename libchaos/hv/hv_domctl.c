/*
 * hv_domctl.c - vCPU information and the memory limit (see hv_domctl.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hv_domctl.h"
#include "hv_private.h"

/* Copies Xen's map (size bytes) into ours, cut at CHAOS_CPUMAP_BYTES. */
static void copy_map(uint8_t out[CHAOS_CPUMAP_BYTES], const uint8_t *map,
                     int size)
{
    memset(out, 0, CHAOS_CPUMAP_BYTES);
    memcpy(out, map,
           size < CHAOS_CPUMAP_BYTES ? (size_t)size : CHAOS_CPUMAP_BYTES);
}

static int one_vcpu(struct chaos_hv *hv, chaos_domid domid, unsigned v,
                    xc_cpumap_t hard, xc_cpumap_t soft, int mapsize,
                    struct chaos_vcpuinfo *out)
{
    xc_interface *xch = hv_xch(hv);
    xc_vcpuinfo_t vi;
    if (xc_vcpu_getinfo(xch, domid, v, &vi) != 0)
        return hv_fail(hv, errno,
                       "XEN_DOMCTL_getvcpuinfo of domain %u "
                       "vCPU %u failed",
                       domid, v);
    *out = (struct chaos_vcpuinfo){
        .vcpu = v,
        .online = vi.online,
        .running = vi.running,
        .blocked = vi.blocked,
        .cpu = vi.cpu,
        .cpu_time_ns = vi.cpu_time,
    };
    if (xc_vcpu_getaffinity(xch, domid, (int)v, hard, soft,
                            XEN_VCPUAFFINITY_HARD | XEN_VCPUAFFINITY_SOFT) != 0)
        return hv_fail(hv, errno,
                       "XEN_DOMCTL_getvcpuaffinity of domain %u "
                       "vCPU %u failed",
                       domid, v);
    copy_map(out->hard_affinity, hard, mapsize);
    copy_map(out->soft_affinity, soft, mapsize);
    return 0;
}

int hv_vcpu_list(struct chaos_hv *hv, chaos_domid domid,
                 struct chaos_vcpuinfo **out)
{
    xc_interface *xch = hv_xch(hv);
    xc_domaininfo_t di;
    int n = xc_domain_getinfolist(xch, domid, 1, &di);
    if (n < 0)
        return hv_fail(hv, errno, "XEN_SYSCTL_getdomaininfolist failed");
    if (n == 0 || di.domain != domid)
        return hv_error(hv, -ESRCH, "no domain with id %u", domid);
    unsigned count = di.max_vcpu_id + 1;
    int mapsize = xc_get_cpumap_size(xch);
    xc_cpumap_t hard = xc_cpumap_alloc(xch), soft = xc_cpumap_alloc(xch);
    struct chaos_vcpuinfo *list = calloc(count, sizeof(*list));
    int rc = 0;
    if (mapsize <= 0 || !hard || !soft || !list)
        rc = hv_error(hv, -ENOMEM, "out of memory");
    for (unsigned v = 0; rc == 0 && v < count; v++)
        rc = one_vcpu(hv, domid, v, hard, soft, mapsize, &list[v]);
    free(hard);
    free(soft);
    if (rc) {
        free(list);
        return rc;
    }
    *out = list;
    return (int)count;
}

int hv_domain_set_maxmem(struct chaos_hv *hv, chaos_domid domid,
                         uint64_t max_kib)
{
    if (xc_domain_setmaxmem(hv_xch(hv), domid, max_kib) != 0)
        return hv_fail(hv, errno,
                       "setting the memory limit of domain %u "
                       "failed",
                       domid);
    return 0;
}
