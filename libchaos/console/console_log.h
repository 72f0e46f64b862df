/*
 * console_log.h - a guest's console log file, with a size cap.
 *
 * Output is appended to PATH.  When the next chunk would take PATH past
 * the cap, PATH is renamed to PATH.1 (replacing an older PATH.1) and a new
 * PATH is started, so a guest can never use more than about twice the cap
 * of disk however much it prints.  A chunk is never split across the two
 * files; a single chunk larger than the cap keeps only its last cap bytes
 * (the newest output).
 *
 * Writes never block the caller indefinitely: the file is opened
 * O_NONBLOCK and must be a regular file (no FIFOs or terminals, which
 * could stall a reader-less write forever), partial writes are continued,
 * and a write the kernel refuses is dropped and reported, not retried.
 */
#ifndef CHAOS_CONSOLE_LOG_H
#define CHAOS_CONSOLE_LOG_H

#include <stddef.h>
#include <stdint.h>

#define CONSOLE_LOG_DEFAULT_CAP (1024 * 1024)

struct console_log;

/*
 * Opens (creating it, mode 0640) or continues the log at path.  cap_bytes
 * 0 means no cap.  Returns 0 and sets *out, or a negative errno value
 * (-EINVAL: not a regular file; -ELOOP: path is a symbolic link).
 */
int console_log_open(const char *path, uint64_t cap_bytes,
                     struct console_log **out);

/*
 * Appends one chunk.  Returns 0 when it was written; a negative errno
 * value when something went wrong (console_log_errmsg() says what: the
 * chunk may have been dropped, or rotation may have fallen back to
 * truncating PATH).  The log stays usable after any failure: the next
 * write tries again.
 */
int console_log_write(struct console_log *log, const void *buf, size_t len);

/*
 * Renames the log file (and its rotated copy, if any) to new_path, which
 * replaces a file of that name, and goes on writing there.  For a guest
 * renamed while it runs.  Returns 0, or a negative errno value with
 * console_log_errmsg() set; the log is unchanged then.
 */
int console_log_move(struct console_log *log, const char *new_path);

/* What the last failure was (""), owned by log until its next call. */
const char *console_log_errmsg(const struct console_log *log);

/* Bytes in the current PATH (not counting PATH.1). */
uint64_t console_log_size(const struct console_log *log);

/* Closes the file and frees log.  NULL is accepted. */
void console_log_close(struct console_log *log);

#endif /* CHAOS_CONSOLE_LOG_H */
