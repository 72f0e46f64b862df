/*
 * chaos.h - the public interface of libchaos, a LightVM-style Xen toolstack.
 *
 * Conventions (they hold for every function below):
 *  - Every public name starts with chaos_ / CHAOS_.
 *  - Handles are opaque.  A chaos_ctx is not thread-safe: use one per thread.
 *  - Functions that can fail return 0 (or a non-negative count) on success
 *    and a negative errno-style code on failure; chaos_errmsg(ctx) then
 *    describes the cause.  The library never prints and never exits.
 *  - Ownership: pointers passed in are borrowed for the duration of the call
 *    unless stated otherwise; memory returned through out-parameters belongs
 *    to the caller and is released with the matching chaos_*_free().
 */
#ifndef CHAOS_H
#define CHAOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CHAOS_VERSION_MAJOR 0
#define CHAOS_VERSION_MINOR 1
#define CHAOS_VERSION_PATCH 0
/* One number that compares: CHAOS_VERSION >= CHAOS_MKVERSION(0, 1, 0). */
#define CHAOS_MKVERSION(maj, min, pat) (((maj) << 16) | ((min) << 8) | (pat))
#define CHAOS_VERSION                                         \
    CHAOS_MKVERSION(CHAOS_VERSION_MAJOR, CHAOS_VERSION_MINOR, \
                    CHAOS_VERSION_PATCH)

/* Version of the library actually linked, as "MAJOR.MINOR.PATCH".  Static. */
const char *chaos_version_string(void);

/* ------------------------------------------------------------------ */
/* Context                                                             */
/* ------------------------------------------------------------------ */

typedef struct chaos_ctx chaos_ctx;

/*
 * Opens the hypervisor interfaces (needs root in dom0 and the Xen device
 * drivers).  On success *ctxp is a new context.  On failure the return value
 * is negative and *ctxp is still a context whose chaos_errmsg() says why
 * (or NULL if even that could not be allocated, with -ENOMEM); release it
 * with chaos_close() in both cases.
 */
int chaos_open(chaos_ctx **ctxp);

/* Releases every resource of the context.  NULL is accepted. */
void chaos_close(chaos_ctx *ctx);

/*
 * Text describing the last failure on this context ("" if none).  The string
 * belongs to the context and stays valid until the next call on it.
 */
const char *chaos_errmsg(const chaos_ctx *ctx);

/*
 * The directory chaos keeps its run-time state in: domain records and the
 * name index (domains/, names/), console sockets (console/), chaosd's
 * records (chaosd/).  $CHAOS_RUN_DIR when set and not empty, else
 * "/run/chaos".  Every path chaos uses under it is derived from this one
 * call.  The string is the environment's or static: do not free it.
 */
const char *chaos_run_dir(void);

/* ------------------------------------------------------------------ */
/* Host                                                                */
/* ------------------------------------------------------------------ */

struct chaos_physinfo {
    unsigned nr_cpus;
    unsigned nr_nodes;
    unsigned cores_per_socket;
    unsigned threads_per_core;
    unsigned cpu_khz;
    uint64_t total_bytes; /* host memory */
    uint64_t free_bytes;  /* memory not owned by any domain */
    unsigned xen_major, xen_minor;
    char xen_extra[32]; /* e.g. ".7" */
    bool cap_pv;        /* PV guests supported */
    bool cap_hvm;       /* HVM/PVH guests supported */
    bool cap_hap;       /* hardware-assisted paging (needed by PVH) */
    bool cap_shadow;    /* shadow paging (log-dirty for PV) */
};

int chaos_physinfo(chaos_ctx *ctx, struct chaos_physinfo *out);

/* ------------------------------------------------------------------ */
/* Domains                                                             */
/* ------------------------------------------------------------------ */

typedef uint32_t chaos_domid;

enum chaos_dom_state {
    CHAOS_DOM_RUNNING, /* running or runnable */
    CHAOS_DOM_BLOCKED,
    CHAOS_DOM_PAUSED,
    CHAOS_DOM_SHUTDOWN, /* shut down, not yet destroyed */
    CHAOS_DOM_CRASHED,
    CHAOS_DOM_DYING,
};

struct chaos_dominfo {
    chaos_domid domid;
    char name[64]; /* "" when the domain has no known name */
    enum chaos_dom_state state;
    bool pvh_or_hvm;    /* false: PV */
    unsigned vcpus;     /* online vCPUs */
    uint64_t mem_bytes; /* memory currently owned */
    uint64_t maxmem_bytes;
    uint64_t cpu_time_ns;
    int shutdown_reason; /* valid when state is SHUTDOWN/CRASHED */
    uint8_t uuid[16];    /* Xen's domain handle */
};

/* Xen's shutdown reason codes, by name: "poweroff", "reboot", "suspend",
 * "crash", "watchdog", "soft_reset", or "unknown".  Static. */
const char *chaos_shutdown_reason_name(int reason);

/* Stable lower-case name of a state ("running", "paused", ...). Static. */
const char *chaos_dom_state_name(enum chaos_dom_state state);

/*
 * Lists every domain on the host, ordered by domid.  On success returns the
 * number of entries and sets *list to an array the caller releases with
 * chaos_dominfo_free().
 */
int chaos_domain_list(chaos_ctx *ctx, struct chaos_dominfo **list);
void chaos_dominfo_free(struct chaos_dominfo *list);

/* Information about one domain; -ESRCH if there is none with that id. */
int chaos_domain_info(chaos_ctx *ctx, chaos_domid domid,
                      struct chaos_dominfo *out);

/*
 * Finds a domain by name, or by id when the text is a number.  Names are
 * those given at creation by chaos (and "Domain-0").  -ESRCH if none.
 */
int chaos_domain_lookup(chaos_ctx *ctx, const char *name_or_id,
                        chaos_domid *out);

/* ------------------------------------------------------------------ */
/* Creating domains: prepare, then execute                             */
/* ------------------------------------------------------------------ */

/* The configuration type (chaos_config) is declared further down. */
typedef struct chaos_config chaos_config;

/* Flags for chaos_domain_create() and chaos_shell_execute(). */
#define CHAOS_CREATE_PAUSED (1u << 0) /* leave the new guest paused */

/* How long each phase of one creation took, in nanoseconds. */
struct chaos_create_timings {
    uint64_t prepare_ns; /* domain, limits, vCPUs, memory, event channels */
    uint64_t load_ns;    /* reading kernel and ramdisk */
    uint64_t build_ns;   /* parse, load into the guest, start info, vCPU */
    uint64_t start_ns;   /* unpause */
    uint64_t total_ns;
    bool kernel_cached; /* the kernel came from the context's kernel
                              cache (chaos_kernel_cache_enable) */
};

/*
 * A shell is a domain after the prepare phase: created and paused, limits,
 * vCPUs, TSC/CPUID policy, event channels set, memory populated, and no
 * kernel.  Shells are how chaosd does the expensive work ahead of time.
 * A shell belongs to the process (and context) that prepared it.
 */
typedef struct chaos_shell chaos_shell;

/*
 * Prepares a shell for guests like cfg: uses its type, memory, maxmem,
 * vcpus/maxvcpus and uuid (kernel, name, cmdline are not needed yet).
 * On success *shellp is a shell the caller passes to chaos_shell_execute()
 * or chaos_shell_discard().  On failure nothing is left behind.
 */
int chaos_shell_prepare(chaos_ctx *ctx, const chaos_config *cfg,
                        chaos_shell **shellp);

