/*
 * metrics.h - chaosd's metrics in Prometheus's text exposition format
 * (version 0.0.4), and the few lines of HTTP that serve them
 * (metrics_server.c; docs/chaosd.md, "Metrics").
 *
 * Pure code, unit-tested (tests/unit/test_chaosd_metrics.c) and fuzzed
 * (the request parser: tests/fuzz/fuzz_chaosd_metrics_http.c):
 *  - the counters the daemon keeps (struct chaosd_metrics, in struct
 *    chaosd; create.c, restore.c and refill.c count into it);
 *  - the formatter: a snapshot of what to expose (the daemon fills it at
 *    each scrape, from its pools, its guests and Xen) in, text out;
 *  - the HTTP request parser: is what a client sent so far a complete
 *    "GET /metrics", something else, or not finished yet.
 */
#ifndef CHAOSD_METRICS_H
#define CHAOSD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How a guest came to be (chaosd_creates_total{path}). */
enum metrics_path {
    METRICS_PATH_POOL,           /* created into a pool's shell */
    METRICS_PATH_IMAGE,          /* started from an image pool's shell */
    METRICS_PATH_DIRECT,         /* created without one */
    METRICS_PATH_RESTORE_POOL,   /* restored into a restore pool's shell */
    METRICS_PATH_RESTORE_DIRECT, /* restored without one */
    METRICS_PATH_TEMPLATE,       /* a template pool's guest, unpaused */
    METRICS_N_PATHS
};

/* What failed (chaosd_failures_total{cause}). */
enum metrics_cause {
    METRICS_FAIL_CREATE,   /* a create's build (Xen or the kernel refused) */
    METRICS_FAIL_RESTORE,  /* a restore's stream */
    METRICS_FAIL_IMAGE,    /* an image refused before anything was built */
    METRICS_FAIL_REFILL,   /* preparing a pool's shell */
    METRICS_FAIL_RECORD,   /* recording a guest (run directory, memory) */
    METRICS_FAIL_TEMPLATE, /* building a template pool's template */
    METRICS_N_CAUSES
};

/* Upper bounds of the create latency histogram's buckets: creates from a
 * pool take a few ms, direct ones and restores tens to hundreds. */
#define METRICS_N_BUCKETS 13
extern const uint64_t metrics_bucket_ns[METRICS_N_BUCKETS];

struct metrics_hist {
    uint64_t bucket[METRICS_N_BUCKETS]; /* per bucket, not cumulative */
    uint64_t count;                     /* all, +Inf's included */
    uint64_t sum_ns;
};

/* The counters chaosd keeps from its start. */
struct chaosd_metrics {
    uint64_t creates[METRICS_N_PATHS];
    struct metrics_hist duration[METRICS_N_PATHS];
    uint64_t failures[METRICS_N_CAUSES];
};

/* A guest was created or restored by path, ns after its request came. */
void metrics_created(struct chaosd_metrics *m, enum metrics_path path,
                     uint64_t ns);
void metrics_failed(struct chaosd_metrics *m, enum metrics_cause cause);

/* ------------------------------------------------------------ formatter */

struct metrics_flavor {
    const char *name;
    bool restore; /* a restore flavor (label kind="restore", else "create") */
    bool is_template; /* a template flavor (kind="template") */
    unsigned target, idle, filling;
    uint64_t handed_out, fill_failures;
};

struct metrics_guest {
    uint32_t domid;
    const char *name;
    const char *state; /* chaos_dom_state_name() */
    uint64_t cpu_ns;
    uint64_t mem_bytes, maxmem_bytes;
    unsigned vcpus;
};

/* One vif or disk of a served guest (chaos_device_stats). */
struct metrics_device {
    uint32_t domid;
    const char *name;
    bool net;                      /* a vif; false: a disk (vbd) */
    unsigned devid;                /* label vif="N" or vbd="N" */
    uint64_t tx_bytes, tx_packets; /* net: from the guest; disk: writes */
    uint64_t rx_bytes, rx_packets; /* net: to the guest; disk: reads */
};

struct metrics_snapshot {
    const struct chaosd_metrics *m;
    const struct metrics_flavor *flavors;
    unsigned n_flavors;
    uint64_t idle_memory_bytes, idle_memory_budget_bytes;
    unsigned guests_served; /* guests chaosd serves */
    unsigned clients;       /* connections to the request socket */
    const struct metrics_guest *guests;
    unsigned n_guests;
    const struct metrics_device *devices;
    unsigned n_devices;
};

/*
 * The exposition text (malloc'd, NUL-terminated, *len its length), or NULL
 * when out of memory.  Every family has its HELP and TYPE lines, also
 * when it has no sample; label values are escaped (\\, \", \n).
 */
char *metrics_render(const struct metrics_snapshot *s, size_t *len);

/* Appends a label value to out (size bytes, always NUL-terminated when
 * size > 0) escaped as the format wants; returns the length the whole
 * escaped value needs, like snprintf. */
size_t metrics_escape_label(const char *value, char *out, size_t size);

/* ------------------------------------------------------------ HTTP */

/* A scrape request is one line and a few headers; more is refused. */
#define METRICS_HTTP_MAX_REQUEST 4096

enum metrics_http_verdict {
    METRICS_HTTP_MORE = 0,        /* no blank line yet: read on */
    METRICS_HTTP_OK = 200,        /* GET (or HEAD) /metrics */
    METRICS_HTTP_BAD = 400,       /* not an HTTP request line */
    METRICS_HTTP_NOT_FOUND = 404, /* another path */
    METRICS_HTTP_METHOD = 405,    /* another method */
    METRICS_HTTP_TOO_LARGE = 431, /* no end within the limit */
    METRICS_HTTP_ERROR = 500,     /* (the server's own: out of memory) */
};

/*
 * Looks at the first len bytes a client sent (need not be NUL-terminated).
 * The request line must be "METHOD SP TARGET SP HTTP/1.x"; the target
 * "/metrics", optionally with a query.  *head is set for HEAD (answer
 * without a body).  A verdict other than MORE is final.
 */
enum metrics_http_verdict metrics_http_parse(const char *buf, size_t len,
                                             bool *head);

/* The reason phrase of a verdict's status ("OK", "Not Found", ...). */
const char *metrics_http_reason(enum metrics_http_verdict v);

#endif /* CHAOSD_METRICS_H */
