/*
 * conf.c - the chaosd.conf parser (see conf.h).  Line-oriented: a line is
 * blank, a comment, a "[flavor NAME]" header or "key = value".
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "util.h"
#include "protocol.h"

/* A config file is a few hundred bytes; this bounds a hostile one. */
#define CONF_MAX_BYTES (1024 * 1024)
#define LINE_MAX_BYTES 1024

void chaosd_conf_defaults(struct chaosd_conf *conf)
{
    memset(conf, 0, sizeof(*conf));
    snprintf(conf->socket_path, sizeof(conf->socket_path), "%s",
             CHAOSD_DEFAULT_SOCKET);
    snprintf(conf->socket_group, sizeof(conf->socket_group), "chaos");
    snprintf(conf->admin_group, sizeof(conf->admin_group), "chaos");
    conf->idle_memory_mib = 256;
    conf->kernel_cache_mib = 256;
    conf->refill_workers = 1;
    conf->refill_quiet_ms = 100;
    conf->ready_timeout_s = 60;
}

const struct chaosd_flavor *chaosd_conf_flavor(const struct chaosd_conf *conf,
                                               const char *name)
{
    for (unsigned i = 0; i < conf->n_flavors; i++)
        if (!strcmp(conf->flavors[i].name, name))
            return &conf->flavors[i];
    return NULL;
}

struct parser {
    struct chaosd_conf *conf;
    const char *source;
    unsigned line;
    struct chaosd_flavor *flavor; /* the section we are in, or NULL */
    unsigned flavor_line;         /* its "[flavor NAME]" line */
    unsigned maxmem_line;         /* its maxmem setting's line, or 0 */
    unsigned restore_line;        /* its restore setting's line, or 0 */
    unsigned kernel_line;         /* its kernel setting's line, or 0 */
    unsigned image_line;          /* its ramdisk or cmdline line, or 0 */
    unsigned per_request_line;    /* its cmdline_per_request line, or 0 */
    unsigned template_line;       /* its template setting's line, or 0 */
    unsigned ready_line;          /* its template_ready's line, or 0 */
    unsigned warm_line;           /* its template_warm(_ip) line, or 0 */
    char *err;
    size_t errlen;
};

static int vperr_at(struct parser *p, unsigned line, const char *fmt,
                    va_list ap)
{
    char msg[256];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (p->errlen)
        snprintf(p->err, p->errlen, "%s:%u: %s", p->source, line, msg);
    return -EINVAL;
}