/* The id of the shell's domain. */
chaos_domid chaos_shell_domid(const chaos_shell *shell);

/*
 * Executes cfg in a shell: loads its kernel, ramdisk and command line,
 * names the domain and starts it (or leaves it paused with
 * CHAOS_CREATE_PAUSED).  cfg must ask for the shell's type, memory and
 * vCPUs.  The shell is consumed in every case: on success the guest runs
 * with id chaos_shell_domid(); on failure its domain is destroyed.
 * timings may be NULL.
 */
int chaos_shell_execute(chaos_ctx *ctx, chaos_shell *shell,
                        const chaos_config *cfg, unsigned flags,
                        struct chaos_create_timings *timings);

/*
 * Image shells (chaosd's image pools): loads cfg's kernel, ramdisk and
 * command line into a shell ahead of time and builds it (start info,
 * page tables, vCPU context), everything execute does that depends on the
 * image alone.  chaos_shell_execute() of the shell then checks that its
 * config asks for the same image (the same kernel and ramdisk files,
 * unchanged since: device, inode, size and modification time; the same
 * command line and xenstore setting), claims the name, sets the handle,
 * writes the devices and starts the guest; its timings show load_ns and
 * build_ns 0.  cfg must fit the shell as for execute (type, memory,
 * vCPUs, devices).  On failure the shell is discarded (its domain
 * destroyed) and must not be used again.  timings may be NULL.
 */
int chaos_shell_load(chaos_ctx *ctx, chaos_shell *shell,
                     const chaos_config *cfg,
                     struct chaos_create_timings *timings);

/* Flags for chaos_shell_load_flags(). */
/* The command line is each create's: the image is built with room for
 * any line up to CHAOS_CMDLINE_MAX bytes, and chaos_shell_execute()
 * writes its config's line into the guest before it first runs, whatever
 * cfg's line was at the load (image_fits then ignores the line). */
#define CHAOS_LOAD_ANY_CMDLINE (1u << 0)
/* The longest command line a guest can be given (Xen's MAX_GUEST_CMDLINE
 * less its NUL). */
#define CHAOS_CMDLINE_MAX 1023

/* chaos_shell_load() with flags (CHAOS_LOAD_*; 0 is chaos_shell_load). */
int chaos_shell_load_flags(chaos_ctx *ctx, chaos_shell *shell,
                           const chaos_config *cfg, unsigned flags,
                           struct chaos_create_timings *timings);

/*
 * Whether chaos_shell_execute(shell, cfg) would start the image the shell
 * holds: 0 if so; else why in why (len bytes) and -ENOENT (the shell holds
 * no image), -EINVAL (cfg asks for another image) or -ESTALE (a file
 * changed since it was loaded: the shell is stale, discard it).  Reads
 * the files' status only; no context, so any thread may ask.
 */
int chaos_shell_image_fits(const chaos_shell *shell, const chaos_config *cfg,
                           char *why, size_t len);

/* Destroys an unused shell's domain and frees it.  NULL is accepted. */
void chaos_shell_discard(chaos_ctx *ctx, chaos_shell *shell);

/*
 * Creates a guest from a validated config: prepare, then execute.  On
 * success *domid is the new domain.  On failure no domain, memory or event
 * channel is left behind.  timings may be NULL.
 */
int chaos_domain_create(chaos_ctx *ctx, const chaos_config *cfg, unsigned flags,
                        chaos_domid *domid,
                        struct chaos_create_timings *timings);

/* Destroys a domain at once (like `xl destroy`), and forgets its name and
 * what a server of it that died left in the run directory (its records,
 * a lock file nobody holds, sockets nobody listens on). */
int chaos_domain_destroy(chaos_ctx *ctx, chaos_domid domid);

int chaos_domain_pause(chaos_ctx *ctx, chaos_domid domid);
int chaos_domain_unpause(chaos_ctx *ctx, chaos_domid domid);

enum chaos_shutdown_kind {
    CHAOS_SHUTDOWN_POWEROFF,
    CHAOS_SHUTDOWN_REBOOT,
};

/*
 * Asks the guest to shut down (or reboot), like `xl shutdown`: the request
 * goes to control/shutdown in the guest's private XenStore (through its
 * supervisor), to a noxs guest's control device, or for a guest another
 * toolstack made to xenstored's control/shutdown; a guest with none of
 * these cannot receive it (-ENOTSUP).  Returns once
 * the request is written: watch the domain's state to see it happen.
 */
int chaos_domain_shutdown(chaos_ctx *ctx, chaos_domid domid,
                          enum chaos_shutdown_kind kind);

/*
 * Where a guest's console ring is: the frame (an MFN for PV, GFN for PVH)
 * and the guest's console event channel port, as recorded at creation.
 * -ENOENT for domains chaos did not create.
 */
int chaos_domain_console(chaos_ctx *ctx, chaos_domid domid, uint64_t *frame,
                         uint32_t *port);

/* ------------------------------------------------------------------ */
/* Operating running guests: names, memory, vCPUs (domain_admin.c)     */
/* ------------------------------------------------------------------ */

/*
 * Gives domid, a paused guest of chaos that has not run since its devices
 * were set up (restored with CHAOS_RESTORE_PAUSED, or created with
 * CHAOS_CREATE_PAUSED), the MACs and IPv4 addresses of cfg's vifs: a vif
 * that gives a MAC gets it (-EADDRINUSE when another guest of chaos has it
 * on that bridge), one that gives none keeps the guest's; each vif's ip=
 * (or none) is where the guest reads it when it first runs: a noxs guest
 * in its page (docs/noxs.md), a Linux guest in its private store (the vif
 * back end's `ip` key, as libxl writes it; the store is built from the
 * device record and the configuration when its supervisor starts).
 * cfg's vifs must be the guest's (their number and bridges: -EINVAL).  The
 * device page (noxs), the device record and the kept configuration's vifs
 * are rewritten; on failure nothing changed.  -EBUSY when the guest runs
 * or has read its page already, or (Linux) its store is served already or
 * has been used since it was reset; -ENOTSUP for a guest chaos did not
 * create.
 * Serialised host-wide with renames.  chaosd gives each guest it takes
 * from a template pool the request's addresses this way.
 */
int chaos_domain_readdress(chaos_ctx *ctx, chaos_domid domid,
                           const chaos_config *cfg);

/*
 * Renames domid, a guest chaos created, to new_name (xl rename).  All or
 * nothing: the new name is claimed in the index first (-EEXIST when
 * another live domain holds it), then the guest's private store (its
 * `name` keys, Linux guests), the kept configuration and the record are
 * changed, and the old name is released last; a failure on the way puts
 * back what was changed.  Renames are serialised host-wide.  The guest's
 * supervisor (monitor or chaosd) reads the new name when it next acts on
 * the guest (a restart keeps it).  -ENOTSUP for domains chaos did not
 * create, -EINVAL for a name the config parser would refuse.
 */
int chaos_domain_rename(chaos_ctx *ctx, chaos_domid domid,
                        const char *new_name);

/*
 * The configuration chaos kept when it created domid, as xl.cfg text with
 * every key at its effective value (what `chaos list -l` prints).  *text
 * is the caller's: free().  -ENOENT for domains chaos did not create.
 */
int chaos_domain_config_text(chaos_ctx *ctx, chaos_domid domid, char **text);

