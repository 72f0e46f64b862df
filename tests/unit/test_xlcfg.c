/*
 * test_xlcfg.c - the xl.cfg parser: the tree it builds for every form of
 * value, and the exact FILE:LINE:COLUMN message for every syntax error.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/xlcfg.h"
#include "check_run.h"

static char err[512];

static struct xlcfg *parse_ok(const char *text)
{
    struct xlcfg *cfg = NULL;
    int rc = xlcfg_parse(text, strlen(text), "t.cfg", &cfg, err, sizeof(err));
    ck_assert_msg(rc == 0, "parse failed: %s", err);
    ck_assert_ptr_nonnull(cfg);
    return cfg;
}

/* Parses text that must fail; returns the message. */
static const char *parse_err(const char *text, size_t len)
{
    struct xlcfg *cfg = (struct xlcfg *)&err; /* must be reset to NULL */
    int rc = xlcfg_parse(text, len, "t.cfg", &cfg, err, sizeof(err));
    ck_assert_int_eq(rc, -EINVAL);
    ck_assert_ptr_null(cfg);
    return err;
}

#define ck_err(text, msg) \
    ck_assert_str_eq(parse_err((text), strlen(text)), (msg))

START_TEST(empty_and_comments)
{
    struct xlcfg *cfg = parse_ok("");
    ck_assert_uint_eq(cfg->n_settings, 0);
    xlcfg_free(cfg);
    cfg = parse_ok("# only a comment\n\n;;\n   # another");
    ck_assert_uint_eq(cfg->n_settings, 0);
    xlcfg_free(cfg);
}
END_TEST

START_TEST(strings_numbers_positions)
{
    struct xlcfg *cfg = parse_ok("name = \"web\"  # trailing comment\n"
                                 "\tmemory=0x100;vcpus = 2\n"
                                 "kernel='/boot/vmlinuz'");
    ck_assert_uint_eq(cfg->n_settings, 4);

    struct xlcfg_setting *s = &cfg->settings[0];
    ck_assert_str_eq(s->key, "name");
    ck_assert_int_eq(s->op, XLCFG_ASSIGN);
    ck_assert_uint_eq(s->pos.line, 1);
    ck_assert_uint_eq(s->pos.column, 1);
    ck_assert_int_eq(s->value.kind, XLCFG_STRING);
    ck_assert_str_eq(s->value.text, "web");
    ck_assert_uint_eq(s->value.pos.column, 8);

    s = &cfg->settings[1];
    ck_assert_str_eq(s->key, "memory");
    ck_assert_int_eq(s->value.kind, XLCFG_NUMBER);
    ck_assert_str_eq(s->value.text, "0x100");
    ck_assert_uint_eq(s->pos.line, 2);
    ck_assert_uint_eq(s->pos.column, 2); /* a tab is one column */
    ck_assert_uint_eq(s->value.pos.column, 9);

    s = &cfg->settings[2];
    ck_assert_str_eq(s->key, "vcpus");
    ck_assert_str_eq(s->value.text, "2");
    ck_assert_uint_eq(s->pos.column, 15);

    s = &cfg->settings[3];
    ck_assert_uint_eq(s->pos.line, 3);
    ck_assert_int_eq(s->value.kind, XLCFG_STRING);
    ck_assert_str_eq(s->value.text, "/boot/vmlinuz");
    xlcfg_free(cfg);
}
END_TEST

START_TEST(escapes)
{
    struct xlcfg *cfg =
        parse_ok("a = \"q\\\" s\\' b\\\\ \\a\\b\\f\\n\\r\\t\\v\"\n"
                 "b = 'x\\x41\\x7e\\101\\7y'\n"
                 "c = \"it's\"\n"
                 "d = '\"'\n"
                 "e = \"caf\xc3\xa9\"\n");
    ck_assert_str_eq(cfg->settings[0].value.text, "q\" s' b\\ \a\b\f\n\r\t\v");
    ck_assert_str_eq(cfg->settings[1].value.text, "xA~A\ay");
    ck_assert_str_eq(cfg->settings[2].value.text, "it's");
    ck_assert_str_eq(cfg->settings[3].value.text, "\"");
    ck_assert_str_eq(cfg->settings[4].value.text, "caf\xc3\xa9");
    xlcfg_free(cfg);
}
END_TEST

