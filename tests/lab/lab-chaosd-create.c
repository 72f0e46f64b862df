/*
 * lab-chaosd-create: one create request to chaosd, as an orchestrator
 * would send it, for the benchmarks (tools/bench/pool-bench).
 *
 *   lab-chaosd-create CONFIG [SOCKET]
 *
 * Sends CONFIG's text (kernel paths must be absolute) in a version 1
 * create request, prints chaosd's reply line and exits 0 if it says ok.
 * libc only, no json-c and no Xen libraries: it measures chaosd's answer,
 * not the start-up of the `chaos` command (which loads libchaos and
 * Xen's libraries, costly under emulation).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: lab-chaosd-create CONFIG [SOCKET]\n");
        return 2;
    }
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

    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s",
             argc > 2 ? argv[2] : "/run/chaos/chaosd.sock");
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        perror("connect");
        return 1;
    }
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
