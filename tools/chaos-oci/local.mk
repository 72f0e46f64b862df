# chaos-oci: an OCI runtime (docs/oci.md).  The pure parts (config.json,
# state, signals, the console filter) are small files with unit tests and a
# fuzz target; Xen only through libchaos, images through libtinyx.
OCI_PURE_SRCS = \
	tools/chaos-oci/oci_spec.h tools/chaos-oci/oci_spec.c \
	tools/chaos-oci/oci_state.h tools/chaos-oci/oci_state.c \
	tools/chaos-oci/oci_signal.h tools/chaos-oci/oci_signal.c \
	tools/chaos-oci/oci_output.h tools/chaos-oci/oci_output.c \
	tools/chaos-oci/oci_bind.h tools/chaos-oci/oci_bind.c

sbin_PROGRAMS += tools/chaos-oci/chaos-oci
tools_chaos_oci_chaos_oci_SOURCES = $(OCI_PURE_SRCS) \
	tools/chaos-oci/oci.h \
	tools/chaos-oci/main.c \
	tools/chaos-oci/cmd_create.c \
	tools/chaos-oci/cmd_ops.c \
	tools/chaos-oci/oci_root.c \
	tools/chaos-oci/keeper.c \
	tools/chaos-oci/oci_pty.c \
	tools/chaos-oci/oci_image.h tools/chaos-oci/oci_image.c \
	tools/chaos-oci/oci_chaosd.h tools/chaos-oci/oci_chaosd.c \
	tools/chaos/daemon_client.h tools/chaos/daemon_client.c
# Through chaosd: the `chaos` command's client (daemon_client.c) and
# chaosd's codec, not a second JSON client.
tools_chaos_oci_chaos_oci_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) \
	-I$(top_srcdir)/tinyx -DTINYX_DATADIR='"$(tinyxdatadir)"' \
	-I$(top_srcdir)/tools/chaos -I$(top_srcdir)/chaosd
tools_chaos_oci_chaos_oci_LDADD = libchaos/libchaos.la tinyx/libtinyx.la \
	chaosd/libchaosd_proto.la $(JSONC_LIBS)

OCI_TESTS = tests/unit/test_oci_spec tests/unit/test_oci_state \
	tests/unit/test_oci_signal tests/unit/test_oci_output
check_PROGRAMS += $(OCI_TESTS)
TESTS += $(OCI_TESTS)
OCI_TEST_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JSONC_CFLAGS) \
	-I$(top_srcdir)/tools/chaos-oci -I$(top_srcdir)/tinyx \
	-DOCI_CORPUS_DIR='"$(abs_top_srcdir)/tests/fuzz/corpus/oci-spec"'
OCI_TEST_LIBS = $(CHECK_LIBS) $(JSONC_LIBS)
tests_unit_test_oci_spec_SOURCES = tests/unit/test_oci_spec.c $(OCI_PURE_SRCS)
tests_unit_test_oci_spec_CFLAGS = $(OCI_TEST_CFLAGS)
tests_unit_test_oci_spec_LDADD = $(OCI_TEST_LIBS)
tests_unit_test_oci_state_SOURCES = tests/unit/test_oci_state.c $(OCI_PURE_SRCS)
tests_unit_test_oci_state_CFLAGS = $(OCI_TEST_CFLAGS)
tests_unit_test_oci_state_LDADD = $(OCI_TEST_LIBS)
tests_unit_test_oci_signal_SOURCES = tests/unit/test_oci_signal.c $(OCI_PURE_SRCS)
tests_unit_test_oci_signal_CFLAGS = $(OCI_TEST_CFLAGS)
tests_unit_test_oci_signal_LDADD = $(OCI_TEST_LIBS)
tests_unit_test_oci_output_SOURCES = tests/unit/test_oci_output.c $(OCI_PURE_SRCS)
tests_unit_test_oci_output_CFLAGS = $(OCI_TEST_CFLAGS)
tests_unit_test_oci_output_LDADD = $(OCI_TEST_LIBS)

check-oci: $(OCI_TESTS)
	$(MAKE) $(AM_MAKEFLAGS) check-TESTS TESTS='$(OCI_TESTS)'
.PHONY: check-oci

# `make fuzz-oci [FUZZ_SECONDS=N]`: config.json translation and the
# console filter (the guest's output) under libFuzzer.
OCI_FUZZ_FLAGS = -g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-include $(top_builddir)/config.h -I$(srcdir)/tools/chaos-oci \
	$(JSONC_CFLAGS)
EXTRA_DIST += tests/fuzz/fuzz_oci_spec.c tests/fuzz/corpus/oci-spec \
	tests/fuzz/fuzz_oci_output.c
CLEANFILES += tests/fuzz/fuzz_oci_spec tests/fuzz/fuzz_oci_output
tests/fuzz/fuzz_oci_spec: $(srcdir)/tests/fuzz/fuzz_oci_spec.c \
		$(srcdir)/tools/chaos-oci/oci_spec.c $(srcdir)/tools/chaos-oci/oci_spec.h
	@test -n "$(FUZZ_CC)" || { echo "fuzz-oci: no clang (apt-get install clang, then re-run configure)" >&2; exit 1; }
	@$(MKDIR_P) tests/fuzz
	$(AM_V_CC)$(FUZZ_CC) $(OCI_FUZZ_FLAGS) -o $@ \
		$(srcdir)/tests/fuzz/fuzz_oci_spec.c $(srcdir)/tools/chaos-oci/oci_spec.c \
		$(JSONC_LIBS)
tests/fuzz/fuzz_oci_output: $(srcdir)/tests/fuzz/fuzz_oci_output.c \
		$(srcdir)/tools/chaos-oci/oci_output.c $(srcdir)/tools/chaos-oci/oci_output.h
	@test -n "$(FUZZ_CC)" || { echo "fuzz-oci: no clang (apt-get install clang, then re-run configure)" >&2; exit 1; }
	@$(MKDIR_P) tests/fuzz
	$(AM_V_CC)$(FUZZ_CC) $(OCI_FUZZ_FLAGS) -I$(srcdir)/tinyx -o $@ \
		$(srcdir)/tests/fuzz/fuzz_oci_output.c $(srcdir)/tools/chaos-oci/oci_output.c
fuzz-oci: tests/fuzz/fuzz_oci_spec tests/fuzz/fuzz_oci_output
	@secs='$(FUZZ_SECONDS)'; test -n "$$secs" || secs=10; \
	if test "$$secs" != 0; then \
		$(MKDIR_P) tests/fuzz/work-oci-spec tests/fuzz/work-oci-output; \
		echo "running fuzz_oci_spec for $$secs s"; \
		./tests/fuzz/fuzz_oci_spec -max_total_time=$$secs -max_len=16384 \
			-print_final_stats=1 tests/fuzz/work-oci-spec \
			$(srcdir)/tests/fuzz/corpus/oci-spec || exit 1; \
		printf '\001hi\r\ntinyx: stdin ready\nx\036tinyx: exit status 3\r\n' \
			>tests/fuzz/work-oci-output/seed; \
		echo "running fuzz_oci_output for $$secs s"; \
		./tests/fuzz/fuzz_oci_output -max_total_time=$$secs -max_len=4096 \
			-print_final_stats=1 tests/fuzz/work-oci-output || exit 1; \
	fi
.PHONY: fuzz-oci
