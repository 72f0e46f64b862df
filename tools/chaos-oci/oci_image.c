/*
 * oci_image.c - the initramfs of a container (oci_image.h).  The root file
 * system goes in as the packer's `tree`, with the root itself as the only
 * sysroot: a program's libraries must come from the image, never from
 * dom0.  /init is tinyx's template, so a container's program runs exactly
 * as a tinyx image's does, and reports its exit status the same way.
 */
#include "oci_image.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "build.h"
#include "oci_bind.h"
#include "initramfs.h"
#include "spawn.h"

#define MAX_TEMPLATE (1u << 20)
/* Where tinyx-stdin goes in a container without a terminal: next to the
 * bind mounts' copies, out of the way of the bundle's own files. */
#define STDIN_HELPER "/.chaos-oci/tinyx-stdin"

static int fail(char *msg, size_t len, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(char *msg, size_t len, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, len, fmt, ap);
    va_end(ap);
    return code < 0 ? code : -EIO;
}

static bool exists_in(const char *root, const char *path)
{
    char *p;
    struct stat st;
    if (asprintf(&p, "%s%s", root, path) < 0)
        return false;
    bool yes = lstat(p, &st) == 0;
    free(p);
    return yes;
}

/* One spec field, quoted (the spec's "..." with \" and \\). */
static void field(FILE *f, const char *s)
{
    fputs(" \"", f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static char *make_spec(const struct oci_spec *s, const bool *is_dir,
                       const mode_t *modes, const char *init_path,
                       const char *busybox, const char *stdin_helper)
{
    static const char *const dirs[][2] = {
        { "/proc", "0555" }, { "/sys", "0555" }, { "/dev", "0755" },
        { "/tmp", "1777" },  { "/run", "0755" },
    };
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    fputs("tree", f);
    field(f, "/");
    field(f, s->root_path);
    fputs("\nfile /init", f);
    field(f, init_path);
    fputs(" 0755\n", f);
    for (size_t i = 0; i < sizeof(dirs) / sizeof(*dirs); i++)
        if (!exists_in(s->root_path, dirs[i][0]))
            fprintf(f, "dir %s %s\n", dirs[i][0], dirs[i][1]);
    /* The kernel opens /dev/console for init before /init runs. */
    if (!exists_in(s->root_path, "/dev/console"))
        fputs("nod /dev/console c 5 1 0600\n", f);
    if (!exists_in(s->root_path, "/bin/busybox")) {
        fputs("elf /bin/busybox", f);
        field(f, busybox);
        fputs(" 0755\n", f);
    }
    if (stdin_helper) {
        fputs("file " STDIN_HELPER, f);
        field(f, stdin_helper);
        fputs(" 0755\n", f);
    }
    /* The bind mounts' copies (oci_bind.h). */
    for (size_t i = 0; i < s->nbinds; i++) {
        fprintf(f, "%s " OCI_BIND_DIR "/%zu", is_dir[i] ? "tree" : "file", i);
        field(f, s->binds[i].source);
        if (!is_dir[i])
            fprintf(f, " %04o", (unsigned)(modes[i] & 07777));
        fputc('\n', f);
    }
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

static int render_init(const struct oci_spec *s, char *const *argv, size_t argc,
                       const char *hostname, const char *init_path, char *msg,
                       size_t msglen)
{
    const char *dir = getenv("TINYX_DATADIR");
    char *tpath, *tmpl = NULL, *init = NULL;
    size_t tlen;
    if (asprintf(&tpath, "%s/init.sh", dir ? dir : TINYX_DATADIR) < 0)
        return fail(msg, msglen, -ENOMEM, "out of memory");
    int r = tx_read_file(tpath, MAX_TEMPLATE, &tmpl, &tlen);
    if (r < 0) {
        r = fail(msg, msglen, r, "tinyx's init template %s: %s", tpath,
                 strerror(-r));
        goto out;
    }
    struct rootfs_input in = {
        .name = hostname,
        .app_dest = argv[0],
        .args = (const char *const *)argv + 1,
        .nargs = argc - 1,
        .env = (const char *const *)s->env,
        .nenv = s->nenv,
        .workdir = s->cwd,
        /* Without a terminal the program reads stdin as a pipe. */
        .stdin_helper = s->terminal ? NULL : STDIN_HELPER,
    };
    struct tx_error err;
    if ((r = rootfs_render_init(tmpl, &in, &init, &err)) < 0) {
        r = fail(msg, msglen, r, "/init: %s", err.msg);
        goto out;
    }
    if ((r = tx_write_file(init_path, init, strlen(init), &err)) < 0)
        r = fail(msg, msglen, r, "%s", err.msg);
out:
    free(tpath);
    free(tmpl);
    free(init);
    return r;
}

/* Each bind mount's source: a folder (read-only only: the guest writes
 * to a copy, and a folder is where a container and dom0 share data) or a
 * file (read-write too: /etc/hosts, /etc/resolv.conf, a termination log
 * whose later writes stay in the guest). */
static int check_binds(const struct oci_spec *s, bool *is_dir, mode_t *modes,
                       char *msg, size_t msglen)
{
    for (size_t i = 0; i < s->nbinds; i++) {
        const struct oci_bind *b = &s->binds[i];
        struct stat st;
        if (stat(b->source, &st) < 0)
            return fail(msg, msglen, -errno, "the bind mount of %s on %s: %s",
                        b->source, b->destination, strerror(errno));
        if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
            return fail(msg, msglen, -EINVAL,
                        "the bind mount of %s on %s: not a file or a folder "
                        "(chaos-oci copies the source into the guest)",
                        b->source, b->destination);
        if (S_ISDIR(st.st_mode) && !b->readonly)
            return fail(msg, msglen, -EINVAL,
                        "the read-write bind mount of the folder %s on %s is "
                        "not supported by chaos-oci (the guest gets a copy: "
                        "its writes would never reach dom0); only read-only "
                        "(ro) folders, and files",
                        b->source, b->destination);
        is_dir[i] = S_ISDIR(st.st_mode);
        modes[i] = st.st_mode;
    }
    return 0;
}

int oci_image_pack(const struct oci_spec *s, const char *hostname,
                   const char *gen_dir, const char *out_path, char *msg,
                   size_t msglen)
{
    struct stat st;
    if (stat(s->root_path, &st) < 0)
        return fail(msg, msglen, -errno, "root.path %s: %s", s->root_path,
                    strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return fail(msg, msglen, -ENOTDIR, "root.path %s: not a folder",
                    s->root_path);
    const char *busybox = getenv("CHAOS_OCI_BUSYBOX");
    if (!busybox)
        busybox = "/bin/busybox";
    /* tinyx-stdin: where tinyx installs it, or $TINYX_LIBEXECDIR. */
    char *stdin_helper = NULL;
    struct tx_error err;
    if (!s->terminal &&
        tinyx_helper_path(getenv("TINYX_LIBEXECDIR"), "tinyx-stdin",
                          &stdin_helper, &err) < 0)
        return fail(msg, msglen, -ENOENT, "%s", err.msg);
    bool *is_dir = calloc(s->nbinds + 1, sizeof(*is_dir));
    mode_t *modes = calloc(s->nbinds + 1, sizeof(*modes));
    char *init_path = NULL, **argv = s->args;
    size_t argc = s->nargs;
    int r = 0;
    if (!is_dir || !modes || asprintf(&init_path, "%s/init", gen_dir) < 0) {
        init_path = NULL;
        r = fail(msg, msglen, -ENOMEM, "out of memory");
    }
    if (r == 0)
        r = check_binds(s, is_dir, modes, msg, msglen);
    if (r == 0 && s->nbinds && !(argv = oci_bind_argv(s, is_dir, &argc)))
        r = fail(msg, msglen, -ENOMEM, "out of memory");
    if (r == 0)
        r = render_init(s, argv, argc, hostname, init_path, msg, msglen);
    char *text =
        r == 0 ? make_spec(s, is_dir, modes, init_path, busybox, stdin_helper)
               : NULL;
    if (r == 0 && !text)
        r = fail(msg, msglen, -ENOMEM, "out of memory");
    struct spec spec = { 0 };
    struct tx_strv warnings = { 0 };
    if (r == 0 && (r = spec_parse(text, strlen(text), "chaos-oci image",
                                  gen_dir, &spec, &err)) < 0)
        r = fail(msg, msglen, r, "%s", err.msg);
    if (r == 0) {
        const char *sysroots[] = { s->root_path };
        struct initramfs_opts o = { .sysroots = sysroots,
                                    .nsysroots = 1,
                                    .warn_missing = true };
        if ((r = initramfs_pack(&spec, &o, out_path, NULL, &warnings, &err)) <
            0)
            r = fail(msg, msglen, r, "packing %s: %s", s->root_path, err.msg);
    }
    spec_free(&spec);
    tx_strv_free(&warnings);
    free(text);
    free(init_path);
    free(stdin_helper);
    if (argv != s->args)
        oci_argv_free(argv, argc);
    free(is_dir);
    free(modes);
    return r;
}
