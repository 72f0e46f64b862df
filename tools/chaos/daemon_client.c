/*
 * daemon_client.c - one request to chaosd, one reply (see daemon_client.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon_client.h"
#include "protocol.h"

/* A create can wait for a build: generous, but never forever. */
#define REPLY_TIMEOUT_MS (120 * 1000)

const char *daemon_socket_path(const char *path)
{
    if (path && path[0])
        return path;
    const char *env = getenv("CHAOSD_SOCKET");
    return env && env[0] ? env : CHAOSD_DEFAULT_SOCKET;
}

int daemon_connect(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    return fd;
}

struct reply_wait {
    json_object *reply;
    bool ok;
    char *err;
    size_t errlen;
};

static int got_line(void *opaque, const char *line, size_t len)
{
    struct reply_wait *w = opaque;
    if (!line) {
        snprintf(w->err, w->errlen, "chaosd sent an oversized reply");
        return 1;
    }
    w->reply = chaosd_reply_decode(line, len, &w->ok, w->err, w->errlen);
    return 1; /* one request, one reply */
}

json_object *daemon_call(int fd, json_object *req, char *err, size_t errlen)
{
    size_t len;
    char *line = chaosd_message_line(req, &len);
    if (!line) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t off = 0; off < len;) {
        ssize_t n = send(fd, line + off, len - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, errlen, "sending to chaosd: %s", strerror(errno));
            free(line);
            return NULL;
        }
        off += (size_t)n;
    }
    free(line);

    struct reply_wait w = { .err = err, .errlen = errlen };
    struct chaosd_lines lb;
    /* Replies (a long domain list) may be larger than requests. */
    chaosd_lines_init(&lb, 16u << 20);
    snprintf(err, errlen, "chaosd closed the connection without replying");
    int done = 0;
    while (!done) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        int r = poll(&pfd, 1, REPLY_TIMEOUT_MS);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0) {
            snprintf(err, errlen, "no reply from chaosd in %d s",
                     REPLY_TIMEOUT_MS / 1000);
            break;
        }
        char buf[16384];
        ssize_t n = r < 0 ? -1 : read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done = chaosd_lines_feed(&lb, buf, (size_t)n, got_line, &w);
    }
    chaosd_lines_free(&lb);
    if (w.reply && !w.ok) {
        json_object_put(w.reply);
        return NULL;
    }
    return w.reply;
}

long long daemon_int(json_object *o, const char *key, long long dflt)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v)
                                                 : dflt;
}

const char *daemon_str(json_object *o, const char *key, const char *dflt)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) &&
                   json_object_is_type(v, json_type_string)
               ? json_object_get_string(v)
               : dflt;
}
