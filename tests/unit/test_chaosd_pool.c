/*
 * test_chaosd_pool.c - shell pool bookkeeping: refill order and budget,
 * hand-out (never twice, FIFO, idle builders preferred), giving back an
 * unused shell, matching,
 * resizing, and reconfiguration (flavors removed or reshaped are drained).
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"
#include "check_run.h"

static struct chaosd_conf conf;
static struct pool pool;

static void add_flavor(const char *name, bool pvh, uint64_t mib,
                       unsigned target)
{
    struct chaosd_flavor *f = &conf.flavors[conf.n_flavors++];
    memset(f, 0, sizeof(*f));
    snprintf(f->name, sizeof(f->name), "%s", name);
    f->pvh = pvh;
    f->memory_mib = f->maxmem_mib = mib;
    f->vcpus = 1;
    f->pool = target;
}

static void setup(void)
{
    chaosd_conf_defaults(&conf);
    conf.idle_memory_mib = 100;
    add_flavor("small", false, 4, 3);
    add_flavor("big", true, 32, 2);
    pool_init(&pool, 0);
    ck_assert_int_eq(pool_configure(&pool, &conf), 0);
}

static void teardown(void)
{
    pool_free(&pool);
}

/* Runs refills to completion, handing out fake shells numbered from *next. */
static unsigned fill_all(uint32_t *next)
{
    unsigned n = 0;
    int i;
    while ((i = pool_next_refill(&pool)) >= 0) {
        struct pool_item it = { .shell = NULL,
                                .domid = (*next)++,
                                .builder = 0 };
        ck_assert_int_eq(pool_fill_done(&pool, i, &it), 0);
        n++;
    }
    return n;
}

START_TEST(refill_to_target_within_budget)
{
    uint32_t next = 1;
    /* 3 x 4 + 2 x 32 = 76 MiB, within 100. */
    ck_assert_uint_eq(fill_all(&next), 5);
    ck_assert_uint_eq(pool_used_mib(&pool), 76);
    ck_assert(pool_settled(&pool));
    pool_resize(&pool, pool_find_name(&pool, "big"), 3);
    /* A third big one would need 108 MiB: the budget says no. */
    ck_assert_int_eq(pool_next_refill(&pool), -1);
    ck_assert(pool_settled(&pool));
}
END_TEST

START_TEST(emptiest_pool_first)
{
    int a = pool_next_refill(&pool);
    int b = pool_next_refill(&pool);
    ck_assert_int_ne(a, b);          /* both empty: one each before seconds */
    ck_assert(!pool_settled(&pool)); /* two in flight */
    pool_fill_failed(&pool, a);
    ck_assert_uint_eq(pool.flavors[a].fill_failures, 1);
    ck_assert_int_eq(pool_next_refill(&pool), a);
}
END_TEST

START_TEST(take_never_twice_and_fifo)
{
    uint32_t next = 1;
    fill_all(&next);
    int s = pool_find_name(&pool, "small");
    struct pool_item it;
    uint32_t seen[3];
    for (int k = 0; k < 3; k++) {
        ck_assert(pool_take(&pool, s, NULL, NULL, &it));
        seen[k] = it.domid;
    }
    ck_assert(!pool_take(&pool, s, NULL, NULL, &it));
    ck_assert(seen[0] < seen[1] && seen[1] < seen[2]);
    ck_assert_uint_eq(pool.flavors[s].handed_out, 3);
    /* Taking made room: refills go to small again. */
    ck_assert_int_eq(pool_next_refill(&pool), s);
}
END_TEST

