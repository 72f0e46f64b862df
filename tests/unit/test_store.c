/*
 * test_store.c - the private per-guest XenStore (libchaos/store/store.h):
 * every operation as xenstored answers it, relative paths and events,
 * permissions, watches, transactions, limits, framing and back-pressure,
 * through a guest connection (domain 5) and a dom0 connection.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "test_store_util.h"

#define GUEST 5
#define HOME "/local/domain/5"

static struct store *s;
static struct store_conn *g, *d; /* the guest's, dom0's */

static void open_store(const struct store_limits *lim)
{
    ck_assert_int_eq(store_new(GUEST, lim, &s), 0);
    ck_assert_int_eq(store_put(s, HOME, "", STORE_GUEST_OWNS), 0);
    ck_assert_int_eq(store_connect(s, GUEST, &g), 0);
    ck_assert_int_eq(store_connect(s, 0, &d), 0);
}

static void setup(void)
{
    open_store(NULL);
}

static void teardown(void)
{
    store_free(s);
    s = NULL;
}

/* The value at path read through c, or the error's name. */
static const char *rd(struct store_conn *c, const char *path)
{
    static struct tmsg r;
    r = treq(c, NULL, XS_READ, 0, path, strlen(path) + 1);
    return r.data;
}

static void wr(struct store_conn *c, const char *path, const char *value)
{
    char buf[XENSTORE_PAYLOAD_MAX];
    size_t pl = strlen(path) + 1, vl = strlen(value);
    memcpy(buf, path, pl);
    memcpy(buf + pl, value, vl);
    struct tmsg r = treq(c, NULL, XS_WRITE, 0, buf, pl + vl);
    ck_assert_msg(r.h.type == XS_WRITE, "write %s: %s", path, r.data);
}

/* ---- the tree and the operations ---------------------------------------- */

START_TEST(new_store_has_root_and_local_domain)
{
    unsigned nodes;
    size_t bytes;
    struct store *t;
    ck_assert_int_eq(store_new(7, NULL, &t), 0);
    store_usage(t, &nodes, &bytes);
    ck_assert_uint_eq(nodes, 3);
    ck_assert_uint_eq(bytes, strlen("local") + strlen("domain"));
    char buf[8];
    ck_assert_int_eq(store_get(t, "/local/domain", buf, sizeof(buf)), 0);
    ck_assert_str_eq(buf, "");
    store_free(t);
    ck_assert_int_eq(store_new(0, NULL, &t), -EINVAL);
    store_free(NULL);
}
END_TEST

START_TEST(write_read_mkdir_rm)
{
    TOK(d, XS_WRITE, 0, RAW("/a/b/c\0hello"));
    ck_assert_str_eq(rd(d, "/a/b/c"), "hello");
    ck_assert_str_eq(rd(d, "/a/b"), "");
    TOK(d, XS_WRITE, 0, RAW("/a/b/c\0"));
    ck_assert_str_eq(rd(d, "/a/b/c"), "");
    /* A value is any bytes. */
    struct tmsg r;
    TOK(d, XS_WRITE, 0, RAW("/bin\0x\0y"));
    r = treq(d, NULL, XS_READ, 0, ARG("/bin"));
    ck_assert_uint_eq(r.h.len, 3);
    ck_assert_mem_eq(r.data, "x\0y", 3);
    TERR(d, "ENOENT", XS_READ, 0, ARG("/nope"));
    TOK(d, XS_MKDIR, 0, ARG("/m/n"));
    TOK(d, XS_MKDIR, 0, ARG("/m/n")); /* exists: fine */
    ck_assert_str_eq(rd(d, "/m/n"), "");
    TOK(d, XS_RM, 0, ARG("/a/b"));
    TERR(d, "ENOENT", XS_READ, 0, ARG("/a/b/c"));
    ck_assert_str_eq(rd(d, "/a"), "");
    TOK(d, XS_RM, 0, ARG("/a/gone"));         /* missing, parent exists */
    TERR(d, "ENOENT", XS_RM, 0, ARG("/x/y")); /* missing parent */
    TERR(d, "EINVAL", XS_RM, 0, ARG("/"));
    TERR(d, "EINVAL", XS_WRITE, 0, RAW("/nonul"));
    TERR(d, "EINVAL", XS_READ, 0, RAW("/a\0/b\0"));
    TERR(d, "EINVAL", XS_READ, 0, RAW("/a"));
    TERR(d, "EINVAL", XS_READ, 0, "", 0);
}
END_TEST

