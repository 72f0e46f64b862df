/*
 * chaos-example: a program using libchaos through its installed header and
 * pkg-config file only (docs/examples/README.md).
 *
 *   chaos-example                         lists the host's domains
 *   chaos-example GUEST.cfg [KEY=VALUE...]  creates a guest from an xl.cfg
 *                                         file, then lists the domains
 *
 * The guest is created without a supervisor (no console server, no on_*
 * actions): `chaos destroy NAME` removes it.  `chaos create` is the
 * command that also serves it.  Needs root in a Xen dom0.
 */
#include <chaos.h>
#include <stdio.h>
#include <stdlib.h>

static int list_domains(chaos_ctx *ctx)
{
    struct chaos_dominfo *doms;
    int n = chaos_domain_list(ctx, &doms);
    if (n < 0) {
        fprintf(stderr, "chaos-example: list: %s\n", chaos_errmsg(ctx));
        return -1;
    }
    printf("%-24s %5s %8s %s\n", "Name", "ID", "Mem(MiB)", "State");
    for (int i = 0; i < n; i++)
        printf("%-24s %5u %8llu %s\n", doms[i].name[0] ? doms[i].name : "-",
               doms[i].domid, (unsigned long long)(doms[i].mem_bytes >> 20),
               chaos_dom_state_name(doms[i].state));
    chaos_dominfo_free(doms);
    return 0;
}

/* Reads path and the KEY=VALUE overrides, as `chaos create` does. */
static chaos_config *load_config(const char *path, int nargs, char **args)
{
    chaos_config *cfg = chaos_config_new();
    if (!cfg) {
        fprintf(stderr, "chaos-example: out of memory\n");
        return NULL;
    }
    int rc = chaos_config_parse_file(cfg, path);
    for (int i = 0; rc == 0 && i < nargs; i++)
        rc = chaos_config_set_arg(cfg, args[i]);
    if (rc == 0)
        rc = chaos_config_validate(cfg);
    if (rc < 0) {
        fprintf(stderr, "chaos-example: %s\n", chaos_config_errmsg(cfg));
        chaos_config_free(cfg);
        return NULL;
    }
    return cfg;
}

int main(int argc, char **argv)
{
    if (argc > 1 && argv[1][0] == '-') {
        fprintf(stderr, "usage: chaos-example [GUEST.cfg [KEY=VALUE...]]\n");
        return 2;
    }
    printf("libchaos %s (built against %d.%d.%d)\n", chaos_version_string(),
           CHAOS_VERSION_MAJOR, CHAOS_VERSION_MINOR, CHAOS_VERSION_PATCH);

    chaos_config *cfg = NULL;
    if (argc > 1 && !(cfg = load_config(argv[1], argc - 2, argv + 2)))
        return 1;

    chaos_ctx *ctx;
    if (chaos_open(&ctx) < 0) {
        fprintf(stderr, "chaos-example: %s\n",
                ctx ? chaos_errmsg(ctx) : "out of memory");
        chaos_close(ctx);
        chaos_config_free(cfg);
        return 1;
    }
    int status = 0;
    if (cfg) {
        chaos_domid domid;
        if (chaos_domain_create(ctx, cfg, 0, &domid, NULL) < 0) {
            fprintf(stderr, "chaos-example: create: %s\n", chaos_errmsg(ctx));
            status = 1;
        } else {
            printf("created %s (id %u)\n", chaos_config_name(cfg), domid);
        }
    }
    if (list_domains(ctx) < 0)
        status = 1;
    chaos_close(ctx);
    chaos_config_free(cfg);
    return status;
}
