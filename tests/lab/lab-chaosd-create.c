/*
 * lab-chaosd-create: one create request to chaosd, as an orchestrator
 * would send it, for the benchmarks (tools/bench/pool-bench).
 *
 *   lab-chaosd-create CONFIG [SOCKET]
 *
 * Sends CONFIG's text (kernel paths must be absolute) in a version 1
 * create request, prints chaosd's reply line and exits 0 if it says ok.
 *
 *   lab-chaosd-create --raw N [SOCKET]
 *
 * Sends standard input as it is (any bytes: malformed and oversized
 * requests for the lab tests), then prints what chaosd sends back, line
 * by line as it arrives, until N lines came or chaosd closed the
 * connection (a subscriber: N large, ended by a signal).  Exit 0.
 * libc only, no json-c and no Xen libraries: it measures chaosd's answer,
 * not the start-up of the `chaos` command (which loads libchaos and
 * Xen's libraries, costly under emulation).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int connect_to(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s",
             path ? path : "/run/chaos/chaosd.sock");
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        perror("connect");
        exit(1);
    }
    return fd;
}

static int raw(long lines, const char *path)
{
    int fd = connect_to(path);
    static char buf[65536];
    ssize_t r;
    /* chaosd may answer an oversized request and hang up before it was
     * all sent: stop writing then, and read what it said. */
    signal(SIGPIPE, SIG_IGN);
    while ((r = read(0, buf, sizeof(buf))) > 0)
        if (write(fd, buf, (size_t)r) != r)
            break;
    /* Unbuffered, so that a subscriber's lines reach its file at once. */
    setvbuf(stdout, NULL, _IONBF, 0);
    FILE *in = fdopen(fd, "r");
    while (lines > 0 && fgets(buf, sizeof(buf), in)) {
        fputs(buf, stdout);
        if (strchr(buf, '\n'))
            lines--;
    }
    fclose(in);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: lab-chaosd-create CONFIG [SOCKET]\n"
                        "       lab-chaosd-create --raw N [SOCKET]\n");
        return 2;
    }
    if (strcmp(argv[1], "--raw") == 0)
        return argc > 2 ? raw(atol(argv[2]), argc > 3 ? argv[3] : NULL) : 2;
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    /* The request, with the config as a JSON string (escaped). */
    static char req[65536];
    size_t n = (size_t)snprintf(req, sizeof(req),
                                "{\"v\":1,\"op\":\"create\",\"config\":\"");
    int ch;
    while ((ch = fgetc(f)) != EOF && n < sizeof(req) - 16) {
        if (ch == '"' || ch == '\\') {
            req[n++] = '\\';
            req[n++] = (char)ch;
        } else if (ch == '\n') {
            req[n++] = '\\';
            req[n++] = 'n';
        } else if (ch >= 0x20) {
            req[n++] = (char)ch;
        }
    }
    fclose(f);
    n += (size_t)snprintf(req + n, sizeof(req) - n, "\"}\n");

    int fd = connect_to(argc > 2 ? argv[2] : NULL);
    if (write(fd, req, n) != (ssize_t)n) {
        perror("write");
        return 1;
    }
    static char reply[65536];
    size_t got = 0;
    ssize_t r;
    while (got < sizeof(reply) - 1 &&
           (r = read(fd, reply + got, sizeof(reply) - 1 - got)) > 0) {
        got += (size_t)r;
        if (memchr(reply, '\n', got))
            break;
    }
    close(fd);
    reply[got] = '\0';
    fputs(reply, stdout);
    return strstr(reply, "\"ok\":true") ? 0 : 1;
}
