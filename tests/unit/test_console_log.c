/*
 * test_console_log.c - the console log's cap and rotation, in a temporary
 * directory.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "console/console_log.h"
#include "check_run.h"

static char dir[] = "/tmp/chaos-test-log-XXXXXX";
static char path[256], rotated[256];

static void setup(void)
{
    umask(022);
    strcpy(dir, "/tmp/chaos-test-log-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/guest.log", dir);
    snprintf(rotated, sizeof(rotated), "%s/guest.log.1", dir);
}

static void teardown(void)
{
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* The whole file, NUL-terminated; "" if it does not exist. */
static char *slurp(const char *p, size_t *len)
{
    static char buf[65536];
    *len = 0;
    FILE *f = fopen(p, "r");
    if (f) {
        *len = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
    }
    buf[*len] = '\0';
    return buf;
}

static off_t file_size(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? st.st_size : -1;
}

START_TEST(appends_chunks)
{
    struct console_log *log;
    ck_assert_int_eq(console_log_open(path, 0, &log), 0);
    ck_assert_int_eq(console_log_write(log, "boot\r\n", 6), 0);
    ck_assert_int_eq(console_log_write(log, "ok\r\n", 4), 0);
    ck_assert_uint_eq(console_log_size(log), 10);
    console_log_close(log);
    size_t len;
    ck_assert_str_eq(slurp(path, &len), "boot\r\nok\r\n");
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0640); /* umask 022 (setup) */
}
END_TEST

/* With a cap of 10: "12345678" fits, "abcd" would make 12, so the first
 * file moves to .1 and "abcd" starts a new one, not split across them. */
START_TEST(rotates_at_the_cap_without_splitting)
{
    struct console_log *log;
    size_t len;
    ck_assert_int_eq(console_log_open(path, 10, &log), 0);
    ck_assert_int_eq(console_log_write(log, "12345678", 8), 0);
    ck_assert_int_eq(file_size(rotated), -1);
    ck_assert_int_eq(console_log_write(log, "abcd", 4), 0);
    ck_assert_str_eq(slurp(rotated, &len), "12345678");
    ck_assert_str_eq(slurp(path, &len), "abcd");
    ck_assert_int_eq(console_log_write(log, "efghij", 6), 0); /* exactly 10 */
    ck_assert_str_eq(slurp(path, &len), "abcdefghij");
    ck_assert_int_eq(console_log_write(log, "k", 1), 0); /* rotates again */
    ck_assert_str_eq(slurp(rotated, &len), "abcdefghij");
    ck_assert_str_eq(slurp(path, &len), "k");
    console_log_close(log);
}
END_TEST

/* A guest renamed while it runs: the file (and its rotated copy) move,
 * writes go on into the new name, rotation too; a move that cannot be
 * made leaves the log where it was, still written. */
START_TEST(moves_with_its_guest)
{
    struct console_log *log;
    size_t len;
    char moved[300], moved_rot[300], nowhere[300];
    snprintf(moved, sizeof(moved), "%s/renamed.log", dir);
    snprintf(moved_rot, sizeof(moved_rot), "%s/renamed.log.1", dir);
    snprintf(nowhere, sizeof(nowhere), "%s/no-dir/x.log", dir);
    ck_assert_int_eq(console_log_open(path, 10, &log), 0);
    ck_assert_int_eq(console_log_write(log, "12345678", 8), 0);
    ck_assert_int_eq(console_log_write(log, "ab", 2), 0);
    ck_assert_int_eq(console_log_write(log, "c", 1), 0); /* rotated */
    ck_assert_int_eq(console_log_move(log, moved), 0);
    ck_assert_int_eq(file_size(path), -1);
    ck_assert_int_eq(file_size(rotated), -1);
    ck_assert_str_eq(slurp(moved_rot, &len), "12345678ab");
    ck_assert_int_eq(console_log_write(log, "d", 1), 0);
    ck_assert_str_eq(slurp(moved, &len), "cd");
    ck_assert_int_lt(console_log_move(log, nowhere), 0);
    ck_assert_ptr_nonnull(strstr(console_log_errmsg(log), "cannot rename"));
    ck_assert_int_eq(console_log_write(log, "efghijklm", 9), 0); /* rotates */
    ck_assert_str_eq(slurp(moved_rot, &len), "cd");
    ck_assert_str_eq(slurp(moved, &len), "efghijklm");
    console_log_close(log);
}
END_TEST