START_TEST(directory_and_parts)
{
    TOK(d, XS_MKDIR, 0, ARG("/dir/one"));
    TOK(d, XS_MKDIR, 0, ARG("/dir/two"));
    TOK(d, XS_WRITE, 0, RAW("/dir/three\0v"));
    struct tmsg r = treq(d, NULL, XS_DIRECTORY, 0, ARG("/dir"));
    ck_assert_uint_eq(r.h.type, XS_DIRECTORY);
    ck_assert_uint_eq(r.h.len, sizeof("one\0two\0three"));
    ck_assert_mem_eq(r.data, "one\0two\0three", r.h.len);
    r = treq(d, NULL, XS_DIRECTORY, 0, ARG("/dir/one"));
    ck_assert_uint_eq(r.h.len, 0);
    TERR(d, "ENOENT", XS_DIRECTORY, 0, ARG("/nodir"));

    /* More names than a reply holds: E2BIG, then DIRECTORY_PART. */
    char path[64], want[8192];
    size_t wlen = 0;
    for (int i = 0; i < 300; i++) {
        snprintf(path, sizeof(path), "/big/child-number-%03d", i);
        TOK(d, XS_MKDIR, 0, path, strlen(path) + 1);
        wlen += (size_t)sprintf(want + wlen, "child-number-%03d", i) + 1;
    }
    TERR(d, "E2BIG", XS_DIRECTORY, 0, ARG("/big"));
    char got[8192], req[64];
    size_t glen = 0;
    char gen[32] = "";
    for (int parts = 0;; parts++) {
        ck_assert_int_lt(parts, 10);
        int n = snprintf(req, sizeof(req), "/big%c%zu", 0, glen);
        r = treq(d, NULL, XS_DIRECTORY_PART, 0, req, (size_t)n + 1);
        ck_assert_uint_eq(r.h.type, XS_DIRECTORY_PART);
        if (parts)
            ck_assert_str_eq(r.data, gen); /* unchanged generation */
        ck_assert_uint_lt(strlen(r.data), sizeof(gen));
        strcpy(gen, r.data);
        size_t off = strlen(r.data) + 1, len = r.h.len - off;
        memcpy(got + glen, r.data + off, len);
        glen += len;
        if (len >= 1 && r.data[r.h.len - 1] == 0 &&
            (len == 1 || r.data[r.h.len - 2] == 0))
            break; /* an empty name ends the list */
    }
    ck_assert_uint_eq(glen, wlen + 1);
    ck_assert_mem_eq(got, want, wlen);
    TERR(d, "EINVAL", XS_DIRECTORY_PART, 0, ARG("/big"));
}
END_TEST

START_TEST(perms_get_and_set)
{
    struct tmsg r = treq(d, NULL, XS_GET_PERMS, 0, ARG(HOME));
    ck_assert_uint_eq(r.h.len, sizeof("n5\0r0"));
    ck_assert_mem_eq(r.data, "n5\0r0", r.h.len);
    /* The guest's own new node: the parent's list, owner the guest. */
    TOK(g, XS_WRITE, 0,
        RAW("data/x\0"
            "1"));
    r = treq(g, NULL, XS_GET_PERMS, 0, ARG("data/x"));
    ck_assert_mem_eq(r.data, "n5\0r0", r.h.len);
    TOK(g, XS_SET_PERMS, 0, ARG("data/x\0n5\0b0\0r7"));
    r = treq(d, NULL, XS_GET_PERMS, 0, ARG(HOME "/data/x"));
    ck_assert_uint_eq(r.h.len, sizeof("n5\0b0\0r7"));
    ck_assert_mem_eq(r.data, "n5\0b0\0r7", r.h.len);
    TERR(g, "EPERM", XS_SET_PERMS, 0, ARG("data/x\0n0"));
    TERR(g, "EINVAL", XS_SET_PERMS, 0, ARG("data/x\0x5"));
    TERR(g, "EINVAL", XS_SET_PERMS, 0, ARG("data/x\0n"));
    TERR(g, "EINVAL", XS_SET_PERMS, 0, ARG("data/x\0n70000"));
    TERR(g, "EINVAL", XS_SET_PERMS, 0, ARG("data/x"));
    TERR(g, "ENOSPC", XS_SET_PERMS, 0,
         ARG("data/x\0n5\0r1\0r2\0r3\0r4\0r6\0r7\0r8\0r9"));
    TOK(g, XS_SET_PERMS, 0, ARG("data/x\0n5\0r1\0r2\0r3\0r4\0r6\0r7\0r8"));
    /* dom0 may give a node to anybody. */
    TOK(d, XS_SET_PERMS, 0, ARG(HOME "/data/x\0n0"));
    TERR(g, "EACCES", XS_READ, 0, ARG("data/x"));
    TERR(g, "EACCES", XS_SET_PERMS, 0, ARG("data/x\0n5"));
}
END_TEST

START_TEST(domain_ops_and_privileged_ops)
{
    struct tmsg r = treq(g, NULL, XS_GET_DOMAIN_PATH, 0, ARG("5"));
    ck_assert_str_eq(r.data, HOME);
    ck_assert_uint_eq(r.h.len, sizeof(HOME));
    r = treq(d, NULL, XS_GET_DOMAIN_PATH, 0, ARG("0"));
    ck_assert_str_eq(r.data, "/local/domain/0");
    TERR(g, "EINVAL", XS_GET_DOMAIN_PATH, 0, ARG("x"));
    TERR(g, "EINVAL", XS_GET_DOMAIN_PATH, 0, ARG("65536"));
    r = treq(d, NULL, XS_IS_DOMAIN_INTRODUCED, 0, ARG("5"));
    ck_assert_str_eq(r.data, "T");
    r = treq(d, NULL, XS_IS_DOMAIN_INTRODUCED, 0, ARG("9"));
    ck_assert_str_eq(r.data, "F");
    TERR(g, "EACCES", XS_IS_DOMAIN_INTRODUCED, 0, ARG("5"));
    static const uint32_t priv[] = { XS_INTRODUCE, XS_RELEASE, XS_RESUME,
                                     XS_SET_TARGET, XS_CONTROL };
    for (size_t i = 0; i < sizeof(priv) / sizeof(priv[0]); i++) {
        TERR(g, "EACCES", priv[i], 0, ARG("5"));
        TERR(d, "ENOSYS", priv[i], 0, ARG("5"));
    }
    TERR(g, "ENOSYS", XS_WATCH_EVENT, 0, ARG("x"));
    TERR(g, "ENOSYS", XS_ERROR, 0, ARG("x"));
    TERR(g, "ENOSYS", 999, 0, ARG("x"));
    TERR(d, "ENOSYS", 0xffffffffu, 0, "", 0);
}
END_TEST