/*
 * Memory, in KiB as libxl counts it.  The memory target is what the
 * guest's balloon driver aims for: it is written to memory/target in the
 * guest's private store (Linux guests), as libxl_set_memory_target does.
 * -ENOTSUP for a guest with no store, which has no balloon driver to
 * read it (chaos's unikernel lives in the memory it was built with), and
 * for domains chaos did not create; -EINVAL above the maximum.
 * Unlike xl (which lowers Xen's limit to the target, "enforce"), the
 * limit is left where it is: mem-max alone moves it.
 */
int chaos_domain_set_memory_target(chaos_ctx *ctx, chaos_domid domid,
                                   uint64_t target_kib);

/*
 * The most memory domid may own (xl mem-max): Xen's limit becomes max_kib
 * plus libxl's 1 MiB of slack, and a Linux guest's memory/static-max
 * follows.  -EINVAL below what the domain owns now (lower its target
 * first) or at 0; -EPERM for Domain-0.
 */
int chaos_domain_set_maxmem(chaos_ctx *ctx, chaos_domid domid,
                            uint64_t max_kib);

/* CPU bitmaps: bit c of byte c / 8 stands for physical CPU c. */
#define CHAOS_CPUMAP_BYTES 64 /* 512 CPUs */

struct chaos_vcpuinfo {
    unsigned vcpu;
    bool online;
    bool running;         /* on a physical CPU now */
    bool blocked;         /* waiting for an event */
    unsigned cpu;         /* where it runs or ran last (online only) */
    uint64_t cpu_time_ns; /* time it has run */
    uint8_t hard_affinity[CHAOS_CPUMAP_BYTES]; /* where it may run */
    uint8_t soft_affinity[CHAOS_CPUMAP_BYTES]; /* where it prefers to */
};

/*
 * The vCPUs of domid, 0 to its highest (xl vcpu-list): returns how many
 * and sets *list (chaos_vcpuinfo_free()).  Maps cover the host's CPUs
 * (chaos_physinfo's nr_cpus; at most CHAOS_CPUMAP_BYTES * 8).
 */
int chaos_vcpu_list(chaos_ctx *ctx, chaos_domid domid,
                    struct chaos_vcpuinfo **list);
void chaos_vcpuinfo_free(struct chaos_vcpuinfo *list);

/* ------------------------------------------------------------------ */
/* Saving and restoring guests (docs/snapshot.md)                      */
/* ------------------------------------------------------------------ */

/*
 * An image file is a chaos header (format version, the guest's
 * configuration, its device state) and libxenguest's stream of its memory
 * and CPU state.  Saving asks the guest to suspend through its noxs
 * control device (chaos's unikernel), or for a Linux guest through
 * control/shutdown = "suspend" in its private store (its kernel must
 * handle suspend, as Debian's does), writes the image, then
 * destroys the guest, or with CHAOS_SAVE_CHECKPOINT lets it run on (its
 * suspend is cancelled: it carries on where it was, as after `xl save -c`).
 */
#define CHAOS_SAVE_CHECKPOINT (1u << 0) /* the guest keeps running */

/*
 * Saves domid, a guest chaos created, into the file at path (replaced if
 * it exists; written beside it first and renamed at the end).  On failure
 * (the guest cannot suspend or refuses, the disk is full, ...) no file is
 * left at path's temporary name, path is as it was, and the guest runs on
 * as before.  The guest's supervisor sees it suspended and waits: it does
 * not treat a suspend as a poweroff.
 */
int chaos_domain_save(chaos_ctx *ctx, chaos_domid domid, const char *path,
                      unsigned flags);

/* Flags for chaos_domain_restore(). */
#define CHAOS_RESTORE_PAUSED (1u << 0) /* leave the restored guest paused */
/* PVH only: restore in place into a shell whose RAM is populated and
 * zeroed first, copying only the image's non-zero pages from the image
 * mapped in memory (docs/snapshot.md, "In-place restore"). */
#define CHAOS_RESTORE_IN_PLACE (1u << 1)
/* Every vif gets a new MAC (made as at create), neither the saved one nor
 * one the saved configuration or the overrides give: many guests restored
 * from one image (chaosd's template pools) share none.
 * chaos_domain_readdress gives a paused one another afterwards. */
#define CHAOS_RESTORE_NEW_MACS (1u << 2)

/*
 * Restores the image at path into a new domain: the configuration saved in
 * the image, with overrides (n "KEY=VALUE" arguments as `chaos create`
 * takes them, e.g. "name=web2" or a "vif=..." with another MAC) applied on
 * top.  type, memory, maxmem, vcpus and maxvcpus cannot change.  The guest
 * gets a new domain id, a new Xen handle (unless uuid= is given), new
 * event channels, and a rebuilt noxs device page (generation: the saved
 * one plus 1) or, a Linux guest, a new private store (its supervisor
 * serves it; its front ends connect again), with its vifs' saved MACs
 * unless overridden.  A damaged,
 * truncated or incomplete image, another format version, or a
 * configuration that does not fit (memory, a name or MAC in use) is an
 * error naming the problem, and leaves no domain, event channel or
 * descriptor behind.  On success *domid is the guest, running unless
 * CHAOS_RESTORE_PAUSED; serve it with a supervisor as a created guest.
 */
int chaos_domain_restore(chaos_ctx *ctx, const char *path,
                         const char *const *overrides, unsigned n,
                         unsigned flags, chaos_domid *domid);

/*
 * Restores through a shell prepared ahead (chaosd's restore pools).  A
 * restore shell is a chaos_shell prepared for an image instead of a
 * kernel: the domain created paused with cfg's type, maxmem and vCPUs
 * (their limits, the PVH paging pool), the console and store event
 * channels, cfg's devices (as chaos_shell_prepare makes them), and no
 * memory: the image's stream populates it.  With CHAOS_RESTORE_IN_PLACE
 * in flags (PVH only) its RAM is populated, mapped and zeroed instead,
 * for in-place restores only.  chaos_shell_domid() and
 * chaos_shell_discard() take it; chaos_shell_execute() refuses it.  On
 * failure nothing is left behind.
 */
int chaos_restore_shell_prepare(chaos_ctx *ctx, const chaos_config *cfg,
                                unsigned flags, chaos_shell **shellp);

/*
 * The configuration the image at path would be restored with (the saved
 * one, uuid cleared, overrides on top, saved MACs kept): what a caller
 * matches against its restore shells (its type, memory, maxmem,
 * maxvcpus, chaos_config_shell_devices).  Reads the image's header only.
 * On success *cfgp is the caller's (chaos_config_free).
 */
int chaos_image_config(chaos_ctx *ctx, const char *path,
                       const char *const *overrides, unsigned n,
                       chaos_config **cfgp);

/* How long each phase of one restore took, in nanoseconds. */
struct chaos_restore_timings {
    uint64_t prepare_ns; /* the shell: 0 when it was prepared ahead; in
                            place also its RAM populated, mapped, zeroed */
    uint64_t check_ns;   /* the image checked whole, the configuration;
                            in place also the image mapped and indexed */
    uint64_t stream_ns;  /* memory and vCPU state in: libxenguest's
                            restore, or the in-place copy and records */
    uint64_t start_ns;   /* device page, records, unpause */
    uint64_t total_ns;
    /* In place: pages copied (non-zero) and skipped (zero, in the zeroed
     * shell); 0 through libxenguest. */
    uint64_t pages_copied, pages_skipped;
};

