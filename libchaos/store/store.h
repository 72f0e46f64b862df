/*
 * store.h - a private XenStore for one guest (issue 11, docs/store.md).
 *
 * Stock Linux front ends (netfront, blkfront, the shutdown watch) speak
 * only the XenStore protocol (xen/io/xs_wire.h).  Instead of one central
 * xenstored for every guest, the guest's supervisor answers that protocol
 * for that guest alone, from a small tree in its own memory:
 *
 *   guest ──store ring──► supervisor ─┐
 *                                     ├─► struct store (tree, watches,
 *   dom0 client ──UNIX socket──► ─────┘    transactions, per connection)
 *
 * This module is the pure part: the tree, the wire decoder and encoder,
 * the operations, watches and transactions, and the ring page's byte
 * transfer (store_ring.h).  No Xen calls, no I/O, no threads; the
 * supervisor (libchaos/store_serve.c) maps the ring, binds the event
 * channel and listens on the socket.
 *
 * Two kinds of connection, as xenstored has:
 *  - the guest's (domid == the store's guest): unprivileged; relative paths
 *    are under /local/domain/GUEST; it reads and writes only what the
 *    nodes' permissions allow it;
 *  - dom0's (domid 0): privileged, full access (the socket is root-only).
 *
 * Trust: everything the guest sends is hostile.  A request is at most
 * XENSTORE_PAYLOAD_MAX bytes (else the connection fails: -EPROTO); paths,
 * values, the tree's node count and bytes, watches and transactions per
 * connection and the output queued for a connection are bounded (struct
 * store_limits).  A request that breaks a rule gets an error reply (as
 * xenstored answers: EINVAL, EACCES, ENOSPC, E2BIG...); only framing
 * errors and an output queue past its bound fail the connection, which
 * the caller then closes.  A failed connection never affects the tree's
 * other users beyond what it had written.
 *
 * Errors: negative errno, and for connection failures a message from
 * store_conn_failed().  Nothing here prints.
 */
#ifndef CHAOS_STORE_H
#define CHAOS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A message buffer of this size holds any message of this module. */
#define STORE_ERR_MAX 160

struct store_limits {
    unsigned max_nodes;        /* nodes in the tree (default 2048) */
    size_t max_bytes;          /* names + values in the tree (256 KiB) */
    size_t max_value;          /* one value (2048, xenstored's default) */
    unsigned max_watches;      /* per connection (128) */
    unsigned max_transactions; /* open per connection (10) */
    size_t max_output;         /* replies and watch events queued for one
                                  connection before it fails (64 KiB) */
};

/* Fills lim with the defaults above. */
void store_limits_default(struct store_limits *lim);

struct store;      /* the tree and its connections */
struct store_conn; /* one client: the guest's ring, or a dom0 socket client */

/*
 * A store for guest (its home is /local/domain/GUEST).  lim NULL: the
 * defaults.  The tree starts with "/" and "/local/domain" (owned by dom0).
 * 0 and *out, or -ENOMEM / -EINVAL.
 */
int store_new(uint16_t guest, const struct store_limits *lim,
              struct store **out);
/* Frees the tree and every connection still open.  NULL ok. */
void store_free(struct store *s);

/* ---- dom0's own access (the supervisor: setup, device handshakes) ------ */

/* What the guest may do with a node dom0 creates. */
enum store_guest_access {
    STORE_GUEST_NONE, /* owner dom0, nobody else may read */
    STORE_GUEST_READ, /* owner dom0, the guest reads ("n0" "rGUEST") */
    STORE_GUEST_OWNS, /* owner the guest: it reads, writes, creates
                         children ("nGUEST" "r0") */
};

/*
 * Writes value (a string; "" for a directory-only node) at the absolute
 * path, creating missing parents (with the same access), and fires the
 * watches a write fires.  An existing node keeps its permissions unless
 * it is created here.  Not subject to the limits' node and byte quota
 * (dom0's setup must not fail because a guest filled its share), but to
 * the path and value size rules.  0, -EINVAL (bad path), -ENOMEM.
 */
int store_put(struct store *s, const char *path, const char *value,
              enum store_guest_access access);
/* Sets the permissions of an existing node; -ENOENT. */
int store_set_access(struct store *s, const char *path,
                     enum store_guest_access access);
/*
 * The value at the absolute path as a NUL-terminated string: 0,
 * -ENOENT, -ENOSPC (longer than len - 1; buf holds the start), -EINVAL
 * (the value holds a NUL byte).
 */
