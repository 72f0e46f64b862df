/*
 * PVH boot: boot.S switched to long mode with the first 4 GiB identity
 * mapped (virtual == physical) and called pvh_start with the physical
 * address of struct hvm_start_info.  Unlike PV, nothing is set up for us:
 * we install the hypercall page, map shared_info and ask Xen where the
 * console is (HVM parameters), then start the kernel.
 */
#include <stdbool.h>

#include "hypercall.h"
#include "kernel.h"
#include "platform.h"
#include "trap.h"
#include "x86.h"

_Noreturn void pvh_start(uint32_t start_info_paddr);

/*
 * Xen's CPUID leaves sit at 0x40000000 or, when Xen also emulates another
 * hypervisor's interface (Viridian), a multiple of 0x100 above it; the base
 * leaf's signature is "XenVMMXenVMM".  Leaf base + 2 names the MSR that
 * makes Xen write the hypercall stubs into a page of our choice.
 */
static bool hypercall_page_init(void)
{
    uint32_t base, eax, ebx, ecx, edx;

    for (base = 0x40000000; base < 0x40010000; base += 0x100) {
        __cpuid(base, eax, ebx, ecx, edx);
        if (ebx == 0x566e6558 && ecx == 0x65584d4d && edx == 0x4d4d566e &&
            eax >= base + 2) {
            __cpuid(base + 2, eax, ebx, ecx, edx);
            wrmsr(ebx, (uint64_t)(uintptr_t)hypercall_page);
            return true;
        }
    }
    return false;
}

static uint64_t hvm_param(uint32_t index)
{
    struct xen_hvm_param param = { .domid = DOMID_SELF, .index = index };

    if (hyp_hvm_op(HVMOP_get_param, &param) != 0)
        return 0;
    return param.value;
}

/* shared_info where our page was (that RAM page goes back to Xen): at
 * boot, and again in a new domain, whose shared_info is a new page. */
static void map_shared_info(void)
{
    struct xen_add_to_physmap map = {
        .domid = DOMID_SELF,
        .space = XENMAPSPACE_shared_info,
        .idx = 0,
        .gpfn = (uintptr_t)shared_info_page >> PAGE_SHIFT,
    };

    if (hyp_memory_op(XENMEM_add_to_physmap, &map) != 0)
        kernel_early_crash("chaos unikernel: cannot map shared_info\n");
}

/* The console and the store page, from the HVM parameters: at boot, and
 * again in a new domain (the restore sets them anew). */
static void discover(struct boot_info *boot)
{
    uint64_t console_pfn, store_pfn;

    boot->console = NULL;
    boot->console_port = 0;
    boot->store_page = NULL;
    boot->store_port = 0;
    console_pfn = hvm_param(HVM_PARAM_CONSOLE_PFN);
    if (console_pfn != 0 && console_pfn < (1ull << (32 - PAGE_SHIFT))) {
        boot->console =
            (struct xencons_interface *)(uintptr_t)(console_pfn << PAGE_SHIFT);
        boot->console_port = (evtchn_port_t)hvm_param(HVM_PARAM_CONSOLE_EVTCHN);
    }

    /* The store page (noxs's device page, or a XenStore ring): special
     * page 0xfeffc, below 4 GiB, so inside boot.S's identity mapping. */
    store_pfn = hvm_param(HVM_PARAM_STORE_PFN);
    if (store_pfn != 0 && store_pfn < (1ull << (32 - PAGE_SHIFT))) {
        boot->store_page = (void *)(uintptr_t)(store_pfn << PAGE_SHIFT);
        boot->store_port = (evtchn_port_t)hvm_param(HVM_PARAM_STORE_EVTCHN);
    }
}

void pvh_start(uint32_t start_info_paddr)
{
    const struct hvm_start_info *start_info =
        (const void *)(uintptr_t)start_info_paddr;
    struct boot_info boot = {
        .mode = "pvh",
        .cmdline = "",
        .shared_info = (struct shared_info *)shared_info_page,
        /* Nothing to publish: HVM save walks the guest's physmap. */
        .can_suspend = true,
    };

    trap_init();
    if (!hypercall_page_init())
        __builtin_trap(); /* not on Xen: nobody to tell */
    map_shared_info();
    discover(&boot);
    if (start_info->magic == XEN_HVM_START_MAGIC_VALUE &&
        start_info->cmdline_paddr != 0 &&
        start_info->cmdline_paddr < (1ull << 32))
        boot.cmdline = (const char *)(uintptr_t)start_info->cmdline_paddr;
    kernel_start(&boot);
}

/*
 * xc_domain_resume(fast) makes a cancelled suspend return 1 only if
 * HVM_PARAM_CALLBACK_IRQ is non-zero (Xen 4.17 xg_resume.c,
 * modify_returncode: "HVM guests without PV drivers have no return code
 * to modify"); otherwise the hypercall returns 0 as in a new domain.  The
 * vector type is the only one a PVH domain takes (hvm_set_callback_via:
 * no IO-APIC, no PIC).  The vector is never delivered: we run with
 * interrupts disabled (RFLAGS.IF = 0) and wait with SCHEDOP_poll.  The
 * parameter is not migrated (xg_sr_save_x86_hvm.c saves no
 * CALLBACK_IRQ), hence set before each suspend rather than at boot.
 */
#define CALLBACK_VECTOR 0xf3 /* Linux's HYPERVISOR_CALLBACK_VECTOR */

bool pvh_suspend_prepare(void)
{
    struct xen_hvm_param param = {
        .domid = DOMID_SELF,
        .index = HVM_PARAM_CALLBACK_IRQ,
        .value =
            ((uint64_t)HVM_PARAM_CALLBACK_TYPE_VECTOR << 56) | CALLBACK_VECTOR,
    };

    return hyp_hvm_op(HVMOP_set_param, &param) == 0;
}

void pvh_resume(struct boot_info *boot, bool new_domain)
{
    if (!new_domain)
        return; /* same domain: shared_info and the parameters stand */
    map_shared_info();
    discover(boot);
}
