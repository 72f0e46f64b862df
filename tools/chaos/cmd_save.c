/*
 * cmd_save.c - `chaos save` and `chaos restore` (libchaos: chaos_domain_save
 * and chaos_domain_restore; docs/snapshot.md).
 *
 * Both work directly, whether chaosd runs or not: the image is a file of
 * the caller's, and the guest's supervisor (a monitor, or chaosd) takes
 * part without being asked: it sees the guest suspended and waits, then
 * sees it gone (save) or running again (save -c).  A restored guest gets
 * a monitor as `chaos create --direct` gives one; a chaosd started later
 * takes it over if the monitor goes.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "chaos.h"
#include "cmd.h"

const char cmd_save_help[] =
    "Usage: chaos save [-c] DOMAIN FILE\n"
    "\n"
    "Save DOMAIN (a name or a domain id) into the image FILE, like\n"
    "`xl save`: the guest is asked to suspend through its noxs control\n"
    "device (chaos's unikernel) or its XenStore's control/shutdown\n"
    "(Linux), its memory and CPU state are written after a chaos header\n"
    "(its configuration and device state; docs/snapshot.md), and the guest\n"
    "is destroyed.  FILE is written beside itself first and replaces an\n"
    "existing FILE only once it is complete.  `chaos restore FILE` starts\n"
    "the guest again where it stopped.\n"
    "\n"
    "Only guests chaos created whose kernel handles suspend requests can\n"
    "be saved (chaos's unikernel, Linux).  On any failure\n"
    "(the guest does not answer within 10 s, or refuses; the disk is\n"
    "full) nothing is left at FILE's temporary name and the guest runs on.\n"
    "\n"
    "  -c, --checkpoint  leave the guest running after the save\n"
    "\n"
    "Exit status: 0 saved, 1 the save failed, 2 usage error.\n";

const char cmd_restore_help[] =
    "Usage: chaos restore [-p] [-q] [--json] [--in-place] [--timings] FILE\n"
    "                     [KEY=VALUE...]\n"
    "\n"
    "Restore the guest saved in the image FILE, like `xl restore`: a new\n"
    "domain with the saved configuration and state; the guest carries on\n"
    "where it was saved.  KEY=VALUE arguments override the saved\n"
    "configuration as with `chaos create`, e.g. name=web2 to run a second\n"
    "guest from the same image, or vif='mac=...,bridge=...' for another\n"
    "MAC; type, memory, maxmem, vcpus and maxvcpus cannot change.  The\n"
    "guest gets a new domain id, new event channels and its devices anew\n"
    "(its vifs keep their saved MACs unless overridden).\n"
    "\n"
    "As after `chaos create`, a background process (the guest's monitor)\n"
    "serves its console, logged to " CHAOS_CONSOLE_LOG_DIR "/NAME.log\n"
    "(appended to: the log continues), and carries out its on_* actions.\n"
    "A damaged, truncated or incomplete image, an image of another format\n"
    "version, or a configuration that does not fit (memory, a name or a\n"
    "MAC in use) is an error naming the problem, and nothing is left.\n"
    "\n"
    "  -p, --paused   leave the guest paused (start it with `chaos unpause`)\n"
    "  -q, --quiet    print nothing on success\n"
    "      --json     print the result (domid, name, paused, restore_ms, and\n"
    "                 the phases' times check_ms, prepare_ms, memory_ms,\n"
    "                 finish_ms; in place pages_copied, pages_skipped)\n"
    "      --in-place PVH: populate and zero the shell's memory first, then\n"
    "                 copy only the image's non-zero pages into it\n"
    "      --timings  print the time of each phase (memory_ms: memory and\n"
    "                 CPU state in, the restore proper)\n"
    "\n"
    "Exit status: 0 restored, 1 the restore failed, 2 usage error.\n";

static double ms_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
           (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

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
               domid, argv[optind + 1], ms_since(&t0),
               checkpoint ? "; it runs on" : "");
    chaos_close(ctx);
    return rc < 0 ? EXIT_FAIL : EXIT_OK;
}

int cmd_restore(int argc, char **argv)
{
    static const struct option opts[] = {
        { "paused", no_argument, NULL, 'p' },
        { "quiet", no_argument, NULL, 'q' },
        { "json", no_argument, NULL, 'j' },
        { "in-place", no_argument, NULL, 'i' },
        { "timings", no_argument, NULL, 't' },
        { NULL, 0, NULL, 0 },
    };
    int paused = 0, quiet = 0, json = 0, in_place = 0, timings = 0, c;
    optind = 1;
    /* '+': stop at the first non-option, so KEY=VALUE stays an argument. */
    while ((c = getopt_long(argc, argv, "+pq", opts, NULL)) != -1) {
        switch (c) {
            case 'p':
                paused = 1;
                break;
            case 'q':
                quiet = 1;
                break;
            case 'j':
                json = 1;
                break;
            case 'i':
                in_place = 1;
                break;
            case 't':
                timings = 1;
                break;
            default:
                return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        cmd_error("restore: a FILE is needed (see chaos restore --help)");
        return EXIT_USAGE;
    }
    chaos_ctx *ctx = cmd_open_ctx("restore");
    if (!ctx)
        return EXIT_FAIL;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    chaos_domid domid;
    struct chaos_restore_times t;
    unsigned flags = (paused ? CHAOS_RESTORE_PAUSED : 0) |
                     (in_place ? CHAOS_RESTORE_IN_PLACE : 0);
    int rc = chaos_domain_restore_timed(
        ctx, argv[optind], (const char *const *)argv + optind + 1,
        (unsigned)(argc - optind - 1), flags, &domid, &t);
    double took = ms_since(&t0);
    if (rc < 0) {
        cmd_error("restore: %s", chaos_errmsg(ctx));
        chaos_close(ctx);
        return EXIT_FAIL;
    }
    struct chaos_dominfo info;
    if (chaos_domain_info(ctx, domid, &info) < 0)
        info.name[0] = '\0';
    if (json) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "domid", json_object_new_int64(domid));
        json_object_object_add(o, "name", json_object_new_string(info.name));
        json_object_object_add(o, "paused", json_object_new_boolean(paused));
        json_object_object_add(o, "restore_ms", json_object_new_double(took));
        json_object_object_add(o, "check_ms", json_object_new_double(t.check));
        json_object_object_add(o, "prepare_ms",
                               json_object_new_double(t.prepare));
        json_object_object_add(o, "memory_ms",
                               json_object_new_double(t.restore));
        json_object_object_add(o, "finish_ms",
                               json_object_new_double(t.finish));
        json_object_object_add(o, "pages_copied",
                               json_object_new_int64((int64_t)t.pages_copied));
        json_object_object_add(o, "pages_skipped",
                               json_object_new_int64((int64_t)t.pages_skipped));
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        json_object_put(o);
    } else if (!quiet) {
        printf("restored domain %s (id %u) in %.1f ms%s\n", info.name, domid,
               took, paused ? ", paused" : "");
        if (timings)
            printf("timings%s: check %.2f ms, prepare %.2f ms, memory %.2f ms, "
                   "finish %.2f ms\n",
                   in_place ? " (in place)" : "", t.check, t.prepare, t.restore,
                   t.finish);
        if (timings && in_place)
            printf("pages: %lu copied, %lu zero skipped\n", t.pages_copied,
                   t.pages_skipped);
    }
    fflush(stdout);
    int status =
        cmd_start_monitor(info.name[0] ? info.name : "unnamed", domid) < 0
            ? EXIT_FAIL
            : EXIT_OK;
    chaos_close(ctx);
    return status;
}
