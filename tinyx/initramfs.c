/*
 * initramfs.c - from a parsed spec to a cpio archive (rules in initramfs.h).
 *
 * Two phases, so that errors come before any output:
 *  1. plan: every spec line becomes "pending" entries at the DEST it asked
 *     for (elf, lib and tree lines bring their libraries and the symlinks
 *     leading to them); then the pending entries are placed into the image,
 *     symlinks first, each DEST looked up through the image's own symlinks,
 *     conflicts checked; then everything is sorted by path.
 *  2. write: the sorted entries go to the cpio writer, file contents
 *     streamed from their source.
 */
#include "initramfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cpio.h"
#include "elfdeps.h"

#define MAX_TREE_DEPTH 256

struct planner {
    const struct spec *spec;
    const struct spec_entry *se; /* the line being expanded */
    struct elfdeps *ed;
    struct image *img;
    struct image_entry *pending;
    size_t npending, cappending;
};

static void entry_free(struct image_entry *e)
{
    free(e->path);
    free(e->src);
    free(e->target);
    free(e->origin);
}

void image_free(struct image *img)
{
    for (size_t i = 0; i < img->n; i++)
        entry_free(&img->v[i]);
    free(img->v);
    tx_map_free(&img->idx);
    tx_strv_free(&img->warnings);
    memset(img, 0, sizeof(*img));
}

/* "SPEC:LINE: what" for the line being expanded. */
static char *origin_of(const struct planner *pl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static char *origin_of(const struct planner *pl, const char *fmt, ...)
{
    char *what = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&what, fmt, ap);
    va_end(ap);
    char *s = n >= 0
                  ? tx_asprintf("%s:%u: %s", pl->spec->file, pl->se->line, what)
                  : NULL;
    if (n >= 0)
        free(what);
    return s;
}

/* Queues e (taking its strings, freeing them on failure). */
static int pend(struct planner *pl, struct image_entry *e, struct tx_error *err)
{
    if (!e->path || !e->origin || (e->type == IMG_FILE && !e->src) ||
        (e->type == IMG_SYMLINK && !e->target) ||
        tx_grow(&pl->pending, &pl->cappending, pl->npending + 1,
                sizeof(*pl->pending)) < 0) {
        entry_free(e);
        return tx_fail(err, -ENOMEM, "out of memory");
    }
    pl->pending[pl->npending++] = *e;
    return 0;
}

static int pend_dir(struct planner *pl, const char *dest, unsigned mode,
                    char *origin, struct tx_error *err)
{
    struct image_entry e = {
        .path = strdup(dest), .type = IMG_DIR, .mode = mode, .origin = origin
    };
    return pend(pl, &e, err);
}

static int pend_symlink(struct planner *pl, const char *dest,
                        const char *target, char *origin, struct tx_error *err)
{
    struct image_entry e = { .path = strdup(dest),
                             .type = IMG_SYMLINK,
                             .mode = 0777,
                             .target = strdup(target),
                             .size = strlen(target),
                             .origin = origin };
    return pend(pl, &e, err);
}

/* A regular file from host path SRC (symlinks followed). */
static int pend_file(struct planner *pl, const char *dest, const char *src,
                     bool has_mode, unsigned mode, char *origin,
                     struct tx_error *err)
{
    struct stat st;
    int r = 0;
    if (stat(src, &st) < 0)
        r = tx_fail(err, -errno, "%s: %s: %s", origin ? origin : "?", src,
                    strerror(errno));
    else if (!S_ISREG(st.st_mode))
        r = tx_fail(err, -EINVAL, "%s: %s: not a regular file%s",
                    origin ? origin : "?", src,
                    S_ISDIR(st.st_mode) ? " (a directory goes in with `tree`)"
                                        : "");
    if (r < 0) {
        free(origin);
        return r;
    }
    struct image_entry e = { .path = strdup(dest),
                             .type = IMG_FILE,
                             .src = strdup(src),
                             .mode =
                                 has_mode ? mode : (unsigned)st.st_mode & 07777,
                             .size = (uint64_t)st.st_size,
                             .dev = st.st_dev,
                             .ino = st.st_ino,
                             .origin = origin };
    return pend(pl, &e, err);
}

/* Queues the libraries of a closure and the symlinks leading to them.
 * root_name: what the closure is of (SRC, or the lib line's NAME). */
