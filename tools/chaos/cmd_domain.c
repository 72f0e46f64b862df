/*
 * cmd_domain.c - `chaos create` built here (its options and the way
 * through chaosd: cmd_create.c), `destroy`, `shutdown`, `reboot`, `pause`,
 * `unpause`.
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

const char cmd_destroy_help[] =
    "Usage: chaos destroy DOMAIN\n"
    "\n"
    "Destroy DOMAIN (a name or a domain id) at once, like `xl destroy`: the\n"
    "guest is not asked to shut down.\n"
    "\n"
    "Exit status: 0 destroyed, 1 no such domain or Xen refused, 2 usage\n"
    "error.\n";

const char cmd_pause_help[] =
    "Usage: chaos pause DOMAIN\n"
    "\n"
    "Pause all vCPUs of DOMAIN (a name or a domain id).\n"
    "\n"
    "Exit status: 0 paused, 1 no such domain or Xen refused, 2 usage error.\n";

const char cmd_unpause_help[] =
    "Usage: chaos unpause DOMAIN\n"
    "\n"
    "Let a paused DOMAIN (a name or a domain id) run again.\n"
    "\n"
    "Exit status: 0 unpaused, 1 no such domain or Xen refused, 2 usage\n"
    "error.\n";

static double ms(uint64_t ns)
{
    return (double)ns / 1e6;
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

/* `chaos create` built here (cmd_create.c decided: no chaosd, or
 * --direct); takes cfg. */
int cmd_create_direct(chaos_config *cfg, const struct create_opts *o, int argc,
                      char **argv)
{
    (void)argc;
    (void)argv;
    chaos_ctx *ctx = cmd_open_ctx(NULL);
    if (!ctx) {
        chaos_config_free(cfg);
        return EXIT_FAIL;
    }
    chaos_domid domid;
    struct chaos_create_timings t;
    int rc = chaos_domain_create(ctx, cfg, o->paused ? CHAOS_CREATE_PAUSED : 0,
                                 &domid, &t);
    if (rc < 0) {
        cmd_error("create: %s", chaos_errmsg(ctx));
        chaos_close(ctx);
        chaos_config_free(cfg);
        return EXIT_FAIL;
    }
    const char *name = chaos_config_name(cfg);
    if (o->json) {
        struct chaosd_create_result r = { .domid = domid,
                                          .name = name,
                                          .paused = o->paused,
                                          .t = &t,
                                          .request_ms = -1 };
        json_object *res = chaosd_json_create_result(&r);
        cmd_put_json(res, 0);
        json_object_put(res);
    } else if (!o->quiet) {
        printf("created domain %s (id %u)%s\n", name, domid,
               o->paused ? ", paused" : "");
    }
    if (o->timings && !o->json)
        printf("timings: prepare %.3f ms, load %.3f ms, build %.3f ms, "
               "start %.3f ms, total %.3f ms\n",
               ms(t.prepare_ns), ms(t.load_ns), ms(t.build_ns), ms(t.start_ns),
               ms(t.total_ns));
    fflush(stdout);
    if (o->foreground) {
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
    if (status == EXIT_OK && o->console) {
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
