/*
 * Unit tests: chaosd's metrics (chaosd/metrics.c): the Prometheus text a
 * fixed snapshot gives, byte for byte (HELP and TYPE lines, label
 * escaping, cumulative histogram buckets, seconds from nanoseconds, per
 * guest and per device samples), the
 * histogram's bucket edges, label escaping alone, and the scrape request
 * parser's verdicts.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "metrics.h"

/* What metrics_render() must give for snapshot() below. */
static const char expected[] =
    "# HELP chaosd_pool_target_shells Idle shells a flavor's pool is kept at "
    "(its pool setting).\n"
    "# TYPE chaosd_pool_target_shells gauge\n"
    "chaosd_pool_target_shells{flavor=\"uk-pv\",kind=\"create\"} 2\n"
    "chaosd_pool_target_shells{flavor=\"restore-pvh\",kind=\"restore\"} 1\n"
    "chaosd_pool_target_shells{flavor=\"web\",kind=\"template\"} 2\n"
    "# HELP chaosd_pool_idle_shells Idle shells in a flavor's pool, ready to "
    "be handed out.\n"
    "# TYPE chaosd_pool_idle_shells gauge\n"
    "chaosd_pool_idle_shells{flavor=\"uk-pv\",kind=\"create\"} 1\n"
    "chaosd_pool_idle_shells{flavor=\"restore-pvh\",kind=\"restore\"} 0\n"
    "chaosd_pool_idle_shells{flavor=\"web\",kind=\"template\"} 2\n"
    "# HELP chaosd_pool_filling_shells Shells of a flavor being prepared now.\n"
    "# TYPE chaosd_pool_filling_shells gauge\n"
    "chaosd_pool_filling_shells{flavor=\"uk-pv\",kind=\"create\"} 1\n"
    "chaosd_pool_filling_shells{flavor=\"restore-pvh\",kind=\"restore\"} 0\n"
    "chaosd_pool_filling_shells{flavor=\"web\",kind=\"template\"} 0\n"
    "# HELP chaosd_pool_handed_out_total Shells of a flavor handed to creates "
    "or restores.\n"
    "# TYPE chaosd_pool_handed_out_total counter\n"
    "chaosd_pool_handed_out_total{flavor=\"uk-pv\",kind=\"create\"} 3\n"
    "chaosd_pool_handed_out_total{flavor=\"restore-pvh\",kind=\"restore\"} 0\n"
    "chaosd_pool_handed_out_total{flavor=\"web\",kind=\"template\"} 1\n"
    "# HELP chaosd_pool_fill_failures_total Shells of a flavor whose "
    "preparation failed.\n"
    "# TYPE chaosd_pool_fill_failures_total counter\n"
    "chaosd_pool_fill_failures_total{flavor=\"uk-pv\",kind=\"create\"} 0\n"
    "chaosd_pool_fill_failures_total{flavor=\"restore-pvh\",kind=\"restore\"} "
    "1\n"
    "chaosd_pool_fill_failures_total{flavor=\"web\",kind=\"template\"} "
    "0\n"
    "# HELP chaosd_pool_idle_memory_bytes Guest memory held by idle and "
    "filling shells.\n"
    "# TYPE chaosd_pool_idle_memory_bytes gauge\n"
    "chaosd_pool_idle_memory_bytes 8388608\n"
    "# HELP chaosd_pool_idle_memory_budget_bytes The most guest memory idle "
    "shells may hold (idle_memory_mib).\n"
    "# TYPE chaosd_pool_idle_memory_budget_bytes gauge\n"
    "chaosd_pool_idle_memory_budget_bytes 268435456\n"
    "# HELP chaosd_creates_total Guests chaosd created or restored, by path.\n"
    "# TYPE chaosd_creates_total counter\n"
    "chaosd_creates_total{path=\"pool\"} 2\n"
    "chaosd_creates_total{path=\"image\"} 0\n"
    "chaosd_creates_total{path=\"direct\"} 1\n"
    "chaosd_creates_total{path=\"restore_pool\"} 0\n"
    "chaosd_creates_total{path=\"restore_direct\"} 1\n"
    "chaosd_creates_total{path=\"template\"} 1\n"
    "# HELP chaosd_create_duration_seconds Time from a create or restore "
    "request's arrival to its guest running, by path.\n"
    "# TYPE chaosd_create_duration_seconds histogram\n"
    "chaosd_create_duration_seconds_bucket{path=\"pool\",le=\"0.0005\"} 0\n"
    "chaosd_create_duration_seconds_bucket{path=\"pool\",le=\"0.001\"} 0\n"
    "chaosd_create_duration_seconds_bucket{path=\"pool\",le=\"0.0025\"} 1\n"
    "chaosd_create_duration_seconds_bucket{path=\"pool\",le=\"0.005\"} 2\n"
    "chaosd_create_duration_seconds_bucket{path=\"pool\",le=\"0.01\"} 2\n"
    "chaosd_create_duration_seconds_bucket{path=\"pool\",le=\"0.025\"} 2\n"
    "chaosd_create_duration_seconds_bucket{path=\"pool\",le=\"0.05\"} 2\n"
    "chaosd_create_duration_seconds_bucket{path=\"pool\",le=\"0.1\"} 2\n"
    "chaosd_create_duration_seconds_bucket{path=\"pool\",le=\"0.25\"} 2\n"
    "chaosd_create_duration_seconds_bucket{path=\"pool\",le=\"0.5\"} 2\n"
    "chaosd_create_duration_seconds_bucket{path=\"pool\",le=\"1\"} 2\n"
    "chaosd_create_duration_seconds_bucket{path=\"pool\",le=\"2.5\"} 2\n"
    "chaosd_create_duration_seconds_bucket{path=\"pool\",le=\"10\"} 2\n"
    "chaosd_create_duration_seconds_bucket{path=\"pool\",le=\"+Inf\"} 2\n"
    "chaosd_create_duration_seconds_sum{path=\"pool\"} 0.0045\n"
    "chaosd_create_duration_seconds_count{path=\"pool\"} 2\n"
    "chaosd_create_duration_seconds_bucket{path=\"image\",le=\"0.0005\"} 0\n"
    "chaosd_create_duration_seconds_bucket{path=\"image\",le=\"0.001\"} 0\n"
    "chaosd_create_duration_seconds_bucket{path=\"image\",le=\"0.0025\"} 0\n"
    "chaosd_create_duration_seconds_bucket{path=\"image\",le=\"0.005\"} 0\n"
    "chaosd_create_duration_seconds_bucket{path=\"image\",le=\"0.01\"} 0\n"
    "chaosd_create_duration_seconds_bucket{path=\"image\",le=\"0.025\"} 0\n"
    "chaosd_create_duration_seconds_bucket{path=\"image\",le=\"0.05\"} 0\n"
    "chaosd_create_duration_seconds_bucket{path=\"image\",le=\"0.1\"} 0\n"
    "chaosd_create_duration_seconds_bucket{path=\"image\",le=\"0.25\"} 0\n"
    "chaosd_create_duration_seconds_bucket{path=\"image\",le=\"0.5\"} 0\n"
    "chaosd_create_duration_seconds_bucket{path=\"image\",le=\"1\"} 0\n"
    "chaosd_create_duration_seconds_bucket{path=\"image\",le=\"2.5\"} 0\n"
    "chaosd_create_duration_seconds_bucket{path=\"image\",le=\"10\"} 0\n"
    "chaosd_create_duration_seconds_bucket{path=\"image\",le=\"+Inf\"} 0\n"
    "chaosd_create_duration_seconds_sum{path=\"image\"} 0\n"
    "chaosd_create_duration_seconds_count{path=\"image\"} 0\n"
    "chaosd_create_duration_seconds_bucket{path=\"direct\",le=\"0.0005\"} 0\n"
    "chaosd_create_duration_seconds_bucket{path=\"direct\",le=\"0.001\"} 0\n"
    "chaosd_create_duration_seconds_bucket{path=\"direct\",le=\"0.0025\"} 0\n"
    "chaosd_create_duration_seconds_bucket{path=\"direct\",le=\"0.005\"} 0\n"
    "chaosd_create_duration_seconds_bucket{path=\"direct\",le=\"0.01\"} 0\n"
    "chaosd_create_duration_seconds_bucket{path=\"direct\",le=\"0.025\"} 0\n"
    "chaosd_create_duration_seconds_bucket{path=\"direct\",le=\"0.05\"} 1\n"
    "chaosd_create_duration_seconds_bucket{path=\"direct\",le=\"0.1\"} 1\n"
    "chaosd_create_duration_seconds_bucket{path=\"direct\",le=\"0.25\"} 1\n"
    "chaosd_create_duration_seconds_bucket{path=\"direct\",le=\"0.5\"} 1\n"
    "chaosd_create_duration_seconds_bucket{path=\"direct\",le=\"1\"} 1\n"
    "chaosd_create_duration_seconds_bucket{path=\"direct\",le=\"2.5\"} 1\n"
    "chaosd_create_duration_seconds_bucket{path=\"direct\",le=\"10\"} 1\n"
    "chaosd_create_duration_seconds_bucket{path=\"direct\",le=\"+Inf\"} 1\n"
    "chaosd_create_duration_seconds_sum{path=\"direct\"} 0.04\n"
    "chaosd_create_duration_seconds_count{path=\"direct\"} 1\n"
    "chaosd_create_duration_seconds_bucket{path=\"restore_pool\",le=\"0.0005\"}"
    " 0\n"
    "chaosd_create_duration_seconds_bucket{path=\"restore_pool\",le=\"0.001\"} "
    "0\n"
    "chaosd_create_duration_seconds_bucket{path=\"restore_pool\",le=\"0.0025\"}"
    " 0\n"
    "chaosd_create_duration_seconds_bucket{path=\"restore_pool\",le=\"0.005\"} "
    "0\n"
    "chaosd_create_duration_seconds_bucket{path=\"restore_pool\",le=\"0.01\"} "
    "0\n"
    "chaosd_create_duration_seconds_bucket{path=\"restore_pool\",le=\"0.025\"} "
    "0\n"
    "chaosd_create_duration_seconds_bucket{path=\"restore_pool\",le=\"0.05\"} "
    "0\n"
    "chaosd_create_duration_seconds_bucket{path=\"restore_pool\",le=\"0.1\"} "
    "0\n"
    "chaosd_create_duration_seconds_bucket{path=\"restore_pool\",le=\"0.25\"} "
    "0\n"
    "chaosd_create_duration_seconds_bucket{path=\"restore_pool\",le=\"0.5\"} "
    "0\n"
    "chaosd_create_duration_seconds_bucket{path=\"restore_pool\",le=\"1\"} 0\n"
    "chaosd_create_duration_seconds_bucket{path=\"restore_pool\",le=\"2.5\"} "
    "0\n"
    "chaosd_create_duration_seconds_bucket{path=\"restore_pool\",le=\"10\"} 0\n"
    "chaosd_create_duration_seconds_bucket{path=\"restore_pool\",le=\"+Inf\"} "
    "0\n"
    "chaosd_create_duration_seconds_sum{path=\"restore_pool\"} 0\n"
    "chaosd_create_duration_seconds_count{path=\"restore_pool\"} 0\n"
    "chaosd_create_duration_seconds_bucket{path=\"restore_direct\",le=\"0."
    "0005\"} 0\n"
    "chaosd_create_duration_seconds_bucket{path=\"restore_direct\",le=\"0."
    "001\"} 0\n"
    "chaosd_create_duration_seconds_bucket{path=\"restore_direct\",le=\"0."
    "0025\"} 0\n"
    "chaosd_create_duration_seconds_bucket{path=\"restore_direct\",le=\"0."
    "005\"} 0\n"
    "chaosd_create_duration_seconds_bucket{path=\"restore_direct\",le=\"0.01\"}"
    " 0\n"
    "chaosd_create_duration_seconds_bucket{path=\"restore_direct\",le=\"0."
    "025\"} 0\n"
    "chaosd_create_duration_seconds_bucket{path=\"restore_direct\",le=\"0.05\"}"
    " 0\n"
    "chaosd_create_duration_seconds_bucket{path=\"restore_direct\",le=\"0.1\"} "
    "0\n"
    "chaosd_create_duration_seconds_bucket{path=\"restore_direct\",le=\"0.25\"}"
    " 0\n"
    "chaosd_create_duration_seconds_bucket{path=\"restore_direct\",le=\"0.5\"} "
    "0\n"
    "chaosd_create_duration_seconds_bucket{path=\"restore_direct\",le=\"1\"} "
    "0\n"
    "chaosd_create_duration_seconds_bucket{path=\"restore_direct\",le=\"2.5\"} "
    "0\n"
    "chaosd_create_duration_seconds_bucket{path=\"restore_direct\",le=\"10\"} "
    "0\n"
    "chaosd_create_duration_seconds_bucket{path=\"restore_direct\",le=\"+Inf\"}"
    " 1\n"
    "chaosd_create_duration_seconds_sum{path=\"restore_direct\"} 20\n"
    "chaosd_create_duration_seconds_count{path=\"restore_direct\"} 1\n"
    "chaosd_create_duration_seconds_bucket{path=\"template\",le=\"0.0005\"} "
    "0\n"
    "chaosd_create_duration_seconds_bucket{path=\"template\",le=\"0.001\"} "
    "0\n"
    "chaosd_create_duration_seconds_bucket{path=\"template\",le=\"0.0025\"} "
    "1\n"
    "chaosd_create_duration_seconds_bucket{path=\"template\",le=\"0.005\"} "
    "1\n"
    "chaosd_create_duration_seconds_bucket{path=\"template\",le=\"0.01\"} "
    "1\n"
    "chaosd_create_duration_seconds_bucket{path=\"template\",le=\"0.025\"} "
    "1\n"
    "chaosd_create_duration_seconds_bucket{path=\"template\",le=\"0.05\"} "
    "1\n"
    "chaosd_create_duration_seconds_bucket{path=\"template\",le=\"0.1\"} "
    "1\n"
    "chaosd_create_duration_seconds_bucket{path=\"template\",le=\"0.25\"} "
    "1\n"
    "chaosd_create_duration_seconds_bucket{path=\"template\",le=\"0.5\"} "
    "1\n"
    "chaosd_create_duration_seconds_bucket{path=\"template\",le=\"1\"} "
    "1\n"
    "chaosd_create_duration_seconds_bucket{path=\"template\",le=\"2.5\"} "
    "1\n"
    "chaosd_create_duration_seconds_bucket{path=\"template\",le=\"10\"} "
    "1\n"
    "chaosd_create_duration_seconds_bucket{path=\"template\",le=\"+Inf\"} "
    "1\n"
    "chaosd_create_duration_seconds_sum{path=\"template\"} 0.002\n"
    "chaosd_create_duration_seconds_count{path=\"template\"} 1\n"
    "# HELP chaosd_failures_total Operations that failed, by what failed.\n"
    "# TYPE chaosd_failures_total counter\n"
    "chaosd_failures_total{cause=\"create\"} 0\n"
    "chaosd_failures_total{cause=\"restore\"} 0\n"
    "chaosd_failures_total{cause=\"image\"} 2\n"
    "chaosd_failures_total{cause=\"refill\"} 1\n"
    "chaosd_failures_total{cause=\"record\"} 0\n"
    "chaosd_failures_total{cause=\"template\"} 1\n"
    "# HELP chaosd_guests_served Running guests chaosd serves (console, on_* "
    "actions).\n"
    "# TYPE chaosd_guests_served gauge\n"
    "chaosd_guests_served 2\n"
    "# HELP chaosd_clients Connections to chaosd's request socket.\n"
    "# TYPE chaosd_clients gauge\n"
    "chaosd_clients 1\n"
    "# HELP chaosd_guest_cpu_seconds_total CPU time a served guest used, all "
    "its vCPUs.\n"
    "# TYPE chaosd_guest_cpu_seconds_total counter\n"
    "chaosd_guest_cpu_seconds_total{domid=\"5\",name=\"web\"} 1.25\n"
    "chaosd_guest_cpu_seconds_total{domid=\"12\",name=\"a\\\"b\\\\c\\nd\"} "
    "7e-09\n"
    "# HELP chaosd_guest_memory_bytes Memory a served guest owns now.\n"
    "# TYPE chaosd_guest_memory_bytes gauge\n"
    "chaosd_guest_memory_bytes{domid=\"5\",name=\"web\"} 4194304\n"
    "chaosd_guest_memory_bytes{domid=\"12\",name=\"a\\\"b\\\\c\\nd\"} 1\n"
    "# HELP chaosd_guest_memory_max_bytes The most memory a served guest may "
    "own.\n"
    "# TYPE chaosd_guest_memory_max_bytes gauge\n"
    "chaosd_guest_memory_max_bytes{domid=\"5\",name=\"web\"} 8388608\n"
    "chaosd_guest_memory_max_bytes{domid=\"12\",name=\"a\\\"b\\\\c\\nd\"} 2\n"
    "# HELP chaosd_guest_vcpus Online vCPUs of a served guest.\n"
    "# TYPE chaosd_guest_vcpus gauge\n"
    "chaosd_guest_vcpus{domid=\"5\",name=\"web\"} 1\n"
    "chaosd_guest_vcpus{domid=\"12\",name=\"a\\\"b\\\\c\\nd\"} 2\n"
    "# HELP chaosd_guest_info A served guest's state (always 1; the state is a "
    "label).\n"
    "# TYPE chaosd_guest_info gauge\n"
    "chaosd_guest_info{domid=\"5\",name=\"web\",state=\"running\"} 1\n"
    "chaosd_guest_info{domid=\"12\",name=\"a\\\"b\\\\c\\nd\",state=\"paused\"} "
    "1\n"
    "# HELP chaosd_vif_tx_bytes_total Bytes a served guest sent on a vif.\n"
    "# TYPE chaosd_vif_tx_bytes_total counter\n"
    "chaosd_vif_tx_bytes_total{domid=\"5\",name=\"web\",vif=\"0\"} 1000\n"
    "# HELP chaosd_vif_tx_packets_total Packets a served guest sent on a vif.\n"
    "# TYPE chaosd_vif_tx_packets_total counter\n"
    "chaosd_vif_tx_packets_total{domid=\"5\",name=\"web\",vif=\"0\"} 10\n"
    "# HELP chaosd_vif_rx_bytes_total Bytes a served guest received on a vif.\n"
    "# TYPE chaosd_vif_rx_bytes_total counter\n"
    "chaosd_vif_rx_bytes_total{domid=\"5\",name=\"web\",vif=\"0\"} 2000\n"
    "# HELP chaosd_vif_rx_packets_total Packets a served guest received on a "
    "vif.\n"
    "# TYPE chaosd_vif_rx_packets_total counter\n"
    "chaosd_vif_rx_packets_total{domid=\"5\",name=\"web\",vif=\"0\"} 20\n"
    "# HELP chaosd_vbd_read_bytes_total Bytes a served guest read from a "
    "disk.\n"
    "# TYPE chaosd_vbd_read_bytes_total counter\n"
    "chaosd_vbd_read_bytes_total{domid=\"12\",name=\"a\\\"b\\\\c\\nd\",vbd="
    "\"1\"} 8192\n"
    "# HELP chaosd_vbd_reads_total Read requests of a served guest's disk.\n"
    "# TYPE chaosd_vbd_reads_total counter\n"
    "chaosd_vbd_reads_total{domid=\"12\",name=\"a\\\"b\\\\c\\nd\",vbd=\"1\"} "
    "2\n"
    "# HELP chaosd_vbd_write_bytes_total Bytes a served guest wrote to a "
    "disk.\n"
    "# TYPE chaosd_vbd_write_bytes_total counter\n"
    "chaosd_vbd_write_bytes_total{domid=\"12\",name=\"a\\\"b\\\\c\\nd\",vbd="
    "\"1\"} 4096\n"
    "# HELP chaosd_vbd_writes_total Write requests of a served guest's disk.\n"
    "# TYPE chaosd_vbd_writes_total counter\n"
    "chaosd_vbd_writes_total{domid=\"12\",name=\"a\\\"b\\\\c\\nd\",vbd=\"1\"} "
    "1\n";

