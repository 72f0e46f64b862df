/*
 * kernel.c - the kernel of a tinyx image: Debian's, or a tinyconfig build
 * (see kernel.h and docs/tinyx.md).
 */
#include "kernel.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "debpkg.h"
#include "spawn.h"

/* What the kernel itself takes of a guest's memory.  Debian's: the PV
 * domain builder loads its whole image (about 58 MiB in memory), and it
 * allocates more while booting; measured (tools/bench/tinyx-bench,
 * docs/tinyx.md), the sqlite3 image (11 MiB) needs 96 MiB and fails at 88,
 * so 96 leaves that image 32 MiB of margin with the headroom.  A tinyconfig
 * kernel is a few MiB. */
#define DEBIAN_BASE_MIB 96
#define TINY_BASE_MIB 32

void kernel_free(struct tinyx_kernel *k)
{
    free(k->path);
    free(k->desc);
    free(k->release);
    free(k->modules_dir);
    debpkg_free(&k->pkg);
    memset(k, 0, sizeof(*k));
}

static void say(tinyx_progress_fn fn, void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(tinyx_progress_fn fn, void *ctx, const char *fmt, ...)
{
    if (!fn)
        return;
    va_list ap;
    char *msg = NULL;
    va_start(ap, fmt);
    int n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (n >= 0) {
        fn(ctx, msg);
        free(msg);
    }
}

/* The versioned package a meta-package (linux-image-amd64, linux-source)
 * points at: its first dependency starting with PREFIX and a digit. */
static int resolve_meta(const char *meta, const char *prefix,
                        struct debpkg *out, struct tx_error *err)
{
    struct debpkg m;
    int r = debpkg_lookup(meta, &m, err);
    if (r < 0)
        return r;
    const char *target = NULL;
    size_t pl = strlen(prefix);
    for (size_t i = 0; i < m.depends.n && !target; i++)
        if (strncmp(m.depends.v[i], prefix, pl) == 0 &&
            m.depends.v[i][pl] >= '0' && m.depends.v[i][pl] <= '9')
            target = m.depends.v[i];
    if (!target) {
        debpkg_free(&m);
        return tx_fail(err, -ENOENT, "%s depends on no %sVERSION package", meta,
                       prefix);
    }
    char *t = strdup(target);
    char *bar = t ? strchr(t, '|') : NULL;
    if (bar)
        *bar = '\0';
    debpkg_free(&m);
    r = t ? debpkg_lookup(t, out, err) : tx_fail(err, -ENOMEM, "out of memory");
    free(t);
    return r;
}

/* The single file in DIR whose name starts with PREFIX. */
static char *find_prefixed(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    char *found = NULL;
    if (!d)
        return NULL;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strncmp(de->d_name, prefix, strlen(prefix)) == 0 && !found)
            found = tx_path_join(dir, de->d_name);
    closedir(d);
    return found;
}

/* The kernel release and its module tree, from the image's name
 * (/boot/vmlinuz-RELEASE, as Debian names it and lib/modules/RELEASE).  A
 * package without that folder simply has no modules to offer. */
static int find_modules(struct tinyx_kernel *k)
{
    const char *base = tx_basename(k->path);
    k->release = strdup(base + strlen("vmlinuz-"));
    if (!k->release)
        return -ENOMEM;
    char *dir = tx_asprintf("%s/lib/modules/%s", k->pkg.root, k->release);
    if (!dir)
        return -ENOMEM;
    struct stat st;
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
        k->modules_dir = dir;
    else
        free(dir);
    return 0;
}

int kernel_debian(const char *cache, tinyx_progress_fn progress, void *ctx,
                  struct tinyx_kernel *k, struct tx_error *err)
{
    memset(k, 0, sizeof(*k));
    int r = resolve_meta("linux-image-amd64", "linux-image-", &k->pkg, err);
    if (r < 0)
        return tx_prefix(err, r, "Debian's kernel");
    const struct debpkg *p = &k->pkg;
    say(progress, ctx, "kernel: %s %s (fetched and unpacked once, then cached)",
        p->name, p->version);
    if ((r = debpkg_fetch(cache, &k->pkg, err)) < 0) {
        kernel_free(k);
        return r;
    }
    char *boot = tx_path_join(p->root, "boot");
    k->path = boot ? find_prefixed(boot, "vmlinuz-") : NULL;
    free(boot);
    if (!k->path)
        r = tx_fail(err, -ENOENT, "package %s has no /boot/vmlinuz-*", p->name);
    else if (!(k->desc = tx_asprintf("Debian %s %s", p->name, p->version)) ||
             find_modules(k) < 0)
        r = tx_fail(err, -ENOMEM, "out of memory");
    k->base_mib = DEBIAN_BASE_MIB;
    if (r < 0)
        kernel_free(k);
    return r;
}

