/*
 * store_ops.c - the operations of the XenStore protocol the private store
 * answers (store.h, docs/store.md), one row of ops[] per message type,
 * with the checks and errors of Xen's C xenstored.
 *
 * A handler returns 0 after queueing its reply, or a positive errno that
 * dispatch turns into an XS_ERROR reply.  Paths are canonical absolute
 * paths from store_path_canon() by the time they reach the tree.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/* ---- replies ------------------------------------------------------------ */

static void reply(const struct store_req *r, uint32_t type, const void *data,
                  size_t len)
{
    struct store_part part = { data, len };
    if (len > XENSTORE_PAYLOAD_MAX) {
        static const char big[] = "E2BIG";
        part = (struct store_part){ big, sizeof(big) };
        type = XS_ERROR;
    }
    store_send(r->c, type, r->msg->req_id, r->msg->tx_id, &part, 1);
}

static void reply_error(const struct store_req *r, int err)
{
    const char *name = store_errno_name(err);
    reply(r, XS_ERROR, name, strlen(name) + 1);
}

static int ack(const struct store_req *r)
{
    reply(r, r->msg->type, "OK", 3);
    return 0;
}

/* ---- arguments ---------------------------------------------------------- */

/* The payload as exactly one string, or NULL. */
static const char *onearg(const struct store_req *r)
{
    if (!r->len || strlen(r->data) != r->len - 1)
        return NULL;
    return r->data;
}

/* How many NUL-terminated strings the payload is made of (0: it does not
 * end in a NUL). */
static unsigned nstrings(const struct store_req *r)
{
    unsigned n = 0;
    if (!r->len || r->data[r->len - 1] != '\0')
        return 0;
    for (size_t i = 0; i < r->len; i++)
        n += r->data[i] == '\0';
    return n;
}

/* The canonical path of arg (NULL: not one string). */
static int path_arg(const struct store_req *r, const char *arg,
                    bool allow_special, char *out, bool *relative)
{
    bool rel;
    if (!arg)
        return EINVAL;
    return store_path_canon(r, arg, allow_special, out,
                            relative ? relative : &rel);
}

static int domid_arg(const char *arg, unsigned *domid)
{
    size_t digits = arg ? strspn(arg, "0123456789") : 0;
    if (!digits || digits > 5 || arg[digits])
        return EINVAL;
    *domid = (unsigned)strtoul(arg, NULL, 10);
    return *domid > 0xffff ? EINVAL : 0;
}

/* ---- the tree ----------------------------------------------------------- */

/* Whether a creation of path's missing nodes, with a value of len bytes
 * on top, stays within the quota.  0 or ENOSPC. */
static int quota_create(const struct store_req *r, const char *path, size_t len)
{
    unsigned missing;
    size_t bytes;
    const struct store_limits *lim = &r->s->lim;
    store_tree_nearest(r->tree, path, &missing, &bytes);
    if (!r->quota)
        return 0;
    if (r->tree->nodes + missing > lim->max_nodes ||
        r->tree->bytes + bytes + len > lim->max_bytes)
        return ENOSPC;
    return 0;
}

/* Creates path's missing nodes: new ones inherit their parent's
 * permissions, owned by the creator when the guest creates them. */
static int create(const struct store_req *r, const char *path,
                  const struct store_perms *perms, struct store_node **out)
{
    int owner = r->priv ? -1 : r->domid;
    return store_tree_create(r->tree, path, perms, owner, out) < 0 ? ENOMEM : 0;
}

int store_do_write(const struct store_req *r, const char *path,
                   const void *value, size_t len,
                   const struct store_perms *perms)
{
    const struct store_limits *lim = &r->s->lim;
    int err;
    if (r->quota && len > lim->max_value)
        return ENOSPC;
    struct store_node *n = store_node_get(r, path, STORE_PERM_WRITE, &err);
    if (!n) {
        if (err != ENOENT)
            return err;
        if ((err = quota_create(r, path, len)) ||
            (err = create(r, path, perms, &n)))
            return err;
    } else if (r->quota && r->tree->bytes - n->len + len > lim->max_bytes) {
        return ENOSPC;
    }
    if (store_tree_set_value(r->tree, n, value, len) < 0)
        return ENOMEM;
    return store_changed(r, path, true, store_guest_hears(r->s, n));
}

struct rm_walk {
    const struct store_req *r;
    const struct store_node *top;
};

static int rm_fire(struct store_node *n, const char *path, void *arg)
{
    struct rm_walk *w = arg;
    return store_changed(w->r, path, n == w->top,
                         store_guest_hears(w->r->s, n));
}

