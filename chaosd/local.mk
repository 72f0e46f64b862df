# chaosd: the daemon that keeps pools of prepared VM shells (docs/chaosd.md).
#
# The protocol codec is a convenience library shared with the `chaos`
# command (its `create` and `pool` talk to chaosd), with the JSON objects
# both print (json_codec.c: domains, host, create results; it reads
# libchaos's types, so whoever links it links libchaos).  The configuration
# parser and the pool bookkeeping are pure code, compiled into the daemon
# and into their unit tests and fuzz targets.  The daemon itself uses
# libchaos's public API (chaos.h) only.
noinst_LTLIBRARIES += chaosd/libchaosd_proto.la
chaosd_libchaosd_proto_la_SOURCES = chaosd/protocol.h chaosd/protocol.c \
	chaosd/json_codec.h chaosd/json_codec.c
chaosd_libchaosd_proto_la_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
chaosd_libchaosd_proto_la_LIBADD = $(JSONC_LIBS)

CHAOSD_CORE_SRCS = chaosd/conf.h chaosd/conf.c chaosd/pool.h chaosd/pool.c

# The daemon's logic (pools, refills, creates, recovery, start and stop),
# compiled into the daemon and into test_chaosd_daemon, which runs it on a
# real libuv loop against a fake hypervisor (hv_ops.h) instead of Xen.
# Not in it: main.c, server.c, requests.c (the socket) and guests.c (the
# running guests' supervisor); the test stands in for what it calls there.
CHAOSD_LOGIC_SRCS = $(CHAOSD_CORE_SRCS) \
	chaosd/daemon.h \
	chaosd/daemon.c \
	chaosd/log.h \
	chaosd/log.c \
	chaosd/metrics.h \
	chaosd/metrics.c \
	chaosd/hv_ops.h \
	chaosd/hv_ops.c \
	chaosd/builders.h \
	chaosd/builders.c \
	chaosd/refill.c \
	chaosd/create.c \
	chaosd/restore.c \
	chaosd/images.h \
	chaosd/images.c \
	chaosd/template.h \
	chaosd/template.c \
	chaosd/template_build.c \
	chaosd/warm.h \
	chaosd/warm.c \
	chaosd/recover.c \
	chaosd/state.h \
	chaosd/state.c

sbin_PROGRAMS += chaosd/chaosd
chaosd_chaosd_SOURCES = $(CHAOSD_LOGIC_SRCS) \
	chaosd/main.c \
	chaosd/server.c \
	chaosd/requests.c \
	chaosd/guests.c \
	chaosd/metrics_server.c
chaosd_chaosd_CPPFLAGS = $(AM_CPPFLAGS) \
	-DCHAOSD_CONF_PATH='"$(sysconfdir)/chaos/chaosd.conf"'
chaosd_chaosd_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(LIBUV_CFLAGS) \
	$(LIBSYSTEMD_CFLAGS)
chaosd_chaosd_LDADD = libchaos/libchaos.la chaosd/libchaosd_proto.la \
	$(JSONC_LIBS) $(LIBUV_LIBS) $(LIBSYSTEMD_LIBS)

# The example configuration, installed once: an operator's edits survive
# a re-install.
chaosdconfdir = $(sysconfdir)/chaos
EXTRA_DIST += chaosd/chaosd.conf
# The units' Documentation= points here.
dist_doc_DATA = docs/chaosd.md
EXTRA_DIST += docs/json.md
install-data-local: install-chaosd-conf
install-chaosd-conf:
	$(MKDIR_P) '$(DESTDIR)$(chaosdconfdir)'
	test -e '$(DESTDIR)$(chaosdconfdir)/chaosd.conf' || \
	  $(INSTALL_DATA) $(srcdir)/chaosd/chaosd.conf '$(DESTDIR)$(chaosdconfdir)/chaosd.conf'
uninstall-local: uninstall-chaosd-conf
uninstall-chaosd-conf:
	@echo "leaving $(DESTDIR)$(chaosdconfdir)/chaosd.conf (remove it by hand)"
.PHONY: install-chaosd-conf uninstall-chaosd-conf

