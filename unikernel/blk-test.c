/*
 * blk-test: exercises the first block device.  Writes a pattern to the
 * first N sectors, flushes, reads them back and compares: prints
 * "blk-test: ok N sectors" (exit status 0) or the first mismatch (1).
 * On a read-only disk it writes nothing: it reads the sectors, says the
 * disk is read-only and exits 0.
 *
 * The pattern depends on the sector number (a misdirected write shows)
 * and on seed= (a run cannot pass on what an earlier one left).
 *
 * Command line:
 *   sectors=N   how many sectors from 0 (default 64)
 *   seed=N      the pattern's seed (default 1)
 *   corrupt=1   instead, corrupt the ring (blkfront_corrupt_ring) and
 *               wait for dom0 to shut the guest down: the lab checks
 *               that the back end disconnects it and the supervisor
 *               carries on
 *   again=1     after passing, wait (suspendable, in devices_wait) until
 *               the guest has been restored into a new domain, then run
 *               again with seed + 1 over the reconnected disk: "blk-test:
 *               restored" and the verdict of the second run
 */
#include "blkfront.h"
#include "blkpattern.h"
#include "clock.h"
#include "cmdline.h"
#include "devices.h"
#include "kernel.h"
#include "suspend.h"

/* Sectors per request: the buffer is static, the stack is small. */
#define CHUNK 16

static uint8_t buf[CHUNK * BLKFRONT_SECTOR];

static void fill(uint64_t seed, uint64_t first, size_t count)
{
    for (size_t s = 0; s < count; s++)
        for (unsigned i = 0; i < BLKFRONT_SECTOR; i++)
            buf[s * BLKFRONT_SECTOR + i] = blkpattern_byte(seed, first + s, i);
}

/* Index of the first wrong byte in buf, or -1. */
static long long compare(uint64_t seed, uint64_t first, size_t count)
{
    for (size_t s = 0; s < count; s++)
        for (unsigned i = 0; i < BLKFRONT_SECTOR; i++)
            if (buf[s * BLKFRONT_SECTOR + i] !=
                blkpattern_byte(seed, first + s, i))
                return (long long)(s * BLKFRONT_SECTOR + i);
    return -1;
}

static size_t chunk(uint64_t done, uint64_t total)
{
    return total - done < CHUNK ? (size_t)(total - done) : CHUNK;
}

static int read_only_check(struct blkfront *bf, uint64_t sectors)
{
    for (uint64_t s = 0; s < sectors; s += CHUNK)
        if (blkfront_read(bf, s, buf, chunk(s, sectors)) != 0) {
            kprintf("blk-test: read of sector %llu failed\n",
                    (unsigned long long)s);
            return 1;
        }
    kprintf("blk-test: disk is read-only: read %llu sectors, wrote none\n",
            (unsigned long long)sectors);
    return 0;
}

static int write_read_compare(struct blkfront *bf, uint64_t seed,
                              uint64_t sectors)
{
    uint64_t s;

    for (s = 0; s < sectors; s += CHUNK) {
        fill(seed, s, chunk(s, sectors));
        if (blkfront_write(bf, s, buf, chunk(s, sectors)) != 0) {
            kprintf("blk-test: write of sector %llu failed\n",
                    (unsigned long long)s);
            return 1;
        }
    }
    if (!blkfront_can_flush(bf))
        kprintf("blk-test: the back end offers no flush\n");
    else if (blkfront_flush(bf) != 0) {
        kprintf("blk-test: flush failed\n");
        return 1;
    }
    for (s = 0; s < sectors; s += CHUNK) {
        long long bad;

        if (blkfront_read(bf, s, buf, chunk(s, sectors)) != 0) {
            kprintf("blk-test: read of sector %llu failed\n",
                    (unsigned long long)s);
            return 1;
        }
        bad = compare(seed, s, chunk(s, sectors));
        if (bad >= 0) {
            kprintf("blk-test: mismatch at sector %llu byte %u: "
                    "wrote 0x%02x, read 0x%02x\n",
                    (unsigned long long)(s + (uint64_t)bad / BLKFRONT_SECTOR),
                    (unsigned)(bad % BLKFRONT_SECTOR),
                    blkpattern_byte(seed, s + (uint64_t)bad / BLKFRONT_SECTOR,
                                    (unsigned)(bad % BLKFRONT_SECTOR)),
                    buf[bad]);
            return 1;
        }
    }
    kprintf("blk-test: ok %llu sectors\n", (unsigned long long)sectors);
    return 0;
}

/* again=1: waits for a restore, then tests the reconnected disk. */
static int after_restore(struct blkfront *bf, uint64_t seed, uint64_t sectors)
{
    unsigned int resumed = suspend_resumed_count();

    kprintf("blk-test: waiting for a save and restore\n");
    while (suspend_resumed_count() == resumed)
        devices_wait(clock_now_ns() + 1000000000ull);
    kprintf("blk-test: restored\n");
    return write_read_compare(bf, seed + 1, sectors);
}

int app_main(const char *cmdline)
{
    uint64_t sectors = 64, seed = 1, corrupt = 0, again = 0, size;
    struct blkfront *bf;
    int status;

    if (!cmdline_get_u64(cmdline, "sectors", &sectors) ||
        !cmdline_get_u64(cmdline, "seed", &seed) ||
        !cmdline_get_u64(cmdline, "corrupt", &corrupt) ||
        !cmdline_get_u64(cmdline, "again", &again) || sectors == 0) {
        kprintf("blk-test: bad command line: %s\n", cmdline);
        return 2;
    }
    bf = blkfront_open(0);
    if (bf == NULL) {
        kprintf("blk-test: no block device (a disk in the config?)\n");
        return 1;
    }
    if (corrupt) {
        blkfront_corrupt_ring(bf);
        kprintf("blk-test: corrupted the ring; waiting to be shut down\n");
        for (;;)
            devices_wait(clock_now_ns() + 1000000000ull);
    }
    size = blkfront_sectors(bf);
    kprintf("blk-test: disk of %llu sectors (%s, %s)\n",
            (unsigned long long)size,
            blkfront_readonly(bf) ? "read-only" : "read-write",
            blkfront_can_flush(bf) ? "flush" : "no flush");
    if (sectors > size) {
        kprintf("blk-test: sectors=%llu but the disk has %llu\n",
                (unsigned long long)sectors, (unsigned long long)size);
        return 2;
    }
    if (blkfront_readonly(bf))
        return read_only_check(bf, sectors);
    status = write_read_compare(bf, seed, sectors);
    if (status != 0 || !again)
        return status;
    return after_restore(bf, seed, sectors);
}
