/*
 * Unit tests: chaos-oci's record under --root and the runtime-spec state
 * JSON (tools/chaos-oci/oci_state.c), and container ids.
 */
#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "oci_state.h"

static struct oci_annotation anns[] = { { "org.chaos.memory", "96" },
                                        { "a", "b \"q\"" } };

static struct oci_record sample(void)
{
    struct oci_record r = {
        .id = "c1",
        .bundle = "/srv/b",
        .pid = 4242,
        .pid_start = 123456789,
        .domid = 7,
        .has_domain = true,
        .created = "2026-12-04T00:00:00.000000001Z",
        .annotations = anns,
        .nannotations = 2,
    };
    for (int i = 0; i < 16; i++)
        r.uuid[i] = (uint8_t)(i * 17);
    return r;
}

START_TEST(record_round_trip)
{
    struct oci_record r = sample(), back;
    char *text = oci_record_to_json(&r);
    ck_assert_ptr_nonnull(text);
    ck_assert_int_eq(oci_record_parse(text, strlen(text), &back), 0);
    ck_assert_str_eq(back.id, "c1");
    ck_assert_str_eq(back.bundle, "/srv/b");
    ck_assert_int_eq(back.pid, 4242);
    ck_assert_uint_eq(back.pid_start, 123456789);
    ck_assert(back.has_domain);
    ck_assert_uint_eq(back.domid, 7);
    ck_assert_mem_eq(back.uuid, r.uuid, 16);
    ck_assert_uint_eq(back.nannotations, 2);
    ck_assert_str_eq(back.annotations[1].value, "b \"q\"");
    oci_record_free(&back);
    free(text);
    /* Before the domain exists: no domid, no uuid. */
    r.has_domain = false;
    r.pid = 0;
    text = oci_record_to_json(&r);
    ck_assert_int_eq(oci_record_parse(text, strlen(text), &back), 0);
    ck_assert(!back.has_domain);
    ck_assert_int_eq(back.pid, 0);
    oci_record_free(&back);
    free(text);
}
END_TEST

START_TEST(record_malformed)
{
    static const char *const bad[] = {
        "",
        "[]",
        "{\"id\": \"x\"}",
        "{\"id\": \"x\", \"bundle\": \"/b\", \"created\": \"\", \"pid\": -1, "
        "\"pid_start\": 0, \"annotations\": {}}",
        "{\"id\": \"x\", \"bundle\": \"/b\", \"created\": \"\", \"pid\": 1, "
        "\"pid_start\": 0, \"annotations\": {}, \"domid\": 1, \"uuid\": "
        "\"zz\"}",
        "{\"id\": \"x\", \"bundle\": \"/b\", \"created\": \"\", \"pid\": 1, "
        "\"pid_start\": 0, \"annotations\": {\"a\": 1}}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        struct oci_record r;
        ck_assert_msg(oci_record_parse(bad[i], strlen(bad[i]), &r) == -EINVAL,
                      "%s", bad[i]);
        ck_assert_ptr_null(r.id);
    }
}
END_TEST

static json_object *state_of(const struct oci_record *r, enum oci_status st)
{
    char *text = oci_state_json(r, st);
    ck_assert_ptr_nonnull(text);
    json_object *o = json_tokener_parse(text);
    free(text);
    ck_assert_ptr_nonnull(o);
    return o;
}

static const char *field(json_object *o, const char *key)
{
    json_object *v;
    ck_assert_msg(json_object_object_get_ex(o, key, &v), "no %s", key);
    return json_object_get_string(v);
}

