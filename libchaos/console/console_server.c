/*
 * console_server.c - one guest console served to a log and to clients over
 * a UNIX socket (see console_server.h and docs/console.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "console_fifo.h"
#include "console_log.h"
#include "console_server.h"
#include "console_socket.h"

/* Keystrokes waiting for room in the guest's 1 KiB input ring. */
#define INPUT_PENDING_BYTES 4096
/*
 * Most output moved per console_server_handle() call, so a guest that
 * prints without pause cannot keep the owner's loop (possibly serving other
 * consoles) busy.  What is left is picked up on the guest's next
 * notification, which it sends for every write, or the next timeout.
 */
#define DRAIN_BUDGET (64 * 1024)

struct client {
    int fd;                    /* -1: dropped, removed at the end of handle */
    bool input_closed;         /* it shut down its sending side */
    struct console_fifo queue; /* output not yet accepted by its socket */
};

struct console_server {
    struct console_guest guest;
    int listen_fd;
    char *socket_path;
    dev_t socket_dev;
    ino_t socket_ino;
    struct console_log *log;
    bool log_failing; /* reported; quiet until a write succeeds */
    /* A hostile guest could corrupt its ring at will: say so once only. */
    bool output_corrupt_reported;
    bool input_corrupt_reported;
    struct console_fifo backlog;
    size_t seeded; /* backlog bytes (its oldest) from the log's tail */
    struct console_fifo input;
    size_t queue_bytes;
    unsigned max_clients;
    unsigned nclients;
    struct client clients[CONSOLE_SERVER_MAX_CLIENTS];
    unsigned closes; /* clients' fds closed (console_server_closes) */
    char errmsg[256];
    char warning[256];
    unsigned warnings; /* since the last take_warning */
    char taken[300];   /* what take_warning returned */
};

