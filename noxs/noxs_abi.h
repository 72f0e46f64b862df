/*
 * noxs_abi.h - the noxs device page: the one page through which a guest
 * and its dom0 back ends find each other without XenStore.  docs/noxs.md
 * is the specification; this header is its layout, shared by the dom0
 * back ends (noxs/noxs.c) and the project's unikernel (guest side).
 *
 * Freestanding on purpose: only <stdint.h> and <stddef.h> (both
 * freestanding headers), no libc, no Xen headers (ABI types are spelled
 * out here; Xen's own headers stay inside libchaos/hv/ and unikernel/).
 * All fields are little-endian (x86); every structure has fixed size and
 * explicit padding, checked by the _Static_asserts at the end, so both
 * sides agree on every offset whatever compiler builds them.
 *
 * Who writes what: each structure is split into a half written by dom0
 * (the toolstack and the back ends: "be") and a half written by the guest
 * (the front end: "fe").  The page is guest memory: the guest can write
 * both halves, so dom0 never believes a "be" field it reads back, and
 * treats every "fe" field as hostile input (noxs.c copies the page once
 * and validates it).
 */
#ifndef CHAOS_NOXS_ABI_H
#define CHAOS_NOXS_ABI_H

#include <stddef.h>
#include <stdint.h>

#define NOXS_PAGE_SIZE 4096u
/* "NOXS" in memory order: 'N' 'O' 'X' 'S'. */
#define NOXS_MAGIC 0x53584f4eu
/* The layout version of this header (docs/noxs.md, "Versions"). */
#define NOXS_VERSION 1u
/* Entries in the device table: what fits after the 128-byte header. */
#define NOXS_MAX_DEVICES 31u
/* Grant references below this are reserved for the toolstack (Xen's
 * GNTTAB_NR_RESERVED_ENTRIES: 0 console, 1 this page); a ring never
 * uses them. */
#define NOXS_FIRST_GRANT_REF 8u

/* Device types (noxs_dev_be.type).  0: an unused entry. */
enum noxs_dev_type {
    NOXS_DEV_NONE = 0,
    NOXS_DEV_NET = 1,     /* netif rings (Xen's io/netif.h) */
    NOXS_DEV_BLK = 2,     /* blkif ring (Xen's io/blkif.h) */
    NOXS_DEV_CONTROL = 3, /* poweroff / reboot / suspend requests */
};
#define NOXS_DEV_TYPE_MAX 3u

/* Connection states: XenbusState's values, so the state machine reads as
 * the one every Xen front end knows.  Reconfiguring/Reconfigured (7, 8)
 * are not used and are invalid. */
enum noxs_state {
    NOXS_STATE_UNKNOWN = 0,
    NOXS_STATE_INITIALISING = 1,
    NOXS_STATE_INITWAIT = 2,
    NOXS_STATE_INITIALISED = 3,
    NOXS_STATE_CONNECTED = 4,
    NOXS_STATE_CLOSING = 5,
    NOXS_STATE_CLOSED = 6,
};
#define NOXS_STATE_MAX 6u

/* Network features: offered in be.features, taken in fe.features (a front
 * end takes only what was offered).  RX_COPY is the only receive mode and
 * a front end must take it. */
#define NOXS_NET_F_RX_COPY (1u << 0)   /* back end copies into rx buffers */
#define NOXS_NET_F_SG (1u << 1)        /* multi-slot packets */
#define NOXS_NET_F_CSUM (1u << 2)      /* checksum offload */
#define NOXS_NET_F_GSO_TCPV4 (1u << 3) /* TCPv4 segmentation offload */
#define NOXS_NET_F_ALL 0xfu

/* Block features (be.features; a front end may echo in fe.features those
 * it uses, nothing else). */
#define NOXS_BLK_F_FLUSH (1u << 0)    /* BLKIF_OP_FLUSH_DISKCACHE honoured */
#define NOXS_BLK_F_READONLY (1u << 1) /* writes are refused */
#define NOXS_BLK_F_ALL 0x3u
/* Largest blkif ring: 2^2 pages. */
#define NOXS_BLK_MAX_RING_ORDER 2u
#define NOXS_BLK_MAX_RING_PAGES (1u << NOXS_BLK_MAX_RING_ORDER)

/* Control requests (be.u.control.request), and as feature bits: be.features
 * says which requests the toolstack may send, fe.features which the guest
 * handles. */
