/*
 * hv_build.c - the prepare/execute split of guest building, on
 * libxenguest's xc_dom_* domain builder.  PV guests are built here; what
 * differs for PVH is in hv_build_pvh.c.
 *
 * libxenguest builds a guest in one sequence (allocate, kernel, parse,
 * mem_init, boot_mem_init, build_image, boot_image, gnttab_init), and its
 * memory population (boot_mem_init) comes after parsing the kernel.  What
 * population really needs from the kernel is only the guest type, which
 * selects libxenguest's "arch hooks" (PV: the guest's address size and
 * page-table format; PVH: the HVM hooks), and for PV whether the kernel
 * asks for an auto-translated physmap.  Every guest chaos builds is either
 * a 64-bit PV kernel without that feature or a PVH kernel, so prepare sets
 * the guest type itself and populates memory before any kernel is known;
 * execute parses the kernel and checks that it is what prepare assumed (a
 * mismatch is an error naming the kernel).
 * The price: a shell keeps its xc_dom_image in the process that prepared
 * it, so a shell cannot be handed to another process or survive a restart
 * of its owner (chaosd destroys such orphans and prepares new ones).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv_build_int.h"

#include <xen/arch-x86/hvm/start_info.h>

#include "hv_dev.h"

/* The only PV guest type Debian's Xen runs (no CONFIG_PV32). */
static const char PV64_GUEST_TYPE[] = "xen-3.0-x86_64";
/* libxenguest's name for every PVH guest (its HVM arch hooks), whatever
 * the kernel's own bitness: the boot ABI enters it in 32-bit mode. */
static const char PVH_GUEST_TYPE[] = "hvm-3.0-x86_32";

chaos_domid hv_shell_domid(const struct hv_shell *shell)
{
    return shell->domid;
}

void hv_shell_release(struct hv_shell *shell)
{
    if (!shell)
        return;
    if (shell->dom)
        xc_dom_release(shell->dom);
    free(shell);
}

int hv__create_domain(struct chaos_hv *hv, const struct hv_shell_spec *spec,
                      chaos_domid *domid)
{
    struct xen_domctl_createdomain cfg = {
        .flags = spec->pvh ? (XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap) : 0,
        .max_vcpus = spec->max_vcpus,
        .max_evtchn_port = 1023, /* as libxl's default event_channels */
        .max_grant_frames = -1,  /* Xen's defaults */
        .max_maptrack_frames = -1,
        /* Xen 4.17 refuses a create without a grant table version. */
        .grant_opts = XEN_DOMCTL_GRANT_version(1),
        /* A PVH guest has a local APIC and nothing else emulated. */
        .arch.emulation_flags = spec->pvh ? XEN_X86_EMU_LAPIC : 0,
    };
    memcpy(cfg.handle, spec->uuid, sizeof(cfg.handle));
    uint32_t id = 0; /* Xen picks the id */
    if (xc_domain_create(hv_xch(hv), &id, &cfg) != 0) {
        int err = errno;
        if (err == EINVAL && spec->pvh)
            return hv_fail(hv, err,
                           "XEN_DOMCTL_createdomain (PVH) failed: "
                           "does this host have HAP (see `chaos info`)?");
        return hv_fail(hv, err, "XEN_DOMCTL_createdomain failed");
    }
    *domid = id;
    return 0;
}

