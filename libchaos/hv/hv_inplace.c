/*
 * hv_inplace.c - restoring a PVH guest in place (hv_inplace.h).  What
 * xc_domain_restore does for an HVM guest in Xen 4.17, and so what this
 * does in its stead (tools/libs/guest/xg_sr_restore.c,
 * xg_sr_restore_x86_hvm.c, xg_sr_common_x86.c):
 *
 *  - STATIC_DATA_END: the stream's CPUID and MSR policy set with
 *    xc_set_domain_cpu_policy; a stream without CPUID policy (from before
 *    Xen 4.14) gets one made as for a restore (libxl's static_data_done).
 *  - PAGE_DATA: each pfn of a type other than XTAB/BROKEN populated (order
 *    0) unless already, and its data copied in.  Here the shell's RAM is
 *    populated and zeroed already: only non-zero pages are copied, and
 *    only the pfns outside the shell's RAM (the ACPI page, the HVM special
 *    pages) are populated, then written whole (fresh pages are not
 *    guaranteed zero).
 *  - X86_TSC_INFO: xc_domain_set_tsc_info with the record's fields.
 *  - HVM_PARAMS: each one set; the pages named by CONSOLE_PFN, STORE_PFN,
 *    IOREQ_PFN and BUFIOREQ_PFN cleared first (so this writes zeroes
 *    instead of their saved data); PAE_ENABLED dropped.
 *  - At the end: STORE_EVTCHN and CONSOLE_EVTCHN set to the new ports,
 *    the HVM context set (xc_domain_hvm_setcontext), grant refs 0 and 1
 *    seeded for dom0 with the console and store frames.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "hv_build_int.h" /* first: Xen's headers need xenctrl.h's types */

#include <xen/hvm/params.h>
#include <xenforeignmemory.h>

#include "hv_inplace.h"

#define PAGE 4096u
#define SUPER_ORDER 9u /* 2 MiB pages */
#define SUPER_PAGES (1u << SUPER_ORDER)
/* The PVH layout (hv_build_pvh.c, docs/pvh.md): RAM below the hole at
 * 0xfc000000, the rest from 4 GiB. */
#define PFN_HOLE UINT64_C(0xfc000)
#define PFN_4G UINT64_C(0x100000)

_Static_assert(sizeof(xen_cpuid_leaf_t) == 24, "CPUID record entry");
_Static_assert(sizeof(xen_msr_entry_t) == 16, "MSR record entry");

struct hv_inplace_shell {
    chaos_domid domid;
    xenforeignmemory_handle *fmem;
    uint8_t *ram;       /* [0, low) then [4 GiB, 4 GiB + high), mapped */
    uint64_t low, high; /* RAM pages below the hole and from 4 GiB */
    bool used;
};

/* Where pfn's page is in the shell's RAM mapping, or NULL: not RAM. */
static uint8_t *ram_page(const struct hv_inplace_shell *s, uint64_t pfn)
{
    if (pfn < s->low)
        return s->ram + pfn * PAGE;
    if (pfn >= PFN_4G && pfn - PFN_4G < s->high)
        return s->ram + (s->low + pfn - PFN_4G) * PAGE;
    return NULL;
}

/* Populates [first, first + n) with 2 MiB pages from the first aligned
 * pfn, 4 KiB pages around them (libxenguest's meminit_hvm does the same). */
static int populate_range(struct chaos_hv *hv, chaos_domid domid,
                          uint64_t first, uint64_t n)
{
    xc_interface *xch = hv_xch(hv);
    uint64_t end = first + n;
    uint64_t s0 = (first + SUPER_PAGES - 1) & ~(uint64_t)(SUPER_PAGES - 1);
    uint64_t s1 = end & ~(uint64_t)(SUPER_PAGES - 1);
    if (s1 < s0)
        s0 = s1 = first;
    uint64_t nr_super = (s1 - s0) / SUPER_PAGES;
    uint64_t nr_small = n - (s1 - s0);
    xen_pfn_t *pfns = malloc((nr_super + nr_small + 1) * sizeof(*pfns));
    if (!pfns)
        return hv_error(hv, -ENOMEM, "out of memory");
    for (uint64_t i = 0; i < nr_super; i++)
        pfns[i] = s0 + i * SUPER_PAGES;
    xen_pfn_t *small = pfns + nr_super;
    uint64_t k = 0;
    for (uint64_t p = first; p < s0; p++)
        small[k++] = p;
    for (uint64_t p = s1; p < end; p++)
        small[k++] = p;
    int rc = 0;
    if (nr_super && xc_domain_populate_physmap_exact(xch, domid, nr_super,
                                                     SUPER_ORDER, 0, pfns) != 0)
        rc = FAIL(hv, "populating the shell's memory (2 MiB pages) failed");
    if (!rc && nr_small &&
        xc_domain_populate_physmap_exact(xch, domid, nr_small, 0, 0, small) !=
            0)
        rc = FAIL(hv, "populating the shell's memory failed");
    free(pfns);
    return rc;
}

