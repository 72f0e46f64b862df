/*
 * test_console_ring.c - the console ring logic against a page in ordinary
 * memory, with a small "guest" written from the protocol's description:
 * wrap-around of the indices and of the buffers, full and empty rings,
 * partial transfers, and a guest that lies about its indices.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "console/console_ring.h"
#include "check_run.h"

/* malloc'd to its exact size: the sanitizers catch any access outside. */
static struct console_ring_page *page;

static void setup(void)
{
    page = calloc(1, sizeof(*page));
    ck_assert_ptr_nonnull(page);
}

static void teardown(void)
{
    free(page);
}

/* The guest printing: what a correct front end does with the out ring. */
static size_t guest_print(const char *text, size_t len)
{
    uint32_t n = 0;
    while (n < len && page->out_prod - page->out_cons < CONSOLE_RING_OUT_SIZE) {
        page->out[page->out_prod % CONSOLE_RING_OUT_SIZE] = text[n++];
        page->out_prod++;
    }
    return n;
}

/* The guest reading its keyboard. */
static size_t guest_read(char *buf, size_t cap)
{
    size_t n = 0;
    while (n < cap && page->in_cons != page->in_prod) {
        buf[n++] = page->in[page->in_cons % CONSOLE_RING_IN_SIZE];
        page->in_cons++;
    }
    return n;
}

static void fill_pattern(char *buf, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (char)('a' + (seed + i * 7) % 26);
}

START_TEST(empty_ring_reads_nothing)
{
    char buf[16];
    bool corrupt = false;
    ck_assert_uint_eq(
        console_ring_read_output(page, buf, sizeof(buf), &corrupt), 0);
    ck_assert(!corrupt);
    ck_assert(!console_ring_output_pending(page));
    ck_assert_uint_eq(page->out_cons, 0);
}
END_TEST

START_TEST(reads_what_the_guest_printed)
{
    char buf[64];
    guest_print("hello, world\r\n", 14);
    ck_assert(console_ring_output_pending(page));
    size_t n = console_ring_read_output(page, buf, sizeof(buf), NULL);
    ck_assert_uint_eq(n, 14);
    ck_assert_mem_eq(buf, "hello, world\r\n", 14);
    ck_assert_uint_eq(page->out_cons, page->out_prod);
    ck_assert(!console_ring_output_pending(page));
}
END_TEST

START_TEST(partial_reads_continue_where_they_stopped)
{
    char want[100], got[100];
    fill_pattern(want, sizeof(want), 3);
    guest_print(want, sizeof(want));
    size_t total = 0, n;
    while ((n = console_ring_read_output(page, got + total, 7, NULL)) > 0) {
        ck_assert_uint_le(n, 7);
        total += n;
    }
    ck_assert_uint_eq(total, sizeof(want));
    ck_assert_mem_eq(got, want, sizeof(want));
}
END_TEST

START_TEST(full_output_ring_reads_whole)
{
    static char want[CONSOLE_RING_OUT_SIZE], got[CONSOLE_RING_OUT_SIZE + 10];
    fill_pattern(want, sizeof(want), 1);
    ck_assert_uint_eq(guest_print(want, sizeof(want)), sizeof(want));
    ck_assert_uint_eq(guest_print("x", 1), 0); /* really full */
    bool corrupt = false;
    size_t n = console_ring_read_output(page, got, sizeof(got), &corrupt);
    ck_assert_uint_eq(n, sizeof(want));
    ck_assert(!corrupt);
    ck_assert_mem_eq(got, want, sizeof(want));
}
END_TEST

/* Indices near 2^32 and the buffer's end: both wraps in one transfer. */
START_TEST(output_wraps_indices_and_buffer)
{
    const uint32_t start = UINT32_MAX - 5; /* slot 2042 of 2048 */
    page->out_cons = page->out_prod = start;
    char want[300], got[300];
    fill_pattern(want, sizeof(want), 9);
    guest_print(want, sizeof(want));
    ck_assert_uint_lt(page->out_prod, start); /* index wrapped */
    size_t n = console_ring_read_output(page, got, sizeof(got), NULL);
    ck_assert_uint_eq(n, sizeof(want));
    ck_assert_mem_eq(got, want, sizeof(want));
    ck_assert_uint_eq(page->out_cons, start + (uint32_t)sizeof(want));
}
END_TEST

START_TEST(input_reaches_the_guest)
{
    char buf[16];
    bool corrupt = false;
    ck_assert_uint_eq(console_ring_write_input(page, "ls\r", 3, &corrupt), 3);
    ck_assert(!corrupt);
    ck_assert_uint_eq(page->in_prod, 3);
    ck_assert_uint_eq(guest_read(buf, sizeof(buf)), 3);
    ck_assert_mem_eq(buf, "ls\r", 3);
}
END_TEST

START_TEST(full_input_ring_takes_nothing)
{
    static char keys[CONSOLE_RING_IN_SIZE + 100];
    fill_pattern(keys, sizeof(keys), 2);
    ck_assert_uint_eq(console_ring_write_input(page, keys, sizeof(keys), NULL),
                      CONSOLE_RING_IN_SIZE);
    ck_assert_uint_eq(console_ring_write_input(page, "x", 1, NULL), 0);
    char buf[10];
    ck_assert_uint_eq(guest_read(buf, sizeof(buf)), 10);
    /* Exactly the room the guest made, no more. */
    ck_assert_uint_eq(console_ring_write_input(page, keys, sizeof(keys), NULL),
                      10);
}
END_TEST

