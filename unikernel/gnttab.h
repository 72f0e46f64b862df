/*
 * gnttab.h - the guest's grant table (version 1, one frame: 512 entries):
 * how a front end lets its back end map or copy a page of its own.
 *
 * References below NOXS_FIRST_GRANT_REF belong to the toolstack (console,
 * store page) and are never handed out, so 0 can mean "no grant".
 */
#ifndef CHAOS_UK_GNTTAB_H
#define CHAOS_UK_GNTTAB_H

#include <stdbool.h>

#include "xen_abi.h"

/* Grants `domid` access to `frame` (gnttab frame numbers: pages.h's
 * page_frame).  The reference, or 0 (and a message) when the table cannot
 * be set up or is full. */
grant_ref_t gnttab_grant(domid_t domid, unsigned long frame, bool readonly);

/* Revokes a grant.  False when the other side still has it mapped: then
 * the entry stays in use (and its page must stay untouched). */
bool gnttab_end(grant_ref_t ref);

/* Suspend (suspend.c): unmaps the table (PV) before SCHEDOP_shutdown;
 * after it, maps it again (cancelled) or forgets every grant (a new
 * domain: its table is new and empty; front ends grant again). */
void gnttab_suspend(void);
void gnttab_resume(bool new_domain);

#endif
