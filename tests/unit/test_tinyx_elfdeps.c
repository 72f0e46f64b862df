/*
 * test_tinyx_elfdeps.c - the ELF reader and the library closure, against
 * programs and libraries this test builds with the C compiler, laid out in
 * scratch sysroots (see build_fixture for the map).
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elfdeps.h"
#include "tinyx_testlib.h"
#include "check_run.h"

static char *T; /* scratch directory, built once for the whole suite */
static char *R; /* T/root: the main sysroot */

static const char *lib_f = "int txf(void) { return 1; }\n";
static const char *lib_leaf = "int txg(void) { return 7; }\n";
static const char *lib_mid =
    "int txg(void);\nint txf(void) { return txg(); }\n";
static const char *app = "int txf(void);\nint main(void) { return txf(); }\n";
static const char *prog_static = "int main(void) { return 0; }\n";

/* A 64-byte ELF header: the given class, data and machine, no segments. */
static void craft_header(unsigned char h[64], int cls, int data,
                         unsigned machine)
{
    memset(h, 0, 64);
    memcpy(h, ELFMAG, SELFMAG);
    h[EI_CLASS] = (unsigned char)cls;
    h[EI_DATA] = (unsigned char)data;
    h[EI_VERSION] = EV_CURRENT;
    h[16] = ET_DYN;
    h[18] = (unsigned char)(machine & 0xff);
    h[19] = (unsigned char)(machine >> 8);
}

static void lib(const char *out, const char *soname, const char *src,
                const char *extra)
{
    tt_cc(T, "-shared -fPIC -o %s -Wl,-soname,%s src/%s %s", out, soname, src,
          extra);
}

