/*
 * lab-util.h - what the lab's timing programs share (libc only): the
 * monotonic clock in milliseconds, whether a guest's console log holds a
 * first line yet, and a program run and waited for.
 */
#ifndef LAB_UTIL_H
#define LAB_UTIL_H

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
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

/*
 * Runs argv[0] (searched in PATH) with argv and waits for it: 0 and its
 * wait status in *status, or -1 after saying why on stderr.  With out,
 * its standard output goes to that file (created or truncated), and its
 * standard error too when err_too.  A program that cannot be started
 * exits with 127.
 */
static inline int lab_run(char **argv, const char *out, int err_too,
                          int *status)
{
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return -1;
    }
    if (pid == 0) {
        if (out) {
            int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd < 0 || dup2(fd, 1) < 0 || (err_too && dup2(fd, 2) < 0)) {
                perror(out);
                _exit(127);
            }
            close(fd);
        }
        execvp(argv[0], argv);
        perror(argv[0]);
        _exit(127);
    }
    if (waitpid(pid, status, 0) < 0) {
        perror("waitpid");
        return -1;
    }
    return 0;
}

#endif
