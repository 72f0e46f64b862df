/*
 * build.c - `tinyx build` as a library call (tinyx_build.h): with the
 * program and its libraries found (resolve.c: on the host, or in a Debian
 * package and the dependencies that provide them), make the root file
 * system spec (rootfs.c), pack it (initramfs.h), get the kernel (kernel.c),
 * write the config (guestcfg.c) and the manifest.
 *
 * Everything is written into a temporary folder next to the output folder,
 * renamed over it at the very end: a failed build leaves nothing behind,
 * and an older output is replaced only once the new one is complete.
 */
#include "build_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpio.h"
#include "debpkg.h"
#include "elfdeps.h"
#include "initramfs.h"
#include "spawn.h"
#include "sysroot.h"

#ifndef TINYX_DATADIR
#define TINYX_DATADIR "/usr/local/share/chaos/tinyx"
#endif
#ifndef TINYX_LIBEXECDIR
#define TINYX_LIBEXECDIR "/usr/local/libexec/chaos/tinyx"
#endif
#define DEFAULT_CACHE "/var/cache/tinyx"
#define MAX_TEMPLATE (1u << 20)

void progress(struct bstate *s, const char *fmt, ...)
{
    if (!s->o->progress)
        return;
    va_list ap;
    char *msg = NULL;
    va_start(ap, fmt);
    int n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (n >= 0) {
        s->o->progress(s->o->progress_ctx, msg);
        free(msg);
    }
}

int note(struct bstate *s, const char *fmt, ...)
{
    va_list ap;
    char *msg = NULL;
    va_start(ap, fmt);
    int n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    return n < 0 ? -ENOMEM : tx_strv_push_owned(&s->res->notes, msg);
}

char *own(struct bstate *s, char *str)
{
    if (str && tx_strv_push_owned(&s->owned, str) < 0)
        return NULL;
    return str;
}

/* ------------------------------------------------------------ busybox */

static bool is_static_elf(const char *path)
{
    struct elfdeps_info info;
    struct tx_error e;
    if (elfdeps_parse_file(path, &info, &e) < 0)
        return false;
    bool st = !info.interp && info.needed.n == 0 &&
              (info.type == 2 || info.type == 3);
    elfdeps_info_free(&info);
    return st;
}

static int find_busybox(struct bstate *s, char **out, struct tx_error *err)
{
    if (s->o->busybox) {
        if (!is_static_elf(s->o->busybox))
            return tx_fail(err, -EINVAL, "--busybox %s: not a static program",
                           s->o->busybox);
        *out = absolute(s->o->busybox);
        return *out ? 0 : tx_fail(err, -ENOMEM, "out of memory");
    }
    if (is_static_elf("/bin/busybox")) {
        *out = strdup("/bin/busybox");
        return *out ? 0 : tx_fail(err, -ENOMEM, "out of memory");
    }
    struct debpkg p;
    int r = debpkg_lookup("busybox-static", &p, err);
    if (r == 0)
        r = debpkg_fetch(s->cache, &p, err);
    if (r == 0 && !(*out = tx_path_join(p.root, "bin/busybox")))
        r = tx_fail(err, -ENOMEM, "out of memory");
    debpkg_free(&p);
    return r;
}

/* ------------------------------------------------------------ output */

static char *default_name(const char *app_dest)
{
    char *n = strdup(tx_basename(app_dest));
    if (!n)
        return NULL;
    for (char *p = n; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
                    "6789_-.",
                    *p))
            *p = '-';
    if (!guestcfg_name_ok(n)) {
        free(n);
        n = strdup("tinyx-app");
    }
    return n;
}

/* The manifest, with the temporary folder's name replaced by the final one
 * (generated files are named by where they will be). */
