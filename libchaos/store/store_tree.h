/*
 * store_tree.h - the private store's in-memory tree (store.h).
 *
 * Nodes as xenstored keeps them: a name, a value of any bytes, children
 * in creation order, a permission list and a generation.  Paths given to
 * these functions are canonical absolute paths ("/" or "/a/b", checked by
 * the caller: store_path.c); the tree only counts, it enforces no quota.
 */
#ifndef CHAOS_STORE_TREE_H
#define CHAOS_STORE_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A node's permission list holds at most this many entries. */
#define STORE_PERMS_MAX 8

/* Permission bits (xenstored's XS_PERM_* values, OWNER is ours only). */
enum {
    STORE_PERM_NONE = 0,
    STORE_PERM_READ = 1,
    STORE_PERM_WRITE = 2,
    STORE_PERM_OWNER = 8,
};

struct store_perm {
    uint16_t id;   /* domid */
    uint8_t perms; /* STORE_PERM_READ | STORE_PERM_WRITE */
};

/* p[0]: the owner, and what every domain without an entry may do. */
struct store_perms {
    unsigned num; /* 1..STORE_PERMS_MAX */
    struct store_perm p[STORE_PERMS_MAX];
};

struct store_node {
    struct store_node *parent; /* NULL for "/" */
    struct store_node **children;
    unsigned nchildren, cap;
    char *name; /* the last component ("" for "/") */
    size_t namelen;
    char *value; /* len bytes, NUL-terminated for convenience */
    size_t len;
    struct store_perms perms;
    uint64_t gen; /* the tree's gen when it or its child list changed */
};

struct store_tree {
    struct store_node *root;
    unsigned nodes; /* including "/" */
    size_t bytes;   /* names and values */
    uint64_t gen;
};

/* An empty tree: "/" with the given permissions.  0 or -ENOMEM. */
int store_tree_init(struct store_tree *t, const struct store_perms *root);
void store_tree_fini(struct store_tree *t);
/* A deep copy of src (for a transaction).  0 or -ENOMEM. */
int store_tree_clone(struct store_tree *dst, const struct store_tree *src);

/* The node at path, or NULL. */
struct store_node *store_tree_lookup(const struct store_tree *t,
                                     const char *path);
/*
 * The node at path or, when it is missing, its nearest existing ancestor;
 * *missing: how many components of path do not exist, *missing_bytes:
 * their names' length.
 */
struct store_node *store_tree_nearest(const struct store_tree *t,
                                      const char *path, unsigned *missing,
                                      size_t *missing_bytes);

/*
 * Creates path's missing nodes (the caller checked quota with
 * store_tree_nearest).  Each new node gets perms if non-NULL, else its
 * parent's with the owner replaced by owner when owner >= 0.  The node at
 * path (existing or new) in *out.  0 or -ENOMEM (nothing changed).
 */
int store_tree_create(struct store_tree *t, const char *path,
                      const struct store_perms *perms, int owner,
                      struct store_node **out);
/*
 * Appends a new child called name (namelen bytes, not checked: the
 * caller's job) to parent, with an empty value, parent's permissions and
 * generation 0, counted in t but without moving t's generation (a tree
 * rebuilt from a snapshot, store_snap.c).  0 or -ENOMEM.
 */
int store_tree_append(struct store_tree *t, struct store_node *parent,
                      const char *name, size_t namelen,
                      struct store_node **out);
/* Replaces a node's value.  0 or -ENOMEM (unchanged). */
int store_tree_set_value(struct store_tree *t, struct store_node *n,
                         const void *value, size_t len);
void store_tree_set_perms(struct store_tree *t, struct store_node *n,
                          const struct store_perms *perms);
/* Removes n (not "/") and its subtree. */
void store_tree_remove(struct store_tree *t, struct store_node *n);

/*
 * Calls fn on every node of n's subtree, children before their parent
 * (the order xenstored fires removal watches in), with the node's path
 * in path (a buffer of cap bytes holding n's path, reused).  Stops at a
 * non-zero return and returns it; -ENAMETOOLONG if a path does not fit.
 */
int store_tree_walk(struct store_node *n, char *path, size_t cap,
                    int (*fn)(struct store_node *n, const char *path,
                              void *arg),
                    void *arg);

#endif /* CHAOS_STORE_TREE_H */