static void build_fixture(void)
{
    T = tt_tmpdir();
    R = tt_fmt("%s/root", T);
    char *p;
#define PATH(...) (free(p), p = tt_fmt(__VA_ARGS__))
    p = NULL;
    tt_write_str(PATH("%s/src/lib_f.c", T), lib_f);
    tt_write_str(PATH("%s/src/lib_leaf.c", T), lib_leaf);
    tt_write_str(PATH("%s/src/lib_mid.c", T), lib_mid);
    tt_write_str(PATH("%s/src/app.c", T), app);
    tt_write_str(PATH("%s/src/static.c", T), prog_static);
    const char *dirs[] = { "bin",     "opt/r",    "olib",
                           "opt/inh", "opt/inh3", "opt/real" };
    for (size_t i = 0; i < sizeof(dirs) / sizeof(*dirs); i++)
        tt_mkdirs(PATH("%s/%s", R, dirs[i]));
    tt_mkdirs(PATH("%s/gone", T));
    tt_mkdirs(PATH("%s/build", T));

    /* RPATH, RUNPATH, no path at all */
    lib(PATH("%s/opt/r/libtxb.so", R), "libtxb.so", "lib_f.c", "");
    tt_cc(T,
          "-o %s/bin/app_rpath src/app.c -L%s/opt/r -ltxb "
          "-Wl,--disable-new-dtags,-rpath,/opt/r",
          R, R);
    tt_cc(T,
          "-o %s/bin/app_runpath src/app.c -L%s/opt/r -ltxb "
          "-Wl,--enable-new-dtags,-rpath,/opt/r",
          R, R);
    tt_cc(T, "-o %s/bin/app_plain_b src/app.c -L%s/opt/r -ltxb", R, R);
    /* $ORIGIN */
    lib(PATH("%s/olib/libtxo.so", R), "libtxo.so", "lib_f.c", "");
    tt_cc(T,
          "-o %s/bin/app_origin src/app.c -L%s/olib -ltxo "
          "-Wl,-rpath,'$ORIGIN/../olib'",
          R, R);
    /* a library that is nowhere */
    lib(PATH("%s/gone/libtxm.so", T), "libtxm.so", "lib_f.c", "");
    tt_cc(T,
          "-o %s/bin/app_missing src/app.c -L%s/gone -ltxm -Wl,-rpath,/opt/r",
          R, T);
    unlink(PATH("%s/gone/libtxm.so", T));
    /* static */
    tt_cc(T, "-static -o %s/bin/app_static src/static.c", R);
    /* RPATH inheritance: app -> libtxi1 -> libtxi2, both in /opt/inh */
    lib(PATH("%s/opt/inh/libtxi2.so", R), "libtxi2.so", "lib_leaf.c", "");
    char *extra = tt_fmt("-L%s/opt/inh -ltxi2", R);
    lib(PATH("%s/opt/inh/libtxi1.so", R), "libtxi1.so", "lib_mid.c", extra);
    free(extra);
    tt_cc(T,
          "-o %s/bin/app_inh_rpath src/app.c -L%s/opt/inh -ltxi1 "
          "-Wl,-rpath-link,%s/opt/inh "
          "-Wl,--disable-new-dtags,-rpath,/opt/inh",
          R, R, R);
    tt_cc(T,
          "-o %s/bin/app_inh_runpath src/app.c -L%s/opt/inh -ltxi1 "
          "-Wl,-rpath-link,%s/opt/inh "
          "-Wl,--enable-new-dtags,-rpath,/opt/inh",
          R, R, R);
    /* A RUNPATH in the middle blocks the inherited RPATH. */
    lib(PATH("%s/opt/inh3/libtxj2.so", R), "libtxj2.so", "lib_leaf.c", "");
    extra = tt_fmt(
        "-L%s/opt/inh3 -ltxj2 -Wl,--enable-new-dtags,-rpath,/nowhere", R);
    lib(PATH("%s/opt/inh3/libtxj1.so", R), "libtxj1.so", "lib_mid.c", extra);
    free(extra);
    tt_cc(T,
          "-o %s/bin/app_inh_blocked src/app.c -L%s/opt/inh3 -ltxj1 "
          "-Wl,-rpath-link,%s/opt/inh3 "
          "-Wl,--disable-new-dtags,-rpath,/opt/inh3",
          R, R, R);
    /* symlinked library and library directory */
    lib(PATH("%s/opt/real/libtxs.so.1.0", R), "libtxs.so.1", "lib_f.c", "");
    tt_symlink("libtxs.so.1.0", PATH("%s/opt/real/libtxs.so.1", R));
    tt_symlink("real", PATH("%s/opt/link", R));
    tt_cc(T,
          "-o %s/bin/app_symdir src/app.c -L%s/opt/real -l:libtxs.so.1 "
          "-Wl,-rpath,/opt/link",
          R, R);

    /* sr2: /lib is an absolute symlink to /usr/lib, as on merged-/usr */
    tt_mkdirs(PATH("%s/sr2/usr/lib/x86_64-linux-gnu", T));
    lib(PATH("%s/sr2/usr/lib/x86_64-linux-gnu/libtxq.so", T), "libtxq.so",
        "lib_f.c", "");
    tt_symlink("/usr/lib", PATH("%s/sr2/lib", T));
    tt_cc(T,
          "-o %s/bin/app_q src/app.c -L%s/sr2/usr/lib/x86_64-linux-gnu -ltxq",
          R, T);
    tt_write_str(PATH("%s/sr2/etc/marker", T), "inside\n");
    tt_symlink("../../../../../../../../../../etc", PATH("%s/sr2/esc", T));

    /* sr3: ld.so.conf with an include glob; a symlink loop */
    tt_write_str(PATH("%s/sr3/etc/ld.so.conf", T),
                 "include ld.so.conf.d/*.conf\n");
    tt_write_str(PATH("%s/sr3/etc/ld.so.conf.d/a.conf", T),
                 "# conf dir\n/opt/conf\n");
    tt_write_str(PATH("%s/sr3/etc/ld.so.conf.d/b.disabled", T), "/opt/never\n");
    tt_mkdirs(PATH("%s/sr3/opt/conf", T));
    lib(PATH("%s/sr3/opt/conf/libtxc.so", T), "libtxc.so", "lib_f.c", "");
    tt_cc(T, "-o %s/bin/app_c src/app.c -L%s/sr3/opt/conf -ltxc", R, T);
    lib(PATH("%s/build/libtxloop.so", T), "libtxloop.so", "lib_f.c", "");
    tt_cc(T, "-o %s/bin/app_loop src/app.c -L%s/build -ltxloop", R, T);
    tt_symlink("libtxloop.so",
               PATH("%s/sr3/lib/x86_64-linux-gnu/libtxloop.so", T));
    tt_symlink("b", PATH("%s/sr3/a", T));
    tt_symlink("a", PATH("%s/sr3/b", T));

    /* sr4: garbage where libtxb.so is searched; sr5: a 32-bit one first,
     * then the real one; sr6: only the 32-bit one */
    tt_write_str(PATH("%s/sr4/lib/x86_64-linux-gnu/libtxb.so", T),
                 "garbage, not ELF\n");
    unsigned char h32[64];
    craft_header(h32, ELFCLASS32, ELFDATA2LSB, EM_386);
    tt_write(PATH("%s/sr5/lib/x86_64-linux-gnu/libtxb.so", T), h32,
             sizeof(h32));
    tt_mkdirs(PATH("%s/sr5/usr/lib", T));
    tt_sh_ok("cp %s/opt/r/libtxb.so %s/sr5/usr/lib/libtxb.so", R, T);
    tt_write(PATH("%s/sr6/lib/x86_64-linux-gnu/libtxb.so", T), h32,
             sizeof(h32));
    free(p);
#undef PATH
}

