/* Unit tests: the unikernel's command-line parser (unikernel). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "check_run.h"

static int word_is(const struct cmdline_word *w, const char *key,
                   const char *value)
{
    if (w->key_len != strlen(key) || memcmp(w->key, key, w->key_len) != 0)
        return 0;
    if (value == NULL)
        return w->value == NULL;
    return w->value != NULL && w->value_len == strlen(value) &&
           memcmp(w->value, value, w->value_len) == 0;
}

START_TEST(test_words)
{
    const char *cursor = "  a=1\tflag  b=two=2 c= \n";
    struct cmdline_word w;

    ck_assert(cmdline_next(&cursor, &w));
    ck_assert(word_is(&w, "a", "1"));
    ck_assert(cmdline_next(&cursor, &w));
    ck_assert(word_is(&w, "flag", NULL));
    ck_assert(cmdline_next(&cursor, &w));
    ck_assert(word_is(&w, "b", "two=2")); /* first '=' splits */
    ck_assert(cmdline_next(&cursor, &w));
    ck_assert(word_is(&w, "c", "")); /* empty value, not bare */
    ck_assert(!cmdline_next(&cursor, &w));
    ck_assert(!cmdline_next(&cursor, &w)); /* stays at the end */
}
END_TEST

START_TEST(test_empty_and_null)
{
    const char *cursor = NULL;
    struct cmdline_word w;

    ck_assert(!cmdline_next(&cursor, &w));
    cursor = "";
    ck_assert(!cmdline_next(&cursor, &w));
    cursor = "   ";
    ck_assert(!cmdline_next(&cursor, &w));
    ck_assert(!cmdline_find(NULL, "a", &w));
}
END_TEST

START_TEST(test_find_last_wins_and_exact_keys)
{
    struct cmdline_word w;

    ck_assert(cmdline_find("x=1 xx=2 x=3", "x", &w));
    ck_assert(word_is(&w, "x", "3"));
    ck_assert(cmdline_find("x=1 xx=2 x=3", "xx", &w));
    ck_assert(word_is(&w, "xx", "2"));
    ck_assert(!cmdline_find("xx=2", "x", &w)); /* no prefix match */
    ck_assert(!cmdline_find("x=2", "xx", &w));
    ck_assert(cmdline_find("quiet", "quiet", &w));
    ck_assert(w.value == NULL);
}
END_TEST

START_TEST(test_value_is)
{
    struct cmdline_word w;

    ck_assert(cmdline_find("crash=panic", "crash", &w));
    ck_assert(cmdline_value_is(&w, "panic"));
    ck_assert(!cmdline_value_is(&w, "pan"));
    ck_assert(!cmdline_value_is(&w, "panics"));
    ck_assert(!cmdline_value_is(&w, ""));
    ck_assert(cmdline_find("crash= x", "crash", &w));
    ck_assert(cmdline_value_is(&w, ""));
    ck_assert(cmdline_find("crash", "crash", &w));
    ck_assert(!cmdline_value_is(&w, "")); /* bare: no value */
}
END_TEST

START_TEST(test_parse_u64)
{
    uint64_t v = 7;

    ck_assert(cmdline_parse_u64("0", 1, &v) && v == 0);
    ck_assert(cmdline_parse_u64("123", 3, &v) && v == 123);
    ck_assert(cmdline_parse_u64("12345", 2, &v) && v == 12); /* length */
    ck_assert(cmdline_parse_u64("18446744073709551615", 20, &v));
    ck_assert(v == UINT64_MAX);
    v = 7;
    ck_assert(!cmdline_parse_u64("18446744073709551616", 20, &v));
    ck_assert(!cmdline_parse_u64("", 0, &v));
    ck_assert(!cmdline_parse_u64("-1", 2, &v));
    ck_assert(!cmdline_parse_u64("+1", 2, &v));
    ck_assert(!cmdline_parse_u64("1x", 2, &v));
    ck_assert(!cmdline_parse_u64(" 1", 2, &v));
    ck_assert_uint_eq(v, 7); /* untouched on failure */
}
END_TEST

START_TEST(test_get_u64)
{
    uint64_t v = 42;

    ck_assert(cmdline_get_u64("a=1", "b", &v));
    ck_assert_uint_eq(v, 42); /* absent: default kept */
    ck_assert(cmdline_get_u64("b=5 a=1", "b", &v));
    ck_assert_uint_eq(v, 5);
    ck_assert(!cmdline_get_u64("b", "b", &v));    /* bare */
    ck_assert(!cmdline_get_u64("b=", "b", &v));   /* empty */
    ck_assert(!cmdline_get_u64("b=1s", "b", &v)); /* junk */
    ck_assert_uint_eq(v, 5);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("unikernel_cmdline");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_words);
    tcase_add_test(tc, test_empty_and_null);
    tcase_add_test(tc, test_find_last_wins_and_exact_keys);
    tcase_add_test(tc, test_value_is);
    tcase_add_test(tc, test_parse_u64);
    tcase_add_test(tc, test_get_u64);
    suite_add_tcase(suite, tc);
    return check_run(suite);
}