/* Maps the shell's RAM in one foreign mapping and zeroes it. */
static int map_ram(struct chaos_hv *hv, struct hv_inplace_shell *s)
{
    uint64_t n = s->low + s->high;
    xen_pfn_t *pfns = malloc(n * sizeof(*pfns));
    int *errs = calloc(n, sizeof(*errs));
    if (!pfns || !errs) {
        free(pfns);
        free(errs);
        return hv_error(hv, -ENOMEM, "out of memory");
    }
    for (uint64_t i = 0; i < s->low; i++)
        pfns[i] = i;
    for (uint64_t i = 0; i < s->high; i++)
        pfns[s->low + i] = PFN_4G + i;
    int rc = 0;
    s->ram = xenforeignmemory_map(s->fmem, s->domid, PROT_READ | PROT_WRITE, n,
                                  pfns, errs);
    if (!s->ram)
        rc = FAIL(hv, "mapping the shell's memory failed");
    for (uint64_t i = 0; !rc && i < n; i++)
        if (errs[i])
            rc = hv_fail(hv, -errs[i], "mapping the shell's pfn %#llx failed",
                         (unsigned long long)pfns[i]);
    free(pfns);
    free(errs);
    if (rc)
        return rc;
    /* Fresh pages are not guaranteed zero (Xen scrubs only what dying
     * domains free): zero them here, off the restore's path, so that the
     * restore can skip the stream's zero pages. */
    memset(s->ram, 0, n * PAGE);
    return 0;
}

int hv_inplace_prepare(struct chaos_hv *hv, const struct hv_shell_spec *spec,
                       struct hv_inplace_shell **out, chaos_domid *domid,
                       struct hv_restore_info *io)
{
    if (!spec->pvh)
        return hv_error(hv, -EINVAL, "an in-place restore is for PVH guests");
    struct hv_inplace_shell *s = calloc(1, sizeof(*s));
    if (!s)
        return hv_error(hv, -ENOMEM, "out of memory");
    int rc = hv_restore_prepare(hv, spec, &s->domid, io);
    if (rc) {
        free(s);
        return rc;
    }
    uint64_t pages = spec->memory_kib / 4;
    s->low = pages < PFN_HOLE ? pages : PFN_HOLE;
    s->high = pages - s->low;
    s->fmem = xenforeignmemory_open(hv_logger(hv), 0);
    if (!s->fmem)
        rc = FAIL(hv, "cannot open xenforeignmemory");
    if (!rc)
        rc = populate_range(hv, s->domid, 0, s->low);
    if (!rc && s->high)
        rc = populate_range(hv, s->domid, PFN_4G, s->high);
    if (!rc)
        rc = map_ram(hv, s);
    if (rc) {
        xc_domain_destroy(hv_xch(hv), s->domid);
        hv_inplace_release(s);
        return rc;
    }
    *domid = s->domid;
    *out = s;
    return 0;
}

void hv_inplace_release(struct hv_inplace_shell *s)
{
    if (!s)
        return;
    if (s->ram)
        xenforeignmemory_unmap(s->fmem, s->ram, s->low + s->high);
    if (s->fmem)
        xenforeignmemory_close(s->fmem);
    free(s);
}

/* The pages an HVM restore clears (handle_hvm_params). */
struct cleared {
    uint64_t pfn[4];
    unsigned n;
    uint64_t console, store; /* 0: none in the stream */
};

static bool is_cleared(const struct cleared *c, uint64_t pfn)
{
    for (unsigned i = 0; i < c->n; i++)
        if (c->pfn[i] == pfn)
            return true;
    return false;
}

