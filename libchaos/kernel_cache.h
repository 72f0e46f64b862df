/*
 * kernel_cache.h - the kernel cache of a context, as the execute phase
 * (domain.c) uses it.  The public switch is chaos_kernel_cache_enable().
 */
#ifndef CHAOS_KERNEL_CACHE_H
#define CHAOS_KERNEL_CACHE_H

#include <sys/stat.h>

#include "internal.h"
#include "kernel_cache_lru.h"

/* What one look into the cache found about one kernel file. */
struct kernel_cache_probe {
    bool enabled;    /* the context has a cache */
    bool hit;        /* elf is the decompressed kernel */
    const void *elf; /* owned by the cache: valid until the next */
    size_t elf_size; /* call that changes it */
    bool have_digest;
    uint8_t digest[KERNEL_LRU_DIGEST_SIZE];
    struct kernel_lru_id id;
};

/*
 * Looks for the kernel in the file with status st and content data (the
 * content is read, to hash it, only when no file with st's identity was
 * seen before).  Counts a hit or a miss.
 */
void chaos__kernel_cache_probe(chaos_ctx *ctx, const struct stat *st,
                               const void *data, size_t size,
                               struct kernel_cache_probe *probe);

/* After a miss: keeps elf (malloc'd; taken in every case) for next time. */
void chaos__kernel_cache_store(chaos_ctx *ctx,
                               const struct kernel_cache_probe *probe,
                               void *elf, size_t elf_size);

/* Frees the context's cache (chaos_close). */
void chaos__kernel_cache_free(chaos_ctx *ctx);

#endif /* CHAOS_KERNEL_CACHE_H */
