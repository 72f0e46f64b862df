/*
 * metrics_server.c - the metrics_listen socket: a tiny HTTP responder on
 * chaosd's loop that answers "GET /metrics" with the Prometheus text
 * (metrics.c formats it) and closes.  Off unless metrics_listen is set.
 *
 * Why a socket and not a textfile for node_exporter: it is what a
 * Prometheus operator expects of a daemon, the numbers are those of the
 * moment of the scrape (no period to choose, no file in a directory that
 * another package owns), and nothing runs when nobody scrapes.
 *
 * What a client can do to chaosd through it: at most MAX_CONNS
 * connections are served at once (others are closed at once), each reads
 * at most METRICS_HTTP_MAX_REQUEST bytes and lives at most CONN_TIMEOUT_MS,
 * and gets one response, then the connection closes.  Building the text
 * costs one domain list (one hypercall and the registry's names).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "metrics.h"

#define MAX_CONNS 16
#define CONN_TIMEOUT_MS 5000

struct metrics_conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_write_t write;
    uv_shutdown_t shutdown;
    struct metrics_server *srv;
    unsigned open_handles; /* freed when both handles closed */
    bool closing;
    bool responded, written, peer_done;
    size_t len;
    char buf[METRICS_HTTP_MAX_REQUEST];
    char *response;
    struct metrics_conn *next;
};

struct metrics_server {
    struct chaosd *d;
    uv_tcp_t listener;
    bool listener_closed;
    struct metrics_conn *conns;
    unsigned n_conns;
};

/* ------------------------------------------------------------ the text */

/* The vifs and disks of the guests in s (their supervisors' back ends'
 * counters): a malloc'd array in s, NULL when there are none. */
static int device_samples(struct chaosd *d, struct metrics_snapshot *s)
{
    unsigned total = 0;
    for (unsigned i = 0; i < s->n_guests; i++) {
        const struct guest *g = guest_find(d, s->guests[i].domid);
        total += chaos_supervisor_device_stats(g->sup, NULL, 0);
    }
    if (!total)
        return 0;
    struct metrics_device *md = calloc(total, sizeof(*md));
    struct chaos_device_stats *st = calloc(total, sizeof(*st));
    if (!md || !st) {
        free(md);
        free(st);
        return -ENOMEM;
    }
    unsigned n = 0;
    for (unsigned i = 0; i < s->n_guests && n < total; i++) {
        const struct guest *g = guest_find(d, s->guests[i].domid);
        unsigned k = chaos_supervisor_device_stats(g->sup, st, total - n);
        for (unsigned j = 0; j < k && n < total; j++, n++)
            md[n] = (struct metrics_device){ .domid = s->guests[i].domid,
                                             .name = s->guests[i].name,
                                             .net = st[j].net,
                                             .devid = st[j].devid,
                                             .tx_bytes = st[j].tx_bytes,
                                             .tx_packets = st[j].tx_packets,
                                             .rx_bytes = st[j].rx_bytes,
                                             .rx_packets = st[j].rx_packets };
    }
    free(st);
    s->devices = md;
    s->n_devices = n;
    return 0;
}

