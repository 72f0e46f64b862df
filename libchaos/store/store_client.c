/*
 * store_client.c - see store_client.h.  Blocking, bounded by a deadline:
 * used by `chaos shutdown` and chaosd for one request at a time.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <xen/io/xs_wire.h>

#include "store_client.h"

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Moves exactly len bytes (send or recv) before the deadline. */
static int move(int fd, void *buf, size_t len, bool out, int64_t deadline)
{
    size_t done = 0;
    while (done < len) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return -ETIMEDOUT;
        struct pollfd p = { .fd = fd, .events = out ? POLLOUT : POLLIN };
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r < 0 ? -errno : -ETIMEDOUT;
        ssize_t n =
            out ? send(fd, (char *)buf + done, len - done,
                       MSG_NOSIGNAL | MSG_DONTWAIT)
                : recv(fd, (char *)buf + done, len - done, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -ECONNRESET;
        done += (size_t)n;
    }
    return 0;
}

int store_client_write(int fd, const char *path, const char *value,
                       int timeout_ms, char *err, size_t errlen)
{
    size_t plen = strlen(path) + 1, vlen = strlen(value);
    char msg[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
    struct xsd_sockmsg hdr = { .type = XS_WRITE, .req_id = 1, .tx_id = 0 };
    int64_t deadline = now_ms() + timeout_ms;

    if (plen + vlen > XENSTORE_PAYLOAD_MAX) {
        snprintf(err, errlen, "request too long");
        return -E2BIG;
    }
    hdr.len = (uint32_t)(plen + vlen);
    memcpy(msg, &hdr, sizeof(hdr));
    memcpy(msg + sizeof(hdr), path, plen);
    memcpy(msg + sizeof(hdr) + plen, value, vlen);
    int rc = move(fd, msg, sizeof(hdr) + hdr.len, true, deadline);
    /* The answer to our request; watch events are not ours (we set none). */
    struct xsd_sockmsg reply;
    char body[64] = "";
    if (!rc)
        rc = move(fd, &reply, sizeof(reply), false, deadline);
    if (!rc && reply.len > XENSTORE_PAYLOAD_MAX)
        rc = -EPROTO;
    for (uint32_t got = 0; !rc && got < reply.len;) {
        char chunk[256];
        uint32_t n = reply.len - got < sizeof(chunk) ? reply.len - got
                                                     : (uint32_t)sizeof(chunk);
        rc = move(fd, chunk, n, false, deadline);
        if (!rc && got < sizeof(body) - 1)
            memcpy(body + got, chunk,
                   n < sizeof(body) - 1 - got ? n : sizeof(body) - 1 - got);
        got += n;
    }
    if (rc) {
        snprintf(err, errlen, "no answer from the store: %s", strerror(-rc));
        return rc;
    }
    if (reply.type == XS_ERROR) {
        snprintf(err, errlen, "the store refused: %s", body);
        return -EIO;
    }
    if (reply.type != XS_WRITE || reply.req_id != 1) {
        snprintf(err, errlen, "unexpected answer (type %u)", reply.type);
        return -EPROTO;
    }
    return 0;
}
