/*
 * The arithmetic of Xen time, kept apart from the code that reads it so the
 * host unit tests can check it (tests/unit/test_unikernel_timemath.c).
 *
 * Xen system time is nanoseconds since the host booted.  Xen publishes, per
 * vCPU, a (tsc_timestamp, system_time) pair and a fixed-point TSC rate; the
 * guest extrapolates with the TSC (xen.h, struct vcpu_time_info):
 *
 *   now = system_time
 *         + (((tsc - tsc_timestamp) << tsc_shift) * tsc_to_system_mul) >> 32
 *
 * where a negative tsc_shift means a right shift.
 */
#ifndef CHAOS_UK_TIMEMATH_H
#define CHAOS_UK_TIMEMATH_H

#include <stdint.h>

/* Nanoseconds for `tsc_delta` TSC ticks at the given scale. */
uint64_t xen_tsc_delta_to_ns(uint64_t tsc_delta, uint32_t tsc_to_system_mul,
                             int8_t tsc_shift);

/* The TSC frequency in kHz implied by a scale (for diagnostics). */
uint64_t xen_tsc_khz(uint32_t tsc_to_system_mul, int8_t tsc_shift);

/*
 * How long ago a vCPU was created, from its runstate (struct
 * vcpu_runstate_info): Xen starts every vCPU in RUNSTATE_offline with
 * state_entry_time = creation time and all time[] = 0, and from then on
 * adds each finished state's duration to time[].  So the finished states
 * plus the current one, (now - state_entry_time), add up to the age.
 */
uint64_t xen_runstate_age_ns(const uint64_t time_in_state[4],
                             uint64_t state_entry_time, uint64_t now);

/*
 * The program's clock across a restore.  Xen system time is the host's
 * (ns since it booted): a guest restored into a new domain sees it jump by
 * however long it was saved, or go backwards on another host.  So the
 * program's clock is Xen time plus an offset, 0 until the first restore;
 * at a restore the offset is chosen so that the program's clock goes on
 * from the value it had when the guest suspended, as if no time had
 * passed.
 */

/* The offset after a restore: the program's clock read `program_then`
 * at suspend; Xen time now reads `xen_now`. */
int64_t clock_resume_offset(uint64_t program_then, uint64_t xen_now);

/* Xen time for a deadline on the program's clock, for SCHEDOP_poll:
 * 0 (no deadline) stays 0; a deadline before Xen time 1 becomes 1 (past:
 * the poll returns at once). */
uint64_t clock_deadline_to_xen(uint64_t deadline, int64_t offset);

#endif
