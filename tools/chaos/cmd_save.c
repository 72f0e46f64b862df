/*
 * cmd_save.c - `chaos save`, and `chaos restore` done here (libchaos:
 * chaos_domain_save and chaos_shell_restore; docs/snapshot.md); the
 * restore's options and its way through chaosd are in cmd_restore.c.
 *
 * A save works directly, whether chaosd runs or not: the image is a file
 * of the caller's, and the guest's supervisor (a monitor, or chaosd) takes
 * part without being asked: it sees the guest suspended and waits, then
 * sees it gone (save) or running again (save -c).  A restore goes to
 * chaosd when it runs, as `chaos create` does (its restore flavors keep
 * shells ready, docs/chaosd.md), and chaosd serves the guest; directly
 * (--direct, or no chaosd) the restored guest gets a monitor as `chaos
 * create --direct` gives one.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "chaos.h"
#include "cmd.h"
#include "daemon_client.h"
#include "json_codec.h"
#include "protocol.h"

const char cmd_save_help[] =
    "Usage: chaos save [-c] DOMAIN FILE\n"
    "\n"
    "Save DOMAIN (a name or a domain id) into the image FILE, like\n"
    "`xl save`: the guest is asked to suspend through its noxs control\n"
    "device, its memory and CPU state are written after a chaos header\n"
    "(its configuration and device state; docs/snapshot.md), and the guest\n"
    "is destroyed.  FILE is written beside itself first and replaces an\n"
    "existing FILE only once it is complete.  `chaos restore FILE` starts\n"
    "the guest again where it stopped.\n"
    "\n"
    "Only guests chaos created whose kernel handles suspend requests can\n"
    "be saved (chaos's unikernel); Linux guests cannot yet.  On any failure\n"
    "(the guest does not answer within 10 s, or refuses; the disk is\n"
    "full) nothing is left at FILE's temporary name and the guest runs on.\n"
    "\n"
    "  -c, --checkpoint  leave the guest running after the save\n"
    "\n"
    "Exit status: 0 saved, 1 the save failed, 2 usage error.\n";

int cmd_save(int argc, char **argv)
{
    static const struct option opts[] = {
        { "checkpoint", no_argument, NULL, 'c' },
        { NULL, 0, NULL, 0 },
    };
    int checkpoint = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c", opts, NULL)) != -1) {
        if (c != 'c')
            return EXIT_USAGE;
        checkpoint = 1;
    }
    if (argc - optind != 2) {
        cmd_error("save: DOMAIN and FILE are needed (see chaos save --help)");
        return EXIT_USAGE;
    }
    chaos_ctx *ctx = cmd_open_ctx("save");
    if (!ctx)
        return EXIT_FAIL;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    chaos_domid domid;
    int rc = chaos_domain_lookup(ctx, argv[optind], &domid);
    if (rc == 0)
        rc = chaos_domain_save(ctx, domid, argv[optind + 1],
                               checkpoint ? CHAOS_SAVE_CHECKPOINT : 0);
    if (rc < 0)
        cmd_error("save: %s", chaos_errmsg(ctx));
    else
        printf("saved domain %s (id %u) to %s in %.1f ms%s\n", argv[optind],
               domid, argv[optind + 1], cmd_ms_since(&t0),
               checkpoint ? "; it runs on" : "");
    chaos_close(ctx);
    return rc < 0 ? EXIT_FAIL : EXIT_OK;
}

/* `chaos restore` done here (cmd_restore.c decided: no chaosd, --direct
 * or --in-place); the guest gets a monitor, as a direct create's does. */
int cmd_restore_direct(const char *file, char **overrides, unsigned n,
                       const struct restore_opts *o, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct timespec t0;
    chaos_ctx *ctx = cmd_open_ctx("restore");
    if (!ctx)
        return EXIT_FAIL;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    chaos_domid domid;
    chaos_shell *none = NULL; /* a shell made here */
    struct chaos_restore_timings t;
    int rc =
        chaos_shell_restore(ctx, &none, file, (const char *const *)overrides, n,
                            (o->paused ? CHAOS_RESTORE_PAUSED : 0) |
                                (o->in_place ? CHAOS_RESTORE_IN_PLACE : 0),
                            &domid, &t);
    double took = cmd_ms_since(&t0);
    if (rc < 0) {
        cmd_error("restore: %s", chaos_errmsg(ctx));
        chaos_close(ctx);
        return EXIT_FAIL;
    }
    struct chaos_dominfo info;
    if (chaos_domain_info(ctx, domid, &info) < 0)
        info.name[0] = '\0';
    struct chaosd_restore_result r = { .domid = domid,
                                       .name = info.name,
                                       .paused = o->paused,
                                       .t = &t,
                                       .request_ms = -1 };
    json_object *res = chaosd_json_restore_result(&r);
    if (o->json && res) {
        json_object_object_add(res, "restore_ms", json_object_new_double(took));
        cmd_put_json(res, 0);
    } else if (!o->quiet) {
        printf("restored domain %s (id %u) in %.1f ms%s\n", info.name, domid,
               took, o->paused ? ", paused" : "");
    }
    if (o->timings && !o->json && res)
        cmd_print_restore_timings(res);
    json_object_put(res);
    fflush(stdout);
    int status =
        cmd_start_monitor(info.name[0] ? info.name : "unnamed", domid) < 0
            ? EXIT_FAIL
            : EXIT_OK;
    chaos_close(ctx);
    return status;
}
