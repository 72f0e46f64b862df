/*
 * resolve.c - the inputs of tinyx build (see build_int.h): the package and
 * the dependency layers that provide its libraries, the program, the extra
 * files, and the library closures that decide what else the image needs.
 * Nothing is written here but the package cache.
 */
#include "build_int.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfdeps.h"
#include "sysroot.h"

/* ------------------------------------------------------------ packages */

static bool fetched(const struct bstate *s, const char *name)
{
    for (size_t i = 0; i < s->npkgs; i++)
        if (strcmp(s->pkgs[i].name, name) == 0)
            return true;
    return false;
}

/* Looks up and fetches one package; its root joins the sysroots. */
int add_package(struct bstate *s, const char *name, struct tx_error *err)
{
    struct debpkg p;
    int r = tx_strv_push(&s->seen, name);
    if (r < 0)
        return tx_fail(err, r, "out of memory");
    if ((r = debpkg_lookup(name, &p, err)) < 0)
        return r;
    progress(s, "fetching %s %s", p.name, p.version);
    if ((r = debpkg_fetch(s->cache, &p, err)) < 0 ||
        (r = tx_grow(&s->pkgs, &s->cappkgs, s->npkgs + 1, sizeof(*s->pkgs))) <
            0 ||
        (r = tx_strv_push(&s->roots, p.root)) < 0) {
        debpkg_free(&p);
        return r == -ENOMEM ? tx_fail(err, r, "out of memory") : r;
    }
    s->pkgs[s->npkgs++] = p;
    return 0;
}

/* Fetches the dependencies of every package not expanded yet (one layer).
 * Returns how many were added.  Of alternatives, one already fetched wins,
 * else the first apt knows; virtual packages are skipped (see docs). */
static int fetch_layer(struct bstate *s, struct tx_error *err)
{
    int added = 0;
    size_t end = s->npkgs;
    for (; s->expanded < end; s->expanded++) {
        const struct tx_strv *deps = &s->pkgs[s->expanded].depends;
        for (size_t i = 0; i < deps->n; i++) {
            char *alts = strdup(deps->v[i]), *save = NULL;
            if (!alts)
                return tx_fail(err, -ENOMEM, "out of memory");
            bool done = false;
            for (char *a = strtok_r(alts, "|", &save); a && !done;
                 a = strtok_r(NULL, "|", &save))
                done = fetched(s, a) || tx_strv_contains(&s->seen, a);
            save = NULL;
            free(alts);
            if (done)
                continue;
            alts = strdup(deps->v[i]);
            if (!alts)
                return tx_fail(err, -ENOMEM, "out of memory");
            for (char *a = strtok_r(alts, "|", &save); a && !done;
                 a = strtok_r(NULL, "|", &save)) {
                struct tx_error sub;
                int r = add_package(s, a, &sub);
                if (r == 0) {
                    added++;
                    done = true;
                } else if (r != -ENOENT) {
                    free(alts);
                    *err = sub;
                    return r;
                }
            }
            free(alts);
        }
    }
    return added;
}

/* ------------------------------------------------------------ the program */

static bool exists_in(const char *root, const char *path, char **host)
{
    char *canon = NULL;
    if (tx_resolve(root, path, &canon, NULL) < 0)
        return false;
    *host = tx_host_path(root, canon);
    free(canon);
    struct stat st;
    if (*host && stat(*host, &st) == 0 && !S_ISDIR(st.st_mode))
        return true;
    free(*host);
    *host = NULL;
    return false;
}

/* PATH (absolute, in the image) looked up in the sysroots, in order. */
static char *find_in_roots(struct bstate *s, const char *path)
{
    for (size_t i = 0; i < s->roots.n; i++) {
        char *root = NULL, *host = NULL;
        if (tx_root_from_dir(s->roots.v[i], &root, NULL) < 0)
            continue;
        bool ok = exists_in(root, path, &host);
        free(root);
        if (ok)
            return host;
    }
    return NULL;
}

static const char *const bin_dirs[] = {
    "/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
    "/usr/bin",        "/sbin",          "/bin",
};

