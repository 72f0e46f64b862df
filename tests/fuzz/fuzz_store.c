/*
 * fuzz_store.c - libFuzzer target for the private per-guest XenStore
 * (libchaos/store/): the request decoder, the operations, watches,
 * transactions and the ring page, all fed by hostile bytes.  Built and run
 * by `make fuzz-store` (libchaos/store/local.mk); seeds in
 * tests/fuzz/corpus/store.
 *
 * The input is a script of steps, each a selector byte then its bytes:
 *   0 raw bytes to the guest's connection   (1-byte length, bytes)
 *   1 raw bytes to dom0's connection        (1-byte length, bytes)
 *   2 a well-framed request from the guest  (type, tx_id, 2-byte length,
 *   3 a well-framed request from dom0        payload)
 *   4 the guest reads n bytes of its output (1 byte)
 *   5 dom0 reads n bytes of its output      (1 byte)
 *   6 a dom0 call (put, remove, access) on one of a few paths
 *   7 the guest's bytes through the ring page (2 index bytes, length,
 *     bytes): what store_ring_peek() gives goes to the guest's connection,
 *     its output back with store_ring_write()
 *   8 the guest reconnects
 * Beyond "no crash, no UB, no leak": the guest never takes the tree past
 * its limits, no connection holds more than max_output bytes, every
 * queued message is whole and at most XENSTORE_PAYLOAD_MAX, a failed
 * connection says why, and the tree's counts match its nodes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "store_ring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define GUEST 3

static void die(const char *what)
{
    fprintf(stderr, "fuzz_store: %s\n", what);
    abort();
}

struct input {
    const uint8_t *p;
    size_t left;
};

static unsigned take(struct input *in)
{
    if (!in->left)
        return 0;
    in->left--;
    return *in->p++;
}

static const uint8_t *take_n(struct input *in, size_t *n)
{
    if (*n > in->left)
        *n = in->left;
    const uint8_t *p = in->p;
    in->p += *n;
    in->left -= *n;
    return p;
}

static void count(const struct store_node *n, unsigned *nodes, size_t *bytes)
{
    (*nodes)++;
    *bytes += n->namelen + n->len;
    for (unsigned i = 0; i < n->nchildren; i++) {
        if (n->children[i]->parent != n)
            die("a child's parent is wrong");
        count(n->children[i], nodes, bytes);
    }
}

/* Bytes of a partly read message still queued, per connection: the
 * client's reads cut messages anywhere, the queue holds whole ones. */
static size_t skip_g, skip_d;

static size_t *skip_of(const struct store_conn *c)
{
    return c->priv ? &skip_d : &skip_g;
}

/* The client reads n bytes (at most what is queued). */
static void client_read(struct store_conn *c, size_t n)
{
    const void *p;
    size_t have = store_conn_peek(c, &p), *skip = skip_of(c), pos = *skip;
    if (n > have)
        die("read past the queue");
    while (pos < n) {
        struct xsd_sockmsg h;
        memcpy(&h, (const char *)p + pos, sizeof(h));
        pos += sizeof(h) + h.len;
    }
    *skip = n < *skip ? *skip - n : pos - n;
    store_conn_consume(c, n);
}

static void check_conn(const struct store *s, const struct store_conn *c)
{
    const void *p;
    const char *why;
    size_t n = store_conn_peek(c, &p), skip = *skip_of(c);
    if (n > s->lim.max_output)
        die("output past max_output");
    if (skip > n)
        die("a partial message vanished");
    if (skip) /* then the queue is not empty: p is not NULL */
        p = (const char *)p + skip;
    n -= skip;
    while (n) {
        struct xsd_sockmsg h;
        if (n < sizeof(h))
            die("a partial header queued");
        memcpy(&h, p, sizeof(h));
        if (h.len > XENSTORE_PAYLOAD_MAX || sizeof(h) + h.len > n)
            die("a queued message too long or partial");
        p = (const char *)p + sizeof(h) + h.len;
        n -= sizeof(h) + h.len;
    }
    if (store_conn_failed(c, &why) && (!why || !why[0]))
        die("a failed connection without a reason");
    if (c->nwatches > s->lim.max_watches || c->ntxs > s->lim.max_transactions)
        die("watches or transactions past their limit");
}

static void check(const struct store *s)
{
    unsigned nodes = 0;
    size_t bytes = 0;
    count(s->tree.root, &nodes, &bytes);
    if (nodes != s->tree.nodes || bytes != s->tree.bytes)
        die("the tree's counts are wrong");
    for (const struct store_conn *c = s->conns; c; c = c->next)
        check_conn(s, c);
}

/* Feeds the guest's bytes; the guest may not grow the tree past the
 * limits (dom0 may, so only growth is judged). */
static ssize_t guest_input(struct store *s, struct store_conn *g, const void *b,
                           size_t n)
{
    unsigned n0, n1;
    size_t b0, b1;
    store_usage(s, &n0, &b0);
    ssize_t r = store_conn_input(g, b, n);
    if (r != -EPROTO && (r < 0 || (size_t)r > n))
        die("input count out of range");
    if (r == -EPROTO && !store_conn_failed(g, NULL))
        die("-EPROTO on a live connection");
    store_usage(s, &n1, &b1);
    if ((n1 > n0 && n1 > s->lim.max_nodes) ||
        (b1 > b0 && b1 > s->lim.max_bytes))
        die("the guest grew the tree past its limits");
    return r;
}

