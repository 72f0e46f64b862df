/*
 * util.h - the few small helpers libchaos, chaosd and the chaos command all
 * need, in one copy.  Header-only and not installed (chaos.h is the public
 * interface); every program of the project finds it through -I libchaos.
 */
#ifndef CHAOS_UTIL_H
#define CHAOS_UTIL_H

#include <stdint.h>
#include <time.h>

/* Elements in an array (not a pointer). */
#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

/* CLOCK_MONOTONIC in nanoseconds: for durations and deadlines, never for
 * dates. */
static inline uint64_t util_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t util_now_ms(void)
{
    return util_now_ns() / 1000000u;
}

#endif /* CHAOS_UTIL_H */