START_TEST(refill_below_a_share)
{
    /* While requests come, chaosd refills only pools below a quarter of
     * their target (refill.c): small (3) with 1 of 3 left is not one. */
    uint32_t next = 1;
    fill_all(&next);
    int s = pool_find_name(&pool, "small");
    struct pool_item it;
    ck_assert(pool_take(&pool, s, NULL, NULL, &it));
    ck_assert(pool_take(&pool, s, NULL, NULL, &it));
    ck_assert_int_eq(pool_next_refill_below(&pool, 0.25), -1);
    ck_assert_uint_eq(pool.flavors[s].filling, 0); /* none counted */
    ck_assert(pool_take(&pool, s, NULL, NULL, &it));
    ck_assert_int_eq(pool_next_refill_below(&pool, 0.25), s);
    /* Its fill in flight counts: 1 of 3 is not below a quarter. */
    ck_assert_int_eq(pool_next_refill_below(&pool, 0.25), -1);
    ck_assert_int_eq(pool_next_refill(&pool), s);
}
END_TEST

static bool builder0_busy(void *opaque, unsigned builder)
{
    (void)opaque;
    return builder == 0;
}

START_TEST(take_prefers_idle_builder)
{
    int s = pool_find_name(&pool, "small");
    for (unsigned b = 0; b < 3; b++) {
        pool_next_refill(&pool);
        struct pool_item it = { .domid = 10 + b, .builder = b % 2 };
        pool_fill_done(&pool, s, &it);
    }
    struct pool_item it;
    ck_assert(pool_take(&pool, s, builder0_busy, NULL, &it));
    ck_assert_uint_eq(it.domid, 11);
    ck_assert(pool_take(&pool, s, builder0_busy, NULL, &it));
    ck_assert_uint_eq(it.domid, 10); /* all busy: the oldest */
}
END_TEST

START_TEST(put_back_restores_the_pool)
{
    uint32_t next = 1;
    fill_all(&next);
    int s = pool_find_name(&pool, "small");
    uint64_t used = pool_used_mib(&pool);
    struct pool_item it;
    ck_assert(pool_take(&pool, s, NULL, NULL, &it));
    ck_assert_uint_eq(pool.flavors[s].handed_out, 1);
    ck_assert_uint_eq(pool_used_mib(&pool), used - 4);
    /* Given back: first in line again, as if never taken; no refill was
     * started or finished for it. */
    ck_assert_int_eq(pool_put_back(&pool, s, &it), 0);
    ck_assert_uint_eq(pool.flavors[s].n_idle, 3);
    ck_assert_uint_eq(pool.flavors[s].filling, 0);
    ck_assert_uint_eq(pool.flavors[s].handed_out, 0);
    ck_assert_uint_eq(pool.flavors[s].fill_failures, 0);
    ck_assert_uint_eq(pool_used_mib(&pool), used);
    ck_assert(pool_settled(&pool));
    struct pool_item again;
    ck_assert(pool_take(&pool, s, NULL, NULL, &again));
    ck_assert_uint_eq(again.domid, it.domid);
    ck_assert_int_eq(pool_put_back(&pool, s, &again), 0);
    /* The hand-out order of the others is unchanged. */
    uint32_t order[3];
    for (unsigned k = 0; k < 3; k++) {
        ck_assert(pool_take(&pool, s, NULL, NULL, &again));
        order[k] = again.domid;
    }
    ck_assert_uint_eq(order[0], it.domid);
    ck_assert_uint_lt(order[1], order[2]);
}
END_TEST

START_TEST(put_back_in_the_middle_of_a_take_by_builder)
{
    int s = pool_find_name(&pool, "small");
    for (unsigned b = 0; b < 3; b++) {
        pool_next_refill(&pool);
        struct pool_item it = { .domid = 10 + b, .builder = b % 2 };
        pool_fill_done(&pool, s, &it);
    }
    struct pool_item it;
    ck_assert(pool_take(&pool, s, builder0_busy, NULL, &it));
    ck_assert_uint_eq(it.domid, 11);
    ck_assert_int_eq(pool_put_back(&pool, s, &it), 0);
    /* Nothing lost, nothing doubled. */
    unsigned seen = 0;
    while (pool_take(&pool, s, NULL, NULL, &it))
        seen |= 1u << (it.domid - 10);
    ck_assert_uint_eq(seen, 7);
}
END_TEST

