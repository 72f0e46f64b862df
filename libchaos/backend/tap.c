/*
 * tap.c - the TAP devices of guests' network interfaces (backend.h):
 * created persistent and attached to a bridge in the prepare phase,
 * opened by name by the supervisor, deleted when the guest goes.
 *
 * Two kernel interfaces, because neither does it all: a TAP device and
 * its persistence exist only through /dev/net/tun's ioctls (TUNSETIFF,
 * TUNSETPERSIST; rtnetlink has no "tun" link type it can create), while
 * the bridge port, the link state and deletion are rtnetlink's (libmnl).
 *
 * The supervisor's fd is opened with IFF_VNET_HDR: each frame read or
 * written comes after a struct virtio_net_hdr (10 bytes, host byte
 * order), through which the network back end hands the kernel a guest's
 * checksum-offloaded and GSO packets whole, to be checksummed and cut
 * into segments by the kernel, not by user space (netback.c).  The
 * header's size is the kernel's default for a new device (nothing here
 * calls TUNSETVNETHDRSZ), and no TUNSETOFFLOAD: what the kernel hands us
 * is complete, checksummed frames of the MTU, as a guest without rx
 * offload wants them.  IFF_VNET_HDR is set by the attaching TUNSETIFF;
 * the persistent device is created without it.
 *
 * The device's own MAC address is FE:FF:FF:FF:FF:FF, as Xen's netback
 * gives its vifs, set before it joins the bridge: a Linux bridge whose
 * address nobody set takes the lowest of its ports', so TAPs with the
 * kernel's random addresses would change dom0's address on the bridge
 * now and then as guests come and go (a pool's refill right after a
 * create, a guest destroyed); what a guest then sends to the old one (a
 * TCP peer's MAC, kept for its connection) is dropped by dom0's IP as
 * another host's.  The guest never sees this address: it talks to dom0's
 * (the bridge's), and the bridge hands its frames to the TAP whatever the
 * TAP's own address is.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>

#include "backend.h"

#define TUN_DEV "/dev/net/tun"

/* The largest unicast address: never below another port's (above). */
static const unsigned char tap_mac[ETH_ALEN] = { 0xfe, 0xff, 0xff,
                                                 0xff, 0xff, 0xff };

/* ---- rtnetlink -------------------------------------------------------- */

struct nl {
    struct mnl_socket *sock;
    unsigned seq, portid;
};

static int nl_open(struct nl *nl)
{
    nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
    if (nl->sock == NULL)
        return -errno;
    if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
        int e = errno;
        mnl_socket_close(nl->sock);
        return -e;
    }
    nl->portid = mnl_socket_get_portid(nl->sock);
    nl->seq = (unsigned)time(NULL);
    return 0;
}

static void nl_close(struct nl *nl)
{
    if (nl->sock)
        mnl_socket_close(nl->sock);
}

/* A link request for ifindex (0: by name). */
static struct nlmsghdr *link_msg(char *buf, struct nl *nl, uint16_t type,
                                 uint16_t flags, int ifindex)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | flags;
    nlh->nlmsg_seq = ++nl->seq;
    struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
    ifm->ifi_family = AF_UNSPEC;
    ifm->ifi_index = ifindex;
    return nlh;
}

/* Sends one request and runs cb on its one reply (a link, or the ack):
 * 0 or the kernel's -errno. */
static int nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
    char buf[32768]; /* a link's attributes fit (MNL_SOCKET_DUMP_SIZE) */
    if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
        return -errno;
    ssize_t n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
    if (n < 0)
        return -errno;
    if (mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, nl->portid, cb, data) < 0)
        return errno ? -errno : -EIO;
    return 0;
}

/* What a link is: its index and kind ("bridge", "tun"; "" for none). */
struct link_info {
    int index;
    char kind[16];
};