START_TEST(paths_are_checked)
{
    TERR(g, "EINVAL", XS_WRITE, 0, RAW("a b\0v"));
    TERR(g, "EINVAL", XS_WRITE, 0, RAW("a.b\0v"));
    TERR(g, "EINVAL", XS_WRITE, 0, RAW("a/\0v"));
    TERR(g, "EINVAL", XS_WRITE, 0, RAW("a//b\0v"));
    TERR(g, "EINVAL", XS_WRITE, 0, RAW("/local/domain/5/\0v"));
    TERR(g, "EINVAL", XS_WRITE, 0, RAW("@foo\0v"));
    TERR(g, "EINVAL", XS_READ, 0, ARG(""));
    TOK(g, XS_WRITE, 0, RAW("ok-_@A9\0v"));
    /* Length: at most XENSTORE_REL_PATH_MAX below the home. */
    char p[XENSTORE_PAYLOAD_MAX];
    memset(p, 'a', XENSTORE_REL_PATH_MAX);
    p[XENSTORE_REL_PATH_MAX] = '\0';
    TOK(g, XS_WRITE, 0, p, XENSTORE_REL_PATH_MAX + 1);
    p[XENSTORE_REL_PATH_MAX] = 'a';
    p[XENSTORE_REL_PATH_MAX + 1] = '\0';
    TERR(g, "EINVAL", XS_WRITE, 0, p, XENSTORE_REL_PATH_MAX + 2);
    /* Absolute: at most XENSTORE_ABS_PATH_MAX. */
    memset(p, 'b', XENSTORE_ABS_PATH_MAX + 1);
    p[0] = '/';
    p[XENSTORE_ABS_PATH_MAX + 1] = '\0';
    TERR(d, "EINVAL", XS_WRITE, 0, p, XENSTORE_ABS_PATH_MAX + 2);
    p[XENSTORE_ABS_PATH_MAX] = '\0';
    TOK(d, XS_WRITE, 0, p, XENSTORE_ABS_PATH_MAX + 1);
    /* dom0's own calls take absolute paths only. */
    ck_assert_int_eq(store_put(s, "rel", "", STORE_GUEST_NONE), -EINVAL);
    ck_assert_int_eq(store_put(s, "/x/", "", STORE_GUEST_NONE), -EINVAL);
}
END_TEST

START_TEST(relative_paths_resolve_under_home)
{
    TOK(g, XS_WRITE, 0,
        RAW("device/vif/0/state\0"
            "1"));
    ck_assert_str_eq(rd(d, HOME "/device/vif/0/state"), "1");
    ck_assert_str_eq(rd(g, HOME "/device/vif/0/state"), "1");
    TOK(d, XS_WRITE, 0, RAW(HOME "/control/shutdown\0poweroff"));
    ck_assert_str_eq(rd(g, "control/shutdown"), "poweroff");
    /* dom0's relative paths are under the guest's home too: there is no
     * other domain in this store. */
    ck_assert_str_eq(rd(d, "control/shutdown"), "poweroff");
}
END_TEST

/* ---- permissions --------------------------------------------------------- */

START_TEST(guest_cannot_touch_dom0_nodes)
{
    ck_assert_int_eq(store_put(s, "/local/domain/0/backend/vif/5/0/state", "2",
                               STORE_GUEST_READ),
                     0);
    ck_assert_int_eq(store_put(s, "/secret/key", "x", STORE_GUEST_NONE), 0);
    ck_assert_str_eq(rd(g, "/local/domain/0/backend/vif/5/0/state"), "2");
    TERR(g, "EACCES", XS_WRITE, 0,
         RAW("/local/domain/0/backend/vif/5/0/state\0"
             "6"));
    TERR(g, "EACCES", XS_WRITE, 0, RAW("/local/domain/0/backend/new\0x"));
    TERR(g, "EACCES", XS_RM, 0, ARG("/local/domain/0/backend"));
    TERR(g, "EACCES", XS_READ, 0, ARG("/secret/key"));
    TERR(g, "EACCES", XS_DIRECTORY, 0, ARG("/secret"));
    /* Missing under an unreadable parent: not even ENOENT. */
    TERR(g, "EACCES", XS_READ, 0, ARG("/secret/other"));
    TERR(g, "EACCES", XS_MKDIR, 0, ARG("/elsewhere"));
    TERR(g, "EACCES", XS_WRITE, 0, RAW("/local/domain/7/x\0v"));
    ck_assert_str_eq(rd(d, "/secret/key"), "x");
    /* Access can be changed. */
    ck_assert_int_eq(store_set_access(s, "/secret/key", STORE_GUEST_READ), 0);
    ck_assert_str_eq(rd(g, "/secret/key"), "x");
    ck_assert_int_eq(store_set_access(s, "/secret/key", STORE_GUEST_OWNS), 0);
    wr(g, "/secret/key", "mine");
    ck_assert_int_eq(store_set_access(s, "/nope", STORE_GUEST_READ), -ENOENT);
}
END_TEST

/* ---- watches ------------------------------------------------------------- */

