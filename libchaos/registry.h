/*
 * registry.h - what chaos remembers about the domains it created: name,
 * type, console location, Xen handle.  Xen itself keeps no names (xl keeps
 * them in XenStore, which chaos does not require), so each domain gets a
 * small record under RUNDIR/domains/DOMID (and its configuration beside it,
 * DOMID.cfg: registry_config.c), where RUNDIR is $CHAOS_RUN_DIR
 * or /run/chaos.  A record is trusted only while Xen reports a domain with
 * the same id *and* the same handle (UUID): ids are reused after a domain
 * dies, handles are not.
 *
 * Names are indexed under RUNDIR/names/NAME (registry_names.c), one line
 * "DOMID UUID", so that finding a guest by name costs one file read and two
 * creates cannot take the same name: the entry is claimed atomically before
 * the guest is built.  Since the index exists it is authoritative: a name
 * with no entry is not found, even if an older chaos left a record with
 * that name (listing still shows such names, read from the record).
 */
#ifndef CHAOS_REGISTRY_H
#define CHAOS_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chaos.h"

struct registry_record {
    chaos_domid domid;
    uint8_t uuid[16];
    char name[64];
    char type[8]; /* "pv" or "pvh" */
    uint64_t console_frame;
    uint32_t console_port;
};

/* The directory records live in (honours CHAOS_RUN_DIR); the string is
 * the calling thread's, valid until its next call. */
const char *registry_dir(void);

/* Writes (atomically replaces) the record of rec->domid.  -errno on error. */
int registry_write(const struct registry_record *rec);

/* Reads the record of domid; -ENOENT if there is none, -EINVAL if corrupt. */
int registry_read(chaos_domid domid, struct registry_record *rec);

/* Sets bit d of map (REGISTRY_MAP_BYTES, cleared first) for each domain
 * d that has a record: one directory read instead of a file per domain.
 * 0, or -errno (the map is then unusable).  No directory: 0, none set. */
#define REGISTRY_MAP_BYTES (32768 / 8)
int registry_recorded(uint8_t map[REGISTRY_MAP_BYTES]);

/* Removes the record of domid (no error if there is none), and the name
 * index entry of the record's name if it belongs to that domain. */
int registry_remove(chaos_domid domid);

/* ------------------------------------------ configs (registry_config.c) */

/* Keeps cfg's text as RUNDIR/domains/DOMID.cfg (relative kernel and
 * ramdisk paths made absolute).  -errno. */
int registry_write_config(chaos_domid domid, const chaos_config *cfg);
/* The kept text (*text: free()), or -ENOENT if none. */
int registry_read_config(chaos_domid domid, char **text);
/* Removes it (no error if there is none).  registry_remove() calls it. */
int registry_remove_config(chaos_domid domid);

/* RUNDIR/SUB into out (honours CHAOS_RUN_DIR); -ENAMETOOLONG if it does
 * not fit. */
int registry_run_path(const char *sub, char *out, size_t len);

/* mkdir of dir and of its parent (the run dir), if missing.  -errno. */
int registry_ensure_dir(const char *dir);

/* ---------------------------------------------------------- name index */

/* Why name cannot be an index entry (it is a file name: no '/', no leading
 * '.', which the index keeps for its temporary files; 1-63 bytes), or NULL
 * if it can.  The config parser refuses all of these already. */
const char *registry_name_problem(const char *name);

/* Takes name for domid/uuid: 0, -EEXIST if an entry exists (live or not:
 * the caller judges, see registry_release_name), -EINVAL for a bad name. */
int registry_claim_name(const char *name, chaos_domid domid,
                        const uint8_t uuid[16]);

/* Reads name's entry: 0, -ENOENT if none, -EINVAL if the name is bad or the
 * entry is corrupt (not "DOMID UUID\n"; treat it as stale). */
int registry_lookup_name(const char *name, chaos_domid *domid,
                         uint8_t uuid[16]);

/* Removes name's entry if it still belongs to domid (and, unless uuid is
 * NULL, to that handle too: ids are reused, so stale entries are dropped by
 * exact match).  0 if removed or absent, -EBUSY if it belongs to another
 * owner (left alone). */
int registry_release_name(const char *name, chaos_domid domid,
                          const uint8_t *uuid);

/* Removes name's entry if it is (still) corrupt.  0 if removed or absent,
 * -EBUSY if it is a valid entry now. */
int registry_drop_corrupt_name(const char *name);

/* Formats/parses a UUID as xl prints it (8-4-4-4-12 hex digits). */
void registry_uuid_format(const uint8_t uuid[16], char out[37]);
int registry_uuid_parse(const char *text, uint8_t uuid[16]);

#endif /* CHAOS_REGISTRY_H */
