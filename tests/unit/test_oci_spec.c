/*
 * Unit tests: chaos-oci's config.json translation
 * (tools/chaos-oci/oci_spec.c): what a typical bundle gives, sizes from
 * resources and annotations, and every refusal naming its field.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check_run.h"
#include "oci_bind.h"
#include "oci_spec.h"

#define PROCESS "\"process\": { \"args\": [\"sh\", \"-c\", \"exit 7\"] }"
#define ROOT "\"root\": { \"path\": \"rootfs\" }"
#define SPECVER "\"ociVersion\": \"1.0.2\""

static int parse(const char *text, struct oci_spec *s, char *msg)
{
    return oci_spec_parse(text, strlen(text), "/b", s, msg, 512);
}

START_TEST(typical_bundle)
{
    struct oci_spec s;
    char msg[512] = "";
    const char *text =
        "{ \"ociVersion\": \"1.2.0\", \"hostname\": \"h\","
        "  \"root\": { \"path\": \"rootfs\", \"readonly\": true },"
        "  \"process\": { \"terminal\": false, \"user\": {\"uid\": 0, "
        "\"gid\": 0},"
        "    \"args\": [\"echo\", \"hello\"], \"env\": [\"PATH=/bin\", "
        "\"A=b=c\"],"
        "    \"cwd\": \"/tmp\", \"capabilities\": {}, \"rlimits\": [] },"
        "  \"mounts\": [ { \"destination\": \"/proc\", \"type\": \"proc\", "
        "\"source\": \"proc\" } ],"
        "  \"linux\": { \"namespaces\": [ {\"type\": \"pid\"} ],"
        "    \"resources\": { \"memory\": { \"limit\": 209715201 },"
        "                     \"cpu\": { \"quota\": 250000, \"period\": "
        "100000 } } },"
        "  \"annotations\": { \"org.chaos.kernel\": \"/k\", \"x.y\": \"z\" } "
        "}\n";
    ck_assert_int_eq(parse(text, &s, msg), 0);
    ck_assert_str_eq(s.root_path, "/b/rootfs");
    ck_assert_uint_eq(s.nargs, 2);
    ck_assert_str_eq(s.args[0], "echo");
    ck_assert_str_eq(s.args[1], "hello");
    ck_assert_uint_eq(s.nenv, 2);
    ck_assert_str_eq(s.env[1], "A=b=c");
    ck_assert_str_eq(s.cwd, "/tmp");
    ck_assert_str_eq(s.hostname, "h");
    ck_assert_uint_eq(s.memory_mib, 201); /* rounded up */
    ck_assert_uint_eq(s.vcpus, 3);        /* 2.5 CPUs, rounded up */
    ck_assert_str_eq(s.kernel, "/k");
    ck_assert_ptr_null(s.flavor);
    ck_assert_uint_eq(s.nannotations, 2);
    ck_assert_str_eq(s.annotations[1].key, "x.y");
    oci_spec_free(&s);
}
END_TEST

/* The config.json containerd 1.6's runc shim hands its runtime for
 * `ctr run --rootfs DIR --env PATH=/bin ID sh -c ...` (Debian 12's
 * containerd; only root.path changed): every field it sets is accepted. */
START_TEST(containerd_ctr_run)
{
    FILE *f = fopen(OCI_CORPUS_DIR "/ctr-run-rootfs.json", "r");
    ck_assert_ptr_nonnull(f);
    char text[16384];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    struct oci_spec s;
    char msg[512] = "";
    ck_assert_msg(parse(text, &s, msg) == 0, "refused: %s", msg);
    ck_assert_str_eq(s.root_path, "/srv/busybox-rootfs");
    ck_assert_uint_eq(s.nargs, 3);
    ck_assert_str_eq(s.args[2], "echo hi; exit 3");
    ck_assert_uint_eq(s.nenv, 1);
    ck_assert_ptr_null(s.hostname); /* ctr sets none: the ID is used */
    ck_assert_uint_eq(s.memory_mib, OCI_DEFAULT_MEMORY_MIB);
    ck_assert_uint_eq(s.vcpus, 1);
    oci_spec_free(&s);
}
END_TEST