static int write_manifest(const struct image *img, const char *tmp,
                          const char *final, const char *path,
                          struct tx_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return tx_fail(err, -errno, "%s: %s", path, strerror(errno));
    int r = initramfs_write_manifest(img, fd, err);
    if (close(fd) < 0 && r == 0)
        r = tx_fail(err, -errno, "%s: %s", path, strerror(errno));
    char *text = NULL, *buf = NULL;
    size_t len = 0;
    if (r == 0 && (r = tx_read_file(path, SIZE_MAX / 2, &text, &len)) < 0)
        r = tx_fail(err, r, "%s: %s", path, strerror(-r));
    FILE *f = r == 0 ? open_memstream(&buf, &len) : NULL;
    if (r == 0 && !f)
        r = tx_fail(err, -ENOMEM, "out of memory");
    if (r < 0) {
        free(text);
        return r;
    }
    size_t tl = strlen(tmp);
    for (const char *p = text; *p;) {
        const char *m = strstr(p, tmp);
        if (!m) {
            fputs(p, f);
            break;
        }
        fwrite(p, 1, (size_t)(m - p), f);
        fputs(final, f);
        p = m + tl;
    }
    free(text);
    if (fclose(f) != 0) {
        free(buf);
        return tx_fail(err, -ENOMEM, "out of memory");
    }
    r = tx_write_file(path, buf, len, err);
    free(buf);
    return r;
}

static int read_template(const struct tinyx_build_opts *o, char **tmpl,
                         struct tx_error *err)
{
    const char *dir = o->datadir ? o->datadir : TINYX_DATADIR;
    char *path = tx_path_join(dir, "init.sh");
    size_t len;
    if (!path)
        return tx_fail(err, -ENOMEM, "out of memory");
    int r = tx_read_file(path, MAX_TEMPLATE, tmpl, &len);
    if (r < 0)
        r = tx_fail(err, r,
                    "init template %s: %s (is tinyx installed? TINYX_DATADIR "
                    "names another folder)",
                    path, strerror(-r));
    free(path);
    return r;
}

int tinyx_helper_path(const char *dir, const char *name, char **out,
                      struct tx_error *err)
{
    if (!(*out = tx_path_join(dir ? dir : TINYX_LIBEXECDIR, name)))
        return tx_fail(err, -ENOMEM, "out of memory");
    if (is_static_elf(*out))
        return 0;
    int r = tx_fail(err, -ENOENT,
                    "%s: not a static program (is tinyx installed? "
                    "TINYX_LIBEXECDIR names another folder)",
                    *out);
    free(*out);
    *out = NULL;
    return r;
}

