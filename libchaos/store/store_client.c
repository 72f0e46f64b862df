/*
 * store_client.c - see store_client.h.  Blocking, bounded by a deadline:
 * used by `chaos shutdown` and chaosd for one request at a time.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

/*
 * One request (type, in transaction tx, payload of plen bytes) and its
 * answer: *rtype, the answer's transaction id in *rtx, its body (at most
 * len - 1 bytes kept, NUL-terminated).  0, -EIO when the store answered
 * XS_ERROR (body: its error name), or a transport error; err says.
 */
static int request(int fd, enum xsd_sockmsg_type type, uint32_t tx,
                   const char *payload, size_t plen, char *body, size_t len,
                   int64_t deadline, char *err, size_t errlen)
{
    char msg[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
    struct xsd_sockmsg hdr = { .type = type, .req_id = 1, .tx_id = tx };

    if (plen > XENSTORE_PAYLOAD_MAX) {
        snprintf(err, errlen, "request too long");
        return -E2BIG;
    }
    hdr.len = (uint32_t)plen;
    memcpy(msg, &hdr, sizeof(hdr));
    memcpy(msg + sizeof(hdr), payload, plen);
    int rc = move(fd, msg, sizeof(hdr) + hdr.len, true, deadline);
    /* The answer to our request; watch events are not ours (we set none). */
    struct xsd_sockmsg reply;
    body[0] = '\0';
    if (!rc)
        rc = move(fd, &reply, sizeof(reply), false, deadline);
    if (!rc && reply.len > XENSTORE_PAYLOAD_MAX)
        rc = -EPROTO;
    for (uint32_t got = 0; !rc && got < reply.len;) {
        char chunk[256];
        uint32_t n = reply.len - got < sizeof(chunk) ? reply.len - got
                                                     : (uint32_t)sizeof(chunk);
        rc = move(fd, chunk, n, false, deadline);
        if (!rc && got < len - 1) {
            size_t k = n < len - 1 - got ? n : len - 1 - got;
            memcpy(body + got, chunk, k);
            body[got + k] = '\0';
        }
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
    if (reply.type != type || reply.req_id != 1) {
        snprintf(err, errlen, "unexpected answer (type %u)", reply.type);
        return -EPROTO;
    }
    return 0;
}

/* path\0value: a write's payload; 0 or -E2BIG. */
static int write_payload(const char *path, const char *value, char *out,
                         size_t *len)
{
    size_t plen = strlen(path) + 1, vlen = strlen(value);
    if (plen + vlen > XENSTORE_PAYLOAD_MAX)
        return -E2BIG;
    memcpy(out, path, plen);
    memcpy(out + plen, value, vlen);
    *len = plen + vlen;
    return 0;
}

int store_client_write(int fd, const char *path, const char *value,
                       int timeout_ms, char *err, size_t errlen)
{
    char payload[XENSTORE_PAYLOAD_MAX], body[64];
    size_t len;
    if (write_payload(path, value, payload, &len) != 0) {
        snprintf(err, errlen, "request too long");
        return -E2BIG;
    }
    return request(fd, XS_WRITE, 0, payload, len, body, sizeof(body),
                   now_ms() + timeout_ms, err, errlen);
}

int store_client_read(int fd, const char *path, char *buf, size_t len,
                      int timeout_ms, char *err, size_t errlen)
{
    int rc = request(fd, XS_READ, 0, path, strlen(path) + 1, buf, len,
                     now_ms() + timeout_ms, err, errlen);
    if (rc == -EIO && !strcmp(buf, "ENOENT"))
        return -ENOENT;
    return rc;
}

/* One try of store_client_swap in transaction tx. */
static int swap_in(int fd, uint32_t tx, const char *path, const char *expect,
                   const char *value, char *cur, size_t curlen,
                   int64_t deadline, char *err, size_t errlen)
{
    char payload[XENSTORE_PAYLOAD_MAX], body[64];
    size_t len;
    int rc = request(fd, XS_READ, tx, path, strlen(path) + 1, cur, curlen,
                     deadline, err, errlen);
    bool missing = rc == -EIO && !strcmp(cur, "ENOENT");
    if (missing)
        cur[0] = '\0';
    if (rc && !missing)
        return rc;
    if (missing || strcmp(cur, expect) != 0)
        return 0;
    rc = write_payload(path, value, payload, &len);
    if (rc) {
        snprintf(err, errlen, "request too long");
        return rc;
    }
    rc = request(fd, XS_WRITE, tx, payload, len, body, sizeof(body), deadline,
                 err, errlen);
    return rc ? rc : 1;
}

int store_client_swap(int fd, const char *path, const char *expect,
                      const char *value, char *cur, size_t curlen,
                      int timeout_ms, char *err, size_t errlen)
{
    int64_t deadline = now_ms() + timeout_ms;
    char body[32];
    for (;;) {
        int rc = request(fd, XS_TRANSACTION_START, 0, "", 1, body, sizeof(body),
                         deadline, err, errlen);
        if (rc)
            return rc;
        uint32_t tx = (uint32_t)strtoul(body, NULL, 10);
        int swapped = swap_in(fd, tx, path, expect, value, cur, curlen,
                              deadline, err, errlen);
        /* Commit ("T") what was written; end an unchanged one ("F"). */
        rc = request(fd, XS_TRANSACTION_END, tx, swapped > 0 ? "T" : "F", 2,
                     body, sizeof(body), deadline, err, errlen);
        if (swapped < 0)
            return swapped;
        if (rc == -EIO && !strcmp(body, "EAGAIN") && swapped > 0)
            continue; /* the tree changed meanwhile: read it again */
        if (rc)
            return rc;
        return swapped;
    }
}
