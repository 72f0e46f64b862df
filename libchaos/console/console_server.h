/*
 * console_server.h - serves one guest console: the ring, the log file and
 * the clients attached to the console's UNIX socket.
 *
 * It is an object for an event loop, not a loop: the owner asks it which
 * fds to watch (console_server_pollfds), polls them (poll(2), libuv, ...)
 * and hands the results back (console_server_handle).  No threads, and no
 * call ever blocks.
 *
 * Data flow:
 *   guest out ring -> log file, backlog (the newest output, default 16 KiB),
 *                     every attached client's queue
 *   any client     -> pending input (4 KiB) -> guest in ring
 * Several clients may attach at once (up to max_clients): all see the
 * output and all may type, like a shared terminal.  A client that does not
 * keep up (its queue overflows) is disconnected rather than slowing the
 * guest or the other clients.  When the guest does not read its input,
 * the pending input fills and clients are no longer read, so the socket
 * buffers push back on them.
 *
 * The guest side comes in through struct console_guest, so that unit tests
 * can use a ring in ordinary memory and a pipe for the event channel.
 */
#ifndef CHAOS_CONSOLE_SERVER_H
#define CHAOS_CONSOLE_SERVER_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "console_ring.h"

#define CONSOLE_SERVER_MAX_CLIENTS 16
/* The guest's fd, the listening socket and every client. */
#define CONSOLE_SERVER_MAX_POLLFDS (2 + CONSOLE_SERVER_MAX_CLIENTS)

#define CONSOLE_BACKLOG_DEFAULT (16 * 1024)
#define CONSOLE_CLIENT_QUEUE_DEFAULT (64 * 1024)
#define CONSOLE_MAX_CLIENTS_DEFAULT 8

/* The guest end of a console: the real one is made by hv_console.c. */
struct console_guest {
    struct console_ring_page *ring; /* the shared page */
    int fd;                         /* readable: the guest notified us */
    int (*ack)(void *opaque);       /* consume that notification and
                                        * unmask; 0 or -errno */
    int (*notify)(void *opaque);    /* kick the guest; 0 or -errno */
    void *opaque;
};

struct console_server_config {
    const char *socket_path;   /* required; its dir is made 0700 */
    const char *log_path;      /* NULL: no log file */
    uint64_t log_cap_bytes;    /* 0: no cap (see console_log.h) */
    size_t backlog_bytes;      /* 0: CONSOLE_BACKLOG_DEFAULT */
    size_t client_queue_bytes; /* 0: CONSOLE_CLIENT_QUEUE_DEFAULT */
    unsigned max_clients;      /* 0: default; at most ..._MAX_CLIENTS */
};

struct console_server;

/*
 * Starts serving: opens the log, listens on the socket, and drains what
 * the guest printed before anyone listened.  guest and cfg are copied
 * (strings too).  Returns 0 and sets *out, or a negative errno value with
 * the reason in err.
 */
int console_server_open(const struct console_guest *guest,
                        const struct console_server_config *cfg,
                        struct console_server **out, char *err, size_t errlen);

/* How many of the fds pollfds() returned the server has closed so far
 * (clients gone): an owner that keeps its watches across calls must
 * renew them when this changes, since a new fd may reuse a closed one's
 * number. */
unsigned console_server_closes(const struct console_server *s);

/*
 * Starts the log of a server opened without one (log_path NULL), as open
 * would have: the backlog seeded from the log's tail (when the guest has
 * printed nothing yet), then what the guest printed since drained into
 * it.  A supervisor prepared before its guest has a name opens its
 * server then, and its log once the name is known.  0, or a negative
 * errno value with the reason in err (the server goes on without a log).
 */
int console_server_start_log(struct console_server *s, const char *log_path,
                             uint64_t cap_bytes, char *err, size_t errlen);

/* Moves the open log to log_path (console_log_move: a guest renamed while
 * it runs).  -ENOENT without a log; 0, or a negative errno value with the
 * reason in err (the log stays where it was). */
int console_server_move_log(struct console_server *s, const char *log_path,
                            char *err, size_t errlen);

/*
 * Fills fds (fd, events; revents cleared) with what to watch now and
 * returns how many were filled.  The set changes as clients come and go:
 * ask again before every poll.  max >= CONSOLE_SERVER_MAX_POLLFDS always
 * suffices; with less, clients are left out.
 */
unsigned console_server_pollfds(const struct console_server *s,
                                struct pollfd *fds, unsigned max);

/*
 * Acts on poll results: any subset of the fds, in any order, is fine, and
 * n == 0 simply moves data (drains the ring, passes pending input): call
 * it so after a poll timeout, to be robust against lost notifications.
 * Returns 0, or a negative errno value when the guest side failed and the
 * console cannot go on (console_server_errmsg() says why).  Problems that
 * do not stop the console are kept for console_server_take_warning().
 */
int console_server_handle(struct console_server *s, const struct pollfd *fds,
                          unsigned n);

/* Why the last console_server_handle() failed. */
const char *console_server_errmsg(const struct console_server *s);

/*
 * The first non-fatal problem since the last call (a broken ring from the
 * guest, a log write that failed, a client dropped for being too slow),
 * with a count of further ones; NULL if there was none.  Valid until the
 * next call on s.
 */
const char *console_server_take_warning(struct console_server *s);

/* Clients attached right now. */
unsigned console_server_clients(const struct console_server *s);

/*
 * Disconnects every client, removes the socket and closes the log.  Does
 * not touch the ring: call console_server_handle(s, NULL, 0) first for
 * the guest's last words.  NULL is accepted.
 */
void console_server_close(struct console_server *s);

#endif /* CHAOS_CONSOLE_SERVER_H */