/* The domain-wide settings libxl makes before building (libxl__build_pre). */
int hv__set_limits(struct chaos_hv *hv, chaos_domid domid,
                   const struct hv_shell_spec *spec, bool cpuid)
{
    xc_interface *xch = hv_xch(hv);
    /* Still needed after create in 4.17: without it boot_image fails. */
    if (xc_domain_max_vcpus(xch, domid, spec->max_vcpus) != 0)
        return FAIL(hv, "XEN_DOMCTL_max_vcpus failed");
    /* libxl adds LIBXL_MAXMEM_CONSTANT (1 MiB) of slack on x86. */
    if (xc_domain_setmaxmem(xch, domid, spec->maxmem_kib + 1024) != 0)
        return FAIL(hv, "XEN_DOMCTL_max_mem failed");
    if (!spec->pvh &&
        xc_domain_set_memmap_limit(xch, domid, spec->maxmem_kib) != 0)
        return FAIL(hv, "XENMEM_set_memory_map failed");
    if (spec->pvh) {
        /* HAP's page-table pool: libxl's rule of thumb, in bytes. */
        uint64_t kib = 4 * (256 * (uint64_t)spec->max_vcpus +
                            2 * (spec->maxmem_kib / 1024));
        if (xc_set_paging_mempool_size(xch, domid, kib * 1024) != 0)
            return FAIL(hv, "XEN_DOMCTL_set_paging_mempool_size failed");
    }
    /* Xen's TSC_MODE_* (its asm/time.h; not in the public headers):
     * 0 default, 1 always emulate, 2 never emulate (xl's "native"). */
    uint32_t tsc_mode = spec->tsc_mode == HV_TSC_NATIVE           ? 2
                        : spec->tsc_mode == HV_TSC_ALWAYS_EMULATE ? 1
                                                                  : 0;
    if (xc_domain_set_tsc_info(xch, domid, tsc_mode, 0, 0, 0) != 0)
        return FAIL(hv, "XEN_DOMCTL_settscinfo failed");
    if (cpuid &&
        xc_cpuid_apply_policy(xch, domid, false, NULL, 0, true /* pae */, false,
                              false, NULL, NULL) != 0)
        return FAIL(hv, "applying the CPUID policy failed");
    return 0;
}

static int alloc_ports(struct chaos_hv *hv, struct hv_shell *shell)
{
    xc_interface *xch = hv_xch(hv);
    /* Back ends (console, XenStore) live in dom0: remote domain 0. */
    int port = xc_evtchn_alloc_unbound(xch, shell->domid, 0);
    if (port < 0)
        return FAIL(hv, "allocating the console event channel failed");
    shell->console_port = (uint32_t)port;
    if (shell->xenstore) {
        port = xc_evtchn_alloc_unbound(xch, shell->domid, 0);
        if (port < 0)
            return FAIL(hv, "allocating the XenStore event channel failed");
        shell->store_port = (uint32_t)port;
    }
    return 0;
}

static int populate(struct chaos_hv *hv, struct hv_shell *shell,
                    const struct hv_shell_spec *spec)
{
    struct xc_dom_image *dom = xc_dom_allocate(hv_xch(hv), NULL, NULL);
    if (!dom)
        return FAIL(hv, "xc_dom_allocate failed");
    shell->dom = dom;
    dom->container_type =
        spec->pvh ? XC_DOM_HVM_CONTAINER : XC_DOM_PV_CONTAINER;
    dom->console_evtchn = shell->console_port;
    dom->console_domid = 0;
    dom->xenstore_evtchn = shell->xenstore ? shell->store_port : 0;
    dom->xenstore_domid = 0;
    dom->max_vcpus = spec->max_vcpus;
    if (xc_dom_boot_xen_init(dom, hv_xch(hv), shell->domid) != 0)
        return FAIL(hv, "xc_dom_boot_xen_init failed");
    /* See the comment at the top: the guest type picks the arch hooks. */
    if (spec->pvh) {
        dom->guest_type = PVH_GUEST_TYPE;
        int rc = hv_pvh_prepare(hv, shell, spec);
        if (rc)
            return rc;
    } else {
        dom->guest_type = PV64_GUEST_TYPE;
    }
    if (xc_dom_mem_init(dom, (unsigned)(spec->memory_kib / 1024)) != 0)
        return FAIL(hv, "xc_dom_mem_init failed");
    if (xc_dom_boot_mem_init(dom) != 0) {
        int err = errno;
        if (err == ENOMEM)
            return hv_fail(hv, err,
                           "not enough free memory for %llu MiB "
                           "(see free_memory in `chaos info`)",
                           (unsigned long long)spec->memory_kib / 1024);
        return hv_fail(hv, err, "populating guest memory failed");
    }
    return 0;
}

