/*
 * template.h - template pools (issue 13 §1; docs/chaosd.md "Template
 * pools"): a flavor names a guest config; chaosd boots it once until its
 * console prints the ready line, saves it into an image (the *template*,
 * template_build.c does the boot and save) and keeps the flavor's pool
 * full of guests restored from that image, paused.  A create whose config
 * is the template's (its name aside) takes one: rename, unpause.
 *
 * The template's identity is the status (device, inode, size, mtime) of
 * its kernel, ramdisk and config files when it was built; once one of
 * them changed the template is stale: its idle guests are destroyed, its
 * image dropped, and it is built again.
 *
 * Everything here runs on the loop thread but the build itself.
 */
#ifndef CHAOSD_TEMPLATE_H
#define CHAOSD_TEMPLATE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "chaos.h"
#include "conf.h"
#include "pool.h"

struct chaosd;

/* A template's image, shared by the restores reading it (refcounted on the
 * loop thread): closed and its file removed with the last reference. */
struct template_image {
    chaos_image *img;
    char path[640];
    unsigned refs;
};

/* The status of one file the template was built from. */
struct template_file {
    char path[256];
    uint64_t dev, ino, size;
    int64_t mtime_ns;
};

struct template
{
    unsigned flavor_id; /* the pool flavor's id; 0: slot free */
    char flavor[CHAOSD_FLAVOR_NAME_MAX + 1];
    bool building;
    atomic_bool cancel;   /* the build gives up (chaosd stops) */
    unsigned gen;         /* builds started: older guests are stale */
    uint64_t retry_at_ns; /* after a failed build: not before */
    char *key;            /* the config's text, name and uuid aside */
    unsigned n_files;     /* kernel, ramdisk, the config file */
    struct template_file files[3];
    struct template_image *image; /* NULL: not built (yet) */
};

struct templates {
    struct template t[CHAOSD_MAX_FLAVORS];
    uv_timer_t retry; /* wakes the refill after a failed build */
    bool retry_ready;
    unsigned retry_ms; /* 0: TEMPLATE_RETRY_MS (tests shorten it) */
};

/* Drops stale templates (their idle guests destroyed) and those of
 * flavors gone, and holds the template flavors that cannot be refilled
 * now (being built, or waiting after a failure).  refill_kick calls it. */
void template_update(struct chaosd *d);

/*
 * A refill picked template flavor i (pool_next_refill counted it as
 * filling): with its template built, *img is a reference to its image to
 * restore a guest from, and *gen its generation: true.  Otherwise the
 * build starts (the fill is the build) or fails at once: false.
 */
bool template_refill(struct chaosd *d, int i, struct template_image **img,
                     unsigned *gen);

/* Whether guests of generation gen of that flavor are still current. */
bool template_current(struct chaosd *d, unsigned flavor_id, unsigned gen);

void template_image_unref(struct chaosd *d, struct template_image *ti);

/*
 * A paused guest of a template flavor whose template is cfg (its text,
 * name, uuid and vifs' MACs and addresses aside: template_key; cfg has no
 * uuid), built from files that did not
 * change since, taken from its pool into *item: the flavor's index, or -1.
 * A stale template found here is dropped (its guests destroyed).
 */
int template_take(struct chaosd *d, const chaos_config *cfg,
                  struct pool_item *item);

/* Stopping: builds in flight give up; the retry timer is closed. */
void template_stop(struct chaosd *d);
/* After the loop: every template's image closed and its file removed. */
void template_clear(struct chaosd *d);

/* The text a config is matched by: chaos_config_to_text without its name
 * and uuid lines, its vifs without their mac= and ip= (each guest of a
 * template pool has its own: the take gives it the request's) (malloc'd;
 * NULL: out of memory). */
char *template_key(const chaos_config *cfg);

#endif /* CHAOSD_TEMPLATE_H */
