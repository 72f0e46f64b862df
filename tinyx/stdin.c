/*
 * tinyx-stdin - guest-side helper of chaos-oci's containers without a
 * terminal: runs the program with the container's stdin as a pipe.
 *
 *     tinyx-stdin PROGRAM [ARG...]
 *
 * Why it exists: what the keeper in dom0 writes to the guest's console
 * arrives on hvc0, a tty, which echoes, edits lines, turns ^C into a
 * signal and "\n" into "\r\n" on output, and cannot say where a stream
 * ends.  A program reading a pipe expects none of that.
 *
 * How: its stdin and stdout are the console (/init's).  It makes the
 * console raw (cfmakeraw: every byte passes, output untranslated, no
 * echo; pending input, which cannot be the keeper's yet, is dropped),
 * makes a pipe, starts the decoder (forked twice, so that it is no child
 * of the program), writes the line TX_STDIN_READY on the console and
 * execs PROGRAM (execvp: PATH as /init exports it) with the pipe's read
 * end as its stdin.  The keeper sends nothing before that line.  The
 * decoder reads the console, decodes the frames (stdin_frame.h) into the
 * pipe and closes it at the end-of-stdin frame (the program reads end of
 * file), at a broken frame (said on stderr), or when the program no
 * longer reads (EPIPE), then exits.  A real pipe: no name to open, so no
 * rendezvous and no race between the program and the decoder.
 *
 * When the console cannot be made raw (no tty), it says so and the
 * program reads /dev/null (no ready line: the keeper sends nothing).
 * When PROGRAM cannot be run: 127 (not found) or 126, as a shell.  A
 * static program, as tinyx-netwatch, to run in any image.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "stdin_frame.h"
#include "txutil.h"

static int fail(const char *what, int err)
{
    fprintf(stderr, "tinyx-stdin: %s: %s\n", what, strerror(err));
    return 1;
}

/* A step of the set-up failed: said, -1. */
static int broken(const char *what, int err)
{
    fail(what, err);
    return -1;
}

/*
 * Whether the guest's hvc driver takes SysRq keys on its console, and so
 * passes the keeper's ^O^O as one ^O (stdin_frame.h): only a kernel with
 * CONFIG_MAGIC_SYSRQ does (it has /proc/sysrq-trigger), and only on the
 * kernel's console (hvc0 in /proc/consoles, as tinyx's console=hvc0
 * makes it).  TINYX_STDIN_HVC_SYSRQ=0 or 1 says instead (the unit test's
 * pty is no hvc, whatever the build host's console).
 */
static bool hvc_sysrq(void)
{
    const char *e = getenv("TINYX_STDIN_HVC_SYSRQ");
    if (e && *e)
        return strcmp(e, "0") != 0;
    if (access("/proc/sysrq-trigger", F_OK) != 0)
        return false;
    FILE *f = fopen("/proc/consoles", "re");
    char line[128];
    bool found = false;
    while (f && !found && fgets(line, sizeof(line), f))
        found = strncmp(line, "hvc0 ", 5) == 0;
    if (f)
        fclose(f);
    return found;
}

/* The decoder: the console (fd 0) into the pipe until the stream ends. */
static int decode(int pipe_w)
{
    static uint8_t in[4096], out[sizeof(in) + 1];
    struct tx_stdin_dec d;
    tx_stdin_dec_init(&d, hvc_sysrq());
    while (d.state == TX_STDIN_OPEN) {
        ssize_t n = read(0, in, sizeof(in));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return fail("reading the console", n < 0 ? errno : EPIPE);
        size_t m = tx_stdin_decode(&d, in, (size_t)n, out);
        int rc = tx_write_all(pipe_w, out, m);
        if (rc < 0)
            return rc == -EPIPE ? 0 : fail("the program's stdin", -rc);
    }
    if (d.state == TX_STDIN_BROKEN) {
        fputs("tinyx-stdin: a broken frame on the console: the program's "
              "stdin ends here\n",
              stderr);
        return 1;
    }
    return 0;
}

/* The console raw, the pipe and its decoder: 0, or -1 with a message
 * (the program then reads /dev/null). */
static int set_up(void)
{
    struct termios t;
    if (tcgetattr(0, &t) < 0)
        return broken("the console (stdin)", errno);
    cfmakeraw(&t);
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(0, TCSAFLUSH, &t) < 0)
        return broken("making the console raw", errno);
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return broken("pipe", errno);
    pid_t pid = fork();
    if (pid == 0) {
        /* The decoder's parent ends at once: it goes to init, and the
         * program (which replaces this process) never sees a child it
         * did not make. */
        signal(SIGPIPE, SIG_IGN);
        if (fork() == 0) {
            close(p[0]);
            _exit(decode(p[1]));
        }
        _exit(0);
    }
    int err = errno;
    close(p[1]);
    if (pid < 0 || waitpid(pid, NULL, 0) < 0) {
        close(p[0]);
        return broken("fork", pid < 0 ? err : errno);
    }
    if (dup2(p[0], 0) < 0) {
        close(p[0]);
        return broken("dup2", errno);
    }
    close(p[0]);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs("usage: tinyx-stdin PROGRAM [ARG...]\n", stderr);
        return 2;
    }
    static const char ready[] = TX_STDIN_READY "\n";
    if (set_up() == 0) {
        int rc = tx_write_all(1, ready, sizeof(ready) - 1);
        if (rc < 0)
            fail("the console (stdout)", -rc);
    } else {
        fputs("tinyx-stdin: the program reads /dev/null\n", stderr);
        int null = open("/dev/null", O_RDONLY);
        if (null < 0 || dup2(null, 0) < 0)
            return fail("/dev/null", errno);
        if (null != 0)
            close(null);
    }
    execvp(argv[1], argv + 1);
    int err = errno;
    fail(argv[1], err);
    return err == ENOENT ? 127 : 126;
}
