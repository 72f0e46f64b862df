/*
 * snapshot_save.c - chaos_domain_save (chaos.h; docs/snapshot.md):
 *
 *   1. what the header needs, read before anything happens to the guest:
 *      its configuration (the registry's copy) and its devices (MACs, the
 *      noxs page's generation, or a Linux guest's store event channel);
 *   2. the header, into PATH.chaos-tmp (stream length 0: incomplete);
 *   3. libxenguest's stream: it calls back to suspend the guest (the
 *      control device's suspend request, or control/shutdown = suspend in
 *      a Linux guest's private store; then a wait for SHUTDOWN_suspend),
 *      then writes every page;
 *   4. the stream's length and CRC into the header, fsync, rename to PATH;
 *   5. the guest destroyed, or resumed for a checkpoint.
 * Any failure before 5 resumes a suspended guest (its suspend returns
 * "cancelled", it carries on) and removes the temporary file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "devices.h"
#include "hv/hv_save.h"
#include "internal.h"
#include "registry.h"
#include "snapshot_image.h"
#include "util.h"

/*
 * How long a guest may take to answer a suspend request, and once it has
 * answered "done", to suspend.  A request still unanswered at the first
 * deadline is withdrawn (devices_request_withdraw): a
 * guest busy elsewhere that reads the request later must not suspend when
 * nobody is saving it any more, since nobody would resume it.  Once it
 * has taken the request it is committed, and giving up early only leaves
 * it suspended with nobody to resume it: 60 s, libxl's wait for a
 * suspend, since Linux freezing its tasks and devices took up to 5 s in
 * a loaded emulated lab.
 */
#define SUSPEND_ANSWER_MS 10000
#define SUSPEND_ACT_MS 60000
#define SUSPEND_POLL_NS 5000000 /* 5 ms */

struct suspend_req {
    chaos_ctx *ctx;
    chaos_domid domid;
};

/* 1 when domid is suspended, 0 while it runs, else a failure: it stopped
 * otherwise, or is gone. */
static int suspended_yet(chaos_ctx *ctx, chaos_domid domid)
{
    struct chaos_dominfo info;
    int rc = chaos_domain_info(ctx, domid, &info);
    if (rc)
        return rc;
    if (info.state == CHAOS_DOM_SHUTDOWN &&
        !strcmp(chaos_shutdown_reason_name(info.shutdown_reason), "suspend"))
        return 1;
    if (info.state == CHAOS_DOM_SHUTDOWN || info.state == CHAOS_DOM_CRASHED ||
        info.state == CHAOS_DOM_DYING)
        return chaos__fail(
            ctx, -ESRCH, "domain %u stopped (%s) instead of suspending", domid,
            info.state == CHAOS_DOM_SHUTDOWN
                ? chaos_shutdown_reason_name(info.shutdown_reason)
                : chaos_dom_state_name(info.state));
    return 0;
}

/* A request left unanswered: withdraw it, unless the guest took it just
 * now (then it suspends: NOXS_CTRL_ACK_DONE).  Else the timeout's error. */
static int withdraw(chaos_ctx *ctx, chaos_domid domid, uint32_t seq)
{
    int rc = devices_request_withdraw(ctx, domid, seq);
    if (rc == NOXS_CTRL_ACK_DONE || rc < 0)
        return rc;
    return chaos__fail(ctx, -ETIMEDOUT,
                       "domain %u did not answer the suspend request within "
                       "%d s (its kernel may not handle suspend, or be busy); "
                       "the request was withdrawn",
                       domid, SUSPEND_ANSWER_MS / 1000);
}

