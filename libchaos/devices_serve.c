/*
 * devices_serve.c - the supervisor's side of a guest's devices (see
 * devices.h and docs/noxs.md): it maps the device page, binds every
 * device's event channel, follows the state machine and runs the back
 * ends (libchaos/backend/) on the supervisor's event loop.  For a guest
 * with a private XenStore (stock Linux), the handshake goes through the
 * store instead of the page (devices_xs.c); the back ends are the same.
 *
 * One input decides: a *scan* of the page (noxs_page_read: the guest's
 * fields copied once and validated).  It runs on every event-channel
 * notification and on the supervisor's sweep when serving starts, which
 * also kicks every back end: a notification sent before we bound a
 * channel (the guest runs before its supervisor starts) was dropped by
 * Xen, and the sweep does what it asked for.  After that, notifications
 * only: the back ends re-arm the guest's event indices before they stop
 * (RING_FINAL_CHECK_FOR_REQUESTS), so none is lost.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "devices.h"
#include "devices_serve.h"
#include "devices_serve_int.h"
#include "hv/hv_dev.h"
#include "internal.h"
#include "store_serve.h"

void devices__say(struct devices_server *s, const char *fmt, ...)
{
    va_list ap;
    /* One message is kept; the supervisor takes it after every call. */
    va_start(ap, fmt);
    vsnprintf(s->msg, sizeof(s->msg), fmt, ap);
    va_end(ap);
    s->has_msg = true;
}

static const char *dev_name(const struct devices_server *s, unsigned i,
                            char *buf, size_t len)
{
    const struct noxs_device *d = &s->devs->host.devices[i];
    if (d->type == NOXS_DEV_NET)
        snprintf(buf, len, "vif %u (%s)", d->devid, s->devs->extra[i].tap);
    else
        snprintf(buf, len, "%s %u", noxs_dev_type_name(d->type), d->devid);
    return buf;
}

/* Writes device i's new back-end state into the page and tells the guest. */
static void set_state(struct devices_server *s, unsigned i,
                      enum noxs_state state)
{
    char why[NOXS_ERR_MAX];

    s->devs->host.devices[i].state = state;
    if (noxs_page_publish(hv_page_addr(s->page), &s->devs->host, i, why,
                          sizeof(why)) != 0)
        devices__say(s, "domain %u: device %u: %s", s->domid, i, why);
    if (s->dev[i].local_port)
        hv_evtchn_notify(s->evtchn, s->dev[i].local_port);
}

void devices__disconnect(struct devices_server *s, unsigned i)
{
    netback_disconnect(s->dev[i].net);
    blkback_disconnect(s->dev[i].blk);
    s->dev[i].net = NULL;
    s->dev[i].blk = NULL;
}

/* A back end failed on device i: log, disconnect, tell the guest. */
static void fail_device(struct devices_server *s, unsigned i, int rc)
{
    char name[48];

    devices__say(s, "domain %u: %s disconnected: %s", s->domid,
                 dev_name(s, i, name, sizeof(name)),
                 s->ctx->errmsg[0] ? s->ctx->errmsg : strerror(-rc));
    devices__disconnect(s, i);
    s->dev[i].failed = true;
    s->device_failed = true;
    if (s->store)
        devices_xs_failed(s, i);
    else
        set_state(s, i, NOXS_STATE_CLOSED);
}

int devices__connect(struct devices_server *s, unsigned i,
                     const struct noxs_fe_device *fe)
{
    const struct noxs_device *d = &s->devs->host.devices[i];
    struct served *v = &s->dev[i];

    s->ctx->errmsg[0] = '\0';
    if (d->type == NOXS_DEV_NET)
        return netback_connect(&s->env, v->local_port, v->fd, d->u.net.mtu, fe,
                               &v->net);
    return blkback_connect(&s->env, v->local_port, v->fd, d->u.blk.sectors,
                           s->devs->extra[i].readonly, fe, &v->blk);
}

