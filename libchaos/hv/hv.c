/*
 * hv.c - the hypervisor module (see hv.h).  Translates between Xen's
 * interfaces and the project's types, and turns Xen's errno values into
 * messages that say which hypercall failed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xenctrl.h>
#include <xenforeignmemory.h>
#include <xentoollog.h>

#include "hv_build.h"
#include "hv_private.h"
#include "hv_xs.h"

/*
 * Xen's libraries report details through a xentoollog logger and print to
 * stderr when given none.  Library code must not print, so this logger keeps
 * the last warning or error instead; hv_fail() appends it to the failure's
 * message, where the caller sees it.
 */
struct capture_logger {
    xentoollog_logger vtable;
    char last[256];
    char first[256]; /* the first error since hv_clear_log (the cause,
                        where a library logs each frame it unwinds) */
};

static void capture_vmessage(xentoollog_logger *logger, xentoollog_level level,
                             int errnoval, const char *context,
                             const char *format, va_list al)
{
    struct capture_logger *cl = (struct capture_logger *)logger;
    if (level < XTL_WARN)
        return;
    int n = snprintf(cl->last, sizeof(cl->last), "%s%s", context ? context : "",
                     context ? ": " : "");
    if (n >= 0 && (size_t)n < sizeof(cl->last))
        vsnprintf(cl->last + n, sizeof(cl->last) - (size_t)n, format, al);
    if (level >= XTL_ERROR && !cl->first[0])
        memcpy(cl->first, cl->last, sizeof(cl->first));
}

static void capture_progress(xentoollog_logger *logger, const char *context,
                             const char *doing_what, int percent,
                             unsigned long done, unsigned long total)
{
}

static void capture_destroy(xentoollog_logger *logger)
{
}

struct chaos_hv {
    struct capture_logger log;
    xc_interface *xch;
    xenforeignmemory_handle *fmem; /* hv_fmem()'s */
    struct chaos_hv_xs xs;
    char *errbuf; /* where failures are written (hv_open's caller's) */
    size_t errlen;
};

struct chaos_hv_xs *hv_xs_slot(struct chaos_hv *hv)
{
    return &hv->xs;
}

xc_interface *hv_xch(struct chaos_hv *hv)
{
    return hv->xch;
}

xenforeignmemory_handle *hv_fmem(struct chaos_hv *hv)
{
    return hv->fmem;
}

xentoollog_logger *hv_logger(struct chaos_hv *hv)
{
    return &hv->log.vtable;
}

void hv_clear_log(struct chaos_hv *hv)
{
    if (hv) {
        hv->log.last[0] = '\0';
        hv->log.first[0] = '\0';
    }
}

const char *hv_first_error(struct chaos_hv *hv)
{
    return hv->log.first;
}

static int vreport(char *buf, size_t len, int code, const char *fmt, va_list ap)
{
    vsnprintf(buf, len, fmt, ap);
    return code < 0 ? code : -EIO;
}

