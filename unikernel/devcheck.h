/*
 * devcheck.h - the device drivers' decisions that need no hardware: what
 * to answer a control request, whether a block range or a received slot
 * is acceptable, how far to trust a ring index.  Pure functions, so the
 * host unit tests (tests/unit/test_unikernel_devcheck.c) reach them.
 */
#ifndef CHAOS_UK_DEVCHECK_H
#define CHAOS_UK_DEVCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the guest does after answering a control request. */
enum ctrl_action {
    CTRL_ACT_NONE,     /* refused: carry on */
    CTRL_ACT_POWEROFF, /* SHUTDOWN_poweroff */
    CTRL_ACT_REBOOT,   /* SHUTDOWN_reboot */
    CTRL_ACT_SUSPEND,  /* SHUTDOWN_suspend: save, then resume or cancel */
};

/* The requests the guest handles, of those offered (be.features): its
 * fe.features.  Suspend only when the kernel can (can_suspend: a PV guest
 * whose p2m it could not publish cannot be saved). */
uint32_t ctrl_taken(uint32_t offered, bool can_suspend);

/* The answer (NOXS_CTRL_ACK_DONE or _REFUSED, never NONE) to `request`,
 * given the requests taken; *action says what to do after answering. */
uint32_t ctrl_answer(uint32_t request, uint32_t taken,
                     enum ctrl_action *action);

/* After a restore into a new domain: whether the noxs page is one dom0
 * wrote for it, i.e. its generation differs from the one the guest saved
 * with (docs/noxs.md, "Save, restore and reconnect"). */
bool noxs_page_fresh(uint32_t saved_generation, uint32_t page_generation);

/* The network features to take (fe.features) of those offered: RX_COPY
 * (required: connecting checks it is offered), checksum offload when
 * offered, and GSO_TCPV4 with the SG and CSUM it needs when all three
 * are: the front end takes only what it uses. */
uint32_t net_taken(uint32_t offered);

/* A logical sector size blkif can carry: 512, 1024, 2048 or 4096. */
bool blk_sector_size_ok(uint32_t sector_size);

/* Whether [sector, sector + count) (512-byte units) lies on the disk and
 * is aligned to its logical sector size, as back ends require. */
bool blk_range_ok(uint64_t sector, uint64_t count, uint32_t sector_size,
                  uint64_t disk_sectors);

/* A received slot (netif_rx_response's offset and status) carries a frame
 * that lies inside a page of page_size bytes: its length, else 0. */
size_t netrx_frame_len(uint16_t offset, int16_t status, size_t page_size);

/* The producer index to consume up to: prod, unless the other side claims
 * more than `outstanding` entries past cons (it cannot have answered more
 * than we asked), then cons + outstanding. */
uint32_t ring_trusted_prod(uint32_t cons, uint32_t prod, uint32_t outstanding);

#endif
