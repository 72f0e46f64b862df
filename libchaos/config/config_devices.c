/*
 * config_devices.c - the devices of a guest configuration: network
 * interfaces (xl key "vif", xl-network-configuration(5)) and disks ("disk",
 * xl-disk-configuration(5)).  Each list item is a spec string with a small
 * syntax of its own, parsed here into fixed-size records; what chaos takes
 * and refuses is docs/config.md.  No file is opened and no interface looked
 * up: an image or a bridge that does not exist is creation's business, as
 * it may appear between parsing and creation (chaosd keeps configs).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "util.h"
#include "xlcfg.h"

#define DEFAULT_BRIDGE "xenbr0" /* xl's default */
#define IFNAME_MAX 15           /* Linux's IFNAMSIZ - 1 */

/* "ORIGIN: vif[N]: " - the prefix of a message about one device. */
static const char *dev_prefix(char *buf, size_t len, const char *origin,
                              const char *kind, unsigned index)
{
    snprintf(buf, len, "%s%s%s[%u]: ", origin, origin[0] ? ": " : "", kind,
             index);
    return buf;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Trims blanks at both ends of s[0..*len); returns the new start. */
static const char *trim(const char *s, size_t *len)
{
    while (*len && is_blank(*s))
        s++, (*len)--;
    while (*len && is_blank(s[*len - 1]))
        (*len)--;
    return s;
}

/* Copies s[0..len) into out (size bytes) if it fits. */
static bool copy_word(char *out, size_t size, const char *s, size_t len)
{
    if (len >= size)
        return false;
    memcpy(out, s, len);
    out[len] = '\0';
    return true;
}

/* A network interface name Linux takes (bridge, vifname); stricter than
 * the kernel, which also allows most punctuation. */
static bool is_ifname(const char *s)
{
    size_t len = strlen(s);

    if (len == 0 || len > IFNAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-' ||
              s[i] == '.'))
            return false;
    return true;
}

static int hex_digit(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* "xx:xx:xx:xx:xx:xx", two hex digits per octet, any case. */
static bool parse_mac(const char *s, uint8_t out[6])
{
    if (strlen(s) != 17)
        return false;
    for (int i = 0; i < 6; i++) {
        int hi = hex_digit(s[3 * i]), lo = hex_digit(s[3 * i + 1]);
        if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
            return false;
        out[i] = (uint8_t)(hi * 16 + lo);
    }
    return true;
}

static void format_mac(char out[18], const uint8_t b[6])
{
    snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3],
             b[4], b[5]);
}

void chaos_vif_fill_mac(struct chaos_vif_config *vif, const uint8_t random[3])
{
    if (vif->mac_given)
        return;
    /* libxl's choice: Xen's OUI, and the lower half of its space. */
    const uint8_t b[6] = { 0x00,      0x16,
                           0x3e,      (uint8_t)(random[0] & 0x7f),
                           random[1], random[2] };
    memcpy(vif->mac_bytes, b, 6);
    format_mac(vif->mac, b);
}

/* ---- vif ---- */

enum vif_key { VIF_MAC, VIF_BRIDGE, VIF_IP, VIF_VIFNAME, VIF_TYPE, VIF_NONE };

/* The keys xl takes in a vifspec: chaos's, and why it refuses the rest. */
static const struct {
    const char *name;
    enum vif_key key;
    const char *refusal; /* for VIF_NONE */
} vif_keys[] = {
    { "mac", VIF_MAC, NULL },
    { "bridge", VIF_BRIDGE, NULL },
    { "ip", VIF_IP, NULL },
    { "vifname", VIF_VIFNAME, NULL },
    { "type", VIF_TYPE, NULL },
    { "script", VIF_NONE, "chaos runs no hotplug scripts" },
    { "backend", VIF_NONE, "back ends run in dom0 (no driver domains)" },
    { "rate", VIF_NONE, "no rate limiting yet" },
    { "gatewaydev", VIF_NONE, "routed vifs are not supported (use bridge)" },
    { "netdev", VIF_NONE, "routed vifs are not supported (use bridge)" },
    { "model", VIF_NONE, "emulated NICs are for HVM guests" },
    { "accel", VIF_NONE, "xl ignores it too" },
    { "devid", VIF_NONE, "a vif's number is its place in the list" },
    { "mtu", VIF_NONE, "the MTU is not configurable yet" },
    { "forwarddev", VIF_NONE, "COLO is not supported" },
};

