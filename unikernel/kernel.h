/*
 * The kernel's interface: what the boot code hands over (struct boot_info)
 * and what programs get (kprintf, exit, panic, time, console input).
 *
 * A program is one function, app_main(), linked with the kernel into one
 * image (hello.c, echo.c).  Its return value is the exit status.
 */
#ifndef CHAOS_UK_KERNEL_H
#define CHAOS_UK_KERNEL_H

#include <stdint.h>

#include "xen_abi.h"

/* What pv.c or pvh.c found out about the domain. */
struct boot_info {
    const char *mode;                  /* "pv" or "pvh" */
    const char *cmdline;               /* never NULL */
    struct shared_info *shared_info;   /* mapped */
    struct xencons_interface *console; /* NULL: no console ring */
    evtchn_port_t console_port;
};

/* The page the platform code maps shared_info over (kernel.c). */
extern uint8_t shared_info_page[];

_Noreturn void kernel_start(const struct boot_info *boot);

/* The program. */
int app_main(const char *cmdline);

void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Ends the domain: status 0 powers off; any other status prints
 * "exit status N" and then powers off (Xen has no exit codes).
 */
_Noreturn void kernel_exit(int status);

/* Prints "panic: ..." and crashes the domain (SHUTDOWN_crash). */
_Noreturn void kernel_panic(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Before kernel_start, when there is no console yet. */
_Noreturn void kernel_early_crash(const char *message);

const char *kernel_boot_mode(void);

/* vCPU age (clock.h) when kernel_start ran: the boot code's share. */
uint64_t kernel_entry_age_ns(void);

#endif
