/*
 * console_socket.h - the UNIX sockets console clients attach through.
 *
 * A console server listens on RUNDIR/console/DOMID.sock (mode 0600 in a
 * directory of mode 0700, so only root can attach); `chaos console` and
 * chaos_console_connect() connect to it.  The protocol is a plain byte
 * stream, see docs/console.md.
 */
#ifndef CHAOS_CONSOLE_SOCKET_H
#define CHAOS_CONSOLE_SOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "chaos.h"

/* Writes the default socket path of domid, RUN_DIR/console/DOMID.sock;
 * -ENAMETOOLONG if len is short. */
int console_socket_default_path(const char *run_dir, chaos_domid domid,
                                char *buf, size_t len);

/*
 * Makes sure the directory path exists with the given mode: creates it if
 * missing; if it exists it must be a real directory (not a symbolic link)
 * owned by us, and its mode is corrected.  Returns 0 or a negative errno
 * value with a message in err.
 */
int console_socket_ensure_dir(const char *path, mode_t mode, char *err,
                              size_t errlen);

/*
 * Listens on path (non-blocking, close-on-exec) after making its directory
 * private (0700) and the socket 0600.  A socket file left behind by a
 * server that died is replaced; one a live server still answers on is not
 * (-EADDRINUSE).  Returns the listening fd and the socket file's identity
 * (so close can tell it is still ours), or a negative errno value with a
 * message in err.
 */
int console_socket_listen(const char *path, dev_t *dev, ino_t *ino, char *err,
                          size_t errlen);

/* Removes the socket file at path if nobody listens on it (its server
 * died): 0, also when there is none; else a negative errno value with a
 * message (-EADDRINUSE: it is served; -EEXIST: not a socket). */
int console_socket_remove_stale(const char *path, char *err, size_t errlen);

/* Removes path if it is still the socket file (dev, ino) we created. */
void console_socket_unlink(const char *path, dev_t dev, ino_t ino);

/* Connects to path; returns a blocking close-on-exec fd or -errno. */
int console_socket_connect(const char *path);

/*
 * The same, as a client that already has the output a previous server of
 * the console sent (chaos-oci's keeper, attaching again after chaosd was
 * replaced): its backlog leaves out the log's tail a new server starts
 * with.  Said without a byte on the stream (which stays plain output
 * and keystrokes): the client's socket is bound, before it connects, to
 * an abstract address starting with CONSOLE_RESUME_TAG, which the server
 * reads from accept().
 */
#define CONSOLE_RESUME_TAG "chaos-console-resume:"
int console_socket_connect_resume(const char *path);
/* Whether a peer address (from accept) is a resuming client's. */
struct sockaddr_un;
bool console_socket_is_resume(const struct sockaddr_un *sa, size_t len);

#endif /* CHAOS_CONSOLE_SOCKET_H */
