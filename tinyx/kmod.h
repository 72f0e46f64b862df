/*
 * kmod.h - kernel modules for tinyx build's --module: which module files an
 * image needs, and in which order /init must load them.
 *
 * Pure: the inputs are the texts of a kernel's modules.dep and
 * modules.builtin (as depmod writes them, see depmod(8) and modules.dep(5));
 * kernel.c finds them.  modules.dep has one line per module:
 *
 *     kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko kernel/fs/fscache/fscache.ko ...
 *
 * paths relative to lib/modules/VERSION, the file possibly compressed
 * (.ko.xz, .ko.zst, .ko.gz), followed by every module it needs, directly or
 * not, listed so that loading them from the last to the first works: that
 * is what modprobe does, and so does kmod_plan.
 *
 * Module names are compared as modprobe compares them: the file name
 * without its .ko suffix, with '-' and '_' the same ("xen-netfront" is
 * "xen_netfront").
 */
#ifndef TINYX_KMOD_H
#define TINYX_KMOD_H

#include <stdbool.h>
#include <stddef.h>

#include "txutil.h"

struct kmod_plan {
    struct tx_strv load;    /* module files to load, in order, as
                                 * modules.dep names them */
    struct tx_strv builtin; /* names asked for that are built into the
                                 * kernel (nothing to load), as given */
};

/*
 * The modules NAMES need: for each name in turn, its dependencies (those
 * not already in the plan) in load order, then the module itself; a name
 * whose module is built in (listed in modules.builtin) goes to
 * plan->builtin instead.  dep and builtin are the files' texts (builtin may
 * be NULL: nothing is built in).
 *
 * Errors: -ENOENT for a name neither file lists (err: "no module NAME");
 * -EINVAL for a name that cannot be a module's ("" or with '/' or a blank)
 * and for a malformed line of either file (err names the file and line:
 * every line must be "PATH.ko[.EXT]:" and paths, relative ones without
 * ".." components); -ENOMEM.  plan is empty after an error.
 */
int kmod_plan(const char *dep, size_t deplen, const char *builtin,
              size_t builtinlen, const char *const *names, size_t nnames,
              struct kmod_plan *plan, struct tx_error *err);

void kmod_plan_free(struct kmod_plan *plan);

/* A name kmod_plan can look up: not empty, no '/', no blank. */
bool kmod_name_ok(const char *name);

/*
 * The length of a module file's compression suffix: 3 for ".xz" and ".gz",
 * 4 for ".zst", 0 for a plain ".ko" (or anything else).
 */
size_t kmod_compression_len(const char *path);

#endif
