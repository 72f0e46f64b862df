/*
 * cmd_list_long.c - `chaos list -l`: each domain with the configuration
 * chaos kept for it (like `xl list -l`, which prints libxl's JSON of it;
 * chaos prints xl.cfg text, the form its guests are created from).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "chaos.h"
#include "cmd.h"
#include "json_codec.h"

static void print_indented(const char *text)
{
    while (*text) {
        size_t n = strcspn(text, "\n");
        printf("    %.*s\n", (int)n, text);
        text += n + (text[n] == '\n');
    }
}

void cmd_list_long(chaos_ctx *ctx, const struct chaos_dominfo *doms, int n,
                   int json)
{
    json_object *a = json ? json_object_new_array() : NULL;
    if (!json)
        printf("%-32s %5s %7s %5s %-8s %9s\n", "Name", "ID", "Mem", "VCPUs",
               "State", "Time(s)");
    for (int i = 0; i < n; i++) {
        const struct chaos_dominfo *d = &doms[i];
        char *text = NULL;
        /* Only chaos's guests have one; others get none, not an error. */
        if (d->domid != 0 && chaos_domain_config_text(ctx, d->domid, &text) < 0)
            text = NULL;
        if (json) {
            json_object *o = chaosd_json_domain(d, NULL, NULL);
            if (text)
                json_object_object_add(o, "config",
                                       json_object_new_string(text));
            json_object_array_add(a, o);
        } else {
            printf("%-32s %5u %7" PRIu64 " %5u %-8s %9.1f\n",
                   d->name[0] ? d->name : "-", d->domid,
                   d->mem_bytes / (1024 * 1024), d->vcpus,
                   chaos_dom_state_name(d->state),
                   (double)d->cpu_time_ns / 1e9);
            if (text)
                print_indented(text);
        }
        free(text);
    }
    if (json) {
        cmd_put_json(a, 1);
        json_object_put(a);
    }
}
