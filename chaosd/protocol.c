/*
 * protocol.c - the chaosd protocol codec (see protocol.h, docs/chaosd.md).
 * Everything a peer sends is untrusted: every field is type-checked, and
 * nothing here asserts or aborts on bad input.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"

static const char *const err_names[] = {
    [CHAOSD_ERR_NONE] = "none",
    [CHAOSD_ERR_BAD_JSON] = "bad-json",
    [CHAOSD_ERR_BAD_REQUEST] = "bad-request",
    [CHAOSD_ERR_VERSION] = "version",
    [CHAOSD_ERR_UNKNOWN_OP] = "unknown-op",
    [CHAOSD_ERR_TOO_LARGE] = "too-large",
    [CHAOSD_ERR_CONFIG] = "config",
    [CHAOSD_ERR_NOT_FOUND] = "not-found",
    [CHAOSD_ERR_FAILED] = "failed",
    [CHAOSD_ERR_BUSY] = "busy",
    [CHAOSD_ERR_FORBIDDEN] = "forbidden",
};

const char *chaosd_errcode_name(enum chaosd_errcode code)
{
    return (unsigned)code < sizeof(err_names) / sizeof(err_names[0])
               ? err_names[code]
               : "?";
}

static enum chaosd_errcode fail(char *err, size_t errlen,
                                enum chaosd_errcode code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static enum chaosd_errcode fail(char *err, size_t errlen,
                                enum chaosd_errcode code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return code;
}

/* The string member key, or NULL if absent; *bad set if not a string. */
static const char *get_string(json_object *o, const char *key, bool *bad)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) ||
        json_object_is_type(v, json_type_null))
        return NULL;
    if (!json_object_is_type(v, json_type_string)) {
        *bad = true;
        return NULL;
    }
    const char *s = json_object_get_string(v);
    /* An embedded NUL would make the C string differ from the JSON one. */
    if ((size_t)json_object_get_string_len(v) != strlen(s)) {
        *bad = true;
        return NULL;
    }
    return s;
}

static bool get_bool(json_object *o, const char *key, bool *bad)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) ||
        json_object_is_type(v, json_type_null))
        return false;
    if (!json_object_is_type(v, json_type_boolean)) {
        *bad = true;
        return false;
    }
    return json_object_get_boolean(v);
}

/*
 * The decoders: each reads its op's fields from root into req's member.
 * They are named in CHAOSD_OPS (protocol.h) and tabled below.
 */
typedef enum chaosd_errcode decode_fn(json_object *root,
                                      struct chaosd_request *req, char *err,
                                      size_t errlen);

static enum chaosd_errcode decode_none(json_object *root,
                                       struct chaosd_request *req, char *err,
                                       size_t errlen)
{
    (void)root;
    (void)req;
    (void)err;
    (void)errlen;
    return CHAOSD_ERR_NONE;
}

/* "overrides": at most CHAOSD_MAX_OVERRIDES "KEY=VALUE" strings. */
static enum chaosd_errcode get_overrides(json_object *root, const char **out,
                                         unsigned *n_out, char *err,
                                         size_t errlen)
{
    json_object *ov;
    if (json_object_object_get_ex(root, "overrides", &ov) &&
        !json_object_is_type(ov, json_type_null)) {
        if (!json_object_is_type(ov, json_type_array))
            return fail(
                err, errlen, CHAOSD_ERR_BAD_REQUEST,
                "\"overrides\" must be an array of \"KEY=VALUE\" strings");
        size_t n = json_object_array_length(ov);
        if (n > CHAOSD_MAX_OVERRIDES)
            return fail(err, errlen, CHAOSD_ERR_BAD_REQUEST,
                        "at most %d overrides", CHAOSD_MAX_OVERRIDES);
        for (size_t i = 0; i < n; i++) {
            json_object *s = json_object_array_get_idx(ov, i);
            if (!json_object_is_type(s, json_type_string) ||
                (size_t)json_object_get_string_len(s) !=
                    strlen(json_object_get_string(s)))
                return fail(
                    err, errlen, CHAOSD_ERR_BAD_REQUEST,
                    "\"overrides\" must be an array of \"KEY=VALUE\" strings");
            out[(*n_out)++] = json_object_get_string(s);
        }
    }
    return CHAOSD_ERR_NONE;
}

