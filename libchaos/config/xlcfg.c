/*
 * xlcfg.c - xl.cfg(5) lexer and recursive-descent parser (see xlcfg.h for
 * the grammar and why chaos has its own rather than libxlutil's).
 *
 * The lexer hands out one token at a time; the parser looks one token
 * ahead.  Every error stops the parse: the first message is the useful one,
 * and stopping keeps the code simple enough to trust on hostile input.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlcfg.h"

enum tok_type {
    T_EOF,
    T_NEWLINE,
    T_SEMI,
    T_EQ,
    T_PLUSEQ,
    T_COMMA,
    T_LBRACK,
    T_RBRACK,
    T_IDENT,
    T_NUMBER,
    T_STRING,
};

struct token {
    enum tok_type type;
    struct xlcfg_pos pos;
    char *text; /* IDENT, NUMBER, STRING: owned until taken */
};

struct parser {
    const char *p, *end; /* unread text */
    struct xlcfg_pos at; /* position of *p */
    const char *source;
    char *err;
    size_t errlen;
    struct token tok; /* the lookahead */
};

static int fail(struct parser *ps, struct xlcfg_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct parser *ps, struct xlcfg_pos pos, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(ps->err, ps->errlen, "%s:%u:%u: ", ps->source, pos.line,
                     pos.column);
    if (n >= 0 && (size_t)n < ps->errlen) {
        va_start(ap, fmt);
        vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

static int out_of_memory(struct parser *ps)
{
    snprintf(ps->err, ps->errlen, "out of memory");
    return -ENOMEM;
}

/* ---- lexer ---- */

static void advance(struct parser *ps, size_t n)
{
    for (; n > 0; n--, ps->p++) {
        if (*ps->p == '\n') {
            ps->at.line++;
            ps->at.column = 1;
        } else {
            ps->at.column++;
        }
    }
}

static bool is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_word_char(char c)
{
    return is_ident_start(c) || is_digit(c);
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Describes a character for a message: 'x' when printable, else 0xNN. */
static const char *show_char(char c, char buf[8])
{
    unsigned char u = (unsigned char)c;
    if (u >= 0x20 && u < 0x7f)
        snprintf(buf, 8, "'%c'", c);
    else
        snprintf(buf, 8, "0x%02x", u);
    return buf;
}

/*
 * Decodes one escape sequence; ps->p is on the backslash.  Appends the byte
 * to *q and advances past the sequence.
 */
static int lex_escape(struct parser *ps, char **q)
{
    static const char simple_in[] = "\"'\\abfnrtv";
    static const char simple_out[] = "\"'\\\a\b\f\n\r\t\v";
    struct xlcfg_pos at = ps->at;
    char c = ps->p + 1 < ps->end ? ps->p[1] : '\0';
    const char *s = c ? strchr(simple_in, c) : NULL;
    char shown[8];
    unsigned value = 0;
    size_t n;

    if (s) {
        *(*q)++ = simple_out[s - simple_in];
        advance(ps, 2);
        return 0;
    }
    if (c == 'x') {
        int hi = ps->p + 2 < ps->end ? hex_digit(ps->p[2]) : -1;
        int lo = ps->p + 3 < ps->end ? hex_digit(ps->p[3]) : -1;
        if (hi < 0 || lo < 0)
            return fail(ps, at, "\\x must be followed by two hex digits");
        value = (unsigned)(hi * 16 + lo);
        n = 4;
    } else if (c >= '0' && c <= '7') {
        for (n = 1; n <= 3 && ps->p + n < ps->end && ps->p[n] >= '0' &&
                    ps->p[n] <= '7';
             n++)
            value = value * 8 + (unsigned)(ps->p[n] - '0');
        if (value > 0377)
            return fail(ps, at, "octal escape \\%.3s is larger than \\377",
                        ps->p + 1);
    } else if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7f) {
        return fail(ps, at, "invalid escape '\\%c' in string", c);
    } else {
        return fail(ps, at, "invalid escape: backslash followed by byte %s",
                    show_char(c, shown));
    }
    if (value == 0)
        return fail(ps, at, "a string cannot contain a NUL character");
    *(*q)++ = (char)value;
    advance(ps, n);
    return 0;
}

/* Reads a quoted string; ps->p is on the opening quote. */
static int lex_string(struct parser *ps, struct token *tok)
{
    char quote = *ps->p;
    const char *line_end = memchr(ps->p, '\n', (size_t)(ps->end - ps->p));
    char *q;
    int rc;

    /* A string never spans lines and an escape never yields more bytes than
     * it spans, so the rest of the line bounds the unescaped text. */
    if (!line_end)
        line_end = ps->end;
    tok->text = malloc((size_t)(line_end - ps->p) + 1);
    if (!tok->text)
        return out_of_memory(ps);
    q = tok->text;
    advance(ps, 1);
    while (ps->p < ps->end && *ps->p != quote) {
        if (*ps->p == '\n')
            break;
        if (*ps->p == '\0')
            return fail(ps, ps->at, "a string cannot contain a NUL character");
        if (*ps->p == '\\') {
            if (ps->p + 1 >= ps->end || ps->p[1] == '\n')
                break; /* a backslash does not continue a line */
            rc = lex_escape(ps, &q);
            if (rc < 0)
                return rc;
            continue;
        }
        *q++ = *ps->p;
        advance(ps, 1);
    }
    if (ps->p >= ps->end || *ps->p != quote)
        return fail(ps, tok->pos, "string is not closed (missing %c)", quote);
    advance(ps, 1);
    *q = '\0';
    tok->type = T_STRING;
    return 0;
}

/* Reads a key or a bare number: a run of word characters. */
static int lex_word(struct parser *ps, struct token *tok)
{
    const char *start = ps->p;
    size_t len = 0;

    while (start + len < ps->end && is_word_char(start[len]))
        len++;
    tok->type = is_digit(*start) ? T_NUMBER : T_IDENT;
    tok->text = strndup(start, len);
    if (!tok->text)
        return out_of_memory(ps);
    advance(ps, len);
    return 0;
}

/* Replaces the lookahead with the next token. */
static int next(struct parser *ps)
{
    struct token *tok = &ps->tok;
    char shown[8];

    free(tok->text);
    tok->text = NULL;
    for (;;) {
        if (ps->p >= ps->end) {
            tok->type = T_EOF;
            tok->pos = ps->at;
            return 0;
        }
        char c = *ps->p;
        if (c == ' ' || c == '\t' ||
            (c == '\r' && ps->p + 1 < ps->end && ps->p[1] == '\n')) {
            advance(ps, 1);
        } else if (c == '#') {
            while (ps->p < ps->end && *ps->p != '\n')
                advance(ps, 1);
        } else {
            break;
        }
    }
    tok->pos = ps->at;
    switch (*ps->p) {
        case '\n':
            tok->type = T_NEWLINE;
            break;
        case ';':
            tok->type = T_SEMI;
            break;
        case '=':
            tok->type = T_EQ;
            break;
        case ',':
            tok->type = T_COMMA;
            break;
        case '[':
            tok->type = T_LBRACK;
            break;
        case ']':
            tok->type = T_RBRACK;
            break;
        case '+':
            if (ps->p + 1 < ps->end && ps->p[1] == '=') {
                tok->type = T_PLUSEQ;
                advance(ps, 2);
                return 0;
            }
            return fail(ps, tok->pos, "unexpected character '+'");
        case '"':
        case '\'':
            return lex_string(ps, tok);
        default:
            if (is_word_char(*ps->p))
                return lex_word(ps, tok);
            if (*ps->p == '\0')
                return fail(ps, tok->pos, "unexpected NUL byte");
            return fail(ps, tok->pos, "unexpected character %s",
                        show_char(*ps->p, shown));
    }
    advance(ps, 1);
    return 0;
}

/* Describes the lookahead for "expected X, found Y" messages. */
static const char *describe(const struct token *tok, char *buf, size_t size)
{
    switch (tok->type) {
        case T_EOF:
            return "end of file";
        case T_NEWLINE:
            return "end of line";
        case T_SEMI:
            return "';'";
        case T_EQ:
            return "'='";
        case T_PLUSEQ:
            return "'+='";
        case T_COMMA:
            return "','";
        case T_LBRACK:
            return "'['";
        case T_RBRACK:
            return "']'";
        case T_IDENT:
            snprintf(buf, size, "'%.40s'", tok->text);
            return buf;
        case T_NUMBER:
            snprintf(buf, size, "number %.40s", tok->text);
            return buf;
        case T_STRING:
            return "a string";
    }
    return "?";
}

/* ---- parser ---- */

static void value_free(struct xlcfg_value *v)
{
    for (size_t i = 0; i < v->n_items; i++)
        value_free(&v->items[i]);
    free(v->items);
    free(v->text);
}

/* Skips the newlines (and comments) that lists may contain. */
static int skip_newlines(struct parser *ps)
{
    int rc = 0;
    while (rc == 0 && ps->tok.type == T_NEWLINE)
        rc = next(ps);
    return rc;
}

static int parse_value(struct parser *ps, struct xlcfg_value *v, unsigned depth,
                       const char *after);

static int parse_list(struct parser *ps, struct xlcfg_value *v, unsigned depth)
{
    size_t cap = 0;
    char buf[128];
    int rc;

    if (depth >= XLCFG_MAX_DEPTH)
        return fail(ps, ps->tok.pos, "lists nested more than %d deep",
                    XLCFG_MAX_DEPTH);
    v->kind = XLCFG_LIST;
    if ((rc = next(ps)) < 0 || (rc = skip_newlines(ps)) < 0)
        return rc;
    while (ps->tok.type != T_RBRACK) {
        if (v->n_items == cap) {
            size_t ncap = cap ? cap * 2 : 4;
            struct xlcfg_value *n = realloc(v->items, ncap * sizeof(*n));
            if (!n)
                return out_of_memory(ps);
            v->items = n;
            cap = ncap;
        }
        struct xlcfg_value *item = &v->items[v->n_items];
        memset(item, 0, sizeof(*item));
        v->n_items++;
        if ((rc = parse_value(ps, item, depth + 1, NULL)) < 0 ||
            (rc = skip_newlines(ps)) < 0)
            return rc;
        if (ps->tok.type == T_RBRACK)
            break;
        if (ps->tok.type != T_COMMA)
            return fail(ps, ps->tok.pos,
                        "expected ',' or ']' in list, found %s",
                        describe(&ps->tok, buf, sizeof(buf)));
        if ((rc = next(ps)) < 0 || (rc = skip_newlines(ps)) < 0)
            return rc;
    }
    return next(ps);
}

/*
 * Parses one value at the lookahead.  after names what preceded it ("'='")
 * for the message when the value is missing; NULL inside a list.
 */
static int parse_value(struct parser *ps, struct xlcfg_value *v, unsigned depth,
                       const char *after)
{
    char buf[128];

    v->pos = ps->tok.pos;
    switch (ps->tok.type) {
        case T_STRING:
        case T_NUMBER:
            v->kind = ps->tok.type == T_STRING ? XLCFG_STRING : XLCFG_NUMBER;
            v->text = ps->tok.text;
            ps->tok.text = NULL;
            return next(ps);
        case T_LBRACK:
            return parse_list(ps, v, depth);
        default:
            if (after && ps->tok.type == T_IDENT)
                return fail(ps, ps->tok.pos,
                            "expected a value after %s, found "
                            "'%.40s' (strings must be quoted: \"%.40s\")",
                            after, ps->tok.text, ps->tok.text);
            if (after)
                return fail(ps, ps->tok.pos,
                            "expected a value after %s, found %s", after,
                            describe(&ps->tok, buf, sizeof(buf)));
            return fail(ps, ps->tok.pos,
                        "expected a value or ']' in list, found %s",
                        describe(&ps->tok, buf, sizeof(buf)));
    }
}

static int parse_setting(struct parser *ps, struct xlcfg_setting *set)
{
    char buf[128];
    int rc;

    set->key = ps->tok.text;
    ps->tok.text = NULL;
    set->pos = ps->tok.pos;
    if ((rc = next(ps)) < 0)
        return rc;
    if (ps->tok.type != T_EQ && ps->tok.type != T_PLUSEQ)
        return fail(ps, ps->tok.pos,
                    "expected '=' or '+=' after '%.40s', found %s", set->key,
                    describe(&ps->tok, buf, sizeof(buf)));
    set->op = ps->tok.type == T_EQ ? XLCFG_ASSIGN : XLCFG_APPEND;
    if ((rc = next(ps)) < 0)
        return rc;
    rc = parse_value(ps, &set->value, 0,
                     set->op == XLCFG_ASSIGN ? "'='" : "'+='");
    if (rc < 0)
        return rc;
    if (ps->tok.type != T_NEWLINE && ps->tok.type != T_SEMI &&
        ps->tok.type != T_EOF)
        return fail(ps, ps->tok.pos,
                    "expected end of line or ';' after the value, found %s",
                    describe(&ps->tok, buf, sizeof(buf)));
    return 0;
}

static int parse_file(struct parser *ps, struct xlcfg *cfg)
{
    size_t cap = 0;
    char buf[128];
    int rc;

    if ((rc = next(ps)) < 0)
        return rc;
    while (ps->tok.type != T_EOF) {
        if (ps->tok.type == T_NEWLINE || ps->tok.type == T_SEMI) {
            if ((rc = next(ps)) < 0)
                return rc;
            continue;
        }
        if (ps->tok.type != T_IDENT)
            return fail(ps, ps->tok.pos, "expected a key, found %s",
                        describe(&ps->tok, buf, sizeof(buf)));
        if (cfg->n_settings == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            struct xlcfg_setting *n = realloc(cfg->settings, ncap * sizeof(*n));
            if (!n)
                return out_of_memory(ps);
            cfg->settings = n;
            cap = ncap;
        }
        struct xlcfg_setting *set = &cfg->settings[cfg->n_settings++];
        memset(set, 0, sizeof(*set));
        if ((rc = parse_setting(ps, set)) < 0)
            return rc;
    }
    return 0;
}

int xlcfg_parse(const char *text, size_t len, const char *source,
                struct xlcfg **out, char *err, size_t errlen)
{
    struct parser ps = {
        .p = text,
        .end = text + len,
        .at = { 1, 1 },
        .source = source ? source : "<config>",
        .err = err,
        .errlen = errlen,
    };
    struct xlcfg *cfg;
    int rc;

    *out = NULL;
    if (errlen)
        err[0] = '\0';
    if (len > XLCFG_MAX_TEXT) {
        snprintf(err, errlen,
                 "%s: configuration is too large (%zu bytes, "
                 "at most %u)",
                 ps.source, len, XLCFG_MAX_TEXT);
        return -EFBIG;
    }
    cfg = calloc(1, sizeof(*cfg));
    if (!cfg)
        return out_of_memory(&ps);
    rc = parse_file(&ps, cfg);
    free(ps.tok.text);
    if (rc < 0) {
        xlcfg_free(cfg);
        return rc;
    }
    *out = cfg;
    return 0;
}

void xlcfg_free(struct xlcfg *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->n_settings; i++) {
        free(cfg->settings[i].key);
        value_free(&cfg->settings[i].value);
    }
    free(cfg->settings);
    free(cfg);
}

const char *xlcfg_kind_name(enum xlcfg_kind kind)
{
    switch (kind) {
        case XLCFG_STRING:
            return "a string";
        case XLCFG_NUMBER:
            return "a number";
        case XLCFG_LIST:
            return "a list";
    }
    return "?";
}

size_t xlcfg_quote(char *buf, size_t size, const char *s)
{
    size_t n = 0;
    char esc[8];

#define PUT(ch)            \
    do {                   \
        if (n + 1 < size)  \
            buf[n] = (ch); \
        n++;               \
    } while (0)
    PUT('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        const char *e = NULL;
        switch (c) {
            case '"':
                e = "\\\"";
                break;
            case '\\':
                e = "\\\\";
                break;
            case '\n':
                e = "\\n";
                break;
            case '\t':
                e = "\\t";
                break;
            case '\r':
                e = "\\r";
                break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    snprintf(esc, sizeof(esc), "\\x%02x", c);
                    e = esc;
                }
        }
        if (e) {
            for (; *e; e++)
                PUT(*e);
        } else {
            PUT((char)c);
        }
    }
    PUT('"');
#undef PUT
    if (size)
        buf[n < size ? n : size - 1] = '\0';
    return n;
}
