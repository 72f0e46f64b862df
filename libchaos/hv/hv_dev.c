/*
 * hv_dev.c - event channels, grants and foreign pages for device back ends
 * (see hv_dev.h).  Thin: each function is one of Xen's library calls with
 * the project's types and error reporting around it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "hv_private.h" /* first: xenctrl.h before the other Xen headers */

#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xengnttab.h>

#include "hv_dev.h"

/* ---- Event channels --------------------------------------------------- */

int hv_evtchn_alloc_unbound(struct chaos_hv *hv, chaos_domid domid,
                            chaos_domid remote, uint32_t *port)
{
    int p = xc_evtchn_alloc_unbound(hv_xch(hv), domid, remote);
    if (p < 0)
        return hv_fail(hv, errno,
                       "cannot allocate an event channel in domain %u", domid);
    *port = (uint32_t)p;
    return 0;
}

struct hv_evtchn {
    struct chaos_hv *hv;
    xenevtchn_handle *xce;
};

int hv_evtchn_open(struct chaos_hv *hv, struct hv_evtchn **out)
{
    struct hv_evtchn *ev = calloc(1, sizeof(*ev));

    *out = NULL;
    if (!ev)
        return hv_error(hv, -ENOMEM, "out of memory");
    ev->hv = hv;
    ev->xce = xenevtchn_open(hv_logger(hv), 0);
    if (!ev->xce) {
        int rc = hv_fail(hv, errno, "cannot open /dev/xen/evtchn");
        free(ev);
        return rc;
    }
    /* Non-blocking, so that hv_evtchn_pending() can drain every pending
     * port after one poll and stop at EAGAIN. */
    int fd = xenevtchn_fd(ev->xce);
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
        int rc = hv_fail(hv, errno,
                         "cannot make /dev/xen/evtchn "
                         "non-blocking");
        xenevtchn_close(ev->xce);
        free(ev);
        return rc;
    }
    *out = ev;
    return 0;
}

void hv_evtchn_close(struct hv_evtchn *ev)
{
    if (!ev)
        return;
    /* Closing the handle unbinds every port bound through it. */
    xenevtchn_close(ev->xce);
    free(ev);
}

int hv_evtchn_fd(struct hv_evtchn *ev)
{
    return xenevtchn_fd(ev->xce);
}

int hv_evtchn_bind(struct hv_evtchn *ev, chaos_domid domid,
                   uint32_t remote_port, uint32_t *local_port)
{
    xenevtchn_port_or_error_t p =
        xenevtchn_bind_interdomain(ev->xce, domid, remote_port);
    if (p < 0)
        return hv_fail(ev->hv, errno,
                       "cannot bind event channel %u of domain %u", remote_port,
                       domid);
    *local_port = (uint32_t)p;
    return 0;
}

int hv_evtchn_unbind(struct hv_evtchn *ev, uint32_t local_port)
{
    if (xenevtchn_unbind(ev->xce, local_port) < 0)
        return hv_fail(ev->hv, errno, "cannot unbind event channel %u",
                       local_port);
    return 0;
}

int hv_evtchn_notify(struct hv_evtchn *ev, uint32_t local_port)
{
    if (xenevtchn_notify(ev->xce, local_port) < 0)
        return hv_fail(ev->hv, errno, "cannot notify event channel %u",
                       local_port);
    return 0;
}

int hv_evtchn_pending(struct hv_evtchn *ev, uint32_t *local_port)
{
    /* The fd polled readable, so this read does not block; the driver
     * masks a port when it reports it, hence the unmask. */
    xenevtchn_port_or_error_t p = xenevtchn_pending(ev->xce);
    if (p < 0) {
        if (errno == EAGAIN)
            return -EAGAIN;
        return hv_fail(ev->hv, errno, "cannot read pending event channels");
    }
    if (xenevtchn_unmask(ev->xce, (evtchn_port_t)p) < 0)
        return hv_fail(ev->hv, errno, "cannot unmask event channel %d", p);
    *local_port = (uint32_t)p;
    return 0;
}

/* ---- Grants ------------------------------------------------------------- */

struct hv_gnttab {
    struct chaos_hv *hv;
    xengnttab_handle *xgt;
};