# systemd units, with the installed paths substituted.
systemdsystemunit_DATA = chaosd/chaosd.service chaosd/chaosd.socket
EXTRA_DIST += chaosd/chaosd.service.in chaosd/chaosd.socket.in
CLEANFILES += chaosd/chaosd.service chaosd/chaosd.socket
chaosd/chaosd.service: $(srcdir)/chaosd/chaosd.service.in Makefile
chaosd/chaosd.socket: $(srcdir)/chaosd/chaosd.socket.in Makefile
chaosd/chaosd.service chaosd/chaosd.socket:
	@$(MKDIR_P) chaosd
	$(AM_V_GEN)sed -e 's|@sbindir[@]|$(sbindir)|g' \
	  -e 's|@sysconfdir[@]|$(sysconfdir)|g' -e 's|@docdir[@]|$(docdir)|g' \
	  $(srcdir)/$@.in >$@.tmp && mv $@.tmp $@

# Unit tests (no Xen).
CHAOSD_TESTS = tests/unit/test_chaosd_protocol tests/unit/test_chaosd_conf \
	tests/unit/test_chaosd_pool tests/unit/test_chaosd_daemon \
	tests/unit/test_chaosd_template \
	tests/unit/test_chaosd_json tests/unit/test_chaosd_metrics \
	tests/unit/test_chaosd_log
check_PROGRAMS += $(CHAOSD_TESTS)
TESTS += $(CHAOSD_TESTS)
tests_unit_test_chaosd_protocol_SOURCES = tests/unit/test_chaosd_protocol.c
tests_unit_test_chaosd_protocol_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) \
	$(JSONC_CFLAGS) -I$(top_srcdir)/chaosd
tests_unit_test_chaosd_protocol_LDADD = chaosd/libchaosd_proto.la \
	$(CHECK_LIBS) $(JSONC_LIBS)
tests_unit_test_chaosd_json_SOURCES = tests/unit/test_chaosd_json.c
tests_unit_test_chaosd_json_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) \
	$(JSONC_CFLAGS) -I$(top_srcdir)/chaosd
tests_unit_test_chaosd_json_LDADD = chaosd/libchaosd_proto.la \
	libchaos/libchaos.la $(CHECK_LIBS) $(JSONC_LIBS)
tests_unit_test_chaosd_metrics_SOURCES = tests/unit/test_chaosd_metrics.c \
	chaosd/metrics.h chaosd/metrics.c
tests_unit_test_chaosd_metrics_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) \
	-I$(top_srcdir)/chaosd
tests_unit_test_chaosd_metrics_LDADD = $(CHECK_LIBS)
tests_unit_test_chaosd_log_SOURCES = tests/unit/test_chaosd_log.c \
	chaosd/log.h chaosd/log.c
tests_unit_test_chaosd_log_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) \
	$(LIBSYSTEMD_CFLAGS) -I$(top_srcdir)/chaosd
tests_unit_test_chaosd_log_LDADD = $(CHECK_LIBS) $(LIBSYSTEMD_LIBS)
tests_unit_test_chaosd_conf_SOURCES = tests/unit/test_chaosd_conf.c \
	chaosd/conf.h chaosd/conf.c
tests_unit_test_chaosd_conf_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) \
	-I$(top_srcdir)/chaosd
tests_unit_test_chaosd_conf_LDADD = libchaos/libchaos.la $(CHECK_LIBS)
tests_unit_test_chaosd_pool_SOURCES = tests/unit/test_chaosd_pool.c \
	$(CHAOSD_CORE_SRCS)
tests_unit_test_chaosd_pool_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) \
	-I$(top_srcdir)/chaosd
tests_unit_test_chaosd_pool_LDADD = libchaos/libchaos.la $(CHECK_LIBS)
tests_unit_test_chaosd_daemon_SOURCES = tests/unit/test_chaosd_daemon.c \
	tests/unit/chaosd_fakehv.h tests/unit/chaosd_fakehv.c $(CHAOSD_LOGIC_SRCS)
tests_unit_test_chaosd_daemon_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) \
	$(JSONC_CFLAGS) $(LIBUV_CFLAGS) $(LIBSYSTEMD_CFLAGS) -I$(top_srcdir)/chaosd
tests_unit_test_chaosd_daemon_LDADD = libchaos/libchaos.la \
	chaosd/libchaosd_proto.la $(CHECK_LIBS) $(JSONC_LIBS) $(LIBUV_LIBS) \
	$(LIBSYSTEMD_LIBS)

tests_unit_test_chaosd_template_SOURCES = tests/unit/test_chaosd_template.c \
	tests/unit/chaosd_fakehv.h tests/unit/chaosd_fakehv.c $(CHAOSD_LOGIC_SRCS)
