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

# libFuzzer target for the ring logic (never part of 'make all' or 'make
# check'):  make fuzz-netback FUZZ_SECONDS=60
# New inputs go to tests/fuzz/work-netback in the build tree; the seeds in
# tests/fuzz/corpus/netback (written by hand in the target's input format:
# a GSO packet over three slots, one with a bad MSS, one of one segment,
# GSO of UDP, checksum-blank UDP with and without CSUM taken, an rx frame
# with a partial checksum) stay as they are.
FUZZ_NETBACK_FILES = $(srcdir)/tests/fuzz/fuzz_netback_ring.c \
	$(srcdir)/libchaos/backend/netback_ring.c \
	$(srcdir)/libchaos/backend/netback_csum.c
FUZZ_NETBACK_FLAGS = -g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-include $(top_builddir)/config.h -I$(srcdir)/libchaos -I$(srcdir)/noxs
EXTRA_DIST += tests/fuzz/fuzz_netback_ring.c tests/fuzz/corpus/netback
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
	  -max_len=12288 -print_final_stats=1 tests/fuzz/work-netback \
	  $(srcdir)/tests/fuzz/corpus/netback

.PHONY: fuzz-netback

# -- block back end (blkback*.c) --
libchaos_libchaos_la_SOURCES += libchaos/backend/blkback.c \
	libchaos/backend/blkback_ring.c libchaos/backend/blkback_ring.h

# Unit tests of the ring consumer (Check): a fake ring and a disk in memory.
check_PROGRAMS += tests/unit/test_blkback_ring
TESTS += tests/unit/test_blkback_ring
tests_unit_test_blkback_ring_SOURCES = tests/unit/test_blkback_ring.c \
	libchaos/backend/blkback_ring.c libchaos/backend/blkback_ring.h
tests_unit_test_blkback_ring_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_blkback_ring_LDADD = $(CHECK_LIBS)

# libFuzzer target for the ring consumer (never part of 'make all' or
# 'make check'):  make fuzz-blkback FUZZ_SECONDS=60
# The input is the ring pages as the guest wrote them, after a 4-byte
# header choosing the ring size and the disk's mode.  New inputs go to
# tests/fuzz/work-blkback in the build tree; the seeds in
# tests/fuzz/corpus/blkback (rings test_blkback_ring served, written with
# CHAOS_BLKBACK_CORPUS=DIR, minimised with -merge=1) stay as they are.
FUZZ_BLKBACK_FILES = $(srcdir)/tests/fuzz/fuzz_blkback_ring.c \
	$(srcdir)/libchaos/backend/blkback_ring.c
FUZZ_BLKBACK_FLAGS = -g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-include $(top_builddir)/config.h -I$(srcdir)/libchaos \
	-I$(srcdir)/libchaos/backend
EXTRA_DIST += tests/fuzz/fuzz_blkback_ring.c tests/fuzz/corpus/blkback
CLEANFILES += tests/fuzz/fuzz_blkback_ring

tests/fuzz/fuzz_blkback_ring: $(FUZZ_BLKBACK_FILES) \
		$(srcdir)/libchaos/backend/blkback_ring.h
	@test -n "$(FUZZ_CC)" || { \
	  echo "fuzz-blkback: no clang found by configure (apt-get install clang)"; \
	  exit 1; }
	@$(MKDIR_P) tests/fuzz
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_BLKBACK_FLAGS) -o $@ $(FUZZ_BLKBACK_FILES)

fuzz-blkback: tests/fuzz/fuzz_blkback_ring
	@$(MKDIR_P) tests/fuzz/work-blkback
	./tests/fuzz/fuzz_blkback_ring -max_total_time=$(FUZZ_SECONDS) \
	  -max_len=16388 -print_final_stats=1 tests/fuzz/work-blkback \
	  $(srcdir)/tests/fuzz/corpus/blkback

# `make fuzz` runs this one too (a prerequisite added here, so the
# top-level list stays untouched).
fuzz: fuzz-blkback
.PHONY: fuzz-blkback