int find_program(struct bstate *s, struct tx_error *err)
{
    const struct tinyx_build_opts *o = s->o;
    const char *prog = o->program ? o->program : o->package;
    if (!prog || !*prog)
        return tx_fail(err, -EINVAL, "no program given");
    if (o->package) {
        /* Inside the package's root: a path, or a name in the usual bin dirs. */
        if (prog[0] == '/') {
            s->app_dest = tx_path_normalize(prog);
            s->app_src = s->app_dest ? find_in_roots(s, s->app_dest) : NULL;
        } else if (!strchr(prog, '/')) {
            for (size_t i = 0;
                 i < sizeof(bin_dirs) / sizeof(*bin_dirs) && !s->app_src; i++) {
                free(s->app_dest);
                s->app_dest = tx_path_join(bin_dirs[i], prog);
                s->app_src = s->app_dest ? find_in_roots(s, s->app_dest) : NULL;
            }
        }
        if (!s->app_src)
            return tx_fail(err, -ENOENT, "package %s has no program %s%s",
                           o->package, prog,
                           prog[0] == '/'
                               ? ""
                               : " in /usr/bin, /bin, /usr/sbin, /sbin or "
                                 "/usr/local/*; give its path with --program");
    } else if (strchr(prog, '/')) {
        char *abs = prog[0] == '/' ? strdup(prog) : NULL;
        if (!abs) {
            char cwd[PATH_MAX];
            abs = getcwd(cwd, sizeof(cwd)) ? tx_path_join(cwd, prog) : NULL;
        }
        s->app_src = abs;
        /* A program from a build folder goes where programs go. */
        s->app_dest = prog[0] == '/'
                          ? tx_path_normalize(prog)
                          : tx_path_join("/usr/local/bin", tx_basename(prog));
    } else {
        const char *path = getenv("PATH");
        char *dirs = strdup(path ? path : "/usr/local/bin:/usr/bin:/bin"),
             *save = NULL;
        for (char *d = dirs ? strtok_r(dirs, ":", &save) : NULL;
             d && !s->app_src; d = strtok_r(NULL, ":", &save)) {
            char *cand = tx_path_join(d, prog);
            if (cand && d[0] == '/' && access(cand, X_OK) == 0) {
                s->app_src = cand;
                s->app_dest = tx_path_normalize(cand);
            } else {
                free(cand);
            }
        }
        free(dirs);
        if (!s->app_src)
            return tx_fail(err, -ENOENT, "program %s not found in PATH", prog);
    }
    if (!s->app_src || !s->app_dest)
        return tx_fail(err, -ENOMEM, "out of memory");
    /* Readable, and a program: said plainly before any packing. */
    struct elfdeps_info info;
    struct tx_error sub;
    int r = elfdeps_parse_file(s->app_src, &info, &sub);
    if (r == -ENOEXEC)
        return tx_fail(
            err, r,
            "%s is not an ELF program (for a script, make its interpreter "
            "the program and add the script with --file)",
            s->app_src);
    if (r < 0)
        return tx_fail(err, r, "cannot use %s: %s", s->app_src, sub.msg);
    bool exec = info.type == 2 /* ET_EXEC */ || info.type == 3 /* ET_DYN */;
    elfdeps_info_free(&info);
    if (!exec)
        return tx_fail(err, -ENOEXEC, "%s is an ELF file but not a program",
                       s->app_src);
    return 0;
}

/* ------------------------------------------------------------ extras */

static bool is_program_or_lib(const char *path)
{
    struct elfdeps_info info;
    struct tx_error e;
    if (elfdeps_parse_file(path, &info, &e) < 0)
        return false;
    bool yes = info.type == 2 || info.type == 3;
    elfdeps_info_free(&info);
    return yes;
}

/* A host path as an absolute one: the spec takes relative paths from its
 * own folder, not from where tinyx was run. */
char *absolute(const char *path)
{
    char cwd[PATH_MAX];
    if (path[0] == '/')
        return strdup(path);
    return getcwd(cwd, sizeof(cwd)) ? tx_path_join(cwd, path) : NULL;
}