static int pack_image(struct bstate *s, const char *tmp, const char *final,
                      const char *name, struct tx_error *err)
{
    char *tmpl = NULL, *busybox = NULL, *netwatch = NULL,
         *builddir = tx_path_join(tmp, TINYX_OUT_BUILD);
    char *gendir = builddir ? tx_path_join(builddir, ROOTFS_GEN_DIR) : NULL;
    struct rootfs_plan plan = { 0 };
    struct spec spec = { 0 };
    struct image img = { 0 };
    bool planned = false;
    int r = builddir && gendir ? 0 : tx_fail(err, -ENOMEM, "out of memory");
    if (r == 0 && (r = tx_mkdirs(gendir)) < 0)
        r = tx_fail(err, r, "%s: %s", gendir, strerror(-r));
    if (r == 0)
        r = read_template(s->o, &tmpl, err);
    if (r == 0)
        r = find_busybox(s, &busybox, err);
    if (r == 0 && s->net)
        r = tinyx_helper_path(s->o->libexecdir, "tinyx-netwatch", &netwatch,
                              err);
    if (r < 0)
        goto out;
    const char **libs = malloc((s->o->nlibs + 1) * sizeof(*libs));
    size_t nlibs = 0;
    if (!libs) {
        r = tx_fail(err, -ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < s->o->nlibs; i++)
        libs[nlibs++] = s->o->libs[i];
    if (s->libgcc_s)
        libs[nlibs++] = "libgcc_s.so.1";
    struct rootfs_input in = {
        .name = name,
        .app_src = s->app_src,
        .app_dest = s->app_dest,
        .args = s->o->args,
        .nargs = s->o->nargs,
        .env = s->o->env,
        .nenv = s->o->nenv,
        .workdir = s->o->workdir,
        .busybox = busybox,
        .netwatch = netwatch,
        .extras = s->extras,
        .nextras = s->nextras,
        .libs = libs,
        .nlibs = nlibs,
        .glibc = s->glibc,
        .libdirs = (const char *const *)s->libdirs.v,
        .nlibdirs = s->libdirs.n,
        .modules = (const char *const *)s->mod_src.v,
        .module_dests = (const char *const *)s->mod_dest.v,
        .nmodules = s->mod_src.n,
        .net = s->net,
        .disks = s->disks,
        .ndisks = s->ndisks,
    };
    r = rootfs_make(tmpl, &in, &plan, err);
    free(libs);
    if (r < 0)
        goto out;
    for (size_t i = 0; i < plan.ngen && r == 0; i++) {
        char *p = tx_path_join(gendir, plan.gen[i].name);
        r = p ? tx_write_file(p, plan.gen[i].data, plan.gen[i].len, err)
              : tx_fail(err, -ENOMEM, "out of memory");
        if (r == 0 && chmod(p, plan.gen[i].mode) < 0)
            r = tx_fail(err, -errno, "%s: %s", p, strerror(errno));
        free(p);
    }
    char *specpath = tx_path_join(builddir, "tinyx.spec");
    if (r == 0)
        r = specpath
                ? tx_write_file(specpath, plan.spec, strlen(plan.spec), err)
                : tx_fail(err, -ENOMEM, "out of memory");
    free(specpath);
    if (r == 0)
        r = spec_parse(plan.spec, strlen(plan.spec), "tinyx.spec", builddir,
                       &spec, err);
    if (r < 0)
        goto out;
    struct initramfs_opts po = {
        .sysroots = (const char *const *)s->roots.v,
        .nsysroots = s->roots.n,
        .gzip = true,
    };
    if ((r = cpio_mtime_from_env(&po.mtime, err)) < 0)
        goto out;
    progress(s, "packing the initramfs");
    if ((r = initramfs_plan(&spec, &po, &img, err)) < 0)
        goto out;
    planned = true;
    char *initrd = tx_path_join(tmp, TINYX_OUT_INITRD);
    char *manifest = tx_path_join(tmp, TINYX_OUT_MANIFEST);
    int fd = initrd
                 ? open(initrd, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)
                 : -1;
    if (!initrd || !manifest)
        r = tx_fail(err, -ENOMEM, "out of memory");
    else if (fd < 0)
        r = tx_fail(err, -errno, "%s: %s", initrd, strerror(errno));
    if (r == 0)
        r = initramfs_write(&img, &po, fd, err);
    if (fd >= 0 && close(fd) < 0 && r == 0)
        r = tx_fail(err, -errno, "%s: %s", initrd, strerror(errno));
    struct stat st;
    if (r == 0 && stat(initrd, &st) == 0)
        s->res->initrd_bytes = (uint64_t)st.st_size;
    if (r == 0)
        r = write_manifest(&img, tmp, final, manifest, err);
    for (size_t i = 0; r == 0 && i < img.n; i++)
        if (img.v[i].type == IMG_FILE || img.v[i].type == IMG_SYMLINK)
            s->res->unpacked_bytes += img.v[i].size;
    s->res->nfiles = img.n;
    free(initrd);
    free(manifest);
out:
    if (planned)
        image_free(&img);
    spec_free(&spec);
    rootfs_plan_free(&plan);
    free(tmpl);
    free(busybox);
    free(netwatch);
    free(builddir);
    free(gendir);
    return r;
}

static int get_kernel(struct bstate *s, struct tinyx_kernel *k,
                      struct tx_error *err)
{
    const char *kind = s->o->kernel ? s->o->kernel : "debian";
    if (strcmp(kind, "debian") == 0)
        return kernel_debian(s->cache, s->o->progress, s->o->progress_ctx, k,
                             err);
    if (strcmp(kind, "tinyconfig") == 0)
        return kernel_tinyconfig(s->cache, s->o->target, s->o->jobs, false,
                                 s->o->progress, s->o->progress_ctx, k, err);
    struct stat st;
    if (stat(kind, &st) < 0 || !S_ISREG(st.st_mode) || access(kind, R_OK) < 0)
        return tx_fail(err, -ENOENT,
                       "--kernel %s: not \"debian\", \"tinyconfig\" or a "
                       "readable kernel image",
                       kind);
    k->path = strdup(kind);
    k->desc = tx_asprintf("%s (given)", kind);
    k->base_mib = 96; /* as Debian's: an unknown kernel may be as large */
    return k->path && k->desc ? 0 : tx_fail(err, -ENOMEM, "out of memory");
}

/* --module names, and a kernel whose modules are known: said before any
 * slow work. */
static int check_modules(const struct tinyx_build_opts *o, struct tx_error *err)
{
    for (size_t i = 0; i < o->nmodules; i++)
        if (!kmod_name_ok(o->modules[i]))
            return tx_fail(err, -EINVAL,
                           "--module \"%s\": not a module name (give it as "
                           "modprobe takes it, e.g. xen-netfront)",
                           o->modules[i]);
    const char *kind = o->kernel ? o->kernel : "debian";
    if (strcmp(kind, "debian") == 0)
        return 0;
    /* The front ends are modules of Debian's kernel and built into a
     * tinyconfig kernel (kernel.c's fragment). */
    if (strcmp(kind, "tinyconfig") == 0)
        return o->nmodules ? tx_fail(err, -EINVAL,
                                     "--module %s: a tinyconfig kernel has no "
                                     "modules (what it has is built in); use "
                                     "--kernel debian",
                                     o->modules[0])
                           : 0;
    const char *what = o->nmodules                    ? o->modules[0]
                       : o->net || o->bridge || o->ip ? "xen-netfront (--net)"
                       : o->ndisks                    ? "xen-blkfront (--disk)"
                                                      : NULL;
    if (!what)
        return 0;
    return tx_fail(err, -EINVAL,
                   "--module %s: the modules of a kernel given as a file (%s) "
                   "are not known; use --kernel debian",
                   what, kind);
}

/* --net, --bridge, --ip and --disk: checked before any slow work; the
 * modules they need join the --module names (kernel_modules() loads each
 * once, dependencies first). */
static int prepare_devices(struct bstate *s, struct tx_error *err)
{
    const struct tinyx_build_opts *o = s->o;
    s->net = o->net || o->bridge || o->ip;
    if (o->bridge && !tinyx_ifname_ok(o->bridge))
        return tx_fail(err, -EINVAL, "--bridge %s: 1-15 letters, digits, _ . -",
                       o->bridge);
    int r = o->ip ? tinyx_ip_check(o->ip, err) : 0;
    if (r < 0)
        return tx_prefix(err, r, "--ip");
    for (size_t i = 0; i < o->nmodules; i++)
        if (tx_strv_push(&s->modnames, o->modules[i]) < 0)
            return tx_fail(err, -ENOMEM, "out of memory");
    /* A tinyconfig kernel has the front ends built in, and no file
     * system for a disk (check_modules let only it and debian through). */
    bool tiny = o->kernel && strcmp(o->kernel, "tinyconfig") == 0;
    if (s->net && !tiny && tx_strv_push(&s->modnames, "xen-netfront") < 0)
        return tx_fail(err, -ENOMEM, "out of memory");
    if (!o->ndisks)
        return 0;
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof(cwd)))
        return tx_fail(err, -errno, "getcwd: %s", strerror(errno));
    s->disks = calloc(o->ndisks, sizeof(*s->disks));
    if (!s->disks || (!tiny && tx_strv_push(&s->modnames, "xen-blkfront") < 0))
        return tx_fail(err, -ENOMEM, "out of memory");
    for (size_t i = 0; i < o->ndisks; i++) {
        if ((r = tinyx_disk_parse(o->disks[i], i, cwd, &s->disks[i], err)) < 0)
            return r;
        s->ndisks++;
        if (tiny && s->disks[i].mountpoint)
            return tx_fail(err, -EINVAL,
                           "--disk %s: a tinyconfig kernel has no file "
                           "system to mount it with; give no mount point "
                           "(the program uses /dev/%s) or use --kernel debian",
                           o->disks[i], s->disks[i].vdev);
        const char *fs = s->disks[i].fstype, *mods[2];
        size_t n = fs ? tinyx_fs_modules(fs, mods) : 0;
        for (size_t j = 0; j < n; j++)
            if (!tx_strv_contains(&s->modnames, mods[j]) &&
                tx_strv_push(&s->modnames, mods[j]) < 0)
                return tx_fail(err, -ENOMEM, "out of memory");
    }
    return 0;
}

