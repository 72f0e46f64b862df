/*
 * test_tinyx_devices.c - tinyx build's --net and --disk: the checks of
 * their values (devices.c), the config they give (read back with chaos's
 * own parser), the /init block, and /init's shell functions that apply
 * them in the guest (ip=, the disks), run with sh and a fake busybox that
 * prints what it is asked to do.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "chaos.h"
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

/* ------------------------------------------------------------ names, ip= */

START_TEST(test_ifnames)
{
    ck_assert(tinyx_ifname_ok("xenbr0"));
    ck_assert(tinyx_ifname_ok("br-lab.1_x"));
    ck_assert(tinyx_ifname_ok("abcdefghijklmno")); /* 15 */
    ck_assert(!tinyx_ifname_ok("abcdefghijklmnop"));
    ck_assert(!tinyx_ifname_ok(""));
    ck_assert(!tinyx_ifname_ok("."));
    ck_assert(!tinyx_ifname_ok(".."));
    ck_assert(!tinyx_ifname_ok("br 0"));
    ck_assert(!tinyx_ifname_ok("br,script=x"));
    ck_assert(!tinyx_ifname_ok("br'0"));
    ck_assert(!tinyx_ifname_ok("a/b"));
}
END_TEST

/* Values both the C check and /init's tinyx_ip accept, and what /init
 * then asks busybox to do (after waiting for the interface). */
static const struct {
    const char *ip, *cmds;
} good_ips[] = {
    { "10.0.0.2/24", "wait /sys/class/net/eth0\n"
                     "bb ip link set eth0 up\n"
                     "bb ip addr add 10.0.0.2/24 dev eth0\n"
                     "tinyx: eth0 is 10.0.0.2/24\n" },
    { "10.0.0.2::10.0.0.1:255.255.255.0:web:eth0:off:10.0.0.53:10.0.0.54",
      "wait /sys/class/net/eth0\n"
      "bb ip link set eth0 up\n"
      "bb ip addr add 10.0.0.2/24 dev eth0\n"
      "bb ip route add default via 10.0.0.1 dev eth0\n"
      "bb hostname web\n"
      "tinyx: eth0 is 10.0.0.2/24 via 10.0.0.1\n"
      "resolv.conf: nameserver 10.0.0.53 nameserver 10.0.0.54\n" },
    /* No netmask: the address's class, as Linux. */
    { "10.1.2.3", "wait /sys/class/net/eth0\nbb ip link set eth0 up\n"
                  "bb ip addr add 10.1.2.3/8 dev eth0\n"
                  "tinyx: eth0 is 10.1.2.3/8\n" },
    { "172.16.0.9:::", "wait /sys/class/net/eth0\nbb ip link set eth0 up\n"
                       "bb ip addr add 172.16.0.9/16 dev eth0\n"
                       "tinyx: eth0 is 172.16.0.9/16\n" },
    { "192.168.1.5", "wait /sys/class/net/eth0\nbb ip link set eth0 up\n"
                     "bb ip addr add 192.168.1.5/24 dev eth0\n"
                     "tinyx: eth0 is 192.168.1.5/24\n" },
    { "10.0.0.2:1.2.3.4::255.255.240.0::eth1:none",
      "wait /sys/class/net/eth1\nbb ip link set eth1 up\n"
      "bb ip addr add 10.0.0.2/20 dev eth1\n"
      "tinyx: eth1 is 10.0.0.2/20\n" },
    { "10.0.0.2/32:::::::::1.2.3.4",
      "wait /sys/class/net/eth0\nbb ip link set eth0 up\n"
      "bb ip addr add 10.0.0.2/32 dev eth0\n"
      "tinyx: eth0 is 10.0.0.2/32\n" },
};

/* Refused by the C check; /init refuses those marked (the others only
 * fail in busybox ip, with an invalid address). */
