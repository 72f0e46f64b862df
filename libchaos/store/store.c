/*
 * store.c - the private store's object, its connections and dom0's own
 * calls (store.h).  The protocol's operations are in store_ops.c, paths
 * and permissions in store_path.c, watches and transactions in
 * store_watch.c, the tree in store_tree.c, the wire format in
 * store_wire.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

void store_limits_default(struct store_limits *lim)
{
    *lim = (struct store_limits){
        .max_nodes = 2048,
        .max_bytes = 256 * 1024,
        .max_value = 2048,
        .max_watches = 128,
        .max_transactions = 10,
        .max_output = 64 * 1024,
    };
}

static const struct store_perms dom0_only = { 1, { { 0, STORE_PERM_NONE } } };

int store_new(uint16_t guest, const struct store_limits *lim,
              struct store **out)
{
    if (guest == 0)
        return -EINVAL; /* /local/domain/0 is dom0's own home */
    struct store *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->guest = guest;
    if (lim)
        s->lim = *lim;
    else
        store_limits_default(&s->lim);
    snprintf(s->home, sizeof(s->home), "/local/domain/%u", guest);
    struct store_node *n;
    if (store_tree_init(&s->tree, &dom0_only) < 0 ||
        store_tree_create(&s->tree, "/local/domain", NULL, -1, &n) < 0) {
        store_free(s);
        return -ENOMEM;
    }
    *out = s;
    return 0;
}

void store_free(struct store *s)
{
    if (!s)
        return;
    while (s->conns)
        store_disconnect(s->conns);
    store_tree_fini(&s->tree);
    free(s);
}

/* dom0's own calls: privileged, exempt from the node and byte quota. */
static struct store_req dom0_req(struct store *s)
{
    return (struct store_req){ .s = s, .priv = true, .tree = &s->tree };
}

static void access_perms(const struct store *s, enum store_guest_access a,
                         struct store_perms *p)
{
    switch (a) {
        case STORE_GUEST_READ:
            *p = (struct store_perms){
                2, { { 0, STORE_PERM_NONE }, { s->guest, STORE_PERM_READ } }
            };
            break;
        case STORE_GUEST_OWNS:
            *p = (struct store_perms){
                2, { { s->guest, STORE_PERM_NONE }, { 0, STORE_PERM_READ } }
            };
            break;
        case STORE_GUEST_NONE:
        default:
            *p = dom0_only;
            break;
    }
}

/* Negative errno from the operations' positive one. */
static int neg(int err)
{
    return err ? -err : 0;
}

/* A path of dom0's calls: absolute and canonical. */
static int abs_path(struct store *s, const char *path, char *out)
{
    struct store_req r = dom0_req(s);
    bool relative;
    if (!path || path[0] != '/')
        return -EINVAL;
    return neg(store_path_canon(&r, path, false, out, &relative));
}

int store_put(struct store *s, const char *path, const char *value,
              enum store_guest_access access)
{
    char buf[STORE_PATH_BUF];
    struct store_perms perms;
    struct store_req r = dom0_req(s);
    int err = abs_path(s, path, buf);
    if (err)
        return err;
    size_t len = strlen(value);
    if (len > s->lim.max_value)
        return -EINVAL;
    access_perms(s, access, &perms);
    return neg(store_do_write(&r, buf, value, len, &perms));
}

int store_set_access(struct store *s, const char *path,
                     enum store_guest_access access)
{
    char buf[STORE_PATH_BUF];
    struct store_perms perms;
    struct store_req r = dom0_req(s);
    int err = abs_path(s, path, buf);
    if (err)
        return err;
    struct store_node *n = store_tree_lookup(&s->tree, buf);
    if (!n)
        return -ENOENT;
    access_perms(s, access, &perms);
    return neg(store_do_set_perms(&r, n, buf, &perms));
}

int store_get(const struct store *s, const char *path, char *buf, size_t len)
{
    if (!path || path[0] != '/')
        return -EINVAL;
    const struct store_node *n = store_tree_lookup(&s->tree, path);
    if (!n)
        return -ENOENT;
    if (memchr(n->value, '\0', n->len))
        return -EINVAL;
    if (!len)
        return -ENOSPC;
    size_t copy = n->len < len - 1 ? n->len : len - 1;
    memcpy(buf, n->value, copy);
    buf[copy] = '\0';
    return n->len > len - 1 ? -ENOSPC : 0;
}

