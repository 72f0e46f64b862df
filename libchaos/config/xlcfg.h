/*
 * xlcfg.h - parser for xl.cfg(5) text into a small generic tree.
 *
 * People who know Xen's xl write guest configurations in xl.cfg syntax, so
 * chaos reads that syntax.  The only other C parser for it is libxlutil
 * (libxlu_cfg_*.l/.y inside Xen's tools), which chaos deliberately does not
 * link: it prints to a FILE*, reports only line numbers and drags in libxl.
 * This one is hand-written, reports FILE:LINE:COLUMN, and is safe on hostile
 * input (it is fuzzed: tests/fuzz/fuzz_xlcfg.c).
 *
 * The syntax, as xl accepts it:
 *   file     := { NEWLINE | ';' | setting ( NEWLINE | ';' | end of text ) }
 *   setting  := KEY ( '=' | '+=' ) value
 *   value    := STRING | NUMBER | '[' nl* [ value nl* { ',' nl* value nl* }
 *               [ ',' nl* ] ] ']'          (lists may nest and span lines)
 *   KEY      := [A-Za-z_][A-Za-z0-9_]*   (xl takes only [a-z][a-z0-9_]*;
 *               chaos reads more so config.c can say "unknown key 'MEMORY'
 *               (did you mean 'memory'?)" instead of "lexical error")
 *   NUMBER   := a bare word starting with a digit, kept as written; whether
 *               it is a valid number (decimal, 0x hex, 0 octal) is decided by
 *               the user of the value, as xl does.
 *   STRING   := "..." or '...' on one line; both take the C escapes xl takes
 *               (\" \' \\ \a \b \f \n \r \t \v) plus \xHH and \ooo, which
 *               xl's parser mangles and chaos implements properly.  A NUL
 *               character is refused (values are C strings).
 *   '#' starts a comment that runs to the end of the line.
 * A carriage return before a newline is ignored (files edited on Windows)
 * and the last line needs no newline, even after a comment: two places
 * where xl reports an error and chaos does not.
 *
 * The tree records what was written; it applies no meaning.  In particular
 * '+=' is kept as XLCFG_APPEND: xl's rule (append to the previous value of
 * the same key) is applied by the user of the tree, config.c.
 *
 * Positions are 1-based; columns count bytes, a tab counts as one.
 */
#ifndef CHAOS_XLCFG_H
#define CHAOS_XLCFG_H

#include <stddef.h>

/* Lists nested deeper than this are refused (bounds the recursion). */
#define XLCFG_MAX_DEPTH 16
/* Texts longer than this are refused with -EFBIG (bounds memory, and keeps
 * line and column numbers far from overflow). */
#define XLCFG_MAX_TEXT (16u * 1024 * 1024)

struct xlcfg_pos {
    unsigned line;
    unsigned column;
};

enum xlcfg_kind {
    XLCFG_STRING,
    XLCFG_NUMBER,
    XLCFG_LIST,
};

struct xlcfg_value {
    enum xlcfg_kind kind;
    struct xlcfg_pos pos;      /* where the value starts */
    char *text;                /* STRING: unescaped; NUMBER: as written */
    struct xlcfg_value *items; /* LIST: n_items values */
    size_t n_items;
};

enum xlcfg_op {
    XLCFG_ASSIGN, /* KEY = VALUE */
    XLCFG_APPEND, /* KEY += VALUE */
};

struct xlcfg_setting {
    char *key;
    enum xlcfg_op op;
    struct xlcfg_pos pos; /* where the key starts */
    struct xlcfg_value value;
};

/* A parsed text: its settings in the order they were written. */
struct xlcfg {
    struct xlcfg_setting *settings;
    size_t n_settings;
};

/*
 * Parses len bytes of text (need not be NUL-terminated; a NUL byte in it is
 * an error).  source names the text in messages ("guest.cfg").
 * On success returns 0 and sets *out to a tree freed with xlcfg_free().
 * On failure returns -EINVAL (bad syntax), -EFBIG (text too long) or
 * -ENOMEM, sets *out to NULL, and writes "SOURCE:LINE:COLUMN: message"
 * (or "out of memory") into err, truncated to errlen bytes.
 */
int xlcfg_parse(const char *text, size_t len, const char *source,
                struct xlcfg **out, char *err, size_t errlen);

void xlcfg_free(struct xlcfg *cfg);

/* Human name of a value kind: "a string", "a number", "a list". Static. */
const char *xlcfg_kind_name(enum xlcfg_kind kind);

/*
 * Writes s as an xl.cfg double-quoted string literal that xlcfg_parse()
 * reads back as exactly s.  Returns the bytes needed excluding the NUL
 * (like snprintf); writes at most size bytes including the NUL.
 */
size_t xlcfg_quote(char *buf, size_t size, const char *s);

#endif /* CHAOS_XLCFG_H */
