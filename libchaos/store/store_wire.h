/*
 * store_wire.h - the XenStore wire format (xen/io/xs_wire.h) for the
 * private store: an incremental decoder of requests (a struct
 * xsd_sockmsg header, then its payload) and the output queue replies and
 * watch events are encoded into.
 */
#ifndef CHAOS_STORE_WIRE_H
#define CHAOS_STORE_WIRE_H

#include <errno.h> /* before xs_wire.h: its xsd_errors[] needs EINVAL */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/io/xs_wire.h>

/* One request being received. */
struct store_decoder {
    size_t have; /* bytes of header, then of payload, received */
    bool in_payload;
    struct xsd_sockmsg msg;
    char payload[XENSTORE_PAYLOAD_MAX + 1]; /* + a NUL after the payload */
};

void store_decoder_reset(struct store_decoder *d);
/*
 * Takes bytes from data (len of them) until a request is complete:
 * *used how many were taken; 1 when d->msg and d->payload hold a whole
 * request (reset the decoder after handling it), 0 when more is needed,
 * -EPROTO when the header announces a payload over XENSTORE_PAYLOAD_MAX.
 */
int store_decoder_feed(struct store_decoder *d, const void *data, size_t len,
                       size_t *used);

/* Bytes waiting for a client: buf[head .. head + len). */
struct store_outq {
    char *buf;
    size_t head, len, cap;
};

void store_outq_fini(struct store_outq *q);
/*
 * Appends one message: header (type, req_id, tx_id) and a payload made
 * of parts[0..n) (the payload's length is their sum).  0, or -ENOMEM.
 */
struct store_part {
    const void *data;
    size_t len;
};
int store_outq_push(struct store_outq *q, uint32_t type, uint32_t req_id,
                    uint32_t tx_id, const struct store_part *parts, size_t n);
void store_outq_consume(struct store_outq *q, size_t n);
/* Appends len raw bytes (a queue restored from a snapshot).  0, -ENOMEM. */
int store_outq_append(struct store_outq *q, const void *data, size_t len);

/* The wire name of a positive errno ("ENOENT"); EINVAL's for others. */
const char *store_errno_name(int err);

#endif /* CHAOS_STORE_WIRE_H */