static struct chaosd_metrics counters;
static const struct metrics_flavor flavors[] = {
    { .name = "uk-pv", .target = 2, .idle = 1, .filling = 1, .handed_out = 3 },
    { .name = "restore-pvh", .restore = true, .target = 1, .fill_failures = 1 },
    { .name = "web",
      .is_template = true,
      .target = 2,
      .idle = 2,
      .handed_out = 1 },
};
/* A guest name with every character the format escapes. */
static const struct metrics_guest guests[] = {
    { .domid = 5,
      .name = "web",
      .state = "running",
      .cpu_ns = 1250000000,
      .mem_bytes = 4194304,
      .maxmem_bytes = 8388608,
      .vcpus = 1 },
    { .domid = 12,
      .name = "a\"b\\c\nd",
      .state = "paused",
      .cpu_ns = 7,
      .mem_bytes = 1,
      .maxmem_bytes = 2,
      .vcpus = 2 },
};

/* A vif of the first guest, a disk of the second. */
static const struct metrics_device devices[] = {
    { .domid = 5,
      .name = "web",
      .net = true,
      .devid = 0,
      .tx_bytes = 1000,
      .tx_packets = 10,
      .rx_bytes = 2000,
      .rx_packets = 20 },
    { .domid = 12,
      .name = "a\"b\\c\nd",
      .devid = 1,
      .tx_bytes = 4096,
      .tx_packets = 1,
      .rx_bytes = 8192,
      .rx_packets = 2 },
};

