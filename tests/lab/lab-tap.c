/*
 * lab-tap: libchaos's TAP device functions (libchaos/backend/tap.c) from
 * the shell, for tests/lab/test-tap.sh.
 *
 *   lab-tap create NAME BRIDGE   tap_create
 *   lab-tap open NAME            tap_open, then checks the fd's flags
 *                                (and IFF_VNET_HDR: the offload header)
 *   lab-tap delete NAME          tap_delete
 *   lab-tap offload A B          the kernel's side of the back end's
 *                                offloads: through A (tap_open), a 64 KiB
 *                                and a 10 KB TCP packet with the
 *                                virtio-net header netback_ring.c gives a
 *                                GSO packet, and a UDP one with that of a
 *                                checksum-blank one; A and B are ports of
 *                                one bridge, and B (no offloads) must
 *                                read them cut into MSS segments, every
 *                                checksum right
 *
 * Prints "ok" or the function's message on stderr; exit status 0 on
 * success, 1 on failure (the errno on stdout as "errno=N" for the test).
 */
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>

#include "backend/backend.h"
#include "backend/netback_csum.h"

#define MARK_PORT 0x5eed /* the destination port of our packets */
#define MSS 1448

static unsigned be16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* Broadcast Ethernet, IPv4 (its header checksum right: a bridge with
 * br_netfilter drops it otherwise), TCP or UDP to MARK_PORT, payload
 * bytes; the transport checksum left for the kernel, as a guest that
 * offloads leaves it.  The frame's length. */
static size_t build(uint8_t *f, bool udp, size_t payload)
{
    size_t l4hdr = udp ? 8 : 20, len = 34 + l4hdr + payload;
    memset(f, 0, len);
    memset(f, 0xff, 6);
    memcpy(f + 6, "\x02\0\0\0\0\x01\x08\x00", 8);
    uint8_t *ip = f + 14, *l4 = f + 34;
    ip[0] = 0x45;
    put16(ip + 2, (unsigned)(len - 14));
    ip[6] = 0x40; /* DF */
    ip[8] = 64;
    ip[9] = udp ? 17 : 6;
    memcpy(ip + 12, "\x0a\0\0\x01\x0a\0\0\x02", 8);
    uint32_t s = 0;
    for (unsigned i = 0; i < 20; i += 2)
        s += be16(ip + i);
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    put16(ip + 10, ~s & 0xffff);
    put16(l4, 12345);
    put16(l4 + 2, MARK_PORT);
    if (udp) {
        put16(l4 + 4, (unsigned)(l4hdr + payload));
    } else {
        l4[7] = 1;     /* sequence number */
        l4[12] = 0x50; /* 20-byte header */
        l4[13] = 0x18; /* PSH ACK */
        l4[14] = 0xff;
    }
    for (size_t i = 0; i < payload; i++)
        l4[l4hdr + i] = (uint8_t)(i * 7 + 3);
    return len;
}

/* The frame's checksum is right: finishing it again changes nothing. */
static bool csum_ok(const uint8_t *f, size_t len, size_t *payload)
{
    static uint8_t c[65536];
    struct nbr_l4 l4;
    memcpy(c, f, len);
    if (nbr_csum_partial(c, len, &l4) < 0 ||
        nbr_csum_complete(c, l4.end, l4.start, l4.field) < 0)
        return false;
    *payload = l4.end - l4.hdr_end;
    return memcmp(c, f, l4.end) == 0;
}

/* Sends one packet through a as netback.c would, and reads what b gets:
 * want frames carrying payload bytes, each checksum right. */
