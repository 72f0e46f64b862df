/*
 * lab-floor: the cheapest pieces a create is made of, timed in the lab's
 * dom0, so that pool-bench can say how far chaos's creates are from what
 * this (emulated) machine allows at all (issue 13).
 *
 *   lab-floor exec N PROG [ARG...]   N runs of PROG, one after another,
 *                                    each from fork to its exit: a
 *                                    process's start and end
 *   lab-floor ping N [SOCKET]        N `ping` requests to chaosd on one
 *                                    connection, each from its send to
 *                                    the reply: a socket round trip
 *   lab-floor sleep N                N sleeps of 1 ms, each timed: how
 *                                    finely the benchmarks' clients,
 *                                    which look for a first line every
 *                                    millisecond, see it
 *
 * Prints one line per run, "i,MS".  PROG's output goes to /dev/null.
 * `lab-floor exec N lab-floor ping 1` is a client process's floor:
 * start, connect, one round trip, exit.
 * PROG's exit status is not looked at (a run that fails on purpose is a
 * floor too); one that cannot be started ends the program with 1.
 *
 * libc only and static (as the thin `chaos` is where the build allows),
 * so that its own start is the cheapest a process's can be.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lab-util.h"

static int run_exec(long n, char **argv)
{
    for (long i = 1; i <= n; i++) {
        double t0 = lab_now_ms();
        /* Its output is not the measure (and a failure on purpose says
         * so on stderr). */
        int status;
        if (lab_run(argv, "/dev/null", 1, &status) < 0)
            return 1;
        double t1 = lab_now_ms();
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
            fprintf(stderr, "lab-floor: cannot run %s\n", argv[0]);
            return 1;
        }
        printf("%ld,%.3f\n", i, t1 - t0);
    }
    return 0;
}

static int run_ping(long n, const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        perror(path);
        return 1;
    }
    static const char req[] = "{\"v\":1,\"op\":\"ping\"}\n";
    for (long i = 1; i <= n; i++) {
        double t0 = lab_now_ms();
        if (write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1)) {
            perror("write");
            return 1;
        }
        /* One request in flight: the reply is the next line. */
        char buf[4096];
        size_t len = 0;
        while (!memchr(buf, '\n', len)) {
            ssize_t r = read(fd, buf + len, sizeof(buf) - 1 - len);
            if (r <= 0 || (len += (size_t)r) == sizeof(buf) - 1) {
                fprintf(stderr, "lab-floor: no reply from %s\n", path);
                return 1;
            }
        }
        double t1 = lab_now_ms();
        buf[len] = '\0';
        if (!strstr(buf, "\"ok\":true")) {
            fprintf(stderr, "lab-floor: %s", buf);
            return 1;
        }
        printf("%ld,%.3f\n", i, t1 - t0);
    }
    close(fd);
    return 0;
}

static int run_sleep(long n)
{
    struct timespec tick = { 0, 1000000 };
    for (long i = 1; i <= n; i++) {
        double t0 = lab_now_ms();
        nanosleep(&tick, NULL);
        printf("%ld,%.3f\n", i, lab_now_ms() - t0);
    }
    return 0;
}

int main(int argc, char **argv)
{
    long n = argc >= 3 ? atol(argv[2]) : 0;
    if (argc >= 4 && n > 0 && !strcmp(argv[1], "exec"))
        return run_exec(n, argv + 3);
    if ((argc == 3 || argc == 4) && n > 0 && !strcmp(argv[1], "ping"))
        return run_ping(n, argc == 4 ? argv[3] : "/run/chaos/chaosd.sock");
    if (argc == 3 && n > 0 && !strcmp(argv[1], "sleep"))
        return run_sleep(n);
    fprintf(stderr, "usage: lab-floor exec N PROG [ARG...]\n"
                    "       lab-floor ping N [SOCKET]\n"
                    "       lab-floor sleep N\n");
    return 2;
}
