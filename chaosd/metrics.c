/*
 * metrics.c - chaosd's counters, the Prometheus text formatter and the
 * scrape request parser (see metrics.h).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "util.h"

const uint64_t metrics_bucket_ns[METRICS_N_BUCKETS] = {
    500000,     1000000,    2500000,     5000000,   10000000,
    25000000,   50000000,   100000000,   250000000, 500000000,
    1000000000, 2500000000, 10000000000,
};

/* The same bounds as text: the "le" labels never depend on how printf
 * rounds a double. */
static const char *const bucket_le[METRICS_N_BUCKETS] = {
    "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
    "0.1",    "0.25",  "0.5",    "1",     "2.5",  "10",
};

static const char *const path_names[METRICS_N_PATHS] = {
    [METRICS_PATH_POOL] = "pool",
    [METRICS_PATH_IMAGE] = "image",
    [METRICS_PATH_DIRECT] = "direct",
    [METRICS_PATH_RESTORE_POOL] = "restore_pool",
    [METRICS_PATH_RESTORE_DIRECT] = "restore_direct",
    [METRICS_PATH_TEMPLATE] = "template",
};

static const char *const cause_names[METRICS_N_CAUSES] = {
    [METRICS_FAIL_CREATE] = "create", [METRICS_FAIL_RESTORE] = "restore",
    [METRICS_FAIL_IMAGE] = "image",   [METRICS_FAIL_REFILL] = "refill",
    [METRICS_FAIL_RECORD] = "record", [METRICS_FAIL_TEMPLATE] = "template",
};

void metrics_created(struct chaosd_metrics *m, enum metrics_path path,
                     uint64_t ns)
{
    struct metrics_hist *h = &m->duration[path];
    m->creates[path]++;
    h->count++;
    h->sum_ns += ns;
    for (unsigned i = 0; i < METRICS_N_BUCKETS; i++)
        if (ns <= metrics_bucket_ns[i]) {
            h->bucket[i]++;
            break;
        }
}

void metrics_failed(struct chaosd_metrics *m, enum metrics_cause cause)
{
    m->failures[cause]++;
}

/* ------------------------------------------------------------ formatter */

/* A growing text; after a failed allocation every append is a no-op and
 * the result NULL. */
struct text {
    char *p;
    size_t len, cap;
    bool oom;
};

static void put(struct text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...)
{
    if (t->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->p ? t->p + t->len : NULL,
                          t->p ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->oom = true;
            return;
        }
        if (t->p && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap ? t->cap * 2 : 4096;
        while (cap <= t->len + (size_t)n)
            cap *= 2;
        char *p = realloc(t->p, cap);
        if (!p) {
            t->oom = true;
            return;
        }
        t->p = p;
        t->cap = cap;
    }
}

size_t metrics_escape_label(const char *value, char *out, size_t size)
{
    size_t n = 0;
    for (const char *s = value; *s; s++) {
        char esc = *s == '\\' ? '\\' : *s == '"' ? '"' : *s == '\n' ? 'n' : 0;
        char pair[2] = { esc ? '\\' : *s, esc };
        for (unsigned k = 0; k < (esc ? 2u : 1u); k++, n++)
            if (n + 1 < size)
                out[n] = pair[k];
    }
    if (size)
        out[n < size ? n : size - 1] = '\0';
    return n;
}

/* A label value, escaped, into t. */
static void put_label(struct text *t, const char *value)
{
    char small[128];
    size_t n = metrics_escape_label(value, small, sizeof(small));
    if (n < sizeof(small)) {
        put(t, "%s", small);
        return;
    }
    char *big = malloc(n + 1);
    if (!big) {
        t->oom = true;
        return;
    }
    metrics_escape_label(value, big, n + 1);
    put(t, "%s", big);
    free(big);
}

