/*
 * config.c - guest configuration: xl.cfg text (parsed by xlcfg.c) mapped
 * onto a chaos_config, command-line overrides, whole-config validation and
 * serialisation back to xl.cfg text.  Which keys exist is config_keys.c;
 * the C getters and setters are config_api.c.  No Xen calls: chaosd and
 * the tests use this without a hypervisor.
 *
 * Every operation that can fail works on a copy of the fields and commits
 * it only on success, so a bad file or override never leaves a half-applied
 * configuration behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_internal.h"
#include "util.h"
#include "xlcfg.h"

static const char *const action_names[] = {
    [CHAOS_ACTION_DESTROY] = "destroy",
    [CHAOS_ACTION_RESTART] = "restart",
    [CHAOS_ACTION_PRESERVE] = "preserve",
    [CHAOS_ACTION_RENAME_RESTART] = "rename-restart",
    [CHAOS_ACTION_COREDUMP_DESTROY] = "coredump-destroy",
    [CHAOS_ACTION_COREDUMP_RESTART] = "coredump-restart",
    [CHAOS_ACTION_SOFT_RESET] = "soft-reset",
};

/* xl.cfg(5)'s names; xl also takes the deprecated numbers 0-3. */
const char *const config__tsc_mode_names[CHAOS_TSC_NATIVE + 1] = {
    [CHAOS_TSC_DEFAULT] = "default",
    [CHAOS_TSC_ALWAYS_EMULATE] = "always_emulate",
    [CHAOS_TSC_NATIVE] = "native",
};

const char *const config__xenstore_names[CHAOS_XENSTORE_NO + 1] = {
    [CHAOS_XENSTORE_AUTO] = "auto",
    [CHAOS_XENSTORE_YES] = "yes",
    [CHAOS_XENSTORE_NO] = "no",
};

const char *chaos_action_name(enum chaos_action action)
{
    if ((unsigned)action >= N_ELEMENTS(action_names))
        return NULL;
    return action_names[action];
}

int config__fail(chaos_config *cfg, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cfg->errmsg, sizeof(cfg->errmsg), fmt, ap);
    va_end(ap);
    return code;
}

/* "ORIGIN: " or "" - the prefix of a message about a value. */
static const char *prefix(const char *origin, char buf[CONFIG_ORIGIN_MAX + 2])
{
    if (!origin || !origin[0])
        return "";
    snprintf(buf, CONFIG_ORIGIN_MAX + 2, "%s: ", origin);
    return buf;
}

/* ---- fields: lifecycle and effective values ---- */

static void fields_init(struct config_fields *f)
{
    memset(f, 0, sizeof(*f));
    f->type = CHAOS_GUEST_PV;
    f->actions[CHAOS_ON_POWEROFF] = CHAOS_ACTION_DESTROY;
    f->actions[CHAOS_ON_REBOOT] = CHAOS_ACTION_RESTART;
    f->actions[CHAOS_ON_CRASH] = CHAOS_ACTION_DESTROY;
    f->xenstore = CHAOS_XENSTORE_AUTO;
}

static char **string_field(struct config_fields *f, enum config_key k)
{
    switch (k) {
        case KEY_NAME:
            return &f->name;
        case KEY_KERNEL:
            return &f->kernel;
        case KEY_RAMDISK:
            return &f->ramdisk;
        case KEY_CMDLINE:
            return &f->cmdline;
        case KEY_ROOT:
            return &f->root;
        case KEY_EXTRA:
            return &f->extra;
        default:
            return NULL;
    }
}

static void fields_clear(struct config_fields *f)
{
    for (int k = 0; k < KEY__COUNT; k++) {
        char **s = string_field(f, (enum config_key)k);
        if (s)
            free(*s);
    }
    free(f->effective_cmdline);
    config__clear_devices(f, KEY_DISK);
    fields_init(f);
}

