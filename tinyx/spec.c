/*
 * spec.c - the spec parser (format in initramfs.h).
 *
 * Every error starts with "FILE:LINE: " so a user can go straight to it.
 * The parser only checks form; whether SRC exists is the planner's business.
 */
#include "initramfs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FIELDS 8
#define MAX_SPEC_SIZE (16u << 20)
#define MAX_PATH_LEN 4095

struct keyword {
    const char *name;
    enum spec_kind kind;
    unsigned min, max; /* fields after the keyword */
    const char *usage;
};

static const struct keyword keywords[] = {
    { "dir", SPEC_DIR, 1, 2, "dir DEST [MODE]" },
    { "file", SPEC_FILE, 2, 3, "file DEST SRC [MODE]" },
    { "elf", SPEC_ELF, 2, 3, "elf DEST SRC [MODE]" },
    { "lib", SPEC_LIB, 1, 1, "lib NAME" },
    { "tree", SPEC_TREE, 2, 2, "tree DEST SRCDIR" },
    { "slink", SPEC_SLINK, 2, 2, "slink DEST TARGET" },
    { "nod", SPEC_NOD, 4, 5, "nod DEST c|b MAJOR MINOR [MODE]" },
};

/* Splits a line into fields; returns the count or a negative error. */
static int split_fields(char *line, char *fields[MAX_FIELDS + 1],
                        const char *file, unsigned lineno, struct tx_error *err)
{
    int n = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\f' ||
               *p == '\v')
            p++;
        if (*p == '\0' || *p == '#')
            return n;
        if (n == MAX_FIELDS + 1)
            return tx_fail(err, -EINVAL, "%s:%u: too many fields", file,
                           lineno);
        if (*p == '"') {
            char *out = ++p; /* unescaped in place: out never passes p */
            fields[n++] = out;
            while (*p != '"') {
                if (*p == '\0')
                    return tx_fail(err, -EINVAL, "%s:%u: unterminated quote",
                                   file, lineno);
                if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
                    p++;
                *out++ = *p++;
            }
            p++; /* the closing quote */
            if (*p && !strchr(" \t\r\f\v", *p))
                return tx_fail(
                    err, -EINVAL,
                    "%s:%u: a quoted field must be followed by a blank", file,
                    lineno);
            if (*p)
                p++;
            *out = '\0';
        } else {
            fields[n++] = p;
            while (*p && !strchr(" \t\r\f\v", *p))
                p++;
            if (*p)
                *p++ = '\0';
        }
    }
}

static int parse_mode(const char *s, unsigned *mode, const char *file,
                      unsigned lineno, struct tx_error *err)
{
    unsigned v = 0;
    if (!*s || strlen(s) > 5)
        goto bad;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '7')
            goto bad;
        v = v * 8 + (unsigned)(*p - '0');
    }
    if (v > 07777)
        goto bad;
    *mode = v;
    return 0;
bad:
    return tx_fail(err, -EINVAL, "%s:%u: bad mode \"%s\" (octal, at most 7777)",
                   file, lineno, s);
}

static int parse_number(const char *s, unsigned max, unsigned *out,
                        const char *what, const char *file, unsigned lineno,
                        struct tx_error *err)
{
    unsigned long v = 0;
    if (!*s || strlen(s) > 10)
        goto bad;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            goto bad;
        v = v * 10 + (unsigned long)(*p - '0');
    }
    if (v > max)
        goto bad;
    *out = (unsigned)v;
    return 0;
bad:
    return tx_fail(err, -EINVAL,
                   "%s:%u: bad %s \"%s\" (a decimal number up to %u)", file,
                   lineno, what, s, max);
}

/* DEST: normalized, absolute, without "..". */
static int parse_dest(const char *s, char **out, bool root_ok, const char *file,
                      unsigned lineno, struct tx_error *err)
{
    if (!*s)
        return tx_fail(err, -EINVAL, "%s:%u: empty destination path", file,
                       lineno);
    if (strlen(s) > MAX_PATH_LEN)
        return tx_fail(err, -ENAMETOOLONG, "%s:%u: destination path too long",
                       file, lineno);
    for (const char *p = s; *p;) {
        size_t len = strcspn(p, "/");
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return tx_fail(err, -EINVAL,
                           "%s:%u: \"..\" is not allowed in a destination (%s)",
                           file, lineno, s);
        p += len;
        while (*p == '/')
            p++;
    }
    char *norm = tx_path_normalize(s);
    if (!norm)
        return tx_fail(err, -ENOMEM, "out of memory");
    if (!root_ok && strcmp(norm, "/") == 0) {
        free(norm);
        return tx_fail(err, -EINVAL, "%s:%u: the destination cannot be /", file,
                       lineno);
    }
    *out = norm;
    return 0;
}

