/*
 * snapshot_stream.h - an index of libxenguest's migration stream (v2 and
 * v3, Xen's docs/specs/libxc-migration-stream.pandoc) for the in-place
 * restore (docs/snapshot.md, "In-place restore"): pure code over a memory
 * buffer (the image mapped from the page cache), no Xen, no I/O, so the
 * unit test and the fuzz target run it as it is.
 *
 * The index says, for each pfn the stream populates, where its 4 KiB of
 * data are in the buffer and whether they are all zero, and where the
 * state records (TSC, HVM context, HVM parameters, CPUID and MSR policy)
 * are.  Nothing is copied: the index points into the buffer.  The stream
 * is untrusted: every length, count and type is checked against the
 * buffer and the format before anything points at it.
 *
 * Only what a plain (non-checkpointed) save of an x86 HVM/PVH guest
 * writes is accepted; a record that only PV guests, Remus or COLO use is
 * refused by name rather than half understood.
 */
#ifndef CHAOS_SNAPSHOT_STREAM_H
#define CHAOS_SNAPSHOT_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SNAP_PAGE_SIZE 4096u
#define SNAP_STREAM_ERR_MAX 200

/* What a pfn of the stream needs. */
enum snap_page_kind {
    SNAP_PAGE_DATA = 0,  /* populated, its data non-zero: copy it */
    SNAP_PAGE_ZERO = 1,  /* populated, its data all zero */
    SNAP_PAGE_ALLOC = 2, /* populated, no data in the stream (XALLOC) */
};

struct snap_page {
    uint64_t pfn;
    uint64_t offset; /* of its data in the buffer (DATA, ZERO), else 0 */
    enum snap_page_kind kind;
};

/* A record's payload: offset in the buffer and length; len 0: absent. */
struct snap_blob {
    uint64_t offset;
    uint32_t len;
};

struct snap_stream_index {
    uint32_t version;    /* image header's version: 2 or 3 */
    uint32_t guest_type; /* domain header: 1 x86 PV, 2 x86 HVM */
    uint32_t xen_major, xen_minor;
    /* Sorted by pfn, each pfn once (the stream's last copy of it). */
    struct snap_page *pages;
    size_t nr_pages;
    size_t nr_data, nr_zero, nr_alloc;
    size_t nr_holes; /* XTAB/BROKEN entries: nothing to do */
    /* The last record of each kind. */
    struct snap_blob tsc, hvm_context, hvm_params, cpuid, msr;
};

/* A decoded X86_TSC_INFO record. */
struct snap_tsc {
    uint32_t mode, khz, incarnation;
    uint64_t nsec;
};

/*
 * Reads the stream in buf[0, len): the image header, the domain header
 * and every record up to END, which must be the last bytes of buf.
 * Fills *idx (pages: free with snap_stream_free); 0, -EINVAL (err says
 * what, in words a user can act on) or -ENOMEM.  On failure *idx holds
 * nothing to free.
 */
int snap_stream_index(const uint8_t *buf, size_t len,
                      struct snap_stream_index *idx, char *err, size_t errlen);

void snap_stream_free(struct snap_stream_index *idx);

/* Decodes idx's TSC record (present: idx->tsc.len != 0). */
void snap_stream_tsc(const uint8_t *buf, const struct snap_stream_index *idx,
                     struct snap_tsc *out);

/* The number of HVM parameters, and parameter i of them. */
unsigned snap_stream_nr_params(const struct snap_stream_index *idx);
void snap_stream_param(const uint8_t *buf, const struct snap_stream_index *idx,
                       unsigned i, uint64_t *index, uint64_t *value);

/* Little-endian reads at any alignment (the stream follows a header of
 * any length in the image). */
uint32_t snap_le32(const uint8_t *p);
uint64_t snap_le64(const uint8_t *p);

#endif /* CHAOS_SNAPSHOT_STREAM_H */