static int fields_copy(struct config_fields *dst,
                       const struct config_fields *src)
{
    *dst = *src;
    for (int k = 0; k < KEY__COUNT; k++) {
        char **d = string_field(dst, (enum config_key)k);
        if (d && *d && !(*d = strdup(*d)))
            goto nomem;
    }
    if (dst->effective_cmdline &&
        !(dst->effective_cmdline = strdup(dst->effective_cmdline)))
        goto nomem;
    if (config__copy_devices(dst) < 0) {
        free(dst->effective_cmdline);
        goto nomem;
    }
    return 0;
nomem:
    dst->n_disks = 0; /* their targets are src's */
    /* Strings not yet copied still point into src: forget them. */
    for (int k = 0; k < KEY__COUNT; k++) {
        char **d = string_field(dst, (enum config_key)k);
        char **s =
            string_field((struct config_fields *)src, (enum config_key)k);
        if (d && *d && *d != *s)
            free(*d);
    }
    return -ENOMEM;
}

uint64_t config__memory(const struct config_fields *f)
{
    if (f->given[KEY_MEMORY])
        return f->memory_mib;
    return f->given[KEY_MAXMEM] ? f->maxmem_mib : CONFIG_DEFAULT_MEMORY;
}

uint64_t config__maxmem(const struct config_fields *f)
{
    return f->given[KEY_MAXMEM] ? f->maxmem_mib : config__memory(f);
}

unsigned config__vcpus(const struct config_fields *f)
{
    return f->given[KEY_VCPUS] ? f->vcpus : 1;
}

unsigned config__maxvcpus(const struct config_fields *f)
{
    return f->given[KEY_MAXVCPUS] ? f->maxvcpus : config__vcpus(f);
}

/* xl's rule: cmdline wins; else "root=ROOT EXTRA", "root=ROOT" or EXTRA. */
static int update_cmdline(struct config_fields *f)
{
    char *s = NULL;

    if (f->cmdline)
        s = strdup(f->cmdline);
    else if (f->root && f->extra) {
        if (asprintf(&s, "root=%s %s", f->root, f->extra) < 0)
            s = NULL;
    } else if (f->root) {
        if (asprintf(&s, "root=%s", f->root) < 0)
            s = NULL;
    } else if (f->extra)
        s = strdup(f->extra);
    if (!s && (f->cmdline || f->root || f->extra))
        return -ENOMEM;
    free(f->effective_cmdline);
    f->effective_cmdline = s;
    return 0;
}

/* ---- checking and storing one value ---- */

static int parse_uuid(const char *s, uint8_t out[16])
{
    static const int dash_at[] = { 8, 13, 18, 23 };
    int byte = 0;

    if (strlen(s) != 36)
        return -1;
    for (int i = 0, d = 0; i < 36;) {
        if (d < 4 && i == dash_at[d]) {
            if (s[i] != '-')
                return -1;
            i++, d++;
            continue;
        }
        int hi = -1, lo = -1;
        for (int j = 0; j < 2; j++) {
            char c = s[i + j];
            int v = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
            if (v < 0)
                return -1;
            if (j == 0)
                hi = v;
            else
                lo = v;
        }
        out[byte++] = (uint8_t)(hi * 16 + lo);
        i += 2;
    }
    return 0;
}

static int check_name(chaos_config *cfg, const char *s, const char *pfx)
{
    size_t len = strlen(s), digits = 0;

    if (len > CONFIG_MAX_NAME)
        return config__fail(cfg, -EINVAL, "%s'name': longer than %d characters",
                            pfx, CONFIG_MAX_NAME);
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                     (c >= '0' && c <= '9');
        digits += c >= '0' && c <= '9';
        if (alnum || c == '_' || (i > 0 && (c == '-' || c == '.')))
            continue;
        if (i == 0 && (c == '-' || c == '.'))
            return config__fail(cfg, -EINVAL,
                                "%s'name': must start with a "
                                "letter, a digit or '_'",
                                pfx);
        if ((unsigned char)c >= 0x20 && c != 0x7f)
            return config__fail(cfg, -EINVAL,
                                "%s'name': '%c' is not allowed "
                                "(use letters, digits, '_', '-' and '.')",
                                pfx, c);
        return config__fail(cfg, -EINVAL,
                            "%s'name': control characters are "
                            "not allowed",
                            pfx);
    }
    if (digits == len)
        return config__fail(cfg, -EINVAL,
                            "%s'name': '%s' is all digits, which "
                            "reads as a domain id",
                            pfx, s);
    return 0;
}

