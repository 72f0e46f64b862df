/*
 * daemon.h - what chaosd's parts share (docs/chaosd.md has the design).
 *
 * Threads.  One libuv loop thread does everything except building: it
 * owns the sockets, the pools' bookkeeping, the guests' consoles and the
 * domain events, with its own libchaos context (d->ctx).  Building goes
 * to libuv's work queue: a prepare (refill) or an execute (create) runs
 * on a *builder*, a libchaos context with a mutex.  A shell keeps Xen
 * handles of the context that prepared it (libxenguest's builder state),
 * so it is executed on that same builder, under its mutex; the loop
 * thread never takes a builder's mutex, so it never waits for a build.
 */
#ifndef CHAOSD_DAEMON_H
#define CHAOSD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>
#include <uv.h>

#include "chaos.h"
#include "conf.h"
#include "pool.h"
#include "protocol.h"

struct builder {
    chaos_ctx *ctx;
    uv_mutex_t lock;
    unsigned queued;           /* work items that will use it (loop thread) */
};

struct client {
    uv_pipe_t pipe;
    struct chaosd *d;
    struct chaosd_lines lines;
    unsigned refs;             /* the connection + requests in flight */
    bool closing;
    bool subscribed;
    pid_t pid;                 /* the peer (SO_PEERCRED); -1: unknown */
    uid_t uid;
    bool may_change;           /* root or admin_group: CHAOSD_CHANGE ops */
    struct client *next;
};

/* One fd of a console server, watched by the loop. */
struct console_watch {
    uv_poll_t poll;
    int fd;
    int events;
    struct guest *guest;
    bool used;
};

struct guest {
    chaos_domid domid;
    uint8_t uuid[16];
    char name[64];
    chaos_config *cfg;         /* what it was created from (restarts) */
    chaos_console_server *console;
    struct console_watch *watches[CHAOS_CONSOLE_MAX_POLLFDS];
    bool acted;                /* its on_* action was carried out */
    struct guest *next;
};

struct chaosd {
    uv_loop_t *loop;
    struct chaosd_conf conf;
    chaos_ctx *ctx;            /* the loop thread's own context */
    struct builder *builders;
    unsigned n_builders;
    struct pool pool;
    unsigned refills_running;
    unsigned work_in_flight;   /* any work item queued or running */

    uv_pipe_t listener;
    bool listening;
    bool socket_activated;
    struct client *clients;

    struct guest *guests;
    chaos_events *events;
    uv_poll_t events_poll;
    uv_timer_t tick;           /* consoles' periodic drain, liveness */

    uv_signal_t sig_term, sig_int;
    uv_timer_t ready_timer;
    bool ready;
    bool stopping;
    int exit_status;
    uint64_t creates_pool, creates_direct;
};

/* Logging to stderr (journald adds time and unit). */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* daemon.c */
int chaosd_run(struct chaosd *d);
/* Re-checks readiness (pools settled) and updates systemd's status line. */
void chaosd_update_status(struct chaosd *d);
/* Called when a work item ends: finishes a stop once none is left. */
void chaosd_work_done(struct chaosd *d);
uint64_t chaosd_now_ns(void);

/* recover.c: adopts the guests and destroys the shells an earlier chaosd
 * left (see there). */
int chaosd_recover(struct chaosd *d);

/* server.c */
int server_listen(struct chaosd *d);
void server_close(struct chaosd *d);
/* Sends msg (reference consumed) as one line; NULL msg: nothing. */
void client_send(struct client *c, json_object *msg);
void client_ref(struct client *c);
void client_unref(struct client *c);
/* Sends an event message to every subscribed client (consumes msg). */
void server_broadcast(struct chaosd *d, json_object *msg);

/* requests.c */
void request_dispatch(struct client *c, struct chaosd_request *req);

/* refill.c */
int builders_open(struct chaosd *d);
void builders_close(struct chaosd *d);
/* Starts refills while the pools want shells and the budget allows. */
void refill_kick(struct chaosd *d);
/* Destroys idle shells above their pools' targets (all when draining). */
void refill_trim(struct chaosd *d, bool drain);
/* The builder a new direct create should use. */
unsigned builder_pick(struct chaosd *d);
bool builder_busy(void *opaque, unsigned builder);

/* guests.c */
/* Starts managing a running guest chaosd created or re-adopted: serves
 * its console and carries out its on_* actions (at once if it already
 * stopped).  Takes cfg.  0, or -1 when the domain cannot be queried. */
int guest_add(struct chaosd *d, chaos_domid domid, chaos_config *cfg);
struct guest *guest_find(struct chaosd *d, chaos_domid domid);
void guest_remove(struct chaosd *d, struct guest *g);
/* Subscribes to domain events and starts the periodic tick. */
int guests_start(struct chaosd *d);
/* Stops serving one guest's console (collecting its last output). */
void guests_console_close(struct chaosd *d, struct guest *g);
/* Stops serving every console (guests keep running). */
void guests_stop(struct chaosd *d);
/* Restarts a guest from its config after on_reboot = restart. */
void guest_restart(struct chaosd *d, chaos_config *cfg);

/* create.c: creating guests, for requests and restarts. */
typedef void (*create_done_fn)(struct chaosd *d, void *opaque, int rc,
                               json_object *result, const char *errmsg);
/* Creates a guest from cfg (validated; taken), from a pool shell when one
 * fits, else directly; calls done on the loop thread. */
void create_start(struct chaosd *d, chaos_config *cfg, bool paused,
                  create_done_fn done, void *opaque);

#endif /* CHAOSD_DAEMON_H */