static void remove_fixture(void)
{
    tt_rm_rf(T);
    free(T);
    free(R);
}

/* The closure of SRC with the given sysroots; returns the library's code. */
static int closure(const char *const *roots, size_t n, unsigned flags,
                   const char *src, const char *dest, struct elfdeps_closure *c,
                   struct tx_error *err)
{
    struct elfdeps *ed;
    int r = elfdeps_new(&ed, roots, n, flags, err);
    ck_assert_msg(r == 0, "elfdeps_new: %s", err->msg);
    r = elfdeps_closure_of_file(ed, src, dest, c, err);
    elfdeps_free(ed);
    return r;
}

static const struct elfdeps_dep *dep_named(const struct elfdeps_closure *c,
                                           const char *needed)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->v[i].needed, needed) == 0)
            return &c->v[i];
    return NULL;
}

static bool has_link(const struct elfdeps_dep *d, const char *path,
                     const char *target)
{
    for (size_t i = 0; i < d->links.n; i++)
        if (strcmp(d->links.v[i].path, path) == 0 &&
            strcmp(d->links.v[i].target, target) == 0)
            return true;
    return false;
}

/* Checks that NEEDED was found at T-relative path FOUND, placed at DEST. */
static void expect_dep(const struct elfdeps_closure *c, const char *needed,
                       const char *found, const char *dest)
{
    const struct elfdeps_dep *d = dep_named(c, needed);
    ck_assert_msg(d != NULL, "%s not in the closure", needed);
    char *want = tt_fmt("%s%s", T, found);
    ck_assert_str_eq(d->found, want);
    ck_assert_str_eq(d->dest, dest);
    free(want);
}

static char *bin(const char *name)
{
    return tt_fmt("%s/bin/%s", R, name);
}

START_TEST(test_rpath)
{
    const char *roots[] = { R, "/" };
    struct elfdeps_closure c;
    struct tx_error err;
    char *src = bin("app_rpath");
    ck_assert_msg(closure(roots, 2, 0, src, NULL, &c, &err) == 0, "%s",
                  err.msg);
    expect_dep(&c, "libtxb.so", "/root/opt/r/libtxb.so", "/opt/r/libtxb.so");
    ck_assert_ptr_nonnull(dep_named(&c, "libc.so.6"));
    /* The interpreter once, under its PT_INTERP path; libc's DT_NEEDED on
     * it is satisfied by its soname, as in ld.so. */
    ck_assert_ptr_nonnull(dep_named(&c, "/lib64/ld-linux-x86-64.so.2"));
    ck_assert_ptr_null(dep_named(&c, "ld-linux-x86-64.so.2"));
    elfdeps_closure_free(&c);
    free(src);
}
END_TEST

