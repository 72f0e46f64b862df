/*
 * tinyx-netwatch - guest-side helper of tinyx --net images: prints the
 * address the toolstack gives the guest's first vif, at start and again
 * after every resume, one line each, for /init to apply (tinyx/init.sh,
 * tinyx_follow).
 *
 * Why it exists: a guest restored from a saved image (chaosd's template
 * pools: many guests from one image) wakes up with the address it was
 * saved with, and the toolstack can only tell it its new one through
 * XenStore (the vif back end's `ip` key, as libxl writes it).  Linux
 * re-reads the vif's MAC there itself when netfront reconnects after a
 * resume, but nothing in the kernel reads `ip`, and a tinyx image has
 * no xenstore tools (Debian's link libxenstore, which needs xenfs or the
 * same device), so this is one small static program.
 *
 * How: it opens Linux's /dev/xen/xenbus (xenbus_dev_frontend, built into
 * Debian's kernel, made by devtmpfs) and watches the front end's
 * `device/vif/0/backend` key.  The store fires a watch once when it is
 * registered, and Linux registers every watch again after a resume
 * (xenbus_xs.c, xs_resume), so an event comes at start and after each
 * resume (and if the toolstack rewrites the key).  For each event it
 * reads the back end's path from that key, then its `ip` key, and prints
 * the address (A.B.C.D or A.B.C.D/LEN), or "-" when there is none or it
 * is not one.  The watch path is relative: after a restore the guest has
 * a new domain id, and relative paths follow it.
 *
 * What the store says is checked (netwatch_msg.c): payload lengths
 * bounded, paths printable, addresses strictly formed; the output is a
 * line /init only compares and hands to busybox ip.  One request at a
 * time; events that come while waiting for a reply are remembered as one
 * (only the latest state matters).  Exits 1 when the device cannot be
 * used (a kernel without it: /init carries on with the command line's
 * address).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "netwatch_msg.h"

#ifndef NETWATCH_DEVICE /* another only for a test on the build host */
#define NETWATCH_DEVICE "/dev/xen/xenbus"
#endif
#define DEVICE NETWATCH_DEVICE
#define WATCHED "device/vif/0/backend"

static int fd = -1;
static uint32_t next_id = 1;
static bool pending; /* an event came while a reply was awaited */

static int read_full(void *buf, size_t len)
{
    size_t have = 0;
    while (have < len) {
        ssize_t n = read(fd, (char *)buf + have, len - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        have += (size_t)n;
    }
    return 0;
}

/* The next message: its type; its payload in body (NUL-terminated), its
 * length in *len.  -1 when the device fails or says something too long. */
static int next_msg(uint32_t *type, char *body, uint32_t *len)
{
    uint8_t hdr[NW_HEADER];
    if (read_full(hdr, sizeof(hdr)) < 0 || nw_header(hdr, type, len) < 0 ||
        read_full(body, *len) < 0)
        return -1;
    body[*len] = '\0';
    return 0;
}

/* Sends a request, returns its reply (events met on the way are noted).
 * 0 and the reply, 1 when the store answered an error, -1 on failure. */
static int talk(uint32_t type, const char *a, const char *b, char *body,
                uint32_t *len)
{
    uint8_t req[NW_HEADER + NW_PAYLOAD_MAX];
    size_t n = nw_request(req, sizeof(req), type, next_id++, a, b);
    if (n == 0 || write(fd, req, n) != (ssize_t)n)
        return -1;
    for (;;) {
        uint32_t t;
        if (next_msg(&t, body, len) < 0)
            return -1;
        if (t == NW_XS_WATCH_EVENT) {
            pending = true;
            continue;
        }
        return t == NW_XS_ERROR ? 1 : t == type ? 0 : -1;
    }
}

/* One line: the address the back end's ip key holds, or "-". */
static int report(void)
{
    static char body[NW_PAYLOAD_MAX + 1];
    char be[256], key[272], ip[24] = "";
    uint32_t len;
    int rc = talk(NW_XS_READ, WATCHED, NULL, body, &len);
    if (rc < 0)
        return -1;
    if (rc == 0 && nw_path(body, len, be, sizeof(be)) == 0) {
        snprintf(key, sizeof(key), "%s/ip", be);
        rc = talk(NW_XS_READ, key, NULL, body, &len);
        if (rc < 0)
            return -1;
        if (rc == 0)
            nw_ip(body, len, ip, sizeof(ip));
    }
    char line[32];
    int n = snprintf(line, sizeof(line), "%s\n", ip[0] ? ip : "-");
    return write(1, line, (size_t)n) == n ? 0 : -1;
}

int main(void)
{
    static char body[NW_PAYLOAD_MAX + 1];
    uint32_t type, len;
    fd = open(DEVICE, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "tinyx-netwatch: %s: %s\n", DEVICE, strerror(errno));
        return 1;
    }
    if (talk(NW_XS_WATCH, WATCHED, "tinyx", body, &len) != 0) {
        fprintf(stderr, "tinyx-netwatch: cannot watch %s\n", WATCHED);
        return 1;
    }
    for (;;) {
        if (!pending) {
            if (next_msg(&type, body, &len) < 0)
                break;
            if (type != NW_XS_WATCH_EVENT)
                continue; /* nothing else is awaited here */
        }
        pending = false;
        if (report() < 0)
            break;
    }
    fprintf(stderr, "tinyx-netwatch: %s failed\n", DEVICE);
    return 1;
}
