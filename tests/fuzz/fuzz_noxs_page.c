/*
 * fuzz_noxs_page.c - libFuzzer target for dom0's reader of the noxs
 * device page (noxs_page_read, noxs/noxs.c): the page is guest memory, so
 * every byte of it is hostile.  Built and run by `make fuzz-noxs` (see
 * noxs/local.mk); seeds in tests/fuzz/corpus/noxs.
 *
 * The input is the page (a shorter input overwrites the start of a valid
 * page, a longer one is cut); dom0's truth is a fixed guest with one
 * device of each type and a free slot, as in test_noxs.c.  Beyond "no
 * crash, no UB", a page that reads without error must give only values
 * the protocol allows, and reading must not depend on anything but the
 * page.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "noxs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "fuzz_noxs_page: %s (%s)\n", what, msg);
    abort();
}

/* test_noxs.c's sample guest (the seeds were written from it) with a
 * control request outstanding, and a free slot after its devices. */
static struct noxs_host host(void)
{
    struct noxs_host h = { .generation = 7, .nr_devices = 4 };
    h.devices[0] = (struct noxs_device){
        .type = NOXS_DEV_NET,
        .evtchn = 5,
        .state = NOXS_STATE_INITWAIT,
        .features = NOXS_NET_F_RX_COPY | NOXS_NET_F_SG,
        .u.net = { .mac = { 0x00, 0x16, 0x3e, 0x12, 0x34, 0x56 }, .mtu = 1500 },
    };
    h.devices[1] = (struct noxs_device){
        .type = NOXS_DEV_BLK,
        .devid = 51712,
        .evtchn = 6,
        .state = NOXS_STATE_INITWAIT,
        .features = NOXS_BLK_F_FLUSH,
        .u.blk = { .sectors = 2048, .sector_size = 512, .max_ring_order = 2 },
    };
    h.devices[2] = (struct noxs_device){
        .type = NOXS_DEV_CONTROL,
        .evtchn = 7,
        .state = NOXS_STATE_INITWAIT,
        .features = NOXS_CTRL_F_ALL,
        .u.control = { .request = NOXS_CTRL_SUSPEND, .request_seq = 5 },
    };
    /* devices[3]: a free slot (NOXS_DEV_NONE). */
    return h;
}

static void check_device(const struct noxs_device *d,
                         const struct noxs_fe_device *fe, const char *msg)
{
    if ((unsigned)fe->state > NOXS_STATE_MAX)
        die("state out of range", msg);
    if (fe->features & ~d->features)
        die("feature not offered", msg);
    if (d->type == NOXS_DEV_NONE && (fe->state || fe->features))
        die("a free slot was read", msg);
    if (d->type == NOXS_DEV_CONTROL) {
        if ((unsigned)fe->u.control.ack > NOXS_CTRL_ACK_MAX)
            die("answer out of range", msg);
        if (fe->u.control.answered &&
            (fe->u.control.ack_seq != d->u.control.request_seq ||
             fe->u.control.ack == NOXS_CTRL_ACK_NONE))
            die("answered without an answer", msg);
        return;
    }
    if (!fe->rings_ready)
        return;
    if (d->type == NOXS_DEV_NET) {
        if (fe->u.net.tx_ring_ref < NOXS_FIRST_GRANT_REF ||
            fe->u.net.rx_ring_ref < NOXS_FIRST_GRANT_REF ||
            fe->u.net.tx_ring_ref == fe->u.net.rx_ring_ref)
            die("bad net ring", msg);
        return;
    }
    unsigned n = fe->u.blk.ring_pages;
    if (n == 0 || n > (1u << d->u.blk.max_ring_order))
        die("blk ring pages out of range", msg);
    for (unsigned r = 0; r < n; r++)
        if (fe->u.blk.ring_ref[r] < NOXS_FIRST_GRANT_REF)
            die("reserved blk ring grant", msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static _Alignas(8) uint8_t page[NOXS_PAGE_SIZE];
    char err[NOXS_ERR_MAX];
    struct noxs_host h = host();
    if (noxs_page_build(page, &h, err, sizeof(err)) != 0)
        die("the fixed host does not build", err);
    memcpy(page, data, size < sizeof(page) ? size : sizeof(page));

    struct noxs_fe_page out, again;
    err[0] = '\0';
    int rc = noxs_page_read(page, &h, &out, err, sizeof(err));
    if (rc != 0 && rc != -EPROTO && rc != -EPROTONOSUPPORT)
        die("unexpected error code", err);
    if (rc != 0 && (err[0] == '\0' || strlen(err) >= sizeof(err)))
        die("error without a message", err);
    /* Same page, same answer (the reader keeps no state). */
    if (noxs_page_read(page, &h, &again, err, sizeof(err)) != rc ||
        memcmp(&out, &again, sizeof(out)) != 0)
        die("two reads of one page differ", err);
    if (rc != 0)
        return 0;
    if (out.nr_devices != h.nr_devices)
        die("device count not dom0's", "");
    if (out.version != 0 && out.version != NOXS_VERSION)
        die("foreign version accepted", "");
    for (unsigned i = 0; i < h.nr_devices; i++)
        check_device(&h.devices[i], &out.devices[i], "after a good read");
    return 0;
}
