/*
 * test_tinyx_build.c - the pure parts of tinyx build: the root file system
 * spec, the /init script (quoting checked by running it with sh), the guest
 * config (read back with chaos's own config parser), memory sizing, the
 * Debian package record parser, the tinyconfig fragment and its check.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "chaos.h"
#include "debpkg.h"
#include "initramfs.h"
#include "kernel.h"
#include "tinyx_testlib.h"
#include "check_run.h"

static char *D;

static void setup(void)
{
    D = tt_tmpdir();
}

static void teardown(void)
{
    tt_rm_rf(D);
    free(D);
    tt_free_kept();
}

static char *read_template(void)
{
    char *t = tt_read(TINYX_SRCDIR "/init.sh", NULL);
    ck_assert_msg(t, "cannot read %s/init.sh", TINYX_SRCDIR);
    return t;
}

/* ------------------------------------------------------------ targets, names */

START_TEST(test_targets)
{
    enum tinyx_target t;
    ck_assert_int_eq(tinyx_target_parse("xen-pv", &t), 0);
    ck_assert_int_eq(t, TINYX_XEN_PV);
    ck_assert_int_eq(tinyx_target_parse("xen-pvh", &t), 0);
    ck_assert_int_eq(t, TINYX_XEN_PVH);
    ck_assert_str_eq(tinyx_target_name(t), "xen-pvh");
    ck_assert_int_eq(tinyx_target_parse("hvm", &t), -EINVAL);
    ck_assert_int_eq(tinyx_target_parse("", &t), -EINVAL);
}
END_TEST

START_TEST(test_names_and_env)
{
    ck_assert(guestcfg_name_ok("sqlite3"));
    ck_assert(guestcfg_name_ok("a.b-c_d"));
    ck_assert(!guestcfg_name_ok("123"));
    ck_assert(!guestcfg_name_ok(""));
    ck_assert(!guestcfg_name_ok("a b"));
    ck_assert(!guestcfg_name_ok("-x"));
    ck_assert(rootfs_env_ok("A=1"));
    ck_assert(rootfs_env_ok("_x9="));
    ck_assert(rootfs_env_ok("X=a=b c"));
    ck_assert(!rootfs_env_ok("9A=1"));
    ck_assert(!rootfs_env_ok("=1"));
    ck_assert(!rootfs_env_ok("A-B=1"));
    ck_assert(!rootfs_env_ok("NOEQUALS"));
}
END_TEST

/* ------------------------------------------------------------ init */

static const char *const tricky_args[] = {
    "plain",       "with space", "it's", "$HOME", "`id`",        "a\"b",
    "back\\slash", "",           "-e",   "*",     "line\nbreak",
};
#define NTRICKY (sizeof(tricky_args) / sizeof(*tricky_args))

START_TEST(test_init_quoting_runs)
{
    /* A template whose "application" prints its arguments and a variable:
     * what sh makes of the generated block is what the guest will get. */
    const char *tmpl =
        "#!/bin/sh\n# @TINYX_APP@\nfor a in \"$@\"; do printf '[%s]' \"$a\"; "
        "done\n"
        "printf '{%s}{%s}{%s}' \"$GREETING\" \"$TINYX_WORKDIR\" \"$HOME\"\n";
    const char *env[] = { "GREETING=it's a \"test\" $x" };
    struct rootfs_input in = { .name = "t",
                               .app_dest = "/usr/bin/app",
                               .args = tricky_args,
                               .nargs = NTRICKY,
                               .env = env,
                               .nenv = 1,
                               .workdir = "/srv/my dir" };
    char *out = NULL;
    struct tx_error err;
    ck_assert_msg(rootfs_render_init(tmpl, &in, &out, &err) == 0, "%s",
                  err.msg);
    char *path = S("%s/init", D);
    tt_write_str(path, out);
    int st;
    char *got = tt_capture(&st, "sh %s", path);
    ck_assert_int_eq(st, 0);
    char *want =
        S("[/usr/bin/app][plain][with "
          "space][it's][$HOME][`id`][a\"b][back\\slash][]"
          "[-e][*][line\nbreak]{it's a \"test\" $x}{/srv/my dir}{/root}");
    ck_assert_str_eq(got, want);
    free(got);
    free(out);
}
END_TEST

