/*
 * cmd_save.c - `chaos save` and `chaos restore` (libchaos: chaos_domain_save
 * and chaos_domain_restore; docs/snapshot.md).
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

const char cmd_restore_help[] =
    "Usage: chaos restore [-p] [-q] [--timings] [--json] [--direct | "
    "--daemon]\n"
    "                     [--socket PATH] [--in-place] FILE [KEY=VALUE...]\n"
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
    "When chaosd runs (its socket answers), the request goes to it: it\n"
    "restores into a shell of a restore flavor prepared ahead when one\n"
    "fits (type, memory, maxmem, vcpus, devices; a PVH image in place into\n"
    "an in-place flavor's shell first), else directly; the output says\n"
    "which, and chaosd serves the guest.  Otherwise, as after\n"
    "`chaos create`, a background process (the guest's monitor) serves it.\n"
    "Either way its console is logged to " CHAOS_CONSOLE_LOG_DIR "/NAME.log\n"
    "(appended to: the log continues), and its on_* actions carried out.\n"
    "A damaged, truncated or incomplete image, an image of another format\n"
    "version, or a configuration that does not fit (memory, a name or a\n"
    "MAC in use) is an error naming the problem, and nothing is left.\n"
    "\n"
    "  -p, --paused   leave the guest paused (start it with `chaos unpause`)\n"
    "  -q, --quiet    print nothing on success\n"
    "      --timings  print how long each phase took\n"
    "      --json     print the result (docs/json.md: domid, name, paused,\n"
    "                 path, flavor, timings; restore_ms)\n"
    "      --direct   restore here even when chaosd runs\n"
    "      --daemon   go through chaosd, fail if it does not answer\n"
    "      --socket PATH  chaosd's socket (default $CHAOSD_SOCKET, else\n"
    "                 " CHAOSD_DEFAULT_SOCKET ")\n"
    "      --in-place PVH: populate and zero the shell's memory first, then\n"
    "                 copy only the image's non-zero pages into it (here,\n"
    "                 not through chaosd; implies --direct; chaosd does it\n"
    "                 itself with a restore = \"in-place\" flavor)\n"
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

static double num(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_double(v)
                                                 : 0;
}

/* One line of timings, from a restore result (chaosd's or ours). */
static void print_timings(json_object *r)
{
    json_object *t;
    if (!json_object_object_get_ex(r, "timings", &t))
        return;
    printf("timings: prepare %.3f ms, check %.3f ms, stream %.3f ms, start "
           "%.3f ms, total %.3f ms",
           num(t, "prepare_ms"), num(t, "check_ms"), num(t, "stream_ms"),
           num(t, "start_ms"), num(t, "total_ms"));
    if (json_object_object_get_ex(t, "request_ms", NULL))
        printf(", request %.3f ms in chaosd", num(t, "request_ms"));
    printf(" (%s)\n", daemon_str(r, "path", "?"));
    if (json_object_object_get_ex(t, "pages_copied", NULL))
        printf("in place: %.0f pages copied, %.0f zero pages skipped\n",
               num(t, "pages_copied"), num(t, "pages_skipped"));
}

struct restore_opts {
    int paused, quiet, timings, json, in_place;
};

/* The restore through chaosd on fd (closed); chaosd serves the guest. */
static int restore_via_daemon(int fd, const char *file, char **overrides,
                              unsigned n, const struct restore_opts *o,
                              const struct timespec *t0)
{
    /* chaosd's working directory is not ours. */
    char *abs = realpath(file, NULL);
    if (!abs) {
        cmd_error("restore: cannot open '%s': %m", file);
        close(fd);
        return EXIT_FAIL;
    }
    json_object *req = chaosd_request_new(CHAOSD_OP_RESTORE);
    json_object *ov = json_object_new_array();
    for (unsigned i = 0; ov && i < n; i++)
        json_object_array_add(ov, json_object_new_string(overrides[i]));
    json_object_object_add(req, "path", json_object_new_string(abs));
    json_object_object_add(req, "overrides", ov);
    json_object_object_add(req, "paused", json_object_new_boolean(o->paused));
    free(abs);
    char err[1024];
    json_object *reply = daemon_call(fd, req, err, sizeof(err));
    close(fd);
    if (!reply) {
        cmd_error("restore: %s", err);
        return EXIT_FAIL;
    }
    double took = ms_since(t0);
    const char *how = daemon_str(reply, "path", "?");
    if (o->json) {
        json_object_object_del(reply, "v");
        json_object_object_del(reply, "ok");
        json_object_object_add(reply, "restore_ms",
                               json_object_new_double(took));
        puts(json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN));
    } else if (!o->quiet) {
        printf("restored domain %s (id %lld) in %.1f ms%s, %s%s\n",
               daemon_str(reply, "name", "?"), daemon_int(reply, "domid", -1),
               took, o->paused ? ", paused" : "",
               !strcmp(how, "in-place") ? "in place into a shell of flavor "
               : !strcmp(how, "pool")   ? "into a shell of flavor "
                                        : "by chaosd directly",
               strcmp(how, "direct") ? daemon_str(reply, "flavor", "?") : "");
    }
    if (o->timings && !o->json)
        print_timings(reply);
    fflush(stdout);
    json_object_put(reply);
    return EXIT_OK;
}

