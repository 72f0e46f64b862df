/*
 * p2mlist.h - the p2m frame lists a PV guest publishes in shared_info so
 * that libxenguest's save can find its pseudo-physical-to-machine table
 * (Xen 4.17 tools/libs/guest/xg_sr_save_x86_pv.c, map_p2m_tree): the
 * "frame list list" page (its machine frame goes in
 * arch.pfn_to_mfn_frame_list_list) lists the machine frames of "frame
 * list" pages, which list the machine frames of the p2m table's pages
 * (the leaves), 512 8-byte entries per page at each level.
 *
 * Pure code (no Xen calls), unit-tested on the host
 * (tests/unit/test_unikernel_p2mlist.c); pv.c owns the pages and
 * publishes the result.
 */
#ifndef CHAOS_UK_P2MLIST_H
#define CHAOS_UK_P2MLIST_H

#include <stdbool.h>
#include <stdint.h>

/* Entries per page at every level: 4096 / 8. */
#define P2M_PER_PAGE 512u

/* Pages of a p2m table of nr_pages entries: the leaves. */
unsigned long p2m_leaves(unsigned long nr_pages);

/*
 * Fills the frame lists for the p2m table `p2m` (nr_pages entries, pfn to
 * mfn), whose first page is pseudo-physical frame p2m_pfn:
 *   fl:  nr_fl pages (nr_fl * P2M_PER_PAGE entries), whose frames are
 *        fl_pfns[0 .. nr_fl-1]; entry k = the mfn of the table's page k;
 *   fll: one page (P2M_PER_PAGE entries); entry j = the mfn of fl page j.
 * Entries beyond what is used are 0 (the save reads only max_pfn's
 * worth).  False, and nothing written, when it does not fit: the table's
 * or a list's pages lie beyond nr_pages, nr_fl pages cannot list all the
 * leaves, or a frame involved has no mfn (0).
 */
bool p2m_build_lists(const uint64_t *p2m, unsigned long nr_pages,
                     unsigned long p2m_pfn, uint64_t *fl,
                     const unsigned long *fl_pfns, unsigned int nr_fl,
                     uint64_t *fll);

#endif
