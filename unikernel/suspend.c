/* Suspend and resume; see suspend.h. */
#include "suspend.h"

#include "clock.h"
#include "console.h"
#include "evtchn.h"
#include "gnttab.h"
#include "hypercall.h"
#include "kernel.h"
#include "platform.h"

static unsigned int cancelled, resumed;

bool suspend_possible(void)
{
    const struct boot_info *boot = kernel_boot_info();

    if (!boot->can_suspend)
        return false;
    return boot->pv || pvh_suspend_prepare();
}

enum suspend_result kernel_suspend(void)
{
    struct boot_info boot = *kernel_boot_info();
    struct sched_shutdown request = { .reason = SHUTDOWN_suspend };
    unsigned long record = 0;
    long rc;
    bool new_domain;

    console_flush();
    clock_suspend();
    gnttab_suspend();
    if (boot.pv)
        record = pv_suspend_prepare();
    /*
     * 0: restored into a new domain; 1: cancelled (xc_domain_resume with
     * fast=1 set it); an error (< 0) means we never stopped: as cancelled.
     * Nothing here may touch shared_info until the platform code mapped it
     * again.
     */
    rc = hyp_suspend(&request, record);
    new_domain = rc == 0;
    if (boot.pv)
        pv_resume(&boot, new_domain);
    else
        pvh_resume(&boot, new_domain);
    if (new_domain) {
        kernel_set_boot_info(&boot);
        clock_resume(boot.shared_info);
        evtchn_init(boot.shared_info);
        console_init(boot.console, boot.console_port);
    }
    gnttab_resume(new_domain);
    if (!new_domain) {
        cancelled++;
        if (rc < 0)
            kprintf("suspend: SCHEDOP_shutdown failed (%ld)\n", rc);
        return SUSPEND_CANCELLED;
    }
    resumed++;
    return SUSPEND_RESUMED;
}

unsigned int suspend_cancelled_count(void)
{
    return cancelled;
}

unsigned int suspend_resumed_count(void)
{
    return resumed;
}
