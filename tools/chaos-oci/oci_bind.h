/*
 * oci_bind.h - the bind mounts of a container in its guest.  A VM shares
 * no file system with dom0, so each bind mount's source is copied into
 * the image (under OCI_BIND_DIR/N) when the container is created, and the
 * program runs under BusyBox's sh, which first bind-mounts each copy on
 * its destination (then remounts it read-only for "ro") and then execs the
 * program: the same argv, pid and exit status.  The mounts are made after
 * /init has mounted /dev, /run and /tmp, which would hide a copy placed
 * there directly (Kubernetes binds /dev/termination-log; /var/run is often
 * a link to /run).  Pure: unit-tested.
 */
#ifndef CHAOS_OCI_BIND_H
#define CHAOS_OCI_BIND_H

#include <stdbool.h>
#include <stddef.h>

#include "oci_spec.h"

#define OCI_BIND_DIR "/.chaos-oci/bind"
/* The program's exit status when a bind mount fails in the guest. */
#define OCI_BIND_FAILED 125

/*
 * The argv the guest runs instead of s->args when s has bind mounts:
 * /bin/busybox sh -c SCRIPT chaos-oci ARG...  is_dir[i] tells whether
 * bind i's source is a folder.  NULL-terminated and malloc'd (free with
 * oci_argv_free); *n is its length.  NULL when out of memory.
 */
char **oci_bind_argv(const struct oci_spec *s, const bool *is_dir, size_t *n);
void oci_argv_free(char **argv, size_t n);

#endif /* CHAOS_OCI_BIND_H */