/* Asks the guest to suspend and waits until it has (hv_suspend_fn). */
static int ask_suspend(void *opaque)
{
    struct suspend_req *r = opaque;
    chaos_ctx *ctx = r->ctx;
    uint32_t seq;
    int rc = devices_request_seq(ctx, r->domid, NOXS_CTRL_SUSPEND, &seq);
    if (rc == -ENOENT)
        return chaos__fail(ctx, -EOPNOTSUPP,
                           "domain %u has no noxs control device to ask it to "
                           "suspend",
                           r->domid);
    if (rc)
        return rc;
    uint64_t deadline = util_now_ms() + SUSPEND_ANSWER_MS;
    bool taken = false; /* the guest answered "done": it acts on it */
    for (;;) {
        rc = suspended_yet(ctx, r->domid);
        if (rc)
            return rc < 0 ? rc : 0;
        if (!taken) {
            rc = devices_request_answer(ctx, r->domid, seq);
            if (rc < 0)
                return rc;
            if (rc == NOXS_CTRL_ACK_REFUSED)
                return chaos__fail(ctx, -EBUSY,
                                   "domain %u refused to suspend (its kernel "
                                   "answered the request with \"refused\")",
                                   r->domid);
            if (rc == NOXS_CTRL_ACK_NONE && util_now_ms() >= deadline) {
                rc = withdraw(ctx, r->domid, seq);
                if (rc != NOXS_CTRL_ACK_DONE)
                    return rc;
            }
            if (rc == NOXS_CTRL_ACK_DONE) {
                taken = true;
                deadline = util_now_ms() + SUSPEND_ACT_MS;
            }
        } else if (util_now_ms() >= deadline) {
            /* It said it would and has not: a guest still running into its
             * suspend later is resumed by nobody; say so. */
            return chaos__fail(ctx, -ETIMEDOUT,
                               "domain %u answered the suspend request but "
                               "did not suspend within %d s; if it does "
                               "later, `chaos destroy` it or save it again",
                               r->domid, SUSPEND_ACT_MS / 1000);
        }
        struct timespec tick = { 0, SUSPEND_POLL_NS };
        nanosleep(&tick, NULL);
    }
}

/* The header's fields from what chaos recorded of domid. */
static int describe(chaos_ctx *ctx, chaos_domid domid, bool pvh,
                    struct snap_header *h, char **config)
{
    memset(h, 0, sizeof(*h));
    snprintf(h->chaos_version, sizeof(h->chaos_version), "%s",
             chaos_version_string());
    h->pvh = pvh;
    int rc = registry_read_config(domid, config);
    if (rc)
        return chaos__fail(ctx, rc, "domain %u has no saved configuration: %s",
                           domid, strerror(-rc));
    struct devices *devs;
    rc = devices_record_read(domid, &devs);
    if (rc == -ENOENT)
        return chaos__fail(ctx, -EOPNOTSUPP,
                           "domain %u has neither a device page nor a "
                           "XenStore to ask it to suspend",
                           domid);
    if (rc)
        return chaos__fail(ctx, rc,
                           "domain %u: its device record is "
                           "unreadable: %s",
                           domid, strerror(-rc));
    h->store = devs->via_store ? SNAP_STORE_XENSTORE : SNAP_STORE_NOXS;
    h->noxs_generation = devs->via_store ? 0 : devs->host.generation;
    /* Linux binds its store channel again on resume, by the number it had
     * (xenbus_comms.c: xb_init_comms): the restore checks the new one. */
    h->store_port = devs->via_store ? devs->page_port : 0;
    for (unsigned i = 0; i < devs->host.nr_devices; i++) {
        const struct noxs_device *d = &devs->host.devices[i];
        if (d->type == NOXS_DEV_NET && h->nr_macs < SNAP_MAX_VIFS)
            memcpy(h->macs[h->nr_macs++], d->u.net.mac, 6);
    }
    devices_free(devs);
    return 0;
}

static int write_all(int fd, const void *buf, size_t len, off_t off)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = pwrite(fd, p, len, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        p += n;
        len -= (size_t)n;
        off += n;
    }
    return 0;
}

/* CRC-32 of fd's bytes [from, from + len). */
static int crc_of(int fd, off_t from, uint64_t len, uint32_t *crc)
{
    static const size_t CHUNK = 1u << 20;
    char *buf = malloc(CHUNK);
    if (!buf)
        return -ENOMEM;
    uint32_t c = 0;
    int rc = 0;
    while (len > 0) {
        ssize_t n = pread(fd, buf, len < CHUNK ? (size_t)len : CHUNK, from);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? -errno : -EIO;
            break;
        }
        c = snap_crc32(c, buf, (size_t)n);
        from += n;
        len -= (uint64_t)n;
    }
    free(buf);
    *crc = c;
    return rc;
}

static int write_failed(chaos_ctx *ctx, const char *path, int rc)
{
    return chaos__fail(
        ctx, rc, "writing the image '%s' failed: %s%s", path, strerror(-rc),
        rc == -ENOSPC || rc == -EDQUOT ? " (the disk is full)" : "");
}