/* Bind mounts are kept (copied in and mounted by the guest: oci_bind.h),
 * "ro" noted; one on /dev/shm is the guest's own tmpfs. */
START_TEST(bind_mounts)
{
    struct oci_spec s;
    char msg[512] = "";
    const char *text =
        "{" SPECVER "," ROOT "," PROCESS ", \"mounts\": ["
        " {\"destination\": \"/etc/hosts\", \"type\": \"bind\","
        "  \"source\": \"/h/hosts\", \"options\": [\"rbind\", \"rw\"]},"
        " {\"destination\": \"/dev/shm\", \"type\": \"bind\","
        "  \"source\": \"/h/shm\", \"options\": [\"rbind\"]},"
        " {\"destination\": \"/cfg\", \"type\": \"none\","
        "  \"source\": \"/h/it's\", \"options\": [\"bind\", \"ro\"]} ]}";
    ck_assert_msg(parse(text, &s, msg) == 0, "refused: %s", msg);
    ck_assert_uint_eq(s.nbinds, 2);
    ck_assert_str_eq(s.binds[0].source, "/h/hosts");
    ck_assert_str_eq(s.binds[0].destination, "/etc/hosts");
    ck_assert(!s.binds[0].readonly);
    ck_assert_str_eq(s.binds[1].destination, "/cfg");
    ck_assert(s.binds[1].readonly);
    /* The guest's argv: BusyBox's sh mounts, then execs the program. */
    bool is_dir[] = { false, true };
    size_t n;
    char **v = oci_bind_argv(&s, is_dir, &n);
    ck_assert_ptr_nonnull(v);
    ck_assert_uint_eq(n, 5 + s.nargs);
    ck_assert_str_eq(v[0], "/bin/busybox");
    ck_assert_str_eq(v[1], "sh");
    ck_assert_str_eq(v[2], "-c");
    ck_assert_str_eq(v[4], "chaos-oci"); /* $0; "$@" is the program */
    ck_assert_str_eq(v[5], "sh");
    ck_assert_str_eq(v[7], "exit 7");
    ck_assert_ptr_null(v[n]);
    const char *want[] = {
        /* a file: an empty file as its mount point */
        "[ -e '/etc/hosts' ] || /bin/busybox touch '/etc/hosts'",
        "mount --bind " OCI_BIND_DIR "/0 '/etc/hosts' ||",
        /* a folder, read-only, its name quoted for sh */
        "mkdir -p '/cfg' && ",
        "mount --bind " OCI_BIND_DIR "/1 '/cfg' && /bin/busybox mount -o "
        "remount,bind,ro '/cfg' ||",
        "'/h/it'\\''s'",
        "exit 125; }",
        "\nexec \"$@\"\n",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++)
        ck_assert_msg(strstr(v[3], want[i]), "script lacks [%s]:\n%s", want[i],
                      v[3]);
    ck_assert_msg(!strstr(v[3], "/dev/shm"), "%s", v[3]);
    oci_argv_free(v, n);
    oci_spec_free(&s);
}
END_TEST

