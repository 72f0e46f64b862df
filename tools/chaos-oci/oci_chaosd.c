/*
 * oci_chaosd.c - chaos-oci's create through chaosd (oci_chaosd.h), on the
 * `chaos` command's client (tools/chaos/daemon_client.c) and chaosd's
 * codec.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon_client.h"
#include "oci_chaosd.h"
#include "protocol.h"

int oci_chaosd_connect(const char **sock)
{
    *sock = daemon_socket_path(NULL);
    return daemon_connect(*sock);
}

int oci_chaosd_create(int fd, const chaos_config *cfg, const char *source,
                      struct oci_chaosd_created *out, char *err, size_t errlen)
{
    char *text = chaos_config_to_text(cfg);
    json_object *req = chaosd_request_new(CHAOSD_OP_CREATE);
    if (!text || !req) {
        free(text);
        json_object_put(req);
        close(fd);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    json_object_object_add(req, "config", json_object_new_string(text));
    json_object_object_add(req, "source", json_object_new_string(source));
    /* `start` unpauses: the keeper attaches to the console first. */
    json_object_object_add(req, "paused", json_object_new_boolean(1));
    free(text);
    json_object *reply = daemon_call(fd, req, err, errlen);
    close(fd);
    if (!reply)
        return -1;
    long long domid = daemon_int(reply, "domid", -1);
    snprintf(out->path, sizeof(out->path), "%s",
             daemon_str(reply, "path", "direct"));
    snprintf(out->flavor, sizeof(out->flavor), "%s",
             strcmp(out->path, "direct") ? daemon_str(reply, "flavor", "")
                                         : "");
    json_object_put(reply);
    if (domid < 0 || domid >= 0x7ff0) {
        snprintf(err, errlen, "chaosd's reply has no domain id");
        return -1;
    }
    out->domid = (chaos_domid)domid;
    return 0;
}
