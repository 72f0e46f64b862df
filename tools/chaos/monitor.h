/*
 * monitor.h - the per-guest console monitor that `chaos create` starts.
 */
#ifndef CHAOS_MONITOR_H
#define CHAOS_MONITOR_H

#include <stddef.h>
#include <stdint.h>

#include "chaos.h"

/*
 * Serves the console of domid (ring frame and guest event channel port as
 * chaos_domain_console() reports them) until the domain is gone, then
 * returns.  log_path may be NULL (no log); its missing parent directories
 * are created (0750).  Meant to run in a child of `chaos create` after
 * fork() and setsid(): it opens its own libchaos context and Xen handles
 * (handles must not cross a fork).  Problems are written to stderr,
 * prefixed "chaos monitor DOMID:".  SIGTERM, SIGINT and SIGHUP stop it
 * cleanly.  Returns the exit status for the process: 0 when the domain
 * went away or it was told to stop, 1 when it could not serve.
 *
 * cfg: the guest's configuration (NULL: take no action).  When the guest
 * shuts down, its on_poweroff/on_reboot/on_crash action is carried out,
 * as xl's background process does: "destroy", "preserve", or "restart":
 * the domain is destroyed and created again from cfg (same name, a new
 * id), and the monitor goes on serving the new domain's console into the
 * same log.  cfg must stay valid while this runs (after fork(), the
 * parent's copy does).
 */
int chaos_monitor_run(chaos_domid domid, uint64_t frame, uint32_t port,
                      const char *log_path, const chaos_config *cfg);

/*
 * 0 if the monitor can carry out every on_* action of cfg; otherwise
 * -ENOTSUP and a message in msg (len bytes) naming the key and action.
 * `chaos create` checks this before creating anything, so a guest never
 * runs with an action that would not be honoured.
 */
int chaos_monitor_check_actions(const chaos_config *cfg, char *msg, size_t len);

#endif /* CHAOS_MONITOR_H */
