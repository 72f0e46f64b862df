/*
 * devices.h - the unikernel's devices over noxs (docs/noxs.md): finding the
 * device page, waiting for device events, and the control device.
 *
 * No interrupts and no threads (evtchn.h): a program loops on its own,
 * calling devices_wait() when it has nothing to do.  devices_wait() also
 * serves the control device: a poweroff or reboot request from dom0
 * (`chaos shutdown`, `chaos reboot`) is acknowledged and carried out from
 * inside it, so a program that waits there is stoppable.
 */
#ifndef CHAOS_UK_DEVICES_H
#define CHAOS_UK_DEVICES_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Finds the noxs page and connects the control device (if any).  Returns
 * the number of devices of known types, or -1 when the guest has no noxs
 * page: silently when there is none or it is not noxs (most guests), with
 * a message when it is noxs but unusable (another version).  Called once
 * by kernel_start before app_main.
 */
int devices_init(void);

/*
 * Blocks until a device's event channel is pending or clock_now_ns()
 * reaches deadline_ns (0: no deadline); serves control requests.  May
 * return early; callers poll their devices and loop.
 */
void devices_wait(uint64_t deadline_ns);

#endif