START_TEST(watch_fires_on_node_and_below)
{
    struct tevents ev = { 0 };
    struct tmsg r = treq(g, &ev, XS_WATCH, 0, ARG("device\0tok"));
    ck_assert_uint_eq(r.h.type, XS_WATCH);
    ck_assert_str_eq(r.data, "OK");
    ck_assert_uint_eq(ev.n, 1); /* the initial event */
    ck_assert_str_eq(ev.path[0], "device");
    ck_assert_str_eq(ev.token[0], "tok");
    /* dom0 changes below: the guest hears relative paths. */
    ck_assert_int_eq(
        store_put(s, HOME "/device/vif/0/state", "1", STORE_GUEST_OWNS), 0);
    tdrain(g, &ev);
    ck_assert_uint_eq(ev.n, 2);
    ck_assert_str_eq(ev.path[1], "device/vif/0/state");
    /* Not a sibling sharing the prefix, nor a parent. */
    wr(d, HOME "/devices", "x");
    wr(d, HOME "/dev", "x");
    tdrain(g, &ev);
    ck_assert_uint_eq(ev.n, 2);
    /* An absolute watch reports absolute paths. */
    TOK(d, XS_WATCH, 0, ARG(HOME "/control\0c"));
    struct tevents dev = { 0 };
    tdrain(d, &dev);
    TOK(g, XS_WRITE, 0, RAW("control/shutdown\0poweroff"));
    tdrain(d, &dev);
    ck_assert_uint_eq(dev.n, 1);
    ck_assert_str_eq(dev.path[0], HOME "/control/shutdown");
    ck_assert_str_eq(dev.token[0], "c");
    /* A watch on "/" hears everything. */
    TOK(d, XS_WATCH, 0, ARG("/\0all"));
    tdrain(d, NULL);
    memset(&dev, 0, sizeof(dev));
    treq(d, &dev, XS_WRITE, 0,
         RAW("/z\0"
             "1")); /* its own change */
    ck_assert_uint_eq(dev.n, 1);
    ck_assert_str_eq(dev.path[0], "/z");
}
END_TEST

START_TEST(removal_fires_watches_below)
{
    struct tevents ev = { 0 };
    wr(g, "device/vif/0/state", "4");
    TOK(g, XS_WATCH, 0, ARG("device/vif/0/state\0st"));
    TOK(g, XS_WATCH, 0, ARG("device\0dev"));
    tdrain(g, NULL);
    ck_assert_int_eq(store_remove(s, HOME "/device/vif"), 0);
    tdrain(g, &ev);
    /* The node watched below, and the removed node for "device". */
    ck_assert_uint_eq(ev.n, 2);
    ck_assert_str_eq(ev.path[0], "device/vif/0/state");
    ck_assert_str_eq(ev.token[0], "st");
    ck_assert_str_eq(ev.path[1], "device/vif");
    ck_assert_str_eq(ev.token[1], "dev");
    ck_assert_int_eq(store_remove(s, HOME "/device/vif"), -ENOENT);
    ck_assert_int_eq(store_remove(s, "/"), -EINVAL);
}
END_TEST

START_TEST(events_only_to_readers)
{
    struct tevents ev = { 0 };
    treq(g, &ev, XS_WATCH, 0, ARG("/secret\0s"));
    ck_assert_uint_eq(ev.n, 1); /* the initial event: always */
    ck_assert_int_eq(store_put(s, "/secret/key", "x", STORE_GUEST_NONE), 0);
    wr(d, "/secret/key", "y");
    tdrain(g, &ev);
    ck_assert_uint_eq(ev.n, 1);
    /* Readable now: the change of access itself is heard. */
    ck_assert_int_eq(store_set_access(s, "/secret/key", STORE_GUEST_READ), 0);
    tdrain(g, &ev);
    ck_assert_uint_eq(ev.n, 2);
    /* A node the guest cannot read under a parent it can: heard. */
    ck_assert_int_eq(store_put(s, "/secret/key/sub", "", STORE_GUEST_NONE), 0);
    tdrain(g, &ev);
    ck_assert_uint_eq(ev.n, 3);
}
END_TEST

START_TEST(watch_rules)
{
    struct tevents ev = { 0 };
    treq(g, &ev, XS_WATCH, 0, ARG("@releaseDomain\0r"));
    treq(g, &ev, XS_WATCH, 0, ARG("@introduceDomain\0i"));
    ck_assert_uint_eq(ev.n, 2);
    ck_assert_str_eq(ev.path[0], "@releaseDomain");
    ck_assert_str_eq(ev.path[1], "@introduceDomain");
    wr(d, "/q", "1");
    tdrain(g, &ev);
    ck_assert_uint_eq(ev.n, 2);
    TERR(g, "EEXIST", XS_WATCH, 0, ARG("@releaseDomain\0r"));
    TOK(g, XS_WATCH, 0, ARG("@releaseDomain\0other"));
    TERR(g, "EINVAL", XS_WATCH, 0, ARG("a"));
    TERR(g, "EINVAL", XS_WATCH, 0,
         ARG("a\0b\0"
             "1"));
    TERR(g, "EINVAL", XS_WATCH, 0, ARG("a/\0b"));
    TOK(g, XS_UNWATCH, 0, ARG("@releaseDomain\0r"));
    TERR(g, "ENOENT", XS_UNWATCH, 0, ARG("@releaseDomain\0r"));
    /* A relative watch is the same watch as its absolute path. */
    TOK(g, XS_WATCH, 0, ARG("x\0t"));
    TERR(g, "EEXIST", XS_WATCH, 0, ARG(HOME "/x\0t"));
    TOK(g, XS_UNWATCH, 0, ARG(HOME "/x\0t"));
    /* Watches ignore the transaction id. */
    TOK(g, XS_WATCH, 77, ARG("y\0t"));
    TOK(g, XS_RESET_WATCHES, 0, "", 0);
    memset(&ev, 0, sizeof(ev));
    tdrain(g, NULL);
    wr(d, HOME "/y", "1");
    tdrain(g, &ev);
    ck_assert_uint_eq(ev.n, 0);
    /* A watch's connection going away takes it along. */
    TOK(d, XS_WATCH, 0, ARG("/\0t"));
    store_disconnect(d);
    d = NULL;
    wr(g, "y", "2");
}
END_TEST