/* What the devices are, for the notes. */
static int note_devices(struct bstate *s)
{
    int r = 0;
    if (s->net)
        r = note(s, "network: eth0 on bridge %s, %s",
                 s->o->bridge ? s->o->bridge : TINYX_DEFAULT_BRIDGE,
                 s->o->ip ? s->o->ip
                          : "no ip= (give one in the config's extra)");
    for (size_t i = 0; r == 0 && i < s->ndisks; i++) {
        const struct tinyx_disk *d = &s->disks[i];
        r = d->mountpoint
                ? note(s, "disk: %s is %s, mounted on %s (%s)", d->vdev,
                       d->image, d->mountpoint, d->fstype)
                : note(s, "disk: %s is %s (not mounted)", d->vdev, d->image);
    }
    return r;
}

/* Where an unpacked compressed module goes: a folder of the build named
 * after the kernel package, so that the manifest's origin still names the
 * package and its version. */
static char *unpacked_path(const struct bstate *s, const char *tmp,
                           const char *dest)
{
    const struct debpkg *p = &s->kernel.pkg;
    return tx_asprintf("%s/%s/modules/%s_%s_%s%s", tmp, TINYX_OUT_BUILD,
                       p->name, p->version, p->arch, dest);
}

/* Unpacks a compressed module with Debian's tool for its format; suffix
 * is the compression suffix kmod_compression_len() found (".xz"...). */
