/*
 * printf-style formatting for the unikernel.
 *
 * Supported: %d %i %u %x %X %c %s %p %%, the flags '-' and '0', a field
 * width (digits or '*'), a precision for %s (digits or '*'), and the length
 * modifiers hh h l ll z j t.  No floating point (the kernel is built with
 * -mgeneral-regs-only).  Anything else is copied to the output verbatim,
 * so a bad format shows up instead of crashing.
 *
 * Pure code: also built for the host unit tests, which compare it with the
 * C library's snprintf (tests/unit/test_unikernel_format.c).
 */
#ifndef CHAOS_UK_FORMAT_H
#define CHAOS_UK_FORMAT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Receives the formatted output piece by piece. */
typedef void fmt_sink_fn(void *ctx, const char *text, size_t len);

/* Formats into `sink`; returns the number of characters produced. */
int fmt_vformat(fmt_sink_fn *sink, void *ctx, const char *fmt, va_list ap);

/*
 * As C's vsnprintf: writes at most size - 1 characters and a NUL (if size
 * > 0), returns the length the full output would have had.
 */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Digits of `value` in `base` (2..16) into buf, no terminator; returns how
 * many.  buf needs 64 bytes for base 2, 20 for base 10.
 */
size_t fmt_u64(char *buf, uint64_t value, unsigned int base, int uppercase);

#endif
