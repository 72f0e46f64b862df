/*
 * lab-uk-save: the guest side of save, checked without chaos's own save:
 * asks a noxs guest to suspend through its control device, lets
 * libxenguest's xc_domain_save() write the stream (so Xen 4.17's checks of
 * a PV guest's p2m, page tables and start info record run for real), then
 * resumes the same domain with xc_domain_resume(fast=1): the guest sees a
 * cancelled suspend.  Runs in the lab's dom0 (test-uk-suspend.sh).
 *
 *   lab-uk-save DOMID FRAME offer      a paused guest's control device
 *                                      offers suspend too (be.features)
 *   lab-uk-save DOMID FRAME save FILE  suspend, save to FILE, resume
 *
 * FRAME is the noxs page's frame (PV: mfn, PVH: gfn), as chaos's device
 * record has it.  A lab probe of Xen's own save, hence Xen's headers here
 * (tools/lint/xen-headers.sh exempts it).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xenguest.h>

#include "lab-util.h"
#include "noxs_abi.h"

struct ctx {
    xc_interface *xch;
    uint32_t domid;
    struct noxs_dev *control;
    double suspend_ms;
};

/* The domain's shutdown reason, or -1 while it runs. */
static int shutdown_reason(xc_interface *xch, uint32_t domid)
{
    xc_domaininfo_t info;

    if (xc_domain_getinfolist(xch, domid, 1, &info) != 1 ||
        info.domain != domid)
        return -2;
    if (!(info.flags & XEN_DOMINF_shutdown))
        return -1;
    return (int)((info.flags >> XEN_DOMINF_shutdownshift) &
                 XEN_DOMINF_shutdownmask);
}

/* xc_domain_save's suspend callback: non-zero once suspended. */
static int suspend(void *data)
{
    struct ctx *c = data;
    struct noxs_dev *d = c->control;
    double t0 = lab_now_ms();
    uint32_t seq =
        __atomic_load_n(&d->be.u.control.request_seq, __ATOMIC_ACQUIRE) + 1;

    d->be.u.control.request = NOXS_CTRL_SUSPEND;
    __atomic_store_n(&d->be.u.control.request_seq, seq, __ATOMIC_RELEASE);
    xenevtchn_handle *xce = xenevtchn_open(NULL, 0);
    if (!xce) {
        perror("xenevtchn_open");
        return 0;
    }
    xenevtchn_port_or_error_t local =
        xenevtchn_bind_interdomain(xce, c->domid, d->be.evtchn);
    if (local < 0) {
        perror("bind the control channel");
        xenevtchn_close(xce);
        return 0;
    }
    xenevtchn_notify(xce, (evtchn_port_t)local);
    xenevtchn_unbind(xce, (evtchn_port_t)local);
    xenevtchn_close(xce);
    while (lab_now_ms() - t0 < 30000) {
        int reason = shutdown_reason(c->xch, c->domid);
        uint32_t ack_seq =
            __atomic_load_n(&d->fe.u.control.ack_seq, __ATOMIC_ACQUIRE);

        if (ack_seq == seq && d->fe.u.control.ack != NOXS_CTRL_ACK_DONE) {
            fprintf(stderr, "the guest answered %u, not done\n",
                    d->fe.u.control.ack);
            return 0;
        }
        if (reason == SHUTDOWN_suspend) {
            c->suspend_ms = lab_now_ms() - t0;
            return 1;
        }
        if (reason >= 0 || reason == -2) {
            fprintf(stderr, "the domain shut down with reason %d\n", reason);
            return 0;
        }
        usleep(1000);
    }
    fprintf(stderr, "the guest did not suspend in 30 s\n");
    return 0;
}

static int no_logdirty(uint32_t domid, unsigned enable, void *data)
{
    (void)domid, (void)enable, (void)data;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: lab-uk-save DOMID FRAME offer|save FILE\n");
        return 2;
    }
    struct ctx c = { .domid = (uint32_t)strtoul(argv[1], NULL, 10) };
    xen_pfn_t frame = strtoull(argv[2], NULL, 10);
    c.xch = xc_interface_open(NULL, NULL, 0);
    xenforeignmemory_handle *fmem = xenforeignmemory_open(NULL, 0);
    if (!c.xch || !fmem) {
        perror("open Xen's libraries");
        return 1;
    }
    struct noxs_page *page = xenforeignmemory_map(
        fmem, c.domid, PROT_READ | PROT_WRITE, 1, &frame, NULL);
    if (!page) {
        perror("map the noxs page");
        return 1;
    }
    for (unsigned i = 0; i < page->be.nr_devices && i < NOXS_MAX_DEVICES; i++)
        if (page->devices[i].be.type == NOXS_DEV_CONTROL)
            c.control = &page->devices[i];
    if (page->be.magic != NOXS_MAGIC || !c.control) {
        fprintf(stderr, "no noxs page with a control device at %" PRIu64 "\n",
                (uint64_t)frame);
        return 1;
    }
    if (!strcmp(argv[3], "offer")) {
        c.control->be.features |= NOXS_CTRL_F(NOXS_CTRL_SUSPEND);
        printf("control device offers 0x%x\n", c.control->be.features);
        return 0;
    }
    if (strcmp(argv[3], "save") || argc != 5) {
        fprintf(stderr, "usage: lab-uk-save DOMID FRAME offer|save FILE\n");
        return 2;
    }
    if (!(c.control->fe.features & NOXS_CTRL_F(NOXS_CTRL_SUSPEND))) {
        fprintf(stderr, "the guest did not take suspend (features 0x%x)\n",
                c.control->fe.features);
        return 1;
    }
    int fd = open(argv[4], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        perror(argv[4]);
        return 1;
    }
    struct save_callbacks cb = {
        .suspend = suspend,
        .switch_qemu_logdirty = no_logdirty,
        .data = &c,
    };
    double t0 = lab_now_ms();
    int rc = xc_domain_save(c.xch, fd, c.domid, 0, &cb, XC_STREAM_PLAIN, -1);
    double t1 = lab_now_ms();
    off_t size = lseek(fd, 0, SEEK_END);
    close(fd);
    if (rc)
        fprintf(stderr, "xc_domain_save: %d (%s)\n", rc, strerror(errno));
    if (shutdown_reason(c.xch, c.domid) == SHUTDOWN_suspend &&
        xc_domain_resume(c.xch, c.domid, 1) != 0) {
        perror("xc_domain_resume");
        return 1;
    }
    if (rc)
        return 1;
    printf("saved domain %u: suspend %.1f ms, save %.1f ms, %lld bytes; "
           "resumed (fast)\n",
           c.domid, c.suspend_ms, t1 - t0 - c.suspend_ms, (long long)size);
    return 0;
}
