/*
 * main.c - chaosd's command line.  The daemon itself is in daemon.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

#ifndef CHAOSD_CONF_PATH
#define CHAOSD_CONF_PATH CHAOSD_CONF_DEFAULT_PATH
#endif

static const char help[] =
    "Usage: chaosd [--config FILE] [--check-config] [--help] [--version]\n"
    "\n"
    "chaosd, the chaos pool daemon, keeps pools of prepared Xen VM shells\n"
    "(domains created, memory populated, vCPUs and event channels set, no\n"
    "kernel yet) so that creating a guest only loads its kernel into a shell\n"
    "and starts it.  It serves the request socket that `chaos create`,\n"
    "`chaos pool` and other clients use, the consoles of the guests it\n"
    "started, and their on_poweroff / on_reboot / on_crash actions.\n"
    "\n"
    "It runs in the foreground and logs to standard error (under systemd,\n"
    "to the journal); chaosd.service starts it, chaosd.socket can start it\n"
    "on demand.  Run it in dom0 as root.\n"
    "\n"
    "Options:\n"
    "  -c, --config FILE   configuration file (default " CHAOSD_CONF_PATH ")\n"
    "      --check-config  read the configuration, report errors, and exit\n"
    "  -h, --help          this text\n"
    "  -V, --version       print the version and exit\n"
    "\n"
    "Configuration (chaosd.conf(5), the installed example, docs/chaosd.md):\n"
    "  socket, socket_group       the request socket (mode 0660)\n"
    "  admin_group                who may create, destroy, shut down and\n"
    "                             resize pools (besides root)\n"
    "  idle_memory_mib            memory budget of all idle shells\n"
    "  kernel_cache_mib           decompressed kernels kept in memory\n"
    "  refill_workers             shells prepared at the same time\n"
    "  refill_quiet_ms            refills wait this long after a request\n"
    "                             (unless a pool is below a quarter)\n"
    "  ready_timeout_s            readiness is sent after this at the latest\n"
    "  metrics_listen             \"ADDRESS:PORT\": Prometheus metrics there\n"
    "                             (GET /metrics; default off)\n"
    "  [flavor NAME] type, memory, maxmem, vcpus, pool, vif, restore,\n"
    "                kernel, ramdisk, cmdline, cmdline_per_request,\n"
    "                template, template_ready, template_timeout_s,\n"
    "                template_warm, template_warm_ip\n"
    "\n"
    "Signals: SIGTERM and SIGINT stop chaosd cleanly: idle shells are\n"
    "destroyed, running guests keep running.  A new chaosd adopts them\n"
    "again (their consoles and actions), also after a crash, from what it\n"
    "records under /run/chaos/chaosd ($CHAOS_RUN_DIR/chaosd if set).\n"
    "\n"
    "Files:\n"
    "  " CHAOSD_CONF_PATH "\n"
    "  /run/chaos/chaosd.sock             the request socket\n"
    "  /run/chaos/chaosd/{shells,guests}  recovery records\n"
    "  /var/log/chaos/console/NAME.log    guests' console logs\n"
    "  /run/chaos/console/DOMID.sock      guests' console sockets\n"
    "\n"
    "Exit status: 0 after a clean stop, 1 when it could not start, 2 on a\n"
    "usage or configuration error.\n";

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "check-config", no_argument, NULL, 'k' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    const char *conf_path = CHAOSD_CONF_PATH;
    bool check_only = false;
    int c;
    while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
        switch (c) {
            case 'c':
                conf_path = optarg;
                break;
            case 'k':
                check_only = true;
                break;
            case 'h':
                fputs(help, stdout);
                return 0;
            case 'V':
                printf("chaosd %s (libchaos %s)\n", PACKAGE_VERSION,
                       chaos_version_string());
                return 0;
            default:
                fputs("chaosd: see chaosd --help\n", stderr);
                return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "chaosd: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    /* All the daemon's state, on the heap: it holds a 64 KiB read buffer. */
    struct chaosd *d = calloc(1, sizeof(*d));
    if (!d) {
        fputs("chaosd: out of memory\n", stderr);
        return 1;
    }
    char err[512];
    int status;
    if (chaosd_conf_load(&d->conf, conf_path, err, sizeof(err)) < 0) {
        fprintf(stderr, "chaosd: %s\n", err);
        status = 2;
    } else if (check_only) {
        printf("%s: ok, %u flavors\n", conf_path, d->conf.n_flavors);
        status = 0;
    } else {
        /* Line-buffered even into a pipe: journald sees each line at once. */
        setvbuf(stderr, NULL, _IOLBF, 0);
        log_info("chaos %s starting with %s", PACKAGE_VERSION, conf_path);
        d->hv = &chaosd_hv_libchaos;
        status = chaosd_run(d);
    }
    free(d);
    return status;
}