/* Finds s in names[0..n); returns its index or -1. */
static int lookup(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0)
            return (int)i;
    return -1;
}

static void remember(struct config_fields *f, enum config_key k,
                     const char *origin)
{
    f->given[k] = true;
    snprintf(f->origin[k], sizeof(f->origin[k]), "%s", origin ? origin : "");
}

int config__set_string(chaos_config *cfg, struct config_fields *f,
                       enum config_key k, const char *s, const char *origin)
{
    char pbuf[CONFIG_ORIGIN_MAX + 2];
    const char *pfx = prefix(origin, pbuf);
    const char *key = config__key_names[k];
    char **field = string_field(f, k);
    int i;

    if (!s) {
        /* Unsetting: only optional strings can be. */
        if (!field && k != KEY_UUID)
            return config__fail(cfg, -EINVAL, "%s'%s' cannot be unset", pfx,
                                key);
        if (field) {
            free(*field);
            *field = NULL;
        }
        f->given[k] = false;
        f->origin[k][0] = '\0';
        return field ? update_cmdline(f) : 0;
    }
    if (strlen(s) > CONFIG_MAX_STRING)
        return config__fail(cfg, -EINVAL, "%s'%s': longer than %d bytes", pfx,
                            key, CONFIG_MAX_STRING);
    switch (k) {
        case KEY_NAME:
        case KEY_KERNEL:
        case KEY_RAMDISK:
            if (!s[0])
                return config__fail(cfg, -EINVAL, "%s'%s': must not be empty",
                                    pfx, key);
            if (k == KEY_NAME && (i = check_name(cfg, s, pfx)) < 0)
                return i;
            /* fall through */
        case KEY_CMDLINE:
        case KEY_ROOT:
        case KEY_EXTRA: {
            char *copy = strdup(s);
            if (!copy)
                return config__fail(cfg, -ENOMEM, "out of memory");
            free(*field);
            *field = copy;
            if (update_cmdline(f) < 0)
                return config__fail(cfg, -ENOMEM, "out of memory");
            break;
        }
        case KEY_TYPE:
        case KEY_BUILDER:
            if ((k == KEY_TYPE && strcmp(s, "pv") == 0) ||
                (k == KEY_BUILDER && strcmp(s, "generic") == 0))
                f->type = CHAOS_GUEST_PV;
            else if (k == KEY_TYPE && strcmp(s, "pvh") == 0)
                f->type = CHAOS_GUEST_PVH;
            else if (strcmp(s, "hvm") == 0)
                return config__fail(cfg, -EINVAL,
                                    "%s'%s': HVM guests are not "
                                    "supported by chaos (use type = \"pv\" or "
                                    "\"pvh\")",
                                    pfx, key);
            else if (k == KEY_TYPE)
                return config__fail(cfg, -EINVAL,
                                    "%s'type': unknown guest type "
                                    "'%s' (expected \"pv\" or \"pvh\")",
                                    pfx, s);
            else
                return config__fail(cfg, -EINVAL,
                                    "%s'builder': unknown builder "
                                    "'%s' (expected \"generic\", or use type = "
                                    "\"pv\")",
                                    pfx, s);
            /* builder is only a spelling of type: record it as type. */
            remember(f, KEY_TYPE, origin);
            break;
        case KEY_ON_POWEROFF:
        case KEY_ON_REBOOT:
        case KEY_ON_CRASH:
            i = lookup(action_names, N_ELEMENTS(action_names), s);
            if (i < 0)
                return config__fail(cfg, -EINVAL,
                                    "%s'%s': unknown action '%s' "
                                    "(expected destroy, restart, preserve, "
                                    "rename-restart, coredump-destroy, "
                                    "coredump-restart or soft-reset)",
                                    pfx, key, s);
            f->actions[k - KEY_ON_POWEROFF] = (enum chaos_action)i;
            break;
        case KEY_XENSTORE:
            i = lookup(config__xenstore_names,
                       N_ELEMENTS(config__xenstore_names), s);
            if (i < 0 && (strcmp(s, "1") == 0 || strcmp(s, "0") == 0))
                i = s[0] == '1' ? CHAOS_XENSTORE_YES : CHAOS_XENSTORE_NO;
            if (i < 0)
                return config__fail(
                    cfg, -EINVAL,
                    "%s'xenstore': unknown value "
                    "'%s' (expected \"auto\", \"yes\", \"no\", 1 "
                    "or 0)",
                    pfx, s);
            f->xenstore = (enum chaos_xenstore_mode)i;
            break;
        case KEY_TSC_MODE:
            i = lookup(config__tsc_mode_names,
                       N_ELEMENTS(config__tsc_mode_names), s);
            if (i < 0 && s[0] >= '0' && s[0] <= '2' && !s[1])
                i = s[0] - '0';
            if (i < 0 && (!strcmp(s, "native_paravirt") || !strcmp(s, "3")))
                return config__fail(
                    cfg, -EINVAL,
                    "%s'tsc_mode': \"native_paravirt\" "
                    "was removed from Xen (4.10); use \"native\"",
                    pfx);
            if (i < 0)
                return config__fail(
                    cfg, -EINVAL,
                    "%s'tsc_mode': unknown mode '%s' "
                    "(expected \"default\", \"always_emulate\" or "
                    "\"native\")",
                    pfx, s);
            f->tsc_mode = (enum chaos_tsc_mode)i;
            break;
        case KEY_UUID: {
            uint8_t bytes[16];
            if (parse_uuid(s, bytes) < 0)
                return config__fail(
                    cfg, -EINVAL,
                    "%s'uuid': '%.64s' is not a UUID "
                    "(expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
                    pfx, s);
            memcpy(f->uuid, bytes, sizeof(bytes));
            for (i = 0; i < 36; i++)
                f->uuid_text[i] =
                    (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 'a'
                                                      : s[i]);
            f->uuid_text[36] = '\0';
            break;
        }
        default:
            return config__fail(cfg, -EINVAL, "%s'%s': expected a number", pfx,
                                key);
    }
    remember(f, k, origin);
    return 0;
}

