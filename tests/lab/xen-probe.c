/*
 * xen-probe: proves that the lab runs a real Xen.  Runs in the lab's dom0.
 *
 * It checks the lab itself, independently of libchaos, so it speaks
 * libxenctrl directly on purpose: read physinfo and the domain list, create
 * an empty PV domain, see it in the list, destroy it, and check the domain
 * list and free memory are back to what they were.  Exit 0 when all holds.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xenctrl.h>

#define MAX_DOMS 1024

static int failures;

#define CHECK(cond, ...)                  \
    do {                                  \
        if (cond) {                       \
            printf("ok: " __VA_ARGS__);   \
        } else {                          \
            printf("FAIL: " __VA_ARGS__); \
            failures++;                   \
        }                                 \
        putchar('\n');                    \
    } while (0)

static int list_domids(xc_interface *xch, uint32_t *ids)
{
    static xc_domaininfo_t info[MAX_DOMS];
    int n = xc_domain_getinfolist(xch, 0, MAX_DOMS, info);
    for (int i = 0; i < n; i++)
        ids[i] = info[i].domain;
    return n;
}

static int domain_exists(xc_interface *xch, uint32_t domid)
{
    xc_domaininfo_t info;
    return xc_domain_getinfolist(xch, domid, 1, &info) == 1 &&
           info.domain == domid;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

int main(void)
{
    xc_interface *xch = xc_interface_open(NULL, NULL, 0);
    if (!xch) {
        printf("FAIL: xc_interface_open: %s\n", strerror(errno));
        return 1;
    }

    xc_physinfo_t pi = { 0 };
    int rc = xc_physinfo(xch, &pi);
    CHECK(rc == 0,
          "physinfo: %u CPUs, %" PRIu64 " MiB total, %" PRIu64
          " MiB free, caps 0x%x",
          pi.nr_cpus, (uint64_t)pi.total_pages * XC_PAGE_SIZE >> 20,
          (uint64_t)pi.free_pages * XC_PAGE_SIZE >> 20, pi.capabilities);
    CHECK(pi.capabilities & XEN_SYSCTL_PHYSCAP_pv, "host can run PV guests");
    int ver = xc_version(xch, XENVER_version, NULL);
    CHECK(ver >> 16 == 4, "Xen version %d.%d", ver >> 16, ver & 0xffff);

    static uint32_t before[MAX_DOMS], after[MAX_DOMS];
    int n_before = list_domids(xch, before);
    CHECK(n_before >= 1 && before[0] == 0, "domain list has dom0 (%d domains)",
          n_before);
    uint64_t free_before = pi.free_pages;

    struct xen_domctl_createdomain cfg = {
        .max_vcpus = 1,
        .max_evtchn_port = 1023,
        .max_grant_frames = -1,
        .max_maptrack_frames = -1,
        /* Xen 4.17 rejects a create without a grant version (EINVAL). */
        .grant_opts = XEN_DOMCTL_GRANT_version(1),
    };
    uint32_t domid = 0; /* 0: let Xen pick */
    rc = xc_domain_create(xch, &domid, &cfg);
    CHECK(rc == 0, "created an empty PV domain: domid %u (%s)", domid,
          rc ? strerror(errno) : "ok");
    if (rc == 0) {
        CHECK(domain_exists(xch, domid), "domain %u is in the list", domid);
        rc = xc_domain_destroy(xch, domid);
        CHECK(rc == 0, "destroyed domain %u (%s)", domid,
              rc ? strerror(errno) : "ok");
        /* Destruction finishes asynchronously (the domain is "dying"). */
        for (int i = 0; i < 100 && domain_exists(xch, domid); i++)
            sleep_ms(50);
        CHECK(!domain_exists(xch, domid), "domain %u is gone", domid);
    }

    int n_after = list_domids(xch, after);
    CHECK(n_after == n_before &&
              !memcmp(before, after, (size_t)n_before * sizeof(before[0])),
          "domain list is back to what it was (%d domains)", n_after);
    /* Xen scrubs freed pages in the background before counting them as
     * free again, so give it a moment. */
    xc_physinfo_t pi2 = { 0 };
    for (int i = 0; i < 100; i++) {
        xc_physinfo(xch, &pi2);
        if (pi2.free_pages == free_before)
            break;
        sleep_ms(50);
    }
    CHECK(pi2.free_pages == free_before,
          "free memory is back to what it was (%" PRIu64
          " pages, before %" PRIu64 ", %" PRIu64 " to scrub)",
          (uint64_t)pi2.free_pages, free_before, (uint64_t)pi2.scrub_pages);

    xc_interface_close(xch);
    printf("xen-probe: %s\n", failures ? "FAILED" : "all checks passed");
    return failures ? 1 : 0;
}
