/*
 * devices_xs.c - a stock Linux guest's devices, handed over through its
 * private XenStore (docs/store.md) instead of a noxs page.  The back ends
 * are the noxs ones (devices_serve.c); only the handshake differs, and it
 * is the one Linux's netfront and blkfront speak with a kernel back end:
 *
 *   the front end's directory  /local/domain/GUEST/device/vif/DEVID
 *       backend, backend-id, handle, mac, state      (the guest owns it)
 *   the back end's             /local/domain/0/backend/vif/GUEST/DEVID
 *       frontend, frontend-id, online, features, state  (the guest reads)
 *
 * and the same for vbd (DEVID: the virtual device number, 51712 = xvda).
 * The back end starts in InitWait with its features written; when the
 * front end has written its rings and event channel and says Initialised
 * (blkfront) or Connected (netfront), the keys are read -- each once,
 * parsed with bounds: they are the guest's -- the channel bound and the
 * back end connected; the back end then says Connected.  A front end that
 * closes is disconnected; one that starts over (Initialising) is waited
 * for again.
 *
 * The same tree holds what a Linux guest reads besides its devices (its
 * name, memory target, vCPUs) and where it writes (control/, data/, ...),
 * with permissions as libxl sets them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices_serve_int.h"
#include "hv/hv_dev.h"
#include "internal.h"
#include "registry.h"
#include "store/store.h"
#include "store_serve.h"

#define PATH_LEN 128

/* store_put with a formatted path; failures show as a missing key. */
static int put(struct devices_server *s, enum store_guest_access access,
               const char *value, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int put(struct devices_server *s, enum store_guest_access access,
               const char *value, const char *fmt, ...)
{
    char path[PATH_LEN];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(path, sizeof(path), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(path))
        return -ENAMETOOLONG;
    return store_put(s->store, path, value, access);
}

static int put_u64(struct devices_server *s, enum store_guest_access access,
                   uint64_t v, const char *dir, const char *key)
{
    char num[24];
    snprintf(num, sizeof(num), "%" PRIu64, v);
    return put(s, access, num, "%s/%s", dir, key);
}

static const char *type_dir(const struct noxs_device *d)
{
    return d->type == NOXS_DEV_NET ? "vif" : "vbd";
}

static void fe_dir(const struct devices_server *s, unsigned i, char *out,
                   size_t len)
{
    const struct noxs_device *d = &s->devs->host.devices[i];
    snprintf(out, len, "/local/domain/%u/device/%s/%u", s->domid, type_dir(d),
             d->devid);
}

static void be_dir(const struct devices_server *s, unsigned i, char *out,
                   size_t len)
{
    const struct noxs_device *d = &s->devs->host.devices[i];
    snprintf(out, len, "/local/domain/0/backend/%s/%u/%u", type_dir(d),
             s->domid, d->devid);
}

static void set_state(struct devices_server *s, unsigned i,
                      enum noxs_state state)
{
    char be[PATH_LEN];
    s->devs->host.devices[i].state = state;
    be_dir(s, i, be, sizeof(be));
    put_u64(s, STORE_GUEST_READ, state, be, "state");
}

/* ---- the tree a guest starts with ---------------------------------------- */

/* Where the guest writes, as libxl makes them: its requests' answers,
 * features, driver state. */
static const char *const guest_owned[] = {
    "control/shutdown",
    "control/feature-poweroff",
    "control/feature-reboot",
    "control/feature-suspend",
    "control/sysrq",
    "data",
    "drivers",
    "feature",
    "attr",
    "error",
};

static int put_domain(struct devices_server *s, const chaos_config *cfg,
                      const uint8_t uuid[16])
{
    char dom[48], vm[96], uuid_text[37];
    const char *name = chaos_config_name(cfg) ? chaos_config_name(cfg) : "";
    int rc = 0;

    registry_uuid_format(uuid, uuid_text);
    snprintf(dom, sizeof(dom), "/local/domain/%u", s->domid);
    snprintf(vm, sizeof(vm), "/vm/%s", uuid_text);
    rc |= put(s, STORE_GUEST_READ, uuid_text, "%s/uuid", vm);
    rc |= put(s, STORE_GUEST_READ, name, "%s/name", vm);
    rc |= put(s, STORE_GUEST_READ, vm, "%s/vm", dom);
    rc |= put(s, STORE_GUEST_READ, name, "%s/name", dom);
    rc |= put_u64(s, STORE_GUEST_READ, s->domid, dom, "domid");
    rc |= put_u64(s, STORE_GUEST_READ, chaos_config_maxmem_mib(cfg) * 1024, dom,
                  "memory/static-max");
    rc |= put_u64(s, STORE_GUEST_READ, chaos_config_memory_mib(cfg) * 1024, dom,
                  "memory/target");
    rc |= put_u64(s, STORE_GUEST_READ, s->devs->page_frame, dom,
                  "store/ring-ref");
    rc |= put_u64(s, STORE_GUEST_READ, s->devs->page_port, dom, "store/port");
    for (unsigned i = 0; i < chaos_config_maxvcpus(cfg); i++)
        rc |= put(s, STORE_GUEST_READ,
                  i < chaos_config_vcpus(cfg) ? "online" : "offline",
                  "%s/cpu/%u/availability", dom, i);
    /* Linux resets watches a previous kernel left (kexec) only if told. */
    rc |= put(s, STORE_GUEST_READ, "1",
              "%s/control/platform-feature-xs_reset_watches", dom);
    rc |= put(s, STORE_GUEST_READ, "1",
              "%s/control/platform-feature-multiprocessor-suspend", dom);
    for (size_t i = 0; i < sizeof(guest_owned) / sizeof(*guest_owned); i++)
        rc |= put(s, STORE_GUEST_OWNS, "", "%s/%s", dom, guest_owned[i]);
    rc |= put(s, STORE_GUEST_READ, "", "%s/device", dom);
    return rc ? -ENOMEM : 0;
}

static int put_net(struct devices_server *s, const chaos_config *cfg,
                   unsigned i, const char *fe, const char *be)
{
    const struct noxs_device *d = &s->devs->host.devices[i];
    const uint8_t *m = d->u.net.mac;
    struct chaos_vif_config v;
    char mac[18];
    int rc = 0;

    /* The vif's ip= where libxl writes it (the back end's ip key, with
     * its /LEN when it has one): the kernel reads none of it, tinyx's
     * /init takes it as the guest's address, at boot and after a
     * resume (a template pool's guest gets its own: docs/chaosd.md). */
    if (chaos_config_vif(cfg, d->devid, &v) == 0 && v.ip[0]) {
        char ip[24];
        devices_vif_ip(&v, ip, sizeof(ip));
        rc |= put(s, STORE_GUEST_READ, ip, "%s/ip", be);
    }

    snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1],
             m[2], m[3], m[4], m[5]);
    rc |= put(s, STORE_GUEST_OWNS, mac, "%s/mac", fe);
    rc |= put(s, STORE_GUEST_READ, mac, "%s/mac", be);
    rc |= put_u64(s, STORE_GUEST_READ, d->devid, be, "handle");
    rc |= put(s, STORE_GUEST_READ, s->devs->extra[i].bridge, "%s/bridge", be);
    rc |= put(s, STORE_GUEST_READ, "vif", "%s/type", be);
    /* What netfront looks for; no multi-queue, no split channels. */
    rc |= put(s, STORE_GUEST_READ, "1", "%s/feature-rx-copy", be);
    rc |= put(s, STORE_GUEST_READ, "0", "%s/feature-rx-flip", be);
    rc |= put(s, STORE_GUEST_READ, d->features & NOXS_NET_F_SG ? "1" : "0",
              "%s/feature-sg", be);
    rc |=
        put(s, STORE_GUEST_READ, d->features & NOXS_NET_F_GSO_TCPV4 ? "1" : "0",
            "%s/feature-gso-tcpv4", be);
    return rc;
}

