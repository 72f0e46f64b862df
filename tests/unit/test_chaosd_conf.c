/*
 * test_chaosd_conf.c - the chaosd.conf parser: defaults, every setting,
 * flavors, and the FILE:LINE message of every error.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "check_run.h"

static struct chaosd_conf conf;
static char err[256];

static int parse(const char *text)
{
    return chaosd_conf_parse(&conf, text, strlen(text), "c.conf", err,
                             sizeof(err));
}

#define ck_parse_ok(text) ck_assert_msg(parse(text) == 0, "%s", err)
#define ck_parse_err(text, msg)                 \
    do {                                        \
        ck_assert_int_eq(parse(text), -EINVAL); \
        ck_assert_str_eq(err, (msg));           \
    } while (0)

START_TEST(defaults)
{
    ck_parse_ok("");
    ck_assert_str_eq(conf.socket_path, "/run/chaos/chaosd.sock");
    ck_assert_str_eq(conf.socket_group, "chaos");
    ck_assert_str_eq(conf.admin_group, "chaos");
    ck_assert_uint_eq(conf.refill_workers, 1);
    ck_assert_uint_eq(conf.n_flavors, 0);
}
END_TEST

START_TEST(full_file)
{
    ck_parse_ok("# chaosd\n"
                "socket = \"/tmp/x.sock\"   # trailing comment\n"
                "socket_group = \"\"\n"
                "admin_group = \"vmops\"\n"
                "idle_memory_mib = 1024\r\n"
                "kernel_cache_mib = 64\n"
                "refill_workers = 2\n"
                "ready_timeout_s = 5\n"
                "\n"
                "[flavor uk-pv]\n"
                "type = \"pv\"\n"
                "memory = 4\n"
                "pool = 8\n"
                "  [ flavor   big.pvh_1 ]  # spaces are fine\n"
                "type=\"pvh\"\n"
                "memory=256\n"
                "maxmem=512\n"
                "vcpus=2\n"
                "restore = \"yes\"\n");
    ck_assert_str_eq(conf.socket_path, "/tmp/x.sock");
    ck_assert_str_eq(conf.socket_group, "");
    ck_assert_str_eq(conf.admin_group, "vmops");
    ck_assert_uint_eq(conf.idle_memory_mib, 1024);
    ck_assert_uint_eq(conf.kernel_cache_mib, 64);
    ck_assert_uint_eq(conf.refill_workers, 2);
    ck_assert_uint_eq(conf.ready_timeout_s, 5);
    ck_assert_uint_eq(conf.n_flavors, 2);
    const struct chaosd_flavor *f = chaosd_conf_flavor(&conf, "uk-pv");
    ck_assert_ptr_nonnull(f);
    ck_assert(!f->pvh);
    ck_assert_uint_eq(f->memory_mib, 4);
    ck_assert_uint_eq(f->maxmem_mib, 4);
    ck_assert_uint_eq(f->vcpus, 1);
    ck_assert_uint_eq(f->pool, 8);
    ck_assert(!f->restore);
    ck_assert(!f->in_place);
    f = chaosd_conf_flavor(&conf, "big.pvh_1");
    ck_assert(f->pvh);
    ck_assert(f->restore);
    ck_assert(!f->in_place);
    ck_assert_uint_eq(f->maxmem_mib, 512);
    ck_assert_uint_eq(f->vcpus, 2);
    ck_assert_uint_eq(f->pool, 0);
    ck_assert_ptr_null(chaosd_conf_flavor(&conf, "nope"));
}
END_TEST

START_TEST(in_place_flavor)
{
    ck_parse_ok("[flavor ip]\n"
                "restore = \"in-place\"\n"
                "type = \"pvh\"\n"
                "memory = 4\n"
                "pool = 2\n"
                "[flavor rs]\n"
                "type = \"pvh\"\n"
                "memory = 4\n"
                "restore = \"no\"\n");
    const struct chaosd_flavor *f = chaosd_conf_flavor(&conf, "ip");
    ck_assert(f->pvh);
    ck_assert(f->restore);
    ck_assert(f->in_place);
    ck_assert_uint_eq(f->pool, 2);
    f = chaosd_conf_flavor(&conf, "rs");
    ck_assert(!f->restore);
    ck_assert(!f->in_place);
}
END_TEST

START_TEST(image_flavor)
{
    ck_parse_ok("[flavor hello]\n"
                "memory = 4\n"
                "kernel = \"/usr/libexec/chaos/unikernel/hello\"\n"
                "ramdisk = \"/boot/initrd\"\n"
                "cmdline = \"sleep_ms=1000 x=\"\n"
                "pool = 2\n"
                "[flavor plain]\n"
                "memory = 4\n");
    const struct chaosd_flavor *f = chaosd_conf_flavor(&conf, "hello");
    ck_assert_str_eq(f->kernel, "/usr/libexec/chaos/unikernel/hello");
    ck_assert_str_eq(f->ramdisk, "/boot/initrd");
    ck_assert_str_eq(f->cmdline, "sleep_ms=1000 x=");
    ck_assert(!f->cmdline_per_request);
    f = chaosd_conf_flavor(&conf, "plain");
    ck_assert_str_eq(f->kernel, "");
    ck_assert_str_eq(f->cmdline, "");
    ck_parse_ok("[flavor any]\n"
                "memory = 4\n"
                "kernel = \"/k\"\n"
                "cmdline_per_request = \"yes\"\n");
    f = chaosd_conf_flavor(&conf, "any");
    ck_assert(f->cmdline_per_request);
    ck_assert_str_eq(f->cmdline, "");
}
END_TEST

START_TEST(template_flavor)
{
    ck_parse_ok("[flavor web]\n"
                "memory = 4\n"
                "template = \"/etc/chaos/web.cfg\"\n"
                "template_ready = \"listening on port 80\"\n"
                "pool = 4\n"
                "[flavor quick]\n"
                "memory = 4\n"
                "template = \"/etc/chaos/q.cfg\"\n"
                "template_ready = \"up\"\n"
                "template_timeout_s = 5\n"
                "template_warm = \"resumed\"\n"
                "template_warm_ip = \"10.0.128.0/16\"\n");
    const struct chaosd_flavor *f = chaosd_conf_flavor(&conf, "web");
    ck_assert_str_eq(f->template_cfg, "/etc/chaos/web.cfg");
    ck_assert_str_eq(f->template_ready, "listening on port 80");
    ck_assert_uint_eq(f->template_timeout_s, 60);
    ck_assert_uint_eq(f->pool, 4);
    ck_assert_str_eq(f->template_warm, "");
    f = chaosd_conf_flavor(&conf, "quick");
    ck_assert_uint_eq(f->template_timeout_s, 5);
    ck_assert_str_eq(f->template_warm, "resumed");
    ck_assert_uint_eq(f->warm_ip_base, 10u << 24 | 128u << 8);
    ck_assert_uint_eq(f->warm_ip_len, 16);
}
END_TEST

/* Each bad template setting names the file, its line and the key. */
START_TEST(template_errors)
{
    ck_parse_err("[flavor a]\nmemory=4\ntemplate=\"web.cfg\"\n",
                 "c.conf:3: template must be an absolute path");
    ck_parse_err("[flavor a]\nmemory=4\ntemplate=1\n",
                 "c.conf:3: template must be a \"quoted string\"");
    ck_parse_err("[flavor a]\nmemory=4\ntemplate=\"/w.cfg\"\npool=1\n",
                 "c.conf:3: flavor 'a': template needs template_ready (the "
                 "console line that says the guest is ready)");
    ck_parse_err("[flavor a]\nmemory=4\ntemplate_ready=\"up\"\n",
                 "c.conf:3: flavor 'a': template_ready and "
                 "template_timeout_s need a template");
    ck_parse_err("[flavor a]\nmemory=4\ntemplate_ready=\"\"\n",
                 "c.conf:3: template_ready must not be empty");
    ck_parse_err("[flavor a]\nmemory=4\ntemplate=\"/w.cfg\"\n"
                 "template_ready=\"up\"\ntemplate_timeout_s=0\n",
                 "c.conf:5: template_timeout_s must be between 1 and 3600");
    ck_parse_err("[flavor a]\nmemory=4\ntemplate=\"/w.cfg\"\n"
                 "template_ready=\"up\"\nkernel=\"/k\"\n",
                 "c.conf:5: flavor 'a': a template flavor has no kernel (the "
                 "template config names it)");
    ck_parse_err("[flavor a]\nmemory=4\nrestore=\"yes\"\n"
                 "template=\"/w.cfg\"\ntemplate_ready=\"up\"\n",
                 "c.conf:3: flavor 'a': a template flavor cannot be a restore "
                 "flavor");
    ck_parse_err("[flavor a]\nmemory=4\ntemplate=\"/w.cfg\"\n"
                 "template_ready=\"up\"\nvif=\"bridge=br0\"\n",
                 "c.conf:3: flavor 'a': template flavors have no vifs yet "
                 "(each clone would need its own MAC)");
    ck_parse_err("[flavor a]\nmemory=4\ntemplate_warm=\"up\"\n",
                 "c.conf:3: flavor 'a': template_warm and template_warm_ip "
                 "need a template");
    ck_parse_err("[flavor a]\nmemory=4\ntemplate=\"/w.cfg\"\n"
                 "template_ready=\"up\"\ntemplate_warm_ip=\"10.0.0.0/8\"\n",
                 "c.conf:5: flavor 'a': template_warm_ip needs template_warm "
                 "(the console line a resumed guest prints)");
    ck_parse_err("[flavor a]\nmemory=4\ntemplate=\"/w.cfg\"\n"
                 "template_ready=\"up\"\ntemplate_warm_ip=\"10.0.0/8\"\n",
                 "c.conf:5: template_warm_ip must be \"A.B.C.D/LEN\" (an IPv4 "
                 "address, LEN 1-30)");
    ck_parse_err("[flavor a]\nmemory=4\ntemplate=\"/w.cfg\"\n"
                 "template_ready=\"up\"\ntemplate_warm=\"\"\n",
                 "c.conf:5: template_warm must not be empty");
}
END_TEST

