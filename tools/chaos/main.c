/*
 * main.c - the full `chaos` program, the xl-like command line of the
 * chaos toolstack: every command.  Installed as
 * $(pkglibexecdir)/chaos-full; the `chaos` that operators run is the thin
 * program (thin.c), which runs this one for all but a create that chaosd
 * answers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "chaos.h"
#include "cmd.h"
#include "util.h"

static const struct chaos_cmd commands[] = {
    { "create", "create and start a guest from an xl.cfg file", cmd_create_help,
      cmd_create },
    { "console", "attach to a guest's console (Ctrl-] detaches)",
      cmd_console_help, cmd_console },
    { "destroy", "destroy a guest at once", cmd_destroy_help, cmd_destroy },
    { "domid", "print the domain id of a named guest", cmd_domid_help,
      cmd_domid },
    { "domname", "print the name of a domain id", cmd_domname_help,
      cmd_domname },
    { "events", "print domain events as they happen", cmd_events_help,
      cmd_events },
    { "info", "show the host and hypervisor", cmd_info_help, cmd_info },
    { "list", "list domains", cmd_list_help, cmd_list },
    { "mem-max", "set the most memory a guest may own", cmd_mem_max_help,
      cmd_mem_max },
    { "mem-set", "set a guest's memory target (balloon)", cmd_mem_set_help,
      cmd_mem_set },
    { "pause", "pause a guest", cmd_pause_help, cmd_pause },
    { "pool", "show or resize chaosd's pools of prepared shells", cmd_pool_help,
      cmd_pool },
    { "reboot", "ask a guest to reboot", cmd_reboot_help, cmd_reboot },
    { "rename", "rename a guest", cmd_rename_help, cmd_rename },
    { "restore", "restore a guest from an image file", cmd_restore_help,
      cmd_restore },
    { "save", "save a guest into an image file", cmd_save_help, cmd_save },
    { "shutdown", "ask a guest to shut down", cmd_shutdown_help, cmd_shutdown },
    { "top", "show what the domains use, live (like xentop)", cmd_top_help,
      cmd_top },
    { "unpause", "let a paused guest run", cmd_unpause_help, cmd_unpause },
    { "vcpu-list", "list the vCPUs of domains", cmd_vcpu_list_help,
      cmd_vcpu_list },
};
enum { N_COMMANDS = N_ELEMENTS(commands) };

chaos_ctx *cmd_open_ctx(const char *what)
{
    chaos_ctx *ctx;
    if (chaos_open(&ctx) < 0) {
        cmd_error("%s%s%s", what ? what : "", what ? ": " : "",
                  ctx ? chaos_errmsg(ctx)
                      : "cannot open libchaos: out of memory");
        chaos_close(ctx);
        return NULL;
    }
    return ctx;
}

static void usage(FILE *out)
{
    fprintf(
        out,
        "Usage: chaos [-h|--help] [-V|--version] COMMAND [ARGS...]\n"
        "\n"
        "Build, start and inspect Xen domains without libxl or XenStore.\n"
        "Run in dom0 as root.  `chaos COMMAND --help` describes a command;\n"
        "`man chaos` describes them all.\n"
        "\n"
        "  -h, --help     this text (also `chaos help`)\n"
        "  -V, --version  print the version and exit\n"
        "\n"
        "Commands:\n");
    for (int i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out,
            "\n"
            "Exit status: 0 on success, 1 when the operation failed, 2 on a\n"
            "usage error.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
        !strcmp(argv[1], "help")) {
        usage(stdout);
        return EXIT_OK;
    }
    if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
        printf("chaos %s (libchaos %s)\n", PACKAGE_VERSION,
               chaos_version_string());
        return EXIT_OK;
    }
    for (int i = 0; i < N_COMMANDS; i++) {
        if (strcmp(argv[1], commands[i].name))
            continue;
        if (cmd_wants_help(argc - 1, argv + 1)) {
            fputs(commands[i].help, stdout);
            return EXIT_OK;
        }
        return commands[i].run(argc - 1, argv + 1);
    }
    cmd_error("unknown command '%s'; `chaos --help` lists the commands",
              argv[1]);
    return EXIT_USAGE;
}
