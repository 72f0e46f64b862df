/*
 * elfwalk.c - the library closure of a program, found as glibc's ld.so
 * finds it, but inside sysroots (declared in elfdeps.h).
 *
 * The rules reproduced (glibc elf/dl-load.c, _dl_map_object):
 *  - A name an already loaded object answers to (the name it was loaded by,
 *    its DT_SONAME, the interpreter's path) is not searched again.
 *  - A name containing '/' is a path, not searched.
 *  - Otherwise, in order: if the requesting object has no DT_RUNPATH, the
 *    DT_RPATH of the requester, then of the object that loaded it, and so
 *    on up to the executable; the requester's own DT_RUNPATH (never
 *    inherited); the directories of ld.so.conf (what ld.so.cache holds);
 *    the default directories, unless the requester has DF_1_NODEFLIB.
 *  - A candidate of another ELF class or machine is skipped, as ld.so does;
 *    a damaged candidate is an error.
 *  - Objects load breadth-first; one file reached by two paths loads once.
 *  - $ORIGIN is the directory of the object as it was found (for the
 *    program: its real location); $LIB is lib/x86_64-linux-gnu (Debian's
 *    value), $PLATFORM x86_64.  Relative path entries (ld.so takes them from
 *    its working directory) are ignored.
 * Not reproduced: LD_LIBRARY_PATH and LD_PRELOAD (the image's environment is
 * unknown here), glibc-hwcaps subdirectories (baseline libraries run on
 * every CPU), secure-mode (setuid) restrictions.
 *
 * A program packed at another place than where it is read ("relocated":
 * `elf /init ./build/app`) runs with $ORIGIN pointing at its place in the
 * image, so libraries found through $ORIGIN are read relative to the source
 * and placed relative to the destination.
 */
#include "elfdeps.h"

#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_OBJECTS 4096     /* per program: far above any real closure */
#define MAX_SEARCH_DIRS 4096 /* per lookup */
#define ANY_ROOT ((size_t)-1)

static const char *const default_dirs[] = {
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
};

struct parsed {
    char *host;
    struct elfdeps_info info;
};

struct elfdeps {
    char **roots; /* nsys sysroots, then "" for files outside them */
    size_t nsys;
    unsigned flags;
    struct tx_strv libdirs; /* ld.so.conf directories, then default ones */
    struct parsed **cache;  /* parsed files (never moved: walks keep pointers
                                 * into them), found by host path via cache_idx */
    size_t ncache, capcache;
    struct tx_map cache_idx;
};

/* An object "loaded" in the simulated process. */
struct wobj {
    size_t parsed; /* index into ed->cache */
    size_t loader; /* the object that caused loading it, or ELFDEPS_ROOT */
    size_t dep;    /* its entry in the closure, or ELFDEPS_ROOT */
    size_t root;   /* the root it was found in */
    char *dir;     /* $ORIGIN, inside that root */
    char *adir;    /* $ORIGIN in the image, when relocated; else NULL */
    const char *display;  /* for messages */
    struct tx_strv names; /* names it answers to */
};

struct walk {
    struct elfdeps *ed;
    struct elfdeps_closure *out;
    struct wobj *v;
    size_t n, cap;
    struct tx_map by_host; /* host path -> index in v */
    struct tx_strv
        skipped; /* incompatible candidates met by the current lookup */
};

/* A directory to search: in one root, or in every sysroot (ANY_ROOT). */
struct sdir {
    char *path;
    size_t root;
    char *adir; /* image directory when relocated ($ORIGIN) */
};

struct sdirs {
    struct sdir *v;
    size_t n, cap;
};

static const struct elfdeps_info no_info; /* the requester of a `lib` lookup */

/* ------------------------------------------------------------ context */

