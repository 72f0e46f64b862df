/*
 * test_tinyx_pack.c - the spec parser, the image planner and the `tinyx`
 * command: errors with FILE:LINE, layout of libraries and symlinks,
 * conflicts, reproducibility, exit codes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include "elfdeps.h"
#include "initramfs.h"
#include "tinyx_testlib.h"
#include "check_run.h"

static char *D; /* scratch directory of the current test */

static void setup(void)
{
    D = tt_tmpdir();
    unsetenv("SOURCE_DATE_EPOCH");
}

static void teardown(void)
{
    tt_rm_rf(D);
    free(D);
}

/* ------------------------------------------------------------ parser */

START_TEST(test_spec_parse)
{
    const char *text = "# a comment\n"
                       "\n"
                       "dir /proc\n"
                       "dir   tmp 1777   # sticky\n"
                       "file /etc/motd motd.txt 0644\n"
                       "file \"/with space/x\" \"/src dir/a \\\"b\\\"\"\n"
                       "elf /bin/sh /bin/busybox\n"
                       "lib libgcc_s.so.1\n"
                       "tree / stage\n"
                       "slink /init /bin/busybox\r\n"
                       "nod /dev/console c 5 1\n"
                       "nod /dev/sda b 8 0 0660\n";
    struct spec s;
    struct tx_error err;
    ck_assert_msg(spec_parse(text, strlen(text), "t.spec", "/base", &s, &err) ==
                      0,
                  "%s", err.msg);
    ck_assert_int_eq(s.n, 10);
    ck_assert_int_eq(s.v[0].kind, SPEC_DIR);
    ck_assert_str_eq(s.v[0].dest, "/proc");
    ck_assert(!s.v[0].has_mode);
    ck_assert_str_eq(s.v[1].dest, "/tmp");
    ck_assert_uint_eq(s.v[1].mode, 01777);
    ck_assert_uint_eq(s.v[1].line, 4);
    ck_assert_str_eq(s.v[2].src, "/base/motd.txt");
    ck_assert_uint_eq(s.v[2].mode, 0644);
    ck_assert_str_eq(s.v[3].dest, "/with space/x");
    ck_assert_str_eq(s.v[3].src, "/src dir/a \"b\"");
    ck_assert_int_eq(s.v[4].kind, SPEC_ELF);
    ck_assert_int_eq(s.v[5].kind, SPEC_LIB);
    ck_assert_str_eq(s.v[5].src, "libgcc_s.so.1");
    ck_assert_str_eq(s.v[6].dest, "/");
    ck_assert_str_eq(s.v[6].src, "/base/stage");
    ck_assert_str_eq(s.v[7].src, "/bin/busybox");
    ck_assert_int_eq(s.v[8].devtype, 'c');
    ck_assert_uint_eq(s.v[8].mode, 0600);
    ck_assert_uint_eq(s.v[9].major, 8);
    ck_assert_uint_eq(s.v[9].mode, 0660);
    ck_assert_uint_eq(s.v[9].line, 12);
    spec_free(&s);
}
END_TEST

static const struct {
    const char *text;
    const char *message; /* must appear, after "t.spec:LINE: " */
} bad_specs[] = {
    { "dir /a\nbogus /x\n", "t.spec:2: unknown entry type \"bogus\"" },
    { "\n\nfile /a\n",
      "t.spec:3: wrong number of fields; usage: file DEST SRC [MODE]" },
    { "file /a \"unterminated\n", "t.spec:1: unterminated quote" },
    { "dir /a 0999\n", "t.spec:1: bad mode \"0999\"" },
    { "dir /a 17777\n", "t.spec:1: bad mode" },
    { "file /a/../../etc x\n", "t.spec:1: \"..\" is not allowed" },
    { "slink / x\n", "t.spec:1: the destination cannot be /" },
    { "nod /dev/x p 1 2\n", "t.spec:1: device type must be c or b" },
    { "nod /dev/x c 5000 1\n", "t.spec:1: bad major" },
    { "nod /dev/x c 1 -1\n", "t.spec:1: bad minor" },
    { "lib \"\"\n", "t.spec:1: empty library name" },
    { "file \"\" x\n", "t.spec:1: empty destination path" },
    { "file /a \"x\"y\n",
      "t.spec:1: a quoted field must be followed by a blank" },
    { "dir /a 0755 extra\n", "t.spec:1: wrong number of fields" },
    { "dir /a\ndir /b\0\n", "t.spec:2: NUL byte" },
};

