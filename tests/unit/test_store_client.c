/*
 * test_store_client.c - dom0's client requests (store_client.h) against
 * the real store, over a socketpair: a child process serves the store on
 * its end, as the supervisor does on its socket.  What `chaos save` relies
 * on for a Linux guest: a read, a missing node, and the withdrawal of a
 * suspend request in one transaction.
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_run.h"
#include "store/store.h"
#include "store/store_client.h"

#define GUEST 7
#define SHUTDOWN "/local/domain/7/control/shutdown"
#define TIMEOUT_MS 5000

static int fd = -1;
static pid_t child;
static char err[160];

/* The child: a store with control/shutdown = value (NULL: no node),
 * served on sock until the other end closes. */
static void serve(int sock, const char *value)
{
    struct store *st;
    struct store_conn *c;
    if (store_new(GUEST, NULL, &st) != 0 || store_connect(st, 0, &c) != 0)
        _exit(1);
    if (value && store_put(st, SHUTDOWN, value, STORE_GUEST_OWNS) != 0)
        _exit(1);
    char buf[4096];
    for (;;) {
        ssize_t n = recv(sock, buf, sizeof(buf), 0);
        if (n <= 0)
            _exit(0);
        if (store_conn_input(c, buf, (size_t)n) != n)
            _exit(1);
        const void *out;
        size_t len;
        while ((len = store_conn_peek(c, &out)) > 0) {
            ssize_t w = send(sock, out, len, MSG_NOSIGNAL);
            if (w <= 0)
                _exit(1);
            store_conn_consume(c, (size_t)w);
        }
    }
}

static void start(const char *value)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        close(sv[0]);
        serve(sv[1], value);
    }
    close(sv[1]);
    fd = sv[0];
}

static void stop(void)
{
    int status;
    close(fd);
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
}

START_TEST(write_then_read)
{
    char v[64];
    start("");
    ck_assert_int_eq(store_client_write(fd, SHUTDOWN, "suspend", TIMEOUT_MS,
                                        err, sizeof(err)),
                     0);
    ck_assert_int_eq(store_client_read(fd, SHUTDOWN, v, sizeof(v), TIMEOUT_MS,
                                       err, sizeof(err)),
                     0);
    ck_assert_str_eq(v, "suspend");
    ck_assert_int_eq(store_client_read(fd, "/local/domain/7/none", v, sizeof(v),
                                       TIMEOUT_MS, err, sizeof(err)),
                     -ENOENT);
    stop();
}
END_TEST

START_TEST(swap_withdraws_an_untaken_request)
{
    char v[64], cur[64];
    start("suspend");
    ck_assert_int_eq(store_client_swap(fd, SHUTDOWN, "suspend", "", cur,
                                       sizeof(cur), TIMEOUT_MS, err,
                                       sizeof(err)),
                     1);
    ck_assert_int_eq(store_client_read(fd, SHUTDOWN, v, sizeof(v), TIMEOUT_MS,
                                       err, sizeof(err)),
                     0);
    ck_assert_str_eq(v, "");
    stop();
}
END_TEST

START_TEST(swap_leaves_a_taken_request)
{
    char cur[64];
    start(""); /* the guest cleared it: it took the request */
    ck_assert_int_eq(store_client_swap(fd, SHUTDOWN, "suspend", "", cur,
                                       sizeof(cur), TIMEOUT_MS, err,
                                       sizeof(err)),
                     0);
    ck_assert_str_eq(cur, "");
    stop();
    start(NULL); /* no node at all */
    ck_assert_int_eq(store_client_swap(fd, SHUTDOWN, "suspend", "", cur,
                                       sizeof(cur), TIMEOUT_MS, err,
                                       sizeof(err)),
                     0);
    ck_assert_str_eq(cur, "");
    stop();
}
END_TEST

START_TEST(refusal_is_an_error)
{
    char v[64];
    start("");
    ck_assert_int_eq(
        store_client_write(fd, "bad//path", "x", TIMEOUT_MS, err, sizeof(err)),
        -EIO);
    ck_assert_ptr_nonnull(strstr(err, "EINVAL"));
    ck_assert_int_eq(store_client_read(fd, "bad//path", v, sizeof(v),
                                       TIMEOUT_MS, err, sizeof(err)),
                     -EIO);
    stop();
}
END_TEST

static Suite *client_suite(void)
{
    Suite *su = suite_create("store_client");
    TCase *tc = tcase_create("requests");
    tcase_add_test(tc, write_then_read);
    tcase_add_test(tc, swap_withdraws_an_untaken_request);
    tcase_add_test(tc, swap_leaves_a_taken_request);
    tcase_add_test(tc, refusal_is_an_error);
    suite_add_tcase(su, tc);
    return su;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    return check_run(client_suite());
}
