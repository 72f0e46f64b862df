/*
 * test_store_snap.c - the store's snapshot for a supervisor that takes a
 * guest over (libchaos/store/store_snap.c): a round trip keeps the tree,
 * the guest's watches, its transactions (stale: EAGAIN on commit), a
 * request received in part and the output not yet sent; a truncated,
 * corrupt, oversized or inconsistent snapshot is refused.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "store/store_int.h"
#include "test_store_util.h"

#define GUEST 5
#define HOME "/local/domain/5"

static struct store *s;
static struct store_conn *g;

static void setup(void)
{
    ck_assert_int_eq(store_new(GUEST, NULL, &s), 0);
    ck_assert_int_eq(store_put(s, HOME, "", STORE_GUEST_OWNS), 0);
    ck_assert_int_eq(store_put(s, HOME "/name", "web", STORE_GUEST_READ), 0);
    ck_assert_int_eq(store_put(s, "/local/domain/0/backend/vif/5/0/state", "2",
                               STORE_GUEST_READ),
                     0);
    ck_assert_int_eq(
        store_put(s, HOME "/control/shutdown", "", STORE_GUEST_OWNS), 0);
    ck_assert_int_eq(store_connect(s, GUEST, &g), 0);
}

static void teardown(void)
{
    store_free(s);
}

/* Recomputes buf's checksum after a test changed it. */
static void reseal(void *buf, size_t len)
{
    uint64_t sum = store_snap_checksum(buf, len - sizeof(sum));
    memcpy((char *)buf + len - sizeof(sum), &sum, sizeof(sum));
}

/* A guest that set watches, opened a transaction, wrote values, left a
 * request in part and has events it has not read. */
static void busy_guest(uint32_t *txid)
{
    TOK(g, XS_WATCH, 0, ARG("control/shutdown\0ctl"));
    TOK(g, XS_WATCH, 0, ARG("/local/domain/0/backend\0be"));
    TOK(g, XS_WRITE, 0, RAW("data/x\0hello"));
    struct tmsg r = treq(g, NULL, XS_TRANSACTION_START, 0, ARG(""));
    ck_assert_uint_eq(r.h.type, XS_TRANSACTION_START);
    *txid = (uint32_t)strtoul(r.data, NULL, 10);
    tdrain(g, NULL);
    /* An event left unread, then half a request. */
    ck_assert_int_eq(
        store_put(s, HOME "/control/shutdown", "poweroff", STORE_GUEST_OWNS),
        0);
    struct xsd_sockmsg h = { XS_READ, 77, 0, sizeof("name") };
    char half[sizeof(h) + 2];
    memcpy(half, &h, sizeof(h));
    memcpy(half + sizeof(h), "na", 2);
    ck_assert_int_eq(store_conn_input(g, half, sizeof(half)),
                     (ssize_t)sizeof(half));
}

