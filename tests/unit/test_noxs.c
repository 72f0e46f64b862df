/*
 * test_noxs.c - the noxs page codec (noxs/noxs.c): dom0's checks of its
 * own device list, the page it builds (byte by byte, as docs/noxs.md lays
 * it out), publishing into a live page, and reading what a front end
 * wrote, hostile writes included.
 *
 * With CHAOS_NOXS_CORPUS=DIR in the environment it also writes the valid
 * pages it builds into DIR: the fuzz target's seeds (tests/fuzz/corpus/noxs).
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "noxs.h"

static char err[NOXS_ERR_MAX];
static _Alignas(8) uint8_t page[NOXS_PAGE_SIZE];

/* A guest with one of each device, as a toolstack would describe it. */
static struct noxs_host sample(void)
{
    struct noxs_host h = { .generation = 7, .nr_devices = 3 };
    h.devices[0] = (struct noxs_device){
        .type = NOXS_DEV_NET,
        .devid = 0,
        .evtchn = 5,
        .state = NOXS_STATE_INITWAIT,
        .features = NOXS_NET_F_RX_COPY | NOXS_NET_F_SG,
        .u.net = { .mac = { 0x00, 0x16, 0x3e, 0x12, 0x34, 0x56 },
                   .mtu = 1500,
                   .ipv4 = { 10, 0, 0, 3 },
                   .ipv4_prefix = 24 },
    };
    h.devices[1] = (struct noxs_device){
        .type = NOXS_DEV_BLK,
        .devid = 51712, /* xvda */
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
    };
    return h;
}

static struct noxs_page *P(void)
{
    return (struct noxs_page *)page;
}

static void build_ok(const struct noxs_host *h)
{
    memset(page, 0xa5, sizeof(page)); /* build must overwrite it all */
    int rc = noxs_page_build(page, h, err, sizeof(err));
    ck_assert_msg(rc == 0, "build failed: %s", err);
}

static void read_ok(const struct noxs_host *h, struct noxs_fe_page *out)
{
    int rc = noxs_page_read(page, h, out, err, sizeof(err));
    ck_assert_msg(rc == 0, "read failed: %s", err);
}

/* Reads a page that must be refused with rc; returns the message. */
static const char *read_err(const struct noxs_host *h, int rc_want)
{
    struct noxs_fe_page out;
    int rc = noxs_page_read(page, h, &out, err, sizeof(err));
    ck_assert_int_eq(rc, rc_want);
    ck_assert_uint_eq(out.nr_devices, 0); /* zeroed on error */
    return err;
}

static const char *check_err(const struct noxs_host *h)
{
    ck_assert_int_eq(noxs_host_check(h, err, sizeof(err)), -EINVAL);
    return err;
}

static uint32_t le32(unsigned off)
{
    return (uint32_t)page[off] | (uint32_t)page[off + 1] << 8 |
           (uint32_t)page[off + 2] << 16 | (uint32_t)page[off + 3] << 24;
}

static uint16_t le16(unsigned off)
{
    return (uint16_t)(page[off] | page[off + 1] << 8);
}

/* A front end connecting the net and blk devices (docs/noxs.md). */
static void front_end_connects(void)
{
    struct noxs_page *p = P();
    p->fe.version = NOXS_VERSION;
    p->fe.generation = p->be.generation;
    p->devices[0].fe.features = NOXS_NET_F_RX_COPY;
    p->devices[0].fe.u.net.tx_ring_ref = 8;
    p->devices[0].fe.u.net.rx_ring_ref = 9;
    p->devices[0].fe.state = NOXS_STATE_INITIALISED;
    p->devices[1].fe.u.blk.ring_order = 1;
    p->devices[1].fe.u.blk.ring_ref[0] = 10;
    p->devices[1].fe.u.blk.ring_ref[1] = 11;
    p->devices[1].fe.state = NOXS_STATE_INITIALISED;
    p->devices[2].fe.features = NOXS_CTRL_F(NOXS_CTRL_POWEROFF);
    p->devices[2].fe.state = NOXS_STATE_CONNECTED;
}