START_TEST(test_spec_errors)
{
    const char *text = bad_specs[_i].text;
    size_t len = strlen(text);
    if (strstr(bad_specs[_i].message, "NUL"))
        len = 14; /* the text holds a NUL byte */
    struct spec s;
    struct tx_error err;
    ck_assert_int_eq(spec_parse(text, len, "t.spec", ".", &s, &err), -EINVAL);
    ck_assert_msg(strstr(err.msg, bad_specs[_i].message) == err.msg,
                  "got \"%s\", want \"%s...\"", err.msg, bad_specs[_i].message);
    ck_assert_int_eq(s.n, 0);
}
END_TEST

/* ------------------------------------------------------------ packing */

/* Packs SPEC_TEXT (written to D/spec/s.spec) into OUT; returns the code. */
static int pack(const char *spec_text, const char *out, const char *manifest,
                bool gzip, bool warn, struct tx_strv *warnings,
                struct tx_error *err)
{
    char *path = tt_fmt("%s/spec/s.spec", D);
    tt_write_str(path, spec_text);
    struct spec s;
    int r = spec_load(path, &s, err);
    if (r == 0) {
        struct initramfs_opts o = { .gzip = gzip, .warn_missing = warn };
        r = initramfs_pack(&s, &o, out, manifest, warnings, err);
        spec_free(&s);
    }
    free(path);
    return r;
}

/* The names in archive A, one per line, as cpio -t lists them. */
static char *list_archive(const char *a)
{
    int st;
    char *list = tt_capture(&st, "cpio -t --quiet <'%s'", a);
    ck_assert_int_eq(st, 0);
    return list;
}

static bool listed(const char *list, const char *name)
{
    char *line = tt_fmt("\n%s\n", name), *all = tt_fmt("\n%s", list);
    bool found = strstr(all, line) != NULL;
    free(line);
    free(all);
    return found;
}

/* A sample project: a text file, a tree with an ELF program inside. */
static char *sample_spec(void)
{
    char *motd = tt_fmt("%s/spec/files/motd.txt", D);
    tt_write_str(motd, "hello\n");
    char *tree = tt_fmt("%s/spec/stage/usr/local/bin", D);
    tt_mkdirs(tree);
    tt_sh_ok("cp /bin/true '%s/true' && ln -s true '%s/yes'", tree, tree);
    char *etc = tt_fmt("%s/spec/stage/etc/app.conf", D);
    tt_write_str(etc, "x=1\n");
    free(motd);
    free(tree);
    free(etc);
    return tt_fmt("# sample\n"
                  "elf /bin/ls /bin/ls\n"
                  "file /etc/motd files/motd.txt 0644\n"
                  "tree / stage\n"
                  "dir /proc\n"
                  "slink /init /bin/ls\n"
                  "nod /dev/console c 5 1 0600\n");
}

START_TEST(test_pack_reproducible)
{
    char *spec = sample_spec();
    char *a = tt_fmt("%s/a.cpio", D), *b = tt_fmt("%s/b.cpio", D);
    char *ga = tt_fmt("%s/a.cpio.gz", D), *gb = tt_fmt("%s/b.cpio.gz", D);
    struct tx_error err;
    ck_assert_msg(pack(spec, a, NULL, false, false, NULL, &err) == 0, "%s",
                  err.msg);
    ck_assert_msg(pack(spec, ga, NULL, true, false, NULL, &err) == 0, "%s",
                  err.msg);
    /* New timestamps on the inputs, another working directory. */
    char *motd = tt_fmt("%s/spec/files/motd.txt", D);
    struct utimbuf times = { .actime = 1000000, .modtime = 1000000 };
    ck_assert_int_eq(utime(motd, &times), 0);
    ck_assert_int_eq(chdir("/"), 0);
    ck_assert_msg(pack(spec, b, NULL, false, false, NULL, &err) == 0, "%s",
                  err.msg);
    ck_assert_msg(pack(spec, gb, NULL, true, false, NULL, &err) == 0, "%s",
                  err.msg);
    ck_assert_int_eq(tt_sh("cmp '%s' '%s'", a, b), 0);
    ck_assert_int_eq(tt_sh("cmp '%s' '%s'", ga, gb), 0);
    tt_sh_ok("gzip -dc '%s' | cmp -s - '%s'", ga, a);

    size_t len;
    unsigned char *data = (unsigned char *)tt_read(a, &len);
    struct tt_cpio_entry e[512];
    int n = tt_cpio_parse(data, len, e, 512);
    ck_assert_int_gt(n, 10);
    ck_assert_int_le(n, 512);
    for (int i = 0; i < n; i++) {
        ck_assert_uint_eq(e[i].mtime, 0);
        ck_assert_uint_eq(e[i].uid, 0);
        ck_assert_uint_eq(e[i].gid, 0);
        ck_assert_msg(e[i].name[0] != '/', "%s has a leading /", e[i].name);
        if (i > 0) /* sorted, so parents come first */
            ck_assert_msg(strcmp(e[i - 1].name, e[i].name) < 0, "%s before %s",
                          e[i - 1].name, e[i].name);
    }
    free(data);
    free(motd);
    free(spec);
    free(a);
    free(b);
    free(ga);
    free(gb);
}
END_TEST

