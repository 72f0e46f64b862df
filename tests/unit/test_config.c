/*
 * test_config.c - the chaos_config API: every supported key, xl's defaults
 * and command-line composition, overrides, validation, text round trips,
 * and the exact message of every error.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chaos.h"
#include "check_run.h"
#include "config_fixture.h"

#define ck_set_err(key, value, msg)                                       \
    do {                                                                  \
        ck_assert_int_eq(chaos_config_set(cfg, (key), (value)), -EINVAL); \
        ck_assert_str_eq(chaos_config_errmsg(cfg), (msg));                \
    } while (0)

static const char full_config[] =
    "# a guest using every key chaos supports\n"
    "name = \"web-1.example\"\n"
    "type = \"pvh\"\n"
    "kernel = \"/var/lib/chaos/vmlinuz\"; ramdisk = '/var/lib/chaos/initrd'\n"
    "root = \"/dev/xvda1 ro\"\n"
    "extra = \"console=hvc0\"\n"
    "memory = 256\n"
    "maxmem = 0x200\n"
    "vcpus = 2\n"
    "maxvcpus = \"4\"\n"
    "on_poweroff = \"preserve\"\n"
    "on_reboot = \"rename-restart\"\n"
    "on_crash = 'coredump-restart'\n"
    "xenstore = \"no\"\n"
    "uuid = \"6A2B7F3E-0C1D-4E5F-8A9B-0C1D2E3F4A5B\"\n";

START_TEST(defaults)
{
    uint8_t uuid[16];
    ck_assert_ptr_null(chaos_config_name(cfg));
    ck_assert_int_eq(chaos_config_type(cfg), CHAOS_GUEST_PV);
    ck_assert_ptr_null(chaos_config_kernel(cfg));
    ck_assert_ptr_null(chaos_config_ramdisk(cfg));
    ck_assert_ptr_null(chaos_config_cmdline(cfg));
    ck_assert_uint_eq(chaos_config_memory_mib(cfg), 32);
    ck_assert_uint_eq(chaos_config_maxmem_mib(cfg), 32);
    ck_assert_uint_eq(chaos_config_vcpus(cfg), 1);
    ck_assert_uint_eq(chaos_config_maxvcpus(cfg), 1);
    ck_assert_int_eq(chaos_config_action(cfg, CHAOS_ON_POWEROFF),
                     CHAOS_ACTION_DESTROY);
    ck_assert_int_eq(chaos_config_action(cfg, CHAOS_ON_REBOOT),
                     CHAOS_ACTION_RESTART);
    ck_assert_int_eq(chaos_config_action(cfg, CHAOS_ON_CRASH),
                     CHAOS_ACTION_DESTROY);
    ck_assert_int_eq(chaos_config_xenstore(cfg), CHAOS_XENSTORE_AUTO);
    ck_assert_ptr_null(chaos_config_uuid(cfg));
    ck_assert_int_eq(chaos_config_uuid_bytes(cfg, uuid), -ENOENT);
    ck_assert_str_eq(chaos_config_errmsg(cfg), "");
    ck_assert_str_eq(chaos_config_errmsg(NULL), "out of memory");
}
END_TEST

START_TEST(every_key)
{
    uint8_t uuid[16];
    ck_parse_ok(full_config);
    ck_assert_str_eq(chaos_config_name(cfg), "web-1.example");
    ck_assert_int_eq(chaos_config_type(cfg), CHAOS_GUEST_PVH);
    ck_assert_str_eq(chaos_config_kernel(cfg), "/var/lib/chaos/vmlinuz");
    ck_assert_str_eq(chaos_config_ramdisk(cfg), "/var/lib/chaos/initrd");
    ck_assert_str_eq(chaos_config_cmdline(cfg),
                     "root=/dev/xvda1 ro console=hvc0");
    ck_assert_uint_eq(chaos_config_memory_mib(cfg), 256);
    ck_assert_uint_eq(chaos_config_maxmem_mib(cfg), 512);
    ck_assert_uint_eq(chaos_config_vcpus(cfg), 2);
    ck_assert_uint_eq(chaos_config_maxvcpus(cfg), 4);
    ck_assert_int_eq(chaos_config_action(cfg, CHAOS_ON_POWEROFF),
                     CHAOS_ACTION_PRESERVE);
    ck_assert_int_eq(chaos_config_action(cfg, CHAOS_ON_REBOOT),
                     CHAOS_ACTION_RENAME_RESTART);
    ck_assert_int_eq(chaos_config_action(cfg, CHAOS_ON_CRASH),
                     CHAOS_ACTION_COREDUMP_RESTART);
    ck_assert_int_eq(chaos_config_xenstore(cfg), CHAOS_XENSTORE_NO);
    ck_assert_str_eq(chaos_config_uuid(cfg),
                     "6a2b7f3e-0c1d-4e5f-8a9b-0c1d2e3f4a5b");
    ck_assert_int_eq(chaos_config_uuid_bytes(cfg, uuid), 0);
    ck_assert_uint_eq(uuid[0], 0x6a);
    ck_assert_uint_eq(uuid[15], 0x5b);
    ck_assert_int_eq(chaos_config_validate(cfg), 0);
}
END_TEST

START_TEST(all_actions)
{
    static const char *names[] = { "destroy",          "restart",
                                   "preserve",         "rename-restart",
                                   "coredump-destroy", "coredump-restart",
                                   "soft-reset" };
    char text[64];
    for (int a = 0; a < 7; a++) {
        ck_assert_str_eq(chaos_action_name((enum chaos_action)a), names[a]);
        snprintf(text, sizeof(text), "on_crash = \"%s\"", names[a]);
        ck_parse_ok(text);
        ck_assert_int_eq(chaos_config_action(cfg, CHAOS_ON_CRASH), a);
    }
    ck_assert_ptr_null(chaos_action_name((enum chaos_action)7));
}
END_TEST

START_TEST(memory_defaults_as_xl)
{
    ck_parse_ok("memory = 512");
    ck_assert_uint_eq(chaos_config_maxmem_mib(cfg), 512);
    teardown();
    setup();
    ck_parse_ok("maxmem = 1024");
    ck_assert_uint_eq(chaos_config_memory_mib(cfg), 1024);
    teardown();
    setup();
    ck_parse_ok("vcpus = 3");
    ck_assert_uint_eq(chaos_config_maxvcpus(cfg), 3);
}
END_TEST

START_TEST(numbers_as_xl_reads_them)
{
    ck_parse_ok("memory = 010"); /* strtol base 0: octal, as xl */
    ck_assert_uint_eq(chaos_config_memory_mib(cfg), 8);
    ck_parse_ok("memory = 0X20");
    ck_assert_uint_eq(chaos_config_memory_mib(cfg), 32);
    ck_parse_ok("memory = '64'"); /* quoted numbers are accepted */
    ck_assert_uint_eq(chaos_config_memory_mib(cfg), 64);
    ck_parse_ok("extra = 7\nextra += \"a\""); /* bare numbers as strings */
    ck_assert_str_eq(chaos_config_cmdline(cfg), "7a");
}
END_TEST

