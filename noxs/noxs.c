/*
 * noxs.c - the dom0 side of the noxs device page: encode dom0's device
 * list into a page, and decode the guest's half of a page it may have
 * scribbled on.  The rules are docs/noxs.md's; this file only enforces
 * them.  Decoding is fuzzed (tests/fuzz/fuzz_noxs_page.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "noxs.h"

/* Xen's DOMID_FIRST_RESERVED: ids from here on are not domains. */
#define NOXS_DOMID_LIMIT 0x7ff0u

static int fail(int rc, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(int rc, char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

static const char *const type_names[] = {
    [NOXS_DEV_NONE] = "none",
    [NOXS_DEV_NET] = "net",
    [NOXS_DEV_BLK] = "blk",
    [NOXS_DEV_CONTROL] = "control",
};

/* Per type: the feature bits that exist. */
static const uint32_t type_features[] = {
    [NOXS_DEV_NONE] = 0,
    [NOXS_DEV_NET] = NOXS_NET_F_ALL,
    [NOXS_DEV_BLK] = NOXS_BLK_F_ALL,
    [NOXS_DEV_CONTROL] = NOXS_CTRL_F_ALL,
};

const char *noxs_dev_type_name(unsigned type)
{
    return type <= NOXS_DEV_TYPE_MAX ? type_names[type] : "?";
}

/* ---- Checking dom0's own list ------------------------------------------ */

static int check_net(const struct noxs_device *d, unsigned i, char *err,
                     size_t errlen)
{
    const uint8_t *m = d->u.net.mac;
    if (m[0] & 1)
        return fail(-EINVAL, err, errlen,
                    "device %u (net %u): MAC %02x:%02x:%02x:%02x:%02x:%02x "
                    "is a multicast address",
                    i, d->devid, m[0], m[1], m[2], m[3], m[4], m[5]);
    if (!(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]))
        return fail(-EINVAL, err, errlen, "device %u (net %u): MAC is 0", i,
                    d->devid);
    if (d->u.net.mtu != 0 && d->u.net.mtu < 68)
        return fail(-EINVAL, err, errlen,
                    "device %u (net %u): MTU %u is below 68", i, d->devid,
                    d->u.net.mtu);
    if (!(d->features & NOXS_NET_F_RX_COPY))
        return fail(-EINVAL, err, errlen,
                    "device %u (net %u): RX_COPY must be offered", i, d->devid);
    const uint8_t *a = d->u.net.ipv4;
    bool none = !(a[0] | a[1] | a[2] | a[3]);
    if (d->u.net.ipv4_prefix > 32 || (none && d->u.net.ipv4_prefix))
        return fail(-EINVAL, err, errlen,
                    "device %u (net %u): prefix length %u %s", i, d->devid,
                    d->u.net.ipv4_prefix,
                    none ? "without an address" : "exceeds 32");
    if (!none && (a[0] == 0 || a[0] == 127 || a[0] >= 224))
        return fail(-EINVAL, err, errlen,
                    "device %u (net %u): %u.%u.%u.%u is not a unicast "
                    "address",
                    i, d->devid, a[0], a[1], a[2], a[3]);
    return 0;
}

static int check_blk(const struct noxs_device *d, unsigned i, char *err,
                     size_t errlen)
{
    uint32_t ss = d->u.blk.sector_size;
    if (ss < 512 || ss > 4096 || (ss & (ss - 1)))
        return fail(-EINVAL, err, errlen,
                    "device %u (blk %u): sector size %u is not a power of 2 "
                    "from 512 to 4096",
                    i, d->devid, ss);
    if (d->u.blk.sectors == 0 || d->u.blk.sectors > UINT64_MAX / 512)
        return fail(-EINVAL, err, errlen,
                    "device %u (blk %u): %llu sectors is not a disk size", i,
                    d->devid, (unsigned long long)d->u.blk.sectors);
    if (d->u.blk.max_ring_order > NOXS_BLK_MAX_RING_ORDER)
        return fail(-EINVAL, err, errlen,
                    "device %u (blk %u): ring order %u exceeds %u", i, d->devid,
                    d->u.blk.max_ring_order, NOXS_BLK_MAX_RING_ORDER);
    return 0;
}

static int check_control(const struct noxs_device *d, unsigned i, char *err,
                         size_t errlen)
{
    unsigned r = d->u.control.request;
    if (r > NOXS_CTRL_REQUEST_MAX)
        return fail(-EINVAL, err, errlen,
                    "device %u (control %u): request %u does not exist", i,
                    d->devid, r);
    if (r != NOXS_CTRL_NONE && !(d->features & NOXS_CTRL_F(r)))
        return fail(-EINVAL, err, errlen,
                    "device %u (control %u): request %u is not offered", i,
                    d->devid, r);
    return 0;
}

static int check_device(const struct noxs_host *h, unsigned i, char *err,
                        size_t errlen)
{
    const struct noxs_device *d = &h->devices[i];
    unsigned type = d->type;
    if (type > NOXS_DEV_TYPE_MAX)
        return fail(-EINVAL, err, errlen, "device %u: type %u does not exist",
                    i, type);
    if (type == NOXS_DEV_NONE)
        return 0;
    const char *name = type_names[type];
    if ((unsigned)d->state > NOXS_STATE_MAX)
        return fail(-EINVAL, err, errlen,
                    "device %u (%s %u): state %u does not exist", i, name,
                    d->devid, (unsigned)d->state);
    if (d->evtchn == 0)
        return fail(-EINVAL, err, errlen, "device %u (%s %u): no event channel",
                    i, name, d->devid);
    if (d->backend_domid >= NOXS_DOMID_LIMIT)
        return fail(-EINVAL, err, errlen,
                    "device %u (%s %u): back-end domain %u is not a domain", i,
                    name, d->devid, d->backend_domid);
    if (d->features & ~type_features[type])
        return fail(-EINVAL, err, errlen,
                    "device %u (%s %u): unknown feature bits 0x%x", i, name,
                    d->devid, d->features & ~type_features[type]);
    for (unsigned j = 0; j < i; j++) {
        const struct noxs_device *o = &h->devices[j];
        if (o->type == d->type &&
            (type == NOXS_DEV_CONTROL || o->devid == d->devid))
            return fail(-EINVAL, err, errlen,
                        "devices %u and %u are both %s %u", j, i, name,
                        d->devid);
    }
    switch (type) {
        case NOXS_DEV_NET:
            return check_net(d, i, err, errlen);
        case NOXS_DEV_BLK:
            return check_blk(d, i, err, errlen);
        default:
            return check_control(d, i, err, errlen);
    }
}

int noxs_host_check(const struct noxs_host *host, char *err, size_t errlen)
{
    if (host->nr_devices > NOXS_MAX_DEVICES)
        return fail(-EINVAL, err, errlen, "%u devices: a page holds %u",
                    host->nr_devices, NOXS_MAX_DEVICES);
    for (unsigned i = 0; i < host->nr_devices; i++) {
        int rc = check_device(host, i, err, errlen);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- Encoding ------------------------------------------------------------ */

static void encode_be(struct noxs_dev_be *b, const struct noxs_device *d)
{
    memset(b, 0, sizeof(*b));
    if (d->type == NOXS_DEV_NONE)
        return;
    b->type = (uint8_t)d->type;
    b->devid = d->devid;
    b->backend_domid = d->backend_domid;
    b->evtchn = d->evtchn;
    b->state = d->state;
    b->features = d->features;
    switch (d->type) {
        case NOXS_DEV_NET:
            memcpy(b->u.net.mac, d->u.net.mac, sizeof(b->u.net.mac));
            b->u.net.mtu = d->u.net.mtu;
            memcpy(b->u.net.ipv4, d->u.net.ipv4, sizeof(b->u.net.ipv4));
            b->u.net.ipv4_prefix = d->u.net.ipv4_prefix;
            break;
        case NOXS_DEV_BLK:
            b->u.blk.sectors = d->u.blk.sectors;
            b->u.blk.sector_size = d->u.blk.sector_size;
            b->u.blk.max_ring_order = d->u.blk.max_ring_order;
            break;
        default:
            b->u.control.request = d->u.control.request;
            b->u.control.request_seq = d->u.control.request_seq;
            break;
    }
}

int noxs_page_build(void *page, const struct noxs_host *host, char *err,
                    size_t errlen)
{
    int rc = noxs_host_check(host, err, errlen);
    if (rc)
        return rc;
    struct noxs_page *p = page;
    memset(p, 0, sizeof(*p));
    p->be.magic = NOXS_MAGIC;
    p->be.version = NOXS_VERSION;
    p->be.nr_devices = (uint16_t)host->nr_devices;
    p->be.generation = host->generation;
    for (unsigned i = 0; i < host->nr_devices; i++) {
        encode_be(&p->devices[i].be, &host->devices[i]);
        if (host->devices[i].type != NOXS_DEV_NONE)
            p->devices[i].fe.state = NOXS_STATE_INITIALISING;
    }
    return 0;
}

int noxs_page_publish(void *page, const struct noxs_host *host, unsigned index,
                      char *err, size_t errlen)
{
    if (index >= host->nr_devices)
        return fail(-EINVAL, err, errlen, "device %u: the page has %u", index,
                    host->nr_devices);
    int rc = noxs_host_check(host, err, errlen);
    if (rc)
        return rc;
    struct noxs_page *p = page;
    struct noxs_dev_be *live = &p->devices[index].be;
    struct noxs_dev_be b;
    encode_be(&b, &host->devices[index]);
    /* The fields a guest waits on keep their old values in the bulk copy
     * and change last, after everything they publish. */
    uint32_t state = b.state;
    uint32_t seq = b.u.control.request_seq;
    bool control = b.type == NOXS_DEV_CONTROL;
    b.state = __atomic_load_n(&live->state, __ATOMIC_RELAXED);
    if (control)
        b.u.control.request_seq =
            __atomic_load_n(&live->u.control.request_seq, __ATOMIC_RELAXED);
    memcpy(live, &b, sizeof(b));
    if (control)
        __atomic_store_n(&live->u.control.request_seq, seq, __ATOMIC_RELEASE);
    __atomic_store_n(&live->state, state, __ATOMIC_RELEASE);
    __atomic_store_n(&p->be.nr_devices, (uint16_t)host->nr_devices,
                     __ATOMIC_RELEASE);
    __atomic_store_n(&p->be.generation, host->generation, __ATOMIC_RELEASE);
    return 0;
}

/* ---- Decoding the guest's half ---------------------------------------- */

/*
 * One private copy of the page.  Each device's doorbell fields (state, and
 * a control device's ack_seq) are read first, with acquire ordering, and
 * the bulk copy after them, so the copy holds whatever the guest published
 * before ringing.  The copy's doorbells are then set to the values read:
 * every later decision reads the copy only (no double fetch).
 */
static void snapshot(struct noxs_page *snap, const struct noxs_page *page,
                     const struct noxs_host *host)
{
    uint32_t state[NOXS_MAX_DEVICES] = { 0 }, ack_seq[NOXS_MAX_DEVICES] = { 0 };
    for (unsigned i = 0; i < host->nr_devices; i++) {
        const struct noxs_dev_fe *fe = &page->devices[i].fe;
        state[i] = __atomic_load_n(&fe->state, __ATOMIC_ACQUIRE);
        if (host->devices[i].type == NOXS_DEV_CONTROL)
            ack_seq[i] =
                __atomic_load_n(&fe->u.control.ack_seq, __ATOMIC_ACQUIRE);
    }
    memcpy(snap, page, sizeof(*snap));
    /* From here on the shared page is not read again; the barrier keeps
     * the compiler from re-reading it in place of the copy. */
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    for (unsigned i = 0; i < host->nr_devices; i++) {
        snap->devices[i].fe.state = state[i];
        if (host->devices[i].type == NOXS_DEV_CONTROL)
            snap->devices[i].fe.u.control.ack_seq = ack_seq[i];
    }
}

static int ring_ref_ok(uint32_t ref)
{
    return ref >= NOXS_FIRST_GRANT_REF;
}

#define PROTO(...) fail(-EPROTO, err, errlen, __VA_ARGS__)

static int read_net(const struct noxs_net_fe *fe, struct noxs_fe_device *out,
                    unsigned i, unsigned devid, char *err, size_t errlen)
{
    if (!(out->features & NOXS_NET_F_RX_COPY))
        return PROTO("device %u (net %u): front end did not take RX_COPY", i,
                     devid);
    uint32_t tx = fe->tx_ring_ref, rx = fe->rx_ring_ref;
    if (!ring_ref_ok(tx) || !ring_ref_ok(rx))
        return PROTO("device %u (net %u): ring grant reference %u is "
                     "reserved (below %u)",
                     i, devid, ring_ref_ok(tx) ? rx : tx, NOXS_FIRST_GRANT_REF);
    if (tx == rx)
        return PROTO("device %u (net %u): tx and rx rings share grant %u", i,
                     devid, tx);
    out->u.net.tx_ring_ref = tx;
    out->u.net.rx_ring_ref = rx;
    return 0;
}

static int read_blk(const struct noxs_blk_fe *fe, const struct noxs_device *d,
                    struct noxs_fe_device *out, unsigned i, char *err,
                    size_t errlen)
{
    unsigned order = fe->ring_order;
    if (order > d->u.blk.max_ring_order)
        return PROTO("device %u (blk %u): ring order %u exceeds the "
                     "offered %u",
                     i, d->devid, order, d->u.blk.max_ring_order);
    unsigned n = 1u << order;
    for (unsigned r = 0; r < n; r++) {
        uint32_t ref = fe->ring_ref[r];
        if (!ring_ref_ok(ref))
            return PROTO("device %u (blk %u): ring grant reference %u is "
                         "reserved (below %u)",
                         i, d->devid, ref, NOXS_FIRST_GRANT_REF);
        for (unsigned s = 0; s < r; s++)
            if (fe->ring_ref[s] == ref)
                return PROTO("device %u (blk %u): ring pages %u and %u "
                             "share grant %u",
                             i, d->devid, s, r, ref);
        out->u.blk.ring_ref[r] = ref;
    }
    out->u.blk.ring_pages = n;
    return 0;
}

static int read_control(const struct noxs_ctrl_fe *fe,
                        const struct noxs_device *d, struct noxs_fe_device *out,
                        unsigned i, char *err, size_t errlen)
{
    if (fe->ack > NOXS_CTRL_ACK_MAX)
        return PROTO("device %u (control %u): answer %u does not exist", i,
                     d->devid, fe->ack);
    out->u.control.ack = fe->ack;
    out->u.control.ack_seq = fe->ack_seq;
    if (d->u.control.request == NOXS_CTRL_NONE ||
        fe->ack_seq != d->u.control.request_seq)
        return 0;
    if (fe->ack == NOXS_CTRL_ACK_NONE)
        return PROTO("device %u (control %u): request %u answered without an "
                     "answer",
                     i, d->devid, fe->ack_seq);
    out->u.control.answered = true;
    return 0;
}

static int read_device(const struct noxs_dev_fe *fe,
                       const struct noxs_device *d, struct noxs_fe_device *out,
                       unsigned i, char *err, size_t errlen)
{
    const char *name = type_names[d->type];
    if (fe->state > NOXS_STATE_MAX)
        return PROTO("device %u (%s %u): front-end state %u does not exist", i,
                     name, d->devid, fe->state);
    if (fe->features & ~d->features)
        return PROTO("device %u (%s %u): front end took features 0x%x, "
                     "offered 0x%x",
                     i, name, d->devid, fe->features, d->features);
    out->state = fe->state;
    out->features = fe->features;
    if (d->type == NOXS_DEV_CONTROL)
        return read_control(&fe->u.control, d, out, i, err, errlen);
    /* Rings count only once the front end says it published them. */
    if (fe->state != NOXS_STATE_INITIALISED &&
        fe->state != NOXS_STATE_CONNECTED)
        return 0;
    out->rings_ready = true;
    if (d->type == NOXS_DEV_NET)
        return read_net(&fe->u.net, out, i, d->devid, err, errlen);
    return read_blk(&fe->u.blk, d, out, i, err, errlen);
}

static int read_page(const struct noxs_page *snap, const struct noxs_host *host,
                     struct noxs_fe_page *out, char *err, size_t errlen)
{
    if (snap->be.magic != NOXS_MAGIC || snap->be.version != NOXS_VERSION)
        return PROTO("the guest overwrote the page header (magic 0x%08x, "
                     "version %u)",
                     snap->be.magic, snap->be.version);
    uint32_t v = snap->fe.version;
    if (v != 0 && v != NOXS_VERSION)
        return fail(-EPROTONOSUPPORT, err, errlen,
                    "the guest speaks noxs version %u, the page is version %u",
                    v, NOXS_VERSION);
    out->version = v;
    out->generation = snap->fe.generation;
    out->nr_devices = host->nr_devices;
    for (unsigned i = 0; i < host->nr_devices; i++) {
        const struct noxs_device *d = &host->devices[i];
        if (d->type == NOXS_DEV_NONE)
            continue;
        int rc = read_device(&snap->devices[i].fe, d, &out->devices[i], i, err,
                             errlen);
        if (rc)
            return rc;
    }
    return 0;
}

int noxs_page_read(const void *page, const struct noxs_host *host,
                   struct noxs_fe_page *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    int rc = noxs_host_check(host, err, errlen);
    if (rc)
        return rc;
    struct noxs_page snap;
    snapshot(&snap, page, host);
    rc = read_page(&snap, host, out, err, errlen);
    if (rc)
        memset(out, 0, sizeof(*out));
    return rc;
}