START_TEST(test_runpath)
{
    const char *roots[] = { R, "/" };
    struct elfdeps_closure c;
    struct tx_error err;
    char *src = bin("app_runpath");
    struct elfdeps_info info;
    ck_assert_int_eq(elfdeps_parse_file(src, &info, &err), 0);
    ck_assert_ptr_null(info.rpath);
    ck_assert_str_eq(info.runpath, "/opt/r");
    elfdeps_info_free(&info);
    ck_assert_msg(closure(roots, 2, 0, src, NULL, &c, &err) == 0, "%s",
                  err.msg);
    expect_dep(&c, "libtxb.so", "/root/opt/r/libtxb.so", "/opt/r/libtxb.so");
    elfdeps_closure_free(&c);
    free(src);
}
END_TEST

START_TEST(test_origin)
{
    const char *roots[] = { R, "/" };
    struct elfdeps_closure c;
    struct tx_error err;
    char *src = bin("app_origin");
    ck_assert_msg(closure(roots, 2, 0, src, NULL, &c, &err) == 0, "%s",
                  err.msg);
    expect_dep(&c, "libtxo.so", "/root/bin/../olib/libtxo.so",
               "/olib/libtxo.so");
    elfdeps_closure_free(&c);
    /* Packed elsewhere, $ORIGIN follows the program into the image. */
    ck_assert_msg(closure(roots, 2, 0, src, "/srv/app/bin/app", &c, &err) == 0,
                  "%s", err.msg);
    expect_dep(&c, "libtxo.so", "/root/bin/../olib/libtxo.so",
               "/srv/app/olib/libtxo.so");
    elfdeps_closure_free(&c);
    free(src);
}
END_TEST

START_TEST(test_missing)
{
    const char *roots[] = { R, "/" };
    struct elfdeps_closure c;
    struct tx_error err;
    char *src = bin("app_missing");
    ck_assert_int_eq(closure(roots, 2, 0, src, NULL, &c, &err), -ENOENT);
    ck_assert_msg(strstr(err.msg, "libtxm.so") &&
                      strstr(err.msg, "app_missing") &&
                      strstr(err.msg, "not found"),
                  "unclear message: %s", err.msg);
    ck_assert_int_eq(c.n, 0);
    /* Opting into warnings: the rest of the closure is still there. */
    ck_assert_msg(
        closure(roots, 2, ELFDEPS_WARN_MISSING, src, NULL, &c, &err) == 0, "%s",
        err.msg);
    ck_assert_int_eq(c.warnings.n, 1);
    ck_assert_ptr_nonnull(strstr(c.warnings.v[0], "libtxm.so"));
    ck_assert_ptr_nonnull(dep_named(&c, "libc.so.6"));
    elfdeps_closure_free(&c);
    free(src);
}
END_TEST

START_TEST(test_static)
{
    const char *roots[] = { R };
    struct elfdeps_closure c;
    struct tx_error err;
    char *src = bin("app_static");
    struct elfdeps_info info;
    ck_assert_int_eq(elfdeps_parse_file(src, &info, &err), 0);
    ck_assert_ptr_null(info.interp);
    ck_assert_int_eq(info.needed.n, 0);
    elfdeps_info_free(&info);
    ck_assert_msg(closure(roots, 1, 0, src, NULL, &c, &err) == 0, "%s",
                  err.msg);
    ck_assert_int_eq(c.n, 0);
    elfdeps_closure_free(&c);
    free(src);
}
END_TEST