static int pend_closure(struct planner *pl, const struct elfdeps_closure *c,
                        const char *root_name, struct tx_error *err)
{
    int r = 0;
    for (size_t i = 0; i < c->warnings.n && r == 0; i++)
        r = tx_strv_push_owned(&pl->img->warnings,
                               tx_asprintf("%s:%u: %s", pl->spec->file,
                                           pl->se->line, c->warnings.v[i]));
    if (r < 0)
        return tx_fail(err, r, "out of memory");
    for (size_t i = 0; i < c->n && r == 0; i++) {
        const struct elfdeps_dep *d = &c->v[i];
        const char *by =
            d->needed_by == ELFDEPS_ROOT ? root_name : c->v[d->needed_by].found;
        for (size_t k = 0; k < d->links.n && r == 0; k++)
            r = pend_symlink(pl, d->links.v[k].path, d->links.v[k].target,
                             origin_of(pl,
                                       "symlink on the way to %s, needed by %s",
                                       d->needed, by),
                             err);
        if (r == 0)
            r = pend_file(
                pl, d->dest, d->host, false, 0,
                pl->se->kind == SPEC_LIB && i == 0
                    ? origin_of(pl, "lib %s", d->needed)
                    : origin_of(pl, "%s, needed by %s", d->needed, by),
                err);
    }
    return r;
}

/* The closure of ELF file SRC placed at DEST.  Errors keep the library's
 * codes (-ENOEXEC: SRC is no program or library, -ENOTSUP: another
 * architecture), so a tree can tell plain files from broken ones. */
static int pend_elf_closure(struct planner *pl, const char *src,
                            const char *dest, struct tx_error *err)
{
    struct elfdeps_closure c;
    int r = elfdeps_closure_of_file(pl->ed, src, dest, &c, err);
    if (r < 0)
        return tx_prefix(err, r, "%s:%u", pl->spec->file, pl->se->line);
    r = pend_closure(pl, &c, src, err);
    elfdeps_closure_free(&c);
    return r;
}

