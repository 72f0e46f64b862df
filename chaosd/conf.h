/*
 * conf.h - chaosd's configuration file, /etc/chaos/chaosd.conf.
 *
 * Syntax (documented in docs/chaosd.md and the installed example):
 *
 *     # comment
 *     socket = "/run/chaos/chaosd.sock"      global settings first
 *     admin_group = "chaos"
 *     idle_memory_mib = 512
 *
 *     [flavor unikernel-pv]                 then one section per flavor
 *     type = "pv"
 *     memory = 4
 *     pool = 8
 *
 * Values are "double-quoted strings" (no escapes) or unsigned decimal
 * numbers.  Errors name FILE:LINE.  Pure code, unit-tested and fuzzed.
 */
#ifndef CHAOSD_CONF_H
#define CHAOSD_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chaos.h"

#define CHAOSD_CONF_DEFAULT_PATH "/etc/chaos/chaosd.conf"
#define CHAOSD_MAX_FLAVORS 32
#define CHAOSD_FLAVOR_NAME_MAX 32

/* What a shell is: a guest type, its memory and vCPUs. */
struct chaosd_flavor {
    char name[CHAOSD_FLAVOR_NAME_MAX + 1];
    bool pvh;
    uint64_t memory_mib;
    uint64_t maxmem_mib; /* default: memory */
    unsigned vcpus;      /* maxvcpus of the shell (default 1) */
    unsigned pool;       /* target number of idle shells */
    bool restore;        /* shells for restores (chaos_restore_shell_prepare:
                            no memory), not for creates */
    bool in_place;       /* restore = "in-place": its restore shells have
                            their RAM populated and zeroed (PVH) */
    /* Network interfaces its shells are prepared with: xl vifspecs
     * ("bridge=chaosbr0"), from its "vif" lines, in order. */
    unsigned n_vifs;
    char vifs[CHAOS_CONFIG_MAX_VIFS][128];
    /* chaos_config_shell_devices() of a guest with those vifs: requests
     * whose devices give the same text take these shells. */
    char devices[CHAOS_SHELL_DEVICES_MAX];
    /* An image flavor (issue 13): its shells are prepared with this
     * kernel (absolute path), ramdisk and command line already built in
     * (chaos_shell_load); kernel[0] == 0: a plain flavor. */
    char kernel[256];
    char ramdisk[256];
    char cmdline[1024];
    /* cmdline_per_request = "yes": the shells are built with room for any
     * command line (CHAOS_LOAD_ANY_CMDLINE) and a create of the kernel
     * and ramdisk, whatever its command line, takes one (cmdline empty). */
    bool cmdline_per_request;
    /* A template flavor (issue 13, template pools): the guest config
     * (absolute path) chaosd boots once until its console prints a line
     * holding template_ready, saves, and restores paused guests from;
     * template[0] == 0: not one.  template_timeout_s bounds the boot. */
    char template_cfg[256];
    char template_ready[256];
    unsigned template_timeout_s; /* default 60 */
    /* template_warm (a template flavor's): its guests are resumed ahead,
     * each at an address of its own, until a console line holds this
     * text, and paused again; "" : kept paused as restored.  Their first
     * vif's IPv4 address is warm_ip_base + the guest's domain id, with
     * prefix warm_ip_len (template_warm_ip = "A.B.C.D/LEN"; len 0: none
     * given). */
    char template_warm[256];
    uint32_t warm_ip_base; /* host order */
    unsigned warm_ip_len;
};

struct chaosd_conf {
    char socket_path[108];     /* sun_path's size */
    char socket_group[33];     /* "" : root's group */
    char admin_group[33];      /* may change guests besides root; "": none */
    uint64_t idle_memory_mib;  /* budget of guest memory in idle shells */
    uint64_t kernel_cache_mib; /* 0: no kernel cache */
    unsigned refill_workers;   /* shells prepared at the same time */
    unsigned refill_quiet_ms;  /* refills wait for this long without a
                                  create or restore (unless a pool is low);
                                  0: at once */
    unsigned ready_timeout_s;  /* readiness sent at the latest after this */
    char metrics_listen[64];   /* "ADDRESS:PORT" of the metrics; "": none */
    unsigned n_flavors;
    struct chaosd_flavor flavors[CHAOSD_MAX_FLAVORS];
};

/* The defaults (no flavors). */
void chaosd_conf_defaults(struct chaosd_conf *conf);

/*
 * Parses len bytes of text (need not be NUL-terminated) into *conf, which
 * it first resets to the defaults.  source names the text in messages.
 * Returns 0, or -EINVAL with "SOURCE:LINE: message" in err.
 */
int chaosd_conf_parse(struct chaosd_conf *conf, const char *text, size_t len,
                      const char *source, char *err, size_t errlen);

/* The same for a file; -errno with "PATH: reason" when it cannot be read. */
int chaosd_conf_load(struct chaosd_conf *conf, const char *path, char *err,
                     size_t errlen);

/* Splits a metrics_listen value, "A.B.C.D:PORT" or "[IPV6]:PORT", into
 * its address (host, without brackets) and port: 0 or -EINVAL. */
int chaosd_conf_split_listen(const char *spec, char *host, size_t size,
                             unsigned *port);

/* The flavor named name, or NULL. */
const struct chaosd_flavor *chaosd_conf_flavor(const struct chaosd_conf *conf,
                                               const char *name);

#endif /* CHAOSD_CONF_H */
