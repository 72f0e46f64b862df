/*
 * blkpattern.h - the bytes blk-test writes: a function of the seed, the
 * sector and the byte's offset, so that a misdirected write shows and a
 * run cannot pass on what an earlier one left.  Shared by blk-test (in the
 * guest) and tests/lab/lab-blk-pattern (in dom0, which checks the image
 * afterwards); header-only because the two are built for different
 * worlds (freestanding unikernel, hosted dom0 program).
 */
#ifndef CHAOS_UK_BLKPATTERN_H
#define CHAOS_UK_BLKPATTERN_H

#include <stdint.h>

/* splitmix64's finaliser: every input bit reaches every output bit. */
static inline uint64_t blkpattern_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static inline uint8_t blkpattern_byte(uint64_t seed, uint64_t sector,
                                      unsigned byte)
{
    uint64_t word = blkpattern_mix(
        seed ^ blkpattern_mix(sector ^ blkpattern_mix(byte / 8)));

    return (uint8_t)(word >> (byte % 8 * 8));
}

#endif
