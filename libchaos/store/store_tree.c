/*
 * store_tree.c - the store's in-memory tree (store_tree.h).
 *
 * Small trees (a guest's few hundred keys): children are an array
 * searched linearly, in creation order, which is also the order
 * DIRECTORY lists them in (as xenstored's child lists are).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_tree.h"

static struct store_node *node_new(const char *name, size_t namelen)
{
    struct store_node *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->name = malloc(namelen + 1);
    n->value = malloc(1);
    if (!n->name || !n->value) {
        free(n->name);
        free(n->value);
        free(n);
        return NULL;
    }
    memcpy(n->name, name, namelen);
    n->name[namelen] = '\0';
    n->namelen = namelen;
    n->value[0] = '\0';
    return n;
}

static void node_free(struct store_node *n)
{
    for (unsigned i = 0; i < n->nchildren; i++)
        node_free(n->children[i]);
    free(n->children);
    free(n->name);
    free(n->value);
    free(n);
}

int store_tree_init(struct store_tree *t, const struct store_perms *root)
{
    memset(t, 0, sizeof(*t));
    t->root = node_new("", 0);
    if (!t->root)
        return -ENOMEM;
    t->root->perms = *root;
    t->nodes = 1;
    return 0;
}

void store_tree_fini(struct store_tree *t)
{
    if (t->root)
        node_free(t->root);
    t->root = NULL;
}

static int add_child(struct store_node *parent, struct store_node *child)
{
    if (parent->nchildren == parent->cap) {
        unsigned cap = parent->cap ? parent->cap * 2 : 4;
        struct store_node **c =
            realloc(parent->children, cap * sizeof(*parent->children));
        if (!c)
            return -ENOMEM;
        parent->children = c;
        parent->cap = cap;
    }
    parent->children[parent->nchildren++] = child;
    child->parent = parent;
    return 0;
}

static struct store_node *node_clone(const struct store_node *src)
{
    struct store_node *n = node_new(src->name, src->namelen);
    if (!n)
        return NULL;
    char *v = malloc(src->len + 1);
    if (!v)
        goto fail;
    memcpy(v, src->value, src->len + 1);
    free(n->value);
    n->value = v;
    n->len = src->len;
    n->perms = src->perms;
    n->gen = src->gen;
    for (unsigned i = 0; i < src->nchildren; i++) {
        struct store_node *c = node_clone(src->children[i]);
        if (!c)
            goto fail;
        if (add_child(n, c) < 0) {
            node_free(c);
            goto fail;
        }
    }
    return n;
fail:
    node_free(n);
    return NULL;
}

int store_tree_clone(struct store_tree *dst, const struct store_tree *src)
{
    *dst = *src;
    dst->root = node_clone(src->root);
    return dst->root ? 0 : -ENOMEM;
}

static struct store_node *find_child(const struct store_node *n,
                                     const char *name, size_t len)
{
    for (unsigned i = 0; i < n->nchildren; i++) {
        struct store_node *c = n->children[i];
        if (c->namelen == len && memcmp(c->name, name, len) == 0)
            return c;
    }
    return NULL;
}

/* The next component of *p (after its '/'): its start and length. */
static const char *next_component(const char **p, size_t *len)
{
    const char *s = *p + 1; /* skip '/' */
    const char *e = strchr(s, '/');
    *len = e ? (size_t)(e - s) : strlen(s);
    *p = s + *len;
    return s;
}

struct store_node *store_tree_nearest(const struct store_tree *t,
                                      const char *path, unsigned *missing,
                                      size_t *missing_bytes)
{
    struct store_node *n = t->root;
    const char *p = path;
    *missing = 0;
    *missing_bytes = 0;
    if (strcmp(path, "/") == 0)
        return n;
    while (*p) {
        size_t len;
        const char *name = next_component(&p, &len);
        struct store_node *c = find_child(n, name, len);
        if (!c) {
            (*missing)++;
            *missing_bytes += len;
            while (*p) {
                next_component(&p, &len);
                (*missing)++;
                *missing_bytes += len;
            }
            return n;
        }
        n = c;
    }
    return n;
}