/* modules.dep as depmod would write it, from `depmod -n` (which prints the
 * files it would write, modules.dep first, then the others each under a
 * "# ..." header line: the text is cut there).  Through a file, not a
 * pipe: the whole output is a few MiB. */
static int run_depmod(const struct tinyx_kernel *k, const char *workdir,
                      char **dep, size_t *len, struct tx_error *err)
{
    char *out = tx_path_join(workdir, "depmod.out");
    if (!out)
        return tx_fail(err, -ENOMEM, "out of memory");
    const char *argv[] = {
        "depmod", "-n", "-b", k->pkg.root, k->release, NULL
    };
    struct tx_run run = { .stdout_path = out };
    int r = tx_run(argv, &run, "kmod", err);
    if (r == 0 && run.status != 0) {
        char *last = tx_last_line(run.errtext);
        r = tx_fail(err, -EIO, "depmod -n -b %s %s exited with status %d: %s",
                    k->pkg.root, k->release, run.status, last ? last : "");
        free(last);
    }
    tx_run_free(&run);
    if (r == 0 && (r = tx_read_file(out, 256u << 20, dep, len)) < 0)
        r = tx_fail(err, r, "%s: %s", out, strerror(-r));
    unlink(out);
    free(out);
    if (r < 0)
        return r;
    char *hdr = (*dep)[0] == '#' ? *dep : strstr(*dep, "\n#");
    if (hdr) {
        *len = (size_t)(hdr - *dep) + (hdr != *dep);
        (*dep)[*len] = '\0';
    }
    return 0;
}

int kernel_modules(const struct tinyx_kernel *k, const char *const *names,
                   size_t nnames, const char *workdir, struct kmod_plan *plan,
                   struct tx_error *err)
{
    memset(plan, 0, sizeof(*plan));
    if (!k->modules_dir)
        return tx_fail(err, -EINVAL, "%s has no module tree (lib/modules/%s)",
                       k->desc, k->release ? k->release : "VERSION");
    char *deppath = tx_path_join(k->modules_dir, "modules.dep");
    char *bipath = tx_path_join(k->modules_dir, "modules.builtin");
    char *dep = NULL, *builtin = NULL;
    size_t deplen = 0, blen = 0;
    if (!deppath || !bipath) {
        free(deppath);
        free(bipath);
        return tx_fail(err, -ENOMEM, "out of memory");
    }
    int r = tx_read_file(deppath, 256u << 20, &dep, &deplen);
    if (r == -ENOENT)
        r = run_depmod(k, workdir, &dep, &deplen, err);
    else if (r < 0)
        r = tx_fail(err, r, "%s: %s", deppath, strerror(-r));
    /* No modules.builtin: nothing is known to be built in. */
    int rb = r == 0 ? tx_read_file(bipath, 64u << 20, &builtin, &blen) : 0;
    if (rb < 0 && rb != -ENOENT)
        r = tx_fail(err, rb, "%s: %s", bipath, strerror(-rb));
    if (r == 0 && (r = kmod_plan(dep, deplen, builtin, blen, names, nnames,
                                 plan, err)) < 0)
        r = tx_prefix(err, r, "kernel %s (%s %s)", k->release, k->pkg.name,
                      k->pkg.version);
    free(deppath);
    free(bipath);
    free(dep);
    free(builtin);
    return r;
}

/* ------------------------------------------------------------ tinyconfig */

/*
 * What a tinyx image needs beyond tinyconfig (which turns off everything it
 * can).  Grouped by why; dependencies are listed too, since kconfig drops an
 * option whose dependencies are off (kernel_config_check catches that).
 * What tinyconfig leaves off stays off on purpose where Debian's kernel
 * pays for it at boot (docs/benchmarks.md, chaos-oci's boot under TCG):
 * SMP (its SMP alternatives, 0.5-0.7 s there; guests default to one vCPU)
 * and MEMORY_HOTPLUG (with it, XEN_MEMORY_HOTPLUG_LIMIT sizes the PV p2m
 * tree for 512 GiB, not for the guest's memory: 0.7 s there).
 */