START_TEST(test_layout_bytes)
{
    struct noxs_host h = sample();
    build_ok(&h);
    /* The offsets of docs/noxs.md's tables, read as raw bytes. */
    ck_assert_uint_eq(memcmp(page, "NOXS", 4), 0);
    ck_assert_uint_eq(le16(4), NOXS_VERSION);
    ck_assert_uint_eq(le16(6), 3);
    ck_assert_uint_eq(le32(8), 7);
    ck_assert_uint_eq(le32(64), 0); /* fe version: not spoken yet */
    unsigned net = 128, blk = 256, ctl = 384;
    ck_assert_uint_eq(page[net + 0], NOXS_DEV_NET);
    ck_assert_uint_eq(le32(net + 8), 5);
    ck_assert_uint_eq(le32(net + 12), NOXS_STATE_INITWAIT);
    ck_assert_uint_eq(le32(net + 16), NOXS_NET_F_RX_COPY | NOXS_NET_F_SG);
    ck_assert_uint_eq(page[net + 24], 0x00);
    ck_assert_uint_eq(page[net + 29], 0x56);
    ck_assert_uint_eq(le16(net + 30), 1500);
    ck_assert_uint_eq(memcmp(page + net + 32, "\x0a\x00\x00\x03", 4), 0);
    ck_assert_uint_eq(page[net + 36], 24);
    ck_assert_uint_eq(page[net + 37], 0);
    ck_assert_uint_eq(le32(net + 64), NOXS_STATE_INITIALISING);
    ck_assert_uint_eq(page[blk + 0], NOXS_DEV_BLK);
    ck_assert_uint_eq(le16(blk + 2), 51712);
    ck_assert_uint_eq(le32(blk + 24), 2048);
    ck_assert_uint_eq(le32(blk + 28), 0);
    ck_assert_uint_eq(le32(blk + 32), 512);
    ck_assert_uint_eq(page[blk + 36], 2);
    ck_assert_uint_eq(page[ctl + 0], NOXS_DEV_CONTROL);
    ck_assert_uint_eq(le32(ctl + 16), NOXS_CTRL_F_ALL);
    /* Everything else is 0: padding, unused entries. */
    for (unsigned off = 512; off < NOXS_PAGE_SIZE; off++)
        ck_assert_uint_eq(page[off], 0);
    for (unsigned off = 12; off < 64; off++)
        ck_assert_uint_eq(page[off], 0);
}
END_TEST

START_TEST(test_fresh_page_reads_back)
{
    struct noxs_host h = sample();
    build_ok(&h);
    struct noxs_fe_page out;
    read_ok(&h, &out);
    ck_assert_uint_eq(out.version, 0);
    ck_assert_uint_eq(out.nr_devices, 3);
    for (unsigned i = 0; i < 3; i++) {
        ck_assert_int_eq(out.devices[i].state, NOXS_STATE_INITIALISING);
        ck_assert(!out.devices[i].rings_ready);
    }
    ck_assert(!out.devices[2].u.control.answered);
}
END_TEST

START_TEST(test_front_end_connects)
{
    struct noxs_host h = sample();
    build_ok(&h);
    front_end_connects();
    struct noxs_fe_page out;
    read_ok(&h, &out);
    ck_assert_uint_eq(out.version, NOXS_VERSION);
    ck_assert_uint_eq(out.generation, 7);
    ck_assert(out.devices[0].rings_ready);
    ck_assert_uint_eq(out.devices[0].u.net.tx_ring_ref, 8);
    ck_assert_uint_eq(out.devices[0].u.net.rx_ring_ref, 9);
    ck_assert(out.devices[1].rings_ready);
    ck_assert_uint_eq(out.devices[1].u.blk.ring_pages, 2);
    ck_assert_uint_eq(out.devices[1].u.blk.ring_ref[1], 11);
    ck_assert_int_eq(out.devices[2].state, NOXS_STATE_CONNECTED);
    ck_assert_uint_eq(out.devices[2].features, NOXS_CTRL_F(NOXS_CTRL_POWEROFF));
}
END_TEST