static int server_fail(struct console_server *s, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void warn(struct console_server *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int server_fail(struct console_server *s, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
    va_end(ap);
    return code;
}

/* Keeps the first warning (usually the cause of the ones after it). */
static void warn(struct console_server *s, const char *fmt, ...)
{
    if (s->warnings++ > 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->warning, sizeof(s->warning), fmt, ap);
    va_end(ap);
}

static void drop_client(struct console_server *s, struct client *c)
{
    if (c->fd >= 0) {
        close(c->fd);
        s->closes++;
    }
    c->fd = -1;
    console_fifo_free(&c->queue);
}

/* Compacts the client array after drops (kept in attach order). */
static void remove_dropped(struct console_server *s)
{
    unsigned kept = 0;
    for (unsigned i = 0; i < s->nclients; i++)
        if (s->clients[i].fd >= 0)
            s->clients[kept++] = s->clients[i];
    s->nclients = kept;
}

static struct client *find_client(struct console_server *s, int fd)
{
    for (unsigned i = 0; i < s->nclients; i++)
        if (s->clients[i].fd == fd)
            return &s->clients[i];
    return NULL;
}

/* Sends what the client's socket takes now; drops it if it is gone. */
static void flush_client(struct console_server *s, struct client *c)
{
    const char *p;
    size_t run;
    while (c->fd >= 0 && (run = console_fifo_peek(&c->queue, 0, &p)) > 0) {
        ssize_t n = send(c->fd, p, run, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) {
            drop_client(s, c); /* EPIPE, ECONNRESET: it went away */
            return;
        }
        console_fifo_drop(&c->queue, (size_t)n);
    }
}

/* One chunk of guest output to the log, the backlog and every client. */
static void deliver(struct console_server *s, const char *buf, size_t n)
{
    if (s->log) {
        if (console_log_write(s->log, buf, n) < 0) {
            if (!s->log_failing)
                warn(s, "console log: %s", console_log_errmsg(s->log));
            s->log_failing = true;
        } else {
            s->log_failing = false;
        }
    }
    /* The oldest bytes go first: the log's tail a resuming client skips. */
    size_t drop = s->backlog.len + n > s->backlog.cap
                      ? s->backlog.len + n - s->backlog.cap
                      : 0;
    s->seeded = s->seeded > drop ? s->seeded - drop : 0;
    console_fifo_push_overwrite(&s->backlog, buf, n);
    for (unsigned i = 0; i < s->nclients; i++) {
        struct client *c = &s->clients[i];
        if (c->fd >= 0 && !console_fifo_push(&c->queue, buf, n)) {
            warn(s,
                 "disconnected a console client that did not keep up "
                 "(%zu bytes queued)",
                 c->queue.len);
            drop_client(s, c);
        }
    }
}

static void notify_guest(struct console_server *s, const char *why)
{
    int rc = s->guest.notify(s->guest.opaque);
    if (rc < 0)
        warn(s, "cannot notify the guest after %s: %s", why, strerror(-rc));
}

static void drain_output(struct console_server *s)
{
    char buf[CONSOLE_RING_OUT_SIZE];
    size_t total = 0, n;
    bool corrupt = false;
    while (total < DRAIN_BUDGET &&
           (n = console_ring_read_output(s->guest.ring, buf, sizeof(buf),
                                         &corrupt)) > 0) {
        deliver(s, buf, n);
        total += n;
    }
    if (corrupt && !s->output_corrupt_reported) {
        warn(s, "the guest's console output indices were inconsistent; "
                "resynchronised (output may be garbled)");
        s->output_corrupt_reported = true;
    }
    if (total > 0)
        notify_guest(s, "reading its output"); /* room for more output */
}

static void flush_input(struct console_server *s)
{
    const char *p;
    size_t run, wrote = 0;
    bool corrupt = false;
    while ((run = console_fifo_peek(&s->input, 0, &p)) > 0) {
        size_t n = console_ring_write_input(s->guest.ring, p, run, &corrupt);
        console_fifo_drop(&s->input, n);
        wrote += n;
        if (n < run)
            break; /* the guest's ring is full */
    }
    if (corrupt && !s->input_corrupt_reported) {
        warn(s, "the guest's console input indices are inconsistent; "
                "its input is not delivered");
        s->input_corrupt_reported = true;
    }
    if (wrote > 0)
        notify_guest(s, "writing its input");
}

/* Reads a client's keystrokes into the pending input. */
static void read_client(struct console_server *s, struct client *c)
{
    char *p;
    size_t room = console_fifo_free_run(&s->input, &p);
    if (room == 0)
        return; /* backpressure: read it later */
    ssize_t n = recv(c->fd, p, room, MSG_DONTWAIT);
    if (n > 0)
        console_fifo_commit(&s->input, (size_t)n);
    else if (n == 0)
        c->input_closed = true; /* it may still want the output */
    else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        drop_client(s, c);
}

static void service_client(struct console_server *s, struct client *c,
                           short revents)
{
    if (revents & POLLIN)
        read_client(s, c);
    if (c->fd >= 0 && (revents & POLLOUT))
        flush_client(s, c);
    /* Hang-up: both directions are closed (read what it sent first). */
    if (c->fd >= 0 && (revents & (POLLHUP | POLLERR | POLLNVAL)))
        drop_client(s, c);
}

/* Attaches a new client: it gets the backlog, then live output.  A
 * resuming client (console_socket_connect_resume) has the log's tail the
 * backlog starts with: it gets only what this server collected. */
static void attach(struct console_server *s, int fd, bool resume)
{
    static const char busy[] = "\r\nchaos: too many clients attached to "
                               "this console\r\n";
    if (s->nclients >= s->max_clients) {
        ssize_t ignored =
            send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
        (void)ignored;
        close(fd);
        warn(s, "refused a console client: %u already attached", s->nclients);
        return;
    }
    struct client *c = &s->clients[s->nclients];
    if (console_fifo_init(&c->queue, s->queue_bytes) < 0) {
        close(fd);
        warn(s, "refused a console client: out of memory");
        return;
    }
    c->fd = fd;
    c->input_closed = false;
    const char *p;
    size_t run, off = resume ? s->seeded : 0;
    while ((run = console_fifo_peek(&s->backlog, off, &p)) > 0) {
        console_fifo_push(&c->queue, p, run); /* queue >= backlog */
        off += run;
    }
    s->nclients++;
}

static void accept_clients(struct console_server *s)
{
    for (;;) {
        struct sockaddr_un peer;
        socklen_t len = sizeof(peer);
        int fd = accept4(s->listen_fd, (struct sockaddr *)&peer, &len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            attach(s, fd, console_socket_is_resume(&peer, len));
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            warn(s, "accepting a console client: %s", strerror(errno));
        return;
    }
}

int console_server_handle(struct console_server *s, const struct pollfd *fds,
                          unsigned n)
{
    bool accept_now = false;
    s->errmsg[0] = '\0';
    for (unsigned i = 0; i < n; i++) {
        short rev = fds[i].revents;
        if (rev == 0 || fds[i].fd < 0)
            continue;
        if (fds[i].fd == s->guest.fd) {
            if (rev & (POLLERR | POLLNVAL))
                return server_fail(s, -EIO,
                                   "the guest's event channel fd "
                                   "reported an error");
            int rc = (rev & POLLIN) ? s->guest.ack(s->guest.opaque) : 0;
            if (rc < 0)
                return server_fail(s, rc,
                                   "cannot take the guest's "
                                   "notification: %s",
                                   strerror(-rc));
        } else if (fds[i].fd == s->listen_fd) {
            accept_now = true;
        } else {
            struct client *c = find_client(s, fds[i].fd);
            if (c)
                service_client(s, c, rev);
        }
    }
    /* Always, whatever woke us: reading two indices is cheap, and it makes
     * a lost or coalesced notification harmless. */
    drain_output(s);
    flush_input(s);
    /* Accept after the drain, so a new client's backlog is current; and
     * after serving clients, so fd numbers in fds still mean what they did. */
    if (accept_now)
        accept_clients(s);
    for (unsigned i = 0; i < s->nclients; i++)
        flush_client(s, &s->clients[i]);
    remove_dropped(s);
    return 0;
}

unsigned console_server_pollfds(const struct console_server *s,
                                struct pollfd *fds, unsigned max)
{
    unsigned n = 0;
    if (n < max)
        fds[n++] = (struct pollfd){ .fd = s->guest.fd, .events = POLLIN };
    if (n < max)
        fds[n++] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
    bool input_room = console_fifo_space(&s->input) > 0;
    for (unsigned i = 0; i < s->nclients && n < max; i++) {
        const struct client *c = &s->clients[i];
        short ev = 0;
        if (input_room && !c->input_closed)
            ev |= POLLIN;
        if (c->queue.len > 0)
            ev |= POLLOUT;
        /* events == 0 still reports hang-ups, which is all we need then. */
        fds[n++] = (struct pollfd){ .fd = c->fd, .events = ev };
    }
    return n;
}

static int dup_config(struct console_server *s,
                      const struct console_server_config *cfg)
{
    s->socket_path = strdup(cfg->socket_path);
    if (!s->socket_path)
        return -ENOMEM;
    s->max_clients =
        cfg->max_clients ? cfg->max_clients : CONSOLE_MAX_CLIENTS_DEFAULT;
    if (s->max_clients > CONSOLE_SERVER_MAX_CLIENTS)
        s->max_clients = CONSOLE_SERVER_MAX_CLIENTS;
    size_t backlog =
        cfg->backlog_bytes ? cfg->backlog_bytes : CONSOLE_BACKLOG_DEFAULT;
    s->queue_bytes = cfg->client_queue_bytes ? cfg->client_queue_bytes
                                             : CONSOLE_CLIENT_QUEUE_DEFAULT;
    if (s->queue_bytes < backlog) /* a new client gets all the backlog */
        s->queue_bytes = backlog;
    if (console_fifo_init(&s->backlog, backlog) < 0 ||
        console_fifo_init(&s->input, INPUT_PENDING_BYTES) < 0)
        return -ENOMEM;
    return 0;
}

/*
 * A server that takes over a guest (chaosd adopting it after its monitor
 * died, or a restart into the same log) finds the ring already drained by
 * its predecessor: the recent output is only in the log.  So the backlog
 * starts as the log's tail, and a client attaching then sees what the
 * guest last said, as it would have from the old server.  Best effort: a
 * log that cannot be read leaves the backlog empty.
 */
static void seed_backlog(struct console_server *s, const char *log_path)
{
    int fd = open(log_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return;
    struct stat st;
    size_t cap = s->backlog.cap;
    char *buf = malloc(cap);
    if (buf && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        off_t from = st.st_size > (off_t)cap ? st.st_size - (off_t)cap : 0;
        ssize_t n = pread(fd, buf, (size_t)(st.st_size - from), from);
        if (n > 0) {
            console_fifo_push_overwrite(&s->backlog, buf, (size_t)n);
            s->seeded = s->backlog.len;
        }
    }
    free(buf);
    close(fd);
}

int console_server_open(const struct console_guest *guest,
                        const struct console_server_config *cfg,
                        struct console_server **out, char *err, size_t errlen)
{
    struct console_server *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    s->guest = *guest;
    s->listen_fd = -1;
    int rc = dup_config(s, cfg);
    if (rc < 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (cfg->log_path) {
        seed_backlog(s, cfg->log_path);
        rc = console_log_open(cfg->log_path, cfg->log_cap_bytes, &s->log);
    }
    if (rc < 0) {
        snprintf(err, errlen, "cannot open the console log %s: %s",
                 cfg->log_path,
                 rc == -EINVAL ? "not a regular file" : strerror(-rc));
        goto fail;
    }
    rc = console_socket_listen(s->socket_path, &s->socket_dev, &s->socket_ino,
                               err, errlen);
    if (rc < 0)
        goto fail;
    s->listen_fd = rc;
    drain_output(s); /* printed before we bound the event channel */
    *out = s;
    return 0;
fail:
    console_server_close(s);
    return rc;
}

const char *console_server_errmsg(const struct console_server *s)
{
    return s->errmsg;
}

const char *console_server_take_warning(struct console_server *s)
{
    if (s->warnings == 0)
        return NULL;
    if (s->warnings == 1)
        snprintf(s->taken, sizeof(s->taken), "%s", s->warning);
    else
        snprintf(s->taken, sizeof(s->taken), "%s (and %u more problems)",
                 s->warning, s->warnings - 1);
    s->warnings = 0;
    return s->taken;
}

unsigned console_server_clients(const struct console_server *s)
{
    return s->nclients;
}

void console_server_close(struct console_server *s)
{
    if (!s)
        return;
    /* The socket first: a client that sees its connection end and
     * connects again at once (a keeper following the guest's next
     * server) must find none, not this one's listener still open. */
    if (s->listen_fd >= 0) {
        close(s->listen_fd);
        console_socket_unlink(s->socket_path, s->socket_dev, s->socket_ino);
    }
    for (unsigned i = 0; i < s->nclients; i++)
        drop_client(s, &s->clients[i]);
    console_log_close(s->log);
    console_fifo_free(&s->backlog);
    console_fifo_free(&s->input);
    free(s->socket_path);
    free(s);
}

int console_server_start_log(struct console_server *s, const char *log_path,
                             uint64_t cap_bytes, char *err, size_t errlen)
{
    if (s->log) {
        snprintf(err, errlen, "the console log is open already");
        return -EALREADY;
    }
    /* Older output seeds the backlog only if there is none of the
     * guest's yet, or the order would be wrong. */
    if (s->backlog.len == 0)
        seed_backlog(s, log_path);
    int rc = console_log_open(log_path, cap_bytes, &s->log);
    if (rc < 0) {
        snprintf(err, errlen, "cannot open the console log %s: %s", log_path,
                 rc == -EINVAL ? "not a regular file" : strerror(-rc));
        return rc;
    }
    drain_output(s); /* printed since the server opened */
    return 0;
}

int console_server_move_log(struct console_server *s, const char *log_path,
                            char *err, size_t errlen)
{
    if (!s->log) {
        snprintf(err, errlen, "the console has no log");
        return -ENOENT;
    }
    int rc = console_log_move(s->log, log_path);
    if (rc < 0)
        snprintf(err, errlen, "%s", console_log_errmsg(s->log));
    return rc;
}

unsigned console_server_closes(const struct console_server *s)
{
    return s->closes;
}
