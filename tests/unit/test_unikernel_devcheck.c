/* Unit tests: the unikernel device drivers' pure decisions (devcheck.c). */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "devcheck.h"
#include "noxs_abi.h"
#include "check_run.h"

START_TEST(test_ctrl_taken)
{
    /* Poweroff, reboot and suspend are handled, suspend only when the
     * kernel can; never what was not offered. */
    ck_assert_uint_eq(ctrl_taken(NOXS_CTRL_F_ALL, true), NOXS_CTRL_F_ALL);
    ck_assert_uint_eq(ctrl_taken(NOXS_CTRL_F_ALL, false),
                      NOXS_CTRL_F(NOXS_CTRL_POWEROFF) |
                          NOXS_CTRL_F(NOXS_CTRL_REBOOT));
    ck_assert_uint_eq(ctrl_taken(NOXS_CTRL_F(NOXS_CTRL_REBOOT), true),
                      NOXS_CTRL_F(NOXS_CTRL_REBOOT));
    ck_assert_uint_eq(ctrl_taken(NOXS_CTRL_F(NOXS_CTRL_SUSPEND), true),
                      NOXS_CTRL_F(NOXS_CTRL_SUSPEND));
    ck_assert_uint_eq(ctrl_taken(NOXS_CTRL_F(NOXS_CTRL_SUSPEND), false), 0);
    ck_assert_uint_eq(ctrl_taken(0, true), 0);
    ck_assert_uint_eq(ctrl_taken(0xffffffffu, true) & ~NOXS_CTRL_F_ALL, 0);
}
END_TEST

START_TEST(test_ctrl_answer)
{
    uint32_t taken = ctrl_taken(NOXS_CTRL_F_ALL, false);
    enum ctrl_action action;

    ck_assert_uint_eq(ctrl_answer(NOXS_CTRL_POWEROFF, taken, &action),
                      NOXS_CTRL_ACK_DONE);
    ck_assert_int_eq(action, CTRL_ACT_POWEROFF);
    ck_assert_uint_eq(ctrl_answer(NOXS_CTRL_REBOOT, taken, &action),
                      NOXS_CTRL_ACK_DONE);
    ck_assert_int_eq(action, CTRL_ACT_REBOOT);
    /* Never 0 (a protocol error): whatever is not done is refused. */
    ck_assert_uint_eq(ctrl_answer(NOXS_CTRL_SUSPEND, taken, &action),
                      NOXS_CTRL_ACK_REFUSED);
    ck_assert_int_eq(action, CTRL_ACT_NONE);
    ck_assert_uint_eq(ctrl_answer(NOXS_CTRL_NONE, taken, &action),
                      NOXS_CTRL_ACK_REFUSED);
    ck_assert_int_eq(action, CTRL_ACT_NONE);
    ck_assert_uint_eq(ctrl_answer(4, taken, &action), NOXS_CTRL_ACK_REFUSED);
    ck_assert_uint_eq(ctrl_answer(0xffffffffu, taken, &action),
                      NOXS_CTRL_ACK_REFUSED);
    ck_assert_int_eq(action, CTRL_ACT_NONE);
    /* Taken: done, and the kernel suspends. */
    ck_assert_uint_eq(ctrl_answer(NOXS_CTRL_SUSPEND,
                                  ctrl_taken(NOXS_CTRL_F_ALL, true), &action),
                      NOXS_CTRL_ACK_DONE);
    ck_assert_int_eq(action, CTRL_ACT_SUSPEND);
    /* Not taken (not offered): refused even if the kernel could. */
    ck_assert_uint_eq(
        ctrl_answer(NOXS_CTRL_POWEROFF, NOXS_CTRL_F(NOXS_CTRL_REBOOT), &action),
        NOXS_CTRL_ACK_REFUSED);
    ck_assert_int_eq(action, CTRL_ACT_NONE);
}
END_TEST

START_TEST(test_page_fresh)
{
    /* dom0 rewrites the page after a restore with the saved generation
     * plus 1; the same generation is the saved page itself. */
    ck_assert(noxs_page_fresh(1, 2));
    ck_assert(noxs_page_fresh(0xffffffffu, 0));
    ck_assert(!noxs_page_fresh(7, 7));
}
END_TEST

START_TEST(test_net_taken)
{
    const uint32_t all = NOXS_NET_F_ALL;

    /* Today's back end: rx-copy only. */
    ck_assert_uint_eq(net_taken(NOXS_NET_F_RX_COPY), NOXS_NET_F_RX_COPY);
    /* Everything offered: everything taken. */
    ck_assert_uint_eq(net_taken(all), all);
    /* Checksum offload stands alone; SG alone is of no use. */
    ck_assert_uint_eq(net_taken(NOXS_NET_F_RX_COPY | NOXS_NET_F_CSUM),
                      NOXS_NET_F_RX_COPY | NOXS_NET_F_CSUM);
    ck_assert_uint_eq(net_taken(NOXS_NET_F_RX_COPY | NOXS_NET_F_SG),
                      NOXS_NET_F_RX_COPY);
    /* GSO needs SG and CSUM. */
    ck_assert_uint_eq(net_taken(all & ~NOXS_NET_F_SG),
                      NOXS_NET_F_RX_COPY | NOXS_NET_F_CSUM);
    ck_assert_uint_eq(net_taken(all & ~NOXS_NET_F_CSUM), NOXS_NET_F_RX_COPY);
    /* Never more than offered, nor unknown bits. */
    ck_assert_uint_eq(net_taken(0), 0);
    ck_assert_uint_eq(net_taken(0xffffffffu), all);
}
END_TEST

