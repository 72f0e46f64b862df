/*
 * Unit tests: chaosd's journal fields (chaosd/log.c): which stderr is
 * journald's stream, and the fields of a message, in order, with and
 * without a guest, and when they do not fit.  (Sending them is journald's
 * sd_journal_sendv; the lab's dom0 has no systemd, so that part is not
 * run anywhere but on a real host.)
 */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "check_run.h"
#include "log.h"

START_TEST(journal_stream)
{
    ck_assert(log_is_journal_stream("8:12345", 8, 12345));
    ck_assert(!log_is_journal_stream("8:12345", 8, 12346));
    ck_assert(!log_is_journal_stream("9:12345", 8, 12345));
    ck_assert(!log_is_journal_stream(NULL, 8, 12345));
    ck_assert(!log_is_journal_stream("", 0, 0));
    ck_assert(!log_is_journal_stream("8", 8, 0));
    ck_assert(!log_is_journal_stream("8:", 8, 0));
    ck_assert(!log_is_journal_stream(":12345", 0, 12345));
    ck_assert(!log_is_journal_stream("8:12345x", 8, 12345));
    ck_assert(!log_is_journal_stream("99999999999999999999999:1", 0, 1));
}
END_TEST

/* The fields as one string, "|" between them. */
static void joined(const struct iovec *iov, int n, char *out, size_t size)
{
    size_t used = 0;
    for (int i = 0; i < n; i++) {
        ck_assert_uint_lt(used + iov[i].iov_len + 1, size);
        if (i)
            out[used++] = '|';
        memcpy(out + used, iov[i].iov_base, iov[i].iov_len);
        used += iov[i].iov_len;
    }
    out[used] = '\0';
}

START_TEST(fields_guest)
{
    char buf[256], text[256];
    struct iovec iov[LOG_MAX_FIELDS];
    int n = log_journal_fields(6, 5, "web", "created web (5) from pool uk", buf,
                               sizeof(buf), iov);
    ck_assert_int_eq(n, 5);
    joined(iov, n, text, sizeof(text));
    ck_assert_str_eq(text,
                     "PRIORITY=6|SYSLOG_IDENTIFIER=chaosd|CHAOS_DOMID=5|"
                     "CHAOS_NAME=web|MESSAGE=created web (5) from pool uk");
}
END_TEST

/* No guest: no guest fields; a name with a newline stays one field. */
START_TEST(fields_partial)
{
    char buf[256], text[256];
    struct iovec iov[LOG_MAX_FIELDS];
    int n =
        log_journal_fields(4, -1, NULL, "cannot bind", buf, sizeof(buf), iov);
    ck_assert_int_eq(n, 3);
    joined(iov, n, text, sizeof(text));
    ck_assert_str_eq(text,
                     "PRIORITY=4|SYSLOG_IDENTIFIER=chaosd|MESSAGE=cannot bind");
    n = log_journal_fields(6, -1, "a\nb", "m", buf, sizeof(buf), iov);
    ck_assert_int_eq(n, 4);
    joined(iov, n, text, sizeof(text));
    ck_assert_str_eq(text,
                     "PRIORITY=6|SYSLOG_IDENTIFIER=chaosd|CHAOS_NAME=a\nb|"
                     "MESSAGE=m");
    n = log_journal_fields(6, 0, "", "m", buf, sizeof(buf), iov);
    ck_assert_int_eq(n, 4);
    joined(iov, n, text, sizeof(text));
    ck_assert_str_eq(text, "PRIORITY=6|SYSLOG_IDENTIFIER=chaosd|CHAOS_DOMID=0|"
                           "MESSAGE=m");
}
END_TEST

/* Too small: -ENOSPC, never a write past the end. */
START_TEST(fields_no_room)
{
    char buf[64];
    struct iovec iov[LOG_MAX_FIELDS];
    memset(buf, 'x', sizeof(buf));
    ck_assert_int_eq(
        log_journal_fields(6, 5, "web", "a long message here", buf, 60, iov),
        -ENOSPC);
    ck_assert_int_eq(buf[60], 'x');
    ck_assert_int_eq(log_journal_fields(6, 5, "web", "", buf, 0, iov), -ENOSPC);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("chaosd_log");
    TCase *tc = tcase_create("journal");
    tcase_add_test(tc, journal_stream);
    tcase_add_test(tc, fields_guest);
    tcase_add_test(tc, fields_partial);
    tcase_add_test(tc, fields_no_room);
    suite_add_tcase(s, tc);
    return check_run(s);
}
