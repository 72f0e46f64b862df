/*
 * images.h - the chaos images chaosd keeps open between restores
 * (docs/chaosd.md, "Restore flavors"): each checked once (its CRC) and, a
 * PVH image, mapped from the page cache and indexed, so that a restore
 * into an in-place shell pays only the copy.  A few images, least recently
 * used dropped first; an image whose file changed on disk (another device,
 * inode, size or mtime at its path) is opened again.  Loop thread only:
 * the work queue gets a reference (images_ref) and gives it back on the
 * loop thread (images_unref).
 */
#ifndef CHAOSD_IMAGES_H
#define CHAOSD_IMAGES_H

#include <stdbool.h>
#include <stdint.h>

#include "hv_ops.h"

#define CHAOSD_IMAGES_MAX 4

struct cached_image {
    char *path;
    chaos_image *img;
    struct chaos_image_id id;
    unsigned refs; /* the cache's own + restores using it */
    uint64_t used; /* last use, for LRU */
};

struct image_cache {
    const struct chaosd_hv_ops *hv;
    struct cached_image *slot[CHAOSD_IMAGES_MAX];
    uint64_t clock;
    uint64_t hits, misses; /* statistics */
};

void images_init(struct image_cache *c, const struct chaosd_hv_ops *hv);
/* Drops every image the cache holds (those in use live on until their
 * restore gives them back). */
void images_clear(struct image_cache *c);

/*
 * The image kept for path, if its file is still the one that was opened
 * (stat(2) now); a reference for the caller, or NULL.  An entry whose
 * file changed is dropped.
 */
struct cached_image *images_get(struct image_cache *c, const char *path);

/*
 * Keeps img (opened from path by the work queue) for later restores,
 * replacing an entry of the same path and dropping the least recently
 * used one when full.  Returns a reference for the caller (the image is
 * the cache's now), or NULL when out of memory (img closed).
 */
struct cached_image *images_put(struct image_cache *c, const char *path,
                                chaos_image *img);

void images_unref(struct image_cache *c, struct cached_image *e);

#endif /* CHAOSD_IMAGES_H */
