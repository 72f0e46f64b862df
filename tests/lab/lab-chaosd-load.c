/*
 * lab-chaosd-load: a long-lived client on chaosd's socket, as an
 * orchestrator is, for the benchmarks (tools/bench/pool-bench).
 *
 *   lab-chaosd-load TEMPLATE N CONCURRENCY PREFIX [SOCKET]
 *
 * Sends N create requests, at most CONCURRENCY in flight, each on its own
 * connection (opened once, before the first request, and kept): the
 * config is TEMPLATE's text with every "@NAME@" replaced by PREFIX-i
 * (i = 1..N).  For each create it prints one CSV line, in the order
 * replies come:
 *   PREFIX,i,reply_ms,first_line_ms,path,request_ms,exec_ms
 * reply_ms: from sending the request to chaosd's reply; first_line_ms:
 * from sending until /var/log/chaos/console/PREFIX-i.log holds a line
 * (empty after 60 s); path, request_ms and exec_ms: from chaosd's reply
 * (exec_ms: its timings' total_ms, libchaos's own part of request_ms).  Exits
 * 1 at the first failed create (its reply on stderr).  With
 * $LAB_LOAD_GAP_MS, a connection waits that long after a create's first
 * line before its next create (chaosd's refills done: what a create costs
 * with no refill beside it).
 *
 * libc only (no json-c, no Xen libraries), so nothing but chaosd's answer
 * and the guest's start is measured.  The replies are picked apart with
 * strstr: they are chaosd's own, in the format docs/chaosd.md gives.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lab-util.h"

#define MAX_CONNS 16 /* chaosd serves at most 16 connections */
#define LINE_WAIT_MS 60e3

struct create {
    long n;         /* 0: the slot is free */
    double sent;    /* when the request went out */
    double replied; /* 0 until the reply came */
    double next_at; /* the slot's next create not before (the gap) */
    char path[16];
    char request_ms[32];
    char exec_ms[32];
};

static int connect_to(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        perror("connect");
        exit(1);
    }
    return fd;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        exit(1);
    }
    static char text[16384];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    return text;
}

/* The create request for guest NAME: TEMPLATE with @NAME@ replaced, as
 * a JSON string. */
static size_t request(char *out, size_t size, const char *tmpl,
                      const char *name, long id)
{
    size_t n = (size_t)snprintf(
        out, size, "{\"v\":1,\"op\":\"create\",\"id\":%ld,\"config\":\"", id);
    for (const char *p = tmpl; *p && n < size - 64; p++) {
        if (!strncmp(p, "@NAME@", 6)) {
            n += (size_t)snprintf(out + n, size - n, "%s", name);
            p += 5;
        } else if (*p == '"' || *p == '\\') {
            out[n++] = '\\';
            out[n++] = *p;
        } else if (*p == '\n') {
            out[n++] = '\\';
            out[n++] = 'n';
        } else if ((unsigned char)*p >= 0x20) {
            out[n++] = *p;
        }
    }
    return n + (size_t)snprintf(out + n, size - n, "\"}\n");
}

/* Copies the value of "KEY": in LINE (a string without its quotes, or a
 * number) into OUT; empty when absent. */
static void field(const char *line, const char *key, char *out, size_t size)
{
    char pat[40];
    snprintf(pat, sizeof(pat), "\"%s\":", key);
    const char *p = strstr(line, pat);
    size_t n = 0;
    if (p) {
        p += strlen(pat);
        while (*p == ' ' || *p == '"')
            p++;
        while (*p && *p != '"' && *p != ',' && *p != '}' && n < size - 1)
            out[n++] = *p++;
    }
    out[n] = '\0';
}

