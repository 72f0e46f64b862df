/*
 * cmd_build.c - the `tinyx build` and `tinyx kernel` commands: command
 * line in, library call (build.c, kernel.c), messages out.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tinyx_build.h"
#include "tinyx_cmds.h"

void help_build(FILE *f)
{
    fputs(
        "NAME\n"
        "    tinyx build - make a bootable Xen guest that runs one "
        "application\n"
        "\n"
        "SYNOPSIS\n"
        "    tinyx build [OPTION]... -o DIR [--] PROGRAM [ARG]...\n"
        "    tinyx build [OPTION]... -o DIR --package PKG [--] [PROGRAM "
        "[ARG]...]\n"
        "\n"
        "DESCRIPTION\n"
        "    Writes to the folder DIR a Linux kernel, a gzip-compressed "
        "initramfs\n"
        "    holding PROGRAM, every shared library it needs (found by reading "
        "the\n"
        "    ELF files, never by running them), static BusyBox and an /init "
        "that\n"
        "    runs PROGRAM with its ARGs, prints \"tinyx: exit status N\" on "
        "the\n"
        "    console and powers the VM off (reboots it when N is not 0: Xen's\n"
        "    shutdown reason tells the outcome); a guest config for `chaos "
        "create`\n"
        "    and `xl create`; and a manifest of every file in the image.\n"
        "\n"
        "    PROGRAM is a host program (a path, or a name looked up in PATH), "
        "or,\n"
        "    with --package, a program of a Debian package: its path in the\n"
        "    package, or a name looked up in the package's bin folders "
        "(default:\n"
        "    the package's name).  The package is fetched with apt-get "
        "download and\n"
        "    unpacked with dpkg-deb into the cache, never installed; when "
        "libraries\n"
        "    are missing, the packages it depends on are fetched too, one "
        "layer of\n"
        "    Depends at a time, until none is missing.\n"
        "\n"
        "    The build happens in a temporary folder next to DIR, renamed to "
        "DIR at\n"
        "    the end: a failed build leaves nothing.  The initramfs is "
        "reproducible\n"
        "    (same inputs, same bytes; SOURCE_DATE_EPOCH sets its mtimes).\n"
        "\n"
        "OPTIONS\n"
        "    -o, --output DIR       the output folder (required)\n"
        "    -p, --package PKG      take PROGRAM from Debian package PKG\n"
        "    -t, --target TARGET    xen-pv (default) or xen-pvh\n"
        "    -e, --env NAME=VALUE   environment of PROGRAM (repeatable); PATH "
        "and\n"
        "                           HOME=/root are set by default\n"
        "    -f, --file SRC[:DEST]  add a host file or folder (repeatable); "
        "DEST is\n"
        "                           absolute; default: SRC's own path if "
        "absolute, else\n"
        "                           /NAME.  ELF files among them bring their "
        "libraries\n"
        "    -i, --include PATH     add PATH (file or folder) from the package "
        "and its\n"
        "                           dependencies, or from the host "
        "(repeatable)\n"
        "    -l, --lib NAME         add a library by soname, e.g. one PROGRAM "
        "loads\n"
        "                           with dlopen() (repeatable)\n"
        "    -C, --workdir DIR      run PROGRAM in DIR of the image (default "
        "/)\n"
        "    -n, --name NAME        guest name (default: PROGRAM's name)\n"
        "    -k, --kernel KERNEL    debian (default): Debian's current kernel, "
        "with\n"
        "                           the modules --module asks for and no "
        "others;\n"
        "                           tinyconfig: built from Debian's "
        "linux-source\n"
        "                           with make tinyconfig plus the Xen options "
        "of the\n"
        "                           target (cached; the first build takes "
        "long); or\n"
        "                           the path of a kernel image\n"
        "    -M, --module NAME      add kernel module NAME and the modules it "
        "needs,\n"
        "                           from the debian kernel's package "
        "(repeatable);\n"
        "                           NAME as modprobe takes it, - and _ alike "
        "(e.g.\n"
        "                           xen-netfront).  /init loads them before "
        "PROGRAM\n"
        "                           runs, dependencies first.  A module built "
        "into\n"
        "                           the kernel is skipped with a warning; an "
        "unknown\n"
        "                           one is an error.  Not with a tinyconfig "
        "kernel\n"
        "                           (no modules) or a kernel file (unknown "
        "modules)\n"
        "        --net              a network interface: xen-netfront "
        "(Debian's module;\n"
        "                           built into a tinyconfig kernel),\n"
        "                           vif = [ 'bridge=BRIDGE' ] in the config, "
        "and an\n"
        "                           /init that gives eth0 the address of ip= "
        "on the\n"
        "                           kernel command line before PROGRAM runs\n"
        "        --bridge BRIDGE    the bridge of the interface (default "
        "xenbr0, as\n"
        "                           xl); implies --net\n"
        "        --ip VALUE         ip=VALUE in the config's extra, Linux's "
        "syntax,\n"
        "                           static only: ADDR/PREFIX or\n"
        "                           ADDR::GW:NETMASK:HOSTNAME:eth0:off[:DNS0:"
        "DNS1];\n"
        "                           implies --net\n"
        "        --disk IMAGE[:MOUNTPOINT[:FSTYPE]]\n"
        "                           a disk (repeatable: xvda, xvdb, ...): "
        "xen-blkfront\n"
        "                           (Debian's module; built into a "
        "tinyconfig kernel,\n"
        "                           which mounts nothing), IMAGE (a raw image "
        "on the\n"
        "                           host, made absolute, not read) in the "
        "config's\n"
        "                           disk list; with MOUNTPOINT, /init mounts "
        "it there\n"
        "                           as FSTYPE (default ext4; its module is "
        "added)\n"
        "    -m, --memory MiB       guest memory (default: computed from the "
        "kernel\n"
        "                           and the image sizes)\n"
        "        --cmdline ARGS     appended to the kernel command line\n"
        "                           (\"" TINYX_CMDLINE "\":\n"
        "                           a kernel panic reboots, which the config "
        "turns\n"
        "                           into destroy; see docs/tinyx.md)\n"
        "        --image-dir DIR    the folder the config's kernel and ramdisk "
        "paths\n"
        "                           name (default: DIR, absolute; \".\": "
        "relative\n"
        "                           paths, for a folder that will move)\n"
        "        --busybox FILE     the static BusyBox to use (default: "
        "/bin/busybox\n"
        "                           if static, else Debian's busybox-static, "
        "fetched)\n"
        "        --cache DIR        downloads and unpacked packages (default\n"
        "                           /var/cache/tinyx; env TINYX_CACHE)\n"
        "    -j, --jobs N           parallel jobs of a kernel build (default: "
        "CPUs)\n"
        "        --force            replace DIR if it exists\n"
        "    -q, --quiet            no progress messages\n"
        "    -h, --help             show this help\n"
        "\n"
        "OUTPUT\n"
        "    DIR/vmlinuz     the kernel\n"
        "    DIR/initrd.gz   the initramfs (cpio newc, gzip)\n"
        "    DIR/guest.cfg   the guest config (xl.cfg syntax)\n"
        "    DIR/manifest    PATH TAB TYPE TAB SIZE TAB ORIGIN, one line per "
        "entry\n"
        "    DIR/build/      the packer's spec, the generated files (init, "
        "/etc\n"
        "                    files), unpacked compressed modules, and the "
        "packages\n"
        "                    used (NAME TAB VERSION TAB ARCH)\n"
        "\n"
        "ENVIRONMENT\n"
        "    TINYX_CACHE        default of --cache\n"
        "    TINYX_DATADIR      folder of the init template init.sh (default: "
        "where\n"
        "                       it was installed)\n"
        "    TINYX_LIBEXECDIR   folder of tinyx-netwatch, the --net images'\n"
        "                       helper (default: where it was installed)\n"
        "    SOURCE_DATE_EPOCH  mtime of every archive entry (default 0)\n"
        "\n"
        "EXIT STATUS\n"
        "    0 success, 1 failure, 2 usage error.\n"
        "\n"
        "EXAMPLES\n"
        "    tinyx build -o sq --package sqlite3 -- sqlite3 :memory: 'select "
        "6*7;'\n"
        "    tinyx build -o hello -t xen-pvh -e GREETING=hi ./hello --loud\n"
        "    tinyx build -o mods -M xen-netfront /bin/cat /proc/modules\n"
        "    tinyx build -o web --ip 10.0.0.2/24 -p lighttpd -f lighttpd.conf:"
        "/etc/l.conf \\\n"
        "        -- lighttpd -D -f /etc/l.conf\n"
        "    tinyx build -o db --disk /srv/db.img:/data -p sqlite3 -- sqlite3 "
        "/data/db\n"
        "    chaos create sq/guest.cfg\n",
        f);
}

static void on_progress(void *ctx, const char *msg)
{
    if (!*(bool *)ctx)
        fprintf(stderr, "tinyx: %s\n", msg);
}

static int parse_uint(const char *s, unsigned max, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || errno || v == 0 || v > max || s[0] == '-')
        return -EINVAL;
    *out = (unsigned)v;
    return 0;
}

static void print_size(const char *what, const char *file, uint64_t bytes,
                       const char *more)
{
    printf("  %-10s %-10s %8.1f MiB  %s\n", what, file,
           (double)bytes / (1024.0 * 1024.0), more);
}

enum {
    OPT_CACHE = 256,
    OPT_BUSYBOX,
    OPT_IMAGE_DIR,
    OPT_CMDLINE,
    OPT_FORCE,
    OPT_CONFIG_ONLY,
    OPT_NET,
    OPT_BRIDGE,
    OPT_IP,
    OPT_DISK
};

int cmd_build(int argc, char **argv)
{
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' },
        { "package", required_argument, NULL, 'p' },
        { "target", required_argument, NULL, 't' },
        { "env", required_argument, NULL, 'e' },
        { "file", required_argument, NULL, 'f' },
        { "include", required_argument, NULL, 'i' },
        { "lib", required_argument, NULL, 'l' },
        { "workdir", required_argument, NULL, 'C' },
        { "name", required_argument, NULL, 'n' },
        { "kernel", required_argument, NULL, 'k' },
        { "module", required_argument, NULL, 'M' },
        { "memory", required_argument, NULL, 'm' },
        { "jobs", required_argument, NULL, 'j' },
        { "cache", required_argument, NULL, OPT_CACHE },
        { "busybox", required_argument, NULL, OPT_BUSYBOX },
        { "image-dir", required_argument, NULL, OPT_IMAGE_DIR },
        { "cmdline", required_argument, NULL, OPT_CMDLINE },
        { "force", no_argument, NULL, OPT_FORCE },
        { "net", no_argument, NULL, OPT_NET },
        { "bridge", required_argument, NULL, OPT_BRIDGE },
        { "ip", required_argument, NULL, OPT_IP },
        { "disk", required_argument, NULL, OPT_DISK },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct tinyx_build_opts o = { .target = TINYX_XEN_PV };
    const char **env = NULL, **files = NULL, **incs = NULL, **libs = NULL,
               **mods = NULL, **disks = NULL;
    size_t nenv = 0, nfiles = 0, nincs = 0, nlibs = 0, nmods = 0, ndisks = 0;
    bool quiet = false;
    int c, status = EXIT_FAILURE, r = 0;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    o.jobs = ncpu > 0 ? (unsigned)ncpu : 1;
    o.cache = getenv("TINYX_CACHE");
    o.datadir = getenv("TINYX_DATADIR");
    o.libexecdir = getenv("TINYX_LIBEXECDIR");

    /* '+': options end at PROGRAM, whose own options are its business. */
    while ((c = getopt_long(argc, argv, "+o:p:t:e:f:i:l:C:n:k:M:m:j:qh", opts,
                            NULL)) != -1) {
        switch (c) {
            case 'o':
                o.output = optarg;
                break;
            case 'p':
                o.package = optarg;
                break;
            case 't':
                if (tinyx_target_parse(optarg, &o.target) < 0) {
                    status = tx_usage_error(
                        "build", "--target must be xen-pv or xen-pvh");
                    goto out;
                }
                break;
            case 'e':
                r = tx_push_arg(&env, &nenv, optarg);
                break;
            case 'f':
                r = tx_push_arg(&files, &nfiles, optarg);
                break;
            case 'i':
                r = tx_push_arg(&incs, &nincs, optarg);
                break;
            case 'l':
                r = tx_push_arg(&libs, &nlibs, optarg);
                break;
            case 'C':
                o.workdir = optarg;
                break;
            case 'n':
                o.name = optarg;
                break;
            case 'k':
                o.kernel = optarg;
                break;
            case 'M':
                r = tx_push_arg(&mods, &nmods, optarg);
                break;
            case 'm':
                if (parse_uint(optarg, 1u << 20, &o.memory_mib) < 0) {
                    status = tx_usage_error("build",
                                            "--memory takes a number of MiB");
                    goto out;
                }
                break;
            case 'j':
                if (parse_uint(optarg, 1024, &o.jobs) < 0) {
                    status = tx_usage_error("build",
                                            "--jobs takes a positive number");
                    goto out;
                }
                break;
            case OPT_CACHE:
                o.cache = optarg;
                break;
            case OPT_BUSYBOX:
                o.busybox = optarg;
                break;
            case OPT_IMAGE_DIR:
                o.image_dir = optarg;
                break;
            case OPT_CMDLINE:
                o.cmdline = optarg;
                break;
            case OPT_FORCE:
                o.force = true;
                break;
            case OPT_NET:
                o.net = true;
                break;
            case OPT_BRIDGE:
                o.bridge = optarg;
                break;
            case OPT_IP:
                o.ip = optarg;
                break;
            case OPT_DISK:
                r = tx_push_arg(&disks, &ndisks, optarg);
                break;
            case 'q':
                quiet = true;
                break;
            case 'h':
                help_build(stdout);
                status = EXIT_SUCCESS;
                goto out;
            default:
                status = tx_usage_error("build", NULL);
                goto out;
        }
        if (r < 0) {
            fputs("tinyx build: out of memory\n", stderr);
            goto out;
        }
    }
    if (!o.output) {
        status = tx_usage_error("build", "no output folder given (-o DIR)");
        goto out;
    }
    if (optind < argc) {
        o.program = argv[optind];
        o.args = (const char *const *)argv + optind + 1;
        o.nargs = (size_t)(argc - optind - 1);
    } else if (!o.package) {
        status = tx_usage_error("build", "no PROGRAM given");
        goto out;
    }
    o.env = env;
    o.nenv = nenv;
    o.files = files;
    o.nfiles = nfiles;
    o.includes = incs;
    o.nincludes = nincs;
    o.libs = libs;
    o.nlibs = nlibs;
    o.modules = mods;
    o.nmodules = nmods;
    o.disks = disks;
    o.ndisks = ndisks;
    o.progress = on_progress;
    o.progress_ctx = &quiet;

    struct tinyx_build_result res;
    struct tx_error err = { { 0 } };
    if (tinyx_build(&o, &res, &err) < 0) {
        fprintf(stderr, "tinyx build: %s\n", err.msg);
        goto out;
    }
    /* Not progress: something asked for was not done, said even with -q. */
    for (size_t i = 0; i < res.warnings.n; i++)
        fprintf(stderr, "tinyx: %s\n", res.warnings.v[i]);
    if (!quiet) {
        for (size_t i = 0; i < res.notes.n; i++)
            printf("  %s\n", res.notes.v[i]);
        char more[128];
        print_size("kernel", TINYX_OUT_KERNEL, res.kernel_bytes, "");
        snprintf(more, sizeof(more), "%zu entries, %.1f MiB unpacked",
                 res.nfiles, (double)res.unpacked_bytes / (1024.0 * 1024.0));
        print_size("initramfs", TINYX_OUT_INITRD, res.initrd_bytes, more);
        printf("  %-10s %-10s memory %u MiB, target %s\n", "config",
               TINYX_OUT_CONFIG, res.memory_mib, tinyx_target_name(o.target));
        printf("tinyx build: wrote %s; boot it with: chaos create %s/%s (or xl "
               "create)\n",
               o.output, o.output, TINYX_OUT_CONFIG);
    }
    tinyx_build_result_free(&res);
    status = EXIT_SUCCESS;
