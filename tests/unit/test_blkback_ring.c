/*
 * test_blkback_ring.c - the block back end's ring consumer
 * (libchaos/backend/blkback_ring.c) against a front end played by the
 * test: a ring in memory, a fake grant table (a few pages of memory) and
 * a fake disk (a buffer).  Data round trips byte-exact, flushes sync
 * before they are answered, and hostile requests get error responses or
 * -EPROTO without touching memory they should not (run it under ASan).
 *
 * The blkif layout is spelled out here rather than taken from Xen's
 * headers (only libchaos/hv/ and the ring consumers may include them):
 * it doubles as a check that the consumer reads the ABI's offsets.
 *
 * With CHAOS_BLKBACK_CORPUS=DIR in the environment it also writes each
 * ring it serves into DIR, in the fuzz target's input format: its seeds
 * (tests/fuzz/corpus/blkback).
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "backend/blkback_ring.h"
#include "check_run.h"

/* ---- blkif's ABI (xen/io/blkif.h, xen/io/ring.h) ---------------------- */

enum {
    OP_READ,
    OP_WRITE,
    OP_BARRIER,
    OP_FLUSH,
    OP_RES1,
    OP_DISCARD,
    OP_INDIRECT
};
enum { RSP_OKAY = 0, RSP_ERROR = -1, RSP_EOPNOTSUPP = -2 };

struct t_seg {
    uint32_t gref;
    uint8_t first_sect, last_sect;
    uint8_t pad[2];
};
struct t_req {
    uint8_t operation, nr_segments;
    uint16_t handle;
    uint32_t pad;
    uint64_t id, sector_number;
    struct t_seg seg[11];
};
struct t_rsp {
    uint64_t id;
    uint8_t operation;
    int16_t status;
};
union t_entry {
    struct t_req req;
    struct t_rsp rsp;
};
struct t_sring {
    uint32_t req_prod, req_event, rsp_prod, rsp_event;
    uint8_t pad[48];
    union t_entry ring[];
};
_Static_assert(sizeof(struct t_req) == 112, "blkif request");
_Static_assert(sizeof(struct t_sring) == 64, "ring header");

/* ---- The fake guest: ring, grants, disk ------------------------------- */

#define PAGE 4096u
#define NGRANTS 24u
#define GREF0 8u /* refs 0-7 are the toolstack's */
#define DISK_SECTORS 64u
#define DISK_BYTES (DISK_SECTORS * 512u)

static struct t_sring *sr;
static unsigned ring_pages, ring_size;
static uint32_t prod_pvt; /* the front end's next request */
static uint8_t *grants;   /* NGRANTS pages */
static uint8_t disk[DISK_BYTES];
static bool readonly;
static struct blkring *r;
static char err[256];

/* Fake failures and what the callbacks saw. */
static int fail_read, fail_write, fail_sync;
static unsigned syncs, copies;
static uint64_t flush_id; /* the flush the sync callback expects */

static uint8_t *grant(uint32_t ref)
{
    return grants + (size_t)(ref - GREF0) * PAGE;
}

static int fake_copy(void *opaque, struct hv_gcopy *segs, unsigned count)
{
    ck_assert_ptr_eq(opaque, &disk);
    ck_assert_uint_le(count, BLKRING_MAX_SEGS);
    for (unsigned i = 0; i < count; i++) {
        struct hv_gcopy *s = &segs[i];
        /* The hv module's rule: no page crossed on either side. */
        ck_assert_uint_le((unsigned)s->offset + s->len, PAGE);
        ck_assert_uint_le(((uintptr_t)s->local & (PAGE - 1)) + s->len, PAGE);
        ck_assert_uint_gt(s->len, 0);
        if (s->ref < GREF0 || s->ref >= GREF0 + NGRANTS) {
            s->status = -4; /* GNTST_bad_gntref */
            continue;
        }
        uint8_t *g = grant(s->ref) + s->offset;
        if (s->to_guest)
            memcpy(g, s->local, s->len);
        else
            memcpy(s->local, g, s->len);
        s->status = 0;
    }
    copies++;
    return 0;
}

static int fake_rw(bool write, const struct iovec *iov, unsigned cnt,
                   uint64_t off)
{
    if (write ? fail_write : fail_read)
        return -EIO;
    for (unsigned i = 0; i < cnt; i++) {
        ck_assert_uint_le(off + iov[i].iov_len, DISK_BYTES);
        if (write)
            memcpy(disk + off, iov[i].iov_base, iov[i].iov_len);
        else
            memcpy(iov[i].iov_base, disk + off, iov[i].iov_len);
        off += iov[i].iov_len;
    }
    return 0;
}

