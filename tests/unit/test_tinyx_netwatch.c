/*
 * test_tinyx_netwatch.c - tinyx-netwatch, the guest-side helper of tinyx
 * --net images.  Its pure part (tinyx/netwatch_msg.c): XenStore requests
 * as /dev/xen/xenbus takes them, headers as it gives them (a payload over
 * the limit refused), and the checks on what the store answers: the back
 * end's path and its ip key (A.B.C.D or A.B.C.D/LEN, libxl's first word;
 * anything else, e.g. a hostile or damaged value, gives no address).
 * And the program itself (tinyx/netwatch.c), built here with a raw pty
 * in place of /dev/xen/xenbus, this test playing Linux's xenbus: the
 * watch, the event at registration, a resume, an event while a reply is
 * awaited, bad answers, a message over the limit (the helper ends).
 * Its numbers for the kernel (nw_addr, nw_mask) and the gratuitous ARP
 * it sends (nw_arp_announce); the program given an interface that does
 * not exist: it says what failed, one line each, and keeps watching (the
 * interface work itself is the lab's: test-chaosd-template-linux).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <check.h>

#include "check_run.h"
#include "netwatch_msg.h"
#include "tinyx_testlib.h"

static uint32_t get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

START_TEST(test_request)
{
    uint8_t buf[64];
    size_t n =
        nw_request(buf, sizeof(buf), NW_XS_WATCH, 7, "device/vif/0", "tok");
    ck_assert_uint_eq(n, 16 + 13 + 4);
    ck_assert_uint_eq(get32(buf), NW_XS_WATCH);
    ck_assert_uint_eq(get32(buf + 4), 7);
    ck_assert_uint_eq(get32(buf + 8), 0);
    ck_assert_uint_eq(get32(buf + 12), 17);
    ck_assert(memcmp(buf + 16, "device/vif/0\0tok\0", 17) == 0);
    n = nw_request(buf, sizeof(buf), NW_XS_READ, 8, "a/ip", NULL);
    ck_assert_uint_eq(n, 16 + 5);
    ck_assert_uint_eq(get32(buf + 12), 5);
    /* Too long for the buffer, or for the protocol: nothing. */
    ck_assert_uint_eq(nw_request(buf, 20, NW_XS_READ, 1, "abcdefgh", NULL), 0);
    static uint8_t big[8192];
    static char path[4200];
    memset(path, 'a', sizeof(path) - 1);
    ck_assert_uint_eq(nw_request(big, sizeof(big), NW_XS_READ, 1, path, NULL),
                      0);
}
END_TEST

START_TEST(test_header)
{
    uint8_t h[16] = { 0 };
    uint32_t type, len, v = NW_XS_WATCH_EVENT, l = 4096;
    memcpy(h, &v, 4);
    memcpy(h + 12, &l, 4);
    ck_assert_int_eq(nw_header(h, &type, &len), 0);
    ck_assert_uint_eq(type, NW_XS_WATCH_EVENT);
    ck_assert_uint_eq(len, 4096);
    l = 4097;
    memcpy(h + 12, &l, 4);
    ck_assert_int_eq(nw_header(h, &type, &len), -1);
    l = UINT32_MAX;
    memcpy(h + 12, &l, 4);
    ck_assert_int_eq(nw_header(h, &type, &len), -1);
}
END_TEST

