/*
 * build_int.h - what build.c (the build: packing, kernel, outputs, the
 * temporary folder) and resolve.c (the inputs: packages, program, extras,
 * libraries) share.  Internal to tinyx build.
 */
#ifndef TINYX_BUILD_INT_H
#define TINYX_BUILD_INT_H

#include "debpkg.h"
#include "tinyx_build.h"

/* Bounds the dependency layers fetched for missing libraries (a package's
 * libraries are rarely more than three Depends away). */
#define MAX_LAYERS 16

struct bstate {
    const struct tinyx_build_opts *o;
    struct tinyx_build_result *res;
    const char *cache;
    struct tx_strv roots; /* sysroots: package roots, or "/" */
    struct debpkg *pkgs;  /* fetched, in order */
    size_t npkgs, cappkgs, expanded;
    struct tx_strv seen; /* package names asked for */
    char *app_src, *app_dest;
    bool glibc, libgcc_s;
    struct tx_strv libdirs;
    struct rootfs_extra *extras;
    size_t nextras, capextras;
    struct tx_strv owned; /* strings the extras point to */
    struct tinyx_kernel kernel;
    struct tx_strv mod_src, mod_dest; /* --module files: host, image paths */
    bool net;                         /* --net, --bridge or --ip */
    struct tinyx_disk *disks;         /* --disk, parsed */
    size_t ndisks;
    struct tx_strv modnames; /* --module names and those the devices need */
};

/* A progress message (when the caller asked for them). */
void progress(struct bstate *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A line for the result's notes; 0 or -ENOMEM. */
int note(struct bstate *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Keeps str until the build ends (for the extras); NULL when out of memory. */
char *own(struct bstate *s, char *str);
/* A host path made absolute (relative to the working folder). */
char *absolute(const char *path);

/* resolve.c: fetches package NAME (a lookup, download and unpack) and adds
 * its root to the sysroots. */
int add_package(struct bstate *s, const char *name, struct tx_error *err);
/* Finds the program (app_src, app_dest) and checks it is an ELF program. */
int find_program(struct bstate *s, struct tx_error *err);
/* The --file and --include extras. */
int collect_extras(struct bstate *s, struct tx_error *err);
/* Every library closure, fetching dependency layers in package mode until
 * nothing is missing; sets glibc, libgcc_s and libdirs. */
int resolve_libraries(struct bstate *s, struct tx_error *err);

#endif
