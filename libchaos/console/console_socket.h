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

/* Removes path if it is still the socket file (dev, ino) we created. */
void console_socket_unlink(const char *path, dev_t dev, ino_t ino);

/* Connects to path; returns a blocking close-on-exec fd or -errno. */
int console_socket_connect(const char *path);

#endif /* CHAOS_CONSOLE_SOCKET_H */
