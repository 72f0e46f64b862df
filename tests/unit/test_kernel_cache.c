/*
 * Unit tests: the kernel cache's data structure (libchaos/kernel_cache_lru.c):
 * lookups by file identity and by content digest, what a changed file
 * forgets, and least-recently-used eviction within the byte limit.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_cache_lru.h"
#include "check_run.h"

static struct kernel_lru *kc;

static void setup(void)
{
    kc = kernel_lru_new(1000);
    ck_assert_ptr_nonnull(kc);
}

static void teardown(void)
{
    kernel_lru_free(kc);
}

static const uint8_t *digest(uint8_t tag)
{
    static uint8_t d[4][KERNEL_LRU_DIGEST_SIZE];
    static int next;
    uint8_t *p = d[next++ % 4];
    memset(p, tag, KERNEL_LRU_DIGEST_SIZE);
    return p;
}

static struct kernel_lru_id file(uint64_t ino, int64_t mtime)
{
    return (struct kernel_lru_id){ .dev = 8,
                                   .ino = ino,
                                   .size = 4096,
                                   .mtime_sec = mtime,
                                   .ctime_sec = mtime };
}

/* A kernel of size bytes whose first byte is tag. */
static void *elf(uint8_t tag, size_t size)
{
    uint8_t *p = calloc(1, size);
    ck_assert_ptr_nonnull(p);
    p[0] = tag;
    return p;
}

static uint8_t tag_of(const struct kernel_lru_entry *e)
{
    ck_assert_ptr_nonnull(e);
    return ((const uint8_t *)e->elf)[0];
}

START_TEST(empty)
{
    struct kernel_lru_id id = file(1, 100);
    ck_assert_ptr_null(kernel_lru_find_id(kc, &id));
    ck_assert_ptr_null(kernel_lru_find_digest(kc, digest(1), &id));
    ck_assert_uint_eq(kc->entries, 0);
    ck_assert_uint_eq(kc->bytes, 0);
    kernel_lru_free(NULL);
}
END_TEST

START_TEST(find_by_identity_and_digest)
{
    struct kernel_lru_id a = file(1, 100);
    ck_assert_int_eq(kernel_lru_insert(kc, digest(0xaa), elf(1, 300), 300, &a),
                     0);
    ck_assert_uint_eq(kc->entries, 1);
    ck_assert_uint_eq(kc->bytes, 300);
    ck_assert_uint_eq(tag_of(kernel_lru_find_id(kc, &a)), 1);
    ck_assert_uint_eq(kernel_lru_find_id(kc, &a)->elf_size, 300);

    /* The same bytes in another file: found by digest, then by identity. */
    struct kernel_lru_id b = file(2, 100);
    ck_assert_ptr_null(kernel_lru_find_id(kc, &b));
    ck_assert_uint_eq(tag_of(kernel_lru_find_digest(kc, digest(0xaa), &b)), 1);
    ck_assert_uint_eq(tag_of(kernel_lru_find_id(kc, &b)), 1);
    ck_assert_uint_eq(tag_of(kernel_lru_find_id(kc, &a)), 1);
    ck_assert_uint_eq(kc->entries, 1);
    ck_assert_ptr_null(kernel_lru_find_digest(kc, digest(0xbb), NULL));
}
END_TEST

START_TEST(changed_file_is_not_found_by_identity)
{
    struct kernel_lru_id a = file(1, 100);
    ck_assert_int_eq(kernel_lru_insert(kc, digest(0xaa), elf(1, 100), 100, &a),
                     0);
    struct kernel_lru_id touched = a, resized = a, moved = a, other_dev = a;
    touched.mtime_nsec = 1;
    resized.size++;
    moved.ctime_sec++;
    other_dev.dev++;
    ck_assert_ptr_null(kernel_lru_find_id(kc, &touched));
    ck_assert_ptr_null(kernel_lru_find_id(kc, &resized));
    ck_assert_ptr_null(kernel_lru_find_id(kc, &moved));
    ck_assert_ptr_null(kernel_lru_find_id(kc, &other_dev));

    /* The file rewritten with new content: it no longer names the old
     * kernel, which is still found by its digest. */
    ck_assert_int_eq(
        kernel_lru_insert(kc, digest(0xbb), elf(2, 100), 100, &touched), 0);
    ck_assert_uint_eq(tag_of(kernel_lru_find_id(kc, &touched)), 2);
    ck_assert_ptr_null(kernel_lru_find_id(kc, &a));
    ck_assert_uint_eq(tag_of(kernel_lru_find_digest(kc, digest(0xaa), NULL)),
                      1);
}
END_TEST