static struct metrics_snapshot snapshot(void)
{
    memset(&counters, 0, sizeof(counters));
    metrics_created(&counters, METRICS_PATH_POOL, 1500000);
    metrics_created(&counters, METRICS_PATH_POOL, 3000000);
    metrics_created(&counters, METRICS_PATH_DIRECT, 40000000);
    metrics_created(&counters, METRICS_PATH_RESTORE_DIRECT, 20000000000ull);
    metrics_failed(&counters, METRICS_FAIL_REFILL);
    metrics_failed(&counters, METRICS_FAIL_IMAGE);
    metrics_failed(&counters, METRICS_FAIL_IMAGE);
    metrics_created(&counters, METRICS_PATH_TEMPLATE, 2000000);
    metrics_failed(&counters, METRICS_FAIL_TEMPLATE);
    return (struct metrics_snapshot){ .m = &counters,
                                      .flavors = flavors,
                                      .n_flavors = 3,
                                      .idle_memory_bytes = 8388608,
                                      .idle_memory_budget_bytes = 268435456,
                                      .guests_served = 2,
                                      .clients = 1,
                                      .guests = guests,
                                      .n_guests = 2,
                                      .devices = devices,
                                      .n_devices = 2 };
}

START_TEST(render_exact)
{
    struct metrics_snapshot s = snapshot();
    size_t len = 0;
    char *text = metrics_render(&s, &len);
    ck_assert_ptr_nonnull(text);
    ck_assert_uint_eq(len, strlen(text));
    ck_assert_str_eq(text, expected);
    free(text);
}
END_TEST

