/*
 * counter: prints an increasing number, one line per interval, forever:
 * the guest of the save/restore tests (docs/unikernel.md).  It waits in
 * devices_wait, so dom0 can shut it down or suspend it; the count lives
 * in memory, so a restored counter goes on from where it was saved, and
 * says once that it woke up (in a new domain, or after a cancelled
 * suspend).
 *
 * Command line:
 *   interval_ms=N   milliseconds between lines (default 100, at least 1)
 *   count=N         stop after line N (exit status 0); 0: never (default)
 *   busy_after=N    after line N, compute for busy_ms without waiting in
 *   busy_ms=M       devices_wait (so without answering dom0), once: a
 *                   guest that answers a request late (lab tests)
 */
#include "clock.h"
#include "cmdline.h"
#include "devices.h"
#include "kernel.h"
#include "suspend.h"

/* Says once per suspend how it ended, before the next line. */
static void report_wakeups(unsigned int *cancelled, unsigned int *resumed)
{
    if (suspend_resumed_count() != *resumed) {
        *resumed = suspend_resumed_count();
        kprintf("counter: resumed in a new domain\n");
    }
    if (suspend_cancelled_count() != *cancelled) {
        *cancelled = suspend_cancelled_count();
        kprintf("counter: suspend cancelled\n");
    }
}

int app_main(const char *cmdline)
{
    uint64_t interval_ms = 100, last = 0, n = 0, next;
    uint64_t busy_after = 0, busy_ms = 0;
    unsigned int cancelled = 0, resumed = 0;

    if (!cmdline_get_u64(cmdline, "interval_ms", &interval_ms) ||
        interval_ms == 0 || interval_ms > 3600000 ||
        !cmdline_get_u64(cmdline, "count", &last) ||
        !cmdline_get_u64(cmdline, "busy_after", &busy_after) ||
        !cmdline_get_u64(cmdline, "busy_ms", &busy_ms) || busy_ms > 3600000) {
        kprintf("counter: bad command line (interval_ms=1..3600000, "
                "count=N, busy_after=N, busy_ms=0..3600000): %s\n",
                cmdline);
        return 2;
    }
    kprintf("counter: every %llu ms\n", (unsigned long long)interval_ms);
    next = clock_now_ns() + interval_ms * 1000000;
    for (;;) {
        uint64_t now;

        devices_wait(next);
        report_wakeups(&cancelled, &resumed);
        now = clock_now_ns();
        if (now < next)
            continue;
        kprintf("counter %llu\n", (unsigned long long)++n);
        if (n == last)
            return 0;
        if (n == busy_after && busy_ms) {
            uint64_t until = clock_now_ns() + busy_ms * 1000000;
            kprintf("counter: busy for %llu ms\n", (unsigned long long)busy_ms);
            while (clock_now_ns() < until)
                ; /* no devices_wait: requests wait unanswered */
            now = clock_now_ns();
            next = now;
        }
        next += interval_ms * 1000000;
        if (next <= now) /* fell behind (a long suspend): no burst */
            next = now + interval_ms * 1000000;
    }
}
