/*
 * names.c - stable names for Xen's domain states and shutdown reasons.
 * Pure code: part of libchaos_pure (libchaos/local.mk), which the thin
 * `chaos` command links without Xen's libraries.
 */
#include "chaos.h"
#include "util.h"

const char *chaos_dom_state_name(enum chaos_dom_state state)
{
    switch (state) {
        case CHAOS_DOM_RUNNING:
            return "running";
        case CHAOS_DOM_BLOCKED:
            return "blocked";
        case CHAOS_DOM_PAUSED:
            return "paused";
        case CHAOS_DOM_SHUTDOWN:
            return "shutdown";
        case CHAOS_DOM_CRASHED:
            return "crashed";
        case CHAOS_DOM_DYING:
            return "dying";
    }
    return "unknown";
}

const char *chaos_shutdown_reason_name(int reason)
{
    /* Xen's SHUTDOWN_* codes (public/sched.h), which are ABI. */
    static const char *const names[] = {
        "poweroff", "reboot", "suspend", "crash", "watchdog", "soft_reset",
    };
    if (reason >= 0 && reason < (int)N_ELEMENTS(names))
        return names[reason];
    return "unknown";
}
