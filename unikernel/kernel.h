/*
 * The kernel's interface: what the boot code hands over (struct boot_info)
 * and what programs get (kprintf, exit, panic, time, console input).
 *
 * A program is one function, app_main(), linked with the kernel into one
 * image (hello.c, echo.c).  Its return value is the exit status.
 */
#ifndef CHAOS_UK_KERNEL_H
#define CHAOS_UK_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "xen_abi.h"

/* What pv.c or pvh.c found out about the domain. */
struct boot_info {
    const char *mode;                  /* "pv" or "pvh" */
    const char *cmdline;               /* never NULL */
    struct shared_info *shared_info;   /* mapped */
    struct xencons_interface *console; /* NULL: no console ring */
    evtchn_port_t console_port;
    bool pv; /* PV (grants name machine frames) or PVH (guest frames) */
    /* The store page's slot, where a noxs guest finds its device page
     * (docs/noxs.md): mapped, or NULL when the toolstack gave none. */
    void *store_page;
    evtchn_port_t store_port;
    /* PV: start_info's pseudo-physical-to-machine table (mfn_list) and
     * its length; NULL and 0 in PVH. */
    const unsigned long *p2m;
    unsigned long nr_pages;
    /* The guest can be saved: PVH always; PV once its p2m is published
     * for libxenguest's save (pv.c). */
    bool can_suspend;
};

/* The page the platform code maps shared_info over (kernel.c). */
extern uint8_t shared_info_page[];

_Noreturn void kernel_start(const struct boot_info *boot);

/* What the boot code found (valid from kernel_start on; after a restore
 * into a new domain, what it found there). */
const struct boot_info *kernel_boot_info(void);

/* After a restore (suspend.c): what the platform code found in the new
 * domain. */
void kernel_set_boot_info(const struct boot_info *info);

/* The program. */
int app_main(const char *cmdline);

void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Ends the domain: status 0 powers off; any other status prints
 * "exit status N" and then powers off (Xen has no exit codes).
 */
_Noreturn void kernel_exit(int status);

/* Flushes the console and ends the domain with a SHUTDOWN_* reason
 * (poweroff, reboot): what a control request from dom0 asks for. */
_Noreturn void kernel_shutdown(unsigned int reason);

/* Prints "panic: ..." and crashes the domain (SHUTDOWN_crash). */
_Noreturn void kernel_panic(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Before kernel_start, when there is no console yet. */
_Noreturn void kernel_early_crash(const char *message);

const char *kernel_boot_mode(void);

/* vCPU age (clock.h) when kernel_start ran: the boot code's share. */
uint64_t kernel_entry_age_ns(void);

#endif
