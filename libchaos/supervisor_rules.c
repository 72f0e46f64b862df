/*
 * supervisor_rules.c - the lifecycle rules of the guest supervisor (see
 * supervisor.h): the one place that maps how a domain stopped to its
 * on_* action and says which actions chaos carries out.  The monitor of
 * `chaos create` and chaosd both get them from here.
 */
#include <errno.h>
#include <stdio.h>

#include "supervisor.h"
#include "util.h"

static const char *const event_keys[] = {
    [CHAOS_ON_POWEROFF] = "on_poweroff",
    [CHAOS_ON_REBOOT] = "on_reboot",
    [CHAOS_ON_CRASH] = "on_crash",
};

enum chaos_event supervisor_event_for(bool crashed, int reason)
{
    if (crashed || reason == XEN_REASON_CRASH)
        return CHAOS_ON_CRASH;
    return reason == XEN_REASON_REBOOT ? CHAOS_ON_REBOOT : CHAOS_ON_POWEROFF;
}

enum chaos_event chaos_event_for_shutdown(int reason)
{
    return supervisor_event_for(false, reason);
}

bool supervisor_being_saved(bool crashed, int reason)
{
    return !crashed && reason == XEN_REASON_SUSPEND;
}

const char *supervisor_event_key(enum chaos_event ev)
{
    return (unsigned)ev < N_ELEMENTS(event_keys) ? event_keys[ev] : NULL;
}

/*
 * rename-restart needs renaming a running domain, coredump-* a core dump
 * writer, soft-reset Xen's soft reset: none exists in chaos yet.  A guest
 * asking for one is refused rather than quietly given another action.
 */
static const bool supported[] = {
    [CHAOS_ACTION_DESTROY] = true,
    [CHAOS_ACTION_RESTART] = true,
    [CHAOS_ACTION_PRESERVE] = true,
    [CHAOS_ACTION_RENAME_RESTART] = false,
    [CHAOS_ACTION_COREDUMP_DESTROY] = false,
    [CHAOS_ACTION_COREDUMP_RESTART] = false,
    [CHAOS_ACTION_SOFT_RESET] = false,
};

bool supervisor_action_supported(enum chaos_action act)
{
    return (unsigned)act < N_ELEMENTS(supported) && supported[act];
}

int chaos_supervisor_check_config(const chaos_config *cfg, char *msg,
                                  size_t len)
{
    for (int ev = CHAOS_ON_POWEROFF; ev <= CHAOS_ON_CRASH; ev++) {
        enum chaos_action act = chaos_config_action(cfg, (enum chaos_event)ev);
        if (!supervisor_action_supported(act)) {
            const char *name = chaos_action_name(act);
            snprintf(msg, len,
                     "%s = \"%s\" is not supported yet (chaos "
                     "carries out destroy, preserve and restart)",
                     event_keys[ev], name ? name : "?");
            return -ENOTSUP;
        }
    }
    return 0;
}
