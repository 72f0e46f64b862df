/*
 * lab-sd-activate: a tiny systemd for one socket-activated Type=notify
 * service, for the lab.
 *
 *   lab-sd-activate --listen PATH [--socket-mode OCTAL] --notify-log FILE
 *                   [--ready-timeout SEC] -- CMD [ARG...]
 *
 * Why: the lab's dom0 has no systemd, yet chaosd.service is Type=notify
 * and chaosd.socket hands it the request socket.  This does what systemd
 * does for those two units, and nothing else, so that a test can assert
 * exactly what systemd would receive:
 *  - as chaosd.socket (ListenStream=PATH, SocketMode=, default 0666;
 *    DirectoryMode=0755): binds and listens on PATH before CMD starts;
 *  - CMD gets that socket as fd 3, with LISTEN_FDS=1, LISTEN_PID (its own
 *    pid), LISTEN_FDNAMES=chaosd.socket, and NOTIFY_SOCKET, a datagram
 *    socket in a temporary directory.  As NotifyAccess=main, only
 *    messages from CMD's own pid count (SO_PASSCRED tells the sender).
 * Every notification line goes to FILE as "MS pid PID: LINE" (MS: ms since
 * start; " (ignored)" if not from CMD), CMD's end as "MS exit status N".
 *
 * Prints "READY after MS ms, main pid PID" and exits 0 once READY=1 came,
 * leaving CMD running; a background process keeps logging (STOPPING=1,
 * the exit) and holds the listening socket, as systemd does, until CMD
 * exits.  Exits 1 if CMD exits first, or if SEC (default 120, as
 * TimeoutStartSec) pass: then CMD gets SIGTERM, as from systemd.  2: usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct timespec t0;

static long long ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0.tv_sec) * 1000LL + (t.tv_nsec - t0.tv_nsec) / 1000000;
}

static void die(const char *what, const char *arg)
{
    fprintf(stderr, "lab-sd-activate: %s %s: %s\n", what, arg, strerror(errno));
    exit(1);
}

static int unix_socket(int type, const char *path, struct sockaddr_un *sa)
{
    *sa = (struct sockaddr_un){ .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(sa->sun_path)) {
        errno = ENAMETOOLONG;
        die("socket path", path);
    }
    strcpy(sa->sun_path, path);
    int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("socket for", path);
    return fd;
}

/* Appends one datagram's lines to the log: -1 if none was waiting, 1 if
 * it said READY=1 and came from the main process, else 0. */
static int log_datagram(FILE *log, int fd, pid_t main_pid)
{
    char buf[4097];
    char cbuf[CMSG_SPACE(sizeof(struct ucred))];
    struct iovec iov = { buf, sizeof(buf) - 1 };
    struct msghdr mh = { .msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = cbuf,
                         .msg_controllen = sizeof(cbuf) };
    ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    struct ucred cred = { .pid = 0 };
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS)
        memcpy(&cred, CMSG_DATA(c), sizeof(cred));
    pid_t pid = cred.pid;
    int ready = 0;
    for (char *save, *line = strtok_r(buf, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        fprintf(log, "%lld pid %d: %s%s\n", ms(), (int)pid, line,
                pid == main_pid ? "" : " (ignored)");
        ready |= pid == main_pid && !strcmp(line, "READY=1");
    }
    fflush(log);
    return ready;
}

