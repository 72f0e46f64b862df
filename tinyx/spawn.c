/*
 * spawn.c - subprocesses and small file-system helpers for tinyx build
 * (see spawn.h).
 */
#include "spawn.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* What a child's output may grow to before we stop keeping it: apt-cache
 * output for one package is a few KiB; a runaway tool must not eat memory. */
#define MAX_CAPTURE (8u << 20)

struct capture {
    int fd;
    char *buf;
    size_t len, cap;
};

static int capture_read(struct capture *c)
{
    char tmp[16384];
    ssize_t n = read(c->fd, tmp, sizeof(tmp));
    if (n < 0)
        return errno == EINTR || errno == EAGAIN ? 1 : -errno;
    if (n == 0)
        return 0;
    if (c->len + (size_t)n + 1 > MAX_CAPTURE)
        return 1; /* keep draining, stop keeping */
    if (tx_grow(&c->buf, &c->cap, c->len + (size_t)n + 1, 1) < 0)
        return -ENOMEM;
    memcpy(c->buf + c->len, tmp, (size_t)n);
    c->len += (size_t)n;
    c->buf[c->len] = '\0';
    return 1;
}

/* In the child: never returns. */
static void child(const char *const *argv, const struct tx_run *run, int out_w,
                  int err_w, int report_w)
{
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int out_fd = out_w, err_fd = err_w;
    if (run->log_path) {
        out_fd = open(run->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                      0644);
        err_fd = out_fd;
    }
    if (run->stdout_path)
        out_fd = open(run->stdout_path,
                      O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (devnull < 0 || out_fd < 0 || err_fd < 0 || dup2(devnull, 0) < 0 ||
        dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0 ||
        (run->cwd && chdir(run->cwd) < 0))
        goto fail;
    /* The parent may ignore SIGPIPE; tools expect the default. */
    signal(SIGPIPE, SIG_DFL);
    execvp(argv[0], (char *const *)argv);
fail:;
    int e = errno;
    ssize_t w = write(report_w, &e, sizeof(e));
    (void)w;
    _exit(127);
}

int tx_run(const char *const *argv, struct tx_run *run, const char *pkg_hint,
           struct tx_error *err)
{
    int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, rep[2] = { -1, -1 };
    int r = 0;
    run->out = run->errtext = NULL;
    run->out_len = 0;
    run->status = -1;
    if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
        pipe2(rep, O_CLOEXEC) < 0) {
        r = tx_fail(err, -errno, "cannot run %s: %s", argv[0], strerror(errno));
        goto out;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        r = tx_fail(err, -errno, "cannot run %s: %s", argv[0], strerror(errno));
        goto out;
    }
    if (pid == 0)
        child(argv, run, outp[1], errp[1], rep[1]);
    close(outp[1]);
    close(errp[1]);
    close(rep[1]);
    outp[1] = errp[1] = rep[1] = -1;

    struct capture cs[2] = { { .fd = outp[0] }, { .fd = errp[0] } };
    bool open_[2] = { true, true };
    while ((open_[0] || open_[1]) && r == 0) {
        struct pollfd p[2];
        nfds_t n = 0;
        int which[2];
        for (int i = 0; i < 2; i++)
            if (open_[i]) {
                p[n] = (struct pollfd){ .fd = cs[i].fd, .events = POLLIN };
                which[n++] = i;
            }
        if (poll(p, n, -1) < 0) {
            if (errno == EINTR)
                continue;
            r = -errno;
            break;
        }
        for (nfds_t k = 0; k < n && r == 0; k++) {
            if (!(p[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            int c = capture_read(&cs[which[k]]);
            if (c == 0)
                open_[which[k]] = false;
            else if (c < 0)
                r = c;
        }
    }
    int wst;
    while (waitpid(pid, &wst, 0) < 0)
        if (errno != EINTR) {
            wst = 0x7f00;
            break;
        }
    run->status = WIFEXITED(wst) ? WEXITSTATUS(wst) : 128 + WTERMSIG(wst);
    run->out = cs[0].buf;
    run->out_len = cs[0].len;
    run->errtext = cs[1].buf;
    if (r < 0) {
        r = tx_fail(err, r, "reading the output of %s: %s", argv[0],
                    strerror(-r));
        goto out;
    }
    int child_errno = 0;
    if (read(rep[0], &child_errno, sizeof(child_errno)) ==
        (ssize_t)sizeof(child_errno)) {
        if (child_errno == ENOENT && pkg_hint)
            r = tx_fail(err, -ENOENT,
                        "%s not found; install the Debian package: "
                        "apt-get install %s",
                        argv[0], pkg_hint);
        else
            r = tx_fail(err, -child_errno, "cannot run %s: %s", argv[0],
                        strerror(child_errno));
    }
out:
    for (int i = 0; i < 2; i++) {
        if (outp[i] >= 0)
            close(outp[i]);
        if (errp[i] >= 0)
            close(errp[i]);
        if (rep[i] >= 0)
            close(rep[i]);
    }
    if (r < 0) {
        tx_run_free(run);
    }
    return r;
}

void tx_run_free(struct tx_run *run)
{
    free(run->out);
    free(run->errtext);
    run->out = run->errtext = NULL;
    run->out_len = 0;
}

char *tx_last_line(const char *text)
{
    const char *best = NULL;
    size_t bestlen = 0;
    for (const char *p = text ? text : ""; *p;) {
        size_t len = strcspn(p, "\n");
        size_t k = len;
        while (k > 0 &&
               (p[k - 1] == ' ' || p[k - 1] == '\r' || p[k - 1] == '\t'))
            k--;
        if (k > 0) {
            best = p;
            bestlen = k;
        }
        p += len;
        if (*p)
            p++;
    }
    return best ? strndup(best, bestlen) : strdup("");
}

int tx_remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : -errno;
    if (!S_ISDIR(st.st_mode))
        return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
    int r = 0;
    DIR *d = opendir(path);
    if (!d)
        return -errno;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char *sub = tx_path_join(path, de->d_name);
        int s = sub ? tx_remove_tree(sub) : -ENOMEM;
        free(sub);
        if (s < 0 && r == 0)
            r = s;
    }
    closedir(d);
    if (rmdir(path) < 0 && errno != ENOENT && r == 0)
        r = -errno;
    return r;
}

int tx_mkdirs(const char *path)
{
    char *p = strdup(path);
    if (!p)
        return -ENOMEM;
    int r = 0;
    for (char *s = p + 1; r == 0; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0755) < 0 && errno != EEXIST)
            r = -errno;
        *s = c;
        if (!c)
            break;
    }
    free(p);
    return r;
}

