/*
 * oci_state.h - what chaos-oci keeps about a container under --root
 * (ROOT/ID/state.json: the record), and the runtime-spec state JSON that
 * `chaos-oci state` prints.  Pure (json-c only): the files are read and
 * written by oci_root.c.
 */
#ifndef CHAOS_OCI_STATE_H
#define CHAOS_OCI_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oci_spec.h"

enum oci_status {
    OCI_CREATING, /* no keeper yet: create has not finished (or failed) */
    OCI_CREATED,  /* the keeper serves a paused guest */
    OCI_RUNNING,  /* the guest was started and its keeper lives */
    OCI_STOPPED,  /* the keeper is gone, or the guest is */
};

const char *oci_status_name(enum oci_status st);

struct oci_record {
    char *id;
    char *bundle;
    int pid;            /* the keeper; 0: none yet */
    uint64_t pid_start; /* its start time (/proc/PID/stat), against reuse */
    uint32_t domid;     /* the guest */
    uint8_t uuid[16];   /* its Xen handle, against a reused domid */
    bool has_domain;    /* domid and uuid are set */
    char *created;      /* RFC 3339, UTC */
    /* How the guest was made: NULL or "chaos-oci" (built by chaos-oci
     * itself, served by its keeper), or chaosd's create path ("pool",
     * "image", "template", "direct": chaosd serves the guest and the
     * keeper follows it through chaosd); flavor: chaosd's, or NULL. */
    char *path;
    char *flavor;
    struct oci_annotation *annotations;
    size_t nannotations;
};

/* Container ids chaos-oci accepts: 1-128 bytes of [A-Za-z0-9_.-], not
 * starting with '.' (it names a folder under --root). */
bool oci_id_ok(const char *id);

/* The guest's name for container id: "oci-ID", cut to 63 bytes (Xen's
 * names here); buf holds at least 64. */
void oci_guest_name(const char *id, char *buf, size_t len);

/* The record as JSON text (malloc'd), or NULL when out of memory. */
char *oci_record_to_json(const struct oci_record *r);
/* Parses a record; 0, or -EINVAL (malformed) / -ENOMEM. */
int oci_record_parse(const char *text, size_t len, struct oci_record *out);
void oci_record_free(struct oci_record *r);

/* The guest is served by chaosd (its path is one of chaosd's). */
bool oci_record_chaosd(const struct oci_record *r);

/* The runtime-spec state of the container (ociVersion, id, status, pid
 * while created or running, bundle, annotations), pretty-printed as runc
 * does; malloc'd, NULL when out of memory.  The annotations are the
 * container's plus chaos-oci's own: org.chaos.path (how the guest was
 * made: "chaos-oci" or chaosd's path) and org.chaos.pool-flavor (chaosd's
 * flavor, when one was used). */
char *oci_state_json(const struct oci_record *r, enum oci_status st);

#endif /* CHAOS_OCI_STATE_H */
