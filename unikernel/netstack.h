/*
 * netstack.h - a tiny IPv4 stack for the unikernel's network demos:
 * Ethernet II, ARP, IPv4 without fragments, ICMP echo, UDP, and the
 * server side of TCP (enough for an HTTP/1.0 responder).
 *
 * Pure, freestanding code: no Xen, no allocation, no libc beyond klib.h.
 * All state lives in the caller's struct netstack, so the same files build
 * into the unikernel and into the host tests (test_unikernel_netstack.c)
 * and the fuzz target (fuzz_unikernel_netstack.c).
 *
 * Driving it: hand every received Ethernet frame to netstack_input();
 * call netstack_tick() with the current time (ms, any monotonic origin)
 * regularly and at least by netstack_next_timer(); frames go out through
 * the output callback.  Input frames are hostile: every length and offset
 * is checked, nothing is read past len.  Frames are handled at once; the
 * time used is the one of the last tick.
 *
 * Callbacks (output, output_tx, UDP receive, TCP events) run inside
 * netstack_input() or netstack_tick() (or, for output, the calls that
 * send).  UDP and TCP callbacks may call netstack_udp_send(),
 * netstack_tcp_send() and netstack_tcp_close(); the output callbacks must
 * not call back into the stack.
 */
#ifndef CHAOS_UK_NETSTACK_H
#define CHAOS_UK_NETSTACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETSTACK_MTU 1500
#define NETSTACK_FRAME_MAX (NETSTACK_MTU + 14)
#define NETSTACK_UDP_MAX (NETSTACK_MTU - 20 - 8)

#define NETSTACK_ARP_ENTRIES 4
#define NETSTACK_UDP_BINDS 4
#define NETSTACK_TCP_LISTENERS 2
#define NETSTACK_TCP_CONNS 4
/*
 * Unacknowledged plus unsent data per connection (a power of 2: it is a
 * ring).  A response larger than this is sent in pieces: netstack_tcp_send
 * returns how much it took, NETSTACK_TCP_WRITABLE says when to go on.
 * What is in flight is bounded by this and by the peer's window (at most
 * 64 KiB: no window scaling), so throughput is at most SNDBUF per round
 * trip.  32 KiB is about 22 full segments: a peer that acknowledges every
 * other segment keeps us sending.  A burst beyond the device's transmit
 * ring waits for the next ACK, not for a timeout (netstack_output_fn).
 *
 * With TSO (NETSTACK_OFFLOAD_TSO) a connection buffers up to
 * NETSTACK_TCP_SNDBUF_TSO, the most the peer's window can take: a
 * segment costs the stack one frame of up to 64 KiB, not one per MSS, so
 * the buffer, not the per-segment work, bounds what is in flight.  The
 * ring is always that large (256 KiB over the NETSTACK_TCP_CONNS); without
 * TSO only NETSTACK_TCP_SNDBUF of it is used, as before offloads existed.
 */
#define NETSTACK_TCP_SNDBUF 32768
#define NETSTACK_TCP_SNDBUF_TSO 65536

/* Timers, in ms. */
#define NETSTACK_ARP_RETRY_MS 1000
#define NETSTACK_ARP_TRIES 3
#define NETSTACK_ARP_TTL_MS 60000
#define NETSTACK_TCP_RTO_MS 500
#define NETSTACK_TCP_RTO_MAX_MS 8000
#define NETSTACK_TCP_RETRIES 6
#define NETSTACK_TCP_TIME_WAIT_MS 1000
/* A connection that hears nothing from its peer this long is reset: with a
 * handful of slots, a silent peer must not hold one forever. */
#define NETSTACK_TCP_IDLE_MS 30000

struct netstack;
struct netstack_tcp;

/* Sends one Ethernet frame (valid during the call).  0, or -1 if dropped
 * (e.g. a full transmit ring).  TCP keeps a dropped data segment or FIN
 * unsent and tries again on the next ACK or at its retransmission timer;
 * any other dropped frame is lost. */
typedef int netstack_output_fn(void *arg, const void *frame, size_t len);

/*
 * Offloads a device may offer (netstack_config.offload).
 *
 * CSUM: the device completes TCP checksums.  Then every TCP segment that
 * carries data goes to output_tx instead of output, its checksum field
 * holding the folded sum of the pseudo-header, not complemented (Linux's
 * CHECKSUM_PARTIAL convention; Xen's netif NETTXF_csum_blank), and its
 * data given as pieces of the connection's send buffer, not copied: the
 * device's own copy is the only one.
 *
 * TSO (with CSUM): the device cuts a TCPv4 segment longer than gso_size
 * bytes of data into segments of gso_size (Xen's GSO_TCPV4): we send a
 * "super-segment" of up to tso_max bytes of frame whose IP total length
 * covers all of it (a correct IP header checksum, DF), the pseudo-header
 * sum over its whole TCP length, FIN and PSH meant for its last segment.
 *
 * ARP, ICMP, UDP and TCP segments without data never use them.
 */
