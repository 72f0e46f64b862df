/*
 * spawn.h - running Debian's tools (apt-get, apt-cache, dpkg-deb, make, tar)
 * as subprocesses for tinyx build.  tinyx never reimplements them; it runs
 * them with an explicit argv (no shell), optionally in another directory,
 * and keeps what they print so that a failure can be reported with the
 * tool's own words.
 */
#ifndef TINYX_SPAWN_H
#define TINYX_SPAWN_H

#include "txutil.h"

struct tx_run {
    const char *cwd;         /* directory to run in (NULL: ours) */
    const char *log_path;    /* when set, stdout and stderr are appended to
                             * this file instead of being captured (long,
                             * chatty jobs such as a kernel build) */
    const char *stdout_path; /* when set, stdout goes to this file (created) */
    char *out; /* captured stdout (NUL-terminated), caller frees */
    size_t out_len;
    char *errtext; /* captured stderr, caller frees */
    int status;    /* exit status, or 128+signal */
};

/*
 * Runs argv[0] (searched in PATH) with argv, standard input /dev/null.
 * Returns 0 when it ran (whatever its exit status, in run->status) or
 * -errno when it could not be started (then err names the program and why:
 * a missing program names the Debian package given as pkg_hint, if any).
 */
int tx_run(const char *const *argv, struct tx_run *run, const char *pkg_hint,
           struct tx_error *err);
void tx_run_free(struct tx_run *run);

/* The last non-empty line of text (for short error messages), as a
 * malloc'ed string without its newline; "" when there is none. */
char *tx_last_line(const char *text);

/* rm -rf, without following symlinks; errors other than ENOENT are ignored
 * past the first one, which is returned as -errno. */
int tx_remove_tree(const char *path);

/* mkdir -p with mode 0755; 0 or -errno. */
int tx_mkdirs(const char *path);

/* Copies a regular file (contents and permission bits) to dest, which is
 * replaced; 0 or -errno with a message in err. */
int tx_copy_file(const char *src, const char *dest, struct tx_error *err);

/* Writes data to path (created or truncated, mode 0644 & ~umask). */
int tx_write_file(const char *path, const void *data, size_t len,
                  struct tx_error *err);

#endif
