/*
 * hv_private.h - shared by the files of the hypervisor module (hv*.c) only:
 * it may name Xen's types, which nothing outside the module sees.
 */
#ifndef CHAOS_HV_PRIVATE_H
#define CHAOS_HV_PRIVATE_H

#include <xenctrl.h>

#include "hv.h"

/* XenStore connection state of a handle (hv_xs.c), opened on first use. */
struct chaos_hv_xs {
    struct xs_handle *h;
};
struct chaos_hv_xs *hv_xs_slot(struct chaos_hv *hv);

/* The libxenctrl handle. */
xc_interface *hv_xch(struct chaos_hv *hv);

/* The handle's foreign-memory handle, opened with it: every guest page
 * dom0 maps (console rings, device pages) goes through this one rather
 * than a /dev/xen/privcmd of its own: a descriptor less per page kept
 * mapped (chaosd keeps two per guest), two system calls less per map.
 * Pages must be unmapped before hv_close(). */
struct xenforeignmemory_handle *hv_fmem(struct chaos_hv *hv);

/* The handle's logger, for opening more of Xen's libraries: it keeps
 * their messages for hv_fail() instead of printing them. */
xentoollog_logger *hv_logger(struct chaos_hv *hv);

/* The first error Xen's libraries logged since hv_clear_log(), or "":
 * libxenguest's save and restore log the cause first, then each caller
 * on the way out ("Restore failed"), which is what hv_fail() shows. */
const char *hv_first_error(struct chaos_hv *hv);

/*
 * The module's error reporting, into the buffer given to hv_open().  Both
 * return a negative errno, so call sites read:
 *     return hv_fail(hv, errno, "XEN_DOMCTL_foo failed");
 * hv_fail: the formatted text, then the last message Xen's libraries
 * logged, or strerror(err) if they logged none; returns -err (-EIO if
 * err is not positive).
 * hv_error: the formatted text alone (out of memory, bad arguments, or
 * a message that already names the cause); returns code (a negative
 * errno), or -EIO if code is not negative.
 */
int hv_fail(struct chaos_hv *hv, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int hv_error(struct chaos_hv *hv, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* CHAOS_HV_PRIVATE_H */
