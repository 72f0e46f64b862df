/*
 * hv_console.c - map a guest's console ring and bind its event channel
 * (see hv_console.h).  This is the only console code that talks to Xen.
 */
#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "hv_private.h" /* first: xenctrl.h before the other Xen headers */

#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xentoollog.h>
#include <xen/io/console.h>

#include "console/console_ring.h"
#include "hv_console.h"

/*
 * console_ring.h restates Xen's layout so that the rest of libchaos needs
 * no Xen headers; this is the one place both are visible, so check here
 * that they agree field by field.
 */
#define SAME_OFFSET(field)                                        \
    _Static_assert(offsetof(struct xencons_interface, field) ==   \
                       offsetof(struct console_ring_page, field), \
                   #field)
SAME_OFFSET(in);
SAME_OFFSET(out);
SAME_OFFSET(in_cons);
SAME_OFFSET(in_prod);
SAME_OFFSET(out_cons);
SAME_OFFSET(out_prod);
_Static_assert(sizeof(struct xencons_interface) ==
                   sizeof(struct console_ring_page),
               "same size");
_Static_assert(CONSOLE_RING_PAGE_SIZE == 4096, "one x86 page, as mapped below");

/*
 * libxenforeignmemory logs failures to stderr when given no logger, and
 * the library must not print: this one stays silent.  (The errno values
 * it reports are what the hv error carries.)
 */
static void silent_vmessage(xentoollog_logger *logger, xentoollog_level level,
                            int errnoval, const char *context,
                            const char *format, va_list al)
{
}

static void silent_progress(xentoollog_logger *logger, const char *context,
                            const char *doing_what, int percent,
                            unsigned long done, unsigned long total)
{
}

static void silent_destroy(xentoollog_logger *logger)
{
}

static xentoollog_logger silent_logger = {
    .vmessage = silent_vmessage,
    .progress = silent_progress,
    .destroy = silent_destroy,
};

struct hv_console {
    xenforeignmemory_handle *fmem; /* hv_fmem()'s: not ours to close */
    xenevtchn_handle *xce;
    void *ring;
    evtchn_port_t local_port;
    bool bound;
};

int hv_console_open(struct chaos_hv *hv, chaos_domid domid, uint64_t frame,
                    uint32_t remote_port, struct hv_console **out)
{
    struct hv_console *c = calloc(1, sizeof(*c));
    if (!c)
        return hv_error(hv, -ENOMEM, "out of memory");
    int rc;

    c->fmem = hv_fmem(hv);
    xen_pfn_t pfn = (xen_pfn_t)frame;
    if ((uint64_t)pfn != frame) {
        rc = hv_error(hv, -EINVAL, "console frame 0x%llx out of range",
                      (unsigned long long)frame);
        goto fail;
    }
    /* err == NULL: all or nothing, errno says why. */
    c->ring = xenforeignmemory_map(c->fmem, domid, PROT_READ | PROT_WRITE, 1,
                                   &pfn, NULL);
    if (!c->ring) {
        rc = hv_error(hv, -errno,
                      "cannot map console ring frame 0x%llx "
                      "of domain %u: %s",
                      (unsigned long long)frame, domid, strerror(errno));
        goto fail;
    }
    c->xce = xenevtchn_open(&silent_logger, 0);
    if (!c->xce) {
        rc = hv_error(hv, -errno,
                      "cannot open xenevtchn "
                      "(/dev/xen/evtchn; is xen-evtchn loaded?): %s",
                      strerror(errno));
        goto fail;
    }
    xenevtchn_port_or_error_t port =
        xenevtchn_bind_interdomain(c->xce, domid, remote_port);
    if (port < 0) {
        rc = hv_error(hv, -errno,
                      "cannot bind console event channel "
                      "%u of domain %u: %s",
                      remote_port, domid, strerror(errno));
        goto fail;
    }
    c->local_port = (evtchn_port_t)port;
    c->bound = true;
    *out = c;
    return 0;
fail:
    hv_console_close(c);
    return rc;
}

void *hv_console_ring(struct hv_console *c)
{
    return c->ring;
}

int hv_console_fd(struct hv_console *c)
{
    return xenevtchn_fd(c->xce);
}

int hv_console_ack(struct hv_console *c)
{
    xenevtchn_port_or_error_t port = xenevtchn_pending(c->xce);
    if (port < 0)
        return -errno;
    /* The handle has only our port bound; unmask whatever fired anyway,
     * so that a surprise cannot leave a port masked for ever. */
    if (xenevtchn_unmask(c->xce, (evtchn_port_t)port) < 0)
        return -errno;
    return 0;
}

int hv_console_notify(struct hv_console *c)
{
    return xenevtchn_notify(c->xce, c->local_port) < 0 ? -errno : 0;
}

void hv_console_close(struct hv_console *c)
{
    if (!c)
        return;
    /* Each step runs whatever the others did: nothing may leak. */
    if (c->bound)
        xenevtchn_unbind(c->xce, c->local_port);
    if (c->xce)
        xenevtchn_close(c->xce);
    if (c->ring)
        xenforeignmemory_unmap(c->fmem, c->ring, 1);
    free(c);
}
