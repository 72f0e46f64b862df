/*
 * noxs.h - dom0's side of the noxs device page (noxs_abi.h, docs/noxs.md):
 * build a page from the toolstack's device list, publish changes to one
 * device, and read what a guest wrote.  Pure code: no Xen calls, no I/O;
 * the caller maps the page (or holds a buffer to copy in later).
 *
 * Trust: the page is guest memory.  dom0's truth about every "be" field is
 * a struct noxs_host kept in dom0; the page only mirrors it.  Reading the
 * page never returns a "be" field: it returns the guest's fields, copied
 * once into a private snapshot and validated against the noxs_host.
 *
 * Errors: negative errno, and a message (NUL-terminated, never longer than
 * errlen - 1) in err:
 *   -EINVAL            the noxs_host is wrong (a toolstack bug or bad config)
 *   -EPROTO            the guest broke the protocol (the message names the
 *                      device and the field)
 *   -EPROTONOSUPPORT   the guest speaks another noxs version
 * Nothing here prints, allocates or keeps state between calls.
 */
#ifndef CHAOS_NOXS_H
#define CHAOS_NOXS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "noxs_abi.h"

/* A message buffer of this size holds any message of this module. */
#define NOXS_ERR_MAX 160

/* dom0's truth about one device: every "be" field of its entry. */
struct noxs_device {
    enum noxs_dev_type type; /* NOXS_DEV_NONE: a free slot */
    uint16_t devid;
    uint16_t backend_domid;
    uint32_t evtchn;       /* the guest's port (not 0) */
    enum noxs_state state; /* the back end's state */
    uint32_t features;     /* offered, within the type's NOXS_*_F_ALL */
    union {
        struct {
            uint8_t mac[6]; /* unicast, not all zero */
            uint16_t mtu;   /* 0 (1500) or 68 .. 65535 */
            /* 0.0.0.0: none; else unicast (not 0/8, 127/8, multicast,
             * 255.255.255.255); network byte order */
            uint8_t ipv4[4];
            uint8_t ipv4_prefix; /* 0 (not given) or 1 .. 32; only with
                                    an address */
        } net;
        struct {
            uint64_t sectors;     /* 512-byte units, > 0 */
            uint32_t sector_size; /* power of 2, 512 .. 4096 */
            uint8_t max_ring_order;
        } blk;
        struct {
            enum noxs_ctrl_request request; /* must be offered */
            uint32_t request_seq;
        } control;
    } u;
};

/* dom0's truth about one page. */
struct noxs_host {
    uint32_t generation;
    unsigned nr_devices; /* <= NOXS_MAX_DEVICES */
    struct noxs_device devices[NOXS_MAX_DEVICES];
};

/* What the guest wrote about one device, validated. */
struct noxs_fe_device {
    enum noxs_state state;
    uint32_t features; /* a subset of the offered ones */
    /* Ring fields are checked and filled only while the front end has
     * published its rings (state INITIALISED or CONNECTED): rings_ready. */
    bool rings_ready;
    union {
        struct {
            uint32_t tx_ring_ref, rx_ring_ref;
        } net;
        struct {
            unsigned ring_pages; /* 1 << ring_order */
            uint32_t ring_ref[NOXS_BLK_MAX_RING_PAGES];
        } blk;
        struct {
            /* answered: ack_seq is the host's request_seq, and ack is the
             * answer to it (DONE or REFUSED). */
            bool answered;
            enum noxs_ctrl_ack ack;
            uint32_t ack_seq;
        } control;
    } u;
};

/* What the guest wrote in a page, validated. */
struct noxs_fe_page {
    uint32_t version;    /* 0: the front end has not spoken yet */
    uint32_t generation; /* the generation it last acted on */
    unsigned nr_devices; /* the host's count */
    struct noxs_fe_device devices[NOXS_MAX_DEVICES];
};

/* Checks a noxs_host (what noxs_page_build and noxs_page_publish need). */
int noxs_host_check(const struct noxs_host *host, char *err, size_t errlen);

/*
 * Writes a whole page (NOXS_PAGE_SIZE bytes) from host: header, every
 * device's "be" half, and the initial "fe" halves (state INITIALISING,
 * everything else 0).  For a page the guest cannot see yet (a paused
 * domain, or a buffer copied in later); a running guest gets
 * noxs_page_publish.
 */
int noxs_page_build(void *page, const struct noxs_host *host, char *err,
                    size_t errlen);

/*
 * Writes device index's "be" half into a live page, then the header's
 * nr_devices and generation; the fields a guest waits on (state, and a
 * control device's request_seq) are stored last, with release ordering,
 * so a guest that reads them with acquire ordering sees the rest.  The
 * caller then notifies the device's event channel (and the page's, when
 * the generation changed).
 */
int noxs_page_publish(void *page, const struct noxs_host *host, unsigned index,
                      char *err, size_t errlen);

/*
 * Reads the guest's fields of page (NOXS_PAGE_SIZE bytes, which the guest
 * may be writing concurrently) into out: copies the page once, reading
 * each device's state (and a control device's ack_seq) before the fields
 * they publish, then validates the copy against host.  On error out is
 * zeroed.
 */
int noxs_page_read(const void *page, const struct noxs_host *host,
                   struct noxs_fe_page *out, char *err, size_t errlen);

/* "net", "blk", "control", "none", or "?" (for messages). */
const char *noxs_dev_type_name(unsigned type);

#endif
