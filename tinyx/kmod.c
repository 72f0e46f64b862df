/*
 * kmod.c - which kernel modules an image needs, in load order, from a
 * kernel's modules.dep and modules.builtin (see kmod.h).  Pure.
 */
#include "kmod.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* One line of modules.dep, pointing into its text. */
struct dline {
    const char *mod, *deps;
    size_t modlen, depslen;
};

struct depidx {
    struct dline *v;
    size_t n, cap;
    struct tx_map byname; /* module name -> its first line */
};

/* A token: a run of non-blank characters. */
struct tok {
    const char *s;
    size_t len;
};

static const char *const compressions[] = { ".xz", ".zst", ".gz" };

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
    size_t sl = strlen(suffix);
    return len >= sl && memcmp(s + len - sl, suffix, sl) == 0;
}

static size_t compression_len(const char *s, size_t len)
{
    for (size_t i = 0; i < sizeof(compressions) / sizeof(*compressions); i++)
        if (ends_with(s, len, compressions[i]))
            return strlen(compressions[i]);
    return 0;
}

size_t kmod_compression_len(const char *path)
{
    size_t len = strlen(path);
    size_t c = compression_len(path, len);
    return c && ends_with(path, len - c, ".ko") ? c : 0;
}

/*
 * A module file as these files name it: relative (the image path is built
 * from it, so it must stay inside lib/modules/VERSION: no "..", no leading
 * '/'), without blanks, ending in .ko or .ko.EXT, with a non-empty name.
 */
static bool path_ok(const char *p, size_t len)
{
    if (len == 0 || p[0] == '/' || memchr(p, '\0', len))
        return false;
    for (size_t i = 0; i < len; i++)
        if (is_blank(p[i]))
            return false;
    for (size_t i = 0; i < len;) {
        size_t c = i;
        while (c < len && p[c] != '/')
            c++;
        if (c - i == 2 && p[i] == '.' && p[i + 1] == '.')
            return false;
        i = c + 1;
    }
    len -= compression_len(p, len);
    if (!ends_with(p, len, ".ko"))
        return false;
    len -= 3;
    return len > 0 && p[len - 1] != '/';
}

/* The module's name: the file name without .ko[.EXT], '-' written '_'
 * (modprobe treats them alike).  p must satisfy path_ok. */
static char *mod_name(const char *p, size_t len)
{
    len -= compression_len(p, len);
    len -= 3;
    const char *base = p;
    for (size_t i = 0; i < len; i++)
        if (p[i] == '/')
            base = p + i + 1;
    size_t n = (size_t)(p + len - base);
    char *name = strndup(base, n);
    for (size_t i = 0; name && i < n; i++)
        if (name[i] == '-')
            name[i] = '_';
    return name;
}

/* The next line of text from *pos; false at the end. */
static bool next_line(const char *text, size_t len, size_t *pos,
                      struct tok *line)
{
    if (*pos >= len)
        return false;
    line->s = text + *pos;
    const char *nl = memchr(line->s, '\n', len - *pos);
    line->len = nl ? (size_t)(nl - line->s) : len - *pos;
    *pos += line->len + (nl != NULL);
    return true;
}

/* The next token within [*p, end); false when none is left. */
static bool next_tok(const char **p, const char *end, struct tok *t)
{
    while (*p < end && is_blank(**p))
        (*p)++;
    if (*p == end)
        return false;
    t->s = *p;
    while (*p < end && !is_blank(**p))
        (*p)++;
    t->len = (size_t)(*p - t->s);
    return true;
}

/* Blank lines and comments carry nothing (depmod writes neither, but a
 * hand-made file may). */
static bool skip_line(struct tok line)
{
    const char *p = line.s, *end = line.s + line.len;
    struct tok t;
    return !next_tok(&p, end, &t) || t.s[0] == '#';
}

static int malformed(struct tx_error *err, const char *file, size_t lineno,
                     const char *why)
{
    return tx_fail(err, -EINVAL, "%s, line %zu: %s", file, lineno, why);
}

/* A line "PATH: DEP...": its paths checked, its module indexed by name. */
static int parse_dep_line(struct depidx *ix, struct tok line, size_t lineno,
                          struct tx_error *err)
{
    const char *colon = memchr(line.s, ':', line.len);
    if (!colon)
        return malformed(err, "modules.dep", lineno, "no ':' after the module");
    size_t modlen = (size_t)(colon - line.s);
    struct dline d = { .mod = line.s,
                       .modlen = modlen,
                       .deps = colon + 1,
                       .depslen = line.len - modlen - 1 };
    if (!path_ok(d.mod, d.modlen))
        return malformed(err, "modules.dep", lineno,
                         "not a relative path to a .ko file");
    const char *p = d.deps, *end = d.deps + d.depslen;
    for (struct tok t; next_tok(&p, end, &t);)
        if (!path_ok(t.s, t.len))
            return malformed(
                err, "modules.dep", lineno,
                "a dependency is not a relative path to a .ko file");
    char *name = mod_name(d.mod, d.modlen);
    if (!name || tx_grow(&ix->v, &ix->cap, ix->n + 1, sizeof(*ix->v)) < 0) {
        free(name);
        return tx_fail(err, -ENOMEM, "out of memory");
    }
    /* The first line of a name wins, as with modprobe (depmod lists the
     * preferred copy of a module first). */
    int r = tx_map_get(&ix->byname, name, NULL)
                ? 0
                : tx_map_put(&ix->byname, name, ix->n);
    free(name);
    if (r < 0)
        return tx_fail(err, -ENOMEM, "out of memory");
    ix->v[ix->n++] = d;
    return 0;
}

