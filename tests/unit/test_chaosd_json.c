/*
 * test_chaosd_json.c - the domain, host and create-result objects that
 * `chaos --json` prints and chaosd replies with, to the byte
 * (docs/json.md is their schema).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "json_codec.h"
#include "check_run.h"

/* The compact text of o (consumed). */
static char *text(json_object *o)
{
    ck_assert_ptr_nonnull(o);
    char *s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    return s;
}

#define ck_json_eq(obj, expected)           \
    do {                                    \
        char *got_ = text(obj);             \
        ck_assert_str_eq(got_, (expected)); \
        free(got_);                         \
    } while (0)

START_TEST(domain_running)
{
    struct chaos_dominfo d = { .domid = 7,
                               .name = "web",
                               .state = CHAOS_DOM_RUNNING,
                               .vcpus = 2,
                               .mem_bytes = 64ull << 20,
                               .maxmem_bytes = 128ull << 20,
                               .cpu_time_ns = 1500000000 };
    ck_json_eq(
        chaosd_json_domain(&d, NULL, NULL),
        "{\"domid\":7,\"name\":\"web\",\"type\":\"pv\",\"state\":\"running\","
        "\"memory_mib\":64,\"maxmem_mib\":128,\"vcpus\":2,"
        "\"cpu_time_ns\":1500000000}");
}
END_TEST

/* chaosd's view: a shell of a pool, a guest that shut down. */
START_TEST(domain_chaosd)
{
    struct chaos_dominfo d = { .domid = 3,
                               .state = CHAOS_DOM_PAUSED,
                               .pvh_or_hvm = true,
                               .vcpus = 1,
                               .mem_bytes = 4ull << 20,
                               .maxmem_bytes = 4ull << 20 };
    ck_json_eq(
        chaosd_json_domain(&d, "shell", "uk-pvh"),
        "{\"domid\":3,\"name\":\"\",\"type\":\"pvh\",\"state\":\"paused\","
        "\"memory_mib\":4,\"maxmem_mib\":4,\"vcpus\":1,\"cpu_time_ns\":0,"
        "\"chaosd\":\"shell\",\"flavor\":\"uk-pvh\"}");
    struct chaos_dominfo g = { .domid = 9,
                               .name = "a\"b",
                               .state = CHAOS_DOM_SHUTDOWN,
                               .shutdown_reason = 0,
                               .vcpus = 1,
                               .mem_bytes = 8ull << 20,
                               .maxmem_bytes = 8ull << 20 };
    ck_json_eq(
        chaosd_json_domain(&g, "guest", NULL),
        "{\"domid\":9,\"name\":\"a\\\"b\",\"type\":\"pv\",\"state\":"
        "\"shutdown\","
        "\"memory_mib\":8,\"maxmem_mib\":8,\"vcpus\":1,\"cpu_time_ns\":0,"
        "\"shutdown_reason\":\"poweroff\",\"chaosd\":\"guest\"}");
}
END_TEST

START_TEST(create_direct)
{
    struct chaos_create_timings t = { .prepare_ns = 2500000,
                                      .load_ns = 1000000,
                                      .build_ns = 4000000,
                                      .start_ns = 500000,
                                      .total_ns = 8000000 };
    struct chaosd_create_result r = {
        .domid = 5, .name = "hello", .t = &t, .request_ms = -1
    };
    ck_json_eq(
        chaosd_json_create_result(&r),
        "{\"domid\":5,\"name\":\"hello\",\"paused\":false,\"path\":\"direct\","
        "\"kernel_cached\":false,\"timings\":{\"prepare_ms\":2.5,"
        "\"load_ms\":1.0,\"build_ms\":4.0,\"start_ms\":0.5,\"total_ms\":8.0}}");
}
END_TEST

/* chaosd's reply: from a pool (nothing prepared for this request: the
 * shell's prepare, which libchaos's total counts, is left out of
 * prepare_ms and total_ms), with the time the request spent in chaosd. */
START_TEST(create_pool)
{
    struct chaos_create_timings t = { .prepare_ns = 2000000,
                                      .load_ns = 0,
                                      .build_ns = 3000000,
                                      .start_ns = 250000,
                                      .total_ns = 5250000,
                                      .kernel_cached = true };
    struct chaosd_create_result r = { .domid = 12,
                                      .name = "uk",
                                      .paused = true,
                                      .flavor = "uk-pv",
                                      .t = &t,
                                      .request_ms = 4.75 };
    ck_json_eq(
        chaosd_json_create_result(&r),
        "{\"domid\":12,\"name\":\"uk\",\"paused\":true,\"path\":\"pool\","
        "\"flavor\":\"uk-pv\",\"kernel_cached\":true,\"timings\":{"
        "\"prepare_ms\":0.0,\"load_ms\":0.0,\"build_ms\":3.0,"
        "\"start_ms\":0.25,\"total_ms\":3.25,\"request_ms\":4.75}}");
}
END_TEST

START_TEST(host)
{
    struct chaos_physinfo pi = { .nr_cpus = 2,
                                 .nr_nodes = 1,
                                 .cores_per_socket = 2,
                                 .threads_per_core = 1,
                                 .cpu_khz = 2400000,
                                 .total_bytes = 2048ull << 20,
                                 .free_bytes = 900ull << 20,
                                 .xen_major = 4,
                                 .xen_minor = 17,
                                 .xen_extra = ".7",
                                 .cap_pv = true,
                                 .cap_hvm = true,
                                 .cap_hap = true };
    ck_json_eq(chaosd_json_host(NULL, &pi),
               "{\"xen_version\":\"4.17.7\",\"nr_cpus\":2,\"nr_nodes\":1,"
               "\"cores_per_socket\":2,\"threads_per_core\":1,\"cpu_mhz\":2400,"
               "\"total_memory_mib\":2048,\"free_memory_mib\":900,"
               "\"capabilities\":[\"pv\",\"hvm\",\"hap\"]}");
    /* Into chaosd's info reply, after its own fields. */
    json_object *o = json_object_new_object();
    json_object_object_add(o, "version", json_object_new_string("1.0"));
    pi.cap_hvm = pi.cap_hap = false;
    ck_assert_ptr_eq(chaosd_json_host(o, &pi), o);
    ck_json_eq(
        o, "{\"version\":\"1.0\",\"xen_version\":\"4.17.7\",\"nr_cpus\":2,"
           "\"nr_nodes\":1,\"cores_per_socket\":2,\"threads_per_core\":1,"
           "\"cpu_mhz\":2400,\"total_memory_mib\":2048,\"free_memory_mib\":900,"
           "\"capabilities\":[\"pv\"]}");
}
END_TEST

static Suite *json_suite(void)
{
    Suite *s = suite_create("chaosd json");
    TCase *tc = tcase_create("encoders");
    tcase_add_test(tc, domain_running);
    tcase_add_test(tc, domain_chaosd);
    tcase_add_test(tc, create_direct);
    tcase_add_test(tc, create_pool);
    tcase_add_test(tc, host);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(json_suite());
}
