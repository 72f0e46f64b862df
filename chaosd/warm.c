/*
 * warm.c - a warm template pool's guest, warmed up on its builder (see
 * warm.h).  The address rule: the flavor's base address plus the guest's
 * domain id.  Live domains' ids are unique, so two warm guests never
 * share an address, and nothing is allocated that a crash could leak or
 * a recovery would have to rebuild.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "state.h"
#include "warm.h"

void warm_guest_name(const uint8_t uuid[16], char *name, size_t len)
{
    char text[37];
    state_uuid_text(uuid, text);
    snprintf(name, len, "chaosd-tpl-");
    for (const char *c = text; *c; c++)
        if (*c != '-')
            snprintf(name + strlen(name), len - strlen(name), "%c", *c);
}

void warm_guest_log(const uint8_t uuid[16], char *path, size_t len)
{
    char name[64];
    warm_guest_name(uuid, name, sizeof(name));
    snprintf(path, len, CHAOS_CONSOLE_LOG_DIR "/%s.log", name);
}

/* The readdress a warm guest gets: the template's vifs (bridges), the
 * first one at the spec's address for domid (into ip), the others
 * without one.  0, or a negative errno with err set. */
static int addresses(struct chaosd *d, chaos_ctx *ctx,
                     struct template_image *tpl, chaos_domid domid,
                     const struct warm_spec *spec, chaos_config **out,
                     char ip[WARM_IP_LEN], char *err, size_t errlen)
{
    chaos_config *img = NULL, *cfg = NULL;
    if (d->hv->image_config_of(ctx, tpl->img, NULL, 0, &img) < 0) {
        snprintf(err, errlen, "%s", d->hv->errmsg(ctx));
        return -EIO;
    }
    unsigned n = chaos_config_vif_count(img);
    uint32_t mask = spec->ip_len ? ~0u << (32 - spec->ip_len) : 0;
    uint32_t addr = spec->ip_base + domid;
    int rc = 0;
    ip[0] = '\0';
    if (n && !spec->ip_len) {
        rc = -EINVAL;
        snprintf(err, errlen,
                 "the template has a vif: template_warm needs "
                 "template_warm_ip (the guests' addresses)");
    } else if (n && ((addr & mask) != (spec->ip_base & mask) ||
                     (addr | mask) == ~0u)) {
        /* conf.c checks every id fits: cannot happen. */
        rc = -ERANGE;
        snprintf(err, errlen,
                 "template_warm_ip has no address for domain %u within "
                 "its /%u",
                 domid, spec->ip_len);
    } else if (!(cfg = chaos_config_new())) {
        rc = -ENOMEM;
        snprintf(err, errlen, "out of memory");
    }
    if (n && !rc)
        snprintf(ip, WARM_IP_LEN, "%u.%u.%u.%u/%u", addr >> 24,
                 addr >> 16 & 255, addr >> 8 & 255, addr & 255, spec->ip_len);
    for (unsigned i = 0; !rc && i < n; i++) {
        struct chaos_vif_config v;
        char vif[80];
        chaos_config_vif(img, i, &v);
        snprintf(vif, sizeof(vif), "bridge=%s%s%s", v.bridge,
                 i ? "" : ",ip=", i ? "" : ip);
        if (chaos_config_add_vif(cfg, vif) < 0) {
            rc = -EINVAL;
            snprintf(err, errlen, "vif '%s' refused", vif);
        }
    }
    chaos_config_free(img);
    if (rc) {
        chaos_config_free(cfg);
        return rc;
    }
    *out = cfg;
    return 0;
}

int warm_up(struct chaosd *d, chaos_ctx *ctx, struct template_image *tpl,
            const uint8_t uuid[16], chaos_domid domid,
            const struct warm_spec *spec, chaos_supervisor **sup,
            char mac[WARM_MAC_LEN], char ip[WARM_IP_LEN], char *err,
            size_t errlen)
{
    char log[300];
    warm_guest_log(uuid, log, sizeof(log));
    chaos_config *addrs = NULL;
    int rc = addresses(d, ctx, tpl, domid, spec, &addrs, ip, err, errlen);
    if (!rc) {
        struct chaosd_template_warm tw = {
            .domid = domid,
            .addrs = chaos_config_vif_count(addrs) ? addrs : NULL,
            .ready = spec->ready,
            .log_path = log,
            .timeout_ms = spec->timeout_ms,
            .cancel = &d->refills_cancel,
        };
        rc =
            d->hv->template_warm(ctx, &tw, sup, mac, WARM_MAC_LEN, err, errlen);
    }
    chaos_config_free(addrs);
    if (rc < 0) {
        *sup = NULL;
        d->hv->domain_destroy(ctx, domid); /* if it is still there */
    }
    return rc;
}