int elfdeps_new(struct elfdeps **out, const char *const *sysroots, size_t n,
                unsigned flags, struct tx_error *err)
{
    *out = NULL;
    if (n == 0)
        return tx_fail(err, -EINVAL, "no sysroot given");
    struct elfdeps *ed = calloc(1, sizeof(*ed));
    if (!ed || !(ed->roots = calloc(n + 1, sizeof(*ed->roots)))) {
        free(ed);
        return tx_fail(err, -ENOMEM, "out of memory");
    }
    ed->flags = flags;
    int r = 0;
    for (size_t i = 0; i < n && r == 0; i++) {
        r = tx_root_from_dir(sysroots[i], &ed->roots[i], err);
        if (r == 0)
            ed->nsys++;
    }
    if (r == 0 && !(ed->roots[n] = strdup("")))
        r = tx_fail(err, -ENOMEM, "out of memory");
    for (size_t i = 0; i < ed->nsys && r == 0; i++)
        r = tx_ldconf_dirs(ed->roots[i], &ed->libdirs, err);
    for (size_t i = 0;
         i < sizeof(default_dirs) / sizeof(*default_dirs) && r == 0; i++)
        if (!tx_strv_contains(&ed->libdirs, default_dirs[i]))
            r = tx_strv_push(&ed->libdirs, default_dirs[i]);
    if (r < 0) {
        if (r == -ENOMEM)
            tx_fail(err, r, "out of memory");
        elfdeps_free(ed);
        return r;
    }
    *out = ed;
    return 0;
}

void elfdeps_free(struct elfdeps *ed)
{
    if (!ed)
        return;
    for (size_t i = 0; i <= ed->nsys && ed->roots; i++)
        free(ed->roots[i]);
    free(ed->roots);
    tx_strv_free(&ed->libdirs);
    for (size_t i = 0; i < ed->ncache; i++) {
        free(ed->cache[i]->host);
        elfdeps_info_free(&ed->cache[i]->info);
        free(ed->cache[i]);
    }
    free(ed->cache);
    tx_map_free(&ed->cache_idx);
    free(ed);
}

size_t elfdeps_sysroot_count(const struct elfdeps *ed)
{
    return ed->nsys;
}

const char *elfdeps_sysroot(const struct elfdeps *ed, size_t i)
{
    return i < ed->nsys ? ed->roots[i] : NULL;
}

/* Parses HOST once per context; the message in err has no file name. */
static int get_parsed(struct elfdeps *ed, const char *host, size_t *idx,
                      struct tx_error *err)
{
    if (tx_map_get(&ed->cache_idx, host, idx))
        return 0;
    struct elfdeps_info info;
    int r = elfdeps_parse_file(host, &info, err);
    if (r < 0)
        return r;
    struct parsed *p = calloc(1, sizeof(*p));
    if (!p || !(p->host = strdup(host)) ||
        tx_grow(&ed->cache, &ed->capcache, ed->ncache + 1, sizeof(*ed->cache)) <
            0 ||
        tx_map_put(&ed->cache_idx, host, ed->ncache) < 0) {
        if (p)
            free(p->host);
        free(p);
        elfdeps_info_free(&info);
        return tx_fail(err, -ENOMEM, "out of memory");
    }
    p->info = info;
    ed->cache[ed->ncache] = p;
    *idx = ed->ncache++;
    return 0;
}

/* ------------------------------------------------------------ closure list */

void elfdeps_closure_free(struct elfdeps_closure *c)
{
    for (size_t i = 0; i < c->n; i++) {
        struct elfdeps_dep *d = &c->v[i];
        free(d->needed);
        free(d->found);
        free(d->host);
        free(d->dest);
        tx_links_free(&d->links);
    }
    free(c->v);
    tx_strv_free(&c->warnings);
    memset(c, 0, sizeof(*c));
}

/* Appends a dep; takes found, host, dest and links (freed on failure too). */
static int add_dep(struct elfdeps_closure *c, const char *needed, char *found,
                   char *host, char *dest, struct tx_links *links,
                   size_t needed_by)
{
    char *nd = strdup(needed);
    if (!nd || !found || !host || !dest ||
        tx_grow(&c->v, &c->cap, c->n + 1, sizeof(*c->v)) < 0) {
        free(nd);
        free(found);
        free(host);
        free(dest);
        tx_links_free(links);
        return -ENOMEM;
    }
    c->v[c->n] = (struct elfdeps_dep){ .needed = nd,
                                       .found = found,
                                       .host = host,
                                       .dest = dest,
                                       .links = *links,
                                       .needed_by = needed_by };
    memset(links, 0, sizeof(*links));
    return (int)c->n++;
}

/* ------------------------------------------------------------ the walk */

static const struct elfdeps_info *info_of(const struct walk *w, size_t obj)
{
    return obj == ELFDEPS_ROOT ? &no_info
                               : &w->ed->cache[w->v[obj].parsed]->info;
}

static void walk_free(struct walk *w)
{
    for (size_t i = 0; i < w->n; i++) {
        free(w->v[i].dir);
        free(w->v[i].adir);
        tx_strv_free(&w->v[i].names);
    }
    free(w->v);
    tx_map_free(&w->by_host);
    tx_strv_free(&w->skipped);
}

