/*
 * top_calc.h - what `chaos top` computes between two samples, as pure
 * functions (unit-tested in tests/unit/test_top_calc.c).
 */
#ifndef CHAOS_TOP_CALC_H
#define CHAOS_TOP_CALC_H

#include <stdint.h>

#include "chaos.h"

/* What top remembers of a domain from one sample to the next. */
struct top_prev {
    chaos_domid domid;
    uint8_t uuid[16];
    uint64_t cpu_time_ns;
};

/*
 * CPU use of a domain over wall_ns of wall time, in percent of one
 * physical CPU (as xentop: a guest busy on two vCPUs shows 200).  Its
 * earlier sample is the entry of prev (n entries) with the same domid and
 * handle: a domain destroyed and its id reused by another is not mixed
 * up.  Returns -1 when there is no earlier sample, wall_ns is 0, or the
 * CPU time went backwards (a different domain after all).
 */
double top_cpu_percent(const struct top_prev *prev, unsigned n,
                       const struct chaos_dominfo *now, uint64_t wall_ns);

/* A domain's memory in percent of the host's (-1 when total is 0). */
double top_mem_percent(uint64_t mem_bytes, uint64_t total_bytes);

#endif /* CHAOS_TOP_CALC_H */
