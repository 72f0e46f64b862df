/* Xen time arithmetic; see timemath.h. */
#include "timemath.h"

uint64_t xen_tsc_delta_to_ns(uint64_t tsc_delta, uint32_t tsc_to_system_mul,
                             int8_t tsc_shift)
{
    if (tsc_shift < 0)
        tsc_delta >>= -tsc_shift;
    else
        tsc_delta <<= tsc_shift;
    /* 64 x 32 bits needs up to 96 bits before the shift. */
    return (uint64_t)(((unsigned __int128)tsc_delta * tsc_to_system_mul) >> 32);
}

uint64_t xen_tsc_khz(uint32_t tsc_to_system_mul, int8_t tsc_shift)
{
    /* ns per tick = mul / 2^32 * 2^shift, so kHz = 10^6 * 2^32 / mul / 2^shift */
    uint64_t khz;

    if (tsc_to_system_mul == 0)
        return 0;
    khz = (UINT64_C(1000000) << 32) / tsc_to_system_mul; /* 2^52: fits */
    if (tsc_shift < 0)
        khz <<= -tsc_shift;
    else
        khz >>= tsc_shift;
    return khz;
}

uint64_t xen_runstate_age_ns(const uint64_t time_in_state[4],
                             uint64_t state_entry_time, uint64_t now)
{
    uint64_t age = time_in_state[0] + time_in_state[1] + time_in_state[2] +
                   time_in_state[3];

    /* Our clock and Xen's can disagree by a little; never go backwards. */
    if (now > state_entry_time)
        age += now - state_entry_time;
    return age;
}

int64_t clock_resume_offset(uint64_t program_then, uint64_t xen_now)
{
    return (int64_t)((__int128)program_then - (__int128)xen_now);
}

uint64_t clock_deadline_to_xen(uint64_t deadline, int64_t offset)
{
    __int128 xen;

    if (deadline == 0)
        return 0;
    xen = (__int128)deadline - offset;
    if (xen < 1)
        return 1;
    if (xen > (__int128)UINT64_MAX)
        return UINT64_MAX;
    return (uint64_t)xen;
}
