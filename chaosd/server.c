/*
 * server.c - chaosd's request socket: listening (or the socket systemd
 * passed, see chaosd.socket), connections, one JSON request per line in,
 * one reply per request out, and events to subscribers.
 *
 * Nothing a client sends can stop the daemon: a malformed, oversized or
 * unknown request gets an error reply and the connection goes on; a
 * client that does not read its replies is disconnected once its queue
 * passes MAX_QUEUED_BYTES rather than growing chaosd's memory.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "daemon.h"

#define MAX_QUEUED_BYTES (4u << 20)
#define MAX_CLIENTS 1024

struct write_req {
    uv_write_t req;
    char *line;
};

static void on_written(uv_write_t *req, int status)
{
    struct write_req *w = (struct write_req *)req;
    free(w->line);
    free(w);
}

static void on_client_closed(uv_handle_t *h)
{
    client_unref(h->data); /* the connection's own reference */
}

static void client_close(struct client *c)
{
    if (c->closing)
        return;
    c->closing = true;
    uv_close((uv_handle_t *)&c->pipe, on_client_closed);
}

void client_ref(struct client *c)
{
    c->refs++;
}

void client_unref(struct client *c)
{
    if (--c->refs)
        return;
    struct chaosd *d = c->d;
    for (struct client **p = &d->clients; *p; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            break;
        }
    }
    chaosd_lines_free(&c->lines);
    d->n_clients--;
    free(c);
}

void client_send(struct client *c, json_object *msg)
{
    size_t len;
    char *line = chaosd_message_line(msg, &len);
    if (!line)
        return;
    if (c->closing) {
        free(line);
        return;
    }
    if (uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe) >
        MAX_QUEUED_BYTES) {
        log_warn("a client does not read its replies: disconnected");
        free(line);
        client_close(c);
        return;
    }
    struct write_req *w = malloc(sizeof(*w));
    if (!w) {
        free(line);
        client_close(c);
        return;
    }
    w->line = line;
    uv_buf_t buf = uv_buf_init(line, (unsigned)len);
    if (uv_write(&w->req, (uv_stream_t *)&c->pipe, &buf, 1, on_written) < 0) {
        free(line);
        free(w);
        client_close(c);
    }
}

void server_broadcast(struct chaosd *d, json_object *msg)
{
    for (struct client *c = d->clients; c; c = c->next)
        if (c->subscribed && !c->closing)
            client_send(c, json_object_get(msg));
    json_object_put(msg);
}

static int on_line(void *opaque, const char *line, size_t len)
{
    struct client *c = opaque;
    char err[256];
    if (!line) {
        snprintf(err, sizeof(err),
                 "request longer than %d bytes (%zu bytes "
                 "dropped)",
                 CHAOSD_MAX_LINE, len);
        client_send(c, chaosd_reply_error(NULL, CHAOSD_ERR_TOO_LARGE, err));
        return 0;
    }
    if (len == 0 || (len == 1 && line[0] == '\r'))
        return 0; /* blank lines are harmless */
    struct chaosd_request req;
    json_object *id = NULL;
    enum chaosd_errcode code =
        chaosd_request_decode(line, len, &req, &id, err, sizeof(err));
    if (code != CHAOSD_ERR_NONE) {
        client_send(c, chaosd_reply_error(id, code, err));
        json_object_put(id);
        return 0;
    }
    json_object_put(id);
    request_dispatch(c, &req);
    chaosd_request_free(&req);
    return c->closing; /* stop reading a connection being closed */
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct client *c = h->data;
    *buf = uv_buf_init(c->d->read_buf, sizeof(c->d->read_buf));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct client *c = s->data;
    if (n < 0) {
        client_close(c); /* EOF or error: requests in flight still finish */
        return;
    }
    client_ref(c); /* requests may close it while we feed */
    if (chaosd_lines_feed(&c->lines, buf->base, (size_t)n, on_line, c) ==
        -ENOMEM)
        client_close(c);
    client_unref(c);
}

/*
 * Whether uid may change guests: root, or a member of group (by its
 * primary gid, or by its supplementary groups: getgrouplist on its name).
 * Looked up at each connection, so a group changed since chaosd started
 * counts.  The lookups read /etc/group (or NSS): cheap next to a create.
 */
static bool may_change(const char *group, uid_t uid, gid_t gid)
{
    if (uid == 0)
        return true;
    if (!group[0])
        return false;
    struct group *gr = getgrnam(group);
    if (!gr)
        return false;
    gid_t want = gr->gr_gid;
    if (gid == want)
        return true;
    struct passwd *pw = getpwuid(uid);
    if (!pw)
        return false;
    gid_t groups[256];
    int n = (int)(sizeof(groups) / sizeof(groups[0]));
    /* -1 when there are more: the first n are still filled in. */
    if (getgrouplist(pw->pw_name, gid, groups, &n) < 0)
        n = (int)(sizeof(groups) / sizeof(groups[0]));
    for (int i = 0; i < n; i++)
        if (groups[i] == want)
            return true;
    return false;
}