/* "A, loaded for B, loaded for C": who needed a library, up to the program. */
static char *chain_of(const struct walk *w, size_t obj)
{
    char *s = strdup(obj == ELFDEPS_ROOT ? "(request)" : w->v[obj].display);
    unsigned depth = 0;
    for (size_t o = obj; s && o != ELFDEPS_ROOT; o = w->v[o].loader) {
        size_t up = w->v[o].loader;
        if (up == ELFDEPS_ROOT)
            break;
        char *t = ++depth > 16
                      ? tx_asprintf("%s, ...", s)
                      : tx_asprintf("%s, loaded for %s", s, w->v[up].display);
        free(s);
        s = t;
        if (depth > 16)
            break;
    }
    return s;
}

/* Length of the dynamic string token NAME at p (just after '$'), or 0. */
static size_t match_dst(const char *p, const char *name)
{
    size_t n = strlen(name);
    if (p[0] == '{')
        return strncmp(p + 1, name, n) == 0 && p[1 + n] == '}' ? n + 2 : 0;
    if (strncmp(p, name, n) == 0 && !isalnum((unsigned char)p[n]) &&
        p[n] != '_')
        return n;
    return 0;
}

/* Expands $ORIGIN (to origin), $LIB and $PLATFORM in s. */
static char *expand_dst(const char *s, const char *origin, bool *used_origin)
{
    char *buf = NULL;
    size_t len = 0, n;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    *used_origin = false;
    for (; *s; s++) {
        if (*s != '$') {
            fputc(*s, f);
        } else if ((n = match_dst(s + 1, "ORIGIN")) != 0) {
            fputs(origin, f);
            *used_origin = true;
            s += n;
        } else if ((n = match_dst(s + 1, "LIB")) != 0) {
            fputs("lib/x86_64-linux-gnu", f);
            s += n;
        } else if ((n = match_dst(s + 1, "PLATFORM")) != 0) {
            fputs("x86_64", f);
            s += n;
        } else {
            fputc('$', f);
        }
    }
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static void sdirs_free(struct sdirs *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->v[i].path);
        free(d->v[i].adir);
    }
    free(d->v);
}

/* Adds one search directory (expanding DSTs with OBJ's origin). */
static int sdirs_add(struct sdirs *d, const struct walk *w, size_t obj,
                     const char *entry, struct tx_error *err)
{
    const struct wobj *o = obj == ELFDEPS_ROOT ? NULL : &w->v[obj];
    bool used = false, unused;
    if (d->n >= MAX_SEARCH_DIRS)
        return tx_fail(err, -E2BIG,
                       "more than %d directories to search (corrupt RPATH?)",
                       MAX_SEARCH_DIRS);
    char *path = expand_dst(entry, o ? o->dir : "/", &used);
    char *adir =
        used && o && o->adir ? expand_dst(entry, o->adir, &unused) : NULL;
    if (!path || (used && o && o->adir && !adir)) {
        free(path);
        free(adir);
        return tx_fail(err, -ENOMEM, "out of memory");
    }
    if (path[0] != '/' ||
        tx_grow(&d->v, &d->cap, d->n + 1, sizeof(*d->v)) < 0) {
        bool relative = path[0] != '/';
        free(path);
        free(adir);
        return relative ? 0 : tx_fail(err, -ENOMEM, "out of memory");
    }
    d->v[d->n++] = (struct sdir){ .path = path,
                                  .root = used && o ? o->root : ANY_ROOT,
                                  .adir = adir };
    return 0;
}

static int sdirs_add_list(struct sdirs *d, const struct walk *w, size_t obj,
                          const char *list, struct tx_error *err)
{
    char *copy = strdup(list), *save = NULL;
    int r = copy ? 0 : tx_fail(err, -ENOMEM, "out of memory");
    char *e = copy ? strtok_r(copy, ":", &save) : NULL;
    for (; e && r == 0; e = strtok_r(NULL, ":", &save))
        r = sdirs_add(d, w, obj, e, err);
    free(copy);
    return r;
}