/*
 * An image opened once for many restores (chaosd keeps a few): its
 * header read and its whole stream checked (CRC) at open, and with
 * CHAOS_RESTORE_IN_PLACE a PVH image's file also mapped (shared, from the
 * page cache) and its stream indexed, so that each restore from it pays
 * only the copy.  Read-only once open: several threads may restore from
 * one image at the same time (each with its own context).  An image
 * replaced on disk (its file renamed over, as chaos save does) is not
 * seen: compare chaos_image_id() with the path's to decide when to open
 * it again.  A PV image opened with CHAOS_RESTORE_IN_PLACE is opened
 * (not mapped); chaos_image_in_place() says which.
 */
typedef struct chaos_image chaos_image;

/* What identifies an image file's version (stat(2) fields). */
struct chaos_image_id {
    uint64_t dev, ino, size;
    int64_t mtime_ns;
};

int chaos_image_open(chaos_ctx *ctx, const char *path, unsigned flags,
                     chaos_image **imgp);
void chaos_image_close(chaos_image *img); /* NULL ok */
/* The file's identity when it was opened (fstat of the descriptor that
 * was checked). */
void chaos_image_id(const chaos_image *img, struct chaos_image_id *out);
/* True when img can be restored in place (PVH, mapped and indexed). */
bool chaos_image_in_place(const chaos_image *img);
bool chaos_image_pvh(const chaos_image *img);
/* chaos_image_config() from an open image (no file read). */
int chaos_image_config_of(chaos_ctx *ctx, const chaos_image *img,
                          const char *const *overrides, unsigned n,
                          chaos_config **cfgp);

/*
 * chaos_domain_restore() into *shellp, a restore shell whose configuration
 * had the restored one's type, memory, maxmem, maxvcpus and devices
 * (chaos_config_shell_devices; the restored MACs replace the shell's), or
 * into one prepared now when *shellp is NULL (what chaos_domain_restore
 * does).  The image is checked whole, and against the shell, before the
 * shell is touched: such a failure (damaged, incomplete, does not fit)
 * leaves *shellp as it was, the caller's to use again or discard.  Once
 * used, *shellp is set to NULL: the shell is consumed (on a later failure
 * its domain is destroyed and nothing is left).  The guest keeps the
 * shell's Xen handle unless a uuid= override gives one.  timings may be
 * NULL.  CHAOS_RESTORE_IN_PLACE restores a PVH image in place: into
 * *shellp if it was prepared so (chaos_restore_shell_prepare with the
 * flag), else into a populated, zeroed shell made here.
 */
int chaos_shell_restore(chaos_ctx *ctx, chaos_shell **shellp, const char *path,
                        const char *const *overrides, unsigned n,
                        unsigned flags, chaos_domid *domid,
                        struct chaos_restore_timings *timings);

/*
 * chaos_shell_restore() from an open image: the same checks and results,
 * without reading the image again (check_ns: the configuration only; a
 * restore through libxenguest opens the file again and refuses it if it
 * is no longer the file that was checked).  CHAOS_RESTORE_IN_PLACE needs
 * an image opened with it.
 */
int chaos_image_restore(chaos_ctx *ctx, chaos_shell **shellp,
                        const chaos_image *img, const char *const *overrides,
                        unsigned n, unsigned flags, chaos_domid *domid,
                        struct chaos_restore_timings *timings);

/* ------------------------------------------------------------------ */
/* Domain events                                                       */
/* ------------------------------------------------------------------ */

/*
 * A subscription to what happens to domains: one appears, shuts down (with
 * its reason), crashes, or is gone.  It gives a file descriptor that an
 * event loop polls for POLLIN; when it is readable, chaos_events_read()
 * returns what happened since the last call.
 *
 * Xen announces domain state changes with one virtual interrupt
 * (VIRQ_DOM_EXC), which only one process on the host can bind; xenstored
 * binds it when it runs.  So the subscription takes the best source there
 * is: the VIRQ itself; else XenStore's @releaseDomain watch (xenstored
 * running; it fires for guests xenstored knows); and in every case a slow
 * periodic check, so that no change is missed, only seen later.  Events
 * come from comparing Xen's domain list with the previous one, so a domain
 * that appears and vanishes between two checks is not reported.
 */
typedef struct chaos_events chaos_events;

enum chaos_event_kind {
    CHAOS_EVENT_NEW,      /* a domain appeared */
    CHAOS_EVENT_SHUTDOWN, /* it shut down: see shutdown_reason */
    CHAOS_EVENT_CRASH,    /* it crashed (shutdown reason "crash") */
    CHAOS_EVENT_DEATH,    /* it no longer exists (or is dying) */
};

struct chaos_domain_event {
    enum chaos_event_kind kind;
    chaos_domid domid;
    int shutdown_reason; /* SHUTDOWN, CRASH: Xen's reason code */
    char name[64];       /* the name chaos knew for it, or "" */
    uint8_t uuid[16];    /* Xen's domain handle */
};

/* Stable lower-case name of a kind ("new", "shutdown", ...). Static. */
const char *chaos_event_kind_name(enum chaos_event_kind kind);

/*
 * Subscribes.  The domains that exist now are the starting point (no NEW
 * events for them).  *evp belongs to the caller: chaos_events_close().
 * The subscription uses ctx in chaos_events_read(); it must not outlive it.
 */
int chaos_events_open(chaos_ctx *ctx, chaos_events **evp);

/* The descriptor to poll for POLLIN.  Owned by the subscription. */
int chaos_events_fd(const chaos_events *ev);

/* Which source the subscription uses: "virq", "xenstore" or "poll". Static. */
const char *chaos_events_source(const chaos_events *ev);

/*
 * Never blocks.  Fills up to max events, oldest first, and returns how
 * many (0: nothing happened), or a negative error.  Events that did not
 * fit are kept for the next call, and the descriptor stays readable.
 */
int chaos_events_read(chaos_ctx *ctx, chaos_events *ev,
                      struct chaos_domain_event *out, unsigned max);

/*
 * Looks at one domain now, as the next look at every domain would: for a
 * caller that has just created or taken domid (Xen announces no new
 * domain, so the periodic look would find it only later, and a guest
 * that ends before then would give no event).  Queues the events that
 * domain gives against the last snapshot (NEW if it was not in it, its
 * SHUTDOWN, CRASH or DEATH) and puts it in the snapshot, so that its
 * later changes are reported, whatever looks at it next.  Costs one
 * hypercall and one record read, where chaos_events_read() looks at
 * every domain.  Returns the number of events queued (the descriptor is
 * readable while any wait; chaos_events_read() then hands them out
 * without a look of its own unless Xen or the timer also fired), or a
 * negative error.
 */
int chaos_events_look_at(chaos_ctx *ctx, chaos_events *ev, chaos_domid domid);

/* Ends the subscription (releases the VIRQ).  NULL is accepted. */
void chaos_events_close(chaos_events *ev);

/* ------------------------------------------------------------------ */
/* Kernel cache                                                        */
/* ------------------------------------------------------------------ */

/*
 * Parsing a kernel is most of the cost of building a Linux guest:
 * libxenguest decompresses a bzImage on every build.  With the cache
 * enabled, a context keeps each kernel it has built from, decompressed,
 * keyed by the SHA-256 of the file's content, and later creations
 * (chaos_shell_execute, chaos_domain_create) load that copy instead.  A
 * file is recognised without reading it again while its device, inode,
 * size, mtime and ctime are unchanged; when any changes it is read and
 * hashed again (a changed file is a new kernel, the same bytes at another
 * path are the same kernel).  Least recently used kernels go first when
 * the cache would exceed max_bytes.  Disabled by default.
 */
struct chaos_kernel_cache_stats {
    unsigned entries;
    uint64_t bytes;  /* decompressed kernels held */
    uint64_t hits;   /* creations that used a cached kernel */
    uint64_t misses; /* creations that parsed the file */
};

