/*
 * test_tinyx_build_cli.c - `tinyx build` run as a command, offline: a host
 * program into a complete output folder, reproducibility, the Debian
 * package path (fake apt-cache and apt-get in PATH serving .deb files built
 * here with dpkg-deb, so dependency layers are fetched for real from a
 * world the test controls), kernel modules from a fake Debian kernel
 * package served the same way, --net/--ip/--disk (the exact guest.cfg),
 * the man page against --help, and the error paths: missing library,
 * unreadable or non-ELF program, unknown package, existing output; none of
 * which may leave anything in the output's folder.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tinyx_testlib.h"
#include "check_run.h"

static char *D;

static void setup(void)
{
    D = tt_tmpdir();
    unsetenv("SOURCE_DATE_EPOCH");
    setenv("TINYX_DATADIR", TINYX_SRCDIR, 1);
    setenv("TINYX_LIBEXECDIR", TINYX_BUILDDIR, 1);
    /* A static "busybox" and a "kernel": the test boots nothing. */
    tt_write_str(S("%s/bb.c", D), "int main(void) { return 0; }\n");
    tt_cc(D, "-static -o bb bb.c");
    tt_write_str(S("%s/kernel", D), "not really a kernel\n");
}

static void teardown(void)
{
    tt_rm_rf(D);
    free(D);
    tt_free_kept();
}

/* Runs tinyx build with the test's busybox, kernel and cache; returns its
 * exit status, its stderr in *errout (if not NULL). */
static int build(char **errout, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int build(char **errout, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *args = NULL;
    ck_assert(vasprintf(&args, fmt, ap) >= 0);
    va_end(ap);
    int st;
    char *err =
        tt_capture(&st,
                   "cd '%s' && %s build -q --busybox %s/bb --kernel %s/kernel "
                   "--cache %s/cache %s 2>&1 >/dev/null",
                   D, TINYX_BIN, D, D, D, args);
    free(args);
    if (errout)
        *errout = err;
    else
        free(err);
    return st;
}

/* Nothing but the expected entries in D/sub (no temporary folders). */
static void assert_no_leftovers(const char *sub, const char *expected)
{
    int st;
    char *ls = tt_capture(&st, "cd '%s/%s' && ls -A | tr '\\n' ' '", D, sub);
    ck_assert_msg(strcmp(ls, expected) == 0,
                  "left in %s: \"%s\", expected \"%s\"", sub, ls, expected);
    free(ls);
}

/* The initramfs's file list. */
static char *initrd_list(const char *out)
{
    int st;
    char *l = tt_capture(
        &st, "cd '%s' && gzip -dc %s/initrd.gz | cpio -it --quiet", D, out);
    ck_assert_int_eq(st, 0);
    return l;
}

START_TEST(test_host_program)
{
    mkdir(S("%s/o", D), 0755);
    char *err;
    int st = build(
        &err,
        "-o o/true -t xen-pvh -e A=b -f bb.c:/srv/bb.c /bin/true --version");
    ck_assert_msg(st == 0, "tinyx build failed: %s", err);
    free(err);
    assert_no_leftovers("o", "true ");
    assert_no_leftovers("o/true",
                        "build guest.cfg initrd.gz manifest vmlinuz ");
    char *list = initrd_list("o/true");
    const char *want[] = { "\ninit\n",
                           "bin/busybox\n",
                           "bin/sh\n",
                           "true\n",
                           "libc.so.6\n",
                           "etc/passwd\n",
                           "etc/nsswitch.conf\n",
                           "srv/bb.c\n",
                           "dev/console\n" };
    for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++)
        ck_assert_msg(strstr(list, want[i]), "initramfs lacks %s: %s", want[i],
                      list);
    free(list);
    char *cfg = tt_read(S("%s/o/true/guest.cfg", D), NULL);
    char *kpath = S("kernel   = \"%s/o/true/vmlinuz\"\n", D);
    ck_assert_msg(strstr(cfg, kpath), "%s", cfg);
    ck_assert_ptr_nonnull(strstr(cfg, "type     = \"pvh\"\n"));
    ck_assert_ptr_nonnull(strstr(cfg, "name     = \"true\"\n"));
    free(cfg);
    char *init = tt_read(S("%s/o/true/build/files/init", D), NULL);
    ck_assert_ptr_nonnull(strstr(init, "set -- '/bin/true' '--version'\n"));
    ck_assert_ptr_nonnull(strstr(init, "export A='b'\n"));
    free(init);
    /* The manifest names every entry, its size and where it came from,
     * with generated files under the final folder, not the temporary one. */
    char *man = tt_read(S("%s/o/true/manifest", D), NULL);
    ck_assert_ptr_nonnull(strstr(man, "/srv/bb.c\tfile\t"));
    char *gen = S("\t%s/o/true/build/files/init <- ", D);
    ck_assert_msg(strstr(man, gen), "%s", man);
    ck_assert_ptr_null(strstr(man, ".tmp"));
    free(man);
}
END_TEST

