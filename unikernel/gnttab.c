/* The grant table, version 1; see gnttab.h. */
#include "gnttab.h"

#include "hypercall.h"
#include "kernel.h"
#include "klib.h"
#include "noxs_abi.h"
#include "x86.h"

#define NR_ENTRIES (PAGE_SIZE / sizeof(grant_entry_v1_t))

/* The page the table is mapped over (its own frame is orphaned, as
 * shared_info's is). */
static uint8_t table_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static grant_entry_v1_t *table; /* NULL until set up */
static bool setup_failed;
static bool in_use[NR_ENTRIES];

/* PV: Xen tells the table's machine frame; we map it ourselves. */
static bool setup_pv(void)
{
    xen_pfn_t frame = 0;
    struct gnttab_setup_table setup = {
        .dom = DOMID_SELF,
        .nr_frames = 1,
    };
    uint64_t pte;

    set_xen_guest_handle(setup.frame_list, &frame);
    if (hyp_grant_table_op(GNTTABOP_setup_table, &setup, 1) != 0 ||
        setup.status != GNTST_okay) {
        kprintf("gnttab: GNTTABOP_setup_table failed (status %d)\n",
                setup.status);
        return false;
    }
    pte = ((uint64_t)frame << PAGE_SHIFT) | PTE_PRESENT | PTE_WRITABLE |
          PTE_ACCESSED | PTE_DIRTY;
    if (hyp_update_va_mapping((unsigned long)table_page, pte, UVMF_INVLPG) !=
        0) {
        kprintf("gnttab: cannot map the grant table\n");
        return false;
    }
    return true;
}

/* PVH: Xen puts the table's frame where our page was (as pvh.c does for
 * shared_info). */
static bool setup_pvh(void)
{
    struct xen_add_to_physmap map = {
        .domid = DOMID_SELF,
        .space = XENMAPSPACE_grant_table,
        .idx = 0,
        .gpfn = (uintptr_t)table_page >> PAGE_SHIFT,
    };

    if (hyp_memory_op(XENMEM_add_to_physmap, &map) != 0) {
        kprintf("gnttab: cannot map the grant table\n");
        return false;
    }
    return true;
}

/* Set up on first use, so a guest without devices never asks Xen. */
static bool table_ready(void)
{
    if (table != NULL)
        return true;
    if (setup_failed)
        return false;
    if (!(kernel_boot_info()->pv ? setup_pv() : setup_pvh())) {
        setup_failed = true;
        return false;
    }
    table = (grant_entry_v1_t *)table_page;
    return true;
}

grant_ref_t gnttab_grant(domid_t domid, unsigned long frame, bool readonly)
{
    grant_ref_t ref;

    if (!table_ready())
        return 0;
    if (frame > UINT32_MAX) { /* v1 entries hold 32-bit frames */
        kprintf("gnttab: frame %#lx beyond grant table v1\n", frame);
        return 0;
    }
    for (ref = NOXS_FIRST_GRANT_REF; ref < NR_ENTRIES; ref++)
        if (!in_use[ref])
            break;
    if (ref == NR_ENTRIES) {
        kprintf("gnttab: no free grant reference\n");
        return 0;
    }
    in_use[ref] = true;
    table[ref].domid = domid;
    table[ref].frame = (uint32_t)frame;
    /* Xen may act on the entry as soon as the flags say so: the domain
     * and frame first. */
    __atomic_store_n(
        &table[ref].flags,
        (uint16_t)(GTF_permit_access | (readonly ? GTF_readonly : 0)),
        __ATOMIC_RELEASE);
    return ref;
}

bool gnttab_end(grant_ref_t ref)
{
    uint16_t flags;

    if (table == NULL || ref < NOXS_FIRST_GRANT_REF || ref >= NR_ENTRIES ||
        !in_use[ref])
        return false;
    /* grant_table.h: clear the flags unless Xen marks the entry mapped,
     * atomically against Xen setting those marks. */
    flags = __atomic_load_n(&table[ref].flags, __ATOMIC_ACQUIRE);
    do {
        if (flags & (GTF_reading | GTF_writing))
            return false;
    } while (!__atomic_compare_exchange_n(&table[ref].flags, &flags, 0, false,
                                          __ATOMIC_SEQ_CST, __ATOMIC_ACQUIRE));
    in_use[ref] = false;
    return true;
}

void gnttab_suspend(void)
{
    /* PV: the table's frames are Xen's, and libxenguest's save refuses a
     * PTE to a frame that is not ours.  PVH: the table sits in our
     * physmap, which the save copies as any page. */
    if (table != NULL && kernel_boot_info()->pv)
        hyp_update_va_mapping((unsigned long)table_page, 0, UVMF_INVLPG);
}

void gnttab_resume(bool new_domain)
{
    if (new_domain) {
        /* A new, empty table: every grant is gone, and the back ends know
         * it.  Set up again on first use. */
        table = NULL;
        setup_failed = false;
        memset(in_use, 0, sizeof(in_use));
        return;
    }
    /* Cancelled: the same table, still in force; map it again (PV). */
    if (table != NULL && kernel_boot_info()->pv && !setup_pv()) {
        table = NULL;
        setup_failed = true;
    }
}
