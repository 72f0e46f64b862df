/*
 * kcache.h - the data structure of the kernel cache (kernel_cache.c): the
 * decompressed kernels, found by the SHA-256 of their file's content or by
 * the identity of a file already hashed, and dropped least recently used
 * first.  Pure logic, no I/O: unit-tested in tests/unit/test_kernel_cache.c.
 */
#ifndef CHAOS_KCACHE_H
#define CHAOS_KCACHE_H

#include <stddef.h>
#include <stdint.h>

#define KCACHE_DIGEST_SIZE 32   /* SHA-256 */

/*
 * What tells a file has not changed since it was hashed, without reading
 * it: a write changes size or mtime, and a rename over it, truncation or
 * touch -m to an old time change ctime (which no one can set).
 */
struct kcache_id {
    uint64_t dev, ino, size;
    int64_t mtime_sec, ctime_sec;
    long mtime_nsec, ctime_nsec;
};

struct kcache_entry {
    struct kcache_entry *newer, *older;     /* use order */
    uint8_t digest[KCACHE_DIGEST_SIZE];
    void *elf;                              /* owned */
    size_t elf_size;
    struct kcache_id *ids;                  /* files known to hold it */
    size_t n_ids;
};

struct kcache {
    uint64_t max_bytes;
    uint64_t bytes;                         /* sum of elf_size */
    unsigned entries;
    struct kcache_entry *newest, *oldest;
};

/* An empty cache holding at most max_bytes of kernels; NULL: no memory. */
struct kcache *kcache_new(uint64_t max_bytes);
void kcache_free(struct kcache *kc);

/* Changes the limit, dropping the least recently used kernels to fit. */
void kcache_set_limit(struct kcache *kc, uint64_t max_bytes);

/* The kernel a file with this identity was found to hold, or NULL.  A
 * found entry becomes the most recently used. */
const struct kcache_entry *kcache_find_id(struct kcache *kc,
                                          const struct kcache_id *id);

/*
 * The kernel with this digest, or NULL.  A found entry becomes the most
 * recently used and, if id is not NULL, remembers id as one more file
 * that holds it (a failure to remember only costs a hash next time).
 */
const struct kcache_entry *kcache_find_digest(struct kcache *kc,
                                              const uint8_t *digest,
                                              const struct kcache_id *id);

/*
 * Adds a kernel (elf, malloc'd; the cache takes it in every case), read
 * from the file with identity id (may be NULL), as the most recently used,
 * dropping the least recently used ones to stay within the limit.  An
 * identity with the same device and inode as id, wherever it is, is
 * forgotten first: that file has changed.  Returns 0, -EFBIG when the
 * kernel alone exceeds the limit (it is freed), or -ENOMEM.  A digest
 * already present keeps its kernel and gains id.
 */
int kcache_insert(struct kcache *kc, const uint8_t *digest, void *elf,
                  size_t elf_size, const struct kcache_id *id);

#endif /* CHAOS_KCACHE_H */
