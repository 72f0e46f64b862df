/* Xen system time; see clock.h and timemath.h. */
#include "clock.h"

#include "hypercall.h"
#include "timemath.h"
#include "x86.h"

static const volatile struct vcpu_time_info *time_info;

void clock_init(struct shared_info *shared)
{
    time_info = &shared->vcpu_info[0].time;
}

uint64_t clock_now_ns(void)
{
    uint32_t version;
    uint64_t now, tsc, stamp;

    /* Xen bumps `version` to odd before an update and to even after. */
    do {
        version = time_info->version;
        rmb();
        tsc = rdtsc();
        stamp = time_info->tsc_timestamp;
        now = time_info->system_time;
        if (tsc > stamp) /* a TSC read just before an update */
            now +=
                xen_tsc_delta_to_ns(tsc - stamp, time_info->tsc_to_system_mul,
                                    time_info->tsc_shift);
        rmb();
    } while ((version & 1) != 0 || version != time_info->version);
    return now;
}

uint64_t clock_vcpu_age_ns(void)
{
    struct vcpu_runstate_info runstate;

    if (hyp_vcpu_op(VCPUOP_get_runstate_info, 0, &runstate) != 0)
        return 0;
    return xen_runstate_age_ns(runstate.time, runstate.state_entry_time,
                               clock_now_ns());
}
