/*
 * test_snapshot_stream.c - the migration stream's index
 * (libchaos/snapshot_stream.c): streams built here the way libxenguest's
 * plain save of a PVH guest writes them (image and domain headers, CPUID
 * and MSR policy, STATIC_DATA_END, PAGE_DATA batches with holes, TSC,
 * HVM context, HVM parameters, END) are indexed: each populated pfn's
 * data offset and whether it is zero, the state records found; a pfn sent
 * twice keeps its last copy; every truncation and every damaged field is
 * refused with a message.
 *
 * With CHAOS_STREAM_CORPUS=DIR in the environment it writes the streams
 * it builds into DIR: the fuzz target's seeds (tests/fuzz/corpus/stream).
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "snapshot_stream.h"

static char err[SNAP_STREAM_ERR_MAX];

struct buf {
    uint8_t *p;
    size_t len;
};

static void put(struct buf *b, const void *data, size_t len)
{
    b->p = realloc(b->p, b->len + len);
    ck_assert_ptr_nonnull(b->p);
    memcpy(b->p + b->len, data, len);
    b->len += len;
}

static void put32(struct buf *b, uint32_t v)
{
    uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
                     (uint8_t)(v >> 24) };
    put(b, x, 4);
}

static void put64(struct buf *b, uint64_t v)
{
    put32(b, (uint32_t)v);
    put32(b, (uint32_t)(v >> 32));
}

static void put_be32(struct buf *b, uint32_t v)
{
    uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
                     (uint8_t)v };
    put(b, x, 4);
}

static void headers(struct buf *b, uint32_t version, uint32_t type)
{
    put64(b, UINT64_MAX);
    put_be32(b, 0x58454e46);
    put_be32(b, version);
    put32(b, 0); /* options, reserved */
    put32(b, 0);
    put32(b, type);
    put32(b, 12); /* page shift, reserved */
    put32(b, 4);
    put32(b, 17);
}

static void record(struct buf *b, uint32_t type, const void *body, uint32_t len)
{
    static const uint8_t pad[8];
    put32(b, type);
    put32(b, len);
    if (len)
        put(b, body, len);
    put(b, pad, (8 - len % 8) % 8);
}

/* A PAGE_DATA record: n entries (pfn | type << 60), a page of data with
 * fill byte data[i] for each entry with data. */
static void pages(struct buf *b, unsigned n, const uint64_t *entries,
                  const uint8_t *fill)
{
    struct buf r = { 0 };
    put32(&r, n);
    put32(&r, 0);
    for (unsigned i = 0; i < n; i++)
        put64(&r, entries[i]);
    for (unsigned i = 0; i < n; i++) {
        unsigned t = (unsigned)(entries[i] >> 60);
        if (t == 0xd || t == 0xe || t == 0xf)
            continue;
        uint8_t page[SNAP_PAGE_SIZE];
        memset(page, 0, sizeof(page));
        page[100] = fill[i]; /* one byte: the rest of the page is zero */
        put(&r, page, sizeof(page));
    }
    record(b, 1, r.p, (uint32_t)r.len);
    free(r.p);
}

#define XTAB (UINT64_C(0xf) << 60)
#define XALLOC (UINT64_C(0xe) << 60)

/* A stream as a plain PVH save writes it. */
static struct buf pvh_stream(void)
{
    struct buf b = { 0 };
    headers(&b, 3, 2);
    uint8_t cpuid[48] = { 1 }, msr[16] = { 2 };
    record(&b, 0x11, cpuid, sizeof(cpuid));
    record(&b, 0x12, msr, sizeof(msr));
    record(&b, 0x10, NULL, 0);
    uint64_t e1[] = { 0, 1, 2, XTAB | 3, 0xfeffe };
    uint8_t f1[] = { 7, 0, 9, 0, 0 };
    pages(&b, 5, e1, f1);
    uint64_t e2[] = { 0xfefff, XALLOC | 0xfc000, XTAB | 0xff000 };
    uint8_t f2[] = { 5, 0, 0 };
    pages(&b, 3, e2, f2);
    struct buf t = { 0 };
    put32(&t, 0);
    put32(&t, 1000000);
    put64(&t, 123456789);
    put32(&t, 3);
    put32(&t, 0);
    record(&b, 0x08, t.p, (uint32_t)t.len);
    free(t.p);
    uint8_t ctx[20] = { 3 };
    record(&b, 0x09, ctx, sizeof(ctx));
    struct buf p = { 0 };
    put32(&p, 2);
    put32(&p, 0);
    put64(&p, 1); /* HVM_PARAM_STORE_PFN */
    put64(&p, 0xfeffe);
    put64(&p, 17); /* HVM_PARAM_CONSOLE_PFN */
    put64(&p, 0xfefff);
    record(&b, 0x0a, p.p, (uint32_t)p.len);
    free(p.p);
    record(&b, 0, NULL, 0);
    return b;
}

static void corpus(const char *name, const struct buf *b)
{
    const char *dir = getenv("CHAOS_STREAM_CORPUS");
    if (!dir)
        return;
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fwrite(b->p, 1, b->len, f);
    fclose(f);
}