/* ---- transactions -------------------------------------------------------- */

static uint32_t tx_start(struct store_conn *c)
{
    struct tmsg r = treq(c, NULL, XS_TRANSACTION_START, 0, ARG(""));
    ck_assert_uint_eq(r.h.type, XS_TRANSACTION_START);
    uint32_t id = (uint32_t)strtoul(r.data, NULL, 10);
    ck_assert_uint_ne(id, 0);
    return id;
}

START_TEST(transaction_commit_fires_at_commit)
{
    struct tevents ev = { 0 };
    TOK(d, XS_WATCH, 0, ARG(HOME "/device\0w"));
    tdrain(d, NULL);
    uint32_t t = tx_start(g);
    TOK(g, XS_WRITE, t,
        RAW("device/vbd/0/state\0"
            "3"));
    TOK(g, XS_MKDIR, t, ARG("device/vbd/0/ring"));
    /* Inside: seen; outside: not yet, and no event. */
    struct tmsg r = treq(g, NULL, XS_READ, t, ARG("device/vbd/0/state"));
    ck_assert_str_eq(r.data, "3");
    TERR(g, "ENOENT", XS_READ, 0, ARG("device/vbd/0/state"));
    tdrain(d, &ev);
    ck_assert_uint_eq(ev.n, 0);
    uint64_t gen = store_generation(s);
    TOK(g, XS_TRANSACTION_END, t, ARG("T"));
    ck_assert_uint_eq(store_generation(s), gen + 1);
    tdrain(d, &ev);
    ck_assert_str_eq(rd(d, HOME "/device/vbd/0/state"), "3");
    ck_assert_uint_eq(ev.n, 2);
    ck_assert_str_eq(ev.path[0], HOME "/device/vbd/0/state");
    ck_assert_str_eq(ev.path[1], HOME "/device/vbd/0/ring");
    TERR(g, "ENOENT", XS_READ, t, ARG("device/vbd/0/state")); /* gone */
    TERR(g, "ENOENT", XS_TRANSACTION_END, t, ARG("T"));
}
END_TEST

START_TEST(transaction_abort_and_eagain)
{
    uint32_t t = tx_start(g);
    TOK(g, XS_WRITE, t,
        RAW("a\0"
            "1"));
    TOK(g, XS_TRANSACTION_END, t, ARG("F"));
    TERR(g, "ENOENT", XS_READ, 0, ARG("a"));
    /* Someone else changed the tree: EAGAIN, nothing applied. */
    t = tx_start(g);
    TOK(g, XS_WRITE, t,
        RAW("a\0"
            "2"));
    ck_assert_int_eq(store_put(s, "/other", "x", STORE_GUEST_READ), 0);
    TERR(g, "EAGAIN", XS_TRANSACTION_END, t, ARG("T"));
    TERR(g, "ENOENT", XS_READ, 0, ARG("a"));
    TERR(g, "ENOENT", XS_TRANSACTION_END, t, ARG("F")); /* ended */
    /* A transaction that only read commits whatever happened. */
    t = tx_start(g);
    ck_assert_str_eq(rd(g, HOME), "");
    TOK(g, XS_READ, t, ARG("/other"));
    ck_assert_int_eq(store_put(s, "/other", "y", STORE_GUEST_READ), 0);
    TOK(g, XS_TRANSACTION_END, t, ARG("T"));
    /* A removal in a transaction. */
    wr(g, "r/s", "1");
    t = tx_start(g);
    TOK(g, XS_RM, t, ARG("r"));
    TERR(g, "ENOENT", XS_READ, t, ARG("r/s"));
    ck_assert_str_eq(rd(g, "r/s"), "1");
    TOK(g, XS_TRANSACTION_END, t, ARG("T"));
    TERR(g, "ENOENT", XS_READ, 0, ARG("r/s"));
}
END_TEST

START_TEST(transaction_rules)
{
    TERR(g, "ENOENT", XS_READ, 42, ARG(HOME));
    TERR(g, "ENOENT", XS_TRANSACTION_END, 0, ARG("T"));
    uint32_t t = tx_start(g);
    TERR(g, "EBUSY", XS_TRANSACTION_START, t, ARG(""));
    TERR(g, "EINVAL", XS_TRANSACTION_END, t, ARG("X"));
    TERR(g, "EINVAL", XS_TRANSACTION_END, t, RAW("T"));
    /* Another connection's transaction ids are not ours. */
    TERR(d, "ENOENT", XS_READ, t, ARG(HOME));
    /* Closing ends it; RESET_WATCHES too. */
    uint32_t t2 = tx_start(g);
    ck_assert_uint_ne(t, t2);
    TOK(g, XS_RESET_WATCHES, 0, "", 0);
    TERR(g, "ENOENT", XS_READ, t, ARG(HOME));
    tx_start(d);
}
END_TEST