/* Every library the host's ld.so would look up for PROG must be reachable
 * at the same path in the unpacked image (through its symlinks). */
static void expect_closure_present(const char *x, const char *prog)
{
    const char *roots[] = { "/" };
    struct elfdeps *ed;
    struct elfdeps_closure c;
    struct tx_error err;
    ck_assert_int_eq(elfdeps_new(&ed, roots, 1, 0, &err), 0);
    ck_assert_msg(elfdeps_closure_of_file(ed, prog, NULL, &c, &err) == 0, "%s",
                  err.msg);
    ck_assert_int_gt(c.n, 0);
    char *xroot = realpath(x, NULL);
    for (size_t i = 0; i < c.n; i++) {
        char *canon = NULL;
        int r = tx_resolve(xroot, c.v[i].found, &canon, NULL);
        ck_assert_msg(r == 0, "%s (for %s) is not reachable in the image: %d",
                      c.v[i].found, c.v[i].needed, r);
        char *inside = tt_fmt("%s%s", xroot, canon);
        ck_assert_int_eq(tt_sh("cmp -s '%s' '%s'", inside, c.v[i].host), 0);
        free(inside);
        free(canon);
    }
    free(xroot);
    elfdeps_closure_free(&c);
    elfdeps_free(ed);
}

START_TEST(test_pack_layout)
{
    char *spec = sample_spec();
    char *a = tt_fmt("%s/a.cpio", D), *x = tt_fmt("%s/x", D),
         *m = tt_fmt("%s/a.manifest", D);
    struct tx_error err;
    ck_assert_msg(pack(spec, a, m, false, false, NULL, &err) == 0, "%s",
                  err.msg);
    tt_mkdirs(x);
    tt_sh_ok("cd '%s' && cpio -idm --quiet <'%s'", x, a);
    expect_closure_present(x, "/bin/ls");
    char *tree_true = tt_fmt("%s/spec/stage/usr/local/bin/true", D);
    expect_closure_present(x, tree_true);
    char *list = list_archive(a);
    ck_assert(listed(list, "bin/ls"));
    ck_assert(listed(list, "etc/motd"));
    ck_assert(listed(list, "etc/app.conf"));
    ck_assert(listed(list, "usr/local/bin/true"));
    ck_assert(listed(list, "usr/local/bin/yes"));
    ck_assert(listed(list, "dev/console"));
    ck_assert(listed(list, "proc"));

    /* The manifest: one line per entry, 4 tab-separated fields. */
    size_t mlen;
    char *man = tt_read(m, &mlen);
    ck_assert_ptr_nonnull(man);
    size_t lines = 0, entries = 0;
    for (char *p = man; *p; p++)
        lines += *p == '\n';
    for (char *p = list; *p; p++)
        entries += *p == '\n';
    ck_assert_uint_eq(lines, entries);
    ck_assert_ptr_nonnull(strstr(man, "/etc/motd\tfile\t6\t"));
    ck_assert_ptr_nonnull(strstr(man, "s.spec:3: file"));
    ck_assert_ptr_nonnull(strstr(man, "/dev/console\tnod\t0\tc 5:1 <- "));
    ck_assert_ptr_nonnull(strstr(man, "\tsymlink\t7\t-> /bin/ls <- "));
    free(man);
    free(list);
    free(tree_true);
    free(spec);
    free(a);
    free(x);
    free(m);
}
END_TEST

