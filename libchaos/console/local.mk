# libchaos/console: guest consoles (docs/console.md): chaos serves PV consoles itself.
#
# The Xen side (ring mapping, event channel) is hv/hv_console.c, in the
# hypervisor module; console_api.c (the public chaos_console_* calls) is
# flat in libchaos/.  This folder is pure logic on the project's types,
# unit-tested with a fake ring in ordinary memory.

CONSOLE_CORE_SRCS = \
	libchaos/console/console_ring.h libchaos/console/console_ring.c \
	libchaos/console/console_log.h libchaos/console/console_log.c \
	libchaos/console/console_fifo.h libchaos/console/console_fifo.c \
	libchaos/console/console_socket.h libchaos/console/console_socket.c \
	libchaos/console/console_server.h libchaos/console/console_server.c
libchaos_libchaos_la_SOURCES += $(CONSOLE_CORE_SRCS) libchaos/console_api.c

# Unit tests.  They compile the internal modules themselves (the library
# exports only the public chaos_* API), and need no Xen.
CONSOLE_TESTS = \
	tests/unit/test_console_ring \
	tests/unit/test_console_log \
	tests/unit/test_console_server
check_PROGRAMS += $(CONSOLE_TESTS)
TESTS += $(CONSOLE_TESTS)
CONSOLE_TEST_FLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_console_ring_SOURCES = tests/unit/test_console_ring.c \
	libchaos/console/console_ring.h libchaos/console/console_ring.c
tests_unit_test_console_ring_CFLAGS = $(CONSOLE_TEST_FLAGS)
tests_unit_test_console_ring_LDADD = $(CHECK_LIBS)
tests_unit_test_console_log_SOURCES = tests/unit/test_console_log.c \
	libchaos/console/console_log.h libchaos/console/console_log.c
tests_unit_test_console_log_CFLAGS = $(CONSOLE_TEST_FLAGS)
tests_unit_test_console_log_LDADD = $(CHECK_LIBS)
tests_unit_test_console_server_SOURCES = tests/unit/test_console_server.c \
	$(CONSOLE_CORE_SRCS)
tests_unit_test_console_server_CFLAGS = $(CONSOLE_TEST_FLAGS)
tests_unit_test_console_server_LDADD = $(CHECK_LIBS)

# Only the console's tests.
check-console: $(CONSOLE_TESTS)
	$(MAKE) $(AM_MAKEFLAGS) check-TESTS TESTS='$(CONSOLE_TESTS)'
.PHONY: check-console

EXTRA_DIST += docs/console.md

# The `chaos console` command and the per-guest monitor are added to the
# chaos command in tools/console.mk (included after tools/local.mk, which
# defines that program).