/* The directories ld.so searches for a plain NAME requested by REQ. */
static int search_path(struct sdirs *d, const struct walk *w, size_t req,
                       struct tx_error *err)
{
    const struct elfdeps_info *in = info_of(w, req);
    int r = 0;
    if (!in->runpath)
        for (size_t o = req; o != ELFDEPS_ROOT && r == 0; o = w->v[o].loader)
            if (info_of(w, o)->rpath)
                r = sdirs_add_list(d, w, o, info_of(w, o)->rpath, err);
    if (in->runpath && r == 0)
        r = sdirs_add_list(d, w, req, in->runpath, err);
    for (size_t i = 0; i < w->ed->libdirs.n && !in->nodeflib && r == 0; i++)
        r = sdirs_add(d, w, ELFDEPS_ROOT, w->ed->libdirs.v[i], err);
    return r;
}

static int new_wobj(struct walk *w, size_t parsed, size_t loader, size_t root,
                    char *dir, char *adir, const char *display)
{
    if (!dir || (w->n >= MAX_OBJECTS) ||
        tx_grow(&w->v, &w->cap, w->n + 1, sizeof(*w->v)) < 0) {
        free(dir);
        free(adir);
        return w->n >= MAX_OBJECTS ? -E2BIG : -ENOMEM;
    }
    w->v[w->n] = (struct wobj){ .parsed = parsed,
                                .loader = loader,
                                .dep = ELFDEPS_ROOT,
                                .root = root,
                                .dir = dir,
                                .adir = adir,
                                .display = display };
    return (int)w->n++;
}

/*
 * Is BASE in directory SD of root RI?  1: yes, recorded; 0: not there (or
 * an incompatible file, noted in w->skipped); < 0: error.
 */
static int try_candidate(struct walk *w, size_t req, const char *needed,
                         const char *base, const struct sdir *sd, size_t ri,
                         struct tx_error *err)
{
    struct elfdeps *ed = w->ed;
    const char *root = ed->roots[ri];
    char *path = tx_path_join(sd->path, base), *canon = NULL, *host = NULL;
    char *found = NULL, *dest = NULL, *chain = NULL;
    struct tx_links links = { 0 };
    size_t pi, existing;
    struct stat st;
    int ret = 0, r;

    if (!path)
        return tx_fail(err, -ENOMEM, "out of memory");
    r = tx_resolve(root, path, &canon, sd->adir ? NULL : &links);
    if (r < 0) {
        ret = r == -ENOMEM ? tx_fail(err, r, "out of memory") : 0;
        goto out;
    }
    host = tx_host_path(root, canon);
    found = tx_host_path(root, path);
    if (!host || !found) {
        ret = tx_fail(err, -ENOMEM, "out of memory");
        goto out;
    }
    if (stat(host, &st) < 0 || !S_ISREG(st.st_mode))
        goto out;
    r = get_parsed(ed, host, &pi, err);
    if (r == -ENOTSUP) {
        ret = tx_strv_push(&w->skipped, found) < 0
                  ? tx_fail(err, -ENOMEM, "out of memory")
                  : 0;
        goto out;
    }
    if (r < 0) {
        chain = chain_of(w, req);
        /* -ELIBBAD: the damage is in a library, not in what the caller
         * asked about (callers tell "not an ELF file" apart by -ENOEXEC). */
        ret = tx_prefix(err, r == -ENOEXEC || r == -EINVAL ? -ELIBBAD : r,
                        "%s (found for %s, needed by %s)", found, needed,
                        chain ? chain : "?");
        goto out;
    }
    const struct elfdeps_info *info = &ed->cache[pi]->info;
    if (info->type != ET_DYN) {
        chain = chain_of(w, req);
        ret = tx_fail(err, -ELIBBAD,
                      "%s (found for %s, needed by %s): not a shared library "
                      "(ELF type %u)",
                      found, needed, chain ? chain : "?", info->type);
        goto out;
    }
    dest = sd->adir ? tx_path_join(sd->adir, base) : strdup(canon);
    if (dest && sd->adir) {
        char *norm = tx_path_normalize(dest);
        free(dest);
        dest = norm;
    }
    if (!dest) {
        ret = tx_fail(err, -ENOMEM, "out of memory");
        goto out;
    }
    size_t req_dep = req == ELFDEPS_ROOT ? ELFDEPS_ROOT : w->v[req].dep;
    if (tx_map_get(&w->by_host, host, &existing)) {
        /* The same file by another path: ld.so loads it once, but this
         * path must exist in the image too, since it is searched. */
        bool placed = false;
        for (size_t i = 0; i < w->out->n; i++)
            placed |= strcmp(w->out->v[i].found, found) == 0;
        ret = tx_strv_push(&w->v[existing].names, needed);
        if (ret == 0 && !placed) {
            ret = add_dep(w->out, needed, found, host, dest, &links, req_dep);
            found = host = dest = NULL;
        }
        ret = ret < 0 ? tx_fail(err, ret, "out of memory") : 1;
        goto out;
    }
    char *dir = tx_dirname(path);
    char *adir = sd->adir ? tx_dirname(dest) : NULL;
    int obj = new_wobj(w, pi, req, ri, dir, adir, NULL);
    if (obj == -E2BIG) {
        ret = tx_fail(err, obj,
                      "more than %d libraries in the closure of %s (a loop?)",
                      MAX_OBJECTS, w->v[0].display);
        goto out;
    }
    if (obj < 0) {
        ret = tx_fail(err, obj, "out of memory");
        goto out;
    }
    int dep = add_dep(w->out, needed, found, host, dest, &links, req_dep);
    found = host = dest = NULL;
    if (dep < 0 ||
        tx_map_put(&w->by_host, w->out->v[dep].host, (size_t)obj) < 0 ||
        tx_strv_push(&w->v[obj].names, needed) < 0 ||
        (info->soname && tx_strv_push(&w->v[obj].names, info->soname) < 0)) {
        ret = tx_fail(err, -ENOMEM, "out of memory");
        goto out;
    }
    w->v[obj].dep = (size_t)dep;
    w->v[obj].display = w->out->v[dep].found;
    ret = 1;
out:
    free(path);
    free(canon);
    free(host);
    free(found);
    free(dest);
    free(chain);
    tx_links_free(&links);
    return ret;
}

