/*
 * console_socket.c - listening on and connecting to console sockets (see
 * console_socket.h).
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "console_socket.h"

static int sock_fail(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int sock_fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return code;
}

int console_socket_default_path(const char *run_dir, chaos_domid domid,
                                char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s/console/%u.sock", run_dir, domid);
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int console_socket_ensure_dir(const char *path, mode_t mode, char *err,
                              size_t errlen)
{
    if (mkdir(path, mode) < 0 && errno != EEXIST)
        return sock_fail(err, errlen, -errno, "cannot create %s: %s", path,
                         strerror(errno));
    /* Check what is there now through an fd, so that a directory swapped
     * for a link between the checks cannot be chmod-ed by mistake. */
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return sock_fail(err, errlen, -errno,
                         "%s is not a directory we can "
                         "use: %s",
                         path, strerror(errno));
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) < 0)
        rc = sock_fail(err, errlen, -errno, "cannot stat %s: %s", path,
                       strerror(errno));
    else if (st.st_uid != geteuid())
        rc = sock_fail(err, errlen, -EPERM, "%s belongs to uid %u, not to us",
                       path, (unsigned)st.st_uid);
    else if ((st.st_mode & 07777) != mode && fchmod(fd, mode) < 0)
        rc = sock_fail(err, errlen, -errno, "cannot chmod %s: %s", path,
                       strerror(errno));
    close(fd);
    return rc;
}

static int make_address(const char *path, struct sockaddr_un *sa)
{
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa->sun_path))
        return -ENAMETOOLONG;
    strcpy(sa->sun_path, path);
    return 0;
}

int console_socket_connect(const char *path)
{
    struct sockaddr_un sa;
    int rc = make_address(path, &sa);
    if (rc < 0)
        return rc;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

/*
 * A socket file already at path: if nobody answers on it, its server died
 * without cleaning up and the file can go.  Returns 0 when it was removed
 * (or there was none).
 */
int console_socket_remove_stale(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT
                   ? 0
                   : sock_fail(err, errlen, -errno, "cannot stat %s: %s", path,
                               strerror(errno));
    if (!S_ISSOCK(st.st_mode))
        return sock_fail(err, errlen, -EEXIST,
                         "%s exists and is not a "
                         "socket",
                         path);
    int fd = console_socket_connect(path);
    if (fd >= 0) {
        close(fd);
        return sock_fail(err, errlen, -EADDRINUSE,
                         "another process already "
                         "serves %s",
                         path);
    }
    if (fd != -ECONNREFUSED)
        return sock_fail(err, errlen, fd, "cannot probe %s: %s", path,
                         strerror(-fd));
    if (unlink(path) < 0 && errno != ENOENT)
        return sock_fail(err, errlen, -errno, "cannot remove stale %s: %s",
                         path, strerror(errno));
    return 0;
}

/*
 * The directory part of path.  It is made private (0700), so a path
 * without one ("x.sock", "/x.sock") is refused rather than chmod-ing the
 * working directory or "/".
 */
static int parent_dir(const char *path, char *dir, size_t len)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    if (n == 0 || n >= len)
        return -1;
    memcpy(dir, path, n);
    dir[n] = '\0';
    return 0;
}

int console_socket_listen(const char *path, dev_t *dev, ino_t *ino, char *err,
                          size_t errlen)
{
    struct sockaddr_un sa;
    char dir[sizeof(sa.sun_path)];
    if (make_address(path, &sa) < 0)
        return sock_fail(err, errlen, -ENAMETOOLONG,
                         "socket path too long: "
                         "%s",
                         path);
    if (parent_dir(path, dir, sizeof(dir)) < 0)
        return sock_fail(err, errlen, -EINVAL,
                         "socket path %s must be in a "
                         "directory of its own (DIR/NAME)",
                         path);
    int rc = console_socket_ensure_dir(dir, 0700, err, errlen);
    if (rc < 0)
        return rc;
    if ((rc = console_socket_remove_stale(path, err, errlen)) < 0)
        return rc;

    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return sock_fail(err, errlen, -errno, "socket: %s", strerror(errno));
    /* bind() creates the file with the process umask, which a library must
     * not change; the 0700 directory keeps others out until the chmod. */
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        rc = sock_fail(err, errlen, -errno, "cannot bind %s: %s", path,
                       strerror(errno));
        close(fd);
        return rc;
    }
    struct stat st;
    if (chmod(path, 0600) < 0 || lstat(path, &st) < 0)
        rc = sock_fail(err, errlen, -errno, "cannot chmod %s: %s", path,
                       strerror(errno));
    else if (listen(fd, 8) < 0)
        rc = sock_fail(err, errlen, -errno, "cannot listen on %s: %s", path,
                       strerror(errno));
    if (rc < 0) {
        unlink(path);
        close(fd);
        return rc;
    }
    *dev = st.st_dev;
    *ino = st.st_ino;
    return fd;
}

void console_socket_unlink(const char *path, dev_t dev, ino_t ino)
{
    struct stat st;
    if (lstat(path, &st) == 0 && st.st_dev == dev && st.st_ino == ino)
        unlink(path);
}

int console_socket_connect_resume(const char *path)
{
    static unsigned serial;
    struct sockaddr_un sa, me = { .sun_family = AF_UNIX };
    int rc = make_address(path, &sa);
    if (rc < 0)
        return rc;
    /* Abstract (sun_path[0] == 0): no file, gone with the socket; unique
     * per process and call. */
    int n = snprintf(me.sun_path + 1, sizeof(me.sun_path) - 1,
                     CONSOLE_RESUME_TAG "%ld:%u", (long)getpid(), serial++);
    socklen_t len =
        (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (bind(fd, (struct sockaddr *)&me, len) < 0 ||
        connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

bool console_socket_is_resume(const struct sockaddr_un *sa, size_t len)
{
    size_t off = offsetof(struct sockaddr_un, sun_path);
    size_t tag = sizeof(CONSOLE_RESUME_TAG) - 1;
    return len >= off + 1 + tag && sa->sun_path[0] == '\0' &&
           memcmp(sa->sun_path + 1, CONSOLE_RESUME_TAG, tag) == 0;
}