out:
    free(env);
    free(files);
    free(incs);
    free(libs);
    free(mods);
    free(disks);
    return status;
}

void help_kernel(FILE *f)
{
    fputs("NAME\n"
          "    tinyx kernel - fetch or build the kernel tinyx build uses, "
          "print its path\n"
          "\n"
          "SYNOPSIS\n"
          "    tinyx kernel [--target TARGET] [--cache DIR] [--config-only] "
          "[-j N] KERNEL\n"
          "\n"
          "DESCRIPTION\n"
          "    KERNEL is debian (Debian's current kernel, fetched into the "
          "cache) or\n"
          "    tinyconfig (built from Debian's linux-source: make tinyconfig, "
          "plus the\n"
          "    Xen guest options of TARGET, checked to be in the final "
          ".config).\n"
          "    With --config-only, a tinyconfig kernel is configured and "
          "checked but\n"
          "    not built, and the path printed is its .config.  Progress goes "
          "to\n"
          "    standard error; the path to standard output.\n"
          "\n"
          "OPTIONS\n"
          "    -t, --target TARGET  xen-pv (default) or xen-pvh\n"
          "        --cache DIR      as for tinyx build (default "
          "/var/cache/tinyx)\n"
          "        --config-only    tinyconfig: stop after the configuration\n"
          "    -j, --jobs N         parallel jobs of the kernel build\n"
          "    -h, --help           show this help\n",
          f);
}