static int decompress(const char *src, const char *suffix, const char *dest,
                      struct tx_error *err)
{
    static const char *const tools[][3] = {
        { ".xz", "xz", "xz-utils" },
        { ".zst", "zstd", "zstd" },
        { ".gz", "gzip", "gzip" },
    };
    size_t i = 0, n = sizeof(tools) / sizeof(*tools);
    while (i < n && strcmp(suffix, tools[i][0]) != 0)
        i++;
    if (i == n)
        return tx_fail(err, -EINVAL, "%s: not a compressed module", src);
    char *dir = tx_dirname(dest);
    int r = dir ? tx_mkdirs(dir) : -ENOMEM;
    if (r < 0)
        r = tx_fail(err, r, "%s: %s", dir ? dir : dest, strerror(-r));
    free(dir);
    const char *argv[] = { tools[i][1], "-dc", src, NULL };
    struct tx_run run = { .stdout_path = dest };
    if (r == 0 && (r = tx_run(argv, &run, tools[i][2], err)) == 0 &&
        run.status != 0) {
        char *last = tx_last_line(run.errtext);
        r = tx_fail(err, -EIO, "unpacking %s: %s exited with status %d: %s",
                    src, argv[0], run.status, last ? last : "");
        free(last);
    }
    tx_run_free(&run);
    return r;
}

/*
 * One module file into the image at /lib/modules/RELEASE/PATH, as in the
 * package.  A compressed one (.ko.xz, .ko.zst, .ko.gz) is unpacked into the
 * build folder first and goes in as PATH without that suffix: busybox
 * insmod reads a compressed module only when built with that decompressor
 * (never for zstd), and the kernel decompresses only through a
 * finit_module() flag insmod does not pass; the initramfs is
 * gzip-compressed anyway.
 */
static int stage_module(struct bstate *s, const char *tmp, const char *rel,
                        struct tx_error *err)
{
    const struct tinyx_kernel *k = &s->kernel;
    size_t clen = kmod_compression_len(rel);
    /* Absolute: the spec's relative paths are taken from its own folder. */
    char *inpkg = tx_path_join(k->modules_dir, rel);
    char *src = inpkg ? absolute(inpkg) : NULL;
    free(inpkg);
    char *plain = strndup(rel, strlen(rel) - clen);
    char *dest =
        plain ? tx_asprintf("/lib/modules/%s/%s", k->release, plain) : NULL;
    int r = src && dest ? 0 : tx_fail(err, -ENOMEM, "out of memory");
    if (r == 0 && clen) {
        char *unpacked = unpacked_path(s, tmp, dest);
        r = unpacked ? decompress(src, rel + strlen(rel) - clen, unpacked, err)
                     : tx_fail(err, -ENOMEM, "out of memory");
        free(src);
        src = unpacked;
    }
    free(plain);
    if (r < 0) {
        free(src);
        free(dest);
        return r;
    }
    /* Both lists stay the same length: an entry in one alone would be a
     * module without its image path. */
    if (tx_strv_push_owned(&s->mod_src, src) < 0) {
        free(dest);
        return tx_fail(err, -ENOMEM, "out of memory");
    }
    if (tx_strv_push_owned(&s->mod_dest, dest) < 0) {
        free(s->mod_src.v[--s->mod_src.n]);
        return tx_fail(err, -ENOMEM, "out of memory");
    }
    return 0;
}

