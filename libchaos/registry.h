/*
 * registry.h - what chaos remembers about the domains it created: name,
 * type, console location, Xen handle.  Xen itself keeps no names (xl keeps
 * them in XenStore, which chaos does not require), so each domain gets a
 * small record under RUNDIR/domains/DOMID, where RUNDIR is $CHAOS_RUN_DIR
 * or /run/chaos.  A record is trusted only while Xen reports a domain with
 * the same id *and* the same handle (UUID): ids are reused after a domain
 * dies, handles are not.
 */
#ifndef CHAOS_REGISTRY_H
#define CHAOS_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#include "chaos.h"

struct registry_record {
    chaos_domid domid;
    uint8_t uuid[16];
    char name[64];
    char type[8];              /* "pv" or "pvh" */
    uint64_t console_frame;
    uint32_t console_port;
};

/* The directory records live in (static string; honours CHAOS_RUN_DIR). */
const char *registry_dir(void);

/* Writes (atomically replaces) the record of rec->domid.  -errno on error. */
int registry_write(const struct registry_record *rec);

/* Reads the record of domid; -ENOENT if there is none, -EINVAL if corrupt. */
int registry_read(chaos_domid domid, struct registry_record *rec);

/* Removes the record of domid (no error if there is none). */
int registry_remove(chaos_domid domid);

/* Formats/parses a UUID as xl prints it (8-4-4-4-12 hex digits). */
void registry_uuid_format(const uint8_t uuid[16], char out[37]);
int registry_uuid_parse(const char *text, uint8_t uuid[16]);

#endif /* CHAOS_REGISTRY_H */