static const struct {
    const char *ip, *message;
    bool init_refuses;
} bad_ips[] = {
    { "", "no address", false },
    { "dhcp", "only a static address", true },
    { "on", "only a static address", true },
    { "off", "only a static address", false },
    { "10.0.0.2:::::eth0:dhcp", "autoconf \"dhcp\"", true },
    { ":::::eth0", "not an IPv4 address", true },
    { "10.0.0.256/24", "not an IPv4 address", false },
    { "10.0.0.2/33", "prefix length", false },
    { "10.0.0.2/", "prefix length", false },
    { "10.0.0.2/-1", "prefix length", false },
    { "10.0.0.2/24::::", NULL, false }, /* fine: empty fields */
    { "10.0.0.2/24:::255.255.255.0", "not both", false },
    { "10.0.0.2:::255.255.255.7", "not a netmask", true },
    { "10.0.0.2:::255.0.255.0", "not a netmask", false },
    { "10.0.0.2::10.0.0.x", "gateway \"10.0.0.x\"", false },
    { "10.0.0.2::::bad_host", "not a host name", false },
    { "10.0.0.2:::::eth0/1", "not an interface name", false },
    { "10.0.0.2 quiet", "one word", false },
    { "10.0.0.2'", "one word", false },
    { "1.1.1.1:1:2:3:4:5:6:7:8:9:10", "more than 10 fields", false },
};

START_TEST(test_ip_check)
{
    struct tx_error err;
    for (size_t i = 0; i < sizeof(good_ips) / sizeof(*good_ips); i++)
        ck_assert_msg(tinyx_ip_check(good_ips[i].ip, &err) == 0, "%s: %s",
                      good_ips[i].ip, err.msg);
    for (size_t i = 0; i < sizeof(bad_ips) / sizeof(*bad_ips); i++) {
        int r = tinyx_ip_check(bad_ips[i].ip, &err);
        if (!bad_ips[i].message) {
            ck_assert_msg(r == 0, "%s: %s", bad_ips[i].ip, err.msg);
            continue;
        }
        ck_assert_msg(r == -EINVAL, "%s accepted", bad_ips[i].ip);
        ck_assert_msg(strstr(err.msg, bad_ips[i].message), "%s: %s",
                      bad_ips[i].ip, err.msg);
    }
}
END_TEST

/* ------------------------------------------------------------ --disk */

START_TEST(test_disk_parse)
{
    struct tinyx_disk d;
    struct tx_error err;
    ck_assert_int_eq(tinyx_disk_parse("/srv/a.img", 0, "/cwd", &d, &err), 0);
    ck_assert_str_eq(d.image, "/srv/a.img");
    ck_assert_str_eq(d.vdev, "xvda");
    ck_assert_ptr_null(d.mountpoint);
    ck_assert_ptr_null(d.fstype);
    tinyx_disk_free(&d);

    ck_assert_int_eq(
        tinyx_disk_parse("img/../b.img:/data/", 1, "/cwd", &d, &err), 0);
    ck_assert_str_eq(d.image, "/cwd/b.img");
    ck_assert_str_eq(d.vdev, "xvdb");
    ck_assert_str_eq(d.mountpoint, "/data");
    ck_assert_str_eq(d.fstype, "ext4");
    tinyx_disk_free(&d);

    ck_assert_int_eq(
        tinyx_disk_parse("/a,b.img:/mnt/x:vfat", 15, "/", &d, &err), 0);
    ck_assert_str_eq(d.image, "/a,b.img");
    ck_assert_str_eq(d.vdev, "xvdp");
    ck_assert_str_eq(d.fstype, "vfat");
    tinyx_disk_free(&d);

    static const struct {
        const char *spec, *message;
        size_t index;
    } bad[] = {
        { "", "the image must be", 0 },
        { "/a'b.img", "the image must be", 0 },
        { "/a.img:data", "absolute path", 0 },
        { "/a.img:/", "absolute path", 0 },
        { "/a.img:", "absolute path", 0 },
        { "/a.img:/my data", "absolute path", 0 },
        { "/a.img:/data:", "file system type", 0 },
        { "/a.img:/data:ext 4", "file system type", 0 },
        { "/a.img:/data:ext4:x", "file system type", 0 },
        { "/a.img", "at most 16 disks", 16 },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        int r = tinyx_disk_parse(bad[i].spec, bad[i].index, "/cwd", &d, &err);
        ck_assert_msg(r == -EINVAL, "%s accepted", bad[i].spec);
        ck_assert_msg(strstr(err.msg, bad[i].message), "%s: %s", bad[i].spec,
                      err.msg);
        ck_assert_ptr_null(d.image);
    }
}
END_TEST

