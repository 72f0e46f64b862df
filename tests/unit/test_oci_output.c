/*
 * Unit tests: chaos-oci's console filter (tools/chaos-oci/oci_output.c):
 * the exit status line taken and dropped, "\r\n" made "\n" without a
 * terminal, and the same result for every split of the input.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "oci_output.h"

/* Runs text through the filter in pieces of step bytes. */
static char *run(const char *text, bool raw, size_t step, int *status)
{
    struct oci_output o;
    oci_output_init(&o, raw);
    size_t len = strlen(text), n = 0;
    char *out = malloc(len + 2 * OCI_OUTPUT_SLACK + 1);
    for (size_t i = 0; i < len; i += step) {
        size_t k = len - i < step ? len - i : step;
        n += oci_output_feed(&o, text + i, k, out + n);
    }
    n += oci_output_finish(&o, out + n);
    out[n] = '\0';
    *status = o.status;
    return out;
}

static const struct {
    const char *in;
    bool raw;
    const char *out;
    int status;
} cases[] = {
    { "hello\r\ntinyx: exit status 0\r\n", false, "hello\n", 0 },
    { "hello\r\ntinyx: exit status 7\r\n", true, "hello\r\n", 7 },
    { "tinyx: exit status 143\n", false, "", 143 },
    { "a\r\nb\rc\r\n", false, "a\nb\rc\n", -1 },
    /* Only at the start of a line, only with digits and a newline. */
    { "x tinyx: exit status 3\n", false, "x tinyx: exit status 3\n", -1 },
    { "tinyx: exit status x\n", false, "tinyx: exit status x\n", -1 },
    { "tinyx: exit status 3x\n", false, "tinyx: exit status 3x\n", -1 },
    { "tinyx: exit status 3", false, "tinyx: exit status 3", -1 },
    { "tinyx: exit", false, "tinyx: exit", -1 },
    { "tinyx: cannot enter /x\r\n", false, "tinyx: cannot enter /x\n", -1 },
    /* The first status line ends the output (then: Linux's messages). */
    { "tinyx: exit status 1\r\ntinyx: exit status 2\r\n", false, "", 1 },
    { "hi\r\ntinyx: exit status 0\r\n[    3.6] reboot: System halted\r\n",
      false, "hi\n", 0 },
    { "tinyx: exit status 12345\n", false, "tinyx: exit status 12345\n", -1 },
    { "tt\n", false, "tt\n", -1 },
    { "", false, "", -1 },
};

START_TEST(filter)
{
    for (size_t step = 1; step <= 8; step++) {
        int status;
        char *out = run(cases[_i].in, cases[_i].raw, step, &status);
        ck_assert_msg(strcmp(out, cases[_i].out) == 0,
                      "case %d step %zu: \"%s\", want \"%s\"", _i, step, out,
                      cases[_i].out);
        ck_assert_int_eq(status, cases[_i].status);
        free(out);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("oci_output");
    TCase *tc = tcase_create("output");
    tcase_add_loop_test(tc, filter, 0, (int)(sizeof(cases) / sizeof(*cases)));
    suite_add_tcase(s, tc);
    return check_run(s);
}
