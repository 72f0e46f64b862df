/*
 * pool.c - shell pool bookkeeping (see pool.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"

void pool_init(struct pool *p, uint64_t budget_mib)
{
    memset(p, 0, sizeof(*p));
    p->budget_mib = budget_mib;
}

void pool_free(struct pool *p)
{
    for (unsigned i = 0; i < p->n; i++)
        free(p->flavors[i].idle);
    free(p->flavors);
    memset(p, 0, sizeof(*p));
}

static bool same_shape(const struct chaosd_flavor *a,
                       const struct chaosd_flavor *b)
{
    return a->restore == b->restore && a->in_place == b->in_place &&
           a->pvh == b->pvh && a->memory_mib == b->memory_mib &&
           a->maxmem_mib == b->maxmem_mib && a->vcpus == b->vcpus &&
           !strcmp(a->devices, b->devices) && !strcmp(a->kernel, b->kernel) &&
           !strcmp(a->ramdisk, b->ramdisk) && !strcmp(a->cmdline, b->cmdline) &&
           a->cmdline_per_request == b->cmdline_per_request &&
           !strcmp(a->template_cfg, b->template_cfg) &&
           !strcmp(a->template_ready, b->template_ready) &&
           a->template_timeout_s == b->template_timeout_s &&
           !strcmp(a->template_warm, b->template_warm) &&
           a->warm_ip_base == b->warm_ip_base &&
           a->warm_ip_len == b->warm_ip_len;
}

enum pool_kind pool_flavor_kind(const struct chaosd_flavor *f)
{
    return f->template_cfg[0] ? POOL_TEMPLATE
           : f->kernel[0]     ? POOL_IMAGE
           : !f->restore      ? POOL_CREATE
           : f->in_place      ? POOL_RESTORE_IN_PLACE
                              : POOL_RESTORE;
}

int pool_index(const struct pool *p, unsigned id)
{
    for (unsigned i = 0; i < p->n; i++)
        if (p->flavors[i].id == id)
            return (int)i;
    return -1;
}

int pool_find_name(const struct pool *p, const char *name)
{
    for (unsigned i = 0; i < p->n; i++)
        if (p->flavors[i].configured && !strcmp(p->flavors[i].f.name, name))
            return (int)i;
    return -1;
}

int pool_configure(struct pool *p, const struct chaosd_conf *conf)
{
    /* Room for every new flavor, so that nothing fails half-way. */
    struct pool_flavor *fl =
        realloc(p->flavors, (p->n + conf->n_flavors + 1) * sizeof(*fl));
    if (!fl)
        return -ENOMEM;
    p->flavors = fl;
    p->budget_mib = conf->idle_memory_mib;
    for (unsigned i = 0; i < p->n; i++) {
        struct pool_flavor *pf = &p->flavors[i];
        const struct chaosd_flavor *want = chaosd_conf_flavor(conf, pf->f.name);
        if (pf->configured && want && same_shape(&pf->f, want)) {
            pf->f.pool = want->pool;
        } else {
            pf->configured = false;
            pf->f.pool = 0;
        }
    }
    for (unsigned j = 0; j < conf->n_flavors; j++) {
        if (pool_find_name(p, conf->flavors[j].name) >= 0)
            continue;
        struct pool_flavor *pf = &p->flavors[p->n++];
        memset(pf, 0, sizeof(*pf));
        pf->f = conf->flavors[j];
        pf->configured = true;
        pf->id = ++p->next_id;
    }
    return 0;
}

/* Whether flavor pf is configured, of that kind and shape. */
static bool fits(const struct pool_flavor *pf, enum pool_kind kind, bool pvh,
                 uint64_t memory_mib, uint64_t maxmem_mib, unsigned maxvcpus,
                 const char *devices)
{
    return pf->configured && pool_flavor_kind(&pf->f) == kind &&
           pf->f.pvh == pvh && pf->f.memory_mib == memory_mib &&
           pf->f.maxmem_mib == maxmem_mib && pf->f.vcpus == maxvcpus &&
           strcmp(pf->f.devices, devices) == 0;
}

