/*
 * main.c - chaos-oci: an OCI runtime (the command line of runc, as
 * containerd's runc shim calls it) that runs each container as a Xen guest
 * built by libchaos.  docs/oci.md has the design; chaos-oci(1) the usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "oci.h"
#include "oci_spec.h"

static const char usage[] =
    "Usage: chaos-oci [GLOBAL OPTIONS] COMMAND [ARGS]\n"
    "\n"
    "An OCI runtime: runs each container as a Xen guest (docs/oci.md).\n"
    "\n"
    "Global options:\n"
    "  --root DIR          where container state is kept (default "
    "/run/chaos-oci)\n"
    "  --log FILE          write errors to FILE too\n"
    "  --log-format FMT    json (runc's, default) or text\n"
    "  --systemd-cgroup    accepted and ignored (a guest has no cgroup)\n"
    "  -h, --help          this text\n"
    "  -v, --version       the version and the runtime-spec version\n"
    "\n"
    "Commands:\n"
    "  create --bundle DIR [--pid-file FILE] [--console-socket SOCK] ID\n"
    "                      a paused guest for the bundle, and its keeper\n"
    "  start ID            run it\n"
    "  state ID            its runtime-spec state, as JSON\n"
    "  kill ID [SIGNAL]    TERM, INT, HUP, QUIT, PWR: shut down; KILL: "
    "destroy\n"
    "  delete [--force] ID remove the guest and its state\n"
    "  features            what chaos-oci supports, as JSON\n"
    "\n"
    "When chaosd answers on its socket ($CHAOSD_SOCKET, else\n"
    "/run/chaos/chaosd.sock), create asks chaosd for the guest (a pool\n"
    "shell when one fits) and the keeper follows it there; the annotation\n"
    "org.chaos.direct=true or CHAOS_OCI_DIRECT=1 builds it here instead.\n"
    "\n"
    "Environment: CHAOS_OCI_KERNEL (the default guest kernel, else\n"
    "/var/lib/chaos-oci/vmlinuz), CHAOS_OCI_BUSYBOX, TINYX_DATADIR,\n"
    "TINYX_LIBEXECDIR, CHAOSD_SOCKET, CHAOS_OCI_DIRECT.\n"
    "Exit status: 0 done, 1 failed.\n";

static void log_line(const struct oci_global *g, const char *level,
                     const char *msg)
{
    if (!g->log)
        return;
    FILE *f = fopen(g->log, "ae");
    if (!f)
        return;
    char when[64];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + n, sizeof(when) - n, ".%09ldZ", ts.tv_nsec);
    if (g->log_json) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "level", json_object_new_string(level));
        json_object_object_add(o, "msg", json_object_new_string(msg));
        json_object_object_add(o, "time", json_object_new_string(when));
        fprintf(
            f, "%s\n",
            json_object_to_json_string_ext(
                o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
    } else {
        json_object *m = json_object_new_string(msg);
        fprintf(
            f, "time=\"%s\" level=%s msg=%s\n", when, level,
            json_object_to_json_string_ext(
                m, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(m);
    }
    fclose(f);
}

int oci_error(const struct oci_global *g, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "chaos-oci: %s\n", msg);
    log_line(g, "error", msg);
    return 1;
}

void oci_info(const struct oci_global *g, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_line(g, "info", msg);
}

static const struct command {
    const char *name;
    int (*run)(const struct oci_global *g, int argc, char **argv);
} commands[] = {
    { "create", cmd_create }, { "start", cmd_start },
    { "state", cmd_state },   { "kill", cmd_kill },
    { "delete", cmd_delete }, { "features", cmd_features },
};

int main(int argc, char **argv)
{
    enum { OPT_ROOT = 256, OPT_LOG, OPT_LOG_FORMAT, OPT_SYSTEMD, OPT_DEBUG };
    static const struct option opts[] = {
        { "root", required_argument, NULL, OPT_ROOT },
        { "log", required_argument, NULL, OPT_LOG },
        { "log-format", required_argument, NULL, OPT_LOG_FORMAT },
        { "systemd-cgroup", no_argument, NULL, OPT_SYSTEMD },
        { "debug", no_argument, NULL, OPT_DEBUG },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'v' },
        { NULL, 0, NULL, 0 },
    };
    struct oci_global g = { .root = OCI_DEFAULT_ROOT, .log_json = true };
    int opt;
    while ((opt = getopt_long(argc, argv, "+hv", opts, NULL)) != -1) {
        switch (opt) {
            case OPT_ROOT:
                g.root = optarg;
                break;
            case OPT_LOG:
                g.log = optarg;
                break;
            case OPT_LOG_FORMAT:
                if (strcmp(optarg, "json") && strcmp(optarg, "text"))
                    return oci_error(&g, "--log-format %s: json or text",
                                     optarg);
                g.log_json = strcmp(optarg, "json") == 0;
                break;
            case OPT_SYSTEMD:
            case OPT_DEBUG:
                break;
            case 'h':
                fputs(usage, stdout);
                return 0;
            case 'v':
                printf("chaos-oci version %s\nspec: %s\n", PACKAGE_VERSION,
                       OCI_SPEC_VERSION);
                return 0;
            default:
                fputs(usage, stderr);
                return 1;
        }
    }
    if (optind >= argc) {
        fputs(usage, stderr);
        return 1;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
        if (strcmp(commands[i].name, argv[optind]) == 0)
            return commands[i].run(&g, argc - optind, argv + optind);
    return oci_error(&g, "unknown command \"%s\" (see chaos-oci --help)",
                     argv[optind]);
}
