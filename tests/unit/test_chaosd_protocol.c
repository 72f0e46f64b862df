/*
 * test_chaosd_protocol.c - the chaosd protocol codec: every op decodes,
 * every kind of bad request gets its error code and message (with the
 * request's id kept), replies round-trip, and the line splitter bounds
 * line size without losing the lines around an oversized one.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"
#include "check_run.h"

static struct chaosd_request req;
static char err[256];

static enum chaosd_errcode decode(const char *line)
{
    json_object *id = NULL;
    enum chaosd_errcode rc =
        chaosd_request_decode(line, strlen(line), &req, &id, err, sizeof(err));
    json_object_put(id);
    return rc;
}

#define ck_decode_err(line, code, msg)          \
    do {                                        \
        ck_assert_int_eq(decode(line), (code)); \
        ck_assert_str_eq(err, (msg));           \
    } while (0)

START_TEST(every_op_decodes)
{
    static const char *const ops[] = { "create",   "restore",     "destroy",
                                       "shutdown", "list",        "info",
                                       "pool",     "pool-resize", "subscribe",
                                       "ping" };
    ck_assert_int_eq(decode("{\"v\":1,\"op\":\"list\"}"), CHAOSD_ERR_NONE);
    ck_assert_int_eq(req.op, CHAOSD_OP_LIST);
    chaosd_request_free(&req);
    ck_assert_uint_eq(CHAOSD_N_OPS, sizeof(ops) / sizeof(ops[0]));
    for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        ck_assert_str_eq(chaosd_op_name((enum chaosd_op)i), ops[i]);
        char line[128];
        snprintf(line, sizeof(line), "{\"v\":1,\"op\":\"%s\"}", ops[i]);
        /* The ops without required fields decode bare. */
        enum chaosd_errcode rc = decode(line);
        if (rc == CHAOSD_ERR_NONE) {
            ck_assert_int_eq(req.op, (enum chaosd_op)i);
            chaosd_request_free(&req);
        } else {
            ck_assert_int_eq(rc, CHAOSD_ERR_BAD_REQUEST);
        }
    }
    ck_assert_str_eq(chaosd_op_name(CHAOSD_N_OPS), "?");
    ck_assert_ptr_null(chaosd_op_info(CHAOSD_N_OPS));
}
END_TEST

/* Which ops change or destroy guests: what chaosd checks the peer for. */
START_TEST(op_access)
{
    static const enum chaosd_op change[] = {
        CHAOSD_OP_CREATE, CHAOSD_OP_RESTORE, CHAOSD_OP_DESTROY,
        CHAOSD_OP_SHUTDOWN, CHAOSD_OP_POOL_RESIZE
    };
    unsigned n_change = 0;
    for (unsigned i = 0; i < CHAOSD_N_OPS; i++) {
        const struct chaosd_op_info *op = chaosd_op_info((enum chaosd_op)i);
        ck_assert_ptr_nonnull(op->fields);
        bool listed = false;
        for (unsigned k = 0; k < sizeof(change) / sizeof(change[0]); k++)
            listed |= change[k] == (enum chaosd_op)i;
        ck_assert_int_eq(op->access, listed ? CHAOSD_CHANGE : CHAOSD_READ);
        n_change += op->access == CHAOSD_CHANGE;
    }
    ck_assert_uint_eq(n_change, 5);
    ck_assert_str_eq(chaosd_errcode_name(CHAOSD_ERR_FORBIDDEN), "forbidden");
    ck_assert_str_eq(chaosd_op_info(CHAOSD_OP_DESTROY)->fields,
                     "domain NAME|ID");
}
END_TEST

START_TEST(create_fields)
{
    ck_assert_int_eq(decode("{\"v\":1,\"op\":\"create\",\"id\":7,"
                            "\"config\":\"name=\\\"a\\\"\\nmemory=4\\n\","
                            "\"source\":\"a.cfg\",\"paused\":true,"
                            "\"overrides\":[\"memory=8\",\"name=b\"]}"),
                     CHAOSD_ERR_NONE);
    ck_assert_int_eq(req.op, CHAOSD_OP_CREATE);
    ck_assert_str_eq(req.create.config, "name=\"a\"\nmemory=4\n");
    ck_assert_str_eq(req.create.source, "a.cfg");
    ck_assert(req.create.paused);
    ck_assert_ptr_null(req.create.path);
    ck_assert_uint_eq(req.create.n_overrides, 2);
    ck_assert_str_eq(req.create.overrides[1], "name=b");
    ck_assert_int_eq(json_object_get_int(req.id), 7);
    chaosd_request_free(&req);

    ck_assert_int_eq(
        decode("{\"v\":1,\"op\":\"create\",\"path\":\"/etc/x.cfg\"}"),
        CHAOSD_ERR_NONE);
    ck_assert_str_eq(req.create.path, "/etc/x.cfg");
    chaosd_request_free(&req);
}
END_TEST

