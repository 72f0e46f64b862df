/*
 * Unit tests: `chaos top`'s percentages (tools/chaos/top_calc.c): CPU use
 * from CPU time deltas (several vCPUs past 100 %, a domid reused by
 * another domain, time going backwards, no earlier sample), memory share.
 */
#include <check.h>
#include <string.h>

#include "check_run.h"
#include "top_calc.h"

static struct chaos_dominfo dom(chaos_domid domid, uint8_t tag, uint64_t cpu)
{
    struct chaos_dominfo d;
    memset(&d, 0, sizeof(d));
    d.domid = domid;
    d.uuid[0] = tag;
    d.cpu_time_ns = cpu;
    return d;
}

static const struct top_prev prev[] = {
    { .domid = 0, .uuid = { 0 }, .cpu_time_ns = 1000000000 },
    { .domid = 3, .uuid = { 3 }, .cpu_time_ns = 500000000 },
    { .domid = 7, .uuid = { 7 }, .cpu_time_ns = 0 },
};

START_TEST(cpu_percent)
{
    const uint64_t second = 1000000000;
    struct chaos_dominfo d = dom(0, 0, 1250000000);
    /* 0.25 s of CPU in 1 s: 25 %. */
    ck_assert_double_eq_tol(top_cpu_percent(prev, 3, &d, second), 25.0, 1e-9);
    /* 2 s of CPU in 1 s (two busy vCPUs): 200 %, as xentop. */
    d = dom(3, 3, 2500000000);
    ck_assert_double_eq_tol(top_cpu_percent(prev, 3, &d, second), 200.0, 1e-9);
    /* Idle: 0. */
    d = dom(7, 7, 0);
    ck_assert_double_eq_tol(top_cpu_percent(prev, 3, &d, 2 * second), 0.0,
                            1e-9);
    /* Over half a second. */
    d = dom(3, 3, 600000000);
    ck_assert_double_eq_tol(top_cpu_percent(prev, 3, &d, second / 2), 20.0,
                            1e-9);
}
END_TEST

START_TEST(cpu_unknown)
{
    const uint64_t second = 1000000000;
    /* A new domain: no earlier sample. */
    struct chaos_dominfo d = dom(9, 9, 5);
    ck_assert_double_eq(top_cpu_percent(prev, 3, &d, second), -1);
    /* Domain 3's id reused by another domain (another handle). */
    d = dom(3, 4, 900000000);
    ck_assert_double_eq(top_cpu_percent(prev, 3, &d, second), -1);
    /* CPU time went backwards. */
    d = dom(0, 0, 10);
    ck_assert_double_eq(top_cpu_percent(prev, 3, &d, second), -1);
    /* No time passed, no samples at all. */
    d = dom(0, 0, 2000000000);
    ck_assert_double_eq(top_cpu_percent(prev, 3, &d, 0), -1);
    ck_assert_double_eq(top_cpu_percent(NULL, 0, &d, second), -1);
}
END_TEST

START_TEST(mem_percent)
{
    ck_assert_double_eq_tol(top_mem_percent(1 << 20, 4 << 20), 25.0, 1e-9);
    ck_assert_double_eq_tol(top_mem_percent(0, 4 << 20), 0.0, 1e-9);
    ck_assert_double_eq(top_mem_percent(1, 0), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("top_calc");
    TCase *tc = tcase_create("percent");
    tcase_add_test(tc, cpu_percent);
    tcase_add_test(tc, cpu_unknown);
    tcase_add_test(tc, mem_percent);
    suite_add_tcase(s, tc);
    return check_run(s);
}
