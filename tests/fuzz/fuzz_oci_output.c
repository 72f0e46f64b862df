/*
 * fuzz_oci_output.c - libFuzzer target for chaos-oci's console filter
 * (tools/chaos-oci/oci_output.c): what a guest prints on its console is
 * hostile input to the keeper.
 *
 * The first byte picks a terminal or not and the size of the pieces the
 * rest is fed in; the rest is fed whole and again in those pieces.  Each
 * feed writes at most its input plus OCI_OUTPUT_SLACK bytes (what the
 * keeper's buffers are sized for), finish at most the slack, and both
 * ways give the same output, status and state: the filter is streaming.
 *
 *   make fuzz-oci FUZZ_SECONDS=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci_output.h"

static size_t filter(const char *in, size_t n, size_t step, bool terminal,
                     char *out, struct oci_output *o)
{
    size_t m = 0;
    oci_output_init(o, terminal);
    for (size_t i = 0; i < n; i += step) {
        size_t k = n - i < step ? n - i : step;
        size_t w = oci_output_feed(o, in + i, k, out + m);
        if (w > k + OCI_OUTPUT_SLACK)
            abort();
        m += w;
    }
    size_t w = oci_output_finish(o, out + m);
    if (w > OCI_OUTPUT_SLACK)
        abort();
    return m + w;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    bool terminal = data[0] & 0x80;
    size_t step = (size_t)(data[0] & 0x0f) + 1;
    const char *in = (const char *)data + 1;
    size_t n = size - 1;
    /* Each feed may add the slack: room for one per byte fed. */
    size_t cap = n * (1 + OCI_OUTPUT_SLACK) + 2 * OCI_OUTPUT_SLACK;
    char *a = malloc(cap), *b = malloc(cap);
    if (!a || !b)
        abort();
    struct oci_output whole, pieces;
    size_t na = filter(in, n, n ? n : 1, terminal, a, &whole);
    size_t nb = filter(in, n, step, terminal, b, &pieces);
    if (na != nb || memcmp(a, b, na) != 0 || whole.status != pieces.status ||
        whole.stdin_ready != pieces.stdin_ready || whole.raw != pieces.raw)
        abort();
    /* Output is never longer than input (markers are only taken out,
     * held bytes come back once). */
    if (na > n)
        abort();
    free(a);
    free(b);
    return 0;
}