/* Writes a message into a buffer that is not (yet) a handle's. */
static int report(char *buf, size_t len, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int report(char *buf, size_t len, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    code = vreport(buf, len, code, fmt, ap);
    va_end(ap);
    return code;
}

int hv_error(struct chaos_hv *hv, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    code = vreport(hv->errbuf, hv->errlen, code, fmt, ap);
    va_end(ap);
    return code;
}

int hv_fail(struct chaos_hv *hv, int err, const char *fmt, ...)
{
    if (err <= 0)
        err = EIO;
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    /* Xen's own message, when it logged one, is more precise than errno,
     * which some libxenguest paths leave stale. */
    const char *xen = hv->log.last;
    hv_error(hv, -err, "%s: %s", what, xen[0] ? xen : strerror(err));
    hv_clear_log(hv);
    return -err;
}

int hv_open(struct chaos_hv **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    struct chaos_hv *hv = calloc(1, sizeof(*hv));
    if (!hv)
        return report(errbuf, errlen, -ENOMEM, "out of memory");
    hv->errbuf = errbuf;
    hv->errlen = errlen;
    hv->log.vtable = (xentoollog_logger){
        .vmessage = capture_vmessage,
        .progress = capture_progress,
        .destroy = capture_destroy,
    };
    xentoollog_logger *logger = &hv->log.vtable;
    hv->xch = xc_interface_open(logger, logger, 0);
    if (!hv->xch) {
        int err = errno ? errno : ENODEV;
        free(hv);
        return report(
            errbuf, errlen, -err,
            "cannot open the Xen control interface (/dev/xen/privcmd): %s; "
            "is this dom0 of a Xen host, with the xen-privcmd driver loaded, "
            "and are you root?",
            strerror(err));
    }
    /* With the handle, not at first use: a process's descriptors stay
     * what they were after it opened Xen (chaosd's tests count them). */
    hv->fmem = xenforeignmemory_open(logger, 0);
    if (!hv->fmem) {
        int err = errno ? errno : ENODEV;
        xc_interface_close(hv->xch);
        free(hv);
        return report(errbuf, errlen, -err,
                      "cannot open xenforeignmemory (/dev/xen/privcmd): %s",
                      strerror(err));
    }
    *out = hv;
    return 0;
}

void hv_close(struct chaos_hv *hv)
{
    if (!hv)
        return;
    hv_xs_close(hv);
    if (hv->fmem)
        xenforeignmemory_close(hv->fmem);
    xc_interface_close(hv->xch);
    free(hv);
}

int hv_physinfo(struct chaos_hv *hv, struct chaos_physinfo *out)
{
    xc_interface *xch = hv->xch;
    xc_physinfo_t pi;
    memset(&pi, 0, sizeof(pi));
    if (xc_physinfo(xch, &pi) != 0)
        return hv_error(hv, -errno, "XEN_SYSCTL_physinfo failed: %s",
                        strerror(errno));

    int ver = xc_version(xch, XENVER_version, NULL);
    if (ver < 0)
        return hv_error(hv, -errno, "XENVER_version failed: %s",
                        strerror(errno));
    xen_extraversion_t extra;
    memset(extra, 0, sizeof(extra));
    if (xc_version(xch, XENVER_extraversion, &extra) < 0)
        return hv_error(hv, -errno, "XENVER_extraversion failed: %s",
                        strerror(errno));

    long page = XC_PAGE_SIZE;
    *out = (struct chaos_physinfo){
        .nr_cpus = pi.nr_cpus,
        .nr_nodes = pi.nr_nodes,
        .cores_per_socket = pi.cores_per_socket,
        .threads_per_core = pi.threads_per_core,
        .cpu_khz = pi.cpu_khz,
        .total_bytes = (uint64_t)pi.total_pages * page,
        .free_bytes = (uint64_t)pi.free_pages * page,
        .xen_major = (unsigned)ver >> 16,
        .xen_minor = (unsigned)ver & 0xffff,
        .cap_pv = pi.capabilities & XEN_SYSCTL_PHYSCAP_pv,
        .cap_hvm = pi.capabilities & XEN_SYSCTL_PHYSCAP_hvm,
        .cap_hap = pi.capabilities & XEN_SYSCTL_PHYSCAP_hap,
        .cap_shadow = pi.capabilities & XEN_SYSCTL_PHYSCAP_shadow,
    };
    snprintf(out->xen_extra, sizeof(out->xen_extra), "%s", extra);
    return 0;
}

static enum chaos_dom_state state_of(uint32_t flags)
{
    if (flags & XEN_DOMINF_dying)
        return CHAOS_DOM_DYING;
    if (flags & XEN_DOMINF_shutdown) {
        unsigned reason =
            (flags >> XEN_DOMINF_shutdownshift) & XEN_DOMINF_shutdownmask;
        return reason == SHUTDOWN_crash ? CHAOS_DOM_CRASHED
                                        : CHAOS_DOM_SHUTDOWN;
    }
    if (flags & XEN_DOMINF_paused)
        return CHAOS_DOM_PAUSED;
    if (flags & XEN_DOMINF_blocked)
        return CHAOS_DOM_BLOCKED;
    return CHAOS_DOM_RUNNING;
}

static void fill_dominfo(const xc_domaininfo_t *d, struct chaos_dominfo *out)
{
    *out = (struct chaos_dominfo){
        .domid = d->domain,
        .state = state_of(d->flags),
        .pvh_or_hvm = d->flags & XEN_DOMINF_hvm_guest,
        .vcpus = d->nr_online_vcpus,
        .mem_bytes = (uint64_t)d->tot_pages * XC_PAGE_SIZE,
        .maxmem_bytes = (uint64_t)d->max_pages * XC_PAGE_SIZE,
        .cpu_time_ns = d->cpu_time,
        .shutdown_reason =
            (d->flags >> XEN_DOMINF_shutdownshift) & XEN_DOMINF_shutdownmask,
    };
    memcpy(out->uuid, d->handle, sizeof(out->uuid));
    if (d->domain == 0)
        snprintf(out->name, sizeof(out->name), "Domain-0");
}

int hv_domain_list(struct chaos_hv *hv, chaos_domid first,
                   struct chaos_dominfo *out, unsigned max)
{
    xc_domaininfo_t *raw = calloc(max, sizeof(*raw));
    if (!raw)
        return hv_error(hv, -ENOMEM, "out of memory");
    int n = xc_domain_getinfolist(hv->xch, first, max, raw);
    if (n < 0) {
        int err = errno;
        free(raw);
        return hv_error(hv, -err, "XEN_SYSCTL_getdomaininfolist failed: %s",
                        strerror(err));
    }
    for (int i = 0; i < n; i++)
        fill_dominfo(&raw[i], &out[i]);
    free(raw);
    return n;
}

int hv_domain_destroy(struct chaos_hv *hv, chaos_domid domid)
{
    if (xc_domain_destroy(hv->xch, domid) != 0)
        return hv_fail(hv, errno, "destroying domain %u failed", domid);
    return 0;
}

int hv_domain_pause(struct chaos_hv *hv, chaos_domid domid)
{
    if (xc_domain_pause(hv->xch, domid) != 0)
        return hv_fail(hv, errno, "pausing domain %u failed", domid);
    return 0;
}

int hv_domain_unpause(struct chaos_hv *hv, chaos_domid domid)
{
    if (xc_domain_unpause(hv->xch, domid) != 0)
        return hv_fail(hv, errno, "unpausing domain %u failed", domid);
    return 0;
}

/*
 * One domain, by XEN_DOMCTL_getdomaininfo: Xen finds it in its domain
 * hash.  XEN_SYSCTL_getdomaininfolist (xc_domain_getinfolist) walks the
 * domain list up to it instead: with ~1000 guests each call cost ~1 ms
 * under TCG, and a create makes several (docs/benchmarks.md, "N = 1000").
 */
#if HAVE_DECL_XC_DOMAIN_GETINFO_SINGLE
int hv_domain_info(struct chaos_hv *hv, chaos_domid domid,
                   struct chaos_dominfo *out)
{
    xc_domaininfo_t raw;
    if (xc_domain_getinfo_single(hv->xch, domid, &raw) != 0) {
        if (errno == ESRCH)
            return hv_error(hv, -ESRCH, "no domain with id %u", domid);
        return hv_fail(hv, errno, "XEN_DOMCTL_getdomaininfo failed");
    }
    fill_dominfo(&raw, out);
    return 0;
}
#else
/* Xen 4.17's call: for a domain that does not exist it gives the next
 * one (so the id is checked), found by a walk of the list. */
int hv_domain_info(struct chaos_hv *hv, chaos_domid domid,
                   struct chaos_dominfo *out)
{
    xc_dominfo_t d;
    int n = xc_domain_getinfo(hv->xch, domid, 1, &d);
    if (n < 0)
        return hv_fail(hv, errno, "XEN_DOMCTL_getdomaininfo failed");
    if (n == 0 || d.domid != domid)
        return hv_error(hv, -ESRCH, "no domain with id %u", domid);
    /* Back into Xen's own record, for fill_dominfo's one mapping
     * (libxenctrl reports a crash as crashed with shutdown cleared). */
    xc_domaininfo_t raw = {
        .domain = (domid_t)d.domid,
        .flags = (d.dying ? XEN_DOMINF_dying : 0) |
                 (d.shutdown || d.crashed ? XEN_DOMINF_shutdown : 0) |
                 (d.paused ? XEN_DOMINF_paused : 0) |
                 (d.blocked ? XEN_DOMINF_blocked : 0) |
                 (d.hvm ? XEN_DOMINF_hvm_guest : 0) |
                 (d.shutdown_reason & XEN_DOMINF_shutdownmask)
                     << XEN_DOMINF_shutdownshift,
        .tot_pages = d.nr_pages,
        .max_pages = d.max_memkb / (XC_PAGE_SIZE / 1024),
        .cpu_time = d.cpu_time,
        .nr_online_vcpus = d.nr_online_vcpus,
    };
    memcpy(raw.handle, d.handle, sizeof(raw.handle));
    fill_dominfo(&raw, out);
    return 0;
}
#endif

int hv_domain_set_handle(struct chaos_hv *hv, chaos_domid domid,
                         const uint8_t uuid[16])
{
    xen_domain_handle_t handle;
    memcpy(handle, uuid, sizeof(handle));
    if (xc_domain_sethandle(hv->xch, domid, handle) != 0)
        return hv_fail(hv, errno, "setting the UUID of domain %u failed",
                       domid);
    return 0;
}
