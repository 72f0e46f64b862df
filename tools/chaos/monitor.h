/*
 * monitor.h - the per-guest console monitor that `chaos create` starts.
 */
#ifndef CHAOS_MONITOR_H
#define CHAOS_MONITOR_H

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
 * on: the guest's on_poweroff/on_reboot/on_crash actions, indexed by
 * enum chaos_event, carried out when it shuts down; NULL: none.
 */
int chaos_monitor_run(chaos_domid domid, uint64_t frame, uint32_t port,
                      const char *log_path, const enum chaos_action *on);

#endif /* CHAOS_MONITOR_H */
