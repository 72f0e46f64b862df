/*
 * config_keys.c - which keys exist: the keys chaos implements, the xl keys
 * it does not implement yet, and a "did you mean" for the rest.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config_internal.h"
#include "util.h"

const char *const config__key_names[KEY__COUNT] = {
    [KEY_NAME] = "name",
    [KEY_TYPE] = "type",
    [KEY_BUILDER] = "builder",
    [KEY_KERNEL] = "kernel",
    [KEY_RAMDISK] = "ramdisk",
    [KEY_CMDLINE] = "cmdline",
    [KEY_ROOT] = "root",
    [KEY_EXTRA] = "extra",
    [KEY_MEMORY] = "memory",
    [KEY_MAXMEM] = "maxmem",
    [KEY_VCPUS] = "vcpus",
    [KEY_MAXVCPUS] = "maxvcpus",
    [KEY_ON_POWEROFF] = "on_poweroff",
    [KEY_ON_REBOOT] = "on_reboot",
    [KEY_ON_CRASH] = "on_crash",
    [KEY_XENSTORE] = "xenstore",
    [KEY_UUID] = "uuid",
    [KEY_TSC_MODE] = "tsc_mode",
    [KEY_VIF] = "vif",
    [KEY_DISK] = "disk",
};

/*
 * Keys xl.cfg(5) (Xen 4.17) and xl's parser know that chaos does not
 * implement yet: they get "not supported by chaos yet" rather than
 * "unknown key", so users know the config is not simply misspelt.
 */
static const char *const xl_only_keys[] = {
    "acpi",
    "acpi_firmware",
    "acpi_laptop_slate",
    "acpi_s3",
    "acpi_s4",
    "altp2m",
    "altp2mhvm",
    "apic",
    "bios",
    "bios_path_override",
    "boot",
    "bootloader",
    "bootloader_args",
    "cap",
    "channel",
    "cpu_weight",
    "cpuid",
    "cpus",
    "cpus_soft",
    "device_model",
    "device_model_args",
    "device_model_args_hvm",
    "device_model_args_pv",
    "device_model_override",
    "device_model_stubdomain_override",
    "device_model_stubdomain_seclabel",
    "device_model_user",
    "device_model_version",
    "device_tree",
    "display",
    "dm_restrict",
    "driver_domain",
    "dtdev",
    "e820_host",
    "extratime",
    "firmware",
    "firmware_override",
    "gfx_passthru",
    "gic_version",
    "hap",
    "hdtype",
    "hpet",
    "init_seclabel",
    "iomem",
    "ioports",
    "irqs",
    "keymap",
    "latency",
    "llc_colors",
    "localtime",
    "max_event_channels",
    "max_grant_frames",
    "max_grant_version",
    "max_maptrack_frames",
    "mca_caps",
    "mmio_hole",
    "ms_vm_genid",
    "msr_relaxed",
    "nestedhvm",
    "nographic",
    "nomigrate",
    "nx",
    "on_soft_reset",
    "on_watchdog",
    "oos",
    "opengl",
    "p9",
    "pae",
    "passthrough",
    "pci",
    "pci_msitranslate",
    "pci_permissive",
    "pci_power_mgmt",
    "pci_seize",
    "period",
    "pool",
    "pvcalls",
    "pvh",
    "pvshim",
    "pvshim_cmdline",
    "pvshim_extra",
    "pvshim_path",
    "rdm",
    "rdm_mem_boundary",
    "rtc_timeoffset",
    "sdl",
    "seclabel",
    "serial",
    "shadow_memory",
    "slice",
    "smbios",
    "smbios_firmware",
    "soundhw",
    "spice",
    "spice_clipboard_sharing",
    "spice_image_compression",
    "spice_streaming_video",
    "spiceagent_mouse",
    "spicedisable_ticketing",
    "spicehost",
    "spicepasswd",
    "spiceport",
    "spicetls_port",
    "spiceusbredirection",
    "spicevdagent",
    "stdvga",
    "stubdomain_cmdline",
    "stubdomain_kernel",
    "stubdomain_memory",
    "stubdomain_ramdisk",
    "tee",
    "timer_mode",
    "usb",
    "usbctrl",
    "usbdev",
    "usbdevice",
    "usbversion",
    "vcpu_hard_affinity",
    "vdispl",
    "vendor_device",
    "vfb",
    "vga",
    "videoram",
    "viridian",
    "virtio",
    "vkb",
    "vkb_device",
    "vmtrace_buf_kb",
    "vnc",
    "vncdisplay",
    "vnclisten",
    "vncpasswd",
    "vncunused",
    "vncviewer",
    "vnuma",
    "vpmu",
    "vpt_align",
    "vsnd",
    "vtpm",
    "vuart",
    "xauthority",
    "xen_platform_pci",
    "xend_suspend_evtchn_compat",
};

static bool is_xl_only_key(const char *key)
{
    for (size_t i = 0; i < N_ELEMENTS(xl_only_keys); i++)
        if (strcmp(key, xl_only_keys[i]) == 0)
            return true;
    return false;
}

/*
 * Edit distance between two short words, ignoring case, where swapping two
 * neighbouring letters counts as one edit (the commonest typo: "memroy").
 */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), d[33][33];

    if (la > 32 || lb > 32)
        return 99;
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            char ca = (char)tolower((unsigned char)a[i - 1]);
            char cb = (char)tolower((unsigned char)b[j - 1]);
            size_t best = d[i - 1][j - 1] + (ca != cb);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                cb == tolower((unsigned char)a[i - 2]) &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

/* The known key closest to an unknown one, or NULL if none is close. */
static const char *suggest(const char *key)
{
    const char *best = NULL;
    size_t best_d = 3; /* suggest only at distance 1 or 2 */

    for (int k = 0; k < KEY__COUNT; k++) {
        size_t d = edit_distance(key, config__key_names[k]);
        if (d < best_d)
            best = config__key_names[k], best_d = d;
    }
    for (size_t i = 0; i < N_ELEMENTS(xl_only_keys); i++) {
        size_t d = edit_distance(key, xl_only_keys[i]);
        if (d < best_d)
            best = xl_only_keys[i], best_d = d;
    }
    if (best && best_d * 3 > strlen(key))
        return NULL; /* too different to be a typo */
    return best;
}

/* Maps a key to its id, or explains why it has none. */
int config__find_key(chaos_config *cfg, const char *key, const char *pfx)
{
    char hint[80] = "";
    const char *near;

    for (int k = 0; k < KEY__COUNT; k++)
        if (strcmp(key, config__key_names[k]) == 0)
            return k;
    if (is_xl_only_key(key))
        return config__fail(cfg, -EINVAL,
                            "%s'%s' is not supported by chaos "
                            "yet",
                            pfx, key);
    near = suggest(key);
    if (near)
        snprintf(hint, sizeof(hint), " (did you mean '%s'?)", near);
    return config__fail(cfg, -EINVAL, "%sunknown key '%.64s'%s", pfx, key,
                        hint);
}