static void find_cleared(const uint8_t *stream,
                         const struct snap_stream_index *idx, struct cleared *c)
{
    memset(c, 0, sizeof(*c));
    for (unsigned i = 0; i < snap_stream_nr_params(idx); i++) {
        uint64_t k, v;
        snap_stream_param(stream, idx, i, &k, &v);
        if (k == HVM_PARAM_CONSOLE_PFN)
            c->console = v;
        if (k == HVM_PARAM_STORE_PFN)
            c->store = v;
        if ((k == HVM_PARAM_CONSOLE_PFN || k == HVM_PARAM_STORE_PFN ||
             k == HVM_PARAM_IOREQ_PFN || k == HVM_PARAM_BUFIOREQ_PFN) &&
            c->n < 4)
            c->pfn[c->n++] = v;
    }
}

static int cpu_policy(struct chaos_hv *hv, chaos_domid domid,
                      const uint8_t *stream,
                      const struct snap_stream_index *idx)
{
    xc_interface *xch = hv_xch(hv);
    if (!idx->cpuid.len)
        return xc_cpuid_apply_policy(xch, domid, true, NULL, 0, true /* pae */,
                                     false, false, NULL, NULL) != 0
                   ? FAIL(hv, "making a CPUID policy failed")
                   : 0;
    /* Copies: the stream may be unaligned, and the call takes non-const. */
    uint32_t nr_leaves = idx->cpuid.len / sizeof(xen_cpuid_leaf_t);
    uint32_t nr_msrs = idx->msr.len / sizeof(xen_msr_entry_t);
    xen_cpuid_leaf_t *leaves = malloc(idx->cpuid.len);
    xen_msr_entry_t *msrs = malloc(idx->msr.len ? idx->msr.len : 1);
    int rc = 0;
    if (!leaves || !msrs)
        rc = hv_error(hv, -ENOMEM, "out of memory");
    if (!rc) {
        memcpy(leaves, stream + idx->cpuid.offset, idx->cpuid.len);
        if (nr_msrs)
            memcpy(msrs, stream + idx->msr.offset, idx->msr.len);
        uint32_t el = ~0u, es = ~0u, em = ~0u;
        if (xc_set_domain_cpu_policy(xch, domid, nr_leaves, leaves, nr_msrs,
                                     msrs, &el, &es, &em) != 0)
            rc = hv_fail(hv, errno,
                         "setting the saved CPU policy failed (leaf %08x, "
                         "subleaf %08x, MSR %08x)",
                         el, es, em);
    }
    free(leaves);
    free(msrs);
    return rc;
}

/* The pages outside the shell's RAM: populated, mapped, written whole. */
static int extra_pages(struct chaos_hv *hv, struct hv_inplace_shell *s,
                       const uint8_t *stream,
                       const struct snap_stream_index *idx,
                       const struct cleared *c)
{
    size_t n = 0;
    for (size_t i = 0; i < idx->nr_pages; i++)
        n += !ram_page(s, idx->pages[i].pfn);
    if (n == 0)
        return 0;
    xen_pfn_t *pfns = malloc(n * sizeof(*pfns));
    xen_pfn_t *pop = malloc(n * sizeof(*pop));
    const struct snap_page **which = malloc(n * sizeof(*which));
    int *errs = calloc(n, sizeof(*errs));
    int rc = 0;
    if (!pfns || !pop || !which || !errs)
        rc = hv_error(hv, -ENOMEM, "out of memory");
    for (size_t i = 0, k = 0; !rc && i < idx->nr_pages; i++)
        if (!ram_page(s, idx->pages[i].pfn)) {
            which[k] = &idx->pages[i];
            pfns[k] = pop[k] = idx->pages[i].pfn;
            k++;
        }
    if (!rc && xc_domain_populate_physmap_exact(hv_xch(hv), s->domid, n, 0, 0,
                                                pop) != 0)
        rc = hv_fail(hv, errno,
                     "populating the %zu pages of the image outside the "
                     "shell's RAM failed (does the image's memory match?)",
                     n);
    uint8_t *map = NULL;
    if (!rc) {
        map = xenforeignmemory_map(s->fmem, s->domid, PROT_READ | PROT_WRITE, n,
                                   pfns, errs);
        if (!map)
            rc = FAIL(hv, "mapping the restored guest's special pages failed");
    }
    for (size_t k = 0; !rc && k < n; k++) {
        uint8_t *dst = map + k * PAGE;
        if (errs[k])
            rc = hv_fail(hv, -errs[k], "mapping pfn %#llx failed",
                         (unsigned long long)pfns[k]);
        else if (which[k]->kind == SNAP_PAGE_DATA &&
                 !is_cleared(c, which[k]->pfn))
            memcpy(dst, stream + which[k]->offset, PAGE);
        else
            memset(dst, 0, PAGE);
    }
    if (map)
        xenforeignmemory_unmap(s->fmem, map, n);
    free(pfns);
    free(pop);
    free(which);
    free(errs);
    return rc;
}

