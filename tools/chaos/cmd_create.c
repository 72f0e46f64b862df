/*
 * cmd_create.c - `chaos create`: its options, the config checked here
 * (errors name the file and line), and the way through chaosd when it
 * answers.  Linked into both programs of the command: the thin `chaos`
 * (thin.c), which loads no Xen library, and the full one; what is built
 * here when chaosd does not answer is cmd_create_direct(), which the thin
 * program hands to the full one.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chaos.h"
#include "cmd.h"
#include "daemon_client.h"

const char cmd_create_help[] =
    "Usage: chaos create [-p] [-c | -F] [-q] [--timings] [--json] [--direct | "
    "--daemon]\n"
    "                    [--socket PATH] CONFIG [KEY=VALUE...]\n"
    "\n"
    "Create and start a guest from CONFIG, a file in xl.cfg(5) syntax (see\n"
    "docs/config.md for the keys chaos supports).  KEY=VALUE arguments after\n"
    "the file override or add settings, as with `xl create`; for example\n"
    "  chaos create hello.cfg name=hello2 memory=8\n"
    "\n"
    "Creation runs the prepare phase (domain, limits, vCPUs, memory, event\n"
    "channels) and then the execute phase (load the kernel, start it).  On\n"
    "any failure nothing is left behind.\n"
    "\n"
    "When chaosd runs (its socket answers), the request goes to it: it takes\n"
    "a prepared shell from the pool of a matching flavor (same type, memory,\n"
    "maxmem and vcpus), so only the execute phase remains, or builds the\n"
    "guest directly when none fits; the output says which.  chaosd then\n"
    "serves the console and carries out the on_* actions.  Relative kernel\n"
    "and ramdisk paths are resolved here, before the request is sent.\n"
    "\n"
    "Without chaosd, chaos builds the guest itself, and a background process\n"
    "(the guest's monitor) serves its console and carries out its on_*\n"
    "actions until the domain is gone; if it is killed, a chaosd started\n"
    "later takes the guest over.  Either way the console is logged to\n"
    "" CHAOS_CONSOLE_LOG_DIR "/NAME.log and `chaos console` attaches to it.\n"
    "on_poweroff/on_reboot/on_crash may be destroy, preserve or restart.\n"
    "\n"
    "  -p, --paused   leave the guest paused (start it with `chaos unpause`)\n"
    "  -c, --console  attach to the guest's console at once (Ctrl-] detaches)\n"
    "  -F, --foreground\n"
    "                 stay until the guest has ended (through its restarts)\n"
    "                 and exit with a status that says how, for a systemd\n"
    "                 unit or Nomad's raw_exec: without chaosd this process\n"
    "                 serves the guest (no background monitor), with chaosd\n"
    "                 it follows chaosd's events.  SIGTERM, SIGINT and\n"
    "                 SIGHUP destroy the guest.\n"
    "  -q, --quiet    print nothing on success\n"
    "      --timings  print how long each phase took\n"
    "      --json     print the result (domid, name, timings...) as JSON\n"
    "                 (docs/json.md)\n"
    "      --direct   build here even when chaosd runs\n"
    "      --daemon   go through chaosd, fail if it does not answer\n"
    "      --socket PATH  chaosd's socket (default $CHAOSD_SOCKET, else\n"
    "                 /run/chaos/chaosd.sock)\n"
    "\n"
    "Exit status: 0 created, 1 creation failed (also when chaosd refuses\n"
    "it as forbidden: only root and its admin_group may create), 2 usage or\n"
    "config error.  With -F, once the guest has ended: 0 it powered off,\n"
    "rebooted without a restart or was destroyed (a stop signal too), 3 it\n"
    "crashed or its watchdog fired, 1 it could not be served or chaosd went\n"
    "away.\n";

/* Loads CONFIG and the KEY=VALUE overrides; prints the error and returns
 * NULL when they are not a valid configuration. */
static chaos_config *load_config(const char *path, int nargs, char **args)
{
    chaos_config *cfg = chaos_config_new();
    if (!cfg) {
        cmd_error("out of memory");
        return NULL;
    }
    int rc = chaos_config_parse_file(cfg, path);
    for (int i = 0; rc == 0 && i < nargs; i++)
        rc = chaos_config_set_arg(cfg, args[i]);
    if (rc == 0)
        rc = chaos_config_validate(cfg);
    if (rc) {
        /* The message names file:line:column (or the argument). */
        fprintf(stderr, "chaos: %s\n", chaos_config_errmsg(cfg));
        chaos_config_free(cfg);
        return NULL;
    }
    return cfg;
}

int cmd_create(int argc, char **argv)
{
    static const struct option opts[] = {
        { "paused", no_argument, NULL, 'p' },
        { "console", no_argument, NULL, 'c' },
        { "foreground", no_argument, NULL, 'F' },
        { "quiet", no_argument, NULL, 'q' },
        { "timings", no_argument, NULL, 't' },
        { "json", no_argument, NULL, 'j' },
        { "direct", no_argument, NULL, 'D' },
        { "daemon", no_argument, NULL, 'd' },
        { "socket", required_argument, NULL, 'S' },
        { NULL, 0, NULL, 0 },
    };
    struct create_opts o = { 0 };
    int c;
    enum { VIA_ANY, VIA_DAEMON, VIA_DIRECT } via = VIA_ANY;
    const char *socket_path = NULL;
    optind = 1;
    /* '+': stop at the first non-option, so KEY=VALUE stays an argument. */
    while ((c = getopt_long(argc, argv, "+pcFq", opts, NULL)) != -1) {
        switch (c) {
            case 'p':
                o.paused = 1;
                break;
            case 'c':
                o.console = 1;
                break;
            case 'F':
                o.foreground = 1;
                break;
            case 'q':
                o.quiet = 1;
                break;
            case 't':
                o.timings = 1;
                break;
            case 'j':
                o.json = 1;
                break;
            case 'D':
                via = VIA_DIRECT;
                break;
            case 'd':
                via = VIA_DAEMON;
                break;
            case 'S':
                socket_path = optarg;
                break;
            default:
                return EXIT_USAGE;
        }
    }
    if (o.console && o.foreground) {
        cmd_error("create: -c and -F exclude each other");
        return EXIT_USAGE;
    }
    if (optind >= argc) {
        cmd_error("create: a CONFIG file is needed (see chaos create --help)");
        return EXIT_USAGE;
    }
    const char *path = argv[optind];
    chaos_config *cfg = load_config(path, argc - optind - 1, argv + optind + 1);
    if (!cfg)
        return EXIT_USAGE;
    char why[256];
    /* Before anything is created: the rule chaosd applies too. */
    if (chaos_supervisor_check_config(cfg, why, sizeof(why)) < 0) {
        cmd_error("create: %s", why);
        chaos_config_free(cfg);
        return EXIT_USAGE;
    }
    if (via != VIA_DIRECT) {
        /* chaosd when it runs (its pools make this fast), else directly. */
        const char *sock = daemon_socket_path(socket_path);
        int fd = daemon_connect(sock);
        if (fd >= 0) {
            o.socket = sock;
            return create_via_daemon(fd, cfg, path, &o);
        }
        if (via == VIA_DAEMON) {
            cmd_error("create: chaosd does not answer on %s: %s", sock,
                      strerror(-fd));
            chaos_config_free(cfg);
            return EXIT_FAIL;
        }
    }
    return cmd_create_direct(cfg, &o, argc, argv);
}
