/*
 * store_watch.c - watches and transactions of the private store.
 *
 * A watch on P fires for a change at P or below it; a removal also fires
 * the watches below the removed node (one event per removed node with a
 * watch exactly on it), as xenstored does.  An event goes to a
 * connection only if it may read the node or its parent, judged when the
 * change happens.  A watch set with a relative path reports relative
 * paths (Linux's frontend bus watches "device" and parses what comes).
 *
 * Transactions are the simplest correct design: a transaction works on
 * its own copy of the tree and records the changes it made; committing
 * replaces the store's tree with the copy, and fires the recorded
 * changes' watches, if nothing changed the store's tree since the
 * transaction started, else fails with EAGAIN (the client retries, as
 * Linux does).  A transaction that changed nothing always commits: what
 * it read was one consistent snapshot.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/* Is child the node parent or below it? */
static bool is_child(const char *child, const char *parent)
{
    size_t len = strlen(parent);
    if (len == 1) /* "/" */
        return child[0] == '/';
    return strncmp(child, parent, len) == 0 &&
           (child[len] == '/' || child[len] == '\0');
}

void store_fire(struct store *s, const char *path, bool subtree,
                bool guest_read)
{
    for (struct store_conn *c = s->conns; c; c = c->next) {
        if (c->failed || (!c->priv && !guest_read))
            continue;
        for (struct store_watch *w = c->watches; w && !c->failed; w = w->next) {
            bool hit =
                subtree ? is_child(path, w->path) : strcmp(path, w->path) == 0;
            if (!hit)
                continue;
            const char *p = path + w->prefix;
            struct store_part parts[] = {
                { p, strlen(p) + 1 },
                { w->token, strlen(w->token) + 1 },
            };
            store_send(c, XS_WATCH_EVENT, 0, 0, parts, 2);
        }
    }
}

static int tx_record(struct store *s, struct store_tx *tx, const char *path,
                     bool subtree, bool guest_read)
{
    for (unsigned i = 0; i < tx->nevents; i++) {
        struct store_event *e = &tx->events[i];
        if (e->subtree == subtree && strcmp(e->path, path) == 0) {
            e->guest_read |= guest_read;
            return 0;
        }
    }
    /* Bounded: a transaction never touches more distinct nodes than the
     * tree may hold, unless it creates and removes in a loop. */
    if (tx->nevents >= s->lim.max_nodes)
        return ENOSPC;
    if (tx->nevents == tx->cap) {
        unsigned cap = tx->cap ? tx->cap * 2 : 8;
        struct store_event *e = realloc(tx->events, cap * sizeof(*e));
        if (!e)
            return ENOMEM;
        tx->events = e;
        tx->cap = cap;
    }
    char *p = strdup(path);
    if (!p)
        return ENOMEM;
    tx->events[tx->nevents++] = (struct store_event){
        .path = p, .subtree = subtree, .guest_read = guest_read
    };
    return 0;
}

int store_changed(const struct store_req *r, const char *path, bool subtree,
                  bool guest_read)
{
    if (r->tx)
        return tx_record(r->s, r->tx, path, subtree, guest_read);
    r->s->generation++;
    store_fire(r->s, path, subtree, guest_read);
    return 0;
}

int store_watch_add(struct store_conn *c, const char *path, const char *token,
                    size_t prefix)
{
    struct store_watch **end = &c->watches;
    for (; *end; end = &(*end)->next)
        if (!strcmp((*end)->path, path) && !strcmp((*end)->token, token))
            return EEXIST;
    if (c->nwatches >= c->s->lim.max_watches)
        return ENOSPC;
    struct store_watch *w = calloc(1, sizeof(*w));
    if (!w)
        return ENOMEM;
    w->path = strdup(path);
    w->token = strdup(token);
    if (!w->path || !w->token) {
        free(w->path);
        free(w->token);
        free(w);
        return ENOMEM;
    }
    w->prefix = prefix;
    *end = w; /* in order: events come in the order watches were set */
    c->nwatches++;
    return 0;
}

static void watch_free(struct store_watch *w)
{
    free(w->path);
    free(w->token);
    free(w);
}

int store_watch_del(struct store_conn *c, const char *path, const char *token)
{
    for (struct store_watch **p = &c->watches; *p; p = &(*p)->next) {
        struct store_watch *w = *p;
        if (!strcmp(w->path, path) && !strcmp(w->token, token)) {
            *p = w->next;
            watch_free(w);
            c->nwatches--;
            return 0;
        }
    }
    return ENOENT;
}

void store_watch_clear(struct store_conn *c)
{
    while (c->watches) {
        struct store_watch *w = c->watches;
        c->watches = w->next;
        watch_free(w);
    }
    c->nwatches = 0;
}

struct store_tx *store_tx_find(struct store_conn *c, uint32_t id)
{
    for (struct store_tx *t = c->txs; t; t = t->next)
        if (t->id == id)
            return t;
    return NULL;
}

static void tx_free(struct store_tx *tx)
{
    store_tree_fini(&tx->tree);
    for (unsigned i = 0; i < tx->nevents; i++)
        free(tx->events[i].path);
    free(tx->events);
    free(tx);
}

int store_tx_start(struct store_conn *c, struct store_tx **out)
{
    if (c->ntxs >= c->s->lim.max_transactions)
        return ENOSPC;
    struct store_tx *tx = calloc(1, sizeof(*tx));
    if (!tx)
        return ENOMEM;
    if (store_tree_clone(&tx->tree, &c->s->tree) < 0) {
        free(tx);
        return ENOMEM;
    }
    do /* 0 means "no transaction" */
        tx->id = c->next_tx++;
    while (tx->id == 0 || store_tx_find(c, tx->id));
    tx->start = c->s->generation;
    tx->next = c->txs;
    c->txs = tx;
    c->ntxs++;
    *out = tx;
    return 0;
}

int store_tx_end(struct store_conn *c, struct store_tx *tx, bool commit)
{
    struct store *s = c->s;
    int err = 0;
    for (struct store_tx **p = &c->txs; *p; p = &(*p)->next) {
        if (*p == tx) {
            *p = tx->next;
            c->ntxs--;
            break;
        }
    }
    if (commit && (tx->nevents || tx->stale)) {
        if (s->generation != tx->start || tx->stale) {
            err = EAGAIN;
        } else {
            struct store_tree old = s->tree;
            s->tree = tx->tree;
            tx->tree = old;
            s->generation++;
            for (unsigned i = 0; i < tx->nevents; i++)
                store_fire(s, tx->events[i].path, tx->events[i].subtree,
                           tx->events[i].guest_read);
        }
    }
    tx_free(tx);
    return err;
}

void store_tx_clear(struct store_conn *c)
{
    while (c->txs) {
        struct store_tx *tx = c->txs;
        c->txs = tx->next;
        tx_free(tx);
    }
    c->ntxs = 0;
}
