/*
 * http: a minimal HTTP/1.0 responder on the first network device.
 * GET /bytes/N (1 <= N <= 1 GiB) answers N bytes of text, the 64-byte line
 * BYTES_LINE over and over (cut short at the end), streamed as the peer
 * acknowledges it: a download for throughput measurements.  Any other GET
 * gets the same small page, naming the guest and its boot time.  Anything
 * else (another method, a malformed request line, a bad N, a request over
 * 512 bytes, a peer that closes before the end of its headers) gets 400.
 * The connection is closed after each response.  Runs until dom0 shuts
 * the guest down.
 *
 * Command line: ip=A.B.C.D/LEN (required), gw=A.B.C.D, port=N (default
 * 80), name=NAME (default "chaos"; letters, digits, '.', '_', '-').
 */
#include "clock.h"
#include "cmdline.h"
#include "format.h"
#include "kernel.h"
#include "klib.h"
#include "netapp.h"

#define NAME_MAX 63
#define REQUEST_MAX 512
#define BYTES_PREFIX "/bytes/"
#define BYTES_MAX (1ull << 30)
#define BYTES_LINE \
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-\n"
#define BYTES_LINE_LEN (sizeof(BYTES_LINE) - 1)
/* The body is handed to the stack from bytes_text in pieces of up to
 * BYTES_CHUNK, starting at any offset within the line. */
#define BYTES_CHUNK 4096

_Static_assert(BYTES_LINE_LEN == 64, "BYTES_LINE is 64 bytes");

struct request {
    char text[REQUEST_MAX];
    size_t len;
    bool line_ok; /* the request line was a GET */
    bool answered;
    uint64_t body_len;  /* /bytes/N: N (0: the page) */
    uint64_t body_sent; /* of which the stack has taken */
};

static struct netapp app;
static struct request requests[NETSTACK_TCP_CONNS];
static char page[1024];
static size_t page_len;
static char bytes_text[BYTES_CHUNK + BYTES_LINE_LEN];

/* Whatever precedes the body goes into an empty send buffer at once. */
_Static_assert(sizeof(page) <= NETSTACK_TCP_SNDBUF, "the page fits");

static const char bad_request[] = "HTTP/1.0 400 Bad Request\r\n"
                                  "Content-Type: text/plain\r\n"
                                  "Content-Length: 12\r\n"
                                  "Connection: close\r\n"
                                  "\r\n"
                                  "bad request\n";