static int not_found(struct walk *w, size_t req, const char *needed,
                     struct tx_error *err)
{
    char *chain = chain_of(w, req);
    char *skipped = NULL;
    if (w->skipped.n) {
        size_t len = 0;
        FILE *f = open_memstream(&skipped, &len);
        if (f) {
            fputs("; skipped, wrong architecture:", f);
            for (size_t i = 0; i < w->skipped.n; i++)
                fprintf(f, " %s", w->skipped.v[i]);
            fclose(f);
        }
    }
    char *msg =
        req == ELFDEPS_ROOT
            ? tx_asprintf("library %s not found%s", needed,
                          skipped ? skipped : "")
            : tx_asprintf("library %s not found, needed by %s%s", needed,
                          chain ? chain : "?", skipped ? skipped : "");
    free(chain);
    free(skipped);
    if (!msg)
        return tx_fail(err, -ENOMEM, "out of memory");
    if (w->ed->flags & ELFDEPS_WARN_MISSING)
        return tx_strv_push_owned(&w->out->warnings, msg) < 0
                   ? tx_fail(err, -ENOMEM, "out of memory")
                   : 0;
    tx_fail(err, -ENOENT, "%s", msg);
    free(msg);
    return -ENOENT;
}

/* Loads NEEDED for REQ as ld.so would (see the top of this file). */
static int lookup(struct walk *w, size_t req, const char *needed, bool is_path,
                  struct tx_error *err)
{
    struct sdirs dirs = { 0 };
    char *expanded = NULL;
    const char *base = needed;
    int r = 0;

    for (size_t i = 0; i < w->n; i++)
        if (tx_strv_contains(&w->v[i].names, needed))
            return 0;
    tx_strv_free(&w->skipped);

    if (is_path || strchr(needed, '/')) {
        /* A path: one directory, the one it names. */
        const struct wobj *o = req == ELFDEPS_ROOT ? NULL : &w->v[req];
        bool used = false;
        expanded = expand_dst(needed, o ? o->dir : "/", &used);
        char *norm = expanded ? tx_path_join("/", expanded)
                              : NULL; /* relative: from / */
        char *dir = norm ? tx_dirname(norm) : NULL;
        free(norm);
        if (!dir || tx_grow(&dirs.v, &dirs.cap, 1, sizeof(*dirs.v)) < 0) {
            free(dir);
            r = tx_fail(err, -ENOMEM, "out of memory");
            goto out;
        }
        char *adir = NULL;
        if (used && o && o->adir) {
            bool unused;
            char *e = expand_dst(needed, o->adir, &unused);
            adir = e ? tx_dirname(e) : NULL;
            free(e);
        }
        dirs.v[dirs.n++] = (struct sdir){
            .path = dir, .adir = adir, .root = used && o ? o->root : ANY_ROOT
        };
        base = tx_basename(expanded);
    } else if ((r = search_path(&dirs, w, req, err)) < 0) {
        goto out;
    }

