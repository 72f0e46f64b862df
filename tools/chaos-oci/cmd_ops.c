/*
 * cmd_ops.c - `chaos-oci start`, `state`, `kill`, `delete` and `features`:
 * each reads ROOT/ID/state.json, finds the status from the keeper and the
 * domain, and acts on the guest through libchaos.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "oci.h"
#include "oci_signal.h"

/* What every command here starts with: the record and a context. */
struct target {
    struct oci_record rec;
    chaos_ctx *ctx;
    enum oci_status st;
};

static int open_target(const struct oci_global *g, const char *cmd,
                       const char *id, struct target *t)
{
    memset(t, 0, sizeof(*t));
    if (!oci_id_ok(id))
        return oci_error(g, "%s: \"%s\" is not a valid container ID", cmd, id);
    int r = oci_record_load(g, id, &t->rec);
    if (r == -ENOENT)
        return oci_error(g, "%s %s: container does not exist", cmd, id);
    if (r < 0)
        return oci_error(g, "%s %s: its state: %s", cmd, id, strerror(-r));
    if (chaos_open(&t->ctx) < 0) {
        oci_error(g, "%s %s: %s", cmd, id, chaos_errmsg(t->ctx));
        chaos_close(t->ctx);
        t->ctx = NULL;
        oci_record_free(&t->rec);
        return 1;
    }
    t->st = oci_status_of(t->ctx, &t->rec);
    return 0;
}

static void close_target(struct target *t)
{
    if (t->ctx)
        chaos_close(t->ctx);
    oci_record_free(&t->rec);
}

/* The commands that take exactly one ID after their options. */
static const char *one_id(const struct oci_global *g, const char *cmd, int argc,
                          char **argv, int first)
{
    if (argc - first != 1) {
        oci_error(g, "%s: exactly one container ID is needed", cmd);
        return NULL;
    }
    return argv[first];
}

int cmd_start(const struct oci_global *g, int argc, char **argv)
{
    const char *id = one_id(g, "start", argc, argv, 1);
    struct target t;
    if (!id || open_target(g, "start", id, &t))
        return 1;
    int r = 0;
    if (t.st != OCI_CREATED)
        r = oci_error(g, "start %s: the container is %s, not created", id,
                      oci_status_name(t.st));
    else if (chaos_domain_unpause(t.ctx, t.rec.domid) < 0)
        r = oci_error(g, "start %s: %s", id, chaos_errmsg(t.ctx));
    close_target(&t);
    return r;
}

int cmd_state(const struct oci_global *g, int argc, char **argv)
{
    const char *id = one_id(g, "state", argc, argv, 1);
    struct target t;
    if (!id || open_target(g, "state", id, &t))
        return 1;
    char *json = oci_state_json(&t.rec, t.st);
    int r = json ? 0 : oci_error(g, "out of memory");
    if (json)
        puts(json);
    free(json);
    close_target(&t);
    return r;
}

/* Destroys the guest at once; its keeper then exits with 128+signo. */
static int destroy(const struct oci_global *g, const char *cmd,
                   struct target *t, int signo)
{
    char *path = oci_path(g, t->rec.id, "killed");
    FILE *f = path ? fopen(path, "we") : NULL;
    if (f) {
        fprintf(f, "%d\n", signo);
        fclose(f);
    }
    free(path);
    if (oci_domain_exists(t->ctx, &t->rec, NULL) &&
        chaos_domain_destroy(t->ctx, t->rec.domid) < 0)
        return oci_error(g, "%s %s: %s", cmd, t->rec.id, chaos_errmsg(t->ctx));
    return 0;
}

/* How long kill waits for a chaosd to serve its guest's store again. */
#define KILL_STORE_WAIT_MS 15000

/*
 * Asks the guest to shut down (its /init sends the program TERM).  A
 * guest chaosd serves has no store served between one chaosd stopping
 * and the next adopting it (a restart, an upgrade): the request is then
 * retried until a chaosd serves it, up to KILL_STORE_WAIT_MS, as long as
 * the guest and its keeper (which waits for that chaosd too) live; the
 * shim asking for TERM cannot know to wait.  A guest chaos-oci built is
 * served by its keeper: no wait.
 */
static int request_shutdown(struct target *t)
{
    bool chaosd = t->rec.path && strcmp(t->rec.path, "chaos-oci") != 0;
    for (int waited = 0;; waited += 100) {
        int rc = chaos_domain_shutdown(t->ctx, t->rec.domid,
                                       CHAOS_SHUTDOWN_POWEROFF);
        if (rc != -ESRCH || !chaosd || waited >= KILL_STORE_WAIT_MS ||
            !oci_keeper_alive(&t->rec) ||
            !oci_domain_exists(t->ctx, &t->rec, NULL))
            return rc;
        nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
    }
}

