/*
 * cmd_create_daemon.c - `chaos create` through chaosd: the config is read
 * and checked here (errors name the file and line as in a direct create),
 * relative kernel and ramdisk paths are made absolute (chaosd's working
 * directory is not ours), and the whole config goes to chaosd as text.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chaos.h"
#include "cmd.h"
#include "daemon_client.h"
#include "foreground.h"
#include "protocol.h"

/* Makes a relative path absolute, as the caller's shell meant it. */
static int absolute(chaos_config *cfg, const char *path,
                    int (*set)(chaos_config *, const char *))
{
    if (!path || !path[0] || path[0] == '/')
        return 0;
    char *abs = realpath(path, NULL);
    if (!abs) {
        cmd_error("create: %s: %m", path);
        return -1;
    }
    int rc = set(cfg, abs);
    free(abs);
    return rc;
}

static double num(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_double(v)
                                                 : 0;
}

/* A connection subscribed to chaosd's events, or -1 with err set. */
static int subscribe(const char *sock, char *err, size_t errlen)
{
    int fd = daemon_connect(sock);
    if (fd < 0) {
        snprintf(err, errlen, "chaosd does not answer on %s: %s", sock,
                 strerror(-fd));
        return -1;
    }
    json_object *reply =
        daemon_call(fd, chaosd_request_new(CHAOSD_OP_SUBSCRIBE), err, errlen);
    if (!reply) {
        close(fd);
        return -1;
    }
    json_object_put(reply);
    return fd;
}

int create_via_daemon(int fd, chaos_config *cfg, const char *source,
                      const struct create_opts *o)
{
    int status = EXIT_FAIL, sub_fd = -1;
    char *text = NULL;
    if (absolute(cfg, chaos_config_kernel(cfg), chaos_config_set_kernel) < 0 ||
        absolute(cfg, chaos_config_ramdisk(cfg), chaos_config_set_ramdisk) < 0)
        goto out;
    text = chaos_config_to_text(cfg);
    json_object *req = chaosd_request_new(CHAOSD_OP_CREATE);
    if (!text || !req) {
        json_object_put(req);
        cmd_error("out of memory");
        goto out;
    }
    json_object_object_add(req, "config", json_object_new_string(text));
    json_object_object_add(req, "source", json_object_new_string(source));
    json_object_object_add(req, "paused", json_object_new_boolean(o->paused));
    char err[1024];
    /* -F: subscribed before the create, so no event of the guest is
     * missed. */
    if (o->foreground &&
        (sub_fd = subscribe(o->socket, err, sizeof(err))) < 0) {
        json_object_put(req);
        cmd_error("create: %s", err);
        goto out;
    }
    json_object *reply = daemon_call(fd, req, err, sizeof(err));
    if (!reply) {
        cmd_error("create: %s", err);
        goto out;
    }
    long long domid = daemon_int(reply, "domid", -1);
    const char *how = daemon_str(reply, "path", "?");
    if (o->json) {
        json_object_object_del(reply, "v");
        json_object_object_del(reply, "ok");
        cmd_put_json(reply, 0);
    } else if (!o->quiet) {
        printf("created domain %s (id %lld)%s, %s%s\n",
               daemon_str(reply, "name", "?"), domid,
               o->paused ? ", paused" : "",
               !strcmp(how, "pool")       ? "from the pool of flavor "
               : !strcmp(how, "image")    ? "from the image pool of flavor "
               : !strcmp(how, "template") ? "from the template pool of flavor "
                                          : "by chaosd directly",
               strcmp(how, "direct") ? daemon_str(reply, "flavor", "?") : "");
        /* A warm template guest: its address is chaosd's choice. */
        json_object *vifs, *vif;
        if (json_object_object_get_ex(reply, "vifs", &vifs) &&
            json_object_is_type(vifs, json_type_array) &&
            (vif = json_object_array_get_idx(vifs, 0)) &&
            json_object_is_type(vif, json_type_object))
            printf("resumed ahead: address %s, mac %s\n",
                   daemon_str(vif, "ip", "none"), daemon_str(vif, "mac", "?"));
    }
    json_object *t;
    if (o->timings && !o->json &&
        json_object_object_get_ex(reply, "timings", &t))
        printf("timings: prepare %.3f ms, load %.3f ms, build %.3f ms, start "
               "%.3f ms, request %.3f ms in chaosd (%s, kernel %s)\n",
               num(t, "prepare_ms"), num(t, "load_ms"), num(t, "build_ms"),
               num(t, "start_ms"), num(t, "request_ms"), how,
               daemon_int(reply, "kernel_cached", 0) ? "cached" : "parsed");
    fflush(stdout);
    char name[128]; /* restarts are known by it */
    snprintf(name, sizeof(name), "%s", daemon_str(reply, "name", ""));
    json_object_put(reply);
    status = EXIT_OK;
    if (o->foreground) {
        close(fd);
        fd = -1;
        status = foreground_follow(sub_fd, o->socket, domid, name, cfg);
        sub_fd = -1;
    }
    if (o->console) {
        close(fd);
        fd = -1;
        char id[24];
        snprintf(id, sizeof(id), "%lld", domid);
        char *args[] = { "console", "--wait=5", id, NULL };
        status = cmd_console(3, args);
    }
out:
    if (fd >= 0)
        close(fd);
    if (sub_fd >= 0)
        close(sub_fd);
    free(text);
    chaos_config_free(cfg);
    return status;
}
