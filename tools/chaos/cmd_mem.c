/*
 * cmd_mem.c - `chaos mem-set` and `mem-max`: a guest's memory target (what
 * its balloon driver aims for) and its maximum, as xl's verbs.
 */
#include <stdio.h>
#include <string.h>

#include "chaos.h"
#include "cmd.h"
#include "xl_args.h"

#define SIZE_TEXT                                                            \
    "SIZE is xl's: a number with at most one suffix, k, m, g, t or b (any\n" \
    "case); no suffix means MiB (256 = 256m = 262144k).\n"

const char cmd_mem_set_help[] =
    "Usage: chaos mem-set DOMAIN SIZE\n"
    "\n"
    "Set the memory target of DOMAIN (a name or a domain id), like\n"
    "`xl mem-set`: the guest's balloon driver gives memory back to Xen or\n"
    "takes it, up to its maximum (see mem-max).  The target goes to\n"
    "memory/target in the guest's private XenStore, as libxl writes it, so\n"
    "only guests with a store and a balloon driver follow it (Linux).\n"
    "chaos's unikernel has neither: it keeps the memory it was built with,\n"
    "and mem-set says so and fails.  Unlike xl, Xen's limit is not lowered\n"
    "to the target: `chaos mem-max` alone moves it.\n"
    "\n" SIZE_TEXT "\n"
    "Exit status: 0 target written, 1 no such domain, a bad SIZE, above the\n"
    "maximum, or a guest without a balloon driver, 2 usage error.\n";

const char cmd_mem_max_help[] =
    "Usage: chaos mem-max DOMAIN SIZE\n"
    "\n"
    "Set the most memory DOMAIN (a name or a domain id) may own, like\n"
    "`xl mem-max`: Xen's limit becomes SIZE plus 1 MiB of slack (as libxl),\n"
    "and a Linux guest's memory/static-max in its private XenStore follows.\n"
    "It cannot go below what the guest owns now (lower its target first)\n"
    "and it does not give the guest memory: a balloon driver then may.\n"
    "The kept configuration (chaos list -l) keeps the maxmem it was created\n"
    "with; a restart uses that.\n"
    "\n" SIZE_TEXT "\n"
    "Exit status: 0 set, 1 no such domain, a bad SIZE, or Xen refused,\n"
    "2 usage error.\n";

static int mem_verb(int argc, char **argv,
                    int (*op)(chaos_ctx *, chaos_domid, uint64_t))
{
    if (argc != 3 || (argv[1][0] == '-' && argv[1][1])) {
        cmd_error("%s: DOMAIN and SIZE are needed (see chaos %s --help)",
                  argv[0], argv[0]);
        return EXIT_USAGE;
    }
    uint64_t kib;
    /* As xl: a bad size is a failure (1), not a usage error. */
    if (xl_parse_mem_kib(argv[2], &kib) < 0) {
        cmd_error("%s: invalid memory size '%s' (a number with k, m, g, t "
                  "or b; MiB without)",
                  argv[0], argv[2]);
        return EXIT_FAIL;
    }
    chaos_ctx *ctx = cmd_open_ctx(argv[0]);
    if (!ctx)
        return EXIT_FAIL;
    chaos_domid domid;
    int rc = chaos_domain_lookup(ctx, argv[1], &domid);
    if (rc == 0)
        rc = op(ctx, domid, kib);
    if (rc < 0)
        cmd_error("%s: %s", argv[0], chaos_errmsg(ctx));
    chaos_close(ctx);
    return rc < 0 ? EXIT_FAIL : EXIT_OK;
}

int cmd_mem_set(int argc, char **argv)
{
    return mem_verb(argc, argv, chaos_domain_set_memory_target);
}

int cmd_mem_max(int argc, char **argv)
{
    return mem_verb(argc, argv, chaos_domain_set_maxmem);
}