/* The --module files, with their dependencies, in load order (kernel.c,
 * kmod.c); a module built into the kernel is a warning, not an error. */
static int add_modules(struct bstate *s, const char *tmp, struct tx_error *err)
{
    if (!s->modnames.n)
        return 0;
    char *builddir = tx_path_join(tmp, TINYX_OUT_BUILD);
    struct kmod_plan plan = { 0 };
    int r = builddir ? tx_mkdirs(builddir) : -ENOMEM;
    if (r < 0)
        r = tx_fail(err, r, "%s: %s", builddir ? builddir : tmp, strerror(-r));
    if (r == 0)
        r = kernel_modules(&s->kernel, (const char *const *)s->modnames.v,
                           s->modnames.n, builddir, &plan, err);
    for (size_t i = 0; r == 0 && i < plan.builtin.n; i++)
        if (tx_strv_push_owned(&s->res->warnings,
                               tx_asprintf("%s is built into the kernel",
                                           plan.builtin.v[i])) < 0)
            r = tx_fail(err, -ENOMEM, "out of memory");
    for (size_t i = 0; r == 0 && i < plan.load.n; i++)
        r = stage_module(s, tmp, plan.load.v[i], err);
    char *list = NULL;
    for (size_t i = 0; r == 0 && i < s->mod_dest.n; i++) {
        char *l = tx_asprintf("%s%s%s", list ? list : "", list ? " " : "",
                              tx_basename(s->mod_dest.v[i]));
        free(list);
        if (!(list = l))
            r = tx_fail(err, -ENOMEM, "out of memory");
    }
    if (r == 0 && list &&
        note(s, "modules (from %s %s, loaded in this order): %s",
             s->kernel.pkg.name, s->kernel.pkg.version, list) < 0)
        r = tx_fail(err, -ENOMEM, "out of memory");
    free(list);
    free(builddir);
    kmod_plan_free(&plan);
    return r;
}

static int write_outputs(struct bstate *s, const char *tmp, const char *final,
                         const char *name, struct tx_error *err)
{
    const struct tinyx_kernel *k = &s->kernel;
    int r = 0;
    char *kpath = tx_path_join(tmp, TINYX_OUT_KERNEL);
    if (!kpath)
        r = tx_fail(err, -ENOMEM, "out of memory");
    /* A hard link costs nothing and stays valid if the cache is renewed. */
    if (r == 0 && link(k->path, kpath) < 0)
        r = tx_copy_file(k->path, kpath, err);
    struct stat st;
    if (r == 0 && stat(kpath, &st) == 0)
        s->res->kernel_bytes = (uint64_t)st.st_size;
    if (r == 0)
        r = note(s, "kernel: %s", k->desc) < 0
                ? tx_fail(err, -ENOMEM, "out of memory")
                : 0;
    unsigned mem = s->o->memory_mib
                       ? s->o->memory_mib
                       : guestcfg_memory_mib(k->base_mib, s->res->initrd_bytes,
                                             s->res->unpacked_bytes);
    s->res->memory_mib = mem;
    const char *dir = s->o->image_dir ? s->o->image_dir : final;
    bool here = strcmp(dir, ".") == 0;
    char *kcfg =
        here ? strdup(TINYX_OUT_KERNEL) : tx_path_join(dir, TINYX_OUT_KERNEL);
    char *rcfg =
        here ? strdup(TINYX_OUT_INITRD) : tx_path_join(dir, TINYX_OUT_INITRD);
    /* ip= before --cmdline: /init takes the last one, as Linux would. */
    char *extra =
        tx_asprintf(TINYX_CMDLINE "%s%s%s%s", s->o->ip ? " ip=" : "",
                    s->o->ip ? s->o->ip : "", s->o->cmdline ? " " : "",
                    s->o->cmdline ? s->o->cmdline : "");
    char *text = NULL, *cfgpath = tx_path_join(tmp, TINYX_OUT_CONFIG);
    if (r == 0 && (!kcfg || !rcfg || !extra || !cfgpath))
        r = tx_fail(err, -ENOMEM, "out of memory");
    if (r == 0) {
        struct guestcfg cfg = { .name = name,
                                .target = s->o->target,
                                .kernel = kcfg,
                                .ramdisk = rcfg,
                                .memory_mib = mem,
                                .extra = extra,
                                .bridge = !s->net        ? NULL
                                          : s->o->bridge ? s->o->bridge
                                                         : TINYX_DEFAULT_BRIDGE,
                                .disks = s->disks,
                                .ndisks = s->ndisks };
        r = guestcfg_render(&cfg, &text, err);
    }
    if (r == 0)
        r = tx_write_file(cfgpath, text, strlen(text), err);
    free(text);
    free(cfgpath);
    free(kcfg);
    free(rcfg);
    free(extra);
    free(kpath);
    return r;
}