START_TEST(test_fs_modules)
{
    const char *m[2];
    ck_assert_uint_eq(tinyx_fs_modules("ext4", m), 2);
    ck_assert_str_eq(m[0], "crc32c_generic");
    ck_assert_str_eq(m[1], "ext4");
    ck_assert_uint_eq(tinyx_fs_modules("ext2", m), 2);
    ck_assert_str_eq(m[1], "ext4");
    ck_assert_uint_eq(tinyx_fs_modules("vfat", m), 1);
    ck_assert_str_eq(m[0], "vfat");
}
END_TEST

/* ------------------------------------------------------------ config */

START_TEST(test_config_devices)
{
    struct tinyx_disk disks[2];
    struct tx_error err;
    ck_assert(tinyx_disk_parse("/srv/web.img:/www", 0, "/", &disks[0], &err) ==
              0);
    ck_assert(tinyx_disk_parse("/srv/a,b.img", 1, "/", &disks[1], &err) == 0);
    struct guestcfg cfg = { .name = "web",
                            .kernel = "/img/vmlinuz",
                            .ramdisk = "/img/initrd.gz",
                            .memory_mib = 128,
                            .extra = "console=hvc0 ip=10.0.0.2/24",
                            .bridge = "xenbr0",
                            .disks = disks,
                            .ndisks = 2 };
    char *text = NULL;
    ck_assert_msg(guestcfg_render(&cfg, &text, &err) == 0, "%s", err.msg);
    /* The exact lines (what the docs show). */
    ck_assert_msg(strstr(text, "vif      = [ 'bridge=xenbr0' ]\n"
                               "disk     = [ '/srv/web.img,raw,xvda,rw',\n"
                               "             'format=raw, vdev=xvdb, "
                               "access=rw, target=/srv/a,b.img' ]\n"),
                  "%s", text);
    /* chaos's parser reads the same devices. */
    chaos_config *c = chaos_config_new();
    ck_assert_msg(chaos_config_parse(c, text, strlen(text), "guest.cfg") == 0,
                  "%s", chaos_config_errmsg(c));
    ck_assert_msg(chaos_config_validate(c) == 0, "%s", chaos_config_errmsg(c));
    ck_assert_uint_eq(chaos_config_vif_count(c), 1);
    struct chaos_vif_config v;
    ck_assert_int_eq(chaos_config_vif(c, 0, &v), 0);
    ck_assert_str_eq(v.bridge, "xenbr0");
    ck_assert(!v.mac_given);
    ck_assert_uint_eq(chaos_config_disk_count(c), 2);
    struct chaos_disk_config dc;
    ck_assert_int_eq(chaos_config_disk(c, 0, &dc), 0);
    ck_assert_str_eq(dc.target, "/srv/web.img");
    ck_assert_str_eq(dc.vdev, "xvda");
    ck_assert(!dc.readonly);
    ck_assert_int_eq(chaos_config_disk(c, 1, &dc), 0);
    ck_assert_str_eq(dc.target, "/srv/a,b.img");
    ck_assert_str_eq(dc.vdev, "xvdb");
    ck_assert_str_eq(chaos_config_cmdline(c), "console=hvc0 ip=10.0.0.2/24");
    chaos_config_free(c);
    free(text);

    /* No devices: no lines. */
    cfg.bridge = NULL;
    cfg.ndisks = 0;
    ck_assert(guestcfg_render(&cfg, &text, &err) == 0);
    ck_assert_ptr_null(strstr(text, "\nvif"));
    ck_assert_ptr_null(strstr(text, "\ndisk"));
    free(text);
    text = NULL;
    cfg.bridge = "br,x";
    ck_assert_int_eq(guestcfg_render(&cfg, &text, &err), -EINVAL);
    ck_assert_ptr_null(text);
    tinyx_disk_free(&disks[0]);
    tinyx_disk_free(&disks[1]);
}
END_TEST

/* ------------------------------------------------------------ /init */