static int kind_attr(const struct nlattr *a, void *data)
{
    struct link_info *li = data;
    if (mnl_attr_get_type(a) == IFLA_INFO_KIND &&
        mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
        snprintf(li->kind, sizeof(li->kind), "%s", mnl_attr_get_str(a));
    return MNL_CB_OK;
}

static int link_attr(const struct nlattr *a, void *data)
{
    if (mnl_attr_get_type(a) == IFLA_LINKINFO &&
        mnl_attr_validate(a, MNL_TYPE_NESTED) == 0)
        mnl_attr_parse_nested(a, kind_attr, data);
    return MNL_CB_OK;
}

static int link_reply(const struct nlmsghdr *nlh, void *data)
{
    struct link_info *li = data;
    const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
    li->index = ifm->ifi_index;
    mnl_attr_parse(nlh, sizeof(*ifm), link_attr, data);
    return MNL_CB_STOP;
}

/* Looks name up: 0, -ENODEV when there is no such link, or -errno. */
static int link_get(struct nl *nl, const char *name, struct link_info *li)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = link_msg(buf, nl, RTM_GETLINK, 0, 0);
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
    *li = (struct link_info){ 0 };
    return nl_talk(nl, nlh, link_reply, li);
}

/* ---- the TAP device ---------------------------------------------------- */

static int check_name(const char *what, const char *name, char *err,
                      size_t errlen)
{
    size_t n = strnlen(name, IFNAMSIZ);
    if (n > 0 && n < IFNAMSIZ && strpbrk(name, "/: \t\n") == NULL &&
        strcmp(name, ".") != 0 && strcmp(name, "..") != 0)
        return 0;
    snprintf(err, errlen, "invalid %s name '%.*s' (1 to %d characters)", what,
             IFNAMSIZ, name, IFNAMSIZ - 1);
    return -EINVAL;
}

/* Opens /dev/net/tun attached to the TAP device name (flags: more IFF_*). */
static int tun_attach(const char *name, int oflags, int flags, int *fd)
{
    *fd = open(TUN_DEV, O_RDWR | O_CLOEXEC | oflags);
    if (*fd < 0)
        return -errno;
    struct ifreq ifr = { .ifr_flags = (short)(IFF_TAP | IFF_NO_PI | flags) };
    memcpy(ifr.ifr_name, name, strlen(name) + 1);
    if (ioctl(*fd, TUNSETIFF, &ifr) < 0) {
        int e = errno;
        close(*fd);
        *fd = -1;
        return -e;
    }
    return 0;
}

/* The bridge must exist and be one: 0 and its index in *index. */
static int find_bridge(struct nl *nl, const char *name, const char *bridge,
                       int *index, char *err, size_t errlen)
{
    struct link_info li;
    int rc = link_get(nl, bridge, &li);
    if (rc == -ENODEV) {
        snprintf(err, errlen,
                 "cannot create TAP device '%s': bridge '%s' does not exist",
                 name, bridge);
        return rc;
    }
    if (rc < 0) {
        snprintf(err, errlen,
                 "cannot create TAP device '%s': looking up bridge '%s': %s",
                 name, bridge, strerror(-rc));
        return rc;
    }
    if (strcmp(li.kind, "bridge") != 0) {
        snprintf(err, errlen,
                 "cannot create TAP device '%s': '%s' is not a bridge (%s%s)",
                 name, bridge, li.kind[0] ? "a " : "no link kind", li.kind);
        return -EINVAL;
    }
    *index = li.index;
    return 0;
}

/* Makes the new device a port of the bridge and up, in one request. */
static int attach_up(struct nl *nl, int ifindex, int br_index)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = link_msg(buf, nl, RTM_NEWLINK, NLM_F_ACK, ifindex);
    struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
    ifm->ifi_flags = IFF_UP;
    ifm->ifi_change = IFF_UP;
    mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)br_index);
    return nl_talk(nl, nlh, NULL, NULL);
}

