# libchaos: the toolstack library.  The hypervisor module (hv/), the
# configuration (config/) and the console (console/) keep their rules in
# their own local.mk; the rest of the library is flat, one prefix per part.
lib_LTLIBRARIES += libchaos/libchaos.la
include_HEADERS += libchaos/chaos.h
libchaos_libchaos_la_SOURCES = \
	libchaos/chaos.h \
	libchaos/internal.h \
	libchaos/util.h \
	libchaos/context.c \
	libchaos/host.c \
	libchaos/registry.h \
	libchaos/registry.c \
	libchaos/registry_names.c \
	libchaos/domain.c \
	libchaos/shell_image.h \
	libchaos/shell_image.c \
	libchaos/domain_admin.c \
	libchaos/devices.h \
	libchaos/devices.c \
	libchaos/devices_record.c \
	libchaos/devices_control.c \
	libchaos/devices_serve.h \
	libchaos/devices_serve_int.h \
	libchaos/devices_serve.c \
	libchaos/devices_xs.c \
	libchaos/store_serve.h \
	libchaos/store_serve.c \
	libchaos/store/store_client.h \
	libchaos/store/store_client.c \
	libchaos/acpi.h \
	libchaos/acpi.c \
	libchaos/events_diff.h \
	libchaos/events_diff.c \
	libchaos/events.c \
	libchaos/kernel_cache_lru.h \
	libchaos/kernel_cache_lru.c \
	libchaos/kernel_cache.h \
	libchaos/kernel_cache.c
# nettle: SHA-256 of kernel files (kernel_cache.c).
libchaos_libchaos_la_CFLAGS = $(AM_CFLAGS) $(NETTLE_CFLAGS)
libchaos_libchaos_la_LIBADD = libchaos/hv/libhv.la libchaos/libchaos_pure.la \
	$(NETTLE_LIBS)
# The pure part of libchaos (no Xen, no hypervisor handle): the xl.cfg
# parser and config API (libchaos/config/local.mk adds them), the
# supervisor's rules, the names of Xen's states and reasons.  In
# libchaos.so, and linked alone into the thin `chaos` command
# (tools/chaos/thin.c), which must not load Xen's libraries when chaosd
# answers.
noinst_LTLIBRARIES += libchaos/libchaos_pure.la
libchaos_libchaos_pure_la_SOURCES = libchaos/names.c \
	libchaos/supervisor.h libchaos/supervisor_rules.c
# Interface version current:revision:age (libtool rules, not the release).
libchaos_libchaos_la_LDFLAGS = $(AM_LDFLAGS) -version-info 0:0:0 \
	-export-symbols-regex '^chaos_[a-z]'
# pkg-config --cflags --libs libchaos (docs/examples/ is built with it).
pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = libchaos/libchaos.pc
EXTRA_DIST += libchaos/libchaos.pc.in

# Only chaos_* leaves the library (the regex above): internal chaos__*
# helpers and the parts' own prefixes (hv_, registry_, ...) stay inside,
# and every exported name is declared in chaos.h.  The command and chaosd
# link the shared library, so they use chaos.h's API only.
TESTS += tests/unit/test-exports.sh
EXTRA_DIST += tests/unit/test-exports.sh

# The ACPI tables of PVH guests (pure code, no Xen headers).
check_PROGRAMS += tests/unit/test_acpi
TESTS += tests/unit/test_acpi
tests_unit_test_acpi_SOURCES = tests/unit/test_acpi.c \
	libchaos/acpi.h libchaos/acpi.c
tests_unit_test_acpi_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_acpi_LDADD = $(CHECK_LIBS)

# Domain events: the snapshot diff and the event queue (pure code).
check_PROGRAMS += tests/unit/test_events_diff
TESTS += tests/unit/test_events_diff
tests_unit_test_events_diff_SOURCES = tests/unit/test_events_diff.c \
	libchaos/events_diff.h libchaos/events_diff.c
tests_unit_test_events_diff_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_events_diff_LDADD = $(CHECK_LIBS)

# The kernel cache's lookups and LRU accounting (pure code).
check_PROGRAMS += tests/unit/test_kernel_cache
TESTS += tests/unit/test_kernel_cache
tests_unit_test_kernel_cache_SOURCES = tests/unit/test_kernel_cache.c \
	libchaos/kernel_cache_lru.h libchaos/kernel_cache_lru.c
tests_unit_test_kernel_cache_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_kernel_cache_LDADD = $(CHECK_LIBS)

# The registry's records and name index, on a temporary run dir (no Xen).
check_PROGRAMS += tests/unit/test_registry
TESTS += tests/unit/test_registry
tests_unit_test_registry_SOURCES = tests/unit/test_registry.c \
	libchaos/registry.h libchaos/registry.c libchaos/registry_names.c
tests_unit_test_registry_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_registry_LDADD = $(CHECK_LIBS)

EXTRA_DIST += docs/events.md

# The guest supervisor (chaos.h): serves a running guest (console,
# lifecycle actions) for the monitor of `chaos create` and for chaosd.
# The registry keeps each guest's configuration for it.
libchaos_libchaos_la_SOURCES += \
	libchaos/registry_config.c \
	libchaos/supervisor.h \
	libchaos/supervisor.c \
	libchaos/supervisor_lock.c