/* No flavors, no guests: every family still has its HELP and TYPE. */
START_TEST(render_empty)
{
    struct chaosd_metrics m = { 0 };
    struct metrics_snapshot s = { .m = &m };
    size_t len;
    char *text = metrics_render(&s, &len);
    ck_assert_ptr_nonnull(text);
    static const char *const families[] = {
        "chaosd_pool_target_shells gauge",
        "chaosd_pool_fill_failures_total counter",
        "chaosd_create_duration_seconds histogram",
        "chaosd_failures_total counter",
        "chaosd_guest_cpu_seconds_total counter",
        "chaosd_guest_memory_bytes gauge",
        "chaosd_guest_info gauge",
        "chaosd_vif_rx_bytes_total counter",
        "chaosd_vbd_writes_total counter",
    };
    for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
        char line[128];
        snprintf(line, sizeof(line), "# TYPE %s\n", families[i]);
        ck_assert_msg(strstr(text, line), "no '%s'", line);
    }
    ck_assert_ptr_null(strstr(text, "chaosd_guest_memory_bytes{"));
    ck_assert(strstr(text, "chaosd_guests_served 0\n"));
    free(text);
}
END_TEST

/* Bucket bounds are inclusive (le); above the last only +Inf counts. */
START_TEST(histogram_edges)
{
    struct chaosd_metrics m = { 0 };
    metrics_created(&m, METRICS_PATH_POOL, metrics_bucket_ns[0]);
    metrics_created(&m, METRICS_PATH_POOL, metrics_bucket_ns[0] + 1);
    metrics_created(&m, METRICS_PATH_POOL,
                    metrics_bucket_ns[METRICS_N_BUCKETS - 1] + 1);
    const struct metrics_hist *h = &m.duration[METRICS_PATH_POOL];
    ck_assert_uint_eq(h->bucket[0], 1);
    ck_assert_uint_eq(h->bucket[1], 1);
    uint64_t in_buckets = 0;
    for (unsigned i = 0; i < METRICS_N_BUCKETS; i++)
        in_buckets += h->bucket[i];
    ck_assert_uint_eq(in_buckets, 2);
    ck_assert_uint_eq(h->count, 3);
    ck_assert_uint_eq(m.creates[METRICS_PATH_POOL], 3);
    for (unsigned i = 1; i < METRICS_N_BUCKETS; i++)
        ck_assert_uint_gt(metrics_bucket_ns[i], metrics_bucket_ns[i - 1]);
}
END_TEST