static int vif_value(chaos_config *cfg, struct chaos_vif_config *v,
                     enum vif_key key, const char *val, const char *pfx)
{
    switch (key) {
        case VIF_MAC:
            if (!parse_mac(val, v->mac_bytes))
                return config__fail(cfg, -EINVAL,
                                    "%s'mac': '%.64s' is not a MAC address "
                                    "(expected six hex octets, "
                                    "00:16:3e:xx:xx:xx)",
                                    pfx, val);
            if (v->mac_bytes[0] & 1)
                return config__fail(cfg, -EINVAL,
                                    "%s'mac': %s is a multicast address "
                                    "(the first octet must be even)",
                                    pfx, val);
            if (!memcmp(v->mac_bytes, "\0\0\0\0\0\0", 6))
                return config__fail(cfg, -EINVAL,
                                    "%s'mac': 00:00:00:00:00:00 is not an "
                                    "address (leave 'mac' out to have one "
                                    "made)",
                                    pfx);
            format_mac(v->mac, v->mac_bytes);
            v->mac_given = true;
            return 0;
        case VIF_BRIDGE:
        case VIF_VIFNAME:
            if (!is_ifname(val))
                return config__fail(
                    cfg, -EINVAL,
                    "%s'%s': '%.64s' is not an interface name "
                    "(1 to 15 letters, digits, '_', '-', "
                    "'.')",
                    pfx, key == VIF_BRIDGE ? "bridge" : "vifname", val);
            copy_word(key == VIF_BRIDGE ? v->bridge : v->vifname,
                      sizeof(v->bridge), val, strlen(val)); /* fits */
            return 0;
        case VIF_IP: {
            struct in_addr a;
            char addr[16];
            const char *slash = strchr(val, '/');
            size_t alen = slash ? (size_t)(slash - val) : strlen(val);
            unsigned long len = 0;
            char *end = NULL;
            if (slash) {
                errno = 0;
                len = strtoul(slash + 1, &end, 10);
            }
            /* inet_pton takes dotted quads only: no "10.1", no octal. */
            if (!copy_word(addr, sizeof(addr), val, alen) ||
                inet_pton(AF_INET, addr, &a) != 1 ||
                (slash && (!slash[1] || slash[1] < '0' || slash[1] > '9' ||
                           *end || len < 1 || len > 32)))
                return config__fail(cfg, -EINVAL,
                                    "%s'ip': '%.64s' is not an IPv4 address "
                                    "(one address, as 10.0.0.2, optionally "
                                    "with a prefix length, as 10.0.0.2/24)",
                                    pfx, val);
            const uint8_t *b = (const uint8_t *)&a.s_addr;
            if (b[0] == 0 || b[0] == 127 || b[0] >= 224)
                return config__fail(cfg, -EINVAL,
                                    "%s'ip': %s is not a unicast address", pfx,
                                    addr);
            snprintf(v->ip, sizeof(v->ip), "%s", addr);
            memcpy(v->ip_bytes, b, 4);
            v->ip_prefix = (uint8_t)len;
            return 0;
        }
        case VIF_TYPE:
            if (!strcmp(val, "vif"))
                return 0;
            if (!strcmp(val, "ioemu"))
                return config__fail(cfg, -EINVAL,
                                    "%s'type': ioemu NICs are emulated for "
                                    "HVM guests; chaos guests take type=vif",
                                    pfx);
            return config__fail(cfg, -EINVAL,
                                "%s'type': unknown type '%.64s' (expected "
                                "vif)",
                                pfx, val);
        case VIF_NONE:
            break;
    }
    return config__fail(cfg, -EINVAL, "%sinternal error", pfx);
}

