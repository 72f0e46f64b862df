# unikernel: chaos's own Xen unikernel (docs/unikernel.md).
#
# The images are freestanding x86-64 kernels, not host programs, so they
# get flags of their own.  Per-target _CPPFLAGS/_CFLAGS replace AM_CPPFLAGS/
# AM_CFLAGS, which must not reach them (AM_CFLAGS carries -fsanitize under
# --enable-sanitizers).  The warning flags come from CHAOS_CFLAGS, so
# --enable-werror applies here too, and -fno-sanitize=all then cancels any
# sanitizer it carries: there is no sanitizer runtime in a unikernel.
# They are linked by a plain $(CC) call with our linker script (the _LINK
# override), not through libtool, which would reinterpret -static.
# (Variable names avoid the _CFLAGS/_LDFLAGS suffixes, which automake
# reserves for targets.)

ukdir = $(pkglibexecdir)/unikernel
uk_PROGRAMS = unikernel/hello unikernel/echo unikernel/devinfo \
	unikernel/udp-echo unikernel/http unikernel/blk-test unikernel/counter
dist_uk_DATA = \
	unikernel/hello-pv.cfg \
	unikernel/hello-pvh.cfg \
	unikernel/echo-pv.cfg \
	unikernel/echo-pvh.cfg \
	unikernel/udp-echo-pv.cfg \
	unikernel/udp-echo-pvh.cfg \
	unikernel/http-pv.cfg \
	unikernel/http-pvh.cfg \
	unikernel/blk-test-pv.cfg \
	unikernel/blk-test-pvh.cfg \
	unikernel/counter-pv.cfg \
	unikernel/counter-pvh.cfg

UK_CPP_FLAGS = -I$(srcdir)/unikernel -I$(srcdir)/noxs $(XENCTRL_CFLAGS)
UK_C_FLAGS = $(CHAOS_CFLAGS) -fno-sanitize=all \
	-O2 -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
	-fno-asynchronous-unwind-tables -fno-tree-loop-distribute-patterns \
	-mno-red-zone -mgeneral-regs-only
UK_LD_FLAGS = -nostdlib -static -no-pie \
	-Wl,-T,$(srcdir)/unikernel/unikernel.lds \
	-Wl,--build-id=none -Wl,-z,max-page-size=4096 -Wl,-z,noexecstack \
	-Wl,--strip-debug
UK_LINK = $(CCLD) $(UK_C_FLAGS) $(CFLAGS) $(UK_LD_FLAGS) -o $@
# Automake puts the user's $(CFLAGS) after every per-target flag, and
# hardened builds' CFLAGS (Debian's dpkg-buildflags) carry
# -fstack-protector-strong, whose runtime (__stack_chk_fail, a canary at
# %fs:0x28) a freestanding kernel lacks: it is turned off again after them
# (GNU make's target-specific variables; override: also when CFLAGS is
# given on make's command line).
# The images' objects (a new image joins this list).
UK_OBJECTS = $(unikernel_hello_OBJECTS) $(unikernel_echo_OBJECTS) \
	$(unikernel_devinfo_OBJECTS) $(unikernel_udp_echo_OBJECTS) \
	$(unikernel_http_OBJECTS) $(unikernel_blk_test_OBJECTS) \
	$(unikernel_counter_OBJECTS)
$(UK_OBJECTS): override CFLAGS += -fno-stack-protector

UK_KERNEL_SOURCES = \
	unikernel/blkfront.c unikernel/blkfront.h \
	unikernel/clock.c unikernel/clock.h \
	unikernel/cmdline.c unikernel/cmdline.h \
	unikernel/console.c unikernel/console.h \
	unikernel/devcheck.c unikernel/devcheck.h \
	unikernel/devices.c unikernel/devices.h unikernel/devpage.h \
	unikernel/evtchn.c unikernel/evtchn.h \
	unikernel/format.c unikernel/format.h \
	unikernel/gnttab.c unikernel/gnttab.h \
	unikernel/hypercall.h \
	unikernel/kernel.c unikernel/kernel.h \
	unikernel/klib.c unikernel/klib.h \
	unikernel/netfront.c unikernel/netfront.h \
	unikernel/p2mlist.c unikernel/p2mlist.h \
	unikernel/pages.c unikernel/pages.h \
	unikernel/platform.h \
	unikernel/pv.c \
	unikernel/pvh.c \
	unikernel/suspend.c unikernel/suspend.h \
	unikernel/timemath.c unikernel/timemath.h \
	unikernel/trap.c unikernel/trap.h \
	unikernel/x86.h \
	unikernel/xen_abi.h
# Linked into every image; see the boot.S rule below.
UK_BOOT_OBJ = unikernel/boot.$(OBJEXT)
UK_LINK_DEPS = $(UK_BOOT_OBJ) $(srcdir)/unikernel/unikernel.lds

unikernel_hello_SOURCES = $(UK_KERNEL_SOURCES) unikernel/hello.c
unikernel_hello_CPPFLAGS = $(UK_CPP_FLAGS)
unikernel_hello_CFLAGS = $(UK_C_FLAGS)
unikernel_hello_LDADD = $(UK_BOOT_OBJ)
unikernel_hello_DEPENDENCIES = $(UK_LINK_DEPS)
unikernel_hello_LINK = $(UK_LINK)

