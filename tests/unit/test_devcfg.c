/*
 * test_devcfg.c - the devices of a chaos_config ("vif" and "disk"): xl's
 * spec syntaxes, what chaos refuses and the exact messages, the bounds,
 * validation (clashes between devices),
 * overrides, the C API and text round trips.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chaos.h"
#include "check_run.h"
#include "config_fixture.h"

static struct chaos_vif_config vif(unsigned i)
{
    struct chaos_vif_config v;
    ck_assert_int_eq(chaos_config_vif(cfg, i, &v), 0);
    return v;
}

static struct chaos_disk_config disk(unsigned i)
{
    struct chaos_disk_config d;
    ck_assert_int_eq(chaos_config_disk(cfg, i, &d), 0);
    return d;
}

/* The one disk of a config made of spec alone. */
static struct chaos_disk_config one_disk(const char *spec)
{
    chaos_config_clear_disks(cfg);
    ck_assert_msg(chaos_config_add_disk(cfg, spec) == 0, "%s: %s", spec,
                  chaos_config_errmsg(cfg));
    ck_assert_uint_eq(chaos_config_disk_count(cfg), 1);
    return disk(0);
}

#define ck_disk_err(spec, msg)                                         \
    do {                                                               \
        ck_assert_int_eq(chaos_config_add_disk(cfg, (spec)), -EINVAL); \
        ck_assert_str_eq(chaos_config_errmsg(cfg), (msg));             \
    } while (0)

#define ck_vif_err(spec, msg)                                         \
    do {                                                              \
        ck_assert_int_eq(chaos_config_add_vif(cfg, (spec)), -EINVAL); \
        ck_assert_str_eq(chaos_config_errmsg(cfg), (msg));            \
    } while (0)

START_TEST(vif_keys)
{
    ck_parse_ok("vif = [ 'mac=00:16:3E:0A:1b:2c,bridge=br-lan,ip=10.0.0.2,"
                "vifname=web0,type=vif', '' ,\n"
                "  ' bridge = xenbr1 ,, ip=192.168.1.9 ,' ]");
    ck_assert_uint_eq(chaos_config_vif_count(cfg), 3);
    struct chaos_vif_config v = vif(0);
    ck_assert(v.mac_given);
    ck_assert_str_eq(v.mac, "00:16:3e:0a:1b:2c");
    ck_assert_uint_eq(v.mac_bytes[0], 0x00);
    ck_assert_uint_eq(v.mac_bytes[5], 0x2c);
    ck_assert_str_eq(v.bridge, "br-lan");
    ck_assert_str_eq(v.ip, "10.0.0.2");
    ck_assert_str_eq(v.vifname, "web0");
    /* '' is a vif with every default, as in xl. */
    v = vif(1);
    ck_assert(!v.mac_given);
    ck_assert_str_eq(v.mac, "");
    ck_assert_str_eq(v.bridge, "xenbr0");
    ck_assert_str_eq(v.ip, "");
    ck_assert_str_eq(v.vifname, "");
    ck_assert_uint_eq(v.ip_prefix, 0);
    v = vif(2);
    ck_assert_str_eq(v.bridge, "xenbr1");
    ck_assert_str_eq(v.ip, "192.168.1.9");
    ck_assert_uint_eq(v.ip_bytes[0], 192);
    ck_assert_uint_eq(v.ip_bytes[3], 9);
    ck_assert_uint_eq(v.ip_prefix, 0);
    /* A prefix length, kept (and written back by chaos_config_to_text). */
    ck_assert_int_eq(chaos_config_add_vif(cfg, "ip=10.0.0.7/24"), 0);
    v = vif(3);
    ck_assert_str_eq(v.ip, "10.0.0.7");
    ck_assert_uint_eq(v.ip_prefix, 24);
    char *text = chaos_config_to_text(cfg);
    ck_assert_ptr_nonnull(strstr(text, "\"bridge=xenbr0,ip=10.0.0.7/24\""));
    free(text);
    chaos_config_clear_vifs(cfg);
    ck_parse_ok("vif = [ 'mac=00:16:3E:0A:1b:2c,bridge=br-lan,ip=10.0.0.2,"
                "vifname=web0,type=vif', '' ,\n"
                "  ' bridge = xenbr1 ,, ip=192.168.1.9 ,' ]");
    struct chaos_vif_config none;
    ck_assert_int_eq(chaos_config_vif(cfg, 3, &none), -ENOENT);
    /* An empty value is the default. */
    ck_assert_int_eq(chaos_config_add_vif(cfg, "mac=,bridge="), 0);
    v = vif(3);
    ck_assert(!v.mac_given);
    ck_assert_str_eq(v.bridge, "xenbr0");
}
END_TEST

