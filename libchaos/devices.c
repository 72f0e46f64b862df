/*
 * devices.c - a guest's noxs devices in the prepare and execute phases
 * (see devices.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/backend.h"
#include "devices.h"
#include "hv/hv_dev.h"
#include "internal.h"
#include "registry.h"
#include "store/store_ring.h"
#include "store_serve.h"

bool devices_wanted(const chaos_config *cfg)
{
    return chaos_config_vif_count(cfg) + chaos_config_disk_count(cfg) > 0;
}

/*
 * blkif's virtual device number of "xvdX" (Xen's vbd-interface.txt):
 * 202 << 8 | index << 4 for the first 16 disks.  noxs has 16 bits for it,
 * so the extended numbering (index 16 and up) is refused; a guest has at
 * most CHAOS_CONFIG_MAX_DISKS (16) disks anyway, but may name them freely.
 */
static int vdev_number(const char *vdev, uint16_t *out)
{
    unsigned v = 0; /* bijective base 26: a = 1 .. z = 26, aa = 27 */
    const char *p = vdev + 3;

    if (strncmp(vdev, "xvd", 3) != 0 || !*p)
        return -EINVAL;
    for (; *p; p++) {
        if (*p < 'a' || *p > 'z')
            return -EINVAL;
        v = v * 26 + (unsigned)(*p - 'a' + 1);
        if (v > 16)
            return -ERANGE;
    }
    *out = (uint16_t)(202u << 8 | (v - 1) << 4);
    return 0;
}

/*
 * Whether another guest of chaos has a vif with mac on bridge: two would
 * take each other's frames (the bridge learns one port per address).  xl
 * does not check; chaos does, from the device records, counting a record
 * only while its TAP device exists (a record a killed process left is not
 * a guest).  Costs one record read per guest, only for configured MACs.
 * 0 if free, or -EADDRINUSE with *owner set.
 */
static int mac_in_use(const uint8_t mac[6], const char *bridge,
                      chaos_domid self, chaos_domid *owner)
{
    DIR *dir = opendir(registry_dir());
    struct dirent *e;
    int rc = 0;

    if (!dir)
        return 0; /* no records: nobody has it */
    while (!rc && (e = readdir(dir))) {
        unsigned id;
        int used = 0;
        struct devices *devs;
        if (sscanf(e->d_name, "%u.dev%n", &id, &used) != 1 || e->d_name[used] ||
            id == self || devices_record_read((chaos_domid)id, &devs) != 0)
            continue;
        for (unsigned i = 0; !rc && i < devs->host.nr_devices; i++) {
            const struct noxs_device *d = &devs->host.devices[i];
            char sys[64];
            snprintf(sys, sizeof(sys), "/sys/class/net/%s", devs->extra[i].tap);
            if (d->type == NOXS_DEV_NET && !memcmp(d->u.net.mac, mac, 6) &&
                !strcmp(devs->extra[i].bridge, bridge) &&
                access(sys, F_OK) == 0) {
                *owner = (chaos_domid)id;
                rc = -EADDRINUSE;
            }
        }
        devices_free(devs);
    }
    closedir(dir);
    return rc;
}

static int check_mac(chaos_ctx *ctx, unsigned i, const uint8_t mac[6],
                     const char *bridge, chaos_domid self)
{
    chaos_domid owner;
    if (mac_in_use(mac, bridge, self, &owner) == 0)
        return 0;
    return chaos__fail(ctx, -EADDRINUSE,
                       "vif[%u]: MAC %02x:%02x:%02x:%02x:%02x:%02x is "
                       "already used on bridge %s by domain %u",
                       i, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
                       bridge, owner);
}

int devices_new_mac(chaos_ctx *ctx, const char *bridge, uint8_t mac[6])
{
    struct chaos_vif_config v = { 0 };
    chaos_domid owner;
    /* A clash is one in 2^23 per guest on the bridge: a few draws. */
    for (unsigned tries = 0; tries < 8; tries++) {
        uint8_t rnd[3];
        if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
            return chaos__fail(ctx, -errno,
                               "cannot get random bytes for a MAC address");
        chaos_vif_fill_mac(&v, rnd);
        /* self 0: dom0 has no record, every guest counts. */
        if (mac_in_use(v.mac_bytes, bridge, 0, &owner) == 0) {
            memcpy(mac, v.mac_bytes, 6);
            return 0;
        }
    }
    return chaos__fail(ctx, -EADDRINUSE,
                       "no free MAC found on bridge %s in 8 draws", bridge);
}