START_TEST(test_dest_below_symlink)
{
    char *f = tt_fmt("%s/spec/mod.ko", D);
    tt_write_str(f, "module\n");
    char *a = tt_fmt("%s/a.cpio", D);
    struct tx_error err;
    /* Order-independent: the symlink comes last in the spec. */
    ck_assert_msg(pack("file /lib/modules/6.1/mod.ko mod.ko\n"
                       "dir /lib\n"
                       "slink /lib usr/lib\n",
                       a, NULL, false, false, NULL, &err) == 0,
                  "%s", err.msg);
    char *list = list_archive(a);
    ck_assert_str_eq(list,
                     "lib\nusr\nusr/lib\nusr/lib/modules\nusr/lib/modules/6.1\n"
                     "usr/lib/modules/6.1/mod.ko\n");
    free(list);
    free(a);
    free(f);
}
END_TEST

START_TEST(test_conflicts)
{
    char *one = tt_fmt("%s/spec/one", D), *two = tt_fmt("%s/spec/two", D);
    char *same = tt_fmt("%s/spec/same", D);
    tt_write_str(one, "1\n");
    tt_write_str(two, "2\n");
    tt_write_str(same, "1\n");
    char *a = tt_fmt("%s/a.cpio", D);
    struct tx_error err;
    /* Identical twice (even from another file): fine. */
    ck_assert_msg(pack("file /x one 0644\nfile /x one 0644\nfile /x same 0644\n"
                       "dir /d\ndir /d 0755\nslink /l x\nslink /l x\n",
                       a, NULL, false, false, NULL, &err) == 0,
                  "%s", err.msg);
    /* A failed pack leaves no archive, not even the previous one. */
    ck_assert_int_eq(access(a, F_OK), 0);
    ck_assert_int_eq(
        pack("file /x one\nfile /x two\n", a, NULL, false, false, NULL, &err),
        -EEXIST);
    ck_assert_msg(strstr(err.msg, "s.spec:2") && strstr(err.msg, "s.spec:1") &&
                      strstr(err.msg, "/x") &&
                      strstr(err.msg, "different contents"),
                  "%s", err.msg);
    ck_assert_int_ne(access(a, F_OK), 0);
    int st;
    char *left = tt_capture(&st, "ls -A '%s'", D);
    ck_assert_msg(strstr(left, "tmp") == NULL, "temporary file left: %s", left);
    free(left);

    ck_assert_int_eq(
        pack("dir /d 0700\ndir /d 0755\n", a, NULL, false, false, NULL, &err),
        -EEXIST);
    ck_assert_ptr_nonnull(strstr(err.msg, "mode"));
    ck_assert_int_eq(
        pack("slink /l a\nslink /l b\n", a, NULL, false, false, NULL, &err),
        -EEXIST);
    ck_assert_int_eq(
        pack("file /x one\ndir /x\n", a, NULL, false, false, NULL, &err),
        -ENOTDIR);
    ck_assert_msg(strstr(err.msg, "s.spec:2") && strstr(err.msg, "s.spec:1"),
                  "%s", err.msg);
    ck_assert_int_eq(
        pack("file /x one\nfile /x/y one\n", a, NULL, false, false, NULL, &err),
        -ENOTDIR);
    ck_assert_ptr_nonnull(strstr(err.msg, "s.spec:2"));
    ck_assert_int_eq(pack("file /x one 0644\nfile /x one 0600\n", a, NULL,
                          false, false, NULL, &err),
                     -EEXIST);
    ck_assert_int_eq(pack("slink /a b\nslink /b a\nfile /a/x one\n", a, NULL,
                          false, false, NULL, &err),
                     -ELOOP);
    /* Sources that are missing or of the wrong kind. */
    ck_assert_int_lt(
        pack("file /x missing\n", a, NULL, false, false, NULL, &err), 0);
    ck_assert_msg(strstr(err.msg, "s.spec:1") && strstr(err.msg, "missing"),
                  "%s", err.msg);
    ck_assert_int_lt(pack("elf /x one\n", a, NULL, false, false, NULL, &err),
                     0);
    ck_assert_msg(strstr(err.msg, "s.spec:1") &&
                      strstr(err.msg, "not an ELF file"),
                  "%s", err.msg);
    ck_assert_int_lt(pack("tree /x one\n", a, NULL, false, false, NULL, &err),
                     0);
    ck_assert_int_lt(
        pack("lib libnothere.so.7\n", a, NULL, false, false, NULL, &err), 0);
    ck_assert_msg(strstr(err.msg, "s.spec:1: lib libnothere.so.7"), "%s",
                  err.msg);
    free(one);
    free(two);
    free(same);
    free(a);
}
END_TEST