START_TEST(test_init_template)
{
    char *tmpl = read_template();
    const char *args[] = { ":memory:", "select 6*7;" };
    const char *mods[] = { "/lib/modules/x/a.ko" };
    const char *dirs[] = { "/opt/lib", "/usr/local/lib" };
    struct rootfs_input in = { .name = "sq",
                               .app_dest = "/usr/bin/sqlite3",
                               .args = args,
                               .nargs = 2,
                               .modules = mods,
                               .module_dests = mods,
                               .nmodules = 1,
                               .libdirs = dirs,
                               .nlibdirs = 2 };
    char *out = NULL;
    struct tx_error err;
    ck_assert_msg(rootfs_render_init(tmpl, &in, &out, &err) == 0, "%s",
                  err.msg);
    ck_assert_ptr_null(strstr(out, ROOTFS_INIT_MARKER "\n"));
    ck_assert_ptr_nonnull(
        strstr(out, "set -- '/usr/bin/sqlite3' ':memory:' 'select 6*7;'\n"));
    ck_assert_ptr_nonnull(strstr(out, "TINYX_HOSTNAME='sq'\n"));
    ck_assert_ptr_nonnull(strstr(out, "TINYX_MODULES='/lib/modules/x/a.ko'\n"));
    ck_assert_ptr_nonnull(
        strstr(out, "export LD_LIBRARY_PATH='/opt/lib:/usr/local/lib'\n"));
    ck_assert_ptr_nonnull(
        strstr(out, "printf '\\036tinyx: exit status %s\\n' \"$status\""));
    ck_assert_ptr_nonnull(strstr(out, "poweroff -f"));
    ck_assert_int_eq(strncmp(out, "#!/bin/busybox sh\n", 18), 0);
    /* The whole script is valid sh. */
    char *path = S("%s/init", D);
    tt_write_str(path, out);
    ck_assert_int_eq(tt_sh("sh -n %s", path), 0);
    free(out);
    free(tmpl);
}
END_TEST

START_TEST(test_init_errors)
{
    struct rootfs_input in = { .name = "x", .app_dest = "/app" };
    char *out = NULL;
    struct tx_error err;
    /* No marker, or the marker only inside a longer line. */
    ck_assert_int_eq(rootfs_render_init("#!/bin/sh\necho\n", &in, &out, &err),
                     -EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "@TINYX_APP@"));
    ck_assert_int_eq(rootfs_render_init("x # @TINYX_APP@\n", &in, &out, &err),
                     -EINVAL);
    const char *env[] = { "OK=1", "BAD NAME=1" };
    in.env = env;
    in.nenv = 2;
    ck_assert_int_eq(rootfs_render_init("# @TINYX_APP@\n", &in, &out, &err),
                     -EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "BAD NAME=1"));
    ck_assert_ptr_null(out);
    /* The marker as the last line without a newline is fine. */
    in.nenv = 1;
    ck_assert_int_eq(rootfs_render_init("a\n# @TINYX_APP@", &in, &out, &err),
                     0);
    ck_assert_ptr_nonnull(strstr(out, "export OK='1'\n"));
    free(out);
}
END_TEST

/* ------------------------------------------------------------ spec */