START_TEST(transaction_watch_sees_relative_and_removal)
{
    struct tevents ev = { 0 };
    wr(g, "device/x", "1");
    TOK(g, XS_WATCH, 0, ARG("device\0w"));
    tdrain(g, NULL);
    uint32_t t = tx_start(g);
    TOK(g, XS_RM, t, ARG("device/x"));
    TOK(g, XS_WRITE, t,
        RAW("device/y\0"
            "2"));
    TOK(g, XS_WRITE, t,
        RAW("device/y\0"
            "3")); /* one event per path */
    struct tmsg r = treq(g, &ev, XS_TRANSACTION_END, t, ARG("T"));
    ck_assert_str_eq(r.data, "OK");
    ck_assert_uint_eq(ev.n, 2);
    ck_assert_str_eq(ev.path[0], "device/x");
    ck_assert_str_eq(ev.path[1], "device/y");
}
END_TEST

/* ---- limits -------------------------------------------------------------- */

static struct store_limits small(void)
{
    struct store_limits lim;
    store_limits_default(&lim);
    lim.max_nodes = 10;
    lim.max_bytes = 200;
    lim.max_value = 16;
    lim.max_watches = 3;
    lim.max_transactions = 2;
    return lim;
}

START_TEST(limit_nodes)
{
    struct store_limits lim = small();
    teardown();
    open_store(&lim);
    unsigned nodes;
    size_t bytes;
    store_usage(s, &nodes, &bytes);
    ck_assert_uint_eq(nodes, 4); /* /, local, domain, 5 */
    TOK(g, XS_MKDIR, 0, ARG("a/b/c/d/e"));
    TERR(g, "ENOSPC", XS_MKDIR, 0, ARG("x/y"));
    TOK(g, XS_MKDIR, 0, ARG("x"));
    store_usage(s, &nodes, &bytes);
    ck_assert_uint_eq(nodes, 10);
    TERR(g, "ENOSPC", XS_MKDIR, 0, ARG("f"));
    TERR(g, "ENOSPC", XS_WRITE, 0,
         RAW("f\0"
             "1"));
    /* In a transaction too. */
    uint32_t t = tx_start(g);
    TERR(g, "ENOSPC", XS_MKDIR, t, ARG("f"));
    /* dom0 is exempt, on its socket and in its own calls. */
    TOK(d, XS_MKDIR, 0, ARG("/d0"));
    ck_assert_int_eq(store_put(s, "/d1/x", "", STORE_GUEST_NONE), 0);
    store_usage(s, &nodes, &bytes);
    ck_assert_uint_eq(nodes, 13);
    /* Removing frees room. */
    TOK(g, XS_RM, 0, ARG("a"));
    store_usage(s, &nodes, &bytes);
    ck_assert_uint_eq(nodes, 8);
    TOK(d, XS_RM, 0, ARG("/d0"));
    TOK(d, XS_RM, 0, ARG("/d1"));
    TOK(g, XS_MKDIR, 0, ARG("f"));
}
END_TEST

START_TEST(limit_bytes_and_value)
{
    struct store_limits lim = small();
    lim.max_nodes = 100;
    teardown();
    open_store(&lim);
    unsigned nodes;
    size_t bytes, base;
    store_usage(s, &nodes, &base);
    ck_assert_uint_eq(base, strlen("localdomain5"));
    TERR(g, "ENOSPC", XS_WRITE, 0,
         RAW("v\0"
             "12345678901234567"));
    TOK(g, XS_WRITE, 0,
        RAW("v\0"
            "1234567890123456"));
    store_usage(s, &nodes, &bytes);
    ck_assert_uint_eq(bytes, base + 1 + 16);
    char p[16];
    for (int i = 0;; i++) {
        snprintf(p, sizeof(p), "k%d", i);
        char req[32];
        int n = snprintf(req, sizeof(req), "%s%c0123456789", p, 0);
        struct tmsg r = treq(g, NULL, XS_WRITE, 0, req, (size_t)n);
        if (r.h.type == XS_ERROR) {
            ck_assert_str_eq(r.data, "ENOSPC");
            break;
        }
    }
    store_usage(s, &nodes, &bytes);
    ck_assert_uint_le(bytes, lim.max_bytes);
    ck_assert_uint_gt(bytes + 13, lim.max_bytes);
    /* Growing values counts as well. */
    bool full = false;
    for (int i = 0; i < 10 && !full; i++) {
        char req[32];
        int n = snprintf(req, sizeof(req), "k%d%c0123456789abcdef", i, 0);
        struct tmsg r = treq(g, NULL, XS_WRITE, 0, req, (size_t)n);
        full = r.h.type == XS_ERROR;
    }
    ck_assert(full);
    store_usage(s, &nodes, &bytes);
    ck_assert_uint_le(bytes, lim.max_bytes);
    /* dom0: exempt from bytes, not from the value size in store_put. */
    TOK(d, XS_WRITE, 0,
        RAW("/big\0"
            "0123456789abcdefghij"));
    ck_assert_int_eq(
        store_put(s, "/big2", "0123456789abcdefghij", STORE_GUEST_NONE),
        -EINVAL);
    ck_assert_int_eq(store_put(s, "/big2", "0123456789", STORE_GUEST_NONE), 0);
}
END_TEST

