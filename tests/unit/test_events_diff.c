/*
 * Unit tests: domain events from two snapshots of the domain list, and the
 * queue of unread events (libchaos/events_diff.c).
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "events_diff.h"
#include "check_run.h"

static struct chaos_dominfo dom(chaos_domid id, uint8_t tag,
                                enum chaos_dom_state state, int reason,
                                const char *name)
{
    struct chaos_dominfo d = { .domid = id,
                               .state = state,
                               .shutdown_reason = reason };
    memset(d.uuid, tag, sizeof(d.uuid));
    strcpy(d.name, name);
    return d;
}

#define RUN CHAOS_DOM_RUNNING
#define SHUT CHAOS_DOM_SHUTDOWN
#define CRSH CHAOS_DOM_CRASHED
#define DYIN CHAOS_DOM_DYING
enum { POWEROFF = 0, REBOOT = 1, CRASH = 3 };

static struct events_queue q;
static struct chaos_domain_event out[16];

static void setup(void)
{
    memset(&q, 0, sizeof(q));
    memset(out, 0, sizeof(out));
}

static void teardown(void)
{
    events_queue_free(&q);
}

/* Diffs and takes every event; returns how many. */
static size_t diff(const struct chaos_dominfo *old, size_t n_old,
                   const struct chaos_dominfo *cur, size_t n_cur)
{
    int n = events_diff(old, n_old, cur, n_cur, &q);
    ck_assert_int_ge(n, 0);
    ck_assert_uint_eq(q.len, (size_t)n);
    return events_queue_pop(&q, out, 16);
}

static void ck_event(size_t i, enum chaos_event_kind kind, chaos_domid id,
                     const char *name)
{
    ck_assert_int_eq(out[i].kind, kind);
    ck_assert_uint_eq(out[i].domid, id);
    ck_assert_str_eq(out[i].name, name);
}

START_TEST(nothing_changed)
{
    struct chaos_dominfo a[] = { dom(0, 0, RUN, 0, "Domain-0"),
                                 dom(3, 3, RUN, 0, "web") };
    ck_assert_uint_eq(diff(a, 2, a, 2), 0);
    ck_assert_uint_eq(diff(NULL, 0, NULL, 0), 0);
}
END_TEST

START_TEST(new_domain)
{
    struct chaos_dominfo a[] = { dom(0, 0, RUN, 0, "Domain-0") };
    struct chaos_dominfo b[] = { dom(0, 0, RUN, 0, "Domain-0"),
                                 dom(5, 5, CHAOS_DOM_PAUSED, 0, "web") };
    ck_assert_uint_eq(diff(a, 1, b, 2), 1);
    ck_event(0, CHAOS_EVENT_NEW, 5, "web");
    ck_assert_uint_eq(out[0].uuid[0], 5);
    ck_assert_int_eq(out[0].shutdown_reason, 0);
}
END_TEST

START_TEST(shutdown_then_death)
{
    struct chaos_dominfo a[] = { dom(5, 5, RUN, 0, "web") };
    struct chaos_dominfo b[] = { dom(5, 5, SHUT, REBOOT, "web") };
    struct chaos_dominfo c[] = { dom(5, 5, DYIN, REBOOT, "") };
    ck_assert_uint_eq(diff(a, 1, b, 1), 1);
    ck_event(0, CHAOS_EVENT_SHUTDOWN, 5, "web");
    ck_assert_int_eq(out[0].shutdown_reason, REBOOT);
    /* Still shut down: nothing new. */
    ck_assert_uint_eq(diff(b, 1, b, 1), 0);
    /* Dying, and its registry name already gone: the old one is used. */
    ck_assert_uint_eq(diff(b, 1, c, 1), 1);
    ck_event(0, CHAOS_EVENT_DEATH, 5, "web");
    /* Dying to gone: reported once only. */
    ck_assert_uint_eq(diff(c, 1, NULL, 0), 0);
}
END_TEST

START_TEST(crash)
{
    struct chaos_dominfo a[] = { dom(7, 7, RUN, 0, "db") };
    struct chaos_dominfo b[] = { dom(7, 7, CRSH, CRASH, "db") };
    ck_assert_uint_eq(diff(a, 1, b, 1), 1);
    ck_event(0, CHAOS_EVENT_CRASH, 7, "db");
    ck_assert_int_eq(out[0].shutdown_reason, CRASH);
}
END_TEST

START_TEST(gone_between_looks)
{
    struct chaos_dominfo a[] = { dom(2, 2, RUN, 0, "a"), dom(4, 4, RUN, 0, "b"),
                                 dom(9, 9, RUN, 0, "c") };
    struct chaos_dominfo b[] = { dom(4, 4, RUN, 0, "b") };
    ck_assert_uint_eq(diff(a, 3, b, 1), 2);
    ck_event(0, CHAOS_EVENT_DEATH, 2, "a");
    ck_event(1, CHAOS_EVENT_DEATH, 9, "c");
}
END_TEST

