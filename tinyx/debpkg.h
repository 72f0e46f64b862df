/*
 * debpkg.h - Debian packages for tinyx build, through Debian's own tools:
 * `apt-cache show` tells a package's version and dependencies, `apt-get
 * download` fetches the .deb into a cache, `dpkg-deb -x` unpacks it into a
 * folder of its own in the cache.  Nothing is installed on the host.
 *
 * Cache layout (default /var/cache/tinyx, see build.c):
 *   CACHE/debs/NAME_VERSION_ARCH.deb      as apt-get download names them
 *   CACHE/pkgs/NAME_VERSION_ARCH/         the unpacked package (a sysroot)
 * Both are filled once per package version, through a temporary name and a
 * rename, so an interrupted fetch never looks complete.
 */
#ifndef TINYX_DEBPKG_H
#define TINYX_DEBPKG_H

#include "txutil.h"

struct debpkg {
    char *name;
    char *version;
    char *arch;
    /* Depends and Pre-Depends, one entry per dependency, alternatives
     * separated by '|', versions and architecture qualifiers removed:
     * "libc6", "libreadline8", "debconf|debconf-2.0". */
    struct tx_strv depends;
    char *root; /* the unpacked package, once fetched */
};

/*
 * Parses the first record of `apt-cache show` output (pure).  -ENOENT when
 * the text holds no record (apt-cache prints nothing for a virtual
 * package), -EINVAL when a field is missing.
 */
int debpkg_parse_record(const char *text, struct debpkg *out,
                        struct tx_error *err);

/* Splits a Depends field (pure); appends to deps. */
int debpkg_parse_depends(const char *field, struct tx_strv *deps);

/* apt-get download's file name for a package: NAME_VERSION_ARCH.deb with
 * ':' written as %3a (pure). */
char *debpkg_deb_name(const struct debpkg *p);

/*
 * Looks NAME up with apt-cache (candidate version only).  A package apt does
 * not know is -ENOENT with a message that says so (and suggests apt-get
 * update); a virtual package, -ENOENT too, with a message naming it as such.
 */
int debpkg_lookup(const char *name, struct debpkg *out, struct tx_error *err);

/* Downloads (if not cached) and unpacks (if not yet) p; sets p->root. */
int debpkg_fetch(const char *cache, struct debpkg *p, struct tx_error *err);

void debpkg_free(struct debpkg *p);

#endif