START_TEST(oversized_chunk_keeps_its_newest_bytes)
{
    struct console_log *log;
    size_t len;
    ck_assert_int_eq(console_log_open(path, 4, &log), 0);
    ck_assert_int_eq(console_log_write(log, "0123456789", 10), 0);
    ck_assert_str_eq(slurp(path, &len), "6789");
    console_log_close(log);
}
END_TEST

START_TEST(disk_use_stays_bounded)
{
    struct console_log *log;
    ck_assert_int_eq(console_log_open(path, 1000, &log), 0);
    char chunk[97];
    memset(chunk, 'x', sizeof(chunk));
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(console_log_write(log, chunk, sizeof(chunk)), 0);
    console_log_close(log);
    ck_assert_int_le(file_size(path), 1000);
    ck_assert_int_le(file_size(rotated), 1000);
    ck_assert_int_gt(file_size(rotated), 1000 - (off_t)sizeof(chunk));
}
END_TEST

START_TEST(continues_an_existing_log)
{
    struct console_log *log;
    size_t len;
    ck_assert_int_eq(console_log_open(path, 0, &log), 0);
    console_log_write(log, "first run\n", 10);
    console_log_close(log);
    ck_assert_int_eq(console_log_open(path, 12, &log), 0);
    ck_assert_uint_eq(console_log_size(log), 10);
    ck_assert_int_eq(console_log_write(log, "second\n", 7), 0); /* 17 > 12 */
    console_log_close(log);
    ck_assert_str_eq(slurp(rotated, &len), "first run\n");
    ck_assert_str_eq(slurp(path, &len), "second\n");
}
END_TEST

START_TEST(refuses_fifos_and_links)
{
    struct console_log *log = NULL;
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    /* A FIFO without a reader: must fail at once, never block. */
    int rc = console_log_open(path, 0, &log);
    ck_assert(rc == -ENXIO || rc == -EINVAL);
    unlink(path);

    char target[300];
    snprintf(target, sizeof(target), "%s/elsewhere", dir);
    ck_assert_int_eq(symlink(target, path), 0);
    ck_assert_int_eq(console_log_open(path, 0, &log), -ELOOP);
    ck_assert_int_eq(file_size(target), -1);
}
END_TEST

/* If PATH.1 cannot be replaced, the cap still holds: PATH is truncated,
 * the failure is reported, and logging goes on. */
START_TEST(failed_rotation_truncates_and_reports)
{
    struct console_log *log;
    size_t len;
    char blocker[300];
    ck_assert_int_eq(mkdir(rotated, 0700), 0);
    snprintf(blocker, sizeof(blocker), "%s/keep", rotated);
    ck_assert_int_eq(mkdir(blocker, 0700), 0); /* a non-empty directory */

    ck_assert_int_eq(console_log_open(path, 10, &log), 0);
    ck_assert_int_eq(console_log_write(log, "12345678", 8), 0);
    ck_assert_int_lt(console_log_write(log, "abcd", 4), 0);
    ck_assert_ptr_nonnull(strstr(console_log_errmsg(log), "truncated"));
    ck_assert_str_eq(slurp(path, &len), "abcd");
    ck_assert_int_eq(console_log_write(log, "ef", 2), 0);
    ck_assert_str_eq(console_log_errmsg(log), "");
    ck_assert_str_eq(slurp(path, &len), "abcdef");
    console_log_close(log);
}
END_TEST

static Suite *log_suite(void)
{
    Suite *s = suite_create("console_log");
    TCase *tc = tcase_create("log");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, appends_chunks);
    tcase_add_test(tc, rotates_at_the_cap_without_splitting);
    tcase_add_test(tc, moves_with_its_guest);
    tcase_add_test(tc, oversized_chunk_keeps_its_newest_bytes);
    tcase_add_test(tc, disk_use_stays_bounded);
    tcase_add_test(tc, continues_an_existing_log);
    tcase_add_test(tc, refuses_fifos_and_links);
    tcase_add_test(tc, failed_rotation_truncates_and_reports);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(log_suite());
}
