/*
 * fuzz_netback_ring.c - libFuzzer target for the network back end's ring
 * logic (libchaos/backend/netback_ring.c): the tx and rx ring pages are
 * guest memory, so every byte of them is hostile.  Built and run by
 * `make fuzz-netback` (libchaos/backend/local.mk).
 *
 * Input: the tx ring page (4096 bytes), the rx ring page (4096), then the
 * frames waiting in the fake TAP device, each a 2-byte little-endian
 * length and its bytes.  A shorter input overwrites the start of empty,
 * initialised rings.  The guest's granted pages are 8 fake pages (refs 8
 * and beyond fail as bad grants).  After every grant copy the "guest"
 * rewrites the ring slots behind the back end's back (a racing front end):
 * requests already copied must not be read again.
 *
 * Beyond "no crash, no UB": the only errors are -EPROTO with a message;
 * every grant copy stays within a page; every frame sent to the TAP is at
 * least an Ethernet header and at most the largest frame.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/netback_ring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PAGES 8
#define MAX_FRAME 1518

static _Alignas(4096) uint8_t tx_page[NBR_PAGE_SIZE], rx_page[NBR_PAGE_SIZE];
static uint8_t guest[PAGES][NBR_PAGE_SIZE];
static const uint8_t *frames;
static size_t frames_left;
static unsigned races;

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

static int fake_tx_frame(void *arg, const void *frame, size_t len)
{
    if (len < 14 || len > MAX_FRAME)
        die("a frame of impossible length reached the TAP");
    volatile uint8_t sum = 0;
    for (size_t b = 0; b < len; b++) /* every byte must be readable */
        sum = (uint8_t)(sum + ((const uint8_t *)frame)[b]);
    return 0;
}

static ssize_t fake_rx_frame(void *arg, void *buf, size_t cap)
{
    if (frames_left < 2)
        return 0;
    size_t len = (size_t)frames[0] | (size_t)frames[1] << 8;
    frames += 2;
    frames_left -= 2;
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
    tx_page[4] = rx_page[4] = 1;   /* req_event */
    tx_page[12] = rx_page[12] = 1; /* rsp_event */
    size_t n = size < NBR_PAGE_SIZE ? size : NBR_PAGE_SIZE;
    memcpy(tx_page, data, n);
    data += n, size -= n;
    n = size < NBR_PAGE_SIZE ? size : NBR_PAGE_SIZE;
    memcpy(rx_page, data, n);
    frames = data + n;
    frames_left = size - n;
    races = 0;

    char err[256] = "";
    struct nbr *r;
    int rc =
        nbr_new(tx_page, rx_page, MAX_FRAME, &ops, NULL, &r, err, sizeof(err));
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
    if (st.tx_bytes > st.tx_packets * MAX_FRAME)
        die("more bytes than packets can hold");
    nbr_free(r);
    return 0;
}