START_TEST(round_trip)
{
    uint32_t txid;
    busy_guest(&txid);
    struct store_snap_ring ring = { 1000, 2000 };
    void *buf, *buf2;
    size_t len, len2;
    ck_assert_int_eq(store_snapshot(s, &ring, &buf, &len), 0);

    struct store *t;
    struct store_snap_ring back;
    char why[STORE_ERR_MAX];
    ck_assert_int_eq(
        store_restore(GUEST, NULL, buf, len, &t, &back, why, sizeof(why)), 0);
    ck_assert_uint_eq(back.req_cons, 1000);
    ck_assert_uint_eq(back.rsp_prod, 2000);
    /* The same state: its snapshot is the same bytes. */
    ck_assert_int_eq(store_snapshot(t, &ring, &buf2, &len2), 0);
    ck_assert_uint_eq(len2, len);
    ck_assert_mem_eq(buf2, buf, len);
    ck_assert_uint_eq(store_generation(t), store_generation(s));
    unsigned n1, n2;
    size_t b1, b2;
    store_usage(s, &n1, &b1);
    store_usage(t, &n2, &b2);
    ck_assert_uint_eq(n1, n2);
    ck_assert_uint_eq(b1, b2);

    struct store_conn *tg = store_guest_conn(t);
    ck_assert_ptr_nonnull(tg);
    /* The output it had not read: the event. */
    struct tevents ev = { 0 };
    tdrain(tg, &ev);
    ck_assert_uint_eq(ev.n, 1);
    ck_assert_str_eq(ev.path[0], "control/shutdown");
    ck_assert_str_eq(ev.token[0], "ctl");
    /* The request's rest completes it. */
    ck_assert_int_eq(store_conn_input(tg, "me", 3), 3);
    struct tmsg m;
    ck_assert(tnext(tg, &m));
    ck_assert_uint_eq(m.h.type, XS_READ);
    ck_assert_uint_eq(m.h.req_id, 77);
    ck_assert_str_eq(m.data, "web");
    /* Its watches fire. */
    ck_assert_int_eq(
        store_put(t, HOME "/control/shutdown", "reboot", STORE_GUEST_OWNS), 0);
    ck_assert_int_eq(store_put(t, "/local/domain/0/backend/vif/5/0/state", "4",
                               STORE_GUEST_READ),
                     0);
    memset(&ev, 0, sizeof(ev));
    tdrain(tg, &ev);
    ck_assert_uint_eq(ev.n, 2);
    ck_assert_str_eq(ev.path[0], "control/shutdown");
    ck_assert_str_eq(ev.path[1], "/local/domain/0/backend/vif/5/0/state");
    ck_assert_str_eq(ev.token[1], "be");
    /* What it wrote, with its permissions: the guest still owns it. */
    struct tmsg r = treq(tg, NULL, XS_READ, 0, ARG("data/x"));
    ck_assert_str_eq(r.data, "hello");
    TOK(tg, XS_WRITE, 0, RAW("data/x\0again"));
    TERR(tg, "EACCES", XS_WRITE, 0, RAW("name\0evil"));
    /* The transaction: its operations work, its commit is EAGAIN, then a
     * new one commits. */
    TOK(tg, XS_WRITE, txid, RAW("data/y\0in-tx"));
    TERR(tg, "EAGAIN", XS_TRANSACTION_END, txid, ARG("T"));
    r = treq(tg, NULL, XS_TRANSACTION_START, 0, ARG(""));
    ck_assert_uint_eq(r.h.type, XS_TRANSACTION_START);
    uint32_t tx2 = (uint32_t)strtoul(r.data, NULL, 10);
    ck_assert_uint_ne(tx2, txid);
    TOK(tg, XS_WRITE, tx2, RAW("data/y\0in-tx"));
    TOK(tg, XS_TRANSACTION_END, tx2, ARG("T"));
    free(buf);
    free(buf2);
    store_free(t);
}
END_TEST

START_TEST(without_guest_connection)
{
    store_disconnect(g);
    void *buf;
    size_t len;
    ck_assert_int_eq(store_snapshot(s, NULL, &buf, &len), 0);
    struct store *t;
    char why[STORE_ERR_MAX];
    ck_assert_int_eq(
        store_restore(GUEST, NULL, buf, len, &t, NULL, why, sizeof(why)), 0);
    ck_assert_ptr_null(store_guest_conn(t));
    char val[16];
    ck_assert_int_eq(store_get(t, HOME "/name", val, sizeof(val)), 0);
    ck_assert_str_eq(val, "web");
    store_free(t);
    free(buf);
}
END_TEST

START_TEST(truncated_refused)
{
    uint32_t txid;
    busy_guest(&txid);
    void *buf;
    size_t len;
    ck_assert_int_eq(store_snapshot(s, NULL, &buf, &len), 0);
    for (size_t n = 0; n < len; n++) {
        struct store *t = NULL;
        char why[STORE_ERR_MAX];
        ck_assert_int_eq(
            store_restore(GUEST, NULL, buf, n, &t, NULL, why, sizeof(why)),
            -EBADMSG);
        ck_assert_ptr_null(t);
        ck_assert(why[0]);
    }
    free(buf);
}
END_TEST

