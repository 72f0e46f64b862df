/*
 * config_fixture.h - what the configuration unit tests (test_config.c,
 * test_devcfg.c) share: a fresh chaos_config per test, parsing text named
 * "g.cfg", and the ok/error assertions.  Include after <check.h>.
 */
#ifndef CHAOS_TEST_CONFIG_FIXTURE_H
#define CHAOS_TEST_CONFIG_FIXTURE_H

#include <errno.h>
#include <string.h>

#include "chaos.h"

static chaos_config *cfg;

static inline void setup(void)
{
    cfg = chaos_config_new();
    ck_assert_ptr_nonnull(cfg);
}

static inline void teardown(void)
{
    chaos_config_free(cfg);
    cfg = NULL;
}

static inline int parse(const char *text)
{
    return chaos_config_parse(cfg, text, strlen(text), "g.cfg");
}

#define ck_parse_ok(text) \
    ck_assert_msg(parse(text) == 0, "%s", chaos_config_errmsg(cfg))

#define ck_parse_err(text, msg)                            \
    do {                                                   \
        ck_assert_int_eq(parse(text), -EINVAL);            \
        ck_assert_str_eq(chaos_config_errmsg(cfg), (msg)); \
    } while (0)

#endif /* CHAOS_TEST_CONFIG_FIXTURE_H */