static bool file_has_elf_magic(const char *path)
{
    unsigned char magic[4];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return false;
    bool elf =
        tx_read_full(fd, magic, sizeof(magic)) == (ssize_t)sizeof(magic) &&
        elfdeps_has_elf_magic(magic, sizeof(magic));
    close(fd);
    return elf;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One item of a tree: HOST (not followed if a symlink) at DEST. */
static int pend_tree_item(struct planner *pl, const char *host,
                          const char *dest, unsigned depth,
                          struct tx_error *err);

static int pend_tree_dir(struct planner *pl, const char *host, const char *dest,
                         unsigned depth, struct tx_error *err)
{
    struct tx_strv names = { 0 };
    int r = 0;
    if (depth > MAX_TREE_DEPTH)
        return tx_fail(err, -ELOOP,
                       "%s:%u: %s: directories nested deeper than %d",
                       pl->spec->file, pl->se->line, host, MAX_TREE_DEPTH);
    DIR *d = opendir(host);
    if (!d)
        return tx_fail(err, -errno, "%s:%u: %s: %s", pl->spec->file,
                       pl->se->line, host, strerror(errno));
    struct dirent *de;
    while (r == 0 && (de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            r = tx_strv_push(&names, de->d_name);
    closedir(d);
    if (r < 0)
        return tx_fail(err, r, "out of memory");
    /* readdir order depends on the file system: sort, for stable messages. */
    if (names.n)
        qsort(names.v, names.n, sizeof(*names.v), cmp_str);
    for (size_t i = 0; i < names.n && r == 0; i++) {
        char *h = tx_path_join(host, names.v[i]);
        char *t = tx_path_join(dest, names.v[i]);
        r = h && t ? pend_tree_item(pl, h, t, depth + 1, err)
                   : tx_fail(err, -ENOMEM, "out of memory");
        free(h);
        free(t);
    }
    tx_strv_free(&names);
    return r;
}

static int pend_tree_item(struct planner *pl, const char *host,
                          const char *dest, unsigned depth,
                          struct tx_error *err)
{
    struct stat st;
    if (lstat(host, &st) < 0)
        return tx_fail(err, -errno, "%s:%u: %s: %s", pl->spec->file,
                       pl->se->line, host, strerror(errno));
    char *origin = origin_of(pl, "tree, from %s", host);
    if (S_ISDIR(st.st_mode)) {
        int r = pend_dir(pl, dest, st.st_mode & 07777, origin, err);
        return r < 0 ? r : pend_tree_dir(pl, host, dest, depth, err);
    }
    if (S_ISREG(st.st_mode)) {
        int r = pend_file(pl, dest, host, false, 0, origin, err);
        if (r < 0 || !file_has_elf_magic(host))
            return r;
        r = pend_elf_closure(pl, host, dest, err);
        /* Only programs and libraries have a closure: relocatable objects
         * (kernel modules), other architectures' files are just files. */
        return r == -ENOEXEC || r == -ENOTSUP ? 0 : r;
    }
    if (S_ISLNK(st.st_mode)) {
        char target[4097];
        ssize_t n = readlink(host, target, sizeof(target));
        if (n < 0 || n >= (ssize_t)sizeof(target)) {
            free(origin);
            return tx_fail(err, n < 0 ? -errno : -ENAMETOOLONG,
                           "%s:%u: %s: cannot read link", pl->spec->file,
                           pl->se->line, host);
        }
        target[n] = '\0';
        return pend_symlink(pl, dest, target, origin, err);
    }
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
        struct image_entry e = { .path = strdup(dest),
                                 .type = IMG_NODE,
                                 .mode = st.st_mode & 07777,
                                 .devtype = S_ISCHR(st.st_mode) ? 'c' : 'b',
                                 .major = major(st.st_rdev),
                                 .minor = minor(st.st_rdev),
                                 .origin = origin };
        return pend(pl, &e, err);
    }
    free(origin);
    return tx_fail(err, -EINVAL, "%s:%u: %s: a %s cannot go in the archive",
                   pl->spec->file, pl->se->line, host,
                   S_ISFIFO(st.st_mode) ? "FIFO" : "socket");
}

/* Expands one spec line into pending entries. */
static int pend_line(struct planner *pl, struct tx_error *err)
{
    const struct spec_entry *se = pl->se;
    struct tx_error sub;
    int r;

    switch (se->kind) {
        case SPEC_DIR:
            return pend_dir(pl, se->dest, se->has_mode ? se->mode : 0755,
                            origin_of(pl, "dir"), err);
        case SPEC_FILE:
            return pend_file(pl, se->dest, se->src, se->has_mode, se->mode,
                             origin_of(pl, "file"), err);
        case SPEC_ELF:
            r = pend_file(pl, se->dest, se->src, se->has_mode, se->mode,
                          origin_of(pl, "elf"), err);
            return r < 0 ? r : pend_elf_closure(pl, se->src, se->dest, err);
        case SPEC_LIB: {
            struct elfdeps_closure c;
            if ((r = elfdeps_closure_of_lib(pl->ed, se->src, &c, &sub)) < 0)
                return tx_fail(err, r, "%s:%u: lib %s: %s", pl->spec->file,
                               se->line, se->src, sub.msg);
            r = pend_closure(pl, &c, se->src, err);
            elfdeps_closure_free(&c);
            return r;
        }
        case SPEC_TREE: {
            struct stat st;
            if (stat(se->src, &st) < 0 || !S_ISDIR(st.st_mode))
                return tx_fail(err, -ENOTDIR, "%s:%u: tree %s: not a directory",
                               pl->spec->file, se->line, se->src);
            r = pend_dir(pl, se->dest, st.st_mode & 07777,
                         origin_of(pl, "tree, from %s", se->src), err);
            return r < 0 ? r : pend_tree_dir(pl, se->src, se->dest, 0, err);
        }
        case SPEC_SLINK:
            return pend_symlink(pl, se->dest, se->src, origin_of(pl, "slink"),
                                err);
        case SPEC_NOD: {
            struct image_entry e = { .path = strdup(se->dest),
                                     .type = IMG_NODE,
                                     .mode = se->mode,
                                     .devtype = se->devtype,
                                     .major = se->major,
                                     .minor = se->minor,
                                     .origin = origin_of(pl, "nod") };
            return pend(pl, &e, err);
        }
    }
    return tx_fail(err, -EINVAL, "%s:%u: unknown entry", pl->spec->file,
                   se->line);
}

/* ------------------------------------------------------------ placing */

static const char *type_name(const struct image_entry *e)
{
    switch (e->type) {
        case IMG_DIR:
            return "directory";
        case IMG_FILE:
            return "file";
        case IMG_SYMLINK:
            return "symlink";
        case IMG_NODE:
            return e->devtype == 'b' ? "block device" : "character device";
    }
    return "?";
}

static struct image_entry *image_get(struct image *img, const char *path)
{
    size_t i;
    return tx_map_get(&img->idx, path, &i) ? &img->v[i] : NULL;
}

/* Adds e to the image (taking its strings). */
static int image_add(struct image *img, struct image_entry *e,
                     struct tx_error *err)
{
    if (tx_grow(&img->v, &img->cap, img->n + 1, sizeof(*img->v)) < 0 ||
        tx_map_put(&img->idx, e->path, img->n) < 0) {
        entry_free(e);
        return tx_fail(err, -ENOMEM, "out of memory");
    }
    img->v[img->n++] = *e;
    return 0;
}

static int conflict(const struct image_entry *e, const struct image_entry *old,
                    const char *why, struct tx_error *err)
{
    return tx_fail(err, -EEXIST,
                   "%s: %s %s conflicts with the %s already there (%s)%s%s",
                   e->origin, type_name(e), e->path, type_name(old),
                   old->origin, why ? ": " : "", why ? why : "");
}

/*
 * Looks PATH up in the image, following the image's symlinks (all of
 * them, the last too), creating missing directories on the way.  *out is
 * the resulting path.  e is the entry being placed, for messages.
 */
static int image_resolve(struct image *img, const char *path,
                         const struct image_entry *e, char **out,
                         struct tx_error *err)
{
    char *pending = strdup(path), *cur = strdup("");
    size_t pos = 0;
    unsigned followed = 0;
    int r = 0;

    while (r == 0 && pending && cur) {
        while (pending[pos] == '/')
            pos++;
        if (!pending[pos])
            break;
        size_t clen = strcspn(pending + pos, "/");
        char *comp = strndup(pending + pos, clen);
        pos += clen;
        if (!comp)
            break;
        if (strcmp(comp, ".") == 0) {
            free(comp);
            continue;
        }
        if (strcmp(comp, "..") == 0) {
            char *slash = strrchr(cur, '/');
            if (slash)
                *slash = '\0';
            free(comp);
            continue;
        }
        char *cand = tx_asprintf("%s/%s", cur, comp);
        free(comp);
        if (!cand)
            break;
        struct image_entry *have = image_get(img, cand);
        if (!have) {
            struct image_entry dir = {
                .path = strdup(cand),
                .type = IMG_DIR,
                .mode = 0755,
                .implicit = true,
                .origin = tx_asprintf("%s (parent of %s)", e->origin, e->path)
            };
            if (!dir.path || !dir.origin) {
                entry_free(&dir);
                r = -ENOMEM;
            } else {
                r = image_add(img, &dir, err);
            }
        } else if (have->type == IMG_SYMLINK) {
            if (++followed > TX_MAX_SYMLINKS) {
                r = tx_fail(err, -ELOOP,
                            "%s: %s: too many levels of symlinks in the image",
                            e->origin, e->path);
            } else {
                char *np = tx_asprintf("%s/%s", have->target, pending + pos);
                if (!np) {
                    r = -ENOMEM;
                } else {
                    free(pending);
                    pending = np;
                    pos = 0;
                    if (have->target[0] == '/')
                        cur[0] = '\0';
                }
            }
            free(cand);
            continue;
        } else if (have->type != IMG_DIR) {
            r = tx_fail(err, -ENOTDIR,
                        "%s: cannot place %s: %s is a %s in the image (%s)",
                        e->origin, e->path, cand, type_name(have),
                        have->origin);
        }
        free(cur);
        cur = cand;
    }
    if (r == 0 && (!pending || !cur))
        r = -ENOMEM;
    if (r == 0)
        *out = cur[0] ? strdup(cur) : strdup("/");
    if (r == 0 && !*out)
        r = -ENOMEM;
    free(pending);
    free(cur);
    return r == -ENOMEM ? tx_fail(err, r, "out of memory") : r;
}

static int same_content(const char *a, const char *b, uint64_t size)
{
    int fa = open(a, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    int fb = open(b, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    int same = fa >= 0 && fb >= 0;
    static char ba[65536], bb[65536]; /* planning is single-threaded */
    for (uint64_t off = 0; same && off < size;) {
        size_t n = size - off < sizeof(ba) ? (size_t)(size - off) : sizeof(ba);
        same = tx_read_full(fa, ba, n) == (ssize_t)n &&
               tx_read_full(fb, bb, n) == (ssize_t)n && memcmp(ba, bb, n) == 0;
        off += n;
    }
    if (fa >= 0)
        close(fa);
    if (fb >= 0)
        close(fb);
    return same;
}

/* e arrives where old already is: keep one, or report a conflict. */
static int merge(struct image_entry *old, struct image_entry *e,
                 struct tx_error *err)
{
    int r = 0;
    if (old->type != e->type) {
        r = conflict(e, old, NULL, err);
    } else if (e->type == IMG_DIR) {
        if (old->implicit && !e->implicit) {
            old->implicit = false;
            old->mode = e->mode;
            free(old->origin);
            old->origin = e->origin;
            e->origin = NULL;
        } else if (!old->implicit && !e->implicit && old->mode != e->mode) {
            char why[64];
            snprintf(why, sizeof(why), "mode %04o against %04o", e->mode,
                     old->mode);
            r = conflict(e, old, why, err);
        }
    } else if (e->type == IMG_SYMLINK) {
        if (strcmp(old->target, e->target) != 0) {
            char *why =
                tx_asprintf("-> %s against -> %s", e->target, old->target);
            r = conflict(e, old, why, err);
            free(why);
        }
    } else if (e->type == IMG_NODE) {
        if (old->devtype != e->devtype || old->major != e->major ||
            old->minor != e->minor || old->mode != e->mode)
            r = conflict(e, old, "different device or mode", err);
    } else {
        bool same_file = old->dev == e->dev && old->ino == e->ino;
        if (old->mode != e->mode)
            r = conflict(e, old, "different modes", err);
        else if (!same_file && (old->size != e->size ||
                                !same_content(old->src, e->src, e->size)))
            r = conflict(e, old, "different contents", err);
    }
    entry_free(e);
    return r;
}

/* Places pending entry e (taking its strings). */
static int place(struct image *img, struct image_entry *e, struct tx_error *err)
{
    char *where = NULL;
    int r;
    if (e->type == IMG_DIR) {
        /* A directory is wherever its path leads, symlinks included. */
        r = image_resolve(img, e->path, e, &where, err);
    } else {
        char *parent = tx_dirname(e->path);
        r = parent ? image_resolve(img, parent, e, &where, err)
                   : tx_fail(err, -ENOMEM, "out of memory");
        free(parent);
        if (r == 0) {
            char *full = tx_path_join(where, tx_basename(e->path));
            free(where);
            where = full;
            if (!where)
                r = tx_fail(err, -ENOMEM, "out of memory");
        }
    }
    if (r < 0) {
        entry_free(e);
        return r;
    }
    free(e->path);
    e->path = where;
    if (strcmp(where, "/") == 0) { /* the root itself: nothing to write */
        entry_free(e);
        return 0;
    }
    struct image_entry *old = image_get(img, where);
    return old ? merge(old, e, err) : image_add(img, e, err);
}

static int cmp_entry_path(const void *a, const void *b)
{
    return strcmp(((const struct image_entry *)a)->path,
                  ((const struct image_entry *)b)->path);
}

static int cmp_pending_index(const void *a, const void *b, void *arg)
{
    const struct image_entry *v = arg;
    return strcmp(v[*(const size_t *)a].path, v[*(const size_t *)b].path);
}

static int place_all(struct planner *pl, struct tx_error *err)
{
    size_t nlinks = 0, *order = malloc((pl->npending + 1) * sizeof(*order));
    int r = 0;
    if (!order)
        return tx_fail(err, -ENOMEM, "out of memory");
    /* Symlinks first, shallowest first (sorted by path puts parents first),
     * so entries placed below them follow them whatever the line order. */
    for (size_t i = 0; i < pl->npending; i++)
        if (pl->pending[i].type == IMG_SYMLINK)
            order[nlinks++] = i;
    qsort_r(order, nlinks, sizeof(*order), cmp_pending_index, pl->pending);
    for (size_t i = 0; i < pl->npending; i++)
        if (pl->pending[i].type != IMG_SYMLINK)
            order[nlinks++] = i;
    for (size_t i = 0; i < pl->npending; i++) {
        struct image_entry *e = &pl->pending[order[i]];
        if (r == 0)
            r = place(pl->img, e, err);
        else
            entry_free(e);
    }
    free(order);
    pl->npending = 0;
    return r;
}

int initramfs_plan(const struct spec *spec, const struct initramfs_opts *opts,
                   struct image *img, struct tx_error *err)
{
    static const char *const default_sysroots[] = { "/" };
    struct planner pl = { .spec = spec, .img = img };
    int r;

    memset(img, 0, sizeof(*img));
    r = elfdeps_new(&pl.ed, opts->nsysroots ? opts->sysroots : default_sysroots,
                    opts->nsysroots ? opts->nsysroots : 1,
                    opts->warn_missing ? ELFDEPS_WARN_MISSING : 0, err);
    for (size_t i = 0; r == 0 && i < spec->n; i++) {
        pl.se = &spec->v[i];
        r = pend_line(&pl, err);
    }
    if (r == 0)
        r = place_all(&pl, err);
    for (size_t i = 0; i < pl.npending; i++)
        entry_free(&pl.pending[i]);
    free(pl.pending);
    elfdeps_free(pl.ed);
    if (r == 0) {
        tx_map_free(&img->idx); /* indices die with the sort */
        if (img->n)
            qsort(img->v, img->n, sizeof(*img->v), cmp_entry_path);
    } else {
        image_free(img);
    }
    return r;
}
