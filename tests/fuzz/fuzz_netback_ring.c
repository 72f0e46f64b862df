/*
 * fuzz_netback_ring.c - libFuzzer target for the network back end's ring
 * logic (libchaos/backend/netback_ring.c): the tx and rx ring pages are
 * guest memory, so every byte of them is hostile.  Built and run by
 * `make fuzz-netback` (libchaos/backend/local.mk).
 *
 * Input: a control byte, the tx ring page (4096 bytes), the rx ring page
 * (4096), then the frames waiting in the fake TAP device, each a 2-byte
 * little-endian length, the 10-byte virtio-net header the TAP gives with
 * it, and its bytes.  A shorter input overwrites the start of empty,
 * initialised rings.  The control byte's low 4 bits are the features the
 * guest took (NOXS_NET_F_*: CSUM and GSO_TCPV4 open the offload paths);
 * with bit 4 the harness "aims" the guest's data first, so that the fuzzer
 * gets past header parsing to the offloads: for every tx slot, it writes
 * at the slot's page and offset an Ethernet + IPv4 + TCP header (bit 5:
 * UDP) whose IP length makes the packet end where the slot's size says.
 * The guest's granted pages are 8 fake pages (refs 8 and beyond fail as
 * bad grants).  After every grant copy the "guest" rewrites the ring
 * slots behind the back end's back (a racing front end): requests already
 * copied must not be read again.
 *
 * Beyond "no crash, no UB": the only errors are -EPROTO with a message;
 * every grant copy stays within a page; every frame sent to the TAP is at
 * least an Ethernet header and at most the largest frame (64 KiB for a
 * GSO one); its virtio-net header asks only for offloads the guest took,
 * and only within the frame: a checksum field inside it, a GSO packet of
 * TCPv4 with a sane MSS, more than one segment long, its headers inside.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_net.h>

#include "backend/netback_ring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PAGES 8
#define MAX_FRAME 1518
#define MAX_GSO 65535
#define CTL_AIM 0x10
#define CTL_UDP 0x20

static _Alignas(4096) uint8_t tx_page[NBR_PAGE_SIZE], rx_page[NBR_PAGE_SIZE];
static uint8_t guest[PAGES][NBR_PAGE_SIZE];
static const uint8_t *frames;
static size_t frames_left;
static unsigned races;
static uint32_t features;

static void die(const char *what)
{
    fprintf(stderr, "fuzz_netback_ring: %s\n", what);
    abort();
}

/* The guest scribbles over its ring slots (offset 64 on), not the
 * indices: the back end must work from its copies. */
static void race(void)
{
    races++;
    for (size_t b = 64; b < NBR_PAGE_SIZE; b++) {
        tx_page[b] ^= (uint8_t)(races * 17 + b);
        rx_page[b] ^= (uint8_t)(races * 29 + b);
    }
}

static int fake_copy(void *arg, struct hv_gcopy *segs, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        struct hv_gcopy *s = &segs[i];
        if (s->len == 0 || s->offset + s->len > NBR_PAGE_SIZE)
            die("a grant copy crosses its page");
        if (s->ref >= PAGES) {
            s->status = -4;
            continue;
        }
        uint8_t *g = guest[s->ref] + s->offset;
        memcpy(s->to_guest ? g : s->local, s->to_guest ? s->local : g, s->len);
        s->status = 0;
    }
    race();
    return 0;
}

/* What the kernel would be asked to do must be possible and allowed. */
static void check_vh(const struct virtio_net_hdr *vh, size_t len)
{
    if (!(vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)) {
        static const struct virtio_net_hdr zero;
        if (memcmp(vh, &zero, sizeof(zero)) != 0)
            die("a header with offsets but no NEEDS_CSUM");
        return;
    }
    if (vh->flags != VIRTIO_NET_HDR_F_NEEDS_CSUM)
        die("unknown virtio-net flags");
    if (!(features & (NOXS_NET_F_CSUM | NOXS_NET_F_GSO_TCPV4)))
        die("checksum offload for a guest that took none");
    if (vh->csum_offset != 6 && vh->csum_offset != 16)
        die("a checksum field neither TCP's nor UDP's");
    if ((size_t)vh->csum_start + vh->csum_offset + 2 > len)
        die("a checksum field beyond the frame");
    if (vh->gso_type == VIRTIO_NET_HDR_GSO_NONE) {
        if (vh->gso_size || vh->hdr_len)
            die("GSO fields without GSO");
        return;
    }
    if (vh->gso_type != VIRTIO_NET_HDR_GSO_TCPV4 || vh->csum_offset != 16)
        die("GSO other than TCPv4");
    if (!(features & NOXS_NET_F_GSO_TCPV4))
        die("GSO for a guest that did not take it");
    if (vh->gso_size < NBR_GSO_MIN_MSS)
        die("GSO with an MSS below the floor");
    if (vh->hdr_len < vh->csum_start + 20 || vh->hdr_len > len ||
        len - vh->hdr_len <= vh->gso_size)
        die("GSO headers outside the frame, or a single segment");
}