int config__set_number(chaos_config *cfg, struct config_fields *f,
                       enum config_key k, uint64_t n, const char *origin)
{
    char pbuf[CONFIG_ORIGIN_MAX + 2];
    const char *pfx = prefix(origin, pbuf);
    bool memory = k == KEY_MEMORY || k == KEY_MAXMEM;
    uint64_t max = memory ? CONFIG_MAX_MEMORY : CONFIG_MAX_VCPUS;

    if (n < 1 || n > max)
        return config__fail(cfg, -EINVAL,
                            "%s'%s': %llu is out of range "
                            "(1 to %llu%s)",
                            pfx, config__key_names[k], (unsigned long long)n,
                            (unsigned long long)max, memory ? " MiB" : "");
    switch (k) {
        case KEY_MEMORY:
            f->memory_mib = n;
            break;
        case KEY_MAXMEM:
            f->maxmem_mib = n;
            break;
        case KEY_VCPUS:
            f->vcpus = (unsigned)n;
            break;
        case KEY_MAXVCPUS:
            f->maxvcpus = (unsigned)n;
            break;
        default:
            return config__fail(cfg, -EINVAL,
                                "%s'%s': expected a string, not a "
                                "number",
                                pfx, config__key_names[k]);
    }
    remember(f, k, origin);
    return 0;
}

static bool is_number_key(enum config_key k)
{
    return k == KEY_MEMORY || k == KEY_MAXMEM || k == KEY_VCPUS ||
           k == KEY_MAXVCPUS;
}