unikernel_echo_SOURCES = $(UK_KERNEL_SOURCES) unikernel/echo.c
unikernel_echo_CPPFLAGS = $(UK_CPP_FLAGS)
unikernel_echo_CFLAGS = $(UK_C_FLAGS)
unikernel_echo_LDADD = $(UK_BOOT_OBJ)
unikernel_echo_DEPENDENCIES = $(UK_LINK_DEPS)
unikernel_echo_LINK = $(UK_LINK)

unikernel_devinfo_SOURCES = $(UK_KERNEL_SOURCES) unikernel/devinfo.c
unikernel_devinfo_CPPFLAGS = $(UK_CPP_FLAGS)
unikernel_devinfo_CFLAGS = $(UK_C_FLAGS)
unikernel_devinfo_LDADD = $(UK_BOOT_OBJ)
unikernel_devinfo_DEPENDENCIES = $(UK_LINK_DEPS)
unikernel_devinfo_LINK = $(UK_LINK)

unikernel_counter_SOURCES = $(UK_KERNEL_SOURCES) unikernel/counter.c
unikernel_counter_CPPFLAGS = $(UK_CPP_FLAGS)
unikernel_counter_CFLAGS = $(UK_C_FLAGS)
unikernel_counter_LDADD = $(UK_BOOT_OBJ)
unikernel_counter_DEPENDENCIES = $(UK_LINK_DEPS)
unikernel_counter_LINK = $(UK_LINK)

# The device demos (docs/unikernel.md): their front ends (devices.c,
# netfront.c, blkfront.c) are in UK_KERNEL_SOURCES; the network ones add
# the netstack.
UK_NETSTACK_SOURCES = \
	unikernel/net_internal.h \
	unikernel/net_ip.c \
	unikernel/net_tcp.c \
	unikernel/netstack.h
UK_NETAPP_SOURCES = $(UK_NETSTACK_SOURCES) \
	unikernel/netapp.c unikernel/netapp.h

unikernel_udp_echo_SOURCES = $(UK_KERNEL_SOURCES) \
	$(UK_NETAPP_SOURCES) unikernel/udp-echo.c
unikernel_udp_echo_CPPFLAGS = $(UK_CPP_FLAGS)
unikernel_udp_echo_CFLAGS = $(UK_C_FLAGS)
unikernel_udp_echo_LDADD = $(UK_BOOT_OBJ)
unikernel_udp_echo_DEPENDENCIES = $(UK_LINK_DEPS)
unikernel_udp_echo_LINK = $(UK_LINK)

unikernel_http_SOURCES = $(UK_KERNEL_SOURCES) \
	$(UK_NETAPP_SOURCES) unikernel/http.c
unikernel_http_CPPFLAGS = $(UK_CPP_FLAGS)
unikernel_http_CFLAGS = $(UK_C_FLAGS)
unikernel_http_LDADD = $(UK_BOOT_OBJ)
unikernel_http_DEPENDENCIES = $(UK_LINK_DEPS)
unikernel_http_LINK = $(UK_LINK)

unikernel_blk_test_SOURCES = $(UK_KERNEL_SOURCES) \
	unikernel/blk-test.c unikernel/blkpattern.h
unikernel_blk_test_CPPFLAGS = $(UK_CPP_FLAGS)
unikernel_blk_test_CFLAGS = $(UK_C_FLAGS)
unikernel_blk_test_LDADD = $(UK_BOOT_OBJ)
unikernel_blk_test_DEPENDENCIES = $(UK_LINK_DEPS)
unikernel_blk_test_LINK = $(UK_LINK)

# configure.ac has no AM_PROG_AS (nothing else in chaos is assembly), so
# automake cannot take a .S source; the C compiler driver assembles it.
$(UK_BOOT_OBJ): unikernel/boot.S unikernel/x86.h \
		unikernel/$(am__dirstamp)
	$(AM_V_CC)$(CC) $(UK_CPP_FLAGS) $(UK_C_FLAGS) $(CFLAGS) -c -o $@ \
		$(srcdir)/unikernel/boot.S
EXTRA_DIST += \
	unikernel/boot.S \
	unikernel/unikernel.lds
CLEANFILES += $(UK_BOOT_OBJ)

# Host unit tests of the pure parts (command line, formatting, time math,
# p2m frame lists, the drivers' decisions).
UK_TEST_CPP_FLAGS = $(AM_CPPFLAGS) -I$(srcdir)/unikernel -I$(srcdir)/noxs
UK_TEST_C_FLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)

check_PROGRAMS += \
	tests/unit/test_unikernel_cmdline \
	tests/unit/test_unikernel_devcheck \
	tests/unit/test_unikernel_format \
	tests/unit/test_unikernel_netstack \
	tests/unit/test_unikernel_p2mlist \
	tests/unit/test_unikernel_timemath