START_TEST(new_and_already_stopped)
{
    struct chaos_dominfo b[] = { dom(3, 3, SHUT, POWEROFF, "x"),
                                 dom(4, 4, CRSH, CRASH, "y"),
                                 dom(6, 6, DYIN, 0, "z") };
    /* The dying one appeared and is going: no event at all. */
    ck_assert_uint_eq(diff(NULL, 0, b, 3), 4);
    ck_event(0, CHAOS_EVENT_NEW, 3, "x");
    ck_event(1, CHAOS_EVENT_SHUTDOWN, 3, "x");
    ck_assert_int_eq(out[1].shutdown_reason, POWEROFF);
    ck_event(2, CHAOS_EVENT_NEW, 4, "y");
    ck_event(3, CHAOS_EVENT_CRASH, 4, "y");
}
END_TEST

START_TEST(reused_id)
{
    struct chaos_dominfo a[] = { dom(3, 1, RUN, 0, "old") };
    struct chaos_dominfo b[] = { dom(3, 2, RUN, 0, "new") };
    ck_assert_uint_eq(diff(a, 1, b, 1), 2);
    ck_event(0, CHAOS_EVENT_DEATH, 3, "old");
    ck_assert_uint_eq(out[0].uuid[0], 1);
    ck_event(1, CHAOS_EVENT_NEW, 3, "new");
    ck_assert_uint_eq(out[1].uuid[0], 2);
}
END_TEST

START_TEST(resumed_then_shut_down_again)
{
    /* e.g. a soft reset or a resumed suspend: the next stop is news. */
    struct chaos_dominfo a[] = { dom(3, 3, SHUT, 2, "s") };
    struct chaos_dominfo b[] = { dom(3, 3, RUN, 0, "s") };
    struct chaos_dominfo c[] = { dom(3, 3, SHUT, POWEROFF, "s") };
    struct chaos_dominfo d[] = { dom(3, 3, CRSH, CRASH, "s") };
    ck_assert_uint_eq(diff(a, 1, b, 1), 0);
    ck_assert_uint_eq(diff(b, 1, c, 1), 1);
    ck_event(0, CHAOS_EVENT_SHUTDOWN, 3, "s");
    /* A change of reason while stopped is reported too. */
    ck_assert_uint_eq(diff(c, 1, d, 1), 1);
    ck_event(0, CHAOS_EVENT_CRASH, 3, "s");
}
END_TEST

START_TEST(carry_names)
{
    struct chaos_dominfo a[] = { dom(1, 1, RUN, 0, "one"),
                                 dom(2, 2, RUN, 0, "two"),
                                 dom(4, 4, RUN, 0, "four") };
    struct chaos_dominfo b[] = { dom(1, 1, RUN, 0, ""),
                                 dom(2, 9, RUN, 0, ""), /* another domain */
                                 dom(3, 3, RUN, 0, ""),
                                 dom(4, 4, RUN, 0, "renamed") };
    events_carry_names(a, 3, b, 4);
    ck_assert_str_eq(b[0].name, "one");
    ck_assert_str_eq(b[1].name, "");
    ck_assert_str_eq(b[2].name, "");
    ck_assert_str_eq(b[3].name, "renamed");
    events_carry_names(NULL, 0, b, 4);
    events_carry_names(a, 3, NULL, 0);
}
END_TEST

static void ck_ids(const struct chaos_dominfo *snap, size_t n,
                   const chaos_domid *ids, size_t n_ids)
{
    ck_assert_uint_eq(n, n_ids);
    for (size_t i = 0; i < n; i++)
        ck_assert_uint_eq(snap[i].domid, ids[i]);
}

/* One domain put in, replaced, taken out: the order by id is kept. */
START_TEST(snapshot_put)
{
    struct chaos_dominfo *snap = NULL;
    size_t n = 0;
    struct chaos_dominfo d5 = dom(5, 5, RUN, 0, "five");
    struct chaos_dominfo d2 = dom(2, 2, RUN, 0, "two");
    struct chaos_dominfo d9 = dom(9, 9, RUN, 0, "nine");
    struct chaos_dominfo d7 = dom(7, 7, RUN, 0, "seven");
    ck_assert_int_eq(events_snap_put(&snap, &n, 5, &d5), 0);
    ck_assert_int_eq(events_snap_put(&snap, &n, 2, &d2), 0);
    ck_assert_int_eq(events_snap_put(&snap, &n, 9, &d9), 0);
    ck_assert_int_eq(events_snap_put(&snap, &n, 7, &d7), 0);
    ck_ids(snap, n, (chaos_domid[]){ 2, 5, 7, 9 }, 4);
    ck_assert_uint_eq(events_snap_index(snap, n, 7), 2);
    ck_assert_uint_eq(events_snap_index(snap, n, 6), 2);
    ck_assert_uint_eq(events_snap_index(snap, n, 10), 4);
    struct chaos_dominfo shut = dom(5, 5, SHUT, POWEROFF, "five");
    ck_assert_int_eq(events_snap_put(&snap, &n, 5, &shut), 0);
    ck_ids(snap, n, (chaos_domid[]){ 2, 5, 7, 9 }, 4);
    ck_assert_int_eq(snap[1].state, SHUT);
    ck_assert_int_eq(events_snap_put(&snap, &n, 2, NULL), 0);
    ck_assert_int_eq(events_snap_put(&snap, &n, 9, NULL), 0);
    ck_assert_int_eq(events_snap_put(&snap, &n, 3, NULL), 0); /* absent */
    ck_ids(snap, n, (chaos_domid[]){ 5, 7 }, 2);
    ck_assert_str_eq(snap[1].name, "seven");
    free(snap);
}
END_TEST

