/*
 * The unikernel command line: words separated by spaces or tabs, each
 * either `key` or `key=value`.  No quoting; a value ends at the next blank.
 * When a key appears twice the last word wins, as on Linux.
 *
 * Pure code (no Xen, no kernel state): also built for the host unit tests
 * (tests/unit/test_unikernel_cmdline.c).
 */
#ifndef CHAOS_UK_CMDLINE_H
#define CHAOS_UK_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cmdline_word {
    const char *key;
    size_t key_len;
    const char *value; /* NULL for a bare `key` */
    size_t value_len;
};

/*
 * Split off the next word.  *cursor starts at the command line (NULL is an
 * empty one) and is advanced past the word.  Returns false at the end.
 */
bool cmdline_next(const char **cursor, struct cmdline_word *word);

/*
 * Look up `key`.  Returns false if absent; otherwise fills *word (its value
 * is NULL for a bare key).
 */
bool cmdline_find(const char *cmdline, const char *key,
                  struct cmdline_word *word);

/* Whether the word's value is exactly `text` (a bare key has none). */
bool cmdline_value_is(const struct cmdline_word *word, const char *text);

/* Strict unsigned decimal: digits only, no sign, no overflow. */
bool cmdline_parse_u64(const char *text, size_t len, uint64_t *out);

/*
 * `key=N` as a number.  Absent: *out is left alone and true is returned,
 * so callers preset the default.  Present but not a number (or bare):
 * false.
 */
bool cmdline_get_u64(const char *cmdline, const char *key, uint64_t *out);

#endif
