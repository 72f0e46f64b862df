# libchaos/store: the private per-guest XenStore (issue 11, docs/store.md).
#
# Pure code: the tree, the wire format, the operations, watches,
# transactions and the ring page's byte transfer; the supervisor
# (libchaos/store_serve.c) maps the ring and serves it.  Only this folder
# includes a Xen header outside libchaos/hv/: xen/io/xs_wire.h, the
# protocol's plain definitions (tools/lint/xen-headers.sh).

STORE_CORE_SRCS = \
	libchaos/store/store.h libchaos/store/store.c \
	libchaos/store/store_int.h \
	libchaos/store/store_ops.c \
	libchaos/store/store_path.c \
	libchaos/store/store_watch.c \
	libchaos/store/store_tree.h libchaos/store/store_tree.c \
	libchaos/store/store_wire.h libchaos/store/store_wire.c \
	libchaos/store/store_ring.h libchaos/store/store_ring.c \
	libchaos/store/store_snap.c
libchaos_libchaos_la_SOURCES += $(STORE_CORE_SRCS)

# Unit tests (Check): they compile the module themselves and need no Xen.
STORE_TESTS = \
	tests/unit/test_store \
	tests/unit/test_store_ring \
	tests/unit/test_store_client \
	tests/unit/test_store_snap
check_PROGRAMS += $(STORE_TESTS)
TESTS += $(STORE_TESTS)
tests_unit_test_store_SOURCES = tests/unit/test_store.c \
	tests/unit/test_store_util.h $(STORE_CORE_SRCS)
tests_unit_test_store_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_store_LDADD = $(CHECK_LIBS)
tests_unit_test_store_ring_SOURCES = tests/unit/test_store_ring.c \
	libchaos/store/store_ring.h libchaos/store/store_ring.c
tests_unit_test_store_ring_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_store_ring_LDADD = $(CHECK_LIBS)
tests_unit_test_store_client_SOURCES = tests/unit/test_store_client.c \
	libchaos/store/store_client.h libchaos/store/store_client.c \
	$(STORE_CORE_SRCS)
tests_unit_test_store_client_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_store_client_LDADD = $(CHECK_LIBS)

tests_unit_test_store_snap_SOURCES = tests/unit/test_store_snap.c \
	tests/unit/test_store_util.h $(STORE_CORE_SRCS)
tests_unit_test_store_snap_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_store_snap_LDADD = $(CHECK_LIBS)

# Only the store's tests.
check-store: $(STORE_TESTS)
	$(MAKE) $(AM_MAKEFLAGS) check-TESTS TESTS='$(STORE_TESTS)'
.PHONY: check-store

EXTRA_DIST += docs/store.md

# libFuzzer target (never part of 'make all' or 'make check'):
#   make fuzz-store FUZZ_SECONDS=60
# The input drives a guest and a dom0 connection, dom0's calls and a ring
# page (tests/fuzz/fuzz_store.c says how); new inputs go to
# tests/fuzz/work-store in the build tree, the seeds in
# tests/fuzz/corpus/store (valid requests, written by hand) stay.
FUZZ_STORE_FILES = $(srcdir)/tests/fuzz/fuzz_store.c \
	$(srcdir)/libchaos/store/store.c $(srcdir)/libchaos/store/store_ops.c \
	$(srcdir)/libchaos/store/store_path.c \
	$(srcdir)/libchaos/store/store_watch.c \
	$(srcdir)/libchaos/store/store_tree.c \
	$(srcdir)/libchaos/store/store_wire.c \
	$(srcdir)/libchaos/store/store_ring.c
FUZZ_STORE_FLAGS = -g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-include $(top_builddir)/config.h -I$(srcdir)/libchaos \
	-I$(srcdir)/libchaos/store
EXTRA_DIST += tests/fuzz/fuzz_store.c tests/fuzz/corpus/store
CLEANFILES += tests/fuzz/fuzz_store

tests/fuzz/fuzz_store: $(FUZZ_STORE_FILES) \
		$(srcdir)/libchaos/store/store.h \
		$(srcdir)/libchaos/store/store_int.h \
		$(srcdir)/libchaos/store/store_tree.h \
		$(srcdir)/libchaos/store/store_wire.h \
		$(srcdir)/libchaos/store/store_ring.h
	@test -n "$(FUZZ_CC)" || { \
	  echo "fuzz-store: no clang found by configure (apt-get install clang)"; \
	  exit 1; }
	@$(MKDIR_P) tests/fuzz
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_STORE_FLAGS) -o $@ $(FUZZ_STORE_FILES)

fuzz-store: tests/fuzz/fuzz_store
	@$(MKDIR_P) tests/fuzz/work-store
	./tests/fuzz/fuzz_store -max_total_time=$(FUZZ_SECONDS) \
	  -max_len=16384 -print_final_stats=1 tests/fuzz/work-store \
	  $(srcdir)/tests/fuzz/corpus/store

# `make fuzz` runs this one too.
fuzz: fuzz-store
.PHONY: fuzz-store

# The snapshot's decoder (store_snap.c), fed whole snapshots:
#   make fuzz-store-snap FUZZ_SECONDS=60
# Seeds in tests/fuzz/corpus/store-snap (a snapshot of a guest with
# watches, a transaction, a value it wrote and a request in part: the
# state test_store_snap.c's busy_guest() makes, encoded once).
FUZZ_STORE_SNAP_FILES = $(srcdir)/tests/fuzz/fuzz_store_snap.c \
	$(srcdir)/libchaos/store/store_snap.c \
	$(srcdir)/libchaos/store/store.c $(srcdir)/libchaos/store/store_ops.c \
	$(srcdir)/libchaos/store/store_path.c \
	$(srcdir)/libchaos/store/store_watch.c \
	$(srcdir)/libchaos/store/store_tree.c \
	$(srcdir)/libchaos/store/store_wire.c
EXTRA_DIST += tests/fuzz/fuzz_store_snap.c tests/fuzz/corpus/store-snap
CLEANFILES += tests/fuzz/fuzz_store_snap

tests/fuzz/fuzz_store_snap: $(FUZZ_STORE_SNAP_FILES) \
		$(srcdir)/libchaos/store/store.h \
		$(srcdir)/libchaos/store/store_int.h \
		$(srcdir)/libchaos/store/store_tree.h \
		$(srcdir)/libchaos/store/store_wire.h
	@test -n "$(FUZZ_CC)" || { \
	  echo "fuzz-store-snap: no clang found by configure (apt-get install clang)"; \
	  exit 1; }
	@$(MKDIR_P) tests/fuzz
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_STORE_FLAGS) -o $@ $(FUZZ_STORE_SNAP_FILES)

fuzz-store-snap: tests/fuzz/fuzz_store_snap
	@$(MKDIR_P) tests/fuzz/work-store-snap
	./tests/fuzz/fuzz_store_snap -max_total_time=$(FUZZ_SECONDS) \
	  -max_len=65536 -print_final_stats=1 tests/fuzz/work-store-snap \
	  $(srcdir)/tests/fuzz/corpus/store-snap

fuzz: fuzz-store-snap
.PHONY: fuzz-store-snap