/* The HVM parameters, the new channels, the vCPU and platform state, the
 * grant table: xc_domain_restore's end for an HVM guest. */
static int state(struct chaos_hv *hv, chaos_domid domid, const uint8_t *stream,
                 const struct snap_stream_index *idx, const struct cleared *c,
                 const struct hv_restore_info *io)
{
    xc_interface *xch = hv_xch(hv);
    if (idx->tsc.len) {
        struct snap_tsc t;
        snap_stream_tsc(stream, idx, &t);
        if (xc_domain_set_tsc_info(xch, domid, t.mode, t.nsec, t.khz,
                                   t.incarnation) != 0)
            return FAIL(hv, "setting the saved TSC information failed");
    }
    for (unsigned i = 0; i < snap_stream_nr_params(idx); i++) {
        uint64_t k, v;
        snap_stream_param(stream, idx, i, &k, &v);
        if (k == HVM_PARAM_PAE_ENABLED)
            continue; /* obsolete: libxenguest drops it too */
        if (xc_hvm_param_set(xch, domid, (int)k, v) != 0)
            return hv_fail(hv, errno, "setting HVM parameter %llu failed",
                           (unsigned long long)k);
    }
    if (xc_hvm_param_set(xch, domid, HVM_PARAM_STORE_EVTCHN, io->store_port) ||
        xc_hvm_param_set(xch, domid, HVM_PARAM_CONSOLE_EVTCHN,
                         io->console_port))
        return FAIL(hv, "setting the store and console event channels failed");
    if (!idx->hvm_context.len)
        return hv_error(hv, -EINVAL,
                        "the memory stream has no HVM_CONTEXT record");
    uint8_t *ctx = malloc(idx->hvm_context.len);
    if (!ctx)
        return hv_error(hv, -ENOMEM, "out of memory");
    memcpy(ctx, stream + idx->hvm_context.offset, idx->hvm_context.len);
    int rc = xc_domain_hvm_setcontext(xch, domid, ctx, idx->hvm_context.len);
    free(ctx);
    if (rc < 0)
        return FAIL(hv, "setting the saved HVM context failed");
    if (xc_dom_gnttab_seed(xch, domid, true, c->console, c->store, 0, 0) != 0)
        return FAIL(hv, "seeding the grant table failed");
    return 0;
}

int hv_inplace_restore(struct chaos_hv *hv, struct hv_inplace_shell *s,
                       const uint8_t *stream,
                       const struct snap_stream_index *idx,
                       struct hv_restore_info *io)
{
    if (s->used)
        return hv_error(hv, -EINVAL, "the shell was restored into already");
    s->used = true;
    hv_clear_log(hv);
    struct cleared c;
    find_cleared(stream, idx, &c);
    int rc = cpu_policy(hv, s->domid, stream, idx);
    if (!rc)
        rc = extra_pages(hv, s, stream, idx, &c);
    /* The RAM: zero already; only the data that is not zero. */
    for (size_t i = 0; !rc && i < idx->nr_pages; i++) {
        const struct snap_page *p = &idx->pages[i];
        uint8_t *dst = ram_page(s, p->pfn);
        if (!dst)
            continue;
        if (p->kind == SNAP_PAGE_DATA && !is_cleared(&c, p->pfn))
            memcpy(dst, stream + p->offset, PAGE);
        else if (is_cleared(&c, p->pfn))
            memset(dst, 0, PAGE);
    }
    if (!rc)
        rc = state(hv, s->domid, stream, idx, &c, io);
    if (!rc) {
        io->console_frame = c.console;
        io->store_frame = c.store;
    }
    return rc;
}