# Its rules (reason -> on_* key, supported actions) and its lock, with
# no Xen: the rules file is compiled in, the config API comes from the
# library.
check_PROGRAMS += tests/unit/test_supervisor
TESTS += tests/unit/test_supervisor
tests_unit_test_supervisor_SOURCES = tests/unit/test_supervisor.c \
	libchaos/supervisor.h libchaos/supervisor_rules.c \
	libchaos/supervisor_lock.c libchaos/registry.h libchaos/registry.c \
	libchaos/registry_names.c
tests_unit_test_supervisor_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_supervisor_LDADD = libchaos/libchaos.la $(CHECK_LIBS)

# Snapshots (docs/snapshot.md): save and restore of a guest, and the chaos
# header of an image file (snapshot_image.c: pure code, zlib's CRC-32).
libchaos_libchaos_la_SOURCES += \
	libchaos/snapshot_image.h \
	libchaos/snapshot_image.c \
	libchaos/snapshot_save.c \
	libchaos/snapshot_restore.c \
	libchaos/snapshot_stream.h \
	libchaos/snapshot_stream.c \
	libchaos/snapshot_inplace.h \
	libchaos/snapshot_inplace.c
libchaos_libchaos_la_CFLAGS += $(ZLIB_CFLAGS)
libchaos_libchaos_la_LIBADD += $(ZLIB_LIBS)
EXTRA_DIST += docs/snapshot.md

check_PROGRAMS += tests/unit/test_snapshot_image
TESTS += tests/unit/test_snapshot_image
tests_unit_test_snapshot_image_SOURCES = tests/unit/test_snapshot_image.c \
	libchaos/snapshot_image.h libchaos/snapshot_image.c
tests_unit_test_snapshot_image_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) \
	$(ZLIB_CFLAGS)
tests_unit_test_snapshot_image_LDADD = $(CHECK_LIBS) $(ZLIB_LIBS)

# libFuzzer target for the header reader (never part of 'make all' or
# 'make check'):  make fuzz-snapshot FUZZ_SECONDS=60
# New inputs go to tests/fuzz/work-snapshot in the build tree; the seeds in
# tests/fuzz/corpus/snapshot (headers written by test_snapshot_image with
# CHAOS_SNAP_CORPUS=DIR) stay as they are.
FUZZ_SNAP_FILES = $(srcdir)/tests/fuzz/fuzz_snapshot_image.c \
	$(srcdir)/libchaos/snapshot_image.c
FUZZ_SNAP_FLAGS = -g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-include $(top_builddir)/config.h -I$(srcdir)/libchaos $(ZLIB_CFLAGS)
EXTRA_DIST += tests/fuzz/fuzz_snapshot_image.c tests/fuzz/corpus/snapshot
CLEANFILES += tests/fuzz/fuzz_snapshot_image

tests/fuzz/fuzz_snapshot_image: $(FUZZ_SNAP_FILES) \
		$(srcdir)/libchaos/snapshot_image.h
	@test -n "$(FUZZ_CC)" || { \
	  echo "fuzz-snapshot: no clang found by configure (apt-get install clang)"; \
	  exit 1; }
	@$(MKDIR_P) tests/fuzz
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_SNAP_FLAGS) -o $@ $(FUZZ_SNAP_FILES) \
	  $(ZLIB_LIBS)

fuzz-snapshot: tests/fuzz/fuzz_snapshot_image
	@$(MKDIR_P) tests/fuzz/work-snapshot
	./tests/fuzz/fuzz_snapshot_image -max_total_time=$(FUZZ_SECONDS) \
	  -max_len=8192 -print_final_stats=1 tests/fuzz/work-snapshot \
	  $(srcdir)/tests/fuzz/corpus/snapshot

.PHONY: fuzz-snapshot

# The index of an image's migration stream for the in-place restore
# (snapshot_stream.c: pure code).  Fuzz target: make fuzz-stream; seeds in
# tests/fuzz/corpus/stream (test_snapshot_stream with CHAOS_STREAM_CORPUS).
check_PROGRAMS += tests/unit/test_snapshot_stream
TESTS += tests/unit/test_snapshot_stream
tests_unit_test_snapshot_stream_SOURCES = tests/unit/test_snapshot_stream.c \
	libchaos/snapshot_stream.h libchaos/snapshot_stream.c
tests_unit_test_snapshot_stream_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_snapshot_stream_LDADD = $(CHECK_LIBS)

FUZZ_STREAM_FILES = $(srcdir)/tests/fuzz/fuzz_snapshot_stream.c \
	$(srcdir)/libchaos/snapshot_stream.c
EXTRA_DIST += tests/fuzz/fuzz_snapshot_stream.c tests/fuzz/corpus/stream
CLEANFILES += tests/fuzz/fuzz_snapshot_stream

tests/fuzz/fuzz_snapshot_stream: $(FUZZ_STREAM_FILES) \
		$(srcdir)/libchaos/snapshot_stream.h
	@test -n "$(FUZZ_CC)" || { \
	  echo "fuzz-stream: no clang found by configure (apt-get install clang)"; \
	  exit 1; }
	@$(MKDIR_P) tests/fuzz
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_SNAP_FLAGS) -o $@ $(FUZZ_STREAM_FILES)

fuzz-stream: tests/fuzz/fuzz_snapshot_stream
	@$(MKDIR_P) tests/fuzz/work-stream
	./tests/fuzz/fuzz_snapshot_stream -max_total_time=$(FUZZ_SECONDS) \
	  -max_len=65536 -print_final_stats=1 tests/fuzz/work-stream \
	  $(srcdir)/tests/fuzz/corpus/stream

.PHONY: fuzz-stream
