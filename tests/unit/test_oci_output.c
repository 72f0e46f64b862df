/*
 * Unit tests: chaos-oci's console filter (tools/chaos-oci/oci_output.c):
 * the exit status line taken and dropped, tinyx-stdin's ready line taken
 * (once, not with a terminal), "\r\n" made "\n" without a terminal only
 * until the ready line (the console is raw after it), and the same result
 * for every split of the input.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "oci_output.h"
#include "stdin_frame.h"

/* Runs text through the filter in pieces of step bytes. */
static char *run(const char *text, bool terminal, size_t step, int *status,
                 bool *ready)
{
    struct oci_output o;
    oci_output_init(&o, terminal);
    size_t len = strlen(text), n = 0;
    char *out = malloc(len + 2 * OCI_OUTPUT_SLACK + 1);
    for (size_t i = 0; i < len; i += step) {
        size_t k = len - i < step ? len - i : step;
        n += oci_output_feed(&o, text + i, k, out + n);
    }
    n += oci_output_finish(&o, out + n);
    out[n] = '\0';
    *status = o.status;
    *ready = o.stdin_ready;
    return out;
}

#define R TX_STDIN_READY
#define S OCI_EXIT_SEP
static const struct {
    const char *in;
    bool terminal;
    const char *out;
    int status;
    bool ready; /* without a terminal: the ready line came */
} cases[] = {
    { "hello\r\ntinyx: exit status 0\r\n", false, "hello\n", 0, false },
    { "hello\r\ntinyx: exit status 7\r\n", true, "hello\r\n", 7, false },
    { "tinyx: exit status 143\n", false, "", 143, false },
    { "a\r\nb\rc\r\n", false, "a\nb\rc\n", -1, false },
    /* Only at the start of a line, only with digits and a newline. */
    { "x tinyx: exit status 3\n", false, "x tinyx: exit status 3\n", -1,
      false },
    { "tinyx: exit status x\n", false, "tinyx: exit status x\n", -1, false },
    { "tinyx: exit status 3x\n", false, "tinyx: exit status 3x\n", -1, false },
    { "tinyx: exit status 3", false, "tinyx: exit status 3", -1, false },
    { "tinyx: exit", false, "tinyx: exit", -1, false },
    { "tinyx: cannot enter /x\r\n", false, "tinyx: cannot enter /x\n", -1,
      false },
    /* The first status line ends the output (then: Linux's messages). */
    { "tinyx: exit status 1\r\ntinyx: exit status 2\r\n", false, "", 1, false },
    { "hi\r\ntinyx: exit status 0\r\n[    3.6] reboot: System halted\r\n",
      false, "hi\n", 0, false },
    { "tinyx: exit status 12345\n", false, "tinyx: exit status 12345\n", -1,
      false },
    { "tt\n", false, "tt\n", -1, false },
    { "", false, "", -1, false },
    /* tinyx-stdin's line: taken; the console is raw after it. */
    { "pre\r\n" R "\nout\r\nx\ntinyx: exit status 0\n", false,
      "pre\nout\r\nx\n", 0, true },
    { R "\r\n", false, "", -1, true },
    { R, false, R, -1, false },
    { R "x\r\n", false, R "x\n", -1, false },
    { "a " R "\r\n", false, "a " R "\n", -1, false },
    /* Once only: a program printing it is shown. */
    { R "\n" R "\n", false, R "\n", -1, true },
    /* With a terminal there is no tinyx-stdin: shown, raw. */
    { R "\r\n", true, R "\r\n", -1, true },
    /* The markers share "tinyx: ": held until they part. */
    { "tinyx: sx\r\ntinyx: e\r\n", false, "tinyx: sx\ntinyx: e\n", -1, false },
    { "tinyx: exit status 007x\n", false, "tinyx: exit status 007x\n", -1,
      false },
    { R "\ntinyx: exit status 3\r\n", false, "", 3, true },
    /* /init's line after OCI_EXIT_SEP: taken anywhere in a line, so a
     * last line without a newline keeps its text and the status counts. */
    { "hi" S "tinyx: exit status 0\r\n", false, "hi", 0, false },
    { "hi\r\n" S "tinyx: exit status 4\r\n", false, "hi\n", 4, false },
    { S "tinyx: exit status 9\n", false, "", 9, false },
    { "a\r" S "tinyx: exit status 2\r\n", false, "a\r", 2, false },
    { "hi" S "tinyx: exit status 5\r\n", true, "hi", 5, true },
    { R "\nraw" S "tinyx: exit status 0\r\n", false, "raw", 0, true },
    /* A program's own RS: shown; /init's after it is still found. */
    { "x" S S "tinyx: exit status 1\n", false, "x" S, 1, false },
    { "x" S "y\n", false, "x" S "y\n", -1, false },
    { "x" S "tinyx: exit status 1x\n", false, "x" S "tinyx: exit status 1x\n",
      -1, false },
    { "x" S "tinyx: exi", false, "x" S "tinyx: exi", -1, false },
};
#undef R
#undef S

START_TEST(filter)
{
    for (size_t step = 1; step <= 8; step++) {
        int status;
        bool ready;
        char *out =
            run(cases[_i].in, cases[_i].terminal, step, &status, &ready);
        ck_assert_msg(strcmp(out, cases[_i].out) == 0,
                      "case %d step %zu: \"%s\", want \"%s\"", _i, step, out,
                      cases[_i].out);
        ck_assert_int_eq(status, cases[_i].status);
        ck_assert_msg(ready == (cases[_i].ready || cases[_i].terminal),
                      "case %d step %zu: ready %d", _i, step, ready);
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
