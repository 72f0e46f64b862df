/*
 * images.c - images kept open between restores (images.h).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "images.h"

void images_init(struct image_cache *c, const struct chaosd_hv_ops *hv)
{
    memset(c, 0, sizeof(*c));
    c->hv = hv;
}

void images_unref(struct image_cache *c, struct cached_image *e)
{
    if (!e || --e->refs > 0)
        return;
    c->hv->image_close(e->img);
    free(e->path);
    free(e);
}

static void drop(struct image_cache *c, unsigned i)
{
    struct cached_image *e = c->slot[i];
    c->slot[i] = NULL;
    images_unref(c, e);
}

void images_clear(struct image_cache *c)
{
    for (unsigned i = 0; i < CHAOSD_IMAGES_MAX; i++)
        if (c->slot[i])
            drop(c, i);
}

static int find(const struct image_cache *c, const char *path)
{
    for (unsigned i = 0; i < CHAOSD_IMAGES_MAX; i++)
        if (c->slot[i] && !strcmp(c->slot[i]->path, path))
            return (int)i;
    return -1;
}

struct cached_image *images_get(struct image_cache *c, const char *path)
{
    int i = find(c, path);
    if (i < 0) {
        c->misses++;
        return NULL;
    }
    struct cached_image *e = c->slot[i];
    struct stat st;
    /* What chaos save does to an image is write a new file and rename
     * it over: another inode.  An edit in place changes the mtime. */
    if (stat(path, &st) != 0 || (uint64_t)st.st_dev != e->id.dev ||
        (uint64_t)st.st_ino != e->id.ino ||
        (uint64_t)st.st_size != e->id.size ||
        (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec !=
            e->id.mtime_ns) {
        drop(c, (unsigned)i);
        c->misses++;
        return NULL;
    }
    c->hits++;
    e->used = ++c->clock;
    e->refs++;
    return e;
}

struct cached_image *images_put(struct image_cache *c, const char *path,
                                chaos_image *img)
{
    struct cached_image *e = calloc(1, sizeof(*e));
    if (!e || !(e->path = strdup(path))) {
        free(e);
        c->hv->image_close(img);
        return NULL;
    }
    e->img = img;
    c->hv->image_id(img, &e->id);
    e->used = ++c->clock;
    e->refs = 2; /* the cache's and the caller's */
    int i = find(c, path);
    if (i < 0) { /* a free slot, else the least recently used one */
        i = 0;
        for (unsigned j = 0; j < CHAOSD_IMAGES_MAX; j++) {
            if (!c->slot[j]) {
                i = (int)j;
                break;
            }
            if (c->slot[j]->used < c->slot[i]->used)
                i = (int)j;
        }
    }
    if (c->slot[i])
        drop(c, (unsigned)i);
    c->slot[i] = e;
    return e;
}