/* The current value of string key k as it would be written in a file. */
static const char *string_value(const struct config_fields *f,
                                enum config_key k)
{
    switch (k) {
        case KEY_TYPE:
            return f->type == CHAOS_GUEST_PVH ? "pvh" : "pv";
        case KEY_BUILDER:
            return "generic";
        case KEY_ON_POWEROFF:
        case KEY_ON_REBOOT:
        case KEY_ON_CRASH:
            return action_names[f->actions[k - KEY_ON_POWEROFF]];
        case KEY_XENSTORE:
            return config__xenstore_names[f->xenstore];
        case KEY_TSC_MODE:
            return config__tsc_mode_names[f->tsc_mode];
        case KEY_UUID:
            return f->given[KEY_UUID] ? f->uuid_text : NULL;
        default: {
            char **s = string_field((struct config_fields *)f, k);
            return s ? *s : NULL;
        }
    }
}

/* ---- applying a parsed setting ---- */

static void origin_of(char *buf, const char *source, struct xlcfg_pos pos)
{
    snprintf(buf, CONFIG_ORIGIN_MAX, "%s:%u:%u", source, pos.line, pos.column);
}

/*
 * vif and disk: a list of spec strings ('=' replaces the devices, '+='
 * adds to them, as xl's lists); a single string is taken as a list of one,
 * which lets `chaos create guest.cfg vif=bridge=xenbr1` work.  Each item
 * is named by its own position in a file (source non-NULL).
 */
static int apply_devices(chaos_config *cfg, struct config_fields *f,
                         enum config_key k, enum xlcfg_op op,
                         const struct xlcfg_value *v, const char *source,
                         const char *key_origin, const char *origin)
{
    const struct xlcfg_value *items = v->kind == XLCFG_LIST ? v->items : v;
    size_t n = v->kind == XLCFG_LIST ? v->n_items : 1;
    char at[CONFIG_ORIGIN_MAX], pbuf[CONFIG_ORIGIN_MAX + 2];
    int rc;

    if (op == XLCFG_ASSIGN)
        config__clear_devices(f, k);
    for (size_t i = 0; i < n; i++) {
        if (source)
            origin_of(at, source, items[i].pos);
        else
            snprintf(at, sizeof(at), "%s", origin);
        if (items[i].kind == XLCFG_LIST)
            return config__fail(cfg, -EINVAL,
                                "%s'%s': expected a string for each device, "
                                "found a list",
                                prefix(at, pbuf), config__key_names[k]);
        rc = k == KEY_VIF ? config__add_vif(cfg, f, items[i].text, at)
                          : config__add_disk(cfg, f, items[i].text, at);
        if (rc < 0)
            return rc;
    }
    /* Validation's refusal names the key. */
    remember(f, k, key_origin);
    return 0;
}

/*
 * Applies one setting.  key_origin locates the key (for key errors),
 * origin the value.  Numbers may be written quoted and strings may be bare
 * numbers, as xl allows; '+=' appends to a string key's current value.
 */
static int apply(chaos_config *cfg, struct config_fields *f, const char *key,
                 enum xlcfg_op op, const struct xlcfg_value *v,
                 const char *source, const char *key_origin, const char *origin)
{
    char pbuf[CONFIG_ORIGIN_MAX + 2];
    const char *pfx;
    char *joined = NULL;
    const char *prev;
    int k, rc;

    k = config__find_key(cfg, key, prefix(key_origin, pbuf));
    if (k < 0)
        return k;
    if (k == KEY_VIF || k == KEY_DISK)
        return apply_devices(cfg, f, (enum config_key)k, op, v, source,
                             key_origin, origin);
    pfx = prefix(origin, pbuf);
    if (v->kind == XLCFG_LIST)
        return config__fail(cfg, -EINVAL, "%s'%s': expected %s, found a list",
                            pfx, key,
                            is_number_key(k) ? "a number" : "a string");
    if (is_number_key(k)) {
        const char *t = v->text;
        char *end;
        unsigned long long n;

        if (op == XLCFG_APPEND)
            return config__fail(cfg, -EINVAL,
                                "%s'%s': can't use += with "
                                "numbers",
                                pfx, key);
        /* Digits first: strtoull would also take " 12", "+12" and "-12". */
        errno = 0;
        n = t[0] >= '0' && t[0] <= '9' ? strtoull(t, &end, 0) : 0;
        if (!(t[0] >= '0' && t[0] <= '9') || *end != '\0')
            return config__fail(cfg, -EINVAL, "%s'%s': '%.64s' is not a number",
                                pfx, key, t);
        if (errno == ERANGE)
            return config__fail(cfg, -EINVAL, "%s'%s': %.64s is too large", pfx,
                                key, t);
        return config__set_number(cfg, f, (enum config_key)k, n, origin);
    }
    prev = f->given[k] ? string_value(f, (enum config_key)k) : NULL;
    if (op == XLCFG_APPEND && prev) {
        if (asprintf(&joined, "%s%s", prev, v->text) < 0)
            return config__fail(cfg, -ENOMEM, "out of memory");
    }
    rc = config__set_string(cfg, f, (enum config_key)k,
                            joined ? joined : v->text, origin);
    free(joined);
    return rc;
}