START_TEST(vif_errors)
{
    ck_parse_err("name = 'a'\nvif = [ 'bridge=xenbr0',\n  'script=vif-route' ]",
                 "g.cfg:3:3: vif[1]: 'script' is not supported by chaos "
                 "(chaos runs no hotplug scripts)");
    ck_parse_err("vif = [ 'rate=10Mb/s' ]",
                 "g.cfg:1:9: vif[0]: 'rate' is not supported by chaos "
                 "(no rate limiting yet)");
    ck_parse_err("vif = [ 'backend=dd' ]",
                 "g.cfg:1:9: vif[0]: 'backend' is not supported by chaos "
                 "(back ends run in dom0 (no driver domains))");
    ck_parse_err("vif = [ 'colo_compare_out=x' ]",
                 "g.cfg:1:9: vif[0]: 'colo_compare_out' is not supported by "
                 "chaos (COLO is not supported)");
    ck_parse_err("vif = [ 'model=e1000' ]",
                 "g.cfg:1:9: vif[0]: 'model' is not supported by chaos "
                 "(emulated NICs are for HVM guests)");
    ck_parse_err("vif = [ 'brige=xenbr0' ]",
                 "g.cfg:1:9: vif[0]: unknown key 'brige' (chaos takes mac, "
                 "bridge, ip, vifname and type)");
    ck_parse_err("vif = [ 'xenbr0' ]",
                 "g.cfg:1:9: vif[0]: 'xenbr0' is not KEY=VALUE (as mac=..., "
                 "bridge=...)");
    ck_parse_err("vif = [ 'bridge=a,bridge=b' ]",
                 "g.cfg:1:9: vif[0]: 'bridge' is given twice");
    ck_parse_err("vif = [ 'type=ioemu' ]",
                 "g.cfg:1:9: vif[0]: 'type': ioemu NICs are emulated for HVM "
                 "guests; chaos guests take type=vif");
    ck_parse_err("vif = [ 'type=x' ]",
                 "g.cfg:1:9: vif[0]: 'type': unknown type 'x' (expected vif)");
#define IP_HINT                                                       \
    "(one address, as 10.0.0.2, optionally with a prefix length, as " \
    "10.0.0.2/24)"
    ck_parse_err(
        "vif = [ 'ip=10.1' ]",
        "g.cfg:1:9: vif[0]: 'ip': '10.1' is not an IPv4 address " IP_HINT);
    ck_parse_err("vif = [ 'ip=10.0.0.1 10.0.0.2' ]",
                 "g.cfg:1:9: vif[0]: 'ip': '10.0.0.1 10.0.0.2' is not an IPv4 "
                 "address " IP_HINT);
    ck_parse_err("vif = [ 'ip=10.0.0.1/33' ]",
                 "g.cfg:1:9: vif[0]: 'ip': '10.0.0.1/33' is not an IPv4 "
                 "address " IP_HINT);
    ck_parse_err("vif = [ 'ip=10.0.0.1/' ]",
                 "g.cfg:1:9: vif[0]: 'ip': '10.0.0.1/' is not an IPv4 "
                 "address " IP_HINT);
    ck_parse_err("vif = [ 'ip=10.0.0.1/-8' ]",
                 "g.cfg:1:9: vif[0]: 'ip': '10.0.0.1/-8' is not an IPv4 "
                 "address " IP_HINT);
    ck_parse_err("vif = [ 'ip=224.0.0.1' ]",
                 "g.cfg:1:9: vif[0]: 'ip': 224.0.0.1 is not a unicast "
                 "address");
    ck_parse_err("vif = [ 'bridge=a-bridge-too-long' ]",
                 "g.cfg:1:9: vif[0]: 'bridge': 'a-bridge-too-long' is not an "
                 "interface name (1 to 15 letters, digits, '_', '-', '.')");
    ck_parse_err("vif = [ 'vifname=a/b' ]",
                 "g.cfg:1:9: vif[0]: 'vifname': 'a/b' is not an interface name "
                 "(1 to 15 letters, digits, '_', '-', '.')");
    ck_parse_err("vif = [ [ 'mac=00:16:3e:00:00:01' ] ]",
                 "g.cfg:1:9: 'vif': expected a string for each device, found "
                 "a list");
    ck_assert_uint_eq(chaos_config_vif_count(cfg), 0);
}
END_TEST

