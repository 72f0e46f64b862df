/*
 * fuzz_chaosd_metrics_http.c - libFuzzer target for what a client sends
 * to chaosd's metrics_listen socket (metrics_http_parse, metrics.c).
 * Built and run by `make fuzz-chaosd` (see chaosd/local.mk).
 *
 * Properties checked beyond "no crash, no leak, no UB": the verdict is
 * one of the known ones and final (more bytes never change it), every
 * prefix of an accepted request asked for more, and only "GET"/"HEAD"
 * with a /metrics target are accepted.
 */
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    bool head;
    enum metrics_http_verdict v = metrics_http_parse(buf, size, &head);
    switch (v) {
        case METRICS_HTTP_MORE:
            if (size >= METRICS_HTTP_MAX_REQUEST)
                abort();
            return 0;
        case METRICS_HTTP_OK:
            if (memcmp(buf, head ? "HEAD /metrics" : "GET /metrics",
                       head ? 13 : 12))
                abort();
            break;
        case METRICS_HTTP_BAD:
        case METRICS_HTTP_NOT_FOUND:
        case METRICS_HTTP_METHOD:
        case METRICS_HTTP_TOO_LARGE:
            break;
        default:
            abort();
    }
    /* Final: the verdict of a longer input that starts the same. */
    char *more = malloc(size + 8);
    if (!more)
        return 0;
    memcpy(more, buf, size);
    memcpy(more + size, "GET /\r\n\r", 8);
    bool head2;
    if (metrics_http_parse(more, size + 8, &head2) != v || head2 != head)
        abort();
    free(more);
    return 0;
}