static int write_packages(struct bstate *s, const char *tmp,
                          struct tx_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return tx_fail(err, -ENOMEM, "out of memory");
    for (size_t i = 0; i < s->npkgs; i++)
        fprintf(f, "%s\t%s\t%s\n", s->pkgs[i].name, s->pkgs[i].version,
                s->pkgs[i].arch);
    const struct debpkg *kp = &s->kernel.pkg;
    if (kp->name) /* Debian's kernel, and its modules */
        fprintf(f, "%s\t%s\t%s\n", kp->name, kp->version, kp->arch);
    if (fclose(f) != 0)
        return tx_fail(err, -ENOMEM, "out of memory");
    char *path = tx_asprintf("%s/%s/packages", tmp, TINYX_OUT_BUILD);
    int r = path ? tx_write_file(path, buf, len, err)
                 : tx_fail(err, -ENOMEM, "out of memory");
    free(path);
    free(buf);
    return r;
}

/* The output folder as an absolute path (its parent created). */
static int final_path(const char *out, char **final, struct tx_error *err)
{
    char *norm = NULL;
    if (out[0] == '/') {
        norm = tx_path_normalize(out);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof(cwd)))
            return tx_fail(err, -errno, "getcwd: %s", strerror(errno));
        char *j = tx_path_join(cwd, out);
        norm = j ? tx_path_normalize(j) : NULL;
        free(j);
    }
    if (!norm)
        return tx_fail(err, -ENOMEM, "out of memory");
    if (strcmp(norm, "/") == 0) {
        free(norm);
        return tx_fail(err, -EINVAL, "the output folder cannot be /");
    }
    char *parent = tx_dirname(norm);
    int r = parent ? tx_mkdirs(parent) : -ENOMEM;
    if (r < 0)
        r = tx_fail(err, r, "%s: %s", parent ? parent : out, strerror(-r));
    free(parent);
    if (r < 0) {
        free(norm);
        return r;
    }
    *final = norm;
    return 0;
}

static int commit(const char *tmp, const char *final, bool force,
                  struct tx_error *err)
{
    struct stat st;
    if (lstat(final, &st) < 0) {
        if (rename(tmp, final) < 0)
            return tx_fail(err, -errno, "%s: %s", final, strerror(errno));
        return 0;
    }
    if (!force)
        return tx_fail(err, -EEXIST, "%s exists (--force replaces it)", final);
    /* Old output aside, new one in, old one removed: at each moment the
     * output folder is either the old one or the new one. */
    char *old = tx_asprintf("%s.old%ld", final, (long)getpid());
    if (!old)
        return tx_fail(err, -ENOMEM, "out of memory");
    tx_remove_tree(old);
    int r = 0;
    if (rename(final, old) < 0)
        r = tx_fail(err, -errno, "%s: %s", final, strerror(errno));
    else if (rename(tmp, final) < 0) {
        r = tx_fail(err, -errno, "%s: %s", final, strerror(errno));
        rename(old, final);
    } else {
        tx_remove_tree(old);
    }
    free(old);
    return r;
}

