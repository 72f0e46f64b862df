/*
 * cmd_console.c - `chaos console`: attach the terminal to a guest console.
 *
 * The console is served by another process (the guest's monitor, later
 * chaosd) on a UNIX socket that carries plain bytes both ways; this
 * command is a small terminal bridge to it.  See docs/console.md.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "chaos.h"
#include "cmd.h"
#include "util.h"

const char cmd_console_help[] =
    "Usage: chaos console [--wait=SECONDS] DOMAIN\n"
    "\n"
    "Attach this terminal to the PV console of DOMAIN, a domain name or id,\n"
    "like `xl console`.  The guest's recent output (up to 16 KiB) is shown\n"
    "first, then its live output; what you type goes to the guest.\n"
    "\n"
    "Press Ctrl-] to detach.  The guest keeps running, and its output keeps\n"
    "going to its log file, whether or not anyone is attached.\n"
    "\n"
    "Options:\n"
    "  -w, --wait=SECONDS  if DOMAIN exists but its console is not served yet\n"
    "                      (it is being created), keep trying this long\n"
    "                      (default 5; 0: do not wait)\n"
    "  -h, --help          show this text\n"
    "\n"
    "While attached the terminal is in raw mode: every key, Ctrl-C included,\n"
    "goes to the guest.  It is restored on detach, when the console closes\n"
    "(the guest was destroyed) and when chaos is stopped by SIGTERM, SIGHUP,\n"
    "SIGINT or SIGQUIT.  If standard input is not a terminal, it is sent to\n"
    "the guest as it is (Ctrl-] bytes included, they do not detach), and its\n"
    "end does not detach: output is shown until the console closes or chaos\n"
    "is stopped.\n"
    "\n"
    "Several users may attach to one console at once: all see the output and\n"
    "all may type.  Consoles are served by the monitor process `chaos create`\n"
    "starts for each guest (or by chaosd), on /run/chaos/console/DOMID.sock\n"
    "($CHAOS_RUN_DIR/console/DOMID.sock if that is set; root only); any\n"
    "client that speaks plain bytes can attach there, for instance\n"
    "  socat -,raw,echo=0,escape=0x1d "
    "UNIX-CONNECT:/run/chaos/console/DOMID.sock\n"
    "\n"
    "Exit status: 0 after detaching or when the console closed, 1 when the\n"
    "console cannot be attached, 2 on a usage error.  Stopped by a signal,\n"
    "chaos restores the terminal and then dies of that signal.\n";

#define ESCAPE_KEY 0x1d /* Ctrl-], as in xl and telnet */

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

/* The terminal's settings, restored on every way out of the command. */
struct terminal {
    bool raw;
    struct termios saved;
};

static void terminal_raw(struct terminal *t)
{
    t->raw = false;
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &t->saved) < 0)
        return;
    struct termios raw = t->saved;
    cfmakeraw(&raw);
    if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0)
        t->raw = true;
}

static void terminal_restore(struct terminal *t)
{
    if (t->raw)
        tcsetattr(STDIN_FILENO, TCSADRAIN, &t->saved);
    t->raw = false;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Keystrokes waiting for the socket (which is non-blocking for writes). */
struct keys {
    char buf[4096];
    size_t len;
};

enum outcome { DETACHED, CLOSED, STOPPED, FAILED };
enum keyboard { KEYS_READ, KEYS_ESCAPE, KEYS_END };

/* Reads the keyboard into k; KEYS_ESCAPE when the user pressed Ctrl-]. */
static enum keyboard read_keys(struct keys *k, bool escape_detaches)
{
    char in[1024];
    ssize_t n = read(STDIN_FILENO, in, sizeof(in));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return KEYS_READ;
    if (n <= 0)
        return KEYS_END;
    size_t len = (size_t)n;
    char *esc = escape_detaches ? memchr(in, ESCAPE_KEY, len) : NULL;
    if (esc)
        len = (size_t)(esc - in); /* what came before it still goes */
    /* If the guest does not read its input the buffer fills: drop keys
     * rather than stop reading, so that Ctrl-] always works. */
    size_t room = sizeof(k->buf) - k->len;
    if (len > room)
        len = room;
    memcpy(k->buf + k->len, in, len);
    k->len += len;
    return esc ? KEYS_ESCAPE : KEYS_READ;
}

/* Sends what the socket takes now; false when the server is gone. */
static bool send_keys(int sock, struct keys *k)
{
    ssize_t n = send(sock, k->buf, k->len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    memmove(k->buf, k->buf + n, k->len - (size_t)n);
    k->len -= (size_t)n;
    return true;
}

/* Copies the console to stdout and the keyboard to the console. */
static enum outcome bridge(int sock, bool escape_detaches,
                           const sigset_t *wait_mask, int *err)
{
    struct keys keys = { .len = 0 };
    bool keyboard_open = true, shut = false;
    char out[8192];

    while (!stop_signal) {
        struct pollfd fds[2] = {
            { .fd = sock, .events = POLLIN | (keys.len ? POLLOUT : 0) },
            { .fd = keyboard_open ? STDIN_FILENO : -1, .events = POLLIN },
        };
        if (ppoll(fds, 2, NULL, wait_mask) < 0) {
            if (errno == EINTR)
                continue;
            *err = errno;
            return FAILED;
        }
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(sock, out, sizeof(out));
            if (n == 0 || (n < 0 && errno != EINTR))
                return CLOSED;
            if (n > 0 && write_all(STDOUT_FILENO, out, (size_t)n) < 0) {
                *err = errno;
                return FAILED;
            }
        }
        if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            switch (read_keys(&keys, escape_detaches)) {
                case KEYS_READ:
                    break;
                case KEYS_ESCAPE:
                    send_keys(sock, &keys); /* best effort */
                    return DETACHED;
                case KEYS_END:
                    keyboard_open = false; /* output keeps coming */
                    break;
            }
        }
        if (keys.len && !send_keys(sock, &keys))
            return CLOSED;
        if (!keyboard_open && !keys.len && !shut) {
            shutdown(sock, SHUT_WR); /* tell the server: no more */
            shut = true;
        }
    }
    return STOPPED;
}