START_TEST(test_init_block)
{
    struct tinyx_disk disks[2];
    struct tx_error err;
    ck_assert(tinyx_disk_parse("/d.img:/srv/it's", 0, "/", &disks[0], &err) ==
              -EINVAL);
    ck_assert(tinyx_disk_parse("/d.img:/data:vfat", 0, "/", &disks[0], &err) ==
              0);
    ck_assert(tinyx_disk_parse("/e.img", 1, "/", &disks[1], &err) == 0);
    struct rootfs_input in = { .name = "x",
                               .app_dest = "/app",
                               .net = true,
                               .disks = disks,
                               .ndisks = 2 };
    char *out = NULL;
    ck_assert(rootfs_render_init("# @TINYX_APP@\n", &in, &out, &err) == 0);
    ck_assert_msg(strstr(out,
                         "TINYX_NET=1\n"
                         "tinyx_disks() {\n"
                         "    :\n"
                         "    tinyx_disk 'xvda' '/data' 'vfat' || return 1\n"
                         "    tinyx_disk 'xvdb' '' '' || return 1\n"
                         "}\n"),
                  "%s", out);
    free(out);
    in.net = false;
    in.ndisks = 0;
    ck_assert(rootfs_render_init("# @TINYX_APP@\n", &in, &out, &err) == 0);
    ck_assert_msg(strstr(out, "TINYX_NET=\ntinyx_disks() {\n    :\n}\n"), "%s",
                  out);
    free(out);
    tinyx_disk_free(&disks[0]);
    tinyx_disk_free(&disks[1]);
}
END_TEST

/* Runs BODY after the definitions of the real init template (what comes
 * before its marker line), with a fake busybox that prints its arguments
 * ("cat" prints CMDLINE, as /proc/cmdline), tinyx_wait printing what it
 * would wait for (failing for paths with "missing" in them), and /etc in
 * D.
 * Output: stdout and stderr, then "rc=N". */
static char *run_init_fn(const char *shell, const char *cmdline,
                         const char *body)
{
    char *tmpl = tt_read(TINYX_SRCDIR "/init.sh", NULL);
    ck_assert_ptr_nonnull(tmpl);
    char *m = strstr(tmpl, "\n" ROOTFS_INIT_MARKER "\n");
    ck_assert_ptr_nonnull(m);
    m[1] = '\0';
    tt_write_str(S("%s/defs.sh", D), tmpl);
    free(tmpl);
    unlink(S("%s/resolv.conf", D));
    tt_write_str(
        S("%s/t.sh", D),
        S(". '%s/defs.sh'\n"
          "fakebb() { if [ \"$1\" = cat ]; then echo '%s'; else echo \"bb "
          "$*\"; fi; }\n"
          "bb=fakebb\netc='%s'\nTINYX_WAIT=1\n"
          "tinyx_wait() { echo \"wait $1\"; case $1 in *missing*) return 1;; "
          "esac; }\n"
          "%s\necho \"rc=$?\"\n"
          "[ ! -f '%s/resolv.conf' ] || echo \"resolv.conf: $(cat "
          "'%s/resolv.conf' | tr '\\n' ' ' | sed 's/ $//')\"\n",
          D, cmdline, D, body, D, D));
    int st;
    char *got = tt_capture(&st, "%s '%s/t.sh' 2>&1", shell, D);
    ck_assert_msg(st == 0, "%s: status %d: %s", shell, st, got);
    return got;
}

/* The shells to run /init's functions with: the host's sh, and busybox's
 * (what the guest runs) when the host has one. */
static const char *shells[] = { "sh", "/bin/busybox sh" };

static bool have_shell(const char *sh)
{
    return strcmp(sh, "sh") == 0 || tt_sh("test -x /bin/busybox") == 0;
}

