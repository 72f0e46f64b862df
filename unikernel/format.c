/* printf-style formatting; see format.h. */
#include "format.h"

#include <stdbool.h>

size_t fmt_u64(char *buf, uint64_t value, unsigned int base, int uppercase)
{
    const char *digits = uppercase ? "0123456789ABCDEF" : "0123456789abcdef";
    char reversed[64];
    size_t n = 0, i;

    do {
        reversed[n++] = digits[value % base];
        value /= base;
    } while (value != 0);
    for (i = 0; i < n; i++)
        buf[i] = reversed[n - 1 - i];
    return n;
}

/* One conversion specification, as parsed. */
struct spec {
    bool left;     /* '-' */
    bool zero;     /* '0' */
    int width;     /* -1: none */
    int precision; /* -1: none */
    char length;   /* 'H' hh, 'h', 'l', 'L' ll/j/z/t, 0 none */
};

struct out {
    fmt_sink_fn *sink;
    void *ctx;
    int count;
};

static void emit(struct out *out, const char *text, size_t len)
{
    if (len == 0)
        return;
    out->sink(out->ctx, text, len);
    out->count += (int)len;
}

static void emit_fill(struct out *out, char c, int n)
{
    static const char spaces[] = "                ";
    static const char zeros[] = "0000000000000000";
    const char *fill = c == '0' ? zeros : spaces;

    while (n > 0) {
        int chunk = n < 16 ? n : 16;

        emit(out, fill, (size_t)chunk);
        n -= chunk;
    }
}

/* prefix ("-", "0x", ""), then digits, padded as the spec says. */
static void emit_number(struct out *out, const struct spec *spec,
                        const char *prefix, size_t prefix_len,
                        const char *digits, size_t ndigits)
{
    int precision_zeros = 0, width_pad;
    int body;

    /* C: value 0 with precision 0 prints no digits. */
    if (spec->precision == 0 && ndigits == 1 && digits[0] == '0')
        ndigits = 0;
    if (spec->precision > (int)ndigits)
        precision_zeros = spec->precision - (int)ndigits;
    body = (int)prefix_len + precision_zeros + (int)ndigits;
    width_pad = spec->width > body ? spec->width - body : 0;

    if (spec->left) {
        emit(out, prefix, prefix_len);
        emit_fill(out, '0', precision_zeros);
        emit(out, digits, ndigits);
        emit_fill(out, ' ', width_pad);
    } else if (spec->zero && spec->precision < 0) {
        emit(out, prefix, prefix_len);
        emit_fill(out, '0', width_pad + precision_zeros);
        emit(out, digits, ndigits);
    } else {
        emit_fill(out, ' ', width_pad);
        emit(out, prefix, prefix_len);
        emit_fill(out, '0', precision_zeros);
        emit(out, digits, ndigits);
    }
}

static void emit_text(struct out *out, const struct spec *spec,
                      const char *text)
{
    size_t len = 0;
    int pad;

    if (text == NULL)
        text = "(null)";
    while (text[len] != '\0' &&
           (spec->precision < 0 || len < (size_t)spec->precision))
        len++;
    pad = spec->width > (int)len ? spec->width - (int)len : 0;
    if (!spec->left)
        emit_fill(out, ' ', pad);
    emit(out, text, len);
    if (spec->left)
        emit_fill(out, ' ', pad);
}

static int64_t fetch_signed(const struct spec *spec, va_list *ap)
{
    switch (spec->length) {
        case 'H':
            return (signed char)va_arg(*ap, int);
        case 'h':
            return (short)va_arg(*ap, int);
        case 'l':
            return va_arg(*ap, long);
        case 'L':
            return va_arg(*ap, long long);
        default:
            return va_arg(*ap, int);
    }
}

static uint64_t fetch_unsigned(const struct spec *spec, va_list *ap)
{
    switch (spec->length) {
        case 'H':
            return (unsigned char)va_arg(*ap, unsigned int);
        case 'h':
            return (unsigned short)va_arg(*ap, unsigned int);
        case 'l':
            return va_arg(*ap, unsigned long);
        case 'L':
            return va_arg(*ap, unsigned long long);
        default:
            return va_arg(*ap, unsigned int);
    }
}

static int parse_number(const char **p)
{
    int n = 0;

    while (**p >= '0' && **p <= '9') {
        if (n < 100000) /* absurd widths are clamped, not overflowed */
            n = n * 10 + (**p - '0');
        (*p)++;
    }
    return n;
}

