/*
 * tinyx_build.h - the whole of `tinyx build` as one library call (build.c).
 * The command (cmd_build.c) fills the options from its command line and
 * prints what comes back.
 */
#ifndef TINYX_TINYX_BUILD_H
#define TINYX_TINYX_BUILD_H

#include "build.h"
#include "kernel.h"

struct tinyx_build_opts {
    const char *output;      /* the output folder */
    const char *package;     /* Debian package (NULL: a host program) */
    const char *program;     /* path or name; NULL with a package: the
                                     * program named like the package */
    const char *const *args; /* its arguments */
    size_t nargs;
    const char *const *env; /* NAME=VALUE */
    size_t nenv;
    const char *const *files; /* SRC[:DEST], host files or folders */
    size_t nfiles;
    const char *const *includes; /* paths inside the program's root (the
                                     * package and its dependencies, or /) */
    size_t nincludes;
    const char *const *libs; /* libraries by name (dlopen()ed ones) */
    size_t nlibs;
    const char *workdir; /* NULL: / */
    const char *name;    /* NULL: from the program */
    enum tinyx_target target;
    const char *kernel;         /* "debian" (NULL), "tinyconfig" or a path */
    const char *const *modules; /* kernel modules by name (Debian's kernel
                                     * only), with their dependencies */
    size_t nmodules;
    bool net;                 /* a network interface: netfront, the vif */
    const char *bridge;       /* its bridge (NULL: xenbr0); implies net */
    const char *ip;           /* ip= for the kernel command line; implies
                                     * net */
    const char *const *disks; /* IMAGE[:MOUNTPOINT[:FSTYPE]]: blkfront, the
                                     * disk list, mounts */
    size_t ndisks;
    unsigned memory_mib;    /* 0: computed */
    const char *cache;      /* NULL: /var/cache/tinyx */
    const char *datadir;    /* where init.sh is (NULL: installed) */
    const char *libexecdir; /* where tinyx-netwatch is (NULL: installed) */
    const char *busybox;    /* NULL: /bin/busybox if static, else
                                     * Debian's busybox-static, fetched */
    const char *image_dir;  /* what the config's paths start with
                                     * (NULL: the output folder, absolute) */
    const char *cmdline;    /* appended to the kernel command line */
    bool force;             /* replace an existing output folder */
    unsigned jobs;          /* for a kernel build */
    tinyx_progress_fn progress;
    void *progress_ctx;
};

struct tinyx_build_result {
    struct tx_strv notes;    /* what was decided, one line each */
    struct tx_strv warnings; /* what the user asked for that was not
                                     * done, and why (a built-in module) */
    uint64_t initrd_bytes, unpacked_bytes, kernel_bytes;
    unsigned memory_mib;
    size_t nfiles;
};

int tinyx_build(const struct tinyx_build_opts *o,
                struct tinyx_build_result *res, struct tx_error *err);
void tinyx_build_result_free(struct tinyx_build_result *res);

/* Files of an output folder. */
#define TINYX_OUT_KERNEL "vmlinuz"
#define TINYX_OUT_INITRD "initrd.gz"
#define TINYX_OUT_CONFIG "guest.cfg"
#define TINYX_OUT_MANIFEST "manifest"
#define TINYX_OUT_BUILD "build" /* spec, generated files, packages */

#endif