int main(int argc, char **argv)
{
    const char *listen_path = NULL, *log_path = NULL;
    unsigned mode = 0666, timeout_s = 120;
    int i = 1;
    for (; i + 1 < argc && strcmp(argv[i], "--"); i += 2) {
        if (!strcmp(argv[i], "--listen"))
            listen_path = argv[i + 1];
        else if (!strcmp(argv[i], "--notify-log"))
            log_path = argv[i + 1];
        else if (!strcmp(argv[i], "--socket-mode"))
            mode = (unsigned)strtoul(argv[i + 1], NULL, 8) & 07777;
        else if (!strcmp(argv[i], "--ready-timeout"))
            timeout_s = (unsigned)strtoul(argv[i + 1], NULL, 10);
        else
            break;
    }
    if (!listen_path || !log_path || i + 1 >= argc || strcmp(argv[i], "--")) {
        fprintf(stderr,
                "usage: lab-sd-activate --listen PATH [--socket-mode OCTAL] "
                "--notify-log FILE [--ready-timeout SEC] -- CMD [ARG...]\n");
        return 2;
    }
    char **cmd = argv + i + 1;
    clock_gettime(CLOCK_MONOTONIC, &t0);

    /* The listening socket, as chaosd.socket: parent directory, a stale
     * socket replaced, the mode set at creation (umask), as systemd. */
    char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
    snprintf(dir, sizeof(dir), "%s", listen_path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        if (mkdir(dir, 0755) != 0 && errno != EEXIST)
            die("mkdir", dir);
    }
    struct sockaddr_un sa;
    int lfd = unix_socket(SOCK_STREAM, listen_path, &sa);
    mode_t old_mask = umask(~mode & 0777);
    int rc = bind(lfd, (struct sockaddr *)&sa, sizeof(sa));
    if (rc != 0 && errno == EADDRINUSE) {
        unlink(listen_path);
        rc = bind(lfd, (struct sockaddr *)&sa, sizeof(sa));
    }
    umask(old_mask);
    struct stat st;
    if (rc != 0 || listen(lfd, SOMAXCONN) != 0 || stat(listen_path, &st) != 0)
        die("listen on", listen_path);
    printf("lab-sd-activate: listening on %s (inode %lu, mode %03o)\n",
           listen_path, (unsigned long)st.st_ino, (unsigned)st.st_mode & 07777);

    /* NOTIFY_SOCKET, with the sender's credentials on each message. */
    char tmp[] = "/tmp/lab-sd-XXXXXX", notify_path[64];
    if (!mkdtemp(tmp))
        die("mkdtemp", tmp);
    snprintf(notify_path, sizeof(notify_path), "%s/notify", tmp);
    int nfd = unix_socket(SOCK_DGRAM, notify_path, &sa);
    int one = 1;
    if (bind(nfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        setsockopt(nfd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) != 0)
        die("notify socket", notify_path);
    FILE *log = fopen(log_path, "ae"); /* not inherited by CMD */
    if (!log)
        die("open", log_path);
    int report[2]; /* the supervisor tells the foreground process */
    if (pipe2(report, O_CLOEXEC) != 0)
        die("pipe", "");
    fflush(stdout);

    pid_t sup = fork();
    if (sup < 0)
        die("fork", "");
    if (sup > 0) { /* foreground: wait for the verdict */
        close(report[1]);
        char msg[256];
        ssize_t n = read(report[0], msg, sizeof(msg) - 1);
        msg[n > 0 ? n : 0] = '\0';
        printf("lab-sd-activate: %s\n", n > 0 ? msg : "supervisor died");
        return !strncmp(msg, "READY", 5) ? 0 : 1;
    }
    close(report[0]);
    pid_t pid = fork();
    if (pid < 0)
        die("fork", "");
    if (pid == 0) { /* the service: fd 3 and the environment */
        if (lfd == 3 ? fcntl(3, F_SETFD, 0) != 0 : dup2(lfd, 3) != 3)
            die("fd 3 for", listen_path);
        char buf[32];
        snprintf(buf, sizeof(buf), "%d", (int)getpid());
        if (setenv("LISTEN_FDS", "1", 1) || setenv("LISTEN_PID", buf, 1) ||
            setenv("LISTEN_FDNAMES", "chaosd.socket", 1) ||
            setenv("NOTIFY_SOCKET", notify_path, 1))
            die("setenv", "");
        execvp(cmd[0], cmd);
        die("exec", cmd[0]);
    }
    /* The supervisor: logs notifications until the service is gone. */
    bool ready = false, told = false;
    long long term_at = -1;
    for (;;) {
        struct pollfd p = { .fd = nfd, .events = POLLIN };
        if (poll(&p, 1, 100) > 0)
            ready |= log_datagram(log, nfd, pid) == 1;
        int status;
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) {
            while (log_datagram(log, nfd, pid) >= 0)
                ; /* the last messages it sent */
            if (WIFEXITED(status))
                fprintf(log, "%lld exit status %d\n", ms(),
                        WEXITSTATUS(status));
            else
                fprintf(log, "%lld exit signal %d\n", ms(), WTERMSIG(status));
            fclose(log);
        }
        char msg[256] = "";
        if (!told && ready)
            snprintf(msg, sizeof(msg), "READY after %lld ms, main pid %d", ms(),
                     (int)pid);
        else if (!told && w == pid)
            snprintf(msg, sizeof(msg), "%s exited before READY=1 (see %s)",
                     cmd[0], log_path);
        else if (!told && ms() > timeout_s * 1000LL) {
            snprintf(msg, sizeof(msg), "no READY=1 within %u s: SIGTERM to %d",
                     timeout_s, (int)pid);
            kill(pid, SIGTERM);
            term_at = ms();
        } else if (term_at >= 0 && ms() > term_at + 90000) {
            kill(pid, SIGKILL); /* TimeoutStopSec's default */
            term_at = -1;
        }
        if (msg[0]) {
            told = true;
            if (write(report[1], msg, strlen(msg)) < 0)
                perror("lab-sd-activate: report");
            close(report[1]);
        }
        if (w == pid) {
            unlink(notify_path);
            rmdir(tmp);
            return 0;
        }
    }
}
