/*
 * thin.c - the `chaos` program operators run: a thin client that links
 * only libc, json-c and libchaos's pure part (the config parser), and,
 * where the build allows, statically.  `chaos create` and `chaos restore`
 * through chaosd, the paths an orchestrator's or a user's starts take,
 * are served here; every other command (and a create or restore that
 * chaosd does not answer) runs the full program, chaos-full, with the
 * same arguments.
 *
 * Why: under emulation, loading libchaos and Xen's libraries (some twenty
 * shared objects) costs a process a large part of a create that chaosd
 * serves from a pool; a program that loads none of them starts in a
 * fraction of the time (docs/benchmarks.md, issue 13).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

/*
 * Where the full program is: $CHAOS_FULL; else chaos-full beside this
 * program (the build tree); else where `make install` puts it.
 */
static const char *full_path(char *buf, size_t len)
{
    const char *env = getenv("CHAOS_FULL");
    if (env && env[0])
        return env;
    ssize_t n = readlink("/proc/self/exe", buf, len - 1);
    if (n > 0) {
        buf[n] = '\0';
        char *slash = strrchr(buf, '/');
        if (slash && (size_t)(slash - buf) + sizeof("/chaos-full") <= len) {
            strcpy(slash, "/chaos-full");
            if (access(buf, X_OK) == 0)
                return buf;
        }
    }
    return CHAOS_FULL_PATH;
}

/* Runs the full program with args (args[0]: our own argv[0]); returns
 * only when it cannot. */
static int run_full(char **args)
{
    char buf[PATH_MAX];
    const char *path = full_path(buf, sizeof(buf));
    execv(path, args);
    cmd_error("cannot run %s: %s", path, strerror(errno));
    return EXIT_FAIL;
}

/* A create or a restore that chaosd does not serve (no chaosd, --direct,
 * --in-place): the full program does it, told not to ask chaosd again.
 * argv is the command's (argv[0] "create" or "restore"). */
static int run_full_direct(int argc, char **argv)
{
    char **args = calloc((size_t)argc + 3, sizeof(*args));
    if (!args) {
        cmd_error("out of memory");
        return EXIT_FAIL;
    }
    args[0] = "chaos";
    args[1] = argv[0];
    args[2] = "--direct";
    for (int i = 1; i < argc; i++)
        args[i + 2] = argv[i];
    return run_full(args);
}

int cmd_create_direct(chaos_config *cfg, const struct create_opts *o, int argc,
                      char **argv)
{
    (void)o;
    chaos_config_free(cfg);
    return run_full_direct(argc, argv);
}

int cmd_restore_direct(const char *file, char **overrides, unsigned n,
                       const struct restore_opts *o, int argc, char **argv)
{
    (void)file, (void)overrides, (void)n, (void)o;
    return run_full_direct(argc, argv);
}

/* `chaos create -c` through chaosd attaches with the full program. */
int cmd_console(int argc, char **argv)
{
    char **args = calloc((size_t)argc + 2, sizeof(*args));
    if (!args) {
        cmd_error("out of memory");
        return EXIT_FAIL;
    }
    args[0] = "chaos";
    for (int i = 0; i < argc; i++)
        args[i + 1] = argv[i];
    return run_full(args);
}

/* What the thin program serves itself: the requests chaosd answers. */
static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} served[] = {
    { "create", cmd_create },
    { "restore", cmd_restore },
};

int main(int argc, char **argv)
{
    for (size_t i = 0; argc >= 2 && i < sizeof(served) / sizeof(served[0]); i++)
        if (!strcmp(argv[1], served[i].name) &&
            !cmd_wants_help(argc - 1, argv + 1))
            return served[i].run(argc - 1, argv + 1);
    return run_full(argv);
}
