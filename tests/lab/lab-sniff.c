/*
 * lab-sniff IFACE [SECONDS]: one line per ARP or IPv4 TCP frame IFACE
 * sees (dom0 has no tcpdump), until SIGTERM or SECONDS pass:
 *   MS DIR SRC-MAC > DST-MAC arp who-has|is-at IP ...
 *   MS DIR SRC-MAC > DST-MAC tcp IP:PORT > IP:PORT FLAGS
 * MS: CLOCK_BOOTTIME in ms (dom0's /proc/uptime); DIR: in (to this
 * host), other (received, for another MAC: dropped by IP and ARP), out,
 * bcast, mcast.  Then a summary line on stderr: frames seen, and how
 * many were `other`.  Used by tests/lab/repro-late-answer.sh and
 * test-tap.sh.
 */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
    (void)sig;
    stop = 1;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *dir_of(unsigned char t)
{
    switch (t) {
        case PACKET_HOST:
            return "in";
        case PACKET_OTHERHOST:
            return "other";
        case PACKET_OUTGOING:
            return "out";
        case PACKET_BROADCAST:
            return "bcast";
        case PACKET_MULTICAST:
            return "mcast";
        default:
            return "?";
    }
}

static void mac(char *out, const unsigned char *m)
{
    sprintf(out, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
            m[5]);
}

static void ip4(char *out, const unsigned char *a)
{
    sprintf(out, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
}

static void show(const unsigned char *f, size_t n, unsigned char type)
{
    char src[18], dst[18], a[16], b[16];
    if (n < 14)
        return;
    unsigned proto = (unsigned)f[12] << 8 | f[13];
    mac(src, f + 6);
    mac(dst, f);
    const unsigned char *p = f + 14;
    n -= 14;
    if (proto == ETH_P_ARP && n >= 28) {
        unsigned op = (unsigned)p[6] << 8 | p[7];
        ip4(a, p + 14);
        ip4(b, p + 24);
        printf("%lld %s %s > %s arp %s %s %s\n", now_ms(), dir_of(type), src,
               dst, op == 1 ? "who-has" : "is-at", op == 1 ? b : a,
               op == 1 ? a : b);
    } else if (proto == ETH_P_IP && n >= 20 && p[9] == IPPROTO_TCP) {
        size_t ihl = (size_t)(p[0] & 15) * 4;
        if (n < ihl + 14)
            return;
        const unsigned char *t = p + ihl;
        unsigned sp = (unsigned)t[0] << 8 | t[1],
                 dp = (unsigned)t[2] << 8 | t[3];
        unsigned fl = t[13];
        char flags[8], *q = flags;
        if (fl & 0x02)
            *q++ = 'S';
        if (fl & 0x10)
            *q++ = '.';
        if (fl & 0x08)
            *q++ = 'P';
        if (fl & 0x01)
            *q++ = 'F';
        if (fl & 0x04)
            *q++ = 'R';
        *q = '\0';
        ip4(a, p + 12);
        ip4(b, p + 16);
        printf("%lld %s %s > %s tcp %s:%u > %s:%u %s\n", now_ms(), dir_of(type),
               src, dst, a, sp, b, dp, flags);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: lab-sniff IFACE [SECONDS]\n");
        return 2;
    }
    long long end = argc > 2 ? now_ms() + atoll(argv[2]) * 1000 : 0;
    int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    if (fd < 0) {
        perror("lab-sniff: socket");
        return 1;
    }
    struct sockaddr_ll sll = { .sll_family = AF_PACKET,
                               .sll_protocol = htons(ETH_P_ALL),
                               .sll_ifindex = (int)if_nametoindex(argv[1]) };
    if (sll.sll_ifindex == 0 ||
        bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
        perror("lab-sniff: bind");
        return 1;
    }
    struct sigaction sa = { .sa_handler = on_term };
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    setvbuf(stdout, NULL, _IOLBF, 0);
    unsigned long seen = 0, other = 0;
    unsigned char buf[2048];
    while (!stop && (end == 0 || now_ms() < end)) {
        struct pollfd pf = { .fd = fd, .events = POLLIN };
        if (poll(&pf, 1, 200) <= 0)
            continue;
        struct sockaddr_ll from;
        socklen_t fl = sizeof(from);
        ssize_t n =
            recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
        if (n < 0)
            continue;
        seen++;
        if (from.sll_pkttype == PACKET_OTHERHOST)
            other++;
        show(buf, (size_t)n, from.sll_pkttype);
    }
    fprintf(stderr, "lab-sniff: %lu frames, %lu for another host\n", seen,
            other);
    return 0;
}
