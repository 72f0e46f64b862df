/*
 * oci_pty.c - process.terminal: a pseudo-terminal whose master goes to the
 * caller through --console-socket, as runc does (the shim, or ctr -t,
 * holds it), and whose slave becomes the keeper's stdio.  The slave is put
 * in raw mode: the guest's own tty (its console) already echoes and edits
 * lines, so the pty in dom0 only carries bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "oci.h"

/* Sends fd over the connected socket sock, with name as the data (runc
 * sends the terminal's name; receivers use only the descriptor). */
static int send_fd(int sock, int fd, const char *name)
{
    char ctl[CMSG_SPACE(sizeof(int))];
    memset(ctl, 0, sizeof(ctl));
    struct iovec iov = { .iov_base = (void *)name, .iov_len = strlen(name) };
    struct msghdr m = { .msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = ctl,
                        .msg_controllen = sizeof(ctl) };
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    return sendmsg(sock, &m, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

int oci_pty_send(const char *socket_path, int *slave_out, char *msg,
                 size_t msglen)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(socket_path) >= sizeof(sa.sun_path)) {
        snprintf(msg, msglen, "--console-socket %s: path too long",
                 socket_path);
        return -ENAMETOOLONG;
    }
    strcpy(sa.sun_path, socket_path);
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    int slave = -1, sock = -1, r = 0;
    char name[64];
    if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 ||
        ptsname_r(master, name, sizeof(name)) != 0 ||
        (slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
        r = -errno;
        snprintf(msg, msglen, "a pseudo-terminal: %s", strerror(errno));
        goto out;
    }
    struct termios t;
    if (tcgetattr(slave, &t) == 0) {
        cfmakeraw(&t);
        tcsetattr(slave, TCSANOW, &t);
    }
    sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        (r = send_fd(sock, master, name)) < 0) {
        r = r < 0 ? r : -errno;
        snprintf(msg, msglen, "--console-socket %s: %s", socket_path,
                 strerror(-r));
        goto out;
    }
    *slave_out = slave;
    slave = -1;
out:
    if (sock >= 0)
        close(sock);
    if (master >= 0)
        close(master);
    if (slave >= 0)
        close(slave);
    return r;
}
