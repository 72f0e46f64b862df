/*
 * x86-64 constants and the few CPU instructions C cannot express.
 *
 * The constant half is shared with boot.S (the PVH long-mode switch), so it
 * holds only #defines; the C half is hidden from the assembler.
 */
#ifndef CHAOS_UK_X86_H
#define CHAOS_UK_X86_H

#define PAGE_SHIFT 12
#define PAGE_SIZE 4096

/* Page-table entry bits (Intel SDM vol. 3, 4.5). */
#define PTE_PRESENT 0x001
#define PTE_WRITABLE 0x002
#define PTE_USER 0x004
#define PTE_ACCESSED 0x020
#define PTE_DIRTY 0x040
#define PTE_LARGE 0x080 /* in a page directory: a 2 MiB page */

#define X86_CR0_PG 0x80000000
#define X86_CR4_PAE 0x00000020
#define MSR_EFER 0xc0000080
#define EFER_LME 0x00000100

/* Selectors of the boot GDT in boot.S (used by PVH only). */
#define BOOT_GDT_CODE64 0x08
#define BOOT_GDT_DATA 0x10

#ifndef __ASSEMBLER__
#include <stdint.h>
#include <cpuid.h> /* GCC's own header: __cpuid(), no libc involved */

static inline uint64_t rdtsc(void)
{
    return __builtin_ia32_rdtsc();
}

/* WRMSR has no compiler builtin. */
static inline void wrmsr(uint32_t msr, uint64_t value)
{
    __asm__ volatile("wrmsr"
                     :
                     : "c"(msr), "a"((uint32_t)value),
                       "d"((uint32_t)(value >> 32))
                     : "memory");
}

/* CR2 holds the faulting address of a page fault; no builtin reads it. */
static inline uint64_t read_cr2(void)
{
    uint64_t cr2;

    __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
    return cr2;
}

/*
 * Barriers for the shared rings.  x86 keeps stores in order and loads in
 * order, so the producer/consumer barriers only stop the compiler; a full
 * fence is needed only where a store must be visible before a later load.
 */
#define barrier() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#define rmb() barrier()
#define wmb() barrier()
#define mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)

#endif /* !__ASSEMBLER__ */
#endif