START_TEST(test_reproducible)
{
    ck_assert_int_eq(build(NULL, "-o a --image-dir . /bin/true"), 0);
    ck_assert_int_eq(build(NULL, "-o b --image-dir . /bin/true"), 0);
    ck_assert_int_eq(tt_sh("cd '%s' && cmp a/initrd.gz b/initrd.gz", D), 0);
    ck_assert_int_eq(tt_sh("cd '%s' && cmp a/guest.cfg b/guest.cfg", D), 0);
    /* Rebuilding in place (--force) gives the same bytes too. */
    tt_sh_ok("cd '%s' && cp a/initrd.gz first.gz", D);
    ck_assert_int_eq(build(NULL, "--force -o a --image-dir . /bin/true"), 0);
    ck_assert_int_eq(tt_sh("cd '%s' && cmp a/initrd.gz first.gz", D), 0);
    char *cfg = tt_read(S("%s/a/guest.cfg", D), NULL);
    ck_assert_ptr_nonnull(strstr(cfg, "kernel   = \"vmlinuz\"\n"));
    free(cfg);
}
END_TEST

START_TEST(test_existing_output)
{
    tt_write_str(S("%s/o/x/keep", D), "mine\n");
    char *err;
    ck_assert_int_eq(build(&err, "-o o/x /bin/true"), 1);
    ck_assert_msg(strstr(err, "exists (--force replaces it)"), "%s", err);
    free(err);
    assert_no_leftovers("o/x", "keep ");
    ck_assert_int_eq(build(NULL, "--force -o o/x /bin/true"), 0);
    assert_no_leftovers("o", "x ");
    assert_no_leftovers("o/x", "build guest.cfg initrd.gz manifest vmlinuz ");
}
END_TEST

START_TEST(test_missing_library)
{
    tt_write_str(S("%s/lib.c", D), "int f(void) { return 1; }\n");
    tt_write_str(S("%s/app.c", D),
                 "int f(void); int main(void) { return f(); }\n");
    tt_cc(D, "-shared -fPIC -Wl,-soname,libgone.so.1 -o libgone.so.1 lib.c");
    tt_cc(D, "-o app app.c ./libgone.so.1");
    unlink(S("%s/libgone.so.1", D));
    mkdir(S("%s/o", D), 0755);
    char *err;
    ck_assert_int_eq(build(&err, "-o o/app ./app"), 1);
    ck_assert_msg(strstr(err, "libgone.so.1"), "%s", err);
    free(err);
    assert_no_leftovers("o", "");
}
END_TEST