START_TEST(test_rpath_inherited)
{
    const char *roots[] = { R, "/" };
    struct elfdeps_closure c;
    struct tx_error err;
    char *src = bin("app_inh_rpath");
    ck_assert_msg(closure(roots, 2, 0, src, NULL, &c, &err) == 0, "%s",
                  err.msg);
    expect_dep(&c, "libtxi1.so", "/root/opt/inh/libtxi1.so",
               "/opt/inh/libtxi1.so");
    expect_dep(&c, "libtxi2.so", "/root/opt/inh/libtxi2.so",
               "/opt/inh/libtxi2.so");
    const struct elfdeps_dep *d = dep_named(&c, "libtxi2.so");
    ck_assert_str_eq(c.v[d->needed_by].needed, "libtxi1.so");
    elfdeps_closure_free(&c);
    free(src);
}
END_TEST

START_TEST(test_runpath_not_inherited)
{
    const char *roots[] = { R, "/" };
    struct elfdeps_closure c;
    struct tx_error err;
    char *src = bin("app_inh_runpath");
    ck_assert_int_eq(closure(roots, 2, 0, src, NULL, &c, &err), -ENOENT);
    ck_assert_msg(strstr(err.msg, "libtxi2.so") &&
                      strstr(err.msg, "libtxi1.so") &&
                      strstr(err.msg, "app_inh_runpath"),
                  "message lacks the chain: %s", err.msg);
    free(src);
}
END_TEST

START_TEST(test_runpath_blocks_rpath)
{
    const char *roots[] = { R, "/" };
    struct elfdeps_closure c;
    struct tx_error err;
    char *src = bin("app_inh_blocked");
    ck_assert_int_eq(closure(roots, 2, 0, src, NULL, &c, &err), -ENOENT);
    ck_assert_msg(strstr(err.msg, "libtxj2.so") != NULL, "%s", err.msg);
    free(src);
}
END_TEST

START_TEST(test_symlinked_dir)
{
    const char *roots[] = { R, "/" };
    struct elfdeps_closure c;
    struct tx_error err;
    char *src = bin("app_symdir");
    ck_assert_msg(closure(roots, 2, 0, src, NULL, &c, &err) == 0, "%s",
                  err.msg);
    expect_dep(&c, "libtxs.so.1", "/root/opt/link/libtxs.so.1",
               "/opt/real/libtxs.so.1.0");
    const struct elfdeps_dep *d = dep_named(&c, "libtxs.so.1");
    ck_assert(has_link(d, "/opt/link", "real"));
    ck_assert(has_link(d, "/opt/real/libtxs.so.1", "libtxs.so.1.0"));
    elfdeps_closure_free(&c);
    free(src);
}
END_TEST

START_TEST(test_sysroot_lib_symlink)
{
    char *sr2 = tt_fmt("%s/sr2", T);
    const char *roots[] = { sr2, "/" };
    struct elfdeps_closure c;
    struct tx_error err;
    char *src = bin("app_q");
    ck_assert_msg(closure(roots, 2, 0, src, NULL, &c, &err) == 0, "%s",
                  err.msg);
    /* Found through /lib -> /usr/lib, resolved inside sr2, not the host. */
    expect_dep(&c, "libtxq.so", "/sr2/lib/x86_64-linux-gnu/libtxq.so",
               "/usr/lib/x86_64-linux-gnu/libtxq.so");
    ck_assert(has_link(dep_named(&c, "libtxq.so"), "/lib", "/usr/lib"));
    elfdeps_closure_free(&c);

    /* ".." and absolute targets never climb out of the sysroot. */
    char *canon = NULL;
    ck_assert_int_eq(tx_resolve(sr2, "/esc/marker", &canon, NULL), 0);
    ck_assert_str_eq(canon, "/etc/marker");
    free(canon);
    ck_assert_int_eq(tx_resolve(sr2, "/esc/passwd", &canon, NULL), -ENOENT);
    ck_assert_int_eq(tx_resolve(sr2, "/../../../etc/passwd", &canon, NULL),
                     -ENOENT);
    free(sr2);
    free(src);
}
END_TEST