START_TEST(limit_watches_and_transactions)
{
    struct store_limits lim = small();
    teardown();
    open_store(&lim);
    TOK(g, XS_WATCH, 0,
        ARG("a\0"
            "1"));
    TOK(g, XS_WATCH, 0,
        ARG("a\0"
            "2"));
    TOK(g, XS_WATCH, 0,
        ARG("a\0"
            "3"));
    TERR(g, "ENOSPC", XS_WATCH, 0,
         ARG("a\0"
             "4"));
    TOK(g, XS_UNWATCH, 0,
        ARG("a\0"
            "2"));
    TOK(g, XS_WATCH, 0,
        ARG("a\0"
            "4"));
    tx_start(g);
    uint32_t t = tx_start(g);
    TERR(g, "ENOSPC", XS_TRANSACTION_START, 0, ARG(""));
    TOK(g, XS_TRANSACTION_END, t, ARG("F"));
    tx_start(g);
    /* Per connection. */
    tx_start(d);
    /* A token so long that an event might not fit. */
    char req[XENSTORE_PAYLOAD_MAX];
    memset(req, 't', sizeof(req));
    memcpy(req, "b", 2);
    req[2 + 2000] = '\0';
    TOK(g, XS_UNWATCH, 0,
        ARG("a\0"
            "1"));
    TERR(g, "EINVAL", XS_WATCH, 0, req, 2 + 2000 + 1);
}
END_TEST

START_TEST(oversized_request_fails_connection)
{
    struct xsd_sockmsg h = { XS_READ, 1, 0, XENSTORE_PAYLOAD_MAX + 1 };
    const char *why;
    ck_assert_int_eq(store_conn_input(g, &h, sizeof(h)), -EPROTO);
    ck_assert(store_conn_failed(g, &why));
    ck_assert_ptr_nonnull(strstr(why, "4097"));
    ck_assert_int_eq(store_conn_input(g, "x", 1), -EPROTO);
    ck_assert(!store_conn_failed(d, &why));
    ck_assert_ptr_null(why);
    /* A payload of exactly the maximum is fine. */
    static char buf[sizeof(h) + XENSTORE_PAYLOAD_MAX];
    h.len = XENSTORE_PAYLOAD_MAX;
    memcpy(buf, &h, sizeof(h));
    ck_assert_int_eq(store_conn_input(d, buf, sizeof(buf)),
                     (ssize_t)sizeof(buf));
    struct tmsg m;
    ck_assert(tnext(d, &m));
    ck_assert_uint_eq(m.h.type, XS_ERROR);
    /* The tree is unharmed; the guest may connect again. */
    store_disconnect(g);
    ck_assert_int_eq(store_connect(s, GUEST, &g), 0);
    ck_assert_str_eq(rd(g, HOME), "");
}
END_TEST

START_TEST(output_past_bound_fails_connection)
{
    struct store_limits lim;
    store_limits_default(&lim);
    lim.max_output = 200;
    teardown();
    open_store(&lim);
    TOK(g, XS_WATCH, 0, ARG("x\0t"));
    tdrain(g, NULL);
    /* The guest never reads: dom0's changes pile events up. */
    const char *why;
    for (int i = 0; i < 20 && !store_conn_failed(g, &why); i++)
        ck_assert_int_eq(store_put(s, HOME "/x", "v", STORE_GUEST_NONE), 0);
    ck_assert(store_conn_failed(g, &why));
    ck_assert_ptr_nonnull(strstr(why, "200"));
    const void *p;
    ck_assert_uint_le(store_conn_peek(g, &p), 200);
    ck_assert(!store_conn_failed(d, NULL));
}
END_TEST

/* ---- framing and back-pressure ------------------------------------------- */

/* A stream of requests and the output they give fed whole. */
static size_t stream(char *buf)
{
    static const struct {
        uint32_t type;
        const char *data;
        size_t len;
    } reqs[] = {
        { XS_WRITE, RAW("a/b\0value") },  { XS_READ, ARG("a/b") },
        { XS_WATCH, ARG("a\0tok") },      { XS_DIRECTORY, ARG("a") },
        { XS_READ, ARG("/nope") },        { XS_RM, ARG("a") },
        { XS_GET_PERMS, ARG(HOME) },      { XS_TRANSACTION_START, ARG("") },
        { XS_GET_DOMAIN_PATH, ARG("5") }, { XS_MKDIR, "", 0 },
    };
    size_t n = 0;
    for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
        struct xsd_sockmsg h = { reqs[i].type, (uint32_t)i + 1, 0,
                                 (uint32_t)reqs[i].len };
        memcpy(buf + n, &h, sizeof(h));
        memcpy(buf + n + sizeof(h), reqs[i].data, reqs[i].len);
        n += sizeof(h) + reqs[i].len;
    }
    return n;
}

static size_t output(struct store_conn *c, char *out, size_t cap)
{
    const void *p;
    size_t n = store_conn_peek(c, &p);
    ck_assert_uint_le(n, cap);
    memcpy(out, p, n);
    store_conn_consume(c, n);
    return n;
}

START_TEST(framing_split_at_every_byte)
{
    static char in[1024], want[4096], got[4096];
    size_t n = stream(in);
    ck_assert_int_eq(store_conn_input(g, in, n), (ssize_t)n);
    size_t wlen = output(g, want, sizeof(want));
    ck_assert_uint_gt(wlen, 10 * sizeof(struct xsd_sockmsg));
    for (size_t cut = 0; cut <= n; cut++) {
        teardown();
        setup();
        ck_assert_int_eq(store_conn_input(g, in, cut), (ssize_t)cut);
        ck_assert_int_eq(store_conn_input(g, in + cut, n - cut),
                         (ssize_t)(n - cut));
        size_t glen = output(g, got, sizeof(got));
        ck_assert_uint_eq(glen, wlen);
        ck_assert_mem_eq(got, want, wlen);
    }
    /* One byte at a time. */
    teardown();
    setup();
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(store_conn_input(g, in + i, 1), 1);
    ck_assert_uint_eq(output(g, got, sizeof(got)), wlen);
    ck_assert_mem_eq(got, want, wlen);
}
END_TEST