START_TEST(least_recently_used_goes_first)
{
    struct kernel_lru_id a = file(1, 1), b = file(2, 1), c = file(3, 1),
                         d = file(4, 1);
    ck_assert_int_eq(kernel_lru_insert(kc, digest(1), elf(1, 400), 400, &a), 0);
    ck_assert_int_eq(kernel_lru_insert(kc, digest(2), elf(2, 400), 400, &b), 0);
    /* Using a makes b the oldest. */
    ck_assert_ptr_nonnull(kernel_lru_find_id(kc, &a));
    ck_assert_int_eq(kernel_lru_insert(kc, digest(3), elf(3, 400), 400, &c), 0);
    ck_assert_uint_eq(kc->entries, 2);
    ck_assert_uint_eq(kc->bytes, 800);
    ck_assert_ptr_null(kernel_lru_find_id(kc, &b));
    ck_assert_ptr_nonnull(kernel_lru_find_id(kc, &c));
    ck_assert_ptr_nonnull(kernel_lru_find_id(kc, &a)); /* c is oldest now */
    /* A big one evicts as many as needed. */
    ck_assert_int_eq(kernel_lru_insert(kc, digest(4), elf(4, 900), 900, &d), 0);
    ck_assert_uint_eq(kc->entries, 1);
    ck_assert_uint_eq(kc->bytes, 900);
    ck_assert_uint_eq(tag_of(kernel_lru_find_id(kc, &d)), 4);
    ck_assert_ptr_null(kernel_lru_find_id(kc, &a));
    ck_assert_ptr_null(kernel_lru_find_id(kc, &c));
}
END_TEST

START_TEST(too_big_and_exact_fit)
{
    struct kernel_lru_id a = file(1, 1), b = file(2, 1);
    ck_assert_int_eq(kernel_lru_insert(kc, digest(1), elf(1, 1001), 1001, &a),
                     -EFBIG);
    ck_assert_uint_eq(kc->entries, 0);
    ck_assert_int_eq(kernel_lru_insert(kc, digest(2), elf(2, 1000), 1000, &b),
                     0);
    ck_assert_uint_eq(kc->bytes, 1000);
    ck_assert_ptr_null(kernel_lru_find_id(kc, &a));
}
END_TEST

START_TEST(same_digest_twice_keeps_one)
{
    struct kernel_lru_id a = file(1, 1), b = file(2, 1);
    ck_assert_int_eq(kernel_lru_insert(kc, digest(1), elf(1, 100), 100, &a), 0);
    ck_assert_int_eq(kernel_lru_insert(kc, digest(1), elf(9, 100), 100, &b), 0);
    ck_assert_uint_eq(kc->entries, 1);
    ck_assert_uint_eq(kc->bytes, 100);
    ck_assert_uint_eq(tag_of(kernel_lru_find_id(kc, &b)), 1);
    ck_assert_int_eq(kernel_lru_insert(kc, digest(2), elf(2, 100), 100, NULL),
                     0);
    ck_assert_uint_eq(tag_of(kernel_lru_find_digest(kc, digest(2), NULL)), 2);
}
END_TEST

START_TEST(lower_limit_evicts)
{
    struct kernel_lru_id a = file(1, 1), b = file(2, 1), c = file(3, 1);
    ck_assert_int_eq(kernel_lru_insert(kc, digest(1), elf(1, 300), 300, &a), 0);
    ck_assert_int_eq(kernel_lru_insert(kc, digest(2), elf(2, 300), 300, &b), 0);
    ck_assert_int_eq(kernel_lru_insert(kc, digest(3), elf(3, 300), 300, &c), 0);
    ck_assert_ptr_nonnull(kernel_lru_find_digest(kc, digest(1), NULL));
    kernel_lru_set_limit(kc, 600);
    ck_assert_uint_eq(kc->entries, 2);
    ck_assert_ptr_null(kernel_lru_find_id(kc, &b)); /* the oldest */
    kernel_lru_set_limit(kc, 0);
    ck_assert_uint_eq(kc->entries, 0);
    ck_assert_uint_eq(kc->bytes, 0);
    ck_assert_ptr_null(kc->newest);
    ck_assert_ptr_null(kc->oldest);
}
END_TEST

static Suite *kernel_lru_suite(void)
{
    Suite *s = suite_create("kernel_cache");
    TCase *tc = tcase_create("kernel_lru");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, empty);
    tcase_add_test(tc, find_by_identity_and_digest);
    tcase_add_test(tc, changed_file_is_not_found_by_identity);
    tcase_add_test(tc, least_recently_used_goes_first);
    tcase_add_test(tc, too_big_and_exact_fit);
    tcase_add_test(tc, same_digest_twice_keeps_one);
    tcase_add_test(tc, lower_limit_evicts);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(kernel_lru_suite());
}
