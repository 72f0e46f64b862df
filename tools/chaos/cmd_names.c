/*
 * cmd_names.c - `chaos domid`, `domname` and `rename`: a guest's name and
 * its id, both ways, and changing the name (as xl's verbs of those names).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "chaos.h"
#include "cmd.h"
#include "xl_args.h"

const char cmd_domid_help[] =
    "Usage: chaos domid [--json] NAME\n"
    "\n"
    "Print the domain id of the guest named NAME (like `xl domid`).  Names\n"
    "are those chaos gave its guests, and Domain-0.\n"
    "\n"
    "  --json   print {\"domid\": N, \"name\": \"NAME\"} (docs/json.md)\n"
    "\n"
    "Exit status: 0 found, 1 no domain has that name, 2 usage error.\n";

const char cmd_domname_help[] =
    "Usage: chaos domname [--json] DOMID\n"
    "\n"
    "Print the name of the domain with id DOMID (like `xl domname`): the\n"
    "name chaos gave it, Domain-0's, or for a guest another toolstack\n"
    "made, its name in xenstored when one runs.\n"
    "\n"
    "  --json   print {\"domid\": N, \"name\": \"NAME\"} (docs/json.md)\n"
    "\n"
    "Exit status: 0 found, 1 not a domain id, no such domain, or it has no\n"
    "name, 2 usage error.\n";

const char cmd_rename_help[] =
    "Usage: chaos rename DOMAIN NEW-NAME\n"
    "\n"
    "Rename DOMAIN (a name or a domain id), a guest chaos created, to\n"
    "NEW-NAME (like `xl rename`).  All or nothing: the name index, the\n"
    "guest's record and kept configuration, and a Linux guest's `name` keys\n"
    "in its private XenStore change together, or nothing changes.  A name\n"
    "another guest holds is refused.  The guest's monitor (or chaosd) uses\n"
    "the new name from its next action on: a restart keeps it.  Its console\n"
    "log keeps its file name until then.\n"
    "\n"
    "Exit status: 0 renamed, 1 no such domain, name in use or invalid, or\n"
    "not a guest of chaos, 2 usage error.\n";

/* --json and n operands; -1 after saying why on a usage error. */
static int parse(int argc, char **argv, int n, const char *what, int *json)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    *json = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c != 'j')
            return -1;
        *json = 1;
    }
    if (argc - optind != n) {
        cmd_error("%s: %s needed (see chaos %s --help)", argv[0], what,
                  argv[0]);
        return -1;
    }
    return 0;
}

static void print_pair(int json, chaos_domid domid, const char *name,
                       int print_id)
{
    if (!json) {
        if (print_id)
            printf("%u\n", domid);
        else
            printf("%s\n", name);
        return;
    }
    json_object *o = json_object_new_object();
    json_object_object_add(o, "domid", json_object_new_int64(domid));
    json_object_object_add(o, "name", json_object_new_string(name));
    cmd_put_json(o, 0);
    json_object_put(o);
}

int cmd_domid(int argc, char **argv)
{
    int json;
    if (parse(argc, argv, 1, "exactly one NAME is", &json) < 0)
        return EXIT_USAGE;
    const char *name = argv[optind];
    chaos_ctx *ctx = cmd_open_ctx("domid");
    if (!ctx)
        return EXIT_FAIL;
    chaos_domid domid;
    int rc = chaos_domain_lookup(ctx, name, &domid);
    if (rc < 0)
        cmd_error("domid: %s", chaos_errmsg(ctx));
    else
        print_pair(json, domid, name, 1);
    chaos_close(ctx);
    return rc < 0 ? EXIT_FAIL : EXIT_OK;
}

int cmd_domname(int argc, char **argv)
{
    int json;
    if (parse(argc, argv, 1, "exactly one DOMID is", &json) < 0)
        return EXIT_USAGE;
    chaos_domid domid;
    /* As xl: a bad id is a failure (1), not a usage error. */
    if (xl_parse_domid(argv[optind], &domid) < 0) {
        cmd_error("domname: '%s' is not a domain id", argv[optind]);
        return EXIT_FAIL;
    }
    chaos_ctx *ctx = cmd_open_ctx("domname");
    if (!ctx)
        return EXIT_FAIL;
    struct chaos_dominfo info;
    int rc = chaos_domain_info(ctx, domid, &info);
    if (rc < 0)
        cmd_error("domname: %s", chaos_errmsg(ctx));
    else if (!info.name[0]) {
        cmd_error("domname: domain %u has no name", domid);
        rc = -1;
    } else
        print_pair(json, domid, info.name, 0);
    chaos_close(ctx);
    return rc < 0 ? EXIT_FAIL : EXIT_OK;
}

int cmd_rename(int argc, char **argv)
{
    int json;
    if (parse(argc, argv, 2, "DOMAIN and NEW-NAME are", &json) < 0 || json) {
        if (json)
            cmd_error("rename: --json: rename prints nothing");
        return EXIT_USAGE;
    }
    chaos_ctx *ctx = cmd_open_ctx("rename");
    if (!ctx)
        return EXIT_FAIL;
    chaos_domid domid;
    int rc = chaos_domain_lookup(ctx, argv[optind], &domid);
    if (rc == 0)
        rc = chaos_domain_rename(ctx, domid, argv[optind + 1]);
    if (rc < 0)
        cmd_error("rename: %s", chaos_errmsg(ctx));
    chaos_close(ctx);
    return rc < 0 ? EXIT_FAIL : EXIT_OK;
}