static int put_blk(struct devices_server *s, unsigned i, const char *fe,
                   const char *be)
{
    const struct noxs_device *d = &s->devs->host.devices[i];
    const struct device_extra *x = &s->devs->extra[i];
    char dev[8];
    int rc = 0;

    /* xvda .. xvdp: the number is 202 << 8 | index << 4 (devices.c). */
    snprintf(dev, sizeof(dev), "xvd%c", 'a' + ((d->devid >> 4) & 0xf));
    rc |= put_u64(s, STORE_GUEST_OWNS, d->devid, fe, "virtual-device");
    rc |= put(s, STORE_GUEST_OWNS, "disk", "%s/device-type", fe);
    rc |= put(s, STORE_GUEST_READ, dev, "%s/dev", be);
    rc |= put(s, STORE_GUEST_READ, "phy", "%s/type", be);
    rc |= put(s, STORE_GUEST_READ, x->readonly ? "r" : "w", "%s/mode", be);
    rc |= put(s, STORE_GUEST_READ, x->path, "%s/params", be);
    rc |= put(s, STORE_GUEST_READ, "disk", "%s/device-type", be);
    rc |= put(s, STORE_GUEST_READ, "0", "%s/removable", be);
    /* What blkfront reads when the back end connects: written now, they
     * do not change. */
    rc |= put_u64(s, STORE_GUEST_READ, d->u.blk.sectors, be, "sectors");
    rc |= put_u64(s, STORE_GUEST_READ, d->u.blk.sector_size, be, "sector-size");
    rc |= put_u64(s, STORE_GUEST_READ, d->u.blk.sector_size, be,
                  "physical-sector-size");
    rc |= put(s, STORE_GUEST_READ, x->readonly ? "4" : "0", /* VDISK_READONLY */
              "%s/info", be);
    rc |= put(s, STORE_GUEST_READ, d->features & NOXS_BLK_F_FLUSH ? "1" : "0",
              "%s/feature-flush-cache", be);
    rc |= put_u64(s, STORE_GUEST_READ, d->u.blk.max_ring_order, be,
                  "max-ring-page-order");
    return rc;
}

