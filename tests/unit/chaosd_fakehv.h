/*
 * chaosd_fakehv.h - a fake hypervisor behind chaosd's ops table
 * (chaosd/hv_ops.h), for unit tests of the daemon's logic: domains are
 * entries in a table, shells and contexts are heap objects it counts, and
 * faults are injected on demand.  It keeps libchaos's contracts: a failed
 * prepare or create leaves nothing, a failed execute destroys the shell's
 * domain, execute and discard consume the shell.  Thread-safe: chaosd
 * calls it from libuv's work queue.
 */
#ifndef CHAOSD_FAKEHV_H
#define CHAOSD_FAKEHV_H

#include <stdbool.h>
#include <stdint.h>

#include "hv_ops.h"

#define FAKEHV_MAX_DOMS 64

struct fakehv_dom {
    chaos_domid domid;
    uint8_t uuid[16];
    char name[64];
    uint64_t memory_mib;
    bool built;  /* executed or created: libchaos's registry
                                  knows it (domain_console succeeds) */
    bool paused; /* restored with CHAOS_RESTORE_PAUSED, not unpaused */
    /* restored guests: their vifs' MACs (CHAOS_RESTORE_NEW_MACS: new
     * ones; else the config's) and addresses (chaos_domain_readdress) */
    unsigned n_vifs;
    uint8_t macs[8][6];
    char ips[8][20];   /* "A.B.C.D" or "A.B.C.D/LEN"; "": none */
    char cmdline[128]; /* the command line it was started with */
};

struct fakehv {
    struct fakehv_dom doms[FAKEHV_MAX_DOMS]; /* dom0 not included */
    unsigned n_doms;
    chaos_domid next_domid;
    /* faults: how many of the next calls fail */
    unsigned fail_prepare, fail_execute, fail_create;
    unsigned fail_image; /* restore: the image is refused (shell kept) */
    unsigned fail_open;  /* opening an image fails (its CRC) */
    unsigned fail_load;  /* an image shell's load fails (shell discarded) */
    /* image shells loaded before image_gen changed are stale (a kernel
     * file rewritten): chaos_shell_image_fits says -ESTALE */
    unsigned image_gen;
    /* restore: what image_config returns for any path (xl.cfg text);
     * NULL: an image's file holds its config text (template_boot writes
     * the template's there) */
    const char *image_config;
    /* template pools: builds that fail (no ready line), renames that do */
    unsigned fail_template, fail_rename;
    unsigned template_boots, renames, unpauses;
    unsigned fail_readdress, readdresses;
    unsigned macs_made; /* NEW_MACS: 00:16:3e:00:00:N, N counting */
    /* what chaosd did */
    unsigned prepares, executes, creates, discards, destroys;
    unsigned restores_pool, restores_direct, restores_in_place;
    unsigned prepares_in_place;
    unsigned loads, executes_image;    /* image shells loaded, started */
    unsigned image_opens, images_live; /* images opened, open now */
    unsigned ctxs_open;                /* contexts open now */
    unsigned shells_live; /* prepared and neither executed nor discarded */
    /* supervisors prepared ahead: how many, open now (closed ones go),
     * and how many of the next prepares fail */
    unsigned sups_prepared, sups_live, fail_sup_prepare;
    /* warm template guests resumed (a supervisor each, counted live
     * above), and how many of the next warm-ups fail */
    unsigned warms, fail_warm;
};

extern struct fakehv fakehv;
extern const struct chaosd_hv_ops fakehv_ops;

/* Forgets everything (domids start at 1 again). */
void fakehv_reset(void);
/* A domain chaosd did not make in this process (an earlier chaosd did). */
chaos_domid fakehv_add_domain(const uint8_t uuid[16], bool built);
/* The domain with that id, or NULL. */
const struct fakehv_dom *fakehv_find(chaos_domid domid);
/* The domain disappears behind chaosd's back (`xl destroy`). */
void fakehv_vanish(chaos_domid domid);

#endif /* CHAOSD_FAKEHV_H */