START_TEST(mac_rules)
{
    static const char *const bad[] = {
        "00:16:3e:00:00",   "00:16:3e:00:00:01:02", "00-16-3e-00-00-01",
        "0:16:3e:00:00:01", "00:16:3e:00:00:0g",    "00:16:3e:00:00:01 x",
        "0016.3e00.0001",   "  :  :  :  :  :  ",
    };
    char msg[200];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char spec[64];
        snprintf(spec, sizeof(spec), "mac=%s", bad[i]);
        /* The value is trimmed before it is read. */
        snprintf(msg, sizeof(msg),
                 "vif[0]: 'mac': '%s' is not a MAC address (expected six hex "
                 "octets, 00:16:3e:xx:xx:xx)",
                 bad[i][0] == ' ' ? ":  :  :  :  :" : bad[i]);
        ck_vif_err(spec, msg);
    }
    ck_vif_err("mac=01:16:3e:00:00:01",
               "vif[0]: 'mac': 01:16:3e:00:00:01 is a multicast address (the "
               "first octet must be even)");
    ck_vif_err("mac=ff:ff:ff:ff:ff:ff",
               "vif[0]: 'mac': ff:ff:ff:ff:ff:ff is a multicast address (the "
               "first octet must be even)");
    ck_vif_err("mac=00:00:00:00:00:00",
               "vif[0]: 'mac': 00:00:00:00:00:00 is not an address (leave "
               "'mac' out to have one made)");
    /* Locally administered addresses are fine. */
    ck_assert_int_eq(chaos_config_add_vif(cfg, "mac=02:AB:cd:00:00:01"), 0);
    ck_assert_str_eq(vif(0).mac, "02:ab:cd:00:00:01");
}
END_TEST

START_TEST(mac_fill)
{
    const uint8_t rnd[3] = { 0xff, 0x01, 0xa0 };
    ck_assert_int_eq(chaos_config_add_vif(cfg, "bridge=xenbr0"), 0);
    ck_assert_int_eq(chaos_config_add_vif(cfg, "mac=00:16:3e:00:00:07"), 0);
    struct chaos_vif_config v = vif(0);
    chaos_vif_fill_mac(&v, rnd);
    ck_assert(!v.mac_given); /* made, not given */
    ck_assert_str_eq(v.mac, "00:16:3e:7f:01:a0");
    ck_assert_uint_eq(v.mac_bytes[3], 0x7f); /* xl clears the top bit */
    ck_assert_uint_eq(v.mac_bytes[5], 0xa0);
    v = vif(1);
    chaos_vif_fill_mac(&v, rnd);
    ck_assert_str_eq(v.mac, "00:16:3e:00:00:07");
    /* The configuration itself never changes. */
    ck_assert_str_eq(vif(0).mac, "");
}
END_TEST

