/*
 * pack.c - writing a planned image: the cpio archive, the manifest, and the
 * atomic "write to a temporary file, rename at the end" around both
 * (declared in initramfs.h).
 */
#include "initramfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpio.h"

static int write_file_entry(struct cpio_writer *w, const struct image_entry *e,
                            struct tx_error *err)
{
    int fd = open(e->src, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return tx_fail(err, -errno, "%s: %s", e->src, strerror(errno));
    struct stat st;
    int r = 0;
    if (fstat(fd, &st) < 0)
        r = tx_fail(err, -errno, "%s: %s", e->src, strerror(errno));
    else if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != e->size)
        r = tx_fail(err, -ESTALE, "%s: changed while the image was being built",
                    e->src);
    else
        r = cpio_add_file(w, e->path, e->mode, fd, e->size, err);
    close(fd);
    return r;
}

int initramfs_write(const struct image *img, const struct initramfs_opts *opts,
                    int fd, struct tx_error *err)
{
    struct cpio_writer *w;
    int r =
        cpio_writer_new(&w, fd, opts->gzip ? CPIO_GZIP : 0, opts->mtime, err);
    for (size_t i = 0; i < img->n && r == 0; i++) {
        const struct image_entry *e = &img->v[i];
        switch (e->type) {
            case IMG_DIR:
                r = cpio_add_dir(w, e->path, e->mode, err);
                break;
            case IMG_SYMLINK:
                r = cpio_add_symlink(w, e->path, e->target, err);
                break;
            case IMG_NODE:
                r = cpio_add_node(w, e->path, e->devtype, e->major, e->minor,
                                  e->mode, err);
                break;
            case IMG_FILE:
                r = write_file_entry(w, e, err);
                if (r < 0)
                    tx_prefix(err, r, "%s", e->origin);
                break;
        }
    }
    if (r == 0)
        r = cpio_finish(w, err);
    cpio_writer_free(w);
    return r;
}

/* Writes s with tab, newline and backslash escaped (one line per entry). */
static void put_escaped(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '\t')
            fputs("\\t", f);
        else if (*s == '\n')
            fputs("\\n", f);
        else if (*s == '\\')
            fputs("\\\\", f);
        else
            fputc(*s, f);
    }
}

int initramfs_write_manifest(const struct image *img, int fd,
                             struct tx_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return tx_fail(err, -ENOMEM, "out of memory");
    for (size_t i = 0; i < img->n; i++) {
        const struct image_entry *e = &img->v[i];
        static const char *const types[] = {
            [IMG_DIR] = "dir",
            [IMG_FILE] = "file",
            [IMG_SYMLINK] = "symlink",
            [IMG_NODE] = "nod",
        };
        put_escaped(f, e->path);
        fprintf(f, "\t%s\t%llu\t", types[e->type],
                e->type == IMG_FILE || e->type == IMG_SYMLINK
                    ? (unsigned long long)e->size
                    : 0ULL);
        switch (e->type) {
            case IMG_FILE:
                put_escaped(f, e->src);
                fputs(" <- ", f);
                break;
            case IMG_SYMLINK:
                fputs("-> ", f);
                put_escaped(f, e->target);
                fputs(" <- ", f);
                break;
            case IMG_NODE:
                fprintf(f, "%c %u:%u <- ", e->devtype, e->major, e->minor);
                break;
            case IMG_DIR:
                break;
        }
        put_escaped(f, e->origin);
        fputc('\n', f);
    }
    if (fclose(f) != 0) {
        free(buf);
        return tx_fail(err, -ENOMEM, "out of memory");
    }
    int r = tx_write_all(fd, buf, len);
    free(buf);
    return r < 0 ? tx_fail(err, r, "writing the manifest: %s", strerror(-r))
                 : 0;
}

/*
 * An output file.  A regular file (or a new one) is written to a temporary
 * file next to it and renamed over it at the end.  Standard output ("-")
 * and anything that is not a regular file (/dev/null, a FIFO) are written
 * in place, and never removed.
 */