static const char *const frag_common[] = {
    /* a 64-bit Xen guest */
    "CONFIG_64BIT",
    "CONFIG_HYPERVISOR_GUEST",
    "CONFIG_PARAVIRT",
    "CONFIG_XEN",
    /* its console: hvc0 on the Xen PV console */
    "CONFIG_TTY",
    "CONFIG_PRINTK",
    "CONFIG_HVC_XEN",
    "CONFIG_UNIX98_PTYS",
    /* the initramfs: gzip-compressed cpio, the root file system */
    "CONFIG_BLK_DEV_INITRD",
    "CONFIG_RD_GZIP",
    /* running /init and the application */
    "CONFIG_BINFMT_ELF",
    "CONFIG_BINFMT_SCRIPT",
    "CONFIG_MULTIUSER",
    /* what /init mounts */
    "CONFIG_PROC_FS",
    "CONFIG_SYSFS",
    /* /proc/sys: /init sets kernel/poweroff_cmd there, without which a
     * shutdown request (chaos shutdown, chaos-oci kill TERM) would not
     * reach the program; and programs read it (kernel/hostname) */
    "CONFIG_PROC_SYSCTL",
    "CONFIG_DEVTMPFS",
    "CONFIG_TMPFS",
    "CONFIG_SHMEM",
    /* what glibc programs use as a matter of course */
    "CONFIG_FUTEX",
    "CONFIG_EPOLL",
    "CONFIG_SIGNALFD",
    "CONFIG_TIMERFD",
    "CONFIG_EVENTFD",
    "CONFIG_POSIX_TIMERS",
    "CONFIG_FILE_LOCKING",
    "CONFIG_AIO",
    "CONFIG_ADVISE_SYSCALLS",
    "CONFIG_MEMBARRIER",
    "CONFIG_RSEQ",
    "CONFIG_SYSVIPC",
    "CONFIG_UNIX",
    "CONFIG_NET",
    "CONFIG_INET",
    /* Xen's network and block front ends, built in (a tinyconfig kernel
     * has no modules): --net and --disk images, and guests with a vif or
     * a disk, need nothing loaded at boot. */
    "CONFIG_NETDEVICES",
    "CONFIG_XEN_NETDEV_FRONTEND",
    "CONFIG_BLOCK",
    "CONFIG_BLK_DEV",
    "CONFIG_XEN_BLKDEV_FRONTEND",
};
static const char *const frag_pv[] = { "CONFIG_XEN_PV" };
/* PVH boots through ACPI tables (XEN_PVH depends on ACPI). */
static const char *const frag_pvh[] = { "CONFIG_XEN_PVHVM", "CONFIG_ACPI",
                                        "CONFIG_XEN_PVH" };

char *kernel_fragment(enum tinyx_target target)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    fprintf(f, "# tinyx build: options added to tinyconfig for %s\n",
            tinyx_target_name(target));
    for (size_t i = 0; i < sizeof(frag_common) / sizeof(*frag_common); i++)
        fprintf(f, "%s=y\n", frag_common[i]);
    const char *const *t = target == TINYX_XEN_PVH ? frag_pvh : frag_pv;
    size_t n = target == TINYX_XEN_PVH ? sizeof(frag_pvh) / sizeof(*frag_pvh)
                                       : sizeof(frag_pv) / sizeof(*frag_pv);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s=y\n", t[i]);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

int kernel_config_check(const char *config, const char *fragment,
                        struct tx_strv *missing)
{
    for (const char *p = fragment; *p;) {
        size_t len = strcspn(p, "\n");
        if (len > 2 && strncmp(p, "CONFIG_", 7) == 0 && p[len - 2] == '=' &&
            p[len - 1] == 'y') {
            /* Look for the same line, whole, in the config. */
            bool found = false;
            for (const char *c = config; *c && !found;) {
                size_t cl = strcspn(c, "\n");
                found = cl == len && strncmp(c, p, len) == 0;
                c += cl;
                if (*c)
                    c++;
            }
            if (!found) {
                char *opt = strndup(p, len - 2);
                int r = opt ? tx_strv_push_owned(missing, opt) : -ENOMEM;
                if (r < 0)
                    return r;
            }
        }
        p += len;
        if (*p)
            p++;
    }
    return 0;
}

