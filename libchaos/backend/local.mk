# libchaos/backend: device back ends in dom0 user space (backend.h).
# Part of libchaos.la; the ring consumers (*_ring.c) are pure code with
# unit tests and fuzz targets of their own.
libchaos_libchaos_la_SOURCES += libchaos/backend/backend.h
libchaos_libchaos_la_CFLAGS += $(MNL_CFLAGS)
libchaos_libchaos_la_LIBADD += $(MNL_LIBS)

# -- network back end (netback*.c, tap.c) --
# netback_ring.c is the only one that includes Xen's ring ABI
# (xen/io/netif.h, plain headers: no Xen library is linked for it).
libchaos_libchaos_la_SOURCES += libchaos/backend/netback.c \
	libchaos/backend/netback_csum.h libchaos/backend/netback_csum.c \
	libchaos/backend/netback_ring.h libchaos/backend/netback_ring.c \
	libchaos/backend/tap.c

# Unit tests of the ring logic on fake rings (Check).
check_PROGRAMS += tests/unit/test_netback_ring
TESTS += tests/unit/test_netback_ring
tests_unit_test_netback_ring_SOURCES = tests/unit/test_netback_ring.c \
	libchaos/backend/netback_ring.c libchaos/backend/netback_csum.c
tests_unit_test_netback_ring_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_netback_ring_LDADD = $(CHECK_LIBS)

# -- block back end (blkback*.c) --

# libFuzzer target for the ring logic (never part of 'make all' or 'make
# check'):  make fuzz-netback FUZZ_SECONDS=60
# New inputs go to tests/fuzz/work-netback in the build tree.
FUZZ_NETBACK_FILES = $(srcdir)/tests/fuzz/fuzz_netback_ring.c \
	$(srcdir)/libchaos/backend/netback_ring.c \
	$(srcdir)/libchaos/backend/netback_csum.c
FUZZ_NETBACK_FLAGS = -g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-include $(top_builddir)/config.h -I$(srcdir)/libchaos -I$(srcdir)/noxs
EXTRA_DIST += tests/fuzz/fuzz_netback_ring.c
CLEANFILES += tests/fuzz/fuzz_netback_ring

tests/fuzz/fuzz_netback_ring: $(FUZZ_NETBACK_FILES) \
		$(srcdir)/libchaos/backend/netback_ring.h \
		$(srcdir)/libchaos/backend/netback_csum.h
	@test -n "$(FUZZ_CC)" || { \
	  echo "fuzz-netback: no clang found by configure (apt-get install clang)"; \
	  exit 1; }
	@$(MKDIR_P) tests/fuzz
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_NETBACK_FLAGS) -o $@ $(FUZZ_NETBACK_FILES)

fuzz-netback: tests/fuzz/fuzz_netback_ring
	@$(MKDIR_P) tests/fuzz/work-netback
	./tests/fuzz/fuzz_netback_ring -max_total_time=$(FUZZ_SECONDS) \
	  -max_len=12288 -print_final_stats=1 tests/fuzz/work-netback

.PHONY: fuzz-netback