START_TEST(escape_label)
{
    char out[32];
    ck_assert_uint_eq(metrics_escape_label("plain", out, sizeof(out)), 5);
    ck_assert_str_eq(out, "plain");
    ck_assert_uint_eq(metrics_escape_label("q\"b\\n\n", out, sizeof(out)), 9);
    ck_assert_str_eq(out, "q\\\"b\\\\n\\n");
    /* Truncated like snprintf: the needed length, a terminated prefix. */
    ck_assert_uint_eq(metrics_escape_label("\"\"\"\"", out, 4), 8);
    ck_assert_str_eq(out, "\\\"\\");
    ck_assert_uint_eq(metrics_escape_label("", out, sizeof(out)), 0);
    ck_assert_str_eq(out, "");
    ck_assert_uint_eq(metrics_escape_label("abc", NULL, 0), 3);
}
END_TEST

struct http_case {
    const char *text;
    enum metrics_http_verdict v;
    bool head;
};

static const struct http_case http_cases[] = {
    { "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n",
      METRICS_HTTP_OK, false },
    { "GET /metrics HTTP/1.0\n\n", METRICS_HTTP_OK, false },
    { "HEAD /metrics HTTP/1.1\r\n\r\n", METRICS_HTTP_OK, true },
    { "GET /metrics?name[]=x HTTP/1.1\r\n\r\n", METRICS_HTTP_OK, false },
    { "GET /metrics HTTP/1.1\r\nHost: x\r\n", METRICS_HTTP_MORE, false },
    { "GET /metr", METRICS_HTTP_MORE, false },
    { "", METRICS_HTTP_MORE, false },
    { "GET / HTTP/1.1\r\n\r\n", METRICS_HTTP_NOT_FOUND, false },
    { "GET /metricsx HTTP/1.1\r\n\r\n", METRICS_HTTP_NOT_FOUND, false },
    { "GET /metrics/ HTTP/1.1\r\n\r\n", METRICS_HTTP_NOT_FOUND, false },
    { "POST /metrics HTTP/1.1\r\n\r\n", METRICS_HTTP_METHOD, false },
    { "DELETE /metrics HTTP/1.1\r\n\r\n", METRICS_HTTP_METHOD, false },
    { "get /metrics HTTP/1.1\r\n\r\n", METRICS_HTTP_BAD, false },
    { "GET /metrics\r\n\r\n", METRICS_HTTP_BAD, false },
    { "GET  /metrics HTTP/1.1\r\n\r\n", METRICS_HTTP_BAD, false },
    { "GET /metrics HTTP/2.0\r\n\r\n", METRICS_HTTP_BAD, false },
    { "GET /metrics HTTP/1.1 x\r\n\r\n", METRICS_HTTP_BAD, false },
    { "GET /met\trics HTTP/1.1\r\n\r\n", METRICS_HTTP_BAD, false },
    { "\r\n\r\n", METRICS_HTTP_BAD, false },
};

