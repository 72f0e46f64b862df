/* Xen system time and the program's clock; see clock.h and timemath.h. */
#include "clock.h"

#include "hypercall.h"
#include "timemath.h"
#include "x86.h"

static const volatile struct vcpu_time_info *time_info;
/* Program clock = Xen time + offset (timemath.h); 0 until a restore. */
static int64_t offset;
static uint64_t suspended_at; /* the program's clock at suspend */

void clock_init(struct shared_info *shared)
{
    time_info = &shared->vcpu_info[0].time;
}

uint64_t clock_xen_ns(void)
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

uint64_t clock_now_ns(void)
{
    return clock_xen_ns() + (uint64_t)offset;
}

uint64_t clock_to_xen_deadline(uint64_t deadline_ns)
{
    return clock_deadline_to_xen(deadline_ns, offset);
}

void clock_suspend(void)
{
    suspended_at = clock_now_ns();
}

void clock_resume(struct shared_info *shared)
{
    clock_init(shared);
    offset = clock_resume_offset(suspended_at, clock_xen_ns());
}

uint64_t clock_vcpu_age_ns(void)
{
    struct vcpu_runstate_info runstate;

    if (hyp_vcpu_op(VCPUOP_get_runstate_info, 0, &runstate) != 0)
        return 0;
    /* Runstate times are Xen's: compare with Xen time, not ours. */
    return xen_runstate_age_ns(runstate.time, runstate.state_entry_time,
                               clock_xen_ns());
}
