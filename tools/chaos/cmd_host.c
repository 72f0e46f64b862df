/*
 * cmd_host.c - `chaos info` and `chaos list`.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "chaos.h"
#include "cmd.h"
#include "json_codec.h"

const char cmd_info_help[] =
    "Usage: chaos info [--json]\n"
    "\n"
    "Show the hypervisor version, the host's CPUs and memory, and which guest\n"
    "types it can run (like `xl info`).\n"
    "\n"
    "  --json   print one JSON object instead of text (docs/json.md)\n"
    "\n"
    "Exit status: 0 shown, 1 Xen cannot be reached, 2 usage error.\n";

const char cmd_list_help[] =
    "Usage: chaos list [-l] [--json]\n"
    "\n"
    "List the domains on this host with their id, memory, vCPUs, state and\n"
    "CPU time (like `xl list`).  Memory is in MiB, time in seconds.\n"
    "\n"
    "  -l, --long  after each domain's line, the configuration chaos kept\n"
    "              for it (xl.cfg text, every key at its effective value;\n"
    "              domains chaos did not create have none)\n"
    "  --json      print a JSON array of domain objects instead of a table\n"
    "              (docs/json.md; with -l each has its \"config\")\n"
    "\n"
    "Exit status: 0 listed, 1 Xen cannot be reached, 2 usage error.\n";

/* Parses the only option these commands take; returns -1 on usage error. */
static int parse_json_flag(int argc, char **argv, int *json)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { NULL, 0, NULL, 0 },
    };
    *json = 0;
    optind = 1;
    int c;
    /* --json only: no -j, as in every other command with --json. */
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c != 'j')
            return -1;
        *json = 1;
    }
    if (optind != argc) {
        cmd_error("%s: unexpected argument '%s'", argv[0], argv[optind]);
        return -1;
    }
    return 0;
}

static const uint64_t MiB = 1024 * 1024;

int cmd_info(int argc, char **argv)
{
    int json;
    if (parse_json_flag(argc, argv, &json) < 0)
        return EXIT_USAGE;
    chaos_ctx *ctx = cmd_open_ctx(NULL);
    if (!ctx)
        return EXIT_FAIL;
    struct chaos_physinfo pi;
    int rc = chaos_physinfo(ctx, &pi);
    if (rc < 0) {
        cmd_error("info: %s", chaos_errmsg(ctx));
        chaos_close(ctx);
        return EXIT_FAIL;
    }
    chaos_close(ctx);

    char caps[64];
    snprintf(caps, sizeof(caps), "%s%s%s%s", pi.cap_pv ? "pv " : "",
             pi.cap_hvm ? "hvm " : "", pi.cap_hap ? "hap " : "",
             pi.cap_shadow ? "shadow " : "");
    if (json) {
        json_object *o = chaosd_json_host(NULL, &pi);
        cmd_put_json(o, 1);
        json_object_put(o);
        return EXIT_OK;
    }
    printf("xen_version            : %u.%u%s\n", pi.xen_major, pi.xen_minor,
           pi.xen_extra);
    printf("nr_cpus                : %u\n", pi.nr_cpus);
    printf("nr_nodes               : %u\n", pi.nr_nodes);
    printf("cores_per_socket       : %u\n", pi.cores_per_socket);
    printf("threads_per_core       : %u\n", pi.threads_per_core);
    printf("cpu_mhz                : %u\n", pi.cpu_khz / 1000);
    printf("total_memory           : %" PRIu64 "\n", pi.total_bytes / MiB);
    printf("free_memory            : %" PRIu64 "\n", pi.free_bytes / MiB);
    printf("capabilities           : %s\n", caps);
    return EXIT_OK;
}

int cmd_list(int argc, char **argv)
{
    int json, long_form = 0;
    for (int i = 1; i < argc; i++) /* -l is list's own: take it out */
        if (!strcmp(argv[i], "-l") || !strcmp(argv[i], "--long")) {
            long_form = 1;
            memmove(&argv[i], &argv[i + 1], (size_t)(argc - i) * sizeof(*argv));
            argc--, i--;
        }
    if (parse_json_flag(argc, argv, &json) < 0)
        return EXIT_USAGE;
    chaos_ctx *ctx = cmd_open_ctx(NULL);
    if (!ctx)
        return EXIT_FAIL;
    struct chaos_dominfo *doms;
    int n = chaos_domain_list(ctx, &doms);
    if (n < 0) {
        cmd_error("list: %s", chaos_errmsg(ctx));
        chaos_close(ctx);
        return EXIT_FAIL;
    }
    if (long_form) {
        cmd_list_long(ctx, doms, n, json);
        chaos_close(ctx);
        chaos_dominfo_free(doms);
        return EXIT_OK;
    }
    chaos_close(ctx);

    if (json) {
        json_object *a = json_object_new_array();
        for (int i = 0; i < n; i++)
            json_object_array_add(a, chaosd_json_domain(&doms[i], NULL, NULL));
        cmd_put_json(a, 1);
        json_object_put(a);
    } else {
        printf("%-32s %5s %7s %5s %-8s %9s\n", "Name", "ID", "Mem", "VCPUs",
               "State", "Time(s)");
        for (int i = 0; i < n; i++) {
            const struct chaos_dominfo *d = &doms[i];
            printf("%-32s %5u %7" PRIu64 " %5u %-8s %9.1f\n",
                   d->name[0] ? d->name : "-", d->domid, d->mem_bytes / MiB,
                   d->vcpus, chaos_dom_state_name(d->state),
                   (double)d->cpu_time_ns / 1e9);
        }
    }
    chaos_dominfo_free(doms);
    return EXIT_OK;
}
