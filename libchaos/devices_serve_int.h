/*
 * devices_serve_int.h - what the two halves of a guest's devices server
 * share: devices_serve.c (the back ends, the event channels, the noxs
 * page's handshake) and devices_xs.c (the handshake through a Linux
 * guest's private XenStore).  Not for other files.
 */
#ifndef CHAOS_DEVICES_SERVE_INT_H
#define CHAOS_DEVICES_SERVE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "backend/backend.h"
#include "devices.h"
#include "devices_serve.h"

struct store;
struct store_server;

struct served {
    uint32_t local_port; /* 0: not bound */
    int fd;              /* net: the TAP's, blk: the image's; -1 */
    bool failed;         /* disconnected for a protocol error */
    struct netback *net;
    struct blkback *blk;
};

struct devices_server {
    chaos_ctx *ctx;
    chaos_domid domid;
    struct devices *devs;
    struct hv_page *page; /* noxs: the device page */
    struct hv_evtchn *evtchn;
    struct hv_gnttab *gnttab;
    struct backend_env env;
    uint32_t page_local; /* noxs: the page's channel, ours */
    bool page_failed;    /* noxs: the guest broke the page */
    struct store *store; /* via_store: the guest's private store */
    struct store_server *store_srv;
    struct served dev[NOXS_MAX_DEVICES];
    char msg[DEVICES_MSG_MAX];
    bool has_msg;
    bool device_failed; /* since the last devices_server_take_failure() */
};

/* devices_serve.c, for devices_xs.c. */
void devices__say(struct devices_server *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Connects device i's back end to the rings fe names, on v->local_port. */
int devices__connect(struct devices_server *s, unsigned i,
                     const struct noxs_fe_device *fe);
void devices__disconnect(struct devices_server *s, unsigned i);

/* devices_xs.c: a guest with a private store. */
/* Builds the store (the guest's keys, each device's front and back end
 * directories) and serves it on the ring and socket. */
int devices_xs_open(struct devices_server *s, const chaos_config *cfg,
                    const uint8_t uuid[16]);
/* The store changed: each device's step of the xenbus state machine. */
void devices_xs_scan(void *server);
/* Device i's back end failed: its state says so (Closed). */
void devices_xs_failed(struct devices_server *s, unsigned i);
void devices_xs_close(struct devices_server *s);

#endif
