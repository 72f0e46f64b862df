/*
 * hv_console.h - the hypervisor side of a guest's PV console: the mapped
 * ring page and the bound event channel.  Part of the hypervisor module
 * (libhv): the implementation uses libxenforeignmemory and libxenevtchn,
 * this interface only the project's types.
 */
#ifndef CHAOS_HV_CONSOLE_H
#define CHAOS_HV_CONSOLE_H

#include <stdint.h>

#include "hv.h"

struct hv_console;

/* Maps the guest's console ring page (frame: MFN for PV, GFN for PVH) with
 * xenforeignmemory and binds the guest's console event channel port with
 * xenevtchn (interdomain bind).  The hv error says what failed. */
int hv_console_open(struct chaos_hv *hv, chaos_domid domid, uint64_t frame,
                    uint32_t remote_port, struct hv_console **out);
void *hv_console_ring(
    struct hv_console *c); /* 4096-byte page: struct xencons_interface layout */
int hv_console_fd(
    struct hv_console *c); /* readable when the guest notified us */
int hv_console_ack(
    struct hv_console *c); /* consume the pending notification, unmask */
int hv_console_notify(struct hv_console *c); /* kick the guest */
void hv_console_close(
    struct hv_console *c); /* unmaps, unbinds, closes handles; NULL ok */

/*
 * Details (all functions not taking the hv handle return 0 or a negative errno):
 *  - The handles are private to the hv_console and opened close-on-exec;
 *    like all Xen handles they must not be used across fork(): a child
 *    opens its own.
 *  - hv_console_ack() calls xenevtchn_pending(), which may block when
 *    nothing is pending: call it only when hv_console_fd() polled readable.
 *  - The mapping holds references to the guest's page: while it exists
 *    the domain cannot be fully destroyed (it stays "dying").  Close the
 *    console promptly when the domain goes away.
 */

#endif /* CHAOS_HV_CONSOLE_H */
