/*
 * acpi.c - writes the ACPI tables of a PVH guest (see acpi.h for which and
 * why).  Field offsets and values are those of the ACPI specification
 * (6.x, chapter 5.2); every multi-byte field is little-endian, written
 * byte by byte, so no packed structures and no host-endianness
 * assumptions are involved.
 */
#include <errno.h>
#include <string.h>

#include "acpi.h"

/* Identification in every table header (the OEM fields are free text). */
#define OEM_ID "CHAOS "         /* 6 bytes */
#define OEM_TABLE_ID "CHAOSPVH" /* 8 bytes */
#define CREATOR_ID "CHAO"       /* 4 bytes */
#define OEM_REVISION 1
#define CREATOR_REVISION 1

/* Sizes (bytes) of the fixed parts. */
enum {
    RSDP_SIZE = 36, /* ACPI 2.0 RSDP; the 1.0 part is 20 bytes */
    RSDP_V1_SIZE = 20,
    HEADER_SIZE = 36,     /* the common System Description Table header */
    FADT_SIZE = 268,      /* FADT revision 5 (ACPI 5.0) */
    MADT_FIXED_SIZE = 44, /* header, local APIC address, flags */
    MADT_LAPIC_SIZE = 8,  /* one Processor Local APIC structure */
    XSDT_ENTRIES = 2,     /* FADT and MADT */
};

/* FADT: Flags (offset 112) and IA-PC boot architecture flags (109). */
#define FADT_WBINVD (1u << 0)
#define FADT_PWR_BUTTON (1u << 4) /* no fixed-feature power button */
#define FADT_SLP_BUTTON (1u << 5) /* no fixed-feature sleep button */
#define FADT_HW_REDUCED_ACPI (1u << 20)
#define IAPC_VGA_NOT_PRESENT (1u << 2)
#define IAPC_CMOS_RTC_NOT_PRESENT (1u << 5)

#define MADT_TYPE_LOCAL_APIC 0
#define MADT_LAPIC_ENABLED (1u << 0)