int hv_shell_prepare(struct chaos_hv *hv, const struct hv_shell_spec *spec,
                     struct hv_shell **out)
{
    struct hv_shell *shell = calloc(1, sizeof(*shell));
    if (!shell)
        return hv_error(hv, -ENOMEM, "out of memory");
    shell->pvh = spec->pvh;
    shell->xenstore = spec->xenstore;
    int rc = spec->pvh ? hv_pvh_check(hv, spec) : 0;
    if (!rc)
        rc = hv__create_domain(hv, spec, &shell->domid);
    if (rc) {
        free(shell);
        return rc;
    }
    rc = hv__set_limits(hv, shell->domid, spec, true);
    if (!rc)
        rc = alloc_ports(hv, shell);
    if (!rc)
        rc = populate(hv, shell, spec);
    if (rc) {
        /* Destroying the domain frees its memory and event channels too. */
        xc_domain_destroy(hv_xch(hv), shell->domid);
        hv_shell_release(shell);
        return rc;
    }
    *out = shell;
    return 0;
}

/* Checks that the parsed kernel is the kind of guest prepare assumed. */
static int check_guest_type(struct chaos_hv *hv, const struct hv_shell *shell)
{
    const char *type = shell->dom->guest_type;
    if (shell->pvh && strcmp(type, PVH_GUEST_TYPE) != 0)
        return hv_fail(hv, EINVAL, "kernel is a '%s' guest, not PVH", type);
    if (!shell->pvh && strcmp(type, PV64_GUEST_TYPE) != 0)
        return hv_fail(hv, EINVAL,
                       "kernel is a '%s' guest; chaos builds "
                       "64-bit PV guests (%s)",
                       type, PV64_GUEST_TYPE);
    return 0;
}

/* Loads kernel, ramdisk and boot information and sets up the boot vCPU. */
static int load_and_boot(struct chaos_hv *hv, struct xc_dom_image *dom)
{
    if (xc_dom_build_image(dom) != 0)
        return FAIL(hv, "loading the kernel into guest memory failed "
                        "(is memory large enough for kernel and ramdisk?)");
    if (xc_dom_boot_image(dom) != 0)
        return FAIL(hv, "setting up the boot vCPU failed");
    if (xc_dom_gnttab_init(dom) != 0)
        return FAIL(hv, "setting up the grant table failed");
    return 0;
}

