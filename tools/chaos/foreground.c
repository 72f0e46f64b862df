/*
 * foreground.c - `chaos create -F` through chaosd: follow the guest on
 * chaosd's event subscription until it has ended (the direct path serves
 * the guest itself: monitor.c).  See foreground.h.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "daemon_client.h"
#include "foreground.h"
#include "protocol.h"

/* How long a restart chaosd is expected to do may take to show up as a
 * "created" event before the guest counts as lost. */
#define RESTART_WAIT_S 60
/* How long chaosd's "ended" may come after Xen's death event. */
#define ENDED_WAIT_S 5

int foreground_status(const char *reason)
{
    if (reason && (!strcmp(reason, "crash") || !strcmp(reason, "watchdog")))
        return EXIT_GUEST_CRASHED;
    return EXIT_OK;
}

/* Xen's code for a reason's name, or -1 (the names are libchaos's). */
static int reason_code(const char *name)
{
    for (int r = 0; name && r < 16; r++)
        if (!strcmp(chaos_shutdown_reason_name(r), name))
            return r;
    return -1;
}

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

struct follow {
    const chaos_config *cfg;
    const char *name;
    long long domid;
    char reason[32];   /* of domid's stop; "" before one */
    time_t restart_by; /* waiting for a restart until then; 0: not */
    time_t ended_by;   /* after Xen's death: waiting for chaosd's "ended"
                          (which says how) until then; 0: not */
    int status;        /* -1 until the guest has ended */
};

/* chaosd's "ended": its supervisor saw the guest end, and how. */
static void on_ended(struct follow *f, const char *reason)
{
    f->status = !strcmp(reason, "failed")      ? EXIT_FAIL
                : !strcmp(reason, "destroyed") ? EXIT_OK
                                               : foreground_status(reason);
}

/* Xen's death and no "ended" from chaosd (one that does not send it):
 * decided from the shutdown event seen, if any. */
static void on_death(struct follow *f)
{
    const char *reason = f->reason[0] ? f->reason : NULL;
    int code = reason_code(reason);
    if (code >= 0 && strcmp(reason, "suspend") != 0 &&
        chaos_config_action(f->cfg, chaos_event_for_shutdown(code)) ==
            CHAOS_ACTION_RESTART) {
        f->restart_by = time(NULL) + RESTART_WAIT_S;
        return;
    }
    f->status = foreground_status(reason);
}

static int on_event_line(void *opaque, const char *line, size_t len)
{
    struct follow *f = opaque;
    json_object *m = line ? json_tokener_parse(line) : NULL;
    (void)len;
    const char *kind = m ? daemon_str(m, "event", "") : "";
    long long domid = m ? daemon_int(m, "domid", -1) : -1;
    if (!strcmp(kind, "created") && domid != f->domid &&
        !strcmp(daemon_str(m, "name", ""), f->name)) {
        f->domid = domid; /* restarted (names are unique): follow it */
        f->reason[0] = '\0';
        f->restart_by = 0;
        f->ended_by = 0;
        fprintf(stderr, "chaos: %s restarted as domain %lld\n", f->name, domid);
    } else if (domid == f->domid &&
               (!strcmp(kind, "shutdown") || !strcmp(kind, "crash"))) {
        snprintf(f->reason, sizeof(f->reason), "%s",
                 daemon_str(m, "reason", kind));
    } else if (domid == f->domid && !strcmp(kind, "ended")) {
        on_ended(f, daemon_str(m, "reason", "destroyed"));
    } else if (domid == f->domid && !strcmp(kind, "death") && !f->restart_by &&
               !f->ended_by) {
        f->ended_by = time(NULL) + ENDED_WAIT_S;
    }
    json_object_put(m);
    return f->status >= 0;
}

/* A stop signal: the unit is being stopped, so the guest goes too.  By
 * name: chaos list may show a restarted domain before its "created"
 * event has reached us. */
static int destroy_via(const char *sock, const char *name)
{
    int fd = daemon_connect(sock);
    char err[512];
    json_object *req = chaosd_request_new(CHAOSD_OP_DESTROY);
    json_object_object_add(req, "domain", json_object_new_string(name));
    json_object *reply = fd >= 0 ? daemon_call(fd, req, err, sizeof(err))
                                 : (json_object_put(req), NULL);
    if (!reply)
        cmd_error("create: destroying %s: %s", name,
                  fd >= 0 ? err : strerror(-fd));
    json_object_put(reply);
    if (fd >= 0)
        close(fd);
    return reply ? EXIT_OK : EXIT_FAIL;
}

int foreground_follow(int sub_fd, const char *sock, long long domid,
                      const char *name, const chaos_config *cfg)
{
    struct follow f = {
        .cfg = cfg, .name = name, .domid = domid, .status = -1
    };
    struct sigaction sa = { .sa_handler = on_stop_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    struct chaosd_lines lb;
    chaosd_lines_init(&lb, CHAOSD_MAX_LINE);
    /* After a stop signal, only until a restart under way has come. */
    while (f.status < 0 && (!stop_signal || f.restart_by || f.ended_by)) {
        if (f.ended_by && time(NULL) > f.ended_by) {
            f.ended_by = 0;
            on_death(&f);
            continue;
        }
        if (f.restart_by && time(NULL) > f.restart_by) {
            cmd_error("create: %s was to restart but chaosd did not start "
                      "it again within %d s",
                      name, RESTART_WAIT_S);
            f.status = EXIT_FAIL;
            break;
        }
        struct pollfd pfd = { .fd = sub_fd, .events = POLLIN };
        int r = poll(&pfd, 1, 500); /* also a bound on seeing a signal */
        if (r < 0 && errno != EINTR) {
            cmd_error("create: %s", strerror(errno));
            f.status = EXIT_FAIL;
            break;
        }
        if (r <= 0)
            continue;
        char buf[16384];
        ssize_t n = read(sub_fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            cmd_error("create: chaosd went away; domain %lld may still run",
                      f.domid);
            f.status = EXIT_FAIL;
            break;
        }
        chaosd_lines_feed(&lb, buf, (size_t)n, on_event_line, &f);
    }
    chaosd_lines_free(&lb);
    close(sub_fd);
    if (stop_signal && f.status < 0) /* the guest ends with the unit */
        f.status = destroy_via(sock, name);
    return f.status;
}
