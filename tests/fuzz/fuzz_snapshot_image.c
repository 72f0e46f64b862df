/*
 * fuzz_snapshot_image.c - libFuzzer target for the reader of an image's
 * chaos header (libchaos/snapshot_image.c): an image file may be damaged
 * or hostile.  Built and run by `make fuzz-snapshot` (libchaos/local.mk);
 * seeds in tests/fuzz/corpus/snapshot (written by test_snapshot_image
 * with CHAOS_SNAP_CORPUS=DIR).
 *
 * Beyond "no crash, no UB": a header that decodes must encode back to the
 * same bytes (every accepted byte has one meaning), and its size must be
 * what snap_header_size() announced.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot_image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[SNAP_ERR_MAX];
    long want = snap_header_size(data, size, err, sizeof(err));
    if (want < 0 || (size_t)want > size)
        return 0;
    struct snap_header h;
    char *config = NULL;
    if (snap_header_decode(data, (size_t)want, &h, &config, err, sizeof(err)) !=
        0)
        return 0;
    (void)snap_check_stream(&h, size, err, sizeof(err));
    uint8_t *again = NULL;
    size_t len = 0;
    if (snap_header_encode(&h, config, &again, &len, err, sizeof(err)) != 0) {
        fprintf(stderr, "decoded header does not encode: %s\n", err);
        abort();
    }
    if (len != (size_t)want || memcmp(again, data, len) != 0) {
        fprintf(stderr, "decoded header encodes to other bytes\n");
        abort();
    }
    free(again);
    free(config);
    return 0;
}
