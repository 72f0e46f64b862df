/*
 * monitor.h - the per-guest monitor process that `chaos create` starts.
 */
#ifndef CHAOS_MONITOR_H
#define CHAOS_MONITOR_H

#include "chaos.h"

/*
 * Serves domid with a guest supervisor (chaos.h: its console, into
 * CHAOS_CONSOLE_LOG_DIR/NAME.log, and its on_* actions, restarts included)
 * until the domain is gone, then returns.  Meant to run in a child of
 * `chaos create` after fork() and setsid(): it opens its own libchaos
 * context and Xen handles (handles must not cross a fork).  What happens
 * is written to stderr, prefixed "chaos monitor DOMID:".  SIGTERM, SIGINT
 * and SIGHUP stop it cleanly (the guest keeps running, and chaosd may
 * take it over).  Returns the exit status for the process: 0 when the
 * domain went away or it was told to stop, 1 when it could not serve or
 * a restart failed.
 */
int chaos_monitor_run(chaos_domid domid);

/*
 * `chaos create -F` without chaosd: serves domid here, in the foreground,
 * as the monitor does, until the guest has ended; SIGTERM, SIGINT and
 * SIGHUP destroy it (the unit that runs it is being stopped).  Returns
 * the exit status (foreground.h: foreground_status() of how the guest
 * ended, or 1 when it could not be served).
 */
int chaos_monitor_run_foreground(chaos_domid domid);

#endif /* CHAOS_MONITOR_H */
