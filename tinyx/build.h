/*
 * build.h - `tinyx build`: from one application to a bootable Xen guest
 * (kernel, initramfs, xl.cfg-syntax config, manifest).  Design and rules
 * are in docs/tinyx.md; this header lists the pieces:
 *
 *  - rootfs.c   what goes in the image (a spec for the packer), the /init
 *               script and the small /etc files: pure functions;
 *  - guestcfg.c the guest config and the memory it gets: pure;
 *  - devices.c  the --net and --disk options: checks, and what they need;
 *  - debpkg.c   Debian packages through apt-cache, apt-get and dpkg-deb;
 *  - kernel.c   the kernel: Debian's, or a tinyconfig build;
 *  - build.c    the whole build, into a temporary folder renamed at the end.
 *
 * As everywhere in tinyx: 0 or -errno, with a sentence in struct tx_error;
 * nothing here prints.
 */
#ifndef TINYX_BUILD_H
#define TINYX_BUILD_H

#include <stdint.h>

#include "txutil.h"

enum tinyx_target { TINYX_XEN_PV, TINYX_XEN_PVH };

/* "xen-pv" / "xen-pvh" <-> enum; -EINVAL for anything else. */
int tinyx_target_parse(const char *s, enum tinyx_target *t);
const char *tinyx_target_name(enum tinyx_target t);

/* ---------------------------------------------------------------- devices */

/* --net's bridge when none is named: xl's default. */
#define TINYX_DEFAULT_BRIDGE "xenbr0"
/* --disk's file system when a mount point is given without one. */
#define TINYX_DEFAULT_FSTYPE "ext4"
/* xvda ... xvdp (chaos's limit: noxs numbers disks in 16 bits). */
#define TINYX_MAX_DISKS 16

/* A name for a bridge or an interface: 1-15 of letters, digits, _ . -. */
bool tinyx_ifname_ok(const char *name);

/*
 * Checks the value of Linux's ip= that /init will apply: the static
 * subset CLIENT[:SERVER:GW:NETMASK:HOSTNAME:DEVICE:AUTOCONF:DNS0:DNS1:NTP0]
 * with AUTOCONF off, none or empty, and CLIENT optionally ADDR/PREFIX (then
 * no NETMASK).  0 or -EINVAL with the reason.
 */
int tinyx_ip_check(const char *ip, struct tx_error *err);

/* One --disk IMAGE[:MOUNTPOINT[:FSTYPE]]. */
struct tinyx_disk {
    char *image;      /* absolute host path (relative: from cwd) */
    char *mountpoint; /* normalized image path; NULL: not mounted */
    char *fstype;     /* with a mount point: mount -t (default ext4) */
    char vdev[8];     /* xvda, xvdb, ... by place */
};

/* Parses the INDEXth --disk (0: xvda); cwd makes a relative IMAGE
 * absolute.  0, or -EINVAL with the reason (d is then empty). */
int tinyx_disk_parse(const char *spec, size_t index, const char *cwd,
                     struct tinyx_disk *d, struct tx_error *err);
void tinyx_disk_free(struct tinyx_disk *d);

/* The kernel modules a file system type needs, in load order, into out;
 * their number (1 or 2).  ext2/3/4: crc32c_generic and ext4. */
size_t tinyx_fs_modules(const char *fstype, const char *out[2]);

/* ---------------------------------------------------------------- rootfs */

/* An extra file or folder, or a library to add by name. */
struct rootfs_extra {
    const char *src;  /* host path (a folder goes in whole) */
    const char *dest; /* image path */
    bool is_dir;
    bool is_elf; /* a program or library: bring its closure */
};

struct rootfs_input {
    const char *name;        /* hostname of the guest */
    const char *app_src;     /* host path of the program */
    const char *app_dest;    /* its path in the image */
    const char *const *args; /* arguments after the program */
    size_t nargs;
    const char *const *env; /* NAME=VALUE, after the defaults */
    size_t nenv;
    const char *workdir;  /* NULL: "/" */
    const char *busybox;  /* host path of a static busybox */
    const char *netwatch; /* host path of tinyx-netwatch (net only) */
    const struct rootfs_extra *extras;
    size_t nextras;
    const char *const *libs; /* libraries to add by name (dlopen()ed) */
    size_t nlibs;
    bool glibc;                 /* the program's closure holds glibc's libc */
    const char *const *libdirs; /* directories for LD_LIBRARY_PATH: where
                                 * libraries were found outside ld.so's
                                 * default directories */
    size_t nlibdirs;
    const char *const *modules; /* kernel modules (host paths), load order */
    const char *const *module_dests; /* their image paths */
    size_t nmodules;
    bool net; /* /init brings up the interface of ip= (kernel command line) */
    const struct tinyx_disk *disks; /* /init waits for them, mounts some */
    size_t ndisks;
    /* The image path of tinyx-stdin (tinyx/stdin.c): the program reads
     * the console's framed input as a pipe (chaos-oci's containers
     * without a terminal, which pack it themselves); NULL: the program's
     * stdin is the console, as in tinyx's images. */
    const char *stdin_helper;
};