static int fake_read(void *o, const struct iovec *iov, unsigned cnt,
                     uint64_t off)
{
    return fake_rw(false, iov, cnt, off);
}

static int fake_write(void *o, const struct iovec *iov, unsigned cnt,
                      uint64_t off)
{
    ck_assert(!readonly);
    return fake_rw(true, iov, cnt, off);
}

/* The flush is answered only after this: its slot must still hold the
 * request, and rsp_prod must not cover it yet. */
static int fake_sync(void *o)
{
    uint32_t idx = prod_pvt - 1;
    struct t_req *q = &sr->ring[idx & (ring_size - 1)].req;

    ck_assert_uint_eq(q->id, flush_id);
    ck_assert(q->operation == OP_FLUSH || q->operation == OP_BARRIER);
    ck_assert_uint_le(sr->rsp_prod, idx);
    syncs++;
    return fail_sync ? -EIO : 0;
}

static const struct blkring_ops fake_ops = {
    .copy = fake_copy,
    .read = fake_read,
    .write = fake_write,
    .sync = fake_sync,
};

/* A front end's ring of pages pages (SHARED_RING_INIT), a disk full of a
 * pattern, and the consumer attached. */
static void setup_ring(unsigned pages, bool ro)
{
    ring_pages = pages;
    ring_size = 1;
    while (ring_size * 2 * sizeof(union t_entry) <= pages * PAGE - 64)
        ring_size *= 2;
    sr = aligned_alloc(PAGE, pages * PAGE);
    ck_assert_ptr_nonnull(sr);
    memset(sr, 0, pages * PAGE);
    sr->req_event = sr->rsp_event = 1;
    prod_pvt = 0;
    readonly = ro;
    for (unsigned i = 0; i < DISK_BYTES; i++)
        disk[i] = (uint8_t)(i * 7 + i / 512);
    fail_read = fail_write = fail_sync = 0;
    syncs = copies = 0;
    int rc = blkring_new(sr, pages, DISK_SECTORS, ro, &fake_ops, &disk, &r, err,
                         sizeof(err));
    ck_assert_msg(rc == 0, "blkring_new: %s", err);
}

static void setup(void)
{
    grants = aligned_alloc(PAGE, NGRANTS * PAGE);
    ck_assert_ptr_nonnull(grants);
    memset(grants, 0, NGRANTS * PAGE);
    setup_ring(1, false);
}

static void teardown(void)
{
    blkring_free(r);
    r = NULL;
    free(sr);
    free(grants);
}

/* Queues a request (not yet published). */
static void queue(const struct t_req *q)
{
    sr->ring[prod_pvt & (ring_size - 1)].req = *q;
    prod_pvt++;
}

/* The fuzz target's input (tests/fuzz/fuzz_blkback_ring.c): ring pages,
 * flags (bit 0 read-only), sectors - 1, then the ring. */
static void write_seed(void)
{
    static unsigned n;
    const char *dir = getenv("CHAOS_BLKBACK_CORPUS");
    char path[512];

    if (!dir || !*dir)
        return;
    snprintf(path, sizeof(path), "%s/unit-%ld-%u", dir, (long)getpid(), n++);
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    uint8_t hdr[4] = { (uint8_t)ring_pages, readonly ? 1 : 0,
                       (uint8_t)(DISK_SECTORS - 1),
                       (uint8_t)((DISK_SECTORS - 1) >> 8) };
    ck_assert_uint_eq(fwrite(hdr, 1, 4, f), 4);
    ck_assert_uint_eq(fwrite(sr, 1, ring_pages * PAGE, f), ring_pages * PAGE);
    ck_assert_int_eq(fclose(f), 0);
}

/* Publishes the queued requests and serves them; the return code. */
static int serve(bool *notify)
{
    bool dummy;
    __atomic_store_n(&sr->req_prod, prod_pvt, __ATOMIC_RELEASE);
    write_seed();
    return blkring_serve(r, notify ? notify : &dummy, err, sizeof(err));
}

/* Queues q, serves it, and returns its response's status. */
static int16_t one(const struct t_req *q)
{
    queue(q);
    int rc = serve(NULL);
    ck_assert_msg(rc == 0, "serve: %s", err);
    ck_assert_uint_eq(sr->rsp_prod, prod_pvt);
    const struct t_rsp *p = &sr->ring[(prod_pvt - 1) & (ring_size - 1)].rsp;
    ck_assert_uint_eq(p->id, q->id);
    ck_assert_uint_eq(p->operation, q->operation);
    return p->status;
}