static size_t align16(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

/* Where each table sits in the blob: RSDP first, each one 16-aligned. */
struct layout {
    size_t xsdt, fadt, madt, dsdt, end;
    size_t xsdt_size, madt_size;
};

static void plan(unsigned nr_vcpus, struct layout *l)
{
    l->xsdt_size = HEADER_SIZE + 8 * XSDT_ENTRIES;
    l->madt_size = MADT_FIXED_SIZE + MADT_LAPIC_SIZE * (size_t)nr_vcpus;
    l->xsdt = align16(RSDP_SIZE);
    l->fadt = align16(l->xsdt + l->xsdt_size);
    l->madt = align16(l->fadt + FADT_SIZE);
    l->dsdt = align16(l->madt + l->madt_size);
    l->end = l->dsdt + HEADER_SIZE;
}

size_t acpi_tables_size(unsigned nr_vcpus)
{
    if (nr_vcpus < 1 || nr_vcpus > ACPI_MAX_VCPUS)
        return 0;
    struct layout l;
    plan(nr_vcpus, &l);
    return l.end;
}

static void put8(uint8_t *p, size_t off, uint8_t v)
{
    p[off] = v;
}

static void put16(uint8_t *p, size_t off, uint16_t v)
{
    p[off] = (uint8_t)v;
    p[off + 1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, size_t off, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[off + i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, size_t off, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[off + i] = (uint8_t)(v >> (8 * i));
}

/* The byte that makes the len bytes at p sum to zero (mod 256). */
static uint8_t checksum(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + p[i]);
    return (uint8_t)-sum;
}

/* The common header; its checksum is set last, by seal(). */
static void header(uint8_t *t, const char sig[4], uint32_t len, uint8_t rev)
{
    memcpy(t, sig, 4);
    put32(t, 4, len);
    put8(t, 8, rev);
    memcpy(t + 10, OEM_ID, 6);
    memcpy(t + 16, OEM_TABLE_ID, 8);
    put32(t, 24, OEM_REVISION);
    memcpy(t + 28, CREATOR_ID, 4);
    put32(t, 32, CREATOR_REVISION);
}

static void seal(uint8_t *t, size_t len)
{
    t[9] = 0;
    t[9] = checksum(t, len);
}

static void write_fadt(uint8_t *t, uint64_t dsdt)
{
    header(t, "FACP", FADT_SIZE, 5);
    /* FIRMWARE_CTRL (36) and X_FIRMWARE_CTRL (132) stay 0: hardware-
     * reduced ACPI needs no FACS.  So do SCI_INT, SMI_CMD and every
     * register block, which that flag tells the OS not to look for. */
    put32(t, 40, (uint32_t)dsdt);
    put16(t, 109, IAPC_VGA_NOT_PRESENT | IAPC_CMOS_RTC_NOT_PRESENT);
    put32(t, 112,
          FADT_WBINVD | FADT_PWR_BUTTON | FADT_SLP_BUTTON |
              FADT_HW_REDUCED_ACPI);
    put64(t, 140, dsdt); /* X_DSDT */
    seal(t, FADT_SIZE);
}

static void write_madt(uint8_t *t, size_t len, unsigned nr_vcpus)
{
    header(t, "APIC", (uint32_t)len, 3); /* ACPI 5.0, as the FADT */
    put32(t, 36, ACPI_LAPIC_ADDRESS);
    put32(t, 40, 0); /* flags: no PCAT_COMPAT, there are no 8259 PICs */
    for (unsigned i = 0; i < nr_vcpus; i++) {
        uint8_t *e = t + MADT_FIXED_SIZE + MADT_LAPIC_SIZE * i;
        put8(e, 0, MADT_TYPE_LOCAL_APIC);
        put8(e, 1, MADT_LAPIC_SIZE);
        put8(e, 2, (uint8_t)i); /* ACPI processor UID */
        put8(e, 3, (uint8_t)acpi_vcpu_apic_id(i));
        put32(e, 4, MADT_LAPIC_ENABLED);
    }
    seal(t, len);
}

static void write_rsdp(uint8_t *t, uint64_t xsdt)
{
    memcpy(t, "RSD PTR ", 8);
    memcpy(t + 9, OEM_ID, 6);
    put8(t, 15, 2);  /* revision 2: ACPI 2.0+, has an XSDT */
    put32(t, 16, 0); /* no RSDT */
    put32(t, 20, RSDP_SIZE);
    put64(t, 24, xsdt);
    /* Two checksums: over the ACPI 1.0 part, then over all of it. */
    t[8] = checksum(t, RSDP_V1_SIZE);
    t[32] = checksum(t, RSDP_SIZE);
}

long acpi_tables_build(void *buf, size_t size, uint64_t base, unsigned nr_vcpus)
{
    size_t need = acpi_tables_size(nr_vcpus);
    if (need == 0 || (base & 15) || base + need > (UINT64_C(1) << 32))
        return -EINVAL;
    if (size < need)
        return -ENOSPC;
    struct layout l;
    plan(nr_vcpus, &l);
    uint8_t *p = buf;
    memset(p, 0, need);

    /* DSDT: revision 2 means 64-bit AML integers; there is no AML. */
    header(p + l.dsdt, "DSDT", HEADER_SIZE, 2);
    seal(p + l.dsdt, HEADER_SIZE);
    write_fadt(p + l.fadt, base + l.dsdt);
    write_madt(p + l.madt, l.madt_size, nr_vcpus);

    header(p + l.xsdt, "XSDT", (uint32_t)l.xsdt_size, 1);
    put64(p + l.xsdt, HEADER_SIZE, base + l.fadt);
    put64(p + l.xsdt, HEADER_SIZE + 8, base + l.madt);
    seal(p + l.xsdt, l.xsdt_size);

    write_rsdp(p, base + l.xsdt);
    return (long)need;
}
