/*
 * cmd.h - the subcommands of the `chaos` command.  Each returns the process
 * exit status: 0 success, 1 operation failed, 2 usage error.
 */
#ifndef CHAOS_CMD_H
#define CHAOS_CMD_H

#include "chaos.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

struct chaos_cmd {
    const char *name;
    const char *summary;               /* one line, for `chaos --help` */
    const char *help;                  /* full text, for `chaos CMD --help` */
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
};

int cmd_info(int argc, char **argv);
int cmd_list(int argc, char **argv);
extern const char cmd_info_help[];
extern const char cmd_list_help[];

int cmd_create(int argc, char **argv);

/* `chaos create`'s options (cmd_create.c). */
struct create_opts {
    int paused, console, foreground, quiet, timings, json;
    const char *socket; /* chaosd's, once connected (-F connects again) */
};
/*
 * Builds the guest here, cfg taken (cmd_domain.c); argv is create's, for
 * the thin program, which runs the full one for it instead (thin.c).
 * Returns the exit status.
 */
int cmd_create_direct(chaos_config *cfg, const struct create_opts *o, int argc,
                      char **argv);
int cmd_destroy(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_unpause(int argc, char **argv);
int cmd_shutdown(int argc, char **argv);
int cmd_console(int argc, char **argv);
int cmd_pool(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_save(int argc, char **argv);
int cmd_restore(int argc, char **argv);

/* `chaos restore`'s options (cmd_restore.c). */
struct restore_opts {
    int paused, quiet, timings, json, in_place;
};
/* The restore done here (cmd_save.c), or by the full program for the thin
 * one (thin.c), as cmd_create_direct.  Returns the exit status. */
int cmd_restore_direct(const char *file, char **overrides, unsigned n,
                       const struct restore_opts *o, int argc, char **argv);
/* One line of timings from a restore result, chaosd's or a direct one's
 * (json_object *: cmd_restore.c). */
struct json_object;
void cmd_print_restore_timings(struct json_object *r);
/* Milliseconds since t0 (CLOCK_MONOTONIC). */
struct timespec;
double cmd_ms_since(const struct timespec *t0);
extern const char cmd_save_help[];
extern const char cmd_restore_help[];
extern const char cmd_events_help[];
extern const char cmd_pool_help[];
extern const char cmd_console_help[];
extern const char cmd_shutdown_help[];
extern const char cmd_create_help[];
extern const char cmd_destroy_help[];
extern const char cmd_pause_help[];
extern const char cmd_unpause_help[];

/* The xl verbs operators use (cmd_names.c, cmd_mem.c, cmd_vcpu.c;
 * reboot in cmd_domain.c). */
int cmd_reboot(int argc, char **argv);
int cmd_domid(int argc, char **argv);
int cmd_domname(int argc, char **argv);
int cmd_rename(int argc, char **argv);
int cmd_mem_set(int argc, char **argv);
int cmd_mem_max(int argc, char **argv);
int cmd_vcpu_list(int argc, char **argv);
extern const char cmd_reboot_help[];
extern const char cmd_domid_help[];
extern const char cmd_domname_help[];
extern const char cmd_rename_help[];
extern const char cmd_mem_set_help[];
extern const char cmd_mem_max_help[];
extern const char cmd_vcpu_list_help[];

/* `chaos top`: a live table of the domains (cmd_top.c). */
int cmd_top(int argc, char **argv);
extern const char cmd_top_help[];

/* `chaos list -l`: each domain's line and its kept configuration, or
 * with json the domain objects with "config" (cmd_list_long.c). */
void cmd_list_long(chaos_ctx *ctx, const struct chaos_dominfo *doms, int n,
                   int json);

/* Prints o as one line of JSON (pretty: indented, over several lines) on
 * stdout.  "/" is not escaped: paths read as they are, as in docs/json.md. */
void cmd_put_json(struct json_object *o, int pretty);

/* Prints "chaos: " + message to stderr. */
void cmd_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Opens a libchaos context; on failure says why ("chaos: WHAT: ...", or
 * without WHAT when it is NULL) and returns NULL. */
chaos_ctx *cmd_open_ctx(const char *what);

/*
 * Starts the monitor of domid (named name: its messages go to
 * CHAOS_CONSOLE_LOG_DIR/NAME.monitor.log), a background process that
 * serves the guest until it is gone (cmd_domain.c).  0, or -1 after
 * saying why.
 */
int cmd_start_monitor(const char *name, chaos_domid domid);

/* True if argv holds -h/--help; the caller then prints its help text. */
int cmd_wants_help(int argc, char **argv);

#endif
