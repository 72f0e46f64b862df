/*
 * CPU exceptions in PVH mode.
 *
 * Without an IDT, any fault in a PVH guest escalates to a triple fault,
 * which Xen turns into a reboot of the domain with no trace of what went
 * wrong.  trap_init() installs handlers for the 32 exception vectors that
 * print what happened and crash the domain.  (A PV guest without a trap
 * table is crashed by Xen itself, so pv.c needs nothing.)
 */
#ifndef CHAOS_UK_TRAP_H
#define CHAOS_UK_TRAP_H

void trap_init(void);

#endif
