/*
 * store_serve.c - a guest's private XenStore on its ring and on a dom0
 * socket (see store_serve.h and docs/store.md).
 *
 * The ring is read on the guest's notifications only (and once when
 * serving starts: a request the guest wrote before we bound its channel
 * was announced to an unbound port, which Xen drops).  Each pass takes
 * what the guest produced, at most one ring's worth, feeds the guest's
 * connection and pushes its replies; when the replies do not fit the
 * response ring, the store stops consuming requests (store.h's
 * back-pressure) until the guest reads its replies and notifies again.
 * A guest that breaks the ring or the protocol is disconnected: its ring
 * is no longer served (a message says why), the rest of the host goes on.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "console/console_socket.h"
#include "hv/hv_dev.h"
#include "internal.h"
#include "registry.h"
#include "store/store.h"
#include "store/store_client.h"
#include "store/store_ring.h"
#include "store_serve.h"

/* dom0 clients at once: tools connect for a request or a listing. */
#define MAX_CLIENTS 8
/* Ring-fulls of requests read per notification (see store_server_ring). */
#define STORE_RING_PASSES 16
#define MSG_LEN 300

struct client {
    int fd; /* -1: free slot */
    struct store_conn *conn;
};

struct store_server {
    chaos_ctx *ctx;
    chaos_domid domid;
    struct store *st;
    struct hv_evtchn *ev; /* the caller's */
    struct hv_page *page;
    uint32_t local_port;
    struct store_conn *guest; /* NULL: disconnected */
    bool busy;                /* requests left in the ring for next time */
    store_changed_fn *changed;
    void *changed_arg;
    uint64_t seen_generation;
    uint64_t snap_generation; /* the store's when the snapshot was written */
    bool snap_failed;         /* said once */
    char snap_path[256];
    int listen_fd;
    char sock_path[256];
    dev_t sock_dev;
    ino_t sock_ino;
    struct client clients[MAX_CLIENTS];
    unsigned closes; /* clients' fds closed (store_server_closes) */
    char msg[MSG_LEN];
    bool has_msg;
};

