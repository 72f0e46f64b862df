/*
 * store_path.c - paths and permissions, as xenstored checks them.
 *
 * A path is made of xenstored's characters (letters, digits, "-/_@"),
 * absolute ("/local/domain/5/device"), relative to the client's home
 * ("device" is "/local/domain/GUEST/device"), or special ("@releaseDomain",
 * watches only); never a trailing slash (but "/") nor "//".
 *
 * Permissions: dom0 may do everything; the guest may do everything with
 * a node it owns (the first entry's domain), else what its own entry
 * says, else what the first entry gives everybody.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

static const char valid[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                            "abcdefghijklmnopqrstuvwxyz"
                            "0123456789-/_@";

/* The length of the part of an absolute path below /local/domain/N/ (all
 * of it elsewhere): what xenstored's path length quota counts. */
static size_t rel_len(const char *path)
{
    static const char dom[] = "/local/domain/";
    size_t len = strlen(path);
    if (strncmp(path, dom, sizeof(dom) - 1) != 0)
        return len;
    const char *p = path + sizeof(dom) - 1;
    size_t digits = strspn(p, "0123456789");
    if (!digits || digits > 5 || p[digits] != '/')
        return len;
    return len - (size_t)(p + digits + 1 - path);
}

int store_path_canon(const struct store_req *r, const char *path,
                     bool allow_special, char *out, bool *relative)
{
    size_t len = strlen(path);
    *relative = false;
    if (!len || strspn(path, valid) != len)
        return EINVAL;
    if (path[0] == '@') {
        if (!allow_special || len > XENSTORE_ABS_PATH_MAX)
            return EINVAL;
        memcpy(out, path, len + 1);
        return 0;
    }
    if (path[0] == '/') {
        if (len > XENSTORE_ABS_PATH_MAX)
            return EINVAL;
        memcpy(out, path, len + 1);
    } else {
        int n = snprintf(out, STORE_PATH_BUF, "%s/%s", r->s->home, path);
        if (n < 0 || n > XENSTORE_ABS_PATH_MAX)
            return EINVAL;
        len = (size_t)n;
        *relative = true;
    }
    if ((len > 1 && out[len - 1] == '/') || strstr(out, "//"))
        return EINVAL;
    /* xenstored's path quota: for unprivileged clients only. */
    if (!r->priv && rel_len(out) > XENSTORE_REL_PATH_MAX)
        return EINVAL;
    return 0;
}

static unsigned perm_of(uint16_t domid, bool priv, const struct store_perms *p)
{
    if (priv || p->p[0].id == domid)
        return STORE_PERM_READ | STORE_PERM_WRITE | STORE_PERM_OWNER;
    for (unsigned i = 1; i < p->num; i++)
        if (p->p[i].id == domid)
            return p->p[i].perms;
    return p->p[0].perms;
}

unsigned store_perm_for(const struct store_req *r, const struct store_perms *p)
{
    return perm_of(r->domid, r->priv, p);
}

unsigned store_perm_guest(const struct store *s, const struct store_perms *p)
{
    return perm_of(s->guest, false, p);
}

struct store_node *store_node_get(const struct store_req *r, const char *path,
                                  unsigned want, int *err)
{
    unsigned missing;
    size_t bytes;
    struct store_node *n = store_tree_nearest(r->tree, path, &missing, &bytes);
    const struct store_node *judge = n; /* who says what we may learn */
    if (!missing) {
        if ((store_perm_for(r, &n->perms) & want) == want)
            return n;
        *err = EACCES;
        if (n->parent)
            judge = n->parent;
    } else {
        *err = ENOENT;
    }
    /* Without the same right on the parent, the client may not even
     * learn whether the node exists. */
    if (!(store_perm_for(r, &judge->perms) & want))
        *err = EACCES;
    return NULL;
}

bool store_guest_hears(const struct store *s, const struct store_node *n)
{
    if (store_perm_guest(s, &n->perms) & STORE_PERM_READ)
        return true;
    return n->parent &&
           (store_perm_guest(s, &n->parent->perms) & STORE_PERM_READ);
}

int store_perms_parse(const char *data, size_t len, unsigned count,
                      struct store_perms *out)
{
    static const struct {
        char c;
        uint8_t perms;
    } kinds[] = {
        { 'n', STORE_PERM_NONE },
        { 'r', STORE_PERM_READ },
        { 'w', STORE_PERM_WRITE },
        { 'b', STORE_PERM_READ | STORE_PERM_WRITE },
    };
    const char *p = data;
    if (count < 1 || count > STORE_PERMS_MAX)
        return EINVAL;
    out->num = count;
    for (unsigned i = 0; i < count; i++) {
        size_t k, slen = strlen(p);
        if ((size_t)(p - data) + slen >= len)
            return EINVAL;
        for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
            if (kinds[k].c == p[0])
                break;
        if (k == sizeof(kinds) / sizeof(kinds[0]))
            return EINVAL;
        size_t digits = strspn(p + 1, "0123456789");
        if (!digits || digits > 5 || digits != slen - 1)
            return EINVAL;
        unsigned long id = strtoul(p + 1, NULL, 10);
        if (id > 0xffff)
            return EINVAL;
        out->p[i].id = (uint16_t)id;
        out->p[i].perms = kinds[k].perms;
        p += slen + 1;
    }
    return 0;
}
