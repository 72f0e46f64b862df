/*
 * log.h - chaosd's logging: one line per message to stderr, with the
 * "<N>" priority prefix journald reads (it adds time and unit itself).
 * A leaf: no daemon state, so every part of chaosd and its unit tests
 * can use it.
 *
 * Under systemd (stderr is the journal's stream: $JOURNAL_STREAM names
 * it), messages go to journald with its native protocol instead, as
 * fields: MESSAGE, PRIORITY, SYSLOG_IDENTIFIER=chaosd and, for a message
 * about one guest (log_guest_*), CHAOS_DOMID and CHAOS_NAME, so that
 * `journalctl CHAOS_NAME=web` shows one guest's lines.  The text of a
 * message is the same either way.
 */
#ifndef CHAOSD_LOG_H
#define CHAOSD_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A message about one guest: domid < 0 or name NULL/"" when unknown. */
void log_guest_info(int64_t domid, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void log_guest_warn(int64_t domid, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- pure parts, unit-tested (tests/unit/test_chaosd_log.c) ---------- */

/* Whether $JOURNAL_STREAM ("DEV:INODE", as systemd sets it) names the
 * file stderr is (its st_dev, st_ino); false when unset or malformed. */
int log_is_journal_stream(const char *journal_stream, dev_t dev, ino_t ino);

#define LOG_MAX_FIELDS 5

/*
 * The journal fields of one message ("PRIORITY=6", "SYSLOG_IDENTIFIER=
 * chaosd", "CHAOS_DOMID=5", "CHAOS_NAME=web", "MESSAGE=..."), written into
 * buf (size bytes) and pointed at by iov, in that order; the guest fields
 * only when known.  Values may hold any byte but NUL (sd_journal_sendv
 * sends newlines safely).  Returns the number of fields, or -ENOSPC.
 */
int log_journal_fields(int priority, int64_t domid, const char *name,
                       const char *message, char *buf, size_t size,
                       struct iovec iov[LOG_MAX_FIELDS]);

#endif /* CHAOSD_LOG_H */
