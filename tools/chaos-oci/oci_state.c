/*
 * oci_state.c - the record under --root and the state JSON (oci_state.h).
 */
#include "oci_state.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_names[] = {
    [OCI_CREATING] = "creating",
    [OCI_CREATED] = "created",
    [OCI_RUNNING] = "running",
    [OCI_STOPPED] = "stopped",
};

const char *oci_status_name(enum oci_status st)
{
    return (unsigned)st < sizeof(status_names) / sizeof(*status_names)
               ? status_names[st]
               : "unknown";
}

bool oci_id_ok(const char *id)
{
    size_t len = strlen(id);
    if (len == 0 || len > 128 || id[0] == '.')
        return false;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.'))
            return false;
    return true;
}

#define PATH_SELF "chaos-oci"

bool oci_record_chaosd(const struct oci_record *r)
{
    return r->path && strcmp(r->path, PATH_SELF) != 0;
}

void oci_guest_name(const char *id, char *buf, size_t len)
{
    snprintf(buf, len < 64 ? len : 64, "oci-%s", id);
}

static json_object *annotations_json(const struct oci_record *r)
{
    json_object *a = json_object_new_object();
    for (size_t i = 0; a && i < r->nannotations; i++)
        json_object_object_add(a, r->annotations[i].key,
                               json_object_new_string(r->annotations[i].value));
    return a;
}

/* The container's annotations, then how its guest was made (config.json
 * cannot set these: the parser refuses unknown org.chaos.* keys). */
static json_object *state_annotations(const struct oci_record *r)
{
    json_object *a = annotations_json(r);
    if (a)
        json_object_object_add(
            a, "org.chaos.path",
            json_object_new_string(r->path ? r->path : PATH_SELF));
    if (a && r->flavor)
        json_object_object_add(a, "org.chaos.pool-flavor",
                               json_object_new_string(r->flavor));
    return a;
}

/* "/" unescaped, as runc (Go's encoding/json) writes paths. */
static char *to_text(json_object *o, int flags)
{
    char *s = o ? strdup(json_object_to_json_string_ext(
                      o, flags | JSON_C_TO_STRING_NOSLASHESCAPE))
                : NULL;
    json_object_put(o);
    return s;
}

char *oci_record_to_json(const struct oci_record *r)
{
    json_object *o = json_object_new_object();
    if (!o)
        return NULL;
    json_object_object_add(o, "id", json_object_new_string(r->id));
    json_object_object_add(o, "bundle", json_object_new_string(r->bundle));
    json_object_object_add(o, "pid", json_object_new_int(r->pid));
    json_object_object_add(o, "pid_start",
                           json_object_new_uint64(r->pid_start));
    if (r->has_domain) {
        char uuid[33];
        for (int i = 0; i < 16; i++)
            snprintf(uuid + 2 * i, 3, "%02x", r->uuid[i]);
        json_object_object_add(o, "domid", json_object_new_int64(r->domid));
        json_object_object_add(o, "uuid", json_object_new_string(uuid));
    }
    json_object_object_add(
        o, "created", json_object_new_string(r->created ? r->created : ""));
    if (r->path)
        json_object_object_add(o, "path", json_object_new_string(r->path));
    if (r->flavor)
        json_object_object_add(o, "flavor", json_object_new_string(r->flavor));
    json_object_object_add(o, "annotations", annotations_json(r));
    return to_text(o, JSON_C_TO_STRING_PLAIN);
}

static const char *str(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) &&
                   json_object_is_type(v, json_type_string)
               ? json_object_get_string(v)
               : NULL;
}

static int parse_uuid(const char *s, uint8_t out[16])
{
    if (!s || strlen(s) != 32)
        return -EINVAL;
    for (int i = 0; i < 16; i++) {
        unsigned x;
        if (sscanf(s + 2 * i, "%2x", &x) != 1)
            return -EINVAL;
        out[i] = (uint8_t)x;
    }
    return 0;
}