static char *metrics_text(struct chaosd *d, size_t *len)
{
    struct metrics_flavor *fl = calloc(d->pool.n + 1, sizeof(*fl));
    struct chaos_dominfo *doms = NULL;
    int n = d->hv->domain_list(d->ctx, &doms);
    struct metrics_guest *gs = calloc(n > 0 ? (size_t)n : 1, sizeof(*gs));
    char *text = NULL;
    if (!fl || !gs)
        goto out;
    for (unsigned i = 0; i < d->pool.n; i++) {
        const struct pool_flavor *pf = &d->pool.flavors[i];
        fl[i] =
            (struct metrics_flavor){ .name = pf->f.name,
                                     .restore = pf->f.restore,
                                     .is_template = pf->f.template_cfg[0] != 0,
                                     .target = pf->f.pool,
                                     .idle = pf->n_idle,
                                     .filling = pf->filling,
                                     .handed_out = pf->handed_out,
                                     .fill_failures = pf->fill_failures };
    }
    struct metrics_snapshot s = {
        .m = &d->metrics,
        .flavors = fl,
        .n_flavors = d->pool.n,
        .idle_memory_bytes = pool_used_mib(&d->pool) << 20,
        .idle_memory_budget_bytes = d->pool.budget_mib << 20,
        .clients = d->n_clients,
        .guests = gs,
    };
    for (struct guest *g = d->guests; g; g = g->next)
        s.guests_served += g->sup != NULL;
    if (n < 0)
        log_warn("metrics: cannot list domains: %s", d->hv->errmsg(d->ctx));
    /* Per-guest samples for the guests chaosd serves, named as `chaos
     * list` names them (libchaos's registry). */
    for (int i = 0; i < n; i++) {
        const struct guest *g = guest_find(d, doms[i].domid);
        if (!g || !g->sup)
            continue;
        gs[s.n_guests++] = (struct metrics_guest){
            .domid = doms[i].domid,
            .name = doms[i].name[0] ? doms[i].name : g->name,
            .state = chaos_dom_state_name(doms[i].state),
            .cpu_ns = doms[i].cpu_time_ns,
            .mem_bytes = doms[i].mem_bytes,
            .maxmem_bytes = doms[i].maxmem_bytes,
            .vcpus = doms[i].vcpus,
        };
    }
    if (device_samples(d, &s) == 0)
        text = metrics_render(&s, len);
    free((void *)s.devices);
out:
    if (n >= 0)
        d->hv->dominfo_free(doms);
    free(gs);
    free(fl);
    return text;
}

/* ------------------------------------------------------------ connections */

static void on_conn_handle_closed(uv_handle_t *h)
{
    struct metrics_conn *c = h->data;
    if (--c->open_handles)
        return;
    struct metrics_server *srv = c->srv;
    for (struct metrics_conn **p = &srv->conns; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            break;
        }
    srv->n_conns--;
    free(c->response);
    free(c);
    if (srv->listener_closed && !srv->conns)
        free(srv);
}

static void conn_close(struct metrics_conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    uv_close((uv_handle_t *)&c->tcp, on_conn_handle_closed);
    uv_close((uv_handle_t *)&c->timer, on_conn_handle_closed);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    if (status < 0)
        conn_close(req->data);
}

/*
 * The response is out: send FIN, and close once the client did (or the
 * timer fires).  Closing at once would make the kernel answer bytes the
 * client sent after the request head (a refused oversized head) with a
 * reset, which can destroy the response before the client read it.
 */
static void on_written(uv_write_t *req, int status)
{
    struct metrics_conn *c = req->data;
    c->written = true;
    c->shutdown.data = c;
    if (status < 0 || c->peer_done ||
        uv_shutdown(&c->shutdown, (uv_stream_t *)&c->tcp, on_shutdown) < 0)
        conn_close(c);
}