static void say(struct store_server *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void say(struct store_server *s, const char *fmt, ...)
{
    va_list ap;
    /* One message is kept; the devices server takes it after every call. */
    va_start(ap, fmt);
    vsnprintf(s->msg, sizeof(s->msg), fmt, ap);
    va_end(ap);
    s->has_msg = true;
}

int store_serve_socket_path(chaos_domid domid, char *out, size_t len)
{
    char dir[200];
    int rc = registry_run_path("store", dir, sizeof(dir));
    if (rc)
        return rc;
    int n = snprintf(out, len, "%s/%u.sock", dir, domid);
    return n > 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

static void drop_guest(struct store_server *s, const char *why)
{
    say(s, "domain %u: store disconnected: %s", s->domid, why);
    store_disconnect(s->guest);
    s->guest = NULL;
}

/* Moves the guest connection's queued output into the response ring. */
static bool push_guest(struct store_server *s)
{
    void *page = hv_page_addr(s->page);
    bool moved = false;
    const void *data;
    size_t len;

    while (s->guest && (len = store_conn_peek(s->guest, &data)) > 0) {
        ssize_t n = store_ring_write(page, data, len);
        if (n < 0) {
            drop_guest(s, "its response ring's index is impossible");
            break;
        }
        if (n == 0)
            break; /* full: the guest reads, then notifies */
        store_conn_consume(s->guest, (size_t)n);
        moved = true;
    }
    return moved;
}

static void close_client(struct store_server *s, struct client *c)
{
    store_disconnect(c->conn);
    if (c->fd >= 0) {
        close(c->fd);
        s->closes++;
    }
    c->fd = -1;
    c->conn = NULL;
}

/* Writes what a socket client's connection queued, as far as the socket
 * takes it now (the rest when it polls writable). */
static void push_client(struct store_server *s, struct client *c)
{
    const void *data;
    size_t len;

    while (c->fd >= 0 && (len = store_conn_peek(c->conn, &data)) > 0) {
        ssize_t n = send(c->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) {
            close_client(s, c);
            return;
        }
        store_conn_consume(c->conn, (size_t)n);
    }
}

int store_snap_path(chaos_domid domid, char *out, size_t len)
{
    int n = snprintf(out, len, "%s/%u.xs", registry_dir(), domid);
    return n > 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

/* Writes all of buf to path.new, then renames it over path. */
static int write_atomic(const char *path, const void *buf, size_t len)
{
    char tmp[300];
    if (snprintf(tmp, sizeof(tmp), "%s.new", path) >= (int)sizeof(tmp))
        return -ENAMETOOLONG;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    const char *p = buf;
    int rc = 0;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? -errno : -EIO;
            break;
        }
        p += n;
        len -= (size_t)n;
    }
    if (close(fd) != 0 && !rc)
        rc = -errno;
    if (!rc && rename(tmp, path) != 0)
        rc = -errno;
    if (rc)
        unlink(tmp);
    return rc;
}

/*
 * Keeps the store's state for a supervisor that takes the guest over
 * (docs/store.md, "Handover"): req_cons is where the ring's requests
 * stand for this state.  Written before the requests are consumed and
 * their replies pushed, so that a supervisor killed at any point leaves
 * a snapshot of everything the guest was told (what was pushed after it
 * is counted from the ring's indices).
 */
static void snap_write(struct store_server *s, uint32_t req_cons)
{
    struct store_ring_pos pos;
    store_ring_position(hv_page_addr(s->page), &pos);
    struct store_snap_ring ring = { req_cons, pos.rsp_prod };
    void *buf;
    size_t len;
    int rc = store_snapshot(s->st, &ring, &buf, &len);
    if (!rc) {
        rc = write_atomic(s->snap_path, buf, len);
        free(buf);
    }
    if (rc && !s->snap_failed)
        say(s,
            "domain %u: store snapshot %s not written (%s): a supervisor "
            "taking the guest over would start a new tree",
            s->domid, s->snap_path, strerror(-rc));
    s->snap_failed = rc != 0;
    s->snap_generation = store_generation(s->st);
}

/*
 * After input, before its replies are out: the devices follow the tree
 * (they may write their states), then the state is kept when the input
 * consumed ring bytes or anything changed the tree.
 */
static void settle(struct store_server *s, bool consumed, uint32_t req_cons)
{
    uint64_t gen = store_generation(s->st);
    if (gen != s->seen_generation) {
        s->seen_generation = gen;
        if (s->changed)
            s->changed(s->changed_arg);
    }
    if (consumed || store_generation(s->st) != s->snap_generation)
        snap_write(s, req_cons);
}

/* The ring's request index as it stands (no input consumed now). */
static uint32_t req_cons_now(struct store_server *s)
{
    struct store_ring_pos pos;
    store_ring_position(hv_page_addr(s->page), &pos);
    return pos.req_cons;
}

void store_server_flush(struct store_server *s)
{
    if (!s)
        return;
    /* dom0's own changes (the devices' states) are kept first. */
    if (store_generation(s->st) != s->snap_generation)
        snap_write(s, req_cons_now(s));
    if (push_guest(s))
        hv_evtchn_notify(s->ev, s->local_port);
    for (unsigned i = 0; i < MAX_CLIENTS; i++)
        push_client(s, &s->clients[i]);
}

/* After input from a socket client (dom0): settle, then send everything. */
static void after_input(struct store_server *s)
{
    settle(s, false, req_cons_now(s));
    store_server_flush(s);
}

/*
 * One pass over what the guest produced: false when the ring is empty or
 * the store stopped taking input (its replies wait for the guest).
 */
static bool ring_pass(struct store_server *s, bool *moved)
{
    void *page = hv_page_addr(s->page);
    char buf[1024]; /* one ring's worth */

    uint32_t cons = req_cons_now(s);
    ssize_t n = store_ring_peek(page, buf, sizeof(buf));
    if (n < 0) {
        drop_guest(s, "its request ring's index is impossible");
        return false;
    }
    if (n == 0)
        return false;
    ssize_t used = store_conn_input(s->guest, buf, (size_t)n);
    if (used < 0) {
        const char *why = "protocol error";
        store_conn_failed(s->guest, &why);
        char copy[MSG_LEN];
        snprintf(copy, sizeof(copy), "%s", why);
        drop_guest(s, copy);
        return false;
    }
    settle(s, used > 0, cons + (uint32_t)used);
    if (used > 0) {
        store_ring_consume(page, (size_t)used);
        *moved = true;
    }
    push_guest(s); /* replies out, so that the store takes more input */
    return used == n;
}

void store_server_ring(struct store_server *s)
{
    bool moved = false;

    /*
     * Until the ring is empty: a guest notifies only when it writes into
     * an empty ring (Linux's xb_write), so what it appended while we were
     * reading comes with no notification.  At most PASSES rings' worth per
     * call, so that a guest that floods cannot keep its supervisor (and
     * chaosd's other guests) waiting: the rest is for the next call, which
     * store_server_busy() asks for.
     */
    s->busy = false;
    for (unsigned pass = 0; s->guest && ring_pass(s, &moved); pass++)
        if (pass + 1 == STORE_RING_PASSES) {
            s->busy = true;
            break;
        }
    if (moved && s->guest)
        hv_evtchn_notify(s->ev, s->local_port); /* room for requests */
    store_server_flush(s);
}

bool store_server_busy(const struct store_server *s)
{
    return s && s->busy;
}

static void accept_client(struct store_server *s)
{
    int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    for (unsigned i = 0; i < MAX_CLIENTS; i++) {
        struct client *c = &s->clients[i];
        if (c->fd >= 0)
            continue;
        if (store_connect(s->st, 0, &c->conn) != 0)
            break;
        c->fd = fd;
        return;
    }
    close(fd); /* too many at once: the tool sees the connection close */
}

static void read_client(struct store_server *s, struct client *c)
{
    char buf[4096];
    ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {
        close_client(s, c);
        return;
    }
    /* A dom0 tool reads its replies as it goes: input it did not take
     * yet (back-pressure) is a client that does not read; drop it. */
    if (store_conn_input(c->conn, buf, (size_t)n) != n)
        close_client(s, c);
    after_input(s);
}

unsigned store_server_pollfds(const struct store_server *s, struct pollfd *fds,
                              unsigned max)
{
    unsigned n = 0;
    const void *data;

    if (!s || max == 0)
        return 0;
    fds[n++] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
    for (unsigned i = 0; i < MAX_CLIENTS && n < max; i++) {
        const struct client *c = &s->clients[i];
        if (c->fd < 0)
            continue;
        short events = POLLIN;
        if (store_conn_peek(c->conn, &data) > 0)
            events |= POLLOUT;
        fds[n++] = (struct pollfd){ .fd = c->fd, .events = events };
    }
    return n;
}

void store_server_handle(struct store_server *s, const struct pollfd *fds,
                         unsigned n)
{
    for (unsigned k = 0; k < n; k++) {
        if (!fds[k].revents)
            continue;
        if (fds[k].fd == s->listen_fd) {
            accept_client(s);
            continue;
        }
        for (unsigned i = 0; i < MAX_CLIENTS; i++) {
            struct client *c = &s->clients[i];
            if (c->fd != fds[k].fd)
                continue;
            if (fds[k].revents & (POLLIN | POLLERR | POLLHUP))
                read_client(s, c);
            if (c->fd >= 0 && (fds[k].revents & POLLOUT))
                push_client(s, c);
        }
    }
}

/*
 * A supervisor taking the guest over: the ring goes on where it stands;
 * the snapshot said where the restored state stood in it.  Requests the
 * state already holds are consumed (the last supervisor was killed before
 * it consumed them), and the queued output the guest already has is
 * dropped.  Anything else is a ring the guest scribbled on: said, and
 * served as it is.
 */
static void resume_ring(struct store_server *s,
                        const struct store_snap_ring *snap)
{
    void *page = hv_page_addr(s->page);
    struct store_ring_pos pos;
    const void *data;

    store_ring_position(page, &pos);
    uint32_t behind = snap->req_cons - pos.req_cons;
    uint32_t ahead = pos.req_cons - snap->req_cons;
    uint32_t avail = pos.req_prod - pos.req_cons;
    if (behind && behind <= avail && avail <= STORE_RING_BYTES)
        store_ring_consume(page, behind);
    else if (behind && ahead > STORE_RING_BYTES * 64u)
        say(s, "domain %u: store ring: request index %u, the snapshot's %u",
            s->domid, pos.req_cons, snap->req_cons);
    uint32_t sent = pos.rsp_prod - snap->rsp_prod;
    size_t queued = s->guest ? store_conn_peek(s->guest, &data) : 0;
    if (sent <= queued)
        store_conn_consume(s->guest, sent);
    else if (sent <= queued + STORE_RING_BYTES * 64u)
        store_conn_consume(s->guest, queued); /* and replies since */
    else
        say(s, "domain %u: store ring: response index %u, the snapshot's %u",
            s->domid, pos.rsp_prod, snap->rsp_prod);
}

int store_server_open(chaos_ctx *ctx, chaos_domid domid, struct store *st,
                      const struct store_snap_ring *resume,
                      struct hv_evtchn *ev, uint64_t frame, uint32_t port,
                      store_changed_fn *changed, void *arg,
                      struct store_server **out)
{
    struct store_server *s = calloc(1, sizeof(*s));
    *out = NULL;
    if (!s)
        return chaos__fail(ctx, -ENOMEM, "out of memory");
    s->ctx = ctx;
    s->domid = domid;
    s->st = st;
    s->ev = ev;
    s->changed = changed;
    s->changed_arg = arg;
    s->listen_fd = -1;
    for (unsigned i = 0; i < MAX_CLIENTS; i++)
        s->clients[i].fd = -1;
    int rc = 0;
    s->guest = store_guest_conn(st); /* restored from a snapshot */
    if (!s->guest)
        rc = store_connect(st, domid, &s->guest);
    if (rc)
        chaos__fail(ctx, rc, "cannot open the guest's store connection");
    if (!rc) {
        rc = store_snap_path(domid, s->snap_path, sizeof(s->snap_path));
        if (rc)
            chaos__fail(ctx, rc, "the store snapshot's path is too long");
    }
    if (!rc)
        rc = hv_page_map(ctx->hv, domid, frame, &s->page);
    if (!rc)
        rc = hv_evtchn_bind(ev, domid, port, &s->local_port);
    if (!rc) {
        rc = store_serve_socket_path(domid, s->sock_path, sizeof(s->sock_path));
        if (rc)
            chaos__fail(ctx, rc, "the store socket's path is too long");
    }
    if (!rc) {
        int fd = console_socket_listen(s->sock_path, &s->sock_dev, &s->sock_ino,
                                       ctx->errmsg, sizeof(ctx->errmsg));
        if (fd < 0)
            rc = fd;
        else
            s->listen_fd = fd;
    }
    if (rc) {
        s->sock_path[0] = '\0'; /* not ours to unlink */
        store_server_close(s);
        return rc;
    }
    s->seen_generation = store_generation(st);
    if (resume) {
        resume_ring(s, resume);
    } else {
        struct store_ring_pos pos;
        store_ring_position(hv_page_addr(s->page), &pos);
        if (pos.rsp_prod != 0) /* someone answered it before us */
            say(s,
                "domain %u: no store snapshot from its last supervisor: a "
                "new tree (its connected devices are not found in it)",
                domid);
    }
    snap_write(s, req_cons_now(s)); /* a successor finds this state */
    *out = s;
    return 0;
}

uint32_t store_server_local_port(const struct store_server *s)
{
    return s->local_port;
}

const char *store_server_take_message(struct store_server *s)
{
    if (!s || !s->has_msg)
        return NULL;
    s->has_msg = false;
    return s->msg;
}

void store_server_close(struct store_server *s)
{
    if (!s)
        return;
    for (unsigned i = 0; i < MAX_CLIENTS; i++)
        close_client(s, &s->clients[i]);
    if (s->listen_fd >= 0) {
        close(s->listen_fd);
        console_socket_unlink(s->sock_path, s->sock_dev, s->sock_ino);
    }
    if (s->local_port)
        hv_evtchn_unbind(s->ev, s->local_port);
    store_disconnect(s->guest);
    hv_page_unmap(s->page);
    free(s);
}

int store_serve_load(chaos_domid domid, struct store **out,
                     struct store_snap_ring *ring, char *why, size_t whylen)
{
    char path[256];
    struct stat st;
    int rc = store_snap_path(domid, path, sizeof(path));
    if (rc)
        return snprintf(why, whylen, "its path is too long"), rc;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        rc = -errno;
        snprintf(why, whylen, "%s: %s", path, strerror(errno));
        return rc;
    }
    void *buf = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        st.st_size > STORE_SNAP_MAX) {
        snprintf(why, whylen, "%s: not a regular file of at most %d bytes",
                 path, STORE_SNAP_MAX);
        rc = -EBADMSG;
    } else if (!(buf = malloc((size_t)st.st_size + 1))) {
        rc = -ENOMEM;
        snprintf(why, whylen, "out of memory");
    } else {
        size_t have = 0;
        while (have < (size_t)st.st_size) {
            ssize_t n = read(fd, (char *)buf + have, (size_t)st.st_size - have);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            have += (size_t)n;
        }
        char reason[STORE_ERR_MAX];
        rc = store_restore((uint16_t)domid, NULL, buf, have, out, ring, reason,
                           sizeof(reason));
        if (rc)
            snprintf(why, whylen, "%s: %s", path, reason);
    }
    free(buf);
    close(fd);
    return rc;
}

