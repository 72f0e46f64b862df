/*
 * test_tinyx_kmod.c - the modules.dep and modules.builtin reader behind
 * `tinyx build --module` (tinyx/kmod.c): load order (dependencies first,
 * each module once), names with '-' or '_', built-in modules, unknown
 * names, compressed module files, and malformed or empty files.
 *
 * The texts are lines of Debian 12's linux-image-6.1.0-*-amd64 (what
 * `depmod -n` makes of the package's tree, which ships no modules.dep), cut
 * down to the modules used here.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "kmod.h"
#include "check_run.h"

static const char real_dep[] =
    "kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko kernel/fs/fscache/fscache.ko "
    "kernel/fs/netfs/netfs.ko\n"
    "kernel/fs/btrfs/btrfs.ko: kernel/crypto/xor.ko "
    "kernel/lib/raid6/raid6_pq.ko "
    "kernel/lib/zstd/zstd_compress.ko kernel/lib/libcrc32c.ko\n"
    "kernel/drivers/block/xen-blkfront.ko:\n"
    "kernel/drivers/net/xen-netfront.ko:\n"
    "kernel/net/9p/9pnet.ko:\n"
    "kernel/fs/fscache/fscache.ko: kernel/fs/netfs/netfs.ko\n"
    "kernel/fs/netfs/netfs.ko:\n"
    "kernel/crypto/xor.ko:\n"
    "kernel/lib/raid6/raid6_pq.ko:\n"
    "kernel/lib/zstd/zstd_compress.ko:\n"
    "kernel/lib/libcrc32c.ko:\n"
    "kernel/net/netfilter/nf_tables.ko: kernel/net/netfilter/nfnetlink.ko "
    "kernel/lib/libcrc32c.ko\n"
    "kernel/net/netfilter/nfnetlink.ko:\n";

static const char real_builtin[] =
    "kernel/drivers/video/fbdev/xen-fbfront.ko\n"
    "kernel/drivers/xen/xenbus/xenbus.ko\n"
    "kernel/drivers/input/misc/xen-kbdfront.ko\n";

static struct kmod_plan plan;
static struct tx_error err;

static int plan_of(const char *dep, const char *builtin, int n, ...)
{
    const char *names[16];
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        names[i] = va_arg(ap, const char *);
    va_end(ap);
    memset(&err, 0, sizeof(err));
    return kmod_plan(dep, strlen(dep), builtin, builtin ? strlen(builtin) : 0,
                     names, (size_t)n, &plan, &err);
}

/* The plan's load list, space-separated. */
static char *load_list(void)
{
    static char buf[4096];
    buf[0] = '\0';
    for (size_t i = 0; i < plan.load.n; i++) {
        if (i)
            strcat(buf, " ");
        strcat(buf, plan.load.v[i]);
    }
    return buf;
}

static void teardown(void)
{
    kmod_plan_free(&plan);
}

START_TEST(test_deps_first)
{
    /* 9p's line lists 9pnet fscache netfs: modprobe loads them last to
     * first (netfs before fscache, which needs it), then 9p. */
    ck_assert_int_eq(plan_of(real_dep, real_builtin, 1, "9p"), 0);
    ck_assert_str_eq(load_list(),
                     "kernel/fs/netfs/netfs.ko kernel/fs/fscache/fscache.ko "
                     "kernel/net/9p/9pnet.ko kernel/fs/9p/9p.ko");
    ck_assert_uint_eq(plan.builtin.n, 0);
    kmod_plan_free(&plan);
    /* A module without dependencies is just itself. */
    ck_assert_int_eq(plan_of(real_dep, real_builtin, 1, "xen-netfront"), 0);
    ck_assert_str_eq(load_list(), "kernel/drivers/net/xen-netfront.ko");
}
END_TEST

START_TEST(test_each_once)
{
    /* libcrc32c is needed by both; 9pnet asked for before 9p, then again
     * through it; nfnetlink after being loaded for nf_tables. */
    ck_assert_int_eq(plan_of(real_dep, NULL, 5, "btrfs", "nf_tables", "9pnet",
                             "9p", "nfnetlink"),
                     0);
    ck_assert_str_eq(
        load_list(),
        "kernel/lib/libcrc32c.ko kernel/lib/zstd/zstd_compress.ko "
        "kernel/lib/raid6/raid6_pq.ko kernel/crypto/xor.ko "
        "kernel/fs/btrfs/btrfs.ko "
        "kernel/net/netfilter/nfnetlink.ko kernel/net/netfilter/nf_tables.ko "
        "kernel/net/9p/9pnet.ko kernel/fs/netfs/netfs.ko "
        "kernel/fs/fscache/fscache.ko kernel/fs/9p/9p.ko");
}
END_TEST