int tx_copy_file(const char *src, const char *dest, struct tx_error *err)
{
    int in = open(src, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (in < 0)
        return tx_fail(err, -errno, "%s: %s", src, strerror(errno));
    struct stat st;
    int r = 0, out = -1;
    if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
        r = tx_fail(err, -EINVAL, "%s: not a regular file", src);
        goto done;
    }
    out =
        open(dest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, st.st_mode & 0777);
    if (out < 0) {
        r = tx_fail(err, -errno, "%s: %s", dest, strerror(errno));
        goto done;
    }
    static char buf[1 << 16]; /* single-threaded command */
    for (;;) {
        ssize_t n = tx_read_full(in, buf, sizeof(buf));
        if (n < 0) {
            r = tx_fail(err, (int)n, "%s: %s", src, strerror((int)-n));
            break;
        }
        if (n == 0)
            break;
        int w = tx_write_all(out, buf, (size_t)n);
        if (w < 0) {
            r = tx_fail(err, w, "%s: %s", dest, strerror(-w));
            break;
        }
    }
    if (r == 0 && fchmod(out, st.st_mode & 0777) < 0)
        r = tx_fail(err, -errno, "%s: %s", dest, strerror(errno));
done:
    if (out >= 0 && close(out) < 0 && r == 0)
        r = tx_fail(err, -errno, "%s: %s", dest, strerror(errno));
    close(in);
    return r;
}

int tx_write_file(const char *path, const void *data, size_t len,
                  struct tx_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return tx_fail(err, -errno, "%s: %s", path, strerror(errno));
    int r = tx_write_all(fd, data, len);
    if (close(fd) < 0 && r == 0)
        r = -errno;
    return r < 0 ? tx_fail(err, r, "%s: %s", path, strerror(-r)) : 0;
}
