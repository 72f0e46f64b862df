/*
 * hv_ops.h - every call chaosd makes to libchaos about contexts, shells
 * and domains goes through one table, so that the daemon's logic (pools,
 * refills, creates, recovery) runs in unit tests against a fake
 * hypervisor with fault injection (tests/unit/chaosd_fakehv.c) instead
 * of Xen.  chaosd_hv_libchaos forwards each entry to the libchaos
 * function of the same name; struct chaosd holds the table in use.
 *
 * The contract of each entry is that of its libchaos function (chaos.h):
 * a fake must keep it (a failed execute destroys the shell's domain, a
 * failed prepare or create leaves nothing behind) or the tests prove
 * nothing.  Pure libchaos code (configs, names) is called directly.
 */
#ifndef CHAOSD_HV_OPS_H
#define CHAOSD_HV_OPS_H

#include <stdatomic.h>

#include "chaos.h"

/* What template_boot needs (template_build.c). */
struct chaosd_template_boot {
    const chaos_config *cfg;   /* validated; its name and uuid set */
    const char *ready;         /* the text a console line must hold */
    unsigned timeout_ms;       /* from the create to the line */
    const char *image_path;    /* where the saved guest goes */
    const char *log_path;      /* its console log (replaced) */
    const atomic_bool *cancel; /* set: give up (chaosd is stopping) */
};

/* What template_warm needs (template_build.c). */
struct chaosd_template_warm {
    chaos_domid domid;         /* a template's guest, restored paused */
    const chaos_config *addrs; /* its vifs' new addresses
                                  (chaos_domain_readdress), or NULL */
    const char *ready;         /* the text a console line must hold */
    const char *log_path;      /* its console log (replaced) */
    unsigned timeout_ms;       /* from the unpause to the line */
    const atomic_bool *cancel; /* set: give up (chaosd is stopping) */
};

