/*
 * protocol.h - the chaosd request/response protocol, shared by chaosd and
 * its clients (the `chaos` command).  docs/chaosd.md is the reference.
 *
 * Framing: one JSON object per line ("\n"-terminated), both ways.  A
 * request line is at most CHAOSD_MAX_LINE bytes; a longer one is dropped
 * whole and answered with a "too-large" error, and the connection goes
 * on with the next line.  Every message carries "v": CHAOSD_PROTOCOL_VERSION.
 *
 * This module is pure (json-c only): no sockets, no Xen, so it is unit-
 * tested and fuzzed on its own.
 */
#ifndef CHAOSD_PROTOCOL_H
#define CHAOSD_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#define CHAOSD_PROTOCOL_VERSION 1
#define CHAOSD_MAX_LINE (64 * 1024)
#define CHAOSD_DEFAULT_SOCKET "/run/chaos/chaosd.sock"

/*
 * The operations, one row each:
 *   X(OP, "name", decoder, handler, access, "fields")
 * decoder: decode_DECODER in protocol.c reads the op's fields into its
 * struct below (none: no fields); handler: handle_HANDLER in chaosd's
 * requests.c carries it out; access: CHAOSD_READ (anyone who can connect)
 * or CHAOSD_CHANGE (changes or destroys guests: root or the admin group,
 * docs/chaosd.md); fields: the request's fields in words, for people.
 * A new op is one row here, its decoder (if it has fields), its handler.
 */
#define CHAOSD_OPS(X)                                                        \
    X(CREATE, "create", create, create, CHAOSD_CHANGE,                       \
      "config TEXT | path FILE, [source NAME], [overrides "                  \
      "[\"KEY=VALUE\"...]], [paused BOOL]")                                  \
    X(RESTORE, "restore", restore, restore, CHAOSD_CHANGE,                   \
      "path FILE, [overrides [\"KEY=VALUE\"...]], [paused BOOL]")            \
    X(DESTROY, "destroy", destroy, destroy, CHAOSD_CHANGE, "domain NAME|ID") \
    X(SHUTDOWN, "shutdown", shutdown, shutdown, CHAOSD_CHANGE,               \
      "domain NAME|ID, [reboot BOOL]")                                       \
    X(LIST, "list", none, list, CHAOSD_READ, "")                             \
    X(INFO, "info", none, info, CHAOSD_READ, "")                             \
    X(POOL, "pool", none, pool, CHAOSD_READ, "")                             \
    X(POOL_RESIZE, "pool-resize", pool_resize, pool_resize, CHAOSD_CHANGE,   \
      "flavor NAME, size N")                                                 \
    X(SUBSCRIBE, "subscribe", none, subscribe, CHAOSD_READ, "")              \
    X(PING, "ping", none, ping, CHAOSD_READ, "")

#define CHAOSD_OP_ENUM_(op, name, dec, handler, access, fields) CHAOSD_OP_##op,
enum chaosd_op { CHAOSD_OPS(CHAOSD_OP_ENUM_) CHAOSD_N_OPS };
#undef CHAOSD_OP_ENUM_

/* Who may ask for an op (chaosd checks the peer's credentials). */
enum chaosd_access {
    CHAOSD_READ,   /* anyone the socket's mode lets connect */
    CHAOSD_CHANGE, /* root, or a member of the admin group */
};

/* An op's row, as the codec knows it (the handler is chaosd's). */
struct chaosd_op_info {
    const char *name;
    enum chaosd_access access;
    const char *fields;
};
/* The row of op, or NULL when op is out of range. */
const struct chaosd_op_info *chaosd_op_info(enum chaosd_op op);

/* Machine-readable error codes of a failed request ("code" in replies). */
enum chaosd_errcode {
    CHAOSD_ERR_NONE,
    CHAOSD_ERR_BAD_JSON,    /* "bad-json": not a JSON object */
    CHAOSD_ERR_BAD_REQUEST, /* "bad-request": a field is missing/wrong */
    CHAOSD_ERR_VERSION,     /* "version": unsupported "v" */
    CHAOSD_ERR_UNKNOWN_OP,  /* "unknown-op" */
    CHAOSD_ERR_TOO_LARGE,   /* "too-large": line over CHAOSD_MAX_LINE */
    CHAOSD_ERR_CONFIG,      /* "config": the guest config is invalid */
    CHAOSD_ERR_NOT_FOUND,   /* "not-found": no such domain or flavor */
    CHAOSD_ERR_FAILED,      /* "failed": the operation failed */
    CHAOSD_ERR_BUSY,        /* "busy": the daemon is stopping */
    CHAOSD_ERR_FORBIDDEN,   /* "forbidden": the peer may not do this */
};

/* Stable names of ops and error codes ("create", "bad-json"). Static. */
const char *chaosd_op_name(enum chaosd_op op);
const char *chaosd_errcode_name(enum chaosd_errcode code);

