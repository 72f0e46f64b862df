/*
 * lab-console-socket - the receiving end of `chaos-oci create
 * --console-socket` for test-chaos-oci.sh, as containerd's shim (or ctr -t)
 * is: listens on a UNIX socket, takes the terminal's master from the first
 * connection (SCM_RIGHTS), writes INPUT to it, and copies what comes out
 * to OUT-FILE until the terminal closes (the keeper ended).
 *
 *   lab-console-socket SOCKET OUT-FILE [INPUT]
 *
 * Exit 0 once the terminal closed after a descriptor came, 1 otherwise.
 * libc only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int receive_fd(int conn)
{
    char name[256], ctl[CMSG_SPACE(sizeof(int))];
    struct iovec iov = { .iov_base = name, .iov_len = sizeof(name) };
    struct msghdr m = { .msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = ctl,
                        .msg_controllen = sizeof(ctl) };
    if (recvmsg(conn, &m, 0) < 0)
        return -1;
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    if (!c || c->cmsg_type != SCM_RIGHTS)
        return -1;
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof(int));
    return fd;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fputs("usage: lab-console-socket SOCKET OUT-FILE [INPUT]\n", stderr);
        return 1;
    }
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[1]);
    unlink(argv[1]);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(s, 1) < 0) {
        perror(argv[1]);
        return 1;
    }
    int conn = accept(s, NULL, NULL);
    int master = conn < 0 ? -1 : receive_fd(conn);
    if (master < 0) {
        fputs("lab-console-socket: no terminal received\n", stderr);
        return 1;
    }
    close(conn);
    close(s);
    unlink(argv[1]);
    int out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0) {
        perror(argv[2]);
        return 1;
    }
    if (argc > 3 && write(master, argv[3], strlen(argv[3])) < 0)
        perror("input");
    char buf[4096];
    ssize_t n;
    /* EIO: every slave descriptor closed. */
    while ((n = read(master, buf, sizeof(buf))) > 0 ||
           (n < 0 && errno == EINTR))
        if (n > 0 && write(out, buf, (size_t)n) != n)
            return 1;
    close(out);
    return 0;
}
