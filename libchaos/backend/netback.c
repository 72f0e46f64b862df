/*
 * netback.c - the network back end's glue (backend.h): maps a guest's
 * netif rings, and gives the pure ring logic (netback_ring.c) its side
 * effects: grant copies through hv_dev, frames to and from the TAP fd,
 * and the event channel when the ring macros say the guest needs one.
 *
 * The TAP fd is opened with IFF_VNET_HDR (tap.c): every frame, both ways,
 * comes after a struct virtio_net_hdr.  That header is how a guest's
 * offloads reach the kernel: a 64 KiB TCP packet is one writev here, and
 * the kernel segments and checksums it where it must (and, to a
 * neighbour on the bridge or to dom0's own stack, not at all), where a
 * TAP without it took one 1514-byte frame per write and left the
 * checksums to this process.  The ring code decides the header; this file
 * only puts it before the frame (writev, no copy) and takes it off
 * (readv).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/virtio_net.h>

#include "backend.h"
#include "hv/hv_dev.h"
#include "netback_ring.h"

struct netback {
    struct backend_env env;
    uint32_t port;
    int tap_fd;
    void *tx_page, *rx_page;
    struct nbr *ring;
};

static int nb_copy(void *arg, struct hv_gcopy *segs, unsigned n)
{
    struct netback *nb = arg;
    return hv_gnttab_copy(nb->env.gnttab, nb->env.domid, segs, n);
}

/* One write per frame, its header first: a TAP device takes a whole
 * frame or nothing. */
static int nb_tx_frame(void *arg, const struct virtio_net_hdr *vh,
                       const void *frame, size_t len)
{
    struct netback *nb = arg;
    struct iovec iov[2] = {
        { .iov_base = (void *)vh, .iov_len = sizeof(*vh) },
        { .iov_base = (void *)frame, .iov_len = len },
    };
    ssize_t n;
    do
        n = writev(nb->tap_fd, iov, 2);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno; /* -EAGAIN: the TAP queue is full; dropped */
    return (size_t)n == sizeof(*vh) + len ? 0 : -EIO;
}

static ssize_t nb_rx_frame(void *arg, struct virtio_net_hdr *vh, void *buf,
                           size_t cap)
{
    struct netback *nb = arg;
    struct iovec iov[2] = {
        { .iov_base = vh, .iov_len = sizeof(*vh) },
        { .iov_base = buf, .iov_len = cap },
    };
    for (;;) {
        ssize_t n = readv(nb->tap_fd, iov, 2);
        if (n >= (ssize_t)sizeof(*vh))
            return n - (ssize_t)sizeof(*vh);
        if (n >= 0) {
            snprintf(nb->env.err, nb->env.errlen,
                     "netback: the TAP device of domain %u gave %zd bytes, "
                     "no virtio-net header",
                     nb->env.domid, n);
            return -EIO;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        int e = errno;
        snprintf(nb->env.err, nb->env.errlen,
                 "netback: reading the TAP device of domain %u: %s",
                 nb->env.domid, strerror(e));
        return -e;
    }
}

static const struct nbr_ops nb_ops = {
    .copy = nb_copy,
    .tx_frame = nb_tx_frame,
    .rx_frame = nb_rx_frame,
};

/* Maps one ring page; a grant the guest cannot give us is its fault. */
static void *map_ring(const struct backend_env *env, const char *what,
                      uint32_t ref)
{
    void *p = hv_gnttab_map(env->gnttab, env->domid, &ref, 1, true);
    if (p == NULL) {
        char why[128];
        snprintf(why, sizeof(why), "%s", env->err);
        snprintf(env->err, env->errlen, "netback: %s ring (grant %u): %s", what,
                 ref, why);
    }
    return p;
}

int netback_connect(const struct backend_env *env, uint32_t local_port,
                    int tap_fd, uint16_t mtu, const struct noxs_fe_device *fe,
                    struct netback **out)
{
    *out = NULL;
    if (!fe->rings_ready) {
        snprintf(env->err, env->errlen,
                 "netback: domain %u has not published its rings", env->domid);
        return -EINVAL;
    }
    struct netback *nb = calloc(1, sizeof(*nb));
    if (nb == NULL) {
        snprintf(env->err, env->errlen, "netback: out of memory");
        return -ENOMEM;
    }
    nb->env = *env;
    nb->port = local_port;
    nb->tap_fd = tap_fd;
    int rc = -EPROTO;
    nb->tx_page = map_ring(env, "tx", fe->u.net.tx_ring_ref);
    if (nb->tx_page == NULL)
        goto fail;
    nb->rx_page = map_ring(env, "rx", fe->u.net.rx_ring_ref);
    if (nb->rx_page == NULL)
        goto fail;
    /* The frame size is bounded by tx requests' 16-bit size anyway. */
    size_t max_frame = (size_t)(mtu ? mtu : 1500) + NBR_ETH_OVERHEAD;
    if (max_frame > UINT16_MAX)
        max_frame = UINT16_MAX;
    /* fe->features: what the guest took, a subset of what was offered
     * (noxs_page_read checked it). */
    rc = nbr_new(nb->tx_page, nb->rx_page, max_frame, fe->features, &nb_ops, nb,
                 &nb->ring, env->err, env->errlen);
    if (rc < 0)
        goto fail;
    *out = nb;
    return 0;
fail:
    netback_disconnect(nb);
    return rc;
}

void netback_disconnect(struct netback *nb)
{
    if (nb == NULL)
        return;
    nbr_free(nb->ring);
    /* An unmap failure leaves a mapping we can do nothing about. */
    if (nb->tx_page)
        (void)hv_gnttab_unmap(nb->env.gnttab, nb->tx_page, 1);
    if (nb->rx_page)
        (void)hv_gnttab_unmap(nb->env.gnttab, nb->rx_page, 1);
    free(nb);
}

static int notify(struct netback *nb, bool needed)
{
    return needed ? hv_evtchn_notify(nb->env.evtchn, nb->port) : 0;
}

/* Both rings share the device's one event channel: one notification for
 * whatever either ring answered. */
int netback_kick(struct netback *nb)
{
    bool tx_ev = false, rx_ev = false;
    int rc = nbr_tx(nb->ring, &tx_ev, nb->env.err, nb->env.errlen);
    if (rc == 0)
        rc = nbr_rx(nb->ring, &rx_ev, nb->env.err, nb->env.errlen);
    int nrc = notify(nb, tx_ev || rx_ev);
    return rc < 0 ? rc : nrc;
}

int netback_tap_readable(struct netback *nb)
{
    bool ev = false;
    int rc = nbr_rx(nb->ring, &ev, nb->env.err, nb->env.errlen);
    int nrc = notify(nb, ev);
    return rc < 0 ? rc : nrc;
}

bool netback_wants_tap(const struct netback *nb)
{
    return nbr_rx_posted(nb->ring);
}

void netback_stats(const struct netback *nb, struct netback_stats *out)
{
    nbr_stats(nb->ring, out);
}
