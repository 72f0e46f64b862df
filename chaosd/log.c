/*
 * log.c - chaosd's logging (see log.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include <systemd/sd-daemon.h>

#include "log.h"

static void vlog(const char *level, const char *fmt, va_list ap)
{
    /* journald adds the time; "<N>" prefixes give it the priority. */
    fprintf(stderr, "%schaosd: ", level);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void log_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(SD_INFO, fmt, ap);
    va_end(ap);
}

void log_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(SD_WARNING, fmt, ap);
    va_end(ap);
}
