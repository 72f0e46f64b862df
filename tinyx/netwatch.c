/*
 * tinyx-netwatch - guest-side helper of tinyx --net images: gives the
 * guest's interface the address the toolstack gives its first vif, at
 * start and again after every resume, and says so, one line each, for
 * /init (tinyx/init.sh, tinyx_follow):  `tinyx-netwatch DEV [GW]`.
 * Without DEV it only prints the address (or "-") per event.
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
 * reads the back end's path from that key, then its `ip` key (A.B.C.D
 * or A.B.C.D/LEN); with DEV it moves DEV to that address when it differs
 * (the default route through GW again), and after a resume waits for
 * the carrier and sends a gratuitous ARP (netwatch_net.c, which says why
 * in C).  The watch path is relative: after a restore the guest has a
 * new domain id, and relative paths follow it.
 *
 * What the store says is checked (netwatch_msg.c): payload lengths
 * bounded, paths printable, addresses strictly formed before they become
 * numbers for the kernel.  One request at a
 * time; events that come while waiting for a reply are remembered as one
 * (only the latest state matters).  Exits 1 when the device cannot be
 * used (a kernel without it: /init carries on with the command line's
 * address).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "netwatch_msg.h"
#include "netwatch_net.h"

#ifndef NETWATCH_DEVICE /* another only for a test on the build host */
#define NETWATCH_DEVICE "/dev/xen/xenbus"
#endif
#define DEVICE NETWATCH_DEVICE
#define WATCHED "device/vif/0/backend"
/* How long the carrier may take to come back after a resume: /init's
 * TINYX_WAIT, generous for emulated labs. */
#define NETWATCH_WAIT_MS 60000u

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

/* The address the back end's ip key holds into ip ("" when none or
 * not one): 0, or -1 when the device fails. */
static int store_ip(char ip[24])
{
    static char body[NW_PAYLOAD_MAX + 1];
    char be[256], key[272];
    uint32_t len;
    ip[0] = '\0';
    int rc = talk(NW_XS_READ, WATCHED, NULL, body, &len);
    if (rc < 0)
        return -1;
    if (rc == 0 && nw_path(body, len, be, sizeof(be)) == 0) {
        snprintf(key, sizeof(key), "%s/ip", be);
        rc = talk(NW_XS_READ, key, NULL, body, &len);
        if (rc < 0)
            return -1;
        if (rc == 0)
            nw_ip(body, len, ip, 24);
    }
    return 0;
}

static int say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int say(const char *fmt, ...)
{
    char line[160];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    if ((size_t)n > sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    return write(1, line, (size_t)n) == n ? 0 : -1;
}

/* Without an interface: one line per event, the address or "-". */
static int print_only(const char *ip)
{
    return say("%s", ip[0] ? ip : "-");
}

/* With an interface (tinyx-netwatch DEV [GW]): the store's address
 * applied, then one line for /init (tinyx/init.sh, tinyx_follow):
 *   start ADDR|-          the first event: ADDR the store's address,
 *                         now on DEV; "-": none (ip= of the command
 *                         line stays)
 *   resumed ADDR|- MAC    every later one (a resume): DEV's address and
 *                         MAC once its carrier is up and the address
 *                         was announced (gratuitous ARP)
 *   error TEXT            what went wrong, before one of those */
static const char *dev;
static uint32_t gw_be;
static bool started;

static void addr_text(char out[24], uint32_t addr_be, unsigned prefix)
{
    const uint8_t *b = (const uint8_t *)&addr_be;
    if (!addr_be)
        snprintf(out, 24, "-");
    else
        snprintf(out, 24, "%u.%u.%u.%u/%u", b[0], b[1], b[2], b[3], prefix);
}

static int follow(const char *ip)
{
    uint32_t cur, want;
    unsigned cur_p, want_p;
    bool from_store = false;
    char now[24];
    if (nw_net_current(dev, &cur, &cur_p) < 0 &&
        say("error cannot read %s's address: %s", dev, strerror(errno)) < 0)
        return -1;
    if (ip[0] && nw_addr(ip, &want, &want_p) == 0) {
        const char *step = "";
        if (want == cur && want_p == cur_p)
            from_store = true;
        else if (nw_net_set(dev, want, want_p, gw_be, &step) == 0) {
            cur = want, cur_p = want_p;
            from_store = true;
        } else if (say("error cannot give %s the address %s (%s: %s)", dev, ip,
                       step, strerror(errno)) < 0)
            return -1;
    }
    addr_text(now, cur, cur_p);
    if (!started) {
        started = true;
        return say("start %s", from_store ? now : "-");
    }
    if (nw_net_wait_carrier(dev, NETWATCH_WAIT_MS) < 0 &&
        say("error no carrier on %s after %u s", dev, NETWATCH_WAIT_MS / 1000) <
            0)
        return -1;
    if (cur && nw_net_announce(dev, cur) < 0 &&
        say("error no gratuitous ARP for %.*s", (int)strcspn(now, "/"), now) <
            0)
        return -1;
    uint8_t m[6] = { 0 };
    nw_net_mac(dev, m);
    return say("resumed %s %02x:%02x:%02x:%02x:%02x:%02x", now, m[0], m[1],
               m[2], m[3], m[4], m[5]);
}

int main(int argc, char **argv)
{
    static char body[NW_PAYLOAD_MAX + 1];
    uint32_t type, len;
    char ip[24];
    unsigned gw_prefix;
    if (argc > 3 || (argc > 1 && argv[1][0] == '-')) {
        fprintf(stderr, "usage: tinyx-netwatch [INTERFACE [GATEWAY]]\n");
        return 2;
    }
    dev = argc > 1 ? argv[1] : NULL;
    if (argc > 2 && argv[2][0] && nw_addr(argv[2], &gw_be, &gw_prefix) < 0) {
        fprintf(stderr, "tinyx-netwatch: %s is not a gateway address\n",
                argv[2]);
        return 2;
    }
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
        if (store_ip(ip) < 0 || (dev ? follow(ip) : print_only(ip)) < 0)
            break;
    }
    fprintf(stderr, "tinyx-netwatch: %s failed\n", DEVICE);
    return 1;
}
