/*
 * devices_record.c - a guest's devices kept as RUNDIR/domains/DOMID.dev,
 * beside its record and configuration (registry.h), for whoever serves the
 * guest later (the supervisor, in another process) and for `chaos
 * shutdown`.  Written at execute, before the record (the commit point);
 * removed when the domain is destroyed, with the TAP devices it names.
 *
 * A net device's address (noxs's ipv4 field) is kept too: a supervisor
 * that serves the page again must not take it from the guest.
 * Text, one device a line, so that an operator can read it:
 *   page FRAME PORT GENERATION      (a noxs guest's device page)
 *   store FRAME PORT                 (or: a guest's XenStore ring)
 *   net DEVID PORT FEATURES MAC TAP BRIDGE [A.B.C.D[/LEN]]
 *   blk DEVID PORT FEATURES SECTORS RO PATH      (PATH: the rest of the line)
 *   control DEVID PORT FEATURES
 * Trusted like the record (root's run directory), but still parsed with
 * bounds: a damaged file is an error, not a crash.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "devices.h"
#include "registry.h"
#include "store_serve.h"

static int record_path(chaos_domid domid, char *out, size_t len)
{
    int n = snprintf(out, len, "%s/%u.dev", registry_dir(), domid);
    return n > 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

static void put_device(FILE *f, const struct noxs_device *d,
                       const struct device_extra *x)
{
    switch (d->type) {
        case NOXS_DEV_NET: {
            const uint8_t *m = d->u.net.mac, *a = d->u.net.ipv4;
            fprintf(f, "net %u %u %u %02x:%02x:%02x:%02x:%02x:%02x %s %s",
                    d->devid, d->evtchn, d->features, m[0], m[1], m[2], m[3],
                    m[4], m[5], x->tap, x->bridge);
            if (a[0] | a[1] | a[2] | a[3])
                fprintf(f, " %u.%u.%u.%u", a[0], a[1], a[2], a[3]);
            if ((a[0] | a[1] | a[2] | a[3]) && d->u.net.ipv4_prefix)
                fprintf(f, "/%u", d->u.net.ipv4_prefix);
            fputc('\n', f);
            break;
        }
        case NOXS_DEV_BLK:
            fprintf(f, "blk %u %u %u %" PRIu64 " %d %s\n", d->devid, d->evtchn,
                    d->features, d->u.blk.sectors, x->readonly ? 1 : 0,
                    x->path);
            break;
        case NOXS_DEV_CONTROL:
            fprintf(f, "control %u %u %u\n", d->devid, d->evtchn, d->features);
            break;
        default:
            break;
    }
}

/* The store snapshot a supervisor kept (store_serve.h). */
static void forget_store(chaos_domid domid)
{
    char path[512];
    if (store_snap_path(domid, path, sizeof(path)) == 0)
        unlink(path);
}

int devices_record_write(chaos_domid domid, const struct devices *devs)
{
    char path[512], tmp[520];
    int rc = record_path(domid, path, sizeof(path));

    if (rc)
        return rc;
    if ((rc = registry_ensure_dir(registry_dir())) != 0)
        return rc;
    snprintf(tmp, sizeof(tmp), "%s.new", path);
    FILE *f = fopen(tmp, "we");
    if (!f)
        return -errno;
    if (devs->via_store)
        fprintf(f, "store %" PRIu64 " %u\n", devs->page_frame, devs->page_port);
    else
        fprintf(f, "page %" PRIu64 " %u %u\n", devs->page_frame,
                devs->page_port, devs->host.generation);
    for (unsigned i = 0; i < devs->host.nr_devices; i++)
        put_device(f, &devs->host.devices[i], &devs->extra[i]);
    if (fflush(f) != 0 || ferror(f)) {
        rc = -errno;
        fclose(f);
        unlink(tmp);
        return rc ? rc : -EIO;
    }
    fclose(f);
    if (rename(tmp, path) != 0) {
        rc = -errno;
        unlink(tmp);
        return rc;
    }
    forget_store(domid); /* a new guest: no supervisor's store to take over */
    return 0;
}

