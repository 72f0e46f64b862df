/*
 * console_fifo.h - a fixed-size circular byte buffer.  The console server
 * uses it for the output backlog (keeps the newest bytes), each client's
 * output queue and the pending keyboard input (both refuse what does not
 * fit, which is how backpressure and slow clients are detected).
 */
#ifndef CHAOS_CONSOLE_FIFO_H
#define CHAOS_CONSOLE_FIFO_H

#include <stdbool.h>
#include <stddef.h>

struct console_fifo {
    char *data;
    size_t cap;
    size_t head; /* index of the oldest byte */
    size_t len;  /* bytes held */
};

/* Allocates cap bytes (cap > 0); returns 0 or -ENOMEM. */
int console_fifo_init(struct console_fifo *f, size_t cap);
/* Frees the storage; the fifo may be initialised again.  Idempotent. */
void console_fifo_free(struct console_fifo *f);

static inline size_t console_fifo_space(const struct console_fifo *f)
{
    return f->cap - f->len;
}

/* Appends all len bytes, or none and returns false when they do not fit. */
bool console_fifo_push(struct console_fifo *f, const void *buf, size_t len);

/* Appends buf, dropping the oldest bytes as needed: keeps the newest cap. */
void console_fifo_push_overwrite(struct console_fifo *f, const void *buf,
                                 size_t len);

/*
 * The contiguous run of held bytes that starts off bytes after the oldest
 * one: sets *p to it and returns its length (0 when off >= len).  Used to
 * consume (off 0, then console_fifo_drop) or to copy without consuming.
 */
size_t console_fifo_peek(const struct console_fifo *f, size_t off,
                         const char **p);

/* Discards the n oldest bytes (n <= len). */
void console_fifo_drop(struct console_fifo *f, size_t n);

/*
 * The contiguous free run after the newest byte, to read(2) straight into:
 * sets *p and returns its length; then console_fifo_commit() what was
 * stored there.
 */
size_t console_fifo_free_run(struct console_fifo *f, char **p);
void console_fifo_commit(struct console_fifo *f, size_t n);

#endif /* CHAOS_CONSOLE_FIFO_H */