int hv_shell_execute(struct chaos_hv *hv, struct hv_shell *shell,
                     const struct hv_boot_spec *boot, struct hv_boot_info *info)
{
    struct xc_dom_image *dom = shell->dom;
    memset(info, 0, sizeof(*info));
    if (!dom)
        return hv_error(hv, -EINVAL, "shell was already used");
    /*
     * What xc_dom_allocate(xch, cmdline, ...) would have done with a
     * command line: in 4.17 it only copies it into dom->cmdline.  The
     * size of its copy in the guest (dom->cmdline_size) is computed by
     * libxenguest itself, in the PVH start-info layout (rounded up to 8
     * bytes), when build_image runs; the PV start_info has a fixed
     * 1024-byte field and ignores it.  So nothing else is set here.
     */
    dom->cmdline = xc_dom_strdup(dom, boot->cmdline ? boot->cmdline : "");
    if (!dom->cmdline)
        return hv_error(hv, -ENOMEM, "out of memory");
    /* libxenguest does not modify the blobs: it decompresses into copies. */
    if (xc_dom_kernel_mem(dom, boot->kernel, boot->kernel_size) != 0)
        return FAIL(hv, "reading the kernel image failed");
    if (boot->ramdisk &&
        xc_dom_module_mem(dom, boot->ramdisk, boot->ramdisk_size, NULL) != 0)
        return FAIL(hv, "reading the ramdisk failed");
    /* Whatever errno the loaders leave, the cause is the image itself. */
    if (xc_dom_parse_image(dom) != 0)
        return hv_fail(hv, EINVAL,
                       shell->pvh
                           ? "not a bootable PVH kernel (it needs the ELF note "
                             "XEN_ELFNOTE_PHYS32_ENTRY)"
                           : "not a bootable Xen kernel");
    int rc = check_guest_type(hv, shell);
    if (rc)
        return rc;
    /* Which OS the kernel says it is decides whether it needs XenStore:
     * stock Linux waits for one (and finds its devices there); every other
     * guest speaks noxs on the same page (its control device at least:
     * suspend, poweroff), unless it asks for XenStore and has no device. */
    snprintf(info->guest_os, sizeof(info->guest_os), "%s",
             xc_dom_guest_os(dom) ? xc_dom_guest_os(dom) : "");
    bool is_linux = !strcmp(info->guest_os, "linux");
    info->noxs =
        !is_linux && (boot->devices || boot->xenstore != HV_XENSTORE_YES);
    info->xenstore =
        !info->noxs &&
        (boot->xenstore == HV_XENSTORE_YES ||
         (boot->xenstore == HV_XENSTORE_AUTO && is_linux) || boot->devices);
    if ((info->xenstore || info->noxs) && !shell->xenstore)
        return hv_error(hv, -EINVAL, "the shell has no store page");
    if (!info->xenstore && !info->noxs)
        dom->xenstore_evtchn = 0; /* start info / HVM param: "no XenStore" */
    if (boot->want_elf) {
        /* After parsing, kernel_blob holds the decompressed kernel. */
        info->elf = malloc(dom->kernel_size);
        if (!info->elf)
            return hv_error(hv, -ENOMEM, "out of memory");
        memcpy(info->elf, dom->kernel_blob, dom->kernel_size);
        info->elf_size = dom->kernel_size;
    }
    rc = load_and_boot(hv, dom);
    if (!rc && shell->pvh && !info->xenstore && !info->noxs)
        rc = hv_pvh_hide_xenstore(hv, shell);
    if (rc) {
        free(info->elf);
        info->elf = NULL;
        return rc;
    }
    info->console_port = shell->console_port;
    info->store_port = shell->store_port;
    /*
     * PV: the ring's machine frame (what dom0 maps).  PVH: its guest frame
     * (GFN) as the guest sees it, one of the HVM special pages below 4 GiB;
     * Xen translates it when dom0 maps it by GFN.
     */
    if (shell->pvh) {
        info->console_frame = dom->console_pfn;
        if (info->xenstore || info->noxs)
            info->store_frame = dom->xenstore_pfn;
    } else {
        info->console_frame = xc_dom_p2m(dom, dom->console_pfn);
        if (info->xenstore || info->noxs)
            info->store_frame = xc_dom_p2m(dom, dom->xenstore_pfn);
    }
    /* Where bootlate_pv/bootlate_hvm (libxenguest) put the command line:
     * start_info.cmd_line (PV), or just after hvm_start_info in its
     * segment's first page, dom->cmdline_size bytes (PVH). */
    if (shell->pvh) {
        info->cmdline_frame = dom->start_info_seg.pfn;
        info->cmdline_offset = sizeof(struct hvm_start_info);
        info->cmdline_room = (uint32_t)dom->cmdline_size;
    } else {
        info->cmdline_frame = xc_dom_p2m(dom, dom->start_info_pfn);
        info->cmdline_offset = offsetof(start_info_t, cmd_line);
        info->cmdline_room = MAX_GUEST_CMDLINE;
    }
    xc_dom_release(dom);
    shell->dom = NULL;
    return 0;
}

int hv_cmdline_patch(struct chaos_hv *hv, chaos_domid domid,
                     const struct hv_boot_info *info, const char *cmdline)
{
    size_t len = strlen(cmdline);
    if (len >= info->cmdline_room ||
        info->cmdline_offset + info->cmdline_room > XC_PAGE_SIZE)
        return hv_error(hv, -E2BIG,
                        "the command line (%zu bytes) does not fit the %u "
                        "the image has room for",
                        len, info->cmdline_room ? info->cmdline_room - 1 : 0);
    struct hv_page *pg;
    int rc = hv_page_map(hv, domid, info->cmdline_frame, &pg);
    if (rc)
        return rc;
    char *line = (char *)hv_page_addr(pg) + info->cmdline_offset;
    memcpy(line, cmdline, len);
    memset(line + len, 0, info->cmdline_room - len);
    hv_page_unmap(pg);
    return 0;
}
