/*
 * test_chaosd_template.c - template pools (chaosd/template.c) on chaosd's
 * real pool, refill and create code, on a real libuv loop, against the
 * fake hypervisor (chaosd_fakehv.h), whose template_boot "boots" at once
 * and "saves" the config's text as the image: the template is built once,
 * the pool holds paused restored guests, a create whose config is the
 * template's takes one (path "template": renamed, unpaused), others fall
 * back, a changed kernel or config file makes the template stale (rebuilt),
 * and a failed build leaves nothing.
 *
 * The stand-ins for server.c and guests.c are those of
 * test_chaosd_daemon.c, reduced to what these tests look at.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
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

static unsigned n_added;

void server_broadcast(struct chaosd *d, json_object *msg)
{
    json_object_put(msg);
}

/* Supervisors prepared ahead that reached guest_add() (chaosd begins
 * them there; the stub closes them). */
static unsigned n_sups_given;

int guest_add(struct chaosd *d, chaos_domid domid, chaos_config *cfg,
              chaos_supervisor *sup)
{
    n_sups_given += sup != NULL;
    d->hv->supervisor_close(d->ctx, sup);
    n_added++;
    chaos_config_free(cfg);
    return 0;
}

int guest_serve(struct chaosd *d, chaos_domid domid)
{
    return 0;
}

int guests_subscribe(struct chaosd *d)
{
    return 0;
}

struct guest *guest_find(struct chaosd *d, chaos_domid domid)
{
    return NULL;
}

void guest_remove(struct chaosd *d, struct guest *g)
{
}

int guests_start(struct chaosd *d)
{
    return 0;
}

void guests_console_close(struct chaosd *d, struct guest *g)
{
}

void guests_stop(struct chaosd *d)
{
    uv_close((uv_handle_t *)&d->tick, NULL);
}

int server_listen(struct chaosd *d)
{
    d->listening = true;
    return 0;
}

void server_close(struct chaosd *d)
{
    d->listening = false;
}

/* -------------------------------------------------------------- set-up */