START_TEST(disk_forms)
{
    /* xl-disk-configuration(5)'s equivalent spellings. */
    static const char *const same[] = {
        "/var/img/web.img,raw,xvda,rw",
        "/var/img/web.img,,xvda",
        "/var/img/web.img,raw,xvda,w",
        "format=raw, vdev=xvda, access=rw, target=/var/img/web.img",
        "vdev=xvda,/var/img/web.img",
        "  /var/img/web.img , raw , xvda , rw ",
        "raw:/var/img/web.img,xvda,w",
        "phy:/var/img/web.img,xvda,w",
        "tap:aio:/var/img/web.img,xvda,rw",
        "/var/img/web.img,raw,xvda,rw,devtype=disk",
        ",raw,xvda,target=/var/img/web.img",
        "/var/img/web.img,raw,xvda:disk,rw",
    };
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        struct chaos_disk_config d = one_disk(same[i]);
        ck_assert_msg(strcmp(d.target, "/var/img/web.img") == 0, "%s: '%s'",
                      same[i], d.target);
        ck_assert_str_eq(d.vdev, "xvda");
        ck_assert(!d.readonly);
    }
    ck_assert(one_disk("/i,raw,xvdb,ro").readonly);
    ck_assert(one_disk("/i,raw,xvdb,r").readonly);
    ck_assert(one_disk("access=ro,vdev=xvdzzz,target=/i").readonly);
    ck_assert_str_eq(one_disk("access=ro,vdev=xvdzzz,target=/i").vdev,
                     "xvdzzz");
    /* target= takes the rest, commas and trailing blanks included. */
    ck_assert_str_eq(one_disk("vdev=xvda, target=/a,b=c, d ").target,
                     "/a,b=c, d ");
    /* A colon that is not a known prefix is part of the path. */
    ck_assert_str_eq(one_disk("/img:1,,xvdc").target, "/img:1");
    struct chaos_disk_config none;
    ck_assert_int_eq(chaos_config_disk(cfg, 1, &none), -ENOENT);
}
END_TEST

START_TEST(disk_errors)
{
    ck_disk_err("/i,qcow2,xvda",
                "disk[0]: 'format': qcow2 images are not supported (chaos's "
                "block back end reads raw images)");
    ck_disk_err("qcow2:/i,xvda,w",
                "disk[0]: 'format': qcow2 images are not supported (chaos's "
                "block back end reads raw images)");
    ck_disk_err("/i,iso,xvda",
                "disk[0]: 'format': unknown format 'iso' (expected raw)");
    ck_disk_err("/i,,hdc,cdrom",
                "disk[0]: 'cdrom' is not supported by chaos (chaos guests "
                "have no CD-ROM drives)");
    ck_disk_err("/i,raw,hdc,devtype=cdrom",
                "disk[0]: 'cdrom' is not supported by chaos (chaos guests "
                "have no CD-ROM drives)");
    ck_disk_err("/i,,hdc:cdrom,r",
                "disk[0]: 'cdrom' is not supported by chaos (chaos guests "
                "have no CD-ROM drives)");
    ck_disk_err("/i,raw,xvda,devtype=floppy",
                "disk[0]: 'devtype': unknown type 'floppy' (expected disk)");
    ck_disk_err("/i,raw,hda",
                "disk[0]: 'vdev': 'hda' names an emulated disk; chaos guests "
                "have xvd disks (xvda, xvdb, ...)");
    ck_disk_err("/i,raw,sdb",
                "disk[0]: 'vdev': 'sdb' names an emulated disk; chaos guests "
                "have xvd disks (xvda, xvdb, ...)");
    ck_disk_err("/i,raw,xvda1",
                "disk[0]: 'vdev': 'xvda1' is a partition; give a whole disk "
                "(xvda)");
    ck_disk_err("/i,raw,xvdaaaa",
                "disk[0]: 'vdev': 'xvdaaaa' is not a disk name (xvda, xvdb, "
                "..., xvdzzz)");
    ck_disk_err("/i,raw,XVDA",
                "disk[0]: 'vdev': 'XVDA' is not a disk name (xvda, xvdb, ..., "
                "xvdzzz)");
    ck_disk_err("/i", "disk[0]: no vdev given (as vdev=xvda: xl requires one)");
    ck_disk_err("vdev=xvda", "disk[0]: no target given (the image's path, as "
                             "target=/var/lib/chaos/disk.img)");
    ck_disk_err("img/web.img,raw,xvda",
                "disk[0]: 'target': 'img/web.img' is not an absolute path (xl "
                "would read it as /dev/img/web.img)");
    ck_disk_err("/i,raw,xvda,rx",
                "disk[0]: 'access': unknown access 'rx' (expected rw, ro, w "
                "or r)");
    ck_disk_err("/i,raw,xvda,rw,extra",
                "disk[0]: 'extra': target, format, vdev and access are all "
                "given already");
    ck_disk_err("/i,raw,xvda,format=raw", "disk[0]: 'format' is given twice");
    ck_disk_err("target=/a,/i", "disk[0]: no vdev given (as vdev=xvda: xl "
                                "requires one)");
    ck_disk_err("/i,raw,xvda,target=/j", "disk[0]: 'target' is given twice");
    ck_disk_err("/i,raw,xvda,backendtype=qdisk",
                "disk[0]: 'backendtype' is not supported by chaos (chaos has "
                "one block back end, its own)");
    ck_disk_err("/i,raw,xvda,script=block-iscsi",
                "disk[0]: 'script' is not supported by chaos (chaos runs no "
                "hotplug scripts)");
    ck_disk_err("iscsi:iqn.x,xvda,w",
                "disk[0]: 'iscsi:' (a block script) is not supported by chaos "
                "(it runs no hotplug scripts)");
    ck_disk_err("/i,raw,xvda,discard",
                "disk[0]: 'discard' is not supported by chaos (not supported "
                "yet)");
    ck_disk_err("/i,raw,xvda,colo,colo-host=h",
                "disk[0]: 'colo' is not supported by chaos (COLO is not "
                "supported)");
    ck_disk_err("/i,raw,xvda,cache=none",
                "disk[0]: unknown parameter 'cache' (chaos takes target, "
                "format, vdev, access and devtype)");
    ck_assert_uint_eq(chaos_config_disk_count(cfg), 0);
    /* In a file: the item's position. */
    ck_parse_err("disk = [ '/a,raw,xvda',\n\t\"/b,raw,xvdb,x\" ]",
                 "g.cfg:2:2: disk[1]: 'access': unknown access 'x' (expected "
                 "rw, ro, w or r)");
}
END_TEST