static int alloc_port(chaos_ctx *ctx, chaos_domid domid, uint32_t *port)
{
    return hv_evtchn_alloc_unbound(ctx->hv, domid, 0, port);
}

static int prepare_vif(chaos_ctx *ctx, const chaos_config *cfg,
                       chaos_domid domid, unsigned i, struct devices *devs)
{
    struct chaos_vif_config vif;
    struct noxs_device *d = &devs->host.devices[devs->host.nr_devices];
    struct device_extra *x = &devs->extra[devs->host.nr_devices];
    int rc = chaos_config_vif(cfg, i, &vif);

    if (rc)
        return chaos__fail(ctx, rc, "vif[%u]: missing", i);
    if (!vif.mac_given) {
        uint8_t rnd[3];
        if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
            return chaos__fail(ctx, -errno,
                               "cannot get random bytes for "
                               "a MAC address");
        chaos_vif_fill_mac(&vif, rnd);
    } else {
        rc = check_mac(ctx, i, vif.mac_bytes, vif.bridge, domid);
        if (rc)
            return rc;
    }
    d->type = NOXS_DEV_NET;
    d->devid = (uint16_t)i;
    d->backend_domid = 0;
    d->state = NOXS_STATE_INITIALISING;
    /* Offloads too: the kernel behind the TAP segments and checksums
     * (libchaos/backend/netback_ring.h); the guest takes what it can. */
    d->features = NOXS_NET_F_RX_COPY | NOXS_NET_F_SG | NOXS_NET_F_CSUM |
                  NOXS_NET_F_GSO_TCPV4;
    memcpy(d->u.net.mac, vif.mac_bytes, 6);
    if (vif.ip[0]) {
        memcpy(d->u.net.ipv4, vif.ip_bytes, 4);
        d->u.net.ipv4_prefix = vif.ip_prefix;
    }
    /* xl's interface name is vifDOMID.DEVID; vifname= overrides it. */
    if (vif.vifname[0])
        snprintf(x->tap, sizeof(x->tap), "%s", vif.vifname);
    else if (snprintf(x->tap, sizeof(x->tap), "vif%u.%u", domid, i) >=
             (int)sizeof(x->tap))
        return chaos__fail(ctx, -ENAMETOOLONG, "vif[%u]: name too long", i);
    snprintf(x->bridge, sizeof(x->bridge), "%s", vif.bridge);
    rc = alloc_port(ctx, domid, &d->evtchn);
    if (rc)
        return rc;
    rc = tap_create(x->tap, x->bridge, ctx->errmsg, sizeof(ctx->errmsg));
    if (rc) {
        char why[CHAOS_ERRMSG_MAX];
        snprintf(why, sizeof(why), "%s", ctx->errmsg);
        x->tap[0] = '\0'; /* nothing to undo */
        return chaos__fail(ctx, rc, "vif[%u]: %s", i, why);
    }
    devs->host.nr_devices++;
    return 0;
}

/* The image's size in 512-byte sectors: a regular file's or a block
 * device's. */
static int image_sectors(int fd, uint64_t *sectors)
{
    struct stat st;
    uint64_t bytes;

    if (fstat(fd, &st) != 0)
        return -errno;
    if (S_ISREG(st.st_mode))
        bytes = (uint64_t)st.st_size;
    else if (S_ISBLK(st.st_mode)) {
        if (ioctl(fd, BLKGETSIZE64, &bytes) != 0)
            return -errno;
    } else
        return -EINVAL;
    *sectors = bytes / 512;
    return 0;
}