tests_unit_test_chaosd_template_CFLAGS = $(tests_unit_test_chaosd_daemon_CFLAGS)
tests_unit_test_chaosd_template_LDADD = $(tests_unit_test_chaosd_daemon_LDADD)

check-chaosd: $(CHAOSD_TESTS)
	$(MAKE) $(AM_MAKEFLAGS) check-TESTS TESTS='$(CHAOSD_TESTS)'
.PHONY: check-chaosd

# libFuzzer targets (clang; never part of all or check):
#   make fuzz-chaosd FUZZ_SECONDS=60
# fuzz_chaosd_request: request lines, framing included; fuzz_chaosd_conf:
# chaosd.conf text; fuzz_chaosd_metrics_http: what a client sends to
# metrics_listen.  Seeds: tests/fuzz/corpus/chaosd-{request,conf,metrics_http}.
CHAOSD_FUZZ_TARGETS = tests/fuzz/fuzz_chaosd_request tests/fuzz/fuzz_chaosd_conf \
	tests/fuzz/fuzz_chaosd_metrics_http
CHAOSD_FUZZ_FLAGS = -g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-include $(top_builddir)/config.h -I$(srcdir)/chaosd -I$(srcdir)/libchaos \
	$(JSONC_CFLAGS)
EXTRA_DIST += tests/fuzz/fuzz_chaosd_request.c tests/fuzz/fuzz_chaosd_conf.c \
	tests/fuzz/corpus/chaosd-request tests/fuzz/corpus/chaosd-conf \
	tests/fuzz/fuzz_chaosd_metrics_http.c tests/fuzz/corpus/chaosd-metrics_http
CLEANFILES += $(CHAOSD_FUZZ_TARGETS)

CHAOSD_FUZZ_CHECK = @test -n "$(FUZZ_CC)" || { echo "fuzz-chaosd: no clang \
	(apt-get install clang, then re-run configure)" >&2; exit 1; }
tests/fuzz/fuzz_chaosd_request: $(srcdir)/tests/fuzz/fuzz_chaosd_request.c \
		$(srcdir)/chaosd/protocol.c $(srcdir)/chaosd/protocol.h
	$(CHAOSD_FUZZ_CHECK)
	@$(MKDIR_P) tests/fuzz
	$(AM_V_CC)$(FUZZ_CC) $(CHAOSD_FUZZ_FLAGS) -o $@ \
		$(srcdir)/tests/fuzz/fuzz_chaosd_request.c $(srcdir)/chaosd/protocol.c \
		$(JSONC_LIBS)
tests/fuzz/fuzz_chaosd_conf: $(srcdir)/tests/fuzz/fuzz_chaosd_conf.c \
		$(srcdir)/chaosd/conf.c $(srcdir)/chaosd/conf.h $(CONFIG_PURE_FILES)
	$(CHAOSD_FUZZ_CHECK)
	@$(MKDIR_P) tests/fuzz
	$(AM_V_CC)$(FUZZ_CC) $(CHAOSD_FUZZ_FLAGS) -o $@ \
		$(srcdir)/tests/fuzz/fuzz_chaosd_conf.c $(srcdir)/chaosd/conf.c \
		$(CONFIG_PURE_FILES)

tests/fuzz/fuzz_chaosd_metrics_http: \
		$(srcdir)/tests/fuzz/fuzz_chaosd_metrics_http.c \
		$(srcdir)/chaosd/metrics.c $(srcdir)/chaosd/metrics.h
	$(CHAOSD_FUZZ_CHECK)
	@$(MKDIR_P) tests/fuzz
	$(AM_V_CC)$(FUZZ_CC) $(CHAOSD_FUZZ_FLAGS) -o $@ \
		$(srcdir)/tests/fuzz/fuzz_chaosd_metrics_http.c $(srcdir)/chaosd/metrics.c

fuzz-chaosd: $(CHAOSD_FUZZ_TARGETS)
	@secs='$(FUZZ_SECONDS)'; test -n "$$secs" || secs=10; \
	if test "$$secs" != 0; then \
		for t in request conf metrics_http; do \
			$(MKDIR_P) tests/fuzz/work-chaosd-$$t; \
			echo "running fuzz_chaosd_$$t for $$secs s"; \
			./tests/fuzz/fuzz_chaosd_$$t -max_total_time=$$secs -max_len=8192 \
				-print_final_stats=1 tests/fuzz/work-chaosd-$$t \
				$(srcdir)/tests/fuzz/corpus/chaosd-$$t || exit 1; \
		done; \
	fi
.PHONY: fuzz-chaosd