int store_do_rm(const struct store_req *r, const char *path)
{
    int err;
    struct store_node *n = store_node_get(r, path, STORE_PERM_WRITE, &err);
    if (!n) {
        if (err != ENOENT)
            return err;
        /* Removing a missing node is fine if its parent exists. */
        unsigned missing;
        size_t bytes;
        store_tree_nearest(r->tree, path, &missing, &bytes);
        return missing == 1 ? 0 : ENOENT;
    }
    if (!n->parent)
        return EINVAL; /* "/" */
    /* Watches hear of every removed node while it still exists (their
     * permissions decide who hears). */
    char buf[STORE_PATH_BUF];
    snprintf(buf, sizeof(buf), "%s", path);
    struct rm_walk w = { r, n };
    if ((err = store_tree_walk(n, buf, sizeof(buf), rm_fire, &w)))
        return err < 0 ? EINVAL : err;
    store_tree_remove(r->tree, n);
    return 0;
}

int store_do_set_perms(const struct store_req *r, struct store_node *n,
                       const char *path, const struct store_perms *perms)
{
    /* Who could read the node before hears that it went too. */
    bool heard = store_guest_hears(r->s, n);
    store_tree_set_perms(r->tree, n, perms);
    return store_changed(r, path, true, heard || store_guest_hears(r->s, n));
}

/* ---- handlers ----------------------------------------------------------- */

static int do_read(struct store_req *r)
{
    char path[STORE_PATH_BUF];
    int err = path_arg(r, onearg(r), false, path, NULL);
    if (err)
        return err;
    struct store_node *n = store_node_get(r, path, STORE_PERM_READ, &err);
    if (!n)
        return err;
    reply(r, XS_READ, n->value, n->len);
    return 0;
}

static int do_write(struct store_req *r)
{
    char path[STORE_PATH_BUF];
    if (strlen(r->data) == r->len) /* no NUL after the path */
        return EINVAL;
    int err = path_arg(r, r->data, false, path, NULL);
    if (err)
        return err;
    size_t off = strlen(r->data) + 1;
    if ((err = store_do_write(r, path, r->data + off, r->len - off, NULL)))
        return err;
    return ack(r);
}

static int do_mkdir(struct store_req *r)
{
    char path[STORE_PATH_BUF];
    int err = path_arg(r, onearg(r), false, path, NULL);
    if (err)
        return err;
    struct store_node *n = store_node_get(r, path, STORE_PERM_WRITE, &err);
    if (!n) {
        if (err != ENOENT)
            return err;
        if ((err = quota_create(r, path, 0)) ||
            (err = create(r, path, NULL, &n)) ||
            (err = store_changed(r, path, true, store_guest_hears(r->s, n))))
            return err;
    }
    return ack(r);
}

static int do_rm(struct store_req *r)
{
    char path[STORE_PATH_BUF];
    int err = path_arg(r, onearg(r), false, path, NULL);
    if (err || (err = store_do_rm(r, path)))
        return err;
    return ack(r);
}

/* The node's children's names, each NUL-terminated, in *out (malloc). */
static int child_list(const struct store_node *n, char **out, size_t *len)
{
    size_t total = 0;
    for (unsigned i = 0; i < n->nchildren; i++)
        total += n->children[i]->namelen + 1;
    char *b = malloc(total + 1);
    if (!b)
        return ENOMEM;
    char *w = b;
    for (unsigned i = 0; i < n->nchildren; i++) {
        memcpy(w, n->children[i]->name, n->children[i]->namelen + 1);
        w += n->children[i]->namelen + 1;
    }
    *out = b;
    *len = total;
    return 0;
}

static int do_directory(struct store_req *r)
{
    char path[STORE_PATH_BUF], *list;
    size_t len;
    int err = path_arg(r, onearg(r), false, path, NULL);
    if (err)
        return err;
    struct store_node *n = store_node_get(r, path, STORE_PERM_READ, &err);
    if (!n)
        return err;
    if ((err = child_list(n, &list, &len)))
        return err;
    reply(r, XS_DIRECTORY, list, len); /* E2BIG when too long */
    free(list);
    return 0;
}

/* Linux's answer to E2BIG: the list in parts, from a byte offset, after
 * the node's generation (the client restarts when it changed). */
