/* Unit tests: the PV unikernel's p2m frame lists (unikernel/p2mlist.c),
 * checked by walking them as libxenguest's save does (Xen 4.17
 * xg_sr_save_x86_pv.c, map_p2m_tree). */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "p2mlist.h"
#include "check_run.h"

/* A guest of nr pages whose pfn i has mfn 1000 + 7 * i (never 0). */
static uint64_t *guest_p2m(unsigned long nr)
{
    uint64_t *p2m = malloc(nr * sizeof(*p2m));
    unsigned long i;

    ck_assert_ptr_nonnull(p2m);
    for (i = 0; i < nr; i++)
        p2m[i] = 1000 + 7 * i;
    return p2m;
}

/* The pfn whose mfn is `mfn`, as the save's m2p lookup finds it. */
static unsigned long pfn_of_mfn(uint64_t mfn)
{
    ck_assert_uint_ge(mfn, 1000);
    ck_assert_uint_eq((mfn - 1000) % 7, 0);
    return (unsigned long)((mfn - 1000) / 7);
}

/*
 * The save's walk: fll -> fl pages -> leaves -> entries.  The guest's
 * memory is the p2m array itself (page k of the table is pfn p2m_pfn + k;
 * the fl pages are at fl_pfns): each frame is found back through its mfn.
 */
static void walk(const uint64_t *p2m, unsigned long nr, unsigned long p2m_pfn,
                 uint64_t *fl, const unsigned long *fl_pfns, unsigned nr_fl,
                 const uint64_t *fll)
{
    unsigned long max_pfn = nr - 1, fpp = P2M_PER_PAGE;
    unsigned long fll_entries = max_pfn / (fpp * fpp) + 1;
    unsigned long fl_entries = max_pfn / fpp + 1, x, pfn;

    for (x = 0; x < fll_entries; x++) {
        unsigned long fl_pfn = pfn_of_mfn(fll[x]);
        unsigned j;

        for (j = 0; j < nr_fl; j++)
            if (fl_pfns[j] == fl_pfn)
                break;
        ck_assert_uint_eq(j, x); /* the x-th fl page, in order */
    }
    for (x = 0; x < fl_entries; x++) {
        uint64_t leaf_mfn = fl[x];

        ck_assert_uint_ne(leaf_mfn, 0);
        ck_assert_uint_eq(pfn_of_mfn(leaf_mfn), p2m_pfn + x);
    }
    /* Entry pfn sits in leaf pfn / 512 at index pfn % 512, i.e. in the
     * table at pfn: the leaves are the table's pages in order.  (Every
     * 61st pfn and the last: all of them is slow under ASan.) */
    for (pfn = 0;; pfn += 61) {
        if (pfn > max_pfn)
            pfn = max_pfn;
        unsigned long leaf_pfn = pfn_of_mfn(fl[pfn / fpp]);
        const uint64_t *leaf = p2m + (leaf_pfn - p2m_pfn) * fpp;

        ck_assert_uint_eq(leaf[pfn % fpp], 1000 + 7 * pfn);
        if (pfn == max_pfn)
            break;
    }
}

START_TEST(test_leaves)
{
    ck_assert_uint_eq(p2m_leaves(0), 0);
    ck_assert_uint_eq(p2m_leaves(1), 1);
    ck_assert_uint_eq(p2m_leaves(512), 1);
    ck_assert_uint_eq(p2m_leaves(513), 2);
    ck_assert_uint_eq(p2m_leaves(1024), 2); /* memory = 4 */
}
END_TEST

/* memory = 4: 1024 pages, a two-page table at pfn 300, one fl page. */
START_TEST(test_four_mib)
{
    static uint64_t fl[P2M_PER_PAGE], fll[P2M_PER_PAGE];
    uint64_t *p2m = guest_p2m(1024);
    unsigned long fl_pfn = 400;
    unsigned long j;

    memset(fl, 0xaa, sizeof(fl));
    memset(fll, 0xaa, sizeof(fll));
    ck_assert(p2m_build_lists(p2m, 1024, 300, fl, &fl_pfn, 1, fll));
    ck_assert_uint_eq(fl[0], p2m[300]);
    ck_assert_uint_eq(fl[1], p2m[301]);
    for (j = 2; j < P2M_PER_PAGE; j++)
        ck_assert_uint_eq(fl[j], 0);
    ck_assert_uint_eq(fll[0], p2m[400]);
    for (j = 1; j < P2M_PER_PAGE; j++)
        ck_assert_uint_eq(fll[j], 0);
    walk(p2m, 1024, 300, fl, &fl_pfn, 1, fll);
    free(p2m);
}
END_TEST

/* More than one fl page: 1 GiB + 1 page needs two. */
START_TEST(test_two_fl_pages)
{
    static uint64_t fl[2 * P2M_PER_PAGE], fll[P2M_PER_PAGE];
    unsigned long nr = 512ul * 512 + 1;
    uint64_t *p2m = guest_p2m(nr);
    unsigned long fl_pfns[2] = { 5, 9 };

    ck_assert(!p2m_build_lists(p2m, nr, 1000, fl, fl_pfns, 1, fll));
    ck_assert(p2m_build_lists(p2m, nr, 1000, fl, fl_pfns, 2, fll));
    ck_assert_uint_eq(fl[512], p2m[1512]);
    ck_assert_uint_eq(fl[513], 0);
    ck_assert_uint_eq(fll[0], p2m[5]);
    ck_assert_uint_eq(fll[1], p2m[9]);
    ck_assert_uint_eq(fll[2], 0);
    walk(p2m, nr, 1000, fl, fl_pfns, 2, fll);
    free(p2m);
}
END_TEST

/* What does not fit leaves the lists untouched. */
START_TEST(test_refused)
{
    static uint64_t fl[P2M_PER_PAGE], fll[P2M_PER_PAGE];
    uint64_t *p2m = guest_p2m(1024);
    unsigned long fl_pfn = 400, far = 5000;

    memset(fl, 0xaa, sizeof(fl));
    memset(fll, 0xaa, sizeof(fll));
    ck_assert(!p2m_build_lists(p2m, 0, 0, fl, &fl_pfn, 1, fll));
    /* The table's second page beyond the guest. */
    ck_assert(!p2m_build_lists(p2m, 1024, 1023, fl, &fl_pfn, 1, fll));
    ck_assert(!p2m_build_lists(p2m, 1024, 1024, fl, &fl_pfn, 1, fll));
    /* The fl page beyond the guest. */
    ck_assert(!p2m_build_lists(p2m, 1024, 300, fl, &far, 1, fll));
    /* A frame without an mfn. */
    p2m[301] = 0;
    ck_assert(!p2m_build_lists(p2m, 1024, 300, fl, &fl_pfn, 1, fll));
    p2m[301] = 1;
    p2m[400] = 0;
    ck_assert(!p2m_build_lists(p2m, 1024, 300, fl, &fl_pfn, 1, fll));
    ck_assert_uint_eq(fl[0], 0xaaaaaaaaaaaaaaaaull);
    ck_assert_uint_eq(fll[0], 0xaaaaaaaaaaaaaaaaull);
    free(p2m);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("unikernel_p2mlist");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_leaves);
    tcase_add_test(tc, test_four_mib);
    tcase_add_test(tc, test_two_fl_pages);
    tcase_add_test(tc, test_refused);
    suite_add_tcase(suite, tc);
    return check_run(suite);
}
