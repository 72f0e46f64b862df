/*
 * console_fifo.c - a fixed-size circular byte buffer (see console_fifo.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "console_fifo.h"

int console_fifo_init(struct console_fifo *f, size_t cap)
{
    *f = (struct console_fifo){ .data = malloc(cap), .cap = cap };
    return f->data ? 0 : -ENOMEM;
}

void console_fifo_free(struct console_fifo *f)
{
    free(f->data);
    *f = (struct console_fifo){ 0 };
}

/* Index of the byte off places after the oldest one. */
static size_t slot(const struct console_fifo *f, size_t off)
{
    size_t i = f->head + off;
    return i >= f->cap ? i - f->cap : i;
}

/* Copies len bytes in after the newest one; the caller checked the room. */
static void append(struct console_fifo *f, const char *src, size_t len)
{
    size_t tail = slot(f, f->len);
    size_t first = f->cap - tail;
    if (first > len)
        first = len;
    memcpy(f->data + tail, src, first);
    memcpy(f->data, src + first, len - first);
    f->len += len;
}

bool console_fifo_push(struct console_fifo *f, const void *buf, size_t len)
{
    if (len > console_fifo_space(f))
        return false;
    append(f, buf, len);
    return true;
}

void console_fifo_push_overwrite(struct console_fifo *f, const void *buf,
                                 size_t len)
{
    const char *src = buf;
    if (len >= f->cap) { /* only the last cap bytes survive */
        src += len - f->cap;
        len = f->cap;
        f->head = 0;
        f->len = 0;
    } else if (len > console_fifo_space(f)) {
        console_fifo_drop(f, len - console_fifo_space(f));
    }
    append(f, src, len);
}

size_t console_fifo_peek(const struct console_fifo *f, size_t off,
                         const char **p)
{
    if (off >= f->len)
        return 0;
    size_t start = slot(f, off);
    size_t run = f->cap - start; /* up to the end of the storage */
    if (run > f->len - off)
        run = f->len - off;
    *p = f->data + start;
    return run;
}

void console_fifo_drop(struct console_fifo *f, size_t n)
{
    f->head = slot(f, n);
    f->len -= n;
    if (f->len == 0)
        f->head = 0; /* keeps runs long: the next peek is contiguous */
}

size_t console_fifo_free_run(struct console_fifo *f, char **p)
{
    if (f->len == f->cap)
        return 0;
    size_t tail = slot(f, f->len);
    /* Free space runs to the end of storage, or up to head if that wraps. */
    size_t run = tail >= f->head ? f->cap - tail : f->head - tail;
    *p = f->data + tail;
    return run;
}

void console_fifo_commit(struct console_fifo *f, size_t n)
{
    f->len += n;
}
