/*
 * Unit tests: the registry's name index (libchaos/registry_names.c) and
 * how removing a record releases its name, in a temporary CHAOS_RUN_DIR.
 * Whether a holder is live needs Xen: that part is tested in the lab.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "registry.h"
#include "check_run.h"

static char run_dir[96];
static const uint8_t U1[16] = { 1, 2,  3,  4,  5,  6,  7,  8,
                                9, 10, 11, 12, 13, 14, 15, 16 };
static const uint8_t U2[16] = { 0xaa, 0xbb };

/* One directory for the whole run, made and removed by the parent (an
 * unchecked fixture: it runs even when a test fails), and a fresh run dir
 * in it for each test. */
static char base_dir[64];

static void make_base(void)
{
    snprintf(base_dir, sizeof(base_dir), "/tmp/chaos-test-registry-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(base_dir));
}

static void setup(void)
{
    snprintf(run_dir, sizeof(run_dir), "%s/run-XXXXXX", base_dir);
    ck_assert_ptr_nonnull(mkdtemp(run_dir));
    setenv("CHAOS_RUN_DIR", run_dir, 1);
}

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void remove_base(void)
{
    nftw(base_dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* Writes text as names/NAME, as a crash or an operator might leave it. */
static void put_entry(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/names", run_dir);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/names/%s", run_dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* Number of files in names/ (temporary claim files included). */
static int count_entries(void)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/names", run_dir);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

START_TEST(run_dir_from_env)
{
    /* registry_dir() is recomputed on each call, not cached. */
    ck_assert_str_eq(registry_dir() + strlen(run_dir), "/domains");
    ck_assert(strncmp(registry_dir(), run_dir, strlen(run_dir)) == 0);
}
END_TEST

START_TEST(claim_and_lookup)
{
    ck_assert_int_eq(registry_claim_name("web", 5, U1), 0);
    chaos_domid domid = 0;
    uint8_t uuid[16];
    ck_assert_int_eq(registry_lookup_name("web", &domid, uuid), 0);
    ck_assert_uint_eq(domid, 5);
    ck_assert(memcmp(uuid, U1, 16) == 0);
    ck_assert_int_eq(registry_lookup_name("db", &domid, uuid), -ENOENT);
    ck_assert_int_eq(count_entries(), 1); /* no temporary file left */

    /* The format is one line an operator can read. */
    char path[256], text[80] = "";
    snprintf(path, sizeof(path), "%s/names/web", run_dir);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(text, sizeof(text), f));
    fclose(f);
    ck_assert_str_eq(text, "5 01020304-0506-0708-090a-0b0c0d0e0f10\n");
}
END_TEST

START_TEST(second_claim_refused)
{
    ck_assert_int_eq(registry_claim_name("web", 5, U1), 0);
    ck_assert_int_eq(registry_claim_name("web", 6, U2), -EEXIST);
    ck_assert_int_eq(registry_claim_name("web", 5, U1), -EEXIST);
    chaos_domid domid;
    uint8_t uuid[16];
    ck_assert_int_eq(registry_lookup_name("web", &domid, uuid), 0);
    ck_assert_uint_eq(domid, 5);
    ck_assert_int_eq(count_entries(), 1);
}
END_TEST

START_TEST(release_checks_owner)
{
    chaos_domid domid;
    uint8_t uuid[16];
    ck_assert_int_eq(registry_claim_name("web", 5, U1), 0);
    ck_assert_int_eq(registry_release_name("web", 6, NULL), -EBUSY);
    ck_assert_int_eq(registry_release_name("web", 5, U2), -EBUSY);
    ck_assert_int_eq(registry_lookup_name("web", &domid, uuid), 0);
    ck_assert_int_eq(registry_release_name("web", 5, U1), 0);
    ck_assert_int_eq(registry_lookup_name("web", &domid, uuid), -ENOENT);
    ck_assert_int_eq(registry_release_name("web", 5, U1), 0); /* absent */
    ck_assert_int_eq(registry_claim_name("web", 5, U1), 0);
    ck_assert_int_eq(registry_release_name("web", 5, NULL), 0); /* any uuid */
    ck_assert_int_eq(registry_lookup_name("web", &domid, uuid), -ENOENT);
}
END_TEST

START_TEST(release_without_index)
{
    /* Nothing was ever claimed: no names/ directory at all. */
    ck_assert_int_eq(registry_release_name("web", 5, NULL), 0);
    ck_assert_int_eq(registry_drop_corrupt_name("web"), 0);
}
END_TEST

START_TEST(remove_releases_name)
{
    struct registry_record rec = { .domid = 5, .name = "web", .type = "pv" };
    memcpy(rec.uuid, U1, 16);
    ck_assert_int_eq(registry_write(&rec), 0);
    ck_assert_int_eq(registry_claim_name("web", 5, U1), 0);
    ck_assert_int_eq(registry_remove(5), 0);
    chaos_domid domid;
    uint8_t uuid[16];
    struct registry_record back;
    ck_assert_int_eq(registry_lookup_name("web", &domid, uuid), -ENOENT);
    ck_assert_int_eq(registry_read(5, &back), -ENOENT);
}
END_TEST

START_TEST(remove_keeps_a_newer_owner)
{
    /* Domain 5 is gone and "web" now belongs to domain 7: removing 5's
     * stale record must not take 7's name. */
    struct registry_record rec = { .domid = 5, .name = "web", .type = "pv" };
    memcpy(rec.uuid, U1, 16);
    ck_assert_int_eq(registry_write(&rec), 0);
    ck_assert_int_eq(registry_claim_name("web", 7, U2), 0);
    ck_assert_int_eq(registry_remove(5), 0);
    chaos_domid domid;
    uint8_t uuid[16];
    ck_assert_int_eq(registry_lookup_name("web", &domid, uuid), 0);
    ck_assert_uint_eq(domid, 7);

    /* Same id reused with another handle: still not 5's to release. */
    ck_assert_int_eq(registry_release_name("web", 7, NULL), 0);
    ck_assert_int_eq(registry_claim_name("web", 5, U2), 0);
    ck_assert_int_eq(registry_write(&rec), 0);
    ck_assert_int_eq(registry_remove(5), 0);
    ck_assert_int_eq(registry_lookup_name("web", &domid, uuid), 0);
    ck_assert(memcmp(uuid, U2, 16) == 0);
}
END_TEST

START_TEST(record_without_entry)
{
    /* A record written before the index existed: removing it is fine. */
    struct registry_record rec = { .domid = 9, .name = "old", .type = "pv" };
    memcpy(rec.uuid, U1, 16);
    ck_assert_int_eq(registry_write(&rec), 0);
    ck_assert_int_eq(registry_remove(9), 0);
    ck_assert_int_eq(count_entries(), 0);
}
END_TEST

/* One directory read names the domains with records: not their configs,
 * not temporaries, not stray files; none before the directory exists. */
START_TEST(recorded_map)
{
    uint8_t map[REGISTRY_MAP_BYTES];
    memset(map, 0xff, sizeof(map));
    ck_assert_int_eq(registry_recorded(map), 0);
    for (size_t i = 0; i < sizeof(map); i++)
        ck_assert_uint_eq(map[i], 0);
    struct registry_record rec = { .type = "pv" };
    memcpy(rec.uuid, U1, 16);
    const chaos_domid ids[] = { 1, 9, 70, 32751 };
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        rec.domid = ids[i];
        ck_assert_int_eq(registry_write(&rec), 0);
    }
    char path[700];
    const char *strays[] = { "12.cfg", "13.tmp", "-4", "x7", "99999" };
    for (size_t i = 0; i < sizeof(strays) / sizeof(strays[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", registry_dir(), strays[i]);
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fclose(f);
    }
    ck_assert_int_eq(registry_recorded(map), 0);
    unsigned set = 0;
    for (unsigned id = 0; id < REGISTRY_MAP_BYTES * 8; id++)
        if (map[id / 8] & (1u << (id % 8)))
            set++;
    ck_assert_uint_eq(set, 4);
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
        ck_assert(map[ids[i] / 8] & (1u << (ids[i] % 8)));
}
END_TEST

START_TEST(invalid_names)
{
    static const char *const bad[] = {
        "",
        "a/b",
        "/abs",
        ".hidden",
        ".",
        "..",
        ".claim-123456",
        "0123456789012345678901234567890123456789012345678901234567890123",
    };
    chaos_domid domid;
    uint8_t uuid[16];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_ptr_nonnull(registry_name_problem(bad[i]));
        ck_assert_int_eq(registry_claim_name(bad[i], 5, U1), -EINVAL);
        ck_assert_int_eq(registry_lookup_name(bad[i], &domid, uuid), -EINVAL);
        ck_assert_int_eq(registry_release_name(bad[i], 5, NULL), -EINVAL);
    }
    ck_assert_ptr_nonnull(registry_name_problem(NULL));
    ck_assert_int_eq(count_entries(), 0);
    /* 63 characters and inner dots are fine. */
    const char *longest =
        "012345678901234567890123456789012345678901234567890123456789abc";
    ck_assert_ptr_null(registry_name_problem(longest));
    ck_assert_int_eq(registry_claim_name(longest, 5, U1), 0);
    ck_assert_int_eq(registry_claim_name("a.b-c_d", 6, U1), 0);
}
END_TEST

START_TEST(corrupt_entries)
{
    static const char *const junk[] = {
        "", /* created, not written */
        "5",
        "5 01020304-0506-0708-090a",              /* half written */
        "5 01020304-0506-0708-090a-0b0c0d0e0f10", /* no newline */
        "x 01020304-0506-0708-090a-0b0c0d0e0f10\n",
        "99999 01020304-0506-0708-090a-0b0c0d0e0f10\n",
        "5 01020304-0506-0708-090a-0b0c0d0e0fzz\n",
        "5 01020304-0506-0708-090a-0b0c0d0e0f10\nmore\n",
    };
    chaos_domid domid;
    uint8_t uuid[16];
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
        put_entry("web", junk[i]);
        ck_assert_int_eq(registry_lookup_name("web", &domid, uuid), -EINVAL);
        /* Taken all the same, until someone judges it stale... */
        ck_assert_int_eq(registry_claim_name("web", 6, U2), -EEXIST);
        /* ...which an owner's release does not (it cannot tell whose). */
        ck_assert_int_eq(registry_release_name("web", 5, NULL), -EBUSY);
        ck_assert_int_eq(registry_drop_corrupt_name("web"), 0);
        ck_assert_int_eq(registry_lookup_name("web", &domid, uuid), -ENOENT);
    }
    /* A valid entry is not corrupt: left alone. */
    ck_assert_int_eq(registry_claim_name("web", 5, U1), 0);
    ck_assert_int_eq(registry_drop_corrupt_name("web"), -EBUSY);
    ck_assert_int_eq(registry_lookup_name("web", &domid, uuid), 0);
}
END_TEST

START_TEST(concurrent_claims)
{
    /* Processes racing for one name: exactly one gets it. */
    enum { N = 16 };
    pid_t pids[N];
    for (int i = 0; i < N; i++) {
        pids[i] = fork();
        ck_assert_int_ge(pids[i], 0);
        if (pids[i] == 0) {
            uint8_t u[16] = { (uint8_t)i };
            _exit(registry_claim_name("race", (chaos_domid)(100 + i), u) == 0
                      ? 0
                      : 1);
        }
    }
    int winners = 0;
    for (int i = 0; i < N; i++) {
        int status;
        ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
        ck_assert(WIFEXITED(status));
        winners += WEXITSTATUS(status) == 0;
    }
    ck_assert_int_eq(winners, 1);
    ck_assert_int_eq(count_entries(), 1); /* no temporary files left */
}
END_TEST

/* One thread's share of records_from_threads: asks for the records'
 * directory while the others do, then writes and reads back the record
 * of its own domain ids. */
static void *write_records(void *arg)
{
    unsigned first = (unsigned)(uintptr_t)arg;
    size_t len = strlen(run_dir);
    for (unsigned i = 0; i < 50000; i++) {
        const char *dir = registry_dir();
        if (strncmp(dir, run_dir, len) != 0 || strcmp(dir + len, "/domains"))
            return (void *)1;
    }
    for (unsigned i = 0; i < 300; i++) {
        struct registry_record rec = { .domid = first + i % 50 };
        snprintf(rec.name, sizeof(rec.name), "g%u", rec.domid);
        snprintf(rec.type, sizeof(rec.type), "pv");
        struct registry_record back;
        if (registry_write(&rec) != 0 || registry_read(rec.domid, &back) != 0 ||
            strcmp(back.name, rec.name) != 0)
            return (void *)1;
    }
    return NULL;
}

START_TEST(records_from_threads)
{
    /* chaosd's builders record guests concurrently: every path the
     * registry makes must be the thread's own (a shared buffer gave torn
     * paths and ENOENT). */
    enum { N = 4 };
    pthread_t t[N];
    for (unsigned i = 0; i < N; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, write_records,
                                        (void *)(uintptr_t)(1000 + 100 * i)),
                         0);
    for (unsigned i = 0; i < N; i++) {
        void *failed;
        ck_assert_int_eq(pthread_join(t[i], &failed), 0);
        ck_assert_ptr_null(failed);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("registry");
    TCase *tc = tcase_create("names");
    tcase_add_unchecked_fixture(tc, make_base, remove_base);
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, run_dir_from_env);
    tcase_add_test(tc, claim_and_lookup);
    tcase_add_test(tc, second_claim_refused);
    tcase_add_test(tc, release_checks_owner);
    tcase_add_test(tc, release_without_index);
    tcase_add_test(tc, remove_releases_name);
    tcase_add_test(tc, remove_keeps_a_newer_owner);
    tcase_add_test(tc, record_without_entry);
    tcase_add_test(tc, recorded_map);
    tcase_add_test(tc, invalid_names);
    tcase_add_test(tc, corrupt_entries);
    tcase_add_test(tc, concurrent_claims);
    suite_add_tcase(s, tc);
    /* Threads hammering the file system: seconds on a loaded 2-core CI
     * machine (or under ASan), past Check's default 4 s. */
    TCase *threads = tcase_create("threads");
    tcase_add_unchecked_fixture(threads, make_base, remove_base);
    tcase_add_checked_fixture(threads, setup, NULL);
    tcase_set_timeout(threads, 60);
    tcase_add_test(threads, records_from_threads);
    suite_add_tcase(s, threads);
    return s;
}

int main(void)
{
    return check_run(suite());
}
