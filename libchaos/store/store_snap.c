/*
 * store_snap.c - the store's state as bytes, for the supervisor that
 * takes a guest over (store.h, "handover"; docs/store.md).
 *
 * Layout, host byte order (the snapshot is read back on the same host):
 *
 *   header   magic "CXSS", version, guest, flags, the store's and the
 *            tree's generations, the ring's two indices, then the counts:
 *            nodes, watches, transactions, next_tx, pending bytes,
 *            queued output bytes
 *   nodes    in preorder, root first: parent index (earlier node; root:
 *            ~0), name length, value length, permission count, the
 *            permissions (domid, bits), generation, name, value
 *   watches  path length, token length, prefix, path, token
 *   txs      the ids of the guest's open transactions
 *   pending  the request received in part (header, payload so far)
 *   output   the replies and events not yet in the guest's ring
 *   trailer  FNV-1a 64 of everything before it
 *
 * The decoder treats the bytes as hostile (they come from a root-only
 * directory, but a damaged file must not take the supervisor down):
 * every count and length is bounded before it is used, names and paths
 * follow the store's rules, a name appears once under its parent, a
 * path fits XENSTORE_ABS_PATH_MAX, and the checksum must match.  The
 * store is built only from what passed; on any failure nothing is kept.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define SNAP_MAGIC 0x53535843u /* "CXSS" */
#define SNAP_VERSION 1u
#define SNAP_ROOT UINT32_MAX
#define SNAP_HAS_GUEST 1u
/* Nodes a snapshot may hold: dom0's own writes are exempt from the node
 * quota (store.h), so more than max_nodes, but bounded. */
#define SNAP_NODE_SLACK 1024u

/* No implicit padding: every byte written is a field. */
struct snap_header {
    uint32_t magic, version;
    uint64_t generation, tree_gen;
    uint16_t guest, flags;
    uint32_t req_cons, rsp_prod;
    uint32_t nodes, watches, txs, next_tx;
    uint32_t pending, output, reserved;
};

struct snap_node {
    uint64_t gen;
    uint32_t parent;
    uint32_t valuelen;
    uint16_t namelen;
    uint8_t nperms, pad;
    uint32_t pad2;
};

struct snap_watch {
    uint16_t pathlen, tokenlen, prefix, pad;
};

_Static_assert(sizeof(struct snap_header) == 64, "no padding");
_Static_assert(sizeof(struct snap_node) == 24, "no padding");