static void respond(struct metrics_conn *c, enum metrics_http_verdict v,
                    bool head)
{
    struct chaosd *d = c->srv->d;
    c->responded = true;
    size_t body_len = 0;
    char *body = NULL;
    if (v == METRICS_HTTP_OK && !(body = metrics_text(d, &body_len)))
        v = METRICS_HTTP_ERROR;
    if (!body) {
        char msg[64];
        snprintf(msg, sizeof(msg), "%s\n", metrics_http_reason(v));
        body = strdup(msg);
        body_len = body ? strlen(body) : 0;
    }
    char hdr[256];
    int n =
        snprintf(hdr, sizeof(hdr),
                 "HTTP/1.0 %d %s\r\n"
                 "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                 "Content-Length: %zu\r\n"
                 "%s"
                 "Connection: close\r\n\r\n",
                 (int)v, metrics_http_reason(v), body_len,
                 v == METRICS_HTTP_METHOD ? "Allow: GET, HEAD\r\n" : "");
    size_t total = (size_t)n + (head ? 0 : body_len);
    c->response = body ? malloc(total) : NULL;
    if (!c->response) {
        free(body);
        conn_close(c);
        return;
    }
    memcpy(c->response, hdr, (size_t)n);
    if (!head)
        memcpy(c->response + n, body, body_len);
    free(body);
    uv_buf_t buf = uv_buf_init(c->response, (unsigned)total);
    c->write.data = c;
    if (uv_write(&c->write, (uv_stream_t *)&c->tcp, &buf, 1, on_written) < 0)
        conn_close(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct metrics_conn *c = h->data;
    (void)suggested;
    /* After the response, what the client still sends is read and
     * dropped (into the start of buf). */
    size_t used = c->responded ? 0 : c->len;
    *buf = uv_buf_init(c->buf + used, (unsigned)(sizeof(c->buf) - used));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct metrics_conn *c = s->data;
    (void)buf;
    if (n < 0) {
        /* The client is done: close, unless our response is still being
         * written (on_written closes then). */
        c->peer_done = true;
        uv_read_stop(s);
        if (!c->responded || c->written)
            conn_close(c);
        return;
    }
    if (c->responded)
        return;
    c->len += (size_t)n;
    bool head;
    enum metrics_http_verdict v = metrics_http_parse(c->buf, c->len, &head);
    if (v != METRICS_HTTP_MORE)
        respond(c, v, head);
}

static void on_timeout(uv_timer_t *t)
{
    conn_close(t->data);
}

static void on_connection(uv_stream_t *server, int status)
{
    struct metrics_server *srv = server->data;
    if (status < 0)
        return;
    struct metrics_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return;
    c->srv = srv;
    uv_tcp_init(srv->d->loop, &c->tcp);
    uv_timer_init(srv->d->loop, &c->timer);
    c->tcp.data = c->timer.data = c;
    c->open_handles = 2;
    c->next = srv->conns;
    srv->conns = c;
    srv->n_conns++;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0 ||
        srv->n_conns > MAX_CONNS || srv->d->stopping) {
        conn_close(c);
        return;
    }
    uv_timer_start(&c->timer, on_timeout, CONN_TIMEOUT_MS, 0);
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

/* ------------------------------------------------------------ start, stop */

static void on_listener_closed(uv_handle_t *h)
{
    struct metrics_server *srv = h->data;
    srv->listener_closed = true;
    if (!srv->conns)
        free(srv);
}

int metrics_listen(struct chaosd *d)
{
    const char *spec = d->conf.metrics_listen;
    if (!spec[0])
        return 0;
    char host[64];
    unsigned port;
    struct sockaddr_storage sa;
    int rc = chaosd_conf_split_listen(spec, host, sizeof(host), &port);
    if (rc == 0)
        rc = strchr(host, ':')
                 ? uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)&sa)
                 : uv_ip4_addr(host, (int)port, (struct sockaddr_in *)&sa);
    struct metrics_server *srv = rc ? NULL : calloc(1, sizeof(*srv));
    if (!srv) {
        log_warn("metrics_listen %s: %s", spec,
                 rc ? uv_strerror(rc) : "out of memory");
        return rc ? rc : -ENOMEM;
    }
    srv->d = d;
    uv_tcp_init(d->loop, &srv->listener);
    srv->listener.data = srv;
    rc = uv_tcp_bind(&srv->listener, (struct sockaddr *)&sa, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&srv->listener, 16, on_connection);
    d->metrics_srv = srv;
    if (rc < 0) {
        log_warn("metrics_listen %s: %s", spec, uv_strerror(rc));
        metrics_close(d);
        return rc;
    }
    log_info("metrics on http://%s/metrics", spec);
    return 0;
}

void metrics_close(struct chaosd *d)
{
    struct metrics_server *srv = d->metrics_srv;
    if (!srv)
        return;
    d->metrics_srv = NULL;
    for (struct metrics_conn *c = srv->conns; c; c = c->next)
        conn_close(c);
    uv_close((uv_handle_t *)&srv->listener, on_listener_closed);
}
