/*
 * fuzz_elfdeps.c - libFuzzer target for tinyx's ELF reader and library walk.
 *
 * Each input is parsed from memory, then written as a file into a scratch
 * sysroot, both as the program and as a library the program may ask for
 * (so DT_NEEDED, RPATH, RUNPATH and $ORIGIN taken from the input are
 * followed), and its closure is walked in place and relocated.  Names in
 * the input are searched inside the scratch sysroot only, so arbitrary
 * paths such as "../../etc/shadow" in it stay harmless.
 *
 *   make fuzz-tinyx FUZZ_SECONDS=60
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfdeps.h"

static char root[64];
static char prog[128], lib1[128], lib2[128];

static void write_file(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (size && fwrite(data, 1, size, f) != size)
        abort();
    fclose(f);
}

static int remove_one(const char *path, const struct stat *st, int flag,
                      struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

static void remove_root(void)
{
    nftw(root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    snprintf(root, sizeof(root), "/tmp/fuzz-elfdeps-XXXXXX");
    if (!mkdtemp(root))
        abort();
    atexit(remove_root);
    char p[256];
    const char *dirs[] = { "bin",        "lib", "opt",    "etc",
                           "etc/conf.d", "usr", "usr/lib" };
    for (size_t i = 0; i < sizeof(dirs) / sizeof(*dirs); i++) {
        snprintf(p, sizeof(p), "%s/%s", root, dirs[i]);
        mkdir(p, 0755);
    }
    snprintf(p, sizeof(p), "%s/etc/ld.so.conf", root);
    write_file(p, (const uint8_t *)"include conf.d/*.conf\n/lib\n", 27);
    snprintf(p, sizeof(p), "%s/etc/conf.d/a.conf", root);
    write_file(p, (const uint8_t *)"/opt\n", 5);
    snprintf(p, sizeof(p), "%s/lib64", root);
    if (symlink("usr/lib", p) < 0)
        abort();
    snprintf(prog, sizeof(prog), "%s/bin/prog", root);
    /* Names a fuzzed DT_NEEDED can easily reach. */
    snprintf(lib1, sizeof(lib1), "%s/lib/libc.so.6", root);
    snprintf(lib2, sizeof(lib2), "%s/usr/lib/a", root);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct elfdeps_info info;
    struct tx_error err;
    if (elfdeps_parse_mem(data, size, &info, &err) == 0)
        elfdeps_info_free(&info);

    write_file(prog, data, size);
    write_file(lib1, data, size);
    write_file(lib2, data, size);
    const char *roots[] = { root };
    struct elfdeps *ed;
    if (elfdeps_new(&ed, roots, 1, ELFDEPS_WARN_MISSING, &err) < 0)
        abort();
    struct elfdeps_closure c;
    if (elfdeps_closure_of_file(ed, prog, NULL, &c, &err) == 0)
        elfdeps_closure_free(&c);
    if (elfdeps_closure_of_file(ed, prog, "/elsewhere/deep/prog", &c, &err) ==
        0)
        elfdeps_closure_free(&c);
    if (elfdeps_closure_of_lib(ed, "libc.so.6", &c, &err) == 0)
        elfdeps_closure_free(&c);
    elfdeps_free(ed);
    return 0;
}