int tinyx_build(const struct tinyx_build_opts *o,
                struct tinyx_build_result *res, struct tx_error *err)
{
    struct bstate s = { .o = o,
                        .res = res,
                        .cache = o->cache ? o->cache : DEFAULT_CACHE };
    char *final = NULL, *tmp = NULL, *name = NULL;
    memset(res, 0, sizeof(*res));
    struct stat st;
    int r = final_path(o->output, &final, err);
    if (r < 0)
        return r;
    /* Said before any slow work. */
    if (!o->force && lstat(final, &st) == 0) {
        r = tx_fail(err, -EEXIST, "%s exists (--force replaces it)", final);
        goto out;
    }
    for (size_t i = 0; i < o->nenv; i++)
        if (!rootfs_env_ok(o->env[i])) {
            r = tx_fail(err, -EINVAL, "--env %s: expected NAME=VALUE",
                        o->env[i]);
            goto out;
        }
    if (o->name && !guestcfg_name_ok(o->name)) {
        r = tx_fail(err, -EINVAL,
                    "--name %s: 1-63 letters, digits, _ - . (not all digits)",
                    o->name);
        goto out;
    }
    if ((r = prepare_devices(&s, err)) < 0 || (r = check_modules(o, err)) < 0)
        goto out;
    if (o->package)
        r = add_package(&s, o->package, err);
    else
        r = tx_strv_push(&s.roots, "/") < 0
                ? tx_fail(err, -ENOMEM, "out of memory")
                : 0;
    if (r == 0)
        r = find_program(&s, err);
    if (r == 0)
        r = collect_extras(&s, err);
    if (r == 0)
        r = resolve_libraries(&s, err);
    /* The kernel before packing: the image holds its modules. */
    if (r == 0)
        r = get_kernel(&s, &s.kernel, err);
    if (r < 0)
        goto out;
    name = o->name ? strdup(o->name) : default_name(s.app_dest);
    tmp = tx_asprintf("%s.tmpXXXXXX", final);
    if (!name || !tmp) {
        r = tx_fail(err, -ENOMEM, "out of memory");
        goto out;
    }
    if (!mkdtemp(tmp)) {
        r = tx_fail(err, -errno, "cannot create a folder next to %s: %s", final,
                    strerror(errno));
        free(tmp);
        tmp = NULL;
        goto out;
    }
    chmod(tmp, 0755);
    r = note(&s, "program: %s (from %s), in the image at %s",
             tx_basename(s.app_dest), o->package ? o->package : s.app_src,
             s.app_dest);
    if (r == 0 && s.npkgs) {
        char *list = NULL;
        for (size_t i = 0; i < s.npkgs; i++) {
            char *n = tx_asprintf("%s%s%s", list ? list : "", list ? " " : "",
                                  s.pkgs[i].name);
            free(list);
            list = n;
        }
        r = list ? note(&s, "packages fetched: %s", list) : -ENOMEM;
        free(list);
    }
    if (r == 0)
        r = note_devices(&s);
    if (r == 0 && s.glibc)
        r = note(&s,
                 "glibc program: /etc/passwd, group, nsswitch.conf and hosts "
                 "added%s",
                 s.libgcc_s ? ", and libgcc_s.so.1" : "");
    if (r < 0) {
        r = tx_fail(err, r, "out of memory");
        goto out;
    }
    if ((r = add_modules(&s, tmp, err)) < 0 ||
        (r = pack_image(&s, tmp, final, name, err)) < 0 ||
        (r = write_packages(&s, tmp, err)) < 0 ||
        (r = write_outputs(&s, tmp, final, name, err)) < 0)
        goto out;
    r = commit(tmp, final, o->force, err);
out:
    if (tmp)
        tx_remove_tree(tmp);
    free(tmp);
    free(final);
    free(name);
    free(s.app_src);
    free(s.app_dest);
    for (size_t i = 0; i < s.npkgs; i++)
        debpkg_free(&s.pkgs[i]);
    free(s.pkgs);
    free(s.extras);
    tx_strv_free(&s.owned);
    tx_strv_free(&s.roots);
    tx_strv_free(&s.seen);
    tx_strv_free(&s.libdirs);
    tx_strv_free(&s.mod_src);
    tx_strv_free(&s.mod_dest);
    tx_strv_free(&s.modnames);
    for (size_t i = 0; i < s.ndisks; i++)
        tinyx_disk_free(&s.disks[i]);
    free(s.disks);
    kernel_free(&s.kernel);
    if (r < 0)
        tinyx_build_result_free(res);
    return r;
}

void tinyx_build_result_free(struct tinyx_build_result *res)
{
    tx_strv_free(&res->notes);
    tx_strv_free(&res->warnings);
}
