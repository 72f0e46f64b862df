/*
 * rootfs.c - what a tinyx image holds, as a spec for the packer (format in
 * initramfs.h), plus the files the build writes itself: /init (from the
 * installed template) and, for glibc programs, the few /etc files glibc
 * reads when a program asks for users, groups or host names.
 *
 * Pure: no file system access, so all of it is unit-tested.  The rules (in
 * docs/tinyx.md too):
 *  - always: static BusyBox as /bin/busybox (+ /bin/sh), /init, /dev/console,
 *    the mount points /init uses (/proc /sys /dev /tmp /run) and /root;
 *  - the program at its DEST, with its library closure (the packer's `elf`);
 *  - glibc in the closure: /etc/passwd and /etc/group (root and nobody),
 *    /etc/nsswitch.conf (files, dns for hosts) and /etc/hosts (localhost).
 *    glibc 2.34+ has its files and dns NSS modules built in, so no
 *    libnss_*.so is needed for these; a program looking up a user it does
 *    not know still works, just as on any host;
 *  - extras: folders as `tree`, ELF files as `elf` (they bring their
 *    libraries), other files as `file`; libraries by name as `lib`;
 *  - kernel modules as plain files, loaded by /init in the given order.
 */
#include "build.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_PATH \
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

int tinyx_target_parse(const char *s, enum tinyx_target *t)
{
    if (strcmp(s, "xen-pv") == 0)
        *t = TINYX_XEN_PV;
    else if (strcmp(s, "xen-pvh") == 0)
        *t = TINYX_XEN_PVH;
    else
        return -EINVAL;
    return 0;
}

const char *tinyx_target_name(enum tinyx_target t)
{
    return t == TINYX_XEN_PVH ? "xen-pvh" : "xen-pv";
}

/* ------------------------------------------------------------ a growable string */

