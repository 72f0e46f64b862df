/*
 * hv_build_pvh.c - what building a PVH guest adds to the sequence in
 * hv_build.c: the HVM settings of the domain, the guest's physical memory
 * layout and its ACPI tables, all in the prepare phase (none of it depends
 * on the kernel).
 *
 * A PVH guest is an HVM guest without firmware and without emulated
 * devices but the local APICs: Xen starts its kernel at the ELF note
 * XEN_ELFNOTE_PHYS32_ENTRY in 32-bit protected mode, paging off, with
 * %ebx = the physical address of a struct hvm_start_info (command line,
 * modules, memory map, RSDP address).  libxenguest's HVM "arch hooks"
 * build all of that from fields of the xc_dom_image that chaos fills here,
 * as libxl does in libxl__build_hvm and libxl__arch_domain_construct_memmap.
 * The console and XenStore rings are two of the HVM special pages; their
 * event channels reach the guest as HVM parameters, which libxenguest
 * 4.17 sets itself (bootlate_hvm) from dom->console_evtchn and
 * dom->xenstore_evtchn.
 *
 * The guest-physical memory map of a guest with R bytes of RAM:
 *
 *   0 .. min(R, 0xfc000000)            RAM; libxenguest loads the kernel
 *                                      at its ELF physical address, then
 *                                      the ramdisk and the start info
 *   0xfc000000 .. 4 GiB                the hole ("MMIO hole"): no RAM
 *       0xfc000000 .. +1 page          ACPI tables, RSDP first  (ACPI)
 *       0xfee00000                     the local APICs (emulated by Xen)
 *       0xfeff8000 .. 0xff000000       8 HVM special pages: console ring,
 *                                      XenStore ring, ...    (reserved)
 *   4 GiB .. 4 GiB + R - 0xfc000000    the rest of the RAM, if any
 *
 * The addresses are libxl's for PVH (its hole starts at its ACPI area,
 * 0xfc000000), so a guest sees the same layout under chaos and under xl.
 * The map reaches the guest twice: in hvm_start_info (libxenguest copies
 * dom->e820 there) and through XENMEM_memory_map (Xen keeps the copy set
 * here).  Linux reads the first and falls back to the second.
 *
 * Every PVH guest gets the ACPI tables (acpi.h says which and why): Linux
 * cannot boot without them, the chaos unikernel ignores them, and they
 * cost one page and no time in execute beyond copying that page.
 */
#include <errno.h>
#include <string.h>

#include "hv_build_int.h" /* first: Xen's headers need xenctrl.h's types */

#include <xen/hvm/params.h>

#include "acpi.h"

#define PAGE 4096u
#define GIB4 (UINT64_C(1) << 32)
/* Start of the hole below 4 GiB, and of the ACPI tables in it. */
#define PVH_HOLE_START UINT64_C(0xfc000000)
#define PVH_ACPI_BASE PVH_HOLE_START
/* The HVM special pages libxenguest populates (xg_private.h's
 * X86_HVM_END_SPECIAL_REGION and X86_HVM_NR_SPECIAL_PAGES, not public). */
#define PVH_SPECIAL_END (UINT64_C(0xff000) * PAGE)
#define PVH_SPECIAL_START (PVH_SPECIAL_END - 8 * PAGE)

/* Low RAM, ACPI tables, special pages, high RAM. */
#define PVH_MAP_MAX 4

/* Fills map (PVH_MAP_MAX entries), in address order; returns the count. */
static unsigned pvh_memory_map(uint64_t ram, uint64_t acpi_size,
                               struct e820entry *map)
{
    uint64_t low = ram < PVH_HOLE_START ? ram : PVH_HOLE_START;
    unsigned n = 0;
    /* From 0: Linux itself reserves the legacy area 640 KiB - 1 MiB. */
    map[n++] = (struct e820entry){ .addr = 0, .size = low, .type = E820_RAM };
    /* "ACPI" (reclaimable): tables only, no AML refers to them. */
    map[n++] = (struct e820entry){
        .addr = PVH_ACPI_BASE,
        .size = (acpi_size + PAGE - 1) / PAGE * PAGE,
        .type = E820_ACPI,
    };
    map[n++] = (struct e820entry){
        .addr = PVH_SPECIAL_START,
        .size = PVH_SPECIAL_END - PVH_SPECIAL_START,
        .type = E820_RESERVED,
    };
    if (ram > low)
        map[n++] = (struct e820entry){
            .addr = GIB4,
            .size = ram - low,
            .type = E820_RAM,
        };
    return n;
}

/*
 * The ACPI tables, as module 0 of dom->acpi_modules: libxenguest
 * populates their pages and copies them in build_image, and puts module
 * 0's address in hvm_start_info.rsdp_paddr, hence the RSDP first.
 */
