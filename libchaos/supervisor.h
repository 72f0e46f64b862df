/*
 * supervisor.h - the parts of the guest supervisor (chaos.h) that are
 * plain rules or plain files, apart from the object that uses them:
 *
 *  - supervisor_rules.c: how a domain stopped -> which on_* key applies,
 *    and which actions chaos carries out.  Pure code, unit-tested.
 *  - supervisor_lock.c: the per-domain lock that makes one supervisor, in
 *    one process, the only server of a guest.
 */
#ifndef CHAOS_SUPERVISOR_H
#define CHAOS_SUPERVISOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chaos.h"

/* Xen's shutdown codes (xen/include/public/sched.h), by value: the
 * supervisor must not include a Xen header. */
enum { XEN_REASON_REBOOT = 1, XEN_REASON_SUSPEND = 2, XEN_REASON_CRASH = 3 };

/*
 * The on_* key that applies to a domain that stopped: on_crash when it
 * crashed (state CRASHED, or the reason "crash"), on_reboot for the reason
 * "reboot", on_poweroff for every other reason (poweroff; and watchdog
 * and soft_reset, whose own xl keys chaos does not accept, as before; a
 * suspend is not a stop: supervisor_being_saved).  reason is Xen's
 * shutdown code.
 */
enum chaos_event supervisor_event_for(bool crashed, int reason);

/*
 * Whether a domain that stopped so is being saved rather than stopped: a
 * suspend (SHUTDOWN_suspend) is how a guest gets ready for a save (or a
 * checkpoint).  No on_* action applies: the saver destroys the domain
 * once the image is written, or resumes it (a checkpoint, or a failed
 * save).  supervisor_event_for() is not asked for such a domain.
 */
bool supervisor_being_saved(bool crashed, int reason);

/* Whether the supervisor carries out act (destroy, preserve, restart). */
bool supervisor_action_supported(enum chaos_action act);

/* The on_* key's name ("on_reboot"); NULL when out of range. */
const char *supervisor_event_key(enum chaos_event ev);

/*
 * Takes the lock of the domain with handle uuid: 0 and *fd (the lock, which
 * supervisor_unlock releases), or -EBUSY with *holder the pid written by
 * the process that holds it (0 if unknown), or another -errno.
 */
int supervisor_lock(const uint8_t uuid[16], int *fd, long *holder);

/* Releases the lock; with remove, the domain is gone: its file goes too
 * (unlinked while still held, see supervisor_lock.c). */
void supervisor_unlock(const uint8_t uuid[16], int fd, bool remove);

#endif /* CHAOS_SUPERVISOR_H */