START_TEST(test_ip)
{
    static const struct {
        const char *in, *out;
    } good[] = {
        { "10.0.0.11", "10.0.0.11" },
        { "10.0.0.11/24", "10.0.0.11/24" },
        { "255.255.255.255/32", "255.255.255.255/32" },
        { "0.0.0.0/1", "0.0.0.0/1" },
        { "10.0.0.2 10.0.0.3", "10.0.0.2" }, /* libxl: several */
    };
    static const char *const bad[] = {
        "",           "10.0.0",          "10.0.0.256",   "10.0.0.1/33",
        "10.0.0.1/0", "10.0.0.1/",       "10.0.0.01",    "1.2.3.4.5",
        "a.b.c.d",    "10.0.0.1;reboot", "10.0.0.1/24x", "-1.0.0.0",
        "1000.0.0.1", "10..0.1",         " 10.0.0.1",    "10.0.0.1/024",
    };
    char out[24];
    for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
        ck_assert_msg(nw_ip(good[i].in, strlen(good[i].in), out, sizeof(out)) ==
                          0,
                      "%s refused", good[i].in);
        ck_assert_str_eq(out, good[i].out);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        ck_assert_msg(nw_ip(bad[i], strlen(bad[i]), out, sizeof(out)) == -1,
                      "%s accepted", bad[i]);
        ck_assert_str_eq(out, "");
    }
    /* The store's value is not NUL-terminated: only len counts. */
    ck_assert_int_eq(nw_ip("10.0.0.1/249", 10, out, sizeof(out)), 0);
    ck_assert_str_eq(out, "10.0.0.1/2");
    /* A value with a NUL inside is cut there, and must then be whole. */
    ck_assert_int_eq(nw_ip("10.0.0\0.1", 9, out, sizeof(out)), -1);
    /* Too small an output. */
    ck_assert_int_eq(nw_ip("10.0.0.1", 8, out, 8), -1);
}
END_TEST

START_TEST(test_addr)
{
    static const struct {
        const char *in;
        const char *addr;
        unsigned prefix;
    } good[] = {
        { "10.0.0.11/24", "10.0.0.11", 24 },
        { "10.0.0.11", "10.0.0.11", 8 },    /* class A */
        { "172.16.0.1", "172.16.0.1", 16 }, /* class B */
        { "192.168.1.9", "192.168.1.9", 24 },
        { "255.255.255.255/32", "255.255.255.255", 32 },
        { "10.0.0.2 10.0.0.3", "10.0.0.2", 8 }, /* the first word */
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
        uint32_t a;
        unsigned p;
        char text[INET_ADDRSTRLEN];
        ck_assert_msg(nw_addr(good[i].in, &a, &p) == 0, "%s", good[i].in);
        ck_assert_str_eq(inet_ntop(AF_INET, &a, text, sizeof(text)),
                         good[i].addr);
        ck_assert_uint_eq(p, good[i].prefix);
    }
    static const char *const bad[] = { "",           "10.0.0.1/33", " 10.0.0.1",
                                       "10.0.0.1;x", "+1.2.3.4",    "1.2.3" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        uint32_t a;
        unsigned p;
        ck_assert_msg(nw_addr(bad[i], &a, &p) == -1, "%s accepted", bad[i]);
    }
    ck_assert_uint_eq(nw_mask(0), 0);
    ck_assert_uint_eq(nw_mask(24), htonl(0xffffff00u));
    ck_assert_uint_eq(nw_mask(1), htonl(0x80000000u));
    ck_assert_uint_eq(nw_mask(32), 0xffffffffu);
}
END_TEST

/* The announcement, byte for byte as RFC 826/5227 lay it out. */
START_TEST(test_arp)
{
    const uint8_t mac[6] = { 0x00, 0x16, 0x3e, 0x5b, 0x00, 0x01 };
    uint32_t a = htonl(0x0a00000b); /* 10.0.0.11 */
    uint8_t f[NW_ARP_LEN];
    memset(f, 0xee, sizeof(f));
    nw_arp_announce(f, mac, a);
    const uint8_t want[NW_ARP_LEN] = {
        0,    1,    8,    0,    6, 4, 0, 1, /* Ethernet, IPv4, request */
        0x00, 0x16, 0x3e, 0x5b, 0, 1,       /* sender MAC */
        10,   0,    0,    11,               /* sender address */
        0,    0,    0,    0,    0, 0,       /* target MAC: unknown */
        10,   0,    0,    11,               /* target address: the same */
    };
    ck_assert_int_eq(memcmp(f, want, sizeof(want)), 0);
}
END_TEST

