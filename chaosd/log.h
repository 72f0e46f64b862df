/*
 * log.h - chaosd's logging: one line per message to stderr, with the
 * "<N>" priority prefix journald reads (it adds time and unit itself).
 * A leaf: no daemon state, so every part of chaosd and its unit tests
 * can use it.
 */
#ifndef CHAOSD_LOG_H
#define CHAOSD_LOG_H

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* CHAOSD_LOG_H */