/* A program packed somewhere else than where it was built finds its
 * $ORIGIN libraries relative to its new place; a missing library is an
 * error naming the line, or a warning when asked. */
START_TEST(test_relocated_origin_and_missing)
{
    char *src = tt_fmt("%s/build/src.c", D),
         *lsrc = tt_fmt("%s/build/lib.c", D);
    tt_write_str(src, "int txf(void);\nint main(void) { return txf(); }\n");
    tt_write_str(lsrc, "int txf(void) { return 1; }\n");
    char *b = tt_fmt("%s/build", D);
    char *dirs = tt_fmt("%s/olib", b);
    tt_mkdirs(dirs);
    free(dirs);
    dirs = tt_fmt("%s/bin", b);
    tt_mkdirs(dirs);
    free(dirs);
    tt_cc(b, "-shared -fPIC -o olib/libtxo.so -Wl,-soname,libtxo.so lib.c");
    tt_cc(b, "-o bin/app src.c -Lolib -ltxo -Wl,-rpath,'$ORIGIN/../olib'");
    tt_cc(b, "-shared -fPIC -o libtxgone.so -Wl,-soname,libtxgone.so lib.c");
    tt_cc(b, "-o bin/app_gone src.c -L. -ltxgone");
    char *a = tt_fmt("%s/a.cpio", D);
    struct tx_error err;
    ck_assert_msg(pack("elf /opt/app/bin/app ../build/bin/app\n", a, NULL,
                       false, false, NULL, &err) == 0,
                  "%s", err.msg);
    char *list = list_archive(a);
    ck_assert_msg(listed(list, "opt/app/olib/libtxo.so"), "%s", list);
    free(list);

    ck_assert_int_eq(pack("dir /x\nelf /bin/app ../build/bin/app_gone\n", a,
                          NULL, false, false, NULL, &err),
                     -ENOENT);
    ck_assert_msg(
        strstr(err.msg,
               "s.spec:2: library libtxgone.so not found, needed by") &&
            strstr(err.msg, "app_gone"),
        "%s", err.msg);
    struct tx_strv warnings = { 0 };
    ck_assert_msg(pack("elf /bin/app ../build/bin/app_gone\n", a, NULL, false,
                       true, &warnings, &err) == 0,
                  "%s", err.msg);
    ck_assert_uint_eq(warnings.n, 1);
    ck_assert_msg(strstr(warnings.v[0], "s.spec:1:") &&
                      strstr(warnings.v[0], "libtxgone.so"),
                  "%s", warnings.v[0]);
    tx_strv_free(&warnings);
    free(a);
    free(b);
    free(src);
    free(lsrc);
}
END_TEST

/* ------------------------------------------------------------ the command */

static int tinyx(char **out, const char *args)
{
    int st;
    char *o = tt_capture(&st, "%s %s 2>&1", TINYX_BIN, args);
    if (out)
        *out = o;
    else
        free(o);
    return st;
}