struct chaosd_hv_ops {
    /* contexts: one for the loop thread, one per builder */
    int (*open)(chaos_ctx **ctxp);
    void (*close)(chaos_ctx *ctx);
    const char *(*errmsg)(const chaos_ctx *ctx);
    int (*kernel_cache_enable)(chaos_ctx *ctx, uint64_t max_bytes);
    void (*kernel_cache_stats)(const chaos_ctx *ctx,
                               struct chaos_kernel_cache_stats *out);
    /* shells */
    int (*shell_prepare)(chaos_ctx *ctx, const chaos_config *cfg,
                         chaos_shell **shellp);
    chaos_domid (*shell_domid)(const chaos_shell *shell);
    int (*shell_execute)(chaos_ctx *ctx, chaos_shell *shell,
                         const chaos_config *cfg, unsigned flags,
                         struct chaos_create_timings *timings);
    void (*shell_discard)(chaos_ctx *ctx, chaos_shell *shell);
    /* image flavors' shells: built ahead, checked at take */
    int (*shell_load)(chaos_ctx *ctx, chaos_shell *shell,
                      const chaos_config *cfg, unsigned flags,
                      struct chaos_create_timings *timings);
    int (*shell_image_fits)(const chaos_shell *shell, const chaos_config *cfg,
                            char *why, size_t len);
    /* a ready item's supervisor (an image shell's, a template pool's
     * guest's), prepared ahead on the loop (refill.c) and begun by the
     * create (guests.c); closed if the item is given back */
    int (*supervisor_prepare)(chaos_ctx *ctx, chaos_domid domid,
                              const chaos_shell *shell, chaos_supervisor **out);
    void (*supervisor_close)(chaos_ctx *ctx, chaos_supervisor *sup);
    /* a warm template pool's guest: renamed for the request that takes
     * it, its log with it (create.c); destroyed when given back */
    int (*supervisor_rename)(chaos_ctx *ctx, chaos_supervisor *sup,
                             const char *new_name);
    int (*supervisor_destroy_domain)(chaos_ctx *ctx, chaos_supervisor *sup);
    /* restores (restore.c) and the images kept open (images.c) */
    int (*restore_shell_prepare)(chaos_ctx *ctx, const chaos_config *cfg,
                                 unsigned flags, chaos_shell **shellp);
    int (*image_config)(chaos_ctx *ctx, const char *path,
                        const char *const *overrides, unsigned n,
                        chaos_config **cfgp);
    int (*image_open)(chaos_ctx *ctx, const char *path, unsigned flags,
                      chaos_image **imgp);
    void (*image_close)(chaos_image *img);
    void (*image_id)(const chaos_image *img, struct chaos_image_id *out);
    bool (*image_in_place)(const chaos_image *img);
    int (*image_config_of)(chaos_ctx *ctx, const chaos_image *img,
                           const char *const *overrides, unsigned n,
                           chaos_config **cfgp);
    int (*image_restore)(chaos_ctx *ctx, chaos_shell **shellp,
                         const chaos_image *img, const char *const *overrides,
                         unsigned n, unsigned flags, chaos_domid *domid,
                         struct chaos_restore_timings *timings);
    /* domains */
    int (*domain_create)(chaos_ctx *ctx, const chaos_config *cfg,
                         unsigned flags, chaos_domid *domid,
                         struct chaos_create_timings *timings);
    int (*domain_destroy)(chaos_ctx *ctx, chaos_domid domid);
    int (*domain_list)(chaos_ctx *ctx, struct chaos_dominfo **list);
    void (*dominfo_free)(struct chaos_dominfo *list);
    int (*domain_info)(chaos_ctx *ctx, chaos_domid domid,
                       struct chaos_dominfo *out);
    int (*domain_lookup)(chaos_ctx *ctx, const char *name_or_id,
                         chaos_domid *out);
    int (*domain_shutdown)(chaos_ctx *ctx, chaos_domid domid,
                           enum chaos_shutdown_kind kind);
    int (*domain_console)(chaos_ctx *ctx, chaos_domid domid, uint64_t *frame,
                          uint32_t *port);
    int (*physinfo)(chaos_ctx *ctx, struct chaos_physinfo *out);
    /* template pools: a restored guest takes the request's name and
     * runs (create.c) */
    int (*domain_rename)(chaos_ctx *ctx, chaos_domid domid,
                         const char *new_name);
    int (*domain_unpause)(chaos_ctx *ctx, chaos_domid domid);
    /* a template pool's guest takes the request's MACs and addresses
     * before it first runs */
    int (*domain_readdress)(chaos_ctx *ctx, chaos_domid domid,
                            const chaos_config *cfg);
    /*
     * Boots b->cfg, waits for its console line, saves it into
     * b->image_path and destroys it (template_build.c).  0, or a negative
     * errno with why in err (len bytes); on failure no domain and no file
     * at b->image_path is left.  Blocks: the work queue calls it.
     */
    int (*template_boot)(chaos_ctx *ctx, const struct chaosd_template_boot *b,
                         char *err, size_t len);
    /*
     * A warm template pool's guest (template_build.c): w->addrs given to
     * it, a supervisor started for it (*sup, the caller's), unpaused until
     * a console line holds w->ready, paused again; its first vif's MAC in
     * mac (maclen bytes; "" without one).  0, or a negative errno with
     * why in err (len bytes); on failure the supervisor is closed, the
     * guest destroyed if it was served (else the caller destroys it) and
     * its log removed.  Blocks: a builder calls it.
     */
    int (*template_warm)(chaos_ctx *ctx, const struct chaosd_template_warm *w,
                         chaos_supervisor **sup, char *mac, size_t maclen,
                         char *err, size_t len);
};

/* template_build.c: the real template_boot (libchaos, Xen). */
int chaosd_template_boot(chaos_ctx *ctx, const struct chaosd_template_boot *b,
                         char *err, size_t len);

/* template_build.c: the real template_warm. */
int chaosd_template_warm(chaos_ctx *ctx, const struct chaosd_template_warm *w,
                         chaos_supervisor **sup, char *mac, size_t maclen,
                         char *err, size_t len);

/* The real one: libchaos, Xen. */
extern const struct chaosd_hv_ops chaosd_hv_libchaos;

#endif /* CHAOSD_HV_OPS_H */
