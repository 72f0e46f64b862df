# tools: the `chaos` command, and the Xen lab (tools/lab).
# The `chaos` command is two programs (tools/chaos/thin.c says why): the
# thin `chaos` operators run, which serves a create through chaosd with
# libc, json-c and libchaos's pure part only (static where the build
# allows: sanitizers need a dynamic program), and the full program with
# every command, which the thin one runs for the rest.
sbin_PROGRAMS += tools/chaos/chaos
pkglibexec_PROGRAMS = tools/chaos/chaos-full
CHAOS_CREATE_SRCS = \
	tools/chaos/cmd.h \
	tools/chaos/cmd_util.c \
	tools/chaos/cmd_create.c \
	tools/chaos/daemon_client.h \
	tools/chaos/daemon_client.c \
	tools/chaos/cmd_create_daemon.c \
	tools/chaos/cmd_restore.c \
	tools/chaos/foreground.h \
	tools/chaos/foreground.c
tools_chaos_chaos_SOURCES = tools/chaos/thin.c $(CHAOS_CREATE_SRCS)
tools_chaos_chaos_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) -I$(top_srcdir)/chaosd
tools_chaos_chaos_CPPFLAGS = $(AM_CPPFLAGS) \
	-DCHAOS_FULL_PATH='"$(pkglibexecdir)/chaos-full"'
tools_chaos_chaos_LDADD = libchaos/libchaos_pure.la chaosd/libchaosd_proto.la \
	$(JSONC_LIBS)
if !SANITIZERS
tools_chaos_chaos_LDFLAGS = $(AM_LDFLAGS) -all-static
endif

tools_chaos_chaos_full_SOURCES = \
	tools/chaos/main.c \
	$(CHAOS_CREATE_SRCS) \
	tools/chaos/cmd_host.c \
	tools/chaos/cmd_domain.c \
	tools/chaos/cmd_save.c \
	tools/chaos/cmd_pool.c \
	tools/chaos/cmd_events.c \
	tools/chaos/cmd_names.c \
	tools/chaos/cmd_mem.c \
	tools/chaos/cmd_vcpu.c \
	tools/chaos/cmd_list_long.c \
	tools/chaos/xl_args.h \
	tools/chaos/xl_args.c \
	tools/chaos/cmd_top.c \
	tools/chaos/top_calc.h \
	tools/chaos/top_calc.c
tools_chaos_chaos_full_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) \
	-I$(top_srcdir)/chaosd
tools_chaos_chaos_full_LDADD = libchaos/libchaos.la chaosd/libchaosd_proto.la \
	$(JSONC_LIBS)

# xl's value syntax for the operator verbs (pure code).
check_PROGRAMS += tests/unit/test_xl_args
TESTS += tests/unit/test_xl_args
tests_unit_test_xl_args_SOURCES = tests/unit/test_xl_args.c \
	tools/chaos/xl_args.h tools/chaos/xl_args.c
tests_unit_test_xl_args_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) \
	-I$(top_srcdir)/tools/chaos
tests_unit_test_xl_args_LDADD = $(CHECK_LIBS)

# `chaos create -F` following a guest on chaosd's event lines.
check_PROGRAMS += tests/unit/test_foreground
TESTS += tests/unit/test_foreground
tests_unit_test_foreground_SOURCES = tests/unit/test_foreground.c \
	tools/chaos/foreground.h tools/chaos/foreground.c \
	tools/chaos/daemon_client.h tools/chaos/daemon_client.c \
	tools/chaos/cmd_util.c
tests_unit_test_foreground_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) \
	$(JSONC_CFLAGS) -I$(top_srcdir)/tools/chaos -I$(top_srcdir)/chaosd
tests_unit_test_foreground_LDADD = libchaos/libchaos_pure.la \
	chaosd/libchaosd_proto.la $(JSONC_LIBS) $(CHECK_LIBS)

# `chaos top`'s percentages (pure code).
check_PROGRAMS += tests/unit/test_top_calc
TESTS += tests/unit/test_top_calc
tests_unit_test_top_calc_SOURCES = tests/unit/test_top_calc.c \
	tools/chaos/top_calc.h tools/chaos/top_calc.c
tests_unit_test_top_calc_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) \
	-I$(top_srcdir)/tools/chaos
tests_unit_test_top_calc_LDADD = $(CHECK_LIBS)

# Lint: shellcheck on every shell script (tools/lint/shellcheck.sh says how).
EXTRA_DIST += tools/lint/shellcheck.sh .shellcheckrc

# Packaging (README.md, "Debian packages"): tools/build-debs builds debian/
# in a copy of the tree; tools/build-example compiles docs/examples/ against
# an installed libchaos with pkg-config alone.
EXTRA_DIST += tools/build-debs tools/build-example debian \
	docs/examples/README.md docs/examples/Makefile docs/examples/chaos-example.c
