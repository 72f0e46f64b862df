/*
 * fuzz_chaosd_request.c - libFuzzer target for what chaosd reads from its
 * socket: the line splitter (with a small bound, so oversized lines are
 * exercised) and the request decoder, then the reply the daemon would
 * build.  Built and run by `make fuzz-chaosd` (see chaosd/local.mk).
 *
 * Properties checked beyond "no crash, no leak, no UB": a decoded create
 * has exactly one of config/path; every reply is one line that decodes
 * back as a reply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_reply(json_object *reply)
{
    size_t len;
    char *line = chaosd_message_line(reply, &len);
    if (!line)
        return;
    if (len == 0 || line[len - 1] != '\n' || memchr(line, '\n', len - 1))
        abort();
    bool ok;
    char err[256];
    json_object *back =
        chaosd_reply_decode(line, len - 1, &ok, err, sizeof(err));
    if (!back)
        abort();
    json_object_put(back);
    free(line);
}

static int one_line(void *opaque, const char *line, size_t len)
{
    (void)opaque;
    char err[256];
    if (!line) {
        check_reply(
            chaosd_reply_error(NULL, CHAOSD_ERR_TOO_LARGE, "too large"));
        return 0;
    }
    struct chaosd_request req;
    json_object *id = NULL;
    enum chaosd_errcode code =
        chaosd_request_decode(line, len, &req, &id, err, sizeof(err));
    if (code != CHAOSD_ERR_NONE) {
        check_reply(chaosd_reply_error(id, code, err));
    } else {
        if (req.op == CHAOSD_OP_CREATE &&
            !!req.create.config == !!req.create.path)
            abort();
        /* Every op a request can name has its row. */
        if (!chaosd_op_info(req.op))
            abort();
        json_object *r = chaosd_reply_ok(req.id);
        json_object_object_add(r, "op",
                               json_object_new_string(chaosd_op_name(req.op)));
        check_reply(r);
        chaosd_request_free(&req);
    }
    json_object_put(id);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct chaosd_lines lb;
    chaosd_lines_init(&lb, 1024);
    /* Two reads, split in the middle: framing must not depend on reads. */
    size_t half = size / 2;
    chaosd_lines_feed(&lb, (const char *)data, half, one_line, NULL);
    chaosd_lines_feed(&lb, (const char *)data + half, size - half, one_line,
                      NULL);
    chaosd_lines_free(&lb);
    /* The whole input as one line, with the daemon's real bound. */
    one_line(NULL, (const char *)data, size);
    return 0;
}