/* One "KEY=VALUE" of a vifspec (blanks trimmed). */
static int vif_item(chaos_config *cfg, struct chaos_vif_config *v,
                    bool seen[VIF_NONE], const char *item, size_t len,
                    const char *pfx)
{
    const char *eq = memchr(item, '=', len);
    char key[32], val[CONFIG_MAX_STRING + 1];
    size_t klen, vlen;
    const char *k, *val_at;

    if (!eq)
        return config__fail(cfg, -EINVAL,
                            "%s'%.*s' is not KEY=VALUE (as mac=..., "
                            "bridge=...)",
                            pfx, (int)(len > 64 ? 64 : len), item);
    klen = (size_t)(eq - item);
    k = trim(item, &klen);
    vlen = len - (size_t)(eq + 1 - item);
    val_at = trim(eq + 1, &vlen);
    if (!copy_word(key, sizeof(key), k, klen))
        return config__fail(cfg, -EINVAL, "%sunknown key '%.32s'", pfx, k);
    copy_word(val, sizeof(val), val_at, vlen); /* the spec fits */
    for (size_t i = 0; i < N_ELEMENTS(vif_keys); i++) {
        if (strcmp(key, vif_keys[i].name) != 0)
            continue;
        if (vif_keys[i].key == VIF_NONE)
            return config__fail(cfg, -EINVAL,
                                "%s'%s' is not supported by chaos (%s)", pfx,
                                key, vif_keys[i].refusal);
        if (seen[vif_keys[i].key])
            return config__fail(cfg, -EINVAL, "%s'%s' is given twice", pfx,
                                key);
        seen[vif_keys[i].key] = true;
        if (!val[0])
            return 0; /* empty: the default, as in a diskspec */
        return vif_value(cfg, v, vif_keys[i].key, val, pfx);
    }
    if (!strncmp(key, "colo_", 5))
        return config__fail(cfg, -EINVAL,
                            "%s'%s' is not supported by chaos (COLO is not "
                            "supported)",
                            pfx, key);
    return config__fail(cfg, -EINVAL,
                        "%sunknown key '%s' (chaos takes mac, bridge, ip, "
                        "vifname and type)",
                        pfx, key);
}

/*
 * Parses a vifspec into *v.  As xl: items separated by commas, empty items
 * skipped, blanks before an item ignored (chaos also ignores them after an
 * item and around '=').
 */
static int parse_vif(chaos_config *cfg, struct chaos_vif_config *v,
                     const char *spec, const char *pfx)
{
    bool seen[VIF_NONE] = { false };

    memset(v, 0, sizeof(*v));
    for (const char *p = spec; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        const char *item = trim(p, &len);
        if (len) {
            int rc = vif_item(cfg, v, seen, item, len, pfx);
            if (rc < 0)
                return rc;
        }
        p = comma ? comma + 1 : p + strlen(p);
    }
    if (!v->bridge[0])
        snprintf(v->bridge, sizeof(v->bridge), "%s", DEFAULT_BRIDGE);
    return 0;
}

int config__add_vif(chaos_config *cfg, struct config_fields *f,
                    const char *spec, const char *origin)
{
    char pfx[CONFIG_ORIGIN_MAX + 32];
    struct config_vif *slot;
    int rc;

    dev_prefix(pfx, sizeof(pfx), origin, "vif", f->n_vifs);
    if (f->n_vifs == CHAOS_CONFIG_MAX_VIFS)
        return config__fail(cfg, -ENOSPC, "%sa guest has at most %d vifs", pfx,
                            CHAOS_CONFIG_MAX_VIFS);
    if (strlen(spec) > CONFIG_MAX_STRING)
        return config__fail(cfg, -EINVAL, "%slonger than %d bytes", pfx,
                            CONFIG_MAX_STRING);
    slot = &f->vifs[f->n_vifs];
    rc = parse_vif(cfg, &slot->v, spec, pfx);
    if (rc < 0)
        return rc;
    snprintf(slot->origin, sizeof(slot->origin), "%s", origin);
    f->n_vifs++;
    return 0;
}

/* ---- disk ---- */

/* The positional parameters, in xl's order. */
enum disk_param { P_TARGET, P_FORMAT, P_VDEV, P_ACCESS, P__COUNT };
static const char *const param_names[P__COUNT] = { "target", "format", "vdev",
                                                   "access" };

