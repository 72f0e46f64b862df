/*
 * PV boot: Xen entered pv_entry (boot.S) in long mode with paging on and
 * the start_info page mapped; we map shared_info, find the console ring,
 * and the store page, and start the kernel.
 *
 * Addresses: with VIRT_BASE = 0 (boot.S) Xen maps the boot area so that
 * the page at pseudo-physical frame N sits at virtual N * 4096.  That area
 * covers the image, start_info, the xenstore and console pages and the
 * boot page tables (the layout rule in xen.h's start_info comment), so the
 * console page needs no mapping of our own: only its frame number.
 */
#include "hypercall.h"
#include "kernel.h"
#include "x86.h"

_Noreturn void pv_start(const struct start_info *start_info);

void pv_start(const struct start_info *start_info)
{
    struct boot_info boot = {
        .mode = "pv",
        .cmdline = (const char *)start_info->cmd_line,
        .shared_info = (struct shared_info *)shared_info_page,
        .pv = true,
        .p2m = (const unsigned long *)start_info->mfn_list,
        .nr_pages = start_info->nr_pages,
    };
    uint64_t pte = start_info->shared_info | PTE_PRESENT | PTE_WRITABLE |
                   PTE_ACCESSED | PTE_DIRTY;

    /*
     * shared_info is given as a machine address and is not mapped: point
     * our page-sized hole at it (the frame behind the hole is orphaned).
     */
    if (hyp_update_va_mapping((unsigned long)shared_info_page, pte,
                              UVMF_INVLPG) != 0)
        kernel_early_crash("chaos unikernel: cannot map shared_info\n");

    /*
     * The console page is given as a machine frame; the machine-to-physical
     * table that Xen maps read-only into every PV guest turns it into our
     * frame number.
     */
    if (start_info->console.domU.mfn != 0) {
        unsigned long pfn =
            machine_to_phys_mapping[start_info->console.domU.mfn];

        boot.console = (struct xencons_interface *)(pfn << PAGE_SHIFT);
        boot.console_port = start_info->console.domU.evtchn;
    }
    /* The store page (noxs's device page, or a XenStore ring): a machine
     * frame inside the boot mapping, like the console page. */
    if (start_info->store_mfn != 0) {
        unsigned long pfn = machine_to_phys_mapping[start_info->store_mfn];

        if (pfn < start_info->nr_pages) {
            boot.store_page = (void *)(pfn << PAGE_SHIFT);
            boot.store_port = start_info->store_evtchn;
        }
    }
    kernel_start(&boot);
}