static int parse_fields(json_object *o, struct oci_record *r)
{
    const char *id = str(o, "id"), *bundle = str(o, "bundle"),
               *created = str(o, "created"), *path = str(o, "path"),
               *flavor = str(o, "flavor");
    json_object *pid, *start, *ann, *domid;
    if (!id || !bundle || !created ||
        !json_object_object_get_ex(o, "pid", &pid) ||
        !json_object_is_type(pid, json_type_int) ||
        !json_object_object_get_ex(o, "pid_start", &start) ||
        !json_object_is_type(start, json_type_int) ||
        !json_object_object_get_ex(o, "annotations", &ann) ||
        !json_object_is_type(ann, json_type_object))
        return -EINVAL;
    if (!(r->id = strdup(id)) || !(r->bundle = strdup(bundle)) ||
        !(r->created = strdup(created)) ||
        (path && !(r->path = strdup(path))) ||
        (flavor && !(r->flavor = strdup(flavor))))
        return -ENOMEM;
    int64_t p = json_object_get_int64(pid);
    if (p < 0 || p > 0x7fffffff)
        return -EINVAL;
    r->pid = (int)p;
    r->pid_start = json_object_get_uint64(start);
    if (json_object_object_get_ex(o, "domid", &domid)) {
        int64_t d = json_object_get_int64(domid);
        if (!json_object_is_type(domid, json_type_int) || d < 0 || d > 0x7fff ||
            parse_uuid(str(o, "uuid"), r->uuid) < 0)
            return -EINVAL;
        r->domid = (uint32_t)d;
        r->has_domain = true;
    }
    size_t n = (size_t)json_object_object_length(ann);
    if (!(r->annotations = calloc(n + 1, sizeof(*r->annotations))))
        return -ENOMEM;
    json_object_object_foreach(ann, key, val)
    {
        if (!json_object_is_type(val, json_type_string))
            return -EINVAL;
        struct oci_annotation *a = &r->annotations[r->nannotations++];
        if (!(a->key = strdup(key)) ||
            !(a->value = strdup(json_object_get_string(val))))
            return -ENOMEM;
    }
    return 0;
}

int oci_record_parse(const char *text, size_t len, struct oci_record *out)
{
    memset(out, 0, sizeof(*out));
    json_tokener *tok = json_tokener_new();
    if (!tok)
        return -ENOMEM;
    json_object *o =
        len < (1u << 24) ? json_tokener_parse_ex(tok, text, (int)len) : NULL;
    json_tokener_free(tok);
    int r = o && json_object_is_type(o, json_type_object) ? parse_fields(o, out)
                                                          : -EINVAL;
    json_object_put(o);
    if (r < 0)
        oci_record_free(out);
    return r;
}

void oci_record_free(struct oci_record *r)
{
    free(r->id);
    free(r->bundle);
    free(r->created);
    free(r->path);
    free(r->flavor);
    for (size_t i = 0; i < r->nannotations; i++) {
        free(r->annotations[i].key);
        free(r->annotations[i].value);
    }
    free(r->annotations);
    memset(r, 0, sizeof(*r));
}

char *oci_state_json(const struct oci_record *r, enum oci_status st)
{
    json_object *o = json_object_new_object();
    if (!o)
        return NULL;
    json_object_object_add(o, "ociVersion",
                           json_object_new_string(OCI_SPEC_VERSION));
    json_object_object_add(o, "id", json_object_new_string(r->id));
    json_object_object_add(o, "status",
                           json_object_new_string(oci_status_name(st)));
    /* The spec wants pid while created or running; runc prints 0 after. */
    json_object_object_add(
        o, "pid",
        json_object_new_int(st == OCI_CREATED || st == OCI_RUNNING ? r->pid
                                                                   : 0));
    json_object_object_add(o, "bundle", json_object_new_string(r->bundle));
    json_object_object_add(
        o, "created", json_object_new_string(r->created ? r->created : ""));
    json_object_object_add(o, "annotations", state_annotations(r));
    return to_text(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED);
}
