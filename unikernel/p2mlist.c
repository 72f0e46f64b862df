/* The p2m frame lists of a PV guest; see p2mlist.h. */
#include "p2mlist.h"

unsigned long p2m_leaves(unsigned long nr_pages)
{
    return (nr_pages + P2M_PER_PAGE - 1) / P2M_PER_PAGE;
}

/* The mfn of pseudo-physical frame pfn, or 0 when there is none. */
static uint64_t mfn_of(const uint64_t *p2m, unsigned long nr_pages,
                       unsigned long pfn)
{
    return pfn < nr_pages ? p2m[pfn] : 0;
}

bool p2m_build_lists(const uint64_t *p2m, unsigned long nr_pages,
                     unsigned long p2m_pfn, uint64_t *fl,
                     const unsigned long *fl_pfns, unsigned int nr_fl,
                     uint64_t *fll)
{
    unsigned long leaves = p2m_leaves(nr_pages), k;
    unsigned long mids = (leaves + P2M_PER_PAGE - 1) / P2M_PER_PAGE;
    unsigned int j;

    if (nr_pages == 0 || mids > nr_fl || p2m_pfn >= nr_pages ||
        leaves > nr_pages - p2m_pfn)
        return false;
    /* Check every frame before writing anything. */
    for (k = 0; k < leaves; k++)
        if (mfn_of(p2m, nr_pages, p2m_pfn + k) == 0)
            return false;
    for (j = 0; j < mids; j++)
        if (mfn_of(p2m, nr_pages, fl_pfns[j]) == 0)
            return false;
    for (k = 0; k < (unsigned long)nr_fl * P2M_PER_PAGE; k++)
        fl[k] = k < leaves ? p2m[p2m_pfn + k] : 0;
    for (j = 0; j < P2M_PER_PAGE; j++)
        fll[j] = j < mids ? p2m[fl_pfns[j]] : 0;
    return true;
}