/* One device's step of the state machine (docs/noxs.md, "States"). */
static void step(struct devices_server *s, unsigned i,
                 const struct noxs_fe_device *fe)
{
    struct served *v = &s->dev[i];
    enum noxs_state be = s->devs->host.devices[i].state;
    bool connected = v->net || v->blk;

    if (s->devs->host.devices[i].type == NOXS_DEV_CONTROL)
        return; /* devices_control.c: nothing to serve between requests */
    if (!connected && be == NOXS_STATE_INITWAIT && fe->rings_ready &&
        fe->state == NOXS_STATE_INITIALISED) {
        int rc = devices__connect(s, i, fe);
        if (rc)
            fail_device(s, i, rc);
        else
            set_state(s, i, NOXS_STATE_CONNECTED);
    } else if ((connected || be == NOXS_STATE_CONNECTED) &&
               (fe->state == NOXS_STATE_CLOSING ||
                fe->state == NOXS_STATE_CLOSED)) {
        devices__disconnect(s, i);
        set_state(s, i, NOXS_STATE_CLOSED);
    } else if (be == NOXS_STATE_CLOSED &&
               fe->state == NOXS_STATE_INITIALISING) {
        /* Reopen: the front end starts again (after a reset or a bug). */
        v->failed = false;
        set_state(s, i, NOXS_STATE_INITWAIT);
    }
}

static void scan(struct devices_server *s)
{
    struct noxs_fe_page fe;
    char why[NOXS_ERR_MAX];

    if (s->page_failed)
        return;
    int rc = noxs_page_read(hv_page_addr(s->page), &s->devs->host, &fe, why,
                            sizeof(why));
    if (rc) {
        /* The page itself is broken: stop serving every device. */
        devices__say(s,
                     "domain %u: device page: %s; its devices are disconnected",
                     s->domid, why);
        for (unsigned i = 0; i < s->devs->host.nr_devices; i++)
            devices__disconnect(s, i);
        s->page_failed = true;
        return;
    }
    for (unsigned i = 0; i < s->devs->host.nr_devices; i++)
        step(s, i, &fe.devices[i]);
}

static int kick(struct devices_server *s, unsigned i)
{
    struct served *v = &s->dev[i];

    s->ctx->errmsg[0] = '\0';
    if (v->net)
        return netback_kick(v->net);
    if (v->blk)
        return blkback_kick(v->blk);
    return 0;
}

