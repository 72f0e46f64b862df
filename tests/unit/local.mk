# Unit tests (Check): each area's local.mk lists its own test programs.
# What they all share: check_run.h, the end of every test program's main().
EXTRA_DIST += tests/unit/check_run.h

# Golden-file tests (tests/golden/README.md): each bad configuration beside
# the exact message it must produce.  GOLDEN_DIR is the source tree's, so
# out-of-tree builds and distcheck read the same files.
GOLDEN_TESTS = tests/unit/test_golden_xlcfg tests/unit/test_golden_chaosd_conf
check_PROGRAMS += $(GOLDEN_TESTS)
TESTS += $(GOLDEN_TESTS)
GOLDEN_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) \
	-DGOLDEN_DIR='"$(abs_top_srcdir)/tests/golden"' -I$(top_srcdir)/tests/unit
tests_unit_test_golden_xlcfg_SOURCES = tests/unit/test_golden_xlcfg.c \
	tests/unit/golden.h tests/unit/golden.c
tests_unit_test_golden_xlcfg_CFLAGS = $(GOLDEN_CFLAGS)
tests_unit_test_golden_xlcfg_LDADD = libchaos/libchaos.la $(CHECK_LIBS)
tests_unit_test_golden_chaosd_conf_SOURCES = \
	tests/unit/test_golden_chaosd_conf.c tests/unit/golden.h \
	tests/unit/golden.c chaosd/conf.h chaosd/conf.c
tests_unit_test_golden_chaosd_conf_CFLAGS = $(GOLDEN_CFLAGS) \
	-I$(top_srcdir)/chaosd
tests_unit_test_golden_chaosd_conf_LDADD = libchaos/libchaos.la $(CHECK_LIBS)
EXTRA_DIST += tests/golden

# Rewrites the .err / .ok files from the parsers' current output, for when a
# message changes on purpose; review the result with `git diff tests/golden`.
golden-update: $(GOLDEN_TESTS)
	@for t in $(GOLDEN_TESTS); do \
	  CHAOS_GOLDEN_UPDATE=1 CK_VERBOSITY=silent ./$$t || exit 1; \
	done
.PHONY: golden-update
