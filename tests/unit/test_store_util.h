/*
 * test_store_util.h - a client of the private store for test_store.c:
 * sends one request on a connection and splits what comes back into the
 * reply and the watch events.
 */
#ifndef CHAOS_TEST_STORE_UTIL_H
#define CHAOS_TEST_STORE_UTIL_H

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "store/store.h"
#include "store/store_wire.h"

/* A string literal as a payload: with its NUL (ARG), or without (RAW). */
#define ARG(lit) lit, sizeof(lit)
#define RAW(lit) lit, sizeof(lit) - 1

struct tmsg {
    struct xsd_sockmsg h;
    char data[XENSTORE_PAYLOAD_MAX * 2 + 1];
};

#define TEV_MAX 64
/* Watch events received per connection, oldest first. */
struct tevents {
    unsigned n;
    char path[TEV_MAX][256];
    char token[TEV_MAX][64];
};

/* The next message queued for c, consumed: false if none. */
static inline bool tnext(struct store_conn *c, struct tmsg *m)
{
    const void *p;
    size_t n = store_conn_peek(c, &p);
    if (n < sizeof(m->h))
        return false;
    memcpy(&m->h, p, sizeof(m->h));
    ck_assert_uint_le(sizeof(m->h) + m->h.len, n);
    ck_assert_uint_le(m->h.len, XENSTORE_PAYLOAD_MAX);
    memcpy(m->data, (const char *)p + sizeof(m->h), m->h.len);
    m->data[m->h.len] = '\0';
    store_conn_consume(c, sizeof(m->h) + m->h.len);
    return true;
}

static inline void tkeep_event(struct tevents *ev, const struct tmsg *m)
{
    ck_assert_uint_eq(m->h.type, XS_WATCH_EVENT);
    if (ev->n == TEV_MAX)
        return;
    const char *token = m->data + strlen(m->data) + 1;
    ck_assert_uint_lt(strlen(m->data), sizeof(ev->path[0]));
    ck_assert_uint_lt(strlen(token), sizeof(ev->token[0]));
    strcpy(ev->path[ev->n], m->data);
    strcpy(ev->token[ev->n], token);
    ev->n++;
}

/* Moves every event queued for c into ev (NULL: dropped). */
static inline void tdrain(struct store_conn *c, struct tevents *ev)
{
    struct tmsg m;
    while (tnext(c, &m))
        if (ev)
            tkeep_event(ev, &m);
}

/* Sends a request with tx_id tx and returns the one reply; the events
 * that came with it go to ev. */
static inline struct tmsg treq(struct store_conn *c, struct tevents *ev,
                               uint32_t type, uint32_t tx, const void *data,
                               size_t len)
{
    static uint32_t req_id = 100;
    char buf[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
    struct xsd_sockmsg h = { type, ++req_id, tx, (uint32_t)len };
    ck_assert_uint_le(len, XENSTORE_PAYLOAD_MAX);
    memcpy(buf, &h, sizeof(h));
    memcpy(buf + sizeof(h), data, len);
    ck_assert_int_eq(store_conn_input(c, buf, sizeof(h) + len),
                     (ssize_t)(sizeof(h) + len));
    struct tmsg m, reply;
    bool got = false;
    while (tnext(c, &m)) {
        if (m.h.type == XS_WATCH_EVENT && m.h.req_id == 0) {
            if (ev)
                tkeep_event(ev, &m);
            continue;
        }
        ck_assert_msg(!got, "two replies");
        ck_assert_uint_eq(m.h.req_id, req_id);
        ck_assert_uint_eq(m.h.tx_id, tx);
        reply = m;
        got = true;
    }
    ck_assert_msg(got, "no reply");
    return reply;
}

/* The request succeeds with a reply of its own type. */
#define TOK(c, op, tx, ...)                                              \
    do {                                                                 \
        struct tmsg r_ = treq((c), NULL, (op), (tx), __VA_ARGS__);       \
        ck_assert_msg(r_.h.type == (uint32_t)(op), "error %s", r_.data); \
    } while (0)
/* The request fails with the error named err ("ENOENT"). */
#define TERR(c, err, op, tx, ...)                                  \
    do {                                                           \
        struct tmsg r_ = treq((c), NULL, (op), (tx), __VA_ARGS__); \
        ck_assert_uint_eq(r_.h.type, XS_ERROR);                    \
        ck_assert_str_eq(r_.data, (err));                          \
        ck_assert_uint_eq(r_.h.len, strlen(err) + 1);              \
    } while (0)

#endif /* CHAOS_TEST_STORE_UTIL_H */