/* The name goes into HTML unescaped, so it may hold no markup. */
static bool name_ok(const char *s, size_t len)
{
    size_t i;

    if (len == 0 || len > NAME_MAX)
        return false;
    for (i = 0; i < len; i++) {
        char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* The page is the same for every request: made once. */
static void make_page(const char *name, int name_len, uint64_t boot_ns)
{
    char body[512];
    uint64_t entry_ns = kernel_entry_age_ns();
    int body_len;

    body_len = fmt_snprintf(
        body, sizeof(body),
        "<!DOCTYPE html>\n<html><head><title>%.*s</title></head><body>\n"
        "<h1>%.*s</h1>\n<p>chaos unikernel (%s): app_main ran %llu.%03llu "
        "ms after vCPU 0 was created (kernel entry at %llu.%03llu ms)."
        "</p>\n</body></html>\n",
        name_len, name, name_len, name, kernel_boot_mode(),
        (unsigned long long)(boot_ns / 1000000),
        (unsigned long long)(boot_ns / 1000 % 1000),
        (unsigned long long)(entry_ns / 1000000),
        (unsigned long long)(entry_ns / 1000 % 1000));
    page_len = (size_t)fmt_snprintf(page, sizeof(page),
                                    "HTTP/1.0 200 OK\r\n"
                                    "Content-Type: text/html\r\n"
                                    "Content-Length: %d\r\n"
                                    "Connection: close\r\n"
                                    "\r\n"
                                    "%s",
                                    body_len, body);
}

static const char *find(const char *s, size_t len, const char *what)
{
    size_t n = strlen(what), i;

    for (i = 0; i + n <= len; i++)
        if (memcmp(s + i, what, n) == 0)
            return s + i;
    return NULL;
}

static void respond(struct netstack *ns, struct netstack_tcp *conn,
                    struct request *r, const char *text, size_t len)
{
    /* Both responses fit the send buffer (NETSTACK_TCP_SNDBUF). */
    netstack_tcp_send(ns, conn, text, len);
    netstack_tcp_close(ns, conn);
    r->answered = true;
}

/* Hands the stack as much of a /bytes/N body as it takes; closes after the
 * last byte.  NETSTACK_TCP_WRITABLE calls it again when there is room. */
static void send_body(struct netstack *ns, struct netstack_tcp *conn,
                      struct request *r)
{
    while (r->body_sent < r->body_len) {
        uint64_t left = r->body_len - r->body_sent;
        size_t chunk = left < BYTES_CHUNK ? (size_t)left : BYTES_CHUNK;
        size_t took = netstack_tcp_send(
            ns, conn, bytes_text + r->body_sent % BYTES_LINE_LEN, chunk);

        r->body_sent += took;
        if (took < chunk)
            return;
    }
    netstack_tcp_close(ns, conn);
}

static void respond_bytes(struct netstack *ns, struct netstack_tcp *conn,
                          struct request *r)
{
    char head[160];
    int len = fmt_snprintf(head, sizeof(head),
                           "HTTP/1.0 200 OK\r\n"
                           "Content-Type: text/plain\r\n"
                           "Content-Length: %llu\r\n"
                           "Connection: close\r\n"
                           "\r\n",
                           (unsigned long long)r->body_len);

    r->answered = true;
    if (netstack_tcp_send(ns, conn, head, (size_t)len) != (size_t)len) {
        netstack_tcp_close(ns, conn); /* cannot send: no body either */
        r->body_len = 0;
        return;
    }
    send_body(ns, conn, r);
}

/* "GET <target> HTTP/1.x", the first line (line_len excludes the LF); the
 * target in *target, *target_len. */
static bool parse_get(const char *line, size_t line_len, const char **target,
                      size_t *target_len)
{
    const char *version;

    if (line_len > 0 && line[line_len - 1] == '\r')
        line_len--;
    if (line_len < 4 || memcmp(line, "GET ", 4) != 0)
        return false;
    version = find(line, line_len, " HTTP/1.");
    if (version == NULL || version <= line + 4 ||
        (size_t)(version - line) + 9 != line_len)
        return false;
    *target = line + 4;
    *target_len = (size_t)(version - *target);
    return true;
}

/* /bytes/N sets *body_len to N (1..BYTES_MAX, decimal digits only); any
 * other target leaves it 0, for the page.  false: a bad N. */
static bool parse_target(const char *t, size_t len, uint64_t *body_len)
{
    const size_t plen = sizeof(BYTES_PREFIX) - 1;
    uint64_t n = 0;
    size_t i;

    *body_len = 0;
    if (len < plen || memcmp(t, BYTES_PREFIX, plen) != 0)
        return true;
    if (len == plen)
        return false;
    for (i = plen; i < len; i++) {
        if (t[i] < '0' || t[i] > '9')
            return false;
        n = n * 10 + (uint64_t)(t[i] - '0'); /* n <= BYTES_MAX: no overflow */
        if (n > BYTES_MAX)
            return false;
    }
    *body_len = n;
    return n > 0;
}

/* Decides once enough of the request is in. */
static void request_data(struct netstack *ns, struct netstack_tcp *conn,
                         struct request *r, const void *data, size_t len)
{
    const char *lf, *target;
    size_t target_len;

    if (r->answered)
        return;
    if (len > REQUEST_MAX - r->len) {
        respond(ns, conn, r, bad_request, sizeof(bad_request) - 1);
        return;
    }
    memcpy(r->text + r->len, data, len);
    r->len += len;
    if (!r->line_ok) {
        lf = find(r->text, r->len, "\n");
        if (lf == NULL)
            return;
        if (!parse_get(r->text, (size_t)(lf - r->text), &target, &target_len) ||
            !parse_target(target, target_len, &r->body_len)) {
            respond(ns, conn, r, bad_request, sizeof(bad_request) - 1);
            return;
        }
        r->line_ok = true;
    }
    /* The headers end at an empty line (LF alone tolerated). */
    if (!find(r->text, r->len, "\r\n\r\n") && !find(r->text, r->len, "\n\n"))
        return;
    if (r->body_len > 0)
        respond_bytes(ns, conn, r);
    else
        respond(ns, conn, r, page, page_len);
}

static void http_event(void *arg, struct netstack *ns,
                       struct netstack_tcp *conn, enum netstack_tcp_event event,
                       const void *data, size_t len)
{
    struct request *r = &requests[netstack_tcp_index(ns, conn)];

    switch (event) {
        case NETSTACK_TCP_OPEN:
        case NETSTACK_TCP_GONE:
            memset(r, 0, sizeof(*r));
            break;
        case NETSTACK_TCP_DATA:
            request_data(ns, conn, r, data, len);
            break;
        case NETSTACK_TCP_WRITABLE:
            if (r->answered && r->body_len > 0)
                send_body(ns, conn, r);
            break;
        case NETSTACK_TCP_PEER_CLOSED:
            if (!r->answered)
                respond(ns, conn, r, bad_request, sizeof(bad_request) - 1);
            break;
    }
}

int app_main(const char *cmdline)
{
    uint64_t boot_ns = clock_vcpu_age_ns();
    const char *name = "chaos";
    size_t name_len = 5;
    struct cmdline_word w;
    uint16_t port;
    int status;

    if (cmdline_find(cmdline, "name", &w)) {
        if (w.value == NULL || !name_ok(w.value, w.value_len)) {
            kprintf("http: bad name= (1..%d of a-z A-Z 0-9 . _ -)\n", NAME_MAX);
            return 2;
        }
        name = w.value;
        name_len = w.value_len;
    }
    if (!netapp_port("http", cmdline, 80, &port))
        return 2;
    status = netapp_start(&app, "http", cmdline);
    if (status != 0)
        return status;
    make_page(name, (int)name_len, boot_ns);
    for (size_t i = 0; i < sizeof(bytes_text); i++)
        bytes_text[i] = BYTES_LINE[i % BYTES_LINE_LEN];
    if (netstack_tcp_listen(&app.ns, port, http_event, NULL) != 0) {
        kprintf("http: cannot listen on port %u\n", port);
        return 1;
    }
    netapp_ready(&app, "tcp", port);
    netapp_run(&app);
}