START_TEST(test_bad_programs)
{
    mkdir(S("%s/o", D), 0755);
    tt_write_str(S("%s/script", D), "#!/bin/sh\necho hi\n");
    chmod(S("%s/script", D), 0755);
    tt_write_str(S("%s/secret", D), "\177ELF");
    chmod(S("%s/secret", D), 0);
    struct {
        const char *args, *message;
    } cases[] = {
        { "-o o/x ./nonexistent", "nonexistent" },
        { "-o o/x ./script", "is not an ELF program" },
        { "-o o/x ./o", "o" },
        { "-o o/x no-such-program-anywhere", "not found in PATH" },
        { "-o o/x -e 'BAD-NAME=1' /bin/true", "BAD-NAME=1" },
        { "-o o/x -f ./missing-file /bin/true", "missing-file" },
        { "-o o/x --kernel ./nothing /bin/true", "nothing" },
        { "-o o/x --lib libnot-there.so.9 /bin/true", "libnot-there.so.9" },
        { "-o o/x -n 123 /bin/true", "--name 123" },
        { "-o o/x -M xen-netfront /bin/true", "kernel given as a file" },
        { "-o o/x -k tinyconfig --module xen-netfront /bin/true",
          "tinyconfig kernel has no "
          "modules" },
        { "-o o/x -k debian -M '' /bin/true", "not a module name" },
        { "-o o/x --net /bin/true",
          "xen-netfront (--net): the modules of a kernel given as a file" },
        { "-o o/x -k tinyconfig --disk /a.img:/data /bin/true",
          "--disk /a.img:/data: a tinyconfig kernel has no file system" },
        { "-o o/x --bridge 'br 0' /bin/true", "--bridge br 0" },
        { "-o o/x --ip dhcp /bin/true", "--ip: ip=dhcp: only a static" },
        { "-o o/x --ip 10.0.0.2/24 --disk /a.img:data /bin/true",
          "absolute path" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        char *err;
        int st = build(&err, "%s", cases[i].args);
        ck_assert_msg(st == 1, "%s: status %d: %s", cases[i].args, st, err);
        ck_assert_msg(strstr(err, cases[i].message), "%s: %s", cases[i].args,
                      err);
        ck_assert_msg(strncmp(err, "tinyx build: ", 13) == 0, "%s", err);
        free(err);
        assert_no_leftovers("o", "");
    }
    /* Unreadable even for root?  Only when not root. */
    if (geteuid() != 0) {
        char *err;
        ck_assert_int_eq(build(&err, "-o o/x ./secret"), 1);
        ck_assert_ptr_nonnull(strstr(err, "secret"));
        free(err);
    }
    /* Usage errors: 2. */
    ck_assert_int_eq(build(NULL, "/bin/true"), 2);
    ck_assert_int_eq(build(NULL, "-o o/x -t hvm /bin/true"), 2);
    ck_assert_int_eq(build(NULL, "-o o/x -m lots /bin/true"), 2);
    ck_assert_int_eq(build(NULL, "-o o/x"), 2);
    assert_no_leftovers("o", "");
}
END_TEST

/* ------------------------------------------------------------ packages */

/* A fake apt world in D/apt: records and .deb files; fake apt-cache and
 * apt-get in D/fakebin serve them. */
static void fake_apt(void)
{
    tt_mkdirs(S("%s/fakebin", D));
    tt_mkdirs(S("%s/apt", D));
    tt_write_str(
        S("%s/fakebin/apt-cache", D),
        "#!/bin/sh\n"
        "# apt-cache show --no-all-versions NAME\n"
        "r=\"$FAKEAPT/$3.record\"\n"
        "[ -f \"$r\" ] || { echo 'E: No packages found' >&2; exit 100; }\n"
        "cat \"$r\"\n");
    tt_write_str(S("%s/fakebin/apt-get", D),
                 "#!/bin/sh\n"
                 "# apt-get download -q NAME=VERSION, into the working folder\n"
                 "name=${3%%=*}; ver=${3#*=}\n"
                 "cp \"$FAKEAPT/${name}_${ver}_amd64.deb\" . || exit 100\n");
    tt_sh_ok("chmod +x '%s/fakebin/apt-cache' '%s/fakebin/apt-get'", D, D);
}

/* A package NAME version 1 holding the files under D/pkg-NAME. */
static void fake_package(const char *name, const char *depends)
{
    tt_write_str(S("%s/apt/%s.record", D, name),
                 S("Package: %s\nVersion: 1\nArchitecture: amd64\n%s%s%s\n",
                   name, depends ? "Depends: " : "", depends ? depends : "",
                   depends ? "\n" : ""));
    tt_write_str(
        S("%s/pkg-%s/DEBIAN/control", D, name),
        S("Package: %s\nVersion: 1\nArchitecture: amd64\nMaintainer: t <t@t>\n"
          "Description: test\n",
          name));
    tt_sh_ok("cd '%s' && dpkg-deb --build --root-owner-group pkg-%s "
             "apt/%s_1_amd64.deb "
             ">/dev/null",
             D, name, name);
}

START_TEST(test_package_layers)
{
    fake_apt();
    /* fakeapp needs libfake.so.1 (package libfake1, a Depends) which needs
     * libc (package libc6, a Depends of libfake1 only: a second layer). */
    tt_write_str(S("%s/lib.c", D), "int f(void) { return 0; }\n");
    tt_write_str(S("%s/app.c", D),
                 "int f(void); int main(void) { return f(); }\n");
    tt_mkdirs(S("%s/pkg-libfake1/usr/lib/x86_64-linux-gnu", D));
    tt_mkdirs(S("%s/pkg-fakeapp/usr/bin", D));
    tt_cc(D, "-shared -fPIC -Wl,-soname,libfake.so.1 "
             "-o pkg-libfake1/usr/lib/x86_64-linux-gnu/libfake.so.1 lib.c");
    tt_cc(D, "-o pkg-fakeapp/usr/bin/fakeapp app.c "
             "pkg-libfake1/usr/lib/x86_64-linux-gnu/libfake.so.1");
    tt_mkdirs(S("%s/pkg-libc6/lib/x86_64-linux-gnu", D));
    tt_mkdirs(S("%s/pkg-libc6/lib64", D));
    tt_sh_ok(
        "cp -L /lib/x86_64-linux-gnu/libc.so.6 /lib64/ld-linux-x86-64.so.2 "
        "'%s/pkg-libc6/lib/x86_64-linux-gnu/' && "
        "ln -s /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "
        "'%s/pkg-libc6/lib64/'",
        D, D);
    fake_package("fakeapp", "libfake1 (>= 1), not-in-the-archive | also-not");
    fake_package("libfake1", "libc6");
    fake_package("libc6", NULL);
    setenv("FAKEAPT", S("%s/apt", D), 1);
    char *path = S("%s/fakebin:%s", D, getenv("PATH"));
    char *err;
    int st;
    err = tt_capture(
        &st,
        "cd '%s' && PATH='%s' %s build -q --busybox bb --kernel kernel "
        "--cache cache -o out -p fakeapp -- fakeapp arg1 2>&1",
        D, path, TINYX_BIN);
    ck_assert_msg(st == 0, "package build failed: %s", err);
    free(err);
    char *pk = tt_read(S("%s/out/build/packages", D), NULL);
    ck_assert_str_eq(
        pk, "fakeapp\t1\tamd64\nlibfake1\t1\tamd64\nlibc6\t1\tamd64\n");
    free(pk);
    char *list = initrd_list("out");
    ck_assert_msg(strstr(list, "usr/bin/fakeapp\n") &&
                      strstr(list, "libfake.so.1\n") &&
                      strstr(list, "libc.so.6\n"),
                  "%s", list);
    free(list);
    /* Cached: the .deb files and unpacked folders are there. */
    ck_assert_int_eq(tt_sh("test -f '%s/cache/debs/libfake1_1_amd64.deb' && "
                           "test -d '%s/cache/pkgs/libc6_1_amd64/lib'",
                           D, D),
                     0);

    /* A package that does not exist. */
    err = tt_capture(
        &st,
        "cd '%s' && PATH='%s' %s build -q --busybox bb --kernel kernel "
        "--cache cache -o out2 -p no-such-package 2>&1",
        D, path, TINYX_BIN);
    ck_assert_int_eq(st, 1);
    ck_assert_msg(strstr(err, "package no-such-package does not exist"), "%s",
                  err);
    free(err);
    ck_assert_int_eq(tt_sh("test -e '%s/out2'", D), 1);

    /* A library no package of the closure has: the dependency is gone. */
    fake_package("fakeapp", "not-in-the-archive");
    tt_rm_rf(S("%s/cache", D));
    err = tt_capture(
        &st,
        "cd '%s' && PATH='%s' %s build -q --busybox bb --kernel kernel "
        "--cache cache -o out3 -p fakeapp 2>&1",
        D, path, TINYX_BIN);
    ck_assert_int_eq(st, 1);
    ck_assert_msg(strstr(err, "libfake.so.1") &&
                      strstr(err, "none of the packages fetched"),
                  "%s", err);
    free(err);
    ck_assert_int_eq(tt_sh("ls -d '%s'/out3* 2>/dev/null", D), 2);
}
END_TEST

/* ------------------------------------------------------------ modules */

#define KREL "9.9.9-9-amd64"

/* A fake Debian kernel package, NAME version 1, for release REL: a "kernel"
 * image and a module tree at D/pkg-NAME/lib/modules/REL. */
static char *fake_kernel_tree(const char *rel)
{
    char *root = S("%s/pkg-linux-image-%s", D, rel);
    tt_write_str(S("%s/boot/vmlinuz-%s", root, rel), "fake kernel\n");
    char *mods = S("%s/lib/modules/%s", root, rel);
    tt_mkdirs(mods);
    return mods;
}

START_TEST(test_kernel_modules)
{
    fake_apt();
    /* Modules depmod can read: relocatable objects, fake_core exporting a
     * symbol (in __ksymtab_strings, as the kernel's EXPORT_SYMBOL puts it)
     * that fake-net and fake_fs use.  fake_fs is xz-compressed (the
     * unpacking path; Debian 12 ships plain .ko files).  Like Debian's package, the tree has no
     * modules.dep: tinyx runs depmod -n on it. */
    char *mods = fake_kernel_tree(KREL);
    tt_write_str(S("%s/core.c", D),
                 "int fake_core_fn(void) { return 1; }\n"
                 "static const char ks[] "
                 "__attribute__((section(\"__ksymtab_strings\"), used))"
                 " = \"fake_core_fn\";\n");
    tt_write_str(S("%s/user.c", D),
                 "int fake_core_fn(void);\n"
                 "int user_fn(void) { return fake_core_fn(); }\n");
    tt_mkdirs(S("%s/kernel/lib", mods));
    tt_mkdirs(S("%s/kernel/drivers/net", mods));
    tt_mkdirs(S("%s/kernel/fs", mods));
    tt_cc(D, "-c -o '%s/kernel/lib/fake-core.ko' core.c", mods);
    tt_cc(D, "-c -o '%s/kernel/drivers/net/fake-net.ko' user.c", mods);
    tt_cc(D, "-c -o fake_fs.ko user.c");
    tt_sh_ok("cd '%s' && xz -c fake_fs.ko >'%s/kernel/fs/fake_fs.ko.xz'", D,
             mods);
    tt_write_str(S("%s/modules.order", mods),
                 "kernel/lib/fake-core.ko\n"
                 "kernel/drivers/net/fake-net.ko\nkernel/fs/fake_fs.ko\n");
    tt_write_str(S("%s/modules.builtin", mods),
                 "kernel/drivers/video/fake-builtin.ko\n");
    fake_package("linux-image-amd64", "linux-image-" KREL);
    fake_package("linux-image-" KREL, NULL);
    setenv("FAKEAPT", S("%s/apt", D), 1);
    char *path = S("%s/fakebin:%s", D, getenv("PATH"));
    int st;
    char *err = tt_capture(
        &st,
        "cd '%s' && PATH='%s' %s build -q --busybox bb --cache cache "
        "-o out -M fake_net -M fake-builtin -M fake-fs -M fake-net "
        "/bin/true 2>&1",
        D, path, TINYX_BIN);
    ck_assert_msg(st == 0, "build with modules failed: %s", err);
    ck_assert_msg(strstr(err, "tinyx: fake-builtin is built into the kernel\n"),
                  "%s", err);
    free(err);
    /* Dependencies first, each once, as the package has them but fake_fs
     * unpacked (busybox insmod may not read .xz). */
    char *init = tt_read(S("%s/out/build/files/init", D), NULL);
    const char *M = "/lib/modules/" KREL "/kernel";
    char *want =
        S("TINYX_MODULES='%s/lib/fake-core.ko %s/drivers/net/fake-net.ko "
          "%s/fs/fake_fs.ko'\n",
          M, M, M);
    ck_assert_msg(strstr(init, want), "%s", init);
    free(init);
    char *list = initrd_list("out");
    ck_assert_msg(
        strstr(list, "lib/modules/" KREL "/kernel/fs/fake_fs.ko\n") &&
            strstr(list, "lib/modules/" KREL "/kernel/lib/fake-core.ko\n") &&
            !strstr(list, "fake-builtin") && !strstr(list, ".xz"),
        "%s", list);
    free(list);
    char *unpacked =
        S("%s/out/build/modules/linux-image-" KREL "_1_amd64%s/fs/fake_fs.ko",
          D, M);
    ck_assert_int_eq(tt_sh("cmp '%s/fake_fs.ko' '%s'", D, unpacked), 0);
    /* The manifest's origins name the package and its version. */
    char *man = tt_read(S("%s/out/manifest", D), NULL);
    ck_assert_msg(strstr(man, S("\t%s/cache/pkgs/linux-image-" KREL
                                "_1_amd64%s/drivers/net/"
                                "fake-net.ko <- ",
                                D, M)),
                  "%s", man);
    ck_assert_msg(strstr(man, S("\t%s <- ", unpacked)), "%s", man);
    free(man);
    char *pk = tt_read(S("%s/out/build/packages", D), NULL);
    ck_assert_str_eq(pk, "linux-image-" KREL "\t1\tamd64\n");
    free(pk);
    assert_no_leftovers("out/build", "files modules packages tinyx.spec ");

    /* An unknown module: named with the kernel release, nothing left. */
    err = tt_capture(
        &st,
        "cd '%s' && PATH='%s' %s build -q --busybox bb --cache cache "
        "-o out2 -M fake-net -M no-such-module /bin/true 2>&1",
        D, path, TINYX_BIN);
    ck_assert_int_eq(st, 1);
    ck_assert_msg(strstr(err, "kernel " KREL) &&
                      strstr(err, "no module no-such-module"),
                  "%s", err);
    free(err);
    ck_assert_int_eq(tt_sh("ls -d '%s'/out2* 2>/dev/null", D), 2);

    /* A package that ships modules.dep: that file decides, depmod does not
     * run (it would find no module in a file that is not ELF). */
    char *mods2 = fake_kernel_tree("9.9.9-10-amd64");
    tt_write_str(S("%s/kernel/x/listed.ko", mods2), "not ELF\n");
    tt_write_str(S("%s/modules.dep", mods2), "kernel/x/listed.ko:\n");
    fake_package("linux-image-amd64", "linux-image-9.9.9-10-amd64");
    fake_package("linux-image-9.9.9-10-amd64", NULL);
    err = tt_capture(
        &st,
        "cd '%s' && PATH='%s' %s build -q --busybox bb --cache cache "
        "-o out3 -M listed /bin/true 2>&1",
        D, path, TINYX_BIN);
    ck_assert_msg(st == 0, "%s", err);
    free(err);
    init = tt_read(S("%s/out3/build/files/init", D), NULL);
    ck_assert_msg(strstr(init,
                         "TINYX_MODULES='/lib/modules/9.9.9-10-amd64/kernel/x/"
                         "listed.ko'\n"),
                  "%s", init);
    free(init);
}
END_TEST

/* --ip and --disk against a fake Debian kernel that has the front ends,
 * crc32c and ext4 as modules: the exact guest.cfg, and /init's block. */
START_TEST(test_devices)
{
    fake_apt();
    char *mods = fake_kernel_tree(KREL);
    tt_write_str(S("%s/m.c", D), "int m_fn(void) { return 1; }\n");
    static const char *const files[] = {
        "drivers/net/xen-netfront.ko",
        "drivers/block/xen-blkfront.ko",
        "crypto/crc32c_generic.ko",
        "fs/ext4/ext4.ko",
    };
    for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
        char *f = S("%s/kernel/%s", mods, files[i]);
        tt_sh_ok("mkdir -p \"$(dirname '%s')\"", f);
        tt_cc(D, "-c -o '%s' m.c", f);
    }
    tt_write_str(S("%s/modules.builtin", mods), "");
    fake_package("linux-image-amd64", "linux-image-" KREL);
    fake_package("linux-image-" KREL, NULL);
    setenv("FAKEAPT", S("%s/apt", D), 1);
    char *path = S("%s/fakebin:%s", D, getenv("PATH"));
    int st;
    char *err = tt_capture(
        &st,
        "cd '%s' && PATH='%s' %s build -q --busybox bb --cache cache "
        "-o out -n web --image-dir /img --ip 10.0.0.2/24 --bridge br0 "
        "--cmdline debug --disk www.img:/srv/www --disk /b.img /bin/true "
        "2>&1",
        D, path, TINYX_BIN);
    ck_assert_msg(st == 0, "build with devices failed: %s", err);
    free(err);
    char *cfg = tt_read(S("%s/out/guest.cfg", D), NULL);
    /* memory depends on the image's size (the host's /bin/true): take it. */
    char *mem = strstr(cfg, "memory   = ");
    ck_assert_ptr_nonnull(mem);
    char *memval = S("%.*s", (int)strcspn(mem + 11, "\n"), mem + 11);
    char *want =
        S("# Written by tinyx build (target xen-pv).  Works with both\n"
          "#   chaos create THIS-FILE    and    xl create THIS-FILE\n"
          "name     = \"web\"\n"
          "type     = \"pv\"\n"
          "kernel   = \"/img/vmlinuz\"\n"
          "ramdisk  = \"/img/initrd.gz\"\n"
          "extra    = \"console=hvc0 quiet panic=-1 cryptomgr.notests "
          "ip=10.0.0.2/24 debug\"\n"
          "memory   = %s\n"
          "vcpus    = 1\n"
          "vif      = [ 'bridge=br0' ]\n"
          "disk     = [ '%s/www.img,raw,xvda,rw',\n"
          "             '/b.img,raw,xvdb,rw' ]\n"
          "on_poweroff = \"destroy\"\n"
          "on_reboot = \"destroy\"\n"
          "on_crash = \"destroy\"\n",
          memval, D);
    ck_assert_str_eq(cfg, want);
    free(cfg);
    char *init = tt_read(S("%s/out/build/files/init", D), NULL);
    const char *M = "/lib/modules/" KREL "/kernel";
    ck_assert_msg(
        strstr(init, S("TINYX_MODULES='%s/drivers/net/xen-netfront.ko "
                       "%s/drivers/block/xen-blkfront.ko "
                       "%s/crypto/crc32c_generic.ko %s/fs/ext4/ext4.ko'\n"
                       "TINYX_NET=1\n"
                       "tinyx_disks() {\n    :\n"
                       "    tinyx_disk 'xvda' '/srv/www' 'ext4' || return 1\n"
                       "    tinyx_disk 'xvdb' '' '' || return 1\n}\n",
                       M, M, M, M)),
        "%s", init);
    free(init);
    char *list = initrd_list("out");
    ck_assert_msg(strstr(list, "kernel/fs/ext4/ext4.ko\n") &&
                      strstr(list, "kernel/drivers/net/xen-netfront.ko\n") &&
                      strstr(list, "bin/tinyx-netwatch\n"),
                  "%s", list);
    free(list);
    /* Without its helper, a --net image is refused, naming it. */
    setenv("TINYX_LIBEXECDIR", D, 1);
    err = tt_capture(&st,
                     "cd '%s' && PATH='%s' %s build -q --busybox bb --cache "
                     "cache -o out2 --net /bin/true 2>&1",
                     D, path, TINYX_BIN);
    ck_assert_msg(st != 0 &&
                      strstr(err, "tinyx-netwatch: not a static program"),
                  "%s", err);
    free(err);
}
END_TEST

