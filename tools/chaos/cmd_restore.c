/*
 * cmd_restore.c - `chaos restore`: its options and the way through
 * chaosd when it answers (its restore flavors keep shells ready,
 * docs/chaosd.md; chaosd then serves the guest).  Linked into both
 * programs of the command, as cmd_create.c is: what is done here when
 * chaosd does not answer (or with --direct, --in-place) is
 * cmd_restore_direct(), which the thin program hands to the full one.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cmd.h"
#include "daemon_client.h"
#include "protocol.h"

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

double cmd_ms_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
           (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static double num(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_double(v)
                                                 : 0;
}

/* One line of timings, from a restore result (chaosd's or ours). */
void cmd_print_restore_timings(json_object *r)
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
    double took = cmd_ms_since(t0);
    const char *how = daemon_str(reply, "path", "?");
    if (o->json) {
        json_object_object_del(reply, "v");
        json_object_object_del(reply, "ok");
        json_object_object_add(reply, "restore_ms",
                               json_object_new_double(took));
        cmd_put_json(reply, 0);
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
        cmd_print_restore_timings(reply);
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
    return cmd_restore_direct(file, overrides, n, &o, argc, argv);
}