START_TEST(test_rings_ignored_until_published)
{
    struct noxs_host h = sample();
    build_ok(&h);
    /* Half-written rings while still INITIALISING are not an error. */
    P()->devices[0].fe.u.net.tx_ring_ref = 1;
    P()->devices[1].fe.u.blk.ring_order = 200;
    struct noxs_fe_page out;
    read_ok(&h, &out);
    ck_assert(!out.devices[0].rings_ready);
    ck_assert_uint_eq(out.devices[0].u.net.tx_ring_ref, 0);
}
END_TEST

START_TEST(test_control_request_and_answer)
{
    struct noxs_host h = sample();
    build_ok(&h);
    front_end_connects();
    h.devices[2].u.control.request = NOXS_CTRL_POWEROFF;
    h.devices[2].u.control.request_seq = 1;
    ck_assert_int_eq(noxs_page_publish(page, &h, 2, err, sizeof(err)), 0);
    ck_assert_uint_eq(P()->devices[2].be.u.control.request, NOXS_CTRL_POWEROFF);
    ck_assert_uint_eq(P()->devices[2].be.u.control.request_seq, 1);
    struct noxs_fe_page out;
    read_ok(&h, &out);
    ck_assert(!out.devices[2].u.control.answered);
    /* The guest answers: ack, then ack_seq. */
    P()->devices[2].fe.u.control.ack = NOXS_CTRL_ACK_DONE;
    P()->devices[2].fe.u.control.ack_seq = 1;
    read_ok(&h, &out);
    ck_assert(out.devices[2].u.control.answered);
    ck_assert_int_eq(out.devices[2].u.control.ack, NOXS_CTRL_ACK_DONE);
    /* ack_seq without an answer is a protocol error. */
    P()->devices[2].fe.u.control.ack = NOXS_CTRL_ACK_NONE;
    ck_assert_str_eq(read_err(&h, -EPROTO),
                     "device 2 (control 0): request 1 answered without an "
                     "answer");
    P()->devices[2].fe.u.control.ack = 3;
    ck_assert_str_eq(read_err(&h, -EPROTO),
                     "device 2 (control 0): answer 3 does not exist");
}
END_TEST

START_TEST(test_publish_repairs_be_and_keeps_fe)
{
    struct noxs_host h = sample();
    build_ok(&h);
    front_end_connects();
    /* The guest scribbles on dom0's half; publish restores it. */
    P()->devices[0].be.u.net.mac[0] = 0xff;
    P()->devices[0].be.evtchn = 99;
    h.devices[0].state = NOXS_STATE_CONNECTED;
    h.generation = 8;
    ck_assert_int_eq(noxs_page_publish(page, &h, 0, err, sizeof(err)), 0);
    ck_assert_uint_eq(P()->devices[0].be.u.net.mac[0], 0x00);
    ck_assert_uint_eq(P()->devices[0].be.evtchn, 5);
    ck_assert_uint_eq(P()->devices[0].be.state, NOXS_STATE_CONNECTED);
    ck_assert_uint_eq(P()->be.generation, 8);
    ck_assert_uint_eq(P()->devices[0].fe.u.net.tx_ring_ref, 8);
    ck_assert_uint_eq(P()->devices[0].fe.state, NOXS_STATE_INITIALISED);
    ck_assert_int_eq(noxs_page_publish(page, &h, 3, err, sizeof(err)), -EINVAL);
    ck_assert_str_eq(err, "device 3: the page has 3");
}
END_TEST