START_TEST(test_dash_underscore)
{
    /* The file says xen-netfront and raid6_pq; either spelling finds
     * either, and the same module asked for twice is loaded once. */
    ck_assert_int_eq(plan_of(real_dep, real_builtin, 4, "xen_netfront",
                             "raid6-pq", "xen-netfront", "xen_netfront"),
                     0);
    ck_assert_str_eq(load_list(), "kernel/drivers/net/xen-netfront.ko "
                                  "kernel/lib/raid6/raid6_pq.ko");
}
END_TEST

START_TEST(test_unknown)
{
    ck_assert_int_eq(
        plan_of(real_dep, real_builtin, 2, "xen-netfront", "no-such-mod"),
        -ENOENT);
    ck_assert_msg(strstr(err.msg, "no module no-such-mod"), "%s", err.msg);
    ck_assert_uint_eq(plan.load.n, 0); /* nothing half-planned */
    /* A path or a file name is not a module name. */
    ck_assert_int_eq(plan_of(real_dep, NULL, 1, "xen-netfront.ko"), -ENOENT);
    ck_assert_int_eq(
        plan_of(real_dep, NULL, 1, "kernel/drivers/net/xen-netfront"), -EINVAL);
    ck_assert_int_eq(plan_of(real_dep, NULL, 1, ""), -EINVAL);
    ck_assert_int_eq(plan_of(real_dep, NULL, 1, "xen netfront"), -EINVAL);
    ck_assert(kmod_name_ok("xen-netfront"));
    ck_assert(!kmod_name_ok("a/b") && !kmod_name_ok("") &&
              !kmod_name_ok("a\tb"));
}
END_TEST

START_TEST(test_builtin)
{
    /* Built in: nothing to load, the name as given in plan.builtin. */
    ck_assert_int_eq(plan_of(real_dep, real_builtin, 3, "xen-fbfront", "9pnet",
                             "xen_kbdfront"),
                     0);
    ck_assert_str_eq(load_list(), "kernel/net/9p/9pnet.ko");
    ck_assert_uint_eq(plan.builtin.n, 2);
    ck_assert_str_eq(plan.builtin.v[0], "xen-fbfront");
    ck_assert_str_eq(plan.builtin.v[1], "xen_kbdfront");
    kmod_plan_free(&plan);
    /* Without modules.builtin, a built-in module is just unknown. */
    ck_assert_int_eq(plan_of(real_dep, NULL, 1, "xen-fbfront"), -ENOENT);
}
END_TEST

START_TEST(test_compressed)
{
    /* Compressed module files: names and order are the same, the paths
     * are the files'. */
    const char *dep = "kernel/fs/9p/9p.ko.xz: kernel/net/9p/9pnet.ko.zst\n"
                      "kernel/net/9p/9pnet.ko.zst:\n"
                      "kernel/a/old.ko.gz:";
    ck_assert_int_eq(plan_of(dep, NULL, 2, "9p", "old"), 0);
    ck_assert_str_eq(load_list(),
                     "kernel/net/9p/9pnet.ko.zst kernel/fs/9p/9p.ko.xz "
                     "kernel/a/old.ko.gz");
    ck_assert_uint_eq(kmod_compression_len("a/b.ko.xz"), 3);
    ck_assert_uint_eq(kmod_compression_len("a/b.ko.zst"), 4);
    ck_assert_uint_eq(kmod_compression_len("a/b.ko.gz"), 3);
    ck_assert_uint_eq(kmod_compression_len("a/b.ko"), 0);
    ck_assert_uint_eq(kmod_compression_len("a/b.xz"), 0);
}
END_TEST