START_TEST(put_back_to_a_forgotten_flavor)
{
    struct pool_item it = { .domid = 1 };
    ck_assert_int_eq(pool_put_back(&pool, -1, &it), -ENOENT);
    ck_assert_int_eq(pool_put_back(&pool, (int)pool.n, &it), -ENOENT);
    /* No slot left by a take: refused rather than grown. */
    ck_assert_int_eq(pool_put_back(&pool, pool_find_name(&pool, "small"), &it),
                     -ENOMEM);
}
END_TEST

START_TEST(matching)
{
    int s = pool_find_name(&pool, "small"), b = pool_find_name(&pool, "big");
    ck_assert_int_eq(pool_match(&pool, POOL_CREATE, false, 4, 4, 1, ""), s);
    ck_assert_int_eq(pool_match(&pool, POOL_CREATE, true, 32, 32, 1, ""), b);
    ck_assert_int_eq(pool_match(&pool, POOL_CREATE, true, 4, 4, 1, ""), -1);
    ck_assert_int_eq(pool_match(&pool, POOL_CREATE, false, 4, 8, 1, ""), -1);
    ck_assert_int_eq(pool_match(&pool, POOL_CREATE, false, 4, 4, 2, ""), -1);
}
END_TEST

START_TEST(matching_images)
{
    conf.n_flavors = 0;
    add_flavor("small", false, 4, 3);
    add_flavor("img", false, 4, 1);
    snprintf(conf.flavors[1].kernel, sizeof(conf.flavors[1].kernel), "/k");
    snprintf(conf.flavors[1].cmdline, sizeof(conf.flavors[1].cmdline), "a=1");
    ck_assert_int_eq(pool_configure(&pool, &conf), 0);
    int s = pool_find_name(&pool, "small"), im = pool_find_name(&pool, "img");
    ck_assert_int_eq(pool_flavor_kind(&pool.flavors[im].f), POOL_IMAGE);
    /* Plain creates never take an image flavor's shells... */
    ck_assert_int_eq(pool_match(&pool, POOL_CREATE, false, 4, 4, 1, ""), s);
    ck_assert_int_eq(pool_match(&pool, POOL_IMAGE, false, 4, 4, 1, ""), -1);
    /* ...and image ones need the same kernel, ramdisk and cmdline. */
    ck_assert_int_eq(
        pool_match_image(&pool, false, 4, 4, 1, "", "/k", NULL, "a=1"), im);
    ck_assert_int_eq(
        pool_match_image(&pool, false, 4, 4, 1, "", "/k", "", "a=1"), im);
    ck_assert_int_eq(
        pool_match_image(&pool, false, 4, 4, 1, "", "/k", NULL, "a=2"), -1);
    ck_assert_int_eq(
        pool_match_image(&pool, false, 4, 4, 1, "", "/k", NULL, NULL), -1);
    ck_assert_int_eq(
        pool_match_image(&pool, false, 4, 4, 1, "", "/k2", NULL, "a=1"), -1);
    ck_assert_int_eq(
        pool_match_image(&pool, false, 4, 4, 1, "", "/k", "/r", "a=1"), -1);
    ck_assert_int_eq(
        pool_match_image(&pool, false, 8, 8, 1, "", "/k", NULL, "a=1"), -1);
    ck_assert_int_eq(
        pool_match_image(&pool, false, 4, 4, 1, "", NULL, NULL, "a=1"), -1);
    /* A new command line reshapes the flavor: its old shells go. */
    unsigned old = pool.flavors[im].id;
    snprintf(conf.flavors[1].cmdline, sizeof(conf.flavors[1].cmdline), "a=2");
    ck_assert_int_eq(pool_configure(&pool, &conf), 0);
    ck_assert_uint_ne(pool.flavors[pool_find_name(&pool, "img")].id, old);
}
END_TEST

