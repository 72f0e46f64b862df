/*
 * daemon_client.h - talking to chaosd from the `chaos` command: one
 * request, one reply, over chaosd's UNIX socket (docs/chaosd.md).
 */
#ifndef CHAOS_DAEMON_CLIENT_H
#define CHAOS_DAEMON_CLIENT_H

#include <stddef.h>

#include <json-c/json.h>

/* The socket: path if given, else $CHAOSD_SOCKET, else the default. */
const char *daemon_socket_path(const char *path);

/* Connects; returns the fd or -errno (-ENOENT / -ECONNREFUSED: no chaosd). */
int daemon_connect(const char *path);

/*
 * Sends req (reference consumed) and waits for its reply.  Returns the
 * reply (caller owns it) when chaosd answered ok; else NULL with the
 * reason (chaosd's message, or what went wrong on the way) in err.
 */
json_object *daemon_call(int fd, json_object *req, char *err, size_t errlen);

/* The integer member key of o, or dflt. */
long long daemon_int(json_object *o, const char *key, long long dflt);
/* The string member key of o, or dflt. */
const char *daemon_str(json_object *o, const char *key, const char *dflt);

/* `chaos create` through chaosd (cmd_create_daemon.c). */
struct chaos_config;
struct create_opts;
/* Sends cfg (taken) to chaosd on fd (closed); source names the config
 * file in messages.  Returns the exit status of `chaos create`. */
int create_via_daemon(int fd, struct chaos_config *cfg, const char *source,
                      const struct create_opts *o);

#endif /* CHAOS_DAEMON_CLIENT_H */