int cmd_restore(int argc, char **argv)
{
    static const struct option opts[] = {
        { "paused", no_argument, NULL, 'p' },
        { "quiet", no_argument, NULL, 'q' },
        { "json", no_argument, NULL, 'j' },
        { "timings", no_argument, NULL, 't' },
        { "direct", no_argument, NULL, 'D' },
        { "daemon", no_argument, NULL, 'd' },
        { "socket", required_argument, NULL, 'S' },
        { "in-place", no_argument, NULL, 'i' },
        { NULL, 0, NULL, 0 },
    };
    struct restore_opts o = { 0 };
    enum { VIA_ANY, VIA_DIRECT, VIA_DAEMON } via = VIA_ANY;
    const char *socket_path = NULL;
    int c;
    optind = 1;
    /* '+': stop at the first non-option, so KEY=VALUE stays an argument. */
    while ((c = getopt_long(argc, argv, "+pq", opts, NULL)) != -1) {
        switch (c) {
            case 'p':
                o.paused = 1;
                break;
            case 'q':
                o.quiet = 1;
                break;
            case 'j':
                o.json = 1;
                break;
            case 't':
                o.timings = 1;
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
            case 'i':
                o.in_place = 1;
                break;
            default:
                return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        cmd_error("restore: a FILE is needed (see chaos restore --help)");
        return EXIT_USAGE;
    }
    if (o.in_place && via == VIA_DAEMON) {
        cmd_error("restore: --in-place is done here, not through chaosd "
                  "(drop --daemon)");
        return EXIT_USAGE;
    }
    /* Here, into a shell made here; chaosd restores PVH images in place
     * on its own when it has an in-place restore flavor. */
    if (o.in_place)
        via = VIA_DIRECT;
    const char *file = argv[optind];
    char **overrides = argv + optind + 1;
    unsigned n = (unsigned)(argc - optind - 1);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (via != VIA_DIRECT) {
        const char *sock = daemon_socket_path(socket_path);
        int fd = daemon_connect(sock);
        if (fd >= 0)
            return restore_via_daemon(fd, file, overrides, n, &o, &t0);
        if (via == VIA_DAEMON) {
            cmd_error("restore: chaosd does not answer on %s: %s", sock,
                      strerror(-fd));
            return EXIT_FAIL;
        }
    }
    chaos_ctx *ctx = cmd_open_ctx("restore");
    if (!ctx)
        return EXIT_FAIL;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    chaos_domid domid;
    chaos_shell *none = NULL; /* a shell made here */
    struct chaos_restore_timings t;
    int rc =
        chaos_shell_restore(ctx, &none, file, (const char *const *)overrides, n,
                            (o.paused ? CHAOS_RESTORE_PAUSED : 0) |
                                (o.in_place ? CHAOS_RESTORE_IN_PLACE : 0),
                            &domid, &t);
    double took = ms_since(&t0);
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
                                       .paused = o.paused,
                                       .t = &t,
                                       .request_ms = -1 };
    json_object *res = chaosd_json_restore_result(&r);
    if (o.json && res) {
        json_object_object_add(res, "restore_ms", json_object_new_double(took));
        puts(json_object_to_json_string_ext(res, JSON_C_TO_STRING_PLAIN));
    } else if (!o.quiet) {
        printf("restored domain %s (id %u) in %.1f ms%s\n", info.name, domid,
               took, o.paused ? ", paused" : "");
    }
    if (o.timings && !o.json && res)
        print_timings(res);
    json_object_put(res);
    fflush(stdout);
    int status =
        cmd_start_monitor(info.name[0] ? info.name : "unnamed", domid) < 0
            ? EXIT_FAIL
            : EXIT_OK;
    chaos_close(ctx);
    return status;
}
