/*
 * sysroot.h - path lookup inside a directory treated as "/" (a sysroot),
 * without ever leaving it, and the sysroot's /etc/ld.so.conf.
 *
 * A root is named by its host path, already made absolute and free of
 * symlinks (realpath), without a trailing slash; the host's own "/" is "".
 * Paths inside a root are absolute ("/usr/lib/libc.so.6").
 */
#ifndef TINYX_SYSROOT_H
#define TINYX_SYSROOT_H

#include "txutil.h"

/* A symlink met during a lookup.  path is where it lives inside the root
 * (its parents are real directories); target is its text as stored. */
struct tx_link {
    char *path;
    char *target;
};

struct tx_links {
    struct tx_link *v;
    size_t n, cap;
};

/* Appends (path, target) unless the same link is already listed. */
int tx_links_add(struct tx_links *links, const char *path, const char *target);
void tx_links_free(struct tx_links *links);

/* Maximum number of symlinks one lookup follows (as Linux's 40). */
#define TX_MAX_SYMLINKS 40

/*
 * Looks PATH up inside ROOT as the kernel would if ROOT were "/": every
 * symlink is followed, absolute targets restart at ROOT, ".." never climbs
 * above ROOT.  The last component is followed too.  On success *canon is the
 * resulting path inside ROOT, made of real directories and a last component
 * that is not a symlink, and every symlink followed was appended to links
 * (when links is not NULL).  Returns 0 or -ENOENT, -ENOTDIR, -ELOOP,
 * -ENAMETOOLONG, -ENOMEM, or another -errno of lstat/readlink.  Sets no
 * message: callers know what they were looking for.
 */
int tx_resolve(const char *root, const char *path, char **canon,
               struct tx_links *links);

/* ROOT + PATH as a host path ("" + "/x" = "/x", "/r" + "/" = "/r"). */
char *tx_host_path(const char *root, const char *path);

/* Makes a user-given directory into a root name (realpath, "/" -> "").
 * 0 or -errno with a message in err. */
int tx_root_from_dir(const char *dir, char **root, struct tx_error *err);

/*
 * Appends to dirs the library directories listed in ROOT's /etc/ld.so.conf,
 * following "include" lines (glob patterns in the last path component,
 * expanded in sorted order, relative patterns taken from the including
 * file's directory) up to a fixed depth.  All files are read inside ROOT.
 * A missing /etc/ld.so.conf is not an error.  "hwcap" lines are ignored.
 */
int tx_ldconf_dirs(const char *root, struct tx_strv *dirs,
                   struct tx_error *err);

#endif
