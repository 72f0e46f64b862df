/*
 * fuzz_blkback_ring.c - libFuzzer target for the block back end's ring
 * consumer (libchaos/backend/blkback_ring.c): the ring pages are guest
 * memory, so every byte of them is hostile.  Built and run by
 * `make fuzz-blkback` (libchaos/backend/local.mk).
 *
 * Input: 4 bytes of set-up, then the ring pages as the guest wrote them
 * (a shorter input leaves the rest zero):
 *   byte 0    ring pages (any value 0-8: 1, 2 and 4 are valid, the others
 *             must be refused with -EPROTO)
 *   byte 1    bit 0 read-only disk; bits 1-4 make the fake disk's read,
 *             write, sync, or the grant copy fail
 *   bytes 2-3 the disk's size in sectors - 1, modulo 4096 (a small disk
 *             keeps the target fast)
 * The fake grant table has a few pages (refs 8-11); the fake disk is a
 * buffer of exactly the disk's size, so ASan sees any access past it, and
 * the callbacks abort on any range the consumer should have refused.
 * After serving, the ring must be consumed and every response one of
 * blkif's statuses.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blkback_ring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PAGE 4096u
#define NGRANTS 4u
#define GREF0 8u

static void die(const char *what)
{
    fprintf(stderr, "fuzz_blkback_ring: %s\n", what);
    abort();
}

struct fake {
    uint8_t *disk;
    uint64_t disk_bytes;
    uint8_t grants[NGRANTS][PAGE];
    unsigned flags;
    unsigned syncs, ios;
};

enum {
    F_RO = 1,
    F_READ = 2,
    F_WRITE = 4,
    F_SYNC = 8,
    F_COPY = 16,
};

static int fake_copy(void *opaque, struct hv_gcopy *segs, unsigned count)
{
    struct fake *f = opaque;

    if (count < 1 || count > BLKRING_MAX_SEGS)
        die("copy: segment count");
    if (f->flags & F_COPY)
        return -EFAULT;
    for (unsigned i = 0; i < count; i++) {
        struct hv_gcopy *s = &segs[i];
        if (s->len == 0 || (unsigned)s->offset + s->len > PAGE ||
            ((uintptr_t)s->local & (PAGE - 1)) + s->len > PAGE)
            die("copy: a segment crosses a page");
        if (s->ref < GREF0 || s->ref >= GREF0 + NGRANTS) {
            s->status = -4;
            continue;
        }
        uint8_t *g = f->grants[s->ref - GREF0] + s->offset;
        if (s->to_guest)
            memcpy(g, s->local, s->len);
        else
            memcpy(s->local, g, s->len);
        s->status = 0;
    }
    return 0;
}

static int fake_rw(struct fake *f, bool write, const struct iovec *iov,
                   unsigned cnt, uint64_t off)
{
    if (cnt < 1 || cnt > BLKRING_MAX_SEGS)
        die("io: segment count");
    if (write && (f->flags & F_RO))
        die("io: a write on a read-only disk");
    f->ios++;
    if (f->flags & (write ? F_WRITE : F_READ))
        return -EIO;
    for (unsigned i = 0; i < cnt; i++) {
        if (off > f->disk_bytes || iov[i].iov_len > f->disk_bytes - off)
            die("io: past the end of the disk");
        if (write)
            memcpy(f->disk + off, iov[i].iov_base, iov[i].iov_len);
        else
            memcpy(iov[i].iov_base, f->disk + off, iov[i].iov_len);
        off += iov[i].iov_len;
    }
    return 0;
}

static int fake_read(void *o, const struct iovec *iov, unsigned cnt,
                     uint64_t off)
{
    return fake_rw(o, false, iov, cnt, off);
}

static int fake_write(void *o, const struct iovec *iov, unsigned cnt,
                      uint64_t off)
{
    return fake_rw(o, true, iov, cnt, off);
}

static int fake_sync(void *o)
{
    struct fake *f = o;

    f->syncs++;
    return (f->flags & F_SYNC) ? -EIO : 0;
}

static const struct blkring_ops ops = {
    .copy = fake_copy,
    .read = fake_read,
    .write = fake_write,
    .sync = fake_sync,
};

/* The ring's header: the shared indices (xen/io/ring.h). */
struct idx {
    uint32_t req_prod, req_event, rsp_prod, rsp_event;
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fake f;
    char err[256];

    if (size < 4)
        return 0;
    unsigned pages = data[0] % 9;
    f.flags = data[1];
    uint64_t sectors = 1 + (uint64_t)((data[2] | (data[3] << 8)) % 4096);
    data += 4;
    size -= 4;

    /* Exactly the ring's pages (at least one, for the refused counts),
     * so ASan sees a read past them. */
    size_t ring_bytes = (pages ? pages : 1) * (size_t)PAGE;
    uint8_t *ring = aligned_alloc(PAGE, ring_bytes);
    f.disk_bytes = sectors * 512;
    f.disk = malloc(f.disk_bytes);
    if (!ring || !f.disk)
        die("out of memory");
    memset(ring, 0, ring_bytes);
    memcpy(ring, data, size < ring_bytes ? size : ring_bytes);
    memset(f.disk, 0xd5, f.disk_bytes);
    f.syncs = f.ios = 0;

    struct blkring *r;
    int rc = blkring_new(ring, pages, sectors, f.flags & F_RO, &ops, &f, &r,
                         err, sizeof(err));
    bool valid = pages == 1 || pages == 2 || pages == 4;
    if (rc == 0 && !valid)
        die("a ring of a refused size was accepted");
    if (rc != 0) {
        if (valid || rc != -EPROTO)
            die("a valid ring was refused");
        goto out;
    }

    bool notify;
    struct idx *ix = (struct idx *)ring;
    uint32_t prod = ix->req_prod;
    /* The back end attaches where the responses stand (a supervisor taking
     * a running guest over), which the guest wrote: only the requests from
     * there to prod are served. */
    uint32_t start = ix->rsp_prod;
    rc = blkring_serve(r, &notify, err, sizeof(err));
    if (rc != 0 && rc != -EPROTO)
        die("serve: neither 0 nor -EPROTO");
    if (rc == -EPROTO && !strstr(err, "req_prod"))
        die("serve: -EPROTO without naming req_prod");
    if (rc == 0) {
        unsigned nr = (unsigned)(pages * PAGE - 64) / 112, slots = 1;
        while (slots * 2 <= nr)
            slots *= 2;
        if (ix->rsp_prod != prod || ix->req_event != prod + 1)
            die("serve: the ring was not consumed");
        uint32_t served = prod - start;
        if (served > slots)
            die("serve: more requests than the ring holds were served");
        if (f.syncs > served)
            die("serve: more syncs than requests");
        for (uint32_t i = start; i != prod; i++) {
            const uint8_t *e = ring + 64 + (i & (slots - 1)) * 112;
            int16_t st;
            memcpy(&st, e + 10, sizeof(st));
            if (st != 0 && st != -1 && st != -2)
                die("serve: a response status outside blkif's");
        }
        /* The guest goes on: a second batch from the last input bytes. */
        if (size >= 4) {
            uint32_t more;
            memcpy(&more, data + size - 4, sizeof(more));
            ix->req_prod = prod + (more % (2 * slots + 2));
            rc = blkring_serve(r, &notify, err, sizeof(err));
            if (rc != 0 && rc != -EPROTO)
                die("second serve: neither 0 nor -EPROTO");
        }
    }
    blkring_free(r);
out:
    free(ring);
    free(f.disk);
    return 0;
}
