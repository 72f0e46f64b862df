/*
 * test_tinyx_stdin.c - a container's stdin over the guest's console.  The
 * framing (tinyx/stdin_frame.c): every byte value through the encoder,
 * Linux's hvc driver (its ^O SysRq rule, played here as hvc_console.c
 * does it) and the decoder, split at every boundary; the end frame; a
 * broken or truncated stream; hostile input never overruns.  And the
 * guest's helper itself (tinyx/tinyx-stdin), run on a pseudo-terminal in
 * place of hvc0, this test playing dom0: the ready line on a raw
 * terminal, no echo, every byte value into the program's stdin (a pipe,
 * not a tty), end of file at the end frame, the program's status, the
 * decoder gone; a broken frame said and ending stdin; a program that
 * does not read (the decoder ends on EPIPE); one that cannot be run
 * (127); no console (the program reads /dev/null).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <check.h>

#include "check_run.h"
#include "stdin_frame.h"

#define HELPER TINYX_BUILDDIR "/tinyx-stdin"

/* What Linux's hvc driver hands the tty (hvc_console.c, __hvc_poll): a
 * ^O starts a SysRq key, a second ^O is one ^O.  A SysRq key pressed
 * fails the test: the encoder must never let one through. */
static size_t hvc(const uint8_t *in, size_t n, uint8_t *out)
{
    bool pressed = false;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (in[i] == TX_STDIN_SYSRQ) {
            pressed = !pressed;
            if (pressed)
                continue;
        } else if (pressed) {
            ck_abort_msg("byte %zu (0x%02x) taken as a SysRq key", i, in[i]);
        }
        out[m++] = in[i];
    }
    ck_assert_msg(!pressed, "the stream ends inside a SysRq key");
    return m;
}

/* Data of every byte value, runs of the special ones, and text. */
static size_t sample(uint8_t *data)
{
    size_t n = 0;
    for (int i = 0; i < 256; i++)
        data[n++] = (uint8_t)i;
    static const uint8_t runs[] = { 0xff, 0xff, 0xff, 0x0f, 0x0f, 0xff,
                                    0x0f, 0x04, 0xff, 0x04, 0x00, 0x03,
                                    0x1a, 0x0d, 0x0a, 0x7f, 0x15, 0x11 };
    memcpy(data + n, runs, sizeof(runs));
    n += sizeof(runs);
    memcpy(data + n, "line one\nline two\r\n", 19);
    return n + 19;
}

/* The wire as the guest's tty gets it: data, the end frame, through hvc
 * (with SysRq keys, as Debian's kernel; without, ^O passes doubled). */
static bool with_sysrq;
static size_t wire(const uint8_t *data, size_t n, uint8_t *out)
{
    uint8_t *enc = malloc(TX_STDIN_ENCODED_MAX(n) + 2);
    size_t e = tx_stdin_encode(data, n, enc);
    ck_assert_uint_le(e, TX_STDIN_ENCODED_MAX(n));
    e += tx_stdin_encode_eof(enc + e);
    size_t m = e;
    if (with_sysrq)
        m = hvc(enc, e, out);
    else
        memcpy(out, enc, e);
    free(enc);
    return m;
}

START_TEST(test_encode)
{
    uint8_t out[16];
    static const struct {
        const char *in, *out;
        size_t inlen, outlen;
    } v[] = {
        { "ab", "ab", 2, 2 },
        { "\xff", "\xff\xff", 1, 2 },
        { "\x0f", "\x0f\x0f", 1, 2 },
        { "\x04\x00\x03", "\x04\x00\x03", 3, 3 },
        { "a\xff\x0f"
          "b",
          "a\xff\xff\x0f\x0f"
          "b",
          4, 6 },
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(*v); i++) {
        size_t n = tx_stdin_encode((const uint8_t *)v[i].in, v[i].inlen, out);
        ck_assert_uint_eq(n, v[i].outlen);
        ck_assert(memcmp(out, v[i].out, n) == 0);
    }
    ck_assert_uint_eq(tx_stdin_encode_eof(out), 2);
    ck_assert(memcmp(out, "\xff\x04", 2) == 0);
}
END_TEST

/* Every byte value round trip, the wire split in two at every place,
 * and fed one byte at a time; through an hvc with SysRq keys (_i 1) and
 * one without (_i 0: the decoder undoes the doubled ^O). */
