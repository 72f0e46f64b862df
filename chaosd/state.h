/*
 * state.h - what chaosd records under RUNDIR/chaosd (RUNDIR: $CHAOS_RUN_DIR
 * or /run/chaos), so that a restarted or crashed chaosd leaks nothing and
 * hands out nothing twice:
 *
 *   shells/UUID      a shell being prepared ("domid=-1") or idle (its domid)
 *   guests/UUID      a guest chaosd started: domid, name, the shell's UUID
 *   guests/UUID.cfg  its configuration (xl.cfg text), for on_reboot=restart
 *
 * Files are named by Xen's domain handle (UUID), which chaosd chooses
 * before asking Xen for the domain, so a record exists before the domain
 * does, and a reused domid is never mistaken for it.  Records are written
 * to a temporary name and renamed into place: readers never see half.
 */
#ifndef CHAOSD_STATE_H
#define CHAOSD_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "chaos.h"

#define STATE_NO_DOMID ((int64_t)-1)

/* Creates the directories.  -errno. */
int state_init(void);

/* RUNDIR/chaosd, read from the environment at each call (tests point
 * CHAOS_RUN_DIR at a new directory per test); by value, so that no
 * buffer is shared: state_dir().path lives to the end of the statement. */
struct state_dir {
    char path[512];
};
struct state_dir state_dir(void);

/* A new random UUID (version 4), as Xen's handle for a new domain. */
int state_new_uuid(uint8_t uuid[16]);
void state_uuid_text(const uint8_t uuid[16], char out[37]);
int state_uuid_parse(const char *text, uint8_t uuid[16]);

int state_shell_write(const uint8_t uuid[16], int64_t domid,
                      const char *flavor);
int state_shell_remove(const uint8_t uuid[16]);

struct state_guest {
    uint8_t uuid[16];       /* the guest's handle */
    uint8_t shell_uuid[16]; /* the shell's (differs if the config set one) */
    int64_t domid;          /* STATE_NO_DOMID while being created */
    char name[64];
};
/* The guest's config is not recorded here: libchaos's registry keeps the
 * one each domain was built from, and recovery reads that. */
int state_guest_write(const struct state_guest *g);
int state_guest_remove(const uint8_t uuid[16]);

/* Calls fn for every record of one kind; records that cannot be read are
 * removed.  fn returns nothing; iteration order is unspecified. */
void state_each_shell(void (*fn)(void *opaque, const uint8_t uuid[16],
                                 int64_t domid),
                      void *opaque);
void state_each_guest(void (*fn)(void *opaque, const struct state_guest *g),
                      void *opaque);

#endif /* CHAOSD_STATE_H */
