/*
 * guestcfg.c - the guest config `tinyx build` writes (xl.cfg syntax, the
 * subset that both Debian's xl and chaos accept; see docs/config.md) and
 * the memory it asks for.  Pure functions.
 */
#include "build.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIB (1024u * 1024u)

/* What an application gets beyond what booting needs: room for its heap,
 * tmpfs files and page cache.  Override with --memory. */
#define APP_HEADROOM_MIB 16

bool guestcfg_name_ok(const char *name)
{
    size_t len = strlen(name);
    bool digits_only = true;
    if (len == 0 || len > 63 || name[0] == '-' || name[0] == '.')
        return false;
    for (const char *p = name; *p; p++) {
        bool digit = *p >= '0' && *p <= '9';
        bool ok = digit || (*p >= 'a' && *p <= 'z') ||
                  (*p >= 'A' && *p <= 'Z') || *p == '_' || *p == '-' ||
                  *p == '.';
        if (!ok)
            return false;
        digits_only &= digit;
    }
    return !digits_only;
}

unsigned guestcfg_memory_mib(unsigned base_mib, uint64_t initrd_bytes,
                             uint64_t unpacked_bytes)
{
    /* The builder loads the compressed initramfs into guest memory and the
     * kernel unpacks it into rootfs (page cache) before freeing it: both
     * are in memory at the peak. */
    uint64_t image_mib = (initrd_bytes + unpacked_bytes + MIB - 1) / MIB;
    uint64_t total = base_mib + image_mib + APP_HEADROOM_MIB;
    total = (total + 7) / 8 * 8;
    return total > 1u << 20 ? 1u << 20 : (unsigned)total;
}

/* A config string: xl's parser takes "..." with C-like escapes; none of
 * ours needs more than \" and \\, and control characters are refused. */
static int put_string(FILE *f, const char *key, const char *value,
                      struct tx_error *err)
{
    for (const char *p = value; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return tx_fail(err, -EINVAL,
                           "the config's %s cannot hold control characters",
                           key);
    fprintf(f, "%-8s = \"", key);
    for (const char *p = value; *p; p++) {
        if (*p == '"' || *p == '\\')
            fputc('\\', f);
        fputc(*p, f);
    }
    fputs("\"\n", f);
    return 0;
}

/* The devices: xl's list syntax, one spec string per device.  The specs
 * hold no quotes or backslashes (devices.c refuses them). */
static void put_devices(FILE *f, const struct guestcfg *cfg)
{
    if (cfg->bridge)
        fprintf(f, "vif      = [ 'bridge=%s' ]\n", cfg->bridge);
    if (!cfg->ndisks)
        return;
    fputs("disk     = [ ", f);
    for (size_t i = 0; i < cfg->ndisks; i++) {
        const struct tinyx_disk *d = &cfg->disks[i];
        fputs(i ? ",\n             '" : "'", f);
        /* A comma in the path: target= takes the rest of the spec. */
        if (strchr(d->image, ','))
            fprintf(f, "format=raw, vdev=%s, access=rw, target=%s'", d->vdev,
                    d->image);
        else
            fprintf(f, "%s,raw,%s,rw'", d->image, d->vdev);
    }
    fputs(" ]\n", f);
}

int guestcfg_render(const struct guestcfg *cfg, char **out,
                    struct tx_error *err)
{
    if (!guestcfg_name_ok(cfg->name))
        return tx_fail(
            err, -EINVAL,
            "\"%s\" is not a valid guest name (1-63 letters, digits, "
            "_ - .; not all digits)",
            cfg->name);
    if (cfg->memory_mib == 0)
        return tx_fail(err, -EINVAL, "guest memory must be at least 1 MiB");
    if (cfg->bridge && !tinyx_ifname_ok(cfg->bridge))
        return tx_fail(err, -EINVAL, "\"%s\" is not a bridge name",
                       cfg->bridge);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return tx_fail(err, -ENOMEM, "out of memory");
    fprintf(f,
            "# Written by tinyx build (target %s).  Works with both\n"
            "#   chaos create THIS-FILE    and    xl create THIS-FILE\n",
            tinyx_target_name(cfg->target));
    int r = put_string(f, "name", cfg->name, err);
    if (r == 0)
        r = put_string(f, "type", cfg->target == TINYX_XEN_PVH ? "pvh" : "pv",
                       err);
    if (r == 0)
        r = put_string(f, "kernel", cfg->kernel, err);
    if (r == 0)
        r = put_string(f, "ramdisk", cfg->ramdisk, err);
    if (r == 0)
        r = put_string(f, "extra", cfg->extra, err);
    if (r == 0) {
        fprintf(f, "memory   = %u\n", cfg->memory_mib);
        /* PVH: more than one vCPU made xl 4.17 ask for a HAP pool it could
         * not get (docs/unikernel.md); one is what one application needs. */
        fputs("vcpus    = 1\n", f);
        put_devices(f, cfg);
        /* The image powers itself off when the application exits; a crash
         * or reboot must not loop. */
        fputs("on_poweroff = \"destroy\"\non_reboot = \"destroy\"\non_crash = "
              "\"destroy\"\n",
              f);
    }
    if (fclose(f) != 0 && r == 0)
        r = tx_fail(err, -ENOMEM, "out of memory");
    if (r < 0) {
        free(buf);
        return r;
    }
    *out = buf;
    return 0;
}