START_TEST(cmdline_composition)
{
    ck_parse_ok("root = \"/dev/xvda\"");
    ck_assert_str_eq(chaos_config_cmdline(cfg), "root=/dev/xvda");
    teardown();
    setup();
    ck_parse_ok("extra = \"quiet\"");
    ck_assert_str_eq(chaos_config_cmdline(cfg), "quiet");
    ck_parse_ok("extra += \" loglevel=3\"");
    ck_assert_str_eq(chaos_config_cmdline(cfg), "quiet loglevel=3");
    ck_parse_ok("root = \"/dev/xvda\"");
    ck_assert_str_eq(chaos_config_cmdline(cfg),
                     "root=/dev/xvda quiet loglevel=3");
    ck_parse_ok("cmdline = \"init=/app\""); /* cmdline wins */
    ck_assert_str_eq(chaos_config_cmdline(cfg), "init=/app");
    ck_assert_int_eq(chaos_config_set_cmdline(cfg, NULL), 0);
    ck_assert_str_eq(chaos_config_cmdline(cfg),
                     "root=/dev/xvda quiet loglevel=3");
    ck_parse_ok("cmdline = \"\""); /* empty still wins */
    ck_assert_str_eq(chaos_config_cmdline(cfg), "");
}
END_TEST

START_TEST(later_settings_win_and_append)
{
    ck_parse_ok("memory = 64; memory = 128\nextra = 'a'\nextra += 'b'\n"
                "extra += 'c'\nkernel += '/k'");
    ck_assert_uint_eq(chaos_config_memory_mib(cfg), 128);
    ck_assert_str_eq(chaos_config_cmdline(cfg), "abc");
    ck_assert_str_eq(chaos_config_kernel(cfg), "/k"); /* nothing to append to */
    ck_parse_ok("type = 'pv'\ntype += 'h'");          /* xl allows even this */
    ck_assert_int_eq(chaos_config_type(cfg), CHAOS_GUEST_PVH);
}
END_TEST

