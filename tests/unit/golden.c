/*
 * golden.c - the driver of the golden-file tests (see golden.h).
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_run.h"
#include "golden.h"

#ifndef GOLDEN_DIR
#error "GOLDEN_DIR must name the source tree's tests/golden (see local.mk)"
#endif

#define MAX_FILES 512
#define DIFF_MAX 4000 /* Check's messages are at most 8 KiB */

static const char *g_folder, *g_ext;
static golden_fn *g_fn;
static char *g_names[MAX_FILES]; /* every file in the folder */
static size_t g_n_names;
static char *g_inputs[MAX_FILES]; /* those ending in g_ext */
static size_t g_n_inputs;
static bool g_update;

static bool ends_with(const char *s, const char *tail)
{
    size_t ls = strlen(s), lt = strlen(tail);
    return ls > lt && strcmp(s + ls - lt, tail) == 0;
}

static bool exists(const char *name)
{
    for (size_t i = 0; i < g_n_names; i++)
        if (strcmp(g_names[i], name) == 0)
            return true;
    return false;
}

/* The whole file, or NULL with errno set. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    char buf[4096];
    size_t n;
    while (out && (n = fread(buf, 1, sizeof(buf), f)) > 0)
        fwrite(buf, 1, n, out);
    fclose(f);
    if (!out || fclose(out) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "%s: cannot write: %s", path, strerror(errno));
    fputs(text, f);
    ck_assert_msg(fclose(f) == 0, "%s: cannot write: %s", path,
                  strerror(errno));
}

/* Appends "PREFIX LINE\n" for each line of text to out. */
static void diff_lines(FILE *out, char prefix, const char *text)
{
    while (*text) {
        const char *nl = strchr(text, '\n');
        int n = nl ? (int)(nl - text) : (int)strlen(text);
        fprintf(out, "%c%.*s%s\n", prefix, n, text, nl ? "" : "  (no newline)");
        text += n + (nl ? 1 : 0);
    }
}

/* A unified-diff-like report: the lines the two texts share, then the
 * expected lines (-) and the output's (+) from the first difference. */
static char *diff(const char *want_name, const char *want, const char *got)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    if (!out)
        return NULL;
    size_t same = 0; /* bytes of whole lines both texts start with */
    for (size_t i = 0; want[i] && want[i] == got[i]; i++)
        if (want[i] == '\n')
            same = i + 1;
    fprintf(out, "--- %s\n+++ output\n", want_name);
    if (same) {
        char *head = strndup(want, same);
        if (head)
            diff_lines(out, ' ', head);
        free(head);
    }
    diff_lines(out, '-', want + same);
    diff_lines(out, '+', got + same);
    fclose(out);
    if (text && strlen(text) > DIFF_MAX)
        strcpy(text + DIFF_MAX - 5, "...\n");
    return text;
}

START_TEST(golden_file)
{
    const char *input = g_inputs[_i];
    size_t stem = strlen(input) - strlen(g_ext);
    char err_name[512], ok_name[512];
    snprintf(err_name, sizeof(err_name), "%.*s.err", (int)stem, input);
    snprintf(ok_name, sizeof(ok_name), "%.*s.ok", (int)stem, input);

    char *got = NULL;
    bool accepted = g_fn(input, &got);
    ck_assert_ptr_nonnull(got);
    const char *want_name = accepted ? ok_name : err_name;
    const char *other = accepted ? err_name : ok_name;

    if (g_update) {
        write_file(want_name, got);
        if (exists(other))
            ck_assert_msg(unlink(other) == 0, "%s: %s", other, strerror(errno));
        printf("golden: wrote %s/%s\n", g_folder, want_name);
        free(got);
        return;
    }
    if (!exists(want_name)) {
        ck_abort_msg("%s: %s, but %s is missing%s%s (make golden-update "
                     "writes it)\n%s",
                     input, accepted ? "accepted" : "refused", want_name,
                     exists(other) ? "; expected: " : "",
                     exists(other) ? other : "", got);
    }
    char *want = slurp(want_name);
    ck_assert_msg(want != NULL, "%s: cannot read: %s", want_name,
                  strerror(errno));
    if (strcmp(want, got) != 0) {
        char *d = diff(want_name, want, got);
        ck_abort_msg("%s: output differs from %s\n%s", input, want_name,
                     d ? d : "(out of memory)");
    }
    free(want);
    free(got);
}
END_TEST

/* Every expected text belongs to an input, and no input has two. */
START_TEST(no_strays)
{
    for (size_t i = 0; i < g_n_names; i++) {
        const char *name = g_names[i];
        if (strcmp(name, "README.md") == 0 || ends_with(name, g_ext))
            continue;
        const char *dot = strrchr(name, '.');
        ck_assert_msg(dot && (!strcmp(dot, ".err") || !strcmp(dot, ".ok")),
                      "%s/%s: neither an input (*%s) nor an expected text "
                      "(.err, .ok)",
                      g_folder, name, g_ext);
        char input[512];
        snprintf(input, sizeof(input), "%.*s%s", (int)(dot - name), name,
                 g_ext);
        ck_assert_msg(exists(input), "%s/%s: no input %s for it", g_folder,
                      name, input);
        if (!strcmp(dot, ".err")) {
            snprintf(input, sizeof(input), "%.*s.ok", (int)(dot - name), name);
            ck_assert_msg(!exists(input),
                          "%s/%s and %s: only one can be "
                          "right",
                          g_folder, name, input);
        }
    }
}
END_TEST

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_folder(void)
{
    DIR *d = opendir(".");
    if (!d) {
        fprintf(stderr, "golden: %s/%s: %s\n", GOLDEN_DIR, g_folder,
                strerror(errno));
        exit(EXIT_FAILURE);
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (g_n_names == MAX_FILES) {
            fprintf(stderr, "golden: more than %d files in %s\n", MAX_FILES,
                    g_folder);
            exit(EXIT_FAILURE);
        }
        g_names[g_n_names] = strdup(e->d_name);
        if (!g_names[g_n_names++])
            abort();
    }
    closedir(d);
    qsort(g_names, g_n_names, sizeof(g_names[0]), by_name);
    for (size_t i = 0; i < g_n_names; i++)
        if (ends_with(g_names[i], g_ext))
            g_inputs[g_n_inputs++] = g_names[i];
}

int golden_main(const char *folder, const char *ext, golden_fn *fn)
{
    g_folder = folder;
    g_ext = ext;
    g_fn = fn;
    const char *u = getenv("CHAOS_GOLDEN_UPDATE");
    g_update = u && *u && strcmp(u, "0") != 0;

    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/%s", GOLDEN_DIR, folder);
    if (chdir(dir) != 0) {
        fprintf(stderr, "golden: %s: %s\n", dir, strerror(errno));
        return EXIT_FAILURE;
    }
    list_folder();
    if (g_n_inputs == 0) {
        fprintf(stderr, "golden: no *%s files in %s\n", ext, dir);
        return EXIT_FAILURE;
    }

    Suite *s = suite_create(folder);
    TCase *tc = tcase_create("golden");
    tcase_add_loop_test(tc, golden_file, 0, (int)g_n_inputs);
    tcase_add_test(tc, no_strays);
    suite_add_tcase(s, tc);
    int rc = check_run(s);
    for (size_t i = 0; i < g_n_names; i++)
        free(g_names[i]);
    return rc;
}