START_TEST(errors)
{
    ck_parse_err("\n\nfoo = 1\n", "c.conf:3: unknown setting 'foo'");
    ck_parse_err("socket = relative\n",
                 "c.conf:1: a value is a \"quoted string\" or a number");
    ck_parse_err("socket = \"run/x\"\n",
                 "c.conf:1: socket must be an absolute path");
    ck_parse_err("socket = \"/x\n", "c.conf:1: missing closing '\"'");
    ck_parse_err("socket = 5\n",
                 "c.conf:1: socket must be a \"quoted string\"");
    ck_parse_err("admin_group = 0\n",
                 "c.conf:1: admin_group must be a \"quoted string\"");
    ck_parse_err("admin_group = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n",
                 "c.conf:1: admin_group is too long (at most 32 bytes)");
    ck_parse_err("idle_memory_mib = \"5\"\n",
                 "c.conf:1: idle_memory_mib must be a number");
    ck_parse_err("refill_workers = 0\n",
                 "c.conf:1: refill_workers must be between 1 and 8");
    ck_parse_err("refill_workers = 99999999999999999999999\n",
                 "c.conf:1: number too large");
    ck_parse_err("ready_timeout_s = 5 6\n",
                 "c.conf:1: unexpected text after the value");
    ck_parse_err(
        "just words\n",
        "c.conf:1: expected 'key = value', a [flavor NAME] or a comment");
    ck_parse_err("[pool x]\n",
                 "c.conf:1: unknown section (expected [flavor NAME])");
    ck_parse_err("[flavor a/b]\n",
                 "c.conf:1: a flavor name is letters, digits, "
                 "'-', '_' or '.', then ']'");
    ck_parse_err("[flavor ]\n", "c.conf:1: a flavor name is letters, digits, "
                                "'-', '_' or '.', then ']'");
    ck_parse_err("[flavor a] x\n", "c.conf:1: unexpected text after ']'");
    ck_parse_err("[flavor a]\nmemory=4\n[flavor a]\n",
                 "c.conf:3: flavor 'a' is defined twice");
    ck_parse_err("[flavor a]\ntype=\"hvm\"\n",
                 "c.conf:2: type must be \"pv\" or \"pvh\"");
    ck_parse_err("[flavor a]\npool=1\n",
                 "c.conf:1: flavor 'a' has no memory setting");
    ck_parse_err("[flavor a]\npool=1\n[flavor b]\nmemory=1\n",
                 "c.conf:1: flavor 'a' has no memory setting");
    ck_parse_err("[flavor a]\nmaxmem=4\nmemory=8\n\n",
                 "c.conf:2: flavor 'a': maxmem (4) is less than memory (8)");
    ck_parse_err("[flavor a]\nmemory=8\nsocket=\"/x\"\n",
                 "c.conf:3: 'socket' is a global setting: put it before the "
                 "first [flavor]");
    ck_parse_err("[flavor a]\nmemory=8\nsockets=\"/x\"\n",
                 "c.conf:3: unknown flavor setting 'sockets' (type, memory, "
                 "maxmem, vcpus, pool, vif, restore, kernel, ramdisk, "
                 "cmdline, cmdline_per_request, template, template_ready, "
                 "template_timeout_s, template_warm, template_warm_ip)");
    ck_parse_err("[flavor a]\nmemory=8\nkernel=\"hello\"\n",
                 "c.conf:3: kernel must be an absolute path");
    ck_parse_err("[flavor a]\nmemory=8\nramdisk=4\n",
                 "c.conf:3: ramdisk must be a quoted string");
    ck_parse_err("[flavor a]\nmemory=8\ncmdline=\"x\"\npool=1\n",
                 "c.conf:3: flavor 'a': ramdisk and cmdline need a kernel");
    ck_parse_err("[flavor a]\nmemory=8\ncmdline_per_request=\"yes\"\n",
                 "c.conf:3: flavor 'a': cmdline_per_request needs a kernel");
    ck_parse_err("[flavor a]\nmemory=8\nkernel=\"/k\"\ncmdline=\"x\"\n"
                 "cmdline_per_request=\"yes\"\n",
                 "c.conf:5: flavor 'a': with cmdline_per_request each create "
                 "brings its command line; the flavor's cmdline would never "
                 "be used");
    ck_parse_err("[flavor a]\nmemory=8\nkernel=\"/k\"\n"
                 "cmdline_per_request=1\n",
                 "c.conf:4: cmdline_per_request must be \"yes\" or \"no\"");
    ck_parse_err("[flavor a]\nmemory=8\nrestore=\"yes\"\n"
                 "kernel=\"/k\"\n",
                 "c.conf:4: flavor 'a': a restore flavor has no kernel (the "
                 "image brings the guest)");
    ck_parse_err("[flavor a]\nmemory=8\nrestore=1\n",
                 "c.conf:3: restore must be \"yes\", \"in-place\" or "
                 "\"no\"");
    ck_parse_err("[flavor a]\nmemory=8\nrestore=\"inplace\"\n",
                 "c.conf:3: restore must be \"yes\", \"in-place\" or "
                 "\"no\"");
    /* In place is for PVH shells: the message points at the setting. */
    ck_parse_err("[flavor a]\nmemory=8\nrestore=\"in-place\"\npool=1\n",
                 "c.conf:3: flavor 'a': restore = \"in-place\" is for PVH "
                 "guests (type = \"pvh\")");
    ck_parse_err("[flavor a]\nmemory=0\n",
                 "c.conf:2: memory must be between 1 and 16777216");
    ck_parse_err("[flavor aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]\n",
                 "c.conf:1: flavor name longer than 32 characters");
    ck_assert_int_eq(
        chaosd_conf_parse(&conf, "a\0b", 3, "c.conf", err, sizeof(err)),
        -EINVAL);
    ck_assert_str_eq(err, "c.conf:1: NUL byte in the text");
    char longline[2000];
    memset(longline, '#', sizeof(longline) - 1);
    longline[sizeof(longline) - 1] = '\0';
    ck_parse_err(longline, "c.conf:1: line longer than 1024 bytes");
}
END_TEST

