/*
 * devices.h - a guest's noxs devices (docs/noxs.md) on dom0's side, from
 * prepare to destroy:
 *
 *  - devices.c: the prepare phase sets them up from the configuration
 *    (an event channel each, the TAP devices on their bridges, the disk
 *    images checked), and the execute phase gets the device page to copy
 *    into the guest (dom0's truth, struct noxs_host, as a page).
 *  - devices_record.c: what the supervisor (another process, later) and
 *    `chaos shutdown` need, kept as RUNDIR/domains/DOMID.dev.
 *  - devices_serve.c: the supervisor's part: the page, the event channels
 *    and the back ends (libchaos/backend/).
 *  - devices_control.c: control requests (poweroff, reboot) through the
 *    control device.
 *
 * Every guest gets the devices of its vifs and disks and a control device
 * (poweroff, reboot, suspend).  A guest whose kernel is not Linux is a
 * noxs guest, whose store page is the device page, even without vif or
 * disk (unless xenstore = "yes" and it has none).  Stock Linux finds its
 * devices in XenStore, so it gets a private store served by its
 * supervisor (docs/store.md, devices_xs.c), with the same back ends; its
 * control device goes unused (requests go to control/shutdown).
 */
#ifndef CHAOS_DEVICES_H
#define CHAOS_DEVICES_H

#include <stdbool.h>
#include <stdint.h>

#include "chaos.h"
#include "noxs.h"

/* What dom0 keeps about one device besides its noxs entry. */
struct device_extra {
    char tap[16];    /* net: the TAP device's name */
    char bridge[16]; /* net: the bridge it is a port of */
    char *path;      /* blk: the image (malloc'd) */
    bool readonly;   /* blk: access=ro */
};

struct devices {
    struct noxs_host host;
    struct device_extra extra[NOXS_MAX_DEVICES];
    uint64_t page_frame; /* the store page (PV: MFN, PVH: GFN); 0 until
                            execute */
    uint32_t page_port;  /* the store event channel (the guest's port) */
    bool via_store;      /* the page is a XenStore ring (a Linux guest),
                            not a noxs page */
};

/* Whether cfg asks for devices (a vif or a disk): the control device is
 * there in every case. */
bool devices_wanted(const chaos_config *cfg);

/*
 * Prepare: the devices of domid from cfg (validated): an unbound event
 * channel for each (and the control device), MACs for vifs without one,
 * TAP devices created on their bridges, disk images opened to check them
 * and measure them.  On failure (a message on ctx) nothing is left but the
 * event channels, which go with the domain the caller destroys.
 */
int devices_prepare(chaos_ctx *ctx, const chaos_config *cfg, chaos_domid domid,
                    struct devices **out);

/* An empty set, for a guest with a store and no devices (free it). */
struct devices *devices_none(void);

/*
 * Execute, once the kernel is loaded (the guest still paused): gives vifs
 * the MACs cfg gives (a pool's shell made its own), prepares the guest's
 * store page (frame, port: from the builder): the noxs device page, or
 * with via_store an empty XenStore ring, and records the devices for the
 * supervisor.
 */
int devices_install(chaos_ctx *ctx, struct devices *devs, chaos_domid domid,
                    const chaos_config *cfg, bool via_store, uint64_t frame,
                    uint32_t port);

/* Deletes what prepare made outside the domain (TAP devices), frees. */
void devices_undo(struct devices *devs);
void devices_free(struct devices *devs);

/* The device page as the guest must first see it (NOXS_PAGE_SIZE). */
int devices_page(const struct devices *devs, void *page, char *err,
                 size_t errlen);

/* A new MAC (as xl makes them) that no other guest of chaos uses on
 * bridge (the rule creates obey for configured MACs): 0, or a negative
 * errno with a message. */
int devices_new_mac(chaos_ctx *ctx, const char *bridge, uint8_t mac[6]);

/* A vif's ip= as xl writes it, "A.B.C.D" or "A.B.C.D/LEN" ("" for none):
 * in its spec and in the store's ip key. */
void devices_vif_ip(const struct chaos_vif_config *v, char *out, size_t len);
/* The spec of vif v for chaos_config_add_vif, with mac (NULL: none). */
void devices_vif_spec(const struct chaos_vif_config *v, const uint8_t *mac,
                      char *out, size_t len);

/* chaos_domain_readdress's device part (the caller holds the registry's
 * lock): the guest must not have read its page yet, or for a Linux guest
 * its store must be neither served nor used since it was reset (-EBUSY),
 * cfg's vifs must be the guest's (count, bridges), a MAC it gives must be
 * free on its bridge (-EADDRINUSE); then the page is rewritten (noxs) and
 * the record too. */
int devices_readdress(chaos_ctx *ctx, chaos_domid domid,
                      const chaos_config *cfg);

/* The MACs of domid's vifs, in order (at most max): their number, or a
 * negative errno (-ENOENT: no record). */
int devices_vif_macs(chaos_domid domid, uint8_t macs[][6], unsigned max);

/* Index of the first device of type, or -1. */
int devices_find(const struct devices *devs, enum noxs_dev_type type);

/* ---- devices_control.c ---- */
/* Sends req (poweroff, reboot, suspend) to domid's control device, or for a guest
 * with a private store writes control/shutdown there (through its
 * supervisor's socket).  -ENOENT (no message) when chaos serves neither
 * for domid; the caller then tries a central xenstored (xl's guests). */
int devices_request(chaos_ctx *ctx, chaos_domid domid,
                    enum noxs_ctrl_request req);

/* devices_request saying which request number it was (*seq), for
 * devices_request_answer (a private store has one request at a time: *seq
 * is 1).  req NOXS_CTRL_NONE (noxs only) withdraws an unanswered request:
 * it takes its place, and the guest refuses it without acting. */
int devices_request_seq(chaos_ctx *ctx, chaos_domid domid,
                        enum noxs_ctrl_request req, uint32_t *seq);

/* The guest's answer to request number seq: NOXS_CTRL_ACK_NONE (not yet,
 * or it answered a later one instead), NOXS_CTRL_ACK_DONE (it acts on it),
 * NOXS_CTRL_ACK_REFUSED, or a negative errno (a broken page: message on
 * ctx; -ENOENT: no control device).  A private store's answer: DONE once
 * control/shutdown no longer holds the request (Linux clears it). */
int devices_request_answer(chaos_ctx *ctx, chaos_domid domid, uint32_t seq);

/* Withdraws request seq (a suspend) if the guest has not taken it:
 * NOXS_CTRL_ACK_NONE (withdrawn), NOXS_CTRL_ACK_DONE (it took it just
 * now: it acts on it), or a negative errno with a message.  A noxs guest
 * gets the request "none" in its place; a private store's control/shutdown
 * is cleared in a transaction, as libxl does. */
int devices_request_withdraw(chaos_ctx *ctx, chaos_domid domid, uint32_t seq);

/* ---- devices_record.c ---- */
int devices_record_write(chaos_domid domid, const struct devices *devs);
/* -ENOENT: the domain has no devices (or no record). */
int devices_record_read(chaos_domid domid, struct devices **out);
/* Deletes the record and what it names outside the domain (TAP devices);
 * no error when there is none. */
void devices_record_remove(chaos_domid domid);

#endif /* CHAOS_DEVICES_H */