static int put_device(struct devices_server *s, const chaos_config *cfg,
                      unsigned i)
{
    char fe[PATH_LEN], be[PATH_LEN], id[12];
    const struct noxs_device *d = &s->devs->host.devices[i];
    int rc = 0;

    fe_dir(s, i, fe, sizeof(fe));
    be_dir(s, i, be, sizeof(be));
    snprintf(id, sizeof(id), "%u", s->domid);
    rc |= put(s, STORE_GUEST_OWNS, be, "%s/backend", fe);
    rc |= put(s, STORE_GUEST_OWNS, "0", "%s/backend-id", fe);
    rc |= put_u64(s, STORE_GUEST_OWNS, d->devid, fe, "handle");
    rc |= put(s, STORE_GUEST_READ, fe, "%s/frontend", be);
    rc |= put(s, STORE_GUEST_READ, id, "%s/frontend-id", be);
    rc |= put(s, STORE_GUEST_READ, "1", "%s/online", be);
    rc |= d->type == NOXS_DEV_NET ? put_net(s, cfg, i, fe, be)
                                  : put_blk(s, i, fe, be);
    /* States last: the front end acts on them. */
    rc |= put_u64(s, STORE_GUEST_OWNS, NOXS_STATE_INITIALISING, fe, "state");
    if (!rc)
        set_state(s, i, NOXS_STATE_INITWAIT);
    return rc ? -ENOMEM : 0;
}

static int connect_device(struct devices_server *s, unsigned i, const char *fe);
static int get_uint(const struct devices_server *s, const char *dir,
                    const char *key, uint32_t max, uint32_t *out);

/*
 * Taking the guest over from another supervisor: the restored tree says
 * what each back end had told its front end.  A connected one is
 * connected again from the front end's keys (its rings and channel are
 * in the tree); one that cannot be is Closed, as a failed device is.
 */
static void reconnect(struct devices_server *s)
{
    for (unsigned i = 0; i < s->devs->host.nr_devices; i++) {
        char fe[PATH_LEN], be[PATH_LEN];
        uint32_t state = NOXS_STATE_INITWAIT;
        if (s->devs->host.devices[i].type == NOXS_DEV_CONTROL)
            continue;
        fe_dir(s, i, fe, sizeof(fe));
        be_dir(s, i, be, sizeof(be));
        if (get_uint(s, be, "state", NOXS_STATE_MAX, &state) != 0) {
            set_state(s, i, NOXS_STATE_INITWAIT);
            continue;
        }
        s->devs->host.devices[i].state = state;
        if (state != NOXS_STATE_CONNECTED)
            continue;
        if (connect_device(s, i, fe) != 0)
            devices_xs_failed(s, i);
    }
}

int devices_xs_open(struct devices_server *s, const chaos_config *cfg,
                    const uint8_t uuid[16])
{
    struct store_snap_ring ring;
    char why[300];
    int rc = store_serve_load(s->domid, &s->store, &ring, why, sizeof(why));
    bool resumed = rc == 0;

    if (rc && rc != -ENOENT)
        devices__say(s, "domain %u: store snapshot refused: %s; a new tree",
                     s->domid, why);
    if (!resumed) {
        rc = store_new(s->domid, NULL, &s->store);
        if (rc)
            return chaos__fail(s->ctx, rc, "cannot make the guest's store");
        rc = put_domain(s, cfg, uuid);
        for (unsigned i = 0; !rc && i < s->devs->host.nr_devices; i++)
            if (s->devs->host.devices[i].type != NOXS_DEV_CONTROL)
                rc = put_device(s, cfg, i);
        if (rc)
            return chaos__fail(s->ctx, rc, "cannot fill the guest's store");
    }
    rc = store_server_open(s->ctx, s->domid, s->store, resumed ? &ring : NULL,
                           s->evtchn, s->devs->page_frame, s->devs->page_port,
                           devices_xs_scan, s, &s->store_srv);
    if (!rc && resumed)
        reconnect(s);
    return rc;
}

