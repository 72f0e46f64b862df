/*
 * hello: the boot-time probe.  Prints a greeting and how long after the
 * creation of its vCPU it got to run (docs/unikernel.md defines the
 * numbers), then powers off.
 *
 * Command line (all optional):
 *   sleep_ms=N    wait N ms before powering off (exercises the timer)
 *   exit=N        exit with status N (exercises the failure path)
 *   crash=panic   end in kernel_panic (SHUTDOWN_crash)
 *   crash=fault   touch an unmapped address (PVH: the exception handlers;
 *                 PV: Xen crashes the domain)
 */
#include "clock.h"
#include "cmdline.h"
#include "evtchn.h"
#include "kernel.h"

static void crash_if_asked(const char *cmdline)
{
    struct cmdline_word crash;

    if (!cmdline_find(cmdline, "crash", &crash))
        return;
    if (cmdline_value_is(&crash, "panic"))
        kernel_panic("crash=panic on the command line");
    if (cmdline_value_is(&crash, "fault")) {
        /* 512 GiB: beyond every mapping either mode sets up. */
        volatile uint64_t *unmapped = (volatile uint64_t *)(512ull << 30);

        kprintf("hello: reading %p\n", (void *)unmapped);
        (void)*unmapped;
    }
    kprintf("hello: crash= wants panic or fault\n");
}

int app_main(const char *cmdline)
{
    uint64_t boot_ns = clock_vcpu_age_ns();
    uint64_t sleep_ms = 0, status = 0;

    kprintf("hello from chaos unikernel\n");
    kprintf("chaos-boot-mode=%s\n", kernel_boot_mode());
    kprintf("chaos-entry-ns=%llu\n", (unsigned long long)kernel_entry_age_ns());
    kprintf("chaos-boot-ns=%llu\n", (unsigned long long)boot_ns);

    if (!cmdline_get_u64(cmdline, "sleep_ms", &sleep_ms) ||
        !cmdline_get_u64(cmdline, "exit", &status) || status > 255) {
        kprintf("hello: bad command line: %s\n", cmdline);
        return 2;
    }
    if (sleep_ms > 0) {
        uint64_t start = clock_now_ns();

        sleep_until(start + sleep_ms * 1000000);
        kprintf("slept %llu ms\n",
                (unsigned long long)((clock_now_ns() - start) / 1000000));
    }
    crash_if_asked(cmdline);
    return (int)status;
}
