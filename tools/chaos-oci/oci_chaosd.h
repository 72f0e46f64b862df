/*
 * oci_chaosd.h - chaos-oci's guests through chaosd (docs/oci.md, "Through
 * chaosd"): `create` sends the guest's config to chaosd as a paused create,
 * so it comes from a pool shell when one fits; chaosd then serves it and
 * the keeper follows it on its console socket.  The codec and the one
 * request, one reply client are the `chaos` command's (chaosd/protocol.h,
 * tools/chaos/daemon_client.h): nothing of chaosd's protocol is written
 * twice.
 */
#ifndef CHAOS_OCI_CHAOSD_H
#define CHAOS_OCI_CHAOSD_H

#include <stddef.h>

#include "chaos.h"

/* What chaosd's create reply says. */
struct oci_chaosd_created {
    chaos_domid domid;
    char path[16];   /* "pool", "image", "template", "direct" */
    char flavor[64]; /* "" when built directly */
};

/*
 * Connects to chaosd's socket ($CHAOSD_SOCKET, else chaosd's default, as
 * the `chaos` command finds it).  Returns the fd, or -errno when chaosd
 * does not answer (then chaos-oci builds the guest itself); *sock is the
 * path tried.
 */
int oci_chaosd_connect(const char **sock);

/*
 * Asks chaosd on fd (closed here) to create cfg paused; source names it in
 * chaosd's messages.  Kernel and ramdisk paths must be absolute.  0 and
 * *out filled, or -1 with chaosd's refusal (or what went wrong on the way)
 * in err.
 */
int oci_chaosd_create(int fd, const chaos_config *cfg, const char *source,
                      struct oci_chaosd_created *out, char *err, size_t errlen);

#endif /* CHAOS_OCI_CHAOSD_H */