#define NETSTACK_OFFLOAD_CSUM 1u
#define NETSTACK_OFFLOAD_TSO 2u
/* The longest TSO frame (Ethernet header included): netif's packet size
 * is 16 bits. */
#define NETSTACK_TSO_FRAME_MAX 65535
/* Pieces of a frame for output_tx: headers, the send buffer's data (two
 * pieces when it wraps around), padding to Ethernet's minimum. */
#define NETSTACK_TX_PARTS 4

struct netstack_iov {
    const void *base;
    size_t len;
};

/* A frame for output_tx: its pieces in order, valid during the call. */
struct netstack_tx {
    struct netstack_iov part[NETSTACK_TX_PARTS];
    unsigned parts;
    size_t len;        /* the whole frame: the sum of the parts' lengths */
    uint16_t gso_size; /* 0, or TSO: the data of each segment (the MSS) */
};

/* Sends a TCP segment with its checksum (and, with gso_size, its
 * segmentation) left to the device; like netstack_output_fn otherwise. */
typedef int netstack_output_tx_fn(void *arg, const struct netstack_tx *tx);

/* A datagram for a bound port; data is valid during the call. */
typedef void netstack_udp_fn(void *arg, struct netstack *ns, uint32_t src_ip,
                             uint16_t src_port, uint16_t dst_port,
                             const void *data, size_t len);

enum netstack_tcp_event {
    NETSTACK_TCP_OPEN,        /* handshake done */
    NETSTACK_TCP_DATA,        /* in-order bytes from the peer */
    NETSTACK_TCP_WRITABLE,    /* an ACK freed room in the send buffer */
    NETSTACK_TCP_PEER_CLOSED, /* the peer sent FIN: no more data */
    NETSTACK_TCP_GONE,        /* closed, reset or timed out: forget it */
};

/* data/len only for NETSTACK_TCP_DATA.  WRITABLE comes only while
 * netstack_tcp_send can take more (not after netstack_tcp_close), before
 * any DATA of the same segment.  After GONE the handle is dead. */
typedef void netstack_tcp_fn(void *arg, struct netstack *ns,
                             struct netstack_tcp *conn,
                             enum netstack_tcp_event event, const void *data,
                             size_t len);

struct netstack_config {
    uint8_t mac[6];
    uint32_t ip;       /* host order, e.g. 0x0a000002 for 10.0.0.2 */
    unsigned prefix;   /* 0..32 */
    uint32_t gateway;  /* 0: none (only the local subnet is reachable) */
    uint64_t iss_seed; /* anything unpredictable (TCP initial sequences) */
    netstack_output_fn *output;
    void *output_arg;
    /* What the device offers (NETSTACK_OFFLOAD_*; 0: nothing, the other
     * fields unused).  output_tx (same arg as output) is required then;
     * tso_max, the longest frame it takes with TSO, is cut to
     * NETSTACK_TSO_FRAME_MAX. */
    unsigned offload;
    size_t tso_max;
    netstack_output_tx_fn *output_tx;
};

/* ---- internal state: the caller allocates it, only netstack_*.c touch
 * it. */
struct netstack_arp {
    uint8_t state; /* 0 free, 1 resolving, 2 resolved */
    uint8_t tries;
    uint8_t mac[6];
    uint32_t ip;
    uint64_t deadline;  /* resolving: next request; resolved: expiry */
    size_t pending_len; /* one frame waiting for the answer (0: none) */
    uint8_t pending[NETSTACK_FRAME_MAX];
};

struct netstack_udp_bind {
    uint16_t port; /* 0: free */
    netstack_udp_fn *fn;
    void *arg;
};

struct netstack_tcp_listener {
    uint16_t port; /* 0: free */
    netstack_tcp_fn *fn;
    void *arg;
};

struct netstack_tcp {
    uint8_t state; /* enum in net_tcp.c; 0: free */
    bool fin_queued, fin_sent;
    bool ack_now; /* owe the peer an ACK: cleared by any segment sent */
    uint8_t retries;
    uint8_t peer_mac[6];
    uint32_t peer_ip;
    uint16_t peer_port, local_port;
    uint16_t mss;
    uint32_t iss, snd_una, snd_nxt, snd_wnd;
    uint32_t rcv_nxt;
    uint64_t rto_deadline; /* 0: off */
    uint32_t rto_ms;
    uint64_t deadline; /* TIME_WAIT end or idle limit */
    const struct netstack_tcp_listener *listener;
    size_t head;     /* sndbuf index of the byte at snd_una */
    size_t buffered; /* bytes in sndbuf, from head (wrapping around) */
    size_t sent;     /* of which sent (snd_nxt - snd_una, less SYN/FIN) */
    uint8_t sndbuf[NETSTACK_TCP_SNDBUF_TSO];
};