START_TEST(test_ldconf)
{
    char *sr3 = tt_fmt("%s/sr3", T);
    const char *roots[] = { sr3, "/" };
    struct tx_strv dirs = { 0 };
    struct tx_error err;
    ck_assert_int_eq(tx_ldconf_dirs(sr3, &dirs, &err), 0);
    ck_assert(tx_strv_contains(&dirs, "/opt/conf"));
    ck_assert(!tx_strv_contains(&dirs, "/opt/never"));
    tx_strv_free(&dirs);
    struct elfdeps_closure c;
    char *src = bin("app_c");
    ck_assert_msg(closure(roots, 2, 0, src, NULL, &c, &err) == 0, "%s",
                  err.msg);
    expect_dep(&c, "libtxc.so", "/sr3/opt/conf/libtxc.so",
               "/opt/conf/libtxc.so");
    elfdeps_closure_free(&c);
    free(sr3);
    free(src);
}
END_TEST

START_TEST(test_symlink_loop)
{
    char *sr3 = tt_fmt("%s/sr3", T);
    const char *roots[] = { sr3, "/" };
    char *canon = NULL;
    ck_assert_int_eq(tx_resolve(sr3, "/a/x", &canon, NULL), -ELOOP);
    ck_assert_int_eq(
        tx_resolve(sr3, "/lib/x86_64-linux-gnu/libtxloop.so", &canon, NULL),
        -ELOOP);
    struct elfdeps_closure c;
    struct tx_error err;
    char *src = bin("app_loop");
    ck_assert_int_eq(closure(roots, 2, 0, src, NULL, &c, &err), -ENOENT);
    ck_assert_msg(strstr(err.msg, "libtxloop.so") != NULL, "%s", err.msg);
    free(sr3);
    free(src);
}
END_TEST

START_TEST(test_bad_candidates)
{
    struct elfdeps_closure c;
    struct tx_error err;
    char *src = bin("app_plain_b");
    char *sr = tt_fmt("%s/sr4", T);
    const char *roots[] = { sr, "/" };
    /* Garbage where a library is expected: a clear error naming it. */
    ck_assert_int_eq(closure(roots, 2, 0, src, NULL, &c, &err), -ELIBBAD);
    ck_assert_msg(strstr(err.msg, "sr4/lib/x86_64-linux-gnu/libtxb.so") &&
                      strstr(err.msg, "not an ELF file"),
                  "%s", err.msg);
    /* Another architecture is skipped, as ld.so does... */
    free(sr);
    roots[0] = sr = tt_fmt("%s/sr5", T);
    ck_assert_msg(closure(roots, 2, 0, src, NULL, &c, &err) == 0, "%s",
                  err.msg);
    expect_dep(&c, "libtxb.so", "/sr5/usr/lib/libtxb.so", "/usr/lib/libtxb.so");
    elfdeps_closure_free(&c);
    /* ...and named when nothing else is found. */
    free(sr);
    roots[0] = sr = tt_fmt("%s/sr6", T);
    ck_assert_int_eq(closure(roots, 2, 0, src, NULL, &c, &err), -ENOENT);
    ck_assert_msg(strstr(err.msg, "wrong architecture") != NULL, "%s", err.msg);
    free(sr);
    free(src);
}
END_TEST