START_TEST(defaults_and_sizes)
{
    struct oci_spec s;
    char msg[512];
    ck_assert_int_eq(parse("{" SPECVER "," ROOT "," PROCESS "}", &s, msg), 0);
    ck_assert_uint_eq(s.memory_mib, OCI_DEFAULT_MEMORY_MIB);
    ck_assert_uint_eq(s.vcpus, 1);
    ck_assert_str_eq(s.cwd, "/");
    ck_assert(!s.terminal);
    oci_spec_free(&s);
    /* An absolute root stays; a tiny limit is raised to the floor; the
     * annotation wins over the limit; quota -1 is no limit. */
    ck_assert_int_eq(
        parse("{" SPECVER ", \"root\": {\"path\": \"/r\"}," PROCESS
              ", \"linux\": {\"resources\": {\"memory\": {\"limit\": 1024},"
              " \"cpu\": {\"quota\": -1}}}}",
              &s, msg),
        0);
    ck_assert_str_eq(s.root_path, "/r");
    ck_assert_uint_eq(s.memory_mib, OCI_MIN_MEMORY_MIB);
    ck_assert_uint_eq(s.vcpus, 1);
    oci_spec_free(&s);
    ck_assert_int_eq(parse("{" SPECVER "," ROOT "," PROCESS
                           ", \"annotations\": {\"org.chaos.memory\": "
                           "\"300\", \"org.chaos.flavor\": \"small\"},"
                           " \"linux\": {\"resources\": {\"memory\": "
                           "{\"limit\": 1073741824}}}}",
                           &s, msg),
                     0);
    ck_assert_uint_eq(s.memory_mib, 300);
    ck_assert_str_eq(s.flavor, "small");
    ck_assert(!s.direct); /* through chaosd when it runs */
    oci_spec_free(&s);
    /* org.chaos.direct: chaos-oci builds the guest itself. */
    ck_assert_int_eq(parse("{" SPECVER "," ROOT "," PROCESS
                           ", \"annotations\": {\"org.chaos.direct\": "
                           "\"true\"}}",
                           &s, msg),
                     0);
    ck_assert(s.direct);
    oci_spec_free(&s);
    ck_assert_int_eq(parse("{" SPECVER "," ROOT "," PROCESS
                           ", \"annotations\": {\"org.chaos.direct\": "
                           "\"false\"}}",
                           &s, msg),
                     0);
    ck_assert(!s.direct);
    oci_spec_free(&s);
}
END_TEST