/* A request of one whole-page segment at sector sec, through ref. */
static struct t_req req1(uint8_t op, uint64_t id, uint64_t sec, uint32_t ref)
{
    return (struct t_req){
        .operation = op,
        .nr_segments = 1,
        .id = id,
        .sector_number = sec,
        .seg = { { .gref = ref, .first_sect = 0, .last_sect = 7 } },
    };
}

static void fill(uint32_t ref, uint8_t seed)
{
    for (unsigned i = 0; i < PAGE; i++)
        grant(ref)[i] = (uint8_t)(seed + i * 13 + i / 256);
}

/* ---- Round trips -------------------------------------------------------- */

START_TEST(write_then_read)
{
    fill(GREF0, 0x41);
    struct t_req w = req1(OP_WRITE, 1, 16, GREF0);
    ck_assert_int_eq(one(&w), RSP_OKAY);
    ck_assert_mem_eq(disk + 16 * 512, grant(GREF0), PAGE);

    struct t_req rd = req1(OP_READ, 2, 16, GREF0 + 1);
    ck_assert_int_eq(one(&rd), RSP_OKAY);
    ck_assert_mem_eq(grant(GREF0 + 1), grant(GREF0), PAGE);

    struct blkring_stats st;
    blkring_stats(r, &st);
    ck_assert_uint_eq(st.writes, 1);
    ck_assert_uint_eq(st.reads, 1);
    ck_assert_uint_eq(st.read_bytes, PAGE);
    ck_assert_uint_eq(st.write_bytes, PAGE);
    ck_assert_uint_eq(st.errors, 0);
}
END_TEST

/* 11 segments of varied sector ranges: the disk holds them back to back;
 * a read with another split returns the same bytes at the guest's
 * offsets, and nothing outside them changes. */
START_TEST(multi_segment)
{
    static const uint8_t ranges[11][2] = { { 0, 7 }, { 3, 3 }, { 1, 6 },
                                           { 7, 7 }, { 0, 0 }, { 2, 5 },
                                           { 0, 7 }, { 4, 7 }, { 0, 3 },
                                           { 6, 6 }, { 5, 7 } };
    struct t_req w = {
        .operation = OP_WRITE, .nr_segments = 11, .id = 9, .sector_number = 3
    };
    uint8_t expect[DISK_BYTES];
    size_t at = 0;

    for (unsigned i = 0; i < 11; i++) {
        fill(GREF0 + i, (uint8_t)(i * 31));
        w.seg[i] = (struct t_seg){ .gref = GREF0 + i,
                                   .first_sect = ranges[i][0],
                                   .last_sect = ranges[i][1] };
        size_t len = (size_t)(ranges[i][1] - ranges[i][0] + 1) * 512;
        memcpy(expect + at, grant(GREF0 + i) + ranges[i][0] * 512, len);
        at += len;
    }
    uint8_t before[DISK_BYTES];
    memcpy(before, disk, DISK_BYTES);
    ck_assert_int_eq(one(&w), RSP_OKAY);
    ck_assert_mem_eq(disk + 3 * 512, expect, at);
    ck_assert_mem_eq(disk, before, 3 * 512);
    ck_assert_mem_eq(disk + 3 * 512 + at, before + 3 * 512 + at,
                     DISK_BYTES - 3 * 512 - at);

    /* Read it back split another way: whole pages, then the rest at
     * sector 1 of its page, in fresh pages with a marker around it. */
    size_t nsect = at / 512, full = nsect / 8, rest = nsect % 8;
    ck_assert_uint_eq(nsect, 41);
    ck_assert_uint_lt(rest, 7);
    struct t_req rd = { .operation = OP_READ, .id = 10, .sector_number = 3 };
    rd.nr_segments = (uint8_t)(full + (rest ? 1 : 0));
    for (unsigned i = 0; i < rd.nr_segments; i++) {
        memset(grant(GREF0 + 12 + i), 0xee, PAGE);
        rd.seg[i] = (struct t_seg){ .gref = GREF0 + 12 + i,
                                    .first_sect = 0,
                                    .last_sect = 7 };
    }
    if (rest) {
        rd.seg[full].first_sect = 1;
        rd.seg[full].last_sect = (uint8_t)rest;
    }
    ck_assert_int_eq(one(&rd), RSP_OKAY);
    for (unsigned i = 0; i < full; i++)
        ck_assert_mem_eq(grant(GREF0 + 12 + i), expect + i * PAGE, PAGE);
    uint8_t *last = grant(GREF0 + 12 + (uint32_t)full);
    ck_assert_mem_eq(last + 512, expect + full * PAGE, rest * 512);
    ck_assert_uint_eq(last[511], 0xee);
    ck_assert_uint_eq(last[512 + rest * 512], 0xee);
}
END_TEST

