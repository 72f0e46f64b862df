/*
 * The PV console: a page shared with the console backend (xenconsoled in
 * dom0) holding two byte rings (struct xencons_interface), plus an event
 * channel each side uses to say "I produced or consumed something".
 *
 * The same ring serves PV and PVH; only how we find it differs (pv.c,
 * pvh.c).  Output converts "\n" to "\r\n", as a serial terminal expects.
 */
#ifndef CHAOS_UK_CONSOLE_H
#define CHAOS_UK_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xen_abi.h"

/*
 * ring == NULL means the toolstack gave us no console: output then goes to
 * Xen's own console (dropped by a release Xen) and input never arrives.
 */
void console_init(struct xencons_interface *ring, evtchn_port_t port);
/* (Called again after a restore into a new domain: a new port, and a
 * ring whose indexes the restore kept (PV) or cleared (PVH); only the
 * ring's own indexes are used, so either way output goes on.) */

/*
 * How long a writer waits for the backend to make room before dropping
 * output, and how long console_flush waits.  A console nobody reads must
 * not hang the guest.
 */
void console_set_timeout_ns(uint64_t timeout_ns);

void console_write(const char *text, size_t len);

/* Copies up to `len` pending input bytes; never blocks. */
size_t console_read(char *buf, size_t len);

/*
 * Blocks until input is pending or clock_now_ns() reaches deadline_ns
 * (0: forever).  Returns whether input is pending.
 */
bool console_wait_input(uint64_t deadline_ns);

/*
 * Waits until the backend has taken all output (or the timeout passes):
 * called before shutdown, since a destroyed domain's ring is never read.
 */
void console_flush(void);

#endif