static int do_directory_part(struct store_req *r)
{
    char path[STORE_PATH_BUF], gen[24], *list;
    size_t len;
    if (nstrings(r) != 2)
        return EINVAL;
    int err = path_arg(r, r->data, false, path, NULL);
    if (err)
        return err;
    const char *offarg = r->data + strlen(r->data) + 1;
    unsigned long off = strtoul(offarg, NULL, 10);
    struct store_node *n = store_node_get(r, path, STORE_PERM_READ, &err);
    if (!n)
        return err;
    if ((err = child_list(n, &list, &len)))
        return err;
    size_t genlen = (size_t)snprintf(gen, sizeof(gen), "%" PRIu64, n->gen) + 1;
    size_t maxlen = XENSTORE_PAYLOAD_MAX - genlen - 1, part = 0;
    char *out = malloc(XENSTORE_PAYLOAD_MAX);
    if (!out) {
        free(list);
        return ENOMEM;
    }
    memcpy(out, gen, genlen);
    if (off < len) {
        /* Whole names while they fit. */
        const char *child = list + off;
        while (off + part < len && part + strlen(child) < maxlen) {
            part += strlen(child) + 1;
            child = list + off + part;
        }
        memcpy(out + genlen, list + off, part);
    }
    size_t outlen = genlen + part;
    if (off >= len || off + part == len)
        out[outlen++] = '\0'; /* an empty name ends the list */
    reply(r, XS_DIRECTORY_PART, out, outlen);
    free(out);
    free(list);
    return 0;
}

static int do_get_perms(struct store_req *r)
{
    static const char kind[] = { 'n', 'r', 'w', 'b' };
    char path[STORE_PATH_BUF], out[STORE_PERMS_MAX * 8];
    size_t len = 0;
    int err = path_arg(r, onearg(r), false, path, NULL);
    if (err)
        return err;
    struct store_node *n = store_node_get(r, path, STORE_PERM_READ, &err);
    if (!n)
        return err;
    for (unsigned i = 0; i < n->perms.num; i++)
        len +=
            (size_t)snprintf(out + len, sizeof(out) - len, "%c%u",
                             kind[n->perms.p[i].perms & 3], n->perms.p[i].id) +
            1;
    reply(r, XS_GET_PERMS, out, len);
    return 0;
}

static int do_set_perms(struct store_req *r)
{
    char path[STORE_PATH_BUF];
    struct store_perms perms;
    unsigned count = nstrings(r);
    if (count < 2)
        return EINVAL;
    if (count - 1 > STORE_PERMS_MAX)
        return ENOSPC; /* xenstored's permission quota */
    size_t off = strlen(r->data) + 1;
    int err = store_perms_parse(r->data + off, r->len - off, count - 1, &perms);
    if (err || (err = path_arg(r, r->data, false, path, NULL)))
        return err;
    struct store_node *n =
        store_node_get(r, path, STORE_PERM_WRITE | STORE_PERM_OWNER, &err);
    if (!n)
        return err;
    if (!r->priv && perms.p[0].id != n->perms.p[0].id)
        return EPERM; /* the guest may not give its nodes away */
    if ((err = store_do_set_perms(r, n, path, &perms)))
        return err;
    return ack(r);
}

static int do_watch(struct store_req *r)
{
    char path[STORE_PATH_BUF];
    bool relative;
    if (nstrings(r) != 2)
        return EINVAL;
    const char *token = r->data + strlen(r->data) + 1;
    int err = path_arg(r, r->data, true, path, &relative);
    if (err)
        return err;
    if (strlen(token) > STORE_TOKEN_MAX)
        return EINVAL;
    size_t prefix = relative ? strlen(r->s->home) + 1 : 0;
    if ((err = store_watch_add(r->c, path, token, prefix)))
        return err;
    ack(r);
    /* xenstored fires every new watch once, whatever the node. */
    struct store_part parts[] = {
        { path + prefix, strlen(path + prefix) + 1 },
        { token, strlen(token) + 1 },
    };
    store_send(r->c, XS_WATCH_EVENT, 0, 0, parts, 2);
    return 0;
}

static int do_unwatch(struct store_req *r)
{
    char path[STORE_PATH_BUF];
    if (nstrings(r) != 2)
        return EINVAL;
    int err = path_arg(r, r->data, true, path, NULL);
    if (err ||
        (err = store_watch_del(r->c, path, r->data + strlen(r->data) + 1)))
        return err;
    return ack(r);
}

static int do_reset_watches(struct store_req *r)
{
    store_watch_clear(r->c);
    store_tx_clear(r->c);
    return ack(r);
}

