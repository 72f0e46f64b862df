/*
 * kernel_cache_lru.c - decompressed kernels by content and by file identity, in
 * least-recently-used order (see kernel_cache_lru.h).  A cache holds a handful of
 * kernels, so lookups are linear scans.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_cache_lru.h"

struct kernel_lru *kernel_lru_new(uint64_t max_bytes)
{
    struct kernel_lru *kc = calloc(1, sizeof(*kc));
    if (kc)
        kc->max_bytes = max_bytes;
    return kc;
}

static void unlink_entry(struct kernel_lru *kc, struct kernel_lru_entry *e)
{
    if (e->newer)
        e->newer->older = e->older;
    else
        kc->newest = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else
        kc->oldest = e->newer;
    e->newer = e->older = NULL;
}

static void push_newest(struct kernel_lru *kc, struct kernel_lru_entry *e)
{
    e->newer = NULL;
    e->older = kc->newest;
    if (kc->newest)
        kc->newest->newer = e;
    kc->newest = e;
    if (!kc->oldest)
        kc->oldest = e;
}

static void drop(struct kernel_lru *kc, struct kernel_lru_entry *e)
{
    unlink_entry(kc, e);
    kc->bytes -= e->elf_size;
    kc->entries--;
    free(e->elf);
    free(e->ids);
    free(e);
}

void kernel_lru_free(struct kernel_lru *kc)
{
    if (!kc)
        return;
    while (kc->oldest)
        drop(kc, kc->oldest);
    free(kc);
}

/* Drops the least recently used until `extra` more bytes fit. */
static void make_room(struct kernel_lru *kc, uint64_t extra)
{
    while (kc->oldest && kc->bytes + extra > kc->max_bytes)
        drop(kc, kc->oldest);
}

void kernel_lru_set_limit(struct kernel_lru *kc, uint64_t max_bytes)
{
    kc->max_bytes = max_bytes;
    make_room(kc, 0);
}

static void touch(struct kernel_lru *kc, struct kernel_lru_entry *e)
{
    unlink_entry(kc, e);
    push_newest(kc, e);
}

static bool same_id(const struct kernel_lru_id *a,
                    const struct kernel_lru_id *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime_sec == b->mtime_sec && a->mtime_nsec == b->mtime_nsec &&
           a->ctime_sec == b->ctime_sec && a->ctime_nsec == b->ctime_nsec;
}

const struct kernel_lru_entry *
kernel_lru_find_id(struct kernel_lru *kc, const struct kernel_lru_id *id)
{
    for (struct kernel_lru_entry *e = kc->newest; e; e = e->older)
        for (size_t i = 0; i < e->n_ids; i++)
            if (same_id(&e->ids[i], id)) {
                touch(kc, e);
                return e;
            }
    return NULL;
}

/* A file (device, inode) holds one content: forget what it held before. */
static void forget_file(struct kernel_lru *kc, const struct kernel_lru_id *id)
{
    for (struct kernel_lru_entry *e = kc->newest; e; e = e->older)
        for (size_t i = 0; i < e->n_ids;)
            if (e->ids[i].dev == id->dev && e->ids[i].ino == id->ino)
                e->ids[i] = e->ids[--e->n_ids];
            else
                i++;
}

static int remember(struct kernel_lru *kc, struct kernel_lru_entry *e,
                    const struct kernel_lru_id *id)
{
    forget_file(kc, id);
    struct kernel_lru_id *grown =
        realloc(e->ids, (e->n_ids + 1) * sizeof(*grown));
    if (!grown)
        return -ENOMEM;
    e->ids = grown;
    e->ids[e->n_ids++] = *id;
    return 0;
}

static struct kernel_lru_entry *by_digest(struct kernel_lru *kc,
                                          const uint8_t *digest)
{
    for (struct kernel_lru_entry *e = kc->newest; e; e = e->older)
        if (!memcmp(e->digest, digest, KERNEL_LRU_DIGEST_SIZE))
            return e;
    return NULL;
}

const struct kernel_lru_entry *
kernel_lru_find_digest(struct kernel_lru *kc, const uint8_t *digest,
                       const struct kernel_lru_id *id)
{
    struct kernel_lru_entry *e = by_digest(kc, digest);
    if (!e)
        return NULL;
    touch(kc, e);
    if (id)
        remember(kc, e, id);
    return e;
}

int kernel_lru_insert(struct kernel_lru *kc, const uint8_t *digest, void *elf,
                      size_t elf_size, const struct kernel_lru_id *id)
{
    struct kernel_lru_entry *e = by_digest(kc, digest);
    if (e) {
        free(elf);
        touch(kc, e);
        return id ? remember(kc, e, id) : 0;
    }
    if (elf_size > kc->max_bytes) {
        free(elf);
        return -EFBIG;
    }
    e = calloc(1, sizeof(*e));
    if (!e) {
        free(elf);
        return -ENOMEM;
    }
    memcpy(e->digest, digest, KERNEL_LRU_DIGEST_SIZE);
    e->elf = elf;
    e->elf_size = elf_size;
    make_room(kc, elf_size);
    push_newest(kc, e);
    kc->bytes += elf_size;
    kc->entries++;
    return id ? remember(kc, e, id) : 0;
}
