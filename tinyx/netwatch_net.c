/*
 * netwatch_net.c - what tinyx-netwatch does to the guest's interface
 * when it is given one (tinyx-netwatch DEV [GW], see netwatch_net.h):
 * moves it to the store's address, waits for its carrier, announces it.
 *
 * Why here and not in /init with busybox's ip and arping: after a
 * template clone resumes, its address is what it answers on, and every
 * busybox command /init runs is a fork and an exec; under emulation the
 * four or five of them (and a carrier poll in 100 ms sleeps) cost ~40 ms
 * of a clone's 750 ms to its first answer on a quiet host, and seconds
 * on a loaded one (docs/benchmarks.md).
 * The calls are Linux's classic interface ioctls (SIOCSIFADDR and
 * friends, SIOCADDRT) and one packet socket: a few system calls each, no
 * library (the helper is static and goes into every --net image).
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <net/route.h>
#include <netinet/in.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netwatch_msg.h"
#include "netwatch_net.h"

/* An ifreq for dev: -1 when the name does not fit. */
static int ifr_of(struct ifreq *ifr, const char *dev)
{
    memset(ifr, 0, sizeof(*ifr));
    if (strlen(dev) >= sizeof(ifr->ifr_name))
        return -1;
    memcpy(ifr->ifr_name, dev, strlen(dev) + 1);
    return 0;
}

static void put_in(struct sockaddr *sa, uint32_t addr_be)
{
    struct sockaddr_in in = { .sin_family = AF_INET };
    in.sin_addr.s_addr = addr_be;
    memcpy(sa, &in, sizeof(in));
}

static uint32_t get_in(const struct sockaddr *sa)
{
    struct sockaddr_in in;
    memcpy(&in, sa, sizeof(in));
    return in.sin_addr.s_addr;
}

static int inet_socket(void)
{
    return socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

int nw_net_current(const char *dev, uint32_t *addr_be, unsigned *prefix)
{
    struct ifreq ifr;
    int s = inet_socket(), rc = -1;
    *addr_be = 0;
    *prefix = 0;
    if (s < 0 || ifr_of(&ifr, dev) < 0)
        goto out;
    if (ioctl(s, SIOCGIFADDR, &ifr) < 0) {
        rc = errno == EADDRNOTAVAIL ? 0 : -1; /* no address yet */
        goto out;
    }
    *addr_be = get_in(&ifr.ifr_addr);
    if (ioctl(s, SIOCGIFNETMASK, &ifr) < 0)
        goto out;
    uint32_t mask = ntohl(get_in(&ifr.ifr_netmask));
    while (mask & 0x80000000u) {
        (*prefix)++;
        mask <<= 1;
    }
    rc = 0;
out:
    if (s >= 0)
        close(s);
    return rc;
}

int nw_net_set(const char *dev, uint32_t addr_be, unsigned prefix,
               uint32_t gw_be, const char **step)
{
    struct ifreq ifr;
    int s = inet_socket(), rc = -1;
    *step = "socket";
    if (s < 0)
        return -1;
    *step = "name";
    if (ifr_of(&ifr, dev) < 0)
        goto out;
    /* Up first (as /init's ip link set up did): an address on a down
     * interface gets no routes. */
    *step = "up";
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
        goto out;
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
        goto out;
    /* SIOCSIFADDR replaces the interface's primary address (the old one
     * and its routes go), then the netmask makes the prefix route. */
    *step = "address";
    put_in(&ifr.ifr_addr, addr_be);
    if (ioctl(s, SIOCSIFADDR, &ifr) < 0)
        goto out;
    *step = "netmask";
    put_in(&ifr.ifr_netmask, nw_mask(prefix));
    if (ioctl(s, SIOCSIFNETMASK, &ifr) < 0)
        goto out;
    if (gw_be) {
        struct rtentry rt;
        memset(&rt, 0, sizeof(rt));
        put_in(&rt.rt_dst, 0);
        put_in(&rt.rt_genmask, 0);
        put_in(&rt.rt_gateway, gw_be);
        rt.rt_flags = RTF_UP | RTF_GATEWAY;
        rt.rt_dev = ifr.ifr_name;
        *step = "route";
        if (ioctl(s, SIOCADDRT, &rt) < 0 && errno != EEXIST)
            goto out;
    }
    rc = 0;
out:
    close(s);
    return rc;
}

int nw_net_wait_carrier(const char *dev, unsigned timeout_ms)
{
    char path[64], v = 0;
    if (snprintf(path, sizeof(path), "/sys/class/net/%s/carrier", dev) >=
        (int)sizeof(path))
        return -1;
    const struct timespec step = { 0, NW_CARRIER_STEP_MS * 1000000L };
    for (unsigned waited = 0;; waited += NW_CARRIER_STEP_MS) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            ssize_t n = read(fd, &v, 1);
            close(fd);
            if (n == 1 && v == '1')
                return 0;
        }
        if (waited >= timeout_ms)
            return -1;
        nanosleep(&step, NULL);
    }
}

int nw_net_mac(const char *dev, uint8_t mac[6])
{
    struct ifreq ifr;
    int s = inet_socket(), rc = -1;
    if (s >= 0 && ifr_of(&ifr, dev) == 0 &&
        ioctl(s, SIOCGIFHWADDR, &ifr) == 0 &&
        ifr.ifr_hwaddr.sa_family == ARPHRD_ETHER) {
        memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
        rc = 0;
    }
    if (s >= 0)
        close(s);
    return rc;
}

int nw_net_announce(const char *dev, uint32_t addr_be)
{
    struct ifreq ifr;
    uint8_t mac[6], frame[NW_ARP_LEN];
    int s = -1, rc = -1;
    if (nw_net_mac(dev, mac) < 0 || ifr_of(&ifr, dev) < 0)
        return -1;
    s = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ARP));
    if (s < 0 || ioctl(s, SIOCGIFINDEX, &ifr) < 0)
        goto out;
    struct sockaddr_ll to = {
        .sll_family = AF_PACKET,
        .sll_protocol = htons(ETH_P_ARP),
        .sll_ifindex = ifr.ifr_ifindex,
        .sll_halen = 6,
    };
    memset(to.sll_addr, 0xff, 6); /* Ethernet broadcast */
    nw_arp_announce(frame, mac, addr_be);
    if (sendto(s, frame, sizeof(frame), 0, (struct sockaddr *)&to,
               sizeof(to)) == (ssize_t)sizeof(frame))
        rc = 0;
out:
    if (s >= 0)
        close(s);
    return rc;
}