int store_remove(struct store *s, const char *path)
{
    char buf[STORE_PATH_BUF];
    struct store_req r = dom0_req(s);
    int err = abs_path(s, path, buf);
    if (err)
        return err;
    if (!store_tree_lookup(&s->tree, buf))
        return -ENOENT;
    return neg(store_do_rm(&r, buf));
}

uint64_t store_generation(const struct store *s)
{
    return s->generation;
}

void store_usage(const struct store *s, unsigned *nodes, size_t *bytes)
{
    *nodes = s->tree.nodes;
    *bytes = s->tree.bytes;
}

/* ---- connections -------------------------------------------------------- */

int store_connect(struct store *s, uint16_t domid, struct store_conn **out)
{
    if (domid != 0 && domid != s->guest)
        return -EINVAL;
    if (domid == s->guest && s->guest_conn)
        return -EBUSY;
    struct store_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->s = s;
    c->domid = domid;
    c->priv = domid == 0;
    c->next_tx = 1;
    store_decoder_reset(&c->dec);
    c->next = s->conns;
    s->conns = c;
    if (!c->priv)
        s->guest_conn = c;
    *out = c;
    return 0;
}

void store_disconnect(struct store_conn *c)
{
    if (!c)
        return;
    struct store *s = c->s;
    for (struct store_conn **p = &s->conns; *p; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            break;
        }
    }
    if (s->guest_conn == c)
        s->guest_conn = NULL;
    store_watch_clear(c);
    store_tx_clear(c);
    store_outq_fini(&c->out);
    free(c);
}

void store_conn_fail(struct store_conn *c, const char *why)
{
    if (c->failed)
        return;
    c->failed = true;
    snprintf(c->why, sizeof(c->why), "%s", why);
}

void store_send(struct store_conn *c, uint32_t type, uint32_t req_id,
                uint32_t tx_id, const struct store_part *parts, size_t n)
{
    size_t len = sizeof(struct xsd_sockmsg);
    if (c->failed)
        return;
    for (size_t i = 0; i < n; i++)
        len += parts[i].len;
    if (c->out.len + len > c->s->lim.max_output) {
        char why[STORE_ERR_MAX];
        snprintf(why, sizeof(why),
                 "%s: more than %zu bytes of replies and watch events "
                 "not read",
                 c->priv ? "dom0 client" : "guest", c->s->lim.max_output);
        store_conn_fail(c, why);
        return;
    }
    if (store_outq_push(&c->out, type, req_id, tx_id, parts, n) < 0)
        store_conn_fail(c, "out of memory queueing a reply");
}

ssize_t store_conn_input(struct store_conn *c, const void *data, size_t len)
{
    const char *p = data;
    size_t done = 0;
    while (!c->failed && done < len && c->out.len < c->s->lim.max_output / 2) {
        size_t used;
        int r = store_decoder_feed(&c->dec, p + done, len - done, &used);
        done += used;
        if (r < 0) {
            char why[STORE_ERR_MAX];
            snprintf(why, sizeof(why),
                     "%s: request of %" PRIu32 " bytes (at most %d)",
                     c->priv ? "dom0 client" : "guest", c->dec.msg.len,
                     XENSTORE_PAYLOAD_MAX);
            store_conn_fail(c, why);
        } else if (r > 0) {
            store_dispatch(c, &c->dec.msg, c->dec.payload);
            store_decoder_reset(&c->dec);
        }
    }
    return c->failed ? -EPROTO : (ssize_t)done;
}

size_t store_conn_peek(const struct store_conn *c, const void **data)
{
    *data = c->out.buf ? c->out.buf + c->out.head : NULL;
    return c->out.len;
}

void store_conn_consume(struct store_conn *c, size_t n)
{
    store_outq_consume(&c->out, n);
}

bool store_conn_failed(const struct store_conn *c, const char **why)
{
    if (why)
        *why = c->failed ? c->why : NULL;
    return c->failed;
}
