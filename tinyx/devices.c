/*
 * devices.c - the guest's devices as `tinyx build` takes them: --net (a
 * network interface on a bridge, its address as Linux's ip= on the kernel
 * command line) and --disk IMAGE[:MOUNTPOINT[:FSTYPE]].  Pure functions:
 * what the options may hold, checked before any slow work, and what the
 * image then needs (front-end modules, file system modules).
 *
 * The checks keep every value safe where it ends up: the config's strings
 * (no quotes, no commas, no control characters), the kernel command line
 * (one word) and /init (plain names, though /init quotes them anyway).
 */
#include "build.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmod.h"

/* ------------------------------------------------------------ names */

bool tinyx_ifname_ok(const char *name)
{
    /* Linux: at most IFNAMSIZ - 1 = 15 bytes, not "." or "..", no '/',
     * ':' or blanks.  Narrower here: what bridges are called, and nothing
     * an xl vifspec (',' '=') or a config string would need quoted. */
    size_t len = strlen(name);
    if (len == 0 || len > 15 || strcmp(name, ".") == 0 ||
        strcmp(name, "..") == 0)
        return false;
    return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                        "0123456789_.-") == len;
}

/* A host name as ip='s HOST field: letters, digits, '-' and '.', 1-63. */
static bool hostname_ok(const char *s)
{
    size_t len = strlen(s);
    return len > 0 && len <= 63 && s[0] != '-' && s[0] != '.' &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789-.") == len;
}

static bool ipv4_ok(const char *s, uint32_t *out)
{
    struct in_addr a;
    if (inet_pton(AF_INET, s, &a) != 1)
        return false;
    if (out)
        *out = ntohl(a.s_addr);
    return true;
}

/* A netmask: ones then zeros (255.255.255.0). */
static bool netmask_ok(const char *s)
{
    uint32_t m;
    if (!ipv4_ok(s, &m))
        return false;
    uint32_t inv = ~m;
    return (inv & (inv + 1)) == 0;
}

/* ------------------------------------------------------------ ip= */

/* The fields of Linux's ip= (Documentation/admin-guide/nfs/nfsroot.rst):
 * CLIENT:SERVER:GW:NETMASK:HOSTNAME:DEVICE:AUTOCONF:DNS0:DNS1:NTP0. */
enum {
    IP_CLIENT,
    IP_SERVER,
    IP_GW,
    IP_MASK,
    IP_HOST,
    IP_DEV,
    IP_AUTO,
    IP_DNS0,
    IP_DNS1,
    IP_NTP0,
    IP_NFIELDS
};

static const char *const ip_field_names[IP_NFIELDS] = {
    "address", "server",   "gateway", "netmask", "host name",
    "device",  "autoconf", "dns0",    "dns1",    "ntp0",
};

/* The address, with the project's /PREFIX form. */
static int check_client(const char *v, bool has_mask, struct tx_error *err)
{
    char addr[INET_ADDRSTRLEN + 4];
    if (strlen(v) >= sizeof(addr) || !*v)
        return tx_fail(err, -EINVAL, "ip=: \"%s\" is not an IPv4 address", v);
    strcpy(addr, v);
    char *slash = strchr(addr, '/');
    if (slash) {
        *slash++ = '\0';
        char *end;
        long p = strtol(slash, &end, 10);
        if (!*slash || *end || p < 0 || p > 32 || slash[0] == '+' ||
            slash[0] == '-')
            return tx_fail(err, -EINVAL,
                           "ip=%s: the prefix length must be 0 to 32", v);
        if (has_mask)
            return tx_fail(err, -EINVAL,
                           "ip=%s: give a /PREFIX or a NETMASK field, not both",
                           v);
    }
    if (!ipv4_ok(addr, NULL))
        return tx_fail(err, -EINVAL, "ip=: \"%s\" is not an IPv4 address",
                       addr);
    return 0;
}

