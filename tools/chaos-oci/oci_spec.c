/*
 * oci_spec.c - config.json to struct oci_spec (see oci_spec.h).
 *
 * Every object chaos-oci reads has a table of the fields it knows, each
 * with what it does with it: uses it, ignores it (a VM already gives what
 * the field asks of a container: namespaces, capabilities, seccomp, ...),
 * accepts it only empty, or refuses it.  A field in no table is refused:
 * a newer spec's field may change what the program sees, and running it
 * anyway would be a silent lie.
 */
#include "oci_spec.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIB (1024ull * 1024ull)
#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

enum rule {
    USE,    /* read by the code below */
    IGNORE, /* meaningless for a VM, or harmless to skip (docs/oci.md) */
    EMPTY,  /* accepted only absent, null, false, [] or {} */
};

struct field {
    const char *name;
    enum rule rule;
    const char *why; /* EMPTY: why a value is refused */
};

struct ctx {
    char *msg;
    size_t msglen;
};

static int fail(struct ctx *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct ctx *c, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (c->msglen)
        vsnprintf(c->msg, c->msglen, fmt, ap);
    va_end(ap);
    return code;
}

static const struct field top_fields[] = {
    { "ociVersion", USE, NULL },
    { "root", USE, NULL },
    { "process", USE, NULL },
    { "hostname", USE, NULL },
    { "domainname", IGNORE, NULL },
    { "mounts", USE, NULL },
    { "annotations", USE, NULL },
    { "linux", USE, NULL },
    { "hooks", EMPTY, "hooks are not run by chaos-oci" },
};

static const struct field root_fields[] = {
    { "path", USE, NULL },
    { "readonly", IGNORE, NULL },
};

static const struct field process_fields[] = {
    { "terminal", USE, NULL },
    { "consoleSize", IGNORE, NULL },
    { "user", USE, NULL },
    { "args", USE, NULL },
    { "commandLine", EMPTY, "a Windows command line" },
    { "env", USE, NULL },
    { "cwd", USE, NULL },
    { "capabilities", IGNORE, NULL },
    { "rlimits", IGNORE, NULL },
    { "noNewPrivileges", IGNORE, NULL },
    { "apparmorProfile", IGNORE, NULL },
    { "selinuxLabel", IGNORE, NULL },
    { "oomScoreAdj", IGNORE, NULL },
    { "scheduler", IGNORE, NULL },
    { "ioPriority", IGNORE, NULL },
    { "execCPUAffinity", IGNORE, NULL },
};

static const struct field user_fields[] = {
    { "uid", USE, NULL },
    { "gid", USE, NULL },
    { "umask", IGNORE, NULL },
    { "additionalGids", IGNORE, NULL },
    { "username", EMPTY, "a Windows user name" },
};

static const struct field linux_fields[] = {
    { "namespaces", IGNORE, NULL },
    { "uidMappings", EMPTY, "user namespace mappings" },
    { "gidMappings", EMPTY, "user namespace mappings" },
    { "timeOffsets", EMPTY, "time namespace offsets" },
    { "devices", IGNORE, NULL },
    { "netDevices", EMPTY, "moving network devices into the container" },
    { "cgroupsPath", IGNORE, NULL },
    { "resources", USE, NULL },
    { "rootfsPropagation", IGNORE, NULL },
    { "seccomp", IGNORE, NULL },
    { "sysctl", EMPTY, "the guest kernel's parameters (not yet)" },
    { "maskedPaths", IGNORE, NULL },
    { "readonlyPaths", IGNORE, NULL },
    { "mountLabel", IGNORE, NULL },
    { "personality", EMPTY, "execution domains" },
    { "intelRdt", EMPTY, "Intel RDT" },
    { "memoryPolicy", EMPTY, "NUMA memory policy" },
};