static int fake_tx_frame(void *arg, const struct virtio_net_hdr *vh,
                         const void *frame, size_t len)
{
    if (len < 14 || len > (vh->gso_type ? MAX_GSO : MAX_FRAME))
        die("a frame of impossible length reached the TAP");
    check_vh(vh, len);
    volatile uint8_t sum = 0;
    for (size_t b = 0; b < len; b++) /* every byte must be readable */
        sum = (uint8_t)(sum + ((const uint8_t *)frame)[b]);
    return 0;
}

static ssize_t fake_rx_frame(void *arg, struct virtio_net_hdr *vh, void *buf,
                             size_t cap)
{
    if (frames_left < 2 + sizeof(*vh))
        return 0;
    size_t len = (size_t)frames[0] | (size_t)frames[1] << 8;
    memcpy(vh, frames + 2, sizeof(*vh));
    frames += 2 + sizeof(*vh);
    frames_left -= 2 + sizeof(*vh);
    if (len > frames_left)
        len = frames_left;
    if (len == 0)
        len = 1; /* a TAP read never returns an empty frame */
    size_t n = len < cap ? len : cap;
    memset(buf, 0x5a, n);
    memcpy(buf, frames, n < frames_left ? n : frames_left);
    frames += len <= frames_left ? len : frames_left;
    frames_left -= len <= frames_left ? len : frames_left;
    return (ssize_t)n;
}

static const struct nbr_ops ops = {
    .copy = fake_copy,
    .tx_frame = fake_tx_frame,
    .rx_frame = fake_rx_frame,
};

static void put_be16(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* For every tx slot (as the ring holds it now), a header at its page and
 * offset whose IP length ends the packet where the slot's size says (a
 * first slot's size is the packet's). */
static void aim(bool udp)
{
    for (size_t at = 64; at + 12 <= NBR_PAGE_SIZE; at += 12) {
        const uint8_t *q = tx_page + at;
        uint32_t gref;
        uint16_t offset, size;
        memcpy(&gref, q, 4);
        memcpy(&offset, q + 4, 2);
        memcpy(&size, q + 10, 2);
        if (gref >= PAGES || offset > NBR_PAGE_SIZE - 54 || size < 54)
            continue;
        uint8_t *f = guest[gref] + offset;
        memset(f, 0, 54);
        f[12] = 0x08; /* IPv4 */
        f[14] = 0x45; /* version 4, 20 bytes */
        put_be16(f + 16, size - 14u);
        f[20] = 0x40; /* DF */
        f[22] = 64;
        f[23] = udp ? 17 : 6;
        f[26] = f[30] = 10; /* 10.0.0.1 -> 10.0.0.2 */
        f[29] = 1, f[33] = 2;
        if (udp)
            put_be16(f + 38, size - 34u);
        else
            f[46] = 0x50; /* TCP data offset: 5 words */
    }
}

static void check_rc(int rc, const char *err)
{
    if (rc != 0 && rc != -EPROTO)
        die("an error other than -EPROTO");
    if (rc != 0 && err[0] == '\0')
        die("an error without a message");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Empty rings as a front end initialises them. */
    memset(tx_page, 0, sizeof(tx_page));
    memset(rx_page, 0, sizeof(rx_page));
    tx_page[4] = rx_page[4] = 1;     /* req_event */
    tx_page[12] = rx_page[12] = 1;   /* rsp_event */
    memset(guest, 0, sizeof(guest)); /* each input starts alike */
    uint8_t ctl = 0;
    if (size > 0) {
        ctl = data[0];
        data++, size--;
    }
    features = ctl & 0xfu;
    size_t n = size < NBR_PAGE_SIZE ? size : NBR_PAGE_SIZE;
    memcpy(tx_page, data, n);
    data += n, size -= n;
    n = size < NBR_PAGE_SIZE ? size : NBR_PAGE_SIZE;
    memcpy(rx_page, data, n);
    frames = data + n;
    frames_left = size - n;
    races = 0;
    if (ctl & CTL_AIM)
        aim(ctl & CTL_UDP);

    char err[256] = "";
    struct nbr *r;
    int rc = nbr_new(tx_page, rx_page, MAX_FRAME, features, &ops, NULL, &r, err,
                     sizeof(err));
    check_rc(rc, err);
    if (rc != 0)
        return 0;
    bool notify;
    err[0] = '\0';
    rc = nbr_tx(r, &notify, err, sizeof(err));
    check_rc(rc, err);
    err[0] = '\0';
    rc = nbr_rx(r, &notify, err, sizeof(err));
    check_rc(rc, err);
    (void)nbr_rx_posted(r);
    struct netback_stats st;
    nbr_stats(r, &st);
    if (st.tx_bytes > st.tx_packets * MAX_GSO)
        die("more bytes than packets can hold");
    nbr_free(r);
    return 0;
}