START_TEST(create_errors)
{
    ck_decode_err("{\"v\":1,\"op\":\"create\"}", CHAOSD_ERR_BAD_REQUEST,
                  "create needs exactly one of \"config\" and \"path\"");
    ck_decode_err("{\"v\":1,\"op\":\"create\",\"config\":\"\",\"path\":\"/x\"}",
                  CHAOSD_ERR_BAD_REQUEST,
                  "create needs exactly one of \"config\" and \"path\"");
    ck_decode_err("{\"v\":1,\"op\":\"create\",\"path\":\"x.cfg\"}",
                  CHAOSD_ERR_BAD_REQUEST, "\"path\" must be absolute");
    ck_decode_err("{\"v\":1,\"op\":\"create\",\"config\":3}",
                  CHAOSD_ERR_BAD_REQUEST, "\"config\" must be a string");
    ck_decode_err("{\"v\":1,\"op\":\"create\",\"config\":\"a\\u0000b\"}",
                  CHAOSD_ERR_BAD_REQUEST, "\"config\" must be a string");
    ck_decode_err(
        "{\"v\":1,\"op\":\"create\",\"config\":\"\",\"overrides\":[1]}",
        CHAOSD_ERR_BAD_REQUEST,
        "\"overrides\" must be an array of \"KEY=VALUE\" strings");
    ck_decode_err("{\"v\":1,\"op\":\"create\",\"config\":\"\",\"paused\":1}",
                  CHAOSD_ERR_BAD_REQUEST, "\"paused\" must be true or false");
}
END_TEST

START_TEST(other_ops_fields)
{
    ck_assert_int_eq(decode("{\"v\":1,\"op\":\"shutdown\",\"domain\":\"web\","
                            "\"reboot\":true}"),
                     CHAOSD_ERR_NONE);
    ck_assert_str_eq(req.shutdown.domain, "web");
    ck_assert(req.shutdown.reboot);
    chaosd_request_free(&req);
    ck_decode_err("{\"v\":1,\"op\":\"destroy\"}", CHAOSD_ERR_BAD_REQUEST,
                  "destroy needs \"domain\": a name or a domain id");
    ck_decode_err("{\"v\":1,\"op\":\"destroy\",\"domain\":\"\"}",
                  CHAOSD_ERR_BAD_REQUEST,
                  "destroy needs \"domain\": a name or a domain id");
    ck_assert_int_eq(decode("{\"v\":1,\"op\":\"pool-resize\",\"flavor\":\"f\","
                            "\"size\":12}"),
                     CHAOSD_ERR_NONE);
    ck_assert_str_eq(req.pool_resize.flavor, "f");
    ck_assert_uint_eq(req.pool_resize.size, 12);
    chaosd_request_free(&req);
    ck_decode_err(
        "{\"v\":1,\"op\":\"pool-resize\",\"flavor\":\"f\",\"size\":-1}",
        CHAOSD_ERR_BAD_REQUEST, "\"size\" must be between 0 and 100000");
    ck_decode_err(
        "{\"v\":1,\"op\":\"pool-resize\",\"flavor\":\"f\",\"size\":\"2\"}",
        CHAOSD_ERR_BAD_REQUEST,
        "pool-resize needs \"size\": a number of shells");
    ck_assert_int_eq(decode("{\"v\":1,\"op\":\"restore\",\"path\":\"/i\","
                            "\"overrides\":[\"name=b\"],\"paused\":true}"),
                     CHAOSD_ERR_NONE);
    ck_assert_str_eq(req.restore.path, "/i");
    ck_assert_uint_eq(req.restore.n_overrides, 1);
    ck_assert_str_eq(req.restore.overrides[0], "name=b");
    ck_assert(req.restore.paused);
    chaosd_request_free(&req);
    ck_decode_err("{\"v\":1,\"op\":\"restore\",\"path\":\"i\"}",
                  CHAOSD_ERR_BAD_REQUEST,
                  "restore needs \"path\": the image's absolute path");
    ck_decode_err("{\"v\":1,\"op\":\"restore\",\"path\":\"/i\","
                  "\"overrides\":\"x\"}",
                  CHAOSD_ERR_BAD_REQUEST,
                  "\"overrides\" must be an array of \"KEY=VALUE\" strings");
}
END_TEST