START_TEST(back_pressure_stops_input)
{
    struct store_limits lim;
    store_limits_default(&lim);
    lim.max_output = 400;
    teardown();
    open_store(&lim);
    /* Requests with 16 + 3 byte replies ("OK"): 200 bytes of output stop
     * the input. */
    static char in[64 * 30];
    size_t n = 0;
    for (int i = 0; i < 30; i++) {
        struct xsd_sockmsg h = { XS_MKDIR, (uint32_t)i, 0, 2 };
        memcpy(in + n, &h, sizeof(h));
        memcpy(in + n + sizeof(h), "m", 2);
        n += sizeof(h) + 2;
    }
    ssize_t took = store_conn_input(g, in, n);
    ck_assert_int_gt(took, 0);
    ck_assert_int_lt(took, (ssize_t)n);
    const void *p;
    size_t out = store_conn_peek(g, &p);
    ck_assert_uint_ge(out, lim.max_output / 2);
    ck_assert_int_eq(store_conn_input(g, in + took, n - (size_t)took), 0);
    /* Reading the replies lets the rest in. */
    size_t done = (size_t)took;
    while (done < n) {
        store_conn_consume(g, store_conn_peek(g, &p));
        ssize_t r = store_conn_input(g, in + done, n - done);
        ck_assert_int_gt(r, 0);
        done += (size_t)r;
    }
    ck_assert(!store_conn_failed(g, NULL));
}
END_TEST

/* ---- dom0's calls and connections ---------------------------------------- */

START_TEST(dom0_calls)
{
    char buf[8];
    uint64_t gen = store_generation(s);
    ck_assert_int_eq(store_put(s, "/k", "abc", STORE_GUEST_READ), 0);
    ck_assert_uint_eq(store_generation(s), gen + 1);
    ck_assert_int_eq(store_get(s, "/k", buf, sizeof(buf)), 0);
    ck_assert_str_eq(buf, "abc");
    ck_assert_int_eq(store_get(s, "/k", buf, 3), -ENOSPC);
    ck_assert_str_eq(buf, "ab");
    ck_assert_int_eq(store_get(s, "/none", buf, sizeof(buf)), -ENOENT);
    TOK(d, XS_WRITE, 0, RAW("/nul\0a\0b"));
    ck_assert_int_eq(store_get(s, "/nul", buf, sizeof(buf)), -EINVAL);
    /* The guest's writes count too. */
    gen = store_generation(s);
    wr(g, "x", "1");
    ck_assert_uint_gt(store_generation(s), gen);
    /* An existing node keeps its access. */
    ck_assert_int_eq(store_put(s, "/k", "d", STORE_GUEST_NONE), 0);
    ck_assert_str_eq(rd(g, "/k"), "d");
    ck_assert_int_eq(store_remove(s, "/k"), 0);
    ck_assert_int_eq(store_get(s, "/k", buf, sizeof(buf)), -ENOENT);
}
END_TEST

START_TEST(connection_rules)
{
    struct store_conn *c;
    ck_assert_int_eq(store_connect(s, GUEST, &c), -EBUSY);
    ck_assert_int_eq(store_connect(s, 9, &c), -EINVAL);
    ck_assert_int_eq(store_connect(s, 0, &c), 0);
    store_disconnect(c);
    store_disconnect(NULL);
    store_disconnect(g);
    ck_assert_int_eq(store_connect(s, GUEST, &g), 0);
}
END_TEST

static Suite *store_suite(void)
{
    Suite *su = suite_create("store");
    TCase *tc = tcase_create("ops");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, new_store_has_root_and_local_domain);
    tcase_add_test(tc, write_read_mkdir_rm);
    tcase_add_test(tc, directory_and_parts);
    tcase_add_test(tc, perms_get_and_set);
    tcase_add_test(tc, domain_ops_and_privileged_ops);
    tcase_add_test(tc, paths_are_checked);
    tcase_add_test(tc, relative_paths_resolve_under_home);
    tcase_add_test(tc, guest_cannot_touch_dom0_nodes);
    tcase_add_test(tc, watch_fires_on_node_and_below);
    tcase_add_test(tc, removal_fires_watches_below);
    tcase_add_test(tc, events_only_to_readers);
    tcase_add_test(tc, watch_rules);
    tcase_add_test(tc, transaction_commit_fires_at_commit);
    tcase_add_test(tc, transaction_abort_and_eagain);
    tcase_add_test(tc, transaction_rules);
    tcase_add_test(tc, transaction_watch_sees_relative_and_removal);
    tcase_add_test(tc, limit_nodes);
    tcase_add_test(tc, limit_bytes_and_value);
    tcase_add_test(tc, limit_watches_and_transactions);
    tcase_add_test(tc, oversized_request_fails_connection);
    tcase_add_test(tc, output_past_bound_fails_connection);
    tcase_add_test(tc, framing_split_at_every_byte);
    tcase_add_test(tc, back_pressure_stops_input);
    tcase_add_test(tc, dom0_calls);
    tcase_add_test(tc, connection_rules);
    suite_add_tcase(su, tc);
    return su;
}

int main(void)
{
    return check_run(store_suite());
}
