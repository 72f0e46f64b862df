/*
 * hv_xs.c - the XenStore entries of guests that need them (see hv_xs.h).
 *
 * What is written is what a Linux PV/PVH guest reads to boot, to report its
 * features and to receive a shutdown request, as libxl writes it (minus
 * devices, which chaos does not set up through XenStore).  No console
 * entries: chaos serves guest consoles itself, and xenconsoled, if one
 * runs, must not take the same ring.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <xenstore.h>

#include "hv_private.h"
#include "hv_xs.h"
#include "registry.h"

/*
 * True if xenstored accepts connections on its socket.  xs_open() must not
 * be called otherwise: it falls back to /dev/xen/xenbus, whose first request
 * blocks forever in a dom0 with no xenstored (its XS_OPEN_SOCKETONLY flag is
 * "deprecated and ignored" in 4.17).
 */
bool hv_xs_daemon_listening(void)
{
    const char *path = xs_daemon_socket();
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    if (!path || strlen(path) >= sizeof(addr.sun_path))
        return false;
    memcpy(addr.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    bool ok = connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0;
    close(fd);
    return ok;
}

/* Connects on first use, and only to a listening daemon. */
static struct xs_handle *xsh(struct chaos_hv *hv)
{
    struct chaos_hv_xs *x = hv_xs_slot(hv);
    if (!x->h && hv_xs_daemon_listening())
        x->h = xs_open(0);
    return x->h;
}

void hv_xs_close(struct chaos_hv *hv)
{
    struct chaos_hv_xs *x = hv_xs_slot(hv);
    if (x->h)
        xs_close(x->h);
    x->h = NULL;
}

int hv_xs_running(struct chaos_hv *hv)
{
    return xsh(hv) != NULL;
}

/* Permissions: the guest may read (ro) or owns the node (rw); dom0 always
 * has full access as the privileged domain. */
static bool set_perms(struct xs_handle *h, xs_transaction_t t, const char *path,
                      chaos_domid domid, bool rw)
{
    struct xs_permissions ro[2] = {
        { .id = 0, .perms = XS_PERM_NONE },
        { .id = domid, .perms = XS_PERM_READ },
    };
    struct xs_permissions own[1] = {
        { .id = domid, .perms = XS_PERM_NONE },
    };
    return rw ? xs_set_permissions(h, t, path, own, 1)
              : xs_set_permissions(h, t, path, ro, 2);
}

static bool put(struct xs_handle *h, xs_transaction_t t, const char *dir,
                const char *key, const char *value, chaos_domid domid, bool rw)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, key);
    return xs_write(h, t, path, value, strlen(value)) &&
           set_perms(h, t, path, domid, rw);
}

static bool write_entries(struct xs_handle *h, xs_transaction_t t,
                          const struct hv_xs_guest *g)
{
    char dom[64], vm[96], uuid[37], num[32];
    registry_uuid_format(g->uuid, uuid);
    snprintf(dom, sizeof(dom), "/local/domain/%u", g->domid);
    snprintf(vm, sizeof(vm), "/vm/%s", uuid);
    xs_rm(h, t, dom);
    xs_rm(h, t, vm);
    if (!xs_mkdir(h, t, dom) || !set_perms(h, t, dom, g->domid, false) ||
        !xs_mkdir(h, t, vm) || !set_perms(h, t, vm, g->domid, false))
        return false;
    bool ok = put(h, t, vm, "uuid", uuid, g->domid, false) &&
              put(h, t, vm, "name", g->name, g->domid, false) &&
              put(h, t, dom, "vm", vm, g->domid, false) &&
              put(h, t, dom, "name", g->name, g->domid, false);
    snprintf(num, sizeof(num), "%u", g->domid);
    ok = ok && put(h, t, dom, "domid", num, g->domid, false);
    snprintf(num, sizeof(num), "%" PRIu64, g->maxmem_kib);
    ok = ok && put(h, t, dom, "memory/static-max", num, g->domid, false);
    snprintf(num, sizeof(num), "%" PRIu64, g->memory_kib);
    ok = ok && put(h, t, dom, "memory/target", num, g->domid, false);
    snprintf(num, sizeof(num), "%" PRIu64, g->store_frame);
    ok = ok && put(h, t, dom, "store/ring-ref", num, g->domid, false);
    snprintf(num, sizeof(num), "%u", g->store_port);
    ok = ok && put(h, t, dom, "store/port", num, g->domid, false);
    for (unsigned i = 0; ok && i < g->max_vcpus; i++) {
        char key[48];
        snprintf(key, sizeof(key), "cpu/%u/availability", i);
        ok = put(h, t, dom, key, i < g->vcpus ? "online" : "offline", g->domid,
                 false);
    }
    /* Where the guest writes: its requests, features and driver state. */
    static const char *const guest_owned[] = {
        "control/shutdown",
        "control/feature-poweroff",
        "control/feature-reboot",
        "control/feature-suspend",
        "control/sysrq",
        "data",
        "drivers",
        "feature",
        "attr",
        "error",
    };
    for (size_t i = 0; ok && i < sizeof(guest_owned) / sizeof(*guest_owned);
         i++)
        ok = put(h, t, dom, guest_owned[i], "", g->domid, true);
    char path[128];
    snprintf(path, sizeof(path), "%s/device", dom);
    return ok && xs_mkdir(h, t, path) && set_perms(h, t, path, g->domid, false);
}