START_TEST(builder_and_type)
{
    ck_parse_ok("type = \"pvh\"\nbuilder = \"generic\"");
    ck_assert_int_eq(chaos_config_type(cfg), CHAOS_GUEST_PV);
    ck_parse_err("builder = \"hvm\"",
                 "g.cfg:1:11: 'builder': HVM guests are not "
                 "supported by chaos (use type = \"pv\" or \"pvh\")");
    ck_parse_err("type = \"hvm\"",
                 "g.cfg:1:8: 'type': HVM guests are not "
                 "supported by chaos (use type = \"pv\" or \"pvh\")");
    ck_parse_err("type = \"PV\"", "g.cfg:1:8: 'type': unknown guest type 'PV' "
                                  "(expected \"pv\" or \"pvh\")");
    ck_parse_err("builder = \"linux\"",
                 "g.cfg:1:11: 'builder': unknown builder "
                 "'linux' (expected \"generic\", or use type = \"pv\")");
}
END_TEST

START_TEST(xenstore_values)
{
    static const struct {
        const char *text;
        enum chaos_xenstore_mode mode;
    } v[] = {
        { "xenstore = \"yes\"", CHAOS_XENSTORE_YES },
        { "xenstore = 0", CHAOS_XENSTORE_NO },
        { "xenstore = \"auto\"", CHAOS_XENSTORE_AUTO },
        { "xenstore = 1", CHAOS_XENSTORE_YES },
        { "xenstore = 'no'", CHAOS_XENSTORE_NO },
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        ck_parse_ok(v[i].text);
        ck_assert_int_eq(chaos_config_xenstore(cfg), v[i].mode);
    }
    ck_parse_err("xenstore = 2",
                 "g.cfg:1:12: 'xenstore': unknown value '2' "
                 "(expected \"auto\", \"yes\", \"no\", 1 or 0)");
}
END_TEST

START_TEST(tsc_mode_values)
{
    static const struct {
        const char *text;
        enum chaos_tsc_mode mode;
    } v[] = {
        { "tsc_mode = \"native\"", CHAOS_TSC_NATIVE },
        { "tsc_mode = 'default'", CHAOS_TSC_DEFAULT },
        { "tsc_mode = \"always_emulate\"", CHAOS_TSC_ALWAYS_EMULATE },
        { "tsc_mode = 2", CHAOS_TSC_NATIVE }, /* xl's deprecated numbers */
        { "tsc_mode = 1", CHAOS_TSC_ALWAYS_EMULATE },
        { "tsc_mode = 0", CHAOS_TSC_DEFAULT },
    };
    ck_parse_ok("name = 'a'");
    ck_assert_int_eq(chaos_config_tsc_mode(cfg), CHAOS_TSC_DEFAULT);
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        ck_parse_ok(v[i].text);
        ck_assert_int_eq(chaos_config_tsc_mode(cfg), v[i].mode);
    }
    ck_parse_err("tsc_mode = \"native_paravirt\"",
                 "g.cfg:1:12: 'tsc_mode': "
                 "\"native_paravirt\" was removed from Xen (4.10); use "
                 "\"native\"");
    ck_parse_err("tsc_mode = 3", "g.cfg:1:12: 'tsc_mode': \"native_paravirt\" "
                                 "was removed from Xen (4.10); use \"native\"");
    ck_parse_err("tsc_mode = \"emulate\"",
                 "g.cfg:1:12: 'tsc_mode': unknown "
                 "mode 'emulate' (expected \"default\", \"always_emulate\" "
                 "or \"native\")");
    ck_assert_int_eq(chaos_config_set_tsc_mode(cfg, CHAOS_TSC_NATIVE), 0);
    ck_assert_int_eq(chaos_config_tsc_mode(cfg), CHAOS_TSC_NATIVE);
    ck_assert_int_eq(chaos_config_set_tsc_mode(cfg, (enum chaos_tsc_mode)3),
                     -EINVAL);
    ck_assert_int_eq(chaos_config_tsc_mode(cfg), CHAOS_TSC_NATIVE);
}
END_TEST