static int offload_case(int a, int b, bool udp, size_t payload, unsigned want)
{
    static uint8_t f[65536], buf[65536];
    size_t len = build(f, udp, payload);
    struct nbr_l4 l4;
    if (nbr_csum_partial(f, len, &l4) < 0)
        return fprintf(stderr, "offload: our own frame does not parse\n"), 1;
    /* The header of netback_ring.c's tx_offload (its unit tests pin the
     * fields). */
    struct virtio_net_hdr vh = {
        .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
        .csum_start = (uint16_t)l4.start,
        .csum_offset = l4.field,
    };
    if (!udp) {
        vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
        vh.gso_size = MSS;
        vh.hdr_len = (uint16_t)l4.hdr_end;
    }
    struct iovec out[2] = { { &vh, sizeof(vh) }, { f, len } };
    if (writev(a, out, 2) != (ssize_t)(sizeof(vh) + len)) {
        perror("offload: writev");
        return 1;
    }
    unsigned frames = 0, bad = 0;
    size_t got = 0;
    struct virtio_net_hdr rvh;
    struct iovec in[2] = { { &rvh, sizeof(rvh) }, { buf, sizeof(buf) } };
    while (got < payload &&
           poll(&(struct pollfd){ b, POLLIN, 0 }, 1, 2000) > 0) {
        ssize_t n;
        while ((n = readv(b, in, 2)) > (ssize_t)sizeof(rvh)) {
            size_t fl = (size_t)n - sizeof(rvh), seg;
            if (fl < 38 || be16(buf + 12) != 0x0800 ||
                be16(buf + 36) != MARK_PORT)
                continue; /* not ours (IPv6 neighbour discovery, ...) */
            frames++;
            if (rvh.flags || rvh.gso_type || !csum_ok(buf, fl, &seg) ||
                seg > MSS) {
                bad++;
                continue;
            }
            got += seg;
        }
    }
    printf("%s %zu bytes: %u frames, %u bad, %zu payload bytes\n",
           udp ? "UDP" : "TCP GSO", payload, frames, bad, got);
    return frames == want && bad == 0 && got == payload ? 0 : 1;
}

static int offload(const char *na, const char *nb)
{
    char err[256] = "";
    int a, b;
    if (tap_open(na, &a, err, sizeof(err)) < 0 ||
        tap_open(nb, &b, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    static const struct {
        bool udp;
        size_t payload;
        unsigned frames;
    } cases[] = {
        { false, 65535 - 54, (65535 - 54 + MSS - 1) / MSS },
        { false, 10000, (10000 + MSS - 1) / MSS },
        { true, 1000, 1 },
    };
    int rc = 0;
    for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
        rc |=
            offload_case(a, b, cases[c].udp, cases[c].payload, cases[c].frames);
    close(a);
    close(b);
    return rc;
}

int main(int argc, char **argv)
{
    char err[256] = "";
    int rc, fd = -1;
    if (argc == 4 && strcmp(argv[1], "create") == 0)
        rc = tap_create(argv[2], argv[3], err, sizeof(err));
    else if (argc == 3 && strcmp(argv[1], "open") == 0)
        rc = tap_open(argv[2], &fd, err, sizeof(err));
    else if (argc == 3 && strcmp(argv[1], "delete") == 0)
        rc = tap_delete(argv[2], err, sizeof(err));
    else if (argc == 4 && strcmp(argv[1], "offload") == 0)
        return offload(argv[2], argv[3]);
    else {
        fprintf(stderr, "usage: lab-tap create NAME BRIDGE | open NAME | "
                        "delete NAME | offload A B\n");
        return 2;
    }
    if (rc < 0) {
        printf("errno=%d\n", -rc);
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    if (fd >= 0) {
        int fl = fcntl(fd, F_GETFL), fdf = fcntl(fd, F_GETFD);
        if (!(fl & O_NONBLOCK) || !(fdf & FD_CLOEXEC)) {
            fprintf(stderr,
                    "tap_open: fd not non-blocking and close-on-exec\n");
            return 1;
        }
        struct ifreq ifr = { 0 };
        if (ioctl(fd, TUNGETIFF, &ifr) < 0 || !(ifr.ifr_flags & IFF_VNET_HDR)) {
            fprintf(stderr, "tap_open: fd without IFF_VNET_HDR\n");
            return 1;
        }
        /* Nothing was sent to a fresh device: a read must not block. */
        char buf[2048];
        if (read(fd, buf, sizeof(buf)) >= 0) {
            /* A frame (e.g. IPv6 router solicitation) is fine too. */
        }
        close(fd);
    }
    printf("ok\n");
    return 0;
}