START_TEST(test_not_elf_inputs)
{
    struct elfdeps_info info;
    struct tx_error err;
    unsigned char h[64];
    ck_assert_int_eq(elfdeps_parse_mem("", 0, &info, &err), -ENOEXEC);
    ck_assert_int_eq(elfdeps_parse_mem("hello world", 11, &info, &err),
                     -ENOEXEC);
    ck_assert_str_eq(err.msg, "not an ELF file");
    ck_assert_int_eq(elfdeps_parse_mem(ELFMAG, 4, &info, &err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "truncated"));
    craft_header(h, ELFCLASS32, ELFDATA2LSB, EM_386);
    ck_assert_int_eq(elfdeps_parse_mem(h, 64, &info, &err), -ENOTSUP);
    ck_assert_ptr_nonnull(strstr(err.msg, "32-bit"));
    craft_header(h, ELFCLASS64, ELFDATA2MSB, EM_X86_64);
    ck_assert_int_eq(elfdeps_parse_mem(h, 64, &info, &err), -ENOTSUP);
    craft_header(h, ELFCLASS64, ELFDATA2LSB, EM_AARCH64);
    ck_assert_int_eq(elfdeps_parse_mem(h, 64, &info, &err), -ENOTSUP);
    ck_assert_ptr_nonnull(strstr(err.msg, "machine"));
    craft_header(h, ELFCLASS64, ELFDATA2LSB, EM_X86_64);
    ck_assert_int_eq(elfdeps_parse_mem(h, 64, &info, &err),
                     0); /* no segments */
    elfdeps_info_free(&info);
    /* Program headers beyond the end of the file. */
    h[32] = 0x40;               /* e_phoff */
    h[54] = 56;                 /* e_phentsize */
    h[56] = 0xff, h[57] = 0x0f; /* e_phnum 4095 */
    ck_assert_int_eq(elfdeps_parse_mem(h, 64, &info, &err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "past the end"));
    h[54] = 8; /* too small a program header */
    ck_assert_int_eq(elfdeps_parse_mem(h, 64, &info, &err), -EINVAL);

    /* Through the closure API: a text file and a directory. */
    const char *roots[] = { "/" };
    struct elfdeps_closure c;
    char *txt = tt_fmt("%s/src/app.c", T);
    ck_assert_int_eq(closure(roots, 1, 0, txt, NULL, &c, &err), -ENOEXEC);
    ck_assert_msg(strstr(err.msg, txt) && strstr(err.msg, "not an ELF file"),
                  "%s", err.msg);
    ck_assert_int_lt(closure(roots, 1, 0, T, NULL, &c, &err), 0);
    ck_assert_int_lt(closure(roots, 1, 0, "/nonexistent/file", NULL, &c, &err),
                     0);
    free(txt);
}
END_TEST

/* Every prefix and thousands of corruptions of real files: a clean result
 * or a clean error, never a crash (this runs under ASan/UBSan too). */
START_TEST(test_truncated_and_corrupt)
{
    const char *files[] = { "bin/app_rpath", "opt/inh/libtxi1.so",
                            "bin/app_static" };
    uint32_t seed = 12345;
    for (size_t f = 0; f < sizeof(files) / sizeof(*files); f++) {
        char *path = tt_fmt("%s/%s", R, files[f]);
        size_t len;
        unsigned char *data = (unsigned char *)tt_read(path, &len);
        ck_assert_ptr_nonnull(data);
        struct elfdeps_info info;
        struct tx_error err;
        for (size_t cut = 0; cut < len && cut < 20000;
             cut += cut < 2048 ? 1 : 97) {
            int r = elfdeps_parse_mem(data, cut, &info, &err);
            if (r == 0)
                elfdeps_info_free(&info);
            else
                ck_assert_msg(r == -EINVAL || r == -ENOEXEC, "cut %zu: %d %s",
                              cut, r, err.msg);
        }
        unsigned char *copy = malloc(len);
        for (int round = 0; round < 3000; round++) {
            memcpy(copy, data, len);
            for (int k = 0; k < 1 + round % 8; k++) {
                seed = seed * 1103515245u + 12345u;
                /* Mostly the headers and dynamic data, where it matters. */
                size_t at = (seed >> 8) %
                            (round % 2 ? len : (len < 16384 ? len : 16384));
                seed = seed * 1103515245u + 12345u;
                copy[at] = (unsigned char)(seed >> 16);
            }
            if (elfdeps_parse_mem(copy, len, &info, &err) == 0)
                elfdeps_info_free(&info);
        }
        free(copy);
        free(data);
        free(path);
    }
}
END_TEST

