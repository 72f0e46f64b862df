/*
 * hv_dev.h - what device back ends in dom0 user space need from Xen:
 * event channels (many ports on one handle), grant mapping and grant copy
 * (gntdev), and a foreign mapping of one guest page (the noxs page).  Part
 * of the hypervisor module: the implementation (hv_dev.c) uses
 * libxenevtchn, libxengnttab and libxenforeignmemory; this interface only
 * the project's types.
 *
 * Errors: negative errno, with the text in the hv handle's buffer (hv.h).
 * Every object keeps the hv handle it was opened with and must not outlive
 * it; none may be used across fork().
 */
#ifndef CHAOS_HV_DEV_H
#define CHAOS_HV_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "hv.h"

/* ---- Event channels --------------------------------------------------- */

/* Allocates an unbound port in domid's table whose other end may be bound
 * by remote (dom0: 0).  The prepare phase gives each device one. */
int hv_evtchn_alloc_unbound(struct chaos_hv *hv, chaos_domid domid,
                            chaos_domid remote, uint32_t *port);
/* (There is no undo: Xen closes only the caller's own ports.  A port left
 * unbound costs nothing and goes with its domain, which is what a failed
 * prepare destroys anyway.) */

/* One handle, any number of bound ports, one fd to poll. */
struct hv_evtchn;
int hv_evtchn_open(struct chaos_hv *hv, struct hv_evtchn **out);
void hv_evtchn_close(struct hv_evtchn *ev); /* unbinds everything; NULL ok */
int hv_evtchn_fd(struct hv_evtchn *ev);     /* readable: a port is pending */

/* Binds the guest's port remote_port (interdomain); *local_port is ours. */
int hv_evtchn_bind(struct hv_evtchn *ev, chaos_domid domid,
                   uint32_t remote_port, uint32_t *local_port);
int hv_evtchn_unbind(struct hv_evtchn *ev, uint32_t local_port);
int hv_evtchn_notify(struct hv_evtchn *ev, uint32_t local_port);

/* Call when the fd polled readable: the pending port, already unmasked
 * again (look at the state it signals after this, not before), or
 * -EAGAIN when nothing is pending. */
int hv_evtchn_pending(struct hv_evtchn *ev, uint32_t *local_port);

/* ---- Grants ------------------------------------------------------------- */

struct hv_gnttab;
int hv_gnttab_open(struct chaos_hv *hv, struct hv_gnttab **out);
void hv_gnttab_close(struct hv_gnttab *gt); /* NULL ok; unmap first */

/* Maps count pages the guest granted (refs[i]) contiguously; NULL and the
 * hv error on failure (a bad ref is the guest's fault: -EPROTO-worthy). */
void *hv_gnttab_map(struct hv_gnttab *gt, chaos_domid domid,
                    const uint32_t *refs, unsigned count, bool writable);
int hv_gnttab_unmap(struct hv_gnttab *gt, void *addr, unsigned count);

/* One grant copy: between the guest's granted page (ref, offset) and a
 * buffer of ours; len bytes, not crossing a page on either side. */
struct hv_gcopy {
    bool to_guest; /* true: local -> guest (rx), false: guest -> local */
    uint32_t ref;
    uint16_t offset;
    uint16_t len;
    void *local;
    int16_t status; /* out: 0 done, < 0 Xen's GNTST_* (bad ref, ...) */
};
/* Copies all segments (one hypercall); returns 0 when the hypercall ran
 * (look at each status) or the hv error. */
int hv_gnttab_copy(struct hv_gnttab *gt, chaos_domid domid,
                   struct hv_gcopy *segs, unsigned count);

/* ---- A guest page mapped by dom0 (privileged foreign mapping) ----------- */

struct hv_page;
/* Maps frame (PV: machine frame, PVH: guest frame) of domid read-write. */
int hv_page_map(struct chaos_hv *hv, chaos_domid domid, uint64_t frame,
                struct hv_page **out);
void *hv_page_addr(struct hv_page *pg);
void hv_page_unmap(struct hv_page *pg); /* NULL ok */

#endif /* CHAOS_HV_DEV_H */