TESTS += \
	tests/unit/test_unikernel_cmdline \
	tests/unit/test_unikernel_devcheck \
	tests/unit/test_unikernel_format \
	tests/unit/test_unikernel_netstack \
	tests/unit/test_unikernel_p2mlist \
	tests/unit/test_unikernel_timemath

tests_unit_test_unikernel_cmdline_SOURCES = \
	tests/unit/test_unikernel_cmdline.c \
	unikernel/cmdline.c unikernel/cmdline.h
tests_unit_test_unikernel_cmdline_CPPFLAGS = $(UK_TEST_CPP_FLAGS)
tests_unit_test_unikernel_cmdline_CFLAGS = $(UK_TEST_C_FLAGS)
tests_unit_test_unikernel_cmdline_LDADD = $(CHECK_LIBS)

tests_unit_test_unikernel_devcheck_SOURCES = \
	tests/unit/test_unikernel_devcheck.c \
	unikernel/devcheck.c unikernel/devcheck.h
tests_unit_test_unikernel_devcheck_CPPFLAGS = $(UK_TEST_CPP_FLAGS)
tests_unit_test_unikernel_devcheck_CFLAGS = $(UK_TEST_C_FLAGS)
tests_unit_test_unikernel_devcheck_LDADD = $(CHECK_LIBS)

tests_unit_test_unikernel_format_SOURCES = \
	tests/unit/test_unikernel_format.c \
	unikernel/format.c unikernel/format.h
tests_unit_test_unikernel_format_CPPFLAGS = $(UK_TEST_CPP_FLAGS)
tests_unit_test_unikernel_format_CFLAGS = $(UK_TEST_C_FLAGS)
tests_unit_test_unikernel_format_LDADD = $(CHECK_LIBS)

tests_unit_test_unikernel_timemath_SOURCES = \
	tests/unit/test_unikernel_timemath.c \
	unikernel/timemath.c unikernel/timemath.h
tests_unit_test_unikernel_timemath_CPPFLAGS = $(UK_TEST_CPP_FLAGS)
tests_unit_test_unikernel_timemath_CFLAGS = $(UK_TEST_C_FLAGS)
tests_unit_test_unikernel_timemath_LDADD = $(CHECK_LIBS)

tests_unit_test_unikernel_p2mlist_SOURCES = \
	tests/unit/test_unikernel_p2mlist.c \
	unikernel/p2mlist.c unikernel/p2mlist.h
tests_unit_test_unikernel_p2mlist_CPPFLAGS = $(UK_TEST_CPP_FLAGS)
tests_unit_test_unikernel_p2mlist_CFLAGS = $(UK_TEST_C_FLAGS)
tests_unit_test_unikernel_p2mlist_LDADD = $(CHECK_LIBS)

tests_unit_test_unikernel_netstack_SOURCES = \
	tests/unit/test_unikernel_netstack.c tests/unit/netstack_frames.h \
	$(UK_NETSTACK_SOURCES)
tests_unit_test_unikernel_netstack_CPPFLAGS = $(UK_TEST_CPP_FLAGS)
tests_unit_test_unikernel_netstack_CFLAGS = $(UK_TEST_C_FLAGS)
tests_unit_test_unikernel_netstack_LDADD = $(CHECK_LIBS)

# libFuzzer target for the netstack (never part of 'make all' or 'make
# check'):  make fuzz-unikernel FUZZ_SECONDS=60
# New inputs go to tests/fuzz/work-unikernel-netstack in the build tree;
# the seeds in tests/fuzz/corpus/unikernel-netstack stay as they are.
FUZZ_UK_NET_FILES = $(srcdir)/tests/fuzz/fuzz_unikernel_netstack.c \
	$(srcdir)/unikernel/net_ip.c $(srcdir)/unikernel/net_tcp.c
FUZZ_UK_NET_FLAGS = -g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I$(srcdir)/unikernel
EXTRA_DIST += tests/fuzz/fuzz_unikernel_netstack.c \
	tests/fuzz/corpus/unikernel-netstack
CLEANFILES += tests/fuzz/fuzz_unikernel_netstack

tests/fuzz/fuzz_unikernel_netstack: $(FUZZ_UK_NET_FILES) \
		$(srcdir)/unikernel/netstack.h $(srcdir)/unikernel/net_internal.h
	@test -n "$(FUZZ_CC)" || { \
	  echo "fuzz-unikernel: no clang found by configure (apt-get install clang)"; \
	  exit 1; }
	@$(MKDIR_P) tests/fuzz
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_UK_NET_FLAGS) -o $@ $(FUZZ_UK_NET_FILES)

fuzz-unikernel: tests/fuzz/fuzz_unikernel_netstack
	@$(MKDIR_P) tests/fuzz/work-unikernel-netstack
	./tests/fuzz/fuzz_unikernel_netstack -max_total_time=$(FUZZ_SECONDS) \
	  -max_len=8192 -print_final_stats=1 \
	  tests/fuzz/work-unikernel-netstack \
	  $(srcdir)/tests/fuzz/corpus/unikernel-netstack

.PHONY: fuzz-unikernel
