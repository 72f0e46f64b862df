/*
 * snapshot_stream.c - the index of a migration stream (snapshot_stream.h).
 * Layouts from Xen's docs/specs/libxc-migration-stream.pandoc and the
 * checks libxenguest's reader makes (tools/libs/guest/xg_sr_restore.c,
 * xg_sr_common_x86.c, xg_sr_restore_x86_hvm.c in Xen 4.17), reimplemented
 * over a buffer: the image header's fields are big-endian, everything
 * after it little-endian; each record is an 8-byte header (type, length)
 * and a body padded to 8 bytes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot_stream.h"

#define IHDR_SIZE 24u
#define DHDR_SIZE 16u
#define RHDR_SIZE 8u
#define IHDR_ID 0x58454e46u /* "XENF" */
#define REC_LENGTH_MAX (128u << 20)
#define REC_OPTIONAL 0x80000000u
#define PFN_MASK UINT64_C(0x000fffffffffffff)
#define DHDR_X86_HVM 2u

enum rec_type {
    REC_END = 0x00,
    REC_PAGE_DATA = 0x01,
    REC_X86_TSC_INFO = 0x08,
    REC_HVM_CONTEXT = 0x09,
    REC_HVM_PARAMS = 0x0a,
    REC_STATIC_DATA_END = 0x10,
    REC_X86_CPUID_POLICY = 0x11,
    REC_X86_MSR_POLICY = 0x12,
};

/* Record types this reader refuses, named (the spec's names). */
static const char *const other_records[] = {
    [0x02] = "X86_PV_INFO",
    [0x03] = "X86_PV_P2M_FRAMES",
    [0x04] = "X86_PV_VCPU_BASIC",
    [0x05] = "X86_PV_VCPU_EXTENDED",
    [0x06] = "X86_PV_VCPU_XSAVE",
    [0x07] = "SHARED_INFO",
    [0x0b] = "TOOLSTACK",
    [0x0c] = "X86_PV_VCPU_MSRS",
    [0x0d] = "VERIFY",
    [0x0e] = "CHECKPOINT",
    [0x0f] = "CHECKPOINT_DIRTY_PFN_LIST",
};

/* Page types (the top 4 bits of a PAGE_DATA entry, Xen's
 * XEN_DOMCTL_PFINFO_*): what to do with each. */
enum page_action { PG_UNKNOWN = 0, PG_DATA, PG_ALLOC, PG_HOLE };
static const enum page_action page_actions[16] = {
    [0x0] = PG_DATA,  /* NOTAB */
    [0x1] = PG_DATA,  /* L1TAB */
    [0x2] = PG_DATA,  /* L2TAB */
    [0x3] = PG_DATA,  /* L3TAB */
    [0x4] = PG_DATA,  /* L4TAB */
    [0x9] = PG_DATA,  /* L1TAB | LPINTAB (pinned) */
    [0xa] = PG_DATA,  /* L2TAB | LPINTAB */
    [0xb] = PG_DATA,  /* L3TAB | LPINTAB */
    [0xc] = PG_DATA,  /* L4TAB | LPINTAB */
    [0xd] = PG_HOLE,  /* BROKEN */
    [0xe] = PG_ALLOC, /* XALLOC: populate, no data */
    [0xf] = PG_HOLE,  /* XTAB: not populated */
};

uint32_t snap_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

uint64_t snap_le64(const uint8_t *p)
{
    /* One load on a little-endian host: a PVH stream has a million hole
     * entries, read here one by one. */
    uint64_t v;
    memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return v;
#else
    return (uint64_t)snap_le32(p) | (uint64_t)snap_le32(p + 4) << 32;
#endif
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           (uint32_t)p[3];
}

