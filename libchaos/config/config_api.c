/*
 * config_api.c - field-by-field access to a chaos_config from C.  Setters
 * go through the same checks as values read from a file (config.c), so a
 * program cannot build a configuration that a file could not express.
 */
#include <errno.h>
#include <string.h>

#include "config_internal.h"

/* Setters start with a clean message, like every public call. */
static chaos_config *begin(chaos_config *cfg)
{
    cfg->errmsg[0] = '\0';
    return cfg;
}

const char *chaos_config_name(const chaos_config *cfg)
{
    return cfg->f.name;
}

int chaos_config_set_name(chaos_config *cfg, const char *name)
{
    return config__set_string(begin(cfg), &cfg->f, KEY_NAME, name, "");
}

enum chaos_guest_type chaos_config_type(const chaos_config *cfg)
{
    return cfg->f.type;
}

int chaos_config_set_type(chaos_config *cfg, enum chaos_guest_type type)
{
    switch (type) {
        case CHAOS_GUEST_PV:
            return config__set_string(begin(cfg), &cfg->f, KEY_TYPE, "pv", "");
        case CHAOS_GUEST_PVH:
            return config__set_string(begin(cfg), &cfg->f, KEY_TYPE, "pvh", "");
    }
    return config__fail(cfg, -EINVAL, "'type': %d is not a guest type",
                        (int)type);
}

const char *chaos_config_kernel(const chaos_config *cfg)
{
    return cfg->f.kernel;
}

int chaos_config_set_kernel(chaos_config *cfg, const char *path)
{
    return config__set_string(begin(cfg), &cfg->f, KEY_KERNEL, path, "");
}

const char *chaos_config_ramdisk(const chaos_config *cfg)
{
    return cfg->f.ramdisk;
}

int chaos_config_set_ramdisk(chaos_config *cfg, const char *path)
{
    return config__set_string(begin(cfg), &cfg->f, KEY_RAMDISK, path, "");
}

const char *chaos_config_cmdline(const chaos_config *cfg)
{
    return cfg->f.effective_cmdline;
}

int chaos_config_set_cmdline(chaos_config *cfg, const char *cmdline)
{
    return config__set_string(begin(cfg), &cfg->f, KEY_CMDLINE, cmdline, "");
}

uint64_t chaos_config_memory_mib(const chaos_config *cfg)
{
    return config__memory(&cfg->f);
}

int chaos_config_set_memory_mib(chaos_config *cfg, uint64_t mib)
{
    return config__set_number(begin(cfg), &cfg->f, KEY_MEMORY, mib, "");
}

uint64_t chaos_config_maxmem_mib(const chaos_config *cfg)
{
    return config__maxmem(&cfg->f);
}

int chaos_config_set_maxmem_mib(chaos_config *cfg, uint64_t mib)
{
    return config__set_number(begin(cfg), &cfg->f, KEY_MAXMEM, mib, "");
}

unsigned chaos_config_vcpus(const chaos_config *cfg)
{
    return config__vcpus(&cfg->f);
}

int chaos_config_set_vcpus(chaos_config *cfg, unsigned vcpus)
{
    return config__set_number(begin(cfg), &cfg->f, KEY_VCPUS, vcpus, "");
}

unsigned chaos_config_maxvcpus(const chaos_config *cfg)
{
    return config__maxvcpus(&cfg->f);
}

int chaos_config_set_maxvcpus(chaos_config *cfg, unsigned maxvcpus)
{
    return config__set_number(begin(cfg), &cfg->f, KEY_MAXVCPUS, maxvcpus, "");
}

static enum config_key event_key(enum chaos_event event)
{
    switch (event) {
        case CHAOS_ON_POWEROFF:
            return KEY_ON_POWEROFF;
        case CHAOS_ON_REBOOT:
            return KEY_ON_REBOOT;
        case CHAOS_ON_CRASH:
            return KEY_ON_CRASH;
    }
    return KEY__COUNT;
}

enum chaos_action chaos_config_action(const chaos_config *cfg,
                                      enum chaos_event event)
{
    if (event_key(event) == KEY__COUNT)
        return CHAOS_ACTION_DESTROY;
    return cfg->f.actions[event];
}

int chaos_config_set_action(chaos_config *cfg, enum chaos_event event,
                            enum chaos_action action)
{
    enum config_key k = event_key(event);
    const char *name = chaos_action_name(action);

    begin(cfg);
    if (k == KEY__COUNT)
        return config__fail(cfg, -EINVAL, "%d is not a guest event",
                            (int)event);
    if (!name)
        return config__fail(cfg, -EINVAL, "%d is not an action", (int)action);
    return config__set_string(cfg, &cfg->f, k, name, "");
}

enum chaos_xenstore_mode chaos_config_xenstore(const chaos_config *cfg)
{
    return cfg->f.xenstore;
}

int chaos_config_set_xenstore(chaos_config *cfg, enum chaos_xenstore_mode mode)
{
    begin(cfg);
    if ((unsigned)mode > CHAOS_XENSTORE_NO)
        return config__fail(cfg, -EINVAL, "'xenstore': %d is not a mode",
                            (int)mode);
    return config__set_string(cfg, &cfg->f, KEY_XENSTORE,
                              config__xenstore_names[mode], "");
}

enum chaos_tsc_mode chaos_config_tsc_mode(const chaos_config *cfg)
{
    return cfg->f.tsc_mode;
}

int chaos_config_set_tsc_mode(chaos_config *cfg, enum chaos_tsc_mode mode)
{
    begin(cfg);
    if ((unsigned)mode > CHAOS_TSC_NATIVE)
        return config__fail(cfg, -EINVAL, "'tsc_mode': %d is not a mode",
                            (int)mode);
    return config__set_string(cfg, &cfg->f, KEY_TSC_MODE,
                              config__tsc_mode_names[mode], "");
}

const char *chaos_config_uuid(const chaos_config *cfg)
{
    return cfg->f.given[KEY_UUID] ? cfg->f.uuid_text : NULL;
}

int chaos_config_set_uuid(chaos_config *cfg, const char *uuid)
{
    return config__set_string(begin(cfg), &cfg->f, KEY_UUID, uuid, "");
}

int chaos_config_uuid_bytes(const chaos_config *cfg, uint8_t out[16])
{
    if (!cfg->f.given[KEY_UUID])
        return -ENOENT;
    memcpy(out, cfg->f.uuid, 16);
    return 0;
}