START_TEST(malformed_requests)
{
    ck_assert_int_eq(decode(""), CHAOSD_ERR_BAD_JSON);
    ck_assert_int_eq(decode("{"), CHAOSD_ERR_BAD_JSON);
    ck_assert_str_eq(err, "request is not JSON: unexpected end");
    ck_decode_err("[1,2]", CHAOSD_ERR_BAD_JSON, "request is not a JSON object");
    ck_decode_err("{\"v\":1,\"op\":\"list\"} {}", CHAOSD_ERR_BAD_JSON,
                  "request is not one JSON object per line");
    ck_decode_err(
        "{\"op\":\"list\"}", CHAOSD_ERR_VERSION,
        "request has no \"v\" (protocol version; this daemon speaks 1)");
    ck_decode_err("{\"v\":2,\"op\":\"list\"}", CHAOSD_ERR_VERSION,
                  "protocol version 2 is not supported (this daemon speaks 1)");
    ck_decode_err("{\"v\":1}", CHAOSD_ERR_BAD_REQUEST,
                  "request has no \"op\" string");
    ck_decode_err("{\"v\":1,\"op\":\"launch\"}", CHAOSD_ERR_UNKNOWN_OP,
                  "unknown op \"launch\"");
    /* Deep nesting is refused by the tokenizer, not by the stack. */
    char deep[2000];
    memset(deep, '[', sizeof(deep) - 1);
    deep[sizeof(deep) - 1] = '\0';
    ck_assert_int_eq(decode(deep), CHAOSD_ERR_BAD_JSON);
    /* A NUL inside the line. */
    json_object *id;
    ck_assert_int_eq(
        chaosd_request_decode("{\"v\":1}\0x", 9, &req, &id, err, sizeof(err)),
        CHAOSD_ERR_BAD_JSON);
}
END_TEST

START_TEST(error_keeps_id)
{
    json_object *id = NULL;
    const char *line = "{\"v\":1,\"op\":\"nope\",\"id\":\"abc\"}";
    ck_assert_int_eq(
        chaosd_request_decode(line, strlen(line), &req, &id, err, sizeof(err)),
        CHAOSD_ERR_UNKNOWN_OP);
    ck_assert_ptr_nonnull(id);
    json_object *reply = chaosd_reply_error(id, CHAOSD_ERR_UNKNOWN_OP, err);
    json_object_put(id);
    size_t len;
    char *text = chaosd_message_line(reply, &len);
    ck_assert_str_eq(
        text,
        "{\"v\":1,\"ok\":false,\"id\":\"abc\","
        "\"code\":\"unknown-op\",\"error\":\"unknown op \\\"nope\\\"\"}\n");
    ck_assert_uint_eq(len, strlen(text));
    bool ok = true;
    json_object *back =
        chaosd_reply_decode(text, len - 1, &ok, err, sizeof(err));
    ck_assert_ptr_nonnull(back);
    ck_assert(!ok);
    ck_assert_str_eq(err, "unknown op \"nope\"");
    json_object_put(back);
    free(text);
}
END_TEST

START_TEST(reply_round_trip)
{
    json_object *r = chaosd_reply_ok(NULL);
    json_object_object_add(r, "domid", json_object_new_int(5));
    json_object_object_add(r, "log",
                           json_object_new_string("/var/log/chaos/x.log"));
    size_t len;
    char *text = chaosd_message_line(r, &len);
    /* Paths read as they are: "/" is not escaped. */
    ck_assert_ptr_nonnull(strstr(text, "\"log\":\"/var/log/chaos/x.log\""));
    bool ok = false;
    json_object *back = chaosd_reply_decode(text, len, &ok, err, sizeof(err));
    ck_assert(ok);
    json_object *d;
    ck_assert(json_object_object_get_ex(back, "domid", &d));
    ck_assert_int_eq(json_object_get_int(d), 5);
    json_object_put(back);
    free(text);
    ck_assert_ptr_null(chaosd_reply_decode("{\"v\":9,\"ok\":true}", 18, &ok,
                                           err, sizeof(err)));
    ck_assert_ptr_null(
        chaosd_reply_decode("garbage", 7, &ok, err, sizeof(err)));
}
END_TEST