START_TEST(http_parse)
{
    const struct http_case *c = &http_cases[_i];
    bool head = !c->head;
    ck_assert_int_eq(metrics_http_parse(c->text, strlen(c->text), &head), c->v);
    ck_assert_int_eq(head, c->head);
}
END_TEST

/* A head with no end within the limit is refused, also with a NUL in it;
 * one that ends in time is served even if more bytes follow. */
START_TEST(http_limits)
{
    size_t n = METRICS_HTTP_MAX_REQUEST + 100;
    char *buf = malloc(n);
    ck_assert_ptr_nonnull(buf);
    memset(buf, 'a', n);
    memcpy(buf, "GET /metrics HTTP/1.1\r\nX: ", 26);
    bool head;
    ck_assert_int_eq(
        metrics_http_parse(buf, METRICS_HTTP_MAX_REQUEST - 1, &head),
        METRICS_HTTP_MORE);
    ck_assert_int_eq(metrics_http_parse(buf, METRICS_HTTP_MAX_REQUEST, &head),
                     METRICS_HTTP_TOO_LARGE);
    ck_assert_int_eq(metrics_http_parse(buf, n, &head), METRICS_HTTP_TOO_LARGE);
    buf[30] = '\0';
    memcpy(buf + 40, "\r\n\r\n", 4);
    ck_assert_int_eq(metrics_http_parse(buf, n, &head), METRICS_HTTP_OK);
    free(buf);
    ck_assert_str_eq(metrics_http_reason(METRICS_HTTP_NOT_FOUND), "Not Found");
    ck_assert_str_eq(metrics_http_reason(METRICS_HTTP_ERROR),
                     "Internal Server Error");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("chaosd_metrics");
    TCase *tc = tcase_create("metrics");
    tcase_add_test(tc, render_exact);
    tcase_add_test(tc, render_empty);
    tcase_add_test(tc, histogram_edges);
    tcase_add_test(tc, escape_label);
    tcase_add_loop_test(tc, http_parse, 0,
                        sizeof(http_cases) / sizeof(http_cases[0]));
    tcase_add_test(tc, http_limits);
    suite_add_tcase(s, tc);
    return check_run(s);
}