static int add_extra(struct bstate *s, const char *src, const char *dest,
                     struct tx_error *err)
{
    struct stat st;
    if (stat(src, &st) < 0)
        return tx_fail(err, -errno, "extra file %s: %s", src, strerror(errno));
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
        return tx_fail(err, -EINVAL, "extra file %s: not a file or folder",
                       src);
    if (access(src, R_OK) < 0)
        return tx_fail(err, -errno, "extra file %s: %s", src, strerror(errno));
    char *d = own(s, tx_path_normalize(dest)), *sc = own(s, absolute(src));
    if (!d || !sc ||
        tx_grow(&s->extras, &s->capextras, s->nextras + 1, sizeof(*s->extras)) <
            0)
        return tx_fail(err, -ENOMEM, "out of memory");
    s->extras[s->nextras++] = (struct rootfs_extra){
        .src = sc,
        .dest = d,
        .is_dir = S_ISDIR(st.st_mode),
        .is_elf = S_ISREG(st.st_mode) && is_program_or_lib(src),
    };
    return 0;
}

int collect_extras(struct bstate *s, struct tx_error *err)
{
    const struct tinyx_build_opts *o = s->o;
    int r = 0;
    for (size_t i = 0; i < o->nfiles && r == 0; i++) {
        /* SRC:DEST, DEST absolute; without DEST, an absolute SRC keeps its
         * path and a relative one goes to / under its own name. */
        const char *f = o->files[i], *colon = strrchr(f, ':');
        char *src, *dest;
        if (colon && colon[1] == '/') {
            src = strndup(f, (size_t)(colon - f));
            dest = strdup(colon + 1);
        } else {
            src = strdup(f);
            dest = f[0] == '/' ? strdup(f) : tx_path_join("/", tx_basename(f));
        }
        r = src && dest && *src
                ? add_extra(s, src, dest, err)
                : tx_fail(err, -EINVAL, "--file %s: expected SRC[:DEST]", f);
        free(src);
        free(dest);
    }
    for (size_t i = 0; i < o->nincludes && r == 0; i++) {
        const char *p = o->includes[i];
        if (p[0] != '/')
            return tx_fail(err, -EINVAL, "--include %s: give an absolute path",
                           p);
        char *host = NULL;
        for (size_t k = 0; k < s->roots.n && !host; k++) {
            char *root = NULL, *canon = NULL;
            struct stat st;
            if (tx_root_from_dir(s->roots.v[k], &root, NULL) == 0 &&
                tx_resolve(root, p, &canon, NULL) == 0) {
                host = tx_host_path(root, canon);
                if (host && stat(host, &st) < 0) {
                    free(host);
                    host = NULL;
                }
            }
            free(root);
            free(canon);
        }
        if (!host)
            return tx_fail(
                err, -ENOENT, "--include %s: not in %s", p,
                o->package ? "the package or the dependencies fetched" : "/");
        r = add_extra(s, host, p, err);
        free(host);
    }
    return r;
}

/* ------------------------------------------------------------ libraries */

/*
 * Every library closure the image needs, with missing libraries collected
 * (not failed on): the program's, the extras', the --lib ones.  Also
 * decides glibc (libc.so.6 in the program's closure), libgcc_s (glibc
 * dlopen()s it for pthread_cancel and backtraces; added when it can be
 * found) and the library folders outside ld.so's defaults.
 */