START_TEST(value_errors)
{
    ck_parse_err("name = 'a'\nmemory = \"lots\"",
                 "g.cfg:2:10: 'memory': 'lots' is not a number");
    ck_parse_err("memory = 128M",
                 "g.cfg:1:10: 'memory': '128M' is not a number");
    ck_parse_err("memory = 08", "g.cfg:1:10: 'memory': '08' is not a number");
    ck_parse_err("memory = ' 12'",
                 "g.cfg:1:10: 'memory': ' 12' is not a number");
    ck_parse_err("memory = '-1'", "g.cfg:1:10: 'memory': '-1' is not a number");
    ck_parse_err("memory = 0", "g.cfg:1:10: 'memory': 0 is out of range "
                               "(1 to 1073741824 MiB)");
    ck_parse_err("maxmem = 99999999999999999999",
                 "g.cfg:1:10: 'maxmem': "
                 "99999999999999999999 is too large");
    ck_parse_err("vcpus = 0",
                 "g.cfg:1:9: 'vcpus': 0 is out of range (1 to 8192)");
    ck_parse_err("maxvcpus = 8193", "g.cfg:1:12: 'maxvcpus': 8193 is out of "
                                    "range (1 to 8192)");
    ck_parse_err("memory = [1]", "g.cfg:1:10: 'memory': expected a number, "
                                 "found a list");
    ck_parse_err("kernel = ['/k']", "g.cfg:1:10: 'kernel': expected a string, "
                                    "found a list");
    ck_parse_err("memory = 1\nmemory += 2", "g.cfg:2:11: 'memory': can't use "
                                            "+= with numbers");
    ck_parse_err("kernel = ''", "g.cfg:1:10: 'kernel': must not be empty");
    ck_parse_err("ramdisk = ''", "g.cfg:1:11: 'ramdisk': must not be empty");
    ck_parse_err("on_crash = \"explode\"",
                 "g.cfg:1:12: 'on_crash': unknown "
                 "action 'explode' (expected destroy, restart, preserve, "
                 "rename-restart, coredump-destroy, coredump-restart or "
                 "soft-reset)");
    ck_parse_err("uuid = \"6a2b7f3e0c1d4e5f8a9b0c1d2e3f4a5b\"",
                 "g.cfg:1:8: "
                 "'uuid': '6a2b7f3e0c1d4e5f8a9b0c1d2e3f4a5b' is not a UUID "
                 "(expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
    ck_parse_err("uuid = \"6a2b7f3e-0c1d-4e5f-8a9b-0c1d2e3f4a5g\"",
                 "g.cfg:1:8: "
                 "'uuid': '6a2b7f3e-0c1d-4e5f-8a9b-0c1d2e3f4a5g' is not a UUID "
                 "(expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
}
END_TEST

START_TEST(long_strings)
{
    char *text = malloc(5000);
    strcpy(text, "extra = '");
    memset(text + 9, 'x', 4097);
    strcpy(text + 9 + 4097, "'");
    ck_parse_err(text, "g.cfg:1:9: 'extra': longer than 4096 bytes");
    text[9 + 4096] = '\'';
    text[9 + 4097] = '\0';
    ck_parse_ok(text);
    free(text);
}
END_TEST

START_TEST(name_rules)
{
    ck_parse_ok("name = \"Web_01-a.b\"");
    ck_parse_err("name = \"\"", "g.cfg:1:8: 'name': must not be empty");
    ck_parse_err("name = \"my vm\"", "g.cfg:1:8: 'name': ' ' is not allowed "
                                     "(use letters, digits, '_', '-' and '.')");
    ck_parse_err("name = \"a/b\"", "g.cfg:1:8: 'name': '/' is not allowed "
                                   "(use letters, digits, '_', '-' and '.')");
    ck_parse_err("name = \"a\\tb\"", "g.cfg:1:8: 'name': control characters "
                                     "are not allowed");
    ck_parse_err("name = \"-x\"",
                 "g.cfg:1:8: 'name': must start with a letter, "
                 "a digit or '_'");
    ck_parse_err("name = 42", "g.cfg:1:8: 'name': '42' is all digits, which "
                              "reads as a domain id");
    ck_parse_err(
        "name = "
        "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
        "g.cfg:1:8: 'name': longer than 63 characters");
    ck_assert_str_eq(chaos_config_name(cfg), "Web_01-a.b");
}
END_TEST

START_TEST(unknown_and_unsupported_keys)
{
    ck_parse_err("name = 'a'\npci = [ '01:00.0' ]",
                 "g.cfg:2:1: 'pci' is not supported by chaos yet");
    ck_parse_err("  vfb = []",
                 "g.cfg:1:3: 'vfb' is not supported by chaos yet");
    ck_parse_err(
        "device_model_version = 'qemu-xen'",
        "g.cfg:1:1: 'device_model_version' is not supported by chaos yet");
    ck_parse_err("fooo = 1", "g.cfg:1:1: unknown key 'fooo'");
    ck_parse_err("memroy = 1", "g.cfg:1:1: unknown key 'memroy' "
                               "(did you mean 'memory'?)");
    ck_parse_err("vcpu = 1",
                 "g.cfg:1:1: unknown key 'vcpu' (did you mean 'vcpus'?)");
    ck_parse_err("MEMORY = 1", "g.cfg:1:1: unknown key 'MEMORY' "
                               "(did you mean 'memory'?)");
    ck_parse_err("x = 1", "g.cfg:1:1: unknown key 'x'");
    ck_parse_err("dsik = 1",
                 "g.cfg:1:1: unknown key 'dsik' (did you mean 'disk'?)");
}
END_TEST

START_TEST(failed_parse_changes_nothing)
{
    ck_parse_ok(full_config);
    char *before = chaos_config_to_text(cfg);
    ck_parse_err("memory = 64\nvcpus = 3\nextra += ' x'\nbogus = 1",
                 "g.cfg:4:1: unknown key 'bogus'");
    ck_assert_int_eq(parse("memory = 64\nname = 'b' 'c'"), -EINVAL);
    ck_assert_int_eq(chaos_config_set(cfg, "memory", "lots"), -EINVAL);
    char *after = chaos_config_to_text(cfg);
    ck_assert_str_eq(before, after);
    free(before);
    free(after);
}
END_TEST

START_TEST(syntax_error_reaches_errmsg)
{
    ck_assert_int_eq(parse("name = \"a\"\nvcpus = 1\nmemory =\n"), -EINVAL);
    ck_assert_str_eq(
        chaos_config_errmsg(cfg),
        "g.cfg:3:9: expected a value after '=', found end of line");
    ck_assert_int_eq(chaos_config_parse(cfg, "=", 1, NULL), -EINVAL);
    ck_assert_str_eq(chaos_config_errmsg(cfg), "<config>:1:1: expected a key, "
                                               "found '='");
}
END_TEST

START_TEST(overrides)
{
    ck_parse_ok(
        "name = 'a'\nkernel = '/k'\nextra = 'console=hvc0'\nmemory = 64");
    ck_assert_int_eq(chaos_config_set(cfg, "memory", "256"), 0);
    ck_assert_uint_eq(chaos_config_memory_mib(cfg), 256);
    ck_assert_int_eq(chaos_config_set(cfg, "memory", "'0x80'"), 0);
    ck_assert_uint_eq(chaos_config_memory_mib(cfg), 128);
    ck_assert_int_eq(chaos_config_set_arg(cfg, "kernel=/boot/vmlinuz-6.1"), 0);
    ck_assert_str_eq(chaos_config_kernel(cfg), "/boot/vmlinuz-6.1");
    ck_assert_int_eq(chaos_config_set_arg(cfg, "name=\"b\""), 0);
    ck_assert_str_eq(chaos_config_name(cfg), "b");
    ck_assert_int_eq(chaos_config_set_arg(cfg, "extra+= quiet"), 0);
    ck_assert_str_eq(chaos_config_cmdline(cfg), "console=hvc0 quiet");
    ck_assert_int_eq(chaos_config_set(cfg, "extra+", "\" a=b\""), 0);
    ck_assert_str_eq(chaos_config_cmdline(cfg), "console=hvc0 quiet a=b");
    ck_assert_int_eq(chaos_config_set_arg(cfg, "cmdline=init=/bin/sh; vcpus=4"),
                     0);
    ck_assert_str_eq(chaos_config_cmdline(cfg), "init=/bin/sh; vcpus=4");
    ck_assert_uint_eq(chaos_config_vcpus(cfg), 1);
    ck_assert_int_eq(chaos_config_set_arg(cfg, "type=pvh"), 0);
    ck_assert_int_eq(chaos_config_type(cfg), CHAOS_GUEST_PVH);

    ck_set_err("memory", "lots",
               "command line: 'memory': 'lots' is not a number");
    ck_set_err("memory", "0",
               "command line: 'memory': 0 is out of range "
               "(1 to 1073741824 MiB)");
    ck_set_err("memory+", "1",
               "command line: 'memory': can't use += with numbers");
    ck_set_err("pci", "[]",
               "command line: 'pci' is not supported by chaos yet");
    ck_set_err("nmae", "x",
               "command line: unknown key 'nmae' (did you mean 'name'?)");
    ck_set_err("me mory", "1", "command line: 'me mory' is not a valid key");
    ck_set_err("", "1", "command line: '' is not a valid key");
    ck_set_err("kernel", "['/a']",
               "command line: 'kernel': expected a string, "
               "found a list");
    ck_assert_int_eq(chaos_config_set_arg(cfg, "memory"), -EINVAL);
    ck_assert_str_eq(chaos_config_errmsg(cfg),
                     "command line: 'memory' is not KEY=VALUE");
    ck_assert_uint_eq(chaos_config_memory_mib(cfg), 128);
}
END_TEST

START_TEST(validation)
{
    ck_assert_int_eq(chaos_config_validate(cfg), -EINVAL);
    ck_assert_str_eq(chaos_config_errmsg(cfg),
                     "no 'name' given (every guest needs one)");
    ck_parse_ok("name = 'a'");
    ck_assert_int_eq(chaos_config_validate(cfg), -EINVAL);
    ck_assert_str_eq(chaos_config_errmsg(cfg),
                     "g.cfg: no 'kernel' given (chaos "
                     "boots guests from a kernel image)");
    ck_parse_ok("kernel = '/k'\nmemory = 256\nmaxmem = 128");
    ck_assert_int_eq(chaos_config_validate(cfg), -EINVAL);
    ck_assert_str_eq(chaos_config_errmsg(cfg),
                     "g.cfg:3:10: 'maxmem' (128 MiB) "
                     "is less than 'memory' (256 MiB)");
    ck_assert_int_eq(chaos_config_set_arg(cfg, "maxmem=256"), 0);
    ck_parse_ok("maxvcpus = 2\nvcpus = 4");
    ck_assert_int_eq(chaos_config_validate(cfg), -EINVAL);
    ck_assert_str_eq(chaos_config_errmsg(cfg), "g.cfg:1:12: 'maxvcpus' (2) is "
                                               "less than 'vcpus' (4)");
    ck_assert_int_eq(chaos_config_set_maxvcpus(cfg, 3), 0);
    ck_assert_int_eq(chaos_config_validate(cfg), -EINVAL);
    ck_assert_str_eq(chaos_config_errmsg(cfg),
                     "'maxvcpus' (3) is less than "
                     "'vcpus' (4)"); /* set from C: no origin */
    ck_assert_int_eq(chaos_config_set_maxvcpus(cfg, 4), 0);
    ck_assert_int_eq(chaos_config_validate(cfg), 0);
    ck_assert_str_eq(chaos_config_errmsg(cfg), "");
}
END_TEST

START_TEST(pv_cmdline_limit)
{
    char *big = malloc(1100);
    memset(big, 'x', 1024);
    big[1024] = '\0';
    ck_parse_ok("name = 'a'\nkernel = '/k'");
    ck_assert_int_eq(chaos_config_set_cmdline(cfg, big), 0);
    ck_assert_int_eq(chaos_config_validate(cfg), -EINVAL);
    ck_assert_str_eq(chaos_config_errmsg(cfg),
                     "'cmdline': the kernel command "
                     "line is 1024 bytes; a PV guest takes at most 1023");
    ck_assert_int_eq(chaos_config_set_type(cfg, CHAOS_GUEST_PVH), 0);
    ck_assert_int_eq(chaos_config_validate(cfg), 0);
    big[1023] = '\0';
    ck_assert_int_eq(chaos_config_set_type(cfg, CHAOS_GUEST_PV), 0);
    ck_assert_int_eq(chaos_config_set_cmdline(cfg, big), 0);
    ck_assert_int_eq(chaos_config_validate(cfg), 0);
    free(big);
}
END_TEST

START_TEST(setters_and_getters)
{
    uint8_t uuid[16];
    ck_assert_int_eq(chaos_config_set_name(cfg, "vm0"), 0);
    ck_assert_str_eq(chaos_config_name(cfg), "vm0");
    ck_assert_int_eq(chaos_config_set_name(cfg, "a b"), -EINVAL);
    ck_assert_str_eq(chaos_config_errmsg(cfg),
                     "'name': ' ' is not allowed "
                     "(use letters, digits, '_', '-' and '.')");
    ck_assert_str_eq(chaos_config_name(cfg), "vm0");
    ck_assert_int_eq(chaos_config_set_kernel(cfg, "/k"), 0);
    ck_assert_str_eq(chaos_config_errmsg(cfg), ""); /* cleared on success */
    ck_assert_int_eq(chaos_config_set_ramdisk(cfg, "/r"), 0);
    ck_assert_str_eq(chaos_config_ramdisk(cfg), "/r");
    ck_assert_int_eq(chaos_config_set_ramdisk(cfg, NULL), 0);
    ck_assert_ptr_null(chaos_config_ramdisk(cfg));
    ck_assert_int_eq(chaos_config_set_memory_mib(cfg, 64), 0);
    ck_assert_int_eq(chaos_config_set_maxmem_mib(cfg, 128), 0);
    ck_assert_uint_eq(chaos_config_memory_mib(cfg), 64);
    ck_assert_uint_eq(chaos_config_maxmem_mib(cfg), 128);
    ck_assert_int_eq(chaos_config_set_memory_mib(cfg, 0), -EINVAL);
    ck_assert_str_eq(chaos_config_errmsg(cfg), "'memory': 0 is out of range "
                                               "(1 to 1073741824 MiB)");
    ck_assert_int_eq(chaos_config_set_vcpus(cfg, 2), 0);
    ck_assert_int_eq(chaos_config_set_maxvcpus(cfg, 8), 0);
    ck_assert_uint_eq(chaos_config_vcpus(cfg), 2);
    ck_assert_uint_eq(chaos_config_maxvcpus(cfg), 8);
    ck_assert_int_eq(chaos_config_set_vcpus(cfg, 9000), -EINVAL);
    ck_assert_int_eq(chaos_config_set_type(cfg, CHAOS_GUEST_PVH), 0);
    ck_assert_int_eq(chaos_config_type(cfg), CHAOS_GUEST_PVH);
    ck_assert_int_eq(chaos_config_set_type(cfg, (enum chaos_guest_type)7),
                     -EINVAL);
    ck_assert_int_eq(
        chaos_config_set_action(cfg, CHAOS_ON_REBOOT, CHAOS_ACTION_SOFT_RESET),
        0);
    ck_assert_int_eq(chaos_config_action(cfg, CHAOS_ON_REBOOT),
                     CHAOS_ACTION_SOFT_RESET);
    ck_assert_int_eq(
        chaos_config_set_action(cfg, CHAOS_ON_REBOOT, (enum chaos_action)42),
        -EINVAL);
    ck_assert_int_eq(
        chaos_config_set_action(cfg, (enum chaos_event)5, CHAOS_ACTION_DESTROY),
        -EINVAL);
    ck_assert_int_eq(chaos_config_set_xenstore(cfg, CHAOS_XENSTORE_YES), 0);
    ck_assert_int_eq(chaos_config_xenstore(cfg), CHAOS_XENSTORE_YES);
    ck_assert_int_eq(
        chaos_config_set_xenstore(cfg, (enum chaos_xenstore_mode)3), -EINVAL);
    ck_assert_int_eq(chaos_config_set_uuid(cfg, "not-a-uuid"), -EINVAL);
    ck_assert_ptr_null(chaos_config_uuid(cfg));
    ck_assert_int_eq(
        chaos_config_set_uuid(cfg, "00112233-4455-6677-8899-AABBCCDDEEFF"), 0);
    ck_assert_str_eq(chaos_config_uuid(cfg),
                     "00112233-4455-6677-8899-aabbccddeeff");
    ck_assert_int_eq(chaos_config_uuid_bytes(cfg, uuid), 0);
    ck_assert_uint_eq(uuid[10], 0xaa);
    ck_assert_int_eq(chaos_config_set_uuid(cfg, NULL), 0);
    ck_assert_ptr_null(chaos_config_uuid(cfg));
    ck_assert_int_eq(chaos_config_validate(cfg), 0);
}
END_TEST

/* Every getter agrees between two configurations. */
static void ck_same(const chaos_config *a, const chaos_config *b)
{
#define SAME_STR(get)                                              \
    do {                                                           \
        const char *x = get(a), *y = get(b);                       \
        ck_assert_msg((!x && !y) || (x && y && strcmp(x, y) == 0), \
                      #get ": '%s' vs '%s'", x ? x : "(null)",     \
                      y ? y : "(null)");                           \
    } while (0)
    SAME_STR(chaos_config_name);
    SAME_STR(chaos_config_kernel);
    SAME_STR(chaos_config_ramdisk);
    SAME_STR(chaos_config_cmdline);
    SAME_STR(chaos_config_uuid);
#undef SAME_STR
    ck_assert_int_eq(chaos_config_type(a), chaos_config_type(b));
    ck_assert_uint_eq(chaos_config_memory_mib(a), chaos_config_memory_mib(b));
    ck_assert_uint_eq(chaos_config_maxmem_mib(a), chaos_config_maxmem_mib(b));
    ck_assert_uint_eq(chaos_config_vcpus(a), chaos_config_vcpus(b));
    ck_assert_uint_eq(chaos_config_maxvcpus(a), chaos_config_maxvcpus(b));
    for (int e = CHAOS_ON_POWEROFF; e <= CHAOS_ON_CRASH; e++)
        ck_assert_int_eq(chaos_config_action(a, (enum chaos_event)e),
                         chaos_config_action(b, (enum chaos_event)e));
    ck_assert_int_eq(chaos_config_xenstore(a), chaos_config_xenstore(b));
    ck_assert_int_eq(chaos_config_tsc_mode(a), chaos_config_tsc_mode(b));
}

static void ck_round_trip(void)
{
    char *text = chaos_config_to_text(cfg);
    ck_assert_ptr_nonnull(text);
    chaos_config *again = chaos_config_new();
    ck_assert_msg(chaos_config_parse(again, text, strlen(text), "text") == 0,
                  "%s\n%s", chaos_config_errmsg(again), text);
    ck_same(cfg, again);
    char *text2 = chaos_config_to_text(again);
    ck_assert_str_eq(text, text2); /* and the text is stable */
    free(text);
    free(text2);
    chaos_config_free(again);
}

START_TEST(round_trip)
{
    ck_round_trip(); /* all defaults */
    ck_parse_ok(full_config);
    ck_round_trip();
    ck_parse_ok("cmdline = \"a \\\"q\\\" \\\\ \\t\\x01 caf\xc3\xa9\"");
    ck_round_trip();
    ck_parse_ok(
        "maxmem = 4096\nxenstore = 1\nbuilder = 'generic'\ntsc_mode = 2");
    ck_round_trip();
}
END_TEST

START_TEST(to_text_content)
{
    ck_parse_ok("name = 'a'\nkernel = '/k'\nextra = \"x\\\"y\"");
    char *text = chaos_config_to_text(cfg);
    ck_assert_str_eq(text, "# chaos guest configuration (xl.cfg syntax)\n"
                           "name = \"a\"\n"
                           "type = \"pv\"\n"
                           "kernel = \"/k\"\n"
                           "extra = \"x\\\"y\"\n"
                           "memory = 32\n"
                           "maxmem = 32\n"
                           "vcpus = 1\n"
                           "maxvcpus = 1\n"
                           "on_poweroff = \"destroy\"\n"
                           "on_reboot = \"restart\"\n"
                           "on_crash = \"destroy\"\n"
                           "xenstore = \"auto\"\n");
    free(text);
}
END_TEST

START_TEST(files)
{
    char path[] = "/tmp/chaos-test-config-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, full_config, strlen(full_config)),
                     (ssize_t)strlen(full_config));
    close(fd);
    ck_assert_int_eq(chaos_config_parse_file(cfg, path), 0);
    ck_assert_str_eq(chaos_config_name(cfg), "web-1.example");

    fd = open(path, O_WRONLY | O_APPEND);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "vcpus = x\n", 10), 10);
    close(fd);
    ck_assert_int_eq(chaos_config_parse_file(cfg, path), -EINVAL);
    char expect[128];
    snprintf(expect, sizeof(expect),
             "%s:16:9: expected a value after '=', "
             "found 'x' (strings must be quoted: \"x\")",
             path);
    ck_assert_str_eq(chaos_config_errmsg(cfg), expect);
    unlink(path);

    ck_assert_int_eq(chaos_config_parse_file(cfg, "/nonexistent/g.cfg"),
                     -ENOENT);
    ck_assert_str_eq(chaos_config_errmsg(cfg),
                     "/nonexistent/g.cfg: cannot "
                     "open: No such file or directory");
    ck_assert_int_eq(chaos_config_parse_file(cfg, "/tmp"), -EISDIR);
    ck_assert_str_eq(chaos_config_errmsg(cfg),
                     "/tmp: cannot read: Is a directory");
}
END_TEST

static Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, every_key);
    tcase_add_test(tc, all_actions);
    tcase_add_test(tc, memory_defaults_as_xl);
    tcase_add_test(tc, numbers_as_xl_reads_them);
    tcase_add_test(tc, cmdline_composition);
    tcase_add_test(tc, later_settings_win_and_append);
    tcase_add_test(tc, builder_and_type);
    tcase_add_test(tc, xenstore_values);
    tcase_add_test(tc, tsc_mode_values);
    tcase_add_test(tc, value_errors);
    tcase_add_test(tc, long_strings);
    tcase_add_test(tc, name_rules);
    tcase_add_test(tc, unknown_and_unsupported_keys);
    tcase_add_test(tc, failed_parse_changes_nothing);
    tcase_add_test(tc, syntax_error_reaches_errmsg);
    tcase_add_test(tc, overrides);
    tcase_add_test(tc, validation);
    tcase_add_test(tc, pv_cmdline_limit);
    tcase_add_test(tc, setters_and_getters);
    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, to_text_content);
    tcase_add_test(tc, files);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(config_suite());
}
