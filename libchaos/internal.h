/*
 * internal.h - what the parts of libchaos share and the public API hides.
 * Nothing here includes a Xen header: only the hypervisor module
 * (libchaos/hv/, libhv.la) speaks to Xen's libraries, the rest of the
 * library uses the project's own types.  The module does not include this
 * file: it reports its errors into ctx->errmsg through its own handle.
 */
#ifndef CHAOS_INTERNAL_H
#define CHAOS_INTERNAL_H

#include "chaos.h"

#define CHAOS_ERRMSG_MAX 512

struct chaos_hv;   /* the hypervisor connection (hv/hv.h) */
struct kernel_lru; /* decompressed kernels (kernel_cache.c), or NULL */

struct chaos_ctx {
    struct chaos_hv *hv;
    struct kernel_lru *kernel_lru;
    uint64_t kernel_lru_hits, kernel_lru_misses;
    char errmsg[CHAOS_ERRMSG_MAX];
};

/*
 * Records a failure on the context and returns code (a negative errno value),
 * so call sites read:  return chaos__fail(ctx, -EINVAL, "bad %s", what);
 */
int chaos__fail(chaos_ctx *ctx, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clears the last error; called at the start of every public operation. */
void chaos__clear_error(chaos_ctx *ctx);

/* chaos__clear_error, then -ENODEV with a message when the context has no
 * hypervisor handle (its chaos_open() failed): the start of every public
 * operation that talks to Xen. */
int chaos__need_hv(chaos_ctx *ctx);

/*
 * Every domain, ordered by domid, without names (host.c): returns the count
 * and sets *list (free()), or a negative errno.  For callers that name only
 * some of them.
 */
int chaos__domain_list_raw(chaos_ctx *ctx, struct chaos_dominfo **list);

/* Fills in the names chaos recorded for the domains in list (domain.c). */
/* Names the entries of list that have none (records, else XenStore);
 * with skip_dying, not the dying ones. */
void chaos__fill_names(chaos_ctx *ctx, struct chaos_dominfo *list, int n,
                       bool skip_dying);

/* domain.c: the hypervisor's description of a new domain for cfg, after
 * checking that its memory is free (a created and a restored guest). */
struct hv_shell_spec;
int chaos__domain_spec(chaos_ctx *ctx, const chaos_config *cfg,
                       struct hv_shell_spec *spec);

/* What creating and restoring share (domain.c; snapshot.c restores). */
struct registry_record;
/* The record of a live domain chaos created; -ENOENT if none or stale. */
int chaos__live_record(chaos_ctx *ctx, chaos_domid domid,
                       struct registry_record *rec);
/* The same, with Xen's look at the domain already made (info). */
int chaos__record_of(const struct chaos_dominfo *info,
                     struct registry_record *rec);
/* Removes what chaos kept of a domain that is gone (devices, record). */
void chaos__forget(chaos_domid domid);
/* Takes name for the domain domid with its final handle uuid (released
 * with registry_release_name); -EEXIST with a message if it is taken. */
int chaos__claim_name(chaos_ctx *ctx, const char *name, chaos_domid domid,
                      const uint8_t uuid[16]);

/* How a rename writes the guest's name keys into its private store:
 * -ENOENT when it has none. */
struct chaos__store_writer {
    int (*write)(chaos_ctx *ctx, chaos_domid domid, const char *path,
                 const char *value, void *opaque);
    void *opaque;
};
/* chaos_domain_rename(), the store written by w: a supervisor renaming
 * the guest it serves writes into its own store, in process (its socket
 * would wait for the very thread that asks). */
int chaos__domain_rename(chaos_ctx *ctx, chaos_domid domid,
                         const char *new_name,
                         const struct chaos__store_writer *w);

/* Starts the log of a console server served without one (a supervisor
 * prepared before its guest had a name): console_server_start_log. */
int chaos__console_server_start_log(chaos_ctx *ctx, chaos_console_server *srv,
                                    const char *log_path);
/* Moves its log to log_path (a guest renamed while it runs):
 * console_server_move_log. */
int chaos__console_server_move_log(chaos_ctx *ctx, chaos_console_server *srv,
                                   const char *log_path);
/* console_server_closes() of the server inside srv. */
unsigned chaos__console_server_closes(const chaos_console_server *srv);

/*
 * A shell (chaos.h), prepared ahead for a create (hv: libxenguest's
 * builder state, domain.c) or, with hv NULL, for a restore
 * (snapshot_restore.c: a domain with limits, event channels and devices
 * but no memory, which the image's stream populates).
 */
struct hv_shell;
struct hv_inplace_shell;
struct devices;
struct shell_image;
struct chaos_shell {
    struct hv_shell *hv;   /* NULL: a restore shell */
    chaos_domid domid;     /* a restore shell's domain */
    uint8_t uuid[16];      /* a create shell's handle, as prepared */
    uint32_t console_port; /* a restore shell's: the guest's ports */
    uint32_t store_port;
    struct hv_inplace_shell *inplace; /* a restore shell with its RAM
                                         populated for an in-place restore */
    enum chaos_guest_type type;
    uint64_t memory_mib;
    uint64_t maxmem_mib;
    unsigned max_vcpus;
    enum chaos_tsc_mode tsc_mode;
    struct devices *devs; /* its devices: a control device at least */
    char *device_key;     /* chaos_config_shell_devices() of its config */
    uint64_t prepare_ns;
    struct shell_image *image; /* chaos_shell_load's: the image built into
                                  it (shell_image.h); NULL: none */
};
/* A loaded shell's console ring and event channel (the guest's), as its
 * build made them, and its handle; -EINVAL if no image was loaded. */
int chaos__shell_console(const chaos_shell *shell, uint64_t *frame,
                         uint32_t *port, uint8_t uuid[16]);
/* The devices and the description every shell gets once its domain
 * exists (domain.c); on failure the shell is discarded. */
int chaos__shell_finish(chaos_ctx *ctx, chaos_shell *shell,
                        const chaos_config *cfg, uint64_t t0,
                        chaos_shell **shellp);

#endif /* CHAOS_INTERNAL_H */
