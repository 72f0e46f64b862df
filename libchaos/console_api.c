/*
 * console_api.c - the public console functions of chaos.h: a console
 * server (console_server.c) fed by a mapped ring and bound event channel
 * (hv_console.c), and the client's connect.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "console/console_log.h"
#include "console/console_server.h"
#include "console/console_socket.h"
#include "hv/hv_console.h"
#include "internal.h"

_Static_assert(CHAOS_CONSOLE_MAX_POLLFDS == CONSOLE_SERVER_MAX_POLLFDS,
               "the public bound matches the server's");

struct chaos_console_server {
    struct hv_console *hv;
    struct console_server *server;
};

/* The server's view of the guest, backed by the real event channel. */
static int guest_ack(void *opaque)
{
    return hv_console_ack(opaque);
}

static int guest_notify(void *opaque)
{
    return hv_console_notify(opaque);
}

int chaos_console_serve(chaos_ctx *ctx, chaos_domid domid, uint64_t frame,
                        uint32_t port, const struct chaos_console_options *opts,
                        chaos_console_server **out)
{
    static const struct chaos_console_options defaults;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char err[256];
    int rc;

    /* A context whose chaos_open() failed has no hypervisor handle to map
     * the ring with (nor to report through). */
    rc = chaos__need_hv(ctx);
    if (rc)
        return rc;
    if (!opts)
        opts = &defaults;
    if (opts->socket_path) {
        if (strlen(opts->socket_path) >= sizeof(path))
            return chaos__fail(ctx, -ENAMETOOLONG, "socket path too long: %s",
                               opts->socket_path);
        strcpy(path, opts->socket_path);
    } else {
        const char *run_dir = chaos_run_dir();
        if (console_socket_default_path(run_dir, domid, path, sizeof(path)) < 0)
            return chaos__fail(ctx, -ENAMETOOLONG, "socket path too long");
        /* The run dir may hold other things: create it if missing, but
         * leave its mode to whoever owns it.  The server makes RUNDIR/console
         * itself private. */
        if (mkdir(run_dir, 0755) < 0 && errno != EEXIST)
            return chaos__fail(ctx, -errno, "cannot create %s: %s", run_dir,
                               strerror(errno));
    }

    chaos_console_server *srv = calloc(1, sizeof(*srv));
    if (!srv)
        return chaos__fail(ctx, -ENOMEM, "out of memory");
    rc = hv_console_open(ctx->hv, domid, frame, port, &srv->hv);
    if (rc < 0) {
        free(srv);
        return rc;
    }
    struct console_guest guest = {
        .ring = hv_console_ring(srv->hv),
        .fd = hv_console_fd(srv->hv),
        .ack = guest_ack,
        .notify = guest_notify,
        .opaque = srv->hv,
    };
    struct console_server_config cfg = {
        .socket_path = path,
        .log_path = opts->log_path,
        .log_cap_bytes =
            opts->log_cap_bytes ? opts->log_cap_bytes : CONSOLE_LOG_DEFAULT_CAP,
        .backlog_bytes = opts->backlog_bytes,
    };
    rc = console_server_open(&guest, &cfg, &srv->server, err, sizeof(err));
    if (rc < 0) {
        hv_console_close(srv->hv);
        free(srv);
        return chaos__fail(ctx, rc, "console of domain %u: %s", domid, err);
    }
    *out = srv;
    return 0;
}

int chaos__console_server_start_log(chaos_ctx *ctx, chaos_console_server *srv,
                                    const char *log_path)
{
    char err[256];
    int rc = console_server_start_log(
        srv->server, log_path, CONSOLE_LOG_DEFAULT_CAP, err, sizeof(err));
    return rc < 0 ? chaos__fail(ctx, rc, "%s", err) : 0;
}

int chaos__console_server_move_log(chaos_ctx *ctx, chaos_console_server *srv,
                                   const char *log_path)
{
    char err[256];
    int rc = console_server_move_log(srv->server, log_path, err, sizeof(err));
    return rc < 0 ? chaos__fail(ctx, rc, "%s", err) : 0;
}

unsigned chaos__console_server_closes(const chaos_console_server *srv)
{
    return console_server_closes(srv->server);
}

unsigned chaos_console_server_pollfds(const chaos_console_server *srv,
                                      struct pollfd *fds, unsigned max)
{
    return console_server_pollfds(srv->server, fds, max);
}

int chaos_console_server_handle(chaos_ctx *ctx, chaos_console_server *srv,
                                const struct pollfd *fds, unsigned n)
{
    chaos__clear_error(ctx);
    int rc = console_server_handle(srv->server, fds, n);
    if (rc < 0)
        return chaos__fail(ctx, rc, "%s", console_server_errmsg(srv->server));
    return 0;
}

const char *chaos_console_server_take_warning(chaos_console_server *srv)
{
    return console_server_take_warning(srv->server);
}

unsigned chaos_console_server_clients(const chaos_console_server *srv)
{
    return console_server_clients(srv->server);
}

void chaos_console_server_close(chaos_console_server *srv)
{
    if (!srv)
        return;
    console_server_close(srv->server);
    hv_console_close(srv->hv);
    free(srv);
}

static int connect_console(chaos_ctx *ctx, chaos_domid domid, bool resume);

int chaos_console_connect(chaos_ctx *ctx, chaos_domid domid)
{
    return connect_console(ctx, domid, false);
}

int chaos_console_connect_resume(chaos_ctx *ctx, chaos_domid domid)
{
    return connect_console(ctx, domid, true);
}

static int connect_console(chaos_ctx *ctx, chaos_domid domid, bool resume)
{
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    chaos__clear_error(ctx);
    if (console_socket_default_path(chaos_run_dir(), domid, path,
                                    sizeof(path)) < 0)
        return chaos__fail(ctx, -ENAMETOOLONG, "socket path too long");
    int fd = resume ? console_socket_connect_resume(path)
                    : console_socket_connect(path);
    switch (fd) {
        case -ENOENT:
            return chaos__fail(ctx, fd,
                               "nothing serves the console of domain "
                               "%u (no %s): was it created by chaos, and is it "
                               "still running?",
                               domid, path);
        case -ECONNREFUSED:
            return chaos__fail(ctx, fd,
                               "the console server of domain %u is "
                               "gone (stale %s)",
                               domid, path);
        case -EACCES:
        case -EPERM:
            return chaos__fail(ctx, fd,
                               "cannot attach to %s: %s (consoles are "
                               "for root)",
                               path, strerror(-fd));
    }
    if (fd < 0)
        return chaos__fail(ctx, fd, "cannot attach to %s: %s", path,
                           strerror(-fd));
    return fd;
}
