/*
 * log.c - chaosd's logging (see log.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "log.h"

#define LOG_MAX_MESSAGE 2048

int log_is_journal_stream(const char *journal_stream, dev_t dev, ino_t ino)
{
    if (!journal_stream)
        return 0;
    char *end;
    errno = 0;
    unsigned long long d = strtoull(journal_stream, &end, 10);
    if (errno || end == journal_stream || *end != ':')
        return 0;
    const char *i_text = end + 1;
    unsigned long long i = strtoull(i_text, &end, 10);
    if (errno || end == i_text || *end)
        return 0;
    return d == (unsigned long long)dev && i == (unsigned long long)ino;
}

/* Asked at each message rather than remembered: chaosd keeps no mutable
 * static state (docs/chaosd.md, "One struct"), and an fstat is nothing
 * next to a log line. */
static int to_journal(void)
{
    struct stat st;
    return fstat(STDERR_FILENO, &st) == 0 &&
           log_is_journal_stream(getenv("JOURNAL_STREAM"), st.st_dev,
                                 st.st_ino);
}

/* Appends "KEY=value" to buf at *used as field n. */
static int field(char *buf, size_t size, size_t *used, struct iovec *iov,
                 int *n, const char *key, const char *value)
{
    size_t klen = strlen(key), vlen = strlen(value);
    if (*used + klen + 1 + vlen > size)
        return -ENOSPC;
    char *p = buf + *used;
    memcpy(p, key, klen);
    p[klen] = '=';
    memcpy(p + klen + 1, value, vlen);
    iov[*n] = (struct iovec){ .iov_base = p, .iov_len = klen + 1 + vlen };
    *used += klen + 1 + vlen;
    (*n)++;
    return 0;
}

int log_journal_fields(int priority, int64_t domid, const char *name,
                       const char *message, char *buf, size_t size,
                       struct iovec iov[LOG_MAX_FIELDS])
{
    char prio[16], id[24];
    snprintf(prio, sizeof(prio), "%d", priority);
    snprintf(id, sizeof(id), "%" PRId64, domid);
    size_t used = 0;
    int n = 0;
    if (field(buf, size, &used, iov, &n, "PRIORITY", prio) ||
        field(buf, size, &used, iov, &n, "SYSLOG_IDENTIFIER", "chaosd") ||
        (domid >= 0 && field(buf, size, &used, iov, &n, "CHAOS_DOMID", id)) ||
        (name && name[0] &&
         field(buf, size, &used, iov, &n, "CHAOS_NAME", name)) ||
        field(buf, size, &used, iov, &n, "MESSAGE", message))
        return -ENOSPC;
    return n;
}

static void vlog(int priority, int64_t domid, const char *name, const char *fmt,
                 va_list ap)
{
    char msg[LOG_MAX_MESSAGE];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (to_journal()) {
        char buf[LOG_MAX_MESSAGE + 256];
        struct iovec iov[LOG_MAX_FIELDS];
        int n = log_journal_fields(priority, domid, name, msg, buf, sizeof(buf),
                                   iov);
        if (n > 0 && sd_journal_sendv(iov, n) == 0)
            return;
        /* journald gone: the stream still takes plain lines. */
    }
    /* journald adds the time; "<N>" prefixes give it the priority. */
    fprintf(stderr, "<%d>chaosd: %s\n", priority, msg);
}

void log_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(LOG_INFO, -1, NULL, fmt, ap);
    va_end(ap);
}

void log_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(LOG_WARNING, -1, NULL, fmt, ap);
    va_end(ap);
}

void log_guest_info(int64_t domid, const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(LOG_INFO, domid, name, fmt, ap);
    va_end(ap);
}

void log_guest_warn(int64_t domid, const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(LOG_WARNING, domid, name, fmt, ap);
    va_end(ap);
}
