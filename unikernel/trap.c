/*
 * PVH exception handlers; see trap.h.
 *
 * GCC's interrupt attribute makes each handler save what it uses and end
 * with IRETQ, so no assembly stubs are needed; it requires
 * -mgeneral-regs-only, which the kernel is built with anyway.
 */
#include "trap.h"

#include <stdbool.h>
#include <stdint.h>

#include "kernel.h"
#include "x86.h"

/* What the CPU pushes on an exception (after the error code, if any). */
struct cpu_frame {
    uint64_t rip, cs, rflags, rsp, ss;
};

/* A 64-bit interrupt gate (Intel SDM vol. 3, 6.14.1). */
struct idt_gate {
    uint16_t offset_0_15;
    uint16_t selector;
    uint8_t ist;
    uint8_t type; /* 0x8e: present, ring 0, interrupt gate */
    uint16_t offset_16_31;
    uint32_t offset_32_63;
    uint32_t reserved;
};

struct idt_pointer {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

static struct idt_gate idt[32];

static const char *const exception_names[32] = {
    [0] = "divide error",
    [1] = "debug",
    [2] = "NMI",
    [3] = "breakpoint",
    [4] = "overflow",
    [5] = "bound range",
    [6] = "invalid opcode",
    [7] = "device not available",
    [8] = "double fault",
    [10] = "invalid TSS",
    [11] = "segment not present",
    [12] = "stack fault",
    [13] = "general protection",
    [14] = "page fault",
    [16] = "x87 error",
    [17] = "alignment check",
    [18] = "machine check",
    [19] = "SIMD error",
    [20] = "virtualization",
    [21] = "control protection",
};

/* LIDT has no builtin. */
static void load_idt(const void *base, uint16_t limit)
{
    struct idt_pointer pointer = { .limit = limit, .base = (uintptr_t)base };

    __asm__ volatile("lidt %0" : : "m"(pointer) : "memory");
}

_Noreturn static void exception(unsigned int vector,
                                const struct cpu_frame *frame,
                                unsigned long error)
{
    static bool handling;
    const char *name = exception_names[vector];

    if (handling) {
        /* Faulted while reporting a fault: give up loudly (triple fault,
         * which Xen reports as a reboot). */
        load_idt(0, 0);
        __builtin_trap();
    }
    handling = true;
    kernel_panic("exception %u (%s) at rip=0x%lx rsp=0x%lx error=0x%lx "
                 "cr2=0x%lx",
                 vector, name ? name : "reserved", (unsigned long)frame->rip,
                 (unsigned long)frame->rsp, error, (unsigned long)read_cr2());
}

#define HANDLER(n)                                        \
    __attribute__((interrupt)) static void exception_##n( \
        struct cpu_frame *frame)                          \
    {                                                     \
        exception(n, frame, 0);                           \
    }
#define HANDLER_WITH_ERROR(n)                             \
    __attribute__((interrupt)) static void exception_##n( \
        struct cpu_frame *frame, unsigned long error)     \
    {                                                     \
        exception(n, frame, error);                       \
    }

/* A table, laid out by hand: clang-format cannot read these macros. */
/* clang-format off */
HANDLER(0)  HANDLER(1)  HANDLER(2)  HANDLER(3)  HANDLER(4)  HANDLER(5)
HANDLER(6)  HANDLER(7)  HANDLER_WITH_ERROR(8)   HANDLER(9)
HANDLER_WITH_ERROR(10)  HANDLER_WITH_ERROR(11)  HANDLER_WITH_ERROR(12)
HANDLER_WITH_ERROR(13)  HANDLER_WITH_ERROR(14)  HANDLER(15) HANDLER(16)
HANDLER_WITH_ERROR(17)  HANDLER(18) HANDLER(19) HANDLER(20)
HANDLER_WITH_ERROR(21)  HANDLER(22) HANDLER(23) HANDLER(24) HANDLER(25)
HANDLER(26) HANDLER(27) HANDLER(28) HANDLER_WITH_ERROR(29)
HANDLER_WITH_ERROR(30)  HANDLER(31)

static void (*const handlers[32])(void) = {
#define H(n) (void (*)(void))exception_##n
    H(0),  H(1),  H(2),  H(3),  H(4),  H(5),  H(6),  H(7),
    H(8),  H(9),  H(10), H(11), H(12), H(13), H(14), H(15),
    H(16), H(17), H(18), H(19), H(20), H(21), H(22), H(23),
    H(24), H(25), H(26), H(27), H(28), H(29), H(30), H(31),
#undef H
};
/* clang-format on */

void trap_init(void)
{
    unsigned int i;

    for (i = 0; i < 32; i++) {
        uint64_t offset = (uintptr_t)handlers[i];

        idt[i] = (struct idt_gate){
            .offset_0_15 = (uint16_t)offset,
            .selector = BOOT_GDT_CODE64,
            .type = 0x8e,
            .offset_16_31 = (uint16_t)(offset >> 16),
            .offset_32_63 = (uint32_t)(offset >> 32),
        };
    }
    load_idt(idt, sizeof(idt) - 1);
}
