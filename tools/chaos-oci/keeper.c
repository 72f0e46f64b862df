/*
 * keeper.c - the process whose pid is the container's (oci.h): it lives
 * exactly as long as the guest, serves it with a libchaos supervisor (the
 * same object the monitor of `chaos create` and chaosd use), copies the
 * console to its stdout and its stdin to the console, and exits with the
 * program's status.  The runc shim, a subreaper, waits for it as it would
 * for a container's first process.
 *
 * Stdin without a terminal is framed (tinyx/stdin_frame.h: tinyx-stdin
 * decodes it in the guest into the program's stdin, a pipe) and held
 * until tinyx-stdin's ready line (oci_output.h): before it the console is
 * a cooked tty that would echo and edit it.  Its end is sent as a frame,
 * so the program reads end of file.  With a terminal, the bytes go as
 * they are, at once.  Writes to the console never block (the keeper may
 * be the very server that must drain them): what the socket does not
 * take waits in a buffer, and stdin is read only when that is empty.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "oci.h"
#include "oci_output.h"
#include "stdin_frame.h"

#define STDIN_CHUNK 4096
/* The last bytes of console output the keeper keeps, to check that the
 * console log continues what it followed (catch_up_from_log). */
#define SEEN_TAIL 64

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
    stop_signal = sig;
}

struct keeper {
    const char *dir;
    chaos_domid domid;
    FILE *log; /* ROOT/ID/keeper.log: stderr is the container's */
    int console;
    bool console_open; /* no end of stream or error on it yet */
    bool framed;       /* no terminal: stdin framed, after the ready line */
    bool stdin_open;
    struct oci_output out;
    /* Console output followed so far (through chaosd): its byte count and
     * last bytes; log_path: where chaosd logs it (catch_up_from_log). */
    uint64_t seen;
    char seen_tail[SEEN_TAIL];
    size_t seen_tail_len;
    char log_path[256];
    /* Stdin on its way to the console (encoded), not yet taken by it. */
    uint8_t pend[TX_STDIN_ENCODED_MAX(STDIN_CHUNK) + 2];
    size_t pend_off, pend_len;
};

static void say(struct keeper *k, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void say(struct keeper *k, const char *fmt, ...)
{
    if (!k->log)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(k->log, fmt, ap);
    va_end(ap);
    fputc('\n', k->log);
    fflush(k->log);
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* the reader is gone: the guest still runs */
        p += w;
        n -= (size_t)w;
    }
}

/* n bytes of console output through the filter to stdout, counted. */
static void take_output(struct keeper *k, const char *in, size_t n)
{
    char out[4096 + OCI_OUTPUT_SLACK];
    while (n > 0) {
        size_t chunk = n < 4096 ? n : 4096;
        bool was_ready = k->out.stdin_ready;
        size_t m = oci_output_feed(&k->out, in, chunk, out);
        write_all(STDOUT_FILENO, out, m);
        if (!was_ready && k->out.stdin_ready)
            say(k, "tinyx-stdin is ready: sending stdin");
        /* The tail: the last SEEN_TAIL bytes of everything taken. */
        size_t keep = chunk < SEEN_TAIL ? chunk : SEEN_TAIL;
        size_t old = k->seen_tail_len + keep > SEEN_TAIL ? SEEN_TAIL - keep
                                                         : k->seen_tail_len;
        memmove(k->seen_tail, k->seen_tail + k->seen_tail_len - old, old);
        memcpy(k->seen_tail + old, in + chunk - keep, keep);
        k->seen_tail_len = old + keep;
        k->seen += chunk;
        in += chunk;
        n -= chunk;
    }
}

/* Console output to stdout; false at the end of the stream. */
static bool pump_console(struct keeper *k)
{
    char in[4096];
    ssize_t n = read(k->console, in, sizeof(in));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (n <= 0) {
        k->console_open = false;
        return false;
    }
    take_output(k, in, (size_t)n);
    return true;
}

/* Sends what the console takes now of the pending stdin.  A failing
 * socket keeps it: the console's end of stream follows (after which a
 * chaosd that adopts the guest may take it). */
static void flush_pending(struct keeper *k)
{
    while (k->pend_len > 0 && k->console_open) {
        ssize_t n = send(k->console, k->pend + k->pend_off, k->pend_len,
                         MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
                k->console_open = false;
            return;
        }
        k->pend_off += (size_t)n;
        k->pend_len -= (size_t)n;
    }
    if (k->pend_len == 0)
        k->pend_off = 0;
}