START_TEST(test_spec_generation)
{
    char *tmpl = read_template();
    struct rootfs_extra extras[] = {
        { .src = "/data/dir", .dest = "/srv/data", .is_dir = true },
        { .src = "/x/plugin.so", .dest = "/usr/lib/plugin.so", .is_elf = true },
        { .src = "/x/my file.conf", .dest = "/etc/my file.conf" },
    };
    const char *libs[] = { "libgcc_s.so.1" };
    struct rootfs_input in = { .name = "app",
                               .app_src = "/build/app",
                               .app_dest = "/usr/bin/app",
                               .busybox = "/bin/busybox",
                               .extras = extras,
                               .nextras = 3,
                               .libs = libs,
                               .nlibs = 1,
                               .glibc = true };
    struct rootfs_plan p;
    struct tx_error err;
    ck_assert_msg(rootfs_make(tmpl, &in, &p, &err) == 0, "%s", err.msg);
    const char *want[] = {
        "dir /proc 0555\n",
        "dir /tmp 1777\n",
        "nod /dev/console c 5 1 0600\n",
        "elf /bin/busybox /bin/busybox 0755\n",
        "slink /bin/sh busybox\n",
        "file /init files/init 0755\n",
        "elf /usr/bin/app /build/app\n",
        "file /etc/passwd files/passwd 0644\n",
        "file /etc/nsswitch.conf files/nsswitch.conf 0644\n",
        "lib libgcc_s.so.1\n",
        "tree /srv/data /data/dir\n",
        "elf /usr/lib/plugin.so /x/plugin.so\n",
        "file \"/etc/my file.conf\" \"/x/my file.conf\"\n",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++)
        ck_assert_msg(strstr(p.spec, want[i]), "spec lacks %s:\n%s", want[i],
                      p.spec);
    /* Generated files: init and the four glibc /etc files. */
    ck_assert_uint_eq(p.ngen, 5);
    ck_assert_str_eq(p.gen[0].name, "init");
    ck_assert_uint_eq(p.gen[0].mode, 0755);
    bool passwd = false;
    for (size_t i = 0; i < p.ngen; i++)
        if (strcmp(p.gen[i].name, "passwd") == 0)
            passwd = strstr(p.gen[i].data, "root:x:0:0:") != NULL;
    ck_assert(passwd);
    /* The packer's parser takes it, every line. */
    struct spec s;
    ck_assert_msg(
        spec_parse(p.spec, strlen(p.spec), "t.spec", "/gen", &s, &err) == 0,
        "%s", err.msg);
    ck_assert_uint_ge(s.n, 13);
    bool found_init = false;
    for (size_t i = 0; i < s.n; i++)
        if (s.v[i].dest && strcmp(s.v[i].dest, "/init") == 0)
            found_init = strcmp(s.v[i].src, "/gen/files/init") == 0;
    ck_assert(found_init);
    spec_free(&s);
    rootfs_plan_free(&p);

    /* Not glibc: no /etc files. */
    in.glibc = false;
    in.nextras = 0;
    in.nlibs = 0;
    ck_assert(rootfs_make(tmpl, &in, &p, &err) == 0);
    ck_assert_uint_eq(p.ngen, 1);
    ck_assert_ptr_null(strstr(p.spec, "/etc/passwd"));
    rootfs_plan_free(&p);
    free(tmpl);
}
END_TEST

/* The spec of a real host program packs, and /init, busybox, the program
 * and its libraries are in the archive. */
START_TEST(test_spec_packs)
{
    char *tmpl = read_template();
    struct rootfs_input in = { .name = "t",
                               .app_src = "/bin/true",
                               .app_dest = "/bin/true",
                               .busybox = "/bin/true",
                               .glibc = true };
    struct rootfs_plan p;
    struct tx_error err;
    ck_assert(rootfs_make(tmpl, &in, &p, &err) == 0);
    tt_mkdirs(S("%s/files", D));
    for (size_t i = 0; i < p.ngen; i++) {
        char *f = S("%s/files/%s", D, p.gen[i].name);
        tt_write(f, p.gen[i].data, p.gen[i].len);
    }
    struct spec s;
    ck_assert(spec_parse(p.spec, strlen(p.spec), "t.spec", D, &s, &err) == 0);
    struct initramfs_opts po = { 0 };
    struct image img;
    ck_assert_msg(initramfs_plan(&s, &po, &img, &err) == 0, "%s", err.msg);
    bool init = false, libc = false, etc = false;
    for (size_t i = 0; i < img.n; i++) {
        init |= strcmp(img.v[i].path, "/init") == 0 && img.v[i].mode == 0755;
        libc |= strstr(img.v[i].path, "libc.so.6") != NULL;
        etc |= strcmp(img.v[i].path, "/etc/nsswitch.conf") == 0;
    }
    ck_assert(init && libc && etc);
    image_free(&img);
    spec_free(&s);
    rootfs_plan_free(&p);
    free(tmpl);
}
END_TEST

/* ------------------------------------------------------------ config */