/* FNV-1a, to name a build by its fragment. */
static unsigned long long fnv1a(const char *s)
{
    unsigned long long h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static int run_logged(const char *const *argv, const char *log,
                      const char *pkg_hint, const char *what,
                      struct tx_error *err)
{
    struct tx_run run = { .log_path = log };
    int r = tx_run(argv, &run, pkg_hint, err);
    if (r < 0)
        return tx_prefix(err, r, "%s", what);
    if (run.status != 0)
        r = tx_fail(err, -EIO, "%s: %s exited with status %d (log: %s)", what,
                    argv[0], run.status, log);
    tx_run_free(&run);
    return r;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Unpacks the linux-source tarball once; returns the source tree. */
static int kernel_source(const char *cache, tinyx_progress_fn progress,
                         void *ctx, char **srcdir, char **version,
                         struct tx_error *err)
{
    struct debpkg p;
    int r = resolve_meta("linux-source", "linux-source-", &p, err);
    if (r < 0)
        return tx_prefix(err, r, "Debian's kernel source");
    say(progress, ctx, "kernel source: %s %s", p.name, p.version);
    if ((r = debpkg_fetch(cache, &p, err)) < 0) {
        debpkg_free(&p);
        return r;
    }
    char *usrsrc = tx_path_join(p.root, "usr/src");
    char *tarball = usrsrc ? find_prefixed(usrsrc, "linux-source-") : NULL;
    char *dir = tx_asprintf("%s/kernel-src/%s_%s", cache, p.name, p.version);
    char *tmp = dir ? tx_asprintf("%s.tmp%ld", dir, (long)getpid()) : NULL;
    char *log = dir ? tx_asprintf("%s.log", dir) : NULL;
    if (!tarball || !dir || !tmp || !log)
        r = tarball
                ? tx_fail(err, -ENOMEM, "out of memory")
                : tx_fail(err, -ENOENT,
                          "%s has no /usr/src/linux-source-* tarball", p.name);
    if (r == 0 && !exists(dir)) {
        say(progress, ctx, "unpacking %s (once)", tx_basename(tarball));
        tx_remove_tree(tmp);
        if ((r = tx_mkdirs(tmp)) < 0)
            r = tx_fail(err, r, "%s: %s", tmp, strerror(-r));
        const char *argv[] = {
            "tar", "-x", "-f", tarball, "-C", tmp, "--strip-components=1", NULL
        };
        if (r == 0)
            r = run_logged(argv, log, "tar xz-utils",
                           "unpacking the kernel source", err);
        if (r == 0 && rename(tmp, dir) < 0 && !exists(dir))
            r = tx_fail(err, -errno, "%s: %s", dir, strerror(errno));
        tx_remove_tree(tmp);
    }
    if (r == 0) {
        *srcdir = dir;
        dir = NULL;
        *version = strdup(p.version);
        if (!*version)
            r = tx_fail(err, -ENOMEM, "out of memory");
    }
    debpkg_free(&p);
    free(usrsrc);
    free(tarball);
    free(dir);
    free(tmp);
    free(log);
    return r;
}

static bool in_path(const char *prog)
{
    const char *path = getenv("PATH");
    char *dirs = strdup(path ? path : "/usr/bin:/bin"), *save = NULL;
    bool found = false;
    for (char *d = dirs ? strtok_r(dirs, ":", &save) : NULL; d && !found;
         d = strtok_r(NULL, ":", &save)) {
        char *cand = tx_path_join(d, prog);
        found = cand && access(cand, X_OK) == 0;
        free(cand);
    }
    free(dirs);
    return found;
}

/* What a kernel build needs, said before a long download and unpack:
 * every missing Debian package at once. */
static int check_build_tools(struct tx_error *err)
{
    static const char *const need[][2] = {
        { "make", "make" },
        { "gcc", "gcc" },
        { "flex", "flex" },
        { "bison", "bison" },
        { "bc", "bc" },
        { "perl", "perl" },
        { "xz", "xz-utils" },
        { "tar", "tar" },
        { "/usr/include/libelf.h", "libelf-dev" }, /* objtool */
        { "/usr/include/openssl/ssl.h", "libssl-dev" },
    };
    char missing[512] = "";
    for (size_t i = 0; i < sizeof(need) / sizeof(*need); i++) {
        bool ok = need[i][0][0] == '/' ? access(need[i][0], R_OK) == 0
                                       : in_path(need[i][0]);
        if (!ok && strlen(missing) + strlen(need[i][1]) + 2 < sizeof(missing)) {
            strcat(missing, " ");
            strcat(missing, need[i][1]);
        }
    }
    if (missing[0])
        return tx_fail(err, -ENOENT,
                       "building a kernel needs Debian packages that are not "
                       "installed: apt-get install%s",
                       missing);
    return 0;
}

int kernel_tinyconfig(const char *cache, enum tinyx_target target,
                      unsigned jobs, bool config_only,
                      tinyx_progress_fn progress, void *ctx,
                      struct tinyx_kernel *k, struct tx_error *err)
{
    char *src = NULL, *ver = NULL, *frag = kernel_fragment(target);
    char *build = NULL, *log = NULL, *config = NULL, *image = NULL,
         *text = NULL;
    memset(k, 0, sizeof(*k));
    int r =
        frag ? check_build_tools(err) : tx_fail(err, -ENOMEM, "out of memory");
    if (r == 0)
        r = kernel_source(cache, progress, ctx, &src, &ver, err);
    if (r < 0)
        goto out;
    build = tx_asprintf("%s/kernels/tinyconfig-%s-%s-%016llx", cache, ver,
                        tinyx_target_name(target), fnv1a(frag));
    log = build ? tx_asprintf("%s/build.log", build) : NULL;
    config = build ? tx_asprintf("%s/.config", build) : NULL;
    image = build ? tx_asprintf("%s/vmlinuz", build) : NULL;
    char *odir = build ? tx_asprintf("O=%s", build) : NULL;
    char *jflag = tx_asprintf("-j%u", jobs ? jobs : 1);
    if (!log || !config || !image || !odir || !jflag) {
        free(odir);
        free(jflag);
        r = tx_fail(err, -ENOMEM, "out of memory");
        goto out;
    }
    const char *hint = "build-essential flex bison bc libelf-dev libssl-dev";
    if (!exists(image) || config_only) {
        if ((r = tx_mkdirs(build)) < 0)
            r = tx_fail(err, r, "%s: %s", build, strerror(-r));
        say(progress, ctx, "configuring a tinyconfig kernel for %s (log: %s)",
            tinyx_target_name(target), log);
        const char *tiny[] = { "make", "-C", src, odir, "tinyconfig", NULL };
        if (r == 0)
            r = run_logged(tiny, log, hint, "make tinyconfig", err);
        /* Our options after tinyconfig's; kconfig keeps the last of each
         * and olddefconfig settles what they imply. */
        size_t len;
        if (r == 0 && (r = tx_read_file(config, 16u << 20, &text, &len)) < 0)
            r = tx_fail(err, r, "%s: %s", config, strerror(-r));
        if (r == 0) {
            char *merged = tx_asprintf("%s%s", text, frag);
            r = merged ? tx_write_file(config, merged, strlen(merged), err)
                       : tx_fail(err, -ENOMEM, "out of memory");
            free(merged);
        }
        const char *old[] = { "make", "-C", src, odir, "olddefconfig", NULL };
        if (r == 0)
            r = run_logged(old, log, hint, "make olddefconfig", err);
        free(text);
        text = NULL;
        if (r == 0 && (r = tx_read_file(config, 16u << 20, &text, &len)) < 0)
            r = tx_fail(err, r, "%s: %s", config, strerror(-r));
        struct tx_strv missing = { 0 };
        if (r == 0 && (r = kernel_config_check(text, frag, &missing)) < 0)
            r = tx_fail(err, r, "out of memory");
        if (r == 0 && missing.n)
            r = tx_fail(
                err, -EINVAL,
                "the kernel config lacks %s%s (its dependencies are not "
                "met; see %s)",
                missing.v[0], missing.n > 1 ? " and more" : "", config);
        tx_strv_free(&missing);
        if (r == 0 && !config_only) {
            say(progress, ctx,
                "building the kernel (slow the first time; log: %s)", log);
            const char *mk[] = {
                "make", "-C", src, odir, jflag, "bzImage", NULL
            };
            r = run_logged(mk, log, hint, "building the kernel", err);
            char *bz = tx_asprintf("%s/arch/x86/boot/bzImage", build);
            if (r == 0)
                r = bz ? tx_copy_file(bz, image, err)
                       : tx_fail(err, -ENOMEM, "out of memory");
            free(bz);
        }
    }
    free(odir);
    free(jflag);
    if (r < 0)
        goto out;
    k->path = strdup(config_only ? config : image);
    k->desc = tx_asprintf("tinyconfig build of Debian's linux-source %s for %s",
                          ver, tinyx_target_name(target));
    k->base_mib = TINY_BASE_MIB;
    if (!k->path || !k->desc)
        r = tx_fail(err, -ENOMEM, "out of memory");
out:
    if (r < 0)
        kernel_free(k);
    free(src);
    free(ver);
    free(frag);
    free(build);
    free(log);
    free(config);
    free(image);
    free(text);
    return r;
}
