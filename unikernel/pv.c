/*
 * PV boot: Xen entered pv_entry (boot.S) in long mode with paging on and
 * the start_info page mapped; we map shared_info, find the console ring,
 * and the store page, publish our p2m for save, and start the kernel.
 *
 * Addresses: with VIRT_BASE = 0 (boot.S) Xen maps the boot area so that
 * the page at pseudo-physical frame N sits at virtual N * 4096.  That area
 * covers the image, start_info, the xenstore and console pages and the
 * boot page tables (the layout rule in xen.h's start_info comment), so the
 * console page needs no mapping of our own: only its frame number.
 *
 * Suspend (platform.h): Xen's pages must not be mapped in our page tables
 * at suspend (libxenguest's save refuses a PTE whose frame is not ours),
 * so shared_info is unmapped before and mapped again after; a restore
 * rewrites start_info (new frames and event channels) and our p2m table,
 * and clears the frame-list pointer in shared_info, so we read the one
 * and publish the other again.
 */
#include "hypercall.h"
#include "kernel.h"
#include "p2mlist.h"
#include "platform.h"
#include "x86.h"

_Noreturn void pv_start(struct start_info *start_info);

/* Xen's start info, in the boot mapping for good (writable: see
 * pv_suspend_prepare). */
static struct start_info *start;

/* The frame lists of our p2m (p2mlist.h): one frame-list page lists 512
 * leaves, i.e. 1 GiB of guest memory. */
#define P2M_FL_PAGES 1
static uint64_t p2m_fll[P2M_PER_PAGE] __attribute__((aligned(PAGE_SIZE)));
static uint64_t p2m_fl[P2M_FL_PAGES][P2M_PER_PAGE]
    __attribute__((aligned(PAGE_SIZE)));

static unsigned long pfn_of(const void *p)
{
    return (uintptr_t)p >> PAGE_SHIFT;
}

/* Points our page-sized hole at shared_info (a machine address); the
 * frame behind the hole is orphaned. */
static void map_shared_info(void)
{
    uint64_t pte = start->shared_info | PTE_PRESENT | PTE_WRITABLE |
                   PTE_ACCESSED | PTE_DIRTY;

    if (hyp_update_va_mapping((unsigned long)shared_info_page, pte,
                              UVMF_INVLPG) != 0)
        kernel_early_crash("chaos unikernel: cannot map shared_info\n");
}

/*
 * Makes the p2m table findable by libxenguest's save: the frame lists,
 * arch.max_pfn (entries) and, last, the frame-list-list pointer.  The
 * linear-list alternative (p2m_cr3) stays 0.  False when it cannot (the
 * table is not page-aligned, or more than 1 GiB): then we cannot be saved.
 */
static bool publish_p2m(struct shared_info *shared)
{
    const uint64_t *p2m = (const uint64_t *)start->mfn_list;
    unsigned long fl_pfns[P2M_FL_PAGES], i;

    if ((start->mfn_list & (PAGE_SIZE - 1)) != 0)
        return false;
    for (i = 0; i < P2M_FL_PAGES; i++)
        fl_pfns[i] = pfn_of(p2m_fl[i]);
    if (!p2m_build_lists(p2m, start->nr_pages, pfn_of(p2m), &p2m_fl[0][0],
                         fl_pfns, P2M_FL_PAGES, p2m_fll))
        return false;
    shared->arch.max_pfn = start->nr_pages;
    shared->arch.p2m_cr3 = 0;
    wmb(); /* the lists before the pointer that publishes them */
    shared->arch.pfn_to_mfn_frame_list_list = p2m[pfn_of(p2m_fll)];
    return true;
}

/* What start_info says, at boot and again in a new domain. */
static void discover(struct boot_info *boot)
{
    boot->p2m = (const unsigned long *)start->mfn_list;
    boot->nr_pages = start->nr_pages;
    boot->console = NULL;
    boot->console_port = 0;
    boot->store_page = NULL;
    boot->store_port = 0;
    /*
     * The console page is given as a machine frame; the machine-to-physical
     * table that Xen maps read-only into every PV guest turns it into our
     * frame number.
     */
    if (start->console.domU.mfn != 0) {
        unsigned long pfn = machine_to_phys_mapping[start->console.domU.mfn];

        boot->console = (struct xencons_interface *)(pfn << PAGE_SHIFT);
        boot->console_port = start->console.domU.evtchn;
    }
    /* The store page (noxs's device page, or a XenStore ring): a machine
     * frame inside the boot mapping, like the console page. */
    if (start->store_mfn != 0) {
        unsigned long pfn = machine_to_phys_mapping[start->store_mfn];

        if (pfn < start->nr_pages) {
            boot->store_page = (void *)(pfn << PAGE_SHIFT);
            boot->store_port = start->store_evtchn;
        }
    }
    boot->can_suspend = publish_p2m(boot->shared_info);
}

void pv_start(struct start_info *start_info)
{
    struct boot_info boot = {
        .mode = "pv",
        .cmdline = (const char *)start_info->cmd_line,
        .shared_info = (struct shared_info *)shared_info_page,
        .pv = true,
    };

    start = start_info;
    map_shared_info();
    discover(&boot);
    kernel_start(&boot);
}

/* The pfn of machine frame mfn (0 stays 0: no such page). */
static unsigned long mfn_to_pfn(unsigned long mfn)
{
    return mfn != 0 ? machine_to_phys_mapping[mfn] : 0;
}

/* The mfn of pfn (0 stays 0). */
static unsigned long pfn_to_mfn(unsigned long pfn)
{
    return pfn != 0 && pfn < start->nr_pages
               ? ((const unsigned long *)start->mfn_list)[pfn]
               : 0;
}

/*
 * The restore reads start_info's store and console frames as pfns and
 * writes the new domain's mfns there (xg_sr_restore_x86_pv.c,
 * process_start_info: "XenStore pfn ... out of range" otherwise); the save
 * copies the page as it is.  So the guest turns them into pfns before it
 * suspends and back when the suspend is cancelled, as Linux does
 * (xen_pv_pre_suspend, xen_pv_post_suspend).
 */
unsigned long pv_suspend_prepare(void)
{
    const uint64_t *p2m_table = (const uint64_t *)start->mfn_list;

    start->store_mfn = mfn_to_pfn(start->store_mfn);
    start->console.domU.mfn = mfn_to_pfn(start->console.domU.mfn);
    /* Not present until resume (an access in between faults: a bug). */
    hyp_update_va_mapping((unsigned long)shared_info_page, 0, UVMF_INVLPG);
    return p2m_table[pfn_of(start)];
}

void pv_resume(struct boot_info *boot, bool new_domain)
{
    if (!new_domain) { /* the same frames: back to mfns */
        start->store_mfn = pfn_to_mfn(start->store_mfn);
        start->console.domU.mfn = pfn_to_mfn(start->console.domU.mfn);
    }
    map_shared_info(); /* start_info has the new domain's frame */
    if (new_domain)
        discover(boot);
}
