/*
 * oci_output.c - the console filter (oci_output.h): a byte-at-a-time
 * state machine, so a line split across reads is handled like a whole one.
 */
#include "oci_output.h"

#include <stdio.h>
#include <string.h>

#define MARKER_LEN (sizeof(OCI_EXIT_MARKER) - 1)

void oci_output_init(struct oci_output *o, bool raw)
{
    memset(o, 0, sizeof(*o));
    o->raw = raw;
    o->status = -1;
}

/* Gives back what was held as a possible marker line: it was not one. */
static size_t release(struct oci_output *o, char *out)
{
    memcpy(out, OCI_EXIT_MARKER, o->held);
    size_t n = o->held;
    if (o->in_marker && o->digits) {
        char num[16];
        int len = snprintf(num, sizeof(num), "%d", o->value);
        memcpy(out + n, num, (size_t)len);
        n += (size_t)len;
    }
    if (o->marker_cr)
        out[n++] = '\r';
    o->marker_cr = false;
    o->held = 0;
    o->in_marker = false;
    o->digits = 0;
    o->value = 0;
    o->mid_line = n > 0;
    return n;
}

/* One byte of ordinary output (the marker is handled by the caller). */
static size_t put(struct oci_output *o, char c, char *out)
{
    size_t n = 0;
    if (!o->raw && o->cr) {
        o->cr = false;
        if (c != '\n')
            out[n++] = '\r';
    }
    if (!o->raw && c == '\r') {
        o->cr = true;
        return n;
    }
    out[n++] = c;
    o->mid_line = c != '\n';
    return n;
}

size_t oci_output_feed(struct oci_output *o, const char *in, size_t len,
                       char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        if (o->status >= 0)
            break; /* after the status line: Linux's shutdown messages */
        if (o->in_marker) {
            if (c >= '0' && c <= '9' && o->digits < 4 && !o->marker_cr) {
                o->value = o->value * 10 + (c - '0');
                o->digits++;
                continue;
            }
            if (o->digits && c == '\r' && !o->marker_cr) {
                o->marker_cr = true;
                continue;
            }
            if (o->digits && c == '\n') {
                /* The status line: kept, not shown. */
                o->status = o->value;
                o->in_marker = o->marker_cr = false;
                o->held = o->digits = 0;
                o->value = 0;
                o->mid_line = false;
                continue;
            }
            n += release(o, out + n);
        } else if (!o->mid_line && !o->cr && o->held < MARKER_LEN &&
                   c == OCI_EXIT_MARKER[o->held]) {
            if (++o->held == MARKER_LEN)
                o->in_marker = true;
            continue;
        } else if (o->held) {
            n += release(o, out + n);
        }
        n += put(o, c, out + n);
    }
    return n;
}

size_t oci_output_finish(struct oci_output *o, char *out)
{
    if (o->status >= 0)
        return 0;
    size_t n = release(o, out);
    if (o->cr) {
        out[n++] = '\r';
        o->cr = false;
    }
    return n;
}