START_TEST(input_wraps_indices_and_buffer)
{
    const uint32_t start = UINT32_MAX - 2; /* slot 1021 of 1024 */
    page->in_cons = page->in_prod = start;
    char want[50], got[50];
    fill_pattern(want, sizeof(want), 5);
    ck_assert_uint_eq(console_ring_write_input(page, want, 20, NULL), 20);
    ck_assert_uint_eq(console_ring_write_input(page, want + 20, 30, NULL), 30);
    ck_assert_uint_eq(guest_read(got, sizeof(got)), sizeof(got));
    ck_assert_mem_eq(got, want, sizeof(want));
}
END_TEST

/* A hostile guest claims 100000 bytes of output: we read one ring's worth
 * (the newest), report it, and the ring is consistent afterwards. */
START_TEST(lying_output_producer_is_clamped)
{
    for (unsigned i = 0; i < CONSOLE_RING_OUT_SIZE; i++)
        page->out[i] = (char)i;
    page->out_cons = 10;
    page->out_prod = 100010;
    static char got[3 * CONSOLE_RING_OUT_SIZE];
    bool corrupt = false;
    size_t n = console_ring_read_output(page, got, sizeof(got), &corrupt);
    ck_assert(corrupt);
    ck_assert_uint_eq(n, CONSOLE_RING_OUT_SIZE);
    /* The newest bytes, oldest first: from slot (prod - size) onwards. */
    uint32_t first = (100010u - CONSOLE_RING_OUT_SIZE) % CONSOLE_RING_OUT_SIZE;
    ck_assert_int_eq(got[0], (char)first);
    ck_assert_uint_eq(page->out_cons, page->out_prod);
    corrupt = false;
    ck_assert_uint_eq(
        console_ring_read_output(page, got, sizeof(got), &corrupt), 0);
    ck_assert(!corrupt);
}
END_TEST

/* A consumer index ahead of the producer means "minus N bytes": as an
 * unsigned count that is huge, and must not be read as such. */
START_TEST(output_consumer_ahead_of_producer_is_clamped)
{
    page->out_prod = 5;
    page->out_cons = 50;
    char small[8];
    bool corrupt = false;
    size_t n = console_ring_read_output(page, small, sizeof(small), &corrupt);
    ck_assert(corrupt);
    ck_assert_uint_eq(n, sizeof(small)); /* a partial read is fine too */
    ck_assert_uint_le(page->out_prod - page->out_cons, CONSOLE_RING_OUT_SIZE);
}
END_TEST

START_TEST(lying_input_consumer_gets_nothing)
{
    page->in_prod = 10;
    page->in_cons = 20; /* "consumed" unwritten bytes */
    bool corrupt = false;
    ck_assert_uint_eq(console_ring_write_input(page, "abc", 3, &corrupt), 0);
    ck_assert(corrupt);
    ck_assert_uint_eq(page->in_prod, 10);

    page->in_cons = 10 - 2000; /* more than the ring holds */
    corrupt = false;
    ck_assert_uint_eq(console_ring_write_input(page, "abc", 3, &corrupt), 0);
    ck_assert(corrupt);
}
END_TEST

/* Random interleavings of guest prints, reads of every size and starting
 * indices everywhere, checked against the byte stream that was printed. */
START_TEST(random_traffic_keeps_the_stream)
{
    srand(12345);
    for (int round = 0; round < 200; round++) {
        uint32_t start = (uint32_t)rand() * 2654435761u;
        page->out_cons = page->out_prod = start;
        static char sent[20000], got[20000];
        size_t nsent = 0, ngot = 0;
        fill_pattern(sent, sizeof(sent), (unsigned)round);
        while (ngot < sizeof(got)) {
            if (nsent < sizeof(sent) && rand() % 2)
                nsent +=
                    guest_print(sent + nsent, (size_t)rand() % 3000 %
                                                  (sizeof(sent) - nsent + 1));
            size_t cap = (size_t)rand() % 2500 + 1;
            if (cap > sizeof(got) - ngot)
                cap = sizeof(got) - ngot;
            bool corrupt = false;
            ngot += console_ring_read_output(page, got + ngot, cap, &corrupt);
            ck_assert(!corrupt);
            if (nsent == sizeof(sent) && !console_ring_output_pending(page))
                break;
        }
        ck_assert_uint_eq(ngot, nsent);
        ck_assert_mem_eq(got, sent, ngot);
    }
}
END_TEST

static Suite *ring_suite(void)
{
    Suite *s = suite_create("console_ring");
    TCase *tc = tcase_create("ring");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, empty_ring_reads_nothing);
    tcase_add_test(tc, reads_what_the_guest_printed);
    tcase_add_test(tc, partial_reads_continue_where_they_stopped);
    tcase_add_test(tc, full_output_ring_reads_whole);
    tcase_add_test(tc, output_wraps_indices_and_buffer);
    tcase_add_test(tc, input_reaches_the_guest);
    tcase_add_test(tc, full_input_ring_takes_nothing);
    tcase_add_test(tc, input_wraps_indices_and_buffer);
    tcase_add_test(tc, lying_output_producer_is_clamped);
    tcase_add_test(tc, output_consumer_ahead_of_producer_is_clamped);
    tcase_add_test(tc, lying_input_consumer_gets_nothing);
    tcase_add_test(tc, random_traffic_keeps_the_stream);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(ring_suite());
}