/* Binds device i's channel and opens its dom0 end (TAP, image). */
static int open_device(struct devices_server *s, unsigned i)
{
    const struct noxs_device *d = &s->devs->host.devices[i];
    const struct device_extra *x = &s->devs->extra[i];
    struct served *v = &s->dev[i];
    int rc;

    if (d->type == NOXS_DEV_CONTROL)
        return 0; /* bound only by a requester (devices_control.c) */
    if (d->type == NOXS_DEV_NET) {
        rc = tap_open(x->tap, &v->fd, s->ctx->errmsg, sizeof(s->ctx->errmsg));
        if (rc)
            return rc;
    } else {
        v->fd = open(x->path, (x->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
        if (v->fd < 0)
            return chaos__fail(s->ctx, -errno, "disk %u: cannot open '%s': %s",
                               d->devid, x->path, strerror(errno));
    }
    if (s->devs->via_store)
        return 0; /* the front end allocates the channel (devices_xs.c) */
    rc = hv_evtchn_bind(s->evtchn, s->domid, d->evtchn, &v->local_port);
    if (rc)
        return rc;
    set_state(s, i, NOXS_STATE_INITWAIT);
    return 0;
}

/* Serves devs (taken, freed on failure); see devices_serve. */
static int serve_record(chaos_ctx *ctx, chaos_domid domid, struct devices *devs,
                        const chaos_config *cfg, const uint8_t uuid[16],
                        struct devices_server **out)
{
    int rc = 0;
    struct devices_server *s = calloc(1, sizeof(*s));
    if (!s) {
        devices_free(devs);
        return chaos__fail(ctx, -ENOMEM, "out of memory");
    }
    s->ctx = ctx;
    s->domid = domid;
    s->devs = devs;
    for (unsigned i = 0; i < NOXS_MAX_DEVICES; i++)
        s->dev[i].fd = -1;
    rc = hv_evtchn_open(ctx->hv, &s->evtchn);
    if (!rc)
        rc = hv_gnttab_open(ctx->hv, &s->gnttab);
    if (!rc && !devs->via_store)
        rc = hv_page_map(ctx->hv, domid, devs->page_frame, &s->page);
    if (!rc && !devs->via_store)
        rc = hv_evtchn_bind(s->evtchn, domid, devs->page_port, &s->page_local);
    s->env = (struct backend_env){
        .hv = ctx->hv,
        .evtchn = s->evtchn,
        .gnttab = s->gnttab,
        .domid = domid,
        .err = ctx->errmsg,
        .errlen = sizeof(ctx->errmsg),
    };
    for (unsigned i = 0; !rc && i < devs->host.nr_devices; i++)
        rc = open_device(s, i);
    if (!rc && devs->via_store)
        rc = devices_xs_open(s, cfg, uuid);
    if (rc) {
        char why[CHAOS_ERRMSG_MAX];
        snprintf(why, sizeof(why), "%s", ctx->errmsg);
        devices_server_close(s);
        return chaos__fail(ctx, rc, "domain %u: devices: %s", domid, why);
    }
    if (!devs->via_store)
        scan(s);
    *out = s;
    return 0;
}

/* domid's device record: 0 and *devs, -ENOENT (none), or another error
 * with a message on ctx. */
static int read_record(chaos_ctx *ctx, chaos_domid domid, struct devices **devs)
{
    int rc = devices_record_read(domid, devs);
    if (rc && rc != -ENOENT)
        return chaos__fail(ctx, rc,
                           "domain %u: its device record is "
                           "unreadable: %s",
                           domid, strerror(-rc));
    return rc;
}

int devices_serve(chaos_ctx *ctx, chaos_domid domid, const chaos_config *cfg,
                  const uint8_t uuid[16], struct devices_server **out)
{
    struct devices *devs;
    *out = NULL;
    int rc = read_record(ctx, domid, &devs);
    if (rc == -ENOENT)
        return 0; /* no devices */
    return rc ? rc : serve_record(ctx, domid, devs, cfg, uuid, out);
}

/* Nothing a create or a take changes: a noxs page with the control
 * device only (a vif's MAC and address are the request's, and a private
 * store's keys name the guest). */
static bool fixed(const struct devices *devs)
{
    if (devs->via_store)
        return false;
    for (unsigned i = 0; i < devs->host.nr_devices; i++)
        if (devs->host.devices[i].type != NOXS_DEV_CONTROL)
            return false;
    return true;
}

unsigned devices_server_closes(const struct devices_server *s)
{
    /* The channel handle and TAP devices are closed with the server only;
     * the private store's clients come and go. */
    return s ? store_server_closes(s->store_srv) : 0;
}

int devices_server_store_put(struct devices_server *s, const char *path,
                             const char *value)
{
    return s && s->store_srv ? store_server_put(s->store_srv, path, value)
                             : -ENOENT;
}

void devices_server_rebind(struct devices_server *s, chaos_ctx *ctx)
{
    if (!s)
        return;
    s->ctx = ctx;
    s->env.hv = ctx->hv;
    s->env.err = ctx->errmsg;
    s->env.errlen = sizeof(ctx->errmsg);
}

int devices_serve_ahead(chaos_ctx *ctx, chaos_domid domid,
                        struct devices_server **out)
{
    struct devices *devs;
    *out = NULL;
    int rc = read_record(ctx, domid, &devs);
    if (rc == -ENOENT)
        return 0;
    if (rc)
        return rc;
    if (!fixed(devs)) {
        devices_free(devs);
        return 0;
    }
    return serve_record(ctx, domid, devs, NULL, NULL, out);
}

unsigned devices_server_pollfds(const struct devices_server *s,
                                struct pollfd *fds, unsigned max)
{
    unsigned n = 0;

    if (!s || max == 0)
        return 0;
    fds[n++] =
        (struct pollfd){ .fd = hv_evtchn_fd(s->evtchn), .events = POLLIN };
    for (unsigned i = 0; i < s->devs->host.nr_devices && n < max; i++)
        if (s->dev[i].net && netback_wants_tap(s->dev[i].net))
            fds[n++] = (struct pollfd){ .fd = s->dev[i].fd, .events = POLLIN };
    return n + store_server_pollfds(s->store_srv, fds + n, max - n);
}

static void on_port(struct devices_server *s, uint32_t port)
{
    for (unsigned i = 0; i < s->devs->host.nr_devices; i++) {
        if (s->dev[i].local_port != port)
            continue;
        int rc = kick(s, i);
        if (rc)
            fail_device(s, i, rc);
    }
}

static void on_tap(struct devices_server *s, int fd)
{
    for (unsigned i = 0; i < s->devs->host.nr_devices; i++) {
        if (s->dev[i].fd != fd || !s->dev[i].net)
            continue;
        s->ctx->errmsg[0] = '\0';
        int rc = netback_tap_readable(s->dev[i].net);
        if (rc)
            fail_device(s, i, rc);
    }
}

void devices_server_handle(struct devices_server *s, const struct pollfd *fds,
                           unsigned n)
{
    int evfd = hv_evtchn_fd(s->evtchn);
    bool any = false;
    uint32_t store_port =
        s->store_srv ? store_server_local_port(s->store_srv) : 0;

    for (unsigned k = 0; k < n; k++) {
        if (!(fds[k].revents & (POLLIN | POLLERR | POLLHUP)))
            continue;
        if (fds[k].fd == evfd) {
            uint32_t port;
            while (hv_evtchn_pending(s->evtchn, &port) == 0) {
                if (store_port && port == store_port) {
                    store_server_ring(s->store_srv);
                    continue;
                }
                any = true;
                if (port != s->page_local)
                    on_port(s, port);
            }
        } else {
            on_tap(s, fds[k].fd);
        }
    }
    if (s->store_srv && n > 0)
        store_server_handle(s->store_srv, fds, n);
    /* noxs: state changes come on the same channels: look at the page
     * after any notification, and on the sweep (n == 0). */
    if (!s->store && (any || n == 0))
        scan(s);
    if (n == 0) {
        /* The sweep: what a dropped notification asked for. */
        if (s->store_srv)
            store_server_ring(s->store_srv);
        for (unsigned i = 0; i < s->devs->host.nr_devices; i++) {
            int rc = kick(s, i);
            if (rc)
                fail_device(s, i, rc);
        }
    }
    if (s->store_srv) /* what the back ends wrote (a failed device) */
        store_server_flush(s->store_srv);
}

bool devices_server_take_failure(struct devices_server *s)
{
    bool failed = s && s->device_failed;
    if (s)
        s->device_failed = false;
    return failed;
}

bool devices_server_busy(const struct devices_server *s)
{
    return s && store_server_busy(s->store_srv);
}

const char *devices_server_take_message(struct devices_server *s)
{
    if (!s)
        return NULL;
    const char *m = store_server_take_message(s->store_srv);
    if (m)
        return m;
    if (!s->has_msg)
        return NULL;
    s->has_msg = false;
    return s->msg;
}

void devices_server_close(struct devices_server *s)
{
    if (!s)
        return;
    devices_xs_close(s); /* before the channel handle it binds on */
    for (unsigned i = 0; i < NOXS_MAX_DEVICES; i++) {
        devices__disconnect(s, i);
        if (s->dev[i].fd >= 0)
            close(s->dev[i].fd);
    }
    hv_evtchn_close(s->evtchn); /* unbinds every port */
    hv_gnttab_close(s->gnttab);
    hv_page_unmap(s->page);
    devices_free(s->devs);
    free(s);
}

unsigned devices_server_stats(const struct devices_server *s,
                              struct chaos_device_stats *out, unsigned max)
{
    unsigned n = 0;
    for (unsigned i = 0; s->devs && i < s->devs->host.nr_devices; i++) {
        const struct noxs_device *d = &s->devs->host.devices[i];
        const struct served *v = &s->dev[i];
        if (d->type != NOXS_DEV_NET && d->type != NOXS_DEV_BLK)
            continue;
        if (n < max) {
            struct chaos_device_stats *o = &out[n];
            memset(o, 0, sizeof(*o));
            o->net = d->type == NOXS_DEV_NET;
            o->devid = d->devid;
            o->connected = v->net || v->blk;
            if (v->net) {
                struct netback_stats st;
                netback_stats(v->net, &st);
                o->tx_bytes = st.tx_bytes;
                o->tx_packets = st.tx_packets;
                o->rx_bytes = st.rx_bytes;
                o->rx_packets = st.rx_packets;
            } else if (v->blk) {
                blkback_stats(v->blk, &o->rx_bytes, &o->rx_packets,
                              &o->tx_bytes, &o->tx_packets);
            }
        }
        n++;
    }
    return n;
}