static bool same_text(const char *flavor, const char *guest)
{
    return strcmp(flavor, guest ? guest : "") == 0;
}

/* A flavor's own command line must be the request's; one that takes
 * each request's (cmdline_per_request) has room for any up to
 * CHAOS_CMDLINE_MAX bytes. */
static bool cmdline_fits(const struct chaosd_flavor *f, const char *cmdline)
{
    if (f->cmdline_per_request)
        return !cmdline || strlen(cmdline) <= CHAOS_CMDLINE_MAX;
    return same_text(f->cmdline, cmdline);
}

/* The flavor of that shape (and image, if kernel) with an idle shell,
 * else the first of that shape, else -1. */
static int match(const struct pool *p, enum pool_kind kind, bool pvh,
                 uint64_t memory_mib, uint64_t maxmem_mib, unsigned maxvcpus,
                 const char *devices, const char *kernel, const char *ramdisk,
                 const char *cmdline)
{
    int found = -1;
    for (unsigned i = 0; i < p->n; i++) {
        const struct pool_flavor *pf = &p->flavors[i];
        if (!fits(pf, kind, pvh, memory_mib, maxmem_mib, maxvcpus, devices))
            continue;
        if (kind == POOL_IMAGE && (!same_text(pf->f.kernel, kernel) ||
                                   !same_text(pf->f.ramdisk, ramdisk) ||
                                   !cmdline_fits(&pf->f, cmdline)))
            continue;
        if (pf->n_idle)
            return (int)i;
        if (found < 0)
            found = (int)i;
    }
    return found;
}

int pool_match(const struct pool *p, enum pool_kind kind, bool pvh,
               uint64_t memory_mib, uint64_t maxmem_mib, unsigned maxvcpus,
               const char *devices)
{
    return kind == POOL_IMAGE || kind == POOL_TEMPLATE
               ? -1
               : match(p, kind, pvh, memory_mib, maxmem_mib, maxvcpus, devices,
                       NULL, NULL, NULL);
}

int pool_match_image(const struct pool *p, bool pvh, uint64_t memory_mib,
                     uint64_t maxmem_mib, unsigned maxvcpus,
                     const char *devices, const char *kernel,
                     const char *ramdisk, const char *cmdline)
{
    if (!kernel || !kernel[0])
        return -1;
    return match(p, POOL_IMAGE, pvh, memory_mib, maxmem_mib, maxvcpus, devices,
                 kernel, ramdisk, cmdline);
}

uint64_t pool_used_mib(const struct pool *p)
{
    uint64_t used = 0;
    for (unsigned i = 0; i < p->n; i++)
        used += (uint64_t)(p->flavors[i].n_idle + p->flavors[i].filling) *
                p->flavors[i].f.memory_mib;
    return used;
}

int pool_next_refill(struct pool *p)
{
    return pool_next_refill_below(p, 1.0);
}

int pool_next_refill_below(struct pool *p, double max_fill)
{
    uint64_t used = pool_used_mib(p);
    int best = -1;
    double best_fill = max_fill;
    for (unsigned i = 0; i < p->n; i++) {
        struct pool_flavor *pf = &p->flavors[i];
        unsigned have = pf->n_idle + pf->filling;
        if (!pf->configured || pf->held || have >= pf->f.pool ||
            used + pf->f.memory_mib > p->budget_mib)
            continue;
        double fill = (double)have / pf->f.pool;
        if (fill < best_fill) {
            best_fill = fill;
            best = (int)i;
        }
    }
    if (best >= 0)
        p->flavors[best].filling++;
    return best;
}