struct store_node *store_tree_lookup(const struct store_tree *t,
                                     const char *path)
{
    unsigned missing;
    size_t bytes;
    struct store_node *n = store_tree_nearest(t, path, &missing, &bytes);
    return missing ? NULL : n;
}

int store_tree_create(struct store_tree *t, const char *path,
                      const struct store_perms *perms, int owner,
                      struct store_node **out)
{
    struct store_node *n = t->root, *first = NULL;
    const char *p = path;
    if (strcmp(path, "/") == 0) {
        *out = n;
        return 0;
    }
    while (*p) {
        size_t len;
        const char *name = next_component(&p, &len);
        struct store_node *c = find_child(n, name, len);
        if (!c) {
            c = node_new(name, len);
            if (!c || add_child(n, c) < 0) {
                if (c)
                    node_free(c);
                goto fail;
            }
            c->perms = perms ? *perms : n->perms;
            if (!perms && owner >= 0)
                c->perms.p[0].id = (uint16_t)owner;
            if (!first)
                first = c;
            t->nodes++;
            t->bytes += len;
            n->gen = c->gen = ++t->gen;
        }
        n = c;
    }
    *out = n;
    return 0;
fail:
    if (first)
        store_tree_remove(t, first);
    return -ENOMEM;
}

int store_tree_append(struct store_tree *t, struct store_node *parent,
                      const char *name, size_t namelen, struct store_node **out)
{
    struct store_node *c = node_new(name, namelen);
    if (!c || add_child(parent, c) < 0) {
        if (c)
            node_free(c);
        return -ENOMEM;
    }
    c->perms = parent->perms;
    t->nodes++;
    t->bytes += namelen;
    *out = c;
    return 0;
}

int store_tree_set_value(struct store_tree *t, struct store_node *n,
                         const void *value, size_t len)
{
    char *v = malloc(len + 1);
    if (!v)
        return -ENOMEM;
    if (len)
        memcpy(v, value, len);
    v[len] = '\0';
    free(n->value);
    t->bytes = t->bytes - n->len + len;
    n->value = v;
    n->len = len;
    n->gen = ++t->gen;
    return 0;
}

void store_tree_set_perms(struct store_tree *t, struct store_node *n,
                          const struct store_perms *perms)
{
    n->perms = *perms;
    n->gen = ++t->gen;
}

static void uncount(struct store_tree *t, const struct store_node *n)
{
    t->nodes--;
    t->bytes -= n->namelen + n->len;
    for (unsigned i = 0; i < n->nchildren; i++)
        uncount(t, n->children[i]);
}

void store_tree_remove(struct store_tree *t, struct store_node *n)
{
    struct store_node *parent = n->parent;
    for (unsigned i = 0; i < parent->nchildren; i++) {
        if (parent->children[i] == n) {
            memmove(&parent->children[i], &parent->children[i + 1],
                    (parent->nchildren - i - 1) * sizeof(*parent->children));
            parent->nchildren--;
            break;
        }
    }
    parent->gen = ++t->gen;
    uncount(t, n);
    node_free(n);
}

static int walk(struct store_node *n, char *path, size_t used, size_t cap,
                int (*fn)(struct store_node *, const char *, void *), void *arg)
{
    for (unsigned i = 0; i < n->nchildren; i++) {
        struct store_node *c = n->children[i];
        size_t sep = used > 1; /* "/" has its slash already */
        if (used + sep + c->namelen + 1 > cap)
            return -ENAMETOOLONG;
        if (sep)
            path[used] = '/';
        memcpy(path + used + sep, c->name, c->namelen + 1);
        int r = walk(c, path, used + sep + c->namelen, cap, fn, arg);
        if (r)
            return r;
    }
    path[used] = '\0';
    return fn(n, path, arg);
}

int store_tree_walk(struct store_node *n, char *path, size_t cap,
                    int (*fn)(struct store_node *n, const char *path,
                              void *arg),
                    void *arg)
{
    return walk(n, path, strlen(path), cap, fn, arg);
}