static enum chaosd_errcode decode_create(json_object *root,
                                         struct chaosd_request *req, char *err,
                                         size_t errlen)
{
    struct chaosd_req_create *r = &req->create;
    bool bad = false;
    r->config = get_string(root, "config", &bad);
    if (bad)
        return fail(err, errlen, CHAOSD_ERR_BAD_REQUEST,
                    "\"config\" must be a string");
    r->path = get_string(root, "path", &bad);
    if (bad)
        return fail(err, errlen, CHAOSD_ERR_BAD_REQUEST,
                    "\"path\" must be a string");
    r->source = get_string(root, "source", &bad);
    if (bad)
        return fail(err, errlen, CHAOSD_ERR_BAD_REQUEST,
                    "\"source\" must be a string");
    r->paused = get_bool(root, "paused", &bad);
    if (bad)
        return fail(err, errlen, CHAOSD_ERR_BAD_REQUEST,
                    "\"paused\" must be true or false");
    if (!!r->config == !!r->path)
        return fail(err, errlen, CHAOSD_ERR_BAD_REQUEST,
                    "create needs exactly one of \"config\" and \"path\"");
    /* The daemon's working directory means nothing to the client. */
    if (r->path && r->path[0] != '/')
        return fail(err, errlen, CHAOSD_ERR_BAD_REQUEST,
                    "\"path\" must be absolute");
    return get_overrides(root, r->overrides, &r->n_overrides, err, errlen);
}

static enum chaosd_errcode decode_restore(json_object *root,
                                          struct chaosd_request *req, char *err,
                                          size_t errlen)
{
    struct chaosd_req_restore *r = &req->restore;
    bool bad = false;
    r->path = get_string(root, "path", &bad);
    /* The daemon's working directory means nothing to the client. */
    if (bad || !r->path || r->path[0] != '/')
        return fail(err, errlen, CHAOSD_ERR_BAD_REQUEST,
                    "restore needs \"path\": the image's absolute path");
    r->paused = get_bool(root, "paused", &bad);
    if (bad)
        return fail(err, errlen, CHAOSD_ERR_BAD_REQUEST,
                    "\"paused\" must be true or false");
    return get_overrides(root, r->overrides, &r->n_overrides, err, errlen);
}

/* "domain": a name or an id, for the ops that act on one domain. */
static enum chaosd_errcode get_domain(json_object *root, enum chaosd_op op,
                                      const char **domain, char *err,
                                      size_t errlen)
{
    bool bad = false;
    *domain = get_string(root, "domain", &bad);
    if (bad || !*domain || !(*domain)[0])
        return fail(err, errlen, CHAOSD_ERR_BAD_REQUEST,
                    "%s needs \"domain\": a name or a domain id",
                    chaosd_op_name(op));
    return CHAOSD_ERR_NONE;
}

static enum chaosd_errcode decode_destroy(json_object *root,
                                          struct chaosd_request *req, char *err,
                                          size_t errlen)
{
    return get_domain(root, req->op, &req->destroy.domain, err, errlen);
}

static enum chaosd_errcode decode_shutdown(json_object *root,
                                           struct chaosd_request *req,
                                           char *err, size_t errlen)
{
    bool bad = false;
    req->shutdown.reboot = get_bool(root, "reboot", &bad);
    if (bad)
        return fail(err, errlen, CHAOSD_ERR_BAD_REQUEST,
                    "\"reboot\" must be true or false");
    return get_domain(root, req->op, &req->shutdown.domain, err, errlen);
}

static enum chaosd_errcode decode_pool_resize(json_object *root,
                                              struct chaosd_request *req,
                                              char *err, size_t errlen)
{
    struct chaosd_req_pool_resize *r = &req->pool_resize;
    bool bad = false;
    r->flavor = get_string(root, "flavor", &bad);
    if (bad || !r->flavor)
        return fail(err, errlen, CHAOSD_ERR_BAD_REQUEST,
                    "pool-resize needs \"flavor\": a flavor name");
    json_object *v;
    if (!json_object_object_get_ex(root, "size", &v) ||
        !json_object_is_type(v, json_type_int))
        return fail(err, errlen, CHAOSD_ERR_BAD_REQUEST,
                    "pool-resize needs \"size\": a number of shells");
    int64_t size = json_object_get_int64(v);
    if (size < 0 || size > 100000)
        return fail(err, errlen, CHAOSD_ERR_BAD_REQUEST,
                    "\"size\" must be between 0 and 100000");
    r->size = (unsigned)size;
    return CHAOSD_ERR_NONE;
}

