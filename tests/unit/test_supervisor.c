/*
 * Unit tests: the guest supervisor's rules (libchaos/supervisor_rules.c:
 * how a domain stopped -> which on_* key, which actions are carried out,
 * the check `chaos create` and chaosd both run) and its one-server lock
 * (supervisor_lock.c) in a temporary CHAOS_RUN_DIR.  Serving a real guest
 * needs Xen: tests/lab/test-supervisor.sh.
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "supervisor.h"
#include "check_run.h"

enum {
    POWEROFF = 0,
    REBOOT = 1,
    SUSPEND = 2,
    CRASH = 3,
    WATCHDOG = 4,
    SOFT_RESET = 5
};

START_TEST(reason_to_key)
{
    static const struct {
        bool crashed;
        int reason;
        enum chaos_event ev;
    } t[] = {
        { false, POWEROFF, CHAOS_ON_POWEROFF },
        { false, REBOOT, CHAOS_ON_REBOOT },
        { false, CRASH, CHAOS_ON_CRASH },
        { true, CRASH, CHAOS_ON_CRASH },
        { true, POWEROFF, CHAOS_ON_CRASH }, /* the state wins */
        { false, SUSPEND, CHAOS_ON_POWEROFF },
        { false, WATCHDOG, CHAOS_ON_POWEROFF },
        { false, SOFT_RESET, CHAOS_ON_POWEROFF },
        { false, 99, CHAOS_ON_POWEROFF },
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        ck_assert_msg(supervisor_event_for(t[i].crashed, t[i].reason) ==
                          t[i].ev,
                      "case %zu", i);
    ck_assert_str_eq(supervisor_event_key(CHAOS_ON_REBOOT), "on_reboot");
    /* A suspend is a save in progress, never an action (unless crashed). */
    ck_assert(supervisor_being_saved(false, SUSPEND));
    ck_assert(!supervisor_being_saved(true, SUSPEND));
    ck_assert(!supervisor_being_saved(false, POWEROFF));
    ck_assert(!supervisor_being_saved(false, CRASH));
    ck_assert_ptr_null(supervisor_event_key((enum chaos_event)7));
}
END_TEST

START_TEST(supported_actions)
{
    ck_assert(supervisor_action_supported(CHAOS_ACTION_DESTROY));
    ck_assert(supervisor_action_supported(CHAOS_ACTION_PRESERVE));
    ck_assert(supervisor_action_supported(CHAOS_ACTION_RESTART));
    ck_assert(!supervisor_action_supported(CHAOS_ACTION_RENAME_RESTART));
    ck_assert(!supervisor_action_supported(CHAOS_ACTION_COREDUMP_DESTROY));
    ck_assert(!supervisor_action_supported(CHAOS_ACTION_COREDUMP_RESTART));
    ck_assert(!supervisor_action_supported(CHAOS_ACTION_SOFT_RESET));
    ck_assert(!supervisor_action_supported((enum chaos_action)42));
}
END_TEST

static int check_text(const char *text, char *msg, size_t len)
{
    chaos_config *cfg = chaos_config_new();
    ck_assert_ptr_nonnull(cfg);
    ck_assert_int_eq(chaos_config_parse(cfg, text, strlen(text), "t"), 0);
    int rc = chaos_supervisor_check_config(cfg, msg, len);
    chaos_config_free(cfg);
    return rc;
}

START_TEST(check_config)
{
    char msg[256] = "";
    ck_assert_int_eq(check_text("name = \"a\"\n", msg, sizeof(msg)), 0);
    ck_assert_int_eq(check_text("on_poweroff = \"restart\"\non_reboot = "
                                "\"preserve\"\non_crash = \"destroy\"\n",
                                msg, sizeof(msg)),
                     0);
    static const struct {
        const char *key, *action;
    } refused[] = {
        { "on_reboot", "rename-restart" },
        { "on_poweroff", "coredump-destroy" },
        { "on_crash", "coredump-restart" },
        { "on_crash", "soft-reset" },
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        char text[128], want[128];
        snprintf(text, sizeof(text), "%s = \"%s\"\n", refused[i].key,
                 refused[i].action);
        ck_assert_int_eq(check_text(text, msg, sizeof(msg)), -ENOTSUP);
        snprintf(want, sizeof(want), "%s = \"%s\" is not supported yet",
                 refused[i].key, refused[i].action);
        ck_assert_msg(strstr(msg, want), "%s", msg);
    }
}
END_TEST

/* ------------------------------------------------------------- lock */

static char run_dir[64];
static const uint8_t U1[16] = { 1, 2,  3,  4,  5,  6,  7,  8,
                                9, 10, 11, 12, 13, 14, 15, 16 };

static void setup(void)
{
    snprintf(run_dir, sizeof(run_dir), "/tmp/chaos-test-supervisor-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(run_dir));
    setenv("CHAOS_RUN_DIR", run_dir, 1);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", run_dir);
    ck_assert_int_eq(system(cmd), 0);
}

static bool lock_file_exists(void)
{
    char path[160];
    snprintf(path, sizeof(path),
             "%s/supervisors/"
             "01020304-0506-0708-090a-0b0c0d0e0f10",
             run_dir);
    struct stat st;
    return stat(path, &st) == 0;
}

START_TEST(lock_is_exclusive)
{
    int fd, fd2;
    long holder = -1;
    ck_assert_int_eq(supervisor_lock(U1, &fd, &holder), 0);
    ck_assert(lock_file_exists());
    /* A second server, even in the same process, is refused and told who. */
    ck_assert_int_eq(supervisor_lock(U1, &fd2, &holder), -EBUSY);
    ck_assert_int_eq(holder, (long)getpid());
    supervisor_unlock(U1, fd, false); /* guest still running: file stays */
    ck_assert(lock_file_exists());
    ck_assert_int_eq(supervisor_lock(U1, &fd, &holder), 0);
    supervisor_unlock(U1, fd, true); /* domain gone: file goes */
    ck_assert(!lock_file_exists());
}
END_TEST

START_TEST(lock_goes_with_the_process)
{
    int ready[2];
    ck_assert_int_eq(pipe(ready), 0);
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        int fd;
        long holder;
        char c = supervisor_lock(U1, &fd, &holder) == 0 ? 'y' : 'n';
        if (write(ready[1], &c, 1) != 1)
            _exit(1);
        pause();
        _exit(0);
    }
    char c;
    ck_assert_int_eq(read(ready[0], &c, 1), 1);
    ck_assert_int_eq(c, 'y');
    int fd;
    long holder = 0;
    ck_assert_int_eq(supervisor_lock(U1, &fd, &holder), -EBUSY);
    ck_assert_int_eq(holder, (long)child);
    /* Killed (SIGKILL: no clean-up at all): the guest is free again. */
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    ck_assert_int_eq(supervisor_lock(U1, &fd, &holder), 0);
    supervisor_unlock(U1, fd, true);
    close(ready[0]);
    close(ready[1]);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("supervisor");
    TCase *tc = tcase_create("rules");
    tcase_add_test(tc, reason_to_key);
    tcase_add_test(tc, supported_actions);
    tcase_add_test(tc, check_config);
    suite_add_tcase(s, tc);
    tc = tcase_create("lock");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, lock_is_exclusive);
    tcase_add_test(tc, lock_goes_with_the_process);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(suite());
}