/* Named parameters and flags xl takes that chaos refuses, and why. */
static const struct {
    const char *name;
    const char *refusal;
} disk_refused[] = {
    { "backend", "back ends run in dom0 (no driver domains)" },
    { "backendtype", "chaos has one block back end, its own" },
    { "script", "chaos runs no hotplug scripts" },
    { "cdrom", "chaos guests have no CD-ROM drives" },
    { "direct-io-safe", "not supported yet" },
    { "discard", "not supported yet" },
    { "no-discard", "not supported yet" },
    { "trusted", "not supported yet" },
    { "untrusted", "not supported yet" },
    { "specification", "virtio disks are not supported" },
    { "transport", "virtio disks are not supported" },
    { "colo", "COLO is not supported" },
    { "colo-host", "COLO is not supported" },
    { "colo-port", "COLO is not supported" },
    { "colo-export", "COLO is not supported" },
    { "active-disk", "COLO is not supported" },
    { "hidden-disk", "COLO is not supported" },
};

struct disk_spec {
    char *values[P__COUNT]; /* malloc'd; NULL: not given */
    bool cdrom;             /* devtype=cdrom or "hdc:cdrom" */
    bool old_syntax;        /* a xend prefix: no positional format */
};

static void disk_spec_free(struct disk_spec *d)
{
    for (int i = 0; i < P__COUNT; i++)
        free(d->values[i]);
}

static const char *disk_refusal(const char *name)
{
    for (size_t i = 0; i < N_ELEMENTS(disk_refused); i++)
        if (!strcmp(name, disk_refused[i].name))
            return disk_refused[i].refusal;
    return NULL;
}

static int set_param(chaos_config *cfg, struct disk_spec *d, int p,
                     const char *s, size_t len, const char *pfx)
{
    /* target= may follow an empty positional target, as in xl. */
    if (d->values[p] && (p != P_TARGET || d->values[p][0]))
        return config__fail(cfg, -EINVAL, "%s'%s' is given twice", pfx,
                            param_names[p]);
    free(d->values[p]);
    d->values[p] = strndup(s, len);
    return d->values[p] ? 0 : config__fail(cfg, -ENOMEM, "out of memory");
}

/*
 * xend's prefixes on a positional target ("raw:/img", "tap:aio:/img"), as
 * xl still reads them: formats, scripts, and prefixes xl ignores.
 */
static int strip_prefixes(chaos_config *cfg, struct disk_spec *d,
                          const char **s, size_t *len, const char *pfx)
{
    static const char *const ignored[] = { "tapdisk", "tap2", "tap", "aio",
                                           "ioemu",   "file", "phy" };
    static const char *const formats[] = { "raw", "qcow", "qcow2", "vhd" };
    static const char *const scripts[] = { "iscsi", "nbd", "enbd", "drbd" };

    for (;;) {
        const char *colon = memchr(*s, ':', *len);
        size_t n = colon ? (size_t)(colon - *s) : 0;
        bool known = false;
        if (!colon)
            return 0;
        for (size_t i = 0; i < N_ELEMENTS(ignored); i++)
            known |= strlen(ignored[i]) == n && !strncmp(*s, ignored[i], n);
        for (size_t i = 0; i < N_ELEMENTS(formats); i++) {
            if (strlen(formats[i]) != n || strncmp(*s, formats[i], n))
                continue;
            int rc = set_param(cfg, d, P_FORMAT, *s, n, pfx);
            if (rc < 0)
                return rc;
            known = true;
        }
        for (size_t i = 0; i < N_ELEMENTS(scripts); i++)
            if (strlen(scripts[i]) == n && !strncmp(*s, scripts[i], n))
                return config__fail(cfg, -EINVAL,
                                    "%s'%s:' (a block script) is not "
                                    "supported by chaos (it runs no hotplug "
                                    "scripts)",
                                    pfx, scripts[i]);
        if (!known)
            return 0; /* a colon in a path */
        d->old_syntax = true;
        *len -= n + 1;
        *s += n + 1;
    }
}

/* One parameter of a diskspec, blanks trimmed.  *rest_used: target= took
 * the rest of the spec. */