START_TEST(bounds)
{
    for (int i = 0; i < CHAOS_CONFIG_MAX_VIFS; i++)
        ck_assert_int_eq(chaos_config_add_vif(cfg, ""), 0);
    ck_assert_int_eq(chaos_config_add_vif(cfg, ""), -ENOSPC);
    ck_assert_str_eq(chaos_config_errmsg(cfg),
                     "vif[8]: a guest has at most 8 vifs");
    for (int i = 0; i < CHAOS_CONFIG_MAX_DISKS; i++) {
        char spec[32];
        snprintf(spec, sizeof(spec), "/d,raw,xvd%c", 'a' + i);
        ck_assert_int_eq(chaos_config_add_disk(cfg, spec), 0);
    }
    ck_assert_int_eq(chaos_config_add_disk(cfg, "/d,raw,xvdz"), -ENOSPC);
    ck_assert_str_eq(chaos_config_errmsg(cfg),
                     "disk[16]: a guest has at most 16 disks");
    /* A file with too many is refused at the item that overflows. */
    chaos_config_clear_vifs(cfg);
    ck_assert_int_eq(parse("vif = [ '', '', '', '', '', '', '', '', '' ]"),
                     -ENOSPC);
    ck_assert_str_eq(chaos_config_errmsg(cfg),
                     "g.cfg:1:41: vif[8]: a guest has at most 8 vifs");
    ck_assert_uint_eq(chaos_config_vif_count(cfg), 0);
    char *long_spec = malloc(5000);
    memset(long_spec, 'a', 4999);
    long_spec[4999] = '\0';
    ck_vif_err(long_spec, "vif[0]: longer than 4096 bytes");
    free(long_spec);
}
END_TEST