int cmd_kill(const struct oci_global *g, int argc, char **argv)
{
    static const struct option opts[] = {
        { "all", no_argument, NULL, 'a' },
        { NULL, 0, NULL, 0 },
    };
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "+a", opts, NULL)) != -1)
        if (opt != 'a') /* --all: the guest is one "process" anyway */
            return oci_error(g, "kill: bad option");
    if (argc - optind < 1 || argc - optind > 2)
        return oci_error(g, "kill: usage: kill ID [SIGNAL]");
    const char *id = argv[optind];
    const char *sig = argc - optind == 2 ? argv[optind + 1] : "TERM";
    int signo;
    enum oci_kill_action action;
    if (oci_signal_parse(sig, &signo) < 0)
        return oci_error(g, "kill %s: unknown signal \"%s\"", id, sig);
    if (oci_signal_action(signo, &action) < 0)
        return oci_error(g,
                         "kill %s: signal %s cannot be sent to a guest (TERM, "
                         "INT, HUP, QUIT, PWR ask it to shut down; KILL "
                         "destroys it)",
                         id, sig);
    struct target t;
    if (open_target(g, "kill", id, &t))
        return 1;
    int r = 0;
    if (t.st != OCI_CREATED && t.st != OCI_RUNNING)
        r = oci_error(g, "kill %s: the container is %s, not running", id,
                      oci_status_name(t.st));
    /* A paused guest cannot act on a request: like a container that was
     * never started, it just ends. */
    else if (action == OCI_KILL_DESTROY || t.st == OCI_CREATED)
        r = destroy(g, "kill", &t, signo);
    else if (request_shutdown(&t) < 0)
        r = oci_error(g, "kill %s: %s", id, chaos_errmsg(t.ctx));
    close_target(&t);
    return r;
}

/* Waits up to ms for the keeper to end (the shim reaps it). */
static void wait_keeper(const struct oci_record *rec, int ms)
{
    for (int i = 0; i < ms / 50 && oci_keeper_alive(rec); i++)
        nanosleep(&(struct timespec){ .tv_nsec = 50000000 }, NULL);
}

/* A guest chaosd served has its console log where chaosd writes them (a
 * guest chaos-oci built has it under ROOT/ID): the container's, so it
 * goes with it, as chaos-oci's own does. */
static void remove_chaosd_log(const char *id)
{
    char name[64], path[128];
    oci_guest_name(id, name, sizeof(name));
    snprintf(path, sizeof(path), "%s/%s.log", CHAOS_CONSOLE_LOG_DIR, name);
    unlink(path);
}

int cmd_delete(const struct oci_global *g, int argc, char **argv)
{
    static const struct option opts[] = {
        { "force", no_argument, NULL, 'f' },
        { NULL, 0, NULL, 0 },
    };
    int opt, force = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "+f", opts, NULL)) != -1) {
        if (opt != 'f')
            return oci_error(g, "delete: bad option");
        force = 1;
    }
    const char *id = one_id(g, "delete", argc, argv, optind);
    struct target t;
    if (!id)
        return 1;
    if (force && oci_id_ok(id)) {
        /* runc: deleting what does not exist is fine with --force, and
         * quiet (the runc shim's delete after a stopped container's
         * delete must not put an error in its log). */
        char *dir = oci_path(g, id, NULL);
        bool gone = dir && access(dir, F_OK) < 0 && errno == ENOENT;
        free(dir);
        if (gone)
            return 0;
    }
    if (open_target(g, "delete", id, &t))
        return 1;
    int r = 0;
    if (t.st == OCI_RUNNING && !force) {
        r = oci_error(g,
                      "delete %s: the container is running (stop it "
                      "first, or --force)",
                      id);
    } else {
        /* created, creating, stopped, or forced: nothing may stay. */
        if ((r = destroy(g, "delete", &t, SIGKILL)) == 0)
            wait_keeper(&t.rec, 10000);
        int e = r ? 0 : oci_remove(g, id);
        if (r == 0 && oci_record_chaosd(&t.rec))
            remove_chaosd_log(id);
        if (e < 0)
            r = oci_error(g, "delete %s: %s", id, strerror(-e));
    }
    close_target(&t);
    return r;
}

int cmd_features(const struct oci_global *g, int argc, char **argv)
{
    (void)g;
    (void)argc;
    (void)argv;
    /* runtime-spec features.md: what a caller may ask for. */
    puts("{\n"
         "  \"ociVersionMin\": \"1.0.0\",\n"
         "  \"ociVersionMax\": \"" OCI_SPEC_VERSION "\",\n"
         "  \"hooks\": [],\n"
         "  \"mountOptions\": [],\n"
         "  \"linux\": {\n"
         "    \"namespaces\": [\"cgroup\", \"ipc\", \"mount\", \"network\", "
         "\"pid\", \"uts\"],\n"
         "    \"capabilities\": [],\n"
         "    \"cgroup\": { \"v1\": false, \"v2\": false, \"systemd\": false, "
         "\"systemdUser\": false },\n"
         "    \"seccomp\": { \"enabled\": false },\n"
         "    \"apparmor\": { \"enabled\": false },\n"
         "    \"selinux\": { \"enabled\": false }\n"
         "  },\n"
         "  \"annotations\": {\n"
         "    \"org.chaos.runtime\": \"a Xen guest per container\"\n"
         "  }\n"
         "}");
    return 0;
}
