/*
 * devices_control.c - poweroff, reboot and suspend requests through a noxs
 * guest's control device (docs/noxs.md, "Control").
 *
 * Nobody keeps the control device's event channel bound: the requester
 * (`chaos shutdown`, chaosd, a supervisor) maps the page, writes the
 * request, binds the channel for one notification and lets it go.  So
 * any dom0 process can ask, without a line to the guest's supervisor, and
 * the supervisor needs no part in it.  (Two requesters at the same moment:
 * the second one's bind fails, and it says so.)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "devices.h"
#include "hv/hv_dev.h"
#include "internal.h"
#include "store_serve.h"

static const char *request_name(enum noxs_ctrl_request req)
{
    static const char *const names[] = {
        [NOXS_CTRL_POWEROFF] = "poweroff",
        [NOXS_CTRL_REBOOT] = "reboot",
        [NOXS_CTRL_SUSPEND] = "suspend",
    };
    return req <= NOXS_CTRL_REQUEST_MAX && names[req] ? names[req] : "?";
}

/*
 * Writes req as the next request (its number in *seq) and notifies.  req
 * NOXS_CTRL_NONE withdraws the request before it: it takes its place, and
 * a guest that reads it refuses it and does nothing, so it needs no
 * feature bit.
 */
static int send_request(chaos_ctx *ctx, chaos_domid domid, struct devices *devs,
                        unsigned idx, enum noxs_ctrl_request req, void *page,
                        uint32_t *seq)
{
    struct noxs_device *d = &devs->host.devices[idx];
    struct noxs_page *live = page;
    struct noxs_fe_page fe;
    char why[NOXS_ERR_MAX];

    /* The live sequence number is the guest's memory, but it only numbers
     * requests: a guest that scribbles on it confuses its own control. */
    d->u.control.request_seq = __atomic_load_n(
        &live->devices[idx].be.u.control.request_seq, __ATOMIC_ACQUIRE);
    d->u.control.request = d->u.control.request_seq ? req : NOXS_CTRL_NONE;
    int rc = noxs_page_read(page, &devs->host, &fe, why, sizeof(why));
    if (rc)
        return chaos__fail(ctx, rc, "domain %u: device page: %s", domid, why);
    if (fe.devices[idx].state != NOXS_STATE_CONNECTED ||
        (req != NOXS_CTRL_NONE &&
         !(fe.devices[idx].features & NOXS_CTRL_F(req))))
        return chaos__fail(ctx, -EOPNOTSUPP,
                           "domain %u has not connected its control device "
                           "for %s requests (its kernel does not handle them)",
                           domid, request_name(req));
    d->u.control.request = req;
    d->u.control.request_seq++;
    rc = noxs_page_publish(page, &devs->host, idx, why, sizeof(why));
    if (rc)
        return chaos__fail(ctx, rc, "domain %u: %s", domid, why);
    *seq = d->u.control.request_seq;

    struct hv_evtchn *ev;
    uint32_t local;
    rc = hv_evtchn_open(ctx->hv, &ev);
    if (rc)
        return rc;
    rc = hv_evtchn_bind(ev, domid, d->evtchn, &local);
    if (!rc)
        rc = hv_evtchn_notify(ev, local);
    hv_evtchn_close(ev); /* unbinds: the guest's port is unbound again */
    return rc;
}

/* control/shutdown in domid's private store. */
static void shutdown_path(chaos_domid domid, char *out, size_t len)
{
    snprintf(out, len, "/local/domain/%u/control/shutdown", domid);
}

/* A guest with a private store: through its supervisor's socket.  Stock
 * Linux watches control/shutdown, and takes a request by clearing it
 * (drivers/xen/manage.c: shutdown_handler), as under xl. */
static int request_via_store(chaos_ctx *ctx, chaos_domid domid,
                             enum noxs_ctrl_request req)
{
    char path[64];
    shutdown_path(domid, path, sizeof(path));
    int rc = store_serve_write(ctx, domid, path, request_name(req));
    if (rc == -ENOENT)
        return chaos__fail(ctx, -ESRCH,
                           "domain %u: nobody serves its store (is its "
                           "supervisor running? `chaos list` shows it)",
                           domid);
    return rc;
}

/* The store's answer: a request still there is not taken; anything else
 * ("", as Linux leaves it, or no node) is (libxl_dom_suspend.c:
 * domain_suspend_pvcontrol_acked). */
static int answer_via_store(chaos_ctx *ctx, chaos_domid domid)
{
    char path[64], value[64];
    shutdown_path(domid, path, sizeof(path));
    int rc = store_serve_read(ctx, domid, path, value, sizeof(value));
    if (rc == -ENOENT)
        return NOXS_CTRL_ACK_DONE;
    if (rc == -ESRCH)
        return chaos__fail(
            ctx, -ESRCH, "domain %u: nobody serves its store any more", domid);
    if (rc)
        return rc;
    return strcmp(value, request_name(NOXS_CTRL_SUSPEND)) == 0
               ? NOXS_CTRL_ACK_NONE
               : NOXS_CTRL_ACK_DONE;
}