START_TEST(state_json)
{
    struct oci_record r = sample();
    static const struct {
        enum oci_status st;
        const char *name, *pid;
    } cases[] = {
        { OCI_CREATING, "creating", "0" },
        { OCI_CREATED, "created", "4242" },
        { OCI_RUNNING, "running", "4242" },
        { OCI_STOPPED, "stopped", "0" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        json_object *o = state_of(&r, cases[i].st);
        ck_assert_str_eq(field(o, "ociVersion"), OCI_SPEC_VERSION);
        ck_assert_str_eq(field(o, "id"), "c1");
        ck_assert_str_eq(field(o, "status"), cases[i].name);
        ck_assert_str_eq(field(o, "pid"), cases[i].pid);
        ck_assert_str_eq(field(o, "bundle"), "/srv/b");
        json_object *a;
        ck_assert(json_object_object_get_ex(o, "annotations", &a));
        ck_assert_str_eq(field(a, "org.chaos.memory"), "96");
        json_object_put(o);
    }
}
END_TEST

/* How the guest was made: kept in the record, shown by state. */
START_TEST(record_path)
{
    struct oci_record r = sample(), back;
    /* Records of chaos-oci before chaosd: no path, built by chaos-oci. */
    char *text = oci_record_to_json(&r);
    ck_assert_int_eq(oci_record_parse(text, strlen(text), &back), 0);
    ck_assert_ptr_null(back.path);
    ck_assert(!oci_record_chaosd(&back));
    oci_record_free(&back);
    free(text);
    json_object *o = state_of(&r, OCI_RUNNING), *a;
    ck_assert(json_object_object_get_ex(o, "annotations", &a));
    ck_assert_str_eq(field(a, "org.chaos.path"), "chaos-oci");
    ck_assert(!json_object_object_get_ex(a, "org.chaos.pool-flavor", NULL));
    json_object_put(o);
    r.path = "chaos-oci";
    ck_assert(!oci_record_chaosd(&r));

    r.path = "pool";
    r.flavor = "oci-128";
    ck_assert(oci_record_chaosd(&r));
    text = oci_record_to_json(&r);
    ck_assert_int_eq(oci_record_parse(text, strlen(text), &back), 0);
    ck_assert_str_eq(back.path, "pool");
    ck_assert_str_eq(back.flavor, "oci-128");
    ck_assert(oci_record_chaosd(&back));
    /* The container's own annotations stay as they were. */
    ck_assert_uint_eq(back.nannotations, 2);
    oci_record_free(&back);
    free(text);
    o = state_of(&r, OCI_CREATED);
    ck_assert(json_object_object_get_ex(o, "annotations", &a));
    ck_assert_str_eq(field(a, "org.chaos.path"), "pool");
    ck_assert_str_eq(field(a, "org.chaos.pool-flavor"), "oci-128");
    ck_assert_str_eq(field(a, "a"), "b \"q\"");
    json_object_put(o);

    /* chaosd built it itself (no shell fitted): still chaosd's guest. */
    r.path = "direct";
    r.flavor = NULL;
    ck_assert(oci_record_chaosd(&r));
}
END_TEST

START_TEST(ids)
{
    static const char *const good[] = { "a", "c1", "A-b_c.d", "0123456789" };
    static const char *const bad[] = { "",    ".",   "..", ".hidden",
                                       "a/b", "a b", "é" };
    for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
        ck_assert_msg(oci_id_ok(good[i]), "%s", good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        ck_assert_msg(!oci_id_ok(bad[i]), "%s", bad[i]);
    char longid[130];
    memset(longid, 'x', 129);
    longid[129] = '\0';
    ck_assert(!oci_id_ok(longid));
    longid[128] = '\0';
    ck_assert(oci_id_ok(longid));
    /* The guest's name: oci-ID, cut to 63 bytes. */
    char name[64];
    oci_guest_name("c1", name, sizeof(name));
    ck_assert_str_eq(name, "oci-c1");
    oci_guest_name(longid, name, sizeof(name));
    ck_assert_uint_eq(strlen(name), 63);
    ck_assert(!strncmp(name, "oci-xxx", 7));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("oci_state");
    TCase *tc = tcase_create("state");
    tcase_add_test(tc, record_round_trip);
    tcase_add_test(tc, record_malformed);
    tcase_add_test(tc, state_json);
    tcase_add_test(tc, record_path);
    tcase_add_test(tc, ids);
    suite_add_tcase(s, tc);
    return check_run(s);
}