/* A net line's " A.B.C.D[/LEN]" into d's address; false if malformed. */
static bool net_address(const char *rest, struct noxs_device *d)
{
    unsigned a[4], len = 0;
    int used = 0, used_len = 0;
    if (sscanf(rest, " %u.%u.%u.%u%n/%u%n", &a[0], &a[1], &a[2], &a[3], &used,
               &len, &used_len) < 4 ||
        (used_len ? rest[used_len] || len < 1 || len > 32 : rest[used] != 0) ||
        a[0] > 255 || a[1] > 255 || a[2] > 255 || a[3] > 255)
        return false;
    for (int i = 0; i < 4; i++)
        d->u.net.ipv4[i] = (uint8_t)a[i];
    d->u.net.ipv4_prefix = (uint8_t)len;
    return true;
}

/* One line into the next device of devs; false if it is malformed. */
static bool parse_line(char *line, struct devices *devs)
{
    unsigned devid, port, features, ro, gen;
    unsigned m[6];
    uint64_t u64;
    int used = 0;
    struct noxs_device *d = &devs->host.devices[devs->host.nr_devices];
    struct device_extra *x = &devs->extra[devs->host.nr_devices];

    line[strcspn(line, "\n")] = '\0';
    if (sscanf(line, "page %" SCNu64 " %u %u%n", &u64, &port, &gen, &used) ==
            3 &&
        !line[used]) {
        devs->page_frame = u64;
        devs->page_port = port;
        devs->host.generation = gen;
        return true;
    }
    if (sscanf(line, "store %" SCNu64 " %u%n", &u64, &port, &used) == 2 &&
        !line[used]) {
        devs->page_frame = u64;
        devs->page_port = port;
        devs->via_store = true;
        return true;
    }
    if (devs->host.nr_devices >= NOXS_MAX_DEVICES)
        return false;
    if (sscanf(line, "net %u %u %u %x:%x:%x:%x:%x:%x %15s %15s%n", &devid,
               &port, &features, &m[0], &m[1], &m[2], &m[3], &m[4], &m[5],
               x->tap, x->bridge, &used) == 11 &&
        (!line[used] || net_address(line + used, d))) {
        d->type = NOXS_DEV_NET;
        for (int i = 0; i < 6; i++)
            d->u.net.mac[i] = (uint8_t)m[i];
    } else if (sscanf(line, "blk %u %u %u %" SCNu64 " %u %n", &devid, &port,
                      &features, &u64, &ro, &used) == 5 &&
               used > 0 && line[used]) {
        d->type = NOXS_DEV_BLK;
        d->u.blk.sectors = u64;
        d->u.blk.sector_size = 512;
        d->u.blk.max_ring_order = NOXS_BLK_MAX_RING_ORDER;
        x->readonly = ro != 0;
        x->path = strdup(line + used);
        if (!x->path)
            return false;
    } else if (sscanf(line, "control %u %u %u%n", &devid, &port, &features,
                      &used) == 3 &&
               !line[used]) {
        d->type = NOXS_DEV_CONTROL;
    } else
        return false;
    d->devid = (uint16_t)devid;
    d->evtchn = port;
    d->features = features;
    d->backend_domid = 0;
    /* States are the live page's business; the record keeps the set. */
    d->state = d->type == NOXS_DEV_CONTROL ? NOXS_STATE_CONNECTED
                                           : NOXS_STATE_INITIALISING;
    devs->host.nr_devices++;
    return true;
}

int devices_record_read(chaos_domid domid, struct devices **out)
{
    char path[512], line[4200];
    int rc = record_path(domid, path, sizeof(path));

    *out = NULL;
    if (rc)
        return rc;
    FILE *f = fopen(path, "re");
    if (!f)
        return -errno;
    struct devices *devs = devices_none();
    if (!devs) {
        fclose(f);
        return -ENOMEM;
    }
    rc = 0;
    while (!rc && fgets(line, sizeof(line), f))
        if (!parse_line(line, devs))
            rc = -EBADMSG;
    fclose(f);
    /* A noxs page has at least its control device; a store may have no
     * device at all. */
    if (!rc && (devs->page_frame == 0 ||
                (!devs->via_store && devs->host.nr_devices == 0)))
        rc = -EBADMSG;
    if (!rc) {
        char why[NOXS_ERR_MAX];
        if (noxs_host_check(&devs->host, why, sizeof(why)) != 0)
            rc = -EBADMSG;
    }
    if (rc) {
        devices_free(devs);
        return rc;
    }
    *out = devs;
    return 0;
}

void devices_record_remove(chaos_domid domid)
{
    char path[512];
    struct devices *devs;

    if (record_path(domid, path, sizeof(path)) != 0)
        return;
    if (devices_record_read(domid, &devs) == 0)
        devices_undo(devs); /* the TAP devices */
    unlink(path);
    forget_store(domid);
}