/* Parses after the '%'; returns false if this is no spec we support. */
static bool parse_spec(const char **p, struct spec *spec, va_list *ap)
{
    *spec = (struct spec){ .width = -1, .precision = -1 };

    for (;; (*p)++) {
        if (**p == '-')
            spec->left = true;
        else if (**p == '0')
            spec->zero = true;
        else
            break;
    }
    if (**p == '*') {
        spec->width = va_arg(*ap, int);
        if (spec->width < 0) {
            spec->left = true;
            spec->width = -spec->width;
        }
        (*p)++;
    } else if (**p >= '1' && **p <= '9') {
        spec->width = parse_number(p);
    }
    if (**p == '.') {
        (*p)++;
        if (**p == '*') {
            spec->precision = va_arg(*ap, int); /* < 0: as if absent */
            (*p)++;
        } else {
            spec->precision = parse_number(p);
        }
    }
    switch (**p) {
        case 'h':
            (*p)++;
            spec->length = 'h';
            if (**p == 'h') {
                (*p)++;
                spec->length = 'H';
            }
            break;
        case 'l':
            (*p)++;
            spec->length = 'l';
            if (**p == 'l') {
                (*p)++;
                spec->length = 'L';
            }
            break;
        case 'z':
        case 'j':
        case 't':
            /* size_t, intmax_t, ptrdiff_t: all 64-bit here */
            (*p)++;
            spec->length = 'L';
            break;
    }
    return **p != '\0';
}

int fmt_vformat(fmt_sink_fn *sink, void *ctx, const char *fmt, va_list ap)
{
    struct out out = { .sink = sink, .ctx = ctx, .count = 0 };
    const char *p = fmt;
    va_list args;

    va_copy(args, ap);
    while (*p != '\0') {
        const char *start = p;
        char digits[64];
        struct spec spec;
        size_t n;

        while (*p != '\0' && *p != '%')
            p++;
        emit(&out, start, (size_t)(p - start));
        if (*p == '\0')
            break;

        start = p++; /* at the '%' */
        if (!parse_spec(&p, &spec, &args)) {
            emit(&out, start, (size_t)(p - start));
            break;
        }
        switch (*p) {
            case 'd':
            case 'i': {
                int64_t v = fetch_signed(&spec, &args);
                uint64_t magnitude =
                    v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

                n = fmt_u64(digits, magnitude, 10, 0);
                emit_number(&out, &spec, "-", v < 0 ? 1 : 0, digits, n);
                break;
            }
            case 'u':
                n = fmt_u64(digits, fetch_unsigned(&spec, &args), 10, 0);
                emit_number(&out, &spec, "", 0, digits, n);
                break;
            case 'x':
            case 'X':
                n = fmt_u64(digits, fetch_unsigned(&spec, &args), 16,
                            *p == 'X');
                emit_number(&out, &spec, "", 0, digits, n);
                break;
            case 'p': {
                uintptr_t v = (uintptr_t)va_arg(args, void *);

                if (v == 0) { /* as glibc */
                    emit_text(&out, &spec, "(nil)");
                    break;
                }
                n = fmt_u64(digits, v, 16, 0);
                emit_number(&out, &spec, "0x", 2, digits, n);
                break;
            }
            case 'c':
                digits[0] = (char)va_arg(args, int);
                digits[1] = '\0';
                spec.precision = -1;
                if (digits[0] == '\0') { /* a NUL character still counts */
                    emit_fill(&out, ' ', spec.left ? 0 : spec.width - 1);
                    emit(&out, digits, 1);
                    emit_fill(&out, ' ', spec.left ? spec.width - 1 : 0);
                } else {
                    emit_text(&out, &spec, digits);
                }
                break;
            case 's':
                emit_text(&out, &spec, va_arg(args, const char *));
                break;
            case '%':
                emit(&out, "%", 1);
                break;
            default:
                emit(&out, start, (size_t)(p + 1 - start));
                break;
        }
        p++;
    }
    va_end(args);
    return out.count;
}

struct buffer {
    char *buf;
    size_t size;
    size_t used; /* characters stored, excluding the NUL */
};

static void buffer_sink(void *ctx, const char *text, size_t len)
{
    struct buffer *b = ctx;
    size_t room, i;

    if (b->size == 0)
        return;
    room = b->size - 1 - b->used;
    if (len > room)
        len = room;
    for (i = 0; i < len; i++)
        b->buf[b->used + i] = text[i];
    b->used += len;
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct buffer b = { .buf = buf, .size = size, .used = 0 };
    int n = fmt_vformat(buffer_sink, &b, fmt, ap);

    if (size > 0)
        buf[b.used] = '\0';
    return n;
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = fmt_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
