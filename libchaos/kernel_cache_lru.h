/*
 * kernel_cache_lru.h - the data structure of the kernel cache (kernel_cache.c): the
 * decompressed kernels, found by the SHA-256 of their file's content or by
 * the identity of a file already hashed, and dropped least recently used
 * first.  Pure logic, no I/O: unit-tested in tests/unit/test_kernel_cache.c.
 */
#ifndef CHAOS_KERNEL_CACHE_LRU_H
#define CHAOS_KERNEL_CACHE_LRU_H

#include <stddef.h>
#include <stdint.h>

#define KERNEL_LRU_DIGEST_SIZE 32 /* SHA-256 */

/*
 * What tells a file has not changed since it was hashed, without reading
 * it: a write changes size or mtime, and a rename over it, truncation or
 * touch -m to an old time change ctime (which no one can set).
 */
struct kernel_lru_id {
    uint64_t dev, ino, size;
    int64_t mtime_sec, ctime_sec;
    long mtime_nsec, ctime_nsec;
};

struct kernel_lru_entry {
    struct kernel_lru_entry *newer, *older; /* use order */
    uint8_t digest[KERNEL_LRU_DIGEST_SIZE];
    void *elf; /* owned */
    size_t elf_size;
    struct kernel_lru_id *ids; /* files known to hold it */
    size_t n_ids;
};

struct kernel_lru {
    uint64_t max_bytes;
    uint64_t bytes; /* sum of elf_size */
    unsigned entries;
    struct kernel_lru_entry *newest, *oldest;
};

/* An empty cache holding at most max_bytes of kernels; NULL: no memory. */
struct kernel_lru *kernel_lru_new(uint64_t max_bytes);
void kernel_lru_free(struct kernel_lru *kc);

/* Changes the limit, dropping the least recently used kernels to fit. */
void kernel_lru_set_limit(struct kernel_lru *kc, uint64_t max_bytes);

/* The kernel a file with this identity was found to hold, or NULL.  A
 * found entry becomes the most recently used. */
const struct kernel_lru_entry *
kernel_lru_find_id(struct kernel_lru *kc, const struct kernel_lru_id *id);

/*
 * The kernel with this digest, or NULL.  A found entry becomes the most
 * recently used and, if id is not NULL, remembers id as one more file
 * that holds it (a failure to remember only costs a hash next time).
 */
const struct kernel_lru_entry *
kernel_lru_find_digest(struct kernel_lru *kc, const uint8_t *digest,
                       const struct kernel_lru_id *id);

/*
 * Adds a kernel (elf, malloc'd; the cache takes it in every case), read
 * from the file with identity id (may be NULL), as the most recently used,
 * dropping the least recently used ones to stay within the limit.  An
 * identity with the same device and inode as id, wherever it is, is
 * forgotten first: that file has changed.  Returns 0, -EFBIG when the
 * kernel alone exceeds the limit (it is freed), or -ENOMEM.  A digest
 * already present keeps its kernel and gains id.
 */
int kernel_lru_insert(struct kernel_lru *kc, const uint8_t *digest, void *elf,
                      size_t elf_size, const struct kernel_lru_id *id);

#endif /* CHAOS_KERNEL_CACHE_LRU_H */