/* A corrupt program handed in through a file, with the full walk. */
START_TEST(test_corrupt_file_walk)
{
    char *src = bin("app_rpath");
    size_t len;
    unsigned char *data = (unsigned char *)tt_read(src, &len);
    char *bad = tt_fmt("%s/bad_trunc", T);
    tt_write(bad, data, 200);
    const char *roots[] = { R, "/" };
    struct elfdeps_closure c;
    struct tx_error err;
    ck_assert_int_eq(closure(roots, 2, 0, bad, NULL, &c, &err), -EINVAL);
    ck_assert_msg(strstr(err.msg, "bad_trunc") != NULL, "%s", err.msg);
    free(data);
    free(bad);
    free(src);
}
END_TEST

START_TEST(test_lib_lookup)
{
    const char *roots[] = { R, "/" };
    struct elfdeps *ed;
    struct elfdeps_closure c;
    struct tx_error err;
    ck_assert_int_eq(elfdeps_new(&ed, roots, 2, 0, &err), 0);
    ck_assert_msg(elfdeps_closure_of_lib(ed, "libc.so.6", &c, &err) == 0, "%s",
                  err.msg);
    ck_assert_int_ge(c.n, 1);
    ck_assert_str_eq(c.v[0].needed, "libc.so.6");
    ck_assert_int_eq(c.v[0].needed_by, ELFDEPS_ROOT);
    elfdeps_closure_free(&c);
    ck_assert_int_eq(
        elfdeps_closure_of_lib(ed, "libdoesnotexist.so.9", &c, &err), -ENOENT);
    ck_assert_ptr_nonnull(strstr(err.msg, "libdoesnotexist.so.9"));
    /* An absolute path inside the sysroots, through its symlinks. */
    ck_assert_msg(
        elfdeps_closure_of_lib(ed, "/opt/link/libtxs.so.1", &c, &err) == 0,
        "%s", err.msg);
    ck_assert_str_eq(c.v[0].dest, "/opt/real/libtxs.so.1.0");
    elfdeps_closure_free(&c);
    /* A library's own needs are searched without any RPATH of a program. */
    ck_assert_int_eq(
        elfdeps_closure_of_lib(ed, "/opt/inh/libtxi1.so", &c, &err), -ENOENT);
    ck_assert_msg(strstr(err.msg, "libtxi2.so") != NULL, "%s", err.msg);
    elfdeps_free(ed);
}
END_TEST

START_TEST(test_bad_sysroot)
{
    struct elfdeps *ed;
    struct tx_error err;
    const char *roots[] = { "/nonexistent-sysroot" };
    ck_assert_int_lt(elfdeps_new(&ed, roots, 1, 0, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent-sysroot"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tinyx-elfdeps");
    TCase *tc = tcase_create("elfdeps");
    tcase_add_unchecked_fixture(tc, build_fixture, remove_fixture);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_rpath);
    tcase_add_test(tc, test_runpath);
    tcase_add_test(tc, test_origin);
    tcase_add_test(tc, test_missing);
    tcase_add_test(tc, test_static);
    tcase_add_test(tc, test_rpath_inherited);
    tcase_add_test(tc, test_runpath_not_inherited);
    tcase_add_test(tc, test_runpath_blocks_rpath);
    tcase_add_test(tc, test_symlinked_dir);
    tcase_add_test(tc, test_sysroot_lib_symlink);
    tcase_add_test(tc, test_ldconf);
    tcase_add_test(tc, test_symlink_loop);
    tcase_add_test(tc, test_bad_candidates);
    tcase_add_test(tc, test_not_elf_inputs);
    tcase_add_test(tc, test_truncated_and_corrupt);
    tcase_add_test(tc, test_corrupt_file_walk);
    tcase_add_test(tc, test_lib_lookup);
    tcase_add_test(tc, test_bad_sysroot);
    suite_add_tcase(s, tc);
    return check_run(s);
}
