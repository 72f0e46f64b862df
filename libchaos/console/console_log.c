/*
 * console_log.c - a console log file with a size cap and one rotated copy
 * (see console_log.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "console_log.h"

struct console_log {
    int fd;        /* -1 after a failed reopen: retried on write */
    uint64_t cap;  /* 0: none */
    uint64_t size; /* bytes in the current file */
    char *path;
    char *rotated_path; /* path + ".1" */
    char errmsg[256];
};

static int log_fail(struct console_log *log, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int log_fail(struct console_log *log, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(log->errmsg, sizeof(log->errmsg), fmt, ap);
    va_end(ap);
    return code;
}

/*
 * O_NONBLOCK: opening or writing a FIFO must not wait for a reader (and
 * the fstat check then refuses anything but a regular file).  O_NOFOLLOW:
 * we run as root and may write where others can create links.
 */
static int open_log_file(const char *path, uint64_t *size)
{
    int fd = open(path,
                  O_WRONLY | O_CREAT | O_APPEND | O_NONBLOCK | O_NOFOLLOW |
                      O_NOCTTY | O_CLOEXEC,
                  0640);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int err = errno;
        close(fd);
        return -err;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return -EINVAL;
    }
    *size = (uint64_t)st.st_size;
    return fd;
}

int console_log_open(const char *path, uint64_t cap_bytes,
                     struct console_log **out)
{
    struct console_log *log = calloc(1, sizeof(*log));
    if (!log)
        return -ENOMEM;
    log->cap = cap_bytes;
    log->path = strdup(path);
    if (log->path && asprintf(&log->rotated_path, "%s.1", path) < 0)
        log->rotated_path = NULL;
    if (!log->path || !log->rotated_path) {
        console_log_close(log);
        return -ENOMEM;
    }
    log->fd = open_log_file(path, &log->size);
    if (log->fd < 0) {
        int rc = log->fd;
        log->fd = -1;
        console_log_close(log);
        return rc;
    }
    *out = log;
    return 0;
}

static int reopen(struct console_log *log)
{
    int fd = open_log_file(log->path, &log->size);
    if (fd < 0)
        return log_fail(log, fd, "cannot open %s: %s", log->path,
                        strerror(-fd));
    log->fd = fd;
    return 0;
}

/* Moves PATH to PATH.1 and starts an empty PATH. */
static int rotate(struct console_log *log)
{
    if (rename(log->path, log->rotated_path) < 0) {
        /* Keeping the cap matters more than keeping old output. */
        int err = errno;
        if (ftruncate(log->fd, 0) == 0)
            log->size = 0;
        return log_fail(log, -err,
                        "cannot rename %s to %s: %s; "
                        "truncated it instead",
                        log->path, log->rotated_path, strerror(err));
    }
    close(log->fd);
    log->fd = -1;
    return reopen(log);
}

/* Writes all of buf, continuing after short writes and signals. */
static int write_all(struct console_log *log, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(log->fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int err = errno;
            return log_fail(log, -err, "writing %s: %s; dropped %zu bytes",
                            log->path, strerror(err), len);
        }
        if (n == 0) /* cannot happen for regular files; do not spin */
            return log_fail(log, -EIO,
                            "writing %s: no progress; dropped "
                            "%zu bytes",
                            log->path, len);
        log->size += (uint64_t)n;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

int console_log_write(struct console_log *log, const void *buf, size_t len)
{
    const char *bytes = buf;
    int problem = 0;

    log->errmsg[0] = '\0';
    if (log->fd < 0 && (problem = reopen(log)) < 0)
        return problem;
    if (log->cap && len > log->cap) {
        bytes += len - log->cap; /* keep the newest output */
        len = (size_t)log->cap;
    }
    if (log->cap && log->size > 0 && log->size + len > log->cap) {
        problem = rotate(log);
        if (log->fd < 0)
            return problem; /* no file to write the chunk to */
    }
    int rc = write_all(log, bytes, len);
    return rc < 0 ? rc : problem;
}

int console_log_move(struct console_log *log, const char *new_path)
{
    char *path = strdup(new_path), *rotated = NULL;
    if (!path || asprintf(&rotated, "%s.1", new_path) < 0) {
        free(path);
        return log_fail(log, -ENOMEM, "out of memory");
    }
    /* The open descriptor follows the file: no output is lost or doubled,
     * and nothing is reopened. */
    if (rename(log->path, new_path) < 0) {
        int err = errno;
        free(path);
        free(rotated);
        return log_fail(log, -err, "cannot rename %s to %s: %s", log->path,
                        new_path, strerror(err));
    }
    /* An older rotated copy goes with it, or would be left behind under a
     * name nobody writes any more. */
    if (rename(log->rotated_path, rotated) < 0 && errno != ENOENT)
        unlink(log->rotated_path);
    free(log->path);
    free(log->rotated_path);
    log->path = path;
    log->rotated_path = rotated;
    return 0;
}

const char *console_log_errmsg(const struct console_log *log)
{
    return log->errmsg;
}

uint64_t console_log_size(const struct console_log *log)
{
    return log->size;
}

void console_log_close(struct console_log *log)
{
    if (!log)
        return;
    if (log->fd >= 0)
        close(log->fd);
    free(log->path);
    free(log->rotated_path);
    free(log);
}