static void request(struct store_conn *c, struct input *in, bool guest,
                    struct store *s)
{
    uint8_t buf[sizeof(struct xsd_sockmsg) + 1024];
    struct xsd_sockmsg h = { .type = take(in) % (XS_TYPE_COUNT + 1),
                             .req_id = 7,
                             .tx_id = take(in) % 4 };
    size_t len = (take(in) << 8 | take(in)) % 1024;
    const uint8_t *p = take_n(in, &len);
    h.len = (uint32_t)len;
    memcpy(buf, &h, sizeof(h));
    memcpy(buf + sizeof(h), p, len);
    if (guest)
        guest_input(s, c, buf, sizeof(h) + len);
    else
        store_conn_input(c, buf, sizeof(h) + len);
}

static const char *const paths[] = {
    "/local/domain/3",
    "/local/domain/3/device/vif/0/state",
    "/local/domain/3/control/shutdown",
    "/local/domain/0/backend/vif/3/0/state",
    "/secret",
    "/",
};

static void dom0_call(struct store *s, struct input *in)
{
    unsigned op = take(in), which = take(in) % 6;
    const char *path = paths[which];
    char value[8];
    snprintf(value, sizeof(value), "%u", take(in));
    enum store_guest_access a = (enum store_guest_access)(op / 4 % 3);
    int r;
    switch (op % 4) {
        case 0:
        case 1:
            r = store_put(s, path, value, a);
            if (r && r != -EINVAL)
                die("store_put failed");
            break;
        case 2:
            r = store_remove(s, path);
            if (r && r != -ENOENT && r != -EINVAL)
                die("store_remove failed");
            break;
        default:
            r = store_set_access(s, path, a);
            if (r && r != -ENOENT)
                die("store_set_access failed");
            break;
    }
}

static void ring_step(struct store *s, struct store_conn *g, void *page,
                      struct input *in)
{
    struct xenstore_domain_interface *intf = page;
    /* The guest's indices: sane or wild. */
    unsigned sel = take(in);
    size_t len = take(in);
    const uint8_t *p = take_n(in, &len);
    for (size_t i = 0; i < len; i++)
        intf->req[MASK_XENSTORE_IDX(intf->req_prod + i)] = (char)p[i];
    intf->req_prod += (uint32_t)len;
    if (sel & 1)
        intf->req_prod += sel << 20;
    if (sel & 2)
        intf->rsp_cons = intf->rsp_prod - (uint32_t)(sel << 4);
    char buf[XENSTORE_RING_SIZE];
    ssize_t got = store_ring_peek(page, buf, sizeof(buf));
    if (got < 0 && got != -EPROTO)
        die("peek error code");
    if (got > XENSTORE_RING_SIZE)
        die("peeked past the ring");
    if (got > 0 && !store_conn_failed(g, NULL)) {
        ssize_t r = guest_input(s, g, buf, (size_t)got);
        if (r > 0)
            store_ring_consume(page, (size_t)r);
    }
    const void *out;
    size_t n = store_conn_peek(g, &out);
    ssize_t w = store_ring_write(page, out, n);
    if (w > 0) {
        if ((size_t)w > n)
            die("wrote more than asked");
        client_read(g, (size_t)w);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static _Alignas(4096) uint8_t page[STORE_RING_PAGE_SIZE];
    struct store_limits lim = {
        .max_nodes = 64,
        .max_bytes = 2048,
        .max_value = 64,
        .max_watches = 8,
        .max_transactions = 3,
        .max_output = 4096,
    };
    struct store *s;
    struct store_conn *g, *d;
    struct input in = { data, size };
    skip_g = skip_d = 0;
    if (store_new(GUEST, &lim, &s) ||
        store_put(s, "/local/domain/3", "", STORE_GUEST_OWNS) ||
        store_connect(s, GUEST, &g) || store_connect(s, 0, &d))
        die("setup");
    store_ring_init(page);
    while (in.left) {
        unsigned step = take(&in) % 9;
        size_t n;
        const uint8_t *p;
        switch (step) {
            case 0:
            case 1:
                n = take(&in);
                p = take_n(&in, &n);
                if (step == 0)
                    guest_input(s, g, p, n);
                else
                    store_conn_input(d, p, n);
                break;
            case 2:
            case 3:
                request(step == 2 ? g : d, &in, step == 2, s);
                break;
            case 4:
            case 5: {
                const void *out;
                struct store_conn *c = step == 4 ? g : d;
                size_t have = store_conn_peek(c, &out);
                n = take(&in) * 16u;
                client_read(c, n < have ? n : have);
                break;
            }
            case 6:
                dom0_call(s, &in);
                break;
            case 7:
                ring_step(s, g, page, &in);
                break;
            default:
                store_disconnect(g);
                skip_g = 0;
                if (store_connect(s, GUEST, &g))
                    die("reconnect");
                store_ring_init(page);
                break;
        }
        check(s);
        if (store_conn_failed(d, NULL)) {
            store_disconnect(d);
            skip_d = 0;
            if (store_connect(s, 0, &d))
                die("reconnect dom0");
        }
    }
    store_free(s);
    return 0;
}