uint64_t store_snap_checksum(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

/* ---- encoder ------------------------------------------------------------- */

struct wbuf {
    char *buf;
    size_t len, cap;
    int err;
};

static void put(struct wbuf *w, const void *data, size_t len)
{
    if (w->err || !len)
        return;
    if (w->len + len > STORE_SNAP_MAX) {
        w->err = -EFBIG;
        return;
    }
    if (w->len + len > w->cap) {
        size_t cap = w->cap ? w->cap : 8192;
        while (cap < w->len + len)
            cap *= 2;
        char *b = realloc(w->buf, cap);
        if (!b) {
            w->err = -ENOMEM;
            return;
        }
        w->buf = b;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, data, len);
    w->len += len;
}

/* Preorder: n gets index *next, its children the following ones. */
static void put_node(struct wbuf *w, const struct store_node *n,
                     uint32_t parent, uint32_t *next)
{
    uint32_t me = (*next)++;
    struct snap_node h = {
        .parent = parent,
        .valuelen = (uint32_t)n->len,
        .namelen = (uint16_t)n->namelen,
        .nperms = (uint8_t)n->perms.num,
        .gen = n->gen,
    };
    put(w, &h, sizeof(h));
    for (unsigned i = 0; i < n->perms.num; i++) {
        uint8_t p[3] = { (uint8_t)(n->perms.p[i].id & 0xff),
                         (uint8_t)(n->perms.p[i].id >> 8),
                         n->perms.p[i].perms };
        put(w, p, sizeof(p));
    }
    put(w, n->name, n->namelen);
    put(w, n->value, n->len);
    for (unsigned i = 0; i < n->nchildren && !w->err; i++)
        put_node(w, n->children[i], me, next);
}

int store_snapshot(const struct store *s, const struct store_snap_ring *ring,
                   void **out, size_t *len)
{
    const struct store_conn *g = s->guest_conn;
    struct wbuf w = { 0 };
    struct snap_header h = {
        .magic = SNAP_MAGIC,
        .version = SNAP_VERSION,
        .guest = s->guest,
        .flags = g ? SNAP_HAS_GUEST : 0,
        .req_cons = ring ? ring->req_cons : 0,
        .rsp_prod = ring ? ring->rsp_prod : 0,
        .generation = s->generation,
        .tree_gen = s->tree.gen,
        .nodes = s->tree.nodes,
    };
    if (g) {
        h.watches = g->nwatches;
        h.txs = g->ntxs;
        h.next_tx = g->next_tx;
        if (g->dec.in_payload)
            h.pending = (uint32_t)(sizeof(g->dec.msg) + g->dec.have);
        else
            h.pending = (uint32_t)g->dec.have;
        h.output = (uint32_t)g->out.len;
    }
    put(&w, &h, sizeof(h));
    uint32_t next = 0;
    put_node(&w, s->tree.root, SNAP_ROOT, &next);
    if (g) {
        for (const struct store_watch *x = g->watches; x; x = x->next) {
            struct snap_watch sw = {
                .pathlen = (uint16_t)strlen(x->path),
                .tokenlen = (uint16_t)strlen(x->token),
                .prefix = (uint16_t)x->prefix,
            };
            put(&w, &sw, sizeof(sw));
            put(&w, x->path, sw.pathlen);
            put(&w, x->token, sw.tokenlen);
        }
        for (const struct store_tx *t = g->txs; t; t = t->next)
            put(&w, &t->id, sizeof(t->id));
        if (g->dec.in_payload) {
            put(&w, &g->dec.msg, sizeof(g->dec.msg));
            put(&w, g->dec.payload, g->dec.have);
        } else {
            put(&w, &g->dec.msg, g->dec.have);
        }
        put(&w, g->out.buf ? g->out.buf + g->out.head : NULL, g->out.len);
    }
    uint64_t sum = store_snap_checksum(w.buf, w.len);
    put(&w, &sum, sizeof(sum));
    if (w.err) {
        free(w.buf);
        return w.err;
    }
    *out = w.buf;
    *len = w.len;
    return 0;
}

/* ---- decoder ------------------------------------------------------------- */

struct rbuf {
    const char *p;
    size_t left;
    char *why;
    size_t whylen;
};

static int bad(struct rbuf *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int bad(struct rbuf *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (r->whylen)
        vsnprintf(r->why, r->whylen, fmt, ap);
    va_end(ap);
    return -EBADMSG;
}

/* The next len bytes, or NULL when the input ends first. */
static const char *take(struct rbuf *r, size_t len)
{
    if (len > r->left)
        return NULL;
    const char *p = r->p;
    r->p += len;
    r->left -= len;
    return p;
}

static bool name_ok(const char *name, size_t len)
{
    static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "abcdefghijklmnopqrstuvwxyz"
                                "0123456789-_@";
    for (size_t i = 0; i < len; i++)
        if (!name[i] || !strchr(chars, name[i]))
            return false;
    return len > 0;
}

/* A watch's canonical path as store_path_canon makes them. */
static bool watch_path_ok(const char *path, size_t len)
{
    static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "abcdefghijklmnopqrstuvwxyz"
                                "0123456789-/_@";
    if (!len || len > XENSTORE_ABS_PATH_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!path[i] || !strchr(chars, path[i]))
            return false;
    if (path[0] == '@')
        return true;
    if (path[0] != '/')
        return false;
    if (len > 1 && path[len - 1] == '/')
        return false;
    for (size_t i = 1; i < len; i++)
        if (path[i] == '/' && path[i - 1] == '/')
            return false;
    return true;
}

static int read_nodes(struct rbuf *r, struct store *s,
                      const struct snap_header *h)
{
    struct store_node **idx = calloc(h->nodes, sizeof(*idx));
    size_t *pathlen = calloc(h->nodes, sizeof(*pathlen));
    /* The path from the root to the last node: a node's parent must be on
     * it (preorder), so that a tree has one encoding. */
    uint32_t *stack = calloc(h->nodes, sizeof(*stack));
    unsigned depth = 0;
    int rc = 0;

    if (!idx || !pathlen || !stack) {
        rc = -ENOMEM;
        goto out;
    }
    for (uint32_t i = 0; i < h->nodes && !rc; i++) {
        struct snap_node n;
        const char *p = take(r, sizeof(n));
        if (!p) {
            rc = bad(r, "node %u: truncated", i);
            break;
        }
        memcpy(&n, p, sizeof(n));
        if (n.pad || n.pad2) {
            rc = bad(r, "node %u: padding not zero", i);
            break;
        }
        if (n.nperms < 1 || n.nperms > STORE_PERMS_MAX) {
            rc = bad(r, "node %u: %u permissions", i, n.nperms);
            break;
        }
        if (n.valuelen > XENSTORE_PAYLOAD_MAX) {
            rc = bad(r, "node %u: a value of %u bytes", i, n.valuelen);
            break;
        }
        if (n.gen > h->tree_gen) {
            rc = bad(r, "node %u: generation past the tree's", i);
            break;
        }
        struct store_perms perms = { .num = n.nperms };
        for (unsigned k = 0; k < n.nperms; k++) {
            const unsigned char *q = (const unsigned char *)take(r, 3);
            if (!q) {
                rc = bad(r, "node %u: truncated", i);
                break;
            }
            perms.p[k].id = (uint16_t)(q[0] | q[1] << 8);
            perms.p[k].perms = q[2];
            if (q[2] & ~(STORE_PERM_READ | STORE_PERM_WRITE)) {
                rc = bad(r, "node %u: permission bits %#x", i, q[2]);
                break;
            }
        }
        if (rc)
            break;
        const char *name = take(r, n.namelen);
        const char *value = take(r, n.valuelen);
        if (!name || !value) {
            rc = bad(r, "node %u: truncated", i);
            break;
        }
        struct store_node *node;
        if (i == 0) {
            if (n.parent != SNAP_ROOT || n.namelen != 0) {
                rc = bad(r, "the first node is not the root");
                break;
            }
            node = s->tree.root;
            pathlen[0] = 0;
        } else {
            while (depth && stack[depth - 1] != n.parent)
                depth--;
            if (!depth) {
                rc = bad(r, "node %u: parent %u out of order", i, n.parent);
                break;
            }
            if (!name_ok(name, n.namelen)) {
                rc = bad(r, "node %u: a bad name", i);
                break;
            }
            pathlen[i] = pathlen[n.parent] + 1 + n.namelen;
            if (pathlen[i] > XENSTORE_ABS_PATH_MAX) {
                rc = bad(r, "node %u: its path is too long", i);
                break;
            }
            struct store_node *parent = idx[n.parent];
            for (unsigned c = 0; c < parent->nchildren; c++)
                if (parent->children[c]->namelen == n.namelen &&
                    !memcmp(parent->children[c]->name, name, n.namelen))
                    rc = bad(r, "node %u: a name twice", i);
            if (rc)
                break;
            rc = store_tree_append(&s->tree, parent, name, n.namelen, &node);
            if (rc)
                break;
        }
        idx[i] = node;
        stack[depth++] = i;
        if (n.valuelen)
            rc = store_tree_set_value(&s->tree, node, value, n.valuelen);
        node->perms = perms;
        node->gen = n.gen;
    }
out:
    free(idx);
    free(pathlen);
    free(stack);
    return rc;
}

static int read_conn(struct rbuf *r, struct store *s,
                     const struct snap_header *h)
{
    struct store_conn *g;
    int rc = store_connect(s, s->guest, &g);
    if (rc)
        return rc;
    for (uint32_t i = 0; i < h->watches; i++) {
        struct snap_watch w;
        const char *p = take(r, sizeof(w));
        if (!p)
            return bad(r, "watch %u: truncated", i);
        memcpy(&w, p, sizeof(w));
        if (w.pad || w.tokenlen > STORE_TOKEN_MAX || w.prefix > w.pathlen)
            return bad(r, "watch %u: bad lengths", i);
        const char *path = take(r, w.pathlen);
        const char *token = take(r, w.tokenlen);
        if (!path || !token)
            return bad(r, "watch %u: truncated", i);
        if (!watch_path_ok(path, w.pathlen) || memchr(token, '\0', w.tokenlen))
            return bad(r, "watch %u: a bad path or token", i);
        /* A relative watch reports paths below the home. */
        size_t home = strlen(s->home);
        if (w.prefix && (w.prefix != home + 1 || w.pathlen <= home + 1 ||
                         memcmp(path, s->home, home) != 0 || path[home] != '/'))
            return bad(r, "watch %u: a bad prefix", i);
        char pbuf[STORE_PATH_BUF];
        char *tbuf = malloc((size_t)w.tokenlen + 1);
        if (!tbuf)
            return -ENOMEM;
        memcpy(pbuf, path, w.pathlen);
        pbuf[w.pathlen] = '\0';
        memcpy(tbuf, token, w.tokenlen);
        tbuf[w.tokenlen] = '\0';
        rc = store_watch_add(g, pbuf, tbuf, w.prefix);
        free(tbuf);
        if (rc)
            return rc == ENOMEM ? -ENOMEM : bad(r, "watch %u: twice", i);
    }
    for (uint32_t i = 0; i < h->txs; i++) {
        uint32_t id;
        const char *p = take(r, sizeof(id));
        if (!p)
            return bad(r, "transaction %u: truncated", i);
        memcpy(&id, p, sizeof(id));
        if (id == 0 || store_tx_find(g, id))
            return bad(r, "transaction %u: id %u", i, id);
        struct store_tx *tx = calloc(1, sizeof(*tx));
        if (!tx)
            return -ENOMEM;
        if (store_tree_clone(&tx->tree, &s->tree) < 0) {
            free(tx);
            return -ENOMEM;
        }
        tx->id = id;
        tx->stale = true;
        tx->start = s->generation;
        struct store_tx **end = &g->txs; /* in the snapshot's order */
        while (*end)
            end = &(*end)->next;
        *end = tx;
        g->ntxs++;
    }
    g->next_tx = h->next_tx;
    const char *pending = take(r, h->pending);
    if (!pending)
        return bad(r, "the pending request: truncated");
    size_t used = 0;
    if (h->pending &&
        (store_decoder_feed(&g->dec, pending, h->pending, &used) != 0 ||
         used != h->pending))
        return bad(r, "the pending request is not a request's start");
    const char *output = take(r, h->output);
    if (!output)
        return bad(r, "the output: truncated");
    if (store_outq_append(&g->out, output, h->output) < 0)
        return -ENOMEM;
    return 0;
}

int store_restore(uint16_t guest, const struct store_limits *lim,
                  const void *buf, size_t len, struct store **out,
                  struct store_snap_ring *ring, char *why, size_t whylen)
{
    struct rbuf r = { .p = buf, .left = len, .why = why, .whylen = whylen };
    struct snap_header h;
    struct store *s = NULL;
    uint64_t sum;
    int rc;

    *out = NULL;
    if (whylen)
        why[0] = '\0';
    if (len > STORE_SNAP_MAX)
        return bad(&r, "%zu bytes (at most %d)", len, STORE_SNAP_MAX);
    if (len < sizeof(h) + sizeof(sum))
        return bad(&r, "truncated: %zu bytes", len);
    memcpy(&sum, (const char *)buf + len - sizeof(sum), sizeof(sum));
    if (store_snap_checksum(buf, len - sizeof(sum)) != sum)
        return bad(&r, "its checksum does not match");
    r.left -= sizeof(sum);
    memcpy(&h, take(&r, sizeof(h)), sizeof(h));
    if (h.magic != SNAP_MAGIC || h.version != SNAP_VERSION)
        return bad(&r, "not a store snapshot of this version");
    if (h.guest != guest)
        return bad(&r, "the snapshot of domain %u, not %u", h.guest, guest);
    rc = store_new(guest, lim, &s);
    if (rc)
        return rc;
    if ((h.flags & ~SNAP_HAS_GUEST) || h.reserved)
        rc = bad(&r, "unknown flags %#x", h.flags);
    else if (h.nodes < 2 || h.nodes > s->lim.max_nodes + SNAP_NODE_SLACK)
        rc = bad(&r, "%u nodes", h.nodes);
    else if (!(h.flags & SNAP_HAS_GUEST) &&
             (h.watches || h.txs || h.next_tx || h.pending || h.output))
        rc = bad(&r, "a connection's state without a connection");
    else if (h.watches > s->lim.max_watches ||
             h.txs > s->lim.max_transactions ||
             h.pending >= sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX ||
             h.output > s->lim.max_output)
        rc = bad(&r, "a connection over its limits");
    if (!rc) {
        /* The tree store_new made is replaced by the snapshot's. */
        struct store_perms root = { 1, { { 0, STORE_PERM_NONE } } };
        store_tree_fini(&s->tree);
        rc = store_tree_init(&s->tree, &root);
    }
    if (!rc)
        rc = read_nodes(&r, s, &h);
    if (!rc && !store_tree_lookup(&s->tree, "/local/domain"))
        rc = bad(&r, "no /local/domain");
    if (!rc && (h.flags & SNAP_HAS_GUEST))
        rc = read_conn(&r, s, &h);
    if (!rc && r.left)
        rc = bad(&r, "%zu bytes after the end", r.left);
    if (rc) {
        if (rc == -ENOMEM && whylen)
            snprintf(why, whylen, "out of memory");
        store_free(s);
        return rc;
    }
    s->generation = h.generation;
    s->tree.gen = h.tree_gen;
    if (ring)
        *ring = (struct store_snap_ring){ h.req_cons, h.rsp_prod };
    *out = s;
    return 0;
}

struct store_conn *store_guest_conn(struct store *s)
{
    return s->guest_conn;
}
