/*
 * fuzz_store_snap.c - libFuzzer target for the store snapshot's decoder
 * (libchaos/store/store_snap.c): the bytes a supervisor taking a guest
 * over reads back from the run directory.  Built and run by
 * `make fuzz-store-snap` (libchaos/store/local.mk); seeds in
 * tests/fuzz/corpus/store-snap.
 *
 * The input is the snapshot itself, except that the fuzzer cannot be
 * expected to find the checksum: its last 8 bytes are replaced by the
 * right one before decoding (the checksum's own test is the unit test's).
 * Beyond "no crash, no UB, no leak": a snapshot that decodes encodes
 * again to the same bytes, and the restored tree's counts match its nodes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define GUEST 5

static void die(const char *what)
{
    fprintf(stderr, "fuzz_store_snap: %s\n", what);
    abort();
}

static void count(const struct store_node *n, unsigned *nodes, size_t *bytes)
{
    (*nodes)++;
    *bytes += n->namelen + n->len;
    for (unsigned i = 0; i < n->nchildren; i++)
        count(n->children[i], nodes, bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > STORE_SNAP_MAX)
        return 0;
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    if (size >= sizeof(uint64_t)) {
        uint64_t sum = store_snap_checksum(buf, size - sizeof(sum));
        memcpy(buf + size - sizeof(sum), &sum, sizeof(sum));
    }
    struct store *s;
    struct store_snap_ring ring;
    char why[STORE_ERR_MAX];
    if (store_restore(GUEST, NULL, buf, size, &s, &ring, why, sizeof(why)) ==
        0) {
        unsigned nodes = 0;
        size_t bytes = 0;
        count(s->tree.root, &nodes, &bytes);
        if (nodes != s->tree.nodes || bytes != s->tree.bytes)
            die("the restored tree's counts are wrong");
        void *again;
        size_t len;
        if (store_snapshot(s, &ring, &again, &len) == 0) {
            if (len != size || memcmp(again, buf, size) != 0)
                die("a restored snapshot encodes to other bytes");
            free(again);
        }
        store_free(s);
    } else if (!why[0]) {
        die("refused without a reason");
    }
    free(buf);
    return 0;
}
