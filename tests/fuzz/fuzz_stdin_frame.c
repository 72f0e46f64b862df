/*
 * fuzz_stdin_frame.c - libFuzzer target for the decoder tinyx-stdin runs
 * in the guest on what arrives on its console (tinyx/stdin_frame.c).
 *
 * The input is decoded whole and again in pieces whose sizes come from
 * its first byte (whose top bit picks an hvc with SysRq keys or one
 * without): both give the same bytes and state, never more bytes than
 * went in.  Then the decoded data, encoded again with the end frame
 * (and, with SysRq keys, hvc's ^O^O taken back to ^O as the guest's
 * driver does), decodes to itself and ends.
 *
 *   make fuzz-tinyx FUZZ_SECONDS=60
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stdin_frame.h"

static size_t decode_in_pieces(const uint8_t *in, size_t n, size_t step,
                               bool sysrq, uint8_t *out, struct tx_stdin_dec *d)
{
    size_t m = 0;
    tx_stdin_dec_init(d, sysrq);
    for (size_t i = 0; i < n; i += step) {
        size_t k = n - i < step ? n - i : step;
        m += tx_stdin_decode(d, in + i, k, out + m);
    }
    return m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *a = malloc(size + 1), *b = malloc(size + 1);
    uint8_t *enc = malloc(TX_STDIN_ENCODED_MAX(size) + 2);
    uint8_t *again = malloc(TX_STDIN_ENCODED_MAX(size) + 2);
    if (!a || !b || !enc || !again)
        abort();
    struct tx_stdin_dec whole, pieces;
    /* The first byte: the hvc kind (bit 7) and the pieces' size. */
    bool sysrq = size && (data[0] & 0x80);
    tx_stdin_dec_init(&whole, sysrq);
    size_t na = tx_stdin_decode(&whole, data, size, a);
    size_t step = size ? (size_t)data[0] % 16 + 1 : 1;
    size_t nb = decode_in_pieces(data, size, step, sysrq, b, &pieces);
    if (na > size || na != nb || memcmp(a, b, na) != 0 ||
        whole.state != pieces.state)
        abort();

    size_t ne = tx_stdin_encode(a, na, enc);
    if (ne > TX_STDIN_ENCODED_MAX(na))
        abort();
    ne += tx_stdin_encode_eof(enc + ne);
    /* What hvc hands the tty: with SysRq keys ^O^O is one ^O (a lone ^O
     * never comes); without, the wire as it is. */
    size_t nw = 0;
    for (size_t i = 0; i < ne; i++) {
        if (sysrq && enc[i] == TX_STDIN_SYSRQ) {
            if (i + 1 >= ne || enc[i + 1] != TX_STDIN_SYSRQ)
                abort();
            i++;
        }
        enc[nw++] = enc[i];
    }
    struct tx_stdin_dec d;
    tx_stdin_dec_init(&d, sysrq);
    size_t n2 = tx_stdin_decode(&d, enc, nw, again);
    if (n2 != na || memcmp(again, a, na) != 0 || d.state != TX_STDIN_END)
        abort();
    free(a);
    free(b);
    free(enc);
    free(again);
    return 0;
}