/* The codec's half of each row of CHAOSD_OPS. */
static const struct op_row {
    struct chaosd_op_info info;
    decode_fn *decode;
} ops[] = {
#define ROW(op, name, dec, handler, access, fields) \
    [CHAOSD_OP_##op] = { { name, access, fields }, decode_##dec },
    CHAOSD_OPS(ROW)
#undef ROW
};
_Static_assert(sizeof(ops) / sizeof(ops[0]) == CHAOSD_N_OPS, "one row per op");

const struct chaosd_op_info *chaosd_op_info(enum chaosd_op op)
{
    return (unsigned)op < CHAOSD_N_OPS ? &ops[op].info : NULL;
}

const char *chaosd_op_name(enum chaosd_op op)
{
    return (unsigned)op < CHAOSD_N_OPS ? ops[op].info.name : "?";
}

enum chaosd_errcode chaosd_request_decode(const char *line, size_t len,
                                          struct chaosd_request *req,
                                          json_object **id_out, char *err,
                                          size_t errlen)
{
    memset(req, 0, sizeof(*req));
    if (id_out)
        *id_out = NULL;
    if (len > CHAOSD_MAX_LINE)
        return fail(err, errlen, CHAOSD_ERR_TOO_LARGE,
                    "request longer than %d bytes", CHAOSD_MAX_LINE);
    if (len > INT_MAX || memchr(line, '\0', len))
        return fail(err, errlen, CHAOSD_ERR_BAD_JSON,
                    "request is not JSON text");
    json_tokener *tok = json_tokener_new_ex(32); /* nesting depth bound */
    if (!tok)
        return fail(err, errlen, CHAOSD_ERR_FAILED, "out of memory");
    json_object *root = json_tokener_parse_ex(tok, line, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    /* Only whitespace may follow the object on the line. */
    size_t end =
        jerr == json_tokener_success ? json_tokener_get_parse_end(tok) : 0;
    json_tokener_free(tok);
    if (!root || jerr != json_tokener_success) {
        json_object_put(root);
        return fail(err, errlen, CHAOSD_ERR_BAD_JSON, "request is not JSON: %s",
                    jerr == json_tokener_continue
                        ? "unexpected end"
                        : json_tokener_error_desc(jerr));
    }
    for (size_t i = end; i < len; i++) {
        if (!strchr(" \t\r", line[i])) {
            json_object_put(root);
            return fail(err, errlen, CHAOSD_ERR_BAD_JSON,
                        "request is not one JSON object per line");
        }
    }
    if (!json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        return fail(err, errlen, CHAOSD_ERR_BAD_JSON,
                    "request is not a JSON object");
    }
    req->root = root;
    json_object *v;
    if (json_object_object_get_ex(root, "id", &v))
        req->id = v;
    if (id_out && req->id)
        *id_out = json_object_get(req->id);

    enum chaosd_errcode code = CHAOSD_ERR_NONE;
    if (!json_object_object_get_ex(root, "v", &v) ||
        !json_object_is_type(v, json_type_int)) {
        code = fail(
            err, errlen, CHAOSD_ERR_VERSION,
            "request has no \"v\" (protocol version; this daemon speaks %d)",
            CHAOSD_PROTOCOL_VERSION);
    } else if (json_object_get_int64(v) != CHAOSD_PROTOCOL_VERSION) {
        code = fail(
            err, errlen, CHAOSD_ERR_VERSION,
            "protocol version %lld is not supported (this daemon speaks %d)",
            (long long)json_object_get_int64(v), CHAOSD_PROTOCOL_VERSION);
    } else {
        bool bad = false;
        const char *op = get_string(root, "op", &bad);
        if (!op) {
            code = fail(err, errlen, CHAOSD_ERR_BAD_REQUEST,
                        "request has no \"op\" string");
        } else {
            unsigned i;
            for (i = 0; i < CHAOSD_N_OPS && strcmp(op, ops[i].info.name); i++)
                ;
            if (i == CHAOSD_N_OPS) {
                code = fail(err, errlen, CHAOSD_ERR_UNKNOWN_OP,
                            "unknown op \"%.64s\"", op);
            } else {
                req->op = (enum chaosd_op)i;
                code = ops[i].decode(root, req, err, errlen);
            }
        }
    }
    if (code != CHAOSD_ERR_NONE) {
        json_object_put(root);
        memset(req, 0, sizeof(*req));
    }
    return code;
}

void chaosd_request_free(struct chaosd_request *req)
{
    json_object_put(req->root);
    memset(req, 0, sizeof(*req));
}

static json_object *message_new(void)
{
    json_object *o = json_object_new_object();
    if (o)
        json_object_object_add(o, "v",
                               json_object_new_int(CHAOSD_PROTOCOL_VERSION));
    return o;
}

json_object *chaosd_reply_ok(json_object *id)
{
    json_object *o = message_new();
    if (!o)
        return NULL;
    json_object_object_add(o, "ok", json_object_new_boolean(1));
    if (id)
        json_object_object_add(o, "id", json_object_get(id));
    return o;
}

json_object *chaosd_event_new(const char *event, long long domid,
                              const char *name, const char *detail_key,
                              const char *detail)
{
    json_object *o = message_new();
    if (!o)
        return NULL;
    json_object_object_add(o, "event", json_object_new_string(event));
    json_object_object_add(o, "domid", json_object_new_int64(domid));
    json_object_object_add(o, "name", json_object_new_string(name ? name : ""));
    if (detail)
        json_object_object_add(o, detail_key, json_object_new_string(detail));
    return o;
}

json_object *chaosd_reply_error(json_object *id, enum chaosd_errcode code,
                                const char *message)
{
    json_object *o = message_new();
    if (!o)
        return NULL;
    json_object_object_add(o, "ok", json_object_new_boolean(0));
    if (id)
        json_object_object_add(o, "id", json_object_get(id));
    json_object_object_add(o, "code",
                           json_object_new_string(chaosd_errcode_name(code)));
    json_object_object_add(o, "error",
                           json_object_new_string(message ? message : ""));
    return o;
}

json_object *chaosd_request_new(enum chaosd_op op)
{
    json_object *o = message_new();
    if (o)
        json_object_object_add(o, "op",
                               json_object_new_string(chaosd_op_name(op)));
    return o;
}

char *chaosd_message_line(json_object *msg, size_t *len)
{
    if (!msg)
        return NULL;
    size_t n;
    /* PLAIN: json-c never emits a raw newline inside it (strings escape it);
     * NOSLASHESCAPE: paths read as they are ("/", not "\/"). */
    const char *s = json_object_to_json_string_length(
        msg, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
    char *line = s ? malloc(n + 2) : NULL;
    if (line) {
        memcpy(line, s, n);
        line[n] = '\n';
        line[n + 1] = '\0';
        *len = n + 1;
    }
    json_object_put(msg);
    return line;
}

json_object *chaosd_reply_decode(const char *line, size_t len, bool *ok,
                                 char *err, size_t errlen)
{
    if (len > INT_MAX) {
        fail(err, errlen, CHAOSD_ERR_TOO_LARGE, "reply too long");
        return NULL;
    }
    /* json_tokener_parse wants NUL-terminated text. */
    char *copy = strndup(line, len);
    json_object *o = copy ? json_tokener_parse(copy) : NULL;
    free(copy);
    json_object *v;
    if (!o || !json_object_is_type(o, json_type_object) ||
        !json_object_object_get_ex(o, "v", &v) ||
        json_object_get_int64(v) != CHAOSD_PROTOCOL_VERSION ||
        !json_object_object_get_ex(o, "ok", &v) ||
        !json_object_is_type(v, json_type_boolean)) {
        fail(err, errlen, CHAOSD_ERR_BAD_JSON,
             "chaosd sent something that is not a version %d reply",
             CHAOSD_PROTOCOL_VERSION);
        json_object_put(o);
        return NULL;
    }
    *ok = json_object_get_boolean(v);
    if (!*ok) {
        json_object *e;
        const char *msg = json_object_object_get_ex(o, "error", &e)
                              ? json_object_get_string(e)
                              : "unknown error";
        if (errlen)
            snprintf(err, errlen, "%s", msg);
    }
    return o;
}

/* ------------------------------------------------------------------ lines */

void chaosd_lines_init(struct chaosd_lines *lb, size_t max)
{
    memset(lb, 0, sizeof(*lb));
    lb->max = max;
}

void chaosd_lines_free(struct chaosd_lines *lb)
{
    free(lb->buf);
    memset(lb, 0, sizeof(*lb));
}

static int append(struct chaosd_lines *lb, const char *data, size_t n)
{
    if (n == 0)
        return 0; /* buf may still be NULL */
    /* One byte more than the line: the NUL chaosd_lines_feed adds. */
    if (lb->len + n + 1 > lb->cap) {
        size_t cap = lb->cap ? lb->cap : 256;
        while (cap < lb->len + n + 1)
            cap *= 2;
        char *p = realloc(lb->buf, cap);
        if (!p)
            return -ENOMEM;
        lb->buf = p;
        lb->cap = cap;
    }
    memcpy(lb->buf + lb->len, data, n);
    lb->len += n;
    return 0;
}

int chaosd_lines_feed(struct chaosd_lines *lb, const char *data, size_t n,
                      chaosd_line_fn fn, void *opaque)
{
    while (n > 0) {
        const char *nl = memchr(data, '\n', n);
        size_t part = nl ? (size_t)(nl - data) : n;
        if (lb->dropped || lb->len + part > lb->max) {
            /* An oversized line: drop it, report it once it ends. */
            lb->dropped += lb->len + part;
            lb->len = 0;
            if (!nl)
                return 0;
            size_t dropped = lb->dropped;
            lb->dropped = 0;
            int rc = fn(opaque, NULL, dropped);
            if (rc)
                return rc;
        } else {
            if (append(lb, data, part) < 0)
                return -ENOMEM;
            if (!nl)
                return 0;
            size_t len = lb->len;
            lb->len = 0;
            if (len)
                lb->buf[len] = '\0';
            int rc = fn(opaque, len ? lb->buf : "", len);
            if (rc)
                return rc;
        }
        data += part + 1;
        n -= part + 1;
    }
    return 0;
}