START_TEST(test_path)
{
    char out[64];
    const char *be = "/local/domain/0/backend/vif/5/0";
    ck_assert_int_eq(nw_path(be, strlen(be), out, sizeof(out)), 0);
    ck_assert_str_eq(out, be);
    ck_assert_int_eq(nw_path("", 0, out, sizeof(out)), -1);
    ck_assert_int_eq(nw_path("local/x", 7, out, sizeof(out)), -1);
    ck_assert_int_eq(nw_path("/a b", 4, out, sizeof(out)), -1);
    ck_assert_int_eq(nw_path("/a\nb", 4, out, sizeof(out)), -1);
    ck_assert_int_eq(nw_path("/a\0b", 4, out, sizeof(out)), -1);
    ck_assert_int_eq(nw_path("/a\x80", 3, out, sizeof(out)), -1);
    ck_assert_int_eq(nw_path(be, strlen(be), out, 8), -1);
}
END_TEST

/* ---- the program against a fake xenbus ---- */

static int bus = -1;     /* the pty's master: our end of the "device" */
static FILE *out = NULL; /* the helper's standard output */
static uint8_t inbuf[8192];
static size_t have;

/* The helper's next request: its type, its payload in body. */
static uint32_t request(char *body, size_t cap)
{
    for (;;) {
        if (have >= 16) {
            uint32_t type, len;
            memcpy(&type, inbuf, 4);
            memcpy(&len, inbuf + 12, 4);
            if (have >= 16 + len) {
                ck_assert_uint_lt(len, cap);
                memcpy(body, inbuf + 16, len);
                memmove(inbuf, inbuf + 16 + len, have - 16 - len);
                have -= 16 + len;
                return type;
            }
        }
        struct pollfd p = { .fd = bus, .events = POLLIN };
        ck_assert_msg(poll(&p, 1, 5000) == 1, "no request from the helper");
        ssize_t n = read(bus, inbuf + have, sizeof(inbuf) - have);
        ck_assert_int_gt(n, 0);
        have += (size_t)n;
    }
}

static void expect(uint32_t type, const char *payload, size_t len)
{
    char body[4200];
    uint32_t t = request(body, sizeof(body));
    ck_assert_uint_eq(t, type);
    ck_assert_msg(memcmp(body, payload, len) == 0, "request '%.*s'", (int)len,
                  body);
}

static void answer(uint32_t type, const char *payload, size_t len)
{
    uint8_t msg[16 + 256];
    uint32_t hdr[4] = { type, 0, 0, (uint32_t)len };
    memcpy(msg, hdr, 16);
    memcpy(msg + 16, payload, len);
    ck_assert_int_eq(write(bus, msg, 16 + len), (ssize_t)(16 + len));
}
#define ANSWER(type, lit) answer(type, lit, sizeof(lit) - 1)
#define EXPECT(type, lit) expect(type, lit, sizeof(lit) - 1)
#define EVENT() ANSWER(NW_XS_WATCH_EVENT, "device/vif/0/backend\0tinyx\0")

/* The helper's next line, read a byte at a time from the pipe (stdio's
 * buffer would hide lines that came together from poll). */
static char *line(void)
{
    static char l[200];
    size_t n = 0;
    while (n < sizeof(l) - 1) {
        struct pollfd p = { .fd = fileno(out), .events = POLLIN };
        ck_assert_msg(poll(&p, 1, 5000) == 1, "no line from the helper");
        ck_assert_int_eq(read(fileno(out), l + n, 1), 1);
        if (l[n++] == '\n')
            break;
    }
    l[n] = '\0';
    return l;
}

static void apply_missing_dev(void);

