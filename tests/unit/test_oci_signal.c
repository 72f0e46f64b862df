/*
 * Unit tests: chaos-oci's signals (tools/chaos-oci/oci_signal.c): names
 * with and without SIG, any case, numbers; the guest action of each.
 */
#include <check.h>
#include <errno.h>
#include <signal.h>

#include "check_run.h"
#include "oci_signal.h"

START_TEST(parsing)
{
    static const struct {
        const char *text;
        int signo;
    } good[] = {
        { "TERM", SIGTERM },    { "SIGTERM", SIGTERM }, { "sigterm", SIGTERM },
        { "term", SIGTERM },    { "15", SIGTERM },      { "KILL", SIGKILL },
        { "SIGKILL", SIGKILL }, { "9", SIGKILL },       { "INT", SIGINT },
        { "SIGUSR1", SIGUSR1 }, { "64", 64 },
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
        int s = -1;
        ck_assert_msg(oci_signal_parse(good[i].text, &s) == 0, "%s",
                      good[i].text);
        ck_assert_int_eq(s, good[i].signo);
    }
    static const char *const bad[] = { "",   "SIG", "NOPE", "0",
                                       "65", "-9",  "9x",   "SIGSIGTERM" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        int s = -1;
        ck_assert_msg(oci_signal_parse(bad[i], &s) == -EINVAL, "%s", bad[i]);
    }
}
END_TEST

START_TEST(actions)
{
    enum oci_kill_action a;
    static const int shutdown[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPWR };
    for (size_t i = 0; i < sizeof(shutdown) / sizeof(*shutdown); i++) {
        ck_assert_int_eq(oci_signal_action(shutdown[i], &a), 0);
        ck_assert_int_eq(a, OCI_KILL_SHUTDOWN);
    }
    ck_assert_int_eq(oci_signal_action(SIGKILL, &a), 0);
    ck_assert_int_eq(a, OCI_KILL_DESTROY);
    ck_assert_int_eq(oci_signal_action(SIGUSR1, &a), -ENOTSUP);
    ck_assert_int_eq(oci_signal_action(SIGSTOP, &a), -ENOTSUP);
    ck_assert_int_eq(oci_signal_action(40, &a), -ENOTSUP);
    ck_assert_str_eq(oci_signal_name(SIGTERM), "TERM");
    ck_assert_ptr_null(oci_signal_name(40));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("oci_signal");
    TCase *tc = tcase_create("signal");
    tcase_add_test(tc, parsing);
    tcase_add_test(tc, actions);
    suite_add_tcase(s, tc);
    return check_run(s);
}
