/*
 * oci_signal.h - what `chaos-oci kill ID SIGNAL` does to a guest: a VM has
 * no process to signal from dom0, so each signal maps to a guest action
 * (docs/oci.md).  Pure.
 */
#ifndef CHAOS_OCI_SIGNAL_H
#define CHAOS_OCI_SIGNAL_H

enum oci_kill_action {
    OCI_KILL_SHUTDOWN, /* a shutdown request: /init sends the program TERM */
    OCI_KILL_DESTROY,  /* the domain is destroyed at once */
};

/* A signal by name ("TERM", "SIGTERM", "sigterm") or number ("15"):
 * 0 and *signo, or -EINVAL. */
int oci_signal_parse(const char *text, int *signo);

/* The action for signo: 0, or -ENOTSUP for a signal chaos-oci cannot
 * deliver to a guest (USR1, ...). */
int oci_signal_action(int signo, enum oci_kill_action *action);

/* "TERM" for 15; NULL for a number it does not know. */
const char *oci_signal_name(int signo);

#endif /* CHAOS_OCI_SIGNAL_H */
