/*
 * oci_image.h - a bundle's root file system and process turned into the
 * guest's initramfs, with tinyx's packer and /init (docs/oci.md).
 */
#ifndef CHAOS_OCI_IMAGE_H
#define CHAOS_OCI_IMAGE_H

#include <stddef.h>

#include "oci_spec.h"

/*
 * Writes the initramfs for spec to out_path (atomically: nothing there on
 * failure): the whole of root.path, tinyx's /init (rendered into
 * gen_dir/init) running process.args with its env and cwd, the mount
 * points /init needs and /dev/console when the root lacks them, and a
 * static BusyBox as /bin/busybox when the root has none ($CHAOS_OCI_BUSYBOX,
 * default /bin/busybox).  hostname names the guest.  0, or a negative errno
 * with a sentence in msg.
 */
int oci_image_pack(const struct oci_spec *spec, const char *hostname,
                   const char *gen_dir, const char *out_path, char *msg,
                   size_t msglen);

#endif /* CHAOS_OCI_IMAGE_H */
