/*
 * top_calc.c - CPU and memory percentages for `chaos top` (top_calc.h).
 */
#include <string.h>

#include "top_calc.h"

double top_cpu_percent(const struct top_prev *prev, unsigned n,
                       const struct chaos_dominfo *now, uint64_t wall_ns)
{
    if (!wall_ns)
        return -1;
    for (unsigned i = 0; i < n; i++) {
        if (prev[i].domid != now->domid ||
            memcmp(prev[i].uuid, now->uuid, sizeof(now->uuid)))
            continue;
        if (now->cpu_time_ns < prev[i].cpu_time_ns)
            return -1;
        return (double)(now->cpu_time_ns - prev[i].cpu_time_ns) * 100.0 /
               (double)wall_ns;
    }
    return -1;
}

double top_mem_percent(uint64_t mem_bytes, uint64_t total_bytes)
{
    return total_bytes ? (double)mem_bytes * 100.0 / (double)total_bytes : -1;
}
