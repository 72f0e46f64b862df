/*
 * supervisor_lock.c - one server per guest (see supervisor.h).
 *
 * RUNDIR/supervisors/UUID, keyed by Xen's handle (ids are reused, handles
 * are not), is flock(2)ed exclusively by the supervisor serving that
 * domain, and holds its pid for the message of whoever is refused.
 * flock, not fcntl locks: the lock belongs to the open file, so two
 * supervisors in one process (chaosd) exclude each other too, and it goes
 * with the process, so a killed monitor frees its guest for chaosd.
 *
 * The file is removed when the domain is gone, while it is still locked.
 * A rival that opened it just before then locks an unlinked file; it sees
 * that (the path no longer names its inode) and tries again, so two
 * processes never both believe they hold the lock of one path.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry.h"
#include "supervisor.h"

static int lock_path(const uint8_t uuid[16], char *out, size_t len)
{
    char text[37], sub[64];
    registry_uuid_format(uuid, text);
    snprintf(sub, sizeof(sub), "supervisors/%s", text);
    return registry_run_path(sub, out, len);
}

static long read_holder(int fd)
{
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    return strtol(buf, NULL, 10);
}

int supervisor_lock(const uint8_t uuid[16], int *fdp, long *holder)
{
    char path[600], dir[600];
    *holder = 0;
    int rc = lock_path(uuid, path, sizeof(path));
    if (!rc)
        rc = registry_run_path("supervisors", dir, sizeof(dir));
    if (!rc)
        rc = registry_ensure_dir(dir);
    if (rc)
        return rc;
    for (int tries = 0; tries < 8; tries++) {
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            return -errno;
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
            if (rc == -EBUSY)
                *holder = read_holder(fd);
            close(fd);
            return rc;
        }
        struct stat held, now;
        if (fstat(fd, &held) == 0 && stat(path, &now) == 0 &&
            held.st_dev == now.st_dev && held.st_ino == now.st_ino) {
            char pid[24];
            int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
            if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
                /* The lock holds without it; only messages lose the pid. */
            }
            *fdp = fd;
            return 0;
        }
        close(fd); /* removed under us by its last server: again */
    }
    return -EAGAIN;
}

void supervisor_unlock(const uint8_t uuid[16], int fd, bool remove)
{
    if (fd < 0)
        return;
    char path[600];
    if (remove && lock_path(uuid, path, sizeof(path)) == 0)
        unlink(path);
    close(fd);
}