/*
 * What chaos_events_look_at() does (the diff over one domain's slice,
 * then the put) leaves the snapshot a full look would: the next look
 * repeats nothing, and still reports the domain's later changes.
 */
START_TEST(look_at_one_then_all)
{
    struct chaos_dominfo *snap = malloc(2 * sizeof(*snap));
    ck_assert_ptr_nonnull(snap);
    snap[0] = dom(1, 1, RUN, 0, "one");
    snap[1] = dom(4, 4, RUN, 0, "four");
    size_t n = 2;
    /* Domain 3 was created: looked at alone, it is NEW. */
    struct chaos_dominfo d3 = dom(3, 3, RUN, 0, "three");
    size_t i = events_snap_index(snap, n, 3);
    ck_assert_uint_eq(i, 1);
    ck_assert_uint_eq(diff(NULL, 0, &d3, 1), 1);
    ck_event(0, CHAOS_EVENT_NEW, 3, "three");
    ck_assert_int_eq(events_snap_put(&snap, &n, 3, &d3), 0);
    /* The next look at all: the same three, nothing new. */
    struct chaos_dominfo all[] = { dom(1, 1, RUN, 0, "one"),
                                   dom(3, 3, RUN, 0, "three"),
                                   dom(4, 4, RUN, 0, "four") };
    ck_assert_uint_eq(diff(snap, n, all, 3), 0);
    /* Looked at again once it shut down: SHUTDOWN, once. */
    struct chaos_dominfo off = dom(3, 3, SHUT, POWEROFF, "three");
    i = events_snap_index(snap, n, 3);
    ck_assert_uint_eq(diff(&snap[i], 1, &off, 1), 1);
    ck_event(0, CHAOS_EVENT_SHUTDOWN, 3, "three");
    ck_assert_int_eq(events_snap_put(&snap, &n, 3, &off), 0);
    /* Gone when the look comes: DEATH with its name. */
    struct chaos_dominfo later[] = { dom(1, 1, RUN, 0, "one"),
                                     dom(4, 4, RUN, 0, "four") };
    ck_assert_uint_eq(diff(snap, n, later, 2), 1);
    ck_event(0, CHAOS_EVENT_DEATH, 3, "three");
    free(snap);
}
END_TEST

START_TEST(queue_order_and_partial_reads)
{
    struct chaos_domain_event e = { .kind = CHAOS_EVENT_NEW };
    /* More than one growth step, read in small bites between pushes. */
    chaos_domid next_in = 0, next_out = 0;
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < 7; i++) {
            e.domid = next_in++;
            ck_assert_int_eq(events_queue_push(&q, &e), 0);
        }
        size_t n = events_queue_pop(&q, out, 5);
        ck_assert_uint_eq(n, 5);
        for (size_t i = 0; i < n; i++)
            ck_assert_uint_eq(out[i].domid, next_out++);
    }
    ck_assert_uint_eq(q.len, 40);
    size_t n;
    while ((n = events_queue_pop(&q, out, 16)) > 0)
        for (size_t i = 0; i < n; i++)
            ck_assert_uint_eq(out[i].domid, next_out++);
    ck_assert_uint_eq(next_out, next_in);
    ck_assert_uint_eq(events_queue_pop(&q, out, 16), 0);
    ck_assert_uint_eq(events_queue_pop(&q, NULL, 0), 0);
}
END_TEST

START_TEST(long_names_stay_terminated)
{
    struct chaos_dominfo b = dom(3, 3, RUN, 0, "");
    memset(b.name, 'n', sizeof(b.name)); /* not terminated */
    ck_assert_uint_eq(diff(NULL, 0, &b, 1), 1);
    ck_assert_uint_eq(strlen(out[0].name), sizeof(out[0].name) - 1);
}
END_TEST

static Suite *events_suite(void)
{
    Suite *s = suite_create("events_diff");
    TCase *tc = tcase_create("diff");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, nothing_changed);
    tcase_add_test(tc, new_domain);
    tcase_add_test(tc, shutdown_then_death);
    tcase_add_test(tc, crash);
    tcase_add_test(tc, gone_between_looks);
    tcase_add_test(tc, new_and_already_stopped);
    tcase_add_test(tc, reused_id);
    tcase_add_test(tc, resumed_then_shut_down_again);
    tcase_add_test(tc, carry_names);
    tcase_add_test(tc, snapshot_put);
    tcase_add_test(tc, look_at_one_then_all);
    tcase_add_test(tc, queue_order_and_partial_reads);
    tcase_add_test(tc, long_names_stay_terminated);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(events_suite());
}