/* Attaches, waiting up to wait_s for a console that is not served yet. */
static int connect_console(chaos_ctx *ctx, chaos_domid domid, long wait_s)
{
    struct timespec pause = { .tv_nsec = 100 * 1000 * 1000 };
    for (long tries = wait_s * 10;; tries--) {
        int fd = chaos_console_connect(ctx, domid);
        if (fd >= 0 || tries <= 0 || (fd != -ENOENT && fd != -ECONNREFUSED))
            return fd;
        nanosleep(&pause, NULL);
    }
}

static int parse_args(int argc, char **argv, long *wait_s, const char **domain)
{
    static const struct option opts[] = {
        { "wait", required_argument, NULL, 'w' },
        { NULL, 0, NULL, 0 },
    };
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "w:", opts, NULL)) != -1) {
        char *end;
        if (c != 'w')
            return -1;
        errno = 0;
        *wait_s = strtol(optarg, &end, 10);
        if (errno || end == optarg || *end || *wait_s < 0 || *wait_s > 3600) {
            cmd_error("console: --wait wants seconds (0-3600), not '%s'",
                      optarg);
            return -1;
        }
    }
    if (argc - optind != 1) {
        cmd_error("console: expected one DOMAIN; `chaos console --help`");
        return -1;
    }
    *domain = argv[optind];
    return 0;
}

int cmd_console(int argc, char **argv)
{
    long wait_s = 5;
    const char *domain;
    if (parse_args(argc, argv, &wait_s, &domain) < 0)
        return EXIT_USAGE;

    chaos_ctx *ctx = cmd_open_ctx(NULL);
    if (!ctx)
        return EXIT_FAIL;
    chaos_domid domid;
    int sock = chaos_domain_lookup(ctx, domain, &domid);
    if (sock >= 0)
        sock = connect_console(ctx, domid, wait_s);
    if (sock < 0) {
        cmd_error("console: %s", chaos_errmsg(ctx));
        chaos_close(ctx);
        return EXIT_FAIL;
    }
    chaos_close(ctx);

    /* Stop signals are handled only inside ppoll(), and end the bridge
     * like a detach, so the terminal is always restored. */
    sigset_t stops, wait_mask;
    sigemptyset(&stops);
    int sigs[] = { SIGTERM, SIGHUP, SIGINT, SIGQUIT };
    struct sigaction sa = { .sa_handler = on_stop_signal };
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < N_ELEMENTS(sigs); i++) {
        sigaddset(&stops, sigs[i]);
        sigaction(sigs[i], &sa, NULL);
    }
    sigprocmask(SIG_BLOCK, &stops, &wait_mask);
    for (size_t i = 0; i < N_ELEMENTS(sigs); i++)
        sigdelset(&wait_mask, sigs[i]);

    struct terminal term;
    terminal_raw(&term);
    int err = 0;
    enum outcome how = bridge(sock, term.raw, &wait_mask, &err);
    terminal_restore(&term);
    close(sock);

    switch (how) {
        case DETACHED:
            return EXIT_OK;
        case CLOSED:
            fprintf(stderr, "\r\nchaos: the console of domain %u closed\n",
                    domid);
            return EXIT_OK;
        case STOPPED:
            /* Die of the signal as if we had not caught it (the terminal is
         * restored now), so the caller sees why we stopped. */
            signal(stop_signal, SIG_DFL);
            sigprocmask(SIG_UNBLOCK, &stops, NULL);
            raise(stop_signal);
            return EXIT_FAIL;
        case FAILED:
            break;
    }
    cmd_error("console: %s", strerror(err));
    return EXIT_FAIL;
}
