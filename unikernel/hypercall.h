/*
 * Hypercalls through the hypercall page.
 *
 * Xen fills hypercall_page (boot.S) with one 32-byte stub per hypercall:
 * for PV a SYSCALL sequence, for PVH a VMCALL/VMMCALL that suits the CPU.
 * Calling the stub rather than issuing those instructions ourselves keeps
 * this file identical for both modes.  64-bit ABI: number in the stub,
 * arguments in rdi, rsi, rdx, r10, r8, result in rax; SYSCALL clobbers rcx
 * and r11.
 */
#ifndef CHAOS_UK_HYPERCALL_H
#define CHAOS_UK_HYPERCALL_H

#include "xen_abi.h"

extern char hypercall_page[];

static inline long hypercall5(unsigned int nr, unsigned long a1,
                              unsigned long a2, unsigned long a3,
                              unsigned long a4, unsigned long a5)
{
    /* GCC has no constraint letters for r10 and r8. */
    register unsigned long r10 __asm__("r10") = a4;
    register unsigned long r8 __asm__("r8") = a5;
    long ret;

    /* A call from inline asm: safe because we build with -mno-red-zone. */
    __asm__ volatile("call *%[stub]"
                     : "=a"(ret), "+D"(a1), "+S"(a2), "+d"(a3), "+r"(r10),
                       "+r"(r8)
                     : [stub] "r"(hypercall_page + nr * 32)
                     : "rcx", "r11", "memory");
    return ret;
}

static inline long hypercall2(unsigned int nr, unsigned long a1,
                              unsigned long a2)
{
    return hypercall5(nr, a1, a2, 0, 0, 0);
}

static inline long hypercall3(unsigned int nr, unsigned long a1,
                              unsigned long a2, unsigned long a3)
{
    return hypercall5(nr, a1, a2, a3, 0, 0);
}

static inline long hyp_sched_op(int cmd, void *arg)
{
    return hypercall2(__HYPERVISOR_sched_op, (unsigned long)cmd,
                      (unsigned long)arg);
}

/* SCHEDOP_shutdown(SHUTDOWN_suspend): the third argument (rdx) is the
 * suspend record, for PV the start info's machine frame, which
 * libxenguest's save reads from the vCPU's registers (as Linux's
 * HYPERVISOR_suspend passes it).  Returns 0 in a new domain (restored),
 * 1 when the suspend was cancelled (same domain). */
static inline long hyp_suspend(struct sched_shutdown *request,
                               unsigned long record)
{
    return hypercall3(__HYPERVISOR_sched_op, SCHEDOP_shutdown,
                      (unsigned long)request, record);
}

static inline long hyp_event_channel_op(int cmd, void *arg)
{
    return hypercall2(__HYPERVISOR_event_channel_op, (unsigned long)cmd,
                      (unsigned long)arg);
}

static inline long hyp_vcpu_op(int cmd, unsigned int vcpu, void *arg)
{
    return hypercall3(__HYPERVISOR_vcpu_op, (unsigned long)cmd, vcpu,
                      (unsigned long)arg);
}

static inline long hyp_memory_op(int cmd, void *arg)
{
    return hypercall2(__HYPERVISOR_memory_op, (unsigned long)cmd,
                      (unsigned long)arg);
}

static inline long hyp_hvm_op(int cmd, void *arg)
{
    return hypercall2(__HYPERVISOR_hvm_op, (unsigned long)cmd,
                      (unsigned long)arg);
}

static inline long hyp_grant_table_op(int cmd, void *arg, unsigned int count)
{
    return hypercall3(__HYPERVISOR_grant_table_op, (unsigned long)cmd,
                      (unsigned long)arg, count);
}

/* PV only: point one virtual page at a machine frame. */
static inline long hyp_update_va_mapping(unsigned long va, uint64_t pte,
                                         unsigned long flags)
{
    return hypercall3(__HYPERVISOR_update_va_mapping, va, pte, flags);
}

/* Xen's own console.  A release Xen drops writes from an unprivileged
 * guest, so this is only a last resort (see kernel.c). */
static inline long hyp_console_write(const char *buf, unsigned long len)
{
    return hypercall3(__HYPERVISOR_console_io, CONSOLEIO_write, len,
                      (unsigned long)buf);
}

#endif
