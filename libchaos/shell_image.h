/*
 * shell_image.h - what an image shell holds (chaos_shell_load): the image
 * it was built from, by the files' identity, so that execute can tell a
 * request for the same image from one for a file since replaced.
 */
#ifndef CHAOS_SHELL_IMAGE_H
#define CHAOS_SHELL_IMAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "chaos.h"
#include "hv/hv_build.h"

/* One file by identity: a file rewritten or replaced differs. */
struct image_file {
    char *path; /* NULL: none (no ramdisk) */
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
};

struct shell_image {
    struct image_file kernel, ramdisk;
    char *cmdline;
    bool cmdline_any; /* CHAOS_LOAD_ANY_CMDLINE: each execute's own */
    enum chaos_xenstore_mode xenstore;
    bool devices;
    /* Its device page and record written at load: with no vif or disk
     * (devices false) nothing in them depends on the request. */
    bool devices_installed;
    struct hv_boot_info info; /* the build's result (elf is NULL) */
    bool kernel_cached;
    uint64_t load_ns, build_ns; /* what loading it ahead took */
};

/* A new record of cfg's image; kernel_st and ramdisk_st are the files'
 * (ramdisk_st NULL: no ramdisk); cmdline_any: any command line fits.
 * NULL when out of memory. */
struct shell_image *shell_image_new(const chaos_config *cfg,
                                    const struct stat *kernel_st,
                                    const struct stat *ramdisk_st, bool devices,
                                    bool cmdline_any);
void shell_image_free(struct shell_image *img);

/* 0 when cfg asks for img's image and its files are unchanged (with
 * cmdline_any, any command line that fits the room img->info has); else why
 * in buf and -EINVAL (cfg asks for another image) or -ESTALE (a file
 * changed since it was loaded: the shell is stale). */
int shell_image_fits(const struct shell_image *img, const chaos_config *cfg,
                     bool devices, char *buf, size_t len);

#endif /* CHAOS_SHELL_IMAGE_H */