static int do_transaction_start(struct store_req *r)
{
    struct store_tx *tx;
    char id[16];
    if (r->tx)
        return EBUSY; /* no nested transactions */
    int err = store_tx_start(r->c, &tx);
    if (err)
        return err;
    reply(r, XS_TRANSACTION_START, id,
          (size_t)snprintf(id, sizeof(id), "%" PRIu32, tx->id) + 1);
    return 0;
}

static int do_transaction_end(struct store_req *r)
{
    const char *arg = onearg(r);
    if (!arg || (strcmp(arg, "T") && strcmp(arg, "F")))
        return EINVAL;
    if (!r->tx)
        return ENOENT;
    int err = store_tx_end(r->c, r->tx, arg[0] == 'T');
    r->tx = NULL;
    return err ? err : ack(r);
}

static int do_get_domain_path(struct store_req *r)
{
    char path[STORE_HOME_MAX];
    unsigned domid;
    int err = domid_arg(onearg(r), &domid);
    if (err)
        return err;
    reply(r, XS_GET_DOMAIN_PATH, path,
          (size_t)snprintf(path, sizeof(path), "/local/domain/%u", domid) + 1);
    return 0;
}

/* Only the store's guest and dom0 exist here. */
static int do_is_domain_introduced(struct store_req *r)
{
    unsigned domid;
    int err = domid_arg(onearg(r), &domid);
    if (err)
        return err;
    bool known = domid == r->s->guest || domid == 0 || domid == 0x7ff0;
    reply(r, XS_IS_DOMAIN_INTRODUCED, known ? "T" : "F", 2);
    return 0;
}

/* Domain management belongs to the supervisor, not to the protocol. */
static int do_unsupported(struct store_req *r)
{
    (void)r;
    return ENOSYS;
}

/* ---- dispatch ----------------------------------------------------------- */

enum {
    OP_PRIV = 1, /* dom0 only (EACCES for the guest) */
    OP_NOTX = 2, /* the message's tx_id is ignored */
};

static const struct {
    int (*fn)(struct store_req *r);
    unsigned flags;
} ops[] = {
    [XS_CONTROL] = { do_unsupported, OP_PRIV },
    [XS_DIRECTORY] = { do_directory, 0 },
    [XS_READ] = { do_read, 0 },
    [XS_GET_PERMS] = { do_get_perms, 0 },
    [XS_WATCH] = { do_watch, OP_NOTX },
    [XS_UNWATCH] = { do_unwatch, OP_NOTX },
    [XS_TRANSACTION_START] = { do_transaction_start, 0 },
    [XS_TRANSACTION_END] = { do_transaction_end, 0 },
    [XS_INTRODUCE] = { do_unsupported, OP_PRIV },
    [XS_RELEASE] = { do_unsupported, OP_PRIV },
    [XS_GET_DOMAIN_PATH] = { do_get_domain_path, 0 },
    [XS_WRITE] = { do_write, 0 },
    [XS_MKDIR] = { do_mkdir, 0 },
    [XS_RM] = { do_rm, 0 },
    [XS_SET_PERMS] = { do_set_perms, 0 },
    [XS_IS_DOMAIN_INTRODUCED] = { do_is_domain_introduced, OP_PRIV },
    [XS_RESUME] = { do_unsupported, OP_PRIV },
    [XS_SET_TARGET] = { do_unsupported, OP_PRIV },
    [XS_RESET_WATCHES] = { do_reset_watches, OP_NOTX },
    [XS_DIRECTORY_PART] = { do_directory_part, 0 },
};

void store_dispatch(struct store_conn *c, const struct xsd_sockmsg *msg,
                    const char *data)
{
    struct store_req r = {
        .s = c->s,
        .c = c,
        .domid = c->domid,
        .priv = c->priv,
        .quota = !c->priv,
        .tree = &c->s->tree,
        .msg = msg,
        .data = data,
        .len = msg->len,
    };
    int err;
    if (msg->type >= sizeof(ops) / sizeof(ops[0]) || !ops[msg->type].fn) {
        err = ENOSYS; /* xenstored's answer to an unknown type */
    } else if ((ops[msg->type].flags & OP_PRIV) && !c->priv) {
        err = EACCES;
    } else if (!(ops[msg->type].flags & OP_NOTX) && msg->tx_id &&
               !(r.tx = store_tx_find(c, msg->tx_id))) {
        err = ENOENT;
    } else {
        if (r.tx)
            r.tree = &r.tx->tree;
        err = ops[msg->type].fn(&r);
    }
    if (err)
        reply_error(&r, err);
}