static int scan_libraries(struct bstate *s, struct tx_strv *missing,
                          struct tx_error *err)
{
    struct elfdeps *ed;
    const char *const *roots = (const char *const *)s->roots.v;
    int r = elfdeps_new(&ed, roots, s->roots.n, ELFDEPS_WARN_MISSING, err);
    if (r < 0)
        return r;
    static const char *const defaults[] = {
        "/lib/x86_64-linux-gnu",
        "/usr/lib/x86_64-linux-gnu",
        "/lib64",
        "/usr/lib64",
        "/lib",
        "/usr/lib",
    };
    tx_strv_free(&s->libdirs);
    s->glibc = s->libgcc_s = false;
    for (size_t item = 0; r == 0 && item < 1 + s->nextras + s->o->nlibs;
         item++) {
        struct elfdeps_closure c;
        if (item == 0) {
            r = elfdeps_closure_of_file(ed, s->app_src, s->app_dest, &c, err);
        } else if (item <= s->nextras) {
            const struct rootfs_extra *x = &s->extras[item - 1];
            if (!x->is_elf)
                continue;
            r = elfdeps_closure_of_file(ed, x->src, x->dest, &c, err);
        } else {
            r = elfdeps_closure_of_lib(ed, s->o->libs[item - 1 - s->nextras],
                                       &c, err);
            if (r == -ENOENT) { /* the library itself missing */
                r = tx_strv_push_owned(
                    missing,
                    tx_asprintf("library %s (--lib): %s",
                                s->o->libs[item - 1 - s->nextras], err->msg));
                continue;
            }
        }
        if (r < 0)
            break;
        for (size_t i = 0; i < c.warnings.n && r == 0; i++)
            r = tx_strv_push(missing, c.warnings.v[i]);
        for (size_t i = 0; i < c.n && r == 0; i++) {
            if (item == 0 && strcmp(tx_basename(c.v[i].dest), "libc.so.6") == 0)
                s->glibc = true;
            char *dir = tx_dirname(c.v[i].dest);
            bool dflt = false;
            for (size_t k = 0; dir && k < sizeof(defaults) / sizeof(*defaults);
                 k++)
                dflt |= strcmp(dir, defaults[k]) == 0;
            if (!dir)
                r = -ENOMEM;
            else if (!dflt && !tx_strv_contains(&s->libdirs, dir))
                r = tx_strv_push(&s->libdirs, dir);
            free(dir);
        }
        elfdeps_closure_free(&c);
        if (r == -ENOMEM)
            r = tx_fail(err, r, "out of memory");
    }
    if (r == 0 && s->glibc) {
        struct elfdeps_closure c;
        struct tx_error sub;
        /* ed only warns about missing libraries: "found" means no warning. */
        if (elfdeps_closure_of_lib(ed, "libgcc_s.so.1", &c, &sub) == 0) {
            s->libgcc_s = c.n > 0 && c.warnings.n == 0;
            elfdeps_closure_free(&c);
        }
    }
    elfdeps_free(ed);
    return r;
}

/* Finds the libraries; in package mode, fetches dependency layers until
 * nothing is missing (or nothing more can be fetched). */
int resolve_libraries(struct bstate *s, struct tx_error *err)
{
    for (unsigned layer = 0;; layer++) {
        struct tx_strv missing = { 0 };
        int r = scan_libraries(s, &missing, err);
        /* libgcc_s is wanted, not needed: worth a layer, not an error. */
        bool want_more = missing.n > 0 || (s->glibc && !s->libgcc_s);
        if (r == 0 && want_more && s->o->package && layer < MAX_LAYERS) {
            progress(s,
                     "%zu librar%s missing; fetching the dependencies of %zu "
                     "package%s",
                     missing.n, missing.n == 1 ? "y" : "ies",
                     s->npkgs - s->expanded,
                     s->npkgs - s->expanded == 1 ? "" : "s");
            r = fetch_layer(s, err);
            if (r > 0) {
                tx_strv_free(&missing);
                continue;
            }
        }
        if (r >= 0 && missing.n > 0) {
            /* All of them: the first alone may be a consequence (the
             * interpreter of a package that lacks libc, say). */
            char *all = NULL;
            for (size_t i = 0; i < missing.n; i++) {
                char *n = tx_asprintf("%s%s%s", all ? all : "", all ? "; " : "",
                                      missing.v[i]);
                free(all);
                all = n;
            }
            r = tx_fail(
                err, -ENOENT, "%s%s", all ? all : "out of memory",
                s->o->package
                    ? "; in none of the packages fetched (the package and "
                      "its Depends): add what has it with --file or --lib"
                    : "");
            free(all);
        }
        tx_strv_free(&missing);
        return r < 0 ? r : 0;
    }
}
