# noxs: the device page shared by dom0's back ends and the guests
# (docs/noxs.md).  Today: the ABI header and dom0's page codec, both pure
# code; the back ends and the unikernel's front ends will build on them.
EXTRA_DIST += docs/noxs.md
# dom0's codec is part of libchaos (the supervisor serves the page).
libchaos_libchaos_la_SOURCES += noxs/noxs_abi.h noxs/noxs.h noxs/noxs.c

# The ABI header is also guest code: prove on every build that it compiles
# with the unikernel's freestanding flags (UK_C_FLAGS, unikernel/local.mk).
noinst_DATA = noxs/noxs_abi.stamp
CLEANFILES += noxs/noxs_abi.stamp
noxs/noxs_abi.stamp: $(srcdir)/noxs/noxs_abi.h
	@$(MKDIR_P) noxs
	$(AM_V_CC)$(CC) $(UK_C_FLAGS) $(CFLAGS) -nostdinc \
		-isystem "$$($(CC) -print-file-name=include)" -fsyntax-only \
		-x c $(srcdir)/noxs/noxs_abi.h
	@touch $@

# Unit tests of the codec (Check).
check_PROGRAMS += tests/unit/test_noxs
TESTS += tests/unit/test_noxs
tests_unit_test_noxs_SOURCES = tests/unit/test_noxs.c \
	noxs/noxs.c noxs/noxs.h noxs/noxs_abi.h
tests_unit_test_noxs_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/noxs
tests_unit_test_noxs_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_noxs_LDADD = $(CHECK_LIBS)

# libFuzzer target for the page reader (never part of 'make all' or 'make
# check'):  make fuzz-noxs FUZZ_SECONDS=60
# New inputs go to tests/fuzz/work-noxs in the build tree; the seeds in
# tests/fuzz/corpus/noxs (valid pages, written by test_noxs with
# CHAOS_NOXS_CORPUS=DIR) stay as they are.
FUZZ_NOXS_FILES = $(srcdir)/tests/fuzz/fuzz_noxs_page.c $(srcdir)/noxs/noxs.c
FUZZ_NOXS_FLAGS = -g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-include $(top_builddir)/config.h -I$(srcdir)/noxs
EXTRA_DIST += tests/fuzz/fuzz_noxs_page.c tests/fuzz/corpus/noxs
CLEANFILES += tests/fuzz/fuzz_noxs_page

tests/fuzz/fuzz_noxs_page: $(FUZZ_NOXS_FILES) $(srcdir)/noxs/noxs.h \
		$(srcdir)/noxs/noxs_abi.h
	@test -n "$(FUZZ_CC)" || { \
	  echo "fuzz-noxs: no clang found by configure (apt-get install clang)"; \
	  exit 1; }
	@$(MKDIR_P) tests/fuzz
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_NOXS_FLAGS) -o $@ $(FUZZ_NOXS_FILES)

fuzz-noxs: tests/fuzz/fuzz_noxs_page
	@$(MKDIR_P) tests/fuzz/work-noxs
	./tests/fuzz/fuzz_noxs_page -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	  -print_final_stats=1 tests/fuzz/work-noxs $(srcdir)/tests/fuzz/corpus/noxs

.PHONY: fuzz-noxs