int hv_gnttab_open(struct chaos_hv *hv, struct hv_gnttab **out)
{
    struct hv_gnttab *gt = calloc(1, sizeof(*gt));

    *out = NULL;
    if (!gt)
        return hv_error(hv, -ENOMEM, "out of memory");
    gt->hv = hv;
    gt->xgt = xengnttab_open(hv_logger(hv), 0);
    if (!gt->xgt) {
        int rc = hv_fail(hv, errno, "cannot open /dev/xen/gntdev");
        free(gt);
        return rc;
    }
    *out = gt;
    return 0;
}

void hv_gnttab_close(struct hv_gnttab *gt)
{
    if (!gt)
        return;
    xengnttab_close(gt->xgt);
    free(gt);
}

void *hv_gnttab_map(struct hv_gnttab *gt, chaos_domid domid,
                    const uint32_t *refs, unsigned count, bool writable)
{
    void *addr = xengnttab_map_domain_grant_refs(
        gt->xgt, count, domid, (uint32_t *)refs,
        PROT_READ | (writable ? PROT_WRITE : 0));
    if (!addr)
        hv_fail(gt->hv, errno, "cannot map %u grant(s) of domain %u (ref %u)",
                count, domid, count ? refs[0] : 0);
    return addr;
}

int hv_gnttab_unmap(struct hv_gnttab *gt, void *addr, unsigned count)
{
    if (xengnttab_unmap(gt->xgt, addr, count) < 0)
        return hv_fail(gt->hv, errno, "cannot unmap %u grant(s)", count);
    return 0;
}

/* Segments per call: gntdev's ioctl takes any count, but a bounded stack
 * array keeps this allocation-free on the data path. */
#define GCOPY_BATCH 64

int hv_gnttab_copy(struct hv_gnttab *gt, chaos_domid domid,
                   struct hv_gcopy *segs, unsigned count)
{
    xengnttab_grant_copy_segment_t xs[GCOPY_BATCH];

    while (count > 0) {
        unsigned n = count < GCOPY_BATCH ? count : GCOPY_BATCH;

        memset(xs, 0, n * sizeof(xs[0]));
        for (unsigned i = 0; i < n; i++) {
            const struct hv_gcopy *s = &segs[i];
            union xengnttab_copy_ptr guest = {
                .foreign = { .ref = s->ref,
                             .offset = s->offset,
                             .domid = domid },
            };
            union xengnttab_copy_ptr local = { .virt = s->local };

            xs[i].source = s->to_guest ? local : guest;
            xs[i].dest = s->to_guest ? guest : local;
            xs[i].flags = s->to_guest ? GNTCOPY_dest_gref : GNTCOPY_source_gref;
            xs[i].len = s->len;
        }
        if (xengnttab_grant_copy(gt->xgt, n, xs) < 0)
            return hv_fail(gt->hv, errno, "grant copy (%u segments) failed", n);
        for (unsigned i = 0; i < n; i++)
            segs[i].status = xs[i].status;
        segs += n;
        count -= n;
    }
    return 0;
}

/* ---- A guest page mapped by dom0 ----------------------------------------- */

struct hv_page {
    xenforeignmemory_handle *fmem; /* hv_fmem()'s: not ours to close */
    void *addr;
};

int hv_page_map(struct chaos_hv *hv, chaos_domid domid, uint64_t frame,
                struct hv_page **out)
{
    struct hv_page *pg = calloc(1, sizeof(*pg));
    xen_pfn_t pfn = (xen_pfn_t)frame;

    *out = NULL;
    if (!pg)
        return hv_error(hv, -ENOMEM, "out of memory");
    pg->fmem = hv_fmem(hv);
    pg->addr = xenforeignmemory_map(pg->fmem, domid, PROT_READ | PROT_WRITE, 1,
                                    &pfn, NULL);
    if (!pg->addr) {
        int rc = hv_fail(hv, errno, "cannot map frame 0x%llx of domain %u",
                         (unsigned long long)frame, domid);
        free(pg);
        return rc;
    }
    *out = pg;
    return 0;
}

void *hv_page_addr(struct hv_page *pg)
{
    return pg->addr;
}

void hv_page_unmap(struct hv_page *pg)
{
    if (!pg)
        return;
    xenforeignmemory_unmap(pg->fmem, pg->addr, 1);
    free(pg);
}