/* A file the build writes itself (init, /etc files). */
struct rootfs_gen {
    char *name; /* file name inside the generated-files folder */
    char *data;
    size_t len;
    unsigned mode;
};

struct rootfs_plan {
    char *spec; /* the packer's spec; generated files are named
                         * GEN/NAME, relative to the spec's folder */
    struct rootfs_gen *gen;
    size_t ngen;
};

/* The folder, relative to the spec, that holds generated files. */
#define ROOTFS_GEN_DIR "files"

/* The line of the init template that the application block replaces. */
#define ROOTFS_INIT_MARKER "# @TINYX_APP@"

/*
 * Shell-quotes s for sh ('...', with ' as '\''), appended to *buf (a
 * malloc'ed string, grown).  0 or -ENOMEM.
 */
int rootfs_sh_quote(char **buf, const char *s);

/* The host path of a guest-side helper tinyx installs (a static program:
 * tinyx-netwatch, tinyx-stdin) in dir (NULL: where tinyx installs them),
 * malloc'ed in *out.  0, or -ENOENT when there is no static program of
 * that name there. */
int tinyx_helper_path(const char *dir, const char *name, char **out,
                      struct tx_error *err);

/* The init script: TEMPLATE with its marker line replaced by the
 * application block.  Errors: no marker, a bad NAME=VALUE. */
int rootfs_render_init(const char *tmpl, const struct rootfs_input *in,
                       char **out, struct tx_error *err);

/* The whole plan: spec and generated files (init included). */
int rootfs_make(const char *tmpl, const struct rootfs_input *in,
                struct rootfs_plan *out, struct tx_error *err);
void rootfs_plan_free(struct rootfs_plan *p);

/* True when NAME=VALUE has a valid shell variable NAME. */
bool rootfs_env_ok(const char *assignment);

/* ---------------------------------------------------------------- guest config */

/*
 * The kernel command line of every tinyx image, and of every chaos-oci
 * container (which boots with tinyx's /init): ip= and --cmdline (tinyx),
 * loglevel=1 (chaos-oci) come after it.
 *   console=hvc0       the Xen console: where /init and the program write;
 *   quiet              only warnings and worse on the console;
 *   panic=-1           a panic (out of memory, a broken /init) reboots at
 *                      once, which the config turns into destroy;
 *   cryptomgr.notests  Linux does not run the self-tests of its crypto
 *                      algorithms as each one registers (Debian's kernel
 *                      runs them: 0.4-0.7 s of a PV boot under QEMU
 *                      TCG, docs/tinyx.md); the algorithms themselves are
 *                      unchanged, and fips=1 runs the tests anyway.
 * Words a kernel does not know are harmless: Linux ignores an unknown
 * a.b parameter.
 */
#define TINYX_CMDLINE "console=hvc0 quiet panic=-1 cryptomgr.notests"

struct guestcfg {
    const char *name;
    enum tinyx_target target;
    const char *kernel; /* paths as the config must say them */
    const char *ramdisk;
    unsigned memory_mib;
    const char *extra;  /* kernel command line */
    const char *bridge; /* NULL: no network interface */
    const struct tinyx_disk *disks;
    size_t ndisks;
};

/* xl.cfg(5) text that both `xl create` and `chaos create` accept. */
int guestcfg_render(const struct guestcfg *cfg, char **out,
                    struct tx_error *err);

/*
 * The memory a guest needs to boot this image, in MiB: the kernel's own
 * footprint (base_mib), plus the compressed initramfs (loaded by the
 * builder) and its unpacked contents (the root file system lives in RAM),
 * plus headroom for the application, rounded up to a multiple of 8.
 */
unsigned guestcfg_memory_mib(unsigned base_mib, uint64_t initrd_bytes,
                             uint64_t unpacked_bytes);

/* A guest name xl and chaos accept (letters, digits, _-.; not all digits). */
bool guestcfg_name_ok(const char *name);

#endif