enum noxs_ctrl_request {
    NOXS_CTRL_NONE = 0,
    NOXS_CTRL_POWEROFF = 1,
    NOXS_CTRL_REBOOT = 2,
    NOXS_CTRL_SUSPEND = 3,
};
#define NOXS_CTRL_REQUEST_MAX 3u
#define NOXS_CTRL_F(req) (1u << (req))
#define NOXS_CTRL_F_ALL                                                \
    (NOXS_CTRL_F(NOXS_CTRL_POWEROFF) | NOXS_CTRL_F(NOXS_CTRL_REBOOT) | \
     NOXS_CTRL_F(NOXS_CTRL_SUSPEND))

/* Answers to a control request (fe.u.control.ack). */
enum noxs_ctrl_ack {
    NOXS_CTRL_ACK_NONE = 0,
    NOXS_CTRL_ACK_DONE = 1,    /* the guest acts on it now */
    NOXS_CTRL_ACK_REFUSED = 2, /* the guest will not (unsupported, busy) */
};
#define NOXS_CTRL_ACK_MAX 2u

/* ---- Device entry, dom0's half (64 bytes) ---------------------------- */

struct noxs_net_be {
    uint8_t mac[6]; /* the guest's MAC address (unicast) */
    uint16_t mtu;   /* 0: 1500 */
    /* The guest's IPv4 address on this vif, network byte order (the
     * config's ip=): all zero when the toolstack gives none (the guest
     * then finds its address elsewhere, e.g. its command line). */
    uint8_t ipv4[4];
    uint8_t ipv4_prefix; /* its prefix length 1..32; 0: not given */
    uint8_t pad[27];
};

struct noxs_blk_be {
    uint64_t sectors;       /* size in 512-byte units, as blkif counts */
    uint32_t sector_size;   /* logical sector size: 512 .. 4096, power of 2 */
    uint8_t max_ring_order; /* <= NOXS_BLK_MAX_RING_ORDER */
    uint8_t pad[27];
};

struct noxs_ctrl_be {
    uint32_t request;     /* enum noxs_ctrl_request */
    uint32_t request_seq; /* incremented for each new request */
    uint8_t pad[32];
};

struct noxs_dev_be {
    uint8_t type;           /* enum noxs_dev_type */
    uint8_t pad0;           /* 0 */
    uint16_t devid;         /* per type: vif handle, blkif vdev number */
    uint16_t backend_domid; /* grant rings to this domain */
    uint16_t pad1;          /* 0 */
    uint32_t evtchn;        /* the guest's port, bound by the back end */
    uint32_t state;         /* enum noxs_state: the back end's */
    uint32_t features;      /* offered: NOXS_NET_F_*, NOXS_BLK_F_*, ... */
    uint32_t pad2;          /* 0 */
    union {
        struct noxs_net_be net;
        struct noxs_blk_be blk;
        struct noxs_ctrl_be control;
    } u;
};

/* ---- Device entry, the guest's half (64 bytes) ------------------------ */

struct noxs_net_fe {
    uint32_t tx_ring_ref; /* grant of the netif tx ring page */
    uint32_t rx_ring_ref; /* grant of the netif rx ring page */
    uint8_t pad[48];
};

struct noxs_blk_fe {
    uint8_t ring_order; /* <= be max_ring_order */
    uint8_t pad0[3];
    uint32_t ring_ref[NOXS_BLK_MAX_RING_PAGES]; /* first 2^ring_order used */
    uint8_t pad[36];
};

struct noxs_ctrl_fe {
    uint32_t ack;     /* enum noxs_ctrl_ack: answer to request ack_seq */
    uint32_t ack_seq; /* the request_seq answered */
    uint8_t pad[48];
};

struct noxs_dev_fe {
    uint32_t state;    /* enum noxs_state: the front end's */
    uint32_t features; /* taken: a subset of be.features */
    union {
        struct noxs_net_fe net;
        struct noxs_blk_fe blk;
        struct noxs_ctrl_fe control;
    } u;
};

struct noxs_dev {
    struct noxs_dev_be be;
    struct noxs_dev_fe fe;
};

/* ---- Page header (128 bytes) and page ---------------------------------- */

struct noxs_header_be {
    uint32_t magic;      /* NOXS_MAGIC */
    uint16_t version;    /* NOXS_VERSION */
    uint16_t nr_devices; /* entries 0 .. nr_devices-1 are in use */
    uint32_t generation; /* changes whenever dom0 rewrites the page */
    uint8_t pad[52];
};

struct noxs_header_fe {
    uint32_t version;    /* the version the front end speaks */
    uint32_t generation; /* the generation it last acted on */
    uint8_t pad[56];
};

