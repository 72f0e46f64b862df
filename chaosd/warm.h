/*
 * warm.h - warm template pools (docs/chaosd.md, "Warm template pools"):
 * a template pool's guest, once restored, resumed ahead at an address of
 * chaosd's until its console says it is up again, and paused with its
 * supervisor kept, so that a create only renames and unpauses it.
 * warm_up() runs on a builder (it blocks); the rest anywhere.
 */
#ifndef CHAOSD_WARM_H
#define CHAOSD_WARM_H

#include <stddef.h>
#include <stdint.h>

#include "chaos.h"

struct chaosd;
struct template_image;

#define WARM_MAC_LEN 18 /* "00:16:3e:0a:1b:2c" */
#define WARM_IP_LEN 20  /* "255.255.255.255/32" */

/* What a warm flavor says (struct chaosd_flavor's template_warm*). */
struct warm_spec {
    const char *ready;   /* the console text that says it is up */
    uint32_t ip_base;    /* host order; the guest's is + its domid */
    unsigned ip_len;     /* prefix length; 0: none given */
    unsigned timeout_ms; /* from its unpause to the text */
};

/*
 * Warms domid, a guest restored paused from tpl under the handle uuid:
 * its first vif at spec's address (the others without one), a
 * supervisor started on ctx, unpaused until a console line holds
 * spec->ready, paused again.  0 with *sup (the caller's), mac and ip
 * (its first vif's; "" without one), or a negative errno with why in err,
 * the guest destroyed and its log removed.  Gives up when chaosd stops.
 */
int warm_up(struct chaosd *d, chaos_ctx *ctx, struct template_image *tpl,
            const uint8_t uuid[16], chaos_domid domid,
            const struct warm_spec *spec, chaos_supervisor **sup,
            char mac[WARM_MAC_LEN], char ip[WARM_IP_LEN], char *err,
            size_t errlen);

/* A template pool guest's name while it waits in its pool
 * (chaosd-tpl-HEX, from its handle), and that name's console log. */
void warm_guest_name(const uint8_t uuid[16], char *name, size_t len);
void warm_guest_log(const uint8_t uuid[16], char *path, size_t len);

#endif /* CHAOSD_WARM_H */