void devices_xs_close(struct devices_server *s)
{
    store_server_close(s->store_srv);
    store_free(s->store);
    s->store_srv = NULL;
    s->store = NULL;
}

/* ---- the handshake ------------------------------------------------------- */

/* A number the guest wrote at dir/key: 0, -ENOENT, or -EINVAL (not a
 * decimal number up to max). */
static int get_uint(const struct devices_server *s, const char *dir,
                    const char *key, uint32_t max, uint32_t *out)
{
    char path[PATH_LEN], val[16], *end;
    if (snprintf(path, sizeof(path), "%s/%s", dir, key) >= (int)sizeof(path))
        return -EINVAL;
    int rc = store_get(s->store, path, val, sizeof(val));
    if (rc == -ENOENT)
        return rc;
    if (rc || val[0] < '0' || val[0] > '9')
        return -EINVAL;
    errno = 0;
    unsigned long v = strtoul(val, &end, 10);
    if (errno || *end || v > max)
        return -EINVAL;
    *out = (uint32_t)v;
    return 0;
}

/* A key that must be there: its number, or a message naming it. */
static int need_uint(struct devices_server *s, const char *dir, const char *key,
                     uint32_t max, uint32_t *out)
{
    int rc = get_uint(s, dir, key, max, out);
    if (rc)
        devices__say(s, "domain %u: %s/%s: %s", s->domid, dir, key,
                     rc == -ENOENT ? "missing" : "not a valid number");
    return rc;
}

/* An optional flag the guest wrote: 1 when "1". */
static bool flag(const struct devices_server *s, const char *dir,
                 const char *key)
{
    uint32_t v = 0;
    return get_uint(s, dir, key, 1, &v) == 0 && v == 1;
}

static int read_net(struct devices_server *s, unsigned i, const char *fe,
                    struct noxs_fe_device *out)
{
    const struct noxs_device *d = &s->devs->host.devices[i];
    uint32_t queues = 1;
    int rc =
        need_uint(s, fe, "tx-ring-ref", UINT32_MAX, &out->u.net.tx_ring_ref);
    if (!rc)
        rc = need_uint(s, fe, "rx-ring-ref", UINT32_MAX,
                       &out->u.net.rx_ring_ref);
    if (!rc && get_uint(s, fe, "multi-queue-num-queues", 64, &queues) == 0 &&
        queues != 1) {
        devices__say(s, "domain %u: %s asks for %u queues; one was offered",
                     s->domid, fe, queues);
        rc = -EPROTO;
    }
    if (!rc && !flag(s, fe, "request-rx-copy")) {
        devices__say(s,
                     "domain %u: %s: the front end does not copy on "
                     "receive (request-rx-copy), the only mode offered",
                     s->domid, fe);
        rc = -EPROTO;
    }
    /* What it takes of what was offered; checksum offload unless it says
     * it cannot take it (netif.h: feature-no-csum-offload). */
    out->features = NOXS_NET_F_RX_COPY;
    if (flag(s, fe, "feature-sg"))
        out->features |= NOXS_NET_F_SG;
    if (flag(s, fe, "feature-gso-tcpv4"))
        out->features |= NOXS_NET_F_GSO_TCPV4;
    if (!flag(s, fe, "feature-no-csum-offload"))
        out->features |= NOXS_NET_F_CSUM;
    out->features &= d->features;
    return rc;
}

static int read_blk(struct devices_server *s, unsigned i, const char *fe,
                    struct noxs_fe_device *out)
{
    const struct noxs_device *d = &s->devs->host.devices[i];
    char protocol[16];
    char path[PATH_LEN + 16];
    uint32_t order = 0;
    int rc = 0;

