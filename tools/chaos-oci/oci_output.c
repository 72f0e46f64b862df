/*
 * oci_output.c - the console filter (oci_output.h): a byte-at-a-time
 * state machine, so a line split across reads is handled like a whole one.
 */
#include "oci_output.h"

#include <string.h>

#include "stdin_frame.h"

/* The keepers' lines (oci_output.h): /init's exit status (at the start
 * of a line, or anywhere after OCI_EXIT_SEP), tinyx-stdin's ready line.
 * No marker is the prefix of another. */
enum { M_STATUS, M_STATUS_SEP, M_READY, M_COUNT };
static const struct {
    const char *text;
    bool number;   /* N follows the text */
    bool mid_line; /* also matched in the middle of a line */
} markers[M_COUNT] = {
    [M_STATUS] = { OCI_EXIT_MARKER, true, false },
    [M_STATUS_SEP] = { OCI_EXIT_SEP OCI_EXIT_MARKER, true, true },
    [M_READY] = { TX_STDIN_READY, false, false },
};

void oci_output_init(struct oci_output *o, bool terminal)
{
    memset(o, 0, sizeof(*o));
    o->raw = terminal;
    o->stdin_ready = terminal;
    o->status = -1;
}

/* The markers that may begin here: at the start of a line all, the
 * ready line only once; in the middle of one those marked mid_line. */
static unsigned open_markers(const struct oci_output *o)
{
    if (o->mid_line || o->cr)
        return 1u << M_STATUS_SEP;
    return 1u << M_STATUS | 1u << M_STATUS_SEP |
           (o->stdin_ready ? 0 : 1u << M_READY);
}

static unsigned first_of(unsigned set)
{
    unsigned i = 0;
    while (i < M_COUNT - 1 && !(set & (1u << i)))
        i++;
    return i;
}

static void forget(struct oci_output *o)
{
    o->held = 0;
    o->cand = 0;
    o->in_which = 0;
    o->marker_cr = false;
    o->digits = 0;
}

/* Gives back what was held as a possible marker line: it was not one.
 * The held bytes are a prefix of every candidate: any one spells them. */
static size_t release(struct oci_output *o, char *out)
{
    size_t n = 0;
    if (o->held) {
        memcpy(out, markers[first_of(o->cand)].text, o->held);
        n = o->held;
    }
    memcpy(out + n, o->num, o->digits);
    n += o->digits;
    if (o->marker_cr)
        out[n++] = '\r';
    forget(o);
    if (n > 0)
        o->mid_line = true;
    return n;
}

/* A whole marker line: kept, not shown. */
static void take(struct oci_output *o)
{
    if (markers[o->in_which - 1].number) {
        int v = 0;
        for (unsigned i = 0; i < o->digits; i++)
            v = v * 10 + (o->num[i] - '0');
        o->status = v;
    } else {
        /* tinyx-stdin made the console raw before it wrote the line. */
        o->stdin_ready = true;
        o->raw = true;
    }
    forget(o);
    o->mid_line = false;
}

/* The candidates that still match once c follows the held bytes. */
static unsigned still_matching(const struct oci_output *o, char c)
{
    unsigned set = o->held ? o->cand : open_markers(o), next = 0;
    for (unsigned i = 0; i < M_COUNT; i++)
        if ((set & (1u << i)) && o->held < strlen(markers[i].text) &&
            markers[i].text[o->held] == c)
            next |= 1u << i;
    return next;
}

/* One byte of ordinary output (the markers are handled by the caller). */
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
        if (o->in_which) {
            bool number = markers[o->in_which - 1].number;
            bool whole = !number || o->digits > 0;
            if (number && c >= '0' && c <= '9' && o->digits < sizeof(o->num) &&
                !o->marker_cr) {
                o->num[o->digits++] = c;
                continue;
            }
            if (whole && c == '\r' && !o->marker_cr) {
                o->marker_cr = true;
                continue;
            }
            if (whole && c == '\n') {
                take(o);
                continue;
            }
            n += release(o, out + n);
        }
        unsigned next = still_matching(o, c);
        if (!next && o->held) {
            n += release(o, out + n);
            next = still_matching(o, c); /* c may begin one itself */
        }
        if (next) {
            if (!o->held && o->cr) {
                /* A marker after a held '\r' (cooked): the '\r' is text. */
                out[n++] = '\r';
                o->cr = false;
            }
            o->cand = next;
            o->held++;
            for (unsigned m = 0; m < M_COUNT; m++)
                if ((next & (1u << m)) && strlen(markers[m].text) == o->held) {
                    o->in_which = m + 1;
                    o->cand = 1u << m;
                }
            continue;
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
