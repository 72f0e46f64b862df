/*
 * Unit tests: the ACPI tables of PVH guests (libchaos/acpi.c).  The tests
 * read the blob back the way an OS does: from the RSDP, through the XSDT's
 * 64-bit guest-physical addresses, checking every checksum and the
 * fields Linux relies on.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acpi.h"
#include "check_run.h"

#define BASE UINT64_C(0xfc000000)

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
    return get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint8_t sum(const uint8_t *p, size_t len)
{
    uint8_t s = 0;
    while (len--)
        s = (uint8_t)(s + *p++);
    return s;
}

/* A blob built at BASE, and the tables found in it by address. */
struct blob {
    uint8_t *buf;
    size_t size;
};

static struct blob build(unsigned nr_vcpus)
{
    struct blob b;
    b.size = acpi_tables_size(nr_vcpus);
    ck_assert_uint_gt(b.size, 0);
    b.buf = malloc(b.size);
    ck_assert_ptr_nonnull(b.buf);
    ck_assert_int_eq(acpi_tables_build(b.buf, b.size, BASE, nr_vcpus),
                     (long)b.size);
    return b;
}

/* The table at guest address addr: inside the blob, its length inside
 * too, signature sig, checksum right. */
static const uint8_t *table_at(const struct blob *b, uint64_t addr,
                               const char sig[4])
{
    ck_assert_uint_ge(addr, BASE);
    ck_assert_uint_le(addr - BASE + 36, b->size);
    ck_assert_uint_eq((addr - BASE) % 16, 0);
    const uint8_t *t = b->buf + (addr - BASE);
    uint32_t len = get32(t + 4);
    ck_assert_uint_ge(len, 36);
    ck_assert_uint_le(addr - BASE + len, b->size);
    ck_assert_int_eq(memcmp(t, sig, 4), 0);
    ck_assert_uint_eq(sum(t, len), 0);
    return t;
}

/* Follows RSDP -> XSDT and returns the table with signature sig. */
static const uint8_t *find(const struct blob *b, const char sig[4])
{
    const uint8_t *xsdt = table_at(b, get64(b->buf + 24), "XSDT");
    uint32_t n = (get32(xsdt + 4) - 36) / 8;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t addr = get64(xsdt + 36 + 8 * i);
        if (memcmp(b->buf + (addr - BASE), sig, 4) == 0)
            return table_at(b, addr, sig);
    }
    ck_abort_msg("no %.4s table in the XSDT", sig);
    return NULL;
}

START_TEST(test_rsdp)
{
    struct blob b = build(1);
    const uint8_t *r = b.buf;
    ck_assert_int_eq(memcmp(r, "RSD PTR ", 8), 0);
    ck_assert_uint_eq(r[15], 2);         /* ACPI 2.0+ */
    ck_assert_uint_eq(get32(r + 16), 0); /* no RSDT */
    ck_assert_uint_eq(get32(r + 20), 36);
    ck_assert_uint_eq(sum(r, 20), 0); /* ACPI 1.0 checksum */
    ck_assert_uint_eq(sum(r, 36), 0); /* extended checksum */
    const uint8_t *xsdt = table_at(&b, get64(r + 24), "XSDT");
    ck_assert_uint_eq(get32(xsdt + 4), 36 + 2 * 8); /* FADT, MADT */
    free(b.buf);
}
END_TEST

START_TEST(test_fadt_hw_reduced_and_dsdt)
{
    struct blob b = build(1);
    const uint8_t *f = find(&b, "FACP");
    ck_assert_uint_eq(get32(f + 4), 268); /* revision 5 layout */
    ck_assert_uint_eq(f[8], 5);
    ck_assert_uint_ne(get32(f + 112) & (1u << 20), 0); /* HW_REDUCED */
    uint16_t boot = (uint16_t)(f[109] | f[110] << 8);
    ck_assert_uint_ne(boot & (1u << 2), 0); /* no VGA */
    ck_assert_uint_ne(boot & (1u << 5), 0); /* no CMOS RTC */
    ck_assert_uint_eq(get32(f + 36), 0);    /* no FACS */
    ck_assert_uint_eq(get64(f + 132), 0);
    ck_assert_uint_eq(f[46] | f[47] << 8, 0); /* no SCI */
    for (size_t off = 56; off < 88; off += 4) /* no register blocks */
        ck_assert_uint_eq(get32(f + off), 0);
    for (size_t off = 148; off < 268; off++) /* nor their 64-bit forms */
        ck_assert_uint_eq(f[off], 0);
    /* DSDT: both pointers agree, and it is a valid empty table. */
    uint64_t dsdt = get64(f + 140);
    ck_assert_uint_eq(get32(f + 40), dsdt);
    const uint8_t *d = table_at(&b, dsdt, "DSDT");
    ck_assert_uint_eq(get32(d + 4), 36);
    ck_assert_uint_eq(d[8], 2);
    free(b.buf);
}
END_TEST

