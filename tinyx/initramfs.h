/*
 * initramfs.h - turning a spec (a list of what goes where) into a
 * reproducible cpio archive, shared libraries included.
 *
 * Spec format: one entry per line, '#' starts a comment (at the start of a
 * field), fields are separated by blanks, a field may be quoted with "..."
 * (inside, \" and \\ stand for " and \).
 *
 *   dir    DEST [MODE]              directory, MODE octal, default 0755
 *   file   DEST SRC [MODE]          regular file, MODE defaults to SRC's
 *   elf    DEST SRC [MODE]          file + its library closure + interpreter
 *   lib    NAME                     library by soname or file name + closure
 *   tree   DEST SRCDIR              recursive copy (files, dirs, symlinks,
 *                                   device nodes); ELF files bring their closure
 *   slink  DEST TARGET              symbolic link
 *   nod    DEST c|b MAJOR MINOR [MODE]  device node, MODE default 0600
 *
 * DEST is a path in the image ("/" may be omitted; ".." is refused).
 * A relative SRC is taken from the spec file's directory (from the working
 * directory when the spec is read from standard input).
 *
 * How the image is laid out:
 *  - Libraries go where they were found in their sysroot, and every symlink
 *    met on the way (libfoo.so.1 -> libfoo.so.1.2, /lib -> usr/lib, ...) is
 *    recreated, so the paths ld.so searches work in the image.
 *  - DEST is looked up in the image being built: when a parent of DEST is a
 *    symlink there (e.g. /lib -> usr/lib from a merged-/usr sysroot), DEST
 *    lands where it points, as it would when the archive is unpacked.  A
 *    directory entry whose DEST is such a symlink means the directory it
 *    points to.  Symlinks are placed before everything else, so the result
 *    does not depend on the order of the lines.
 *  - Missing parent directories are created (0755).
 *  - The same DEST twice is fine when both say the same (same type, mode and
 *    content or target); an explicit directory overrides an implicit one;
 *    anything else is a conflict, reported with both origins.
 *  - Entries are sorted by path, parents first; with a fixed mtime (0 or
 *    SOURCE_DATE_EPOCH) the same input gives the same bytes.
 */
#ifndef TINYX_INITRAMFS_H
#define TINYX_INITRAMFS_H

#include <stdint.h>
#include <sys/types.h>

#include "txutil.h"

/* ---------------------------------------------------------------- spec */

enum spec_kind {
    SPEC_DIR,
    SPEC_FILE,
    SPEC_ELF,
    SPEC_LIB,
    SPEC_TREE,
    SPEC_SLINK,
    SPEC_NOD
};

struct spec_entry {
    enum spec_kind kind;
    unsigned line;
    char *dest; /* normalized image path ("/a/b"); NULL for lib */
    char *src;  /* file, elf, tree: host path; lib: NAME; slink: TARGET */
    bool has_mode;
    unsigned mode;
    char devtype; /* nod: 'c' or 'b' */
    unsigned major, minor;
};

struct spec {
    char *file; /* the spec's name in messages */
    struct spec_entry *v;
    size_t n, cap;
};

/* Parses TEXT (LEN bytes); FILE names it in messages ("FILE:LINE: ..."),
 * BASEDIR is where relative SRC paths start. */
int spec_parse(const char *text, size_t len, const char *file,
               const char *basedir, struct spec *out, struct tx_error *err);
/* Reads and parses the spec at PATH ("-": standard input). */
int spec_load(const char *path, struct spec *out, struct tx_error *err);
void spec_free(struct spec *spec);

/* ---------------------------------------------------------------- image */

enum image_type { IMG_DIR, IMG_FILE, IMG_SYMLINK, IMG_NODE };

struct image_entry {
    char *path; /* in the image, absolute */
    enum image_type type;
    unsigned mode; /* permission bits */
    bool implicit; /* a parent directory no line asked for */
    char *src;     /* IMG_FILE: the host file */
    uint64_t size; /* IMG_FILE: its size */
    dev_t dev;     /* IMG_FILE: identity of src, to spot duplicates */
    ino_t ino;
    char *target; /* IMG_SYMLINK */
    char devtype; /* IMG_NODE: 'c' or 'b' */
    unsigned major, minor;
    char *origin; /* why it is there: "SPEC:LINE: ..." */
};

struct image {
    struct image_entry *v; /* sorted by path once planned */
    size_t n, cap;
    struct tx_map idx; /* path -> index, while planning */
    struct tx_strv warnings;
};

struct initramfs_opts {
    const char *const *sysroots; /* tried in order; NULL/0: "/" */
    size_t nsysroots;
    bool gzip;
    bool warn_missing; /* a missing library is a warning */
    uint32_t mtime;    /* of every entry */
};

/* Works out every entry of the image (reading ELF files, resolving
 * libraries, checking conflicts) without writing anything. */
int initramfs_plan(const struct spec *spec, const struct initramfs_opts *opts,
                   struct image *img, struct tx_error *err);
/* Writes the planned image as cpio to fd. */
int initramfs_write(const struct image *img, const struct initramfs_opts *opts,
                    int fd, struct tx_error *err);
/* Writes one line per entry: PATH TAB TYPE TAB SIZE TAB ORIGIN. */
int initramfs_write_manifest(const struct image *img, int fd,
                             struct tx_error *err);
void image_free(struct image *img);

/*
 * plan + write, atomically: the archive (and the manifest, when
 * manifest_path is not NULL) is written to a temporary file next to it and
 * renamed at the end.  On failure nothing is left at out_path (nor at
 * manifest_path): no partial file, and no older archive that could pass
 * for the result.  out_path "-" writes to standard output.  Warnings (with
 * warn_missing) are appended to *warnings.
 */
int initramfs_pack(const struct spec *spec, const struct initramfs_opts *opts,
                   const char *out_path, const char *manifest_path,
                   struct tx_strv *warnings, struct tx_error *err);

#endif