START_TEST(test_config_reads_back)
{
    struct guestcfg cfg = { .name = "sq",
                            .target = TINYX_XEN_PVH,
                            .kernel = "/img/vmlinuz",
                            .ramdisk = "/img/a \"b\".gz",
                            .memory_mib = 96,
                            .extra = "console=hvc0 quiet" };
    char *text = NULL;
    struct tx_error err;
    ck_assert_msg(guestcfg_render(&cfg, &text, &err) == 0, "%s", err.msg);
    ck_assert_ptr_nonnull(strstr(text, "type     = \"pvh\"\n"));
    ck_assert_ptr_nonnull(strstr(text, "vcpus    = 1\n"));
    /* chaos's own parser reads it, with the same values. */
    chaos_config *c = chaos_config_new();
    ck_assert_msg(chaos_config_parse(c, text, strlen(text), "guest.cfg") == 0,
                  "%s", chaos_config_errmsg(c));
    ck_assert_msg(chaos_config_validate(c) == 0, "%s", chaos_config_errmsg(c));
    ck_assert_str_eq(chaos_config_name(c), "sq");
    ck_assert_int_eq(chaos_config_type(c), CHAOS_GUEST_PVH);
    ck_assert_str_eq(chaos_config_kernel(c), "/img/vmlinuz");
    ck_assert_str_eq(chaos_config_ramdisk(c), "/img/a \"b\".gz");
    ck_assert_str_eq(chaos_config_cmdline(c), "console=hvc0 quiet");
    ck_assert_uint_eq(chaos_config_memory_mib(c), 96);
    ck_assert_int_eq(chaos_config_action(c, CHAOS_ON_REBOOT),
                     CHAOS_ACTION_DESTROY);
    chaos_config_free(c);
    free(text);

    cfg.target = TINYX_XEN_PV;
    ck_assert(guestcfg_render(&cfg, &text, &err) == 0);
    ck_assert_ptr_nonnull(strstr(text, "type     = \"pv\"\n"));
    free(text);
}
END_TEST

START_TEST(test_config_errors)
{
    struct guestcfg cfg = { .name = "42",
                            .kernel = "k",
                            .ramdisk = "r",
                            .memory_mib = 64,
                            .extra = "" };
    char *text = NULL;
    struct tx_error err;
    ck_assert_int_eq(guestcfg_render(&cfg, &text, &err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "42"));
    cfg.name = "ok";
    cfg.memory_mib = 0;
    ck_assert_int_eq(guestcfg_render(&cfg, &text, &err), -EINVAL);
    cfg.memory_mib = 64;
    cfg.extra = "a\nb";
    ck_assert_int_eq(guestcfg_render(&cfg, &text, &err), -EINVAL);
    ck_assert_ptr_null(text);
}
END_TEST

START_TEST(test_memory_rule)
{
    const uint64_t M = 1024 * 1024;
    /* base + compressed + unpacked + 16 headroom, up to a multiple of 8 */
    ck_assert_uint_eq(guestcfg_memory_mib(64, 0, 0), 80);
    ck_assert_uint_eq(guestcfg_memory_mib(64, 3 * M + 1, 7 * M), 96);
    ck_assert_uint_eq(guestcfg_memory_mib(32, 1, 1), 56);
    ck_assert_uint_eq(guestcfg_memory_mib(64, 100 * M, 400 * M), 584);
}
END_TEST

/* ------------------------------------------------------------ Debian records */