/* Enables the cache with a size limit; 0 disables it and frees it. */
int chaos_kernel_cache_enable(chaos_ctx *ctx, uint64_t max_bytes);
void chaos_kernel_cache_stats(const chaos_ctx *ctx,
                              struct chaos_kernel_cache_stats *out);

/* ------------------------------------------------------------------ */
/* Guest consoles                                                      */
/* ------------------------------------------------------------------ */

/*
 * chaos serves guests' PV consoles itself (there is no xenconsoled).  A
 * console server copies what the guest prints to a log file and to every
 * client attached to its UNIX socket, RUNDIR/console/DOMID.sock (RUNDIR:
 * chaos_run_dir(); 0600, root only), and what clients send to the guest's keyboard input.  The
 * socket carries plain bytes both ways: an attached client first receives
 * the recent output (the backlog), then live output.  docs/console.md
 * describes the design.
 */
/*
 * Attaches to the console of domid.  Returns a connected, blocking stream
 * socket that the caller owns (close(2) detaches), or a negative errno:
 * -ENOENT / -ECONNREFUSED when nothing serves that domain's console.
 */
int chaos_console_connect(chaos_ctx *ctx, chaos_domid domid);
/*
 * The same for a client that follows a guest's console across servers
 * (chaos-oci's keeper, after chaosd was replaced): a server that takes a
 * guest over starts its backlog with the log's tail (what the guest last
 * said, for a `chaos console` attaching then), which such a client
 * already has; it gets only the output this server collected itself
 * (what the guest printed while no server ran, then live output).
 */
int chaos_console_connect_resume(chaos_ctx *ctx, chaos_domid domid);

/* Serving a console, e.g. from a per-guest monitor process or chaosd. */
typedef struct chaos_console_server chaos_console_server;

struct chaos_console_options {
    const char *log_path;    /* NULL: no log file */
    uint64_t log_cap_bytes;  /* 0: 1 MiB; a full log moves to PATH.1 */
    size_t backlog_bytes;    /* 0: 16 KiB of recent output for attachers */
    const char *socket_path; /* NULL: RUNDIR/console/DOMID.sock */
};

/*
 * Starts serving the console of domid, whose ring is at frame (an MFN for
 * PV, a GFN for PVH guests) with the guest's event channel port, as
 * chaos_domain_console() reports them.  opts may be NULL (defaults).
 * Opens its own Xen handles: after fork(), call it in the child.  Output
 * the guest printed before this call is collected at once.  On success
 * *out is a server the caller drives with the functions below and
 * releases with chaos_console_server_close().
 */
int chaos_console_serve(chaos_ctx *ctx, chaos_domid domid, uint64_t frame,
                        uint32_t port, const struct chaos_console_options *opts,
                        chaos_console_server **out);

/*
 * Event-loop integration (poll(2), libuv, ...), no threads, never blocks:
 *  1. n = chaos_console_server_pollfds(srv, fds, CHAOS_CONSOLE_MAX_POLLFDS)
 *     fills fds (fd and events) with what to watch; ask before each wait,
 *     the set changes as clients attach and leave;
 *  2. wait (poll(fds, n, timeout));
 *  3. chaos_console_server_handle(ctx, srv, fds, n) acts on revents.
 * Calling handle with n == 0 (e.g. after a timeout every few hundred ms)
 * just moves pending data, which makes lost notifications harmless.
 * handle returns 0, or a negative errno when the guest side failed and the
 * server should be closed.  Problems that do not stop it (a guest that
 * corrupts its ring, a log write failure, a client too slow to keep up and
 * disconnected) are reported by chaos_console_server_take_warning(): the
 * first since the last call, or NULL; valid until the next call on srv.
 */
#define CHAOS_CONSOLE_MAX_POLLFDS 18
struct pollfd;
unsigned chaos_console_server_pollfds(const chaos_console_server *srv,
                                      struct pollfd *fds, unsigned max);
int chaos_console_server_handle(chaos_ctx *ctx, chaos_console_server *srv,
                                const struct pollfd *fds, unsigned n);
const char *chaos_console_server_take_warning(chaos_console_server *srv);

/* Clients attached right now. */
unsigned chaos_console_server_clients(const chaos_console_server *srv);

/*
 * Disconnects the clients, removes the socket, closes the log, and unmaps
 * the ring (the guest's domain cannot finish dying while it is mapped).
 * Call chaos_console_server_handle(ctx, srv, NULL, 0) first to collect the
 * guest's last output.  NULL is accepted.
 */
void chaos_console_server_close(chaos_console_server *srv);

/* ------------------------------------------------------------------ */
/* Guest supervisor                                                    */
/* ------------------------------------------------------------------ */

/*
 * A supervisor serves everything a running guest needs from dom0, for the
 * guest's whole life: its console (a console server, above) and its
 * lifecycle actions (on_poweroff / on_reboot / on_crash); device back ends
 * and the guest's store will be served from here too.  The per-guest
 * monitor of `chaos create` and chaosd both serve guests with it, so a
 * guest is served the same way whoever started it.  docs/design.md, "Who
 * serves a guest", has the design.
 *
 * One server per guest.  A supervisor holds an exclusive flock(2) on
 * RUNDIR/supervisors/UUID (RUNDIR: chaos_run_dir(); UUID:
 * Xen's handle of the domain) while it serves the domain, so a second
 * supervisor, in any process, cannot start (-EBUSY, naming the holder's
 * pid).  The lock belongs to the open file, so a killed server frees it
 * and another process may take the guest over (chaosd does at start).
 *
 * Event-loop contract (as the console server's; no threads, never blocks):
 *  1. n = chaos_supervisor_pollfds(sup, fds, CHAOS_SUPERVISOR_MAX_POLLFDS);
 *  2. wait for them, at most chaos_supervisor_timeout_ms(sup);
 *  3. chaos_supervisor_handle(ctx, sup, fds, n) (n == 0 after a timeout);
 *  4. log what chaos_supervisor_take_message() returns until NULL, and
 *     close the supervisor once chaos_supervisor_state() is DONE/FAILED.
 * Ask for the fds again after every handle: the set changes.
 *
 * Liveness.  Xen's domain-exception VIRQ can be bound by one process only,
 * so a supervisor looks at its domain itself (one getdomaininfo every
 * 250 ms), unless the caller says it feeds it domain events
 * (domain_events, from its chaos_events subscription): then it looks when
 * an event names its domain.
 *
 * Actions.  destroy, preserve and restart are carried out; the others are
 * refused before a guest is created (chaos_supervisor_check_config), by
 * the command and by chaosd alike.  restart destroys the domain and
 * creates it again from its configuration, with a new Xen handle (see
 * supervisor.c for why), a new id and the same name, and goes on serving
 * it into the same console log.
 */
typedef struct chaos_supervisor chaos_supervisor;

/* Where console logs go unless a log_path is given: DIR/NAME.log. */
#define CHAOS_CONSOLE_LOG_DIR "/var/log/chaos/console"
/* The console's, the devices' event channels (one fd) and a TAP device
 * for each vif. */
#define CHAOS_SUPERVISOR_MAX_POLLFDS \
    (CHAOS_CONSOLE_MAX_POLLFDS + 1 + CHAOS_CONFIG_MAX_VIFS)

