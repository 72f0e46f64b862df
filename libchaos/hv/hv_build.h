/*
 * hv_build.h - building guests: the prepare and execute phases, at the
 * level of Xen's interfaces but in the project's types.  Part of the
 * hypervisor module (see hv.h).
 */
#ifndef CHAOS_HV_BUILD_H
#define CHAOS_HV_BUILD_H

#include "hv.h"

/* What the prepare phase needs: nothing about the kernel. */
struct hv_shell_spec {
    bool pvh;         /* false: 64-bit PV */
    uint8_t uuid[16]; /* Xen's domain handle */
    unsigned max_vcpus;
    uint64_t memory_kib; /* populated now */
    uint64_t maxmem_kib; /* ceiling for ballooning */
    bool xenstore;       /* reserve a XenStore page and port */
    enum { HV_TSC_DEFAULT, HV_TSC_ALWAYS_EMULATE, HV_TSC_NATIVE } tsc_mode;
};

/* What the execute phase loads.  Buffers are borrowed for the call. */
struct hv_boot_spec {
    const void *kernel; /* ELF, bzImage, or gzip of either */
    size_t kernel_size;
    const void *ramdisk; /* NULL: none */
    size_t ramdisk_size;
    const char *cmdline; /* "" for none */
    bool want_elf;       /* return the decompressed kernel (for a cache) */
    /* Whether the guest gets a XenStore ring: AUTO means "if its kernel
     * says it is Linux".  Decided here, after parsing: a guest handed a
     * XenStore port waits for a store forever, so others get none. */
    enum { HV_XENSTORE_AUTO, HV_XENSTORE_NO, HV_XENSTORE_YES } xenstore;
    /* The guest has devices (a vif or a disk).  A Linux kernel finds them
     * in its XenStore (served by chaos: docs/store.md), so it gets one
     * whatever xenstore says.  Any other kernel is a noxs guest
     * (docs/noxs.md), with or without devices (it has a control device)
     * unless xenstore is YES and it has no device: its store page and
     * event channel are the device page's (the caller writes the page
     * before unpausing). */
    bool devices;
};

struct hv_boot_info {
    uint64_t console_frame; /* MFN (PV) or GFN (PVH) of the console ring */
    uint32_t console_port;  /* the guest's console event channel */
    uint64_t store_frame;   /* likewise for XenStore (if requested) or for
                               the noxs page */
    uint32_t store_port;
    void *elf;         /* want_elf: malloc'd decompressed kernel, */
    size_t elf_size;   /* owned by the caller (free()); else NULL */
    char guest_os[32]; /* the kernel's GUEST_OS note, e.g. "linux" */
    bool xenstore;     /* the guest was given a XenStore ring: the
                          caller serves it (store_frame, store_port) */
    bool noxs;         /* not Linux (see hv_boot_spec.devices):
                          store_frame is the noxs device page */
    /* Where the guest will read its command line (hv_cmdline_patch):
     * the frame (PV: the start_info page's MFN; PVH: the GFN of the page
     * holding hvm_start_info, the line just after it), the line's offset
     * in it, and its room in bytes, the final NUL included (PV: start
     * info's fixed field; PVH: what libxenguest reserved for the line it
     * was given). */
    uint64_t cmdline_frame;
    uint32_t cmdline_offset;
    uint32_t cmdline_room;
};

struct hv_shell;

/*
 * Prepare: creates the domain (paused), sets its limits, vCPUs, TSC and
 * CPUID policy, allocates the event channels and populates its memory.
 * On failure nothing is left behind (the domain is destroyed).
 */
int hv_shell_prepare(struct chaos_hv *hv, const struct hv_shell_spec *spec,
                     struct hv_shell **out);

chaos_domid hv_shell_domid(const struct hv_shell *shell);

/*
 * Execute: parses the kernel, loads it and the ramdisk into the shell's
 * memory, writes start info and vCPU context, sets up the grant table.
 * The domain stays paused.  On failure the caller destroys the domain.
 */
int hv_shell_execute(struct chaos_hv *hv, struct hv_shell *shell,
                     const struct hv_boot_spec *boot,
                     struct hv_boot_info *info);

/*
 * Replaces the command line of a built guest that has not run yet (an
 * image shell's, chaosd's per-request command lines): cmdline is written
 * where info says, the rest of the room zeroed.  -E2BIG with a message
 * when it does not fit.
 */
int hv_cmdline_patch(struct chaos_hv *hv, chaos_domid domid,
                     const struct hv_boot_info *info, const char *cmdline);

/* Frees the builder's state.  The domain itself is left as it is. */
void hv_shell_release(struct hv_shell *shell);

/* Domain control (hv.c). */
int hv_domain_destroy(struct chaos_hv *hv, chaos_domid domid);
int hv_domain_pause(struct chaos_hv *hv, chaos_domid domid);
int hv_domain_unpause(struct chaos_hv *hv, chaos_domid domid);
/* Fills one entry; -ESRCH when there is no such domain. */
int hv_domain_info(struct chaos_hv *hv, chaos_domid domid,
                   struct chaos_dominfo *out);
int hv_domain_set_handle(struct chaos_hv *hv, chaos_domid domid,
                         const uint8_t uuid[16]);

#endif /* CHAOS_HV_BUILD_H */
