/*
 * hv_xs.h - XenStore, only for guests that need it (part of the hypervisor
 * module).  Stock Linux guests look for their devices and control requests
 * in XenStore; chaos writes the few entries such a guest needs and
 * introduces it to a running xenstored.  Guests that need none (the chaos
 * unikernel) boot with no xenstored running at all.
 */
#ifndef CHAOS_HV_XS_H
#define CHAOS_HV_XS_H

#include "hv.h"

struct hv_xs_guest {
    chaos_domid domid;
    const char *name;
    const uint8_t *uuid;  /* 16 bytes */
    uint64_t store_frame; /* MFN (PV) or GFN (PVH) of its XenStore ring */
    uint32_t store_port;
    uint64_t memory_kib;
    uint64_t maxmem_kib;
    unsigned vcpus; /* online at boot */
    unsigned max_vcpus;
};

/*
 * True if xenstored accepts connections on its socket.  xs_open() must
 * not be called otherwise (see hv_xs.c).  Needs no handle.
 */
bool hv_xs_daemon_listening(void);

/* 1 if a xenstored answers on its socket, else 0.  Never blocks. */
int hv_xs_running(struct chaos_hv *hv);

/* Writes the guest's entries and introduces it to xenstored. */
int hv_xs_introduce(struct chaos_hv *hv, const struct hv_xs_guest *guest);

/* Removes the guest's entries (nothing to do without xenstored). */
void hv_xs_forget(struct chaos_hv *hv, chaos_domid domid);

/* Writes control/shutdown ("poweroff", "reboot"); -ENOTSUP if the guest
 * has no XenStore entries (it was created without XenStore). */
int hv_xs_request_shutdown(struct chaos_hv *hv, chaos_domid domid,
                           const char *what);

/* The name XenStore has for a domain (e.g. one xl created); 0 if found. */
int hv_xs_name(struct chaos_hv *hv, chaos_domid domid, char *out, size_t len);

/* Closes the connection (hv_close). */
void hv_xs_close(struct chaos_hv *hv);

#endif /* CHAOS_HV_XS_H */