struct sbuf {
    char *s;
    size_t len, cap;
    bool oom;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
    if (b->oom || tx_grow(&b->s, &b->cap, b->len + n + 1, 1) < 0) {
        b->oom = true;
        return;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

static void sb_printf(struct sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = true;
        return;
    }
    sb_add(b, s, (size_t)n);
    free(s);
}

/* A spec field: quoted when it holds anything the spec parser splits on. */
static void sb_field(struct sbuf *b, const char *s)
{
    bool plain = *s && *s != '"' && *s != '#';
    for (const char *p = s; *p && plain; p++)
        plain = !strchr(" \t\r\f\v\"\\", *p);
    sb_puts(b, " ");
    if (plain) {
        sb_puts(b, s);
        return;
    }
    sb_puts(b, "\"");
    for (const char *p = s; *p; p++) {
        if (*p == '"' || *p == '\\')
            sb_puts(b, "\\");
        sb_add(b, p, 1);
    }
    sb_puts(b, "\"");
}

/* One spec line: KIND FIELD... (NULL-terminated). */
static void sb_line(struct sbuf *b, const char *kind, ...)
{
    va_list ap;
    sb_puts(b, kind);
    va_start(ap, kind);
    for (const char *f; (f = va_arg(ap, const char *)) != NULL;)
        sb_field(b, f);
    va_end(ap);
    sb_puts(b, "\n");
}

/* ------------------------------------------------------------ shell */

static void sb_sh_quote(struct sbuf *b, const char *s)
{
    sb_puts(b, "'");
    for (const char *p = s; *p; p++) {
        if (*p == '\'')
            sb_puts(b, "'\\''");
        else
            sb_add(b, p, 1);
    }
    sb_puts(b, "'");
}

int rootfs_sh_quote(char **buf, const char *s)
{
    struct sbuf b = { .s = *buf, .len = *buf ? strlen(*buf) : 0 };
    b.cap = b.s ? b.len + 1 : 0;
    sb_sh_quote(&b, s);
    if (b.oom)
        return -ENOMEM;
    *buf = b.s;
    return 0;
}

bool rootfs_env_ok(const char *a)
{
    const char *eq = strchr(a, '=');
    if (!eq || eq == a)
        return false;
    for (const char *p = a; p < eq; p++) {
        bool alpha =
            (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_';
        bool digit = *p >= '0' && *p <= '9';
        if (!alpha && !(digit && p != a))
            return false;
    }
    return true;
}

/* Exports one NAME=VALUE. */
static void sb_export(struct sbuf *b, const char *name, size_t namelen,
                      const char *value)
{
    sb_puts(b, "export ");
    sb_add(b, name, namelen);
    sb_puts(b, "=");
    sb_sh_quote(b, value);
    sb_puts(b, "\n");
}

/* The block that replaces the template's marker line. */
static int app_block(const struct rootfs_input *in, struct sbuf *b,
                     struct tx_error *err)
{
    for (size_t i = 0; i < in->nenv; i++)
        if (!rootfs_env_ok(in->env[i]))
            return tx_fail(err, -EINVAL,
                           "environment setting \"%s\" is not NAME=VALUE with "
                           "a shell variable NAME",
                           in->env[i]);
    sb_puts(b, "# generated by tinyx build\n");
    sb_puts(b, "TINYX_HOSTNAME=");
    sb_sh_quote(b, in->name ? in->name : "tinyx");
    sb_puts(b, "\nTINYX_WORKDIR=");
    sb_sh_quote(b, in->workdir ? in->workdir : "/");
    sb_puts(b, "\nTINYX_MODULES=");
    struct sbuf mods = { 0 };
    for (size_t i = 0; i < in->nmodules; i++) {
        if (i)
            sb_puts(&mods, " ");
        sb_puts(&mods, in->module_dests[i]);
    }
    sb_sh_quote(b, mods.s ? mods.s : "");
    b->oom |= mods.oom;
    free(mods.s);
    sb_puts(b, "\n");
    sb_puts(b, in->net ? "TINYX_NET=1\n" : "TINYX_NET=\n");
    /* One call per disk, by place: DEVICE MOUNTPOINT FSTYPE ('' '': only
     * waited for).  /init defines tinyx_disk. */
    sb_puts(b, "tinyx_disks() {\n    :\n");
    for (size_t i = 0; i < in->ndisks; i++) {
        const struct tinyx_disk *d = &in->disks[i];
        sb_puts(b, "    tinyx_disk ");
        sb_sh_quote(b, d->vdev);
        sb_puts(b, " ");
        sb_sh_quote(b, d->mountpoint ? d->mountpoint : "");
        sb_puts(b, " ");
        sb_sh_quote(b, d->mountpoint && d->fstype ? d->fstype : "");
        sb_puts(b, " || return 1\n");
    }
    sb_puts(b, "}\nTINYX_STDIN=");
    sb_sh_quote(b, in->stdin_helper ? in->stdin_helper : "");
    sb_puts(b, "\n");
    sb_export(b, "PATH", 4, DEFAULT_PATH);
    sb_export(b, "HOME", 4, "/root");
    if (in->nlibdirs) {
        struct sbuf dirs = { 0 };
        for (size_t i = 0; i < in->nlibdirs; i++) {
            if (i)
                sb_puts(&dirs, ":");
            sb_puts(&dirs, in->libdirs[i]);
        }
        sb_export(b, "LD_LIBRARY_PATH", 15, dirs.s ? dirs.s : "");
        b->oom |= dirs.oom;
        free(dirs.s);
    }
    for (size_t i = 0; i < in->nenv; i++) {
        const char *eq = strchr(in->env[i], '=');
        sb_export(b, in->env[i], (size_t)(eq - in->env[i]), eq + 1);
    }
    sb_puts(b, "set --");
    const char *prog = in->app_dest;
    sb_puts(b, " ");
    sb_sh_quote(b, prog);
    for (size_t i = 0; i < in->nargs; i++) {
        sb_puts(b, " ");
        sb_sh_quote(b, in->args[i]);
    }
    sb_puts(b, "\n");
    return b->oom ? tx_fail(err, -ENOMEM, "out of memory") : 0;
}

int rootfs_render_init(const char *tmpl, const struct rootfs_input *in,
                       char **out, struct tx_error *err)
{
    /* The marker must be a whole line, so a comment mentioning it is not
     * taken for it by accident. */
    const char *m = NULL;
    size_t mlen = strlen(ROOTFS_INIT_MARKER);
    for (const char *p = tmpl; (p = strstr(p, ROOTFS_INIT_MARKER)) != NULL;
         p += mlen)
        if ((p == tmpl || p[-1] == '\n') &&
            (p[mlen] == '\n' || p[mlen] == '\0')) {
            m = p;
            break;
        }
    if (!m)
        return tx_fail(err, -EINVAL, "the init template has no line \"%s\"",
                       ROOTFS_INIT_MARKER);
    struct sbuf b = { 0 };
    sb_add(&b, tmpl, (size_t)(m - tmpl));
    int r = app_block(in, &b, err);
    if (r == 0) {
        const char *rest = m + mlen;
        if (*rest == '\n')
            rest++;
        sb_puts(&b, rest);
        if (b.oom)
            r = tx_fail(err, -ENOMEM, "out of memory");
    }
    if (r < 0) {
        free(b.s);
        return r;
    }
    *out = b.s;
    return 0;
}

/* ------------------------------------------------------------ the plan */

static int add_gen(struct rootfs_plan *p, size_t *cap, const char *name,
                   char *data, unsigned mode)
{
    if (!data || tx_grow(&p->gen, cap, p->ngen + 1, sizeof(*p->gen)) < 0) {
        free(data);
        return -ENOMEM;
    }
    char *n = strdup(name);
    if (!n) {
        free(data);
        return -ENOMEM;
    }
    p->gen[p->ngen++] = (struct rootfs_gen){
        .name = n, .data = data, .len = strlen(data), .mode = mode
    };
    return 0;
}

/* /etc files for glibc's NSS: name, content. */
static const char *const glibc_etc[][2] = {
    { "passwd", "root:x:0:0:root:/root:/bin/sh\n"
                "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n" },
    { "group", "root:x:0:\nnogroup:x:65534:\n" },
    { "nsswitch.conf", "passwd: files\ngroup: files\nshadow: files\n"
                       "hosts: files dns\nnetworks: files\nprotocols: files\n"
                       "services: files\n" },
    { "hosts",
      "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" },
};

int rootfs_make(const char *tmpl, const struct rootfs_input *in,
                struct rootfs_plan *out, struct tx_error *err)
{
    memset(out, 0, sizeof(*out));
    size_t cap = 0;
    char *init = NULL;
    int r = rootfs_render_init(tmpl, in, &init, err);
    if (r < 0)
        return r;
    if (add_gen(out, &cap, "init", init, 0755) < 0)
        goto oom;

    struct sbuf b = { 0 };
    sb_printf(&b, "# tinyx build: the root file system of %s\n",
              in->name ? in->name : "?");
    static const char *const dirs[][2] = {
        { "/proc", "0555" }, { "/sys", "0555" }, { "/dev", "0755" },
        { "/tmp", "1777" },  { "/run", "0755" }, { "/root", "0700" },
        { "/etc", "0755" },
    };
    for (size_t i = 0; i < sizeof(dirs) / sizeof(*dirs); i++)
        sb_line(&b, "dir", dirs[i][0], dirs[i][1], (char *)NULL);
    /* The kernel opens /dev/console for init before /init runs. */
    sb_line(&b, "nod", "/dev/console", "c", "5", "1", "0600", (char *)NULL);
    sb_line(&b, "elf", "/bin/busybox", in->busybox, "0755", (char *)NULL);
    sb_line(&b, "slink", "/bin/sh", "busybox", (char *)NULL);
    if (in->net && in->netwatch)
        sb_line(&b, "elf", "/bin/tinyx-netwatch", in->netwatch, "0755",
                (char *)NULL);
    sb_line(&b, "file", "/init", ROOTFS_GEN_DIR "/init", "0755", (char *)NULL);
    sb_line(&b, "elf", in->app_dest, in->app_src, (char *)NULL);
    if (in->glibc) {
        for (size_t i = 0; i < sizeof(glibc_etc) / sizeof(*glibc_etc); i++) {
            char *dest = tx_asprintf("/etc/%s", glibc_etc[i][0]);
            char *src = tx_asprintf("%s/%s", ROOTFS_GEN_DIR, glibc_etc[i][0]);
            if (!dest || !src ||
                add_gen(out, &cap, glibc_etc[i][0], strdup(glibc_etc[i][1]),
                        0644) < 0) {
                free(dest);
                free(src);
                free(b.s);
                goto oom;
            }
            sb_line(&b, "file", dest, src, "0644", (char *)NULL);
            free(dest);
            free(src);
        }
    }
    for (size_t i = 0; i < in->nlibs; i++)
        sb_line(&b, "lib", in->libs[i], (char *)NULL);
    for (size_t i = 0; i < in->nextras; i++) {
        const struct rootfs_extra *x = &in->extras[i];
        sb_line(&b,
                x->is_dir   ? "tree"
                : x->is_elf ? "elf"
                            : "file",
                x->dest, x->src, (char *)NULL);
    }
    for (size_t i = 0; i < in->nmodules; i++)
        sb_line(&b, "file", in->module_dests[i], in->modules[i], "0644",
                (char *)NULL);
    if (b.oom) {
        free(b.s);
        goto oom;
    }
    out->spec = b.s;
    return 0;
oom:
    rootfs_plan_free(out);
    return tx_fail(err, -ENOMEM, "out of memory");
}

void rootfs_plan_free(struct rootfs_plan *p)
{
    for (size_t i = 0; i < p->ngen; i++) {
        free(p->gen[i].name);
        free(p->gen[i].data);
    }
    free(p->gen);
    free(p->spec);
    memset(p, 0, sizeof(*p));
}
