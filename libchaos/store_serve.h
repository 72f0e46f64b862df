/*
 * store_serve.h - the supervisor's side of a guest's private XenStore
 * (docs/store.md).  The store itself (libchaos/store/) is pure; this part
 * connects it to the world:
 *
 *  - the guest's ring: its store page, mapped, and its store event
 *    channel, bound on the event channel handle of the guest's devices
 *    server (devices_serve.c owns it and calls store_server_ring() when
 *    the port fires);
 *  - a root-only UNIX socket, RUNDIR/store/DOMID.sock, on which dom0's
 *    tools speak the same protocol, as to xenstored's socket: `chaos
 *    shutdown` writes control/shutdown there, and Debian's xenstore-ls
 *    reads the tree with XENSTORED_PATH set to the socket.
 *
 * Same event-loop contract as the console server: pollfds, then handle
 * with what poll() returned.  Never blocks.
 */
#ifndef CHAOS_STORE_SERVE_H
#define CHAOS_STORE_SERVE_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#include "chaos.h"

struct hv_evtchn;
struct store;
struct store_server;
struct store_snap_ring;

/* Called after input changed the store (its generation moved), before
 * the connections' output is flushed: devices_xs.c follows the front
 * ends' keys from here. */
typedef void store_changed_fn(void *arg);

/*
 * Serves st (owned by the caller, who frees it after closing) for domid:
 * maps the ring at frame, binds the guest's port on ev (the caller's
 * handle: *local_port is what store_server_ring() answers to), listens on
 * the socket.  resume: st was restored from the snapshot of a supervisor
 * this one takes the guest over from (store_serve_load), and where its
 * state stood in the ring (the ring goes on from there); NULL: a new
 * tree.  From then on the store's state is kept in the snapshot file
 * (RUNDIR/domains/DOMID.xs) after every batch of requests that consumed
 * ring bytes and after every change to the tree, before the replies go
 * out.  0 and *out, or -errno and a message on ctx (nothing left
 * open).  ctx must outlive the server.
 */
int store_server_open(chaos_ctx *ctx, chaos_domid domid, struct store *st,
                      const struct store_snap_ring *resume,
                      struct hv_evtchn *ev, uint64_t frame, uint32_t port,
                      store_changed_fn *changed, void *arg,
                      struct store_server **out);
uint32_t store_server_local_port(const struct store_server *s);

/* The socket's descriptors (listening, and each client). */
unsigned store_server_pollfds(const struct store_server *s, struct pollfd *fds,
                              unsigned max);
/* Handles the entries of fds that are the server's (others are skipped). */
void store_server_handle(struct store_server *s, const struct pollfd *fds,
                         unsigned n);
/* The guest's store channel fired (or the sweep when serving starts):
 * read its requests, answer, push what waits for it. */
void store_server_ring(struct store_server *s);
/* Requests are left in the ring (a guest that floods gets a bounded share
 * of each call): call store_server_ring() again soon, without waiting
 * for a notification (the guest sends none while the ring is not empty). */
bool store_server_busy(const struct store_server *s);
/* Pushes every connection's queued output (after dom0 changed the tree:
 * watch events). */
void store_server_flush(struct store_server *s);

/* A log line (the guest was disconnected, and why), or NULL. */
const char *store_server_take_message(struct store_server *s);
/* Closes the clients and the socket, unbinds and unmaps.  NULL ok. */
void store_server_close(struct store_server *s);
/* dom0 writes path = value in the served tree, in this process (a node
 * it creates is the guest's to read), as a socket client's write would:
 * watches fire, the state is kept.  For the supervisor's own changes,
 * which cannot go through its socket: it is the one serving it. */
int store_server_put(struct store_server *s, const char *path,
                     const char *value);
/* How many of the fds pollfds() returned were closed so far (clients
 * gone; console_server_closes says why it matters).  NULL: 0. */
unsigned store_server_closes(const struct store_server *s);

/* RUNDIR/domains/DOMID.xs, the store snapshot's path: 0 or -ENAMETOOLONG. */
int store_snap_path(chaos_domid domid, char *out, size_t len);

/* RUNDIR/store/DOMID.sock: where domid's supervisor serves its store to
 * dom0's own clients (store_serve_write and the others below). */
int store_serve_socket_path(chaos_domid domid, char *out, size_t len);

/*
 * The store the last supervisor of domid kept (its snapshot, validated):
 * 0, *out and *ring; -ENOENT (none), or another -errno; why says why.
 * Never prints.
 */
int store_serve_load(chaos_domid domid, struct store **out,
                     struct store_snap_ring *ring, char *why, size_t whylen);

/*
 * `chaos shutdown` and chaosd: writes value at path (absolute) in domid's
 * private store, through its supervisor's socket, and waits (bounded) for
 * the answer.  -ENOENT (no message) when domid has no such socket.
 */
int store_serve_write(chaos_ctx *ctx, chaos_domid domid, const char *path,
                      const char *value);

/* Reads path in domid's private store into buf: 0, -ENOENT (no such
 * node), -ESRCH (no store served for domid), or -errno with a message. */
int store_serve_read(chaos_ctx *ctx, chaos_domid domid, const char *path,
                     char *buf, size_t len);

/* Writes value at path if it holds expect, in one transaction (a suspend
 * request withdrawn unless the guest took it): 1 written, 0 not, -ESRCH
 * (no store served), or -errno with a message. */
int store_serve_swap(chaos_ctx *ctx, chaos_domid domid, const char *path,
                     const char *expect, const char *value);

#endif /* CHAOS_STORE_SERVE_H */