START_TEST(test_init_ip)
{
    for (size_t s = 0; s < 2; s++) {
        if (!have_shell(shells[s]))
            continue;
        for (size_t i = 0; i < sizeof(good_ips) / sizeof(*good_ips); i++) {
            char *got =
                run_init_fn(shells[s], "", S("tinyx_ip '%s'", good_ips[i].ip));
            /* resolv.conf's line comes after rc=. */
            char *want = S("%s", good_ips[i].cmds);
            char *res = strstr(want, "resolv.conf:");
            if (res)
                *res = '\0';
            want = S("%src=0\n%s", want,
                     strstr(good_ips[i].cmds, "resolv.conf:")
                         ? strstr(good_ips[i].cmds, "resolv.conf:")
                         : "");
            ck_assert_msg(strcmp(got, want) == 0,
                          "%s: ip=%s:\n--- got\n%s--- want\n%s", shells[s],
                          good_ips[i].ip, got, want);
            free(got);
        }
        for (size_t i = 0; i < sizeof(bad_ips) / sizeof(*bad_ips); i++) {
            if (!bad_ips[i].init_refuses)
                continue;
            char *got =
                run_init_fn(shells[s], "", S("tinyx_ip '%s'", bad_ips[i].ip));
            ck_assert_msg(strstr(got, "rc=1\n") && strstr(got, "tinyx: ") &&
                              !strstr(got, "bb ip"),
                          "%s: ip=%s: %s", shells[s], bad_ips[i].ip, got);
            free(got);
        }
        /* ip=off: nothing at all. */
        char *got = run_init_fn(shells[s], "", "tinyx_ip off");
        ck_assert_str_eq(got, "rc=0\n");
        free(got);
    }
}
END_TEST

START_TEST(test_init_net)
{
    for (size_t s = 0; s < 2; s++) {
        if (!have_shell(shells[s]))
            continue;
        /* The last ip= of the command line wins; globs stay words. */
        char *got = run_init_fn(
            shells[s], "console=hvc0 ip=1.2.3.4/8 * quiet ip=10.0.0.9/24",
            "tinyx_net");
        ck_assert_msg(strcmp(got, "wait /sys/class/net/eth0\n"
                                  "bb ip link set eth0 up\n"
                                  "bb ip addr add 10.0.0.9/24 dev eth0\n"
                                  "tinyx: eth0 is 10.0.0.9/24\nrc=0\n") == 0,
                      "%s: %s", shells[s], got);
        free(got);
        /* No ip=: the interface comes up without an address. */
        got = run_init_fn(shells[s], "console=hvc0 quiet", "tinyx_net");
        ck_assert_msg(strstr(got, "no ip= on the kernel command line") &&
                          strstr(got, "bb ip link set eth0 up\nrc=0\n") &&
                          !strstr(got, "addr add"),
                      "%s: %s", shells[s], got);
        free(got);
        /* An interface that never appears. */
        got = run_init_fn(shells[s], "", "tinyx_ip '10.0.0.2:::::missing'");
        ck_assert_msg(strstr(got, "tinyx: no network interface missing") &&
                          strstr(got, "rc=1\n") && !strstr(got, "bb ip"),
                      "%s: %s", shells[s], got);
        free(got);
    }
}
END_TEST

/* tinyx_follow: what tinyx-netwatch did (it applies the addresses
 * itself), one line each: "start" at start ("-": the store had none, the
 * command line's address stays), "resumed ADDR MAC" after each resume,
 * "error TEXT" said as it comes; the ready file after the first. */
START_TEST(test_init_follow)
{
    for (size_t s = 0; s < 2; s++) {
        if (!have_shell(shells[s]))
            continue;
        char *got = run_init_fn(
            shells[s], "1",
            S("run='%s'; rm -f \"$run/tinyx-net.ready\"\n"
              "tinyx_ip 10.0.0.2::10.0.0.254:255.255.255.0::eth0:off "
              ">/dev/null\n"
              "printf '%%s\\n' 'start -' 'resumed 10.0.0.11/24 "
              "00:16:3e:00:00:01' 'error no gratuitous ARP for 10.0.0.12' "
              "'resumed 10.0.0.12/8 00:16:3e:00:00:02' 'resumed - "
              "00:16:3e:00:00:03' | tinyx_follow\n"
              "[ -e \"$run/tinyx-net.ready\" ] && echo ready",
              D));
        const char *want =
            "tinyx: resumed: eth0 is 10.0.0.11/24, mac 00:16:3e:00:00:01\n"
            "tinyx: no gratuitous ARP for 10.0.0.12\n"
            "tinyx: resumed: eth0 is 10.0.0.12/8, mac 00:16:3e:00:00:02\n"
            "tinyx: resumed: eth0 is without an address, mac "
            "00:16:3e:00:00:03\n"
            "ready\nrc=0\n";
        ck_assert_msg(strcmp(got, want) == 0, "%s:\n--- got\n%s--- want\n%s",
                      shells[s], got, want);
        free(got);
        /* At start, the store's address replaced the command line's. */
        got = run_init_fn(shells[s], "1",
                          S("run='%s'\n"
                            "tinyx_ip 10.0.0.2/24 >/dev/null\n"
                            "echo 'start 10.0.0.3/24' | tinyx_follow",
                            D));
        ck_assert_msg(strcmp(got, "tinyx: eth0 is 10.0.0.3/24 (the vif's "
                                  "ip=)\nrc=0\n") == 0,
                      "%s: %s", shells[s], got);
        free(got);
    }
}
END_TEST

