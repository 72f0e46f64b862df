/*
 * fuzz_snapshot_stream.c - libFuzzer target for the index of an image's
 * migration stream (libchaos/snapshot_stream.c): the in-place restore
 * copies guest memory from where the index points, so an image that is
 * damaged or hostile must never make it point outside the stream.  Built
 * and run by `make fuzz-stream` (libchaos/local.mk); seeds in
 * tests/fuzz/corpus/stream (written by test_snapshot_stream with
 * CHAOS_STREAM_CORPUS=DIR).
 *
 * Beyond "no crash, no UB": every page's data and every state record lie
 * inside the buffer, pfns are sorted and unique, a page called zero is
 * zero and a page called data is not, and the counts add up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot_stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "index invariant broken: %s\n", what);
        abort();
    }
}

static void blob_inside(const struct snap_blob *b, size_t size)
{
    check(b->len == 0 || (b->offset <= size && b->len <= size - b->offset),
          "a state record outside the buffer");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[SNAP_STREAM_ERR_MAX];
    struct snap_stream_index idx;
    if (snap_stream_index(data, size, &idx, err, sizeof(err)) != 0) {
        check(err[0] != '\0', "a refusal without a message");
        return 0;
    }
    size_t counted[3] = { 0 };
    static const uint8_t zero[SNAP_PAGE_SIZE];
    for (size_t i = 0; i < idx.nr_pages; i++) {
        const struct snap_page *p = &idx.pages[i];
        check(i == 0 || idx.pages[i - 1].pfn < p->pfn, "pfns not sorted");
        check(p->kind <= SNAP_PAGE_ALLOC, "a page of no kind");
        counted[p->kind]++;
        if (p->kind == SNAP_PAGE_ALLOC)
            continue;
        check(p->offset <= size && SNAP_PAGE_SIZE <= size - p->offset,
              "a page's data outside the buffer");
        bool is_zero = !memcmp(data + p->offset, zero, SNAP_PAGE_SIZE);
        check(is_zero == (p->kind == SNAP_PAGE_ZERO), "zero page misjudged");
    }
    check(counted[SNAP_PAGE_DATA] == idx.nr_data &&
              counted[SNAP_PAGE_ZERO] == idx.nr_zero &&
              counted[SNAP_PAGE_ALLOC] == idx.nr_alloc,
          "counts do not add up");
    blob_inside(&idx.tsc, size);
    blob_inside(&idx.hvm_context, size);
    blob_inside(&idx.hvm_params, size);
    blob_inside(&idx.cpuid, size);
    blob_inside(&idx.msr, size);
    check(idx.tsc.len == 0 || idx.tsc.len == 24, "a TSC record of odd size");
    check(idx.hvm_params.len == 0 ||
              8 + 16 * (size_t)snap_stream_nr_params(&idx) ==
                  idx.hvm_params.len,
          "HVM_PARAMS count and length differ");
    for (unsigned i = 0; i < snap_stream_nr_params(&idx); i++) {
        uint64_t k, v;
        snap_stream_param(data, &idx, i, &k, &v);
    }
    if (idx.tsc.len) {
        struct snap_tsc tsc;
        snap_stream_tsc(data, &idx, &tsc);
    }
    snap_stream_free(&idx);
    return 0;
}
