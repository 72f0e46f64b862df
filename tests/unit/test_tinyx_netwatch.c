/*
 * test_tinyx_netwatch.c - the pure part of tinyx-netwatch, the guest-side
 * helper of tinyx --net images (tinyx/netwatch_msg.c): XenStore requests
 * as /dev/xen/xenbus takes them, headers as it gives them (a payload over
 * the limit refused), and the checks on what the store answers: the back
 * end's path and its ip key (A.B.C.D or A.B.C.D/LEN, libxl's first word;
 * anything else, e.g. a hostile or damaged value, gives no address).
 */
#include <stdint.h>
#include <string.h>

#include <check.h>

#include "check_run.h"
#include "netwatch_msg.h"

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

int main(void)
{
    Suite *s = suite_create("tinyx_netwatch");
    TCase *tc = tcase_create("msg");
    tcase_add_test(tc, test_request);
    tcase_add_test(tc, test_header);
    tcase_add_test(tc, test_ip);
    tcase_add_test(tc, test_path);
    suite_add_tcase(s, tc);
    return check_run(s);
}
