/*
 * netwatch_msg.h - the pure part of tinyx-netwatch (netwatch.c), the
 * guest-side helper of tinyx --net images: XenStore's wire messages as
 * Linux's /dev/xen/xenbus speaks them (Xen's xen/io/xs_wire.h: a 16-byte
 * header, type, request id, transaction id, payload length, then the
 * payload), and the checks on what the store answers.  Unit-tested on
 * the build host (tests/unit/test_tinyx_netwatch.c).
 */
#ifndef TINYX_NETWATCH_MSG_H
#define TINYX_NETWATCH_MSG_H

#include <stddef.h>
#include <stdint.h>

/* xs_wire.h's message types used here, and its payload limit. */
enum {
    NW_XS_READ = 2,
    NW_XS_WATCH = 4,
    NW_XS_WATCH_EVENT = 15,
    NW_XS_ERROR = 16,
};
#define NW_HEADER 16u
#define NW_PAYLOAD_MAX 4096u

/* A request of type with the payload a NUL b NUL (b NULL: a NUL only)
 * into buf: its length, or 0 when it does not fit cap or the payload
 * limit. */
size_t nw_request(uint8_t *buf, size_t cap, uint32_t type, uint32_t req_id,
                  const char *a, const char *b);

/* A header's type and payload length: 0, or -1 when the length is over
 * the payload limit (the message is not trusted further). */
int nw_header(const uint8_t hdr[NW_HEADER], uint32_t *type, uint32_t *len);

/*
 * The IPv4 address a back end's ip key holds (libxl writes the vif's
 * ip= there; chaos writes A.B.C.D or A.B.C.D/LEN): its first word, if it
 * is one of those two forms (four decimal numbers up to 255, LEN 1..32),
 * copied into out NUL-terminated: 0; -1 otherwise (out then "").
 */
int nw_ip(const char *value, size_t len, char *out, size_t outlen);

/* A back end's path as the front end's `backend` key holds it (absolute,
 * printable, no spaces, shorter than outlen), NUL-terminated in out: 0,
 * or -1. */
int nw_path(const char *value, size_t len, char *out, size_t outlen);

/*
 * An address as nw_ip leaves it (A.B.C.D or A.B.C.D/LEN) as numbers: the
 * address in network byte order and its prefix length; without /LEN, the
 * prefix of the address's class, as Linux's ip= and tinyx's /init take
 * it (8 below 128., 16 below 192., else 24).  0, or -1 if it is not one.
 */
int nw_addr(const char *s, uint32_t *addr_be, unsigned *prefix);

/* The netmask of a prefix length (0..32), in network byte order. */
uint32_t nw_mask(unsigned prefix);

/* ARP's payload for Ethernet and IPv4 (RFC 826): 28 bytes. */
#define NW_ARP_LEN 28u

/* A gratuitous ARP request announcing that addr_be is at mac (RFC 5227's
 * announcement, what `arping -U` sends: sender and target address both
 * addr_be, target hardware address zero), into out; sent to the
 * broadcast address, it moves the neighbours' and the bridge's idea of
 * where the address is. */
void nw_arp_announce(uint8_t out[NW_ARP_LEN], const uint8_t mac[6],
                     uint32_t addr_be);

#endif /* TINYX_NETWATCH_MSG_H */
