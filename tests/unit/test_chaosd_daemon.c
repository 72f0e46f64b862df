/*
 * test_chaosd_daemon.c - chaosd's real pool, refill, create, recovery and
 * start/stop code, on a real libuv loop (work queue included), against a
 * fake hypervisor with fault injection (chaosd_fakehv.h).  Each test has
 * its own run directory (CHAOS_RUN_DIR) and checks what is left in it,
 * in the fake (domains, shells, contexts) and in the pools.
 *
 * The socket (server.c) and the guests' supervisor (guests.c) are not
 * linked: the stand-ins at the top record what chaosd asked of them.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chaosd_fakehv.h"
#include "daemon.h"
#include "state.h"
#include "check_run.h"

/* ------------------------------------- stand-ins for server.c, guests.c */

#define MAX_ADOPTED 16
static chaos_domid adopted[MAX_ADOPTED]; /* guest_add() calls */
static unsigned n_adopted, n_broadcasts;
/* Supervisors prepared ahead that reached guest_add() (chaosd begins
 * them there; the stub closes them). */
static unsigned n_sups_given;
static bool listened, guests_started, guests_stopped, server_closed;
/* Called by the server_listen() stand-in: the test's way into the loop
 * chaosd_run() drives. */
static void (*on_listen)(struct chaosd *d);

void server_broadcast(struct chaosd *d, json_object *msg)
{
    n_broadcasts++;
    json_object_put(msg);
}

int guest_add(struct chaosd *d, chaos_domid domid, chaos_config *cfg,
              chaos_supervisor *sup)
{
    n_sups_given += sup != NULL;
    d->hv->supervisor_close(d->ctx, sup);
    ck_assert_uint_lt(n_adopted, MAX_ADOPTED);
    adopted[n_adopted++] = domid;
    chaos_config_free(cfg);
    return 0;
}

/* Recovery serves the guests it adopts (guest_serve), and then looks for
 * guests nobody serves (guest_find): both see the adopted list. */
int guest_serve(struct chaosd *d, chaos_domid domid)
{
    ck_assert_uint_lt(n_adopted, MAX_ADOPTED);
    adopted[n_adopted++] = domid;
    return 0;
}

int guests_subscribe(struct chaosd *d)
{
    return 0;
}

struct guest *guest_find(struct chaosd *d, chaos_domid domid)
{
    static struct guest served; /* only compared with NULL */
    for (unsigned i = 0; i < n_adopted; i++)
        if (adopted[i] == domid)
            return &served;
    return NULL;
}

void guest_remove(struct chaosd *d, struct guest *g)
{
}

int guests_start(struct chaosd *d)
{
    guests_started = true;
    return 0;
}

void guests_console_close(struct chaosd *d, struct guest *g)
{
}

void guests_stop(struct chaosd *d)
{
    guests_stopped = true;
    /* As guests.c does: the tick is its handle, chaosd_run() made it. */
    uv_close((uv_handle_t *)&d->tick, NULL);
}

int server_listen(struct chaosd *d)
{
    listened = true;
    d->listening = true;
    if (on_listen)
        on_listen(d);
    return 0;
}

void server_close(struct chaosd *d)
{
    server_closed = true;
    d->listening = false;
}

/* -------------------------------------------------------------- set-up */

static char run_dir[64];
static struct chaosd *d;
static uv_loop_t loop;

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *f)
{
    return remove(path);
}

static void add_flavor(const char *name, uint64_t mib, unsigned target)
{
    struct chaosd_flavor *f = &d->conf.flavors[d->conf.n_flavors++];
    memset(f, 0, sizeof(*f));
    snprintf(f->name, sizeof(f->name), "%s", name);
    f->memory_mib = f->maxmem_mib = mib;
    f->vcpus = 1;
    f->pool = target;
}

