/*
 * daemon.h - what chaosd's parts share (docs/chaosd.md has the design).
 *
 * Threads.  One libuv loop thread does everything except building: it
 * owns the sockets, the pools' bookkeeping, the guests' consoles and the
 * domain events, with its own libchaos context (d->ctx).  Building goes
 * to libuv's work queue: a prepare (refill) or an execute (create) runs
 * on a *builder* (builders.h), a libchaos context with a mutex.
 *
 * State.  Everything the daemon knows is in one struct chaosd: no part
 * keeps file-global or static state, so the unit tests run the real
 * pool, refill, create and recovery code on a struct of their own, with
 * a fake hypervisor behind d->hv (hv_ops.h).
 */
#ifndef CHAOSD_DAEMON_H
#define CHAOSD_DAEMON_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>
#include <uv.h>

#include "builders.h"
#include "chaos.h"
#include "conf.h"
#include "hv_ops.h"
#include "images.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"
#include "protocol.h"
#include "template.h"

struct client {
    uv_pipe_t pipe;
    struct chaosd *d;
    struct chaosd_lines lines;
    unsigned refs; /* the connection + requests in flight */
    bool closing;
    bool subscribed;
    pid_t pid; /* the peer (SO_PEERCRED); -1: unknown */
    uid_t uid;
    bool may_change; /* root or admin_group: CHAOSD_CHANGE ops */
    struct client *next;
};

/* One fd of a guest's supervisor, watched by the loop. */
struct guest_watch {
    uv_poll_t poll;
    int fd;
    int events;
    struct guest *guest;
};

/* A guest chaosd serves: a libchaos supervisor (console, on_* actions)
 * and the libuv handles that drive it (guests.c). */
struct guest {
    struct chaosd *d;
    chaos_supervisor *sup; /* NULL once it stopped serving */
    chaos_domid domid;     /* the supervisor's domain, as last seen */
    uint8_t uuid[16];
    char name[64];
    struct guest_watch *watches[CHAOS_SUPERVISOR_MAX_POLLFDS];
    chaos_config *restart_cfg; /* handed to create_start for a restart */
    uint64_t restart_id;       /* that restart's, for its completion */
    bool busy;                 /* inside a supervisor call: do not free */
    unsigned fds_gen;          /* chaos_supervisor_fds_generation() when
                                  its watches were last known good */
    bool events_unseen;        /* its domain not yet looked at for events */
    struct guest *next;
    /* On d->due: its supervisor wants a call at some time (a timeout of
     * 0 or more).  With domain events that is only just after its start
     * or an event, so the timer looks at a few guests, not at every one
     * (a walk of 1000 guests per event cost the loop ~ms under TCG). */
    bool on_due;
    struct guest *due_prev, *due_next;
    struct guest *hash_next; /* in d->by_domid[], by domid */
};

/* Buckets of chaosd's guests by domid: guest_find() is called per domain
 * in a list or a metrics scrape, and per domain event. */
#define CHAOSD_GUEST_BUCKETS 1024

/* Bytes one read of a client connection takes at most. */
#define CHAOSD_READ_BUF 65536

struct chaosd {
    uv_loop_t *loop;
    struct chaosd_conf conf;
    const struct chaosd_hv_ops *hv; /* NULL: chaosd_hv_libchaos */
    chaos_ctx *ctx;                 /* the loop thread's own context */
    struct builder *builders;
    unsigned n_builders;
    struct pool pool;
    unsigned refills_running;
    unsigned work_in_flight; /* any work item queued or running */
    uv_timer_t refill_retry; /* after a failed prepare (refill.c) */
    bool refill_retry_ready, refill_retry_pending;
    uv_timer_t refill_quiet;  /* refills waiting for a quiet moment */
    uint64_t last_request_ns; /* the last create's or restore's arrival */

    uv_pipe_t listener;
    bool listening;
    bool socket_activated;
    struct client *clients;
    unsigned n_clients;
    /* One loop thread: one read at a time, into this. */
    char read_buf[CHAOSD_READ_BUF];

    struct guest *guests;
    struct guest *by_domid[CHAOSD_GUEST_BUCKETS];
    struct guest *due; /* the guests whose supervisor has a timeout */
    chaos_events *events;
    uv_poll_t events_poll;
    uv_timer_t tick; /* consoles' periodic drain, liveness */
    unsigned ticks;

