/*
 * hv_save.c - save and restore on libxenguest's migration stream v2 (see
 * hv_save.h).  Facts from Xen 4.17's sources this relies on
 * (tools/libs/guest/, docs/snapshot.md lists them with the lab's proof):
 *
 *  - xc_domain_save() without XCFLAGS_LIVE calls the suspend callback,
 *    then checks the domain is shut down with SHUTDOWN_suspend, then sends
 *    every page (xg_sr_save.c: suspend_domain, send_domain_memory_nonlive).
 *    Its PV setup maps the guest's p2m *before* suspending (the guest must
 *    have published it in shared info).  For an HVM (PVH) domain it
 *    asserts a switch_qemu_logdirty callback, which it calls from setup
 *    and cleanup (xg_sr_save_x86_hvm.c): a no-op without QEMU.
 *  - xc_domain_restore() populates the memory itself and refuses pages
 *    beyond max memory; it rewrites the PV start info's store and console
 *    frames and ports (xg_sr_restore_x86_pv.c: process_start_info), sets
 *    and clears the PVH store and console pages from the stream's HVM
 *    parameters and sets their event channels (xg_sr_restore_x86_hvm.c),
 *    seeds grant refs 0 and 1 for dom0, applies the stream's CPUID and MSR
 *    policy (xg_sr_common_x86.c: x86_static_data_complete) and the PV
 *    address size.  It reads the stream from the fd's current offset up
 *    to its END record.
 *  - xc_domain_resume(fast = 1) sets the suspend hypercall's return value
 *    to 1 ("cancelled") and resumes the domain (xg_resume.c); for an HVM
 *    domain only if HVM_PARAM_CALLBACK_IRQ is set.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hv_build_int.h" /* first: Xen's headers need xenctrl.h's types */

#include "hv_save.h"

struct save_state {
    struct chaos_hv *hv;
    hv_suspend_fn *suspend;
    void *opaque;
    int suspend_rc; /* the callback's failure, its message kept */
    bool called;
};

/* libxenguest's convention: nonzero is success (xg_sr_save.c). */
static int on_suspend(void *data)
{
    struct save_state *st = data;
    st->called = true;
    st->suspend_rc = st->suspend(st->opaque);
    return st->suspend_rc == 0;
}

/* There is no QEMU to log dirty pages: nothing to switch. */
static int on_logdirty(uint32_t domid, unsigned enable, void *data)
{
    (void)domid;
    (void)enable;
    (void)data;
    return 0;
}

/* A failure of libxenguest's save or restore: what failed first (the
 * cause), then how it ended, when they differ. */
static int stream_fail(struct chaos_hv *hv, int err, const char *what)
{
    char first[256];
    snprintf(first, sizeof(first), "%s", hv_first_error(hv));
    if (!first[0])
        return hv_fail(hv, err, "%s", what);
    /* errno may be stale here (libxenguest's ERROR() sets none). */
    return hv_error(hv, -(err > 0 ? err : EIO), "%s: %s", what, first);
}

int hv_domain_save(struct chaos_hv *hv, chaos_domid domid, int fd,
                   hv_suspend_fn *suspend, void *opaque, bool *suspended)
{
    struct save_state st = { .hv = hv, .suspend = suspend, .opaque = opaque };
    struct save_callbacks cb = {
        .suspend = on_suspend,
        .switch_qemu_logdirty = on_logdirty,
        .data = &st,
    };
    hv_clear_log(hv);
    int rc = xc_domain_save(hv_xch(hv), fd, domid, 0 /* not live */, &cb,
                            XC_STREAM_PLAIN, -1);
    int err = errno;
    struct chaos_dominfo info;
    *suspended = hv_domain_info(hv, domid, &info) == 0 &&
                 info.state == CHAOS_DOM_SHUTDOWN &&
                 info.shutdown_reason == SHUTDOWN_suspend;
    if (rc == 0)
        return 0;
    if (st.called && st.suspend_rc)
        return st.suspend_rc; /* its message says why */
    if (err == ENOSPC || err == EDQUOT)
        return hv_error(hv, -err,
                        "writing the image failed: %s (the disk is full)",
                        strerror(err));
    if (!st.called)
        return stream_fail(hv, err,
                           "xc_domain_save failed before suspending the "
                           "guest (a PV guest must publish its p2m for a "
                           "save)");
    return stream_fail(hv, err, "xc_domain_save failed");
}

int hv_domain_resume(struct chaos_hv *hv, chaos_domid domid)
{
    hv_clear_log(hv);
    if (xc_domain_resume(hv_xch(hv), domid, 1 /* fast: cancelled */) != 0)
        return FAIL(hv, "xc_domain_resume failed");
    return 0;
}

int hv_restore_prepare(struct chaos_hv *hv, const struct hv_shell_spec *spec,
                       chaos_domid *domid, struct hv_restore_info *out)
{
    xc_interface *xch = hv_xch(hv);
    chaos_domid id;
    int rc = spec->pvh ? hv_pvh_check(hv, spec) : 0;
    if (!rc)
        rc = hv__create_domain(hv, spec, &id);
    if (rc)
        return rc;
    memset(out, 0, sizeof(*out));
    rc = hv__set_limits(hv, id, spec, false /* the stream's CPUID */);
    if (!rc && spec->pvh)
        rc = hv_pvh_params(hv, id);
    if (!rc) {
        /* Console and store back ends are in dom0 (remote domain 0). */
        int port = xc_evtchn_alloc_unbound(xch, id, 0);
        if (port < 0)
            rc = FAIL(hv, "allocating the console event channel failed");
        else
            out->console_port = (uint32_t)port;
    }
    if (!rc) {
        int port = xc_evtchn_alloc_unbound(xch, id, 0);
        if (port < 0)
            rc = FAIL(hv, "allocating the store event channel failed");
        else
            out->store_port = (uint32_t)port;
    }
    if (rc) {
        xc_domain_destroy(xch, id); /* its event channels go with it */
        return rc;
    }
    *domid = id;
    return 0;
}

struct restore_state {
    struct chaos_hv *hv;
    chaos_domid domid;
};

/* Streams from before Xen 4.14 carry no CPUID policy: make one, as libxl
 * does (libxl_create.c: ..._static_data_done, restore = true). */
static int on_static_data_done(unsigned int missing, void *data)
{
    struct restore_state *st = data;
    if (!(missing & XGR_SDD_MISSING_CPUID))
        return 0;
    return xc_cpuid_apply_policy(hv_xch(st->hv), st->domid, true, NULL, 0,
                                 true /* pae */, false, false, NULL, NULL);
}

int hv_domain_restore(struct chaos_hv *hv, chaos_domid domid, int fd,
                      struct hv_restore_info *io)
{
    struct restore_state st = { .hv = hv, .domid = domid };
    struct restore_callbacks cb = {
        .static_data_done = on_static_data_done,
        .data = &st,
    };
    unsigned long store = 0, console = 0;
    hv_clear_log(hv);
    if (xc_domain_restore(hv_xch(hv), fd, domid, io->store_port, &store, 0,
                          io->console_port, &console, 0, XC_STREAM_PLAIN, &cb,
                          -1) != 0) {
        int err = errno;
        if (err == ENOMEM)
            return stream_fail(hv, err,
                               "xc_domain_restore failed: not enough free "
                               "memory (see free_memory in `chaos info`)");
        return stream_fail(hv, err, "xc_domain_restore failed");
    }
    io->store_frame = store;
    io->console_frame = console;
    return 0;
}
