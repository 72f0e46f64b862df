/*
 * backend.h - device back ends in dom0 user space (issue 10): the network
 * back end (netback*.c), the block back end (blkback*.c) and the TAP
 * devices the network one talks to (tap.c).
 *
 * Who drives them: the guest supervisor (libchaos/supervisor.c, through
 * libchaos/devices*.c) owns the noxs page, binds each device's event
 * channel, follows the noxs state machine (docs/noxs.md) and, when a front
 * end has published its rings (fe.state Initialised), calls *_connect with
 * the validated ring fields (noxs_page_read); from then on it calls
 * *_kick whenever the device's event channel fires, and the network back
 * end's *_tap_readable when the TAP fd polls readable.  A back end never
 * blocks, starts no thread and never touches the noxs page.
 *
 * Trust: rings are guest memory.  Every request is copied once out of the
 * shared ring before it is looked at (RING_COPY_REQUEST), every index and
 * length is bounded, and a guest that breaks the protocol gets -EPROTO
 * and a message naming what it did; the supervisor then disconnects the
 * device and logs the message.  It never crashes the supervisor.
 *
 * Errors: negative errno and a message in env->err (the chaos_ctx's
 * message buffer, where the hv module writes its own messages too).
 * Library code: nothing here prints.
 */
#ifndef CHAOS_BACKEND_H
#define CHAOS_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chaos.h"
#include "noxs.h"

struct chaos_hv;
struct hv_evtchn;
struct hv_gnttab;

/* What every back end of one guest shares (owned by the caller). */
struct backend_env {
    struct chaos_hv *hv;
    struct hv_evtchn *evtchn; /* the supervisor's: one fd for all ports */
    struct hv_gnttab *gnttab;
    chaos_domid domid; /* the guest */
    char *err;         /* message buffer (the hv handle's) */
    size_t errlen;
};

/* ---- Network: netif rings <-> a TAP device ------------------------------- */

struct netback;

/*
 * Connects a guest's network device: maps the tx and rx rings granted in
 * fe->u.net (fe validated by noxs_page_read), serving them on local_port
 * (already bound) and tap_fd (non-blocking, owned by the caller).  mtu 0
 * is 1500.
 */
int netback_connect(const struct backend_env *env, uint32_t local_port,
                    int tap_fd, uint16_t mtu, const struct noxs_fe_device *fe,
                    struct netback **out);
/* Unmaps the rings and frees; NULL ok.  The caller unbinds and closes. */
void netback_disconnect(struct netback *nb);

/* The device's event channel fired: send what the guest queued on tx to
 * the TAP device, reclaim, and fill rx from frames waiting.  0, -EPROTO
 * (the guest broke its ring: disconnect it) or another -errno. */
int netback_kick(struct netback *nb);
/* The TAP fd is readable: move frames into the guest's posted rx buffers
 * (as many as it posted; the rest stay in the TAP queue). */
int netback_tap_readable(struct netback *nb);
/* Whether the TAP fd should be polled for input now: false while the
 * guest has posted no rx buffer (frames then wait in the kernel's queue). */
bool netback_wants_tap(const struct netback *nb);

/* Counters, for `chaos` and the benchmark. */
struct netback_stats {
    uint64_t tx_packets, tx_bytes; /* guest -> TAP */
    uint64_t rx_packets, rx_bytes; /* TAP -> guest */
    uint64_t tx_dropped, rx_dropped;
};
void netback_stats(const struct netback *nb, struct netback_stats *out);

/* ---- TAP devices (tap.c): created in prepare, served by the supervisor -- */

/*
 * Creates a persistent TAP device called name (IFNAMSIZ: at most 15
 * characters), attaches it to bridge (netlink: IFLA_MASTER) and sets it up.
 * Persistent, so that the prepare phase (chaos create, chaosd) and the
 * supervisor (another process, later) need not hand over an fd: the
 * supervisor opens it by name.  On any failure nothing is left.
 */
int tap_create(const char *name, const char *bridge, char *err, size_t errlen);
/* Opens the existing TAP device name for I/O: non-blocking, close-on-exec
 * fd in *fd, with IFF_VNET_HDR (each frame read or written comes after a
 * struct virtio_net_hdr; tap.c says why). */
int tap_open(const char *name, int *fd, char *err, size_t errlen);
/* Deletes the device (netlink RTM_DELLINK); -ENODEV if it does not exist. */
int tap_delete(const char *name, char *err, size_t errlen);

/* ---- Block: a blkif ring <-> a raw image file ------------------------------ */

struct blkback;

/*
 * Connects a guest's block device: maps the ring granted in fe->u.blk,
 * served on local_port, against image_fd (opened by the caller, O_RDWR or
 * O_RDONLY; the caller keeps it), sectors 512-byte units long.  readonly:
 * writes are answered BLKIF_RSP_ERROR.  Flush (BLKIF_OP_FLUSH_DISKCACHE)
 * is answered only after fdatasync() returned: data the guest flushed is
 * on disk when it sees the reply.
 */
int blkback_connect(const struct backend_env *env, uint32_t local_port,
                    int image_fd, uint64_t sectors, bool readonly,
                    const struct noxs_fe_device *fe, struct blkback **out);
void blkback_disconnect(struct blkback *bb);
/* The device's event channel fired: serve every queued request.  0,
 * -EPROTO (disconnect the guest) or another -errno. */
int blkback_kick(struct blkback *bb);
/* Bytes and requests served (the ring's counters, blkback_ring.h). */
void blkback_stats(const struct blkback *bb, uint64_t *read_bytes,
                   uint64_t *reads, uint64_t *write_bytes, uint64_t *writes);

#endif /* CHAOS_BACKEND_H */
