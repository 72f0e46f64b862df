/*
 * devices_serve.h - a guest's devices (and store) served by its supervisor
 * (devices_serve.c; supervisor.c is the only user).  The same event-loop
 * contract as the console server: pollfds, then handle with what poll()
 * returned (n == 0: the sweep when serving starts).  Never blocks.
 */
#ifndef CHAOS_DEVICES_SERVE_H
#define CHAOS_DEVICES_SERVE_H

#include <poll.h>

#include "chaos.h"

#define DEVICES_MSG_MAX 300

struct devices_server;

/* Serves domid's devices, and its private store if it has one (cfg and
 * uuid fill the store's keys: name, memory, vCPUs): 0 and *out (NULL when
 * it has neither), or a negative errno and a message on ctx (nothing left
 * open).  ctx must outlive the server. */
int devices_serve(chaos_ctx *ctx, chaos_domid domid, const chaos_config *cfg,
                  const uint8_t uuid[16], struct devices_server **out);
/* devices_serve() ahead of a create, for a domain that has not run yet:
 * only when nothing in its devices depends on the request (a noxs page
 * with no vif or disk); else 0 and *out NULL, for devices_serve() once
 * the guest is created. */
int devices_serve_ahead(chaos_ctx *ctx, chaos_domid domid,
                        struct devices_server **out);
/* How many of the fds pollfds() returned were closed while the server
 * went on (see console_server_closes).  NULL: 0. */
unsigned devices_server_closes(const struct devices_server *s);
/* From now on s reports on ctx, and its back ends use ctx's Xen handle
 * (a server served ahead on a builder's context, then on the caller's
 * loop).  Mappings made on the old context stay: it must stay open.
 * NULL ok. */
void devices_server_rebind(struct devices_server *s, chaos_ctx *ctx);
/* store_server_put() into the guest's private store; -ENOENT without
 * one. */
int devices_server_store_put(struct devices_server *s, const char *path,
                             const char *value);
unsigned devices_server_pollfds(const struct devices_server *s,
                                struct pollfd *fds, unsigned max);
/* Handles the entries of fds that are the server's (others are skipped). */
void devices_server_handle(struct devices_server *s, const struct pollfd *fds,
                           unsigned n);
/* Work is left that no notification will announce (a guest's store
 * requests beyond one call's share): handle again soon, as a sweep. */
bool devices_server_busy(const struct devices_server *s);
/* Whether a back end failed since the last call (a TAP device deleted
 * under it, a guest that broke its ring): the caller looks at the domain,
 * which is often being destroyed. */
bool devices_server_take_failure(struct devices_server *s);
/* A log line (a device disconnected, and why), or NULL. */
const char *devices_server_take_message(struct devices_server *s);
/* The vifs' and disks' counters (chaos_supervisor_device_stats). */
unsigned devices_server_stats(const struct devices_server *s,
                              struct chaos_device_stats *out, unsigned max);
/* Disconnects, unbinds and unmaps everything; NULL ok.  TAP devices stay
 * (they go when the domain is destroyed). */
void devices_server_close(struct devices_server *s);

#endif