START_TEST(test_cli)
{
    char *out;
    ck_assert_int_eq(tinyx(NULL, ""), 2);
    ck_assert_int_eq(tinyx(NULL, "frobnicate"), 2);
    ck_assert_int_eq(tinyx(&out, "--help"), 0);
    ck_assert_ptr_nonnull(strstr(out, "pack"));
    free(out);
    ck_assert_int_eq(tinyx(&out, "pack --help"), 0);
    ck_assert_msg(strstr(out, "SYNOPSIS") && strstr(out, "SPEC FORMAT") &&
                      strstr(out, "EXIT STATUS"),
                  "%s", out);
    free(out);
    ck_assert_int_eq(tinyx(&out, "help deps"), 0);
    ck_assert_ptr_nonnull(strstr(out, "NEEDED-NAME RESOLVED-PATH"));
    free(out);

    char *a = tt_fmt("%s/a.cpio", D), *spec = tt_fmt("%s/s.spec", D);
    tt_write_str(spec, "dir /proc\nnod /dev/console c 5 1\n");
    char *args = tt_fmt("pack '%s'", spec);
    ck_assert_int_eq(tinyx(NULL, args), 2); /* no -o */
    free(args);
    args = tt_fmt("pack --bogus -o '%s' '%s'", a, spec);
    ck_assert_int_eq(tinyx(NULL, args), 2);
    free(args);
    args = tt_fmt("pack -o '%s' '%s' extra", a, spec);
    ck_assert_int_eq(tinyx(NULL, args), 2);
    free(args);
    args = tt_fmt("pack -o '%s' '%s/nope.spec'", a, D);
    ck_assert_int_eq(tinyx(&out, args), 1);
    ck_assert_ptr_nonnull(strstr(out, "nope.spec"));
    ck_assert_int_ne(access(a, F_OK), 0);
    free(out);
    free(args);

    /* From standard input, gzip, manifest, sysroot. */
    char *m = tt_fmt("%s/a.man", D);
    args = tt_fmt("pack --sysroot / --gzip --manifest '%s' -o '%s' - <'%s'", m,
                  a, spec);
    ck_assert_int_eq(tinyx(&out, args), 0);
    ck_assert_str_eq(out, "");
    free(out);
    free(args);
    int st;
    out = tt_capture(&st, "gzip -dc '%s' | cpio -t --quiet", a);
    ck_assert_int_eq(st, 0);
    ck_assert_str_eq(out, "dev\ndev/console\nproc\n");
    free(out);
    ck_assert_int_eq(access(m, F_OK), 0);

    /* A spec error: exit 1, FILE:LINE, no archive. */
    tt_write_str(spec, "dir /proc\nfile /x\n");
    args = tt_fmt("pack -o '%s' '%s'", a, spec);
    ck_assert_int_eq(tinyx(&out, args), 1);
    ck_assert_msg(strstr(out, "s.spec:2:") != NULL, "%s", out);
    ck_assert_int_ne(access(a, F_OK), 0);
    free(out);
    free(args);

    /* A device or FIFO as OUT is written in place, never replaced or
     * removed, even when packing fails (think -o /dev/null). */
    char *fifo = tt_fmt("%s/fifo", D);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    tt_write_str(spec, "dir /proc\n");
    args = tt_fmt("pack -o '%s' '%s' & cpio -t --quiet <'%s'; wait $!", fifo,
                  spec, fifo);
    ck_assert_int_eq(tinyx(&out, args), 0);
    ck_assert_str_eq(out, "proc\n");
    free(out);
    free(args);
    tt_write_str(spec, "file /x /nonexistent\n");
    args = tt_fmt("pack -o '%s' '%s'", fifo, spec);
    ck_assert_int_eq(tinyx(NULL, args), 1);
    free(args);
    struct stat st_fifo;
    ck_assert_int_eq(stat(fifo, &st_fifo), 0);
    ck_assert(S_ISFIFO(st_fifo.st_mode));
    free(fifo);

    /* deps */
    ck_assert_int_eq(tinyx(&out, "deps /bin/ls"), 0);
    ck_assert_msg(strstr(out, "libc.so.6 /") != NULL, "%s", out);
    ck_assert_ptr_nonnull(strstr(out, "/lib64/ld-linux-x86-64.so.2 /"));
    free(out);
    ck_assert_int_eq(tinyx(&out, "deps /bin/ls /bin/true"), 0);
    ck_assert_ptr_nonnull(strstr(out, "/bin/true:\n"));
    free(out);
    ck_assert_int_eq(tinyx(NULL, "deps"), 2);
    ck_assert_int_eq(tinyx(&out, "deps /etc/passwd"), 1);
    ck_assert_ptr_nonnull(strstr(out, "not an ELF file"));
    free(out);
    ck_assert_int_eq(tinyx(NULL, "deps --sysroot /nonexistent /bin/ls"), 1);
    free(m);
    free(a);
    free(spec);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tinyx-pack");
    TCase *tc = tcase_create("pack");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_spec_parse);
    tcase_add_loop_test(tc, test_spec_errors, 0,
                        sizeof(bad_specs) / sizeof(*bad_specs));
    tcase_add_test(tc, test_pack_reproducible);
    tcase_add_test(tc, test_pack_layout);
    tcase_add_test(tc, test_dest_below_symlink);
    tcase_add_test(tc, test_conflicts);
    tcase_add_test(tc, test_relocated_origin_and_missing);
    tcase_add_test(tc, test_cli);
    suite_add_tcase(s, tc);
    return check_run(s);
}
