/*
 * test_console_server.c - the console server with a fake guest: the ring
 * is ordinary memory, a pipe stands in for the event channel (the "guest"
 * writes a byte to notify us, ack reads it), and notify() counts kicks.
 * Clients attach over a real UNIX socket in a temporary directory.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "console/console_server.h"
#include "console/console_socket.h"
#include "check_run.h"

static char dir[] = "/tmp/chaos-test-console-XXXXXX";
static char sock_path[256], log_path[256];
static struct console_ring_page *page;
static int evtchn[2]; /* [0]: the server's fd, [1]: the guest's */
static int kicks;     /* notify() calls */
static struct console_server *srv;

static int fake_ack(void *opaque)
{
    char b[64];
    return read(evtchn[0], b, sizeof(b)) < 0 && errno != EAGAIN ? -errno : 0;
}

static int fake_notify(void *opaque)
{
    kicks++;
    return 0;
}

static struct console_guest fake_guest(void)
{
    return (struct console_guest){
        .ring = page,
        .fd = evtchn[0],
        .ack = fake_ack,
        .notify = fake_notify,
    };
}

static struct console_server_config config(void)
{
    return (struct console_server_config){
        .socket_path = sock_path,
        .log_path = log_path,
    };
}

static void start(const struct console_server_config *cfg)
{
    char err[256] = "";
    struct console_guest g = fake_guest();
    int rc = console_server_open(&g, cfg, &srv, err, sizeof(err));
    ck_assert_msg(rc == 0, "open: %s", err);
}

static void setup(void)
{
    strcpy(dir, "/tmp/chaos-test-console-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    /* The server must create (and lock down) the socket's directory. */
    snprintf(sock_path, sizeof(sock_path), "%s/console/7.sock", dir);
    snprintf(log_path, sizeof(log_path), "%s/guest-7.log", dir);
    page = calloc(1, sizeof(*page));
    ck_assert_ptr_nonnull(page);
    ck_assert_int_eq(pipe2(evtchn, O_NONBLOCK | O_CLOEXEC), 0);
    kicks = 0;
    srv = NULL;
}

static void teardown(void)
{
    console_server_close(srv);
    close(evtchn[0]);
    close(evtchn[1]);
    free(page);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* The guest prints (as much as fits) and notifies. */
static size_t guest_print(const char *text)
{
    size_t n = 0, len = strlen(text);
    while (n < len && page->out_prod - page->out_cons < CONSOLE_RING_OUT_SIZE)
        page->out[page->out_prod++ % CONSOLE_RING_OUT_SIZE] = text[n++];
    ck_assert_int_eq(write(evtchn[1], "!", 1), 1);
    return n;
}

/* One turn of the owner's event loop. */
static void turn(int timeout_ms)
{
    struct pollfd fds[CONSOLE_SERVER_MAX_POLLFDS];
    unsigned n = console_server_pollfds(srv, fds, CONSOLE_SERVER_MAX_POLLFDS);
    int ready = poll(fds, n, timeout_ms);
    ck_assert_int_ge(ready, 0);
    ck_assert_int_eq(console_server_handle(srv, fds, ready ? n : 0), 0);
}

static void turns(int count)
{
    for (int i = 0; i < count; i++)
        turn(5);
}

static int attach(void)
{
    int fd = console_socket_connect(sock_path);
    ck_assert_int_ge(fd, 0);
    turns(3);
    return fd;
}

/* Reads from a client until want has arrived (or a timeout fails). */
static void expect(int fd, const char *want)
{
    static char got[1 << 16];
    size_t len = 0;
    for (int tries = 0; tries < 200; tries++) {
        turn(0);
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 10) == 1) {
            ssize_t n = read(fd, got + len, sizeof(got) - 1 - len);
            ck_assert_int_gt(n, 0);
            len += (size_t)n;
            got[len] = '\0';
            if (memmem(got, len, want, strlen(want))) /* may hold NULs */
                return;
        }
    }
    ck_abort_msg("expected \"%s\", got \"%s\"", want, got);
}

/* Reads whatever a client gets within a few turns. */
static size_t drain_client(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    for (int tries = 0; tries < 20; tries++) {
        turn(0);
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 5) != 1)
            continue;
        ssize_t n = read(fd, buf + len, cap - len);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    return len;
}

static char *slurp(const char *p)
{
    static char buf[65536];
    size_t len = 0;
    FILE *f = fopen(p, "r");
    if (f) {
        len = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
    }
    buf[len] = '\0';
    return buf;
}

