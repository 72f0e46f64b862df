/*
 * lab-tap: libchaos's TAP device functions (libchaos/backend/tap.c) from
 * the shell, for tests/lab/test-tap.sh.
 *
 *   lab-tap create NAME BRIDGE   tap_create
 *   lab-tap open NAME            tap_open, then checks the fd's flags
 *                                (and IFF_VNET_HDR: the offload header)
 *   lab-tap delete NAME          tap_delete
 *
 * Prints "ok" or the function's message on stderr; exit status 0 on
 * success, 1 on failure (the errno on stdout as "errno=N" for the test).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/if_tun.h>
#include <net/if.h>

#include "backend/backend.h"

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
    else {
        fprintf(stderr, "usage: lab-tap create NAME BRIDGE | open NAME | "
                        "delete NAME\n");
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