static int has_line(const char *prefix, long n)
{
    char path[256];
    snprintf(path, sizeof(path), "/var/log/chaos/console/%s-%ld.log", prefix,
             n);
    return lab_log_has_line(path);
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: lab-chaosd-load TEMPLATE N CONCURRENCY "
                        "PREFIX [SOCKET]\n");
        return 2;
    }
    const char *tmpl = read_file(argv[1]);
    long total = atol(argv[2]), conns = atol(argv[3]);
    const char *gap = getenv("LAB_LOAD_GAP_MS");
    double gap_ms = gap ? atof(gap) : 0;
    const char *prefix = argv[4];
    if (total < 1 || conns < 1 || conns > MAX_CONNS) {
        fprintf(stderr, "lab-chaosd-load: N >= 1, 1 <= CONCURRENCY <= %d\n",
                MAX_CONNS);
        return 2;
    }
    struct pollfd pfd[MAX_CONNS];
    struct create slot[MAX_CONNS] = { 0 };
    static char inbuf[MAX_CONNS][65536];
    size_t inlen[MAX_CONNS] = { 0 };
    for (long c = 0; c < conns; c++)
        pfd[c] = (struct pollfd){
            .fd = connect_to(argc > 5 ? argv[5] : "/run/chaos/chaosd.sock"),
            .events = POLLIN
        };
    long next = 1, done = 0;
    while (done < total) {
        for (long c = 0; c < conns; c++) {
            struct create *s = &slot[c];
            if (s->n == 0 && next <= total && lab_now_ms() >= s->next_at) {
                /* A free connection: its next create. */
                static char req[65536], name[128];
                snprintf(name, sizeof(name), "%s-%ld", prefix, next);
                size_t len = request(req, sizeof(req), tmpl, name, next);
                *s = (struct create){ .n = next++, .sent = lab_now_ms() };
                if (write(pfd[c].fd, req, len) != (ssize_t)len) {
                    perror("write");
                    return 1;
                }
            } else if (s->n != 0 && s->replied > 0) {
                /* Replied: waiting for the guest's first console line. */
                double t = lab_now_ms();
                int line = has_line(prefix, s->n);
                if (line || t - s->sent > LINE_WAIT_MS) {
                    printf("%s,%ld,%.3f,", prefix, s->n, s->replied - s->sent);
                    if (line)
                        printf("%.3f", t - s->sent);
                    printf(",%s,%s,%s\n", s->path, s->request_ms, s->exec_ms);
                    fflush(stdout);
                    s->n = 0;
                    s->next_at = t + gap_ms;
                    done++;
                    c--; /* its next create, at once unless a gap */
                }
            }
        }
        if (poll(pfd, (nfds_t)conns, 1) < 0) {
            perror("poll");
            return 1;
        }
        for (long c = 0; c < conns; c++) {
            if (!(pfd[c].revents & (POLLIN | POLLHUP)))
                continue;
            ssize_t r = read(pfd[c].fd, inbuf[c] + inlen[c],
                             sizeof(inbuf[c]) - 1 - inlen[c]);
            if (r <= 0) {
                fprintf(stderr, "lab-chaosd-load: chaosd closed the "
                                "connection\n");
                return 1;
            }
            inlen[c] += (size_t)r;
            inbuf[c][inlen[c]] = '\0';
            char *nl = strchr(inbuf[c], '\n');
            if (!nl)
                continue;
            /* One request in flight per connection: this is its reply. */
            *nl = '\0';
            if (!strstr(inbuf[c], "\"ok\":true")) {
                fprintf(stderr, "lab-chaosd-load: %s-%ld: %s\n", prefix,
                        slot[c].n, inbuf[c]);
                return 1;
            }
            slot[c].replied = lab_now_ms();
            field(inbuf[c], "path", slot[c].path, sizeof(slot[c].path));
            field(inbuf[c], "request_ms", slot[c].request_ms,
                  sizeof(slot[c].request_ms));
            field(inbuf[c], "total_ms", slot[c].exec_ms,
                  sizeof(slot[c].exec_ms));
            size_t rest = inlen[c] - (size_t)(nl + 1 - inbuf[c]);
            memmove(inbuf[c], nl + 1, rest);
            inlen[c] = rest;
        }
    }
    return 0;
}
