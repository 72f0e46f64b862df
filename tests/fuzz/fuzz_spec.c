/*
 * fuzz_spec.c - libFuzzer target for tinyx's spec parser and image planner.
 *
 * Every input is parsed.  Inputs made only of dir, slink and nod lines
 * (nothing read from the host) are also planned and written (archive and
 * manifest, to /dev/null): that exercises placement through symlinks of
 * the image, loops, conflicts and sorting on hostile layouts.
 *
 *   make fuzz-tinyx FUZZ_SECONDS=60
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "initramfs.h"

static int devnull = -1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct spec spec;
    struct tx_error err;
    if (devnull < 0 && (devnull = open("/dev/null", O_WRONLY)) < 0)
        abort();
    if (spec_parse((const char *)data, size, "fuzz.spec", "/nonexistent", &spec,
                   &err) < 0)
        return 0;
    bool host_free = true;
    for (size_t i = 0; i < spec.n; i++)
        host_free &= spec.v[i].kind == SPEC_DIR ||
                     spec.v[i].kind == SPEC_SLINK || spec.v[i].kind == SPEC_NOD;
    if (host_free) {
        struct image img;
        struct initramfs_opts opts = { .gzip = size % 2 == 1 };
        if (initramfs_plan(&spec, &opts, &img, &err) == 0) {
            initramfs_write(&img, &opts, devnull, &err);
            initramfs_write_manifest(&img, devnull, &err);
            image_free(&img);
        }
    }
    spec_free(&spec);
    return 0;
}
