/*
 * lab-time-answer: the time from a create to the guest's first answered
 * HTTP request, for the service benchmark (tools/bench/service-bench).
 *
 *   lab-time-answer [--ip A.B.C.D] SECONDS CMD [ARG...]
 *   lab-time-answer [--ip A.B.C.D] SECONDS --chaosd CONFIG [SOCKET]
 *
 * The first form runs CMD (a `chaos create` or `xl create`); the second
 * sends one create
 * request for the absolute path CONFIG on a connection to chaosd's
 * socket opened beforehand, as a long-lived client (an orchestrator)
 * does, so that no process start is timed.  Then it asks http://IP/ for
 * "/" until an HTTP reply comes, within SECONDS: IP is --ip's, else the
 * first "ip" in the command's output or chaosd's reply (a warm template
 * guest's address, chaosd's choice).  The output or reply is kept in
 * $LAB_TIME_STDOUT (else dropped).  Prints
 *   command_ms,answer_ms
 * both from the start of the create.  Exits 1 when the create fails or
 * nothing answers in time.
 *
 * The probe is a TCP connect and a GET in this process, tried again 5 ms
 * after each refusal: a busybox wget per try (what the benchmark used
 * before) costs ~60 ms of process start under TCG, every method alike,
 * which hid most of the fastest methods' own time.  libc only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lab-util.h"

#define RETRY_MS 5
#define CONNECT_WAIT_MS 1000 /* an ARP or SYN lost: try anew */
#define REPLY_WAIT_MS 2000

/* Waits up to ms for events on fd; true when they came. */
static bool wait_fd(int fd, short events, int ms)
{
    struct pollfd p = { .fd = fd, .events = events };
    return poll(&p, 1, ms) == 1 && !(p.revents & (POLLERR | POLLNVAL));
}

/* One try: connect, GET /, an "HTTP/" reply.  True when it answered. */
static bool answered(const struct sockaddr_in *sa)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    bool ok = false;
    int err = 0;
    socklen_t len = sizeof(err);
    if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0 ||
        (errno == EINPROGRESS && wait_fd(fd, POLLOUT, CONNECT_WAIT_MS) &&
         getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0)) {
        static const char get[] = "GET / HTTP/1.0\r\n\r\n";
        char buf[8];
        ok = write(fd, get, sizeof(get) - 1) == (ssize_t)sizeof(get) - 1 &&
             wait_fd(fd, POLLIN, REPLY_WAIT_MS) &&
             read(fd, buf, sizeof(buf)) >= 5 && !memcmp(buf, "HTTP/", 5);
    }
    close(fd);
    return ok;
}

/* The first "ip": "A.B.C.D..." in text, into ip; false if none. */
static bool ip_in(const char *text, char *ip, size_t size)
{
    const char *p = strstr(text, "\"ip\":");
    if (!p)
        return false;
    p += 5;
    while (*p == ' ' || *p == '"')
        p++;
    size_t n = 0;
    while ((*p == '.' || (*p >= '0' && *p <= '9')) && n < size - 1)
        ip[n++] = *p++;
    ip[n] = '\0';
    return n > 0;
}

/* Runs argv with its output into out (size bytes, NUL-terminated) and
 * its exit status. */
static int run(char **argv, char *out, size_t size)
{
    int pfd[2];
    if (pipe(pfd) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pfd[1], 1);
        close(pfd[0]);
        close(pfd[1]);
        execvp(argv[0], argv);
        perror(argv[0]);
        _exit(127);
    }
    close(pfd[1]);
    size_t n = 0;
    ssize_t r;
    while ((r = read(pfd[0], out + n, size - 1 - n)) > 0)
        n += (size_t)r;
    out[n] = '\0';
    close(pfd[0]);
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* One create of config (an absolute path) on chaosd's socket, connected
 * before t0 is taken; its reply line into out.  0, or -1. */
static int chaosd_create(const char *config, const char *sock, char *out,
                         size_t size, double *t0)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        perror(sock);
        return -1;
    }
    char req[600];
    int len = snprintf(req, sizeof(req),
                       "{\"v\":1,\"op\":\"create\",\"id\":1,\"path\":\"%s\"}\n",
                       config);
    *t0 = lab_now_ms();
    if (len < 0 || (size_t)len >= sizeof(req) ||
        write(fd, req, (size_t)len) != len) {
        close(fd);
        return -1;
    }
    size_t n = 0;
    ssize_t r;
    while (!memchr(out, '\n', n) && (r = read(fd, out + n, size - 1 - n)) > 0)
        n += (size_t)r;
    out[n] = '\0';
    close(fd);
    return strstr(out, "\"ok\":true") ? 0 : -1;
}

int main(int argc, char **argv)
{
    const char *ip_arg = NULL;
    if (argc > 2 && !strcmp(argv[1], "--ip")) {
        ip_arg = argv[2];
        argv += 2;
        argc -= 2;
    }
    if (argc < 3) {
        fprintf(stderr, "usage: lab-time-answer [--ip A.B.C.D] SECONDS CMD "
                        "[ARG...]\n       lab-time-answer [--ip A.B.C.D] "
                        "SECONDS --chaosd CONFIG [SOCKET]\n");
        return 2;
    }
    double limit = atof(argv[1]) * 1e3;
    static char out[65536];
    double t0 = lab_now_ms();
    int rc;
    if (!strcmp(argv[2], "--chaosd"))
        rc = argc > 3
                 ? chaosd_create(argv[3],
                                 argc > 4 ? argv[4] : "/run/chaos/chaosd.sock",
                                 out, sizeof(out), &t0)
                 : -1;
    else
        rc = run(argv + 2, out, sizeof(out));
    double t1 = lab_now_ms();
    const char *keep = getenv("LAB_TIME_STDOUT");
    FILE *f = keep ? fopen(keep, "w") : NULL;
    if (f) {
        fputs(out, f);
        fclose(f);
    }
    if (rc != 0) {
        fprintf(stderr, "lab-time-answer: the create failed (%d): %s\n", rc,
                out);
        return 1;
    }
    char ip[16];
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(80) };
    if (ip_arg)
        snprintf(ip, sizeof(ip), "%s", ip_arg);
    if ((!ip_arg && !ip_in(out, ip, sizeof(ip))) ||
        inet_pton(AF_INET, ip, &sa.sin_addr) != 1) {
        fprintf(stderr, "lab-time-answer: no address to ask: %s\n", out);
        return 1;
    }
    while (!answered(&sa)) {
        if (lab_now_ms() - t0 > limit) {
            fprintf(stderr, "lab-time-answer: %s did not answer in %.0f s\n",
                    ip, limit / 1e3);
            return 1;
        }
        usleep(RETRY_MS * 1000);
    }
    printf("%.1f,%.1f\n", t1 - t0, lab_now_ms() - t0);
    return 0;
}