int devices_request(chaos_ctx *ctx, chaos_domid domid,
                    enum noxs_ctrl_request req)
{
    uint32_t seq;
    return devices_request_seq(ctx, domid, req, &seq);
}

int devices_request_seq(chaos_ctx *ctx, chaos_domid domid,
                        enum noxs_ctrl_request req, uint32_t *seq)
{
    struct devices *devs;
    int rc = devices_record_read(domid, &devs);

    if (rc == -ENOENT)
        return -ENOENT; /* not a noxs guest: no message, see devices.h */
    if (rc)
        return chaos__fail(ctx, rc,
                           "domain %u: its device record is "
                           "unreadable: %s",
                           domid, strerror(-rc));
    if (devs->via_store) {
        devices_free(devs);
        if (req == NOXS_CTRL_NONE) /* devices_request_withdraw's business */
            return chaos__fail(ctx, -EINVAL, "domain %u: no request to send",
                               domid);
        *seq = 1; /* the store keeps one request: no numbers */
        return request_via_store(ctx, domid, req);
    }
    int idx = devices_find(devs, NOXS_DEV_CONTROL);
    struct hv_page *pg = NULL;
    if (idx < 0)
        rc = chaos__fail(ctx, -EOPNOTSUPP, "domain %u has no control device",
                         domid);
    else
        rc = hv_page_map(ctx->hv, domid, devs->page_frame, &pg);
    if (!rc)
        rc = send_request(ctx, domid, devs, (unsigned)idx, req,
                          hv_page_addr(pg), seq);
    hv_page_unmap(pg);
    devices_free(devs);
    return rc;
}

int devices_request_answer(chaos_ctx *ctx, chaos_domid domid, uint32_t seq)
{
    struct devices *devs;
    struct hv_page *pg = NULL;
    struct noxs_fe_page fe;
    char why[NOXS_ERR_MAX];
    int rc = devices_record_read(domid, &devs);
    if (rc)
        return rc;
    if (devs->via_store) {
        devices_free(devs);
        return answer_via_store(ctx, domid);
    }
    int idx = devices_find(devs, NOXS_DEV_CONTROL);
    if (idx < 0)
        rc = -ENOENT;
    else
        rc = hv_page_map(ctx->hv, domid, devs->page_frame, &pg);
    if (!rc) {
        struct noxs_device *d = &devs->host.devices[idx];
        /* The reader takes an answer only for this request number (an
         * answer to a later one, or none yet, is "not answered"); the
         * request's kind only tells it an answer is expected. */
        d->u.control.request_seq = seq;
        d->u.control.request = NOXS_CTRL_SUSPEND;
        rc = noxs_page_read(hv_page_addr(pg), &devs->host, &fe, why,
                            sizeof(why));
        if (rc)
            rc = chaos__fail(ctx, rc, "domain %u: device page: %s", domid, why);
        else if (fe.devices[idx].u.control.answered)
            rc = (int)fe.devices[idx].u.control.ack;
        else
            rc = NOXS_CTRL_ACK_NONE;
    }
    hv_page_unmap(pg);
    devices_free(devs);
    return rc;
}

int devices_request_withdraw(chaos_ctx *ctx, chaos_domid domid, uint32_t seq)
{
    struct devices *devs;
    int rc = devices_record_read(domid, &devs);
    if (rc)
        return rc;
    bool via_store = devs->via_store;
    devices_free(devs);
    if (via_store) {
        /* In one transaction, so that a guest taking it at this moment is
         * seen (libxl does the same). */
        char path[64];
        shutdown_path(domid, path, sizeof(path));
        rc = store_serve_swap(ctx, domid, path, request_name(NOXS_CTRL_SUSPEND),
                              "");
        if (rc == -ESRCH)
            return chaos__fail(ctx, -ESRCH,
                               "domain %u: nobody serves its store any more",
                               domid);
        return rc < 0 ? rc : rc == 1 ? NOXS_CTRL_ACK_NONE : NOXS_CTRL_ACK_DONE;
    }
    /* The request "none" takes its place; the answer to ours, if it came
     * first, still counts. */
    uint32_t none;
    rc = devices_request_seq(ctx, domid, NOXS_CTRL_NONE, &none);
    if (rc)
        return rc;
    rc = devices_request_answer(ctx, domid, seq);
    return rc == NOXS_CTRL_ACK_DONE || rc < 0 ? rc : NOXS_CTRL_ACK_NONE;
}