START_TEST(shrink_and_reconfigure)
{
    uint32_t next = 1;
    fill_all(&next);
    int s = pool_find_name(&pool, "small");
    pool_resize(&pool, s, 1);
    struct pool_item it;
    ck_assert(pool_take_excess(&pool, false, &it));
    ck_assert(pool_take_excess(&pool, false, &it));
    ck_assert(!pool_take_excess(&pool, false, &it));
    ck_assert_uint_eq(pool.flavors[s].n_idle, 1);

    /* big reshaped (memory 16), small removed, new "tiny" added. */
    conf.n_flavors = 0;
    add_flavor("big", true, 16, 1);
    add_flavor("tiny", false, 2, 1);
    unsigned big_old = pool.flavors[pool_find_name(&pool, "big")].id;
    ck_assert_int_eq(pool_configure(&pool, &conf), 0);
    ck_assert_int_eq(pool_find_name(&pool, "small"), -1);
    int nb = pool_find_name(&pool, "big");
    ck_assert_uint_ne(pool.flavors[nb].id, big_old);
    /* The old shells are excess now: 1 small + 2 old big. */
    unsigned drained = 0;
    while (pool_take_excess(&pool, false, &it))
        drained++;
    ck_assert_uint_eq(drained, 3);
    /* Drained unconfigured flavors are forgotten; ids still resolve. */
    ck_assert_uint_eq(pool.n, 2);
    ck_assert_int_eq(pool_index(&pool, big_old), -1);
    ck_assert_int_eq(pool_index(&pool, pool.flavors[nb > 1 ? 0 : nb].id) >= 0,
                     1);
}
END_TEST

START_TEST(in_flight_fill_of_removed_flavor)
{
    int s = pool_next_refill(&pool);
    unsigned id = pool.flavors[s].id;
    conf.n_flavors = 0;
    ck_assert_int_eq(pool_configure(&pool, &conf), 0);
    struct pool_item it = { .domid = 9 };
    int i = pool_index(&pool, id);
    ck_assert_int_ge(i, 0); /* kept while its prepare is in flight */
    pool_fill_done(&pool, i, &it);
    ck_assert(!pool_take(&pool, i, NULL, NULL, &it)); /* not handed out */
    ck_assert(pool_take_excess(&pool, false, &it));
    ck_assert_uint_eq(it.domid, 9);
    ck_assert(!pool_take_excess(&pool, false, &it));
    ck_assert_uint_eq(pool.n, 0);
}
END_TEST

START_TEST(drain_everything)
{
    uint32_t next = 1;
    fill_all(&next);
    struct pool_item it;
    unsigned n = 0;
    while (pool_take_excess(&pool, true, &it))
        n++;
    ck_assert_uint_eq(n, 5);
    ck_assert_uint_eq(pool_used_mib(&pool), 0);
}
END_TEST

static Suite *pool_suite(void)
{
    Suite *s = suite_create("chaosd pools");
    TCase *tc = tcase_create("bookkeeping");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, refill_to_target_within_budget);
    tcase_add_test(tc, emptiest_pool_first);
    tcase_add_test(tc, take_never_twice_and_fifo);
    tcase_add_test(tc, refill_below_a_share);
    tcase_add_test(tc, take_prefers_idle_builder);
    tcase_add_test(tc, put_back_restores_the_pool);
    tcase_add_test(tc, put_back_in_the_middle_of_a_take_by_builder);
    tcase_add_test(tc, put_back_to_a_forgotten_flavor);
    tcase_add_test(tc, matching);
    tcase_add_test(tc, matching_images);
    tcase_add_test(tc, shrink_and_reconfigure);
    tcase_add_test(tc, in_flight_fill_of_removed_flavor);
    tcase_add_test(tc, drain_everything);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(pool_suite());
}