START_TEST(corrupt_refused)
{
    uint32_t txid;
    busy_guest(&txid);
    void *buf;
    size_t len;
    ck_assert_int_eq(store_snapshot(s, NULL, &buf, &len), 0);
    unsigned char *p = buf;
    for (size_t i = 0; i < len; i++) {
        struct store *t = NULL;
        char why[STORE_ERR_MAX];
        p[i] ^= 0x40;
        ck_assert_int_eq(
            store_restore(GUEST, NULL, buf, len, &t, NULL, why, sizeof(why)),
            -EBADMSG);
        p[i] ^= 0x40;
    }
    /* Another guest's. */
    struct store *t;
    char why[STORE_ERR_MAX];
    ck_assert_int_eq(
        store_restore(GUEST + 1, NULL, buf, len, &t, NULL, why, sizeof(why)),
        -EBADMSG);
    /* Resealed changes that break the store's rules, not the sum. */
    void *copy = malloc(len);
    /* A bad character in a name: the header is 64 bytes, a node's 24,
     * then its permissions (3 bytes each), name and value: the root, then
     * "local" (one permission each). */
    size_t hdr = 64, node = 24;
    memcpy(copy, buf, len);
    ((char *)copy)[hdr + node + 3 + node + 3] = '/';
    reseal(copy, len);
    ck_assert_int_eq(
        store_restore(GUEST, NULL, copy, len, &t, NULL, why, sizeof(why)),
        -EBADMSG);
    /* Node counts past the bound. */
    memcpy(copy, buf, len);
    uint32_t many = 1u << 30;
    memcpy((char *)copy + 36, &many, 4);
    reseal(copy, len);
    ck_assert_int_eq(
        store_restore(GUEST, NULL, copy, len, &t, NULL, why, sizeof(why)),
        -EBADMSG);
    /* A node whose parent comes after it. */
    memcpy(copy, buf, len);
    uint32_t later = 7;
    memcpy((char *)copy + hdr + node + 3 + 8, &later, 4);
    reseal(copy, len);
    ck_assert_int_eq(
        store_restore(GUEST, NULL, copy, len, &t, NULL, why, sizeof(why)),
        -EBADMSG);
    free(copy);
    free(buf);
}
END_TEST

START_TEST(oversized_refused)
{
    /* dom0's writes are exempt from the quota: a tree past the bound is
     * not encoded, and a buffer past it is not decoded. */
    char path[64], value[2049];
    memset(value, 'v', sizeof(value) - 1);
    value[sizeof(value) - 1] = '\0';
    for (unsigned i = 0; i < 600; i++) {
        snprintf(path, sizeof(path), "/big/%u", i);
        ck_assert_int_eq(store_put(s, path, value, STORE_GUEST_NONE), 0);
    }
    void *buf;
    size_t len;
    ck_assert_int_eq(store_snapshot(s, NULL, &buf, &len), -EFBIG);
    char *huge = calloc(1, STORE_SNAP_MAX + 1);
    struct store *t;
    char why[STORE_ERR_MAX];
    ck_assert_int_eq(store_restore(GUEST, NULL, huge, STORE_SNAP_MAX + 1, &t,
                                   NULL, why, sizeof(why)),
                     -EBADMSG);
    free(huge);
}
END_TEST

static Suite *snap_suite(void)
{
    Suite *su = suite_create("store_snap");
    TCase *tc = tcase_create("snap");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, without_guest_connection);
    tcase_add_test(tc, truncated_refused);
    tcase_add_test(tc, corrupt_refused);
    tcase_add_test(tc, oversized_refused);
    suite_add_tcase(su, tc);
    return su;
}

int main(void)
{
    return check_run(snap_suite());
}