/* Whether stdin is read now: it is open, the guest is ready for it, and
 * what was read before is gone. */
static bool want_stdin(const struct keeper *k)
{
    return k->stdin_open && k->out.stdin_ready && k->pend_len == 0;
}

static void pump_stdin(struct keeper *k)
{
    uint8_t buf[STDIN_CHUNK];
    ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        /* The end (or an error, or no stdin at all): the program's stdin
         * ends too.  A terminal has no such frame. */
        k->stdin_open = false;
        if (k->framed)
            k->pend_len = tx_stdin_encode_eof(k->pend);
    } else if (k->framed) {
        k->pend_len = tx_stdin_encode(buf, (size_t)n, k->pend);
    } else {
        memcpy(k->pend, buf, (size_t)n);
        k->pend_len = (size_t)n;
    }
    k->pend_off = 0;
    flush_pending(k);
}

/* The keeper's own descriptors in a poll: the console (its output, and
 * room for pending stdin) and stdin. */
static void io_pollfds(const struct keeper *k, struct pollfd fds[2])
{
    short ev = POLLIN | (k->pend_len > 0 ? POLLOUT : 0);
    fds[0] = (struct pollfd){ .fd = k->console_open ? k->console : -1,
                              .events = ev };
    fds[1] = (struct pollfd){ .fd = want_stdin(k) ? STDIN_FILENO : -1,
                              .events = POLLIN };
}

/* After a poll: false once the console's stream ended. */
static bool io_handle(struct keeper *k, const struct pollfd fds[2])
{
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) && !pump_console(k))
        return false;
    if (fds[0].revents & POLLOUT)
        flush_pending(k);
    if (fds[1].revents)
        pump_stdin(k);
    return k->console_open;
}

static void catch_signals(sigset_t *wait_mask)
{
    static const int stops[] = { SIGTERM, SIGINT, SIGHUP };
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof(stops) / sizeof(*stops); i++)
        sigaddset(&set, stops[i]);
    sigprocmask(SIG_BLOCK, &set, wait_mask);
    struct sigaction sa = { .sa_handler = on_stop };
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(stops) / sizeof(*stops); i++) {
        sigdelset(wait_mask, stops[i]);
        sigaction(stops[i], &sa, NULL);
    }
    signal(SIGPIPE, SIG_IGN);
}

/* Asks the guest to shut down, as `chaos-oci kill ID TERM` does. */
static void stop_guest(struct keeper *k, chaos_ctx *ctx)
{
    say(k, "signal %d: asking the guest to shut down", (int)stop_signal);
    stop_signal = 0;
    if (chaos_domain_shutdown(ctx, k->domid, CHAOS_SHUTDOWN_POWEROFF) < 0)
        say(k, "%s", chaos_errmsg(ctx));
}

static void serve(struct keeper *k, chaos_ctx *ctx, chaos_supervisor *sup)
{
    sigset_t wait_mask;
    catch_signals(&wait_mask);
    enum chaos_supervisor_state st;
    while ((st = chaos_supervisor_state(sup)) == CHAOS_SUPERVISOR_SERVING ||
           st == CHAOS_SUPERVISOR_RESTARTING) {
        /* Signalled itself (not through `chaos-oci kill`): ask the guest
         * to stop, as TERM would. */
        if (stop_signal)
            stop_guest(k, ctx);
        struct pollfd fds[CHAOS_SUPERVISOR_MAX_POLLFDS + 2];
        unsigned n =
            chaos_supervisor_pollfds(sup, fds, CHAOS_SUPERVISOR_MAX_POLLFDS);
        io_pollfds(k, fds + n);
        int wait = chaos_supervisor_timeout_ms(sup);
        struct timespec ts = { .tv_sec = wait / 1000,
                               .tv_nsec = (long)(wait % 1000) * 1000000 };
        int ready = ppoll(fds, n + 2, wait < 0 ? NULL : &ts, &wait_mask);
        if (ready < 0 && errno != EINTR) {
            say(k, "poll: %s", strerror(errno));
            return;
        }
        /* The supervisor ends the stream (chaos_supervisor_close). */
        if (ready > 0)
            io_handle(k, fds + n);
        if (chaos_supervisor_handle(ctx, sup, fds, ready > 0 ? n : 0) < 0)
            say(k, "%s", chaos_errmsg(ctx));
        const char *msg;
        while ((msg = chaos_supervisor_take_message(sup)))
            say(k, "%s", msg);
    }
}