/* Every option `tinyx build --help` lists is in the man page's scdoc
 * source (as *--NAME*; tests/unit/test_man_options.sh checks the whole
 * page) and, for the device options, in docs/tinyx.md's table. */
START_TEST(test_help_and_man_agree)
{
    int st;
    char *opts =
        tt_capture(&st,
                   "%s build --help | sed -n '/^OPTIONS/,/^OUTPUT/p' | "
                   "grep -oE '^ {4}(-[a-zA-Z], )?--[a-z-]+|^ {8}--[a-z-]+' | "
                   "grep -oE -- '--[a-z-]+'",
                   TINYX_BIN);
    ck_assert_int_eq(st, 0);
    char *man = tt_read(TINYX_SRCDIR "/../docs/man/tinyx.1.scd", NULL);
    char *doc = tt_read(TINYX_SRCDIR "/../docs/tinyx.md", NULL);
    ck_assert(man && doc);
    size_t n = 0;
    for (char *line = strtok(opts, "\n"); line; line = strtok(NULL, "\n")) {
        char bold[64];
        snprintf(bold, sizeof(bold), "*%s*", line);
        ck_assert_msg(strcmp(line, "--help") == 0 || strstr(man, bold),
                      "%s is not in docs/man/tinyx.1.scd", bold);
        n++;
    }
    ck_assert_uint_ge(n, 20);
    static const char *const devices[] = { "`--net`", "`--bridge BRIDGE`",
                                           "`--ip VALUE`", "`--disk " };
    for (size_t i = 0; i < sizeof(devices) / sizeof(*devices); i++)
        ck_assert_msg(strstr(doc, devices[i]), "%s not in docs/tinyx.md",
                      devices[i]);
    free(man);
    free(doc);
    free(opts);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tinyx build (command)");
    TCase *tc = tcase_create("all");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_host_program);
    tcase_add_test(tc, test_reproducible);
    tcase_add_test(tc, test_existing_output);
    tcase_add_test(tc, test_missing_library);
    tcase_add_test(tc, test_bad_programs);
    tcase_add_test(tc, test_package_layers);
    tcase_add_test(tc, test_kernel_modules);
    tcase_add_test(tc, test_devices);
    tcase_add_test(tc, test_help_and_man_agree);
    suite_add_tcase(s, tc);
    return check_run(s);
}
