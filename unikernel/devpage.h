/*
 * devpage.h - what the front ends (netfront.c, blkfront.c) share with
 * devices.c, which owns the noxs page (docs/noxs.md).
 *
 * The page is shared with dom0.  Its static `be` fields are read once, by
 * devices_init, into a snapshot the drivers use; only the doorbells (the
 * states, the control request) are read live, with acquire loads, and the
 * guest's own fields are written with the doorbell last (release).
 */
#ifndef CHAOS_UK_DEVPAGE_H
#define CHAOS_UK_DEVPAGE_H

#include <stdint.h>

#include "noxs_abi.h"
#include "xen_abi.h"

/* Connecting waits this long for each state of the back end. */
#define DEVPAGE_CONNECT_TIMEOUT_NS (30ull * 1000000000ull)

struct devpage_dev {
    struct noxs_dev_be be;   /* snapshot: type, devid, evtchn, features, u */
    struct noxs_dev *shared; /* the live entry */
};

/* The index-th device of `type` (0: the first), or NULL.  Its port is
 * known to be a valid event channel number. */
const struct devpage_dev *devpage_find(unsigned int type, unsigned int index);

/* The back end's state, read now (acquire). */
uint32_t devpage_be_state(const struct devpage_dev *dev);

/* Waits until the back end's state is at least `min_state` or the
 * deadline passes, serving control requests meanwhile; returns the last
 * state seen. */
uint32_t devpage_wait_be_state(const struct devpage_dev *dev,
                               uint32_t min_state, uint64_t deadline_ns);

/* Publishes the front end's state (release: after every field written
 * before it) and notifies the device's channel. */
void devpage_set_fe_state(const struct devpage_dev *dev, uint32_t state);

/* devices_wait() polls `port` too: for devices whose program waits there
 * (network).  A watched port stays pending until its driver clears it. */
void devpage_watch(evtchn_port_t port);

/* Blocks until `port` is pending or the deadline (0: none) passes, as
 * devices_wait does for a driver that waits on its own (block). */
void devpage_block(evtchn_port_t port, uint64_t deadline_ns);

#endif