/* A fresh daemon struct, fake hypervisor and run directory; not started. */
static void setup(void)
{
    fakehv_reset();
    n_adopted = n_broadcasts = n_sups_given = 0;
    listened = guests_started = guests_stopped = server_closed = false;
    on_listen = NULL;
    snprintf(run_dir, sizeof(run_dir), "/tmp/chaosd-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(run_dir));
    setenv("CHAOS_RUN_DIR", run_dir, 1);
    ck_assert_int_eq(state_init(), 0);
    d = calloc(1, sizeof(*d));
    ck_assert_ptr_nonnull(d);
    d->hv = &fakehv_ops;
    chaosd_conf_defaults(&d->conf);
    d->conf.idle_memory_mib = 100;
    d->conf.refill_workers = 2;
    add_flavor("small", 4, 3);
    add_flavor("big", 32, 2);
}

static void teardown(void)
{
    free(d);
    d = NULL;
    nftw(run_dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* What chaosd_run() does before its loop, on a loop of our own. */
static void start(void)
{
    ck_assert_int_eq(uv_loop_init(&loop), 0);
    d->loop = &loop;
    ck_assert_int_eq(d->hv->open(&d->ctx), 0);
    pool_init(&d->pool, d->conf.idle_memory_mib);
    images_init(&d->images, d->hv);
    ck_assert_int_eq(builders_open(d), 0);
    ck_assert_int_eq(pool_configure(&d->pool, &d->conf), 0);
}

/* Runs the loop until no work is queued and no timer is pending. */
static void run(void)
{
    uv_run(d->loop, UV_RUN_DEFAULT);
    ck_assert_uint_eq(d->work_in_flight, 0);
}

/* Fills the pools and waits for them. */
static void fill(void)
{
    refill_kick(d);
    run();
    ck_assert(pool_settled(&d->pool));
}

/* What a stop does with shells, then checks that nothing leaked. */
static void finish(void)
{
    d->stopping = true;
    refill_kick(d); /* closes the retry timer */
    refill_trim(d, true);
    run();
    images_clear(&d->images);
    builders_close(d);
    pool_free(&d->pool);
    d->hv->close(d->ctx);
    ck_assert_int_eq(uv_loop_close(&loop), 0); /* every handle closed */
    ck_assert_uint_eq(fakehv.images_live, 0);
    ck_assert_uint_eq(fakehv.shells_live, 0);
    ck_assert_uint_eq(fakehv.ctxs_open, 0);
    ck_assert_uint_eq(fakehv.sups_live, 0);
}

static unsigned count_records(const char *kind)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/chaosd/%s", run_dir, kind);
    DIR *dh = opendir(path);
    ck_assert_ptr_nonnull(dh);
    unsigned n = 0;
    struct dirent *e;
    while ((e = readdir(dh)))
        if (e->d_name[0] != '.' && !strstr(e->d_name, ".cfg"))
            n++;
    closedir(dh);
    return n;
}

static unsigned idle(const char *flavor)
{
    return d->pool.flavors[pool_find_name(&d->pool, flavor)].n_idle;
}

/* The fake's domains with chaosd's own (dom0 aside). */
static unsigned domains(void)
{
    return fakehv.n_doms;
}

/* A validated config; memory picks the flavor (4: small, 32: big). */
static chaos_config *guest_config(const char *name, unsigned memory)
{
    char text[256];
    snprintf(text, sizeof(text),
             "name = \"%s\"\nkernel = \"/boot/k\"\n"
             "memory = %u\ntype = \"pv\"\n",
             name, memory);
    chaos_config *cfg = chaos_config_new();
    ck_assert_ptr_nonnull(cfg);
    ck_assert_int_eq(chaos_config_parse(cfg, text, strlen(text), "test"), 0);
    ck_assert_int_eq(chaos_config_validate(cfg), 0);
    return cfg;
}

/* What create_start() told its caller. */
struct outcome {
    bool called;
    int rc;
    char path[16], flavor[40], err[256];
    chaos_domid domid;
};

static void create_done(struct chaosd *dd, void *opaque, int rc,
                        json_object *result, const char *errmsg)
{
    struct outcome *o = opaque;
    ck_assert(!o->called);
    o->called = true;
    o->rc = rc;
    snprintf(o->err, sizeof(o->err), "%s", errmsg ? errmsg : "");
    if (result) {
        json_object *v;
        if (json_object_object_get_ex(result, "path", &v))
            snprintf(o->path, sizeof(o->path), "%s", json_object_get_string(v));
        if (json_object_object_get_ex(result, "flavor", &v))
            snprintf(o->flavor, sizeof(o->flavor), "%s",
                     json_object_get_string(v));
        if (json_object_object_get_ex(result, "domid", &v))
            o->domid = (chaos_domid)json_object_get_int64(v);
    }
    json_object_put(result);
}

/* Creates name with that memory and runs the loop until it is done. */
static struct outcome create(const char *name, unsigned memory)
{
    struct outcome o = { 0 };
    create_start(d, guest_config(name, memory), CREATE_MAY_FINISH, create_done,
                 &o);
    run();
    ck_assert(o.called);
    return o;
}

/* ------------------------------------------------------- pools, refills */

START_TEST(refill_fills_pools_within_budget)
{
    start();
    fill();
    /* 3 x 4 + 2 x 32 = 76 MiB, within 100: every target reached. */
    ck_assert_uint_eq(idle("small"), 3);
    ck_assert_uint_eq(idle("big"), 2);
    ck_assert_uint_eq(pool_used_mib(&d->pool), 76);
    ck_assert_uint_eq(fakehv.prepares, 5);
    ck_assert_uint_eq(domains(), 5);
    ck_assert_uint_eq(count_records("shells"), 5);
    /* A third big shell would need 108 MiB: none is prepared. */
    pool_resize(&d->pool, pool_find_name(&d->pool, "big"), 3);
    refill_kick(d);
    run();
    ck_assert_uint_eq(idle("big"), 2);
    ck_assert_uint_eq(fakehv.prepares, 5);
    /* Shrinking gives shells back: their domains and records go. */
    pool_resize(&d->pool, pool_find_name(&d->pool, "small"), 1);
    refill_trim(d, false);
    run();
    ck_assert_uint_eq(idle("small"), 1);
    ck_assert_uint_eq(fakehv.discards, 2);
    ck_assert_uint_eq(domains(), 3);
    ck_assert_uint_eq(count_records("shells"), 3);
    finish();
    /* Stopping destroys every idle shell and forgets it. */
    ck_assert_uint_eq(domains(), 0);
    ck_assert_uint_eq(count_records("shells"), 0);
}
END_TEST

START_TEST(failed_prepare_counted_and_retried)
{
    d->conf.n_flavors = 1; /* "small" only */
    d->conf.flavors[0].pool = 2;
    fakehv.fail_prepare = 1;
    start();
    refill_kick(d);
    /* The failure leaves nothing and arms the retry timer; the loop waits
     * for it (REFILL_RETRY_MS) and fills the pool then. */
    run();
    ck_assert_uint_eq(d->pool.flavors[0].fill_failures, 1);
    ck_assert_uint_eq(idle("small"), 2);
    ck_assert_uint_eq(fakehv.prepares, 3);
    ck_assert_uint_eq(domains(), 2);
    ck_assert_uint_eq(count_records("shells"), 2);
    ck_assert(!d->refill_retry_pending);
    finish();
    ck_assert_uint_eq(count_records("shells"), 0);
}
END_TEST

START_TEST(failed_prepare_while_stopping_is_not_retried)
{
    fakehv.fail_prepare = 100;
    start();
    refill_kick(d);
    d->stopping = true; /* before the prepares end */
    refill_kick(d);
    run(); /* returns: no timer armed */
    ck_assert(!d->refill_retry_pending);
    ck_assert_uint_eq(domains(), 0);
    ck_assert_uint_eq(count_records("shells"), 0);
    finish();
}
END_TEST

/* --------------------------------------------------------------- create */

START_TEST(create_from_pool)
{
    start();
    fill();
    chaos_domid shell = d->pool.flavors[0].idle[0].domid; /* the oldest */
    struct outcome o = create("g1", 4);
    ck_assert_int_eq(o.rc, 0);
    ck_assert_str_eq(o.path, "pool");
    ck_assert_str_eq(o.flavor, "small");
    ck_assert_uint_eq(o.domid, shell);
    ck_assert_uint_eq(fakehv.executes, 1);
    ck_assert_uint_eq(fakehv.creates, 0);
    ck_assert(fakehv_find(shell)->built);
    ck_assert_str_eq(fakehv_find(shell)->name, "g1");
    /* The guest is recorded and handed to the supervisor; its shell's
     * record is gone; the pool was refilled behind it. */
    ck_assert_uint_eq(count_records("guests"), 1);
    ck_assert_uint_eq(count_records("shells"), 5);
    ck_assert_uint_eq(n_adopted, 1);
    ck_assert_uint_eq(adopted[0], shell);
    ck_assert_uint_eq(n_broadcasts, 1);
    ck_assert_uint_eq(d->creates_pool, 1);
    ck_assert_uint_eq(d->pool.flavors[0].handed_out, 1);
    ck_assert_uint_eq(idle("small"), 3);
    ck_assert_uint_eq(fakehv.prepares, 6);
    finish();
    /* Guests outlive chaosd: the domain and its record stay. */
    ck_assert_ptr_nonnull(fakehv_find(shell));
    ck_assert_uint_eq(count_records("guests"), 1);
}
END_TEST

/* create() without waiting for timers: the loop runs until the create
 * and the work it started are done. */
static struct outcome create_now(const char *name, unsigned memory)
{
    struct outcome o = { 0 };
    create_start(d, guest_config(name, memory), CREATE_MAY_FINISH, create_done,
                 &o);
    while (!o.called || d->work_in_flight)
        uv_run(d->loop, UV_RUN_ONCE);
    return o;
}

START_TEST(refill_waits_for_a_quiet_moment)
{
    /* Creates in a burst: their pool is refilled only once it runs low
     * (below a quarter of its target), the rest when no create came for
     * refill_quiet_ms. */
    d->conf.refill_quiet_ms = 60000;
    start();
    fill();
    unsigned prepares = fakehv.prepares;
    ck_assert_str_eq(create_now("g1", 4).path, "pool");
    ck_assert_str_eq(create_now("g2", 4).path, "pool");
    ck_assert_uint_eq(fakehv.prepares, prepares); /* 1 of 3 left */
    ck_assert(uv_is_active((uv_handle_t *)&d->refill_quiet));
    ck_assert_str_eq(create_now("g3", 4).path, "pool");
    ck_assert_uint_eq(fakehv.prepares, prepares + 1); /* 0 of 3: one */
    ck_assert_uint_eq(idle("small"), 1);
    /* The quiet moment. */
    d->conf.refill_quiet_ms = 1;
    usleep(2000);
    refill_kick(d);
    ck_assert(!uv_is_active((uv_handle_t *)&d->refill_quiet));
    run();
    ck_assert_uint_eq(idle("small"), 3);
    ck_assert_uint_eq(fakehv.prepares, prepares + 3);
    finish();
}
END_TEST

START_TEST(create_direct_when_no_flavor_fits)
{
    start();
    fill();
    struct outcome o = create("g2", 8);
    ck_assert_int_eq(o.rc, 0);
    ck_assert_str_eq(o.path, "direct");
    ck_assert_uint_eq(fakehv.creates, 1);
    ck_assert_uint_eq(fakehv.executes, 0);
    ck_assert_uint_eq(d->creates_direct, 1);
    ck_assert_uint_eq(idle("small"), 3);
    ck_assert_uint_eq(count_records("guests"), 1);
    ck_assert_uint_eq(n_adopted, 1);
    ck_assert_uint_eq(adopted[0], o.domid);
    finish();
}
END_TEST

/* An image flavor "img" (4 MiB like "small", kernel /boot/k) with 2
 * shells; guests of 4 MiB with that kernel and cmdline take them. */
static void add_image_flavor(const char *cmdline)
{
    add_flavor("img", 4, 2);
    struct chaosd_flavor *f = &d->conf.flavors[d->conf.n_flavors - 1];
    snprintf(f->kernel, sizeof(f->kernel), "/boot/k");
    snprintf(f->cmdline, sizeof(f->cmdline), "%s", cmdline);
}

static struct outcome create_cmdline(const char *name, const char *cmdline)
{
    chaos_config *cfg = guest_config(name, 4);
    ck_assert_int_eq(chaos_config_set_cmdline(cfg, cmdline), 0);
    struct outcome o = { 0 };
    create_start(d, cfg, CREATE_MAY_FINISH, create_done, &o);
    run();
    ck_assert(o.called);
    return o;
}

START_TEST(create_from_image_pool)
{
    add_image_flavor("x=1");
    start();
    fill();
    ck_assert_uint_eq(idle("img"), 2);
    ck_assert_uint_eq(fakehv.loads, 2); /* built in while filling */
    chaos_domid shell =
        d->pool.flavors[pool_find_name(&d->pool, "img")].idle[0].domid;
    struct outcome o = create_cmdline("g1", "x=1");
    ck_assert_int_eq(o.rc, 0);
    ck_assert_str_eq(o.path, "image");
    ck_assert_str_eq(o.flavor, "img");
    ck_assert_uint_eq(o.domid, shell);
    ck_assert_uint_eq(fakehv.executes_image, 1);
    ck_assert_uint_eq(idle("small"), 3); /* the plain pool untouched */
    ck_assert_uint_eq(idle("img"), 2);   /* refilled, loaded again */
    ck_assert_uint_eq(fakehv.loads, 3);
    ck_assert_uint_eq(d->metrics.creates[METRICS_PATH_IMAGE], 1);
    /* Another command line: the plain pool serves it. */
    o = create_cmdline("g2", "x=2");
    ck_assert_int_eq(o.rc, 0);
    ck_assert_str_eq(o.path, "pool");
    ck_assert_str_eq(o.flavor, "small");
    ck_assert_uint_eq(fakehv.executes_image, 1);
    ck_assert_uint_eq(idle("img"), 2);
    finish();
}
END_TEST

/* A ready guest whose builder is free starts on the loop: the reply comes
 * before create_start() returns.  Without CREATE_MAY_FINISH (a restart,
 * inside its supervisor's call) it goes through the work queue. */
START_TEST(image_create_finishes_on_the_loop)
{
    add_image_flavor("x=1");
    start();
    fill();
    chaos_config *cfg = guest_config("g1", 4);
    ck_assert_int_eq(chaos_config_set_cmdline(cfg, "x=1"), 0);
    struct outcome o = { 0 };
    create_start(d, cfg, CREATE_MAY_FINISH, create_done, &o);
    ck_assert(o.called);
    ck_assert_int_eq(o.rc, 0);
    ck_assert_str_eq(o.path, "image");
    run();
    cfg = guest_config("g2", 4);
    ck_assert_int_eq(chaos_config_set_cmdline(cfg, "x=1"), 0);
    o = (struct outcome){ 0 };
    create_start(d, cfg, 0, create_done, &o);
    ck_assert(!o.called);
    run();
    ck_assert(o.called);
    ck_assert_int_eq(o.rc, 0);
    ck_assert_str_eq(o.path, "image");
    ck_assert_uint_eq(count_records("guests"), 2);
    finish();
}
END_TEST

/* cmdline_per_request: any command line takes the image's shells and
 * the guest starts with its own; one too long for the room goes to the
 * plain pool. */
/* An image shell's supervisor is prepared when the shell enters its
 * pool, handed to the guest its create makes, closed when the create
 * fails; a shell whose prepare failed still serves (its guest's
 * supervisor starts then).  Plain shells get none: their console is
 * built with the kernel, per request. */
START_TEST(ready_shells_get_their_supervisor_ahead)
{
    add_image_flavor("x=1");
    start();
    fill();
    ck_assert_uint_eq(idle("img"), 2);
    ck_assert_uint_eq(fakehv.sups_prepared, 2);
    ck_assert_uint_eq(fakehv.sups_live, 2);
    const struct pool_flavor *img =
        &d->pool.flavors[pool_find_name(&d->pool, "img")];
    for (unsigned k = 0; k < img->n_idle; k++)
        ck_assert_ptr_nonnull(img->idle[k].sup);
    struct outcome o = create_cmdline("g1", "x=1");
    ck_assert_str_eq(o.path, "image");
    ck_assert_uint_eq(n_sups_given, 1);
    ck_assert_uint_eq(fakehv.sups_live, idle("img")); /* refilled: 2 */
    /* A failed execute closes it (the shell's domain is gone). */
    fakehv.fail_execute = 1;
    o = create_cmdline("g2", "x=1");
    ck_assert_int_lt(o.rc, 0);
    ck_assert_uint_eq(n_sups_given, 1);
    ck_assert_uint_eq(fakehv.sups_live, idle("img"));
    /* Shells whose supervisor could not be prepared serve all the same. */
    fakehv.fail_sup_prepare = 100;
    ck_assert_int_eq(create_cmdline("g3", "x=1").rc, 0);
    ck_assert_int_eq(create_cmdline("g4", "x=1").rc, 0);
    ck_assert_uint_eq(fakehv.sups_live, 0);
    unsigned given = n_sups_given;
    o = create_cmdline("g5", "x=1");
    ck_assert_int_eq(o.rc, 0);
    ck_assert_str_eq(o.path, "image");
    ck_assert_uint_eq(n_sups_given, given);
    fakehv.fail_sup_prepare = 0;
    finish();
}
END_TEST

START_TEST(image_pool_with_per_request_cmdlines)
{
    add_image_flavor("");
    d->conf.flavors[d->conf.n_flavors - 1].cmdline_per_request = true;
    start();
    fill();
    ck_assert_uint_eq(idle("img"), 2);
    struct outcome o = create_cmdline("g1", "x=1 mine");
    ck_assert_int_eq(o.rc, 0);
    ck_assert_str_eq(o.path, "image");
    ck_assert_str_eq(fakehv_find(o.domid)->cmdline, "x=1 mine");
    o = create_cmdline("g2", "");
    ck_assert_int_eq(o.rc, 0);
    ck_assert_str_eq(o.path, "image");
    ck_assert_str_eq(fakehv_find(o.domid)->cmdline, "");
    ck_assert_uint_eq(fakehv.executes_image, 2);
    char line[CHAOS_CMDLINE_MAX + 2];
    memset(line, 'x', sizeof(line) - 1);
    line[sizeof(line) - 1] = '\0';
    ck_assert_int_eq(
        pool_match_image(&d->pool, false, 4, 4, 1, "", "/boot/k", NULL, line),
        -1);
    line[CHAOS_CMDLINE_MAX] = '\0'; /* the longest that fits */
    ck_assert_int_ge(
        pool_match_image(&d->pool, false, 4, 4, 1, "", "/boot/k", NULL, line),
        0);
    finish();
}
END_TEST

START_TEST(stale_image_pool_is_rebuilt)
{
    add_image_flavor("");
    start();
    fill();
    fakehv.image_gen++; /* the kernel file was rewritten */
    struct outcome o = create("g1", 4);
    ck_assert_int_eq(o.rc, 0);
    ck_assert_str_eq(o.path, "pool"); /* not the stale image */
    ck_assert_uint_eq(fakehv.executes_image, 0);
    /* Both stale shells were given back and rebuilt from the file. */
    ck_assert_uint_eq(idle("img"), 2);
    ck_assert_uint_eq(fakehv.loads, 4);
    o = create("g2", 4);
    ck_assert_str_eq(o.path, "image");
    ck_assert_uint_eq(fakehv.executes_image, 1);
    finish();
    ck_assert_uint_eq(count_records("shells"), 0);
}
END_TEST

START_TEST(failed_image_load_leaves_nothing)
{
    d->conf.n_flavors = 0;
    add_image_flavor("");
    d->conf.flavors[0].pool = 1;
    fakehv.fail_load = 1;
    start();
    refill_kick(d);
    run(); /* the failure, the retry timer, then a loaded shell */
    ck_assert_uint_eq(d->pool.flavors[0].fill_failures, 1);
    ck_assert_uint_eq(idle("img"), 1);
    ck_assert_uint_eq(fakehv.loads, 1);
    ck_assert_uint_eq(domains(), 1);
    ck_assert_uint_eq(count_records("shells"), 1);
    finish();
    ck_assert_uint_eq(domains(), 0);
}
END_TEST

START_TEST(execute_failing_half_way)
{
    start();
    fill();
    chaos_domid shell = d->pool.flavors[0].idle[0].domid;
    fakehv.fail_execute = 1;
    struct outcome o = create("g3", 4);
    ck_assert_int_lt(o.rc, 0);
    ck_assert_str_eq(o.err, "injected: loading the kernel failed");
    /* The shell is spent (libchaos destroyed its domain); nothing of the
     * guest is left: no record, no supervisor, no event. */
    ck_assert_ptr_null(fakehv_find(shell));
    ck_assert_uint_eq(count_records("guests"), 0);
    ck_assert_uint_eq(n_adopted, 0);
    ck_assert_uint_eq(n_broadcasts, 0);
    ck_assert_uint_eq(d->creates_pool, 0);
    /* The pool is whole again, with a new shell. */
    ck_assert_uint_eq(idle("small"), 3);
    ck_assert_uint_eq(count_records("shells"), 5);
    ck_assert_uint_eq(domains(), 5);
    finish();
    ck_assert_uint_eq(domains(), 0);
}
END_TEST

START_TEST(shell_vanished_before_use)
{
    start();
    fill();
    chaos_domid shell = d->pool.flavors[0].idle[0].domid;
    fakehv_vanish(shell); /* `xl destroy` by someone else */
    struct outcome o = create("g4", 4);
    ck_assert_int_lt(o.rc, 0);
    ck_assert_str_eq(o.err, "the shell's domain is gone");
    ck_assert_uint_eq(count_records("guests"), 0);
    ck_assert_uint_eq(n_adopted, 0);
    ck_assert_uint_eq(idle("small"), 3);
    ck_assert_uint_eq(count_records("shells"), 5);
    finish();
    ck_assert_uint_eq(domains(), 0);
}
END_TEST

START_TEST(direct_create_failing)
{
    start();
    fakehv.fail_create = 1;
    struct outcome o = create("g5", 8);
    ck_assert_int_lt(o.rc, 0);
    ck_assert_str_eq(o.err, "injected: building the guest failed");
    ck_assert_uint_eq(count_records("guests"), 0);
    ck_assert_uint_eq(n_adopted, 0);
    ck_assert_uint_eq(d->creates_direct, 0);
    finish();
    ck_assert_uint_eq(domains(), 0);
}
END_TEST

START_TEST(unrecordable_create_puts_the_shell_back)
{
    start();
    fill();
    struct pool_item first = d->pool.flavors[0].idle[0];
    /* guests/ a file: no record can be written, even by root. */
    char path[128];
    snprintf(path, sizeof(path), "%s/chaosd/guests", run_dir);
    ck_assert_int_eq(rmdir(path), 0);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    struct outcome o = create("g6", 4);
    ck_assert_int_eq(o.rc, -EIO);
    ck_assert_ptr_nonnull(strstr(o.err, "cannot record the guest"));
    /* Nothing was built; the same shell is first in line again and does
     * not count as handed out. */
    ck_assert_uint_eq(fakehv.executes, 0);
    ck_assert_uint_eq(idle("small"), 3);
    ck_assert_uint_eq(d->pool.flavors[0].idle[0].domid, first.domid);
    ck_assert_ptr_eq(d->pool.flavors[0].idle[0].shell, first.shell);
    ck_assert_uint_eq(d->pool.flavors[0].handed_out, 0);
    ck_assert_uint_eq(fakehv.prepares, 5);
    ck_assert_uint_eq(count_records("shells"), 5);
    unlink(path);
    mkdir(path, 0700);
    finish();
}
END_TEST

/* ------------------------------------------------------------- restores */

/* A restore flavor "rs" (4 MiB PV, the shape of "small") with one shell. */
static void add_restore_flavor(void)
{
    add_flavor("rs", 4, 1);
    d->conf.flavors[d->conf.n_flavors - 1].restore = true;
}

/* Restores an image whose saved guest has that memory, as restore_start()
 * is asked by a request. */
static struct outcome restore(const char *name, unsigned memory)
{
    static char text[256];
    snprintf(text, sizeof(text),
             "name = \"%s\"\nkernel = \"/boot/k\"\n"
             "memory = %u\ntype = \"pv\"\n",
             name, memory);
    fakehv.image_config = text;
    struct outcome o = { 0 };
    restore_start(d, "/images/x.img", NULL, 0, false, create_done, &o);
    run();
    ck_assert(o.called);
    return o;
}

START_TEST(restore_into_a_restore_shell)
{
    add_restore_flavor();
    start();
    fill();
    int rs = pool_find_name(&d->pool, "rs");
    chaos_domid shell = d->pool.flavors[rs].idle[0].domid;
    /* "small" has the same shape: a restore takes only restore shells. */
    struct outcome o = restore("r1", 4);
    ck_assert_int_eq(o.rc, 0);
    ck_assert_str_eq(o.path, "pool");
    ck_assert_str_eq(o.flavor, "rs");
    ck_assert_uint_eq(o.domid, shell);
    ck_assert_uint_eq(fakehv.restores_pool, 1);
    ck_assert_uint_eq(d->restores_pool, 1);
    ck_assert_uint_eq(idle("small"), 3);
    ck_assert_uint_eq(idle("rs"), 1); /* refilled */
    ck_assert_uint_eq(n_adopted, 1);
    ck_assert_uint_eq(count_records("guests"), 1);
    ck_assert_str_eq(fakehv_find(shell)->name, "r1");
    /* ... and a create never takes a restore shell. */
    shell = d->pool.flavors[rs].idle[0].domid;
    o = create("g1", 4);
    ck_assert_str_eq(o.flavor, "small");
    ck_assert_uint_eq(d->pool.flavors[rs].idle[0].domid, shell);
    finish();
}
END_TEST

START_TEST(restore_direct_when_no_flavor_fits)
{
    add_restore_flavor();
    start();
    fill();
    struct outcome o = restore("r2", 8);
    ck_assert_int_eq(o.rc, 0);
    ck_assert_str_eq(o.path, "direct");
    ck_assert_uint_eq(fakehv.restores_direct, 1);
    ck_assert_uint_eq(d->restores_direct, 1);
    ck_assert_uint_eq(idle("rs"), 1);
    ck_assert_uint_eq(count_records("guests"), 1);
    finish();
}
END_TEST

START_TEST(refused_image_gives_the_shell_back)
{
    add_restore_flavor();
    start();
    fill();
    int rs = pool_find_name(&d->pool, "rs");
    struct pool_item first = d->pool.flavors[rs].idle[0];
    unsigned prepares = fakehv.prepares, doms = domains();
    fakehv.fail_image = 1;
    struct outcome o = restore("r3", 4);
    ck_assert_int_lt(o.rc, 0);
    ck_assert_ptr_nonnull(strstr(o.err, "corrupt"));
    /* The same shell, first in line, not handed out; nothing new. */
    ck_assert_uint_eq(idle("rs"), 1);
    ck_assert_uint_eq(d->pool.flavors[rs].idle[0].domid, first.domid);
    ck_assert_uint_eq(d->pool.flavors[rs].handed_out, 0);
    ck_assert_uint_eq(fakehv.prepares, prepares);
    ck_assert_uint_eq(domains(), doms);
    ck_assert_uint_eq(count_records("guests"), 0);
    ck_assert_uint_eq(count_records("shells"), doms);
    /* A header libchaos refuses: nothing is taken at all. */
    fakehv.image_config = NULL;
    o = (struct outcome){ 0 };
    restore_start(d, "/images/none.img", NULL, 0, false, create_done, &o);
    run();
    ck_assert_int_lt(o.rc, 0);
    ck_assert_uint_eq(idle("rs"), 1);
    finish();
}
END_TEST

/* In-place restore flavors (PVH, 4 MiB): "ip" with target ip_target,
 * and an empty restore flavor "rp" of the same shape with one shell. */
static void add_in_place_flavors(unsigned ip_target)
{
    add_flavor("ip", 4, ip_target);
    d->conf.flavors[d->conf.n_flavors - 1].pvh = true;
    d->conf.flavors[d->conf.n_flavors - 1].restore = true;
    d->conf.flavors[d->conf.n_flavors - 1].in_place = true;
    add_flavor("rp", 4, 1);
    d->conf.flavors[d->conf.n_flavors - 1].pvh = true;
    d->conf.flavors[d->conf.n_flavors - 1].restore = true;
}

/* An image file in the run directory (the cache looks at its identity)
 * with len bytes. */
static void write_image(char *path, size_t size, size_t len)
{
    snprintf(path, size, "%s/counter.img", run_dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    for (size_t i = 0; i < len; i++)
        fputc('x', f);
    ck_assert_int_eq(fclose(f), 0);
}

/* Restores the image at path, whose saved guest is a 4 MiB guest of that
 * type, under name. */
static struct outcome restore_image(const char *path, const char *name,
                                    bool pvh)
{
    static char text[256];
    snprintf(text, sizeof(text),
             "name = \"%s\"\nkernel = \"/boot/k\"\n"
             "memory = 4\ntype = \"%s\"\n",
             name, pvh ? "pvh" : "pv");
    fakehv.image_config = text;
    struct outcome o = { 0 };
    restore_start(d, path, NULL, 0, false, create_done, &o);
    run();
    ck_assert(o.called);
    return o;
}

START_TEST(restore_in_place_from_a_pool_twice)
{
    add_in_place_flavors(1);
    start();
    fill();
    ck_assert_uint_eq(fakehv.prepares_in_place, 1);
    char path[128];
    write_image(path, sizeof(path), 10);
    chaos_domid shell =
        d->pool.flavors[pool_find_name(&d->pool, "ip")].idle[0].domid;
    struct outcome o = restore_image(path, "c1", true);
    ck_assert_int_eq(o.rc, 0);
    ck_assert_str_eq(o.path, "in-place");
    ck_assert_str_eq(o.flavor, "ip");
    ck_assert_uint_eq(o.domid, shell);
    ck_assert_uint_eq(fakehv.restores_in_place, 1);
    ck_assert_uint_eq(d->restores_in_place, 1);
    ck_assert_uint_eq(fakehv.image_opens, 1);
    ck_assert_uint_eq(idle("ip"), 1); /* refilled, in place again */
    ck_assert_uint_eq(fakehv.prepares_in_place, 2);
    ck_assert_uint_eq(idle("rp"), 1);
    /* Twice from one image: two guests, the image opened once. */
    o = restore_image(path, "c2", true);
    ck_assert_int_eq(o.rc, 0);
    ck_assert_str_eq(o.path, "in-place");
    ck_assert_uint_eq(fakehv.restores_in_place, 2);
    ck_assert_uint_eq(fakehv.image_opens, 1);
    ck_assert_uint_eq(d->images.hits, 1);
    ck_assert_uint_eq(fakehv.images_live, 1);
    ck_assert_uint_eq(n_adopted, 2);
    ck_assert_uint_eq(count_records("guests"), 2);
    /* The file replaced (another size): opened again, the old one
     * closed. */
    write_image(path, sizeof(path), 20);
    o = restore_image(path, "c3", true);
    ck_assert_int_eq(o.rc, 0);
    ck_assert_uint_eq(fakehv.image_opens, 2);
    ck_assert_uint_eq(fakehv.images_live, 1);
    finish();
}
END_TEST

START_TEST(in_place_falls_back)
{
    add_in_place_flavors(0); /* no in-place shell idle */
    add_restore_flavor();    /* "rs": PV, 4 MiB */
    start();
    fill();
    char path[128];
    write_image(path, sizeof(path), 10);
    /* PVH, no in-place shell: an empty restore shell of the same shape. */
    struct outcome o = restore_image(path, "p1", true);
    ck_assert_int_eq(o.rc, 0);
    ck_assert_str_eq(o.path, "pool");
    ck_assert_str_eq(o.flavor, "rp");
    ck_assert_uint_eq(fakehv.restores_in_place, 0);
    ck_assert_uint_eq(fakehv.image_opens, 1);
    /* An in-place shell again: the image, kept but not mapped, is opened
     * again for it. */
    pool_resize(&d->pool, pool_find_name(&d->pool, "ip"), 1);
    refill_kick(d);
    run();
    ck_assert_uint_eq(idle("ip"), 1);
    o = restore_image(path, "p1b", true);
    ck_assert_int_eq(o.rc, 0);
    ck_assert_str_eq(o.path, "in-place");
    ck_assert_uint_eq(fakehv.image_opens, 2);
    ck_assert_uint_eq(fakehv.images_live, 1);
    refill_kick(d);
    run();
    ck_assert_uint_eq(idle("ip"), 1);
    /* A PV image never takes an in-place shell. */
    write_image(path, sizeof(path), 15); /* another image, kept anew */
    o = restore_image(path, "p2", false);
    ck_assert_int_eq(o.rc, 0);
    ck_assert_str_eq(o.path, "pool");
    ck_assert_str_eq(o.flavor, "rs");
    ck_assert_uint_eq(idle("ip"), 1);
    /* Nothing fits (8 MiB): directly. */
    static const char big[] = "name = \"p3\"\nkernel = \"/boot/k\"\n"
                              "memory = 8\ntype = \"pvh\"\n";
    fakehv.image_config = big;
    write_image(path, sizeof(path), 30);
    o = (struct outcome){ 0 };
    restore_start(d, path, NULL, 0, false, create_done, &o);
    run();
    ck_assert_int_eq(o.rc, 0);
    ck_assert_str_eq(o.path, "direct");
    ck_assert_uint_eq(idle("ip"), 1);
    finish();
}
END_TEST

START_TEST(bad_image_leaves_the_in_place_shell)
{
    add_in_place_flavors(1);
    start();
    fill();
    int ip = pool_find_name(&d->pool, "ip");
    struct pool_item first = d->pool.flavors[ip].idle[0];
    unsigned prepares = fakehv.prepares, doms = domains();
    char path[128];
    write_image(path, sizeof(path), 10);
    fakehv.fail_open = 1; /* its stream does not match its CRC */
    struct outcome o = restore_image(path, "b1", true);
    ck_assert_int_lt(o.rc, 0);
    ck_assert_ptr_nonnull(strstr(o.err, "corrupt"));
    ck_assert_uint_eq(idle("ip"), 1);
    ck_assert_uint_eq(d->pool.flavors[ip].idle[0].domid, first.domid);
    ck_assert_uint_eq(d->pool.flavors[ip].handed_out, 0);
    ck_assert_uint_eq(fakehv.prepares, prepares);
    ck_assert_uint_eq(domains(), doms);
    ck_assert_uint_eq(count_records("guests"), 0);
    ck_assert_uint_eq(fakehv.images_live, 0); /* not kept */
    /* Fixed on disk: restored in place into that same shell. */
    o = restore_image(path, "b2", true);
    ck_assert_int_eq(o.rc, 0);
    ck_assert_str_eq(o.path, "in-place");
    ck_assert_uint_eq(o.domid, first.domid);
    finish();
}
END_TEST

/* ------------------------------------------------------------- recovery */

/* Records a guest as an earlier chaosd would have. */
static void record_guest(const uint8_t uuid[16], const uint8_t shell_uuid[16],
                         int64_t domid, const char *name)
{
    struct state_guest g = { .domid = domid };
    memcpy(g.uuid, uuid, 16);
    memcpy(g.shell_uuid, shell_uuid, 16);
    snprintf(g.name, sizeof(g.name), "%s", name);
    ck_assert_int_eq(state_guest_write(&g), 0);
}

static bool guest_recorded(const uint8_t uuid[16])
{
    char u[37], path[160];
    state_uuid_text(uuid, u);
    snprintf(path, sizeof(path), "%s/chaosd/guests/%s", run_dir, u);
    return access(path, F_OK) == 0;
}

/* What an earlier chaosd left: a running guest, a guest whose domain is
 * gone, a guest half-built when it died, an idle shell, and the record of
 * a shell whose prepare never got a domain. */
struct leftovers {
    uint8_t running[16], gone[16], half[16], shell[16], unborn[16];
    chaos_domid running_id, half_id, shell_id;
};

static void leave(struct leftovers *l)
{
    state_new_uuid(l->running);
    state_new_uuid(l->gone);
    state_new_uuid(l->half);
    state_new_uuid(l->shell);
    state_new_uuid(l->unborn);
    l->running_id = fakehv_add_domain(l->running, true);
    l->half_id = fakehv_add_domain(l->half, false);
    l->shell_id = fakehv_add_domain(l->shell, false);
    record_guest(l->running, l->running, l->running_id, "running");
    record_guest(l->gone, l->gone, 77, "gone");
    record_guest(l->half, l->half, STATE_NO_DOMID, "half");
    ck_assert_int_eq(state_shell_write(l->shell, l->shell_id, "small"), 0);
    ck_assert_int_eq(state_shell_write(l->unborn, STATE_NO_DOMID, "small"), 0);
}

static void check_recovered(const struct leftovers *l)
{
    ck_assert_uint_eq(n_adopted, 1);
    ck_assert_uint_eq(adopted[0], l->running_id);
    ck_assert(guest_recorded(l->running));
    ck_assert(!guest_recorded(l->gone));
    ck_assert(!guest_recorded(l->half));
    ck_assert_ptr_nonnull(fakehv_find(l->running_id));
    ck_assert_ptr_null(fakehv_find(l->half_id));
    ck_assert_ptr_null(fakehv_find(l->shell_id));
}

START_TEST(recovery_adopts_guests_and_destroys_the_rest)
{
    struct leftovers l;
    leave(&l);
    start();
    ck_assert_int_eq(chaosd_recover(d), 0);
    check_recovered(&l);
    ck_assert_uint_eq(fakehv.destroys, 2);
    ck_assert_uint_eq(count_records("guests"), 1);
    ck_assert_uint_eq(count_records("shells"), 0);
    finish();
}
END_TEST

/* ------------------------------------------- chaosd_run(), start to stop */

static uv_timer_t stop_timer;

static void on_stop_timer(uv_timer_t *t)
{
    struct chaosd *dd = t->data;
    if (!pool_settled(&dd->pool))
        return;
    uv_close((uv_handle_t *)t, NULL);
    raise(SIGTERM); /* chaosd's own handler stops it */
}

/* Stops chaosd with SIGTERM once its pools are full. */
static void stop_when_full(struct chaosd *dd)
{
    uv_timer_init(dd->loop, &stop_timer);
    stop_timer.data = dd;
    uv_timer_start(&stop_timer, on_stop_timer, 10, 10);
}

START_TEST(run_recovers_fills_and_stops_cleanly)
{
    struct leftovers l;
    leave(&l);
    on_listen = stop_when_full;
    ck_assert_int_eq(chaosd_run(d), 0);
    ck_assert(listened && guests_started && guests_stopped && server_closed);
    ck_assert(d->ready);
    check_recovered(&l);
    /* Filled (5 shells), then stopped: every shell destroyed, the adopted
     * guest left running with its record. */
    ck_assert_uint_eq(fakehv.prepares, 5);
    ck_assert_uint_eq(fakehv.discards, 5);
    ck_assert_uint_eq(fakehv.shells_live, 0);
    ck_assert_uint_eq(fakehv.ctxs_open, 0);
    ck_assert_uint_eq(domains(), 1);
    ck_assert_uint_eq(count_records("shells"), 0);
    ck_assert_uint_eq(count_records("guests"), 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("chaosd_daemon");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, refill_fills_pools_within_budget);
    tcase_add_test(tc, failed_prepare_counted_and_retried);
    tcase_add_test(tc, failed_prepare_while_stopping_is_not_retried);
    tcase_add_test(tc, create_from_pool);
    tcase_add_test(tc, refill_waits_for_a_quiet_moment);
    tcase_add_test(tc, create_direct_when_no_flavor_fits);
    tcase_add_test(tc, create_from_image_pool);
    tcase_add_test(tc, image_create_finishes_on_the_loop);
    tcase_add_test(tc, ready_shells_get_their_supervisor_ahead);
    tcase_add_test(tc, image_pool_with_per_request_cmdlines);
    tcase_add_test(tc, stale_image_pool_is_rebuilt);
    tcase_add_test(tc, failed_image_load_leaves_nothing);
    tcase_add_test(tc, execute_failing_half_way);
    tcase_add_test(tc, shell_vanished_before_use);
    tcase_add_test(tc, direct_create_failing);
    tcase_add_test(tc, unrecordable_create_puts_the_shell_back);
    tcase_add_test(tc, restore_into_a_restore_shell);
    tcase_add_test(tc, restore_direct_when_no_flavor_fits);
    tcase_add_test(tc, refused_image_gives_the_shell_back);
    tcase_add_test(tc, restore_in_place_from_a_pool_twice);
    tcase_add_test(tc, in_place_falls_back);
    tcase_add_test(tc, bad_image_leaves_the_in_place_shell);
    tcase_add_test(tc, recovery_adopts_guests_and_destroys_the_rest);
    tcase_add_test(tc, run_recovers_fills_and_stops_cleanly);
    suite_add_tcase(s, tc);
    return check_run(s);
}