enum chaos_supervisor_state {
    CHAOS_SUPERVISOR_SERVING,    /* the guest runs (or is preserved) */
    CHAOS_SUPERVISOR_RESTARTING, /* waiting for the restart hook */
    CHAOS_SUPERVISOR_DONE,       /* the guest is gone: close it */
    CHAOS_SUPERVISOR_FAILED,     /* a restart failed, or serving it did */
    CHAOS_SUPERVISOR_PREPARED,   /* ahead of its guest (chaos_supervisor_
                                    prepare): nothing served yet */
};

/*
 * Who re-creates the guest for a restart.  Called from handle() with the
 * configuration to create (owned by the hook from then on: free it or
 * pass it on).  The hook, or something it starts, later calls
 * chaos_supervisor_restarted() or chaos_supervisor_restart_failed(), on
 * the same thread as every other call on sup; it may do so before it
 * returns.  chaosd's starts an asynchronous create, so that its loop
 * never waits for a build.
 */
typedef void chaos_supervisor_restart_fn(void *opaque, chaos_supervisor *sup,
                                         chaos_config *cfg);

struct chaos_supervisor_options {
    const char *log_path; /* NULL: CHAOS_CONSOLE_LOG_DIR/NAME.log */
    bool domain_events;   /* the caller feeds chaos_supervisor_
                                     domain_event(); no periodic look */
    chaos_supervisor_restart_fn *restart; /* NULL: chaos_domain_create()
                                              on ctx, synchronously */
    void *opaque;                         /* for restart */
};

/*
 * 0 if the supervisor carries out every on_* action of cfg; otherwise
 * -ENOTSUP and, in msg (len bytes), which key and action it refuses.
 * Call it before creating anything.  Needs no context.
 */
int chaos_supervisor_check_config(const chaos_config *cfg, char *msg,
                                  size_t len);

/* The on_* event a stop with Xen's shutdown reason (3: a crash) answers
 * to, by the rule every supervisor applies: reboot -> on_reboot, crash ->
 * on_crash, any other -> on_poweroff.  A suspend is no stop (a save). */
enum chaos_event chaos_event_for_shutdown(int reason);

/*
 * Starts serving domid, a guest chaos created: takes the domain's lock
 * (-EBUSY if another supervisor holds it), reads the configuration libchaos
 * kept when it created the guest, and serves its console (the log's
 * missing parent directories are made, 0750).  Taking over a guest whose
 * server is gone is the same call.  The first handle() looks at the
 * domain at once (it may have stopped already).  opts may be NULL.  On
 * success *out is the caller's: chaos_supervisor_close().  Opens Xen
 * handles of its own: after fork(), call it in the child.
 */
int chaos_supervisor_start(chaos_ctx *ctx, chaos_domid domid,
                           const struct chaos_supervisor_options *opts,
                           chaos_supervisor **out);

/*
 * A supervisor started ahead, for a domain that has not run yet: a pool's
 * loaded shell (shell, whose domain is domid) or a paused domain libchaos
 * restored (shell NULL: its record names its console).  Takes the
 * domain's lock, maps its console ring, binds its channel and listens on
 * its console socket, and serves its device page if nothing in it
 * depends on the request (no vif, no disk): most of a start, done before
 * the request comes (under emulation ~8 ms of a start's ~10).  It serves
 * nothing until chaos_supervisor_begin(): its pollfds are none, its
 * timeout -1.  On success *out is the caller's: begin it once the guest
 * is created from that domain (chaos_shell_execute, or a restored domain
 * renamed), or close it (before or after destroying the domain, which
 * stays dying until then; the lock's file goes).  Any context may serve
 * it later (one thread at a time), but the one given here must stay open
 * as long as it does: its ring is mapped through it.
 */
int chaos_supervisor_prepare(chaos_ctx *ctx, chaos_domid domid,
                             const chaos_shell *shell, chaos_supervisor **out);
/*
 * chaos_supervisor_start() for a prepared supervisor, right after its
 * guest was created from its domain: opens the log and serves.  cfg is
 * the configuration the guest was created with, taken (freed on failure
 * too), or NULL: the one libchaos kept is read.  The domain's record is
 * trusted without a look at Xen (the first handle() looks).  On failure
 * (a negative errno, the reason on ctx) sup is still the caller's, to
 * close; chaos_supervisor_start() may then serve the guest.
 */
int chaos_supervisor_begin(chaos_ctx *ctx, chaos_supervisor *sup,
                           chaos_config *cfg,
                           const struct chaos_supervisor_options *opts);

/*
 * Renames a served guest while it runs (chaos_domain_rename, all or
 * nothing), and its console log with it when the log has the default
 * path: CHAOS_CONSOLE_LOG_DIR/OLD.log becomes NEW.log (replacing a file of
 * that name), written on without a gap.  chaosd hands out guests of a
 * warm template pool this way: resumed under a name of its own, then
 * given the request's.  A log that cannot move stays where it was (the
 * guest is renamed all the same; take_message() says so).  -EINVAL unless
 * the supervisor serves its guest.
 */
int chaos_supervisor_rename(chaos_ctx *ctx, chaos_supervisor *sup,
                            const char *new_name);
/*
 * Replaces the options a supervisor was started or begun with (restart
 * hook, opaque, domain_events; log_path is ignored): for a caller that
 * takes over a supervisor another part of the program started, such as
 * chaosd's loop taking one its builder thread served.  Its next handle()
 * moves what is pending and looks at the domain, as after a start.
 */
void chaos_supervisor_set_options(chaos_supervisor *sup,
                                  const struct chaos_supervisor_options *opts);

unsigned chaos_supervisor_pollfds(const chaos_supervisor *sup,
                                  struct pollfd *fds, unsigned max);
/*
 * A number that changes whenever the supervisor closed a descriptor that
 * pollfds() had returned (a console client gone, a console or back end
 * closed, a restart).  A caller that keeps its watches (epoll, libuv)
 * across calls renews them only when it changed: a descriptor opened
 * since may have a closed one's number, and a registration of the old
 * file would not see the new one.  Unchanged: every descriptor it watches
 * is still the file it was.
 */
unsigned chaos_supervisor_fds_generation(const chaos_supervisor *sup);
/* Milliseconds until handle() wants to be called even without events
 * (0: now; -1: not until something else happens: it waits for the
 * restart hook, or it is DONE or FAILED).  A handle() call consumes a 0. */
int chaos_supervisor_timeout_ms(const chaos_supervisor *sup);
/* Acts on poll results (any subset of the fds; n == 0 is fine).  Returns
 * 0, or a negative errno for a failure that chaos_errmsg() describes;
 * the supervisor's state says whether it goes on. */
int chaos_supervisor_handle(chaos_ctx *ctx, chaos_supervisor *sup,
                            const struct pollfd *fds, unsigned n);

/* A domain event from the caller's subscription: the supervisor looks at
 * its domain when the event is about it (others are ignored). */
void chaos_supervisor_domain_event(chaos_ctx *ctx, chaos_supervisor *sup,
                                   const struct chaos_domain_event *ev);

/* The restart hook's result: the new domain, which the supervisor now
 * serves (0), or a negative errno (state FAILED; see the messages). */
int chaos_supervisor_restarted(chaos_ctx *ctx, chaos_supervisor *sup,
                               chaos_domid domid);
void chaos_supervisor_restart_failed(chaos_supervisor *sup, const char *why);

/*
 * The oldest message for the caller's log that it has not taken yet, or
 * NULL: what happened to the guest ("'web' (domain 5) shut down (reboot):
 * restart", "'web' restarted as domain 6") and console warnings.  The
 * library never prints them.  Valid until the next call on sup.
 */