START_TEST(test_hostile_front_end)
{
    struct noxs_host h = sample();
    build_ok(&h);
    front_end_connects();
    P()->devices[0].fe.state = 7;
    ck_assert_str_eq(read_err(&h, -EPROTO),
                     "device 0 (net 0): front-end state 7 does not exist");
    front_end_connects();
    P()->devices[0].fe.features = NOXS_NET_F_RX_COPY | NOXS_NET_F_CSUM;
    ck_assert_str_eq(read_err(&h, -EPROTO),
                     "device 0 (net 0): front end took features 0x5, "
                     "offered 0x3");
    front_end_connects();
    P()->devices[0].fe.features = NOXS_NET_F_SG;
    ck_assert_str_eq(read_err(&h, -EPROTO),
                     "device 0 (net 0): front end did not take RX_COPY");
    front_end_connects();
    P()->devices[0].fe.u.net.rx_ring_ref = 1;
    ck_assert_str_eq(read_err(&h, -EPROTO),
                     "device 0 (net 0): ring grant reference 1 is reserved "
                     "(below 8)");
    front_end_connects();
    P()->devices[0].fe.u.net.rx_ring_ref = 8;
    ck_assert_str_eq(read_err(&h, -EPROTO),
                     "device 0 (net 0): tx and rx rings share grant 8");
    front_end_connects();
    P()->devices[1].fe.u.blk.ring_order = 3;
    ck_assert_str_eq(read_err(&h, -EPROTO),
                     "device 1 (blk 51712): ring order 3 exceeds the "
                     "offered 2");
    front_end_connects();
    P()->devices[1].fe.u.blk.ring_ref[1] = 10;
    ck_assert_str_eq(read_err(&h, -EPROTO),
                     "device 1 (blk 51712): ring pages 0 and 1 share "
                     "grant 10");
    front_end_connects();
    P()->devices[1].fe.u.blk.ring_ref[0] = 0;
    ck_assert_str_eq(read_err(&h, -EPROTO),
                     "device 1 (blk 51712): ring grant reference 0 is "
                     "reserved (below 8)");
    front_end_connects();
    P()->devices[2].fe.features = 1u << 9;
    ck_assert_str_eq(read_err(&h, -EPROTO),
                     "device 2 (control 0): front end took features 0x200, "
                     "offered 0xe");
}
END_TEST

START_TEST(test_header_and_version)
{
    struct noxs_host h = sample();
    build_ok(&h);
    P()->be.magic = 0;
    ck_assert_str_eq(read_err(&h, -EPROTO),
                     "the guest overwrote the page header (magic 0x00000000, "
                     "version 1)");
    build_ok(&h);
    P()->fe.version = 2;
    ck_assert_str_eq(read_err(&h, -EPROTONOSUPPORT),
                     "the guest speaks noxs version 2, the page is version 1");
    /* dom0's header fields the guest rewrites are not believed. */
    build_ok(&h);
    P()->be.nr_devices = 0xffff;
    P()->be.generation = 0;
    struct noxs_fe_page out;
    read_ok(&h, &out);
    ck_assert_uint_eq(out.nr_devices, 3);
    /* Entries beyond dom0's count are never read. */
    P()->devices[3].fe.state = 99;
    read_ok(&h, &out);
}
END_TEST