START_TEST(lists)
{
    struct xlcfg *cfg = parse_ok("disk = [ 'a', \"b\",\n"
                                 "         # a comment inside\n"
                                 "         3,\n"
                                 "]\n"
                                 "empty = []\n"
                                 "nested = [ [ 'x', 1 ], [], 'y' ]\n"
                                 "multi = [\n\n 'only'\n\n]\n");
    ck_assert_uint_eq(cfg->n_settings, 4);

    struct xlcfg_value *v = &cfg->settings[0].value;
    ck_assert_int_eq(v->kind, XLCFG_LIST);
    ck_assert_uint_eq(v->pos.column, 8);
    ck_assert_uint_eq(v->n_items, 3);
    ck_assert_str_eq(v->items[0].text, "a");
    ck_assert_str_eq(v->items[1].text, "b");
    ck_assert_int_eq(v->items[2].kind, XLCFG_NUMBER);
    ck_assert_uint_eq(v->items[2].pos.line, 3);
    ck_assert_uint_eq(v->items[2].pos.column, 10);

    ck_assert_uint_eq(cfg->settings[1].value.n_items, 0);

    v = &cfg->settings[2].value;
    ck_assert_uint_eq(v->n_items, 3);
    ck_assert_int_eq(v->items[0].kind, XLCFG_LIST);
    ck_assert_uint_eq(v->items[0].n_items, 2);
    ck_assert_str_eq(v->items[0].items[1].text, "1");
    ck_assert_uint_eq(v->items[1].n_items, 0);
    ck_assert_str_eq(v->items[2].text, "y");

    ck_assert_uint_eq(cfg->settings[3].value.n_items, 1);
    xlcfg_free(cfg);
}
END_TEST

START_TEST(append_and_crlf)
{
    struct xlcfg *cfg = parse_ok("extra = \"a\"\r\nextra += \"b\"\r\nX_1=1");
    ck_assert_uint_eq(cfg->n_settings, 3);
    ck_assert_int_eq(cfg->settings[1].op, XLCFG_APPEND);
    ck_assert_str_eq(cfg->settings[1].value.text, "b");
    ck_assert_uint_eq(cfg->settings[1].pos.line, 2);
    ck_assert_str_eq(cfg->settings[2].key, "X_1");
    xlcfg_free(cfg);
}
END_TEST

START_TEST(syntax_errors)
{
    ck_err("name = \"web\"\nvcpus = 1\nmemory =\n",
           "t.cfg:3:9: expected a value after '=', found end of line");
    ck_err("memory =",
           "t.cfg:1:9: expected a value after '=', found end of file");
    ck_err("memory = ;", "t.cfg:1:10: expected a value after '=', found ';'");
    ck_err("x += ]", "t.cfg:1:6: expected a value after '+=', found ']'");
    ck_err("type = pvh", "t.cfg:1:8: expected a value after '=', found 'pvh' "
                         "(strings must be quoted: \"pvh\")");
    ck_err("memory 128", "t.cfg:1:8: expected '=' or '+=' after 'memory', "
                         "found number 128");
    ck_err("memory\n= 1", "t.cfg:1:7: expected '=' or '+=' after 'memory', "
                          "found end of line");
    ck_err("= 1", "t.cfg:1:1: expected a key, found '='");
    ck_err("12 = 1", "t.cfg:1:1: expected a key, found number 12");
    ck_err("'k' = 1", "t.cfg:1:1: expected a key, found a string");
    ck_err("a = 1 2", "t.cfg:1:7: expected end of line or ';' after the value, "
                      "found number 2");
    ck_err("a = 1 b = 2", "t.cfg:1:7: expected end of line or ';' after the "
                          "value, found 'b'");
    ck_err("a = [1 2]",
           "t.cfg:1:8: expected ',' or ']' in list, found number 2");
    ck_err("a = [1,\n2",
           "t.cfg:2:2: expected ',' or ']' in list, found end of file");
    ck_err("a = [,]", "t.cfg:1:6: expected a value or ']' in list, found ','");
    ck_err("a = [1,,]",
           "t.cfg:1:8: expected a value or ']' in list, found ','");
}
END_TEST