/*
 * chaosd serves the guest: the keeper copies between its console socket
 * and stdio until chaosd closes the socket, which its supervisor does
 * once the guest is gone, after the last output (as the supervisor here
 * does in chaos_supervisor_close), or when chaosd stops.  ctx is only for
 * stop signals.
 */
static void follow(struct keeper *k, chaos_ctx *ctx, const sigset_t *wait_mask)
{
    for (;;) {
        if (stop_signal)
            stop_guest(k, ctx);
        struct pollfd fds[2];
        io_pollfds(k, fds);
        int ready = ppoll(fds, 2, NULL, wait_mask);
        if (ready < 0 && errno != EINTR) {
            say(k, "poll: %s", strerror(errno));
            return;
        }
        if (ready > 0 && !io_handle(k, fds))
            return;
    }
}

/* The container's exit status: what /init reported; 128+N when chaos-oci
 * kill destroyed the guest with signal N; else 255. */
static int exit_status(struct keeper *k)
{
    if (k->out.status >= 0)
        return k->out.status > 255 ? 255 : k->out.status;
    char path[4096];
    snprintf(path, sizeof(path), "%s/killed", k->dir);
    FILE *f = fopen(path, "re");
    int sig = 0;
    if (f) {
        if (fscanf(f, "%d", &sig) != 1)
            sig = 0;
        fclose(f);
    }
    return sig > 0 && sig < 128 ? 128 + sig : 255;
}

static void ready(int fd, const char *msg)
{
    char buf[1024];
    int n = snprintf(buf, sizeof(buf), "%s%s", msg ? "E" : "R", msg ? msg : "");
    write_all(fd, buf, n < 0 ? 0 : (size_t)n);
    close(fd);
}

/* Attaches to the console chaosd serves: the guest is paused, so nothing
 * is missed.  Its socket may come a moment after chaosd's reply.  As a
 * resuming client, here and in reattach(): the keeper copies the guest's
 * output exactly once, never a log's tail a server starts its backlog
 * with (an earlier guest's of the same name, or output the keeper copied
 * from the chaosd before). */
static int follow_connect(chaos_ctx *ctx, chaos_domid domid)
{
    for (int tries = 50;; tries--) {
        int fd = chaos_console_connect_resume(ctx, domid);
        if (fd >= 0 || tries <= 0 || (fd != -ENOENT && fd != -ECONNREFUSED))
            return fd;
        nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
    }
}

static int finish(struct keeper *k)
{
    char tail[OCI_OUTPUT_SLACK];
    write_all(STDOUT_FILENO, tail, oci_output_finish(&k->out, tail));
    close(k->console);
    int status = exit_status(k);
    say(k, "guest gone: exit status %d", status);
    if (k->log)
        fclose(k->log);
    return status;
}

/* The guest's domain is still there: the same Xen handle, running,
 * paused or shut down (a guest that ended is served until its supervisor
 * carries out its action), not dying. */
static bool still_there(chaos_ctx *ctx, chaos_domid domid,
                        const uint8_t uuid[16])
{
    struct chaos_dominfo info;
    return chaos_domain_info(ctx, domid, &info) == 0 &&
           !memcmp(info.uuid, uuid, 16) && info.state != CHAOS_DOM_DYING;
}

/* The console closed: the guest ended, or chaosd stopped and left it
 * (it does).  Attaches to the console's next server (a chaosd that
 * adopts the guest) while the domain is there, even once the guest has
 * ended (that server holds its last output: the status line); -1 once
 * the domain is gone and nobody serves its console.  Stop signals still
 * reach the guest. */
static int reattach(struct keeper *k, chaos_ctx *ctx, const uint8_t uuid[16],
                    const sigset_t *wait_mask)
{
    struct timespec tick = { .tv_nsec = 500000000 };
    for (bool said = false;; said = true) {
        if (stop_signal)
            stop_guest(k, ctx);
        int fd = chaos_console_connect_resume(ctx, k->domid);
        if (fd >= 0) {
            say(k, "following domain %u again", k->domid);
            return fd;
        }
        if (!still_there(ctx, k->domid, uuid))
            return -1;
        if (!said)
            say(k,
                "chaosd closed the console of domain %u, which is still "
                "there: waiting for a chaosd to serve it",
                k->domid);
        ppoll(NULL, 0, &tick, wait_mask);
    }
}