START_TEST(indexes_a_pvh_stream)
{
    struct buf b = pvh_stream();
    corpus("pvh", &b);
    struct snap_stream_index idx;
    ck_assert_int_eq(snap_stream_index(b.p, b.len, &idx, err, sizeof(err)), 0);
    ck_assert_uint_eq(idx.version, 3);
    ck_assert_uint_eq(idx.guest_type, 2);
    ck_assert_uint_eq(idx.xen_major, 4);
    ck_assert_uint_eq(idx.xen_minor, 17);
    ck_assert_uint_eq(idx.nr_pages, 6);
    ck_assert_uint_eq(idx.nr_holes, 2);
    ck_assert_uint_eq(idx.nr_data, 3);
    ck_assert_uint_eq(idx.nr_zero, 2);
    ck_assert_uint_eq(idx.nr_alloc, 1);
    static const struct {
        uint64_t pfn;
        enum snap_page_kind kind;
        uint8_t fill;
    } want[] = {
        { 0, SNAP_PAGE_DATA, 7 },       { 1, SNAP_PAGE_ZERO, 0 },
        { 2, SNAP_PAGE_DATA, 9 },       { 0xfc000, SNAP_PAGE_ALLOC, 0 },
        { 0xfeffe, SNAP_PAGE_ZERO, 0 }, { 0xfefff, SNAP_PAGE_DATA, 5 },
    };
    for (unsigned i = 0; i < 6; i++) {
        ck_assert_uint_eq(idx.pages[i].pfn, want[i].pfn);
        ck_assert_int_eq(idx.pages[i].kind, want[i].kind);
        if (want[i].kind != SNAP_PAGE_ALLOC)
            ck_assert_uint_eq(b.p[idx.pages[i].offset + 100], want[i].fill);
    }
    ck_assert_uint_eq(idx.cpuid.len, 48);
    ck_assert_uint_eq(b.p[idx.cpuid.offset], 1);
    ck_assert_uint_eq(idx.msr.len, 16);
    ck_assert_uint_eq(idx.hvm_context.len, 20);
    ck_assert_uint_eq(b.p[idx.hvm_context.offset], 3);
    struct snap_tsc tsc;
    snap_stream_tsc(b.p, &idx, &tsc);
    ck_assert_uint_eq(tsc.khz, 1000000);
    ck_assert_uint_eq(tsc.nsec, 123456789);
    ck_assert_uint_eq(tsc.incarnation, 3);
    ck_assert_uint_eq(snap_stream_nr_params(&idx), 2);
    uint64_t k, v;
    snap_stream_param(b.p, &idx, 1, &k, &v);
    ck_assert_uint_eq(k, 17);
    ck_assert_uint_eq(v, 0xfefff);
    snap_stream_free(&idx);
    free(b.p);
}
END_TEST

/* At any offset: the stream follows a header of any length. */
START_TEST(unaligned_buffer)
{
    struct buf b = pvh_stream();
    uint8_t *odd = malloc(b.len + 3);
    memcpy(odd + 3, b.p, b.len);
    struct snap_stream_index idx;
    ck_assert_int_eq(snap_stream_index(odd + 3, b.len, &idx, err, sizeof(err)),
                     0);
    ck_assert_uint_eq(idx.nr_data, 3);
    snap_stream_free(&idx);
    free(odd);
    free(b.p);
}
END_TEST

START_TEST(last_copy_wins)
{
    struct buf b = { 0 };
    headers(&b, 2, 2); /* version 2: no STATIC_DATA_END */
    uint64_t e[] = { 5, 6 };
    uint8_t f1[] = { 1, 2 }, f2[] = { 0, 3 };
    pages(&b, 2, e, f1);
    pages(&b, 2, e, f2);
    record(&b, 0, NULL, 0);
    corpus("twice", &b);
    struct snap_stream_index idx;
    ck_assert_int_eq(snap_stream_index(b.p, b.len, &idx, err, sizeof(err)), 0);
    ck_assert_uint_eq(idx.nr_pages, 2);
    ck_assert_int_eq(idx.pages[0].kind, SNAP_PAGE_ZERO);
    ck_assert_int_eq(idx.pages[1].kind, SNAP_PAGE_DATA);
    ck_assert_uint_eq(b.p[idx.pages[1].offset + 100], 3);
    snap_stream_free(&idx);
    free(b.p);
}
END_TEST

/* Every prefix of a valid stream is refused, never read past. */
START_TEST(every_truncation_refused)
{
    struct buf b = pvh_stream();
    struct snap_stream_index idx;
    for (size_t n = 0; n < b.len; n += n < 64 ? 1 : 97) {
        uint8_t *cut = malloc(n ? n : 1);
        memcpy(cut, b.p, n);
        ck_assert_int_eq(snap_stream_index(cut, n, &idx, err, sizeof(err)),
                         -EINVAL);
        ck_assert_ptr_nonnull(strstr(err, "truncated"));
        free(cut);
    }
    free(b.p);
}
END_TEST

