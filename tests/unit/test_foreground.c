/*
 * Unit tests: `chaos create -F` through chaosd (tools/chaos/foreground.c)
 * follows a guest on chaosd's event lines, fed here through a socketpair:
 * the exit status for each way a guest ends, a restart followed to the
 * new domain, other domains' events ignored, chaosd going away.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_run.h"
#include "cmd.h"
#include "foreground.h"

struct follow_case {
    const char *what;
    const char *cfg;    /* xl.cfg text */
    const char *events; /* chaosd's lines for the subscriber */
    int hang_up;        /* chaosd goes away after the lines */
    int status;
};

#define EV(kind, id, name, extra)                                        \
    "{\"v\":1,\"event\":\"" kind "\",\"domid\":" #id ",\"name\":\"" name \
    "\"" extra "}\n"

static const struct follow_case cases[] = {
    { "poweroff", "",
      EV("created", 7, "g", ",\"path\":\"pool\"")
          EV("shutdown", 7, "g", ",\"reason\":\"poweroff\"")
              EV("death", 7, "g", "")
                  EV("ended", 7, "g", ",\"reason\":\"poweroff\""),
      1, EXIT_OK },
    { "crash, Xen's events merged into death", "",
      EV("death", 7, "g", "") EV("ended", 7, "g", ",\"reason\":\"crash\""), 1,
      EXIT_GUEST_CRASHED },
    { "watchdog", "", EV("ended", 7, "g", ",\"reason\":\"watchdog\""), 1,
      EXIT_GUEST_CRASHED },
    { "destroyed", "", EV("ended", 7, "g", ",\"reason\":\"destroyed\""), 1,
      EXIT_OK },
    { "not served", "", EV("ended", 7, "g", ",\"reason\":\"failed\""), 1,
      EXIT_FAIL },
    { "others ignored", "",
      EV("ended", 8, "h", ",\"reason\":\"crash\"")
          EV("ended", 7, "g", ",\"reason\":\"poweroff\""),
      1, EXIT_OK },
    { "restart followed", "on_poweroff = \"restart\"\n",
      EV("shutdown", 7, "g", ",\"reason\":\"poweroff\"") EV("death", 7, "g", "")
          EV("created", 9, "g", ",\"path\":\"direct\"") EV(
              "crash", 9, "g", ",\"reason\":\"crash\"") EV("death", 9, "g", "")
              EV("ended", 9, "g", ",\"reason\":\"crash\""),
      1, EXIT_GUEST_CRASHED },
    { "not a line of ours", "",
      "garbage\n{\"v\":1}\n" EV("ended", 7, "g", ",\"reason\":\"poweroff\""), 1,
      EXIT_OK },
    { "chaosd went away", "", EV("shutdown", 7, "g", ",\"reason\":\"crash\""),
      1, EXIT_FAIL },
    /* A chaosd without "ended": Xen's events decide, a few seconds on. */
    { "death alone, after a crash", "",
      EV("crash", 7, "g", ",\"reason\":\"crash\"") EV("death", 7, "g", ""), 0,
      EXIT_GUEST_CRASHED },
};

START_TEST(follow)
{
    const struct follow_case *c = &cases[_i];
    chaos_config *cfg = chaos_config_new();
    ck_assert_ptr_nonnull(cfg);
    ck_assert_int_eq(chaos_config_parse(cfg, c->cfg, strlen(c->cfg), NULL), 0);
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ssize_t len = (ssize_t)strlen(c->events);
    ck_assert_int_eq(write(sv[1], c->events, (size_t)len), len);
    if (c->hang_up)
        close(sv[1]);
    int st = foreground_follow(sv[0], "/nonexistent", 7, "g", cfg);
    if (!c->hang_up)
        close(sv[1]);
    ck_assert_msg(st == c->status, "%s: exit status %d, not %d", c->what, st,
                  c->status);
    chaos_config_free(cfg);
}
END_TEST

START_TEST(statuses)
{
    ck_assert_int_eq(foreground_status(NULL), EXIT_OK);
    ck_assert_int_eq(foreground_status("poweroff"), EXIT_OK);
    ck_assert_int_eq(foreground_status("reboot"), EXIT_OK);
    ck_assert_int_eq(foreground_status("crash"), EXIT_GUEST_CRASHED);
    ck_assert_int_eq(foreground_status("watchdog"), EXIT_GUEST_CRASHED);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("foreground");
    TCase *tc = tcase_create("follow");
    tcase_set_timeout(tc, 30); /* the fallback case waits 5 s */
    tcase_add_loop_test(tc, follow, 0, sizeof(cases) / sizeof(cases[0]));
    tcase_add_test(tc, statuses);
    suite_add_tcase(s, tc);
    return check_run(s);
}
