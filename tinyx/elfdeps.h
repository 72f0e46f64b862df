/*
 * elfdeps.h - the shared-library closure of ELF files, found by reading them
 * (no ldd, no readelf), inside one or more sysroots.
 *
 * Two layers:
 *  - elfdeps_parse_*(): what one ELF file asks of the dynamic loader
 *    (PT_INTERP, DT_NEEDED, DT_RPATH, DT_RUNPATH, DT_SONAME).  x86_64 ELF64
 *    little-endian only.  Safe on hostile input: every offset is checked
 *    against the file and every count is bounded.
 *  - elfdeps_closure_*(): what ld.so would load for a program, following
 *    glibc's rules (see elfdeps.c), with the search done inside the sysroots.
 *
 * Sysroots are tried as one union file system: for each directory on the
 * search path, each sysroot in order; a lookup (symlinks included) stays
 * inside the sysroot it started in.
 */
#ifndef TINYX_ELFDEPS_H
#define TINYX_ELFDEPS_H

#include "sysroot.h"
#include "txutil.h"

/* ---------------------------------------------------------------- parsing */

struct elfdeps_info {
    unsigned type;         /* e_type: ET_EXEC, ET_DYN, ET_REL, ... */
    bool dynamic;          /* has a PT_DYNAMIC segment */
    bool nodeflib;         /* DF_1_NODEFLIB: skip the default directories */
    char *interp;          /* PT_INTERP, or NULL */
    char *soname;          /* DT_SONAME, or NULL */
    char *rpath;           /* DT_RPATH, or NULL; NULL too when DT_RUNPATH is
                             * present, since ld.so then ignores it */
    char *runpath;         /* DT_RUNPATH, or NULL */
    struct tx_strv needed; /* DT_NEEDED, in file order */
};

/*
 * Parse results: 0; -ENOEXEC: not an ELF file at all; -ENOTSUP: an ELF file
 * of another class, byte order or machine; -EINVAL: a damaged or hostile
 * x86_64 ELF file; other -errno: I/O.  err says which, with details.
 */
int elfdeps_parse_mem(const void *data, size_t len, struct elfdeps_info *info,
                      struct tx_error *err);
int elfdeps_parse_fd(int fd, struct elfdeps_info *info, struct tx_error *err);
int elfdeps_parse_file(const char *path, struct elfdeps_info *info,
                       struct tx_error *err);
void elfdeps_info_free(struct elfdeps_info *info);

/* True when the first bytes of a file are the ELF magic. */
bool elfdeps_has_elf_magic(const void *data, size_t len);

/* ---------------------------------------------------------------- closure */

struct elfdeps; /* sysroots, search directories, cache of parsed files */

/* Report a missing library in the closure's warnings instead of failing. */
#define ELFDEPS_WARN_MISSING 0x1u

/* sysroots: host directories, tried in order (n >= 1). */
int elfdeps_new(struct elfdeps **out, const char *const *sysroots, size_t n,
                unsigned flags, struct tx_error *err);
void elfdeps_free(struct elfdeps *ed);

/* The root of each sysroot, as sysroot.h names roots ("" is the host's /). */
size_t elfdeps_sysroot_count(const struct elfdeps *ed);
const char *elfdeps_sysroot(const struct elfdeps *ed, size_t i);

#define ELFDEPS_ROOT ((size_t)-1)

/* One library lookup that ld.so would do, and its result. */
struct elfdeps_dep {
    char *needed; /* the name asked for: DT_NEEDED, PT_INTERP, lib NAME */
    char *found;  /* host path of the place it was found (as
                             * searched, before symlinks): what ldd shows */
    char *host;   /* host path of the file itself, symlinks resolved */
    char *dest;   /* where the file goes in the image */
    struct tx_links links; /* symlinks met on the way, as image paths, which
                             * the image must recreate for `found` to work */
    size_t needed_by;      /* index of the dep that asked, or ELFDEPS_ROOT */
};

struct elfdeps_closure {
    struct elfdeps_dep *v; /* in the order ld.so loads them (breadth-first) */
    size_t n, cap;
    struct tx_strv warnings; /* missing libraries, with ELFDEPS_WARN_MISSING */
};

/*
 * The closure of the program or library at host path SRC, which the image
 * will hold at DEST (NULL: where SRC is, which is also what `$ORIGIN` then
 * means).  SRC itself is not in the result.  A static SRC has an empty
 * closure.  SRC not being a dynamic x86_64 executable or shared object, or
 * a library missing (without ELFDEPS_WARN_MISSING), is an error naming the
 * library and the chain of objects that needed it.
 */
int elfdeps_closure_of_file(struct elfdeps *ed, const char *src,
                            const char *dest, struct elfdeps_closure *out,
                            struct tx_error *err);

/* The closure of library NAME (a soname such as "libgcc_s.so.1", or an
 * absolute path inside the sysroots), searched as ld.so searches for a
 * dlopen() without RPATH; the library itself is v[0]. */
int elfdeps_closure_of_lib(struct elfdeps *ed, const char *name,
                           struct elfdeps_closure *out, struct tx_error *err);

void elfdeps_closure_free(struct elfdeps_closure *c);

#endif
