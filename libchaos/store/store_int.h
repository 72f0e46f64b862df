/*
 * store_int.h - the private store's internals, shared by store.c (the
 * store, connections, dispatch), store_ops.c (the operations),
 * store_path.c (paths and permissions) and store_watch.c (watches and
 * transactions).  Not part of any public interface.
 */
#ifndef CHAOS_STORE_INT_H
#define CHAOS_STORE_INT_H

#include "store.h"
#include "store_tree.h"
#include "store_wire.h"

/* "/local/domain/65535" */
#define STORE_HOME_MAX 24
/* A path buffer: the longest canonical path and its NUL. */
#define STORE_PATH_BUF (XENSTORE_ABS_PATH_MAX + 1)
/* The longest watch token: an event ("path\0token\0") always fits in a
 * payload, whatever path it reports. */
#define STORE_TOKEN_MAX (XENSTORE_PAYLOAD_MAX - XENSTORE_ABS_PATH_MAX - 2)

struct store_watch {
    struct store_watch *next;
    char *path; /* canonical ("/..." or "@...") */
    char *token;
    size_t prefix; /* bytes of path events skip (relative watches) */
};

/* A change a transaction made, reported to watches when it commits. */
struct store_event {
    char *path;
    bool subtree;    /* fires watches at path and above it, else only at */
    bool guest_read; /* the guest may read the node or its parent */
};

struct store_tx {
    struct store_tx *next;
    uint32_t id;
    uint64_t start;         /* store generation when it started */
    bool stale;             /* restored from a snapshot: its own copy of
                               the tree is gone, commit answers EAGAIN */
    struct store_tree tree; /* its own copy of the tree */
    struct store_event *events;
    unsigned nevents, cap;
};

struct store_conn {
    struct store *s;
    struct store_conn *next;
    uint16_t domid;
    bool priv;
    bool failed;
    struct store_decoder dec;
    struct store_outq out;
    struct store_watch *watches;
    unsigned nwatches;
    struct store_tx *txs;
    unsigned ntxs;
    uint32_t next_tx;
    char why[STORE_ERR_MAX];
};

struct store {
    uint16_t guest;
    struct store_limits lim;
    struct store_tree tree;
    uint64_t generation;
    struct store_conn *conns;
    struct store_conn *guest_conn;
    char home[STORE_HOME_MAX]; /* "/local/domain/GUEST" */
};

/* Who does an operation, on which tree: a request, or dom0's own call. */
struct store_req {
    struct store *s;
    struct store_conn *c; /* NULL: dom0's store_put & co */
    uint16_t domid;
    bool priv;
    bool quota;              /* node, byte and value quota apply */
    struct store_tree *tree; /* the store's or the transaction's */
    struct store_tx *tx;
    const struct xsd_sockmsg *msg;
    const char *data; /* the payload, NUL-terminated after len */
    size_t len;
};

/* ---- store_path.c ---- */
/*
 * Checks a path a client sent and makes it canonical (relative ones
 * under the guest's home) in out[STORE_PATH_BUF]: 0 or EINVAL.
 * allow_special: "@..." paths are accepted (watches).
 */
int store_path_canon(const struct store_req *r, const char *path,
                     bool allow_special, char *out, bool *relative);
/* What a domain may do with a node with these permissions. */
unsigned store_perm_for(const struct store_req *r, const struct store_perms *p);
unsigned store_perm_guest(const struct store *s, const struct store_perms *p);
/*
 * The node at path if the requester may do want with it, else NULL and
 * *err (ENOENT or EACCES, the latter also when the requester may not
 * learn whether the node exists, as xenstored answers).
 */
struct store_node *store_node_get(const struct store_req *r, const char *path,
                                  unsigned want, int *err);
/* Whether the guest may read n or its parent (who hears of n's changes). */
bool store_guest_hears(const struct store *s, const struct store_node *n);
/* Parses "n0" "r5"... (count strings in data[0..len)): 0 or EINVAL. */
int store_perms_parse(const char *data, size_t len, unsigned count,
                      struct store_perms *out);

/* ---- store_watch.c ---- */
/* A change: fired now, or recorded in r's transaction.  0 or ENOSPC /
 * ENOMEM (a transaction's record is full). */
int store_changed(const struct store_req *r, const char *path, bool subtree,
                  bool guest_read);
void store_fire(struct store *s, const char *path, bool subtree,
                bool guest_read);
int store_watch_add(struct store_conn *c, const char *path, const char *token,
                    size_t prefix);
int store_watch_del(struct store_conn *c, const char *path, const char *token);
void store_watch_clear(struct store_conn *c);
struct store_tx *store_tx_find(struct store_conn *c, uint32_t id);
int store_tx_start(struct store_conn *c, struct store_tx **out);
/* Ends tx (freed): 0, or EAGAIN when commit and the tree changed since. */
int store_tx_end(struct store_conn *c, struct store_tx *tx, bool commit);
void store_tx_clear(struct store_conn *c);

/* ---- store.c ---- */
/* Queues a message for c; on output past max_output, c fails. */
void store_send(struct store_conn *c, uint32_t type, uint32_t req_id,
                uint32_t tx_id, const struct store_part *parts, size_t n);
void store_conn_fail(struct store_conn *c, const char *why);

/* ---- store_ops.c ---- */
/* Carries out one request of c and queues its reply. */
void store_dispatch(struct store_conn *c, const struct xsd_sockmsg *msg,
                    const char *data);
/* The operations dom0's own calls share with requests. */
int store_do_write(const struct store_req *r, const char *path,
                   const void *value, size_t len,
                   const struct store_perms *perms);
int store_do_rm(const struct store_req *r, const char *path);
int store_do_set_perms(const struct store_req *r, struct store_node *n,
                       const char *path, const struct store_perms *perms);

#endif /* CHAOS_STORE_INT_H */
