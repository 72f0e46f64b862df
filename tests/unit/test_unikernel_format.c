/*
 * Unit tests: the unikernel's printf-style formatter (unikernel),
 * checked against the C library's snprintf for every supported feature.
 */
#include <check.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "check_run.h"

/* Formats with both implementations and compares text and length. */
__attribute__((format(printf, 1, 2))) static void same_as_libc(const char *fmt,
                                                               ...)
{
    char ours[256], theirs[256];
    va_list ap, ap2;
    int n_ours, n_theirs;

    va_start(ap, fmt);
    va_copy(ap2, ap);
    n_ours = fmt_vsnprintf(ours, sizeof(ours), fmt, ap);
    n_theirs = vsnprintf(theirs, sizeof(theirs), fmt, ap2);
    va_end(ap2);
    va_end(ap);
    ck_assert_msg(strcmp(ours, theirs) == 0 && n_ours == n_theirs,
                  "format \"%s\": ours \"%s\" (%d), libc \"%s\" (%d)", fmt,
                  ours, n_ours, theirs, n_theirs);
}

START_TEST(test_integers)
{
    same_as_libc("%d %i %u", 0, -17, 4000000000u);
    same_as_libc("%d %d", INT32_MAX, INT32_MIN);
    same_as_libc("%ld %lu", (long)INT64_MIN, (unsigned long)UINT64_MAX);
    same_as_libc("%lld %llu", (long long)-5, (unsigned long long)5);
    same_as_libc("%zu %zd", (size_t)123, (ssize_t)-123);
    same_as_libc("%jd %td", (intmax_t)-9, (ptrdiff_t)9);
    same_as_libc("%hhd %hhu %hd %hu", 300, 300, 70000, 70000);
    same_as_libc("%x %X %lx", 0xbeefu, 0xbeefu, 0x123456789abcdefUL);
}
END_TEST

START_TEST(test_width_and_flags)
{
    same_as_libc("[%5d] [%-5d] [%05d] [%05d]", 42, 42, 42, -42);
    same_as_libc("[%*d] [%*d]", 6, 7, -6, 7);
    same_as_libc("[%1d] [%08lx]", 12345, 0xabcUL);
    same_as_libc("[%.3d] [%6.3d] [%-6.3d]", 7, 7, 7);
    same_as_libc("[%.0d] [%5.0d] [%.0u]", 0, 0, 0u);
    same_as_libc("[%.5d]", -42);
}
END_TEST

START_TEST(test_text)
{
    same_as_libc("%s|%10s|%-10s|", "abc", "abc", "abc");
    same_as_libc("%.2s|%.*s|%.*s|", "abcdef", 3, "abcdef", -1, "abc");
    same_as_libc("%c%c%5c%-3c|", 'a', 'b', 'c', 'd');
    same_as_libc("100%% %s", "done");
    same_as_libc("%s", "");
    same_as_libc("%p", (void *)0x1234);
    same_as_libc("%p", (void *)NULL);
}
END_TEST

START_TEST(test_truncation)
{
    char buf[8];

    ck_assert_int_eq(fmt_snprintf(buf, sizeof(buf), "%s", "0123456789"), 10);
    ck_assert_str_eq(buf, "0123456");
    ck_assert_int_eq(fmt_snprintf(buf, 1, "abc"), 3);
    ck_assert_str_eq(buf, "");
    ck_assert_int_eq(fmt_snprintf(NULL, 0, "%d", 12345), 5);
}
END_TEST

START_TEST(test_unsupported_is_visible)
{
    char buf[32];

    /* Unknown conversions are copied, not interpreted.  (The compiler
     * rightly objects to these formats, hence the pragma.) */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
    fmt_snprintf(buf, sizeof(buf), "a%qb");
    ck_assert_str_eq(buf, "a%qb");
    fmt_snprintf(buf, sizeof(buf), "end%");
    ck_assert_str_eq(buf, "end%");
#pragma GCC diagnostic pop
}
END_TEST

START_TEST(test_fmt_u64)
{
    char buf[64];
    size_t n;

    n = fmt_u64(buf, 0, 10, 0);
    ck_assert(n == 1 && buf[0] == '0');
    n = fmt_u64(buf, UINT64_MAX, 10, 0);
    ck_assert(n == 20 && memcmp(buf, "18446744073709551615", 20) == 0);
    n = fmt_u64(buf, UINT64_MAX, 2, 0);
    ck_assert_uint_eq(n, 64);
    n = fmt_u64(buf, 0xABCDEF, 16, 1);
    ck_assert(n == 6 && memcmp(buf, "ABCDEF", 6) == 0);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("unikernel_format");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_integers);
    tcase_add_test(tc, test_width_and_flags);
    tcase_add_test(tc, test_text);
    tcase_add_test(tc, test_truncation);
    tcase_add_test(tc, test_unsupported_is_visible);
    tcase_add_test(tc, test_fmt_u64);
    suite_add_tcase(suite, tc);
    return check_run(suite);
}
