/* Unit tests: the unikernel's Xen time arithmetic (unikernel). */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "timemath.h"
#include "check_run.h"

/*
 * The scale Xen would publish for a TSC of `khz`: it picks tsc_shift so
 * that mul = (10^6 / khz) * 2^32 / 2^shift lands in [2^31, 2^32).
 */
static void scale_for_khz(uint64_t khz, uint32_t *mul, int8_t *shift)
{
    uint64_t ns_per_tick_q32 = (UINT64_C(1000000) << 32) / khz;
    int8_t s = 0;

    while (ns_per_tick_q32 >= (UINT64_C(1) << 32)) {
        ns_per_tick_q32 >>= 1;
        s++;
    }
    while (ns_per_tick_q32 < (UINT64_C(1) << 31)) {
        ns_per_tick_q32 <<= 1;
        s--;
    }
    *mul = (uint32_t)ns_per_tick_q32;
    *shift = s;
}

START_TEST(test_identity_scale)
{
    /* mul = 2^31, shift = 1: exactly one ns per tick. */
    ck_assert_uint_eq(xen_tsc_delta_to_ns(0, 0x80000000u, 1), 0);
    ck_assert_uint_eq(xen_tsc_delta_to_ns(1000, 0x80000000u, 1), 1000);
    ck_assert_uint_eq(xen_tsc_khz(0x80000000u, 1), 1000000);
}
END_TEST

START_TEST(test_common_frequencies)
{
    static const uint64_t khz[] = { 1000000, 2000000, 2400000, 3000000,
                                    3700000, 500000,  100000 };
    size_t i;

    for (i = 0; i < sizeof(khz) / sizeof(khz[0]); i++) {
        uint32_t mul;
        int8_t shift;
        uint64_t one_second_ticks = khz[i] * 1000;
        uint64_t ns;

        scale_for_khz(khz[i], &mul, &shift);
        ns = xen_tsc_delta_to_ns(one_second_ticks, mul, shift);
        /* Within 1 ppm of a second. */
        ck_assert_msg(ns > 999999000 && ns < 1000001000,
                      "%llu kHz: 1 s of ticks gave %llu ns",
                      (unsigned long long)khz[i], (unsigned long long)ns);
        ck_assert_msg(xen_tsc_khz(mul, shift) + 2 >= khz[i] &&
                          xen_tsc_khz(mul, shift) <= khz[i] + 2,
                      "%llu kHz came back as %llu", (unsigned long long)khz[i],
                      (unsigned long long)xen_tsc_khz(mul, shift));
    }
}
END_TEST

START_TEST(test_large_delta_does_not_overflow)
{
    uint32_t mul;
    int8_t shift;
    /* An hour at 3 GHz: the 64x32-bit product needs more than 64 bits. */
    uint64_t ticks = UINT64_C(3000000000) * 3600;
    uint64_t ns;

    scale_for_khz(3000000, &mul, &shift);
    ns = xen_tsc_delta_to_ns(ticks, mul, shift);
    ck_assert(ns > UINT64_C(3599999000000) && ns < UINT64_C(3600001000000));
}
END_TEST

START_TEST(test_runstate_age)
{
    const uint64_t fresh[4] = { 0, 0, 0, 0 };
    const uint64_t used[4] = { 100, 20, 3000, 400000 };

    /* Never ran: only the current (offline) state counts. */
    ck_assert_uint_eq(xen_runstate_age_ns(fresh, 1000, 1500), 500);
    /* Finished states plus the running one. */
    ck_assert_uint_eq(xen_runstate_age_ns(used, 10000, 10005), 403125);
    /* A clock a little behind Xen's never yields a negative stint. */
    ck_assert_uint_eq(xen_runstate_age_ns(used, 10000, 9990), 403120);
    ck_assert_uint_eq(xen_tsc_khz(0, 0), 0);
}
END_TEST

START_TEST(test_resume_offset)
{
    /* Saved at program time 5 s, restored when Xen says 100 s (a later
     * boot of the same host's clock) or 2 s (another host): the program's
     * clock goes on from 5 s either way. */
    int64_t later = clock_resume_offset(5000000000ull, 100000000000ull);
    int64_t earlier = clock_resume_offset(5000000000ull, 2000000000ull);

    ck_assert_int_eq(later, -95000000000ll);
    ck_assert_int_eq(earlier, 3000000000ll);
    ck_assert_uint_eq(100000000000ull + (uint64_t)later, 5000000000ull);
    ck_assert_uint_eq(2000000000ull + (uint64_t)earlier, 5000000000ull);
    /* A second restore builds on the first: offsets are from Xen time. */
    ck_assert_int_eq(clock_resume_offset(7000000000ull, 7000000000ull), 0);
}
END_TEST

START_TEST(test_deadline_to_xen)
{
    /* Before any restore: the same deadline; 0 stays "none". */
    ck_assert_uint_eq(clock_deadline_to_xen(0, 0), 0);
    ck_assert_uint_eq(clock_deadline_to_xen(1, 0), 1);
    ck_assert_uint_eq(clock_deadline_to_xen(123456789, 0), 123456789);
    ck_assert_uint_eq(clock_deadline_to_xen(0, -95000000000ll), 0);
    /* Program 5.1 s with Xen 95 s ahead: 100.1 s. */
    ck_assert_uint_eq(clock_deadline_to_xen(5100000000ull, -95000000000ll),
                      100100000000ull);
    /* Program 5.1 s with Xen 3 s behind: 2.1 s. */
    ck_assert_uint_eq(clock_deadline_to_xen(5100000000ull, 3000000000ll),
                      2100000000ull);
    /* A deadline before Xen's time 1: 1 (past), never 0 (no deadline) or a
     * wrapped-around future. */
    ck_assert_uint_eq(clock_deadline_to_xen(1000, 3000000000ll), 1);
    ck_assert_uint_eq(clock_deadline_to_xen(3000000000ull, 3000000000ll), 1);
    ck_assert_uint_eq(clock_deadline_to_xen(UINT64_MAX, INT64_MIN), UINT64_MAX);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("unikernel_timemath");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_identity_scale);
    tcase_add_test(tc, test_common_frequencies);
    tcase_add_test(tc, test_large_delta_does_not_overflow);
    tcase_add_test(tc, test_runstate_age);
    tcase_add_test(tc, test_resume_offset);
    tcase_add_test(tc, test_deadline_to_xen);
    suite_add_tcase(suite, tc);
    return check_run(suite);
}