START_TEST(test_init_disks)
{
    for (size_t s = 0; s < 2; s++) {
        if (!have_shell(shells[s]))
            continue;
        char *got = run_init_fn(shells[s], "",
                                "tinyx_disk xvda /data ext4 && tinyx_disk "
                                "xvdb '' '' && echo \"mounted: "
                                "$tinyx_mounted\"");
        ck_assert_msg(strcmp(got, "wait /dev/xvda\n"
                                  "bb mkdir -p /data\n"
                                  "bb mount -t ext4 /dev/xvda /data\n"
                                  "wait /dev/xvdb\n"
                                  "mounted: /data \nrc=0\n") == 0,
                      "%s: %s", shells[s], got);
        free(got);
        /* A disk that never appears: said, and a failure. */
        got = run_init_fn(shells[s], "", "tinyx_disk ../missing/x /d ext4");
        ck_assert_msg(strstr(got, "tinyx: no disk /dev/../missing/x") &&
                          strstr(got, "rc=1\n") && !strstr(got, "mount"),
                      "%s: %s", shells[s], got);
        free(got);
    }
}
END_TEST

/* tinyx_run: the program with the console as stdin without
 * TINYX_STDIN; with it, run by the helper (fakes here: one gives it a
 * pipe, one says it cannot and gives it /dev/null); the program's status
 * either way. */
START_TEST(test_init_stdin)
{
    tt_write_str(S("%s/helper-ok", D),
                 "#!/bin/sh\necho from-helper | \"$@\"\n");
    tt_write_str(S("%s/helper-fail", D),
                 "#!/bin/sh\necho 'tinyx-stdin: no console' >&2\n"
                 "\"$@\" </dev/null\n");
    ck_assert_int_eq(tt_sh("chmod +x %s/helper-ok %s/helper-fail", D, D), 0);
    for (size_t s = 0; s < 2; s++) {
        if (!have_shell(shells[s]))
            continue;
        char *got =
            run_init_fn(shells[s], "",
                        S("echo console | tinyx_run cat\n"
                          "TINYX_STDIN='%s/helper-ok'\n"
                          "echo console | tinyx_run sh -c 'cat; exit 6'\n"
                          "echo \"status $?\"\n"
                          "TINYX_STDIN='%s/helper-fail'\n"
                          "echo console | tinyx_run cat\n"
                          "echo \"status $?\"\n"
                          "TINYX_STDIN=\n"
                          "tinyx_run sh -c 'exit 4'\n"
                          "echo \"status $?\"",
                          D, D));
        ck_assert_msg(strcmp(got, "console\nfrom-helper\nstatus 6\n"
                                  "tinyx-stdin: no console\nstatus 0\n"
                                  "status 4\nrc=0\n") == 0,
                      "%s: %s", shells[s], got);
        free(got);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tinyx devices");
    TCase *tc = tcase_create("all");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_ifnames);
    tcase_add_test(tc, test_ip_check);
    tcase_add_test(tc, test_disk_parse);
    tcase_add_test(tc, test_fs_modules);
    tcase_add_test(tc, test_config_devices);
    tcase_add_test(tc, test_init_block);
    tcase_add_test(tc, test_init_ip);
    tcase_add_test(tc, test_init_net);
    tcase_add_test(tc, test_init_follow);
    tcase_add_test(tc, test_init_disks);
    tcase_add_test(tc, test_init_stdin);
    suite_add_tcase(s, tc);
    return check_run(s);
}