START_TEST(lexical_errors)
{
    ck_err("a = \"abc\nb = 1", "t.cfg:1:5: string is not closed (missing \")");
    ck_err("a = 'abc", "t.cfg:1:5: string is not closed (missing ')");
    ck_err("a = \"x\\q\"", "t.cfg:1:7: invalid escape '\\q' in string");
    ck_err("a = \"x\\\n\"", "t.cfg:1:5: string is not closed (missing \")");
    ck_err("a = \"\\x4\"", "t.cfg:1:6: \\x must be followed by two hex digits");
    ck_err("a = \"\\400\"",
           "t.cfg:1:6: octal escape \\400 is larger than \\377");
    ck_err("a = \"\\0\"", "t.cfg:1:6: a string cannot contain a NUL character");
    ck_err("a = \"\\x00\"",
           "t.cfg:1:6: a string cannot contain a NUL character");
    ck_err("a = -1", "t.cfg:1:5: unexpected character '-'");
    ck_err("a = 1.5", "t.cfg:1:6: unexpected character '.'");
    ck_err("a + 1", "t.cfg:1:3: unexpected character '+'");
    ck_err("a = (1)", "t.cfg:1:5: unexpected character '('");
    ck_err("a = \x01", "t.cfg:1:5: unexpected character 0x01");
    ck_err("a = 1\r", "t.cfg:1:6: unexpected character 0x0d");
    ck_assert_str_eq(parse_err("a = 1\0", 6), "t.cfg:1:6: unexpected NUL byte");
    ck_assert_str_eq(parse_err("a = \"x\0\"", 8),
                     "t.cfg:1:7: a string cannot contain a NUL character");
    ck_assert_str_eq(
        parse_err("a = \"x\\\0\"", 9),
        "t.cfg:1:7: invalid escape: backslash followed by byte 0x00");
}
END_TEST

START_TEST(limits)
{
    char deep[64] = "a = ";
    size_t n = strlen(deep);
    struct xlcfg *cfg;

    for (int i = 0; i < XLCFG_MAX_DEPTH; i++)
        deep[n++] = '[';
    for (int i = 0; i < XLCFG_MAX_DEPTH; i++)
        deep[n++] = ']';
    deep[n] = '\0';
    cfg = parse_ok(deep); /* exactly the limit: fine */
    xlcfg_free(cfg);

    memmove(deep + 5, deep + 4, n - 3); /* one more '[' ... */
    deep[4] = '[';
    strcat(deep, "]");
    ck_assert_str_eq(parse_err(deep, strlen(deep)),
                     "t.cfg:1:21: lists nested more than 16 deep");

    /* Too long is refused before any work, with its own code. */
    ck_assert_int_eq(xlcfg_parse("", (size_t)XLCFG_MAX_TEXT + 1, "big", &cfg,
                                 err, sizeof(err)),
                     -EFBIG);
    ck_assert_ptr_null(cfg);
}
END_TEST

START_TEST(error_buffer_truncation)
{
    char small[12];
    struct xlcfg *cfg;
    ck_assert_int_eq(
        xlcfg_parse("=", 1, "file.cfg", &cfg, small, sizeof(small)), -EINVAL);
    ck_assert_str_eq(small, "file.cfg:1:");
    ck_assert_int_eq(xlcfg_parse("=", 1, NULL, &cfg, NULL, 0), -EINVAL);
}
END_TEST

START_TEST(quote_round_trip)
{
    const char *samples[] = {
        "",
        "plain",
        "with \"quotes\" and 'single'",
        "back\\slash",
        "tab\tnew\nline\rcr",
        "\x01\x1f\x7f",
        "caf\xc3\xa9 \xff",
    };
    char text[256], quoted[128];

    ck_assert_uint_eq(xlcfg_quote(quoted, sizeof(quoted), "a\"b"), 6);
    ck_assert_str_eq(quoted, "\"a\\\"b\"");
    ck_assert_uint_eq(xlcfg_quote(quoted, 3, "abc"), 5); /* truncates */
    ck_assert_str_eq(quoted, "\"a");

    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        xlcfg_quote(quoted, sizeof(quoted), samples[i]);
        snprintf(text, sizeof(text), "k = %s\n", quoted);
        struct xlcfg *cfg = parse_ok(text);
        ck_assert_str_eq(cfg->settings[0].value.text, samples[i]);
        xlcfg_free(cfg);
    }
}
END_TEST

START_TEST(kind_names)
{
    ck_assert_str_eq(xlcfg_kind_name(XLCFG_STRING), "a string");
    ck_assert_str_eq(xlcfg_kind_name(XLCFG_NUMBER), "a number");
    ck_assert_str_eq(xlcfg_kind_name(XLCFG_LIST), "a list");
}
END_TEST

static Suite *xlcfg_suite(void)
{
    Suite *s = suite_create("xlcfg");
    TCase *tc = tcase_create("parser");
    tcase_add_test(tc, empty_and_comments);
    tcase_add_test(tc, strings_numbers_positions);
    tcase_add_test(tc, escapes);
    tcase_add_test(tc, lists);
    tcase_add_test(tc, append_and_crlf);
    tcase_add_test(tc, syntax_errors);
    tcase_add_test(tc, lexical_errors);
    tcase_add_test(tc, limits);
    tcase_add_test(tc, error_buffer_truncation);
    tcase_add_test(tc, quote_round_trip);
    tcase_add_test(tc, kind_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(xlcfg_suite());
}