START_TEST(socket_and_directory_are_private)
{
    struct console_server_config cfg = config();
    start(&cfg);
    struct stat st;
    ck_assert_int_eq(lstat(sock_path, &st), 0);
    ck_assert(S_ISSOCK(st.st_mode));
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    char console_dir[300];
    snprintf(console_dir, sizeof(console_dir), "%s/console", dir);
    ck_assert_int_eq(stat(console_dir, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0700);
    console_server_close(srv);
    srv = NULL;
    ck_assert_int_eq(lstat(sock_path, &st), -1); /* removed on close */
}
END_TEST

/* What the guest printed before anyone listened is not lost. */
START_TEST(early_output_reaches_log_and_backlog)
{
    guest_print("Linux version 6.1\r\n");
    struct console_server_config cfg = config();
    start(&cfg);
    ck_assert_int_eq(page->out_cons, page->out_prod);
    ck_assert_int_gt(kicks, 0); /* told the guest there is room */
    ck_assert_str_eq(slurp(log_path), "Linux version 6.1\r\n");
    int c = attach();
    expect(c, "Linux version 6.1\r\n");
    close(c);
}
END_TEST

START_TEST(backlog_then_live_output)
{
    struct console_server_config cfg = config();
    start(&cfg);
    guest_print("before attach\r\n");
    turns(2);
    int c = attach();
    expect(c, "before attach\r\n");
    guest_print("after attach\r\n");
    expect(c, "after attach\r\n");
    ck_assert_str_eq(slurp(log_path), "before attach\r\nafter attach\r\n");
    close(c);
}
END_TEST

START_TEST(backlog_keeps_the_newest_bytes)
{
    struct console_server_config cfg = config();
    cfg.backlog_bytes = 8;
    start(&cfg);
    guest_print("0123456789abcdef");
    turns(2);
    int c = attach();
    char got[64];
    size_t n = drain_client(c, got, sizeof(got));
    ck_assert_uint_eq(n, 8);
    ck_assert_mem_eq(got, "89abcdef", 8);
    close(c);
}
END_TEST

/* A server taking over a guest starts its backlog from the log's tail. */
START_TEST(backlog_starts_from_the_log_tail)
{
    FILE *f = fopen(log_path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("said to the old server\r\n", f);
    fclose(f);
    struct console_server_config cfg = config();
    cfg.backlog_bytes = 16;
    start(&cfg);
    guest_print("new\r\n");
    turns(2);
    int c = attach();
    char got[64];
    size_t n = drain_client(c, got, sizeof(got));
    ck_assert_uint_eq(n, 16);
    ck_assert_mem_eq(got, "ld server\r\nnew\r\n", 16);
    ck_assert_str_eq(slurp(log_path), "said to the old server\r\nnew\r\n");
    close(c);
}
END_TEST

/* A client that followed the old server (chaos-oci's keeper) skips the
 * log's tail: it gets only what the new server collected, also when new
 * output pushed part of the tail out of the backlog. */
START_TEST(resuming_client_skips_the_log_tail)
{
    FILE *f = fopen(log_path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("said to the old server\r\n", f);
    fclose(f);
    struct console_server_config cfg = config();
    cfg.backlog_bytes = 16;
    start(&cfg);
    guest_print("new\r\n");
    turns(2);
    int c = console_socket_connect_resume(sock_path);
    ck_assert_int_ge(c, 0);
    turns(3);
    char got[64];
    size_t n = drain_client(c, got, sizeof(got));
    ck_assert_uint_eq(n, 5);
    ck_assert_mem_eq(got, "new\r\n", 5);
    /* More output: the tail leaves the backlog, the new output stays. */
    guest_print("0123456789\r\n");
    turns(2);
    expect(c, "0123456789\r\n");
    int d = console_socket_connect_resume(sock_path);
    ck_assert_int_ge(d, 0);
    turns(3);
    n = drain_client(d, got, sizeof(got));
    ck_assert_uint_eq(n, 16);
    ck_assert_mem_eq(got, "ew\r\n0123456789\r\n", 16);
    /* A plain client gets the backlog whole, as before. */
    int e = attach();
    n = drain_client(e, got, sizeof(got));
    ck_assert_uint_eq(n, 16);
    close(c);
    close(d);
    close(e);
}
END_TEST

START_TEST(keystrokes_reach_the_input_ring)
{
    struct console_server_config cfg = config();
    start(&cfg);
    int c = attach();
    int before = kicks;
    ck_assert_int_eq(write(c, "root\r", 5), 5);
    turns(3);
    ck_assert_uint_eq(page->in_prod, 5);
    ck_assert_mem_eq(page->in, "root\r", 5);
    ck_assert_int_gt(kicks, before);
    close(c);
}
END_TEST

/* A guest that does not read its keyboard: 1 KiB fills its ring, 4 KiB
 * wait in the server, the rest waits in the socket.  Nothing is lost once
 * the guest reads. */
START_TEST(input_waits_for_a_slow_guest)
{
    struct console_server_config cfg = config();
    start(&cfg);
    int c = attach();
    static char keys[10000], got[10000];
    for (size_t i = 0; i < sizeof(keys); i++)
        keys[i] = (char)('a' + i % 26);
    ck_assert_int_eq(write(c, keys, sizeof(keys)), (ssize_t)sizeof(keys));
    size_t ngot = 0;
    for (int round = 0; round < 100 && ngot < sizeof(got); round++) {
        turns(2);
        ck_assert_uint_le(page->in_prod - page->in_cons, CONSOLE_RING_IN_SIZE);
        while (page->in_cons != page->in_prod) /* the guest reads */
            got[ngot++] = page->in[page->in_cons++ % CONSOLE_RING_IN_SIZE];
        ck_assert_int_eq(write(evtchn[1], "!", 1), 1);
    }
    ck_assert_uint_eq(ngot, sizeof(keys));
    ck_assert_mem_eq(got, keys, sizeof(keys));
    close(c);
}
END_TEST

START_TEST(several_clients_see_the_output)
{
    struct console_server_config cfg = config();
    start(&cfg);
    int a = attach(), b = attach();
    ck_assert_uint_eq(console_server_clients(srv), 2);
    guest_print("for everyone\r\n");
    expect(a, "for everyone");
    expect(b, "for everyone");
    close(a);
    turns(3);
    ck_assert_uint_eq(console_server_clients(srv), 1);
    guest_print("still here\r\n");
    expect(b, "still here");
    close(b);
}
END_TEST

START_TEST(too_many_clients_are_told_and_refused)
{
    struct console_server_config cfg = config();
    cfg.max_clients = 1;
    start(&cfg);
    int a = attach(), b = attach();
    ck_assert_uint_eq(console_server_clients(srv), 1);
    expect(b, "too many clients");
    char buf[64];
    ck_assert_int_eq(read(b, buf, sizeof(buf)), 0); /* then closed */
    ck_assert_ptr_nonnull(console_server_take_warning(srv));
    close(a);
    close(b);
}
END_TEST

/* A client that shut down its sending side still wants the output. */
START_TEST(half_closed_client_keeps_receiving)
{
    struct console_server_config cfg = config();
    start(&cfg);
    int c = attach();
    ck_assert_int_eq(shutdown(c, SHUT_WR), 0);
    turns(3);
    ck_assert_uint_eq(console_server_clients(srv), 1);
    guest_print("output only\r\n");
    expect(c, "output only");
    close(c);
}
END_TEST

/* A client that never reads is cut off; the guest and others go on. */
START_TEST(stuck_client_is_dropped)
{
    struct console_server_config cfg = config();
    cfg.client_queue_bytes = 4096;
    start(&cfg);
    int stuck = attach(), good = attach();
    char line[1025], sink[4096];
    memset(line, 'x', sizeof(line) - 1);
    line[sizeof(line) - 1] = '\0';
    /* Enough to fill the socket buffers and then the queue. */
    for (int i = 0; i < 4000 && console_server_clients(srv) == 2; i++) {
        guest_print(line);
        turn(0);
        while (recv(good, sink, sizeof(sink), MSG_DONTWAIT) > 0)
            ;
    }
    ck_assert_uint_eq(console_server_clients(srv), 1);
    const char *w = console_server_take_warning(srv);
    ck_assert_ptr_nonnull(w);
    ck_assert_ptr_nonnull(strstr(w, "keep up"));
    ck_assert_ptr_null(console_server_take_warning(srv)); /* taken */
    guest_print("the end\r\n");
    expect(good, "the end");
    close(stuck);
    close(good);
}
END_TEST

/* A guest lying about its indices: reported once, nothing read out of
 * bounds (the sanitizers watch), and the console works afterwards. */
START_TEST(hostile_indices_are_survived)
{
    struct console_server_config cfg = config();
    start(&cfg);
    int c = attach();
    page->out_prod = page->out_cons + 1000000;
    page->in_cons = page->in_prod + 5000;
    ck_assert_int_eq(write(evtchn[1], "!", 1), 1);
    ck_assert_int_eq(write(c, "key", 3), 3);
    turns(3);
    const char *w = console_server_take_warning(srv);
    ck_assert_ptr_nonnull(w);
    ck_assert_ptr_nonnull(strstr(w, "inconsistent"));
    ck_assert_uint_le(page->out_prod - page->out_cons, CONSOLE_RING_OUT_SIZE);
    page->in_cons = page->in_prod; /* the guest behaves */
    guest_print("recovered\r\n");
    expect(c, "recovered");
    turns(2);
    ck_assert_uint_eq(page->in_prod - page->in_cons, 3);
    close(c);
}
END_TEST

/* A socket left by a dead server is replaced; a live one is not. */
START_TEST(stale_socket_replaced_live_one_kept)
{
    struct console_server_config cfg = config();
    start(&cfg);
    char err[256];
    struct console_server *second;
    struct console_guest g = fake_guest();
    ck_assert_int_eq(console_server_open(&g, &cfg, &second, err, sizeof(err)),
                     -EADDRINUSE);
    ck_assert_ptr_nonnull(strstr(err, "already serves"));

    /* Make a stale socket: bound, then its listener closed, file left. */
    console_server_close(srv);
    srv = NULL;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    strcpy(sa.sun_path, sock_path);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    close(fd);
    start(&cfg);
    int c = attach();
    guest_print("new server\r\n");
    expect(c, "new server");
    close(c);
}
END_TEST

START_TEST(works_without_a_log)
{
    struct console_server_config cfg = config();
    cfg.log_path = NULL;
    start(&cfg);
    int c = attach();
    guest_print("no log\r\n");
    expect(c, "no log");
    ck_assert_int_eq(access(log_path, F_OK), -1);
    close(c);
}
END_TEST

/* A server opened before its guest had a name (a supervisor prepared
 * ahead) starts its log later: what the guest printed meanwhile is in
 * it, and a client attached before sees the same; a second start is
 * refused. */
START_TEST(log_started_after_open)
{
    struct console_server_config cfg = config();
    cfg.log_path = NULL;
    start(&cfg);
    int c = console_socket_connect(sock_path);
    ck_assert_int_ge(c, 0);
    guest_print("first line\r\n");
    char err[256] = "";
    ck_assert_int_eq(
        console_server_start_log(srv, log_path, 0, err, sizeof(err)), 0);
    ck_assert_str_eq(slurp(log_path), "first line\r\n");
    ck_assert_int_eq(page->out_cons, page->out_prod);
    turns(3); /* accepts the client: the backlog is its first output */
    expect(c, "first line\r\n");
    guest_print("second\r\n");
    expect(c, "second\r\n");
    ck_assert_str_eq(slurp(log_path), "first line\r\nsecond\r\n");
    ck_assert_int_eq(
        console_server_start_log(srv, log_path, 0, err, sizeof(err)),
        -EALREADY);
    close(c);
}
END_TEST

/* A client gone is an fd closed: the count its owner's watches follow
 * (chaos_supervisor_fds_generation).  Clients that come do not count. */
START_TEST(closed_client_fds_are_counted)
{
    struct console_server_config cfg = config();
    start(&cfg);
    int a = attach(), b = attach();
    ck_assert_uint_eq(console_server_closes(srv), 0);
    close(a);
    for (int i = 0; i < 50 && console_server_closes(srv) == 0; i++) {
        guest_print("x");
        turns(1);
    }
    ck_assert_uint_eq(console_server_closes(srv), 1);
    guest_print("still here\r\n");
    expect(b, "still here\r\n");
    ck_assert_uint_eq(console_server_closes(srv), 1);
    close(b);
}
END_TEST

START_TEST(bad_paths_are_refused)
{
    struct console_server_config cfg = config();
    char err[256];
    struct console_guest g = fake_guest();
    cfg.socket_path = "nodir.sock";
    ck_assert_int_eq(console_server_open(&g, &cfg, &srv, err, sizeof(err)),
                     -EINVAL);
    cfg = config();
    cfg.log_path = dir; /* a directory, not a file */
    ck_assert_int_lt(console_server_open(&g, &cfg, &srv, err, sizeof(err)), 0);
    ck_assert_ptr_nonnull(strstr(err, "console log"));
    srv = NULL;
}
END_TEST

static Suite *server_suite(void)
{
    Suite *s = suite_create("console_server");
    TCase *tc = tcase_create("server");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, socket_and_directory_are_private);
    tcase_add_test(tc, early_output_reaches_log_and_backlog);
    tcase_add_test(tc, backlog_then_live_output);
    tcase_add_test(tc, backlog_keeps_the_newest_bytes);
    tcase_add_test(tc, backlog_starts_from_the_log_tail);
    tcase_add_test(tc, resuming_client_skips_the_log_tail);
    tcase_add_test(tc, keystrokes_reach_the_input_ring);
    tcase_add_test(tc, input_waits_for_a_slow_guest);
    tcase_add_test(tc, several_clients_see_the_output);
    tcase_add_test(tc, too_many_clients_are_told_and_refused);
    tcase_add_test(tc, half_closed_client_keeps_receiving);
    tcase_add_test(tc, stuck_client_is_dropped);
    tcase_add_test(tc, hostile_indices_are_survived);
    tcase_add_test(tc, stale_socket_replaced_live_one_kept);
    tcase_add_test(tc, works_without_a_log);
    tcase_add_test(tc, log_started_after_open);
    tcase_add_test(tc, closed_client_fds_are_counted);
    tcase_add_test(tc, bad_paths_are_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(server_suite());
}