/* Applies a parsed tree to a copy of cfg's fields; commits on success. */
static int apply_tree(chaos_config *cfg, const struct xlcfg *tree,
                      const char *source)
{
    struct config_fields work;
    char key_at[CONFIG_ORIGIN_MAX], value_at[CONFIG_ORIGIN_MAX];
    int rc;

    if (fields_copy(&work, &cfg->f) < 0)
        return config__fail(cfg, -ENOMEM, "out of memory");
    for (size_t i = 0; i < tree->n_settings; i++) {
        const struct xlcfg_setting *set = &tree->settings[i];
        origin_of(key_at, source, set->pos);
        origin_of(value_at, source, set->value.pos);
        rc = apply(cfg, &work, set->key, set->op, &set->value, source, key_at,
                   value_at);
        if (rc < 0) {
            fields_clear(&work);
            return rc;
        }
    }
    /* Whole-config errors (chaos_config_validate) name the file. */
    snprintf(work.source, sizeof(work.source), "%s", source);
    fields_clear(&cfg->f);
    cfg->f = work;
    return 0;
}

/* ---- public: lifecycle, parsing, overrides ---- */

chaos_config *chaos_config_new(void)
{
    chaos_config *cfg = calloc(1, sizeof(*cfg));
    if (cfg)
        fields_init(&cfg->f);
    return cfg;
}

void chaos_config_free(chaos_config *cfg)
{
    if (!cfg)
        return;
    fields_clear(&cfg->f);
    free(cfg);
}

const char *chaos_config_errmsg(const chaos_config *cfg)
{
    return cfg ? cfg->errmsg : "out of memory";
}

int chaos_config_parse(chaos_config *cfg, const char *text, size_t len,
                       const char *source)
{
    struct xlcfg *tree;
    int rc;

    cfg->errmsg[0] = '\0';
    if (!source)
        source = "<config>";
    rc =
        xlcfg_parse(text, len, source, &tree, cfg->errmsg, sizeof(cfg->errmsg));
    if (rc < 0)
        return rc;
    rc = apply_tree(cfg, tree, source);
    xlcfg_free(tree);
    return rc;
}

/* Reads a whole file (or pipe, for "chaos create /dev/stdin") into a
 * malloc'd buffer, refusing more than the parser would take. */
static int read_file(chaos_config *cfg, const char *path, char **textp,
                     size_t *lenp)
{
    size_t len = 0, cap = 4096;
    char *text = malloc(cap);
    ssize_t n;
    int fd, rc = 0;

    if (!text)
        return config__fail(cfg, -ENOMEM, "out of memory");
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = config__fail(cfg, -errno, "%s: cannot open: %s", path,
                          strerror(errno));
        free(text);
        return rc;
    }
    for (;;) {
        if (len == cap) {
            char *bigger = cap > XLCFG_MAX_TEXT ? NULL : realloc(text, cap * 2);
            if (!bigger) {
                rc = cap > XLCFG_MAX_TEXT
                         ? config__fail(cfg, -EFBIG,
                                        "%s: too large (at most %u "
                                        "bytes)",
                                        path, XLCFG_MAX_TEXT)
                         : config__fail(cfg, -ENOMEM, "out of memory");
                break;
            }
            text = bigger;
            cap *= 2;
        }
        n = read(fd, text + len, cap - len);
        if (n == 0)
            break;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = config__fail(cfg, -errno, "%s: cannot read: %s", path,
                              strerror(errno));
            break;
        }
        len += (size_t)n;
    }
    close(fd);
    if (rc < 0) {
        free(text);
        return rc;
    }
    *textp = text;
    *lenp = len;
    return 0;
}