static int perr(struct parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int perr_at(struct parser *p, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* An error on the current line. */
static int perr(struct parser *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vperr_at(p, p->line, fmt, ap);
    va_end(ap);
    return rc;
}

/* An error found later than the line it is about (a section's end). */
static int perr_at(struct parser *p, unsigned line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vperr_at(p, line, fmt, ap);
    va_end(ap);
    return rc;
}

/* A value: either a quoted string (is_string) or a number. */
struct value {
    bool is_string;
    char text[LINE_MAX_BYTES];
    uint64_t number;
};

static int parse_value(struct parser *p, const char *s, struct value *v)
{
    if (*s == '"') {
        const char *end = strchr(s + 1, '"');
        if (!end)
            return perr(p, "missing closing '\"'");
        size_t n = (size_t)(end - s - 1);
        memcpy(v->text, s + 1, n);
        v->text[n] = '\0';
        v->is_string = true;
        s = end + 1;
    } else if (isdigit((unsigned char)*s)) {
        uint64_t n = 0;
        for (; isdigit((unsigned char)*s); s++) {
            if (n > (UINT64_MAX - 9) / 10)
                return perr(p, "number too large");
            n = n * 10 + (uint64_t)(*s - '0');
        }
        v->number = n;
        v->is_string = false;
    } else {
        return perr(p, "a value is a \"quoted string\" or a number");
    }
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s && *s != '#')
        return perr(p, "unexpected text after the value");
    return 0;
}

static int want_number(struct parser *p, const char *key, const struct value *v,
                       uint64_t min, uint64_t max, uint64_t *out)
{
    if (v->is_string)
        return perr(p, "%s must be a number", key);
    if (v->number < min || v->number > max)
        return perr(p, "%s must be between %llu and %llu", key,
                    (unsigned long long)min, (unsigned long long)max);
    *out = v->number;
    return 0;
}

/* want_number for an unsigned field. */
static int want_unsigned(struct parser *p, const char *key,
                         const struct value *v, unsigned min, unsigned max,
                         unsigned *out)
{
    uint64_t n = 0;
    int rc = want_number(p, key, v, min, max, &n);
    if (rc == 0)
        *out = (unsigned)n;
    return rc;
}

static int want_string(struct parser *p, const char *key, const struct value *v,
                       char *out, size_t size)
{
    if (!v->is_string)
        return perr(p, "%s must be a \"quoted string\"", key);
    if (strlen(v->text) >= size)
        return perr(p, "%s is too long (at most %zu bytes)", key, size - 1);
    snprintf(out, size, "%s", v->text);
    return 0;
}

/* The global settings, one setter each (a table: is_global_key() and the
 * parser read the same rows). */
static int set_socket(struct parser *p, const char *key, const struct value *v)
{
    struct chaosd_conf *c = p->conf;
    int rc = want_string(p, key, v, c->socket_path, sizeof(c->socket_path));
    if (!rc && c->socket_path[0] != '/')
        rc = perr(p, "socket must be an absolute path");
    return rc;
}

static int set_socket_group(struct parser *p, const char *key,
                            const struct value *v)
{
    return want_string(p, key, v, p->conf->socket_group,
                       sizeof(p->conf->socket_group));
}

static int set_admin_group(struct parser *p, const char *key,
                           const struct value *v)
{
    return want_string(p, key, v, p->conf->admin_group,
                       sizeof(p->conf->admin_group));
}

static int set_idle_memory(struct parser *p, const char *key,
                           const struct value *v)
{
    return want_number(p, key, v, 0, 1u << 30, &p->conf->idle_memory_mib);
}

static int set_kernel_cache(struct parser *p, const char *key,
                            const struct value *v)
{
    return want_number(p, key, v, 0, 1u << 20, &p->conf->kernel_cache_mib);
}

static int set_refill_workers(struct parser *p, const char *key,
                              const struct value *v)
{
    return want_unsigned(p, key, v, 1, 8, &p->conf->refill_workers);
}

static int set_refill_quiet(struct parser *p, const char *key,
                            const struct value *v)
{
    return want_unsigned(p, key, v, 0, 60000, &p->conf->refill_quiet_ms);
}

static int set_ready_timeout(struct parser *p, const char *key,
                             const struct value *v)
{
    return want_unsigned(p, key, v, 0, 3600, &p->conf->ready_timeout_s);
}

int chaosd_conf_split_listen(const char *spec, char *host, size_t size,
                             unsigned *port)
{
    const char *colon = strrchr(spec, ':');
    const char *h = spec, *h_end = colon;
    if (!colon)
        return -EINVAL;
    if (*spec == '[') { /* [IPV6]:PORT */
        h = spec + 1;
        h_end = colon > spec && colon[-1] == ']' ? colon - 1 : NULL;
    }
    if (!h_end || h_end <= h || (size_t)(h_end - h) >= size)
        return -EINVAL;
    memcpy(host, h, (size_t)(h_end - h));
    host[h_end - h] = '\0';
    unsigned long n = 0;
    const char *p = colon + 1;
    for (; isdigit((unsigned char)*p) && n <= 65535; p++)
        n = n * 10 + (unsigned long)(*p - '0');
    if (p == colon + 1 || *p || n == 0 || n > 65535)
        return -EINVAL;
    unsigned char addr[16];
    if (inet_pton(h == spec ? AF_INET : AF_INET6, host, addr) != 1)
        return -EINVAL;
    *port = (unsigned)n;
    return 0;
}

/* metrics_listen = "127.0.0.1:9464": where chaosd serves its metrics. */
static int set_metrics_listen(struct parser *p, const char *key,
                              const struct value *v)
{
    char host[64];
    unsigned port;
    int rc = want_string(p, key, v, p->conf->metrics_listen,
                         sizeof(p->conf->metrics_listen));
    if (!rc && p->conf->metrics_listen[0] &&
        chaosd_conf_split_listen(p->conf->metrics_listen, host, sizeof(host),
                                 &port) < 0)
        rc = perr(p, "metrics_listen must be \"ADDRESS:PORT\" (an IPv4 "
                     "address, or an IPv6 one in brackets), e.g. "
                     "\"127.0.0.1:9464\"");
    return rc;
}

static const struct global_setting {
    const char *key;
    int (*set)(struct parser *p, const char *key, const struct value *v);
} global_settings[] = {
    { "socket", set_socket },
    { "socket_group", set_socket_group },
    { "admin_group", set_admin_group },
    { "idle_memory_mib", set_idle_memory },
    { "kernel_cache_mib", set_kernel_cache },
    { "refill_workers", set_refill_workers },
    { "refill_quiet_ms", set_refill_quiet },
    { "ready_timeout_s", set_ready_timeout },
    { "metrics_listen", set_metrics_listen },
};

static const struct global_setting *global_setting(const char *key)
{
    for (size_t i = 0; i < N_ELEMENTS(global_settings); i++)
        if (!strcmp(key, global_settings[i].key))
            return &global_settings[i];
    return NULL;
}

static int set_global(struct parser *p, const char *key, const struct value *v)
{
    const struct global_setting *g = global_setting(key);
    if (!g)
        return perr(p, "unknown setting '%s'", key);
    return g->set(p, key, v);
}

/* Settings that only go before the first [flavor]. */
static bool is_global_key(const char *key)
{
    return global_setting(key) != NULL;
}

/*
 * vif = "bridge=chaosbr0": one network interface of the flavor's shells
 * (an xl vifspec; a line each).  Checked with libchaos's own parser, so a
 * flavor accepts exactly what a guest's vif list does; the flavor's device
 * text is what requests are matched with (chaos_config_shell_devices).
 */
static int add_vif(struct parser *p, struct chaosd_flavor *f,
                   const struct value *v)
{
    if (!v->is_string)
        return perr(p, "vif must be a quoted vifspec, e.g. "
                       "vif = \"bridge=xenbr0\"");
    if (f->n_vifs == CHAOS_CONFIG_MAX_VIFS)
        return perr(p, "more than %d vifs", CHAOS_CONFIG_MAX_VIFS);
    if (strlen(v->text) >= sizeof(f->vifs[0]))
        return perr(p, "vif too long");
    chaos_config *cfg = chaos_config_new();
    int rc = cfg ? 0 : -ENOMEM;
    for (unsigned i = 0; !rc && i < f->n_vifs; i++)
        rc = chaos_config_add_vif(cfg, f->vifs[i]);
    if (!rc && (rc = chaos_config_add_vif(cfg, v->text)) != 0)
        rc = perr(p, "vif: %s", chaos_config_errmsg(cfg));
    else if (!rc)
        rc = chaos_config_shell_devices(cfg, f->devices, sizeof(f->devices));
    chaos_config_free(cfg);
    if (rc == -ENOMEM)
        return perr(p, "out of memory");
    if (rc)
        return rc;
    snprintf(f->vifs[f->n_vifs++], sizeof(f->vifs[0]), "%s", v->text);
    return 0;
}

/* An image flavor's kernel, ramdisk (absolute paths: chaosd's working
 * directory is not the client's) and command line, as a guest config
 * says them: requests match them as text. */
static int set_image(struct parser *p, struct chaosd_flavor *f, const char *key,
                     const struct value *v)
{
    bool path = strcmp(key, "cmdline") != 0;
    char *dst = !strcmp(key, "kernel")    ? f->kernel
                : !strcmp(key, "ramdisk") ? f->ramdisk
                                          : f->cmdline;
    size_t size =
        !strcmp(key, "cmdline") ? sizeof(f->cmdline) : sizeof(f->kernel);
    if (!v->is_string)
        return perr(p, "%s must be a quoted string", key);
    if (path && v->text[0] != '/')
        return perr(p, "%s must be an absolute path", key);
    if (strlen(v->text) >= size)
        return perr(p, "%s too long (at most %zu bytes)", key, size - 1);
    snprintf(dst, size, "%s", v->text);
    if (!strcmp(key, "kernel"))
        p->kernel_line = p->line;
    else
        p->image_line = p->line;
    return 0;
}

/* The largest domain id Xen gives a guest (DOMID_FIRST_RESERVED - 1). */
#define WARM_MAX_DOMID 32751u

/* template_warm_ip = "A.B.C.D/LEN": the first address warm guests count
 * from (their domain id added) and their prefix length. */
static int set_warm_ip(struct parser *p, struct chaosd_flavor *f,
                       const struct value *v)
{
    unsigned a, b, c, e, len;
    char end;
    if (!v->is_string ||
        sscanf(v->text, "%u.%u.%u.%u/%u%c", &a, &b, &c, &e, &len, &end) != 5 ||
        a > 255 || b > 255 || c > 255 || e > 255 || len < 1 || len > 30)
        return perr(p, "template_warm_ip must be \"A.B.C.D/LEN\" (an IPv4 "
                       "address, LEN 1-30)");
    f->warm_ip_base = a << 24 | b << 16 | c << 8 | e;
    f->warm_ip_len = len;
    /* Every domain id must have its address in the prefix (the guests'
     * ids climb as domains come and go). */
    uint32_t mask = ~0u << (32 - len), last = f->warm_ip_base + WARM_MAX_DOMID;
    if (last < f->warm_ip_base || (last & mask) != (f->warm_ip_base & mask) ||
        (last | mask) == ~0u)
        return perr(p,
                    "template_warm_ip %s: A.B.C.D plus a domain id (up to "
                    "%u) must stay inside its /%u (a /17 or wider, e.g. "
                    "\"10.0.128.0/16\")",
                    v->text, WARM_MAX_DOMID, len);
    return 0;
}

/* A template flavor's guest config (absolute path), its ready line (the
 * text a console line must hold) and how long its boot may take. */
static int set_template(struct parser *p, struct chaosd_flavor *f,
                        const char *key, const struct value *v)
{
    uint64_t n = 0;
    int rc;
    if (!strcmp(key, "template_timeout_s")) {
        rc = want_number(p, key, v, 1, 3600, &n);
        f->template_timeout_s = (unsigned)n;
        p->ready_line = p->line;
        return rc;
    }
    if (!strcmp(key, "template_ready")) {
        rc = want_string(p, key, v, f->template_ready,
                         sizeof(f->template_ready));
        if (!rc && !f->template_ready[0])
            rc = perr(p, "template_ready must not be empty");
        p->ready_line = p->line;
        return rc;
    }
    if (!strcmp(key, "template_warm")) {
        rc = want_string(p, key, v, f->template_warm, sizeof(f->template_warm));
        if (!rc && !f->template_warm[0])
            rc = perr(p, "template_warm must not be empty");
        p->warm_line = p->line;
        return rc;
    }
    if (!strcmp(key, "template_warm_ip")) {
        p->warm_line = p->line;
        return set_warm_ip(p, f, v);
    }
    rc = want_string(p, key, v, f->template_cfg, sizeof(f->template_cfg));
    if (!rc && f->template_cfg[0] != '/')
        rc = perr(p, "template must be an absolute path");
    p->template_line = p->line;
    return rc;
}

static int set_flavor(struct parser *p, const char *key, const struct value *v)
{
    struct chaosd_flavor *f = p->flavor;
    uint64_t n = 0;
    int rc;
    if (!strcmp(key, "type")) {
        if (!v->is_string || (strcmp(v->text, "pv") && strcmp(v->text, "pvh")))
            return perr(p, "type must be \"pv\" or \"pvh\"");
        f->pvh = !strcmp(v->text, "pvh");
        return 0;
    }
    if (!strcmp(key, "memory"))
        return want_number(p, key, v, 1, 1u << 24, &f->memory_mib);
    if (!strcmp(key, "maxmem")) {
        p->maxmem_line = p->line;
        return want_number(p, key, v, 1, 1u << 24, &f->maxmem_mib);
    }
    if (!strcmp(key, "vcpus")) {
        rc = want_number(p, key, v, 1, 128, &n);
        f->vcpus = (unsigned)n;
        return rc;
    }
    if (!strcmp(key, "pool")) {
        rc = want_number(p, key, v, 0, 100000, &n);
        f->pool = (unsigned)n;
        return rc;
    }
    if (!strcmp(key, "vif"))
        return add_vif(p, f, v);
    if (!strcmp(key, "restore")) {
        if (!v->is_string || (strcmp(v->text, "yes") && strcmp(v->text, "no") &&
                              strcmp(v->text, "in-place")))
            return perr(p, "restore must be \"yes\", \"in-place\" or \"no\"");
        f->restore = strcmp(v->text, "no") != 0;
        f->in_place = !strcmp(v->text, "in-place");
        p->restore_line = p->line;
        return 0;
    }
    if (!strcmp(key, "kernel") || !strcmp(key, "ramdisk") ||
        !strcmp(key, "cmdline"))
        return set_image(p, f, key, v);
    if (!strcmp(key, "cmdline_per_request")) {
        if (!v->is_string || (strcmp(v->text, "yes") && strcmp(v->text, "no")))
            return perr(p, "cmdline_per_request must be \"yes\" or \"no\"");
        f->cmdline_per_request = !strcmp(v->text, "yes");
        p->per_request_line = p->line;
        return 0;
    }
    /* One key a line: tests/unit/test_man_options.sh reads them. */
    if (!strcmp(key, "template"))
        return set_template(p, f, key, v);
    if (!strcmp(key, "template_ready"))
        return set_template(p, f, key, v);
    if (!strcmp(key, "template_timeout_s"))
        return set_template(p, f, key, v);
    if (!strcmp(key, "template_warm"))
        return set_template(p, f, key, v);
    if (!strcmp(key, "template_warm_ip"))
        return set_template(p, f, key, v);
    if (is_global_key(key))
        return perr(p,
                    "'%s' is a global setting: put it before the first "
                    "[flavor]",
                    key);
    return perr(p,
                "unknown flavor setting '%s' (type, memory, maxmem, "
                "vcpus, pool, vif, restore, kernel, ramdisk, cmdline, "
                "cmdline_per_request, template, template_ready, "
                "template_timeout_s, template_warm, template_warm_ip)",
                key);
}

static bool valid_name_char(char ch)
{
    return isalnum((unsigned char)ch) || ch == '-' || ch == '_' || ch == '.';
}

/* A template flavor: its config and ready line go together; the kernel
 * is the template config's, and its guests are created, not restored. */
static int finish_template(struct parser *p, struct chaosd_flavor *f)
{
    if (!f->template_cfg[0] && (f->template_ready[0] || f->template_timeout_s))
        return perr_at(p, p->ready_line ? p->ready_line : p->flavor_line,
                       "flavor '%s': template_ready and template_timeout_s "
                       "need a template",
                       f->name);
    if (!f->template_cfg[0] && (f->template_warm[0] || f->warm_ip_len))
        return perr_at(p, p->warm_line,
                       "flavor '%s': template_warm and template_warm_ip "
                       "need a template",
                       f->name);
    if (f->warm_ip_len && !f->template_warm[0])
        return perr_at(p, p->warm_line,
                       "flavor '%s': template_warm_ip needs template_warm "
                       "(the console line a resumed guest prints)",
                       f->name);
    if (!f->template_cfg[0])
        return 0;
    if (!f->template_ready[0])
        return perr_at(p, p->template_line,
                       "flavor '%s': template needs template_ready (the "
                       "console line that says the guest is ready)",
                       f->name);
    if (f->kernel[0])
        return perr_at(p, p->kernel_line,
                       "flavor '%s': a template flavor has no kernel (the "
                       "template config names it)",
                       f->name);
    if (f->restore)
        return perr_at(p, p->restore_line,
                       "flavor '%s': a template flavor cannot be a restore "
                       "flavor",
                       f->name);
    if (f->n_vifs)
        return perr_at(p, p->template_line,
                       "flavor '%s': template flavors have no vifs yet (each "
                       "clone would need its own MAC)",
                       f->name);
    if (!f->template_timeout_s)
        f->template_timeout_s = 60;
    return 0;
}

/* Checks the section just ended: memory given, maxmem >= memory, in-place
 * restores for PVH only.  The
 * messages point at the section's header and at maxmem, not at the line
 * that ended the section. */
static int finish_flavor(struct parser *p)
{
    struct chaosd_flavor *f = p->flavor;
    if (!f)
        return 0;
    if (!f->memory_mib)
        return perr_at(p, p->flavor_line, "flavor '%s' has no memory setting",
                       f->name);
    if (!f->maxmem_mib)
        f->maxmem_mib = f->memory_mib;
    if (f->maxmem_mib < f->memory_mib)
        return perr_at(p, p->maxmem_line,
                       "flavor '%s': maxmem (%llu) is less "
                       "than memory (%llu)",
                       f->name, (unsigned long long)f->maxmem_mib,
                       (unsigned long long)f->memory_mib);
    if (f->in_place && !f->pvh)
        return perr_at(p, p->restore_line,
                       "flavor '%s': restore = \"in-place\" is for PVH "
                       "guests (type = \"pvh\")",
                       f->name);
    if (!f->kernel[0] && (f->ramdisk[0] || f->cmdline[0]))
        return perr_at(p, p->image_line,
                       "flavor '%s': ramdisk and cmdline need a kernel",
                       f->name);
    if (f->cmdline_per_request && !f->kernel[0])
        return perr_at(p, p->per_request_line,
                       "flavor '%s': cmdline_per_request needs a kernel",
                       f->name);
    if (f->cmdline_per_request && f->cmdline[0])
        return perr_at(p, p->per_request_line,
                       "flavor '%s': with cmdline_per_request each create "
                       "brings its command line; the flavor's cmdline "
                       "would never be used",
                       f->name);
    if (f->kernel[0] && f->restore)
        return perr_at(p, p->kernel_line,
                       "flavor '%s': a restore flavor has no kernel (the "
                       "image brings the guest)",
                       f->name);
    return finish_template(p, f);
}

static int section(struct parser *p, const char *s)
{
    /* s points after '['. */
    while (*s == ' ' || *s == '\t')
        s++;
    if (strncmp(s, "flavor", 6) || (s[6] != ' ' && s[6] != '\t'))
        return perr(p, "unknown section (expected [flavor NAME])");
    s += 6;
    while (*s == ' ' || *s == '\t')
        s++;
    const char *name = s;
    while (valid_name_char(*s))
        s++;
    size_t n = (size_t)(s - name);
    while (*s == ' ' || *s == '\t')
        s++;
    if (n == 0 || *s != ']')
        return perr(p, "a flavor name is letters, digits, '-', '_' or '.', "
                       "then ']'");
    if (n > CHAOSD_FLAVOR_NAME_MAX)
        return perr(p, "flavor name longer than %d characters",
                    CHAOSD_FLAVOR_NAME_MAX);
    for (s++; *s == ' ' || *s == '\t'; s++)
        ;
    if (*s && *s != '#')
        return perr(p, "unexpected text after ']'");
    char nm[CHAOSD_FLAVOR_NAME_MAX + 1];
    memcpy(nm, name, n);
    nm[n] = '\0';
    if (chaosd_conf_flavor(p->conf, nm))
        return perr(p, "flavor '%s' is defined twice", nm);
    if (p->conf->n_flavors == CHAOSD_MAX_FLAVORS)
        return perr(p, "more than %d flavors", CHAOSD_MAX_FLAVORS);
    struct chaosd_flavor *f = &p->conf->flavors[p->conf->n_flavors++];
    memset(f, 0, sizeof(*f));
    memcpy(f->name, nm, n + 1);
    f->vcpus = 1;
    p->flavor = f;
    p->flavor_line = p->line;
    p->maxmem_line = 0;
    p->restore_line = 0;
    p->kernel_line = 0;
    p->image_line = 0;
    p->per_request_line = 0;
    p->template_line = 0;
    p->ready_line = 0;
    return 0;
}

static int parse_line(struct parser *p, const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    if (!*s || *s == '#')
        return 0;
    if (*s == '[') {
        int rc = finish_flavor(p);
        return rc ? rc : section(p, s + 1);
    }
    const char *key = s;
    while (isalnum((unsigned char)*s) || *s == '_')
        s++;
    size_t klen = (size_t)(s - key);
    while (*s == ' ' || *s == '\t')
        s++;
    if (klen == 0 || *s != '=')
        return perr(p, "expected 'key = value', a [flavor NAME] or a comment");
    char k[64];
    if (klen >= sizeof(k))
        return perr(p, "key too long");
    memcpy(k, key, klen);
    k[klen] = '\0';
    for (s++; *s == ' ' || *s == '\t'; s++)
        ;
    struct value *v = malloc(sizeof(*v));
    if (!v)
        return perr(p, "out of memory");
    int rc = parse_value(p, s, v);
    if (!rc)
        rc = p->flavor ? set_flavor(p, k, v) : set_global(p, k, v);
    free(v);
    return rc;
}

int chaosd_conf_parse(struct chaosd_conf *conf, const char *text, size_t len,
                      const char *source, char *err, size_t errlen)
{
    chaosd_conf_defaults(conf);
    struct parser p = { .conf = conf,
                        .source = source ? source : "<config>",
                        .err = err,
                        .errlen = errlen };
    if (len > CONF_MAX_BYTES)
        return perr(&p, "file larger than %d bytes", CONF_MAX_BYTES);
    char line[LINE_MAX_BYTES + 1];
    size_t pos = 0;
    while (pos < len) {
        p.line++;
        const char *start = text + pos;
        const char *nl = memchr(start, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - start) : len - pos;
        pos += n + (nl ? 1 : 0);
        if (n && start[n - 1] == '\r') /* files edited on other systems */
            n--;
        if (n > LINE_MAX_BYTES)
            return perr(&p, "line longer than %d bytes", LINE_MAX_BYTES);
        if (memchr(start, '\0', n))
            return perr(&p, "NUL byte in the text");
        memcpy(line, start, n);
        line[n] = '\0';
        int rc = parse_line(&p, line);
        if (rc)
            return rc;
    }
    return finish_flavor(&p);
}

int chaosd_conf_load(struct chaosd_conf *conf, const char *path, char *err,
                     size_t errlen)
{
    chaosd_conf_defaults(conf);
    FILE *f = fopen(path, "r");
    if (!f) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        return -e;
    }
    char *buf = malloc(CONF_MAX_BYTES + 1);
    size_t n = buf ? fread(buf, 1, CONF_MAX_BYTES + 1, f) : 0;
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        free(buf);
        snprintf(err, errlen, "%s: %s", path,
                 buf ? "read error" : "out of memory");
        return buf ? -EIO : -ENOMEM;
    }
    int rc = chaosd_conf_parse(conf, buf, n, path, err, errlen);
    free(buf);
    return rc;
}