struct output {
    const char *path;
    char *tmp;
    int fd;
    bool in_place;
};

static int output_open(struct output *o, const char *path, struct tx_error *err)
{
    struct stat st;
    *o = (struct output){ .path = path, .fd = -1 };
    if (strcmp(path, "-") == 0) {
        o->in_place = true;
        o->fd = STDOUT_FILENO;
        return 0;
    }
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        o->in_place = true;
        o->fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        return o->fd < 0 ? tx_fail(err, -errno, "%s: %s", path, strerror(errno))
                         : 0;
    }
    if (!(o->tmp = tx_asprintf("%s.tmpXXXXXX", path)))
        return tx_fail(err, -ENOMEM, "out of memory");
    o->fd = mkostemp(o->tmp, O_CLOEXEC);
    if (o->fd < 0) {
        int r = tx_fail(err, -errno,
                        "%s: cannot create a temporary file next to it: %s",
                        path, strerror(errno));
        free(o->tmp);
        o->tmp = NULL;
        return r;
    }
    /* mkostemp makes it 0600; give it what creat() would have. */
    mode_t mask = umask(0); /* the only way to read the umask */
    umask(mask);
    if (fchmod(o->fd, 0666 & ~mask) < 0)
        return tx_fail(err, -errno, "%s: %s", o->tmp, strerror(errno));
    return 0;
}

static int output_commit(struct output *o, struct tx_error *err)
{
    int fd = o->fd;
    o->fd = -1;
    if (fd == STDOUT_FILENO)
        return 0;
    if (close(fd) < 0)
        return tx_fail(err, -errno, "%s: %s", o->tmp ? o->tmp : o->path,
                       strerror(errno));
    if (o->tmp && rename(o->tmp, o->path) < 0)
        return tx_fail(err, -errno, "%s: %s", o->path, strerror(errno));
    free(o->tmp);
    o->tmp = NULL;
    return 0;
}

/* Removes the regular file at path: an older output that could pass for
 * the result of a failed run. */
static void remove_stale(const char *path)
{
    struct stat st;
    if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode))
        unlink(path);
}

/* After a failure: no partial file, no older one. */
static void output_abort(struct output *o)
{
    if (o->fd >= 0 && o->fd != STDOUT_FILENO)
        close(o->fd);
    if (o->tmp)
        unlink(o->tmp);
    free(o->tmp);
    if (o->path && !o->in_place)
        remove_stale(o->path);
    *o = (struct output){ .fd = -1 };
}

int initramfs_pack(const struct spec *spec, const struct initramfs_opts *opts,
                   const char *out_path, const char *manifest_path,
                   struct tx_strv *warnings, struct tx_error *err)
{
    struct image img;
    struct output out = { .fd = -1 }, man = { .fd = -1 };

    int r = initramfs_plan(spec, opts, &img, err);
    for (size_t i = 0; r == 0 && warnings && i < img.warnings.n; i++)
        if (tx_strv_push(warnings, img.warnings.v[i]) < 0)
            r = tx_fail(err, -ENOMEM, "out of memory");
    if (r == 0)
        r = output_open(&out, out_path, err);
    if (r == 0)
        r = initramfs_write(&img, opts, out.fd, err);
    if (r == 0 && manifest_path) {
        r = output_open(&man, manifest_path, err);
        if (r == 0)
            r = initramfs_write_manifest(&img, man.fd, err);
        if (r == 0)
            r = output_commit(&man, err);
    }
    if (r == 0)
        r = output_commit(&out, err);
    if (r < 0) {
        /* Paths never opened are cleaned up too: a failed plan must not
         * leave an older archive behind either. */
        if (!out.path)
            remove_stale(out_path);
        if (manifest_path && !man.path)
            remove_stale(manifest_path);
        output_abort(&out);
        output_abort(&man);
    }
    image_free(&img);
    return r;
}