START_TEST(lists_assign_and_append)
{
    ck_parse_ok("vif = [ 'bridge=a' ]\nvif += [ 'bridge=b', 'bridge=c' ]\n"
                "disk = [ '/1,,xvda' ]\ndisk = [ '/2,,xvdb' ]");
    ck_assert_uint_eq(chaos_config_vif_count(cfg), 3);
    ck_assert_str_eq(vif(2).bridge, "c");
    ck_assert_uint_eq(chaos_config_disk_count(cfg), 1);
    ck_assert_str_eq(disk(0).target, "/2");
    /* Overrides: a list, or one spec as a plain string. */
    ck_assert_int_eq(chaos_config_set_arg(cfg, "vif=bridge=xenbr1"), 0);
    ck_assert_uint_eq(chaos_config_vif_count(cfg), 1);
    ck_assert_str_eq(vif(0).bridge, "xenbr1");
    ck_assert_int_eq(
        chaos_config_set_arg(cfg, "vif+=['mac=00:16:3e:00:00:01', '']"), 0);
    ck_assert_uint_eq(chaos_config_vif_count(cfg), 3);
    ck_assert_int_eq(chaos_config_set_arg(cfg, "disk+=/3,raw,xvdc,ro"), 0);
    ck_assert_uint_eq(chaos_config_disk_count(cfg), 2);
    ck_assert(disk(1).readonly);
    ck_assert_int_eq(chaos_config_set_arg(cfg, "vif=[]"), 0);
    ck_assert_uint_eq(chaos_config_vif_count(cfg), 0);
    ck_assert_int_eq(chaos_config_set_arg(cfg, "disk=/4,raw,hda"), -EINVAL);
    ck_assert_str_eq(chaos_config_errmsg(cfg),
                     "command line: disk[0]: 'vdev': 'hda' names an emulated "
                     "disk; chaos guests have xvd disks (xvda, xvdb, ...)");
    /* A failed override or file changes nothing. */
    ck_assert_uint_eq(chaos_config_disk_count(cfg), 2);
    ck_assert_int_eq(parse("disk += [ '/5,raw,xvde' ]\nvif = [ 'x=1' ]"),
                     -EINVAL);
    ck_assert_uint_eq(chaos_config_disk_count(cfg), 2);
}
END_TEST

START_TEST(validation)
{
    const char *base = "name = 'a'\nkernel = '/k'\n";
    char text[512];

    snprintf(text, sizeof(text),
             "%sdisk = [ '/a,raw,xvda', '/b,raw,xvdb',\n"
             "  '/c,raw,xvda' ]",
             base);
    ck_parse_ok(text);
    ck_assert_int_eq(chaos_config_validate(cfg), -EINVAL);
    ck_assert_str_eq(chaos_config_errmsg(cfg),
                     "g.cfg:4:3: disk[2]: 'vdev': xvda is also disk[0]'s");

    chaos_config_free(cfg);
    cfg = chaos_config_new();
    snprintf(text, sizeof(text),
             "%svif = [ 'mac=00:16:3e:00:00:01',\n"
             "'mac=00:16:3E:00:00:01' ]",
             base);
    ck_parse_ok(text);
    ck_assert_int_eq(chaos_config_validate(cfg), -EINVAL);
    ck_assert_str_eq(chaos_config_errmsg(cfg),
                     "g.cfg:4:1: vif[1]: 'mac': 00:16:3e:00:00:01 is also "
                     "vif[0]'s");

    chaos_config_free(cfg);
    cfg = chaos_config_new();
    snprintf(text, sizeof(text), "%svif = [ 'vifname=w0', 'vifname=w0' ]",
             base);
    ck_parse_ok(text);
    ck_assert_int_eq(chaos_config_validate(cfg), -EINVAL);
    ck_assert_str_eq(chaos_config_errmsg(cfg),
                     "g.cfg:3:23: vif[1]: 'vifname': w0 is also vif[0]'s");

    /* Well-formed devices are accepted, and so are empty lists. */
    chaos_config_free(cfg);
    cfg = chaos_config_new();
    snprintf(text, sizeof(text), "%s  vif = [ '' ]\ndisk = [ '/a,,xvda' ]",
             base);
    ck_parse_ok(text);
    ck_assert_int_eq(chaos_config_validate(cfg), 0);
    ck_assert_uint_eq(chaos_config_vif_count(cfg), 1);
    ck_assert_uint_eq(chaos_config_disk_count(cfg), 1);
    ck_assert_int_eq(chaos_config_set_arg(cfg, "vif=[]"), 0);
    ck_assert_uint_eq(chaos_config_vif_count(cfg), 0);
    ck_assert_int_eq(chaos_config_validate(cfg), 0);
}
END_TEST