    uv_signal_t sig_term, sig_int;
    uv_timer_t ready_timer;
    bool ready;
    bool stopping;
    atomic_bool refills_cancel; /* set with stopping: warm-ups give up */
    int exit_status;
    uint64_t creates_pool, creates_direct;
    uint64_t restores_pool, restores_direct, restores_in_place;
    struct image_cache images;          /* images kept open for restores */
    struct templates templates;         /* template pools (template.c) */
    struct chaosd_metrics metrics;      /* metrics.h */
    struct metrics_server *metrics_srv; /* metrics_listen; NULL: none */
};

/* daemon.c */
int chaosd_run(struct chaosd *d);
/* Re-checks readiness (pools settled) and updates systemd's status line. */
void chaosd_update_status(struct chaosd *d);
/* Called when a work item ends: finishes a stop once none is left. */
void chaosd_work_done(struct chaosd *d);

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

/* metrics_server.c: the metrics_listen socket (server_listen and
 * server_close call these).  0 when off or listening, else -errno. */
int metrics_listen(struct chaosd *d);
void metrics_close(struct chaosd *d);

/* requests.c */
void request_dispatch(struct client *c, struct chaosd_request *req);

/* refill.c */
/* Starts refills while the pools want shells and the budget allows. */
void refill_kick(struct chaosd *d);
/* Discards one shell (on the builder that prepared it, on the work
 * queue), then removes its record. */
void refill_discard(struct chaosd *d, const struct pool_item *item);
/* Destroys idle shells above their pools' targets (all when draining). */
void refill_trim(struct chaosd *d, bool drain);

/* guests.c */
/* Serves a running guest that chaos created (its supervisor: console, on_*
 * actions, at once if it already stopped).  0, or a negative errno with
 * d->ctx's message (-EBUSY: another process serves it). */
int guest_serve(struct chaosd *d, chaos_domid domid);
/* What create.c calls when a create finished: serves the new guest, or,
 * when cfg is the one a restarting guest handed to create_start, hands
 * the new domain to that guest's supervisor.  Takes cfg, and sup (its
 * supervisor prepared ahead, begun here; may be NULL).  0 or -1. */
int guest_add(struct chaosd *d, chaos_domid domid, chaos_config *cfg,
              chaos_supervisor *sup);
struct guest *guest_find(struct chaosd *d, chaos_domid domid);
/* Destroys a guest chaosd serves, through its supervisor (console
 * unmapped first, lock released), and forgets it.  0 or a negative error
 * (chaos_errmsg on d->ctx); g is freed on success. */
int guest_destroy(struct chaosd *d, struct guest *g);
void guest_remove(struct chaosd *d, struct guest *g);
/* Subscribes to domain events (once; recovery calls it first, so that
 * adopted guests are fed events too) and starts the loop's handles. */
int guests_subscribe(struct chaosd *d);
int guests_start(struct chaosd *d);
/* Stops serving one guest (collecting its console's last output). */
void guests_console_close(struct chaosd *d, struct guest *g);
/* Stops serving every guest (they keep running). */
void guests_stop(struct chaosd *d);

/* create.c: creating guests, for requests and restarts. */
typedef void (*create_done_fn)(struct chaosd *d, void *opaque, int rc,
                               json_object *result, const char *errmsg);
enum create_flags {
    CREATE_PAUSED = 1u << 0, /* the guest stays paused */
    /* done may be called before create_start() returns (a ready guest
     * started on the loop at once): a request's create.  Not a restart's,
     * whose caller is inside its supervisor's call. */
    CREATE_MAY_FINISH = 1u << 1,
};
/* Creates a guest from cfg (validated; taken), from a pool shell when one
 * fits, else directly; calls done on the loop thread.  flags: create_flags. */
void create_start(struct chaosd *d, chaos_config *cfg, unsigned flags,
                  create_done_fn done, void *opaque);

/* restore.c: restores a chaos image (path absolute; overrides copied)
 * into an in-place restore shell (PVH) or an empty restore shell when one
 * fits, else directly; calls done on the loop thread (result: a restore
 * result, docs/json.md).  The image is kept open (d->images). */
void restore_start(struct chaosd *d, const char *path,
                   const char *const *overrides, unsigned n, bool paused,
                   create_done_fn done, void *opaque);

#endif /* CHAOSD_DAEMON_H */