/*
 * The guest ended and its console's server is gone, and the keeper has
 * no status line: it ended while no keeper followed it (a chaosd that
 * adopted it carried out a shutdown before the keeper attached again).
 * chaosd's console log holds its output: what follows the bytes the
 * keeper took is what it missed, if the log is the same stream (it is
 * the container's own, written by each chaosd that served the guest; a
 * log that was rotated, or a chaosd that stopped with output its keeper
 * never got, makes it another: then nothing is taken, and the status
 * stays unknown).
 */
static void catch_up_from_log(struct keeper *k)
{
    if (k->out.status >= 0 || !k->log_path[0])
        return;
    int fd = open(k->log_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        say(k, "no status line, and no console log %s: %s", k->log_path,
            strerror(errno));
        return;
    }
    char tail[SEEN_TAIL];
    off_t at = (off_t)(k->seen - k->seen_tail_len);
    if (pread(fd, tail, k->seen_tail_len, at) != (ssize_t)k->seen_tail_len ||
        memcmp(tail, k->seen_tail, k->seen_tail_len) != 0) {
        say(k,
            "no status line, and the console log %s does not continue "
            "the output followed",
            k->log_path);
        close(fd);
        return;
    }
    uint64_t before = k->seen;
    char buf[4096];
    ssize_t n;
    while ((n = pread(fd, buf, sizeof(buf), (off_t)k->seen)) > 0)
        take_output(k, buf, (size_t)n);
    close(fd);
    say(k, "took %llu bytes the keeper missed from the console log %s%s",
        (unsigned long long)(k->seen - before), k->log_path,
        k->out.status >= 0 ? ", with the status line" : "");
}

static int keeper_follow(struct keeper *k, chaos_ctx *ctx, int ready_fd)
{
    struct chaos_dominfo info;
    if (chaos_domain_info(ctx, k->domid, &info) < 0) {
        ready(ready_fd, chaos_errmsg(ctx));
        chaos_close(ctx);
        return 255;
    }
    k->console = follow_connect(ctx, k->domid);
    if (k->console < 0) {
        ready(ready_fd, chaos_errmsg(ctx));
        chaos_close(ctx);
        return 255;
    }
    snprintf(k->log_path, sizeof(k->log_path), "%s/%s.log",
             CHAOS_CONSOLE_LOG_DIR, info.name);
    ready(ready_fd, NULL);
    say(k, "following domain %u, served by chaosd", k->domid);
    sigset_t wait_mask;
    catch_signals(&wait_mask);
    for (;;) {
        follow(k, ctx, &wait_mask);
        int fd = reattach(k, ctx, info.uuid, &wait_mask);
        if (fd < 0)
            break;
        close(k->console);
        k->console = fd;
        k->console_open = true; /* and pending stdin goes to it */
    }
    catch_up_from_log(k);
    chaos_close(ctx);
    return finish(k);
}

int oci_keeper_run(const char *dir, chaos_domid domid, bool terminal,
                   bool chaosd, int ready_fd)
{
    struct keeper k = { .dir = dir,
                        .domid = domid,
                        .console_open = true,
                        .framed = !terminal,
                        .stdin_open = true };
    oci_output_init(&k.out, terminal);
    char path[4096];
    snprintf(path, sizeof(path), "%s/keeper.log", dir);
    k.log = fopen(path, "ae");
    chaos_ctx *ctx;
    if (chaos_open(&ctx) < 0) {
        ready(ready_fd, chaos_errmsg(ctx));
        chaos_close(ctx);
        return 255;
    }
    if (chaosd)
        return keeper_follow(&k, ctx, ready_fd);
    snprintf(path, sizeof(path), "%s/console.log", dir);
    struct chaos_supervisor_options opts = { .log_path = path };
    chaos_supervisor *sup;
    if (chaos_supervisor_start(ctx, domid, &opts, &sup) < 0) {
        ready(ready_fd, chaos_errmsg(ctx));
        chaos_close(ctx);
        return 255;
    }
    /* Attached before the guest runs: it misses nothing.  The server is
     * ours (the supervisor's), so the connection completes now and is
     * accepted on the first handle(). */
    k.console = chaos_console_connect(ctx, domid);
    if (k.console < 0) {
        ready(ready_fd, chaos_errmsg(ctx));
        chaos_supervisor_close(ctx, sup);
        chaos_close(ctx);
        return 255;
    }
    ready(ready_fd, NULL);
    say(&k, "serving domain %u", domid);
    serve(&k, ctx, sup);
    /* Collects the last output, sends it to us and disconnects us. */
    chaos_supervisor_close(ctx, sup);
    while (pump_console(&k))
        ;
    chaos_close(ctx);
    return finish(&k);
}
