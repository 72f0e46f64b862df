/*
 * oci.h - what the commands of chaos-oci share: global options, the runc
 * log, the files under --root (oci_root.c) and the keeper (keeper.c).
 */
#ifndef CHAOS_OCI_H
#define CHAOS_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "build.h"
#include "chaos.h"
#include "oci_state.h"

/* Where state lives without --root (runc's is /run/runc). */
#define OCI_DEFAULT_ROOT "/run/chaos-oci"
/* The guest's kernel without the org.chaos.kernel annotation or
 * $CHAOS_OCI_KERNEL. */
#define OCI_DEFAULT_KERNEL "/var/lib/chaos-oci/vmlinuz"
/* tinyx's (build.h), and nothing but emergencies on the console, which
 * is the container's stdout. */
#define OCI_CMDLINE TINYX_CMDLINE " loglevel=1"

struct oci_global {
    const char *root;
    const char *log;
    bool log_json;
};

/* runc's log: a JSON (or logfmt) line in --log, and "chaos-oci: MSG" on
 * stderr for errors.  Returns 1 (the exit status of a failure). */
int oci_error(const struct oci_global *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void oci_info(const struct oci_global *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ROOT/ID and files in it (malloc'd; NULL when out of memory). */
char *oci_path(const struct oci_global *g, const char *id, const char *file);

/* Makes ROOT and the folders above it: 0 or a negative errno. */
int oci_root_make(const struct oci_global *g);

/* Reads ROOT/ID/state.json: 0, -ENOENT (no such container), or another
 * negative errno. */
int oci_record_load(const struct oci_global *g, const char *id,
                    struct oci_record *r);
/* Writes it atomically (a temporary file renamed). */
int oci_record_save(const struct oci_global *g, const struct oci_record *r);
/* Removes ROOT/ID and everything in it. */
int oci_remove(const struct oci_global *g, const char *id);

/* A process's start time (field 22 of /proc/PID/stat), 0 if none. */
uint64_t oci_pid_start(int pid);
/* The keeper of r still lives (not a zombie, not a reused pid). */
bool oci_keeper_alive(const struct oci_record *r);

/* The container's status; ctx may be NULL only when r has no keeper. */
enum oci_status oci_status_of(chaos_ctx *ctx, const struct oci_record *r);
/* The guest of r still exists (same id and Xen handle). */
bool oci_domain_exists(chaos_ctx *ctx, const struct oci_record *r,
                       struct chaos_dominfo *info);

/*
 * The keeper: serves the guest domid with a supervisor (or, chaosd true,
 * follows the guest chaosd serves, on its console socket), copies its
 * console to stdout (filtered: oci_output.h) and stdin to it, writes "R"
 * to ready_fd once it is attached (or "E" and a message, then returns),
 * and returns the container's exit status when the guest is gone.  dir is
 * ROOT/ID.
 */
int oci_keeper_run(const char *dir, chaos_domid domid, bool terminal,
                   bool chaosd, int ready_fd);

/*
 * process.terminal: makes a pseudo-terminal, sends its master over the
 * UNIX socket socket_path (SCM_RIGHTS, as runc's --console-socket) and
 * returns its slave, in raw mode, in *slave (the keeper's stdio).  0, or a
 * negative errno with a sentence in msg.
 */
int oci_pty_send(const char *socket_path, int *slave, char *msg, size_t msglen);

int cmd_create(const struct oci_global *g, int argc, char **argv);
int cmd_start(const struct oci_global *g, int argc, char **argv);
int cmd_state(const struct oci_global *g, int argc, char **argv);
int cmd_kill(const struct oci_global *g, int argc, char **argv);
int cmd_delete(const struct oci_global *g, int argc, char **argv);
int cmd_features(const struct oci_global *g, int argc, char **argv);

#endif /* CHAOS_OCI_H */