const char *chaos_supervisor_take_message(chaos_supervisor *sup);

enum chaos_supervisor_state chaos_supervisor_state(const chaos_supervisor *sup);
/*
 * How the guest's last domain stopped, once it is DONE: Xen's shutdown
 * reason (chaos_shutdown_reason_name(); 3, "crash", for a crash) of the
 * stop the supervisor acted on, or -1 when the domain went away without
 * one (destroyed by someone else).  A restart starts again at -1.
 */
int chaos_supervisor_end_reason(const chaos_supervisor *sup);
/* The domain served now (it changes with a restart), and its handle. */
chaos_domid chaos_supervisor_domid(const chaos_supervisor *sup);
void chaos_supervisor_uuid(const chaos_supervisor *sup, uint8_t out[16]);
/* The guest's name ("" if it has none). */
const char *chaos_supervisor_name(const chaos_supervisor *sup);

/* Traffic through one device of the guest, as its back end counted it
 * since the device last connected (0 while it is not connected). */
struct chaos_device_stats {
    bool net;       /* a network interface (vif); false: a disk (vbd) */
    unsigned devid; /* its number among the guest's devices of its kind */
    bool connected;
    /* net: from the guest (tx) and to it (rx), as the guest sees them;
     * disk: written (tx) and read (rx) bytes, write and read requests */
    uint64_t tx_bytes, tx_packets;
    uint64_t rx_bytes, rx_packets;
};

/*
 * The guest's vifs and disks, in device order: fills at most max entries
 * of out and returns how many there are.  Reads the back ends' counters
 * (no system call), so a metrics scrape can ask every guest.
 */
unsigned chaos_supervisor_device_stats(const chaos_supervisor *sup,
                                       struct chaos_device_stats *out,
                                       unsigned max);

/*
 * Destroys the domain sup serves, as `chaos destroy` of a served guest
 * should: its last console output is collected and the ring unmapped
 * first (a mapped ring keeps a domain dying), then the domain is
 * destroyed and the service ends (state DONE; the lock and its file go).
 * 0, or a negative error (the supervisor then still serves it).
 */
int chaos_supervisor_destroy_domain(chaos_ctx *ctx, chaos_supervisor *sup);

/*
 * Stops serving: collects the guest's last console output, closes the
 * console, releases the lock.  A guest still running keeps running and may
 * be served again by another chaos_supervisor_start().  NULL is accepted.
 */
void chaos_supervisor_close(chaos_ctx *ctx, chaos_supervisor *sup);

/* ------------------------------------------------------------------ */
/* Guest configuration                                                 */
/* ------------------------------------------------------------------ */

/*
 * A guest's configuration, read from xl.cfg(5) text (the syntax of Xen's xl;
 * docs/config.md lists the keys chaos supports).  Configurations need no
 * chaos_ctx: parsing and checking never talk to Xen.
 *
 * Errors: functions return 0 or a negative errno value (-EINVAL for bad
 * input, -ENOENT/-EACCES/... for a file that cannot be read, -ENOMEM) and
 * chaos_config_errmsg() then tells why.  Problems in config text are
 * reported as "FILE:LINE:COLUMN: message", problems in overrides as
 * "command line: message".  A failed call leaves the configuration exactly
 * as it was.
 *
 * Strings returned by getters belong to the configuration and stay valid
 * until the next call that changes it, or chaos_config_free().
 *
 * Typical use, as `chaos create guest.cfg memory=256` does:
 *     chaos_config_parse_file(cfg, "guest.cfg");
 *     chaos_config_set_arg(cfg, "memory=256");
 *     chaos_config_validate(cfg);
 *
 * (The chaos_config type itself is declared with the creation functions.)
 */

enum chaos_guest_type {
    CHAOS_GUEST_PV,  /* type = "pv" (xl's default on x86) */
    CHAOS_GUEST_PVH, /* type = "pvh" */
};

/* What to do when the guest powers off, reboots or crashes (xl's names). */
enum chaos_action {
    CHAOS_ACTION_DESTROY,          /* "destroy" */
    CHAOS_ACTION_RESTART,          /* "restart" */
    CHAOS_ACTION_PRESERVE,         /* "preserve" */
    CHAOS_ACTION_RENAME_RESTART,   /* "rename-restart" */
    CHAOS_ACTION_COREDUMP_DESTROY, /* "coredump-destroy" */
    CHAOS_ACTION_COREDUMP_RESTART, /* "coredump-restart" */
    CHAOS_ACTION_SOFT_RESET,       /* "soft-reset" */
};

enum chaos_event {
    CHAOS_ON_POWEROFF, /* on_poweroff, default destroy */
    CHAOS_ON_REBOOT,   /* on_reboot, default restart */
    CHAOS_ON_CRASH,    /* on_crash, default destroy */
};

/* Whether the guest gets a XenStore (chaos-specific key "xenstore"): a
 * private one, served by its supervisor (docs/store.md). */
enum chaos_xenstore_mode {
    CHAOS_XENSTORE_AUTO, /* "auto" (default): Linux kernels get one */
    CHAOS_XENSTORE_YES,  /* "yes" or 1 */
    CHAOS_XENSTORE_NO,   /* "no" or 0: none (the guest needs no
                                  devices, as chaos's unikernel) */
};

/*
 * How the guest sees the TSC (xl key "tsc_mode", xl.cfg(5)).  A shell's
 * TSC mode is set when it is prepared (chaosd's pools use the default).
 */
enum chaos_tsc_mode {
    CHAOS_TSC_DEFAULT,        /* "default": Xen emulates rdtsc only when
                                  the host's TSC is not reliable */
    CHAOS_TSC_ALWAYS_EMULATE, /* "always_emulate" */
    CHAOS_TSC_NATIVE,         /* "native": never emulated */
};

/* A configuration with every key at its default; NULL if out of memory. */
chaos_config *chaos_config_new(void);
/* Releases cfg.  NULL is accepted. */
void chaos_config_free(chaos_config *cfg);

/*
 * Text describing the last failure on cfg ("" if none; "out of memory" for
 * a NULL cfg).  Owned by cfg, valid until the next call on it.
 */
const char *chaos_config_errmsg(const chaos_config *cfg);

/*
 * Reads len bytes of xl.cfg text (need not be NUL-terminated) and applies
 * its settings on top of cfg, in order: later settings win, "KEY += VALUE"
 * appends to a string.  source names the text in messages (NULL:
 * "<config>").  Unknown keys and xl keys chaos does not support yet are
 * errors.  Does not run chaos_config_validate().
 */
int chaos_config_parse(chaos_config *cfg, const char *text, size_t len,
                       const char *source);
/* The same for the file at path (named by path in messages). */
int chaos_config_parse_file(chaos_config *cfg, const char *path);

/*
 * Applies one override, as xl accepts them after the config file.  value is
 * read as an xl.cfg value ("\"quiet\"", 256, 0x100); text that is not one
 * (/boot/vmlinuz, console=hvc0 quiet) is taken as a plain string, so
 * shell users need not quote.  key may end in '+' to append ("extra+").
 */
int chaos_config_set(chaos_config *cfg, const char *key, const char *value);
/* The same for one "KEY=VALUE" or "KEY+=VALUE" command-line argument. */
int chaos_config_set_arg(chaos_config *cfg, const char *arg);

/*
 * Whole-configuration checks, to run once all settings are in: a name and
 * a kernel are given, maxmem >= memory, maxvcpus >= vcpus, a PV guest's
 * command line fits Xen's 1023 bytes, no two disks share a vdev and no two
 * vifs a MAC or vifname.  (Whether the bridge and the image exist is
 * checked when the guest is prepared.)
 */