static void program(int with_dev)
{
    char *d = tt_tmpdir();
    int slave;
    struct termios raw;
    ck_assert_int_eq(openpty(&bus, &slave, NULL, NULL, NULL), 0);
    cfmakeraw(&raw);
    ck_assert_int_eq(tcsetattr(slave, TCSANOW, &raw), 0);
    char *dev = ttyname(slave);
    ck_assert_ptr_nonnull(dev);
    tt_cc(d,
          "-std=c11 -D_GNU_SOURCE -DNETWATCH_DEVICE='\"%s\"' -I%s -o nw "
          "%s/netwatch.c %s/netwatch_msg.c %s/netwatch_net.c",
          dev, TINYX_SRCDIR, TINYX_SRCDIR, TINYX_SRCDIR, TINYX_SRCDIR);
    int pipefd[2];
    ck_assert_int_eq(pipe(pipefd), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(pipefd[1], 1);
        int null = open("/dev/null", O_WRONLY); /* its last words */
        if (null >= 0)
            dup2(null, 2);
        if (with_dev)
            execl(S("%s/nw", d), "nw", "nwtest-none0", "10.0.0.254",
                  (char *)NULL);
        else
            execl(S("%s/nw", d), "nw", (char *)NULL);
        _exit(127);
    }
    close(pipefd[1]);
    out = fdopen(pipefd[0], "r");
    have = 0;

    EXPECT(NW_XS_WATCH, "device/vif/0/backend\0tinyx\0");
    if (with_dev) {
        apply_missing_dev();
        goto end;
    }
    EVENT(); /* the registration's event, before the reply */
    ANSWER(NW_XS_WATCH, "OK\0");
    EXPECT(NW_XS_READ, "device/vif/0/backend\0");
    ANSWER(NW_XS_READ, "/local/domain/0/backend/vif/7/0");
    EXPECT(NW_XS_READ, "/local/domain/0/backend/vif/7/0/ip\0");
    ANSWER(NW_XS_ERROR, "ENOENT\0");
    ck_assert_str_eq(line(), "-\n");
    /* A resume: the new domain's back end, an address. */
    EVENT();
    EXPECT(NW_XS_READ, "device/vif/0/backend\0");
    ANSWER(NW_XS_READ, "/local/domain/0/backend/vif/9/0");
    EXPECT(NW_XS_READ, "/local/domain/0/backend/vif/9/0/ip\0");
    EVENT(); /* while a reply is awaited: handled after */
    ANSWER(NW_XS_READ, "10.0.0.11/24");
    ck_assert_str_eq(line(), "10.0.0.11/24\n");
    /* The remembered event; a bad back end path: no ip read. */
    EXPECT(NW_XS_READ, "device/vif/0/backend\0");
    ANSWER(NW_XS_READ, "/x y");
    ck_assert_str_eq(line(), "-\n");
    /* A hostile address. */
    EVENT();
    EXPECT(NW_XS_READ, "device/vif/0/backend\0");
    ANSWER(NW_XS_READ, "/be");
    EXPECT(NW_XS_READ, "/be/ip\0");
    ANSWER(NW_XS_READ, "10.0.0.1;reboot");
    ck_assert_str_eq(line(), "-\n");
    /* A message over the payload limit: the helper ends, status 1. */
end:;
    uint32_t hdr[4] = { NW_XS_WATCH_EVENT, 0, 0, 5000 };
    ck_assert_int_eq(write(bus, hdr, 16), 16);
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1, "status %d", st);
    fclose(out);
    close(bus);
    close(slave);
    tt_rm_rf(d);
    free(d);
    tt_free_kept();
}

/* Given an interface that is not there: each step that failed says so,
 * then the start line ("-": no address was applied); the helper stays
 * (the message over the limit then ends it).  A resume's carrier wait
 * would take a minute here: the lab tests that path. */
static void apply_missing_dev(void)
{
    EVENT();
    ANSWER(NW_XS_WATCH, "OK\0");
    EXPECT(NW_XS_READ, "device/vif/0/backend\0");
    ANSWER(NW_XS_READ, "/be");
    EXPECT(NW_XS_READ, "/be/ip\0");
    ANSWER(NW_XS_READ, "10.0.0.11/24");
    ck_assert_msg(
        strncmp(line(), "error cannot read nwtest-none0's address", 40) == 0,
        "first line");
    ck_assert_msg(strncmp(line(),
                          "error cannot give nwtest-none0 the address "
                          "10.0.0.11/24 (up: ",
                          59) == 0,
                  "second line");
    ck_assert_str_eq(line(), "start -\n");
}

START_TEST(test_program)
{
    program(0);
}
END_TEST

START_TEST(test_program_dev)
{
    program(1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tinyx_netwatch");
    TCase *tc = tcase_create("msg");
    tcase_add_test(tc, test_request);
    tcase_add_test(tc, test_header);
    tcase_add_test(tc, test_ip);
    tcase_add_test(tc, test_path);
    tcase_add_test(tc, test_addr);
    tcase_add_test(tc, test_arp);
    tcase_add_test(tc, test_program);
    tcase_add_test(tc, test_program_dev);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return check_run(s);
}
