/*
 * suspend.h - suspending the guest for a save (SCHEDOP_shutdown with
 * SHUTDOWN_suspend), and waking up: either in the same domain (the save
 * was cancelled, or it was a `chaos save -c`: nothing changed) or in a
 * new domain that libxenguest's restore built, where everything Xen
 * keeps per domain is new (docs/unikernel.md, "Suspend and resume").
 *
 * devices.c calls it for a control request; it does the kernel's part
 * (shared_info, clock, event channels, console, grant table); devices.c
 * then reconnects the devices.
 */
#ifndef CHAOS_UK_SUSPEND_H
#define CHAOS_UK_SUSPEND_H

#include <stdbool.h>

enum suspend_result {
    SUSPEND_CANCELLED, /* same domain: carry on */
    SUSPEND_RESUMED,   /* a new domain: reconnect every device */
};

/* Whether the guest can suspend now; prepares what must be ready before
 * the request is answered (PVH: the callback parameter).  False: refuse. */
bool suspend_possible(void);

/* Suspends; returns once the guest runs again.  Flushes the console first
 * (a saved guest's pending output would reach the console only after a
 * restore). */
enum suspend_result kernel_suspend(void);

/* How many suspends ended cancelled, and in a new domain, since boot:
 * programs that want to say so compare with what they saw last. */
unsigned int suspend_cancelled_count(void);
unsigned int suspend_resumed_count(void);

#endif