int tinyx_ip_check(const char *ip, struct tx_error *err)
{
    if (!*ip)
        return tx_fail(err, -EINVAL, "ip=: no address");
    for (const char *p = ip; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '"' || *p == '\'' ||
            *p == '\\')
            return tx_fail(err, -EINVAL,
                           "ip=%s: one word of the kernel command line, with "
                           "no blanks or quotes",
                           ip);
    static const char *const dynamic[] = { "off",  "none",  "on",   "any",
                                           "dhcp", "bootp", "rarp", "both" };
    for (size_t i = 0; i < sizeof(dynamic) / sizeof(*dynamic); i++)
        if (strcmp(ip, dynamic[i]) == 0)
            return tx_fail(
                err, -EINVAL,
                "ip=%s: only a static address is supported "
                "(ip=ADDR/PREFIX or ip=ADDR::GW:NETMASK:HOST:DEV:off)",
                ip);
    char *copy = strdup(ip);
    if (!copy)
        return tx_fail(err, -ENOMEM, "out of memory");
    char *f[IP_NFIELDS] = { 0 };
    size_t n = 0;
    char *p = copy;
    for (;;) {
        if (n == IP_NFIELDS) {
            free(copy);
            return tx_fail(err, -EINVAL, "ip=%s: more than %d fields", ip,
                           IP_NFIELDS);
        }
        f[n++] = p;
        char *colon = strchr(p, ':');
        if (!colon)
            break;
        *colon = '\0';
        p = colon + 1;
    }
    for (size_t i = n; i < IP_NFIELDS; i++)
        f[i] = "";
    int r = check_client(f[IP_CLIENT], *f[IP_MASK] != '\0', err);
    static const size_t addrs[] = { IP_SERVER, IP_GW, IP_DNS0, IP_DNS1,
                                    IP_NTP0 };
    for (size_t i = 0; r == 0 && i < sizeof(addrs) / sizeof(*addrs); i++)
        if (*f[addrs[i]] && !ipv4_ok(f[addrs[i]], NULL))
            r = tx_fail(err, -EINVAL,
                        "ip=%s: the %s \"%s\" is not an IPv4 "
                        "address",
                        ip, ip_field_names[addrs[i]], f[addrs[i]]);
    if (r == 0 && *f[IP_MASK] && !netmask_ok(f[IP_MASK]))
        r = tx_fail(err, -EINVAL, "ip=%s: \"%s\" is not a netmask", ip,
                    f[IP_MASK]);
    if (r == 0 && *f[IP_HOST] && !hostname_ok(f[IP_HOST]))
        r = tx_fail(err, -EINVAL, "ip=%s: \"%s\" is not a host name", ip,
                    f[IP_HOST]);
    if (r == 0 && *f[IP_DEV] && !tinyx_ifname_ok(f[IP_DEV]))
        r = tx_fail(err, -EINVAL, "ip=%s: \"%s\" is not an interface name", ip,
                    f[IP_DEV]);
    if (r == 0 && *f[IP_AUTO] && strcmp(f[IP_AUTO], "off") != 0 &&
        strcmp(f[IP_AUTO], "none") != 0)
        r = tx_fail(err, -EINVAL,
                    "ip=%s: autoconf \"%s\": only off (a static address) is "
                    "supported",
                    ip, f[IP_AUTO]);
    free(copy);
    return r;
}

/* ------------------------------------------------------------ --disk */

/*
 * The modules a file system type needs, as modprobe names them.  ext2 and
 * ext3 have no module of their own in Debian's kernel: ext4 mounts them
 * (CONFIG_EXT4_USE_FOR_EXT2).  Some file systems check their metadata
 * with crc32c through the crypto API, which only finds the algorithm if
 * its module is loaded (their modinfo says "softdep: pre: crc32c"; the
 * kernel would ask modprobe, and the image has none): crc32c_generic goes
 * first.  Any other type is taken as its own module name.
 */