START_TEST(test_debpkg_record)
{
    const char *text =
        "Package: sqlite3\n"
        "Version: 1:3.40.1-2\n"
        "Architecture: amd64\n"
        "Pre-Depends: dpkg (>= 1.15)\n"
        "Depends: libc6 (>= 2.34), libreadline8 (>= 6.0), libsqlite3-0 (= "
        "3.40.1-2),\n"
        " zlib1g:any | zlib-virtual, debconf (>= 0.5) | debconf-2.0\n"
        "Description: x\n"
        "\n"
        "Package: other\nVersion: 2\nArchitecture: all\nDepends: nothing\n";
    struct debpkg p;
    struct tx_error err;
    ck_assert_msg(debpkg_parse_record(text, &p, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(p.name, "sqlite3");
    ck_assert_str_eq(p.version, "1:3.40.1-2");
    ck_assert_str_eq(p.arch, "amd64");
    ck_assert_uint_eq(p.depends.n, 6);
    ck_assert_str_eq(p.depends.v[0], "dpkg");
    ck_assert_str_eq(p.depends.v[1], "libc6");
    ck_assert_str_eq(p.depends.v[3], "libsqlite3-0");
    ck_assert_str_eq(p.depends.v[4], "zlib1g|zlib-virtual");
    ck_assert_str_eq(p.depends.v[5], "debconf|debconf-2.0");
    char *deb = debpkg_deb_name(&p);
    ck_assert_str_eq(deb, "sqlite3_1%3a3.40.1-2_amd64.deb");
    free(deb);
    debpkg_free(&p);

    ck_assert_int_eq(debpkg_parse_record("", &p, &err), -ENOENT);
    ck_assert_int_eq(
        debpkg_parse_record("Package: x\nArchitecture: all\n", &p, &err),
        -EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "Version"));
}
END_TEST

START_TEST(test_debpkg_bad_names)
{
    struct debpkg p;
    struct tx_error err;
    ck_assert_int_eq(debpkg_lookup("-x", &p, &err), -EINVAL);
    ck_assert_int_eq(debpkg_lookup("a/b", &p, &err), -EINVAL);
    ck_assert_int_eq(debpkg_lookup("", &p, &err), -EINVAL);
}
END_TEST

/* ------------------------------------------------------------ kernel config */

START_TEST(test_kernel_fragment)
{
    char *pv = kernel_fragment(TINYX_XEN_PV),
         *pvh = kernel_fragment(TINYX_XEN_PVH);
    ck_assert_ptr_nonnull(strstr(pv, "\nCONFIG_XEN_PV=y\n"));
    ck_assert_ptr_null(strstr(pv, "CONFIG_XEN_PVH=y"));
    ck_assert_ptr_nonnull(strstr(pvh, "\nCONFIG_XEN_PVH=y\n"));
    const char *common[] = {
        "CONFIG_HVC_XEN=y",    "CONFIG_BLK_DEV_INITRD=y", "CONFIG_RD_GZIP=y",
        "CONFIG_DEVTMPFS=y",   "CONFIG_BINFMT_SCRIPT=y",  "CONFIG_FUTEX=y",
        "CONFIG_PROC_SYSCTL=y"
    };
    for (size_t i = 0; i < sizeof(common) / sizeof(*common); i++) {
        ck_assert_ptr_nonnull(strstr(pv, common[i]));
        ck_assert_ptr_nonnull(strstr(pvh, common[i]));
    }
    /* A config that has all of them passes; one dropped by kconfig shows. */
    struct tx_strv missing = { 0 };
    char *config = S("# comment\nCONFIG_FOO=m\n%s", pv);
    ck_assert_int_eq(kernel_config_check(config, pv, &missing), 0);
    ck_assert_uint_eq(missing.n, 0);
    const char *partial =
        "CONFIG_XEN=y\n# CONFIG_XEN_PV is not set\nCONFIG_XEN_PVX=y\n";
    ck_assert_int_eq(kernel_config_check(
                         partial, "CONFIG_XEN=y\nCONFIG_XEN_PV=y\n", &missing),
                     0);
    ck_assert_uint_eq(missing.n, 1);
    ck_assert_str_eq(missing.v[0], "CONFIG_XEN_PV");
    tx_strv_free(&missing);
    free(pv);
    free(pvh);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tinyx build (pure parts)");
    TCase *tc = tcase_create("all");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_targets);
    tcase_add_test(tc, test_names_and_env);
    tcase_add_test(tc, test_init_quoting_runs);
    tcase_add_test(tc, test_init_template);
    tcase_add_test(tc, test_init_errors);
    tcase_add_test(tc, test_spec_generation);
    tcase_add_test(tc, test_spec_packs);
    tcase_add_test(tc, test_config_reads_back);
    tcase_add_test(tc, test_config_errors);
    tcase_add_test(tc, test_memory_rule);
    tcase_add_test(tc, test_debpkg_record);
    tcase_add_test(tc, test_debpkg_bad_names);
    tcase_add_test(tc, test_kernel_fragment);
    suite_add_tcase(s, tc);
    return check_run(s);
}