/* Steps 2-4 into tmp; the guest suspended (*suspended) or not. */
static int write_image(chaos_ctx *ctx, chaos_domid domid, int fd,
                       const char *tmp, struct snap_header *h,
                       const char *config, bool *suspended)
{
    char err[SNAP_ERR_MAX];
    uint8_t *hdr;
    size_t hlen;
    int rc = snap_header_encode(h, config, &hdr, &hlen, err, sizeof(err));
    if (rc)
        return chaos__fail(ctx, rc, "%s", err);
    rc = write_all(fd, hdr, hlen, 0);
    free(hdr);
    if (rc)
        return write_failed(ctx, tmp, rc);
    if (lseek(fd, (off_t)hlen, SEEK_SET) < 0)
        return write_failed(ctx, tmp, -errno);
    struct suspend_req req = { .ctx = ctx, .domid = domid };
    rc = hv_domain_save(ctx->hv, domid, fd, ask_suspend, &req, suspended);
    if (rc)
        return rc;
    off_t end = lseek(fd, 0, SEEK_END);
    if (end < 0)
        return write_failed(ctx, tmp, -errno);
    h->stream_length = (uint64_t)end - hlen;
    rc = crc_of(fd, (off_t)hlen, h->stream_length, &h->stream_crc);
    if (rc)
        return write_failed(ctx, tmp, rc);
    /* The same size again: rewritten in place, now complete. */
    rc = snap_header_encode(h, config, &hdr, &hlen, err, sizeof(err));
    if (rc)
        return chaos__fail(ctx, rc, "%s", err);
    rc = write_all(fd, hdr, hlen, 0);
    free(hdr);
    if (!rc && fsync(fd) != 0)
        rc = -errno;
    return rc ? write_failed(ctx, tmp, rc) : 0;
}

/* Undoes a failed save: the guest runs on, the partial file goes. */
static int undo(chaos_ctx *ctx, chaos_domid domid, bool suspended,
                const char *tmp, int rc)
{
    char msg[CHAOS_ERRMSG_MAX];
    snprintf(msg, sizeof(msg), "%s", ctx->errmsg);
    unlink(tmp);
    if (suspended && hv_domain_resume(ctx->hv, domid) != 0)
        return chaos__fail(ctx, rc, "%s; and resuming the guest failed: %s",
                           msg, chaos_errmsg(ctx));
    return chaos__fail(ctx, rc, "%s%s", msg,
                       suspended ? " (the guest was resumed)" : "");
}

int chaos_domain_save(chaos_ctx *ctx, chaos_domid domid, const char *path,
                      unsigned flags)
{
    int rc = chaos__need_hv(ctx);
    if (rc)
        return rc;
    struct chaos_dominfo info;
    struct registry_record rec;
    rc = chaos_domain_info(ctx, domid, &info);
    if (rc)
        return rc;
    if (chaos__live_record(ctx, domid, &rec) != 0)
        return chaos__fail(ctx, -ENOENT, "domain %u was not created by chaos",
                           domid);
    if (info.state == CHAOS_DOM_SHUTDOWN || info.state == CHAOS_DOM_CRASHED ||
        info.state == CHAOS_DOM_DYING)
        return chaos__fail(ctx, -EINVAL, "domain %u is not running (%s)", domid,
                           chaos_dom_state_name(info.state));
    struct snap_header h;
    char *config = NULL;
    rc = describe(ctx, domid, info.pvh_or_hvm, &h, &config);
    if (rc) {
        free(config);
        return rc;
    }
    size_t len = strlen(path) + sizeof(".chaos-tmp");
    char *tmp = malloc(len);
    if (!tmp) {
        free(config);
        return chaos__fail(ctx, -ENOMEM, "out of memory");
    }
    snprintf(tmp, len, "%s.chaos-tmp", path);
    int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = chaos__fail(ctx, -errno, "cannot create '%s': %s", tmp,
                         strerror(errno));
        free(tmp);
        free(config);
        return rc;
    }
    bool suspended = false;
    rc = write_image(ctx, domid, fd, tmp, &h, config, &suspended);
    free(config);
    if (close(fd) != 0 && !rc)
        rc = write_failed(ctx, tmp, -errno);
    if (!rc && rename(tmp, path) != 0)
        rc = chaos__fail(ctx, -errno, "cannot rename '%s' to '%s': %s", tmp,
                         path, strerror(errno));
    if (rc) {
        rc = undo(ctx, domid, suspended, tmp, rc);
        free(tmp);
        return rc;
    }
    free(tmp);
    /* The image is whole: the guest ends, or runs on from its suspend. */
    if (flags & CHAOS_SAVE_CHECKPOINT)
        return hv_domain_resume(ctx->hv, domid);
    return chaos_domain_destroy(ctx, domid);
}
