/*
 * kernel.h - the kernel of a tinyx image.
 *
 *  - "debian" (default): the kernel linux-image-amd64 currently points at,
 *    fetched with apt-get download into the cache (as the Xen lab does).
 *    Its Xen console (hvc_xen), initramfs support (gzip) and devtmpfs are
 *    built in, so a tinyx image needs none of its modules; those it wants
 *    anyway (a network front end: xen-netfront) come from the package's
 *    module tree (kernel_modules).
 *  - "tinyconfig": built from Debian's linux-source with `make tinyconfig`
 *    plus the options a Xen guest of the target and a tinyx /init need
 *    (kernel_fragment).  Cached per source version, target and fragment;
 *    the first build takes long (minutes to tens of minutes).
 *  - anything else: a path to a kernel image, used as it is.
 */
#ifndef TINYX_KERNEL_H
#define TINYX_KERNEL_H

#include "build.h"
#include "debpkg.h"
#include "kmod.h"

struct tinyx_kernel {
    char *path;        /* the kernel image (in the cache, or the user's) */
    char *desc;        /* for messages and the build notes */
    unsigned base_mib; /* memory the kernel needs to boot an empty initramfs */
    /* Debian's kernel only (else zero): its package, unpacked in the
     * cache, and its module tree there. */
    struct debpkg pkg;
    char *release; /* the kernel release: VERSION of lib/modules/VERSION */
    char
        *modules_dir; /* PKG-ROOT/lib/modules/VERSION; NULL: no modules known */
};

typedef void (*tinyx_progress_fn)(void *ctx, const char *msg);

int kernel_debian(const char *cache, tinyx_progress_fn progress, void *ctx,
                  struct tinyx_kernel *k, struct tx_error *err);

int kernel_tinyconfig(const char *cache, enum tinyx_target target,
                      unsigned jobs, bool config_only,
                      tinyx_progress_fn progress, void *ctx,
                      struct tinyx_kernel *k, struct tx_error *err);

void kernel_free(struct tinyx_kernel *k);

/*
 * The module files NAMES need, in load order (kmod_plan, names as modprobe
 * takes them), from k's module tree: its modules.dep, or, when the package
 * ships none (Debian's linux-image does not: its postinst runs depmod),
 * what `depmod -n` makes of the tree, which writes nothing into the cache.
 * Paths in plan->load are relative to k->modules_dir.  workdir is a folder
 * for depmod's output (removed after reading).  Only for Debian's kernel:
 * -EINVAL for one without a module tree; -ENOENT for an unknown name, the
 * message naming it and the kernel release.
 */
int kernel_modules(const struct tinyx_kernel *k, const char *const *names,
                   size_t nnames, const char *workdir, struct kmod_plan *plan,
                   struct tx_error *err);

/* The config options (CONFIG_X=y lines) added to tinyconfig for TARGET. */
char *kernel_fragment(enum tinyx_target target);

/*
 * Checks a generated .config (text) against a fragment: every CONFIG_X=y of
 * the fragment must be set so (kconfig silently drops an option whose
 * dependencies are not met).  The missing ones are appended to missing.
 */
int kernel_config_check(const char *config, const char *fragment,
                        struct tx_strv *missing);

#endif