int pool_fill_done(struct pool *p, int i, const struct pool_item *item)
{
    struct pool_flavor *pf = &p->flavors[i];
    if (pf->filling)
        pf->filling--;
    if (pf->n_idle == pf->cap_idle) {
        unsigned cap = pf->cap_idle ? 2 * pf->cap_idle : 8;
        struct pool_item *a = realloc(pf->idle, cap * sizeof(*a));
        if (!a)
            return -ENOMEM;
        pf->idle = a;
        pf->cap_idle = cap;
    }
    pf->idle[pf->n_idle++] = *item;
    return 0;
}

void pool_fill_failed(struct pool *p, int i)
{
    struct pool_flavor *pf = &p->flavors[i];
    if (pf->filling)
        pf->filling--;
    pf->fill_failures++;
}

void pool_fill_none(struct pool *p, int i)
{
    if (p->flavors[i].filling)
        p->flavors[i].filling--;
}

static void remove_at(struct pool_flavor *pf, unsigned k, struct pool_item *out)
{
    *out = pf->idle[k];
    memmove(&pf->idle[k], &pf->idle[k + 1],
            (pf->n_idle - k - 1) * sizeof(pf->idle[0]));
    pf->n_idle--;
}

bool pool_take(struct pool *p, int i, bool (*busy)(void *, unsigned),
               void *opaque, struct pool_item *out)
{
    if (i < 0 || (unsigned)i >= p->n)
        return false;
    struct pool_flavor *pf = &p->flavors[i];
    if (!pf->configured || pf->n_idle == 0)
        return false;
    unsigned k = 0;
    if (busy) {
        while (k < pf->n_idle && busy(opaque, pf->idle[k].builder))
            k++;
        if (k == pf->n_idle)
            k = 0;
    }
    remove_at(pf, k, out);
    pf->handed_out++;
    return true;
}

int pool_put_back(struct pool *p, int i, const struct pool_item *item)
{
    if (i < 0 || (unsigned)i >= p->n)
        return -ENOENT;
    struct pool_flavor *pf = &p->flavors[i];
    if (pf->n_idle == pf->cap_idle)
        return -ENOMEM; /* not given out by pool_take() */
    memmove(&pf->idle[1], &pf->idle[0], pf->n_idle * sizeof(pf->idle[0]));
    pf->idle[0] = *item;
    pf->n_idle++;
    if (pf->handed_out)
        pf->handed_out--;
    return 0;
}

/* Forgets flavor i (not configured, nothing idle or in flight). */
static void forget(struct pool *p, unsigned i)
{
    free(p->flavors[i].idle);
    memmove(&p->flavors[i], &p->flavors[i + 1],
            (p->n - i - 1) * sizeof(p->flavors[0]));
    p->n--;
}

bool pool_take_excess(struct pool *p, bool drain, struct pool_item *out)
{
    for (unsigned i = 0; i < p->n; i++) {
        struct pool_flavor *pf = &p->flavors[i];
        unsigned keep = drain ? 0 : pf->f.pool;
        if (pf->n_idle > keep) {
            /* The newest first: the oldest stay (FIFO hand-out order). */
            remove_at(pf, pf->n_idle - 1, out);
            return true;
        }
    }
    for (unsigned i = p->n; i-- > 0;)
        if (!p->flavors[i].configured && !p->flavors[i].n_idle &&
            !p->flavors[i].filling)
            forget(p, i);
    return false;
}

void pool_resize(struct pool *p, int i, unsigned size)
{
    if (i >= 0 && (unsigned)i < p->n)
        p->flavors[i].f.pool = size;
}

bool pool_settled(const struct pool *p)
{
    uint64_t used = pool_used_mib(p);
    for (unsigned i = 0; i < p->n; i++) {
        const struct pool_flavor *pf = &p->flavors[i];
        if (pf->filling)
            return false;
        if (pf->configured && !pf->held && pf->n_idle < pf->f.pool &&
            used + pf->f.memory_mib <= p->budget_mib)
            return false;
    }
    return true;
}
