/*
 * hv_xs.c - a central xenstored, where one runs (see hv_xs.h): the names
 * and shutdown requests of guests other toolstacks (xl) made.  chaos's own
 * guests never use it: each has a private store served by its supervisor
 * (libchaos/store/, docs/store.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <xenstore.h>

#include "hv_private.h"
#include "hv_xs.h"

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
