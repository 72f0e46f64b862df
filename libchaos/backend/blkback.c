/*
 * blkback.c - the block back end (backend.h): a guest's blkif ring, mapped
 * by grant, served by the pure consumer of blkback_ring.c against a raw
 * image file.  This file is the glue: grant mapping and copying (hv_dev),
 * the image's pread/pwrite/fdatasync, and the event channel.
 *
 * The I/O is synchronous, in the supervisor's loop: a supervisor serves
 * one guest, so a slow disk delays only that guest's own devices.
 * io_uring or an I/O thread can replace the callbacks below later without
 * touching the ring logic.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "backend.h"
#include "blkback_ring.h"
#include "hv/hv_dev.h"

struct blkback {
    struct backend_env env;
    uint32_t port;
    int fd;
    void *sring;
    unsigned ring_pages;
    struct blkring *ring;
};

static int bb_copy(void *opaque, struct hv_gcopy *segs, unsigned count)
{
    struct blkback *bb = opaque;

    return hv_gnttab_copy(bb->env.gnttab, bb->env.domid, segs, count);
}

/* Drops done bytes from the front of iov (a private copy). */
static void iov_advance(struct iovec **iov, unsigned *cnt, size_t done)
{
    while (*cnt > 0 && done >= (*iov)->iov_len) {
        done -= (*iov)->iov_len;
        (*iov)++;
        (*cnt)--;
    }
    if (*cnt > 0) {
        (*iov)->iov_base = (char *)(*iov)->iov_base + done;
        (*iov)->iov_len -= done;
    }
}

/*
 * preadv/pwritev until every byte moved: short transfers are retried from
 * where they stopped, EINTR is retried.  Reading past the end of the image
 * (a file shorter than the disk it backs: a sparse image whose tail was
 * never written) gives zeros, as the holes inside it do.
 */
static int bb_rw(struct blkback *bb, bool write, const struct iovec *in,
                 unsigned cnt, uint64_t off)
{
    struct iovec buf[BLKRING_MAX_SEGS], *iov = buf;

    if (cnt > BLKRING_MAX_SEGS)
        return -EINVAL;
    memcpy(buf, in, cnt * sizeof(*in));
    while (cnt > 0) {
        ssize_t n = write ? pwritev(bb->fd, iov, (int)cnt, (off_t)off)
                          : preadv(bb->fd, iov, (int)cnt, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0 && write)
            return -EIO;
        if (n == 0) {
            for (unsigned i = 0; i < cnt; i++)
                memset(iov[i].iov_base, 0, iov[i].iov_len);
            return 0;
        }
        iov_advance(&iov, &cnt, (size_t)n);
        off += (uint64_t)n;
    }
    return 0;
}

static int bb_read(void *opaque, const struct iovec *iov, unsigned cnt,
                   uint64_t off)
{
    return bb_rw(opaque, false, iov, cnt, off);
}

static int bb_write(void *opaque, const struct iovec *iov, unsigned cnt,
                    uint64_t off)
{
    return bb_rw(opaque, true, iov, cnt, off);
}

/* The flush's response is pushed only after this returned. */
static int bb_sync(void *opaque)
{
    struct blkback *bb = opaque;

    while (fdatasync(bb->fd) < 0)
        if (errno != EINTR)
            return -errno;
    return 0;
}

static const struct blkring_ops bb_ops = {
    .copy = bb_copy,
    .read = bb_read,
    .write = bb_write,
    .sync = bb_sync,
};

int blkback_connect(const struct backend_env *env, uint32_t local_port,
                    int image_fd, uint64_t sectors, bool readonly,
                    const struct noxs_fe_device *fe, struct blkback **out)
{
    *out = NULL;
    if (!fe->rings_ready) {
        snprintf(env->err, env->errlen,
                 "blk: the guest has not published its ring yet");
        return -EPROTO;
    }
    unsigned pages = fe->u.blk.ring_pages;
    /* Checked before mapping anything (noxs_page_read checked it too). */
    if (pages < 1 || pages > NOXS_BLK_MAX_RING_PAGES ||
        (pages & (pages - 1)) != 0) {
        snprintf(env->err, env->errlen,
                 "blk: ring of %u pages (ring_order: 0 to 2)", pages);
        return -EPROTO;
    }
    struct blkback *bb = calloc(1, sizeof(*bb));
    if (!bb) {
        snprintf(env->err, env->errlen, "blk: out of memory");
        return -ENOMEM;
    }
    bb->env = *env;
    bb->port = local_port;
    bb->fd = image_fd;
    bb->ring_pages = pages;
    /* A ref the guest did not grant is its fault: -EPROTO, with the hv
     * module's message (which names the ref). */
    bb->sring =
        hv_gnttab_map(env->gnttab, env->domid, fe->u.blk.ring_ref, pages, true);
    if (!bb->sring) {
        free(bb);
        return -EPROTO;
    }
    int rc = blkring_new(bb->sring, pages, sectors, readonly, &bb_ops, bb,
                         &bb->ring, env->err, env->errlen);
    if (rc < 0) {
        blkback_disconnect(bb);
        return rc;
    }
    *out = bb;
    return 0;
}

void blkback_disconnect(struct blkback *bb)
{
    if (!bb)
        return;
    blkring_free(bb->ring);
    if (bb->sring)
        hv_gnttab_unmap(bb->env.gnttab, bb->sring, bb->ring_pages);
    free(bb);
}

int blkback_kick(struct blkback *bb)
{
    bool notify;
    int rc = blkring_serve(bb->ring, &notify, bb->env.err, bb->env.errlen);

    /* Responses pushed before a protocol error are still the guest's. */
    if (notify) {
        int nrc = hv_evtchn_notify(bb->env.evtchn, bb->port);
        if (rc == 0)
            rc = nrc;
    }
    return rc;
}

void blkback_stats(const struct blkback *bb, uint64_t *read_bytes,
                   uint64_t *reads, uint64_t *write_bytes, uint64_t *writes)
{
    struct blkring_stats st;
    blkring_stats(bb->ring, &st);
    *read_bytes = st.read_bytes;
    *reads = st.reads;
    *write_bytes = st.write_bytes;
    *writes = st.writes;
}