/* The last sector of the disk is reachable; one more is not. */
START_TEST(disk_edges)
{
    struct t_req q = req1(OP_WRITE, 1, DISK_SECTORS - 8, GREF0);
    ck_assert_int_eq(one(&q), RSP_OKAY);
    q = req1(OP_READ, 2, DISK_SECTORS - 1, GREF0);
    q.seg[0].first_sect = q.seg[0].last_sect = 7;
    ck_assert_int_eq(one(&q), RSP_OKAY);
}
END_TEST

/* ---- Flush -------------------------------------------------------------- */

START_TEST(flush_syncs_before_response)
{
    fill(GREF0, 3);
    struct t_req w = req1(OP_WRITE, 1, 0, GREF0);
    ck_assert_int_eq(one(&w), RSP_OKAY);
    ck_assert_uint_eq(syncs, 0);

    struct t_req f = { .operation = OP_FLUSH, .nr_segments = 0, .id = 77 };
    flush_id = 77;
    ck_assert_int_eq(one(&f), RSP_OKAY);
    ck_assert_uint_eq(syncs, 1);

    /* With data (Linux's REQ_FUA): written, then synced. */
    fill(GREF0 + 1, 99);
    f = req1(OP_FLUSH, 78, 8, GREF0 + 1);
    flush_id = 78;
    ck_assert_int_eq(one(&f), RSP_OKAY);
    ck_assert_uint_eq(syncs, 2);
    ck_assert_mem_eq(disk + 8 * 512, grant(GREF0 + 1), PAGE);

    /* A barrier is a flush too. */
    f = (struct t_req){ .operation = OP_BARRIER, .id = 79 };
    flush_id = 79;
    ck_assert_int_eq(one(&f), RSP_OKAY);
    ck_assert_uint_eq(syncs, 3);

    /* A failed sync is an error, not a success. */
    fail_sync = 1;
    f = (struct t_req){ .operation = OP_FLUSH, .id = 80 };
    flush_id = 80;
    ck_assert_int_eq(one(&f), RSP_ERROR);

    struct blkring_stats st;
    blkring_stats(r, &st);
    ck_assert_uint_eq(st.flushes, 3);
    ck_assert_uint_eq(st.errors, 1);
}
END_TEST

/* A flush whose data is refused syncs nothing and answers the error. */
START_TEST(flush_bad_data)
{
    struct t_req f = req1(OP_FLUSH, 5, 0, GREF0);
    f.seg[0].first_sect = 5;
    f.seg[0].last_sect = 4;
    ck_assert_int_eq(one(&f), RSP_ERROR);
    ck_assert_uint_eq(syncs, 0);
}
END_TEST

/* ---- Read-only ---------------------------------------------------------- */

START_TEST(readonly_refuses_writes)
{
    blkring_free(r);
    free(sr);
    setup_ring(1, true);
    uint8_t before[DISK_BYTES];
    memcpy(before, disk, DISK_BYTES);
    fill(GREF0, 1);

    struct t_req q = req1(OP_WRITE, 1, 0, GREF0);
    ck_assert_int_eq(one(&q), RSP_ERROR);
    q = req1(OP_FLUSH, 2, 0, GREF0);
    flush_id = 2;
    ck_assert_int_eq(one(&q), RSP_ERROR);
    q = req1(OP_BARRIER, 3, 0, GREF0);
    ck_assert_int_eq(one(&q), RSP_ERROR);
    ck_assert_mem_eq(disk, before, DISK_BYTES);
    ck_assert_uint_eq(copies, 0); /* nothing even copied from the guest */

    q = req1(OP_READ, 4, 0, GREF0);
    ck_assert_int_eq(one(&q), RSP_OKAY);
    ck_assert_mem_eq(grant(GREF0), disk, PAGE);
    q = (struct t_req){ .operation = OP_FLUSH, .id = 5 };
    flush_id = 5;
    ck_assert_int_eq(one(&q), RSP_OKAY); /* a bare flush is harmless */
}
END_TEST