    snprintf(path, sizeof(path), "%s/protocol", fe);
    /* blkback serves the native x86_64 layout only. */
    if (store_get(s->store, path, protocol, sizeof(protocol)) == 0 &&
        strcmp(protocol, "x86_64-abi") != 0) {
        devices__say(s,
                     "domain %u: %s: protocol '%s' is not served "
                     "(x86_64-abi only)",
                     s->domid, fe, protocol);
        return -EPROTO;
    }
    if (get_uint(s, fe, "ring-page-order", d->u.blk.max_ring_order, &order) ==
        -EINVAL) {
        devices__say(s, "domain %u: %s/ring-page-order: not a number up to %u",
                     s->domid, fe, d->u.blk.max_ring_order);
        return -EPROTO;
    }
    out->u.blk.ring_pages = 1u << order;
    if (order == 0 &&
        get_uint(s, fe, "ring-ref", UINT32_MAX, &out->u.blk.ring_ref[0]) == 0)
        return 0;
    for (unsigned p = 0; !rc && p < out->u.blk.ring_pages; p++) {
        char key[24];
        snprintf(key, sizeof(key), "ring-ref%u", p);
        rc = need_uint(s, fe, key, UINT32_MAX, &out->u.blk.ring_ref[p]);
    }
    out->features = d->features;
    return rc;
}

/* Reads the front end's rings and channel, binds, connects. */
static int connect_device(struct devices_server *s, unsigned i, const char *fe)
{
    struct noxs_fe_device dev = { .state = NOXS_STATE_INITIALISED,
                                  .rings_ready = true };
    uint32_t port;
    bool net = s->devs->host.devices[i].type == NOXS_DEV_NET;
    int rc = net ? read_net(s, i, fe, &dev) : read_blk(s, i, fe, &dev);

    if (!rc)
        rc = need_uint(s, fe, "event-channel", UINT32_MAX, &port);
    if (rc)
        return rc;
    rc = hv_evtchn_bind(s->evtchn, s->domid, port, &s->dev[i].local_port);
    if (rc) {
        devices__say(s, "domain %u: %s/event-channel %u: %s", s->domid, fe,
                     port, s->ctx->errmsg);
        s->dev[i].local_port = 0;
        return rc;
    }
    s->ctx->errmsg[0] = '\0';
    rc = devices__connect(s, i, &dev);
    if (rc) {
        devices__say(s, "domain %u: %s: %s", s->domid, fe,
                     s->ctx->errmsg[0] ? s->ctx->errmsg : strerror(-rc));
        hv_evtchn_unbind(s->evtchn, s->dev[i].local_port);
        s->dev[i].local_port = 0;
    }
    return rc;
}

static void unbind(struct devices_server *s, unsigned i)
{
    if (s->dev[i].local_port)
        hv_evtchn_unbind(s->evtchn, s->dev[i].local_port);
    s->dev[i].local_port = 0;
}

void devices_xs_failed(struct devices_server *s, unsigned i)
{
    unbind(s, i);
    set_state(s, i, NOXS_STATE_CLOSED);
}

/* One device's step of the xenbus state machine. */
static void step(struct devices_server *s, unsigned i)
{
    char fe[PATH_LEN];
    uint32_t fe_state = NOXS_STATE_UNKNOWN;
    struct served *v = &s->dev[i];
    enum noxs_state be = s->devs->host.devices[i].state;
    bool connected = v->net || v->blk;

    fe_dir(s, i, fe, sizeof(fe));
    if (get_uint(s, fe, "state", NOXS_STATE_MAX, &fe_state) != 0)
        fe_state = NOXS_STATE_UNKNOWN; /* gone or garbage: wait */
    if (!connected && be == NOXS_STATE_INITWAIT &&
        (fe_state == NOXS_STATE_INITIALISED ||
         fe_state == NOXS_STATE_CONNECTED)) {
        if (connect_device(s, i, fe) == 0)
            set_state(s, i, NOXS_STATE_CONNECTED);
        else
            devices_xs_failed(s, i);
    } else if ((connected || be == NOXS_STATE_CONNECTED) &&
               (fe_state == NOXS_STATE_CLOSING ||
                fe_state == NOXS_STATE_CLOSED)) {
        devices__disconnect(s, i);
        unbind(s, i);
        set_state(s, i, NOXS_STATE_CLOSED);
    } else if (be == NOXS_STATE_CLOSED && fe_state == NOXS_STATE_INITIALISING) {
        v->failed = false; /* the front end starts over */
        set_state(s, i, NOXS_STATE_INITWAIT);
    }
}

void devices_xs_scan(void *server)
{
    struct devices_server *s = server;
    for (unsigned i = 0; i < s->devs->host.nr_devices; i++)
        if (s->devs->host.devices[i].type != NOXS_DEV_CONTROL)
            step(s, i);
}