START_TEST(versions)
{
    static const char *const good[] = { "1.0.0", "1.0.2-dev", "1.1.0",
                                        "1.2.0", "1.2.1+x",   "1.0.10" };
    static const char *const bad[] = { "",        "1",     "1.0",    "2.0.0",
                                       "1.3.0",   "0.9.9", "1.0.0x", "1..0",
                                       "01.0.0a", "1.0.0 " };
    for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
        ck_assert_msg(oci_version_ok(good[i]), "%s", good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        ck_assert_msg(!oci_version_ok(bad[i]), "%s", bad[i]);
}
END_TEST

struct refusal {
    const char *text;
    const char *needle; /* in the message */
};

static const struct refusal refusals[] = {
    { "", "not JSON" },
    { "[]", "not a JSON object" },
    { "{} {}", "text after" },
    { "{" ROOT "," PROCESS "}", "ociVersion is missing" },
    { "{\"ociVersion\": \"3.0.0\"," ROOT "," PROCESS "}", "3.0.0" },
    { "{" SPECVER "," PROCESS "}", "root is missing" },
    { "{" SPECVER ", \"root\": {}," PROCESS "}", "root.path is missing" },
    { "{" SPECVER "," ROOT "}", "process is missing" },
    { "{" SPECVER "," ROOT ", \"process\": {}}", "process.args" },
    { "{" SPECVER "," ROOT ", \"process\": {\"args\": []}}", "process.args" },
    { "{" SPECVER "," ROOT ", \"process\": {\"args\": [\"\"]}}",
      "process.args" },
    { "{" SPECVER "," ROOT ", \"process\": {\"args\": [1]}}",
      "process.args[0]" },
    { "{" SPECVER "," ROOT "," PROCESS ", \"vm\": {}}", "vm is not supported" },
    { "{" SPECVER "," ROOT "," PROCESS ", \"hooks\": {\"prestart\": [{}]}}",
      "hooks" },
    { "{" SPECVER "," ROOT ", \"process\": {\"args\": [\"a\"], \"env\": "
      "[\"1A=b\"]}}",
      "process.env[0]" },
    { "{" SPECVER "," ROOT ", \"process\": {\"args\": [\"a\"], \"cwd\": "
      "\"rel\"}}",
      "process.cwd" },
    { "{" SPECVER "," ROOT ", \"process\": {\"args\": [\"a\"], \"user\": "
      "{\"uid\": 1000}}}",
      "uid 1000" },
    { "{" SPECVER "," ROOT ", \"process\": {\"args\": [\"a\"], \"magic\": "
      "1}}",
      "process.magic" },
    { "{" SPECVER "," ROOT "," PROCESS ", \"mounts\": [{\"destination\": "
      "\"/x\", \"type\": \"bind\", \"source\": \"h\"}]}",
      "mounts[0]: the source of the bind mount on /x is not an absolute" },
    { "{" SPECVER "," ROOT "," PROCESS ", \"mounts\": [{\"destination\": "
      "\"x\", \"type\": \"proc\"}]}",
      "mounts[0].destination \"x\" is not an absolute path" },
    { "{" SPECVER "," ROOT "," PROCESS ", \"mounts\": [{\"destination\": "
      "\"/x\", \"type\": \"none\", \"options\": [\"rbind\"]}]}",
      "bind mount" },
    { "{" SPECVER "," ROOT "," PROCESS ", \"mounts\": [{\"destination\": "
      "\"/x\", \"type\": \"ext4\"}]}",
      "type ext4" },
    { "{" SPECVER "," ROOT "," PROCESS ", \"linux\": {\"uidMappings\": "
      "[{}]}}",
      "linux.uidMappings" },
    { "{" SPECVER "," ROOT "," PROCESS ", \"linux\": {\"sysctl\": "
      "{\"a\": \"1\"}}}",
      "linux.sysctl" },
    { "{" SPECVER "," ROOT "," PROCESS ", \"linux\": {\"resources\": "
      "{\"memory\": {\"limit\": \"x\"}}}}",
      "linux.resources.memory.limit" },
    { "{" SPECVER "," ROOT "," PROCESS ", \"linux\": {\"resources\": "
      "{\"cpu\": {\"quota\": 1, \"period\": 0}}}}",
      "linux.resources.cpu.period" },
    { "{" SPECVER "," ROOT "," PROCESS ", \"linux\": {\"resources\": "
      "{\"gpu\": {}}}}",
      "linux.resources.gpu" },
    { "{" SPECVER "," ROOT "," PROCESS
      ", \"annotations\": {\"org.chaos.kernal\": \"/k\"}}",
      "org.chaos.kernal" },
    { "{" SPECVER "," ROOT "," PROCESS
      ", \"annotations\": {\"org.chaos.kernel\": \"k\"}}",
      "absolute" },
    { "{" SPECVER "," ROOT "," PROCESS
      ", \"annotations\": {\"org.chaos.memory\": \"12x\"}}",
      "org.chaos.memory" },
    { "{" SPECVER "," ROOT "," PROCESS ", \"annotations\": {\"a\": 1}}",
      "annotations.a" },
    { "{" SPECVER "," ROOT "," PROCESS
      ", \"annotations\": {\"org.chaos.direct\": \"yes\"}}",
      "org.chaos.direct" },
    /* How the guest was made is chaos-oci's to say (state), not the
     * bundle's. */
    { "{" SPECVER "," ROOT "," PROCESS
      ", \"annotations\": {\"org.chaos.path\": \"pool\"}}",
      "org.chaos.path" },
};

START_TEST(refused)
{
    const struct refusal *c = &refusals[_i];
    struct oci_spec s;
    char msg[512] = "";
    ck_assert_int_eq(parse(c->text, &s, msg), -EINVAL);
    ck_assert_msg(strstr(msg, c->needle), "%s: message \"%s\" lacks \"%s\"",
                  c->text, msg, c->needle);
    ck_assert_ptr_null(s.args); /* nothing kept after a failure */
    ck_assert_ptr_null(s.root_path);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("oci_spec");
    TCase *tc = tcase_create("spec");
    tcase_add_test(tc, typical_bundle);
    tcase_add_test(tc, containerd_ctr_run);
    tcase_add_test(tc, bind_mounts);
    tcase_add_test(tc, defaults_and_sizes);
    tcase_add_test(tc, versions);
    tcase_add_loop_test(tc, refused, 0,
                        (int)(sizeof(refusals) / sizeof(*refusals)));
    suite_add_tcase(s, tc);
    return check_run(s);
}