static int disk_item(chaos_config *cfg, struct disk_spec *d, const char *item,
                     size_t len, const char *rest, bool *rest_used,
                     const char *pfx)
{
    const char *eq = memchr(item, '=', len);
    char name[32];

    if (eq) {
        size_t klen = (size_t)(eq - item);
        const char *k = trim(item, &klen);
        if (!copy_word(name, sizeof(name), k, klen))
            return config__fail(cfg, -EINVAL, "%sunknown parameter '%.32s'",
                                pfx, k);
        if (!strcmp(name, "target")) {
            /* xl: the whole rest, commas and trailing blanks included. */
            const char *v = strchr(rest, '=') + 1;
            *rest_used = true;
            return set_param(cfg, d, P_TARGET, v, strlen(v), pfx);
        }
        size_t vlen = len - (size_t)(eq + 1 - item);
        const char *v = trim(eq + 1, &vlen);
        for (int p = P_FORMAT; p < P__COUNT; p++)
            if (!strcmp(name, param_names[p]))
                return set_param(cfg, d, p, v, vlen, pfx);
        if (!strcmp(name, "devtype")) {
            if (vlen == 5 && !strncmp(v, "cdrom", 5))
                d->cdrom = true;
            else if (!(vlen == 4 && !strncmp(v, "disk", 4)))
                return config__fail(cfg, -EINVAL,
                                    "%s'devtype': unknown type '%.*s' "
                                    "(expected disk)",
                                    pfx, (int)(vlen > 64 ? 64 : vlen), v);
            return 0;
        }
        const char *why = disk_refusal(name);
        if (why)
            return config__fail(cfg, -EINVAL,
                                "%s'%s' is not supported by chaos (%s)", pfx,
                                name, why);
        return config__fail(cfg, -EINVAL,
                            "%sunknown parameter '%s' (chaos takes target, "
                            "format, vdev, access and devtype)",
                            pfx, name);
    }
    if (copy_word(name, sizeof(name), item, len)) {
        if (!strcmp(name, "cdrom")) {
            d->cdrom = true;
            return 0;
        }
        const char *why = disk_refusal(name);
        if (why)
            return config__fail(cfg, -EINVAL,
                                "%s'%s' is not supported by chaos (%s)", pfx,
                                name, why);
    }
    /* A positional parameter: the first one not given yet. */
    for (int p = 0; p < P__COUNT; p++) {
        /* xend's syntax is "[FORMAT:]TARGET,VDEV[:DEVTYPE],ACCESS". */
        if (d->values[p] || (p == P_FORMAT && d->old_syntax))
            continue;
        if (p == P_TARGET) {
            int rc = strip_prefixes(cfg, d, &item, &len, pfx);
            if (rc < 0)
                return rc;
        }
        return set_param(cfg, d, p, item, len, pfx);
    }
    return config__fail(cfg, -EINVAL,
                        "%s'%.*s': target, format, vdev and access are all "
                        "given already",
                        pfx, (int)(len > 64 ? 64 : len), item);
}

/* vdev: xvd followed by 1 to 3 letters (xen-vbd-interface(7)'s whole
 * disks up to xvdzzz). */
static int check_vdev(chaos_config *cfg, const char *s, const char *pfx)
{
    size_t letters = 0;

    if (!strncmp(s, "xvd", 3))
        while (s[3 + letters] >= 'a' && s[3 + letters] <= 'z')
            letters++;
    if (letters >= 1 && letters <= 3 && !s[3 + letters])
        return 0;
    if (letters >= 1 && letters <= 3 && s[3 + letters] >= '0' &&
        s[3 + letters] <= '9')
        return config__fail(cfg, -EINVAL,
                            "%s'vdev': '%.64s' is a partition; give a whole "
                            "disk (%.*s)",
                            pfx, s, (int)(3 + letters), s);
    if ((!strncmp(s, "hd", 2) || !strncmp(s, "sd", 2)) && s[2] >= 'a' &&
        s[2] <= 'z')
        return config__fail(cfg, -EINVAL,
                            "%s'vdev': '%.64s' names an emulated disk; chaos "
                            "guests have xvd disks (xvda, xvdb, ...)",
                            pfx, s);
    return config__fail(cfg, -EINVAL,
                        "%s'vdev': '%.64s' is not a disk name (xvda, xvdb, "
                        "..., xvdzzz)",
                        pfx, s);
}

