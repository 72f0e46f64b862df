/*
 * config_internal.h - what config.c (parsing, validation, text) and
 * config_api.c (typed getters and setters) share about a chaos_config.
 */
#ifndef CHAOS_CONFIG_INTERNAL_H
#define CHAOS_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "chaos.h"

/* The keys chaos understands, in the order chaos_config_to_text() writes
 * them. */
enum config_key {
    KEY_NAME,
    KEY_TYPE,
    KEY_BUILDER, /* legacy spelling of type: "generic" = pv */
    KEY_KERNEL,
    KEY_RAMDISK,
    KEY_CMDLINE,
    KEY_ROOT,
    KEY_EXTRA,
    KEY_MEMORY,
    KEY_MAXMEM,
    KEY_VCPUS,
    KEY_MAXVCPUS,
    KEY_ON_POWEROFF,
    KEY_ON_REBOOT,
    KEY_ON_CRASH,
    KEY_XENSTORE,
    KEY_UUID,
    KEY_TSC_MODE,
    KEY_VIF,  /* list of xl vifspecs: config_devices.c */
    KEY_DISK, /* list of xl diskspecs: config_devices.c */
    KEY__COUNT
};

/* Where a value came from, for messages: "guest.cfg:3:9", "command line",
 * or "" when a program set it through the C API. */
#define CONFIG_ORIGIN_MAX 128
#define CONFIG_ERRMSG_MAX 640

/* Limits chaos applies before the hypervisor applies its own. */
#define CONFIG_MAX_STRING 4096                /* bytes, any string value */
#define CONFIG_MAX_NAME 63                    /* fits chaos_dominfo.name */
#define CONFIG_MAX_MEMORY (UINT64_C(1) << 30) /* MiB: 1 PiB */
#define CONFIG_MAX_VCPUS 8192                 /* Xen's MAX_VIRT_CPUS */
#define CONFIG_PV_CMDLINE CHAOS_CMDLINE_MAX   /* start_info.cmd_line */
#define CONFIG_DEFAULT_MEMORY 32              /* MiB, libxl's default */

/* One vif or disk, and where it was written (for validation's messages). */
struct config_vif {
    struct chaos_vif_config v;
    char origin[CONFIG_ORIGIN_MAX];
};

struct config_disk {
    char *target; /* malloc'd */
    char vdev[8];
    bool readonly;
    char origin[CONFIG_ORIGIN_MAX];
};

struct config_fields {
    char *name, *kernel, *ramdisk;
    char *cmdline, *root, *extra; /* as given */
    char *effective_cmdline;      /* what the guest gets, or NULL */
    enum chaos_guest_type type;
    uint64_t memory_mib, maxmem_mib; /* valid when given[] */
    unsigned vcpus, maxvcpus;        /* valid when given[] */
    enum chaos_action actions[3];    /* by enum chaos_event */
    enum chaos_xenstore_mode xenstore;
    enum chaos_tsc_mode tsc_mode;
    uint8_t uuid[16]; /* valid when given[KEY_UUID] */
    char uuid_text[37];
    struct config_vif vifs[CHAOS_CONFIG_MAX_VIFS];
    struct config_disk disks[CHAOS_CONFIG_MAX_DISKS];
    unsigned n_vifs, n_disks;
    bool given[KEY__COUNT];
    char origin[KEY__COUNT][CONFIG_ORIGIN_MAX];
    char source[CONFIG_ORIGIN_MAX]; /* last text parsed, or "" */
};

struct chaos_config {
    struct config_fields f;
    char errmsg[CONFIG_ERRMSG_MAX];
};

/* The values of the keys xenstore and tsc_mode, by enum. */
extern const char *const config__xenstore_names[CHAOS_XENSTORE_NO + 1];
extern const char *const config__tsc_mode_names[CHAOS_TSC_NATIVE + 1];

/* xl's name of each key. */
extern const char *const config__key_names[KEY__COUNT];

/*
 * Maps an xl key to its id.  A key xl knows that chaos does not support
 * yet, or an unknown one, is an error: -EINVAL, with a message starting
 * with pfx ("guest.cfg:3:1: ").
 */
int config__find_key(chaos_config *cfg, const char *key, const char *pfx);

/* Records a failure on cfg and returns code. */
int config__fail(chaos_config *cfg, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Checks s as the value of key k and stores it in f, remembering origin.
 * Errors name origin and the key.  NULL s unsets an optional string key.
 */
int config__set_string(chaos_config *cfg, struct config_fields *f,
                       enum config_key k, const char *s, const char *origin);

/* The same for the numeric keys (memory, maxmem, vcpus, maxvcpus). */
int config__set_number(chaos_config *cfg, struct config_fields *f,
                       enum config_key k, uint64_t n, const char *origin);

/* Effective values, with xl's defaults applied. */
uint64_t config__memory(const struct config_fields *f);
uint64_t config__maxmem(const struct config_fields *f);
unsigned config__vcpus(const struct config_fields *f);
unsigned config__maxvcpus(const struct config_fields *f);

/*
 * Devices (config_devices.c).  add_* parse one xl spec and append it to f,
 * or fail with a message starting "ORIGIN: vif[N]: " and change nothing.
 */
int config__add_vif(chaos_config *cfg, struct config_fields *f,
                    const char *spec, const char *origin);
int config__add_disk(chaos_config *cfg, struct config_fields *f,
                     const char *spec, const char *origin);
/* Forgets the vifs (k == KEY_VIF) or the disks (KEY_DISK). */
void config__clear_devices(struct config_fields *f, enum config_key k);
/* Strdups the disks' targets after a struct copy; -ENOMEM leaves dst
 * without targets (all NULL) so that clearing it is safe. */
int config__copy_devices(struct config_fields *dst);
/* Validation: devices that clash with each other, then the refusal of
 * devices creation cannot set up yet. */
int config__check_devices(chaos_config *cfg, const struct config_fields *f);
/* Writes the vif and disk lines of chaos_config_to_text(). */
void config__put_devices(FILE *out, const struct config_fields *f);

#endif /* CHAOS_CONFIG_INTERNAL_H */
