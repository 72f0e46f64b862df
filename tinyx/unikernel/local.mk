# tinyx/unikernel: chaos's own Xen unikernel (docs/unikernel.md).
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
uk_PROGRAMS = tinyx/unikernel/hello tinyx/unikernel/echo
dist_uk_DATA = \
	tinyx/unikernel/hello-pv.cfg \
	tinyx/unikernel/hello-pvh.cfg \
	tinyx/unikernel/echo-pv.cfg \
	tinyx/unikernel/echo-pvh.cfg

UK_CPP_FLAGS = -I$(srcdir)/tinyx/unikernel $(XENCTRL_CFLAGS)
UK_C_FLAGS = $(CHAOS_CFLAGS) -fno-sanitize=all \
	-O2 -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
	-fno-asynchronous-unwind-tables -fno-tree-loop-distribute-patterns \
	-mno-red-zone -mgeneral-regs-only
UK_LD_FLAGS = -nostdlib -static -no-pie \
	-Wl,-T,$(srcdir)/tinyx/unikernel/unikernel.lds \
	-Wl,--build-id=none -Wl,-z,max-page-size=4096 -Wl,-z,noexecstack \
	-Wl,--strip-debug
UK_LINK = $(CCLD) $(UK_C_FLAGS) $(CFLAGS) $(UK_LD_FLAGS) -o $@

UK_KERNEL_SOURCES = \
	tinyx/unikernel/clock.c tinyx/unikernel/clock.h \
	tinyx/unikernel/cmdline.c tinyx/unikernel/cmdline.h \
	tinyx/unikernel/console.c tinyx/unikernel/console.h \
	tinyx/unikernel/evtchn.c tinyx/unikernel/evtchn.h \
	tinyx/unikernel/format.c tinyx/unikernel/format.h \
	tinyx/unikernel/hypercall.h \
	tinyx/unikernel/kernel.c tinyx/unikernel/kernel.h \
	tinyx/unikernel/klib.c tinyx/unikernel/klib.h \
	tinyx/unikernel/pv.c \
	tinyx/unikernel/pvh.c \
	tinyx/unikernel/timemath.c tinyx/unikernel/timemath.h \
	tinyx/unikernel/trap.c tinyx/unikernel/trap.h \
	tinyx/unikernel/x86.h \
	tinyx/unikernel/xen_abi.h
# Linked into every image; see the boot.S rule below.
UK_BOOT_OBJ = tinyx/unikernel/boot.$(OBJEXT)
UK_LINK_DEPS = $(UK_BOOT_OBJ) $(srcdir)/tinyx/unikernel/unikernel.lds

tinyx_unikernel_hello_SOURCES = $(UK_KERNEL_SOURCES) tinyx/unikernel/hello.c
tinyx_unikernel_hello_CPPFLAGS = $(UK_CPP_FLAGS)
tinyx_unikernel_hello_CFLAGS = $(UK_C_FLAGS)
tinyx_unikernel_hello_LDADD = $(UK_BOOT_OBJ)
tinyx_unikernel_hello_DEPENDENCIES = $(UK_LINK_DEPS)
tinyx_unikernel_hello_LINK = $(UK_LINK)

tinyx_unikernel_echo_SOURCES = $(UK_KERNEL_SOURCES) tinyx/unikernel/echo.c
tinyx_unikernel_echo_CPPFLAGS = $(UK_CPP_FLAGS)
tinyx_unikernel_echo_CFLAGS = $(UK_C_FLAGS)
tinyx_unikernel_echo_LDADD = $(UK_BOOT_OBJ)
tinyx_unikernel_echo_DEPENDENCIES = $(UK_LINK_DEPS)
tinyx_unikernel_echo_LINK = $(UK_LINK)

# configure.ac has no AM_PROG_AS (nothing else in chaos is assembly), so
# automake cannot take a .S source; the C compiler driver assembles it.
$(UK_BOOT_OBJ): tinyx/unikernel/boot.S tinyx/unikernel/x86.h \
		tinyx/unikernel/$(am__dirstamp)
	$(AM_V_CC)$(CC) $(UK_CPP_FLAGS) $(UK_C_FLAGS) $(CFLAGS) -c -o $@ \
		$(srcdir)/tinyx/unikernel/boot.S
EXTRA_DIST += \
	tinyx/unikernel/boot.S \
	tinyx/unikernel/unikernel.lds
CLEANFILES += $(UK_BOOT_OBJ)

# Host unit tests of the pure parts (command line, formatting, time math).
UK_TEST_CPP_FLAGS = $(AM_CPPFLAGS) -I$(srcdir)/tinyx/unikernel
UK_TEST_C_FLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)

check_PROGRAMS += \
	tests/unit/test_unikernel_cmdline \
	tests/unit/test_unikernel_format \
	tests/unit/test_unikernel_timemath
TESTS += \
	tests/unit/test_unikernel_cmdline \
	tests/unit/test_unikernel_format \
	tests/unit/test_unikernel_timemath

tests_unit_test_unikernel_cmdline_SOURCES = \
	tests/unit/test_unikernel_cmdline.c \
	tinyx/unikernel/cmdline.c tinyx/unikernel/cmdline.h
tests_unit_test_unikernel_cmdline_CPPFLAGS = $(UK_TEST_CPP_FLAGS)
tests_unit_test_unikernel_cmdline_CFLAGS = $(UK_TEST_C_FLAGS)
tests_unit_test_unikernel_cmdline_LDADD = $(CHECK_LIBS)

tests_unit_test_unikernel_format_SOURCES = \
	tests/unit/test_unikernel_format.c \
	tinyx/unikernel/format.c tinyx/unikernel/format.h
tests_unit_test_unikernel_format_CPPFLAGS = $(UK_TEST_CPP_FLAGS)
tests_unit_test_unikernel_format_CFLAGS = $(UK_TEST_C_FLAGS)
tests_unit_test_unikernel_format_LDADD = $(CHECK_LIBS)

tests_unit_test_unikernel_timemath_SOURCES = \
	tests/unit/test_unikernel_timemath.c \
	tinyx/unikernel/timemath.c tinyx/unikernel/timemath.h
tests_unit_test_unikernel_timemath_CPPFLAGS = $(UK_TEST_CPP_FLAGS)
tests_unit_test_unikernel_timemath_CFLAGS = $(UK_TEST_C_FLAGS)
tests_unit_test_unikernel_timemath_LDADD = $(CHECK_LIBS)
