/*
 * lab-blk-pattern SECTORS SEED: writes to stdout the bytes blk-test puts in
 * the first SECTORS sectors of its disk with seed= SEED, so that the lab
 * can compare the image with what the guest wrote (test-noxs.sh).
 */
#include <stdio.h>
#include <stdlib.h>

#include "blkpattern.h"

int main(int argc, char **argv)
{
    char *end;
    unsigned long long sectors, seed;

    if (argc != 3) {
        fprintf(stderr, "usage: lab-blk-pattern SECTORS SEED\n");
        return 2;
    }
    sectors = strtoull(argv[1], &end, 0);
    if (*end != '\0') {
        fprintf(stderr, "lab-blk-pattern: bad SECTORS '%s'\n", argv[1]);
        return 2;
    }
    seed = strtoull(argv[2], &end, 0);
    if (*end != '\0') {
        fprintf(stderr, "lab-blk-pattern: bad SEED '%s'\n", argv[2]);
        return 2;
    }
    for (unsigned long long s = 0; s < sectors; s++)
        for (unsigned b = 0; b < 512; b++)
            if (putchar(blkpattern_byte(seed, s, b)) == EOF)
                return 1;
    return fflush(stdout) == 0 ? 0 : 1;
}
