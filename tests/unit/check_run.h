/*
 * check_run.h - the end of every unit test program's main(): run one Check
 * suite (CK_NORMAL: failures are printed) and turn the result into the exit
 * status automake's test driver reads.
 */
#ifndef CHAOS_TESTS_CHECK_RUN_H
#define CHAOS_TESTS_CHECK_RUN_H

#include <check.h>
#include <stdlib.h>

static inline int check_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
