/*
 * stdin_frame.c - the framing of a container's stdin over the console
 * (stdin_frame.h says why and what the wire is).  Pure code.
 */
#include "stdin_frame.h"

size_t tx_stdin_encode(const uint8_t *in, size_t n, uint8_t *out)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        /* Doubled: ESC for the decoder, ^O for Linux's hvc driver. */
        if (in[i] == TX_STDIN_ESC || in[i] == TX_STDIN_SYSRQ)
            out[m++] = in[i];
        out[m++] = in[i];
    }
    return m;
}

size_t tx_stdin_encode_eof(uint8_t *out)
{
    out[0] = TX_STDIN_ESC;
    out[1] = TX_STDIN_EOF;
    return 2;
}

void tx_stdin_dec_init(struct tx_stdin_dec *d, bool hvc_sysrq)
{
    d->state = TX_STDIN_OPEN;
    d->esc = false;
    d->undouble = !hvc_sysrq;
    d->sysrq = false;
}

size_t tx_stdin_decode(struct tx_stdin_dec *d, const uint8_t *in, size_t n,
                       uint8_t *out)
{
    size_t m = 0;
    for (size_t i = 0; i < n && d->state == TX_STDIN_OPEN; i++) {
        if (d->undouble && !d->esc) {
            if (d->sysrq) {
                /* The ^O held: one data ^O, whatever follows. */
                d->sysrq = false;
                out[m++] = TX_STDIN_SYSRQ;
                if (in[i] == TX_STDIN_SYSRQ)
                    continue;
            } else if (in[i] == TX_STDIN_SYSRQ) {
                d->sysrq = true;
                continue;
            }
        }
        if (!d->esc) {
            if (in[i] == TX_STDIN_ESC)
                d->esc = true;
            else
                out[m++] = in[i];
            continue;
        }
        d->esc = false;
        if (in[i] == TX_STDIN_ESC)
            out[m++] = in[i];
        else
            d->state = in[i] == TX_STDIN_EOF ? TX_STDIN_END : TX_STDIN_BROKEN;
    }
    return m;
}