static int fail(char *err, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (len)
        vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static bool page_is_zero(const uint8_t *p)
{
    /* Word at a time where aligned; the compiler vectorises this. */
    uint64_t acc = 0;
    for (size_t i = 0; i < SNAP_PAGE_SIZE; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        acc |= w;
    }
    return acc == 0;
}

struct parse {
    const uint8_t *buf;
    size_t len;
    struct snap_stream_index *idx;
    size_t cap;      /* of idx->pages */
    uint64_t seq;    /* entries seen, for "the last copy wins" */
    uint64_t *order; /* seq of each page, parallel to idx->pages */
    char *err;
    size_t errlen;
};

static int add_page(struct parse *p, uint64_t pfn, uint64_t off,
                    enum snap_page_kind kind)
{
    struct snap_stream_index *idx = p->idx;
    if (idx->nr_pages == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 1024;
        struct snap_page *pages = realloc(idx->pages, cap * sizeof(*pages));
        if (!pages)
            return -ENOMEM;
        idx->pages = pages;
        uint64_t *order = realloc(p->order, cap * sizeof(*order));
        if (!order)
            return -ENOMEM;
        p->order = order;
        p->cap = cap;
    }
    idx->pages[idx->nr_pages] =
        (struct snap_page){ .pfn = pfn, .offset = off, .kind = kind };
    p->order[idx->nr_pages++] = p->seq++;
    return 0;
}

/* body: the record's payload at offset off, length len (checked). */
static int page_data(struct parse *p, uint64_t off, uint32_t len)
{
    const uint8_t *b = p->buf + off;
    if (len < 8)
        return fail(p->err, p->errlen, "a PAGE_DATA record is truncated");
    uint32_t count = snap_le32(b);
    if (count == 0)
        return fail(p->err, p->errlen, "a PAGE_DATA record has no pages");
    if ((uint64_t)count * 8 > len - 8)
        return fail(p->err, p->errlen,
                    "a PAGE_DATA record is too short for its %u pfns", count);
    uint64_t data = off + 8 + (uint64_t)count * 8;
    uint64_t with_data = 0, holes = 0;
    for (uint32_t i = 0; i < count; i++) {
        uint64_t e = snap_le64(b + 8 + (uint64_t)i * 8);
        unsigned type = (unsigned)(e >> 60);
        if (e & ~PFN_MASK & ~(UINT64_C(0xf) << 60))
            return fail(p->err, p->errlen,
                        "a PAGE_DATA entry has reserved bits set");
        if (page_actions[type] == PG_UNKNOWN)
            return fail(p->err, p->errlen,
                        "a PAGE_DATA entry has an unknown page type %#x", type);
        with_data += page_actions[type] == PG_DATA;
        holes += page_actions[type] == PG_HOLE;
    }
    if (len != 8 + (uint64_t)count * 8 + with_data * SNAP_PAGE_SIZE)
        return fail(p->err, p->errlen,
                    "a PAGE_DATA record's length does not match its pages");
    if (holes == count) { /* most records of a PVH stream: nothing more */
        p->idx->nr_holes += holes;
        return 0;
    }
    for (uint32_t i = 0; i < count; i++) {
        uint64_t e = snap_le64(b + 8 + (uint64_t)i * 8);
        uint64_t pfn = e & PFN_MASK;
        int rc = 0;
        switch (page_actions[e >> 60]) {
            case PG_DATA:
                rc = add_page(p, pfn, data,
                              page_is_zero(p->buf + data) ? SNAP_PAGE_ZERO
                                                          : SNAP_PAGE_DATA);
                data += SNAP_PAGE_SIZE;
                break;
            case PG_ALLOC:
                rc = add_page(p, pfn, 0, SNAP_PAGE_ALLOC);
                break;
            default:
                p->idx->nr_holes++;
                break;
        }
        if (rc)
            return rc;
    }
    return 0;
}

/* One state record: its fixed shape checked, then kept (the last wins). */
static int state_record(struct parse *p, uint32_t type, uint64_t off,
                        uint32_t len)
{
    struct snap_stream_index *idx = p->idx;
    struct snap_blob blob = { .offset = off, .len = len };
    switch (type) {
        case REC_X86_TSC_INFO:
            if (len != 24)
                return fail(p->err, p->errlen,
                            "the X86_TSC_INFO record has length %u, not 24",
                            len);
            idx->tsc = blob;
            return 0;
        case REC_HVM_CONTEXT:
            if (len == 0)
                return fail(p->err, p->errlen, "the HVM_CONTEXT is empty");
            idx->hvm_context = blob;
            return 0;
        case REC_HVM_PARAMS: {
            if (len < 8)
                return fail(p->err, p->errlen,
                            "the HVM_PARAMS record is truncated");
            uint32_t count = snap_le32(p->buf + off);
            if (len != 8 + (uint64_t)count * 16)
                return fail(p->err, p->errlen,
                            "the HVM_PARAMS record's length does not match "
                            "its %u entries",
                            count);
            idx->hvm_params = blob;
            return 0;
        }
        case REC_X86_CPUID_POLICY:
            if (len == 0 || len % 24)
                return fail(p->err, p->errlen,
                            "the X86_CPUID_POLICY record's length %u is not "
                            "a multiple of 24",
                            len);
            idx->cpuid = blob;
            return 0;
        case REC_X86_MSR_POLICY:
            if (len == 0 || len % 16)
                return fail(p->err, p->errlen,
                            "the X86_MSR_POLICY record's length %u is not "
                            "a multiple of 16",
                            len);
            idx->msr = blob;
            return 0;
        default:
            return 1; /* not a state record */
    }
}

static int headers(struct parse *p)
{
    const uint8_t *b = p->buf;
    struct snap_stream_index *idx = p->idx;
    if (p->len < IHDR_SIZE + DHDR_SIZE)
        return fail(p->err, p->errlen,
                    "the memory stream is truncated (in its headers)");
    if (snap_le64(b) != UINT64_MAX || be32(b + 8) != IHDR_ID)
        return fail(p->err, p->errlen,
                    "the memory stream is not a Xen migration stream");
    idx->version = be32(b + 12);
    if (idx->version < 2 || idx->version > 3)
        return fail(p->err, p->errlen,
                    "the memory stream has version %u (2 or 3 expected)",
                    idx->version);
    if (b[16] | b[17]) /* options, big-endian: bit 0 = big-endian stream */
        return fail(p->err, p->errlen,
                    "the memory stream has options set (big-endian?)");
    idx->guest_type = snap_le32(b + 24);
    unsigned page_shift = (unsigned)b[28] | (unsigned)b[29] << 8;
    idx->xen_major = snap_le32(b + 32);
    idx->xen_minor = snap_le32(b + 36);
    if (idx->guest_type != DHDR_X86_HVM)
        return fail(p->err, p->errlen,
                    "the memory stream is of guest type %u, not x86 HVM "
                    "(PVH): restoring it in place is not possible",
                    idx->guest_type);
    if (page_shift != 12)
        return fail(p->err, p->errlen,
                    "the memory stream has pages of 2^%u bytes, not 4 KiB",
                    page_shift);
    return 0;
}

static int records(struct parse *p)
{
    uint64_t off = IHDR_SIZE + DHDR_SIZE;
    for (;;) {
        if (p->len - off < RHDR_SIZE)
            return fail(p->err, p->errlen,
                        "the memory stream is truncated (no END record)");
        uint32_t type = snap_le32(p->buf + off);
        uint32_t len = snap_le32(p->buf + off + 4);
        off += RHDR_SIZE;
        if (len > REC_LENGTH_MAX)
            return fail(p->err, p->errlen,
                        "a record of the memory stream is too long (%u)", len);
        uint64_t padded = ((uint64_t)len + 7) & ~UINT64_C(7);
        if (padded > p->len - off)
            return fail(p->err, p->errlen,
                        "the memory stream is truncated (in a record)");
        int rc = 0;
        if (type == REC_END) {
            if (len != 0)
                return fail(p->err, p->errlen, "the END record has a body");
            if (off != p->len)
                return fail(p->err, p->errlen,
                            "the memory stream has data after its END");
            return 0;
        } else if (type == REC_PAGE_DATA) {
            rc = page_data(p, off, len);
        } else if (type == REC_STATIC_DATA_END) {
            rc = 0;
        } else if ((rc = state_record(p, type, off, len)) == 1) {
            rc = 0;
            if (!(type & REC_OPTIONAL)) {
                size_t n = sizeof(other_records) / sizeof(other_records[0]);
                const char *name = type < n ? other_records[type] : NULL;
                return fail(p->err, p->errlen,
                            "the memory stream has a record %s%s%#x that an "
                            "in-place restore does not handle",
                            name ? name : "", name ? " " : "of type ", type);
            }
        }
        if (rc)
            return rc;
        off += padded;
    }
}

/* Sorts by pfn, then stream order; keeps each pfn's last entry. */
static int by_pfn(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] < y[1] ? -1 : x[1] > y[1];
}