START_TEST(test_host_check)
{
    struct noxs_host h = sample();
    ck_assert_int_eq(noxs_host_check(&h, err, sizeof(err)), 0);
    h.devices[0].u.net.mac[0] = 0x01;
    ck_assert_str_eq(check_err(&h), "device 0 (net 0): MAC "
                                    "01:16:3e:12:34:56 is a multicast "
                                    "address");
    h = sample();
    memset(h.devices[0].u.net.mac, 0, 6);
    ck_assert_str_eq(check_err(&h), "device 0 (net 0): MAC is 0");
    h = sample();
    h.devices[0].u.net.ipv4_prefix = 33;
    ck_assert_str_eq(check_err(&h),
                     "device 0 (net 0): prefix length 33 exceeds 32");
    h = sample();
    memset(h.devices[0].u.net.ipv4, 0, 4);
    ck_assert_str_eq(check_err(&h),
                     "device 0 (net 0): prefix length 24 without an address");
    h.devices[0].u.net.ipv4_prefix = 0; /* no address at all: fine */
    ck_assert_int_eq(noxs_host_check(&h, err, sizeof(err)), 0);
    h = sample();
    h.devices[0].u.net.ipv4[0] = 224;
    ck_assert_str_eq(check_err(&h),
                     "device 0 (net 0): 224.0.0.3 is not a unicast address");
    h.devices[0].u.net.ipv4[0] = 127;
    ck_assert_str_eq(check_err(&h),
                     "device 0 (net 0): 127.0.0.3 is not a unicast address");
    h = sample();
    h.devices[0].u.net.mtu = 60;
    ck_assert_str_eq(check_err(&h), "device 0 (net 0): MTU 60 is below 68");
    h = sample();
    h.devices[0].features = NOXS_NET_F_SG;
    ck_assert_str_eq(check_err(&h),
                     "device 0 (net 0): RX_COPY must be offered");
    h = sample();
    h.devices[0].features |= 1u << 8;
    ck_assert_str_eq(check_err(&h),
                     "device 0 (net 0): unknown feature bits 0x100");
    h = sample();
    h.devices[1].u.blk.sector_size = 1000;
    ck_assert_str_eq(check_err(&h), "device 1 (blk 51712): sector size 1000 "
                                    "is not a power of 2 from 512 to 4096");
    h = sample();
    h.devices[1].u.blk.sectors = 0;
    ck_assert_str_eq(check_err(&h),
                     "device 1 (blk 51712): 0 sectors is not a disk size");
    h = sample();
    h.devices[1].u.blk.max_ring_order = 3;
    ck_assert_str_eq(check_err(&h),
                     "device 1 (blk 51712): ring order 3 exceeds 2");
    h = sample();
    h.devices[1].devid = 0;
    h.devices[1].type = NOXS_DEV_NET;
    h.devices[1].features = NOXS_NET_F_RX_COPY;
    ck_assert_str_eq(check_err(&h), "devices 0 and 1 are both net 0");
    h = sample();
    h.devices[3] = h.devices[2];
    h.devices[3].devid = 1;
    h.nr_devices = 4;
    ck_assert_str_eq(check_err(&h), "devices 2 and 3 are both control 1");
    h = sample();
    h.devices[2].features = NOXS_CTRL_F(NOXS_CTRL_POWEROFF);
    h.devices[2].u.control.request = NOXS_CTRL_SUSPEND;
    ck_assert_str_eq(check_err(&h),
                     "device 2 (control 0): request 3 is not offered");
    h = sample();
    h.devices[2].u.control.request = 4;
    ck_assert_str_eq(check_err(&h),
                     "device 2 (control 0): request 4 does not exist");
    h = sample();
    h.devices[2].evtchn = 0;
    ck_assert_str_eq(check_err(&h), "device 2 (control 0): no event channel");
    h = sample();
    h.devices[2].state = 7;
    ck_assert_str_eq(check_err(&h),
                     "device 2 (control 0): state 7 does not exist");
    h = sample();
    h.devices[2].backend_domid = 0x7ff0;
    ck_assert_str_eq(check_err(&h), "device 2 (control 0): back-end domain "
                                    "32752 is not a domain");
    h = sample();
    h.devices[2].type = 4;
    ck_assert_str_eq(check_err(&h), "device 2: type 4 does not exist");
    h = sample();
    h.nr_devices = NOXS_MAX_DEVICES + 1;
    ck_assert_str_eq(check_err(&h), "32 devices: a page holds 31");
    /* Build refuses what check refuses, and leaves the page alone. */
    memset(page, 0x5a, sizeof(page));
    ck_assert_int_eq(noxs_page_build(page, &h, err, sizeof(err)), -EINVAL);
    ck_assert_uint_eq(page[0], 0x5a);
}
END_TEST

