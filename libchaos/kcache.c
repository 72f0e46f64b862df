/*
 * kcache.c - decompressed kernels by content and by file identity, in
 * least-recently-used order (see kcache.h).  A cache holds a handful of
 * kernels, so lookups are linear scans.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kcache.h"

struct kcache *kcache_new(uint64_t max_bytes)
{
    struct kcache *kc = calloc(1, sizeof(*kc));
    if (kc)
        kc->max_bytes = max_bytes;
    return kc;
}

static void unlink_entry(struct kcache *kc, struct kcache_entry *e)
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

static void push_newest(struct kcache *kc, struct kcache_entry *e)
{
    e->newer = NULL;
    e->older = kc->newest;
    if (kc->newest)
        kc->newest->newer = e;
    kc->newest = e;
    if (!kc->oldest)
        kc->oldest = e;
}

static void drop(struct kcache *kc, struct kcache_entry *e)
{
    unlink_entry(kc, e);
    kc->bytes -= e->elf_size;
    kc->entries--;
    free(e->elf);
    free(e->ids);
    free(e);
}

void kcache_free(struct kcache *kc)
{
    if (!kc)
        return;
    while (kc->oldest)
        drop(kc, kc->oldest);
    free(kc);
}

/* Drops the least recently used until `extra` more bytes fit. */
static void make_room(struct kcache *kc, uint64_t extra)
{
    while (kc->oldest && kc->bytes + extra > kc->max_bytes)
        drop(kc, kc->oldest);
}

void kcache_set_limit(struct kcache *kc, uint64_t max_bytes)
{
    kc->max_bytes = max_bytes;
    make_room(kc, 0);
}

static void touch(struct kcache *kc, struct kcache_entry *e)
{
    unlink_entry(kc, e);
    push_newest(kc, e);
}

static bool same_id(const struct kcache_id *a, const struct kcache_id *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime_sec == b->mtime_sec && a->mtime_nsec == b->mtime_nsec &&
           a->ctime_sec == b->ctime_sec && a->ctime_nsec == b->ctime_nsec;
}

const struct kcache_entry *kcache_find_id(struct kcache *kc,
                                          const struct kcache_id *id)
{
    for (struct kcache_entry *e = kc->newest; e; e = e->older)
        for (size_t i = 0; i < e->n_ids; i++)
            if (same_id(&e->ids[i], id)) {
                touch(kc, e);
                return e;
            }
    return NULL;
}

/* A file (device, inode) holds one content: forget what it held before. */
static void forget_file(struct kcache *kc, const struct kcache_id *id)
{
    for (struct kcache_entry *e = kc->newest; e; e = e->older)
        for (size_t i = 0; i < e->n_ids; )
            if (e->ids[i].dev == id->dev && e->ids[i].ino == id->ino)
                e->ids[i] = e->ids[--e->n_ids];
            else
                i++;
}

static int remember(struct kcache *kc, struct kcache_entry *e,
                    const struct kcache_id *id)
{
    forget_file(kc, id);
    struct kcache_id *grown = realloc(e->ids, (e->n_ids + 1) * sizeof(*grown));
    if (!grown)
        return -ENOMEM;
    e->ids = grown;
    e->ids[e->n_ids++] = *id;
    return 0;
}

static struct kcache_entry *by_digest(struct kcache *kc, const uint8_t *digest)
{
    for (struct kcache_entry *e = kc->newest; e; e = e->older)
        if (!memcmp(e->digest, digest, KCACHE_DIGEST_SIZE))
            return e;
    return NULL;
}

const struct kcache_entry *kcache_find_digest(struct kcache *kc,
                                              const uint8_t *digest,
                                              const struct kcache_id *id)
{
    struct kcache_entry *e = by_digest(kc, digest);
    if (!e)
        return NULL;
    touch(kc, e);
    if (id)
        remember(kc, e, id);
    return e;
}

int kcache_insert(struct kcache *kc, const uint8_t *digest, void *elf,
                  size_t elf_size, const struct kcache_id *id)
{
    struct kcache_entry *e = by_digest(kc, digest);
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
    memcpy(e->digest, digest, KCACHE_DIGEST_SIZE);
    e->elf = elf;
    e->elf_size = elf_size;
    make_room(kc, elf_size);
    push_newest(kc, e);
    kc->bytes += elf_size;
    kc->entries++;
    return id ? remember(kc, e, id) : 0;
}