int chaos_config_parse_file(chaos_config *cfg, const char *path)
{
    char *text = NULL;
    size_t len = 0;
    int rc;

    cfg->errmsg[0] = '\0';
    rc = read_file(cfg, path, &text, &len);
    if (rc < 0)
        return rc;
    /* xlcfg_parse() reports texts over its limit itself. */
    rc = chaos_config_parse(cfg, text, len, path);
    free(text);
    return rc;
}

static bool is_key_text(const char *s, size_t len)
{
    if (len == 0 || !((s[0] >= 'a' && s[0] <= 'z') ||
                      (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
        return false;
    for (size_t i = 1; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

int chaos_config_set(chaos_config *cfg, const char *key, const char *value)
{
    static const char origin[] = "command line";
    size_t klen = strlen(key);
    enum xlcfg_op op = XLCFG_ASSIGN;
    struct xlcfg *tree = NULL;
    struct xlcfg_value literal = { .kind = XLCFG_STRING };
    const struct xlcfg_value *v = &literal;
    struct config_fields work;
    char *name, *text = NULL, ignored[8];
    int rc;

    cfg->errmsg[0] = '\0';
    if (klen > 0 && key[klen - 1] == '+') {
        op = XLCFG_APPEND;
        klen--;
    }
    if (!is_key_text(key, klen))
        return config__fail(cfg, -EINVAL, "%s: '%.64s' is not a valid key",
                            origin, key);
    name = strndup(key, klen);
    if (!name)
        return config__fail(cfg, -ENOMEM, "out of memory");
    /* Read the value as xl would ("KEY = VALUE" on a line of its own); if
     * it is not exactly one value, take the text as it is. */
    literal.text = (char *)value;
    if (asprintf(&text, "v = %s", value) < 0)
        text = NULL; /* then the value is taken literally */
    if (text &&
        xlcfg_parse(text, strlen(text), origin, &tree, ignored,
                    sizeof(ignored)) == 0 &&
        tree->n_settings == 1)
        v = &tree->settings[0].value;
    free(text);
    rc = fields_copy(&work, &cfg->f);
    if (rc < 0) {
        rc = config__fail(cfg, -ENOMEM, "out of memory");
    } else {
        rc = apply(cfg, &work, name, op, v, NULL, origin, origin);
        if (rc < 0) {
            fields_clear(&work);
        } else {
            fields_clear(&cfg->f);
            cfg->f = work;
        }
    }
    xlcfg_free(tree);
    free(name);
    return rc;
}

int chaos_config_set_arg(chaos_config *cfg, const char *arg)
{
    const char *eq = strchr(arg, '=');
    char *key;
    int rc;

    if (!eq)
        return config__fail(cfg, -EINVAL,
                            "command line: '%.64s' is not "
                            "KEY=VALUE",
                            arg);
    key = strndup(arg, (size_t)(eq - arg));
    if (!key)
        return config__fail(cfg, -ENOMEM, "out of memory");
    rc = chaos_config_set(cfg, key, eq + 1);
    free(key);
    return rc;
}

/* ---- validation and text ---- */

int chaos_config_validate(chaos_config *cfg)
{
    const struct config_fields *f = &cfg->f;
    char pbuf[CONFIG_ORIGIN_MAX + 2];
    /* A missing key has no line: name the text the config came from. */
    const char *src = prefix(f->source, pbuf);

    cfg->errmsg[0] = '\0';
    if (!f->name)
        return config__fail(cfg, -EINVAL,
                            "%sno 'name' given (every guest "
                            "needs one)",
                            src);
    if (!f->kernel)
        return config__fail(cfg, -EINVAL,
                            "%sno 'kernel' given (chaos boots "
                            "guests from a kernel image)",
                            src);
    if (config__maxmem(f) < config__memory(f)) {
        enum config_key at = f->given[KEY_MAXMEM] ? KEY_MAXMEM : KEY_MEMORY;
        return config__fail(cfg, -EINVAL,
                            "%s'maxmem' (%llu MiB) is less than "
                            "'memory' (%llu MiB)",
                            prefix(f->origin[at], pbuf),
                            (unsigned long long)config__maxmem(f),
                            (unsigned long long)config__memory(f));
    }
    if (config__maxvcpus(f) < config__vcpus(f)) {
        enum config_key at = f->given[KEY_MAXVCPUS] ? KEY_MAXVCPUS : KEY_VCPUS;
        return config__fail(cfg, -EINVAL,
                            "%s'maxvcpus' (%u) is less than "
                            "'vcpus' (%u)",
                            prefix(f->origin[at], pbuf), config__maxvcpus(f),
                            config__vcpus(f));
    }
    if (f->type == CHAOS_GUEST_PV && f->effective_cmdline &&
        strlen(f->effective_cmdline) > CONFIG_PV_CMDLINE) {
        /* The key that made it: cmdline, else extra (root joins it). */
        enum config_key at = f->cmdline ? KEY_CMDLINE
                             : f->extra ? KEY_EXTRA
                                        : KEY_ROOT;
        return config__fail(cfg, -EINVAL,
                            "%s'%s': the kernel command line "
                            "is %zu bytes; a PV guest takes at most %d",
                            prefix(f->origin[at], pbuf), config__key_names[at],
                            strlen(f->effective_cmdline), CONFIG_PV_CMDLINE);
    }
    return config__check_devices(cfg, f);
}

static void put_string(FILE *out, const char *key, const char *value)
{
    size_t need = xlcfg_quote(NULL, 0, value);
    char *q = malloc(need + 1);

    if (!q) {
        /* Leave a line the parser rejects rather than a wrong value. */
        fprintf(out, "%s = <out of memory>\n", key);
        return;
    }
    xlcfg_quote(q, need + 1, value);
    fprintf(out, "%s = %s\n", key, q);
    free(q);
}

char *chaos_config_to_text(const chaos_config *cfg)
{
    const struct config_fields *f = &cfg->f;
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    bool failed;

    if (!out)
        return NULL;
    fputs("# chaos guest configuration (xl.cfg syntax)\n", out);
    if (f->name)
        put_string(out, "name", f->name);
    put_string(out, "type", string_value(f, KEY_TYPE));
    if (f->kernel)
        put_string(out, "kernel", f->kernel);
    if (f->ramdisk)
        put_string(out, "ramdisk", f->ramdisk);
    if (f->cmdline)
        put_string(out, "cmdline", f->cmdline);
    if (f->root)
        put_string(out, "root", f->root);
    if (f->extra)
        put_string(out, "extra", f->extra);
    fprintf(out, "memory = %llu\nmaxmem = %llu\nvcpus = %u\nmaxvcpus = %u\n",
            (unsigned long long)config__memory(f),
            (unsigned long long)config__maxmem(f), config__vcpus(f),
            config__maxvcpus(f));
    for (int k = KEY_ON_POWEROFF; k <= KEY_ON_CRASH; k++)
        put_string(out, config__key_names[k],
                   string_value(f, (enum config_key)k));
    put_string(out, "xenstore", string_value(f, KEY_XENSTORE));
    if (f->tsc_mode != CHAOS_TSC_DEFAULT)
        put_string(out, "tsc_mode", string_value(f, KEY_TSC_MODE));
    if (f->given[KEY_UUID])
        put_string(out, "uuid", f->uuid_text);
    config__put_devices(out, f);
    failed = ferror(out);
    if (fclose(out) != 0 || failed) {
        free(text);
        return NULL;
    }
    return text;
}
