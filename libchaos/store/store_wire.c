/*
 * store_wire.c - decoding requests and queueing replies (store_wire.h).
 *
 * The decoder copies every byte out of the caller's buffer (which may be
 * guest memory) before looking at it, and checks the announced length
 * as soon as the header is complete, as xenstored does, so a request
 * never needs more than one XENSTORE_PAYLOAD_MAX buffer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_wire.h"

void store_decoder_reset(struct store_decoder *d)
{
    d->have = 0;
    d->in_payload = false;
}

int store_decoder_feed(struct store_decoder *d, const void *data, size_t len,
                       size_t *used)
{
    const char *p = data;
    *used = 0;
    if (!d->in_payload) {
        size_t want = sizeof(d->msg) - d->have;
        size_t n = len < want ? len : want;
        memcpy((char *)&d->msg + d->have, p, n);
        d->have += n;
        *used += n;
        if (d->have < sizeof(d->msg))
            return 0;
        if (d->msg.len > XENSTORE_PAYLOAD_MAX)
            return -EPROTO;
        d->in_payload = true;
        d->have = 0;
    }
    size_t want = d->msg.len - d->have;
    size_t n = len - *used < want ? len - *used : want;
    memcpy(d->payload + d->have, p + *used, n);
    d->have += n;
    *used += n;
    if (d->have < d->msg.len)
        return 0;
    d->payload[d->msg.len] = '\0';
    return 1;
}

void store_outq_fini(struct store_outq *q)
{
    free(q->buf);
    memset(q, 0, sizeof(*q));
}

int store_outq_push(struct store_outq *q, uint32_t type, uint32_t req_id,
                    uint32_t tx_id, const struct store_part *parts, size_t n)
{
    size_t plen = 0;
    for (size_t i = 0; i < n; i++)
        plen += parts[i].len;
    struct xsd_sockmsg h = {
        .type = type, .req_id = req_id, .tx_id = tx_id, .len = (uint32_t)plen
    };
    size_t need = sizeof(h) + plen;
    if (q->head && q->head + q->len + need > q->cap) {
        /* Move the unsent bytes to the front before growing. */
        memmove(q->buf, q->buf + q->head, q->len);
        q->head = 0;
    }
    if (q->len + need > q->cap) {
        size_t cap = q->cap ? q->cap : 4096;
        while (cap < q->len + need)
            cap *= 2;
        char *b = realloc(q->buf, cap);
        if (!b)
            return -ENOMEM;
        q->buf = b;
        q->cap = cap;
    }
    char *w = q->buf + q->head + q->len;
    memcpy(w, &h, sizeof(h));
    w += sizeof(h);
    for (size_t i = 0; i < n; i++) {
        if (parts[i].len)
            memcpy(w, parts[i].data, parts[i].len);
        w += parts[i].len;
    }
    q->len += need;
    return 0;
}

void store_outq_consume(struct store_outq *q, size_t n)
{
    if (n > q->len)
        n = q->len;
    q->head += n;
    q->len -= n;
    if (!q->len)
        q->head = 0;
}

int store_outq_append(struct store_outq *q, const void *data, size_t len)
{
    if (!len)
        return 0;
    if (q->len + len > q->cap - q->head || !q->buf) {
        size_t cap = q->cap ? q->cap : 4096;
        while (cap < q->len + len)
            cap *= 2;
        char *b = malloc(cap);
        if (!b)
            return -ENOMEM;
        if (q->len)
            memcpy(b, q->buf + q->head, q->len);
        free(q->buf);
        q->buf = b;
        q->cap = cap;
        q->head = 0;
    }
    memcpy(q->buf + q->head + q->len, data, len);
    q->len += len;
    return 0;
}

const char *store_errno_name(int err)
{
    for (size_t i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
        if (xsd_errors[i].errnum == err)
            return xsd_errors[i].errstring;
    return "EINVAL"; /* xenstored's answer for an untranslatable error */
}
