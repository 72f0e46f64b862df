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
#include "initramfs.h"
#include "spawn.h"

#define MAX_TEMPLATE (1u << 20)

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

static char *make_spec(const struct oci_spec *s, const char *init_path,
                       const char *busybox)
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
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

static int render_init(const struct oci_spec *s, const char *hostname,
                       const char *init_path, char *msg, size_t msglen)
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
        .app_dest = s->args[0],
        .args = (const char *const *)s->args + 1,
        .nargs = s->nargs - 1,
        .env = (const char *const *)s->env,
        .nenv = s->nenv,
        .workdir = s->cwd,
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
    char *init_path;
    if (asprintf(&init_path, "%s/init", gen_dir) < 0)
        return fail(msg, msglen, -ENOMEM, "out of memory");
    int r = render_init(s, hostname, init_path, msg, msglen);
    char *text = r == 0 ? make_spec(s, init_path, busybox) : NULL;
    if (r == 0 && !text)
        r = fail(msg, msglen, -ENOMEM, "out of memory");
    struct spec spec = { 0 };
    struct tx_error err;
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
    return r;
}