START_TEST(too_many_flavors)
{
    char text[8192] = "";
    for (int i = 0; i <= CHAOSD_MAX_FLAVORS; i++) {
        char one[64];
        snprintf(one, sizeof(one), "[flavor f%d]\nmemory = 4\n", i);
        strcat(text, one);
    }
    ck_parse_err(text, "c.conf:65: more than 32 flavors");
}
END_TEST

START_TEST(files)
{
    char path[] = "/tmp/chaosd-conf-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    const char text[] = "[flavor x]\nmemory = 4\npool = 2\n";
    ck_assert_int_eq(write(fd, text, sizeof(text) - 1), (int)sizeof(text) - 1);
    close(fd);
    ck_assert_int_eq(chaosd_conf_load(&conf, path, err, sizeof(err)), 0);
    ck_assert_uint_eq(conf.flavors[0].pool, 2);
    unlink(path);
    ck_assert_int_eq(chaosd_conf_load(&conf, path, err, sizeof(err)), -ENOENT);
    char want[128];
    snprintf(want, sizeof(want), "%s: No such file or directory", path);
    ck_assert_str_eq(err, want);
}
END_TEST

static Suite *conf_suite(void)
{
    Suite *s = suite_create("chaosd.conf");
    TCase *tc = tcase_create("parser");
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, full_file);
    tcase_add_test(tc, in_place_flavor);
    tcase_add_test(tc, image_flavor);
    tcase_add_test(tc, template_flavor);
    tcase_add_test(tc, template_errors);
    tcase_add_test(tc, errors);
    tcase_add_test(tc, too_many_flavors);
    tcase_add_test(tc, files);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(conf_suite());
}
