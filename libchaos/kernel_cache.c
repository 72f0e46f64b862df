/*
 * kernel_cache.c - the per-context cache of decompressed kernels (chaos.h,
 * "Kernel cache"; docs/design.md).  libxenguest decompresses a bzImage on
 * every build (about 5 of the 5.6 s of building a Debian guest under the
 * lab's emulation); with the cache, execute hands it the decompressed ELF
 * instead, which it loads as it is.  Content is identified by SHA-256
 * (nettle), so the same kernel under two paths is kept once and a file
 * rewritten in place is never mistaken for its old self.
 */
#include <errno.h>
#include <stdlib.h>

#include <nettle/sha2.h>

#include "kernel_cache.h"

int chaos_kernel_cache_enable(chaos_ctx *ctx, uint64_t max_bytes)
{
    chaos__clear_error(ctx);
    if (max_bytes == 0) {
        chaos__kernel_cache_free(ctx);
        return 0;
    }
    if (ctx->kernel_lru) {
        kernel_lru_set_limit(ctx->kernel_lru, max_bytes);
        return 0;
    }
    ctx->kernel_lru = kernel_lru_new(max_bytes);
    if (!ctx->kernel_lru)
        return chaos__fail(ctx, -ENOMEM, "out of memory");
    return 0;
}

void chaos_kernel_cache_stats(const chaos_ctx *ctx,
                              struct chaos_kernel_cache_stats *out)
{
    *out = (struct chaos_kernel_cache_stats){
        .hits = ctx->kernel_lru_hits,
        .misses = ctx->kernel_lru_misses,
    };
    if (ctx->kernel_lru) {
        out->entries = ctx->kernel_lru->entries;
        out->bytes = ctx->kernel_lru->bytes;
    }
}

void chaos__kernel_cache_free(chaos_ctx *ctx)
{
    kernel_lru_free(ctx->kernel_lru);
    ctx->kernel_lru = NULL;
}

static struct kernel_lru_id identity(const struct stat *st)
{
    return (struct kernel_lru_id){
        .dev = st->st_dev,
        .ino = st->st_ino,
        .size = (uint64_t)st->st_size,
        .mtime_sec = st->st_mtim.tv_sec,
        .mtime_nsec = st->st_mtim.tv_nsec,
        .ctime_sec = st->st_ctim.tv_sec,
        .ctime_nsec = st->st_ctim.tv_nsec,
    };
}

void chaos__kernel_cache_probe(chaos_ctx *ctx, const struct stat *st,
                               const void *data, size_t size,
                               struct kernel_cache_probe *probe)
{
    *probe = (struct kernel_cache_probe){ .enabled = ctx->kernel_lru != NULL };
    if (!probe->enabled)
        return;
    probe->id = identity(st);
    const struct kernel_lru_entry *e =
        kernel_lru_find_id(ctx->kernel_lru, &probe->id);
    if (!e) {
        struct sha256_ctx sha;
        sha256_init(&sha);
        sha256_update(&sha, size, data);
        sha256_digest(&sha, sizeof(probe->digest), probe->digest);
        probe->have_digest = true;
        e = kernel_lru_find_digest(ctx->kernel_lru, probe->digest, &probe->id);
    }
    if (e) {
        probe->hit = true;
        probe->elf = e->elf;
        probe->elf_size = e->elf_size;
        ctx->kernel_lru_hits++;
    } else {
        ctx->kernel_lru_misses++;
    }
}

void chaos__kernel_cache_store(chaos_ctx *ctx,
                               const struct kernel_cache_probe *probe,
                               void *elf, size_t elf_size)
{
    if (!ctx->kernel_lru || !probe->have_digest) {
        free(elf);
        return;
    }
    /* Too big for the limit, or no memory: it stays uncached, which
     * costs time, not correctness. */
    kernel_lru_insert(ctx->kernel_lru, probe->digest, elf, elf_size,
                      &probe->id);
}