struct netstack {
    struct netstack_config cfg;
    uint32_t mask;
    uint64_t now;
    uint64_t iss_state;
    uint16_t ip_id;
    size_t sndbuf_max; /* a connection's buffer: SNDBUF, or SNDBUF_TSO */
    size_t tso_data;   /* TSO: the most data in one segment, else 0 */
    bool in_tcp_input; /* callbacks' TCP output waits for the segment's end */
    struct netstack_arp arp[NETSTACK_ARP_ENTRIES];
    struct netstack_udp_bind udp[NETSTACK_UDP_BINDS];
    struct netstack_tcp_listener listen[NETSTACK_TCP_LISTENERS];
    struct netstack_tcp tcp[NETSTACK_TCP_CONNS];
    uint8_t tx[NETSTACK_FRAME_MAX];
};

/* ---- the interface */

/* Resets *ns.  now_ms: the current time.  -1 if cfg is unusable (prefix >
 * 32, no output, IP 0, unknown offloads, TSO without CSUM, offloads
 * without output_tx, TSO with a tso_max below one full segment). */
int netstack_init(struct netstack *ns, const struct netstack_config *cfg,
                  uint64_t now_ms);

/*
 * The interface took another MAC or address (a guest restored into a new
 * domain, docs/noxs.md): mac, ip and prefix replace the configured ones
 * (the gateway stays), the ARP cache is emptied, every TCP connection of
 * an address that changed ends (GONE, nothing sent), and the new address
 * is announced (netstack_announce).  -1 (nothing changed) if ip is 0 or
 * prefix above 32.
 */
int netstack_readdress(struct netstack *ns, const uint8_t mac[6], uint32_t ip,
                       unsigned prefix);

/* A gratuitous ARP (RFC 5227's announcement: a broadcast request for our
 * own address, from it): the bridge learns our port, neighbours that knew
 * the address learn our MAC. */
void netstack_announce(struct netstack *ns);

/* One received Ethernet frame (FCS already stripped). */
void netstack_input(struct netstack *ns, const void *frame, size_t len);

/* Runs due timers (retransmissions, ARP retries, TIME_WAIT). */
void netstack_tick(struct netstack *ns, uint64_t now_ms);

/* When the next timer is due (ms), or UINT64_MAX if none is armed. */
uint64_t netstack_next_timer(const struct netstack *ns);

/* Binds a UDP port.  0, or -1 (port 0, taken, no free slot). */
int netstack_udp_bind(struct netstack *ns, uint16_t port, netstack_udp_fn *fn,
                      void *arg);

/* Sends a datagram (len <= NETSTACK_UDP_MAX).  0 when sent or queued for
 * ARP; -1 when it cannot be (too long, unreachable, ARP busy). */
int netstack_udp_send(struct netstack *ns, uint16_t src_port, uint32_t dst_ip,
                      uint16_t dst_port, const void *data, size_t len);

/* Accepts connections on a port.  0, or -1. */
int netstack_tcp_listen(struct netstack *ns, uint16_t port, netstack_tcp_fn *fn,
                        void *arg);

/* Queues data; returns how many bytes were taken (0 when the buffer is
 * full or the connection cannot send any more).  Once the buffer is full,
 * NETSTACK_TCP_WRITABLE follows when the peer acknowledges some of it. */
size_t netstack_tcp_send(struct netstack *ns, struct netstack_tcp *conn,
                         const void *data, size_t len);

/* Sends FIN once the queued data is out; GONE follows when the exchange
 * ends. */
void netstack_tcp_close(struct netstack *ns, struct netstack_tcp *conn);

/* 0..NETSTACK_TCP_CONNS-1: lets an application keep per-connection state
 * in an array. */
unsigned netstack_tcp_index(const struct netstack *ns,
                            const struct netstack_tcp *conn);

/* Dotted quad "a.b.c.d" (prefix NULL) or "a.b.c.d/len" (prefix non-NULL:
 * the "/len" is then required, 0..32), strictly: decimal 0..255, no
 * blanks, nothing after.  The text is text[0..len). */
bool netstack_parse_ipv4(const char *text, size_t len, uint32_t *ip,
                         unsigned *prefix);

#endif