static const struct {
    const char *fstype;
    const char *modules[2];
} fs_modules[] = {
    { "ext2", { "crc32c_generic", "ext4" } },
    { "ext3", { "crc32c_generic", "ext4" } },
    { "ext4", { "crc32c_generic", "ext4" } },
    { "btrfs", { "crc32c_generic", "btrfs" } },
    { "xfs", { "crc32c_generic", "xfs" } },
};

size_t tinyx_fs_modules(const char *fstype, const char *out[2])
{
    for (size_t i = 0; i < sizeof(fs_modules) / sizeof(*fs_modules); i++)
        if (strcmp(fstype, fs_modules[i].fstype) == 0) {
            out[0] = fs_modules[i].modules[0];
            out[1] = fs_modules[i].modules[1];
            return 2;
        }
    out[0] = fstype;
    return 1;
}

/* An absolute path of the image, for /init and mount(8): no blanks, quotes
 * or ':' (the option's separator), not only "/". */
static bool mountpoint_ok(const char *s)
{
    if (s[0] != '/' || strcmp(s, "/") == 0)
        return false;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f || strchr("'\"\\:", *p))
            return false;
    return true;
}

/* A file system type, which is also a module name: ext4, vfat, xfs. */
static bool fstype_ok(const char *s)
{
    size_t len = strlen(s);
    return len > 0 && len <= 32 &&
           strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == len &&
           kmod_name_ok(s);
}

/* The host path of the image, as an xl diskspec can hold it. */
static bool image_ok(const char *s)
{
    if (!*s)
        return false;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < ' ' || *p == 0x7f || strchr("'\"\\", *p))
            return false;
    return true;
}

int tinyx_disk_parse(const char *spec, size_t index, const char *cwd,
                     struct tinyx_disk *d, struct tx_error *err)
{
    memset(d, 0, sizeof(*d));
    if (index >= TINYX_MAX_DISKS)
        return tx_fail(err, -EINVAL, "--disk %s: at most %d disks", spec,
                       TINYX_MAX_DISKS);
    /* xvda ... xvdp: one letter is enough below 26 disks. */
    snprintf(d->vdev, sizeof(d->vdev), "xvd%c", (char)('a' + index));
    char *copy = strdup(spec);
    if (!copy)
        return tx_fail(err, -ENOMEM, "out of memory");
    char *mp = strchr(copy, ':'), *fs = NULL;
    if (mp) {
        *mp++ = '\0';
        fs = strchr(mp, ':');
        if (fs)
            *fs++ = '\0';
    }
    int r = 0;
    if (!image_ok(copy))
        r = tx_fail(err, -EINVAL,
                    "--disk %s: the image must be a path without quotes, "
                    "backslashes or control characters",
                    spec);
    else if (mp && !mountpoint_ok(mp))
        r = tx_fail(err, -EINVAL,
                    "--disk %s: the mount point must be an absolute path "
                    "other than /, without blanks, quotes or ':'",
                    spec);
    else if (fs && (!mp || !fstype_ok(fs)))
        r = tx_fail(err, -EINVAL,
                    "--disk %s: the file system type must be a module name "
                    "(e.g. ext4, vfat, xfs)",
                    spec);
    if (r == 0) {
        /* The config names the image as the toolstack will open it: an
         * absolute path (chaos refuses relative ones; xl reads them as
         * /dev/PATH). */
        char *joined = copy[0] == '/' ? strdup(copy) : tx_path_join(cwd, copy);
        d->image = joined ? tx_path_normalize(joined) : NULL;
        free(joined);
        if (mp) {
            d->mountpoint = tx_path_normalize(mp);
            d->fstype = strdup(fs && *fs ? fs : TINYX_DEFAULT_FSTYPE);
        }
        if (!d->image || (mp && (!d->mountpoint || !d->fstype)))
            r = tx_fail(err, -ENOMEM, "out of memory");
    }
    free(copy);
    if (r < 0)
        tinyx_disk_free(d);
    return r;
}

void tinyx_disk_free(struct tinyx_disk *d)
{
    free(d->image);
    free(d->mountpoint);
    free(d->fstype);
    memset(d, 0, sizeof(*d));
}
