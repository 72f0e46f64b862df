# libchaos/config: guest configuration: the xl.cfg parser (xlcfg.*) and the chaos_config API
# (config*.c).  Pure logic, no Xen calls; see docs/config.md.
libchaos_libchaos_pure_la_SOURCES += \
	libchaos/config/xlcfg.h \
	libchaos/config/xlcfg.c \
	libchaos/config/config_internal.h \
	libchaos/config/config.c \
	libchaos/config/config_keys.c \
	libchaos/config/config_devices.c \
	libchaos/config/config_api.c

# Unit tests.  test_xlcfg exercises the internal parser, which the library
# does not export, so it compiles xlcfg.c itself; test_config and
# test_devcfg (vif and disk) go through the public API of the library.
check_PROGRAMS += tests/unit/test_xlcfg tests/unit/test_config \
	tests/unit/test_devcfg
TESTS += tests/unit/test_xlcfg tests/unit/test_config tests/unit/test_devcfg
tests_unit_test_xlcfg_SOURCES = tests/unit/test_xlcfg.c libchaos/config/xlcfg.c
tests_unit_test_xlcfg_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_xlcfg_LDADD = $(CHECK_LIBS)
tests_unit_test_config_SOURCES = tests/unit/test_config.c \
	tests/unit/config_fixture.h
tests_unit_test_config_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_config_LDADD = libchaos/libchaos.la $(CHECK_LIBS)
tests_unit_test_devcfg_SOURCES = tests/unit/test_devcfg.c \
	tests/unit/config_fixture.h
tests_unit_test_devcfg_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_devcfg_LDADD = libchaos/libchaos.la $(CHECK_LIBS)

# libFuzzer target for the parser and the config mapping (never part of
# 'make all' or 'make check'):  make fuzz-config FUZZ_SECONDS=60
# New inputs go to tests/fuzz/work-xlcfg in the build tree; the seeds in
# tests/fuzz/corpus/xlcfg stay as they are.  Crashes land in the build dir.
FUZZ_SECONDS = 30
# The parser's sources, which fuzz targets of other parsers built on it
# (chaosd's configuration) compile too.
CONFIG_PURE_FILES = \
	$(srcdir)/libchaos/config/xlcfg.c \
	$(srcdir)/libchaos/config/config.c \
	$(srcdir)/libchaos/config/config_keys.c \
	$(srcdir)/libchaos/config/config_devices.c \
	$(srcdir)/libchaos/config/config_api.c
FUZZ_XLCFG_FILES = $(srcdir)/tests/fuzz/fuzz_xlcfg.c $(CONFIG_PURE_FILES)
FUZZ_XLCFG_FLAGS = -g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-include $(top_builddir)/config.h -I$(srcdir)/libchaos
EXTRA_DIST += \
	docs/config.md \
	tests/fuzz/fuzz_xlcfg.c \
	tests/fuzz/xlcfg.dict \
	tests/fuzz/corpus/xlcfg
CLEANFILES += tests/fuzz/fuzz_xlcfg

tests/fuzz/fuzz_xlcfg: $(FUZZ_XLCFG_FILES) $(srcdir)/libchaos/config/xlcfg.h \
		$(srcdir)/libchaos/config/config_internal.h $(srcdir)/libchaos/chaos.h
	@test -n "$(FUZZ_CC)" || { \
	  echo "fuzz-config: no clang found by configure (apt-get install clang)"; \
	  exit 1; }
	@$(MKDIR_P) tests/fuzz
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_XLCFG_FLAGS) -o $@ $(FUZZ_XLCFG_FILES)

fuzz-config: tests/fuzz/fuzz_xlcfg
	@$(MKDIR_P) tests/fuzz/work-xlcfg
	./tests/fuzz/fuzz_xlcfg -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	  -dict=$(srcdir)/tests/fuzz/xlcfg.dict -print_final_stats=1 \
	  tests/fuzz/work-xlcfg $(srcdir)/tests/fuzz/corpus/xlcfg

.PHONY: fuzz-config