int cmd_kernel(int argc, char **argv)
{
    static const struct option opts[] = {
        { "target", required_argument, NULL, 't' },
        { "cache", required_argument, NULL, OPT_CACHE },
        { "config-only", no_argument, NULL, OPT_CONFIG_ONLY },
        { "jobs", required_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    enum tinyx_target target = TINYX_XEN_PV;
    const char *cache = getenv("TINYX_CACHE");
    bool config_only = false, quiet = false;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned jobs = ncpu > 0 ? (unsigned)ncpu : 1;
    int c;
    while ((c = getopt_long(argc, argv, "t:j:h", opts, NULL)) != -1) {
        switch (c) {
            case 't':
                if (tinyx_target_parse(optarg, &target) < 0)
                    return tx_usage_error("kernel",
                                          "--target must be xen-pv or xen-pvh");
                break;
            case OPT_CACHE:
                cache = optarg;
                break;
            case OPT_CONFIG_ONLY:
                config_only = true;
                break;
            case 'j':
                if (parse_uint(optarg, 1024, &jobs) < 0)
                    return tx_usage_error("kernel",
                                          "--jobs takes a positive number");
                break;
            case 'h':
                help_kernel(stdout);
                return EXIT_SUCCESS;
            default:
                return tx_usage_error("kernel", NULL);
        }
    }
    if (argc - optind != 1)
        return tx_usage_error("kernel",
                              "give one KERNEL: debian or tinyconfig");
    const char *kind = argv[optind];
    if (!cache)
        cache = "/var/cache/tinyx";
    struct tinyx_kernel k;
    struct tx_error err = { { 0 } };
    int r;
    if (strcmp(kind, "debian") == 0)
        r = kernel_debian(cache, on_progress, &quiet, &k, &err);
    else if (strcmp(kind, "tinyconfig") == 0)
        r = kernel_tinyconfig(cache, target, jobs, config_only, on_progress,
                              &quiet, &k, &err);
    else
        return tx_usage_error("kernel", "KERNEL must be debian or tinyconfig");
    if (r < 0) {
        fprintf(stderr, "tinyx kernel: %s\n", err.msg);
        return EXIT_FAILURE;
    }
    printf("%s\n", k.path);
    fprintf(stderr, "tinyx kernel: %s\n", k.desc);
    kernel_free(&k);
    return EXIT_SUCCESS;
}