static int parse_dep(const char *text, size_t len, struct depidx *ix,
                     struct tx_error *err)
{
    size_t pos = 0, lineno = 0;
    struct tok line;
    while (next_line(text, len, &pos, &line)) {
        lineno++;
        if (skip_line(line))
            continue;
        int r = parse_dep_line(ix, line, lineno, err);
        if (r < 0)
            return r;
    }
    return 0;
}

/* modules.builtin: one path per line; the set of their names. */
static int parse_builtin(const char *text, size_t len, struct tx_map *names,
                         struct tx_error *err)
{
    size_t pos = 0, lineno = 0;
    struct tok line;
    while (text && next_line(text, len, &pos, &line)) {
        lineno++;
        if (skip_line(line))
            continue;
        const char *p = line.s, *end = line.s + line.len;
        struct tok t = { p, 0 }, extra;
        next_tok(&p, end, &t);
        if (!path_ok(t.s, t.len) || next_tok(&p, end, &extra))
            return malformed(err, "modules.builtin", lineno,
                             "not one relative path to a .ko file");
        char *name = mod_name(t.s, t.len);
        int r = name ? tx_map_put(names, name, 0) : -ENOMEM;
        free(name);
        if (r < 0)
            return tx_fail(err, -ENOMEM, "out of memory");
    }
    return 0;
}

/* Appends path to the plan unless it is there already. */
static int add_once(struct kmod_plan *plan, struct tx_map *seen, const char *p,
                    size_t len)
{
    char *path = strndup(p, len);
    if (!path)
        return -ENOMEM;
    if (tx_map_get(seen, path, NULL)) {
        free(path);
        return 0;
    }
    int r = tx_map_put(seen, path, 0);
    if (r < 0) {
        free(path);
        return r;
    }
    return tx_strv_push_owned(&plan->load, path);
}

/* A module's dependencies, last listed first, then the module: the order
 * modprobe loads them in. */
static int add_module(struct kmod_plan *plan, struct tx_map *seen,
                      const struct dline *d)
{
    struct tok *deps = NULL;
    size_t n = 0, cap = 0;
    const char *p = d->deps, *end = d->deps + d->depslen;
    for (struct tok t; next_tok(&p, end, &t);) {
        if (tx_grow(&deps, &cap, n + 1, sizeof(*deps)) < 0) {
            free(deps);
            return -ENOMEM;
        }
        deps[n++] = t;
    }
    int r = 0;
    for (size_t i = n; i-- > 0 && r == 0;)
        r = add_once(plan, seen, deps[i].s, deps[i].len);
    free(deps);
    return r < 0 ? r : add_once(plan, seen, d->mod, d->modlen);
}

bool kmod_name_ok(const char *name)
{
    if (!*name)
        return false;
    for (const char *p = name; *p; p++)
        if (*p == '/' || is_blank(*p) || *p == '\n')
            return false;
    return true;
}

/* NAME with '-' written '_'. */
static char *normalize(const char *name)
{
    char *n = strdup(name);
    for (char *p = n; p && *p; p++)
        if (*p == '-')
            *p = '_';
    return n;
}

/* One name asked for: its modules into the plan, or into the built-in
 * list. */
static int plan_name(const struct depidx *ix, const struct tx_map *builtin,
                     const char *name, struct tx_map *asked,
                     struct tx_map *seen, struct kmod_plan *plan,
                     struct tx_error *err)
{
    if (!kmod_name_ok(name))
        return tx_fail(err, -EINVAL, "\"%s\" is not a module name", name);
    char *norm = normalize(name);
    if (!norm)
        return tx_fail(err, -ENOMEM, "out of memory");
    size_t i;
    int r = 0;
    if (tx_map_get(asked, norm, NULL))
        r = 0; /* asked for twice, maybe spelt otherwise */
    else if ((r = tx_map_put(asked, norm, 0)) < 0)
        r = tx_fail(err, r, "out of memory");
    else if (tx_map_get(&ix->byname, norm, &i))
        r = add_module(plan, seen, &ix->v[i]) < 0
                ? tx_fail(err, -ENOMEM, "out of memory")
                : 0;
    else if (tx_map_get(builtin, norm, NULL))
        r = tx_strv_push(&plan->builtin, name) < 0
                ? tx_fail(err, -ENOMEM, "out of memory")
                : 0;
    else
        r = tx_fail(err, -ENOENT,
                    "no module %s (neither modules.dep nor modules.builtin "
                    "lists it)",
                    name);
    free(norm);
    return r;
}

int kmod_plan(const char *dep, size_t deplen, const char *builtin,
              size_t builtinlen, const char *const *names, size_t nnames,
              struct kmod_plan *plan, struct tx_error *err)
{
    struct depidx ix = { 0 };
    struct tx_map bnames = { 0 }, asked = { 0 }, seen = { 0 };
    memset(plan, 0, sizeof(*plan));
    int r = parse_dep(dep, deplen, &ix, err);
    if (r == 0)
        r = parse_builtin(builtin, builtinlen, &bnames, err);
    for (size_t i = 0; i < nnames && r == 0; i++)
        r = plan_name(&ix, &bnames, names[i], &asked, &seen, plan, err);
    free(ix.v);
    tx_map_free(&ix.byname);
    tx_map_free(&bnames);
    tx_map_free(&asked);
    tx_map_free(&seen);
    if (r < 0)
        kmod_plan_free(plan);
    return r;
}

void kmod_plan_free(struct kmod_plan *plan)
{
    tx_strv_free(&plan->load);
    tx_strv_free(&plan->builtin);
}
