/*
 * tinyx.c - the `tinyx` command: builds minimal Linux images.
 *
 * Subcommands live in one table; adding one (e.g. `tinyx build`) means a
 * run function, a help function and a row (`build` and `kernel` live in
 * cmd_build.c).  Exit status everywhere: 0 success, 1 failure, 2 usage
 * error.  Only the command files print; the library reports through
 * struct tx_error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cpio.h"
#include "elfdeps.h"
#include "initramfs.h"
#include "tinyx_cmds.h"

struct command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
    void (*help)(FILE *f);
};

static const struct command *find_command(const char *name);
static void help_main(FILE *f);

int tx_usage_error(const char *cmd, const char *msg)
{
    if (msg)
        fprintf(stderr, "tinyx %s: %s\n", cmd, msg);
    fprintf(stderr, "Try 'tinyx %s --help'.\n", cmd);
    return EXIT_USAGE;
}

int tx_push_arg(const char ***v, size_t *n, const char *s)
{
    const char **nv = realloc(*v, (*n + 1) * sizeof(**v));
    if (!nv)
        return -ENOMEM;
    nv[(*n)++] = s;
    *v = nv;
    return 0;
}

/* ------------------------------------------------------------ pack */

static void help_pack(FILE *f)
{
    fputs(
        "NAME\n"
        "    tinyx pack - build a cpio (initramfs) archive from a spec\n"
        "\n"
        "SYNOPSIS\n"
        "    tinyx pack [--sysroot DIR]... [--gzip] [--manifest FILE] "
        "[--warn-missing]\n"
        "               -o OUT SPEC\n"
        "\n"
        "DESCRIPTION\n"
        "    Reads SPEC (\"-\": standard input) and writes a cpio \"newc\" "
        "archive, the\n"
        "    format Linux unpacks as its initramfs, to OUT (\"-\": standard "
        "output).\n"
        "    The shared libraries of every ELF program in the spec are found "
        "by\n"
        "    reading the ELF files (PT_INTERP, DT_NEEDED, DT_RPATH, "
        "DT_RUNPATH,\n"
        "    $ORIGIN), searched as glibc's ld.so searches, inside the "
        "sysroots, and\n"
        "    packed too, with the symlinks that lead to them.\n"
        "\n"
        "    The archive is reproducible: entries sorted by path, owner 0:0, "
        "mtime 0\n"
        "    (or SOURCE_DATE_EPOCH), sequential inode numbers.  It is written "
        "to a\n"
        "    temporary file renamed at the end; on failure no archive is left "
        "at OUT\n"
        "    (an older one is removed too, so it cannot pass for the result).\n"
        "\n"
        "OPTIONS\n"
        "    -o, --output OUT     where to write the archive (required)\n"
        "    -s, --sysroot DIR    a directory treated as / when looking for "
        "libraries;\n"
        "                         repeatable, tried in order (default: /).  "
        "Symlinks\n"
        "                         inside it never lead out of it.  Its "
        "/etc/ld.so.conf\n"
        "                         adds search directories.\n"
        "    -z, --gzip           compress the archive with gzip (no name or "
        "time in\n"
        "                         the gzip header)\n"
        "    -m, --manifest FILE  also write one line per archive entry:\n"
        "                         PATH<TAB>TYPE<TAB>SIZE<TAB>ORIGIN, TYPE "
        "being dir,\n"
        "                         file, symlink or nod; ORIGIN tells where it "
        "comes\n"
        "                         from (source file or link target) and which "
        "spec\n"
        "                         line put it there\n"
        "    -w, --warn-missing   a library that cannot be found is a warning, "
        "not an\n"
        "                         error\n"
        "    -h, --help           show this help\n"
        "\n"
        "SPEC FORMAT\n"
        "    One entry per line; fields are separated by blanks and may be "
        "quoted\n"
        "    with \"...\" (\\\" and \\\\ inside quotes); a field that starts "
        "with '#'\n"
        "    starts a comment, up to the end of the line.\n"
        "\n"
        "      dir    DEST [MODE]                directory (MODE octal, "
        "default 0755)\n"
        "      file   DEST SRC [MODE]            regular file (MODE default: "
        "SRC's)\n"
        "      elf    DEST SRC [MODE]            file + its library closure + "
        "its\n"
        "                                        interpreter\n"
        "      lib    NAME                       a library by soname or file "
        "name\n"
        "                                        (e.g. dlopen()ed ones) + its "
        "closure\n"
        "      tree   DEST SRCDIR                recursive copy of files, "
        "directories,\n"
        "                                        symlinks, device nodes; ELF "
        "files in it\n"
        "                                        bring their closure\n"
        "      slink  DEST TARGET                symbolic link\n"
        "      nod    DEST c|b MAJOR MINOR [MODE] device node (MODE default "
        "0600)\n"
        "\n"
        "    A relative SRC starts from the spec's directory (the working "
        "directory\n"
        "    for standard input).  Parent directories are created (0755).  "
        "Libraries\n"
        "    go where they were found in their sysroot; symlinks met on the "
        "way\n"
        "    (libfoo.so.1 -> libfoo.so.1.2, /lib -> usr/lib) are recreated.  A "
        "DEST\n"
        "    below a symlink of the image lands where the symlink points.  The "
        "same\n"
        "    DEST twice is fine if identical; otherwise it is a conflict.  "
        "Errors\n"
        "    name SPEC:LINE.\n"
        "\n"
        "EXIT STATUS\n"
        "    0 success, 1 failure, 2 usage error.\n"
        "\n"
        "ENVIRONMENT\n"
        "    SOURCE_DATE_EPOCH    the mtime of every entry (default 0)\n"
        "\n"
        "EXAMPLE\n"
        "    printf 'elf /bin/busybox /bin/busybox\\nnod /dev/console c 5 "
        "1\\n' |\n"
        "        tinyx pack --gzip -o initrd.gz -\n",
        f);
}

