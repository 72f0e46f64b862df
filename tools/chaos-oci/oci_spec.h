/*
 * oci_spec.h - a bundle's config.json (OCI runtime-spec) turned into what
 * chaos-oci needs to build the guest: the root file system, the program,
 * sizes and chaos's annotations.  Pure (json-c only, no file system
 * access), so all of it is unit-tested and fuzzed.  The rules, field by
 * field, are in docs/oci.md; anything that would change what the program
 * sees and that chaos-oci cannot do is refused with a message naming the
 * field, rather than quietly ignored.
 */
#ifndef CHAOS_OCI_SPEC_H
#define CHAOS_OCI_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The runtime-spec versions chaos-oci understands: 1.0.x to 1.2.x. */
#define OCI_SPEC_VERSION "1.2.0"

/* Guest memory: the default without a limit, and the least a Linux guest
 * with its initramfs boots in. */
#define OCI_DEFAULT_MEMORY_MIB 128
#define OCI_MIN_MEMORY_MIB 64
#define OCI_MAX_VCPUS 64

struct oci_annotation {
    char *key, *value;
};

/* A bind mount of the spec (mounts[] of type bind, or with the option
 * bind or rbind): dom0's file or folder source is copied into the image
 * when the container is created and mounted on destination by the guest
 * before the program runs (oci_bind.h).  Read-write ones must be files
 * (checked when the image is made: the spec parser reads no files). */
struct oci_bind {
    char *source;      /* absolute, in dom0 */
    char *destination; /* absolute, in the guest */
    bool readonly;     /* the option "ro" */
};

struct oci_spec {
    char *oci_version;
    char *root_path; /* absolute: root.path joined to the bundle */
    char **args;     /* process.args, at least one */
    size_t nargs;
    char **env; /* process.env, NAME=VALUE */
    size_t nenv;
    char *cwd;      /* process.cwd, "/" when absent */
    char *hostname; /* NULL: none given */
    bool terminal;  /* process.terminal */
    uint64_t memory_mib;
    unsigned vcpus;
    char *kernel; /* org.chaos.kernel, NULL: the default */
    char *flavor; /* org.chaos.flavor, NULL: none */
    bool direct;  /* org.chaos.direct "true": chaos-oci builds the guest
                     itself even when chaosd runs */
    struct oci_annotation *annotations; /* all of them, in order */
    size_t nannotations;
    struct oci_bind *binds; /* in the spec's order */
    size_t nbinds;
};

/*
 * Parses config.json text (len bytes) of the bundle in folder bundle (an
 * absolute path).  0 and *out filled (release with oci_spec_free), or
 * -EINVAL / -ENOMEM with a sentence in msg (msglen bytes) naming the
 * field.  *out is empty after a failure.
 */
int oci_spec_parse(const char *text, size_t len, const char *bundle,
                   struct oci_spec *out, char *msg, size_t msglen);
void oci_spec_free(struct oci_spec *spec);

/* True for the runtime-spec versions chaos-oci knows (1.0.x to 1.2.x,
 * with an optional -suffix such as "1.0.2-dev"). */
bool oci_version_ok(const char *version);

#endif /* CHAOS_OCI_SPEC_H */