int tap_create(const char *name, const char *bridge, char *err, size_t errlen)
{
    int rc = check_name("TAP device", name, err, errlen);
    if (rc == 0)
        rc = check_name("bridge", bridge, err, errlen);
    if (rc < 0)
        return rc;
    struct nl nl = { 0 };
    if ((rc = nl_open(&nl)) < 0) {
        snprintf(err, errlen, "cannot create TAP device '%s': netlink: %s",
                 name, strerror(-rc));
        return rc;
    }
    int br_index = 0, fd = -1;
    if ((rc = find_bridge(&nl, name, bridge, &br_index, err, errlen)) < 0)
        goto out;
    /* IFF_TUN_EXCL: never take over an existing device (which a failure
     * below would then destroy). */
    rc = tun_attach(name, 0, IFF_TUN_EXCL, &fd);
    if (rc < 0) {
        snprintf(err, errlen, "cannot create TAP device '%s': %s", name,
                 rc == -EBUSY ? "a device of that name exists" : strerror(-rc));
        goto out;
    }
    if (ioctl(fd, TUNSETPERSIST, 1) < 0) {
        rc = -errno;
        snprintf(err, errlen, "cannot make TAP device '%s' persistent: %s",
                 name, strerror(-rc));
        goto out;
    }
    /* Before the bridge sees the device (above). */
    struct ifreq hw = { .ifr_hwaddr.sa_family = ARPHRD_ETHER };
    memcpy(hw.ifr_hwaddr.sa_data, tap_mac, ETH_ALEN);
    if (ioctl(fd, SIOCSIFHWADDR, &hw) < 0) {
        rc = -errno;
        snprintf(err, errlen,
                 "cannot set the MAC address of TAP device '%s': %s", name,
                 strerror(-rc));
        (void)ioctl(fd, TUNSETPERSIST, 0);
        goto out;
    }
    int ifindex = (int)if_nametoindex(name);
    rc = ifindex > 0 ? attach_up(&nl, ifindex, br_index) : -ENODEV;
    if (rc < 0) {
        snprintf(err, errlen,
                 "cannot attach TAP device '%s' to bridge '%s' and set it "
                 "up: %s",
                 name, bridge, strerror(-rc));
        /* Undo: a non-persistent device goes with its last fd. */
        (void)ioctl(fd, TUNSETPERSIST, 0);
    }
out:
    if (fd >= 0)
        close(fd);
    nl_close(&nl);
    return rc;
}

int tap_open(const char *name, int *fd, char *err, size_t errlen)
{
    *fd = -1;
    int rc = check_name("TAP device", name, err, errlen);
    if (rc < 0)
        return rc;
    /* TUNSETIFF would create a missing device (a transient one): look
     * first. */
    if (if_nametoindex(name) == 0) {
        snprintf(err, errlen, "cannot open TAP device '%s': it does not exist",
                 name);
        return -ENODEV;
    }
    rc = tun_attach(name, O_NONBLOCK, IFF_VNET_HDR, fd);
    if (rc < 0)
        snprintf(err, errlen, "cannot open TAP device '%s': %s", name,
                 rc == -EINVAL ? "not a TAP device" : strerror(-rc));
    return rc;
}

int tap_delete(const char *name, char *err, size_t errlen)
{
    int rc = check_name("TAP device", name, err, errlen);
    if (rc < 0)
        return rc;
    struct nl nl = { 0 };
    if ((rc = nl_open(&nl)) < 0) {
        snprintf(err, errlen, "cannot delete TAP device '%s': netlink: %s",
                 name, strerror(-rc));
        return rc;
    }
    struct link_info li;
    rc = link_get(&nl, name, &li);
    if (rc == 0 && strcmp(li.kind, "tun") != 0) {
        /* Never delete a link we did not make (a typo must not take eth0). */
        snprintf(err, errlen, "will not delete '%s': not a TAP device", name);
        rc = -EINVAL;
    } else if (rc == 0) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        rc = nl_talk(&nl, link_msg(buf, &nl, RTM_DELLINK, NLM_F_ACK, li.index),
                     NULL, NULL);
        if (rc < 0)
            snprintf(err, errlen, "cannot delete TAP device '%s': %s", name,
                     strerror(-rc));
    } else {
        snprintf(err, errlen, "cannot delete TAP device '%s': %s", name,
                 rc == -ENODEV ? "it does not exist" : strerror(-rc));
    }
    nl_close(&nl);
    return rc;
}