START_TEST(test_blk_sector_size)
{
    ck_assert(blk_sector_size_ok(512));
    ck_assert(blk_sector_size_ok(1024));
    ck_assert(blk_sector_size_ok(2048));
    ck_assert(blk_sector_size_ok(4096));
    ck_assert(!blk_sector_size_ok(0));
    ck_assert(!blk_sector_size_ok(256));
    ck_assert(!blk_sector_size_ok(1536));
    ck_assert(!blk_sector_size_ok(8192));
}
END_TEST

START_TEST(test_blk_range)
{
    ck_assert(blk_range_ok(0, 8, 512, 8));
    ck_assert(blk_range_ok(7, 1, 512, 8));
    ck_assert(blk_range_ok(8, 0, 512, 8));
    ck_assert(!blk_range_ok(8, 1, 512, 8));
    ck_assert(!blk_range_ok(7, 2, 512, 8));
    ck_assert(!blk_range_ok(0, 9, 512, 8));
    /* No wrap-around past 2^64. */
    ck_assert(!blk_range_ok(UINT64_MAX, 2, 512, UINT64_MAX));
    ck_assert(!blk_range_ok(2, UINT64_MAX, 512, UINT64_MAX));
    /* 4 KiB sectors: start and length in whole 8-unit sectors. */
    ck_assert(blk_range_ok(8, 16, 4096, 64));
    ck_assert(!blk_range_ok(4, 8, 4096, 64));
    ck_assert(!blk_range_ok(8, 4, 4096, 64));
    ck_assert(blk_range_ok(2, 2, 1024, 64));
    ck_assert(!blk_range_ok(1, 2, 1024, 64));
    ck_assert(!blk_range_ok(0, 8, 1000, 64));
}
END_TEST

START_TEST(test_netrx_frame_len)
{
    ck_assert_uint_eq(netrx_frame_len(0, 60, 4096), 60);
    ck_assert_uint_eq(netrx_frame_len(0, 1514, 4096), 1514);
    ck_assert_uint_eq(netrx_frame_len(4036, 60, 4096), 60);
    ck_assert_uint_eq(netrx_frame_len(4037, 60, 4096), 0);
    ck_assert_uint_eq(netrx_frame_len(0, 4096, 4096), 4096);
    ck_assert_uint_eq(netrx_frame_len(1, 4096, 4096), 0);
    ck_assert_uint_eq(netrx_frame_len(5000, 1, 4096), 0);
    ck_assert_uint_eq(netrx_frame_len(65535, 32767, 4096), 0);
    /* Errors and empty slots carry no frame. */
    ck_assert_uint_eq(netrx_frame_len(0, 0, 4096), 0);
    ck_assert_uint_eq(netrx_frame_len(0, -1, 4096), 0);
    ck_assert_uint_eq(netrx_frame_len(0, -2, 4096), 0);
}
END_TEST

START_TEST(test_ring_trusted_prod)
{
    ck_assert_uint_eq(ring_trusted_prod(10, 10, 16), 10);
    ck_assert_uint_eq(ring_trusted_prod(10, 14, 16), 14);
    ck_assert_uint_eq(ring_trusted_prod(10, 26, 16), 26);
    ck_assert_uint_eq(ring_trusted_prod(10, 27, 16), 26);
    /* Behind cons: a lie, bounded all the same. */
    ck_assert_uint_eq(ring_trusted_prod(10, 9, 16), 26);
    /* Indexes wrap around 2^32. */
    ck_assert_uint_eq(ring_trusted_prod(0xfffffffeu, 3, 16), 3);
    ck_assert_uint_eq(ring_trusted_prod(0xfffffffeu, 30, 16), 14);
    ck_assert_uint_eq(ring_trusted_prod(5, 7, 0), 5);
}
END_TEST

static Suite *devcheck_suite(void)
{
    Suite *s = suite_create("unikernel_devcheck");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_ctrl_taken);
    tcase_add_test(tc, test_ctrl_answer);
    tcase_add_test(tc, test_page_fresh);
    tcase_add_test(tc, test_net_taken);
    tcase_add_test(tc, test_blk_sector_size);
    tcase_add_test(tc, test_blk_range);
    tcase_add_test(tc, test_netrx_frame_len);
    tcase_add_test(tc, test_ring_trusted_prod);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(devcheck_suite());
}
