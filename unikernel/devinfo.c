/*
 * devinfo: the noxs device probe.  Prints the device table the guest
 * found (docs/noxs.md), optionally connects each network and block
 * device, then waits in devices_wait so that dom0's control requests
 * (poweroff, reboot) can end it.
 *
 * Command line (all optional):
 *   connect=1     open every network and block device (reads sector 0 of
 *                 each disk, prints each MAC address)
 *   wait_ms=N     wait N ms in devices_wait before powering off (0: none)
 */
#include "blkfront.h"
#include "clock.h"
#include "cmdline.h"
#include "devices.h"
#include "devpage.h"
#include "kernel.h"
#include "netfront.h"

static const char *const type_names[NOXS_DEV_TYPE_MAX + 1] = {
    [NOXS_DEV_NET] = "net",
    [NOXS_DEV_BLK] = "blk",
    [NOXS_DEV_CONTROL] = "control",
};

static void print_table(void)
{
    unsigned int type, i;

    for (type = 1; type <= NOXS_DEV_TYPE_MAX; type++) {
        const struct devpage_dev *dev;

        for (i = 0; (dev = devpage_find(type, i)) != NULL; i++)
            kprintf("devinfo: %s %u devid=%u backend=%u port=%u state=%u "
                    "features=%#x\n",
                    type_names[type], i, (unsigned)dev->be.devid,
                    (unsigned)dev->be.backend_domid, (unsigned)dev->be.evtchn,
                    (unsigned)devpage_be_state(dev),
                    (unsigned)dev->be.features);
    }
}

static int connect_all(void)
{
    static uint8_t sector[BLKFRONT_SECTOR * 8];
    unsigned int i;
    int status = 0;

    for (i = 0; devpage_find(NOXS_DEV_NET, i) != NULL; i++) {
        struct netfront *nf = netfront_open(i);
        const uint8_t *mac;

        if (nf == NULL) {
            status = 1;
            continue;
        }
        mac = netfront_mac(nf);
        kprintf(
            "devinfo: net %u connected, mac %02x:%02x:%02x:%02x:%02x:%02x\n", i,
            mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
    }
    for (i = 0; devpage_find(NOXS_DEV_BLK, i) != NULL; i++) {
        struct blkfront *bf = blkfront_open(i);
        size_t n;

        if (bf == NULL) {
            status = 1;
            continue;
        }
        kprintf("devinfo: blk %u connected, %llu sectors%s%s\n", i,
                (unsigned long long)blkfront_sectors(bf),
                blkfront_readonly(bf) ? ", read-only" : "",
                blkfront_can_flush(bf) ? ", flush" : "");
        /* The whole first logical sector, whatever its size (<= 4 KiB). */
        n = blkfront_sectors(bf) < 8 ? (size_t)blkfront_sectors(bf) : 8;
        if (n > 0 && blkfront_read(bf, 0, sector, n) == 0)
            kprintf("devinfo: blk %u sector 0 starts %02x %02x %02x %02x\n", i,
                    sector[0], sector[1], sector[2], sector[3]);
        else
            status = 1;
    }
    return status;
}

int app_main(const char *cmdline)
{
    uint64_t connect = 0, wait_ms = 0, deadline;
    int status = 0;

    if (!cmdline_get_u64(cmdline, "connect", &connect) ||
        !cmdline_get_u64(cmdline, "wait_ms", &wait_ms)) {
        kprintf("devinfo: bad command line: %s\n", cmdline);
        return 2;
    }
    print_table();
    kprintf("devinfo: table printed\n");
    if (connect != 0)
        status = connect_all();
    deadline = clock_now_ns() + wait_ms * 1000000;
    while (wait_ms > 0 && clock_now_ns() < deadline)
        devices_wait(deadline);
    return status;
}