static int prepare_disk(chaos_ctx *ctx, const chaos_config *cfg,
                        chaos_domid domid, unsigned i, struct devices *devs)
{
    struct chaos_disk_config disk;
    struct noxs_device *d = &devs->host.devices[devs->host.nr_devices];
    struct device_extra *x = &devs->extra[devs->host.nr_devices];
    int rc = chaos_config_disk(cfg, i, &disk);

    if (rc)
        return chaos__fail(ctx, rc, "disk[%u]: missing", i);
    if (vdev_number(disk.vdev, &d->devid) != 0)
        return chaos__fail(ctx, -EINVAL,
                           "disk[%u]: vdev '%s': chaos numbers disks xvda .. "
                           "xvdp",
                           i, disk.vdev);
    /* Opened here only to check and measure it; the supervisor opens it
     * again to serve it. */
    int fd = open(disk.target, (disk.readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (fd < 0)
        return chaos__fail(ctx, -errno, "disk[%u]: cannot open '%s'%s: %s", i,
                           disk.target, disk.readonly ? "" : " for writing",
                           strerror(errno));
    rc = image_sectors(fd, &d->u.blk.sectors);
    close(fd);
    if (rc)
        return chaos__fail(ctx, rc,
                           "disk[%u]: '%s' is neither a file nor a block "
                           "device (%s)",
                           i, disk.target, strerror(-rc));
    if (d->u.blk.sectors == 0)
        return chaos__fail(ctx, -EINVAL,
                           "disk[%u]: '%s' is empty (or smaller than one "
                           "512-byte sector)",
                           i, disk.target);
    d->type = NOXS_DEV_BLK;
    d->backend_domid = 0;
    d->state = NOXS_STATE_INITIALISING;
    d->features = NOXS_BLK_F_FLUSH | (disk.readonly ? NOXS_BLK_F_READONLY : 0);
    d->u.blk.sector_size = 512;
    d->u.blk.max_ring_order = NOXS_BLK_MAX_RING_ORDER;
    x->readonly = disk.readonly;
    x->path = strdup(disk.target);
    if (!x->path)
        return chaos__fail(ctx, -ENOMEM, "out of memory");
    rc = alloc_port(ctx, domid, &d->evtchn);
    if (rc)
        return rc;
    devs->host.nr_devices++;
    return 0;
}

/*
 * The control device: no back end keeps its channel bound (a requester
 * binds it for one notification, devices_control.c), so dom0 is ready
 * from the start: its state is Connected at build (docs/noxs.md).
 */
static int prepare_control(chaos_ctx *ctx, chaos_domid domid,
                           struct devices *devs)
{
    struct noxs_device *d = &devs->host.devices[devs->host.nr_devices];

    d->type = NOXS_DEV_CONTROL;
    d->backend_domid = 0;
    d->state = NOXS_STATE_CONNECTED;
    d->features = NOXS_CTRL_F(NOXS_CTRL_POWEROFF) |
                  NOXS_CTRL_F(NOXS_CTRL_REBOOT) |
                  NOXS_CTRL_F(NOXS_CTRL_SUSPEND);
    int rc = alloc_port(ctx, domid, &d->evtchn);
    if (!rc)
        devs->host.nr_devices++;
    return rc;
}

int devices_prepare(chaos_ctx *ctx, const chaos_config *cfg, chaos_domid domid,
                    struct devices **out)
{
    struct devices *devs = calloc(1, sizeof(*devs));
    int rc = 0;

    *out = NULL;
    if (!devs)
        return chaos__fail(ctx, -ENOMEM, "out of memory");
    devs->host.generation = 1;
    for (unsigned i = 0; !rc && i < chaos_config_vif_count(cfg); i++)
        rc = prepare_vif(ctx, cfg, domid, i, devs);
    for (unsigned i = 0; !rc && i < chaos_config_disk_count(cfg); i++)
        rc = prepare_disk(ctx, cfg, domid, i, devs);
    if (!rc)
        rc = prepare_control(ctx, domid, devs);
    if (!rc) {
        char why[NOXS_ERR_MAX];
        rc = noxs_host_check(&devs->host, why, sizeof(why));
        if (rc)
            chaos__fail(ctx, rc, "devices: %s", why);
    }
    if (rc) {
        devices_undo(devs);
        return rc;
    }
    *out = devs;
    return 0;
}

void devices_undo(struct devices *devs)
{
    char ignored[128];

    if (!devs)
        return;
    for (unsigned i = 0; i < NOXS_MAX_DEVICES; i++)
        if (devs->extra[i].tap[0])
            tap_delete(devs->extra[i].tap, ignored, sizeof(ignored));
    devices_free(devs);
}

void devices_free(struct devices *devs)
{
    if (!devs)
        return;
    for (unsigned i = 0; i < NOXS_MAX_DEVICES; i++)
        free(devs->extra[i].path);
    free(devs);
}

int devices_page(const struct devices *devs, void *page, char *err,
                 size_t errlen)
{
    return noxs_page_build(page, &devs->host, err, errlen);
}

/* A shell prepared ahead (a pool's, or a template pool's restored guest)
 * made MACs of its own: the guest's configuration wins where it gives one
 * (if no other guest has it on that bridge), and its addresses are the
 * configuration's (none: none).  All checked before anything changes. */
static int apply_vifs(chaos_ctx *ctx, struct devices *devs,
                      const chaos_config *cfg, chaos_domid domid)
{
    struct chaos_vif_config v[NOXS_MAX_DEVICES];
    unsigned vif = 0;

    for (unsigned i = 0; i < devs->host.nr_devices; i++) {
        if (devs->host.devices[i].type != NOXS_DEV_NET)
            continue;
        if (chaos_config_vif(cfg, vif++, &v[i]) != 0)
            return chaos__fail(ctx, -EINVAL,
                               "vif[%u]: the configuration has %u vifs, the "
                               "guest more",
                               vif - 1, chaos_config_vif_count(cfg));
        if (strcmp(v[i].bridge, devs->extra[i].bridge) != 0)
            return chaos__fail(ctx, -EINVAL,
                               "vif[%u]: the guest's is on bridge %s, not %s",
                               vif - 1, devs->extra[i].bridge, v[i].bridge);
        if (!v[i].mac_given ||
            !memcmp(devs->host.devices[i].u.net.mac, v[i].mac_bytes, 6))
            continue;
        int rc = check_mac(ctx, vif - 1, v[i].mac_bytes, devs->extra[i].bridge,
                           domid);
        if (rc)
            return rc;
    }
    if (vif != chaos_config_vif_count(cfg))
        return chaos__fail(ctx, -EINVAL,
                           "the configuration has %u vifs, the guest %u",
                           chaos_config_vif_count(cfg), vif);
    for (unsigned i = 0; i < devs->host.nr_devices; i++) {
        struct noxs_device *d = &devs->host.devices[i];
        if (d->type != NOXS_DEV_NET)
            continue;
        if (v[i].mac_given)
            memcpy(d->u.net.mac, v[i].mac_bytes, 6);
        memset(d->u.net.ipv4, 0, 4);
        d->u.net.ipv4_prefix = 0;
        if (v[i].ip[0]) {
            memcpy(d->u.net.ipv4, v[i].ip_bytes, 4);
            d->u.net.ipv4_prefix = v[i].ip_prefix;
        }
    }
    return 0;
}

void devices_vif_ip(const struct chaos_vif_config *v, char *out, size_t len)
{
    if (v->ip[0] && v->ip_prefix)
        snprintf(out, len, "%s/%u", v->ip, v->ip_prefix);
    else
        snprintf(out, len, "%s", v->ip);
}

void devices_vif_spec(const struct chaos_vif_config *v, const uint8_t *mac,
                      char *out, size_t len)
{
    int n = snprintf(out, len, "bridge=%s", v->bridge);
    if (mac && n > 0 && (size_t)n < len)
        n += snprintf(out + n, len - (size_t)n,
                      ",mac=%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
                      mac[2], mac[3], mac[4], mac[5]);
    if (v->vifname[0] && n > 0 && (size_t)n < len)
        n += snprintf(out + n, len - (size_t)n, ",vifname=%s", v->vifname);
    char ip[24];
    devices_vif_ip(v, ip, sizeof(ip));
    if (ip[0] && n > 0 && (size_t)n < len)
        snprintf(out + n, len - (size_t)n, ",ip=%s", ip);
}

struct devices *devices_none(void)
{
    struct devices *devs = calloc(1, sizeof(*devs));
    if (devs)
        devs->host.generation = 1;
    return devs;
}

/* What the guest first sees on its store page. */
static int write_page(chaos_ctx *ctx, struct devices *devs, chaos_domid domid)
{
    char why[NOXS_ERR_MAX];
    struct hv_page *pg;
    int rc = hv_page_map(ctx->hv, domid, devs->page_frame, &pg);
    if (rc)
        return rc;
    if (devs->via_store) {
        /* Zero indices: the guest finds a quiet ring (Linux complains
         * about, and skips, a response ring left unconsumed). */
        store_ring_init(hv_page_addr(pg));
        rc = 0;
    } else {
        rc = devices_page(devs, hv_page_addr(pg), why, sizeof(why));
        if (rc)
            chaos__fail(ctx, rc, "device page: %s", why);
    }
    hv_page_unmap(pg);
    return rc;
}

int devices_install(chaos_ctx *ctx, struct devices *devs, chaos_domid domid,
                    const chaos_config *cfg, bool via_store, uint64_t frame,
                    uint32_t port)
{
    int rc = apply_vifs(ctx, devs, cfg, domid);
    if (rc)
        return rc;
    if (frame == 0)
        return chaos__fail(ctx, -EIO, "the builder gave no store page");
    devs->page_frame = frame;
    devs->page_port = port;
    devs->via_store = via_store;
    rc = write_page(ctx, devs, domid);
    if (rc)
        return rc;
    rc = devices_record_write(domid, devs);
    if (rc)
        return chaos__fail(ctx, rc,
                           "cannot record the devices of domain %u: %s", domid,
                           strerror(-rc));
    return 0;
}

int devices_find(const struct devices *devs, enum noxs_dev_type type)
{
    for (unsigned i = 0; i < devs->host.nr_devices; i++)
        if (devs->host.devices[i].type == type)
            return (int)i;
    return -1;
}

/*
 * Whether a guest may still take new MACs and addresses: it has not read
 * what it was given.  A noxs guest reads its page (fe.version still 0:
 * built or restored, paused, never run since).  A Linux guest reads its
 * private store, which its supervisor builds from the device record and
 * the configuration when it starts (devices_xs.c): the store must not be
 * served yet, and the ring, reset to zero indices by the build or the
 * restore, must be untouched (Linux's first act after a resume is to
 * register its watches again, so a guest that ran has written requests).
 * 0, or -EBUSY with a message.
 */
static int not_read_yet(chaos_ctx *ctx, chaos_domid domid,
                        const struct devices *devs, const void *page)
{
    if (!devs->via_store) {
        const struct noxs_page *p = page;
        if (__atomic_load_n(&p->fe.version, __ATOMIC_ACQUIRE) == 0)
            return 0;
        return chaos__fail(ctx, -EBUSY,
                           "domain %u has read its device page already: its "
                           "MACs and addresses can change only before it "
                           "first runs",
                           domid);
    }
    struct store_ring_pos pos;
    char name[8];
    char path[48];
    snprintf(path, sizeof(path), "/local/domain/%u/name", domid);
    int rc = store_serve_read(ctx, domid, path, name, sizeof(name));
    if (rc != -ESRCH)
        return chaos__fail(ctx, -EBUSY,
                           "domain %u: its private store is served already: "
                           "its MACs and addresses can change only before "
                           "its supervisor starts",
                           domid);
    store_ring_position(page, &pos);
    if (pos.req_prod == 0 && pos.req_cons == 0 && pos.rsp_prod == 0)
        return 0;
    return chaos__fail(ctx, -EBUSY,
                       "domain %u has used its store already: its MACs and "
                       "addresses can change only before it first runs",
                       domid);
}

/*
 * The vifs of a guest that has not read them since they were written
 * (not_read_yet) take cfg's MACs and addresses: checked (apply_vifs);
 * a noxs guest's page written again whole with the same generation (the
 * guest has seen none of it); the record rewritten (a Linux guest's
 * supervisor makes its store's mac keys from it, and its ip keys from
 * the configuration, which the caller rewrites).  The caller holds the
 * registry lock (MACs in use are read from the records).
 */
int devices_readdress(chaos_ctx *ctx, chaos_domid domid,
                      const chaos_config *cfg)
{
    struct devices *devs = NULL;
    struct hv_page *pg = NULL;
    int rc = devices_record_read(domid, &devs);
    if (rc)
        return chaos__fail(ctx, rc == -ENOENT ? -EINVAL : rc,
                           "domain %u has no devices of chaos's (%s)", domid,
                           strerror(-rc));
    if ((rc = hv_page_map(ctx->hv, domid, devs->page_frame, &pg)) != 0)
        goto out;
    if ((rc = not_read_yet(ctx, domid, devs, hv_page_addr(pg))) != 0)
        goto out;
    if ((rc = apply_vifs(ctx, devs, cfg, domid)) != 0)
        goto out;
    char why[NOXS_ERR_MAX];
    if (!devs->via_store &&
        (rc = devices_page(devs, hv_page_addr(pg), why, sizeof(why))) != 0) {
        chaos__fail(ctx, rc, "device page: %s", why);
        goto out;
    }
    rc = devices_record_write(domid, devs);
    if (rc)
        chaos__fail(ctx, rc, "cannot record the devices of domain %u: %s",
                    domid, strerror(-rc));
out:
    if (pg)
        hv_page_unmap(pg);
    devices_free(devs);
    return rc;
}

int devices_vif_macs(chaos_domid domid, uint8_t macs[][6], unsigned max)
{
    struct devices *devs = NULL;
    int rc = devices_record_read(domid, &devs);
    if (rc)
        return rc;
    unsigned n = 0;
    for (unsigned i = 0; i < devs->host.nr_devices && n < max; i++)
        if (devs->host.devices[i].type == NOXS_DEV_NET)
            memcpy(macs[n++], devs->host.devices[i].u.net.mac, 6);
    devices_free(devs);
    return (int)n;
}
