/*
 * cmd_domain.c - `chaos create`, `destroy`, `shutdown`, `pause`, `unpause`.
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "chaos.h"
#include "cmd.h"
#include "daemon_client.h"
#include "json_codec.h"
#include "monitor.h"

/* Where guest console logs and the monitors' own messages go. */
#define CONSOLE_LOG_DIR CHAOS_CONSOLE_LOG_DIR

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
    "" CONSOLE_LOG_DIR "/NAME.log and `chaos console` attaches to it.\n"
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

const char cmd_destroy_help[] =
    "Usage: chaos destroy DOMAIN\n"
    "\n"
    "Destroy DOMAIN (a name or a domain id) at once, like `xl destroy`: the\n"
    "guest is not asked to shut down.\n";

const char cmd_pause_help[] =
    "Usage: chaos pause DOMAIN\n"
    "\n"
    "Pause all vCPUs of DOMAIN (a name or a domain id).\n";

const char cmd_unpause_help[] =
    "Usage: chaos unpause DOMAIN\n"
    "\n"
    "Let a paused DOMAIN (a name or a domain id) run again.\n";

static double ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

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

/*
 * Starts the guest's monitor: a child process, in its own session, that
 * serves the console and carries out the on_* actions until the domain is
 * gone (like xl's background process).  Its stdio must not be ours: a
 * caller reading `chaos create`'s output would otherwise wait for the
 * guest to die.  Its own messages go to CONSOLE_LOG_DIR/NAME.monitor.log.
 */