/* Most KEY=VALUE overrides one create request may carry. */
#define CHAOSD_MAX_OVERRIDES 64

/* The fields of each op that has some. */
struct chaosd_req_create {
    const char *config; /* xl.cfg text, or NULL */
    const char *path;   /* absolute path of an xl.cfg file, or NULL */
    const char *source; /* name of config text in messages, or NULL */
    const char *overrides[CHAOSD_MAX_OVERRIDES];
    unsigned n_overrides;
    bool paused;
};
struct chaosd_req_restore {
    const char *path; /* absolute path of a chaos image */
    const char *overrides[CHAOSD_MAX_OVERRIDES];
    unsigned n_overrides;
    bool paused;
};
struct chaosd_req_destroy {
    const char *domain; /* name or id */
};
struct chaosd_req_shutdown {
    const char *domain; /* name or id */
    bool reboot;
};
struct chaosd_req_pool_resize {
    const char *flavor;
    unsigned size;
};

/*
 * A decoded request: op says which member of the union is filled.
 * Strings point into root and live as long as it; chaosd_request_free()
 * releases everything.
 */
struct chaosd_request {
    enum chaosd_op op;
    json_object *root;
    json_object *id; /* any JSON value, echoed back; may be NULL */
    union {
        struct chaosd_req_create create;
        struct chaosd_req_restore restore;
        struct chaosd_req_destroy destroy;
        struct chaosd_req_shutdown shutdown;
        struct chaosd_req_pool_resize pool_resize;
    };
};

/*
 * Decodes one request line (len bytes, no newline needed, need not be
 * NUL-terminated).  Returns CHAOSD_ERR_NONE with *req filled, or an error
 * code with a message in err (and *req empty: nothing to free).  The id
 * of a request that is valid JSON but otherwise bad is still returned in
 * *id_out (a new reference, or NULL), so the error reply can carry it.
 */
enum chaosd_errcode chaosd_request_decode(const char *line, size_t len,
                                          struct chaosd_request *req,
                                          json_object **id_out, char *err,
                                          size_t errlen);
void chaosd_request_free(struct chaosd_request *req);

/*
 * Replies.  chaosd_reply_ok() returns {"v":1,"ok":true[,"id":ID]}, to which
 * the caller adds fields; chaosd_reply_error() a complete error reply.
 * id is borrowed (a new reference is taken).  NULL if out of memory.
 */
json_object *chaosd_reply_ok(json_object *id);
json_object *chaosd_reply_error(json_object *id, enum chaosd_errcode code,
                                const char *message);

/*
 * An event line's object {"v":1,"event":EVENT,"domid":N,"name":NAME} plus
 * DETAIL_KEY: DETAIL when detail is not NULL ("reason" for Xen's shutdown
 * and crash, "path" for chaosd's created).  name NULL is "".  NULL if out
 * of memory.  chaosd sends these to subscribers; `chaos events --json`
 * prints the same.
 */
json_object *chaosd_event_new(const char *event, long long domid,
                              const char *name, const char *detail_key,
                              const char *detail);

/* A new request object {"v":1,"op":OP}, for clients. */
json_object *chaosd_request_new(enum chaosd_op op);

/*
 * Serialises a message as one line ("...\n"), malloc'd, length in *len.
 * Consumes the reference to msg.  NULL if out of memory.
 */
char *chaosd_message_line(json_object *msg, size_t *len);

/*
 * Client side: decodes a reply line.  Returns the object (the caller
 * owns it) and sets *ok, or NULL when the line is not a reply of this
 * protocol version (err says why).  For an error reply, err holds the
 * daemon's message.
 */
json_object *chaosd_reply_decode(const char *line, size_t len, bool *ok,
                                 char *err, size_t errlen);

/*
 * Splitting a byte stream into lines, with the size bound: feed what was
 * read; each complete line (without its "\n", NUL-terminated, so a
 * callback may hand it to json_tokener_parse) or each oversized line
 * (data NULL, len = bytes dropped, reported once the line ends) goes to
 * the callback.  A callback returning nonzero stops the feed; the bytes
 * after that line are dropped (a client that stops reading is done).
 */
struct chaosd_lines {
    char *buf;
    size_t len, cap, max;
    size_t dropped; /* >0 while discarding an oversized line */
};
typedef int (*chaosd_line_fn)(void *opaque, const char *line, size_t len);

void chaosd_lines_init(struct chaosd_lines *lb, size_t max);
void chaosd_lines_free(struct chaosd_lines *lb);
/* Returns 0, the callback's nonzero value, or -ENOMEM. */
int chaosd_lines_feed(struct chaosd_lines *lb, const char *data, size_t n,
                      chaosd_line_fn fn, void *opaque);

#endif /* CHAOSD_PROTOCOL_H */
