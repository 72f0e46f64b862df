/*
 * test_store_ring.c - dom0's end of the XenStore ring page
 * (libchaos/store/store_ring.h) against a fake guest in ordinary memory:
 * peek, consume and write, wrap-around of bytes and indices, and
 * impossible indices from a hostile guest.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "store/store_ring.h"
#include "store/store_wire.h"

static _Alignas(4096) unsigned char page[STORE_RING_PAGE_SIZE];
static struct xenstore_domain_interface *intf =
    (struct xenstore_domain_interface *)page;

static void setup(void)
{
    memset(page, 0xaa, sizeof(page));
    store_ring_init(page);
}

/* The guest sends n bytes (as its xenbus does). */
static void guest_send(const char *data, size_t n)
{
    for (size_t i = 0; i < n; i++)
        intf->req[MASK_XENSTORE_IDX(intf->req_prod + i)] = data[i];
    intf->req_prod += (uint32_t)n;
}

/* The guest reads up to cap reply bytes. */
static size_t guest_recv(char *buf, size_t cap)
{
    size_t n = 0;
    while (intf->rsp_cons != intf->rsp_prod && n < cap)
        buf[n++] = intf->rsp[MASK_XENSTORE_IDX(intf->rsp_cons++)];
    return n;
}

START_TEST(init_zeroes_the_page)
{
    for (size_t i = 0; i < sizeof(page); i++)
        ck_assert_uint_eq(page[i], 0);
    char buf[8];
    ck_assert_int_eq(store_ring_peek(page, buf, sizeof(buf)), 0);
}
END_TEST

START_TEST(peek_then_consume)
{
    char buf[64];
    guest_send("hello world", 11);
    ck_assert_int_eq(store_ring_peek(page, buf, 5), 5);
    ck_assert_mem_eq(buf, "hello", 5);
    /* Peeking does not consume. */
    ck_assert_int_eq(store_ring_peek(page, buf, sizeof(buf)), 11);
    ck_assert_mem_eq(buf, "hello world", 11);
    store_ring_consume(page, 6);
    ck_assert_uint_eq(intf->req_cons, 6);
    ck_assert_int_eq(store_ring_peek(page, buf, sizeof(buf)), 5);
    ck_assert_mem_eq(buf, "world", 5);
    store_ring_consume(page, 5);
    ck_assert_int_eq(store_ring_peek(page, buf, sizeof(buf)), 0);
}
END_TEST

START_TEST(requests_wrap)
{
    static char in[3000], out[3000];
    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = (char)(i * 7 + 3);
    /* Start near the top of both the ring and the 32-bit index. */
    intf->req_cons = intf->req_prod = 0xfffffff0u - 500;
    size_t sent = 0, got = 0;
    while (got < sizeof(in)) {
        size_t room = XENSTORE_RING_SIZE - (intf->req_prod - intf->req_cons);
        size_t n = sizeof(in) - sent < room ? sizeof(in) - sent : room;
        n = n > 700 ? 700 : n;
        guest_send(in + sent, n);
        sent += n;
        ssize_t r = store_ring_peek(page, out + got, 333);
        ck_assert_int_ge(r, 0);
        store_ring_consume(page, (size_t)r);
        got += (size_t)r;
    }
    ck_assert_mem_eq(in, out, sizeof(in));
    ck_assert_uint_lt(intf->req_cons, 0x1000);
}
END_TEST

START_TEST(full_request_ring)
{
    static char in[XENSTORE_RING_SIZE], out[XENSTORE_RING_SIZE + 10];
    memset(in, 'r', sizeof(in));
    intf->req_cons = intf->req_prod = 100;
    guest_send(in, sizeof(in));
    ck_assert_int_eq(store_ring_peek(page, out, sizeof(out)),
                     XENSTORE_RING_SIZE);
}
END_TEST

START_TEST(impossible_request_index)
{
    char buf[16];
    intf->req_cons = 10;
    intf->req_prod = 10 + XENSTORE_RING_SIZE + 1;
    ck_assert_int_eq(store_ring_peek(page, buf, sizeof(buf)), -EPROTO);
    intf->req_prod = 9; /* behind the consumer */
    ck_assert_int_eq(store_ring_peek(page, buf, sizeof(buf)), -EPROTO);
}
END_TEST

START_TEST(write_and_wrap)
{
    static char in[5000], out[5000];
    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = (char)(i * 13 + 1);
    intf->rsp_cons = intf->rsp_prod = 0xffffffffu - 100;
    size_t sent = 0, got = 0;
    while (got < sizeof(in)) {
        ssize_t r = store_ring_write(page, in + sent, sizeof(in) - sent);
        ck_assert_int_ge(r, 0);
        sent += (size_t)r;
        got += guest_recv(out + got, 400);
    }
    ck_assert_mem_eq(in, out, sizeof(in));
}
END_TEST

START_TEST(full_response_ring)
{
    static char in[XENSTORE_RING_SIZE + 100];
    memset(in, 'x', sizeof(in));
    ck_assert_int_eq(store_ring_write(page, in, sizeof(in)),
                     XENSTORE_RING_SIZE);
    ck_assert_int_eq(store_ring_write(page, in, sizeof(in)), 0);
    char buf[10];
    ck_assert_uint_eq(guest_recv(buf, sizeof(buf)), 10);
    ck_assert_int_eq(store_ring_write(page, in, sizeof(in)), 10);
}
END_TEST

START_TEST(impossible_response_index)
{
    intf->rsp_prod = 50;
    intf->rsp_cons = 51; /* ahead of the producer */
    ck_assert_int_eq(store_ring_write(page, "x", 1), -EPROTO);
    intf->rsp_cons = 50 - XENSTORE_RING_SIZE - 1;
    ck_assert_int_eq(store_ring_write(page, "x", 1), -EPROTO);
    ck_assert_uint_eq(intf->rsp_prod, 50);
}
END_TEST

static Suite *ring_suite(void)
{
    Suite *s = suite_create("store_ring");
    TCase *tc = tcase_create("ring");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, init_zeroes_the_page);
    tcase_add_test(tc, peek_then_consume);
    tcase_add_test(tc, requests_wrap);
    tcase_add_test(tc, full_request_ring);
    tcase_add_test(tc, impossible_request_index);
    tcase_add_test(tc, write_and_wrap);
    tcase_add_test(tc, full_response_ring);
    tcase_add_test(tc, impossible_response_index);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(ring_suite());
}