int cmd_start_monitor(const char *name, chaos_domid domid)
{
    char mlog[512];
    snprintf(mlog, sizeof(mlog), CONSOLE_LOG_DIR "/%s.monitor.log", name);
    pid_t pid = fork();
    if (pid < 0) {
        cmd_error("cannot start the guest's monitor: %m");
        return -1;
    }
    if (pid > 0)
        return 0;
    /* The child: never touches the parent's context (Xen handles must not
     * cross a fork); chaos_monitor_run opens its own. */
    setsid();
    mkdir("/var/log/chaos", 0750);
    mkdir(CONSOLE_LOG_DIR, 0750);
    int null = open("/dev/null", O_RDWR);
    int err = open(mlog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    dup2(null, 0);
    dup2(null, 1);
    dup2(err >= 0 ? err : null, 2);
    _exit(chaos_monitor_run(domid));
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
    int paused = 0, console = 0, foreground = 0, quiet = 0, timings = 0,
        json = 0, c;
    enum { VIA_ANY, VIA_DAEMON, VIA_DIRECT } via = VIA_ANY;
    const char *socket_path = NULL;
    optind = 1;
    /* '+': stop at the first non-option, so KEY=VALUE stays an argument. */
    while ((c = getopt_long(argc, argv, "+pcFq", opts, NULL)) != -1) {
        switch (c) {
            case 'p':
                paused = 1;
                break;
            case 'c':
                console = 1;
                break;
            case 'F':
                foreground = 1;
                break;
            case 'q':
                quiet = 1;
                break;
            case 't':
                timings = 1;
                break;
            case 'j':
                json = 1;
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
    if (console && foreground) {
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
            struct daemon_create_opts o = { .paused = paused,
                                            .console = console,
                                            .foreground = foreground,
                                            .socket = sock,
                                            .quiet = quiet,
                                            .timings = timings,
                                            .json = json };
            return create_via_daemon(fd, cfg, path, &o);
        }
        if (via == VIA_DAEMON) {
            cmd_error("create: chaosd does not answer on %s: %s", sock,
                      strerror(-fd));
            chaos_config_free(cfg);
            return EXIT_FAIL;
        }
    }
    chaos_ctx *ctx = cmd_open_ctx(NULL);
    if (!ctx) {
        chaos_config_free(cfg);
        return EXIT_FAIL;
    }
    chaos_domid domid;
    struct chaos_create_timings t;
    int rc = chaos_domain_create(ctx, cfg, paused ? CHAOS_CREATE_PAUSED : 0,
                                 &domid, &t);
    if (rc < 0) {
        cmd_error("create: %s", chaos_errmsg(ctx));
        chaos_close(ctx);
        chaos_config_free(cfg);
        return EXIT_FAIL;
    }
    const char *name = chaos_config_name(cfg);
    if (json) {
        struct chaosd_create_result r = { .domid = domid,
                                          .name = name,
                                          .paused = paused,
                                          .t = &t,
                                          .request_ms = -1 };
        json_object *o = chaosd_json_create_result(&r);
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        json_object_put(o);
    } else if (!quiet) {
        printf("created domain %s (id %u)%s\n", name, domid,
               paused ? ", paused" : "");
    }
    if (timings && !json)
        printf("timings: prepare %.3f ms, load %.3f ms, build %.3f ms, "
               "start %.3f ms, total %.3f ms\n",
               ms(t.prepare_ns), ms(t.load_ns), ms(t.build_ns), ms(t.start_ns),
               ms(t.total_ns));
    fflush(stdout);
    if (foreground) {
        /* This process is the guest's server: no Xen handle of ours may
         * stay open beside the supervisor's. */
        chaos_close(ctx);
        chaos_config_free(cfg);
        return chaos_monitor_run_foreground(domid);
    }
    int status = cmd_start_monitor(chaos_config_name(cfg), domid) < 0
                     ? EXIT_FAIL
                     : EXIT_OK;
    chaos_close(ctx);
    chaos_config_free(cfg);
    if (status == EXIT_OK && console) {
        char id[16];
        snprintf(id, sizeof(id), "%u", domid);
        char *args[] = { "console", "--wait=5", id, NULL };
        return cmd_console(3, args);
    }
    return status;
}

/* The commands that take exactly one DOMAIN and call one operation. */
static int one_domain(int argc, char **argv,
                      int (*op)(chaos_ctx *, chaos_domid))
{
    if (argc != 2) {
        cmd_error("%s: exactly one DOMAIN (name or id) is needed", argv[0]);
        return EXIT_USAGE;
    }
    chaos_ctx *ctx = cmd_open_ctx(NULL);
    if (!ctx)
        return EXIT_FAIL;
    chaos_domid domid;
    int rc = chaos_domain_lookup(ctx, argv[1], &domid);
    if (rc == 0)
        rc = op(ctx, domid);
    if (rc < 0)
        cmd_error("%s: %s", argv[0], chaos_errmsg(ctx));
    chaos_close(ctx);
    return rc < 0 ? EXIT_FAIL : EXIT_OK;
}

int cmd_destroy(int argc, char **argv)
{
    return one_domain(argc, argv, chaos_domain_destroy);
}

int cmd_pause(int argc, char **argv)
{
    return one_domain(argc, argv, chaos_domain_pause);
}

int cmd_unpause(int argc, char **argv)
{
    return one_domain(argc, argv, chaos_domain_unpause);
}

const char cmd_shutdown_help[] =
    "Usage: chaos shutdown [-w] [-R] [--timeout SEC] DOMAIN\n"
    "\n"
    "Ask DOMAIN (a name or a domain id) to shut down cleanly, like\n"
    "`xl shutdown`.  The request is written to control/shutdown in the\n"
    "guest's private XenStore, served by its supervisor (Linux guests, by\n"
    "default), or sent through the noxs control device (every guest that\n"
    "is not Linux: chaos's unikernel); for a guest another\n"
    "toolstack made, to xenstored.  Guests with none of these cannot\n"
    "receive it: use `chaos destroy`.\n"
    "\n"
    "  -w, --wait      wait until the guest has shut down (or is gone)\n"
    "  -R, --reboot    ask for a reboot instead of a poweroff\n"
    "      --timeout SEC  with -w: give up after SEC seconds (default 60)\n"
    "\n"
    "Exit status: 0 request sent (and, with -w, the guest shut down), 1 the\n"
    "request failed or the wait timed out, 2 usage error.\n";

/* True once the domain has shut down, is dying, or is gone. */
static int has_stopped(chaos_ctx *ctx, chaos_domid domid)
{
    struct chaos_dominfo info;
    if (chaos_domain_info(ctx, domid, &info) < 0)
        return 1;
    return info.state == CHAOS_DOM_SHUTDOWN ||
           info.state == CHAOS_DOM_CRASHED || info.state == CHAOS_DOM_DYING;
}

const char cmd_reboot_help[] =
    "Usage: chaos reboot [-w] [--timeout SEC] DOMAIN\n"
    "\n"
    "Ask DOMAIN (a name or a domain id) to reboot, like `xl reboot`: the\n"
    "same request as `chaos shutdown -R` (see chaos shutdown --help for how\n"
    "it reaches the guest).  The guest shuts down with reason reboot and\n"
    "its on_reboot action (default restart) follows: it comes back under\n"
    "the same name with a new domain id.\n"
    "\n"
    "  -w, --wait      wait until the guest has shut down (or is gone)\n"
    "      --timeout SEC  with -w: give up after SEC seconds (default 60)\n"
    "\n"
    "Exit status: 0 request sent (and, with -w, the guest shut down), 1 no\n"
    "such domain, the request failed or the wait timed out, 2 usage error.\n";

/* shutdown and reboot: one request, reboot set by -R or by the verb. */
static int shutdown_or_reboot(int argc, char **argv, int reboot)
{
    static const struct option opts[] = {
        { "wait", no_argument, NULL, 'w' },
        { "reboot", no_argument, NULL, 'R' },
        { "timeout", required_argument, NULL, 't' },
        { NULL, 0, NULL, 0 },
    };
    int wait = 0, c;
    double timeout = 60;
    optind = 1;
    while ((c = getopt_long(argc, argv, reboot ? "w" : "wR", opts, NULL)) !=
           -1) {
        switch (c) {
            case 'w':
                wait = 1;
                break;
            case 'R': /* `chaos reboot --reboot` says it twice: fine */
                reboot = 1;
                break;
            case 't':
                timeout = atof(optarg);
                break;
            default:
                return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        cmd_error("%s: exactly one DOMAIN (name or id) is needed", argv[0]);
        return EXIT_USAGE;
    }
    chaos_ctx *ctx = cmd_open_ctx(NULL);
    if (!ctx)
        return EXIT_FAIL;
    chaos_domid domid;
    int rc = chaos_domain_lookup(ctx, argv[optind], &domid);
    if (rc == 0)
        rc = chaos_domain_shutdown(ctx, domid,
                                   reboot ? CHAOS_SHUTDOWN_REBOOT
                                          : CHAOS_SHUTDOWN_POWEROFF);
    if (rc < 0) {
        cmd_error("%s: %s", argv[0], chaos_errmsg(ctx));
        chaos_close(ctx);
        return EXIT_FAIL;
    }
    int status = EXIT_OK;
    if (wait) {
        /* Polling, 10 times a second: this is a command waiting for one
         * domain; chaosd reacts to Xen's domain events instead. */
        struct timespec tick = { 0, 100000000 };
        double waited = 0;
        while (!has_stopped(ctx, domid) && waited < timeout) {
            nanosleep(&tick, NULL);
            waited += 0.1;
        }
        if (!has_stopped(ctx, domid)) {
            cmd_error("%s: domain %u still running after %.0f s", argv[0],
                      domid, timeout);
            status = EXIT_FAIL;
        }
    }
    chaos_close(ctx);
    return status;
}

int cmd_shutdown(int argc, char **argv)
{
    return shutdown_or_reboot(argc, argv, 0);
}

int cmd_reboot(int argc, char **argv)
{
    return shutdown_or_reboot(argc, argv, 1);
}