static int cmd_pack(int argc, char **argv)
{
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' },
        { "sysroot", required_argument, NULL, 's' },
        { "gzip", no_argument, NULL, 'z' },
        { "manifest", required_argument, NULL, 'm' },
        { "warn-missing", no_argument, NULL, 'w' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct initramfs_opts po = { 0 };
    const char **sysroots = NULL, *out = NULL, *manifest = NULL;
    size_t nsysroots = 0;
    int c, status = EXIT_FAILURE;

    while ((c = getopt_long(argc, argv, "o:s:zm:wh", opts, NULL)) != -1) {
        switch (c) {
            case 'o':
                out = optarg;
                break;
            case 's':
                if (tx_push_arg(&sysroots, &nsysroots, optarg) < 0) {
                    fputs("tinyx pack: out of memory\n", stderr);
                    goto out;
                }
                break;
            case 'z':
                po.gzip = true;
                break;
            case 'm':
                manifest = optarg;
                break;
            case 'w':
                po.warn_missing = true;
                break;
            case 'h':
                help_pack(stdout);
                status = EXIT_SUCCESS;
                goto out;
            default:
                status = tx_usage_error("pack", NULL);
                goto out;
        }
    }
    if (!out) {
        status = tx_usage_error("pack", "no output given (-o OUT)");
        goto out;
    }
    if (argc - optind != 1) {
        status = tx_usage_error("pack", argc - optind ? "give exactly one SPEC"
                                                      : "no SPEC given");
        goto out;
    }
    po.sysroots = sysroots;
    po.nsysroots = nsysroots;

    struct tx_error err = { { 0 } };
    struct spec spec;
    struct tx_strv warnings = { 0 };
    int r = cpio_mtime_from_env(&po.mtime, &err);
    if (r == 0)
        r = spec_load(argv[optind], &spec, &err);
    if (r < 0) {
        /* Same promise as a failed pack: no (older) archive left at OUT;
         * but /dev/null and the like are not ours to remove. */
        struct stat st;
        if (strcmp(out, "-") != 0 && stat(out, &st) == 0 && S_ISREG(st.st_mode))
            remove(out);
        fprintf(stderr, "tinyx pack: %s\n", err.msg);
        goto out;
    }
    r = initramfs_pack(&spec, &po, out, manifest, &warnings, &err);
    for (size_t i = 0; i < warnings.n; i++)
        fprintf(stderr, "tinyx pack: warning: %s\n", warnings.v[i]);
    if (r < 0)
        fprintf(stderr, "tinyx pack: %s\n", err.msg);
    else
        status = EXIT_SUCCESS;
    tx_strv_free(&warnings);
    spec_free(&spec);
out:
    free(sysroots);
    return status;
}

/* ------------------------------------------------------------ deps */

static void help_deps(FILE *f)
{
    fputs("NAME\n"
          "    tinyx deps - print the shared-library closure of ELF files\n"
          "\n"
          "SYNOPSIS\n"
          "    tinyx deps [--sysroot DIR]... [--warn-missing] FILE...\n"
          "\n"
          "DESCRIPTION\n"
          "    For each FILE (an x86_64 program or shared library), prints "
          "what glibc's\n"
          "    ld.so would load, one line per library, in load order "
          "(breadth-first):\n"
          "\n"
          "        NEEDED-NAME RESOLVED-PATH\n"
          "\n"
          "    NEEDED-NAME is the name asked for (a DT_NEEDED entry, or the "
          "PT_INTERP\n"
          "    path for the interpreter); RESOLVED-PATH is the host path where "
          "it was\n"
          "    found, as searched (sysroot prefix included, symlinks not "
          "resolved).\n"
          "    The files are only read, never run, so this is safe on "
          "untrusted files\n"
          "    and works for other roots.  A static FILE prints nothing.  With "
          "more\n"
          "    than one FILE, each list is preceded by a line \"FILE:\".\n"
          "\n"
          "OPTIONS\n"
          "    -s, --sysroot DIR    a directory treated as / (repeatable, "
          "tried in\n"
          "                         order; default /); see tinyx pack --help\n"
          "    -w, --warn-missing   report missing libraries on standard error "
          "and go\n"
          "                         on, instead of failing\n"
          "    -h, --help           show this help\n"
          "\n"
          "EXIT STATUS\n"
          "    0 success, 1 failure (unreadable or non-ELF FILE, missing "
          "library),\n"
          "    2 usage error.\n",
          f);
}

static int cmd_deps(int argc, char **argv)
{
    static const struct option opts[] = {
        { "sysroot", required_argument, NULL, 's' },
        { "warn-missing", no_argument, NULL, 'w' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char **sysroots = NULL;
    size_t nsysroots = 0;
    unsigned flags = 0;
    int c, status = EXIT_FAILURE;
    struct elfdeps *ed = NULL;
    struct tx_error err = { { 0 } };

    while ((c = getopt_long(argc, argv, "s:wh", opts, NULL)) != -1) {
        switch (c) {
            case 's':
                if (tx_push_arg(&sysroots, &nsysroots, optarg) < 0) {
                    fputs("tinyx deps: out of memory\n", stderr);
                    goto out;
                }
                break;
            case 'w':
                flags |= ELFDEPS_WARN_MISSING;
                break;
            case 'h':
                help_deps(stdout);
                status = EXIT_SUCCESS;
                goto out;
            default:
                status = tx_usage_error("deps", NULL);
                goto out;
        }
    }
    if (optind == argc) {
        status = tx_usage_error("deps", "no FILE given");
        goto out;
    }
    static const char *const root[] = { "/" };
    if (elfdeps_new(&ed, nsysroots ? sysroots : root, nsysroots ? nsysroots : 1,
                    flags, &err) < 0) {
        fprintf(stderr, "tinyx deps: %s\n", err.msg);
        goto out;
    }
    status = EXIT_SUCCESS;
    for (int i = optind; i < argc; i++) {
        struct elfdeps_closure cl;
        if (elfdeps_closure_of_file(ed, argv[i], NULL, &cl, &err) < 0) {
            fprintf(stderr, "tinyx deps: %s\n", err.msg);
            status = EXIT_FAILURE;
            continue;
        }
        if (argc - optind > 1)
            printf("%s:\n", argv[i]);
        for (size_t k = 0; k < cl.n; k++)
            printf("%s %s\n", cl.v[k].needed, cl.v[k].found);
        for (size_t k = 0; k < cl.warnings.n; k++)
            fprintf(stderr, "tinyx deps: warning: %s\n", cl.warnings.v[k]);
        elfdeps_closure_free(&cl);
    }
    if (fflush(stdout) != 0) {
        fprintf(stderr, "tinyx deps: writing the output: %s\n",
                strerror(errno));
        status = EXIT_FAILURE;
    }
out:
    elfdeps_free(ed);
    free(sysroots);
    return status;
}

/* ------------------------------------------------------------ main */

static const struct command commands[] = {
    { "pack", "build a cpio (initramfs) archive from a spec", cmd_pack,
      help_pack },
    { "deps", "print the shared-library closure of ELF files", cmd_deps,
      help_deps },
    { "build", "make a bootable Xen guest that runs one application", cmd_build,
      help_build },
    { "kernel", "fetch or build the kernel of tinyx images", cmd_kernel,
      help_kernel },
};

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static void help_main(FILE *f)
{
    fputs("Usage: tinyx COMMAND [OPTION]... [ARG]...\n"
          "       tinyx -h|--help|--version\n"
          "Build minimal Linux images for single applications.\n\n"
          "  -h, --help     this text (also 'tinyx help')\n"
          "      --version  print the version and exit\n\n"
          "Commands:\n",
          f);
    for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fputs("\n'tinyx COMMAND --help' (or 'tinyx help COMMAND') describes a "
          "command.\n"
          "Exit status: 0 success, 1 failure, 2 usage error.\n",
          f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        help_main(stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        help_main(stdout);
        return EXIT_SUCCESS;
    }
    if (strcmp(name, "--version") == 0) {
        printf("tinyx (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
        return EXIT_SUCCESS;
    }
    if (strcmp(name, "help") == 0) {
        if (argc < 3) {
            help_main(stdout);
            return EXIT_SUCCESS;
        }
        const struct command *cmd = find_command(argv[2]);
        if (!cmd) {
            fprintf(stderr, "tinyx: unknown command '%s'; see 'tinyx --help'\n",
                    argv[2]);
            return EXIT_USAGE;
        }
        cmd->help(stdout);
        return EXIT_SUCCESS;
    }
    const struct command *cmd = find_command(name);
    if (!cmd) {
        fprintf(stderr, "tinyx: unknown command '%s'; see 'tinyx --help'\n",
                name);
        return EXIT_USAGE;
    }
    /* getopt prefixes its messages with argv[0]: make it "tinyx pack". */
    static char progname[64];
    snprintf(progname, sizeof(progname), "tinyx %s", cmd->name);
    argv[1] = progname;
    return cmd->run(argc - 1, argv + 1);
}
