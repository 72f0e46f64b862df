/*
 * cmd_pool.c - `chaos pool`: chaosd's shell pools, shown and resized.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "daemon_client.h"
#include "protocol.h"

const char cmd_pool_help[] =
    "Usage: chaos pool [--json] [--socket PATH]\n"
    "       chaos pool set FLAVOR SIZE [--socket PATH]\n"
    "\n"
    "Show chaosd's pools of prepared shells: for each flavor (configured in\n"
    "chaosd.conf) its guest type, memory and vCPUs, the pool's size (the\n"
    "target), how many shells are idle and being prepared, and how many\n"
    "were handed out; then the memory idle shells use against the budget.\n"
    "\n"
    "`chaos pool set` changes a pool's size until chaosd restarts: a larger\n"
    "pool is filled in the background (within the memory budget), a smaller\n"
    "one gives its extra idle shells back at once.\n"
    "\n"
    "  --json         print chaosd's reply as JSON\n"
    "  --socket PATH  chaosd's socket (default $CHAOSD_SOCKET, else\n"
    "                 " CHAOSD_DEFAULT_SOCKET ")\n"
    "\n"
    "`chaos pool set` is for root and chaosd's admin_group; chaosd refuses\n"
    "anyone else (forbidden).\n"
    "\n"
    "Exit status: 0 done, 1 chaosd failed, refused (forbidden) or does not\n"
    "run, 2 usage error.\n";

static void print_pools(json_object *reply)
{
    json_object *pools;
    printf("%-20s %-4s %8s %6s %6s %6s %8s %10s\n", "FLAVOR", "TYPE",
           "MEM(MiB)", "VCPUS", "SIZE", "IDLE", "FILLING", "HANDED-OUT");
    if (json_object_object_get_ex(reply, "pools", &pools)) {
        for (size_t i = 0; i < json_object_array_length(pools); i++) {
            json_object *p = json_object_array_get_idx(pools, i);
            printf("%-20s %-4s %8lld %6lld %6lld %6lld %8lld %10lld%s%s\n",
                   daemon_str(p, "flavor", "?"), daemon_str(p, "type", "?"),
                   daemon_int(p, "memory_mib", 0), daemon_int(p, "vcpus", 0),
                   daemon_int(p, "size", 0), daemon_int(p, "idle", 0),
                   daemon_int(p, "filling", 0), daemon_int(p, "handed_out", 0),
                   daemon_int(p, "in_place", 0)   ? "  (restores in place)"
                   : daemon_int(p, "restore", 0)  ? "  (restores)"
                   : daemon_int(p, "template", 0) ? "  (template)"
                                                  : "",
                   daemon_int(p, "configured", 1) ? ""
                                                  : "  (removed, draining)");
        }
    }
    printf("idle shells use %lld of %lld MiB\n",
           daemon_int(reply, "used_mib", 0),
           daemon_int(reply, "budget_mib", 0));
}

int cmd_pool(int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "socket", required_argument, NULL, 'S' },
        { NULL, 0, NULL, 0 },
    };
    int json = 0, c;
    const char *socket_path = NULL;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
            case 'j':
                json = 1;
                break;
            case 'S':
                socket_path = optarg;
                break;
            default:
                return EXIT_USAGE;
        }
    }
    json_object *req;
    int rest = argc - optind;
    if (rest == 0) {
        req = chaosd_request_new(CHAOSD_OP_POOL);
    } else if (rest == 3 && !strcmp(argv[optind], "set")) {
        char *end;
        long size = strtol(argv[optind + 2], &end, 10);
        if (end == argv[optind + 2] || *end || size < 0 || size > 100000) {
            cmd_error("pool: SIZE must be a number from 0 to 100000");
            return EXIT_USAGE;
        }
        req = chaosd_request_new(CHAOSD_OP_POOL_RESIZE);
        json_object_object_add(req, "flavor",
                               json_object_new_string(argv[optind + 1]));
        json_object_object_add(req, "size", json_object_new_int64(size));
    } else {
        cmd_error("pool: see chaos pool --help");
        return EXIT_USAGE;
    }
    const char *sock = daemon_socket_path(socket_path);
    int fd = daemon_connect(sock);
    if (fd < 0) {
        json_object_put(req);
        cmd_error("pool: chaosd does not answer on %s: %s", sock,
                  strerror(-fd));
        return EXIT_FAIL;
    }
    char err[1024];
    json_object *reply = daemon_call(fd, req, err, sizeof(err));
    close(fd);
    if (!reply) {
        cmd_error("pool: %s", err);
        return EXIT_FAIL;
    }
    if (json) {
        json_object_object_del(reply, "v");
        json_object_object_del(reply, "ok");
        cmd_put_json(reply, 1);
    } else {
        print_pools(reply);
    }
    json_object_put(reply);
    return EXIT_OK;
}