/* Who is on the other end (SO_PEERCRED: the credentials at connect). */
static void read_peer(struct chaosd *d, struct client *c)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);
    uv_os_fd_t fd;
    c->pid = -1;
    c->uid = (uid_t)-1;
    int rc = uv_fileno((uv_handle_t *)&c->pipe, &fd);
    if (rc == 0 && getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
        rc = -errno;
    if (rc < 0) {
        log_warn("cannot read a client's credentials: %s", strerror(-rc));
        return; /* unknown: read-only ops only */
    }
    c->pid = cred.pid;
    c->uid = cred.uid;
    c->may_change = may_change(d->conf.admin_group, cred.uid, cred.gid);
}

static void on_connection(uv_stream_t *server, int status)
{
    struct chaosd *d = server->data;
    if (status < 0)
        return;
    struct client *c = calloc(1, sizeof(*c));
    if (!c || uv_pipe_init(d->loop, &c->pipe, 0) < 0) {
        free(c);
        return;
    }
    c->d = d;
    c->refs = 1;
    c->pipe.data = c;
    chaosd_lines_init(&c->lines, CHAOSD_MAX_LINE);
    c->next = d->clients;
    d->clients = c;
    d->n_clients++;
    if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0 ||
        d->n_clients > MAX_CLIENTS || d->stopping) {
        client_close(c);
        return;
    }
    read_peer(d, c);
    uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
}

/*
 * Group socket_group when it exists; mode 0660 for a socket chaosd bound.
 * A socket systemd passed keeps chaosd.socket's SocketMode, and is where
 * its ListenStream says: path is the listening socket's own address, not
 * necessarily the configured one.
 */
static void set_permissions(struct chaosd *d)
{
    char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
    size_t len = sizeof(path);
    if (uv_pipe_getsockname(&d->listener, path, &len) < 0 || path[0] != '/')
        return; /* unnamed or abstract: no file to set */
    if (!d->socket_activated && chmod(path, 0660) != 0)
        log_warn("chmod %s: %s", path, strerror(errno));
    if (!d->conf.socket_group[0])
        return;
    struct group *gr = getgrnam(d->conf.socket_group);
    if (!gr) {
        log_info("group '%s' does not exist: %s is for root only",
                 d->conf.socket_group, path);
        return;
    }
    if (chown(path, (uid_t)-1, gr->gr_gid) != 0)
        log_warn("chown %s: %s", path, strerror(errno));
}

/* True if a live server answers on path (then we must not take it). */
static bool socket_in_use(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    bool live = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    if (fd >= 0)
        close(fd);
    return live;
}

int server_listen(struct chaosd *d)
{
    uv_pipe_init(d->loop, &d->listener, 0);
    d->listener.data = d;
    int n = sd_listen_fds(1);
    int rc;
    if (n == 1 &&
        sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 1, NULL, 0) > 0) {
        d->socket_activated = true;
        rc = uv_pipe_open(&d->listener, SD_LISTEN_FDS_START);
        char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
        size_t len = sizeof(path);
        if (rc < 0 || uv_pipe_getsockname(&d->listener, path, &len) < 0)
            path[0] = '\0';
        log_info("listening on the socket systemd passed (%s)", path);
    } else {
        if (n > 0)
            log_warn("ignoring %d sockets passed by systemd (expected one "
                     "UNIX stream socket)",
                     n);
        const char *path = d->conf.socket_path;
        char dir[sizeof(d->conf.socket_path)];
        snprintf(dir, sizeof(dir), "%s", path);
        char *slash = strrchr(dir, '/');
        if (slash && slash != dir) {
            *slash = '\0';
            mkdir(dir, 0755);
        }
        if (socket_in_use(path)) {
            log_warn("%s: another chaosd is running", path);
            return -EADDRINUSE;
        }
        unlink(path); /* a stale socket of a chaosd that died */
        rc = uv_pipe_bind(&d->listener, path);
        if (rc < 0) {
            log_warn("cannot bind %s: %s", path, uv_strerror(rc));
            return rc;
        }
        log_info("listening on %s", path);
    }
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&d->listener, 128, on_connection);
    if (rc < 0) {
        log_warn("cannot listen: %s", uv_strerror(rc));
        return rc;
    }
    set_permissions(d);
    d->listening = true;
    return metrics_listen(d);
}

void server_close(struct chaosd *d)
{
    metrics_close(d);
    if (d->listening) {
        uv_close((uv_handle_t *)&d->listener, NULL);
        /* A socket systemd owns stays: systemd queues the next connection. */
        if (!d->socket_activated)
            unlink(d->conf.socket_path);
        d->listening = false;
    }
    for (struct client *c = d->clients; c; c = c->next)
        client_close(c);
}