/* Checks a parsed diskspec and stores it into *out. */
static int disk_finish(chaos_config *cfg, struct disk_spec *d,
                       struct config_disk *out, const char *pfx)
{
    const char *fmt = d->values[P_FORMAT], *access = d->values[P_ACCESS];
    char *vdev = d->values[P_VDEV], *target = d->values[P_TARGET];
    int rc;

    if (vdev && (vdev = strchr(vdev, ':'))) {
        /* xend's "hdc:cdrom" */
        if (strcmp(vdev + 1, "cdrom") == 0)
            d->cdrom = true;
        else if (strcmp(vdev + 1, "disk") != 0)
            return config__fail(cfg, -EINVAL,
                                "%s'vdev': '%.64s' is not a disk name", pfx,
                                d->values[P_VDEV]);
        *vdev = '\0';
    }
    if (d->cdrom)
        return config__fail(cfg, -EINVAL,
                            "%s'cdrom' is not supported by chaos (%s)", pfx,
                            disk_refusal("cdrom"));
    if (fmt && fmt[0] && strcmp(fmt, "raw") != 0) {
        static const char *const known[] = { "qcow", "qcow2", "vhd", "qed" };
        for (size_t i = 0; i < N_ELEMENTS(known); i++)
            if (!strcmp(fmt, known[i]))
                return config__fail(cfg, -EINVAL,
                                    "%s'format': %s images are not supported "
                                    "(chaos's block back end reads raw images)",
                                    pfx, fmt);
        return config__fail(cfg, -EINVAL,
                            "%s'format': unknown format '%.64s' (expected "
                            "raw)",
                            pfx, fmt);
    }
    if (!d->values[P_VDEV] || !d->values[P_VDEV][0])
        return config__fail(cfg, -EINVAL,
                            "%sno vdev given (as vdev=xvda: xl requires one)",
                            pfx);
    if ((rc = check_vdev(cfg, d->values[P_VDEV], pfx)) < 0)
        return rc;
    out->readonly = false;
    if (access && access[0]) {
        if (!strcmp(access, "ro") || !strcmp(access, "r"))
            out->readonly = true;
        else if (strcmp(access, "rw") != 0 && strcmp(access, "w") != 0)
            return config__fail(cfg, -EINVAL,
                                "%s'access': unknown access '%.64s' "
                                "(expected rw, ro, w or r)",
                                pfx, access);
    }
    if (!target || !target[0])
        return config__fail(cfg, -EINVAL,
                            "%sno target given (the image's path, as "
                            "target=/var/lib/chaos/disk.img)",
                            pfx);
    if (target[0] != '/')
        return config__fail(cfg, -EINVAL,
                            "%s'target': '%.64s' is not an absolute path "
                            "(xl would read it as /dev/%.64s)",
                            pfx, target, target);
    snprintf(out->vdev, sizeof(out->vdev), "%s", d->values[P_VDEV]);
    out->target = target;
    d->values[P_TARGET] = NULL; /* now out's */
    return 0;
}

/*
 * Parses a diskspec as xl does: comma-separated parameters, blanks before
 * each ignored; KEY=VALUE names one, a flag is a known bare word, anything
 * else fills the next positional parameter not given yet (target, format,
 * vdev, access); target= takes the rest of the spec, commas included.
 */
static int parse_disk(chaos_config *cfg, struct config_disk *out,
                      const char *spec, const char *pfx)
{
    struct disk_spec d = { { NULL }, false, false };
    const char *p = spec;
    int rc = 0;

    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        const char *item = trim(p, &len);
        const char *rest = p;
        bool rest_used = false;

        while (is_blank(*rest))
            rest++;
        rc = disk_item(cfg, &d, item, len, rest, &rest_used, pfx);
        if (rc < 0 || rest_used || !comma)
            break;
        p = comma + 1;
    }
    if (rc == 0)
        rc = disk_finish(cfg, &d, out, pfx);
    disk_spec_free(&d);
    return rc;
}

