/*
 * oci_output.h - the guest's console output on its way to the container's
 * stdout.  tinyx's /init ends with the line "tinyx: exit status N"; the
 * keeper takes N as the container's exit status and drops that line and
 * everything after it (Linux's shutdown messages: the program has ended),
 * so the container's output is the program's alone.  A program printing
 * that line itself at the start of a line ends its own output there.  Without a terminal the
 * console's "\r\n" (the tty's onlcr) becomes "\n", as a pipe would carry
 * it.  Pure and streaming: any split of the input gives the same output.
 */
#ifndef CHAOS_OCI_OUTPUT_H
#define CHAOS_OCI_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

#define OCI_EXIT_MARKER "tinyx: exit status "
/* What a feed may write beyond its input's length: a held-back marker,
 * up to 4 digits and a '\r'. */
#define OCI_OUTPUT_SLACK 32

struct oci_output {
    bool raw;        /* terminal: pass "\r\n" as it is */
    bool mid_line;   /* not at the start of a line */
    bool cr;         /* a '\r' held back */
    size_t held;     /* bytes of the marker matched at a line's start */
    bool in_marker;  /* the whole marker matched: reading N */
    bool marker_cr;  /* a '\r' after N */
    unsigned digits; /* N's digits read */
    int value;       /* N so far */
    int status;      /* the last reported status, -1: none yet */
};

void oci_output_init(struct oci_output *o, bool raw);

/*
 * Filters n bytes of console output into out, which must have room for
 * n + OCI_OUTPUT_SLACK bytes (held-back text may come out with it).  Returns the number of bytes written to out.
 */
size_t oci_output_feed(struct oci_output *o, const char *in, size_t n,
                       char *out);

/* At the end of the output: what is still held back (a last line that
 * began like the marker but ended without a newline).  Returns bytes
 * written to out (room: OCI_OUTPUT_SLACK). */
size_t oci_output_finish(struct oci_output *o, char *out);

#endif /* CHAOS_OCI_OUTPUT_H */
