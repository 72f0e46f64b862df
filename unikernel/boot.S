/*
 * Boot glue of the chaos unikernel: the only assembly file.
 *
 * One ELF image carries both Xen boot protocols (as Linux does):
 *   - 64-bit PV: Xen's loader reads XEN_ELFNOTE_ENTRY and enters pv_entry in
 *     long mode with paging on, %rsi = start_info.
 *   - PVH: the loader reads XEN_ELFNOTE_PHYS32_ENTRY and enters pvh_entry32
 *     in 32-bit protected mode, paging off, %ebx = hvm_start_info.
 * Each entry sets up a stack (and, for PVH, long mode) and calls C:
 * pv_start() in pv.c, pvh_start() in pvh.c.
 *
 * Address layout (see unikernel.lds and docs/unikernel.md): the image is
 * linked at 1 MiB with virtual == physical addresses.  For PVH the loader
 * puts it at physical 1 MiB; for PV, VIRT_BASE = 0 makes Xen map the
 * guest's pseudo-physical page N at virtual address N * 4096, so the image
 * lands at virtual 1 MiB too.
 */
#include <xen/elfnote.h>
#include "x86.h"

/* ---- Xen ELF notes ------------------------------------------------------
 * A note is: namesz, descsz, type, name ("Xen\0"), desc, each 4-aligned.
 * Two macros because GAS drops the quotes of a string macro argument. */
.macro xen_note type, directive, value
	.pushsection .note.Xen, "a", @note
	.p2align 2
	.long 2f - 1f
	.long 4f - 3f
	.long \type
1:	.asciz "Xen"
2:	.p2align 2
3:	\directive \value
4:	.p2align 2
	.popsection
.endm

.macro xen_note_str type, text
	.pushsection .note.Xen, "a", @note
	.p2align 2
	.long 2f - 1f
	.long 4f - 3f
	.long \type
1:	.asciz "Xen"
2:	.p2align 2
3:	.asciz "\text"
4:	.p2align 2
	.popsection
.endm

	/* PV: libelf loads only "generic" (or Linux) images built for xen-3.0. */
	xen_note_str XEN_ELFNOTE_GUEST_OS,     "chaos-unikernel"
	xen_note_str XEN_ELFNOTE_XEN_VERSION,  "xen-3.0"
	xen_note_str XEN_ELFNOTE_LOADER,       "generic"
	/* PV: virtual = pseudo-physical (see the header comment). */
	xen_note XEN_ELFNOTE_VIRT_BASE,      .quad, 0
	xen_note XEN_ELFNOTE_PADDR_OFFSET,   .quad, 0
	xen_note XEN_ELFNOTE_ENTRY,          .quad, pv_entry
	/* PV: the toolstack asks Xen to fill this page with hypercall stubs.
	 * (PVH fills it itself through an MSR, see pvh.c.) */
	xen_note XEN_ELFNOTE_HYPERCALL_PAGE, .quad, hypercall_page
	/* PVH: the 32-bit physical entry point; its presence alone makes the
	 * image bootable as type="pvh". */
	xen_note XEN_ELFNOTE_PHYS32_ENTRY,   .long, pvh_entry32

/* ---- Hypercall page -----------------------------------------------------
 * Xen writes 32-byte stubs here, one per hypercall number (hypercall.h
 * calls hypercall_page + 32 * nr).  It must be page aligned; the linker
 * script puts it first in .text so the alignment costs no padding.  The
 * int3 filler makes a call into an unfilled page fault at once. */
	.section .text.hypercall_page, "ax"
	.p2align PAGE_SHIFT
	.globl hypercall_page
hypercall_page:
	.fill PAGE_SIZE, 1, 0xcc

	.section .text.boot, "ax"

/* ---- PV entry (64-bit) --------------------------------------------------
 * Xen's boot stack lives in the bootstrap area whose size we do not
 * control, so switch to our own before running C. */
	.code64
	.globl pv_entry
pv_entry:
	lea	boot_stack_top(%rip), %rsp
	mov	%rsi, %rdi		/* pv_start(start_info) */
	call	pv_start
	ud2				/* pv_start never returns */

/* ---- PVH entry (32-bit) -------------------------------------------------
 * C cannot run here: the compiler emits 64-bit code and there is no stack.
 * So this builds identity page tables, turns on long mode and jumps to
 * 64-bit code, touching no register but %ebx (the start info address).
 *
 * The tables map the first 4 GiB with 2 MiB pages: enough for the image
 * and for the console page, which Xen places just below 4 GiB. */
	.code32
	.globl pvh_entry32
pvh_entry32:
	/* 2048 page-directory entries, entry i maps [i * 2 MiB, +2 MiB).
	 * .bss arrives zeroed, so the high halves are already 0. */
	mov	$pvh_page_dirs, %edi
	mov	$(PTE_PRESENT | PTE_WRITABLE | PTE_LARGE), %eax
	mov	$2048, %ecx
1:	mov	%eax, (%edi)
	add	$0x200000, %eax
	add	$8, %edi
	loop	1b

	/* Four PDPT entries, one per page directory (1 GiB each). */
	mov	$pvh_pdpt, %edi
	mov	$(pvh_page_dirs + PTE_PRESENT + PTE_WRITABLE), %eax
	mov	$4, %ecx
2:	mov	%eax, (%edi)
	add	$PAGE_SIZE, %eax
	add	$8, %edi
	loop	2b

	/* PML4 entry 0 covers the first 512 GiB. */
	movl	$(pvh_pdpt + PTE_PRESENT + PTE_WRITABLE), pvh_pml4

	/* Long mode: PAE on, CR3 = PML4, EFER.LME, then paging. */
	mov	%cr4, %eax
	or	$X86_CR4_PAE, %eax
	mov	%eax, %cr4
	mov	$pvh_pml4, %eax
	mov	%eax, %cr3
	mov	$MSR_EFER, %ecx
	rdmsr
	or	$EFER_LME, %eax
	wrmsr
	mov	%cr0, %eax
	or	$X86_CR0_PG, %eax
	mov	%eax, %cr0

	/* We are in compatibility mode; a far jump to a 64-bit code
	 * segment enters 64-bit mode. */
	lgdt	boot_gdt_desc
	ljmp	$BOOT_GDT_CODE64, $pvh_entry64

	.code64
pvh_entry64:
	mov	$BOOT_GDT_DATA, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	xor	%eax, %eax
	mov	%eax, %fs
	mov	%eax, %gs
	lea	boot_stack_top(%rip), %rsp
	mov	%ebx, %edi		/* pvh_start(start info paddr) */
	call	pvh_start
	ud2				/* pvh_start never returns */

/* ---- Data ------------------------------------------------------------ */
	.data
	/* Flat GDT for PVH: null, 64-bit code (L=1), data.  In .data rather
	 * than .rodata because the CPU sets the accessed bits. */
	.p2align 3
boot_gdt:
	.quad	0
	.quad	0x00af9a000000ffff
	.quad	0x00cf92000000ffff
boot_gdt_desc:
	.word	boot_gdt_desc - boot_gdt - 1
	.quad	boot_gdt

	.bss
	.p2align PAGE_SHIFT
pvh_pml4:
	.skip	PAGE_SIZE
pvh_pdpt:
	.skip	PAGE_SIZE
pvh_page_dirs:
	.skip	4 * PAGE_SIZE

	/* The one stack (16 KiB): no threads, no interrupt stacks. */
	.p2align 4
boot_stack:
	.skip	16384
	.globl boot_stack_top
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