static int parse_line(struct spec *spec, char *line, unsigned lineno,
                      const char *basedir, struct tx_error *err)
{
    const char *file = spec->file;
    char *f[MAX_FIELDS + 1];
    int n = split_fields(line, f, file, lineno, err);
    if (n <= 0)
        return n;
    const struct keyword *kw = NULL;
    for (size_t i = 0; i < sizeof(keywords) / sizeof(*keywords); i++)
        if (strcmp(f[0], keywords[i].name) == 0)
            kw = &keywords[i];
    if (!kw)
        return tx_fail(err, -EINVAL,
                       "%s:%u: unknown entry type \"%s\" (expected dir, file, "
                       "elf, lib, tree, slink or nod)",
                       file, lineno, f[0]);
    unsigned nargs = (unsigned)n - 1;
    if (nargs < kw->min || nargs > kw->max)
        return tx_fail(err, -EINVAL, "%s:%u: wrong number of fields; usage: %s",
                       file, lineno, kw->usage);

    struct spec_entry e = { .kind = kw->kind, .line = lineno };
    int r = 0;
    switch (kw->kind) {
        case SPEC_LIB:
            if (!*f[1])
                return tx_fail(err, -EINVAL, "%s:%u: empty library name", file,
                               lineno);
            e.src = strdup(f[1]);
            break;
        case SPEC_DIR:
            r = parse_dest(f[1], &e.dest, true, file, lineno, err);
            if (r == 0 && nargs == 2) {
                r = parse_mode(f[2], &e.mode, file, lineno, err);
                e.has_mode = true;
            }
            break;
        case SPEC_FILE:
        case SPEC_ELF:
        case SPEC_TREE:
            r = parse_dest(f[1], &e.dest, kw->kind == SPEC_TREE, file, lineno,
                           err);
            if (r == 0 && !*f[2])
                r = tx_fail(err, -EINVAL, "%s:%u: empty source path", file,
                            lineno);
            if (r == 0 && nargs == 3) {
                r = parse_mode(f[3], &e.mode, file, lineno, err);
                e.has_mode = true;
            }
            if (r == 0)
                e.src =
                    f[2][0] == '/' ? strdup(f[2]) : tx_path_join(basedir, f[2]);
            break;
        case SPEC_SLINK:
            r = parse_dest(f[1], &e.dest, false, file, lineno, err);
            if (r == 0 && !*f[2])
                r = tx_fail(err, -EINVAL, "%s:%u: empty symlink target", file,
                            lineno);
            if (r == 0)
                e.src = strdup(f[2]);
            break;
        case SPEC_NOD:
            r = parse_dest(f[1], &e.dest, false, file, lineno, err);
            if (r == 0 && strcmp(f[2], "c") != 0 && strcmp(f[2], "b") != 0)
                r = tx_fail(err, -EINVAL,
                            "%s:%u: device type must be c or b, not \"%s\"",
                            file, lineno, f[2]);
            e.devtype = f[2][0];
            if (r == 0) /* Linux's limits: 12-bit major, 20-bit minor */
                r = parse_number(f[3], 4095, &e.major, "major", file, lineno,
                                 err);
            if (r == 0)
                r = parse_number(f[4], 1048575, &e.minor, "minor", file, lineno,
                                 err);
            e.mode = 0600;
            if (r == 0 && nargs == 5) {
                r = parse_mode(f[5], &e.mode, file, lineno, err);
                e.has_mode = true;
            }
            break;
    }
    bool wants_src = kw->kind != SPEC_DIR && kw->kind != SPEC_NOD;
    if (r == 0 && wants_src && !e.src)
        r = tx_fail(err, -ENOMEM, "out of memory");
    if (r == 0 &&
        tx_grow(&spec->v, &spec->cap, spec->n + 1, sizeof(*spec->v)) < 0)
        r = tx_fail(err, -ENOMEM, "out of memory");
    if (r < 0) {
        free(e.dest);
        free(e.src);
        return r;
    }
    spec->v[spec->n++] = e;
    return 0;
}

int spec_parse(const char *text, size_t len, const char *file,
               const char *basedir, struct spec *out, struct tx_error *err)
{
    memset(out, 0, sizeof(*out));
    if (!(out->file = strdup(file)))
        return tx_fail(err, -ENOMEM, "out of memory");
    unsigned lineno = 0;
    int r = 0;
    for (size_t pos = 0; pos < len && r == 0;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t linelen = nl ? (size_t)(nl - (text + pos)) : len - pos;
        lineno++;
        if (memchr(text + pos, '\0', linelen)) {
            r = tx_fail(err, -EINVAL,
                        "%s:%u: NUL byte in the line (not a text file?)", file,
                        lineno);
            break;
        }
        char *line = strndup(text + pos, linelen);
        if (!line)
            r = tx_fail(err, -ENOMEM, "out of memory");
        else
            r = parse_line(out, line, lineno, basedir, err);
        free(line);
        pos += linelen + 1;
    }
    if (r < 0)
        spec_free(out);
    return r;
}

int spec_load(const char *path, struct spec *out, struct tx_error *err)
{
    char *text;
    size_t len;
    memset(out, 0, sizeof(*out));
    int r = tx_read_file(path, MAX_SPEC_SIZE, &text, &len);
    if (r < 0)
        return tx_fail(err, r, "%s: %s", path,
                       r == -EFBIG ? "spec larger than 16 MiB" : strerror(-r));
    bool is_stdin = strcmp(path, "-") == 0;
    char *basedir = is_stdin ? strdup(".") : tx_dirname(path);
    if (!basedir)
        r = tx_fail(err, -ENOMEM, "out of memory");
    else
        r = spec_parse(text, len, is_stdin ? "<stdin>" : path, basedir, out,
                       err);
    free(basedir);
    free(text);
    return r;
}

void spec_free(struct spec *spec)
{
    for (size_t i = 0; i < spec->n; i++) {
        free(spec->v[i].dest);
        free(spec->v[i].src);
    }
    free(spec->v);
    free(spec->file);
    memset(spec, 0, sizeof(*spec));
}
