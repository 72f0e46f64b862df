/*
 * lab-time-create: times one guest creation for the benchmarks.
 *
 *   lab-time-create LOGFILE TIMEOUT_S CMD [ARG...]
 *
 * Runs CMD (e.g. `chaos create -q x.cfg`), then watches LOGFILE (the
 * guest's console log) until it holds a complete first line.  Prints
 * "COMMAND_MS,FIRST_LINE_MS" on the monotonic clock, both from the moment
 * CMD was started; FIRST_LINE_MS is empty if no line came within TIMEOUT_S.
 * Exits with CMD's status (the line is printed only when CMD succeeded).
 * A shell cannot do this: dom0's busybox has no clock finer than 10 ms.
 * With $LAB_TIME_STDOUT set, CMD's standard output goes to that file (so
 * a caller can read CMD's answer without a shell in the timed path).
 * With $LAB_TIME_UNTIL set, the line awaited is the first that holds
 * that text (a Linux guest's "ready" line after its boot messages).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lab-util.h"

/* True once the file exists and holds a newline; with UNTIL, a
 * complete line holding UNTIL (looked for in the first 1 MiB). */
static int has_line(const char *path, const char *until)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    static char buf[1 << 20];
    ssize_t n = read(fd, buf, until ? sizeof(buf) - 1 : 4096);
    close(fd);
    if (n <= 0)
        return 0;
    if (!until)
        return memchr(buf, '\n', (size_t)n) != NULL;
    buf[n] = '\0';
    const char *at = strstr(buf, until);
    return at && strchr(at, '\n') != NULL;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr,
                "usage: lab-time-create LOGFILE TIMEOUT_S CMD [ARG...]\n");
        return 2;
    }
    const char *log = argv[1];
    double timeout_ms = atof(argv[2]) * 1e3;
    const char *out = getenv("LAB_TIME_STDOUT");
    double t0 = lab_now_ms();
    int status;
    if (lab_run(argv + 3, out && out[0] ? out : NULL, 0, &status) < 0)
        return 1;
    double t1 = lab_now_ms();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
    const char *until = getenv("LAB_TIME_UNTIL");
    if (until && !until[0])
        until = NULL;
    double first = -1;
    struct timespec tick = { 0, 1000000 }; /* 1 ms */
    while (lab_now_ms() - t0 < timeout_ms) {
        if (has_line(log, until)) {
            first = lab_now_ms();
            break;
        }
        nanosleep(&tick, NULL);
    }
    if (first < 0)
        printf("%.3f,\n", t1 - t0);
    else
        printf("%.3f,%.3f\n", t1 - t0, first - t0);
    return 0;
}
