/*
 * hv_events.c - Xen's domain-state notifications (see hv_events.h): the
 * VIRQ_DOM_EXC interrupt on an event channel of our own, or xenstored's
 * domain watches.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include <xenctrl.h>
#include <xenevtchn.h>
#include <xenstore.h>

#include "hv_events.h"
#include "hv_private.h"
#include "hv_xs.h"

struct hv_events {
    enum hv_events_kind kind;
    xenevtchn_handle *xce; /* VIRQ */
    evtchn_port_t port;
    struct xs_handle *xs; /* XENSTORE: a connection of our own, so
                                   the handle's requests never meet our
                                   watch events */
};

static const char TOKEN[] = "chaos-events";

/* Binds VIRQ_DOM_EXC; false if another process has it (or no driver). */
static bool try_virq(struct chaos_hv *hv, struct hv_events *ev)
{
    ev->xce = xenevtchn_open(hv_logger(hv), 0);
    if (!ev->xce)
        return false;
    xenevtchn_port_or_error_t port = xenevtchn_bind_virq(ev->xce, VIRQ_DOM_EXC);
    if (port < 0) {
        xenevtchn_close(ev->xce);
        ev->xce = NULL;
        return false;
    }
    ev->port = (evtchn_port_t)port;
    ev->kind = HV_EVENTS_VIRQ;
    return true;
}

static bool try_xenstore(struct hv_events *ev)
{
    if (!hv_xs_daemon_listening())
        return false;
    ev->xs = xs_open(0);
    if (!ev->xs)
        return false;
    /* @releaseDomain: a domain xenstored knows shut down or died;
     * @introduceDomain: one was introduced to it. */
    if (!xs_watch(ev->xs, "@releaseDomain", TOKEN) ||
        !xs_watch(ev->xs, "@introduceDomain", TOKEN) || xs_fileno(ev->xs) < 0) {
        xs_close(ev->xs);
        ev->xs = NULL;
        return false;
    }
    ev->kind = HV_EVENTS_XENSTORE;
    return true;
}

int hv_events_open(struct chaos_hv *hv, struct hv_events **out)
{
    struct hv_events *ev = calloc(1, sizeof(*ev));
    if (!ev)
        return hv_error(hv, -ENOMEM, "out of memory");
    ev->kind = HV_EVENTS_POLL;
    if (!try_virq(hv, ev))
        try_xenstore(ev);
    /* A refused bind is expected (xenstored holds the VIRQ): not a
     * message for the next failure to report. */
    hv_clear_log(hv);
    *out = ev;
    return 0;
}

enum hv_events_kind hv_events_kind(const struct hv_events *ev)
{
    return ev->kind;
}

int hv_events_fd(const struct hv_events *ev)
{
    switch (ev->kind) {
        case HV_EVENTS_VIRQ:
            return xenevtchn_fd(ev->xce);
        case HV_EVENTS_XENSTORE:
            return xs_fileno(ev->xs);
        case HV_EVENTS_POLL:
            break;
    }
    return -1;
}

static bool readable(int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    return poll(&p, 1, 0) > 0 && (p.revents & POLLIN);
}

/*
 * The evtchn device may block in read() even when set non-blocking
 * (xenevtchn.h), hence a poll() before each xenevtchn_pending().  The
 * port is unmasked at once: the caller looks at the domain list after
 * this, so a change that happens from here on raises a new notification
 * and none is lost.
 */
static int drain_virq(struct chaos_hv *hv, struct hv_events *ev)
{
    int n = 0;
    int fd = xenevtchn_fd(ev->xce);
    while (readable(fd)) {
        xenevtchn_port_or_error_t port = xenevtchn_pending(ev->xce);
        if (port < 0)
            return hv_fail(hv, errno,
                           "reading the VIRQ_DOM_EXC event "
                           "channel failed");
        if (xenevtchn_unmask(ev->xce, (evtchn_port_t)port) != 0)
            return hv_fail(hv, errno, "unmasking event channel %d failed",
                           port);
        n++;
    }
    return n;
}

static int drain_xenstore(struct chaos_hv *hv, struct hv_events *ev)
{
    int n = 0;
    char **w;
    while ((w = xs_check_watch(ev->xs)) != NULL) {
        free(w);
        n++;
    }
    if (errno != EAGAIN)
        return hv_fail(hv, errno,
                       "reading XenStore watch events failed "
                       "(did xenstored stop?)");
    return n;
}

int hv_events_drain(struct chaos_hv *hv, struct hv_events *ev)
{
    switch (ev->kind) {
        case HV_EVENTS_VIRQ:
            return drain_virq(hv, ev);
        case HV_EVENTS_XENSTORE:
            return drain_xenstore(hv, ev);
        case HV_EVENTS_POLL:
            break;
    }
    return 0;
}

void hv_events_close(struct hv_events *ev)
{
    if (!ev)
        return;
    if (ev->xce) {
        /* Closing unbinds too; unbinding first frees the VIRQ at once
         * for xenstored or the next subscriber. */
        xenevtchn_unbind(ev->xce, ev->port);
        xenevtchn_close(ev->xce);
    }
    if (ev->xs) {
        xs_unwatch(ev->xs, "@releaseDomain", TOKEN);
        xs_unwatch(ev->xs, "@introduceDomain", TOKEN);
        xs_close(ev->xs);
    }
    free(ev);
}