struct noxs_page {
    struct noxs_header_be be;
    struct noxs_header_fe fe;
    struct noxs_dev devices[NOXS_MAX_DEVICES];
};

/* ---- The layout, checked (docs/noxs.md has the same table) ----------- */

_Static_assert(sizeof(struct noxs_page) == NOXS_PAGE_SIZE, "page size");
_Static_assert(sizeof(struct noxs_header_be) == 64, "header be size");
_Static_assert(sizeof(struct noxs_header_fe) == 64, "header fe size");
_Static_assert(sizeof(struct noxs_dev) == 128, "device size");
_Static_assert(sizeof(struct noxs_dev_be) == 64, "device be size");
_Static_assert(sizeof(struct noxs_dev_fe) == 64, "device fe size");
_Static_assert(sizeof(struct noxs_net_be) == 40, "net be size");
_Static_assert(sizeof(struct noxs_blk_be) == 40, "blk be size");
_Static_assert(sizeof(struct noxs_ctrl_be) == 40, "control be size");
_Static_assert(sizeof(struct noxs_net_fe) == 56, "net fe size");
_Static_assert(sizeof(struct noxs_blk_fe) == 56, "blk fe size");
_Static_assert(sizeof(struct noxs_ctrl_fe) == 56, "control fe size");

_Static_assert(offsetof(struct noxs_page, be.magic) == 0, "magic");
_Static_assert(offsetof(struct noxs_page, be.version) == 4, "version");
_Static_assert(offsetof(struct noxs_page, be.nr_devices) == 6, "nr_devices");
_Static_assert(offsetof(struct noxs_page, be.generation) == 8, "generation");
_Static_assert(offsetof(struct noxs_page, fe.version) == 64, "fe version");
_Static_assert(offsetof(struct noxs_page, fe.generation) == 68, "fe gen");
_Static_assert(offsetof(struct noxs_page, devices) == 128, "devices");

_Static_assert(offsetof(struct noxs_dev, be.type) == 0, "type");
_Static_assert(offsetof(struct noxs_dev, be.devid) == 2, "devid");
_Static_assert(offsetof(struct noxs_dev, be.backend_domid) == 4, "be domid");
_Static_assert(offsetof(struct noxs_dev, be.evtchn) == 8, "evtchn");
_Static_assert(offsetof(struct noxs_dev, be.state) == 12, "be state");
_Static_assert(offsetof(struct noxs_dev, be.features) == 16, "be features");
_Static_assert(offsetof(struct noxs_dev, be.u) == 24, "be union");
_Static_assert(offsetof(struct noxs_dev, be.u.net.mac) == 24, "mac");
_Static_assert(offsetof(struct noxs_dev, be.u.net.mtu) == 30, "mtu");
_Static_assert(offsetof(struct noxs_dev, be.u.net.ipv4) == 32, "ipv4");
_Static_assert(offsetof(struct noxs_dev, be.u.net.ipv4_prefix) == 36,
               "ipv4_prefix");
_Static_assert(offsetof(struct noxs_dev, be.u.blk.sectors) == 24, "sectors");
_Static_assert(offsetof(struct noxs_dev, be.u.blk.sector_size) == 32,
               "sector_size");
_Static_assert(offsetof(struct noxs_dev, be.u.blk.max_ring_order) == 36,
               "max_ring_order");
_Static_assert(offsetof(struct noxs_dev, be.u.control.request) == 24,
               "request");
_Static_assert(offsetof(struct noxs_dev, be.u.control.request_seq) == 28,
               "request_seq");

_Static_assert(offsetof(struct noxs_dev, fe.state) == 64, "fe state");
_Static_assert(offsetof(struct noxs_dev, fe.features) == 68, "fe features");
_Static_assert(offsetof(struct noxs_dev, fe.u) == 72, "fe union");
_Static_assert(offsetof(struct noxs_dev, fe.u.net.tx_ring_ref) == 72, "tx");
_Static_assert(offsetof(struct noxs_dev, fe.u.net.rx_ring_ref) == 76, "rx");
_Static_assert(offsetof(struct noxs_dev, fe.u.blk.ring_order) == 72,
               "ring_order");
_Static_assert(offsetof(struct noxs_dev, fe.u.blk.ring_ref) == 76, "ring_ref");
_Static_assert(offsetof(struct noxs_dev, fe.u.control.ack) == 72, "ack");
_Static_assert(offsetof(struct noxs_dev, fe.u.control.ack_seq) == 76,
               "ack_seq");

#endif