/* ---- Hostile requests: an error response each, the device keeps working */

struct hostile {
    const char *what;
    struct t_req req;
    int16_t status;
};

#define SEG(f, l)                                              \
    {                                                          \
        {                                                      \
            .gref = GREF0, .first_sect = (f), .last_sect = (l) \
        }                                                      \
    }

static const struct hostile hostile[] = {
    { "read, 0 segments",
      { .operation = OP_READ, .nr_segments = 0 },
      RSP_ERROR },
    { "write, 0 segments",
      { .operation = OP_WRITE, .nr_segments = 0 },
      RSP_ERROR },
    { "read, 12 segments",
      { .operation = OP_READ, .nr_segments = 12 },
      RSP_ERROR },
    { "write, 255 segments",
      { .operation = OP_WRITE, .nr_segments = 255 },
      RSP_ERROR },
    { "flush, 12 segments",
      { .operation = OP_FLUSH, .nr_segments = 12 },
      RSP_ERROR },
    { "first_sect > last_sect",
      { .operation = OP_READ, .nr_segments = 1, .seg = SEG(5, 4) },
      RSP_ERROR },
    { "last_sect 8",
      { .operation = OP_READ, .nr_segments = 1, .seg = SEG(0, 8) },
      RSP_ERROR },
    { "last_sect 255",
      { .operation = OP_WRITE, .nr_segments = 1, .seg = SEG(200, 255) },
      RSP_ERROR },
    { "sector at the end",
      { .operation = OP_READ,
        .nr_segments = 1,
        .sector_number = DISK_SECTORS,
        .seg = SEG(0, 0) },
      RSP_ERROR },
    { "sector range past the end",
      { .operation = OP_READ,
        .nr_segments = 1,
        .sector_number = DISK_SECTORS - 1,
        .seg = SEG(0, 1) },
      RSP_ERROR },
    { "sector wrapping 2^64",
      { .operation = OP_WRITE,
        .nr_segments = 1,
        .sector_number = UINT64_MAX - 2,
        .seg = SEG(0, 7) },
      RSP_ERROR },
    { "sector * 512 wrapping",
      { .operation = OP_READ,
        .nr_segments = 1,
        .sector_number = (UINT64_MAX / 512) + 1,
        .seg = SEG(0, 0) },
      RSP_ERROR },
    { "bad grant",
      { .operation = OP_READ,
        .nr_segments = 1,
        .seg = { { .gref = 3, .first_sect = 0, .last_sect = 0 } } },
      RSP_ERROR },
    { "bad grant, write",
      { .operation = OP_WRITE,
        .nr_segments = 1,
        .seg = { { .gref = 0xffffffffu, .first_sect = 0, .last_sect = 0 } } },
      RSP_ERROR },
    { "reserved op",
      { .operation = OP_RES1, .nr_segments = 1 },
      RSP_EOPNOTSUPP },
    { "discard",
      { .operation = OP_DISCARD, .nr_segments = 1 },
      RSP_EOPNOTSUPP },
    { "indirect",
      { .operation = OP_INDIRECT, .nr_segments = 1 },
      RSP_EOPNOTSUPP },
    { "op 255", { .operation = 255 }, RSP_EOPNOTSUPP },
};

START_TEST(hostile_request)
{
    const struct hostile *h = &hostile[_i];
    uint8_t before[DISK_BYTES];
    memcpy(before, disk, DISK_BYTES);

    struct t_req q = h->req;
    q.id = 0x1000 + (uint64_t)_i;
    ck_assert_msg(one(&q) == h->status, "%s: status %d", h->what,
                  sr->ring[(prod_pvt - 1) & (ring_size - 1)].rsp.status);
    ck_assert_mem_eq(disk, before, DISK_BYTES);

    /* The device still works. */
    fill(GREF0 + 1, 7);
    q = req1(OP_WRITE, 1, 0, GREF0 + 1);
    ck_assert_int_eq(one(&q), RSP_OKAY);
}
END_TEST

START_TEST(io_errors)
{
    fail_read = 1;
    struct t_req q = req1(OP_READ, 1, 0, GREF0);
    memset(grant(GREF0), 0x5a, PAGE);
    ck_assert_int_eq(one(&q), RSP_ERROR);
    ck_assert_uint_eq(grant(GREF0)[0], 0x5a); /* nothing copied to it */
    fail_write = 1;
    q = req1(OP_WRITE, 2, 0, GREF0);
    ck_assert_int_eq(one(&q), RSP_ERROR);
}
END_TEST