START_TEST(test_first_line_wins)
{
    /* Two modules of one name (an override): depmod lists the preferred
     * one first, and modprobe takes the first. */
    const char *dep = "updates/x.ko:\nkernel/x.ko: kernel/y.ko\nkernel/y.ko:\n";
    ck_assert_int_eq(plan_of(dep, NULL, 1, "x"), 0);
    ck_assert_str_eq(load_list(), "updates/x.ko");
}
END_TEST

START_TEST(test_blank_and_comments)
{
    const char *dep =
        "\n# made by hand\n   \nkernel/a.ko:\t kernel/b.ko  \r\n\nkernel/b.ko:";
    ck_assert_int_eq(plan_of(dep, "# none\n\n", 1, "a"), 0);
    ck_assert_str_eq(load_list(), "kernel/b.ko kernel/a.ko");
}
END_TEST

START_TEST(test_malformed)
{
    static const struct {
        const char *dep, *builtin, *line;
    } cases[] = {
        { "kernel/a.ko:\nkernel/b.ko\n", NULL, "modules.dep, line 2: no ':'" },
        { "/lib/modules/6.1/kernel/a.ko:\n", NULL,
          "modules.dep, line 1: not a relative" },
        { "kernel/../../../etc/a.ko:\n", NULL,
          "modules.dep, line 1: not a relative" },
        { "..:\n", NULL, "modules.dep, line 1: not a relative" },
        { "kernel/a.o:\n", NULL, "modules.dep, line 1: not a relative" },
        { "kernel/.ko:\n", NULL, "modules.dep, line 1: not a relative" },
        { ".ko:\n", NULL, "modules.dep, line 1: not a relative" },
        { ":\n", NULL, "modules.dep, line 1: not a relative" },
        { "kernel/a.ko extra: kernel/b.ko\n", NULL,
          "modules.dep, line 1: not a relative" },
        { "kernel/a.ko: kernel/b.txt\n", NULL,
          "modules.dep, line 1: a dependency" },
        { "kernel/a.ko: ../b.ko\n", NULL, "modules.dep, line 1: a dependency" },
        { "kernel/a.ko: kernel/b.ko:\n", NULL,
          "modules.dep, line 1: a dependency" },
        { "kernel/a.ko:\n", "kernel/b.ko kernel/c.ko\n",
          "modules.builtin, line 1" },
        { "kernel/a.ko:\n", "\nkernel/b\n", "modules.builtin, line 2" },
        { "kernel/a.ko:\n", "/kernel/b.ko\n", "modules.builtin, line 1" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        int r = plan_of(cases[i].dep, cases[i].builtin, 1, "a");
        ck_assert_msg(r == -EINVAL, "case %zu: %d", i, r);
        ck_assert_msg(strstr(err.msg, cases[i].line), "case %zu: %s", i,
                      err.msg);
        ck_assert_uint_eq(plan.load.n, 0);
    }
    /* A NUL byte inside a line. */
    const char nul[] = "kernel/a\0b.ko:\n";
    const char *name = "a";
    ck_assert_int_eq(
        kmod_plan(nul, sizeof(nul) - 1, NULL, 0, &name, 1, &plan, &err),
        -EINVAL);
}
END_TEST

START_TEST(test_empty)
{
    /* No names: nothing to do, whatever the files. */
    ck_assert_int_eq(plan_of("", NULL, 0), 0);
    ck_assert_uint_eq(plan.load.n + plan.builtin.n, 0);
    /* An empty modules.dep knows no module. */
    ck_assert_int_eq(plan_of("", "", 1, "a"), -ENOENT);
    ck_assert_int_eq(plan_of("\n\n", NULL, 1, "a"), -ENOENT);
    const char *name = "a";
    ck_assert_int_eq(kmod_plan(NULL, 0, NULL, 0, &name, 1, &plan, &err),
                     -ENOENT);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tinyx kmod");
    TCase *tc = tcase_create("all");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, test_deps_first);
    tcase_add_test(tc, test_each_once);
    tcase_add_test(tc, test_dash_underscore);
    tcase_add_test(tc, test_unknown);
    tcase_add_test(tc, test_builtin);
    tcase_add_test(tc, test_compressed);
    tcase_add_test(tc, test_first_line_wins);
    tcase_add_test(tc, test_blank_and_comments);
    tcase_add_test(tc, test_malformed);
    tcase_add_test(tc, test_empty);
    suite_add_tcase(s, tc);
    return check_run(s);
}
