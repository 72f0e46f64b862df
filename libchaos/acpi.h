/*
 * acpi.h - the ACPI tables chaos gives PVH guests.
 *
 * A PVH guest has no firmware, so whatever describes its platform comes
 * from the toolstack.  Linux needs ACPI's MADT to find its local APIC(s):
 * without one (Debian's 6.1, measured in the lab) it sets up no timer
 * interrupt and hangs early in boot.  libxl builds such tables with
 * libacpi, which lives inside Xen's source tree and is installed by no
 * distribution, and no maintained library builds ACPI tables for a guest
 * from C.  So chaos writes the smallest set Linux accepts, by hand:
 *
 *   RSDP -> XSDT -> FADT -> DSDT
 *                -> MADT
 *
 *   RSDP  ACPI 2.0 root pointer, to the XSDT (no ACPI 1.0 RSDT);
 *   XSDT  the list of the other tables;
 *   FADT  revision 5 with the HW_REDUCED_ACPI flag: no SCI, no PM1 or GPE
 *         register blocks, no sleep registers (Xen emulates none of them
 *         for PVH); also "no VGA" and "no CMOS RTC" (not emulated either);
 *   MADT  one enabled local APIC per vCPU (Xen gives vCPU n APIC ID 2n),
 *         no I/O APIC, no legacy 8259 PICs;
 *   DSDT  a header and no AML: the guest has no devices to describe.
 *
 * Powering off needs no ACPI support: Linux, finding no way to power off,
 * halts every vCPU with interrupts disabled, which Xen reports as the
 * shutdown reason "poweroff".
 *
 * The tables are one blob that sits at a guest-physical base address,
 * the RSDP first (so the RSDP's address is the base).  Pure code on the
 * project's types, no Xen headers: tests/unit/test_acpi.c checks it.
 */
#ifndef CHAOS_ACPI_H
#define CHAOS_ACPI_H

#include <stddef.h>
#include <stdint.h>

/* Xen's HVM limit (HVM_MAX_VCPUS): APIC IDs 0..254 fit the 8-bit MADT
 * entries, so no x2APIC entries are needed. */
#define ACPI_MAX_VCPUS 128

/* Where Xen emulates every vCPU's local APIC. */
#define ACPI_LAPIC_ADDRESS 0xfee00000u

/* The local APIC ID Xen gives vCPU n. */
static inline uint32_t acpi_vcpu_apic_id(unsigned vcpu)
{
    return 2 * vcpu;
}

/* Bytes the tables take for nr_vcpus vCPUs; 0 if nr_vcpus is not in
 * 1..ACPI_MAX_VCPUS. */
size_t acpi_tables_size(unsigned nr_vcpus);

/*
 * Writes the tables for a guest with nr_vcpus vCPUs into buf, as they will
 * sit at guest-physical address base (16-byte aligned, below 4 GiB: the
 * FADT also holds the DSDT's 32-bit address).  buf needs
 * acpi_tables_size(nr_vcpus) bytes; the rest of buf is left as it is.
 * Returns the size written, -EINVAL for a bad nr_vcpus or base, -ENOSPC
 * when buf is too small.
 */
long acpi_tables_build(void *buf, size_t size, uint64_t base,
                       unsigned nr_vcpus);

#endif /* CHAOS_ACPI_H */