static const struct field resources_fields[] = {
    { "memory", USE, NULL },     { "cpu", USE, NULL },
    { "devices", IGNORE, NULL }, { "pids", IGNORE, NULL },
    { "blockIO", IGNORE, NULL }, { "hugepageLimits", IGNORE, NULL },
    { "network", IGNORE, NULL }, { "rdma", IGNORE, NULL },
    { "unified", IGNORE, NULL },
};

static const struct field memory_fields[] = {
    { "limit", USE, NULL },
    { "reservation", IGNORE, NULL },
    { "swap", IGNORE, NULL },
    { "kernel", IGNORE, NULL },
    { "kernelTCP", IGNORE, NULL },
    { "swappiness", IGNORE, NULL },
    { "disableOOMKiller", IGNORE, NULL },
    { "useHierarchy", IGNORE, NULL },
    { "checkBeforeUpdate", IGNORE, NULL },
};

static const struct field cpu_fields[] = {
    { "quota", USE, NULL },
    { "period", USE, NULL },
    { "shares", IGNORE, NULL },
    { "realtimeRuntime", IGNORE, NULL },
    { "realtimePeriod", IGNORE, NULL },
    { "cpus", IGNORE, NULL },
    { "mems", IGNORE, NULL },
    { "idle", IGNORE, NULL },
    { "burst", IGNORE, NULL },
};

static const struct field mount_fields[] = {
    { "destination", USE, NULL },
    { "type", USE, NULL },
    { "source", USE, NULL },
    { "options", USE, NULL },
    { "uidMappings", EMPTY, "id-mapped mounts" },
    { "gidMappings", EMPTY, "id-mapped mounts" },
};

/* The file systems /init mounts itself (or the guest has without them):
 * the usual pseudo-file-system mounts of a container are accepted. */
static const char *const pseudo_fs[] = { "proc",   "sysfs",  "tmpfs",  "devpts",
                                         "mqueue", "cgroup", "cgroup2" };

/* chaos's own annotations; any other org.chaos.* key is refused (typo). */
#define ANN_PREFIX "org.chaos."
static const char *const chaos_annotations[] = { "org.chaos.kernel",
                                                 "org.chaos.flavor",
                                                 "org.chaos.memory",
                                                 "org.chaos.direct" };

static bool is_empty(json_object *v)
{
    switch (json_object_get_type(v)) {
        case json_type_null:
            return true;
        case json_type_boolean:
            return !json_object_get_boolean(v);
        case json_type_array:
            return json_object_array_length(v) == 0;
        case json_type_object:
            return json_object_object_length(v) == 0;
        default:
            return false;
    }
}

/* Checks every field of obj (named path) against its table. */
static int check_fields(struct ctx *c, json_object *obj, const char *path,
                        const struct field *tab, size_t n)
{
    if (!json_object_is_type(obj, json_type_object))
        return fail(c, -EINVAL, "config.json: %s is not an object", path);
    json_object_object_foreach(obj, key, val)
    {
        const struct field *f = NULL;
        for (size_t i = 0; i < n && !f; i++)
            if (strcmp(tab[i].name, key) == 0)
                f = &tab[i];
        if (!f)
            return fail(c, -EINVAL,
                        "config.json: %s%s%s is not supported by chaos-oci "
                        "(a field it does not know)",
                        path, *path ? "." : "", key);
        if (f->rule == EMPTY && !is_empty(val))
            return fail(c, -EINVAL,
                        "config.json: %s%s%s is not supported by chaos-oci "
                        "(%s)",
                        path, *path ? "." : "", key, f->why);
    }
    return 0;
}

static json_object *get(json_object *obj, const char *key)
{
    json_object *v = NULL;
    return obj && json_object_object_get_ex(obj, key, &v) &&
                   !json_object_is_type(v, json_type_null)
               ? v
               : NULL;
}