int hv_xs_introduce(struct chaos_hv *hv, const struct hv_xs_guest *g)
{
    struct xs_handle *h = xsh(hv);
    if (!h)
        return hv_error(hv, -ENOTCONN,
                        "this guest needs XenStore, but no "
                        "xenstored is running (start xenstored, or set "
                        "xenstore = \"no\" if the guest does not need it)");
    for (int attempt = 0; attempt < 10; attempt++) {
        xs_transaction_t t = xs_transaction_start(h);
        if (t == XBT_NULL)
            return hv_fail(hv, errno, "starting a XenStore transaction failed");
        if (!write_entries(h, t, g)) {
            int err = errno;
            xs_transaction_end(h, t, true);
            return hv_fail(hv, err,
                           "writing the XenStore entries of domain %u "
                           "failed",
                           g->domid);
        }
        if (xs_transaction_end(h, t, false))
            break;
        if (errno != EAGAIN)
            return hv_fail(hv, errno,
                           "committing the XenStore entries of "
                           "domain %u failed",
                           g->domid);
    }
    if (!xs_introduce_domain(h, g->domid, g->store_frame, g->store_port)) {
        int err = errno;
        hv_xs_forget(hv, g->domid);
        return hv_fail(hv, err, "introducing domain %u to xenstored failed",
                       g->domid);
    }
    return 0;
}

void hv_xs_forget(struct chaos_hv *hv, chaos_domid domid)
{
    struct xs_handle *h = xsh(hv);
    if (!h)
        return;
    char dom[64], path[96];
    snprintf(dom, sizeof(dom), "/local/domain/%u", domid);
    snprintf(path, sizeof(path), "%s/vm", dom);
    char *vm = xs_read(h, XBT_NULL, path, NULL);
    if (vm && strncmp(vm, "/vm/", 4) == 0)
        xs_rm(h, XBT_NULL, vm);
    free(vm);
    xs_rm(h, XBT_NULL, dom);
}

int hv_xs_request_shutdown(struct chaos_hv *hv, chaos_domid domid,
                           const char *what)
{
    struct xs_handle *h = xsh(hv);
    char path[96];
    snprintf(path, sizeof(path), "/local/domain/%u/control/shutdown", domid);
    char *cur = h ? xs_read(h, XBT_NULL, path, NULL) : NULL;
    if (!cur)
        return hv_error(hv, -ENOTSUP,
                        "domain %u has no control channel (it "
                        "runs without XenStore); use `chaos destroy`",
                        domid);
    free(cur);
    if (!xs_write(h, XBT_NULL, path, what, strlen(what)))
        return hv_fail(hv, errno, "writing %s failed", path);
    return 0;
}

int hv_xs_name(struct chaos_hv *hv, chaos_domid domid, char *out, size_t len)
{
    struct xs_handle *h = xsh(hv);
    if (!h)
        return -ENOENT;
    char path[64];
    snprintf(path, sizeof(path), "/local/domain/%u/name", domid);
    char *name = xs_read(h, XBT_NULL, path, NULL);
    if (!name)
        return -ENOENT;
    snprintf(out, len, "%s", name);
    free(name);
    return 0;
}