static int pvh_acpi(struct chaos_hv *hv, struct xc_dom_image *dom,
                    unsigned nr_vcpus, size_t *size)
{
    size_t need = acpi_tables_size(nr_vcpus);   /* hv_pvh_check: not 0 */
    uint8_t *tables = xc_dom_malloc(dom, need); /* freed with dom */
    if (!tables)
        return hv_error(hv, -ENOMEM, "out of memory");
    long n = acpi_tables_build(tables, need, PVH_ACPI_BASE, nr_vcpus);
    if (n < 0)
        return hv_error(hv, (int)n, "building the ACPI tables failed");
    dom->acpi_modules[0].data = tables;
    dom->acpi_modules[0].length = (uint32_t)n;
    dom->acpi_modules[0].guest_addr_out = PVH_ACPI_BASE;
    *size = (size_t)n;
    return 0;
}

int hv_pvh_check(struct chaos_hv *hv, const struct hv_shell_spec *spec)
{
    if (acpi_tables_size(spec->max_vcpus) == 0)
        return hv_error(hv, -EINVAL,
                        "a PVH guest has 1 to %d vCPUs, "
                        "not %u",
                        ACPI_MAX_VCPUS, spec->max_vcpus);
    return 0;
}

/* Not in the migration stream (xg_sr_save_x86_hvm.c: write_hvm_params
 * leaves it out): libxl sets it again before a restore too
 * (libxl_x86.c: hvm_set_conf_params). */
int hv_pvh_params(struct chaos_hv *hv, chaos_domid domid)
{
    /* What the LAPIC timer does after missed ticks: xl's default. */
    if (xc_hvm_param_set(hv_xch(hv), domid, HVM_PARAM_TIMER_MODE,
                         HVMPTM_no_delay_for_missed_ticks) != 0)
        return FAIL(hv, "setting HVM_PARAM_TIMER_MODE failed");
    return 0;
}

int hv_pvh_prepare(struct chaos_hv *hv, struct hv_shell *shell,
                   const struct hv_shell_spec *spec)
{
    xc_interface *xch = hv_xch(hv);
    struct xc_dom_image *dom = shell->dom;
    uint64_t ram = spec->memory_kib * 1024;

    int rc = hv_pvh_params(hv, shell->domid);
    if (rc)
        return rc;

    /*
     * What libxenguest's meminit_hvm populates: [0, lowmem_end) and
     * [4 GiB, highmem_end), all of it now (target = total: no
     * populate-on-demand), without the VGA hole an emulated PC would
     * have (vga_hole_size) and without the pages a device model needs
     * (device_model = false).
     */
    dom->target_pages = ram / PAGE;
    dom->mmio_start = PVH_HOLE_START;
    dom->mmio_size = GIB4 - PVH_HOLE_START;
    dom->lowmem_end = ram < PVH_HOLE_START ? ram : PVH_HOLE_START;
    dom->highmem_end = ram > PVH_HOLE_START ? GIB4 + ram - PVH_HOLE_START : 0;
    dom->vga_hole_size = 0;
    dom->device_model = false;

    size_t acpi_size = 0;
    rc = pvh_acpi(hv, dom, spec->max_vcpus, &acpi_size);
    if (rc)
        return rc;
    struct e820entry *map = xc_dom_malloc(dom, PVH_MAP_MAX * sizeof(*map));
    if (!map)
        return hv_error(hv, -ENOMEM, "out of memory");
    unsigned n = pvh_memory_map(ram, acpi_size, map);
    if (xc_domain_set_memory_map(xch, shell->domid, map, n) != 0)
        return FAIL(hv, "XENMEM_set_memory_map failed");
    dom->e820 = map;
    dom->e820_entries = n;
    return 0;
}

/*
 * libxenguest gives every PVH guest a XenStore ring (a special page, in
 * HVM_PARAM_STORE_PFN) and an event channel (HVM_PARAM_STORE_EVTCHN, from
 * dom->xenstore_evtchn, 0 when the guest gets no XenStore).  A PV guest
 * with store_evtchn 0 knows there is no XenStore yet; Linux as a PVH
 * guest does not look at the port: seeing a ring it waits for xenstored's
 * answer forever, in its boot (xenbus_probe), measured in the lab.  An
 * HVM_PARAM_STORE_PFN of 0 is Xen's "XenStore not initialised", which
 * Linux takes as "no XenStore" and boots on.
 */
int hv_pvh_hide_xenstore(struct chaos_hv *hv, struct hv_shell *shell)
{
    if (xc_hvm_param_set(hv_xch(hv), shell->domid, HVM_PARAM_STORE_PFN, 0))
        return FAIL(hv, "clearing HVM_PARAM_STORE_PFN failed");
    return 0;
}
