/*
 * foreground.h - `chaos create -F`: the command stays until the guest has
 * ended and exits with a status that says how, for process supervisors
 * that run one guest per unit (systemd services, Nomad's raw_exec).
 */
#ifndef CHAOS_FOREGROUND_H
#define CHAOS_FOREGROUND_H

#include "chaos.h"

/* Exit statuses of `chaos create -F` beyond cmd.h's 0, 1 and 2. */
enum { EXIT_GUEST_CRASHED = 3 };

/*
 * The exit status for a guest that ended so: reason is Xen's shutdown
 * reason by name ("poweroff", "crash"...; chaos_shutdown_reason_name), or
 * NULL when its domain was destroyed without shutting down.  0 for a
 * clean end (poweroff, reboot without restart, destroyed), 3 for a crash
 * or a watchdog that fired.
 */
int foreground_status(const char *reason);

/*
 * Through chaosd: sub_fd is a connection already subscribed to chaosd's
 * events (before the create, so none is missed).  Follows domid, and the
 * domains chaosd restarts it as (its "created" events for the same name,
 * when cfg's on_* action for the stop is restart), until the guest has
 * ended.  SIGTERM, SIGINT and SIGHUP destroy the guest through sock.
 * Closes sub_fd.  Returns the exit status (foreground_status(), or 1 when
 * chaosd went away or a restart did not come).
 */
int foreground_follow(int sub_fd, const char *sock, long long domid,
                      const char *name, const chaos_config *cfg);

#endif /* CHAOS_FOREGROUND_H */