int config__add_disk(chaos_config *cfg, struct config_fields *f,
                     const char *spec, const char *origin)
{
    char pfx[CONFIG_ORIGIN_MAX + 32];
    struct config_disk *slot;
    int rc;

    dev_prefix(pfx, sizeof(pfx), origin, "disk", f->n_disks);
    if (f->n_disks == CHAOS_CONFIG_MAX_DISKS)
        return config__fail(cfg, -ENOSPC, "%sa guest has at most %d disks", pfx,
                            CHAOS_CONFIG_MAX_DISKS);
    if (strlen(spec) > CONFIG_MAX_STRING)
        return config__fail(cfg, -EINVAL, "%slonger than %d bytes", pfx,
                            CONFIG_MAX_STRING);
    slot = &f->disks[f->n_disks];
    rc = parse_disk(cfg, slot, spec, pfx);
    if (rc < 0)
        return rc;
    snprintf(slot->origin, sizeof(slot->origin), "%s", origin);
    f->n_disks++;
    return 0;
}

/* ---- the whole list: copies, validation, text ---- */

void config__clear_devices(struct config_fields *f, enum config_key k)
{
    if (k == KEY_VIF) {
        memset(f->vifs, 0, sizeof(f->vifs));
        f->n_vifs = 0;
        return;
    }
    for (unsigned i = 0; i < f->n_disks; i++)
        free(f->disks[i].target);
    memset(f->disks, 0, sizeof(f->disks));
    f->n_disks = 0;
}

int config__copy_devices(struct config_fields *dst)
{
    for (unsigned i = 0; i < dst->n_disks; i++) {
        char *t = strdup(dst->disks[i].target);
        if (!t) {
            for (unsigned j = 0; j < i; j++)
                free(dst->disks[j].target);
            dst->n_disks = 0;
            return -ENOMEM;
        }
        dst->disks[i].target = t;
    }
    return 0;
}

int config__check_devices(chaos_config *cfg, const struct config_fields *f)
{
    char pfx[CONFIG_ORIGIN_MAX + 32];

    for (unsigned i = 0; i < f->n_disks; i++)
        for (unsigned j = 0; j < i; j++)
            if (!strcmp(f->disks[i].vdev, f->disks[j].vdev))
                return config__fail(
                    cfg, -EINVAL, "%s'vdev': %s is also disk[%u]'s",
                    dev_prefix(pfx, sizeof(pfx), f->disks[i].origin, "disk", i),
                    f->disks[i].vdev, j);
    for (unsigned i = 0; i < f->n_vifs; i++) {
        const struct chaos_vif_config *a = &f->vifs[i].v;
        for (unsigned j = 0; j < i; j++) {
            const struct chaos_vif_config *b = &f->vifs[j].v;
            const char *what =
                a->mac_given && b->mac_given && !strcmp(a->mac, b->mac) ? "mac"
                : a->vifname[0] && !strcmp(a->vifname, b->vifname) ? "vifname"
                                                                   : NULL;
            if (what)
                return config__fail(
                    cfg, -EINVAL, "%s'%s': %s is also vif[%u]'s",
                    dev_prefix(pfx, sizeof(pfx), f->vifs[i].origin, "vif", i),
                    what, what[0] == 'm' ? a->mac : a->vifname, j);
        }
    }
    return 0;
}

/* Appends s to out as one quoted list item. */
static void put_item(FILE *out, const char *s, bool first)
{
    size_t need = xlcfg_quote(NULL, 0, s);
    char *q = malloc(need + 1);

    if (!q) {
        fputs(" <out of memory>", out); /* the parser rejects it */
        return;
    }
    xlcfg_quote(q, need + 1, s);
    fprintf(out, "%s%s", first ? " " : ",\n    ", q);
    free(q);
}