static int sort_unique(struct parse *p)
{
    struct snap_stream_index *idx = p->idx;
    size_t n = idx->nr_pages;
    /* (pfn, seq, position) triples sorted, then the pages permuted. */
    uint64_t(*keys)[3] = malloc((n ? n : 1) * sizeof(*keys));
    struct snap_page *out = malloc((n ? n : 1) * sizeof(*out));
    if (!keys || !out) {
        free(keys);
        free(out);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        keys[i][0] = idx->pages[i].pfn;
        keys[i][1] = p->order[i];
        keys[i][2] = i;
    }
    qsort(keys, n, sizeof(*keys), by_pfn);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && keys[i + 1][0] == keys[i][0])
            continue; /* a later copy of this pfn follows */
        out[m++] = idx->pages[keys[i][2]];
    }
    free(keys);
    free(idx->pages);
    idx->pages = out;
    idx->nr_pages = m;
    for (size_t i = 0; i < m; i++) {
        idx->nr_data += out[i].kind == SNAP_PAGE_DATA;
        idx->nr_zero += out[i].kind == SNAP_PAGE_ZERO;
        idx->nr_alloc += out[i].kind == SNAP_PAGE_ALLOC;
    }
    return 0;
}

int snap_stream_index(const uint8_t *buf, size_t len,
                      struct snap_stream_index *idx, char *err, size_t errlen)
{
    memset(idx, 0, sizeof(*idx));
    if (errlen)
        err[0] = '\0';
    struct parse p = {
        .buf = buf, .len = len, .idx = idx, .err = err, .errlen = errlen
    };
    int rc = headers(&p);
    if (!rc)
        rc = records(&p);
    if (!rc && idx->nr_pages == 0)
        rc = fail(err, errlen, "the memory stream has no pages");
    if (!rc)
        rc = sort_unique(&p);
    free(p.order);
    if (rc == -ENOMEM)
        fail(err, errlen, "out of memory");
    if (rc)
        snap_stream_free(idx);
    return rc;
}

void snap_stream_free(struct snap_stream_index *idx)
{
    free(idx->pages);
    idx->pages = NULL;
    idx->nr_pages = 0;
}

void snap_stream_tsc(const uint8_t *buf, const struct snap_stream_index *idx,
                     struct snap_tsc *out)
{
    const uint8_t *b = buf + idx->tsc.offset;
    out->mode = snap_le32(b);
    out->khz = snap_le32(b + 4);
    out->nsec = snap_le64(b + 8);
    out->incarnation = snap_le32(b + 16);
}

unsigned snap_stream_nr_params(const struct snap_stream_index *idx)
{
    return idx->hvm_params.len ? (idx->hvm_params.len - 8) / 16 : 0;
}

void snap_stream_param(const uint8_t *buf, const struct snap_stream_index *idx,
                       unsigned i, uint64_t *index, uint64_t *value)
{
    const uint8_t *b = buf + idx->hvm_params.offset + 8 + (size_t)i * 16;
    *index = snap_le64(b);
    *value = snap_le64(b + 8);
}