int store_get(const struct store *s, const char *path, char *buf, size_t len);
/* Removes the node and its subtree, firing watches; -ENOENT if absent. */
int store_remove(struct store *s, const char *path);
/*
 * Counts committed changes (writes, mkdirs, removals, permission changes,
 * committed transactions) from every connection and from dom0's calls:
 * the supervisor re-reads what it follows when it moved.
 */
uint64_t store_generation(const struct store *s);
/* Nodes in the tree, and their names' and values' bytes (for tests). */
void store_usage(const struct store *s, unsigned *nodes, size_t *bytes);

/* ---- connections ---------------------------------------------------------- */

/*
 * A new connection for domid: the store's guest (unprivileged) or 0
 * (dom0: privileged).  Another domid: -EINVAL.  A store has at most one
 * guest connection at a time (-EBUSY), and any number of dom0 ones.
 */
int store_connect(struct store *s, uint16_t domid, struct store_conn **out);
/* Closes: its watches and open transactions go.  NULL ok. */
void store_disconnect(struct store_conn *c);

/*
 * Feeds len bytes the client sent (they may end in the middle of a
 * request: the rest comes in a later call).  Every complete request is
 * carried out and its reply queued, in order.  Stops consuming once the
 * connection's queued output reaches half of max_output (the client must
 * read its replies first: xenstored's back-pressure), so the return value
 * is the number of bytes consumed (<= len; the caller offers the rest
 * again after the output drained), or -EPROTO when the connection failed
 * (a request longer than XENSTORE_PAYLOAD_MAX, or output past
 * max_output): the caller closes it and logs store_conn_failed()'s text.
 */
ssize_t store_conn_input(struct store_conn *c, const void *data, size_t len);

/*
 * Output waiting for the client: *data and the length of its first
 * contiguous part (0: nothing).  The caller sends what it can, then
 * store_conn_consume()s that many bytes.  Watch events fired by other
 * connections' changes (and by dom0's store_put) arrive here too, so
 * after any change the caller flushes every connection.
 */
size_t store_conn_peek(const struct store_conn *c, const void **data);
void store_conn_consume(struct store_conn *c, size_t n);

/* Whether the connection failed, and why (a static or connection-owned
 * string, valid until the connection is closed). */
bool store_conn_failed(const struct store_conn *c, const char **why);

/* ---- handover: the store's state for the next supervisor ---------------- */

/*
 * A snapshot (store_snap.c) holds what a supervisor that takes the guest
 * over needs to go on where the last one stopped: the tree (nodes,
 * values, permissions, generations), the store's generation, and the
 * guest connection's state: its watches (path, token), the ids of its
 * open transactions (restored stale: their operations work on the
 * current tree, their commit answers EAGAIN and the guest retries, as
 * Linux does), a request received in part, and the replies and events
 * not yet in its ring.  ring says where the ring stood for that state:
 * the request bytes consumed (req_cons) and where the first queued reply
 * byte goes (rsp_prod).  dom0's socket connections are not kept.
 *
 * Host byte order, a version, lengths bounded, a checksum at the end:
 * a snapshot is read back on the same host, and a bad one is refused.
 */
#define STORE_SNAP_MAX (1024 * 1024) /* bytes of one snapshot */

/* The checksum a snapshot ends with: FNV-1a (64 bits) over every byte
 * before it.  Tests and the fuzz target reseal the snapshots they change
 * with it. */
uint64_t store_snap_checksum(const void *data, size_t len);

struct store_snap_ring {
    uint32_t req_cons; /* request bytes consumed, the ring's index */
    uint32_t rsp_prod; /* where the guest's queued output starts */
};

/*
 * Encodes s (and its guest connection, if any) into a malloc'd buffer:
 * 0, *out and *len, or -ENOMEM, -EFBIG (over STORE_SNAP_MAX).
 */
int store_snapshot(const struct store *s, const struct store_snap_ring *ring,
                   void **out, size_t *len);

/*
 * The store of guest that buf (len bytes, hostile: every length, name,
 * path, count and the checksum is checked against lim, NULL: the
 * defaults) describes, with its guest connection open (store_guest_conn):
 * 0, *out and *ring, or -EBADMSG / -ENOMEM and a message in why.
 */
int store_restore(uint16_t guest, const struct store_limits *lim,
                  const void *buf, size_t len, struct store **out,
                  struct store_snap_ring *ring, char *why, size_t whylen);

/* The guest's connection, or NULL. */
struct store_conn *store_guest_conn(struct store *s);

#endif /* CHAOS_STORE_H */