static void expect(struct buf *b, const char *what)
{
    struct snap_stream_index idx;
    ck_assert_int_eq(snap_stream_index(b->p, b->len, &idx, err, sizeof(err)),
                     -EINVAL);
    if (!strstr(err, what))
        ck_abort_msg("message '%s' does not say '%s'", err, what);
}

START_TEST(damage_refused)
{
    static const struct {
        size_t off;
        uint8_t val;
        const char *what;
    } cases[] = {
        { 0, 0, "not a Xen migration stream" },
        { 8, 0, "not a Xen migration stream" },
        { 15, 4, "version 4" },
        { 17, 1, "options" },
        { 24, 1, "guest type 1" },
        { 28, 13, "2^13" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct buf b = pvh_stream();
        b.p[cases[i].off] = cases[i].val;
        expect(&b, cases[i].what);
        free(b.p);
    }
}
END_TEST

START_TEST(bad_records_refused)
{
    static const uint64_t bad_type[] = { UINT64_C(0x5) << 60 };
    static const uint64_t reserved[] = { UINT64_C(1) << 55 };
    static const uint8_t fill[1];
    struct buf b = { 0 };
    headers(&b, 3, 2);
    pages(&b, 1, bad_type, fill);
    record(&b, 0, NULL, 0);
    expect(&b, "unknown page type");
    free(b.p);

    b = (struct buf){ 0 };
    headers(&b, 3, 2);
    pages(&b, 1, reserved, fill);
    record(&b, 0, NULL, 0);
    expect(&b, "reserved bits");
    free(b.p);

    static const struct {
        uint32_t type, len;
        const char *what;
    } recs[] = {
        { 0x08, 16, "X86_TSC_INFO" },
        { 0x09, 0, "HVM_CONTEXT" },
        { 0x0a, 4, "HVM_PARAMS" },
        { 0x0a, 16, "HVM_PARAMS" },
        { 0x11, 25, "X86_CPUID_POLICY" },
        { 0x12, 8, "X86_MSR_POLICY" },
        { 0x02, 8, "X86_PV_INFO" },
        { 0x0e, 0, "CHECKPOINT" },
        { 0x77, 0, "type 0x77" },
        { 0x01, 4, "PAGE_DATA" },
        { 0x00, 8, "END record has a body" },
    };
    uint8_t body[32] = { 0 };
    for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
        b = (struct buf){ 0 };
        headers(&b, 3, 2);
        record(&b, recs[i].type, body, recs[i].len);
        record(&b, 0, NULL, 0);
        expect(&b, recs[i].what);
        free(b.p);
    }
    /* An optional record of an unknown type is skipped. */
    b = (struct buf){ 0 };
    headers(&b, 3, 2);
    uint64_t e[] = { 1 };
    uint8_t f[] = { 1 };
    pages(&b, 1, e, f);
    record(&b, 0x80000077u, body, 12);
    record(&b, 0, NULL, 0);
    struct snap_stream_index idx;
    ck_assert_int_eq(snap_stream_index(b.p, b.len, &idx, err, sizeof(err)), 0);
    snap_stream_free(&idx);
    /* Data after END. */
    put64(&b, 0);
    expect(&b, "after its END");
    free(b.p);
    /* No pages at all. */
    b = (struct buf){ 0 };
    headers(&b, 3, 2);
    record(&b, 0, NULL, 0);
    expect(&b, "no pages");
    free(b.p);
}
END_TEST

START_TEST(page_data_length_checked)
{
    struct buf b = { 0 };
    headers(&b, 3, 2);
    struct buf r = { 0 };
    put32(&r, 2); /* two pfns with data, one page of data */
    put32(&r, 0);
    put64(&r, 1);
    put64(&r, 2);
    uint8_t page[SNAP_PAGE_SIZE] = { 0 };
    put(&r, page, sizeof(page));
    record(&b, 1, r.p, (uint32_t)r.len);
    record(&b, 0, NULL, 0);
    expect(&b, "does not match its pages");
    free(b.p);
    /* A count larger than the record. */
    b = (struct buf){ 0 };
    headers(&b, 3, 2);
    ((uint8_t *)r.p)[3] = 0x10;
    record(&b, 1, r.p, (uint32_t)r.len);
    record(&b, 0, NULL, 0);
    expect(&b, "too short");
    free(b.p);
    free(r.p);
    /* A record longer than the format's maximum. */
    b = (struct buf){ 0 };
    headers(&b, 3, 2);
    put32(&b, 1);
    put32(&b, (128u << 20) + 8);
    expect(&b, "too long");
    free(b.p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("snapshot_stream");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, indexes_a_pvh_stream);
    tcase_add_test(tc, unaligned_buffer);
    tcase_add_test(tc, last_copy_wins);
    tcase_add_test(tc, every_truncation_refused);
    tcase_add_test(tc, damage_refused);
    tcase_add_test(tc, bad_records_refused);
    tcase_add_test(tc, page_data_length_checked);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(suite());
}
