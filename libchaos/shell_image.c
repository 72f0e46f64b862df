/*
 * shell_image.c - the identity of the image an image shell holds (see
 * shell_image.h and chaos_shell_load in chaos.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shell_image.h"

static int file_set(struct image_file *f, const char *path,
                    const struct stat *st)
{
    if (!path || !path[0] || !st)
        return 0;
    f->path = strdup(path);
    if (!f->path)
        return -ENOMEM;
    f->dev = st->st_dev;
    f->ino = st->st_ino;
    f->size = st->st_size;
    f->mtime = st->st_mtim;
    return 0;
}

struct shell_image *shell_image_new(const chaos_config *cfg,
                                    const struct stat *kernel_st,
                                    const struct stat *ramdisk_st, bool devices,
                                    bool cmdline_any)
{
    struct shell_image *img = calloc(1, sizeof(*img));
    if (!img)
        return NULL;
    const char *cmdline = chaos_config_cmdline(cfg);
    img->cmdline = strdup(cmdline ? cmdline : "");
    img->xenstore = chaos_config_xenstore(cfg);
    img->devices = devices;
    img->cmdline_any = cmdline_any;
    if (!img->cmdline ||
        file_set(&img->kernel, chaos_config_kernel(cfg), kernel_st) < 0 ||
        file_set(&img->ramdisk, chaos_config_ramdisk(cfg), ramdisk_st) < 0) {
        shell_image_free(img);
        return NULL;
    }
    return img;
}

void shell_image_free(struct shell_image *img)
{
    if (!img)
        return;
    free(img->kernel.path);
    free(img->ramdisk.path);
    free(img->cmdline);
    free(img);
}

/* 0 when path names f, unchanged since it was loaded; -EINVAL when it
 * names another file; -ESTALE when f was rewritten in place (new size or
 * modification time), replaced (new inode) or removed since. */
static int file_fits(const struct image_file *f, const char *path,
                     const char *what, char *buf, size_t len)
{
    bool want = path && path[0];
    if (!want || !f->path) {
        if (want == !!f->path)
            return 0;
    } else if (strcmp(path, f->path) == 0) {
        struct stat st;
        if (stat(path, &st) == 0 && st.st_dev == f->dev &&
            st.st_ino == f->ino && st.st_size == f->size &&
            st.st_mtim.tv_sec == f->mtime.tv_sec &&
            st.st_mtim.tv_nsec == f->mtime.tv_nsec)
            return 0;
        snprintf(buf, len, "the %s '%s' changed since the shell loaded it",
                 what, path);
        return -ESTALE;
    }
    snprintf(buf, len, "the %s is not the one the shell loaded (%s)", what,
             f->path ? f->path : "none");
    return -EINVAL;
}

int shell_image_fits(const struct shell_image *img, const chaos_config *cfg,
                     bool devices, char *buf, size_t len)
{
    const char *cmdline = chaos_config_cmdline(cfg);
    int rc =
        file_fits(&img->kernel, chaos_config_kernel(cfg), "kernel", buf, len);
    if (!rc)
        rc = file_fits(&img->ramdisk, chaos_config_ramdisk(cfg), "ramdisk", buf,
                       len);
    if (rc)
        return rc;
    if (!cmdline)
        cmdline = "";
    if (img->cmdline_any && strlen(cmdline) >= img->info.cmdline_room)
        snprintf(buf, len,
                 "the command line (%zu bytes) is longer than the image "
                 "has room for (%u)",
                 strlen(cmdline),
                 img->info.cmdline_room ? img->info.cmdline_room - 1 : 0);
    else if (!img->cmdline_any && strcmp(cmdline, img->cmdline) != 0)
        snprintf(buf, len,
                 "the command line differs from the one the shell "
                 "loaded");
    else if (chaos_config_xenstore(cfg) != img->xenstore ||
             devices != img->devices)
        snprintf(buf, len,
                 "the xenstore setting or the use of devices "
                 "differs from the image the shell loaded");
    else
        return 0;
    return -EINVAL;
}