START_TEST(test_round_trip)
{
    uint8_t data[512], w[1100], out[1100];
    with_sysrq = _i;
    size_t n = sample(data), wn = wire(data, n, w);
    for (size_t split = 0; split <= wn; split++) {
        struct tx_stdin_dec d;
        tx_stdin_dec_init(&d, with_sysrq);
        size_t m = tx_stdin_decode(&d, w, split, out);
        m += tx_stdin_decode(&d, w + split, wn - split, out + m);
        ck_assert_uint_eq(m, n);
        ck_assert_msg(memcmp(out, data, n) == 0, "split at %zu", split);
        ck_assert_int_eq(d.state, TX_STDIN_END);
    }
    struct tx_stdin_dec d;
    tx_stdin_dec_init(&d, with_sysrq);
    size_t m = 0;
    for (size_t i = 0; i < wn; i++) {
        ck_assert_int_eq(d.state, TX_STDIN_OPEN);
        m += tx_stdin_decode(&d, w + i, 1, out + m);
    }
    ck_assert_uint_eq(m, n);
    ck_assert(memcmp(out, data, n) == 0);
    ck_assert_int_eq(d.state, TX_STDIN_END);
    /* After the end: nothing more. */
    ck_assert_uint_eq(tx_stdin_decode(&d, (const uint8_t *)"more", 4, out), 0);
    ck_assert_int_eq(d.state, TX_STDIN_END);
}
END_TEST

START_TEST(test_hostile)
{
    uint8_t out[8];
    struct tx_stdin_dec d;
    /* ESC and any byte but ESC or EOF: broken there, the rest ignored. */
    for (int x = 0; x < 256; x++) {
        if (x == TX_STDIN_ESC || x == TX_STDIN_EOF)
            continue;
        uint8_t in[] = { 'o', 'k', TX_STDIN_ESC, (uint8_t)x, 'z', 'z' };
        tx_stdin_dec_init(&d, _i);
        ck_assert_uint_eq(tx_stdin_decode(&d, in, sizeof(in), out), 2);
        ck_assert(memcmp(out, "ok", 2) == 0);
        ck_assert_int_eq(d.state, TX_STDIN_BROKEN);
        ck_assert_uint_eq(tx_stdin_decode(&d, in, sizeof(in), out), 0);
    }
    /* Truncated: an ESC at the end waits for its second byte. */
    tx_stdin_dec_init(&d, _i);
    ck_assert_uint_eq(tx_stdin_decode(&d, (const uint8_t *)"ab\xff", 3, out),
                      2);
    ck_assert_int_eq(d.state, TX_STDIN_OPEN);
    ck_assert(d.esc);
    ck_assert_uint_eq(tx_stdin_decode(&d, (const uint8_t *)"\xff", 1, out), 1);
    ck_assert_uint_eq(out[0], 0xff);
    ck_assert_uint_eq(tx_stdin_decode(&d, NULL, 0, out), 0);
    ck_assert_int_eq(d.state, TX_STDIN_OPEN);
    /* Without SysRq keys: a lone ^O (never sent) stays one ^O, also at
     * the end frame and across calls; ^O^O^O is two. */
    if (!_i) {
        tx_stdin_dec_init(&d, false);
        ck_assert_uint_eq(tx_stdin_decode(&d, (const uint8_t *)"a\x0f", 2, out),
                          1);
        ck_assert_uint_eq(
            tx_stdin_decode(&d, (const uint8_t *)"b\x0f\x0f\x0f", 4, out), 3);
        ck_assert(memcmp(out,
                         "\x0f"
                         "b\x0f",
                         3) == 0);
        ck_assert_uint_eq(
            tx_stdin_decode(&d, (const uint8_t *)"\xff\x04", 2, out), 1);
        ck_assert_uint_eq(out[0], 0x0f);
        ck_assert_int_eq(d.state, TX_STDIN_END);
    }
    /* Never more out than in over a stream, at most one more per call
     * (a held ^O), whatever comes (a guard byte after). */
    srand(15);
    for (int round = 0; round < 2000; round++) {
        uint8_t in[64], o[66];
        size_t n = (size_t)(rand() % 65), total = 0;
        for (size_t i = 0; i < n; i++)
            in[i] = (uint8_t)(rand() % 4 == 0   ? 0xff
                              : rand() % 4 == 0 ? 0x0f
                                                : rand());
        tx_stdin_dec_init(&d, _i);
        size_t half = n / 2;
        o[half + 1] = 0xa5;
        size_t k = tx_stdin_decode(&d, in, half, o);
        ck_assert_uint_le(k, half);
        ck_assert_uint_eq(o[half + 1], 0xa5);
        total += k;
        o[n - half + 1] = 0xa5;
        k = tx_stdin_decode(&d, in + half, n - half, o);
        ck_assert_uint_le(k, n - half + 1);
        ck_assert_uint_eq(o[n - half + 1], 0xa5);
        total += k;
        ck_assert_uint_le(total, n);
    }
}
END_TEST