void config__put_devices(FILE *out, const struct config_fields *f)
{
    char *spec = NULL;

    if (f->n_vifs) {
        fputs("vif = [", out);
        for (unsigned i = 0; i < f->n_vifs; i++) {
            const struct chaos_vif_config *v = &f->vifs[i].v;
            char buf[160];
            char prefix[8] = "";
            if (v->ip_prefix)
                snprintf(prefix, sizeof(prefix), "/%u", v->ip_prefix);
            snprintf(buf, sizeof(buf), "%s%s%sbridge=%s%s%s%s%s%s",
                     v->mac_given ? "mac=" : "", v->mac_given ? v->mac : "",
                     v->mac_given ? "," : "", v->bridge,
                     v->vifname[0] ? ",vifname=" : "", v->vifname,
                     v->ip[0] ? ",ip=" : "", v->ip, prefix);
            put_item(out, buf, i == 0);
        }
        fputs(" ]\n", out);
    }
    if (f->n_disks) {
        fputs("disk = [", out);
        for (unsigned i = 0; i < f->n_disks; i++) {
            const struct config_disk *d = &f->disks[i];
            if (asprintf(&spec, "format=raw, vdev=%s, access=%s, target=%s",
                         d->vdev, d->readonly ? "ro" : "rw", d->target) < 0) {
                fputs(" <out of memory>", out);
                break;
            }
            put_item(out, spec, i == 0);
            free(spec);
        }
        fputs(" ]\n", out);
    }
}

/* ---- public ---- */

unsigned chaos_config_vif_count(const chaos_config *cfg)
{
    return cfg->f.n_vifs;
}

int chaos_config_vif(const chaos_config *cfg, unsigned i,
                     struct chaos_vif_config *out)
{
    if (i >= cfg->f.n_vifs)
        return -ENOENT;
    *out = cfg->f.vifs[i].v;
    return 0;
}

int chaos_config_add_vif(chaos_config *cfg, const char *spec)
{
    cfg->errmsg[0] = '\0';
    int rc = config__add_vif(cfg, &cfg->f, spec, "");
    if (rc == 0) {
        cfg->f.given[KEY_VIF] = true;
        cfg->f.origin[KEY_VIF][0] = '\0';
    }
    return rc;
}

void chaos_config_clear_vifs(chaos_config *cfg)
{
    config__clear_devices(&cfg->f, KEY_VIF);
    cfg->f.given[KEY_VIF] = false;
}

unsigned chaos_config_disk_count(const chaos_config *cfg)
{
    return cfg->f.n_disks;
}

int chaos_config_disk(const chaos_config *cfg, unsigned i,
                      struct chaos_disk_config *out)
{
    if (i >= cfg->f.n_disks)
        return -ENOENT;
    out->target = cfg->f.disks[i].target;
    memcpy(out->vdev, cfg->f.disks[i].vdev, sizeof(out->vdev));
    out->readonly = cfg->f.disks[i].readonly;
    return 0;
}

int chaos_config_add_disk(chaos_config *cfg, const char *spec)
{
    cfg->errmsg[0] = '\0';
    int rc = config__add_disk(cfg, &cfg->f, spec, "");
    if (rc == 0) {
        cfg->f.given[KEY_DISK] = true;
        cfg->f.origin[KEY_DISK][0] = '\0';
    }
    return rc;
}

void chaos_config_clear_disks(chaos_config *cfg)
{
    config__clear_devices(&cfg->f, KEY_DISK);
    cfg->f.given[KEY_DISK] = false;
}

/*
 * The device text a shell is prepared for (chaos.h): what chaosd matches
 * pools by and chaos_shell_execute checks.  Here, with the parser, so that
 * chaosd's pure configuration code links without the hypervisor module.
 */
int chaos_config_shell_devices(const chaos_config *cfg, char *buf, size_t len)
{
    size_t used = 0;
    int n;

    if (len == 0)
        return -ENOSPC;
    buf[0] = '\0';
    for (unsigned i = 0; i < chaos_config_vif_count(cfg); i++) {
        struct chaos_vif_config v;
        if (chaos_config_vif(cfg, i, &v) != 0)
            return -ENOENT;
        n = snprintf(buf + used, len - used, "vif(%s,%s);", v.bridge,
                     v.vifname);
        if (n < 0 || (size_t)n >= len - used)
            return -ENOSPC;
        used += (size_t)n;
    }
    for (unsigned i = 0; i < chaos_config_disk_count(cfg); i++) {
        struct chaos_disk_config d;
        if (chaos_config_disk(cfg, i, &d) != 0)
            return -ENOENT;
        n = snprintf(buf + used, len - used, "disk(%s,%s,%s);", d.vdev,
                     d.target, d.readonly ? "ro" : "rw");
        if (n < 0 || (size_t)n >= len - used)
            return -ENOSPC;
        used += (size_t)n;
    }
    return 0;
}