/* Event lines: the exact text subscribers and `chaos events --json` get. */
START_TEST(event_lines)
{
    size_t len;
    char *text = chaosd_message_line(
        chaosd_event_new("shutdown", 7, "web", "reason", "poweroff"), &len);
    ck_assert_str_eq(text, "{\"v\":1,\"event\":\"shutdown\",\"domid\":7,"
                           "\"name\":\"web\",\"reason\":\"poweroff\"}\n");
    free(text);
    text = chaosd_message_line(
        chaosd_event_new("created", 8, "a\"b", "path", "pool"), &len);
    ck_assert_str_eq(text, "{\"v\":1,\"event\":\"created\",\"domid\":8,"
                           "\"name\":\"a\\\"b\",\"path\":\"pool\"}\n");
    free(text);
    /* No name (a shell), no detail (new, death). */
    text = chaosd_message_line(chaosd_event_new("new", 9, NULL, "reason", NULL),
                               &len);
    ck_assert_str_eq(text,
                     "{\"v\":1,\"event\":\"new\",\"domid\":9,\"name\":\"\"}\n");
    ck_assert_uint_eq(len, strlen(text));
    free(text);
}
END_TEST

/* Collects what the line splitter delivers. */
static char got[16][64];
static size_t got_len[16];
static int n_got;

static int collect(void *opaque, const char *line, size_t len)
{
    (void)opaque;
    if (line) /* NUL-terminated, for json_tokener_parse */
        ck_assert_int_eq(line[len], '\0');
    if (line)
        snprintf(got[n_got], sizeof(got[0]), "%.*s", (int)len, line);
    else
        snprintf(got[n_got], sizeof(got[0]), "<dropped %zu>", len);
    got_len[n_got++] = len;
    return 0;
}

START_TEST(lines_split_and_bound)
{
    struct chaosd_lines lb;
    chaosd_lines_init(&lb, 8);
    n_got = 0;
    const char *in = "ab\n\ncd";
    ck_assert_int_eq(chaosd_lines_feed(&lb, in, strlen(in), collect, NULL), 0);
    ck_assert_int_eq(n_got, 2);
    ck_assert_str_eq(got[0], "ab");
    ck_assert_str_eq(got[1], "");
    /* "cd" waits for its newline; then a line of 12 bytes in two reads. */
    ck_assert_int_eq(chaosd_lines_feed(&lb, "e\n0123456", 9, collect, NULL), 0);
    ck_assert_str_eq(got[2], "cde");
    ck_assert_int_eq(chaosd_lines_feed(&lb, "789ab\nok\n", 9, collect, NULL),
                     0);
    ck_assert_int_eq(n_got, 5);
    ck_assert_str_eq(got[3], "<dropped 12>");
    ck_assert_str_eq(got[4], "ok");
    /* Exactly max bytes is allowed. */
    ck_assert_int_eq(chaosd_lines_feed(&lb, "12345678\n", 9, collect, NULL), 0);
    ck_assert_str_eq(got[5], "12345678");
    chaosd_lines_free(&lb);
}
END_TEST

static int stop_at_first(void *opaque, const char *line, size_t len)
{
    (void)line;
    (void)len;
    ++*(int *)opaque;
    return 42;
}

START_TEST(lines_callback_stops)
{
    struct chaosd_lines lb;
    chaosd_lines_init(&lb, 100);
    int calls = 0;
    ck_assert_int_eq(chaosd_lines_feed(&lb, "a\nb\n", 4, stop_at_first, &calls),
                     42);
    ck_assert_int_eq(calls, 1);
    chaosd_lines_free(&lb);
}
END_TEST

static Suite *protocol_suite(void)
{
    Suite *s = suite_create("chaosd protocol");
    TCase *tc = tcase_create("codec");
    tcase_add_test(tc, every_op_decodes);
    tcase_add_test(tc, op_access);
    tcase_add_test(tc, create_fields);
    tcase_add_test(tc, create_errors);
    tcase_add_test(tc, other_ops_fields);
    tcase_add_test(tc, malformed_requests);
    tcase_add_test(tc, error_keeps_id);
    tcase_add_test(tc, reply_round_trip);
    tcase_add_test(tc, event_lines);
    tcase_add_test(tc, lines_split_and_bound);
    tcase_add_test(tc, lines_callback_stops);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(protocol_suite());
}
