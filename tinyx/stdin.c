/*
 * tinyx-stdin - guest-side helper of chaos-oci's containers without a
 * terminal: the program reads the container's stdin as a pipe.
 *
 *     tinyx-stdin FIFO
 *
 * Why it exists: what the keeper in dom0 writes to the guest's console
 * arrives on hvc0, a tty, which echoes, edits lines, turns ^C into a
 * signal and "\n" into "\r\n" on output, and cannot say where a stream
 * ends.  A program reading a pipe expects none of that.
 *
 * How: its stdin and stdout are the console (/init's).  It makes the
 * console raw (cfmakeraw: every byte passes, output untranslated, no
 * echo; pending input, which cannot be the keeper's yet, is dropped),
 * makes FIFO and opens it, forks the decoder, writes the line
 * TX_STDIN_READY on the console and exits 0; /init then runs the program
 * reading FIFO.  The keeper sends nothing before that line.  The decoder
 * reads the console, decodes the frames (stdin_frame.h) into FIFO and
 * closes it at the end-of-stdin frame (the program reads end of file),
 * or at a broken frame (said on stderr), then exits.
 *
 * FIFO is opened read-write so that no open waits for the other side
 * (the program opens it only after this process exited).  So the decoder
 * holds a reader too and never meets EPIPE: once the program stops
 * reading, the decoder blocks when FIFO is full, and the console, the
 * keeper and the container's stdin behind it wait (backpressure).
 *
 * Exits 1 with a message on stderr when any step fails: /init then gives
 * the program /dev/null, and without the ready line the keeper sends
 * nothing.  A static program, as tinyx-netwatch, to run in any image.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "stdin_frame.h"

static int fail(const char *what, int err)
{
    fprintf(stderr, "tinyx-stdin: %s: %s\n", what, strerror(err));
    return 1;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The decoder: the console (fd 0) into fifo until the stream ends. */
static int decode(int fifo)
{
    static uint8_t in[4096], out[sizeof(in)];
    struct tx_stdin_dec d;
    tx_stdin_dec_init(&d);
    while (d.state == TX_STDIN_OPEN) {
        ssize_t n = read(0, in, sizeof(in));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return fail("reading the console", n < 0 ? errno : EPIPE);
        size_t m = tx_stdin_decode(&d, in, (size_t)n, out);
        if (write_all(fifo, out, m) < 0)
            return fail("writing the program's stdin", errno);
    }
    if (d.state == TX_STDIN_BROKEN) {
        fputs("tinyx-stdin: a broken frame on the console: the program's "
              "stdin ends here\n",
              stderr);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fputs("usage: tinyx-stdin FIFO\n", stderr);
        return 2;
    }
    const char *path = argv[1];
    struct termios t;
    if (tcgetattr(0, &t) < 0)
        return fail("the console (stdin)", errno);
    cfmakeraw(&t);
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(0, TCSAFLUSH, &t) < 0)
        return fail("making the console raw", errno);
    if ((unlink(path) < 0 && errno != ENOENT) || mkfifo(path, 0600) < 0)
        return fail(path, errno);
    int fifo = open(path, O_RDWR | O_CLOEXEC);
    if (fifo < 0)
        return fail(path, errno);
    pid_t pid = fork();
    if (pid < 0)
        return fail("fork", errno);
    if (pid == 0)
        _exit(decode(fifo));
    close(fifo);
    static const char ready[] = TX_STDIN_READY "\n";
    if (write_all(1, (const uint8_t *)ready, sizeof(ready) - 1) < 0)
        return fail("the console (stdout)", errno);
    return 0;
}
