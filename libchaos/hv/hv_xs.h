/*
 * hv_xs.h - a central xenstored, if one runs (part of the hypervisor
 * module): names and shutdown requests of the guests other toolstacks
 * (xl) made, and the source of domain events when xenstored holds the
 * VIRQ.  chaos's own guests do not use it: a guest that needs XenStore
 * (stock Linux) gets a private one from its supervisor (docs/store.md).
 */
#ifndef CHAOS_HV_XS_H
#define CHAOS_HV_XS_H

#include "hv.h"

/*
 * True if xenstored accepts connections on its socket.  xs_open() must
 * not be called otherwise (see hv_xs.c).  Needs no handle.
 */
bool hv_xs_daemon_listening(void);

/* 1 if a xenstored answers on its socket, else 0.  Never blocks. */
int hv_xs_running(struct chaos_hv *hv);

/* Removes a domain's entries (an xl guest chaos destroyed; nothing to do
 * without xenstored). */
void hv_xs_forget(struct chaos_hv *hv, chaos_domid domid);

/* Writes control/shutdown ("poweroff", "reboot") in xenstored, for a
 * guest another toolstack made; -ENOTSUP if it has no entries there. */
int hv_xs_request_shutdown(struct chaos_hv *hv, chaos_domid domid,
                           const char *what);

/* The name XenStore has for a domain (e.g. one xl created); 0 if found. */
int hv_xs_name(struct chaos_hv *hv, chaos_domid domid, char *out, size_t len);

/* Closes the connection (hv_close). */
void hv_xs_close(struct chaos_hv *hv);

#endif /* CHAOS_HV_XS_H */