static char run_dir[64], kernel[128], tcfg[128];
static struct chaosd *d;
static uv_loop_t loop;

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *f)
{
    return remove(path);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* A guest config of the template's (cmdline x=1, 4 MiB) named name;
 * cmdline NULL: the template's. */
static char *config_text(const char *name, const char *cmdline)
{
    static char text[512];
    snprintf(text, sizeof(text),
             "%s%s%skernel = \"%s\"\nmemory = 4\ntype = \"pv\"\n"
             "cmdline = \"%s\"\n",
             name ? "name = \"" : "", name ? name : "", name ? "\"\n" : "",
             kernel, cmdline ? cmdline : "x=1");
    return text;
}

/* config_text with one vif (its spec). */
static char *config_text_vif(const char *name, const char *vif)
{
    static char text[640];
    snprintf(text, sizeof(text), "%svif = [ '%s' ]\n", config_text(name, NULL),
             vif);
    return text;
}

static void add_flavor(const char *name, uint64_t mib, unsigned target,
                       const char *template_cfg)
{
    struct chaosd_flavor *f = &d->conf.flavors[d->conf.n_flavors++];
    memset(f, 0, sizeof(*f));
    snprintf(f->name, sizeof(f->name), "%s", name);
    f->memory_mib = f->maxmem_mib = mib;
    f->vcpus = 1;
    f->pool = target;
    if (template_cfg) {
        snprintf(f->template_cfg, sizeof(f->template_cfg), "%s", template_cfg);
        snprintf(f->template_ready, sizeof(f->template_ready), "ready");
        f->template_timeout_s = 5;
    }
}

/* A plain flavor "small" (4 MiB, 1 shell) and a template flavor "tpl" (4
 * MiB, 2 guests) whose template is tcfg. */
static void setup(void)
{
    fakehv_reset();
    n_added = 0;
    n_sups_given = 0;
    snprintf(run_dir, sizeof(run_dir), "/tmp/chaosd-tpl-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(run_dir));
    setenv("CHAOS_RUN_DIR", run_dir, 1);
    ck_assert_int_eq(state_init(), 0);
    snprintf(kernel, sizeof(kernel), "%s/kernel", run_dir);
    snprintf(tcfg, sizeof(tcfg), "%s/template.cfg", run_dir);
    write_file(kernel, "a kernel");
    write_file(tcfg, config_text("web", NULL));
    d = calloc(1, sizeof(*d));
    ck_assert_ptr_nonnull(d);
    d->hv = &fakehv_ops;
    chaosd_conf_defaults(&d->conf);
    d->conf.idle_memory_mib = 100;
    d->conf.refill_workers = 2;
    d->templates.retry_ms = 20;
    add_flavor("small", 4, 1, NULL);
    add_flavor("tpl", 4, 2, tcfg);
}

static void teardown(void)
{
    free(d);
    d = NULL;
    nftw(run_dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

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

static void run(void)
{
    uv_run(d->loop, UV_RUN_DEFAULT);
    ck_assert_uint_eq(d->work_in_flight, 0);
}

static void fill(void)
{
    refill_kick(d);
    run();
    ck_assert(pool_settled(&d->pool));
}

static unsigned count_files(const char *sub)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/chaosd/%s", run_dir, sub);
    DIR *dh = opendir(path);
    if (!dh)
        return 0;
    unsigned n = 0;
    struct dirent *e;
    while ((e = readdir(dh)))
        if (e->d_name[0] != '.' && !strstr(e->d_name, ".cfg"))
            n++;
    closedir(dh);
    return n;
}

/* What a stop does, as chaosd_run(); then nothing may be left but the
 * guests created. */
static void finish(void)
{
    d->stopping = true;
    template_stop(d);
    refill_kick(d);
    refill_trim(d, true);
    run();
    template_clear(d);
    images_clear(&d->images);
    builders_close(d);
    pool_free(&d->pool);
    d->hv->close(d->ctx);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
    ck_assert_uint_eq(fakehv.images_live, 0);
    ck_assert_uint_eq(fakehv.shells_live, 0);
    ck_assert_uint_eq(fakehv.ctxs_open, 0);
    ck_assert_uint_eq(fakehv.sups_live, 0);
    ck_assert_uint_eq(count_files("shells"), 0);
    ck_assert_uint_eq(count_files("templates"), 0);
    ck_assert_uint_eq(fakehv.n_doms, n_added);
}

static struct pool_flavor *flavor(const char *name)
{
    int i = pool_find_name(&d->pool, name);
    ck_assert_int_ge(i, 0);
    return &d->pool.flavors[i];
}

struct outcome {
    bool called;
    int rc;
    char path[16], flavor[40], err[256];
    chaos_domid domid;
    bool warm;
    char ip[20]; /* a warm guest's first vif's, from the reply */
};

static void create_done(struct chaosd *dd, void *opaque, int rc,
                        json_object *result, const char *errmsg)
{
    struct outcome *o = opaque;
    o->called = true;
    o->rc = rc;
    snprintf(o->err, sizeof(o->err), "%s", errmsg ? errmsg : "");
    json_object *v;
    if (result && json_object_object_get_ex(result, "path", &v))
        snprintf(o->path, sizeof(o->path), "%s", json_object_get_string(v));
    if (result && json_object_object_get_ex(result, "flavor", &v))
        snprintf(o->flavor, sizeof(o->flavor), "%s", json_object_get_string(v));
    if (result && json_object_object_get_ex(result, "domid", &v))
        o->domid = (chaos_domid)json_object_get_int64(v);
    o->warm = result && json_object_object_get_ex(result, "warm", &v) &&
              json_object_get_boolean(v);
    json_object *ip;
    if (result && json_object_object_get_ex(result, "vifs", &v) &&
        json_object_array_length(v) > 0 &&
        json_object_object_get_ex(json_object_array_get_idx(v, 0), "ip", &ip))
        snprintf(o->ip, sizeof(o->ip), "%s", json_object_get_string(ip));
    json_object_put(result);
}

static struct outcome create_text(const char *text)
{
    chaos_config *cfg = chaos_config_new();
    ck_assert_int_eq(chaos_config_parse(cfg, text, strlen(text), "test"), 0);
    ck_assert_int_eq(chaos_config_validate(cfg), 0);
    struct outcome o = { 0 };
    create_start(d, cfg, CREATE_MAY_FINISH, create_done, &o);
    run();
    ck_assert(o.called);
    return o;
}

static struct outcome create(const char *name, const char *cmdline)
{
    return create_text(config_text(name, cmdline));
}

static chaos_config *parsed(const char *text)
{
    chaos_config *cfg = chaos_config_new();
    ck_assert_int_eq(chaos_config_parse(cfg, text, strlen(text), "test"), 0);
    return cfg;
}

static char *key_of(const char *text)
{
    chaos_config *cfg = parsed(text);
    char *key = template_key(cfg);
    chaos_config_free(cfg);
    ck_assert_ptr_nonnull(key);
    return key;
}

/* -------------------------------------------------------------- tests */

START_TEST(template_built_once_and_pool_filled_paused)
{
    start();
    fill();
    ck_assert_uint_eq(fakehv.template_boots, 1);
    ck_assert_uint_eq(flavor("tpl")->n_idle, 2);
    ck_assert_uint_eq(flavor("small")->n_idle, 1);
    /* Restored from the template, paused, under chaosd's names. */
    ck_assert_uint_eq(fakehv.restores_direct, 2);
    for (unsigned k = 0; k < 2; k++) {
        const struct pool_item *it = &flavor("tpl")->idle[k];
        ck_assert(it->guest);
        const struct fakehv_dom *dom = fakehv_find(it->domid);
        ck_assert_ptr_nonnull(dom);
        ck_assert(dom->paused);
        ck_assert_int_eq(strncmp(dom->name, "chaosd-tpl-", 11), 0);
        ck_assert_ptr_nonnull(it->sup); /* its supervisor, ahead */
    }
    /* The plain flavor's shell has none (its console comes with the
     * kernel, per request). */
    ck_assert_ptr_null(flavor("small")->idle[0].sup);
    ck_assert_uint_eq(fakehv.sups_live, 2);
    /* Their memory counts against the budget; one image file is kept. */
    ck_assert_uint_eq(pool_used_mib(&d->pool), 12);
    ck_assert_uint_eq(count_files("templates"), 1);
    ck_assert_uint_eq(count_files("shells"), 3);
    finish();
}
END_TEST

START_TEST(create_takes_a_template_guest)
{
    start();
    fill();
    chaos_domid guest = flavor("tpl")->idle[0].domid;
    struct outcome o = create("g1", NULL);
    ck_assert_int_eq(o.rc, 0);
    ck_assert_str_eq(o.path, "template");
    ck_assert_str_eq(o.flavor, "tpl");
    ck_assert_uint_eq(o.domid, guest);
    const struct fakehv_dom *dom = fakehv_find(guest);
    ck_assert_str_eq(dom->name, "g1");
    ck_assert(!dom->paused);
    ck_assert_uint_eq(fakehv.renames, 1);
    ck_assert_uint_eq(fakehv.unpauses, 1);
    ck_assert_uint_eq(fakehv.executes + fakehv.creates, 0);
    ck_assert_uint_eq(n_added, 1);
    ck_assert_uint_eq(n_sups_given, 1);
    ck_assert_uint_eq(d->metrics.creates[METRICS_PATH_TEMPLATE], 1);
    /* Refilled from the same template: no second boot. */
    ck_assert_uint_eq(flavor("tpl")->n_idle, 2);
    ck_assert_uint_eq(fakehv.template_boots, 1);
    ck_assert_uint_eq(fakehv.restores_direct, 3);
    finish();
}
END_TEST

/* A template's guest is a restored domain, not a shell: its take runs
 * on the loop's own context at once, even while every builder is busy
 * (their locks held, as during restores). */
START_TEST(take_does_not_wait_for_builders)
{
    start();
    fill();
    for (unsigned b = 0; b < d->n_builders; b++)
        uv_mutex_lock(&d->builders[b].lock);
    chaos_config *cfg = parsed(config_text("g1", NULL));
    ck_assert_int_eq(chaos_config_validate(cfg), 0);
    struct outcome o = { 0 };
    create_start(d, cfg, CREATE_MAY_FINISH, create_done, &o);
    ck_assert(o.called);
    ck_assert_int_eq(o.rc, 0);
    ck_assert_str_eq(o.path, "template");
    for (unsigned b = 0; b < d->n_builders; b++)
        uv_mutex_unlock(&d->builders[b].lock);
    run();
    finish();
}
END_TEST

START_TEST(other_configs_fall_back)
{
    start();
    fill();
    /* Another command line: the plain pool. */
    struct outcome o = create("g1", "x=2");
    ck_assert_int_eq(o.rc, 0);
    ck_assert_str_eq(o.path, "pool");
    ck_assert_str_eq(o.flavor, "small");
    /* The plain pool empty (refilled after): direct. */
    flavor("small")->f.pool = 0;
    refill_trim(d, false);
    run();
    o = create("g2", "x=3");
    ck_assert_str_eq(o.path, "direct");
    /* Another kernel (its key is not even made: the template was not
     * built from that file). */
    o = create_text("name = \"g3\"\nkernel = \"/boot/other\"\nmemory = 4\n"
                    "type = \"pv\"\ncmdline = \"x=1\"\n");
    ck_assert_str_eq(o.path, "direct");
    ck_assert_uint_eq(flavor("tpl")->n_idle, 2);
    ck_assert_uint_eq(fakehv.renames, 0);
    /* The template's own kernel and line still take one. */
    o = create("g4", NULL);
    ck_assert_str_eq(o.path, "template");
    finish();
}
END_TEST

START_TEST(changed_kernel_makes_the_template_stale)
{
    start();
    fill();
    chaos_domid old[2] = { flavor("tpl")->idle[0].domid,
                           flavor("tpl")->idle[1].domid };
    write_file(kernel, "another, longer kernel");
    struct outcome o = create("g1", NULL);
    ck_assert_int_eq(o.rc, 0);
    ck_assert_str_eq(o.path, "pool"); /* not a stale guest */
    /* Its guests destroyed, the template built again, the pool refilled. */
    ck_assert_ptr_null(fakehv_find(old[0]));
    ck_assert_ptr_null(fakehv_find(old[1]));
    ck_assert_uint_eq(fakehv.template_boots, 2);
    ck_assert_uint_eq(flavor("tpl")->n_idle, 2);
    ck_assert_uint_eq(count_files("templates"), 1);
    o = create("g2", NULL);
    ck_assert_str_eq(o.path, "template");
    finish();
}
END_TEST

START_TEST(changed_config_makes_the_template_stale)
{
    start();
    fill();
    /* The template now asks for another command line: refills notice. */
    write_file(tcfg, config_text("web", "x=9 y=1"));
    refill_kick(d);
    run();
    ck_assert_uint_eq(fakehv.template_boots, 2);
    ck_assert_uint_eq(flavor("tpl")->n_idle, 2);
    struct outcome o = create("g1", NULL); /* the old one: no longer */
    ck_assert_str_eq(o.path, "pool");
    o = create("g2", "x=9 y=1");
    ck_assert_str_eq(o.path, "template");
    finish();
}
END_TEST

START_TEST(failed_template_boot_leaves_nothing)
{
    fakehv.fail_template = 1;
    start();
    fill(); /* fails, retried 20 ms later, built */
    ck_assert_uint_eq(fakehv.template_boots, 2);
    ck_assert_uint_eq(flavor("tpl")->fill_failures, 1);
    ck_assert_uint_eq(d->metrics.failures[METRICS_FAIL_TEMPLATE], 1);
    ck_assert_uint_eq(flavor("tpl")->n_idle, 2);
    ck_assert_uint_eq(count_files("templates"), 1);
    ck_assert_uint_eq(count_files("shells"), 3);
    ck_assert_uint_eq(fakehv.n_doms, 3);
    finish();
}
END_TEST

START_TEST(bad_template_config_is_refused_before_booting)
{
    write_file(tcfg, "name = \"x\"\nkernel = \"/k\"\nmemory = 8\n");
    d->templates.retry_ms = 60000;
    start();
    refill_kick(d);
    ck_assert_uint_eq(fakehv.template_boots, 0);
    ck_assert_uint_eq(flavor("tpl")->fill_failures, 1);
    ck_assert(flavor("tpl")->held); /* until the retry */
    ck_assert_uint_eq(flavor("tpl")->filling, 0);
    ck_assert_uint_eq(count_files("shells"), 1); /* "small"'s, filling */
    finish();
}
END_TEST

START_TEST(failed_rename_destroys_the_guest)
{
    start();
    fill();
    chaos_domid guest = flavor("tpl")->idle[0].domid;
    fakehv.fail_rename = 1;
    struct outcome o = create("g1", NULL);
    ck_assert_int_lt(o.rc, 0);
    ck_assert_str_eq(o.err, "injected: the name is in use");
    ck_assert_ptr_null(fakehv_find(guest));
    ck_assert_uint_eq(count_files("guests"), 0);
    ck_assert_uint_eq(flavor("tpl")->n_idle, 2);
    ck_assert_uint_eq(fakehv.sups_live, 2); /* its own was closed */
    finish();
}
END_TEST

START_TEST(template_key_ignores_names_macs_and_addresses)
{
    char *a = key_of(config_text_vif("a", "bridge=br0"));
    char *b = key_of(config_text_vif(
        "b", "mac=00:16:3e:01:02:03,bridge=br0,ip=10.0.0.3/24"));
    char *c = key_of(config_text_vif("c", "bridge=br1"));
    char *e = key_of(config_text("e", NULL));
    char *v = key_of(config_text_vif("v", "bridge=br0,vifname=web0"));
    ck_assert_str_eq(a, b);
    ck_assert_ptr_null(strstr(a, "mac="));
    ck_assert_ptr_null(strstr(a, "ip="));
    ck_assert_ptr_nonnull(strstr(a, "bridge=br0"));
    /* What every guest shares still tells templates apart. */
    ck_assert_str_ne(a, c);
    ck_assert_str_ne(a, e);
    ck_assert_str_ne(a, v);
    free(a);
    free(b);
    free(c);
    free(e);
    free(v);
}
END_TEST

/* The template has a vif: its guests are restored with MACs of their own;
 * a create takes one with the request's MAC and address, or keeps the
 * guest's MAC when it names none; a MAC in use fails the create and
 * leaves nothing of that guest. */
START_TEST(vif_template_guests_take_the_request_addresses)
{
    write_file(tcfg, config_text_vif("web", "bridge=br0,ip=10.0.0.2/24"));
    start();
    fill();
    ck_assert_uint_eq(flavor("tpl")->n_idle, 2);
    const struct fakehv_dom *c0 = fakehv_find(flavor("tpl")->idle[0].domid),
                            *c1 = fakehv_find(flavor("tpl")->idle[1].domid);
    ck_assert_uint_eq(c0->n_vifs, 1);
    ck_assert_int_ne(memcmp(c0->macs[0], c1->macs[0], 6), 0);

    chaos_domid first = flavor("tpl")->idle[0].domid;
    struct outcome o = create_text(config_text_vif(
        "g1", "mac=00:16:3e:aa:00:01,bridge=br0,ip=10.0.0.3/24"));
    ck_assert_int_eq(o.rc, 0);
    ck_assert_str_eq(o.path, "template");
    ck_assert_uint_eq(o.domid, first);
    const struct fakehv_dom *g1 = fakehv_find(o.domid);
    ck_assert_int_eq(memcmp(g1->macs[0], "\x00\x16\x3e\xaa\x00\x01", 6), 0);
    ck_assert_str_eq(g1->ips[0], "10.0.0.3/24");
    ck_assert(!g1->paused);
    ck_assert_uint_eq(fakehv.readdresses, 1);

    /* No MAC in the request: the guest keeps the one it was restored
     * with, unique; the address is the request's. */
    chaos_domid second = flavor("tpl")->idle[0].domid;
    uint8_t mac[6];
    memcpy(mac, fakehv_find(second)->macs[0], 6);
    o = create_text(config_text_vif("g2", "bridge=br0,ip=10.0.0.4/24"));
    ck_assert_int_eq(o.rc, 0);
    ck_assert_str_eq(o.path, "template");
    const struct fakehv_dom *g2 = fakehv_find(o.domid);
    ck_assert_int_eq(memcmp(g2->macs[0], mac, 6), 0);
    ck_assert_str_eq(g2->ips[0], "10.0.0.4/24");
    ck_assert_int_ne(memcmp(g2->macs[0], fakehv_find(first)->macs[0], 6), 0);

    /* g1's MAC again: refused, that guest destroyed, no record left. */
    chaos_domid third = flavor("tpl")->idle[0].domid;
    unsigned doms = fakehv.n_doms;
    o = create_text(config_text_vif(
        "g3", "mac=00:16:3e:aa:00:01,bridge=br0,ip=10.0.0.5/24"));
    ck_assert_int_eq(o.rc, -EADDRINUSE);
    ck_assert_ptr_nonnull(strstr(o.err, "MAC 00:16:3e:aa:00:01 is already "
                                        "used on bridge br0"));
    ck_assert_ptr_null(fakehv_find(third));
    ck_assert_uint_eq(count_files("guests"), 2);
    ck_assert_uint_eq(fakehv.renames, 2);
    /* The pool refilled in its place. */
    ck_assert_uint_eq(flavor("tpl")->n_idle, 2);
    ck_assert_uint_eq(fakehv.n_doms, doms);

    /* Another bridge does not fit the template: the plain pool. */
    o = create_text(config_text_vif("g4", "bridge=br1"));
    ck_assert_str_ne(o.path, "template");
    finish();
}
END_TEST

/* A warm flavor's guests are resumed ahead at base + domid and paused;
 * a create naming no address takes one (renamed, unpaused, told its
 * address), one naming an address does not. */
START_TEST(warm_template_guests_are_resumed_ahead)
{
    write_file(tcfg, config_text_vif("web", "bridge=br0,ip=10.0.0.2/24"));
    struct chaosd_flavor *f = &d->conf.flavors[1];
    snprintf(f->template_warm, sizeof(f->template_warm), "resumed");
    f->warm_ip_base = 10u << 24 | 128u << 8; /* 10.0.128.0 */
    f->warm_ip_len = 16;
    start();
    fill();
    ck_assert_uint_eq(flavor("tpl")->n_idle, 2);
    ck_assert_uint_eq(fakehv.warms, 2);
    ck_assert_uint_eq(fakehv.sups_live, 2);
    const struct pool_item *it = &flavor("tpl")->idle[0];
    char want[20];
    snprintf(want, sizeof(want), "10.0.128.%u/16", it->domid);
    ck_assert(it->warm);
    ck_assert_str_eq(it->ip, want);
    ck_assert_str_eq(fakehv_find(it->domid)->ips[0], want);
    ck_assert(fakehv_find(it->domid)->paused);

    chaos_domid first = it->domid;
    unsigned renames = fakehv.renames;
    struct outcome o = create_text(config_text_vif("g1", "bridge=br0"));
    ck_assert_int_eq(o.rc, 0);
    ck_assert_str_eq(o.path, "template");
    ck_assert(o.warm);
    ck_assert_uint_eq(o.domid, first);
    ck_assert_str_eq(o.ip, want);
    ck_assert_str_eq(fakehv_find(first)->name, "g1");
    ck_assert(!fakehv_find(first)->paused);
    ck_assert_uint_eq(fakehv.renames, renames + 1);
    ck_assert_uint_eq(n_sups_given, 1);

    /* An address of its own: a warm guest cannot take it. */
    o = create_text(config_text_vif("g2", "bridge=br0,ip=10.0.0.9/24"));
    ck_assert_int_eq(o.rc, 0);
    ck_assert_str_ne(o.path, "template");
    ck_assert(!o.warm);

    /* A warm-up that fails leaves no domain; the next one fills. */
    unsigned doms = fakehv.n_doms;
    chaos_domid taken = flavor("tpl")->idle[0].domid;
    fakehv.fail_warm = 1;
    o = create_text(config_text_vif("g3", "bridge=br0"));
    ck_assert_int_eq(o.rc, 0);
    ck_assert_uint_eq(o.domid, taken);
    ck_assert_uint_eq(fakehv.fail_warm, 0);
    /* g3 came from the pool, which is full again: one domain more. */
    ck_assert_uint_eq(flavor("tpl")->n_idle, 2);
    ck_assert_uint_eq(fakehv.warms, 4);
    ck_assert_uint_eq(fakehv.n_doms, doms + 1);
    finish();
}
END_TEST

START_TEST(template_with_a_disk_or_vifname_is_refused)
{
    char text[800];
    snprintf(text, sizeof(text), "%sdisk = [ '/dev/null,raw,xvda,rw' ]\n",
             config_text("web", NULL));
    write_file(tcfg, text);
    d->templates.retry_ms = 60000;
    start();
    refill_kick(d);
    ck_assert_uint_eq(fakehv.template_boots, 0);
    ck_assert_uint_eq(flavor("tpl")->fill_failures, 1);
    finish();

    teardown();
    setup();
    write_file(tcfg, config_text_vif("web", "bridge=br0,vifname=web0"));
    d->templates.retry_ms = 60000;
    start();
    refill_kick(d);
    ck_assert_uint_eq(fakehv.template_boots, 0);
    ck_assert_uint_eq(flavor("tpl")->fill_failures, 1);
    finish();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("chaosd_template");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, template_built_once_and_pool_filled_paused);
    tcase_add_test(tc, create_takes_a_template_guest);
    tcase_add_test(tc, take_does_not_wait_for_builders);
    tcase_add_test(tc, other_configs_fall_back);
    tcase_add_test(tc, changed_kernel_makes_the_template_stale);
    tcase_add_test(tc, changed_config_makes_the_template_stale);
    tcase_add_test(tc, failed_template_boot_leaves_nothing);
    tcase_add_test(tc, bad_template_config_is_refused_before_booting);
    tcase_add_test(tc, failed_rename_destroys_the_guest);
    tcase_add_test(tc, template_key_ignores_names_macs_and_addresses);
    tcase_add_test(tc, vif_template_guests_take_the_request_addresses);
    tcase_add_test(tc, warm_template_guests_are_resumed_ahead);
    tcase_add_test(tc, template_with_a_disk_or_vifname_is_refused);
    suite_add_tcase(s, tc);
    return check_run(s);
}