/* A connection to domid's store socket: fd, -ENOENT (none served) or a
 * negative errno with a message. */
static int connect_store(chaos_ctx *ctx, chaos_domid domid)
{
    char sock[256];
    if (store_serve_socket_path(domid, sock, sizeof(sock)) != 0)
        return -ENOENT;
    int fd = console_socket_connect(sock);
    if (fd == -ENOENT || fd == -ECONNREFUSED)
        return -ENOENT; /* no store served for domid */
    if (fd < 0)
        return chaos__fail(ctx, fd,
                           "domain %u: cannot reach its store at %s: %s", domid,
                           sock, strerror(-fd));
    return fd;
}

/* Bounded: a supervisor busy with a flood still answers in time. */
#define CLIENT_TIMEOUT_MS 5000

int store_serve_write(chaos_ctx *ctx, chaos_domid domid, const char *path,
                      const char *value)
{
    char why[160];
    int fd = connect_store(ctx, domid);
    if (fd < 0)
        return fd;
    int rc = store_client_write(fd, path, value, CLIENT_TIMEOUT_MS, why,
                                sizeof(why));
    close(fd);
    if (rc)
        return chaos__fail(ctx, rc, "domain %u: writing %s: %s", domid, path,
                           why);
    return 0;
}

int store_serve_read(chaos_ctx *ctx, chaos_domid domid, const char *path,
                     char *buf, size_t len)
{
    char why[160];
    int fd = connect_store(ctx, domid);
    if (fd < 0)
        return fd == -ENOENT ? -ESRCH : fd;
    int rc = store_client_read(fd, path, buf, len, CLIENT_TIMEOUT_MS, why,
                               sizeof(why));
    close(fd);
    if (rc && rc != -ENOENT)
        return chaos__fail(ctx, rc, "domain %u: reading %s: %s", domid, path,
                           why);
    return rc;
}

int store_serve_swap(chaos_ctx *ctx, chaos_domid domid, const char *path,
                     const char *expect, const char *value)
{
    char why[160], cur[64];
    int fd = connect_store(ctx, domid);
    if (fd < 0)
        return fd == -ENOENT ? -ESRCH : fd;
    int rc = store_client_swap(fd, path, expect, value, cur, sizeof(cur),
                               CLIENT_TIMEOUT_MS, why, sizeof(why));
    close(fd);
    if (rc < 0)
        return chaos__fail(ctx, rc, "domain %u: replacing %s: %s", domid, path,
                           why);
    return rc;
}

int store_server_put(struct store_server *s, const char *path,
                     const char *value)
{
    int rc = store_put(s->st, path, value, STORE_GUEST_READ);
    if (rc == 0)
        after_input(s); /* kept, and the guest's watches told */
    return rc;
}

unsigned store_server_closes(const struct store_server *s)
{
    return s ? s->closes : 0;
}
