/*
 * lab-udp-echo IP PORT TEXT [TIMEOUT_MS]: sends TEXT as one UDP datagram to
 * IP:PORT, again every 500 ms (ARP and a guest still starting lose the
 * first ones), until a datagram comes back or TIMEOUT_MS (default 10000)
 * passes.  Prints what came back; exit 0 if it is TEXT, 1 otherwise.  The
 * lab's busybox nc has no UDP mode (test-noxs.sh).
 */
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    struct sockaddr_in to = { .sin_family = AF_INET };
    char reply[2048];
    long timeout_ms = argc > 4 ? atol(argv[4]) : 10000;
    size_t len;
    int fd;

    if (argc < 4 || argc > 5 ||
        inet_pton(AF_INET, argv[1], &to.sin_addr) != 1 || atoi(argv[2]) <= 0 ||
        atoi(argv[2]) > 65535) {
        fprintf(stderr, "usage: lab-udp-echo IP PORT TEXT [TIMEOUT_MS]\n");
        return 2;
    }
    to.sin_port = htons((uint16_t)atoi(argv[2]));
    len = strlen(argv[3]);
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) {
        perror("lab-udp-echo: socket");
        return 1;
    }
    for (long waited = 0; waited < timeout_ms; waited += 500) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ssize_t n;

        if (sendto(fd, argv[3], len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
            perror("lab-udp-echo: sendto");
        if (poll(&p, 1, 500) <= 0)
            continue;
        n = recv(fd, reply, sizeof(reply) - 1, 0);
        if (n < 0)
            continue;
        reply[n] = '\0';
        printf("%s\n", reply);
        close(fd);
        return (size_t)n == len && memcmp(reply, argv[3], len) == 0 ? 0 : 1;
    }
    fprintf(stderr, "lab-udp-echo: no answer from %s:%s in %ld ms\n", argv[1],
            argv[2], timeout_ms);
    close(fd);
    return 1;
}
