/*
 * stdin_frame.h - a container's stdin on its way over the guest's console
 * (hvc0) to tinyx-stdin (stdin.c), which hands it to the program as a
 * pipe.  Both ends are here: the encoder (chaos-oci's keeper, in dom0)
 * and the decoder (the helper, in the guest), so the wire has one home.
 *
 * Why a framing: the console is a tty, and a tty carries bytes but not
 * the end of a stream.  tinyx-stdin makes it raw (no echo, no line
 * editing, no signals, no translation), so every byte value passes, and
 * the frames add what a tty cannot say: where stdin ends.
 *
 * The wire, as the decoder reads it: data bytes as they are, except
 *     ESC ESC   one data byte ESC (0xff: never in UTF-8 text, so text
 *               costs nothing)
 *     ESC EOF   the end of stdin: the program reads end of file
 *     ESC x     (any other x) a broken stream: it ends there too
 * What the encoder writes adds one rule of the transport: Linux's hvc
 * driver (drivers/tty/hvc/hvc_console.c, with CONFIG_MAGIC_SYSRQ, as in
 * Debian's kernel) takes a lone ^O (0x0f) on the console as the start of
 * a magic SysRq key and passes ^O^O as one ^O, so the encoder doubles
 * each 0x0f.  A kernel without CONFIG_MAGIC_SYSRQ (tinyx's tinyconfig
 * one) passes both, so there the decoder takes ^O^O back to one ^O
 * itself (tx_stdin_dec_init's hvc_sysrq false; a lone ^O, which the
 * encoder never sends, is kept as it is).
 *
 * Pure and streaming: any split of the input decodes the same.
 */
#ifndef TINYX_STDIN_FRAME_H
#define TINYX_STDIN_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TX_STDIN_ESC 0xffu
#define TX_STDIN_EOF 0x04u
/* hvc's SysRq key (^O), doubled on the wire. */
#define TX_STDIN_SYSRQ 0x0fu

/* The line tinyx-stdin writes on the console once it is raw and reading:
 * the keeper sends nothing before it (what came earlier would be echoed
 * and edited by the cooked tty) and takes it out of the output. */
#define TX_STDIN_READY "tinyx: stdin ready"

/* The most bytes tx_stdin_encode writes for n bytes of data. */
#define TX_STDIN_ENCODED_MAX(n) (2 * (n))

/* Encodes n bytes of stdin into out (room: TX_STDIN_ENCODED_MAX(n)):
 * returns the bytes written. */
size_t tx_stdin_encode(const uint8_t *in, size_t n, uint8_t *out);

/* The end of stdin into out (room: 2): returns 2. */
size_t tx_stdin_encode_eof(uint8_t *out);

enum tx_stdin_state {
    TX_STDIN_OPEN,   /* more may come */
    TX_STDIN_END,    /* the EOF frame came */
    TX_STDIN_BROKEN, /* ESC and a byte that means nothing */
};

struct tx_stdin_dec {
    enum tx_stdin_state state;
    bool esc;      /* an ESC ended the last input */
    bool undouble; /* ^O comes doubled: take ^O^O as one */
    bool sysrq;    /* a ^O ended the last input (undouble) */
};

/* hvc_sysrq: the guest's hvc driver takes SysRq keys (and so ^O^O to one
 * ^O) on this console; false: ^O arrives doubled, as the keeper sent it
 * (tinyx-stdin tells which: tx_stdin_hvc_sysrq in stdin.c). */
void tx_stdin_dec_init(struct tx_stdin_dec *d, bool hvc_sysrq);

/*
 * Decodes n bytes from the console into out (room: n + 1, for a ^O held
 * from the last call): returns the data bytes written; over a stream,
 * never more than came in.  Once the state is no longer TX_STDIN_OPEN (the EOF
 * frame, or a broken one) the rest of the input, and any later input, is
 * ignored.
 */
size_t tx_stdin_decode(struct tx_stdin_dec *d, const uint8_t *in, size_t n,
                       uint8_t *out);

#endif /* TINYX_STDIN_FRAME_H */