static void check_madt(unsigned nr_vcpus)
{
    struct blob b = build(nr_vcpus);
    const uint8_t *m = find(&b, "APIC");
    ck_assert_uint_eq(get32(m + 36), ACPI_LAPIC_ADDRESS);
    ck_assert_uint_eq(get32(m + 40), 0); /* no 8259 PICs */
    uint32_t len = get32(m + 4);
    ck_assert_uint_eq(len, 44 + 8 * nr_vcpus);
    unsigned i = 0;
    for (uint32_t off = 44; off < len; off += m[off + 1], i++) {
        ck_assert_uint_eq(m[off], 0); /* Processor Local APIC */
        ck_assert_uint_eq(m[off + 1], 8);
        ck_assert_uint_eq(m[off + 2], i);         /* processor UID */
        ck_assert_uint_eq(m[off + 3], 2 * i);     /* Xen's APIC ID */
        ck_assert_uint_eq(get32(m + off + 4), 1); /* enabled */
    }
    ck_assert_uint_eq(i, nr_vcpus);
    free(b.buf);
}

START_TEST(test_madt_one_vcpu)
{
    check_madt(1);
}
END_TEST

START_TEST(test_madt_many_vcpus)
{
    check_madt(2);
    check_madt(ACPI_MAX_VCPUS); /* last APIC ID 254: 255 is broadcast */
}
END_TEST

START_TEST(test_oem_ids)
{
    struct blob b = build(1);
    ck_assert_int_eq(memcmp(b.buf + 9, "CHAOS ", 6), 0);
    const char *sigs[] = { "FACP", "APIC" };
    for (size_t i = 0; i < 2; i++) {
        const uint8_t *t = find(&b, sigs[i]);
        ck_assert_int_eq(memcmp(t + 10, "CHAOS ", 6), 0);
        ck_assert_int_eq(memcmp(t + 16, "CHAOSPVH", 8), 0);
    }
    free(b.buf);
}
END_TEST

START_TEST(test_size_grows_with_vcpus)
{
    ck_assert_uint_eq(acpi_tables_size(0), 0);
    ck_assert_uint_eq(acpi_tables_size(ACPI_MAX_VCPUS + 1), 0);
    for (unsigned n = 1; n < ACPI_MAX_VCPUS; n++)
        ck_assert_uint_le(acpi_tables_size(n), acpi_tables_size(n + 1));
    ck_assert_uint_lt(acpi_tables_size(1), acpi_tables_size(ACPI_MAX_VCPUS));
    /* One page holds the tables of the largest guest. */
    ck_assert_uint_le(acpi_tables_size(ACPI_MAX_VCPUS), 4096);
}
END_TEST

START_TEST(test_errors)
{
    uint8_t buf[4096];
    size_t need = acpi_tables_size(4);
    ck_assert_int_eq(acpi_tables_build(buf, need - 1, BASE, 4), -ENOSPC);
    ck_assert_int_eq(acpi_tables_build(buf, sizeof(buf), BASE, 0), -EINVAL);
    ck_assert_int_eq(
        acpi_tables_build(buf, sizeof(buf), BASE, ACPI_MAX_VCPUS + 1), -EINVAL);
    ck_assert_int_eq(acpi_tables_build(buf, sizeof(buf), BASE + 8, 4),
                     -EINVAL); /* misaligned */
    ck_assert_int_eq(acpi_tables_build(buf, sizeof(buf), UINT64_C(1) << 32, 4),
                     -EINVAL);
}
END_TEST

START_TEST(test_leaves_rest_of_buffer_and_is_deterministic)
{
    size_t need = acpi_tables_size(3);
    uint8_t a[4096], c[4096];
    memset(a, 0xa5, sizeof(a));
    memset(c, 0x5a, sizeof(c));
    ck_assert_int_eq(acpi_tables_build(a, sizeof(a), BASE, 3), (long)need);
    ck_assert_int_eq(acpi_tables_build(c, sizeof(c), BASE, 3), (long)need);
    ck_assert_int_eq(memcmp(a, c, need), 0); /* no stale bytes inside */
    for (size_t i = need; i < sizeof(a); i++)
        ck_assert_uint_eq(a[i], 0xa5);
}
END_TEST

START_TEST(test_addresses_follow_base)
{
    /* The same tables at another base: every pointer moves with it. */
    const uint64_t other = 0x100000;
    size_t need = acpi_tables_size(2);
    uint8_t *lo = malloc(need);
    ck_assert_ptr_nonnull(lo);
    ck_assert_int_eq(acpi_tables_build(lo, need, other, 2), (long)need);
    struct blob b = build(2);
    uint64_t xsdt = get64(b.buf + 24) - BASE;
    ck_assert_uint_eq(get64(lo + 24) - other, xsdt);
    for (int i = 0; i < 2; i++)
        ck_assert_uint_eq(get64(lo + xsdt + 36 + 8 * i) - other,
                          get64(b.buf + xsdt + 36 + 8 * i) - BASE);
    free(lo);
    free(b.buf);
}
END_TEST

static Suite *acpi_suite(void)
{
    Suite *s = suite_create("acpi");
    TCase *tc = tcase_create("tables");
    tcase_add_test(tc, test_rsdp);
    tcase_add_test(tc, test_fadt_hw_reduced_and_dsdt);
    tcase_add_test(tc, test_madt_one_vcpu);
    tcase_add_test(tc, test_madt_many_vcpus);
    tcase_add_test(tc, test_oem_ids);
    tcase_add_test(tc, test_size_grows_with_vcpus);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_leaves_rest_of_buffer_and_is_deterministic);
    tcase_add_test(tc, test_addresses_follow_base);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(acpi_suite());
}