/* HELP and TYPE lines (help texts are constants without \ or newline). */
static void family(struct text *t, const char *name, const char *type,
                   const char *help)
{
    put(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void flavor_sample(struct text *t, const char *name,
                          const struct metrics_flavor *f, uint64_t v)
{
    put(t, "%s{flavor=\"", name);
    put_label(t, f->name);
    put(t, "\",kind=\"%s\"} %" PRIu64 "\n",
        f->restore       ? "restore"
        : f->is_template ? "template"
                         : "create",
        v);
}

static void pools(struct text *t, const struct metrics_snapshot *s)
{
    static const struct {
        const char *name, *type, *help;
    } fam[] = {
        { "chaosd_pool_target_shells", "gauge",
          "Idle shells a flavor's pool is kept at (its pool setting)." },
        { "chaosd_pool_idle_shells", "gauge",
          "Idle shells in a flavor's pool, ready to be handed out." },
        { "chaosd_pool_filling_shells", "gauge",
          "Shells of a flavor being prepared now." },
        { "chaosd_pool_handed_out_total", "counter",
          "Shells of a flavor handed to creates or restores." },
        { "chaosd_pool_fill_failures_total", "counter",
          "Shells of a flavor whose preparation failed." },
    };
    for (size_t k = 0; k < N_ELEMENTS(fam); k++) {
        family(t, fam[k].name, fam[k].type, fam[k].help);
        for (unsigned i = 0; i < s->n_flavors; i++) {
            const struct metrics_flavor *f = &s->flavors[i];
            const uint64_t v[] = { f->target, f->idle, f->filling,
                                   f->handed_out, f->fill_failures };
            flavor_sample(t, fam[k].name, f, v[k]);
        }
    }
    family(t, "chaosd_pool_idle_memory_bytes", "gauge",
           "Guest memory held by idle and filling shells.");
    put(t, "chaosd_pool_idle_memory_bytes %" PRIu64 "\n", s->idle_memory_bytes);
    family(t, "chaosd_pool_idle_memory_budget_bytes", "gauge",
           "The most guest memory idle shells may hold (idle_memory_mib).");
    put(t, "chaosd_pool_idle_memory_budget_bytes %" PRIu64 "\n",
        s->idle_memory_budget_bytes);
}

static void seconds(struct text *t, uint64_t ns)
{
    put(t, "%.9g", (double)ns / 1e9);
}

static void creates(struct text *t, const struct chaosd_metrics *m)
{
    family(t, "chaosd_creates_total", "counter",
           "Guests chaosd created or restored, by path.");
    for (unsigned p = 0; p < METRICS_N_PATHS; p++)
        put(t, "chaosd_creates_total{path=\"%s\"} %" PRIu64 "\n", path_names[p],
            m->creates[p]);
    family(t, "chaosd_create_duration_seconds", "histogram",
           "Time from a create or restore request's arrival to its guest "
           "running, by path.");
    for (unsigned p = 0; p < METRICS_N_PATHS; p++) {
        const struct metrics_hist *h = &m->duration[p];
        uint64_t cum = 0;
        for (unsigned i = 0; i < METRICS_N_BUCKETS; i++) {
            cum += h->bucket[i];
            put(t,
                "chaosd_create_duration_seconds_bucket{path=\"%s\",le=\"%s\"} "
                "%" PRIu64 "\n",
                path_names[p], bucket_le[i], cum);
        }
        put(t,
            "chaosd_create_duration_seconds_bucket{path=\"%s\",le=\"+Inf\"} "
            "%" PRIu64 "\n",
            path_names[p], h->count);
        put(t, "chaosd_create_duration_seconds_sum{path=\"%s\"} ",
            path_names[p]);
        seconds(t, h->sum_ns);
        put(t,
            "\nchaosd_create_duration_seconds_count{path=\"%s\"} %" PRIu64 "\n",
            path_names[p], h->count);
    }
    family(t, "chaosd_failures_total", "counter",
           "Operations that failed, by what failed.");
    for (unsigned c = 0; c < METRICS_N_CAUSES; c++)
        put(t, "chaosd_failures_total{cause=\"%s\"} %" PRIu64 "\n",
            cause_names[c], m->failures[c]);
}

static void guest_labels(struct text *t, const char *name,
                         const struct metrics_guest *g)
{
    put(t, "%s{domid=\"%" PRIu32 "\",name=\"", name, g->domid);
    put_label(t, g->name);
    put(t, "\"} ");
}

static void guests(struct text *t, const struct metrics_snapshot *s)
{
    family(t, "chaosd_guests_served", "gauge",
           "Running guests chaosd serves (console, on_* actions).");
    put(t, "chaosd_guests_served %u\n", s->guests_served);
    family(t, "chaosd_clients", "gauge",
           "Connections to chaosd's request socket.");
    put(t, "chaosd_clients %u\n", s->clients);
    family(t, "chaosd_guest_cpu_seconds_total", "counter",
           "CPU time a served guest used, all its vCPUs.");
    for (unsigned i = 0; i < s->n_guests; i++) {
        guest_labels(t, "chaosd_guest_cpu_seconds_total", &s->guests[i]);
        seconds(t, s->guests[i].cpu_ns);
        put(t, "\n");
    }
    family(t, "chaosd_guest_memory_bytes", "gauge",
           "Memory a served guest owns now.");
    for (unsigned i = 0; i < s->n_guests; i++) {
        guest_labels(t, "chaosd_guest_memory_bytes", &s->guests[i]);
        put(t, "%" PRIu64 "\n", s->guests[i].mem_bytes);
    }
    family(t, "chaosd_guest_memory_max_bytes", "gauge",
           "The most memory a served guest may own.");
    for (unsigned i = 0; i < s->n_guests; i++) {
        guest_labels(t, "chaosd_guest_memory_max_bytes", &s->guests[i]);
        put(t, "%" PRIu64 "\n", s->guests[i].maxmem_bytes);
    }
    family(t, "chaosd_guest_vcpus", "gauge", "Online vCPUs of a served guest.");
    for (unsigned i = 0; i < s->n_guests; i++) {
        guest_labels(t, "chaosd_guest_vcpus", &s->guests[i]);
        put(t, "%u\n", s->guests[i].vcpus);
    }
    family(t, "chaosd_guest_info", "gauge",
           "A served guest's state (always 1; the state is a label).");
    for (unsigned i = 0; i < s->n_guests; i++) {
        const struct metrics_guest *g = &s->guests[i];
        put(t, "chaosd_guest_info{domid=\"%" PRIu32 "\",name=\"", g->domid);
        put_label(t, g->name);
        put(t, "\",state=\"");
        put_label(t, g->state ? g->state : "");
        put(t, "\"} 1\n");
    }
}

/* Per-device counters: vifs' traffic as the guest sees it, disks' reads
 * and writes (the back ends count them). */
static void devices(struct text *t, const struct metrics_snapshot *s)
{
    static const struct {
        const char *name, *help;
        bool net;
        size_t field;
    } fam[] = {
        { "chaosd_vif_tx_bytes_total", "Bytes a served guest sent on a vif.",
          true, offsetof(struct metrics_device, tx_bytes) },
        { "chaosd_vif_tx_packets_total",
          "Packets a served guest sent on a vif.", true,
          offsetof(struct metrics_device, tx_packets) },
        { "chaosd_vif_rx_bytes_total",
          "Bytes a served guest received on a vif.", true,
          offsetof(struct metrics_device, rx_bytes) },
        { "chaosd_vif_rx_packets_total",
          "Packets a served guest received on a vif.", true,
          offsetof(struct metrics_device, rx_packets) },
        { "chaosd_vbd_read_bytes_total",
          "Bytes a served guest read from a disk.", false,
          offsetof(struct metrics_device, rx_bytes) },
        { "chaosd_vbd_reads_total", "Read requests of a served guest's disk.",
          false, offsetof(struct metrics_device, rx_packets) },
        { "chaosd_vbd_write_bytes_total",
          "Bytes a served guest wrote to a disk.", false,
          offsetof(struct metrics_device, tx_bytes) },
        { "chaosd_vbd_writes_total", "Write requests of a served guest's disk.",
          false, offsetof(struct metrics_device, tx_packets) },
    };
    for (size_t k = 0; k < N_ELEMENTS(fam); k++) {
        family(t, fam[k].name, "counter", fam[k].help);
        for (unsigned i = 0; i < s->n_devices; i++) {
            const struct metrics_device *d = &s->devices[i];
            if (d->net != fam[k].net)
                continue;
            uint64_t v;
            memcpy(&v, (const char *)d + fam[k].field, sizeof(v));
            put(t, "%s{domid=\"%" PRIu32 "\",name=\"", fam[k].name, d->domid);
            put_label(t, d->name);
            put(t, "\",%s=\"%u\"} %" PRIu64 "\n", d->net ? "vif" : "vbd",
                d->devid, v);
        }
    }
}

char *metrics_render(const struct metrics_snapshot *s, size_t *len)
{
    struct text t = { 0 };
    pools(&t, s);
    creates(&t, s->m);
    guests(&t, s);
    devices(&t, s);
    if (t.oom || !t.p) {
        free(t.p);
        return NULL;
    }
    *len = t.len;
    return t.p;
}

/* ------------------------------------------------------------ HTTP */

/* The end of the head: an empty line (CRLF CRLF, or bare LFs, which
 * clients as simple as `printf | nc` send). */
static bool head_complete(const char *buf, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (buf[i] != '\n')
            continue;
        if (buf[i + 1] == '\n')
            return true;
        if (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n')
            return true;
    }
    return false;
}

static bool is_token_char(char c)
{
    return c >= 'A' && c <= 'Z';
}

enum metrics_http_verdict metrics_http_parse(const char *buf, size_t len,
                                             bool *head)
{
    *head = false;
    /* Only the first METRICS_HTTP_MAX_REQUEST bytes count. */
    if (len > METRICS_HTTP_MAX_REQUEST)
        len = METRICS_HTTP_MAX_REQUEST;
    if (!head_complete(buf, len))
        return len == METRICS_HTTP_MAX_REQUEST ? METRICS_HTTP_TOO_LARGE
                                               : METRICS_HTTP_MORE;
    const char *end = memchr(buf, '\n', len);
    size_t n = (size_t)(end - buf);
    if (n && buf[n - 1] == '\r')
        n--;
    /* METHOD SP TARGET SP HTTP/1.x, nothing else on the line. */
    size_t m = 0;
    while (m < n && is_token_char(buf[m]))
        m++;
    if (m == 0 || m >= n || buf[m] != ' ')
        return METRICS_HTTP_BAD;
    const char *target = buf + m + 1;
    const char *sp = memchr(target, ' ', n - m - 1);
    if (!sp || sp == target)
        return METRICS_HTTP_BAD;
    size_t tlen = (size_t)(sp - target);
    size_t vlen = n - (size_t)(sp + 1 - buf);
    if (vlen != 8 || memcmp(sp + 1, "HTTP/1.", 7) ||
        (sp[8] != '0' && sp[8] != '1'))
        return METRICS_HTTP_BAD;
    for (size_t i = 0; i < tlen; i++)
        if ((unsigned char)target[i] <= ' ' || target[i] == 0x7f)
            return METRICS_HTTP_BAD;
    bool is_get = m == 3 && !memcmp(buf, "GET", 3);
    bool is_head = m == 4 && !memcmp(buf, "HEAD", 4);
    if (!is_get && !is_head)
        return METRICS_HTTP_METHOD;
    static const char path[] = "/metrics";
    size_t plen = sizeof(path) - 1;
    if (tlen < plen || memcmp(target, path, plen) ||
        (tlen > plen && target[plen] != '?'))
        return METRICS_HTTP_NOT_FOUND;
    *head = is_head;
    return METRICS_HTTP_OK;
}

const char *metrics_http_reason(enum metrics_http_verdict v)
{
    static const struct {
        enum metrics_http_verdict v;
        const char *reason;
    } reasons[] = {
        { METRICS_HTTP_OK, "OK" },
        { METRICS_HTTP_BAD, "Bad Request" },
        { METRICS_HTTP_NOT_FOUND, "Not Found" },
        { METRICS_HTTP_METHOD, "Method Not Allowed" },
        { METRICS_HTTP_TOO_LARGE, "Request Header Fields Too Large" },
        { METRICS_HTTP_ERROR, "Internal Server Error" },
    };
    for (size_t i = 0; i < N_ELEMENTS(reasons); i++)
        if (reasons[i].v == v)
            return reasons[i].reason;
    return "Internal Server Error";
}
