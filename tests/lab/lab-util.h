/*
 * lab-util.h - what the lab's timing programs share (libc only): the
 * monotonic clock in milliseconds, and whether a guest's console log
 * holds a first line yet.
 */
#ifndef LAB_UTIL_H
#define LAB_UTIL_H

#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static inline double lab_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* True once the log at path exists and its first 4 KiB hold a newline. */
static inline int lab_log_has_line(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    char buf[4096];
    ssize_t r = read(fd, buf, sizeof(buf));
    close(fd);
    return r > 0 && memchr(buf, '\n', (size_t)r) != NULL;
}

#endif