int chaos_config_validate(chaos_config *cfg);

/*
 * The configuration as xl.cfg text that chaos_config_parse() reads back to
 * an equal configuration (every key with its effective value, so defaults
 * are recorded).  Returns a NUL-terminated string the caller releases with
 * free(), or NULL when out of memory.
 */
char *chaos_config_to_text(const chaos_config *cfg);

/*
 * Fields.  Getters return effective values: what was set, else xl's
 * default.  Setters check the value as the parser does and return -EINVAL
 * (with a message) when it is bad.  String setters copy their argument;
 * NULL unsets the key.
 */
const char *chaos_config_name(const chaos_config *cfg); /* NULL: unset */
int chaos_config_set_name(chaos_config *cfg, const char *name);

enum chaos_guest_type chaos_config_type(const chaos_config *cfg);
int chaos_config_set_type(chaos_config *cfg, enum chaos_guest_type type);

const char *chaos_config_kernel(const chaos_config *cfg); /* NULL: unset */
int chaos_config_set_kernel(chaos_config *cfg, const char *path);
const char *chaos_config_ramdisk(const chaos_config *cfg); /* NULL: none */
int chaos_config_set_ramdisk(chaos_config *cfg, const char *path);

/*
 * The command line the guest gets: cmdline if given, else as xl builds it
 * from root and extra ("root=ROOT EXTRA", "root=ROOT" or "EXTRA"); NULL if
 * none of the three is given.  The setter sets "cmdline", which then takes
 * precedence over root and extra (set those with chaos_config_set()).
 */
const char *chaos_config_cmdline(const chaos_config *cfg);
int chaos_config_set_cmdline(chaos_config *cfg, const char *cmdline);

/* Memory in MiB: memory defaults to maxmem if that is given, else 32;
 * maxmem defaults to memory. */
uint64_t chaos_config_memory_mib(const chaos_config *cfg);
int chaos_config_set_memory_mib(chaos_config *cfg, uint64_t mib);
uint64_t chaos_config_maxmem_mib(const chaos_config *cfg);
int chaos_config_set_maxmem_mib(chaos_config *cfg, uint64_t mib);

/* vCPUs online at start (default 1) and the most the guest may bring up
 * (default: vcpus). */
unsigned chaos_config_vcpus(const chaos_config *cfg);
int chaos_config_set_vcpus(chaos_config *cfg, unsigned vcpus);
unsigned chaos_config_maxvcpus(const chaos_config *cfg);
int chaos_config_set_maxvcpus(chaos_config *cfg, unsigned maxvcpus);

enum chaos_action chaos_config_action(const chaos_config *cfg,
                                      enum chaos_event event);
int chaos_config_set_action(chaos_config *cfg, enum chaos_event event,
                            enum chaos_action action);
/* xl's name of an action ("rename-restart"); NULL if out of range. Static. */
const char *chaos_action_name(enum chaos_action action);

enum chaos_xenstore_mode chaos_config_xenstore(const chaos_config *cfg);
int chaos_config_set_xenstore(chaos_config *cfg, enum chaos_xenstore_mode mode);

enum chaos_tsc_mode chaos_config_tsc_mode(const chaos_config *cfg);
int chaos_config_set_tsc_mode(chaos_config *cfg, enum chaos_tsc_mode mode);

/*
 * The domain's UUID as 36 lower-case characters, or NULL when none is
 * given (creation then generates one).  The setter takes the
 * xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx form, any case.  uuid_bytes copies
 * the 16 bytes into out and returns 0, or -ENOENT when none is given.
 */
const char *chaos_config_uuid(const chaos_config *cfg);
int chaos_config_set_uuid(chaos_config *cfg, const char *uuid);
int chaos_config_uuid_bytes(const chaos_config *cfg, uint8_t out[16]);

/*
 * Devices: network interfaces (xl key "vif", xl-network-configuration(5))
 * and disks ("disk", xl-disk-configuration(5)), parsed and checked as
 * docs/config.md says.  A guest with any is a noxs guest (docs/noxs.md):
 * its devices are served by user-space back ends in its supervisor, and
 * its kernel must speak noxs (chaos's unikernel does; stock Linux does not
 * yet).  Files name a device by its place in its list: "vif[1]", "disk[0]".
 */
#define CHAOS_CONFIG_MAX_VIFS 8   /* per guest */
#define CHAOS_CONFIG_MAX_DISKS 16 /* per guest */

struct chaos_vif_config {
    bool mac_given;       /* false: the config gives none; creation makes
                             one (chaos_vif_fill_mac) */
    uint8_t mac_bytes[6]; /* valid when mac[0] != '\0' */
    char mac[18];         /* "00:16:3e:0a:1b:2c", lower case; "" if none */
    char bridge[16];      /* default "xenbr0" (as xl) */
    char vifname[16];     /* back end's interface name; "": chaos names it */
    char ip[16];          /* dotted-quad IPv4 address; "": none */
    uint8_t ip_bytes[4];  /* ip in network byte order (valid if ip[0]) */
    uint8_t ip_prefix;    /* ip=A.B.C.D/LEN: LEN (1..32); 0: not given */
};

struct chaos_disk_config {
    const char *target; /* the raw image's absolute path (owned by the
                           config: valid as getters' strings are).  Not
                           checked until creation */
    char vdev[8];       /* "xvda" .. "xvdzzz" */
    bool readonly;      /* access=ro */
};

unsigned chaos_config_vif_count(const chaos_config *cfg);
/* Copies vif i into out; -ENOENT when there is none. */
int chaos_config_vif(const chaos_config *cfg, unsigned i,
                     struct chaos_vif_config *out);
/* Appends a vif from an xl vifspec ("mac=...,bridge=xenbr0"); -EINVAL
 * (bad spec), -ENOSPC (CHAOS_CONFIG_MAX_VIFS already). */
int chaos_config_add_vif(chaos_config *cfg, const char *spec);
void chaos_config_clear_vifs(chaos_config *cfg);

unsigned chaos_config_disk_count(const chaos_config *cfg);
int chaos_config_disk(const chaos_config *cfg, unsigned i,
                      struct chaos_disk_config *out);
/* Appends a disk from an xl diskspec ("/img,raw,xvda,rw" or
 * "vdev=xvda, target=/img"); -EINVAL or -ENOSPC. */
int chaos_config_add_disk(chaos_config *cfg, const char *spec);
void chaos_config_clear_disks(chaos_config *cfg);

/*
 * Gives a vif without a MAC the one xl would make from random bytes:
 * 00:16:3e (Xen's OUI), then random[0] & 0x7f, random[1], random[2].
 * A vif whose MAC was given is left as it is.  Pure: the caller brings
 * the randomness (creation time, not parse time).
 */
void chaos_vif_fill_mac(struct chaos_vif_config *vif, const uint8_t random[3]);

/*
 * The devices a shell is prepared with, as text: two configurations with
 * the same text fit the same shells (chaosd matches requests to its pools
 * with it; chaos_shell_execute refuses a shell whose text differs).  Each
 * vif's bridge and vifname, each disk's vdev, image and access, in order;
 * "" for none.  A MAC is not part of it: execute gives the guest the
 * configured one.  Returns 0, or -ENOSPC when len is too small.
 */
#define CHAOS_SHELL_DEVICES_MAX 2048
int chaos_config_shell_devices(const chaos_config *cfg, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* CHAOS_H */