    for (size_t i = 0; i < dirs.n && r == 0; i++) {
        const struct sdir *sd = &dirs.v[i];
        for (size_t ri = 0; ri < w->ed->nsys + 1 && r == 0; ri++) {
            if (sd->root == ANY_ROOT ? ri == w->ed->nsys : ri != sd->root)
                continue;
            r = try_candidate(w, req, needed, base, sd, ri, err);
        }
    }
    if (r == 0)
        r = not_found(w, req, needed, err);
    else if (r == 1)
        r = 0;
out:
    sdirs_free(&dirs);
    free(expanded);
    return r;
}

/* Loads the needs of every object, breadth-first, from index `from`. */
static int walk_all(struct walk *w, size_t from, struct tx_error *err)
{
    for (size_t i = from; i < w->n; i++) {
        const struct tx_strv *needed = &info_of(w, i)->needed;
        for (size_t k = 0; k < needed->n; k++) {
            int r = lookup(w, i, needed->v[k], false, err);
            if (r < 0)
                return r;
        }
    }
    return 0;
}

/* Where host file REAL is: the first sysroot holding it, else the host. */
static size_t locate(const struct elfdeps *ed, const char *real,
                     const char **inpath)
{
    for (size_t i = 0; i < ed->nsys; i++) {
        size_t len = strlen(ed->roots[i]);
        if (strncmp(real, ed->roots[i], len) == 0 &&
            (real[len] == '/' || real[len] == '\0')) {
            *inpath = real[len] ? real + len : "/";
            return i;
        }
    }
    *inpath = real;
    return ed->nsys;
}

int elfdeps_closure_of_file(struct elfdeps *ed, const char *src,
                            const char *dest, struct elfdeps_closure *out,
                            struct tx_error *err)
{
    struct walk w = { .ed = ed, .out = out };
    char *real = NULL, *adir = NULL;
    size_t pi;
    int r;

    memset(out, 0, sizeof(*out));
    if (!(real = realpath(src, NULL))) {
        r = tx_fail(err, -errno, "%s: %s", src, strerror(errno));
        goto out;
    }
    if ((r = get_parsed(ed, real, &pi, err)) < 0) {
        r = tx_prefix(err, r, "%s", src);
        goto out;
    }
    const struct elfdeps_info *in = &ed->cache[pi]->info;
    if (in->type != ET_EXEC && in->type != ET_DYN) {
        r = tx_fail(err, -ENOEXEC,
                    "%s: not an executable or shared library (ELF type %u)",
                    src, in->type);
        goto out;
    }
    if (!in->dynamic && !in->interp)
        goto out; /* static: nothing to load */

    const char *inpath;
    size_t ri = locate(ed, real, &inpath);
    char *dir = tx_dirname(inpath);
    if (dest && dir) {
        char *norm = tx_path_normalize(dest);
        adir = norm ? tx_dirname(norm) : NULL;
        free(norm);
        if (adir && strcmp(adir, dir) == 0) {
            free(adir); /* in place: $ORIGIN is the same in the image */
            adir = NULL;
        } else if (!adir) {
            free(dir);
            dir = NULL;
        }
    }
    r = new_wobj(&w, pi, ELFDEPS_ROOT, ri, dir, adir, src);
    adir = NULL;
    if (r < 0 || tx_map_put(&w.by_host, real, 0) < 0) {
        r = tx_fail(err, -ENOMEM, "out of memory");
        goto out;
    }
    /* The interpreter comes first; it then answers to its path and soname,
     * which is how libc's DT_NEEDED on it finds it loaded. */
    if (in->interp && (r = lookup(&w, 0, in->interp, true, err)) < 0)
        goto out;
    r = walk_all(&w, 0, err);
out:
    free(real);
    free(adir);
    walk_free(&w);
    if (r < 0)
        elfdeps_closure_free(out);
    return r;
}

int elfdeps_closure_of_lib(struct elfdeps *ed, const char *name,
                           struct elfdeps_closure *out, struct tx_error *err)
{
    struct walk w = { .ed = ed, .out = out };
    memset(out, 0, sizeof(*out));
    int r = lookup(&w, ELFDEPS_ROOT, name, false, err);
    if (r == 0 && w.n > 0) /* w.n == 0: missing, and only a warning */
        r = walk_all(&w, 0, err);
    walk_free(&w);
    if (r < 0)
        elfdeps_closure_free(out);
    return r;
}
