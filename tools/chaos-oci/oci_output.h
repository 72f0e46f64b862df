/*
 * oci_output.h - the guest's console output on its way to the container's
 * stdout.  Two lines are for the keeper, taken out at the start of a
 * line:
 *  - "tinyx: exit status N", /init's last: the keeper takes N as the
 *    container's exit status and drops that line and everything after it
 *    (Linux's shutdown messages: the program has ended), so the
 *    container's output is the program's alone.  A program printing that
 *    line itself at the start of a line ends its own output there.
 *    /init writes it after an ASCII RS (0x1e, OCI_EXIT_SEP), which the
 *    keeper takes anywhere in a line: a program whose output does not
 *    end with a newline leaves /init's line in the middle of its last
 *    one, and the output is then that last line without the marker.
 *  - TX_STDIN_READY (tinyx/stdin_frame.h), without a terminal: the
 *    console is raw from here on and tinyx-stdin reads it, so the keeper
 *    may send stdin (oci_output.stdin_ready).  Taken once.
 * While the console is a cooked tty (without a terminal, before the ready
 * line: /init's own messages) its "\r\n" (the tty's onlcr) becomes "\n",
 * as a pipe would carry it; once raw, bytes pass as they are.  Pure and
 * streaming: any split of the input gives the same output.
 */
#ifndef CHAOS_OCI_OUTPUT_H
#define CHAOS_OCI_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

#define OCI_EXIT_MARKER "tinyx: exit status "
/* What /init puts before it (tinyx/init.sh): a byte programs rarely
 * print and terminals do not show. */
#define OCI_EXIT_SEP "\036"
/* What a feed may write beyond its input's length: a held-back marker
 * line (the longest marker, 4 digits, a '\r') and a '\r'. */
#define OCI_OUTPUT_SLACK 32

struct oci_output {
    bool raw;         /* the console is raw: pass "\r\n" as it is */
    bool stdin_ready; /* the ready line came (or a terminal: no framing) */
    int status;       /* the last reported status, -1: none yet */
    /* The state of a line being matched against the markers: */
    bool mid_line;     /* not at the start of a line */
    bool cr;           /* a '\r' held back */
    size_t held;       /* bytes of a marker matched at a line's start */
    unsigned cand;     /* the markers (bits) those bytes still match */
    unsigned in_which; /* a whole marker matched: its index + 1 */
    bool marker_cr;    /* a '\r' after it */
    unsigned digits;   /* N's digits read */
    char num[4];       /* and N's digits */
};

/* terminal: the console is the program's terminal, raw in dom0 and
 * without framed stdin (no ready line expected). */
void oci_output_init(struct oci_output *o, bool terminal);

/*
 * Filters n bytes of console output into out, which must have room for
 * n + OCI_OUTPUT_SLACK bytes (held-back text may come out with it).
 * Returns the number of bytes written to out.
 */
size_t oci_output_feed(struct oci_output *o, const char *in, size_t n,
                       char *out);

/* At the end of the output: what is still held back (a last line that
 * began like a marker but ended without a newline).  Returns bytes
 * written to out (room: OCI_OUTPUT_SLACK). */
size_t oci_output_finish(struct oci_output *o, char *out);

#endif /* CHAOS_OCI_OUTPUT_H */