START_TEST(test_free_slots_and_full_table)
{
    struct noxs_host h = { .generation = 1, .nr_devices = NOXS_MAX_DEVICES };
    for (unsigned i = 0; i < NOXS_MAX_DEVICES; i++) {
        if (i % 2)
            continue; /* odd slots free (NOXS_DEV_NONE) */
        h.devices[i] = (struct noxs_device){
            .type = NOXS_DEV_BLK,
            .devid = (uint16_t)(51712 + 16 * i),
            .evtchn = 10 + i,
            .state = NOXS_STATE_INITIALISING,
            .u.blk = { .sectors = 1, .sector_size = 4096 },
        };
    }
    build_ok(&h);
    ck_assert_uint_eq(P()->devices[1].be.type, NOXS_DEV_NONE);
    ck_assert_uint_eq(P()->devices[1].fe.state, 0);
    ck_assert_uint_eq(P()->devices[30].be.type, NOXS_DEV_BLK);
    P()->devices[1].fe.state = 1000; /* a free slot is never read */
    struct noxs_fe_page out;
    read_ok(&h, &out);
}
END_TEST

START_TEST(test_message_truncated)
{
    struct noxs_host h = sample();
    h.devices[0].u.net.mtu = 1;
    char small[8];
    memset(small, 'x', sizeof(small));
    ck_assert_int_eq(noxs_host_check(&h, small, sizeof(small)), -EINVAL);
    ck_assert_str_eq(small, "device ");
    ck_assert_int_eq(noxs_host_check(&h, NULL, 0), -EINVAL);
    ck_assert_str_eq(noxs_dev_type_name(NOXS_DEV_BLK), "blk");
    ck_assert_str_eq(noxs_dev_type_name(9), "?");
}
END_TEST

/* Writes the valid pages of these tests as fuzzing seeds. */
static void write_corpus(const char *dir)
{
    struct noxs_host h = sample();
    for (unsigned n = 0; n < 4; n++) {
        build_ok(&h);
        if (n >= 1)
            front_end_connects();
        if (n >= 2) {
            h.devices[2].u.control.request = NOXS_CTRL_SUSPEND;
            h.devices[2].u.control.request_seq = 5;
            ck_assert_int_eq(noxs_page_publish(page, &h, 2, err, sizeof(err)),
                             0);
        }
        if (n == 3) {
            P()->devices[2].fe.u.control.ack = NOXS_CTRL_ACK_REFUSED;
            P()->devices[2].fe.u.control.ack_seq = 5;
        }
        char path[4096];
        snprintf(path, sizeof(path), "%s/page-%u", dir, n);
        FILE *f = fopen(path, "wb");
        ck_assert_msg(f != NULL, "cannot write %s", path);
        ck_assert_uint_eq(fwrite(page, 1, sizeof(page), f), sizeof(page));
        ck_assert_int_eq(fclose(f), 0);
    }
}

START_TEST(test_corpus)
{
    const char *dir = getenv("CHAOS_NOXS_CORPUS");
    if (dir && *dir)
        write_corpus(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("noxs");
    TCase *tc = tcase_create("codec");
    tcase_add_test(tc, test_layout_bytes);
    tcase_add_test(tc, test_fresh_page_reads_back);
    tcase_add_test(tc, test_front_end_connects);
    tcase_add_test(tc, test_rings_ignored_until_published);
    tcase_add_test(tc, test_control_request_and_answer);
    tcase_add_test(tc, test_publish_repairs_be_and_keeps_fe);
    tcase_add_test(tc, test_hostile_front_end);
    tcase_add_test(tc, test_header_and_version);
    tcase_add_test(tc, test_host_check);
    tcase_add_test(tc, test_free_slots_and_full_table);
    tcase_add_test(tc, test_message_truncated);
    tcase_add_test(tc, test_corpus);
    suite_add_tcase(s, tc);
    return check_run(s);
}
