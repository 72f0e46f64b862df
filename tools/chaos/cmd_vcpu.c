/*
 * cmd_vcpu.c - `chaos vcpu-list`: each vCPU of some or all domains, where
 * it runs and may run, as `xl vcpu-list` prints them.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "chaos.h"
#include "cmd.h"
#include "xl_args.h"

const char cmd_vcpu_list_help[] =
    "Usage: chaos vcpu-list [--json] [DOMAIN...]\n"
    "\n"
    "List the vCPUs of each DOMAIN (names or domain ids), or of every\n"
    "domain, like `xl vcpu-list`: the physical CPU each runs (or last ran)\n"
    "on, its state (r running, b blocked, p offline), the CPU time it used,\n"
    "and its hard and soft affinity (the CPUs it may and prefers to run\n"
    "on: \"all\", \"none\" or ranges such as 0-3,6).\n"
    "\n"
    "  --json   print a JSON array of vCPU objects (docs/json.md)\n"
    "\n"
    "Exit status: 0 listed, 1 a DOMAIN does not exist (nothing is printed)\n"
    "or Xen refused, 2 usage error.\n";

struct dom {
    chaos_domid domid;
    char name[64];
    int n;
    struct chaos_vcpuinfo *v;
};

static json_object *cpus_json(const uint8_t *map, unsigned nr_cpus)
{
    json_object *a = json_object_new_array();
    for (unsigned c = 0; c < nr_cpus && c < CHAOS_CPUMAP_BYTES * 8; c++)
        if (map[c / 8] & (1u << (c % 8)))
            json_object_array_add(a, json_object_new_int64(c));
    return a;
}

static json_object *vcpu_json(const struct dom *d,
                              const struct chaos_vcpuinfo *v, unsigned nr_cpus)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "domid", json_object_new_int64(d->domid));
    json_object_object_add(o, "name", json_object_new_string(d->name));
    json_object_object_add(o, "vcpu", json_object_new_int64(v->vcpu));
    json_object_object_add(o, "online", json_object_new_boolean(v->online));
    if (v->online) {
        json_object_object_add(o, "cpu", json_object_new_int64(v->cpu));
        json_object_object_add(o, "running",
                               json_object_new_boolean(v->running));
        json_object_object_add(o, "blocked",
                               json_object_new_boolean(v->blocked));
    }
    json_object_object_add(o, "cpu_time_ns",
                           json_object_new_int64((int64_t)v->cpu_time_ns));
    json_object_object_add(o, "hard_affinity",
                           cpus_json(v->hard_affinity, nr_cpus));
    json_object_object_add(o, "soft_affinity",
                           cpus_json(v->soft_affinity, nr_cpus));
    return o;
}

static void print_text(const struct dom *d, const struct chaos_vcpuinfo *v,
                       unsigned nr_cpus)
{
    char hard[256], soft[256];
    xl_format_cpumap(v->hard_affinity, nr_cpus, hard, sizeof(hard));
    xl_format_cpumap(v->soft_affinity, nr_cpus, soft, sizeof(soft));
    printf("%-32s %5u %5u", d->name[0] ? d->name : "-", d->domid, v->vcpu);
    if (!v->online)
        printf("%5c %3c%cp ", '-', '-', '-');
    else
        printf("%5u %3c%c- ", v->cpu, v->running ? 'r' : '-',
               v->blocked ? 'b' : '-');
    printf("%9.1f  %s / %s\n", (double)v->cpu_time_ns / 1e9, hard, soft);
}

/* The domains to list: those named, or all; -1 after saying why. */
static int collect(chaos_ctx *ctx, int n, char **names, struct dom **out)
{
    struct chaos_dominfo *all = NULL;
    int count = n;
    if (n == 0 && (count = chaos_domain_list(ctx, &all)) < 0) {
        cmd_error("vcpu-list: %s", chaos_errmsg(ctx));
        return -1;
    }
    struct dom *doms = calloc((size_t)count + 1, sizeof(*doms));
    int rc = doms ? 0 : -1;
    if (!doms)
        cmd_error("vcpu-list: out of memory");
    for (int i = 0; rc == 0 && i < count; i++) {
        struct chaos_dominfo info;
        if (all)
            info = all[i];
        else if (chaos_domain_lookup(ctx, names[i], &info.domid) < 0 ||
                 chaos_domain_info(ctx, info.domid, &info) < 0)
            rc = -1;
        if (rc == 0) {
            doms[i].domid = info.domid;
            snprintf(doms[i].name, sizeof(doms[i].name), "%s", info.name);
            doms[i].n = chaos_vcpu_list(ctx, info.domid, &doms[i].v);
            /* A domain that went away meanwhile is skipped in a full
             * list; a named one is an error. */
            if (doms[i].n < 0 && !all)
                rc = -1;
        }
        if (rc < 0)
            cmd_error("vcpu-list: %s", chaos_errmsg(ctx));
    }
    chaos_dominfo_free(all);
    *out = doms;
    return rc < 0 ? -1 : count;
}

static void free_doms(struct dom *doms, int n)
{
    for (int i = 0; doms && i < n; i++)
        chaos_vcpuinfo_free(doms[i].v);
    free(doms);
}

int cmd_vcpu_list(int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { NULL, 0, NULL, 0 },
    };
    int json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c != 'j')
            return EXIT_USAGE;
        json = 1;
    }
    chaos_ctx *ctx = cmd_open_ctx("vcpu-list");
    if (!ctx)
        return EXIT_FAIL;
    struct chaos_physinfo pi;
    if (chaos_physinfo(ctx, &pi) < 0) {
        cmd_error("vcpu-list: %s", chaos_errmsg(ctx));
        chaos_close(ctx);
        return EXIT_FAIL;
    }
    struct dom *doms = NULL;
    int n = collect(ctx, argc - optind, argv + optind, &doms);
    chaos_close(ctx);
    if (n < 0) {
        free_doms(doms, argc - optind);
        return EXIT_FAIL;
    }
    json_object *a = json ? json_object_new_array() : NULL;
    if (!json)
        printf("%-32s %5s %5s %5s %5s %9s %s\n", "Name", "ID", "VCPU", "CPU",
               "State", "Time(s)", "Affinity (Hard / Soft)");
    for (int i = 0; i < n; i++)
        for (int v = 0; v < doms[i].n; v++) {
            if (json)
                json_object_array_add(
                    a, vcpu_json(&doms[i], &doms[i].v[v], pi.nr_cpus));
            else
                print_text(&doms[i], &doms[i].v[v], pi.nr_cpus);
        }
    if (json) {
        cmd_put_json(a, 1);
        json_object_put(a);
    }
    free_doms(doms, n);
    return EXIT_OK;
}