static void ck_same_devices(const chaos_config *a, const chaos_config *b)
{
    ck_assert_uint_eq(chaos_config_vif_count(a), chaos_config_vif_count(b));
    for (unsigned i = 0; i < chaos_config_vif_count(a); i++) {
        struct chaos_vif_config x, y;
        ck_assert_int_eq(chaos_config_vif(a, i, &x), 0);
        ck_assert_int_eq(chaos_config_vif(b, i, &y), 0);
        ck_assert(memcmp(&x, &y, sizeof(x)) == 0);
    }
    ck_assert_uint_eq(chaos_config_disk_count(a), chaos_config_disk_count(b));
    for (unsigned i = 0; i < chaos_config_disk_count(a); i++) {
        struct chaos_disk_config x, y;
        ck_assert_int_eq(chaos_config_disk(a, i, &x), 0);
        ck_assert_int_eq(chaos_config_disk(b, i, &y), 0);
        ck_assert_str_eq(x.target, y.target);
        ck_assert_str_eq(x.vdev, y.vdev);
        ck_assert_int_eq(x.readonly, y.readonly);
    }
}

START_TEST(round_trip)
{
    ck_parse_ok(
        "vif = [ 'mac=00:16:3E:0a:0b:0c,bridge=br0,ip=10.0.0.2,vifname=v.1', "
        "'', 'ip=1.2.3.4' ]\n"
        "disk = [ 'phy:/var/img/a.img,xvda,r', "
        "'vdev=xvdb,target=/odd \"path\",with, commas\\\\ ' ]");
    char *text = chaos_config_to_text(cfg);
    ck_assert_ptr_nonnull(text);
    ck_assert_msg(strstr(text, "vif = [ \"mac=00:16:3e:0a:0b:0c,bridge=br0,"
                               "vifname=v.1,ip=10.0.0.2\",\n"
                               "    \"bridge=xenbr0\",\n"
                               "    \"bridge=xenbr0,ip=1.2.3.4\" ]\n"),
                  "%s", text);
    ck_assert_msg(strstr(text, "disk = [ \"format=raw, vdev=xvda, access=ro, "
                               "target=/var/img/a.img\",\n"
                               "    \"format=raw, vdev=xvdb, access=rw, "
                               "target=/odd \\\"path\\\",with, commas\\\\ \" "
                               "]\n"),
                  "%s", text);
    chaos_config *again = chaos_config_new();
    ck_assert_msg(chaos_config_parse(again, text, strlen(text), "t") == 0,
                  "%s\n%s", chaos_config_errmsg(again), text);
    ck_same_devices(cfg, again);
    char *text2 = chaos_config_to_text(again);
    ck_assert_str_eq(text, text2);
    free(text);
    free(text2);
    chaos_config_free(again);
    /* No devices, no lines. */
    chaos_config_clear_vifs(cfg);
    chaos_config_clear_disks(cfg);
    text = chaos_config_to_text(cfg);
    ck_assert_ptr_null(strstr(text, "vif"));
    ck_assert_ptr_null(strstr(text, "disk"));
    free(text);
}
END_TEST

static Suite *devcfg_suite(void)
{
    Suite *s = suite_create("devcfg");
    TCase *tc = tcase_create("devcfg");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, vif_keys);
    tcase_add_test(tc, vif_errors);
    tcase_add_test(tc, mac_rules);
    tcase_add_test(tc, mac_fill);
    tcase_add_test(tc, disk_forms);
    tcase_add_test(tc, disk_errors);
    tcase_add_test(tc, bounds);
    tcase_add_test(tc, lists_assign_and_append);
    tcase_add_test(tc, validation);
    tcase_add_test(tc, round_trip);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(devcfg_suite());
}
