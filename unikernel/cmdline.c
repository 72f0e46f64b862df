/* Command-line words; see cmdline.h. */
#include "cmdline.h"

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool cmdline_next(const char **cursor, struct cmdline_word *word)
{
    const char *p = *cursor;

    if (p == NULL)
        return false;
    while (is_blank(*p))
        p++;
    if (*p == '\0') {
        *cursor = p;
        return false;
    }

    word->key = p;
    while (*p != '\0' && !is_blank(*p) && *p != '=')
        p++;
    word->key_len = (size_t)(p - word->key);
    word->value = NULL;
    word->value_len = 0;
    if (*p == '=') {
        word->value = ++p;
        while (*p != '\0' && !is_blank(*p))
            p++;
        word->value_len = (size_t)(p - word->value);
    }
    *cursor = p;
    return true;
}

static bool key_equals(const struct cmdline_word *word, const char *key)
{
    size_t i;

    for (i = 0; i < word->key_len; i++)
        if (key[i] != word->key[i]) /* also stops at key's NUL */
            return false;
    return key[i] == '\0';
}

bool cmdline_find(const char *cmdline, const char *key,
                  struct cmdline_word *word)
{
    struct cmdline_word candidate;
    bool found = false;

    while (cmdline_next(&cmdline, &candidate)) {
        if (key_equals(&candidate, key)) {
            *word = candidate;
            found = true;
        }
    }
    return found;
}

bool cmdline_value_is(const struct cmdline_word *word, const char *text)
{
    size_t i;

    if (word->value == NULL)
        return false;
    for (i = 0; i < word->value_len; i++)
        if (text[i] != word->value[i]) /* also stops at text's NUL */
            return false;
    return text[i] == '\0';
}

bool cmdline_parse_u64(const char *text, size_t len, uint64_t *out)
{
    uint64_t value = 0;
    size_t i;

    if (len == 0)
        return false;
    for (i = 0; i < len; i++) {
        unsigned int digit = (unsigned int)(text[i] - '0');

        if (digit > 9)
            return false;
        if (value > (UINT64_MAX - digit) / 10)
            return false;
        value = value * 10 + digit;
    }
    *out = value;
    return true;
}

bool cmdline_get_u64(const char *cmdline, const char *key, uint64_t *out)
{
    struct cmdline_word word;

    if (!cmdline_find(cmdline, key, &word))
        return true;
    if (word.value == NULL)
        return false;
    return cmdline_parse_u64(word.value, word.value_len, out);
}