/* A string field; NULL when absent.  -EINVAL when not a string. */
static int get_string(struct ctx *c, json_object *obj, const char *key,
                      const char *path, const char **out)
{
    json_object *v = get(obj, key);
    *out = NULL;
    if (!v)
        return 0;
    if (!json_object_is_type(v, json_type_string))
        return fail(c, -EINVAL, "config.json: %s.%s is not a string", path,
                    key);
    const char *s = json_object_get_string(v);
    if (strlen(s) != (size_t)json_object_get_string_len(v))
        return fail(c, -EINVAL, "config.json: %s.%s holds a NUL byte", path,
                    key);
    *out = s;
    return 0;
}

/* A whole number field that must be >= min; present: 1, absent: 0. */
static int get_int(struct ctx *c, json_object *obj, const char *key,
                   const char *path, int64_t min, int64_t *out)
{
    json_object *v = get(obj, key);
    if (!v)
        return 0;
    if (!json_object_is_type(v, json_type_int))
        return fail(c, -EINVAL, "config.json: %s.%s is not a whole number",
                    path, key);
    errno = 0;
    int64_t x = json_object_get_int64(v);
    if (errno || x < min)
        return fail(c, -EINVAL, "config.json: %s.%s is out of range", path,
                    key);
    *out = x;
    return 1;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

bool oci_version_ok(const char *v)
{
    /* MAJOR.MINOR.PATCH, then optionally -anything or +anything. */
    unsigned part[3];
    const char *p = v;
    for (int i = 0; i < 3; i++) {
        if (*p < '0' || *p > '9')
            return false;
        unsigned long x = 0;
        size_t digits = 0;
        while (*p >= '0' && *p <= '9' && digits < 6) {
            x = x * 10 + (unsigned long)(*p++ - '0');
            digits++;
        }
        if (*p >= '0' && *p <= '9')
            return false;
        part[i] = (unsigned)x;
        if (i < 2 && *p++ != '.')
            return false;
    }
    if (*p && *p != '-' && *p != '+')
        return false;
    return part[0] == 1 && part[1] <= 2;
}

/* An array of strings, every one non-empty when nonempty is set. */
static int get_strv(struct ctx *c, json_object *obj, const char *key,
                    const char *path, bool nonempty, char ***out, size_t *n)
{
    json_object *v = get(obj, key);
    *out = NULL;
    *n = 0;
    if (!v)
        return 0;
    if (!json_object_is_type(v, json_type_array))
        return fail(c, -EINVAL, "config.json: %s.%s is not an array", path,
                    key);
    size_t len = json_object_array_length(v);
    char **strv = calloc(len + 1, sizeof(*strv));
    if (!strv)
        return fail(c, -ENOMEM, "out of memory");
    for (size_t i = 0; i < len; i++) {
        json_object *e = json_object_array_get_idx(v, i);
        const char *s = json_object_get_string(e);
        if (!json_object_is_type(e, json_type_string) ||
            strlen(s) != (size_t)json_object_get_string_len(e) ||
            (nonempty && !*s)) {
            for (size_t j = 0; j < i; j++)
                free(strv[j]);
            free(strv);
            return fail(c, -EINVAL, "config.json: %s.%s[%zu] is not a%s string",
                        path, key, i, nonempty ? " non-empty" : "");
        }
        if (!(strv[i] = strdup(s))) {
            for (size_t j = 0; j < i; j++)
                free(strv[j]);
            free(strv);
            return fail(c, -ENOMEM, "out of memory");
        }
    }
    *out = strv;
    *n = len;
    return 0;
}

/* NAME=VALUE where NAME is a shell variable name: /init exports it. */
static bool env_ok(const char *a)
{
    const char *eq = strchr(a, '=');
    if (!eq || eq == a)
        return false;
    for (const char *p = a; p < eq; p++) {
        bool alpha =
            (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_';
        if (!alpha && !(*p >= '0' && *p <= '9' && p != a))
            return false;
    }
    return true;
}

static int parse_root(struct ctx *c, json_object *top, const char *bundle,
                      struct oci_spec *s)
{
    json_object *root = get(top, "root");
    if (!root)
        return fail(c, -EINVAL, "config.json: root is missing");
    int r = check_fields(c, root, "root", root_fields, N_ELEMENTS(root_fields));
    const char *path;
    if (r == 0)
        r = get_string(c, root, "path", "root", &path);
    if (r < 0)
        return r;
    if (!path || !*path)
        return fail(c, -EINVAL, "config.json: root.path is missing");
    if (path[0] == '/')
        s->root_path = strdup(path);
    else if (asprintf(&s->root_path, "%s/%s", bundle, path) < 0)
        s->root_path = NULL;
    return s->root_path ? 0 : fail(c, -ENOMEM, "out of memory");
}

static int parse_user(struct ctx *c, json_object *process)
{
    json_object *user = get(process, "user");
    if (!user)
        return 0;
    int r = check_fields(c, user, "process.user", user_fields,
                         N_ELEMENTS(user_fields));
    int64_t uid = 0, gid = 0;
    if (r == 0)
        r = get_int(c, user, "uid", "process.user", 0, &uid);
    if (r >= 0)
        r = get_int(c, user, "gid", "process.user", 0, &gid);
    if (r < 0)
        return r;
    if (uid != 0 || gid != 0)
        return fail(c, -EINVAL,
                    "config.json: process.user is uid %lld gid %lld: chaos-oci "
                    "runs the program as root (0) only",
                    (long long)uid, (long long)gid);
    return 0;
}

static int parse_process(struct ctx *c, json_object *top, struct oci_spec *s)
{
    json_object *process = get(top, "process");
    if (!process)
        return fail(c, -EINVAL,
                    "config.json: process is missing (nothing to run)");
    int r = check_fields(c, process, "process", process_fields,
                         N_ELEMENTS(process_fields));
    if (r == 0)
        r = parse_user(c, process);
    if (r == 0)
        r = get_strv(c, process, "args", "process", false, &s->args, &s->nargs);
    if (r < 0)
        return r;
    if (s->nargs == 0 || !s->args[0][0])
        return fail(c, -EINVAL,
                    "config.json: process.args is missing or empty (nothing "
                    "to run)");
    if ((r = get_strv(c, process, "env", "process", true, &s->env, &s->nenv)) <
        0)
        return r;
    for (size_t i = 0; i < s->nenv; i++)
        if (!env_ok(s->env[i]))
            return fail(c, -EINVAL,
                        "config.json: process.env[%zu] \"%s\" is not "
                        "NAME=VALUE with a shell variable NAME",
                        i, s->env[i]);
    const char *cwd;
    if ((r = get_string(c, process, "cwd", "process", &cwd)) < 0)
        return r;
    if (cwd && cwd[0] != '/')
        return fail(c, -EINVAL,
                    "config.json: process.cwd \"%s\" is not an absolute path",
                    cwd);
    if (!(s->cwd = strdup(cwd ? cwd : "/")))
        return fail(c, -ENOMEM, "out of memory");
    json_object *t = get(process, "terminal");
    if (t && !json_object_is_type(t, json_type_boolean))
        return fail(c, -EINVAL,
                    "config.json: process.terminal is not a "
                    "boolean");
    s->terminal = t && json_object_get_boolean(t);
    return 0;
}

/* Bind mounts onto these are ignored: the guest mounts its own there
 * (/dev/shm: the pod's shared IPC memory, which cannot be shared with
 * another VM anyway). */
static const char *const own_mounts[] = { "/dev/shm" };

/* A bind mount: recorded in s->binds (copied in, mounted by the guest). */
static int add_bind(struct ctx *c, const char *path, const char *src,
                    const char *dest, bool ro, struct oci_spec *s)
{
    for (size_t j = 0; j < N_ELEMENTS(own_mounts); j++)
        if (strcmp(dest, own_mounts[j]) == 0)
            return 0;
    if (!src || src[0] != '/')
        return fail(c, -EINVAL,
                    "config.json: %s: the source of the bind mount on %s is "
                    "not an absolute path",
                    path, dest);
    struct oci_bind *b = realloc(s->binds, (s->nbinds + 1) * sizeof(*s->binds));
    if (!b)
        return fail(c, -ENOMEM, "out of memory");
    s->binds = b;
    b = &s->binds[s->nbinds];
    *b = (struct oci_bind){ .source = strdup(src),
                            .destination = strdup(dest),
                            .readonly = ro };
    s->nbinds++;
    return b->source && b->destination ? 0 : fail(c, -ENOMEM, "out of memory");
}

static int parse_mounts(struct ctx *c, json_object *top, struct oci_spec *s)
{
    json_object *mounts = get(top, "mounts");
    if (!mounts)
        return 0;
    if (!json_object_is_type(mounts, json_type_array))
        return fail(c, -EINVAL, "config.json: mounts is not an array");
    for (size_t i = 0; i < json_object_array_length(mounts); i++) {
        json_object *m = json_object_array_get_idx(mounts, i);
        char path[32];
        snprintf(path, sizeof(path), "mounts[%zu]", i);
        int r =
            check_fields(c, m, path, mount_fields, N_ELEMENTS(mount_fields));
        const char *dest, *type, *src;
        if (r == 0)
            r = get_string(c, m, "destination", path, &dest);
        if (r == 0)
            r = get_string(c, m, "type", path, &type);
        if (r == 0)
            r = get_string(c, m, "source", path, &src);
        if (r < 0)
            return r;
        char **opts;
        size_t nopts;
        if ((r = get_strv(c, m, "options", path, false, &opts, &nopts)) < 0)
            return r;
        bool bind = type && strcmp(type, "bind") == 0, ro = false;
        for (size_t j = 0; j < nopts; j++) {
            bind |=
                strcmp(opts[j], "bind") == 0 || strcmp(opts[j], "rbind") == 0;
            ro |= strcmp(opts[j], "ro") == 0;
            free(opts[j]);
        }
        free(opts);
        if (!dest)
            return fail(c, -EINVAL, "config.json: %s.destination is missing",
                        path);
        if (dest[0] != '/')
            return fail(c, -EINVAL,
                        "config.json: %s.destination \"%s\" is not an "
                        "absolute path",
                        path, dest);
        if (bind) {
            if ((r = add_bind(c, path, src, dest, ro, s)) < 0)
                return r;
            continue;
        }
        bool pseudo = false;
        for (size_t j = 0; type && j < N_ELEMENTS(pseudo_fs); j++)
            pseudo |= strcmp(type, pseudo_fs[j]) == 0;
        if (!pseudo)
            return fail(c, -EINVAL,
                        "config.json: %s: a mount of type %s on %s is not "
                        "supported by chaos-oci (only the pseudo file systems "
                        "/init mounts, and bind mounts)",
                        path, type ? type : "(none)", dest);
    }
    return 0;
}

static int parse_resources(struct ctx *c, json_object *lnx, struct oci_spec *s)
{
    json_object *res = get(lnx, "resources");
    if (!res)
        return 0;
    int r = check_fields(c, res, "linux.resources", resources_fields,
                         N_ELEMENTS(resources_fields));
    if (r < 0)
        return r;
    json_object *mem = get(res, "memory");
    if (mem) {
        const char *p = "linux.resources.memory";
        int64_t limit = 0;
        if ((r = check_fields(c, mem, p, memory_fields,
                              N_ELEMENTS(memory_fields))) < 0 ||
            (r = get_int(c, mem, "limit", p, -1, &limit)) < 0)
            return r;
        /* -1 and 0: no limit. */
        if (limit > 0)
            s->memory_mib = ((uint64_t)limit + MIB - 1) / MIB;
    }
    json_object *cpu = get(res, "cpu");
    if (cpu) {
        const char *p = "linux.resources.cpu";
        int64_t quota = 0, period = 100000;
        if ((r = check_fields(c, cpu, p, cpu_fields, N_ELEMENTS(cpu_fields))) <
                0 ||
            (r = get_int(c, cpu, "quota", p, -1, &quota)) < 0 ||
            (r = get_int(c, cpu, "period", p, 1, &period)) < 0)
            return r;
        if (quota > 0) {
            uint64_t n =
                ((uint64_t)quota + (uint64_t)period - 1) / (uint64_t)period;
            s->vcpus = n > OCI_MAX_VCPUS ? OCI_MAX_VCPUS : (unsigned)n;
        }
    }
    return 0;
}

static int parse_linux(struct ctx *c, json_object *top, struct oci_spec *s)
{
    json_object *lnx = get(top, "linux");
    if (!lnx)
        return 0;
    int r =
        check_fields(c, lnx, "linux", linux_fields, N_ELEMENTS(linux_fields));
    return r < 0 ? r : parse_resources(c, lnx, s);
}

static int parse_memory_annotation(struct ctx *c, const char *v,
                                   struct oci_spec *s)
{
    char *end;
    errno = 0;
    unsigned long long mib = strtoull(v, &end, 10);
    if (v[0] < '0' || v[0] > '9' || *end || errno || mib == 0 ||
        mib > (1ull << 20))
        return fail(c, -EINVAL,
                    "config.json: annotation org.chaos.memory \"%s\" is not "
                    "a size in MiB (1 to 1048576)",
                    v);
    s->memory_mib = mib;
    return 0;
}

static int parse_annotations(struct ctx *c, json_object *top,
                             struct oci_spec *s)
{
    json_object *ann = get(top, "annotations");
    if (!ann)
        return 0;
    if (!json_object_is_type(ann, json_type_object))
        return fail(c, -EINVAL, "config.json: annotations is not an object");
    size_t n = (size_t)json_object_object_length(ann);
    s->annotations = calloc(n + 1, sizeof(*s->annotations));
    if (!s->annotations)
        return fail(c, -ENOMEM, "out of memory");
    json_object_object_foreach(ann, key, val)
    {
        const char *v = json_object_get_string(val);
        if (!json_object_is_type(val, json_type_string) ||
            strlen(v) != (size_t)json_object_get_string_len(val))
            return fail(c, -EINVAL,
                        "config.json: annotations.%s is not a string", key);
        struct oci_annotation *a = &s->annotations[s->nannotations];
        a->key = strdup(key);
        a->value = strdup(v);
        s->nannotations++;
        if (!a->key || !a->value)
            return fail(c, -ENOMEM, "out of memory");
        if (strncmp(key, ANN_PREFIX, strlen(ANN_PREFIX)) != 0)
            continue;
        size_t k = 0;
        while (k < N_ELEMENTS(chaos_annotations) &&
               strcmp(chaos_annotations[k], key) != 0)
            k++;
        int r = 0;
        switch (k) {
            case 0: /* org.chaos.kernel */
                if (v[0] != '/')
                    r = fail(c, -EINVAL,
                             "config.json: annotation org.chaos.kernel \"%s\" "
                             "is not an absolute path",
                             v);
                else if (!(s->kernel = strdup(v)))
                    r = fail(c, -ENOMEM, "out of memory");
                break;
            case 1: /* org.chaos.flavor */
                if (!*v)
                    r = fail(c, -EINVAL,
                             "config.json: annotation "
                             "org.chaos.flavor is empty");
                else if (!(s->flavor = strdup(v)))
                    r = fail(c, -ENOMEM, "out of memory");
                break;
            case 2: /* org.chaos.memory */
                r = parse_memory_annotation(c, v, s);
                break;
            case 3: /* org.chaos.direct: build here even when chaosd runs */
                if (strcmp(v, "true") && strcmp(v, "false"))
                    r = fail(c, -EINVAL,
                             "config.json: annotation org.chaos.direct "
                             "\"%s\" is not \"true\" or \"false\"",
                             v);
                s->direct = !strcmp(v, "true");
                break;
            default:
                r = fail(c, -EINVAL,
                         "config.json: annotation %s is not one chaos-oci "
                         "knows (org.chaos.kernel, org.chaos.flavor, "
                         "org.chaos.memory, org.chaos.direct)",
                         key);
        }
        if (r < 0)
            return r;
    }
    return 0;
}

static int parse_top(struct ctx *c, json_object *top, const char *bundle,
                     struct oci_spec *s)
{
    int r = check_fields(c, top, "", top_fields, N_ELEMENTS(top_fields));
    const char *version, *hostname;
    if (r == 0)
        r = get_string(c, top, "ociVersion", "", &version);
    if (r < 0)
        return r;
    if (!version)
        return fail(c, -EINVAL, "config.json: ociVersion is missing");
    if (!oci_version_ok(version))
        return fail(c, -EINVAL,
                    "config.json: ociVersion \"%s\" is not one chaos-oci "
                    "knows (1.0.x to 1.2.x)",
                    version);
    if (!(s->oci_version = strdup(version)))
        return fail(c, -ENOMEM, "out of memory");
    if ((r = get_string(c, top, "hostname", "", &hostname)) < 0)
        return r;
    if (hostname && *hostname && !(s->hostname = dup_or_null(hostname)))
        return fail(c, -ENOMEM, "out of memory");
    if ((r = parse_root(c, top, bundle, s)) < 0 ||
        (r = parse_process(c, top, s)) < 0 ||
        (r = parse_mounts(c, top, s)) < 0 || (r = parse_linux(c, top, s)) < 0 ||
        (r = parse_annotations(c, top, s)) < 0)
        return r;
    if (s->memory_mib == 0)
        s->memory_mib = OCI_DEFAULT_MEMORY_MIB;
    if (s->memory_mib < OCI_MIN_MEMORY_MIB)
        s->memory_mib = OCI_MIN_MEMORY_MIB;
    if (s->vcpus == 0)
        s->vcpus = 1;
    return 0;
}

int oci_spec_parse(const char *text, size_t len, const char *bundle,
                   struct oci_spec *out, char *msg, size_t msglen)
{
    struct ctx c = { .msg = msg, .msglen = msglen };
    memset(out, 0, sizeof(*out));
    if (len > (1u << 24))
        return fail(&c, -EINVAL, "config.json: larger than 16 MiB");
    json_tokener *tok = json_tokener_new();
    if (!tok)
        return fail(&c, -ENOMEM, "out of memory");
    json_object *top = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t used = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    int r;
    if (!top || jerr != json_tokener_success) {
        r = fail(&c, -EINVAL, "config.json: not JSON (%s)",
                 top ? "incomplete" : json_tokener_error_desc(jerr));
    } else {
        /* Only blanks may follow the object. */
        while (used < len && strchr(" \t\r\n", text[used]) && text[used])
            used++;
        r = used < len ? fail(&c, -EINVAL,
                              "config.json: text after the "
                              "object")
            : !json_object_is_type(top, json_type_object)
                ? fail(&c, -EINVAL, "config.json: not a JSON object")
                : parse_top(&c, top, bundle, out);
    }
    json_object_put(top);
    if (r < 0)
        oci_spec_free(out);
    return r;
}

static void strv_free(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

void oci_spec_free(struct oci_spec *s)
{
    free(s->oci_version);
    free(s->root_path);
    strv_free(s->args, s->nargs);
    strv_free(s->env, s->nenv);
    free(s->cwd);
    free(s->hostname);
    free(s->kernel);
    free(s->flavor);
    for (size_t i = 0; i < s->nannotations; i++) {
        free(s->annotations[i].key);
        free(s->annotations[i].value);
    }
    free(s->annotations);
    for (size_t i = 0; i < s->nbinds; i++) {
        free(s->binds[i].source);
        free(s->binds[i].destination);
    }
    free(s->binds);
    memset(s, 0, sizeof(*s));
}