/* ------------------------------------------------------------ the program */

/* Reads fd until a newline, up to cap-1 bytes, waiting up to 10 s. */
static size_t read_line(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    while (n + 1 < cap) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 10000) <= 0)
            break;
        ssize_t r = read(fd, buf + n, 1);
        if (r <= 0)
            break;
        if (buf[n++] == '\n')
            break;
    }
    buf[n] = '\0';
    return n;
}

struct run {
    char dir[64], out[96];
    int master, slave; /* the slave kept open: no hang-up on the master */
    pid_t pid;         /* tinyx-stdin, then the program */
};

/* Starts tinyx-stdin running argv (NULL-terminated) on a new
 * pseudo-terminal (cooked, as a console starts), this process the
 * subreaper that gets its decoder; r->out is a file in a new folder. */
static void start(struct run *r, const char *const *argv)
{
    strcpy(r->dir, "/tmp/test-tinyx-stdin-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(r->dir));
    snprintf(r->out, sizeof(r->out), "%s/out", r->dir);
    ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    ck_assert_int_eq(openpty(&r->master, &r->slave, NULL, NULL, NULL), 0);
    r->pid = fork();
    ck_assert_int_ge(r->pid, 0);
    if (r->pid == 0) {
        for (int fd = 0; fd < 3; fd++)
            dup2(r->slave, fd);
        close(r->slave);
        close(r->master);
        /* A pty passes ^O^O as it is, as hvc without SysRq keys. */
        setenv("TINYX_STDIN_HVC_SYSRQ", "0", 1);
        execv(HELPER, (char *const *)argv);
        _exit(99);
    }
}

/* The ready line comes, after the console was made raw. */
static void expect_ready(struct run *r)
{
    char line[128];
    read_line(r->master, line, sizeof(line));
    /* "\n" alone, not the tty's "\r\n": output is raw too. */
    ck_assert_str_eq(line, TX_STDIN_READY "\n");
    struct termios t;
    ck_assert_int_eq(tcgetattr(r->slave, &t), 0);
    ck_assert(!(t.c_lflag & (ECHO | ICANON | ISIG | IEXTEN)));
    ck_assert(!(t.c_oflag & OPOST));
    ck_assert(!(t.c_iflag & (ICRNL | INLCR | IGNCR | IXON | ISTRIP | PARMRK)));
}

/* Waits for pid: its exit status (-1 if it did not exit). */
static int status_of(pid_t pid)
{
    int st;
    pid_t got = waitpid(pid, &st, 0);
    ck_assert_int_eq(got, pid < 0 ? got : pid);
    ck_assert_int_gt(got, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The whole file (NUL-free or not), its length in *len. */
static uint8_t *slurp(const char *path, size_t *len)
{
    static uint8_t buf[4096];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
    ssize_t n = read(fd, buf, sizeof(buf));
    close(fd);
    ck_assert_int_ge(n, 0);
    *len = (size_t)n;
    return buf;
}

static void cleanup(struct run *r)
{
    char path[128];
    close(r->master);
    close(r->slave);
    snprintf(path, sizeof(path), "%s.tty", r->out);
    unlink(path);
    unlink(r->out);
    rmdir(r->dir);
}

/* The program copies its stdin to r->out and says if it is a tty. */
#define COPY_ARGV(r)                                                       \
    (const char *const[])                                                  \
    {                                                                      \
        "tinyx-stdin", "/bin/sh", "-c",                                    \
            "[ -t 0 ] && echo tty >\"$0.tty\"; cat >\"$0\"", (r).out, NULL \
    }

START_TEST(test_program)
{
    struct run r;
    strcpy(r.out, "");
    start(&r, COPY_ARGV(r));
    expect_ready(&r);
    uint8_t data[512], w[1100];
    size_t n = sample(data), wn = wire(data, n, w);
    ck_assert_int_eq(write(r.master, w, wn), (ssize_t)wn);
    /* The program reads every byte, then end of file, and ends. */
    ck_assert_int_eq(status_of(r.pid), 0);
    size_t len;
    uint8_t *got = slurp(r.out, &len);
    ck_assert_uint_eq(len, n);
    ck_assert(memcmp(got, data, n) == 0);
    char tty[128];
    snprintf(tty, sizeof(tty), "%s.tty", r.out);
    ck_assert_msg(access(tty, F_OK) < 0, "the program's stdin is a tty");
    /* Nothing echoed back to dom0; the decoder ended. */
    struct pollfd p = { .fd = r.master, .events = POLLIN };
    ck_assert_int_eq(poll(&p, 1, 200), 0);
    ck_assert_int_eq(status_of(-1), 0);
    cleanup(&r);
}
END_TEST

START_TEST(test_program_broken)
{
    struct run r;
    strcpy(r.out, "");
    start(&r, COPY_ARGV(r));
    expect_ready(&r);
    ck_assert_int_eq(write(r.master, "ok\xff\x01more", 8), 8);
    ck_assert_int_eq(status_of(r.pid), 0);
    size_t len;
    uint8_t *got = slurp(r.out, &len);
    ck_assert_uint_eq(len, 2);
    ck_assert(memcmp(got, "ok", 2) == 0);
    char line[256];
    read_line(r.master, line, sizeof(line));
    ck_assert_msg(strstr(line, "tinyx-stdin: a broken frame"), "%s", line);
    ck_assert_int_eq(status_of(-1), 1);
    cleanup(&r);
}
END_TEST

/* The program ends without reading: its status; the decoder's next
 * write meets EPIPE and it ends too, quietly. */
START_TEST(test_program_no_reader)
{
    struct run r;
    static const char *const argv[] = { "tinyx-stdin", "/bin/sh", "-c",
                                        "exit 3", NULL };
    start(&r, argv);
    expect_ready(&r);
    ck_assert_int_eq(status_of(r.pid), 3);
    ck_assert_int_eq(write(r.master, "late", 4), 4);
    ck_assert_int_eq(status_of(-1), 0);
    cleanup(&r);
}
END_TEST

/* A program that cannot be run: 127 and the reason, as a shell. */
START_TEST(test_program_not_found)
{
    struct run r;
    static const char *const argv[] = { "tinyx-stdin", "/nonexistent/prog",
                                        NULL };
    start(&r, argv);
    expect_ready(&r);
    ck_assert_int_eq(status_of(r.pid), 127);
    char line[256];
    read_line(r.master, line, sizeof(line));
    ck_assert_msg(strstr(line, "tinyx-stdin: /nonexistent/prog: "), "%s", line);
    ck_assert_int_eq(write(r.master, "x", 1), 1);
    ck_assert_int_eq(status_of(-1), 0);
    cleanup(&r);
}
END_TEST

/* No console (stdin not a terminal): said, no ready line, the program
 * reads /dev/null. */
START_TEST(test_program_no_console)
{
    int out[2];
    ck_assert_int_eq(pipe(out), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int fd = open("/dev/zero", O_RDONLY);
        dup2(fd, 0);
        dup2(out[1], 1);
        dup2(out[1], 2);
        execl(HELPER, "tinyx-stdin", "/bin/sh", "-c",
              "head -c 4 | wc -c; echo rc=$?", (char *)NULL);
        _exit(99);
    }
    close(out[1]);
    char text[512];
    size_t n = 0;
    ssize_t k;
    while (n < sizeof(text) - 1 &&
           (k = read(out[0], text + n, sizeof(text) - 1 - n)) > 0)
        n += (size_t)k;
    text[n] = '\0';
    close(out[0]);
    ck_assert_int_eq(status_of(pid), 0);
    /* /dev/zero was stdin: 4 bytes would have come from it. */
    ck_assert_msg(strstr(text, "tinyx-stdin: the console (stdin): ") &&
                      strstr(text, "the program reads /dev/null") &&
                      strstr(text, "0\nrc=0\n") &&
                      !strstr(text, TX_STDIN_READY),
                  "%s", text);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tinyx_stdin");
    TCase *tc = tcase_create("frame");
    tcase_add_test(tc, test_encode);
    tcase_add_loop_test(tc, test_round_trip, 0, 2);
    tcase_add_loop_test(tc, test_hostile, 0, 2);
    suite_add_tcase(s, tc);
    TCase *prog = tcase_create("program");
    tcase_add_test(prog, test_program);
    tcase_add_test(prog, test_program_broken);
    tcase_add_test(prog, test_program_no_reader);
    tcase_add_test(prog, test_program_not_found);
    tcase_add_test(prog, test_program_no_console);
    tcase_set_timeout(prog, 60);
    suite_add_tcase(s, prog);
    return check_run(s);
}