/* ---- The ring itself ------------------------------------------------------ */

/* req_prod more than a ring ahead (or behind) of the consumer: -EPROTO,
 * naming the field, and nothing served. */
START_TEST(req_prod_far_ahead)
{
    static const uint32_t bad[] = { 33, 1000, 0x80000000u, 0xffffffffu };

    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        bool notify = true;
        sr->req_prod = bad[i];
        int rc = blkring_serve(r, &notify, err, sizeof(err));
        ck_assert_int_eq(rc, -EPROTO);
        ck_assert_msg(strstr(err, "req_prod") != NULL, "message: %s", err);
        ck_assert(!notify);
        ck_assert_uint_eq(sr->rsp_prod, 0);
    }
    /* A full ring (exactly ring_size queued) is fine. */
    for (unsigned i = 0; i < ring_size; i++) {
        struct t_req q = req1(OP_READ, i, i % DISK_SECTORS, GREF0);
        q.seg[0].last_sect = 0;
        queue(&q);
    }
    ck_assert_int_eq(serve(NULL), 0);
    ck_assert_uint_eq(sr->rsp_prod, ring_size);
}
END_TEST

START_TEST(ring_pages_bounded)
{
    static const unsigned bad[] = { 0, 3, 5, 8, 16, 0x80000000u };
    struct blkring *x = NULL;
    _Alignas(4096) static uint8_t mem[8 * 4096];

    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = blkring_new(mem, bad[i], DISK_SECTORS, false, &fake_ops, &disk,
                             &x, err, sizeof(err));
        ck_assert_int_eq(rc, -EPROTO);
        ck_assert_ptr_null(x);
        ck_assert_msg(strstr(err, "ring") != NULL, "message: %s", err);
    }
    ck_assert_int_eq(
        blkring_new(mem, 1, 0, false, &fake_ops, &disk, &x, err, sizeof(err)),
        -EINVAL);
}
END_TEST

/* Many requests through every ring size: indices wrap the slots, each
 * response answers its request, req_event asks for the next one, and the
 * guest is notified only when it asked (rsp_event). */
START_TEST(ring_sizes_and_notify)
{
    static const unsigned pages[] = { 1, 2, 4 };
    static const unsigned sizes[] = { 32, 64, 128 };

    blkring_free(r);
    free(sr);
    setup_ring(pages[_i], false);
    ck_assert_uint_eq(ring_size, sizes[_i]);

    uint32_t id = 0;
    for (unsigned round = 0; round < 7; round++) {
        unsigned n = 1 + (round * 37) % ring_size;
        uint32_t first = prod_pvt;
        for (unsigned k = 0; k < n; k++) {
            struct t_req q = req1(OP_READ, id++, k % DISK_SECTORS, GREF0);
            q.seg[0].last_sect = 0;
            queue(&q);
        }
        /* The guest wants a notification only from the response after
         * the first (rsp_event = first + 2) on odd rounds, never (far
         * ahead) on even ones. */
        sr->rsp_event = round % 2 ? first + 2 : first + 100000;
        bool notify;
        ck_assert_int_eq(serve(&notify), 0);
        ck_assert_uint_eq(sr->rsp_prod, prod_pvt);
        ck_assert_uint_eq(sr->req_event, prod_pvt + 1);
        ck_assert(notify == (round % 2 == 1 && n >= 2));
        for (uint32_t k = first; k != prod_pvt; k++) {
            const struct t_rsp *p = &sr->ring[k & (ring_size - 1)].rsp;
            ck_assert_uint_eq(p->id, id - (prod_pvt - k));
            ck_assert_int_eq(p->status, RSP_OKAY);
        }
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("blkback_ring");
    TCase *tc = tcase_create("ring");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, write_then_read);
    tcase_add_test(tc, multi_segment);
    tcase_add_test(tc, disk_edges);
    tcase_add_test(tc, flush_syncs_before_response);
    tcase_add_test(tc, flush_bad_data);
    tcase_add_test(tc, readonly_refuses_writes);
    tcase_add_loop_test(tc, hostile_request, 0,
                        (int)(sizeof(hostile) / sizeof(hostile[0])));
    tcase_add_test(tc, io_errors);
    tcase_add_test(tc, req_prod_far_ahead);
    tcase_add_test(tc, ring_pages_bounded);
    tcase_add_loop_test(tc, ring_sizes_and_notify, 0, 3);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(suite());
}
