# Lab tests: run inside the dom0 of a real Xen booted by tools/lab/chaos-lab.
#
# Test programs the lab image carries are built on demand (EXTRA_PROGRAMS)
# by `make lab-programs`; the lab asks `make print-lab-programs` for their
# paths.  Test scripts (tests/lab/test-*.sh) are copied in as they are.
LAB_TEST_BINARIES = tests/lab/xen-probe tests/lab/lab-time-create \
	tests/lab/lab-chaosd-create tests/lab/lab-sd-activate \
	tests/lab/lab-events tests/lab/lab-kernel-cache tests/lab/lab-tap \
	tests/lab/lab-blk-pattern tests/lab/lab-udp-echo tests/lab/lab-xs-flood \
	tests/lab/lab-snap-image tests/lab/lab-uk-save tests/lab/lab-oci-reaper \
	tests/lab/lab-console-socket tests/lab/lab-chaosd-load tests/lab/lab-sniff \
	tests/lab/lab-time-answer tests/lab/lab-floor tests/lab/lab-unpause
EXTRA_PROGRAMS += $(LAB_TEST_BINARIES)

# The LD_PRELOAD shim that lets valgrind run chaosd on Xen 4.17
# (test-chaosd-valgrind.sh).  A plain shared object (libtool would want a
# library to install), built without the sanitizers: it runs inside
# valgrind, never with ASan.
LAB_TEST_LIBS =
if HAVE_VALGRIND
LAB_TEST_LIBS += tests/lab/lab-vg-xen.so
endif
CLEANFILES += tests/lab/lab-vg-xen.so
tests/lab/lab-vg-xen.so: $(srcdir)/tests/lab/lab-vg-xen.c
	@$(MKDIR_P) tests/lab
	$(AM_V_CCLD)$(CC) -std=gnu11 -O2 -g -fPIC -shared -Wall -Wextra $(WERROR_CFLAGS) \
		-o $@ $(srcdir)/tests/lab/lab-vg-xen.c
CLEANFILES += $(LAB_TEST_BINARIES)

# The probe checks Xen itself, so it uses libxenctrl directly (gnu11 for
# Xen's headers, as libchaos/hv/libhv.la).
tests_lab_xen_probe_SOURCES = tests/lab/xen-probe.c
tests_lab_xen_probe_CFLAGS = $(AM_CFLAGS) -std=gnu11 $(XENCTRL_CFLAGS)
tests_lab_xen_probe_LDADD = $(XENCTRL_LIBS)

tests_lab_lab_time_create_SOURCES = tests/lab/lab-time-create.c \
	tests/lab/lab-util.h
# ... and to a service's first answered GET (service-bench; libc only).
tests_lab_lab_time_answer_SOURCES = tests/lab/lab-time-answer.c \
	tests/lab/lab-util.h
# The cheapest pieces of a create, timed (pool-bench's floor): a process,
# a round trip on chaosd's socket (libc only) and an unpause to the first
# console line (libchaos).
tests_lab_lab_floor_SOURCES = tests/lab/lab-floor.c tests/lab/lab-util.h
tests_lab_lab_floor_LDFLAGS = $(AM_LDFLAGS) -all-static
tests_lab_lab_unpause_SOURCES = tests/lab/lab-unpause.c tests/lab/lab-util.h
tests_lab_lab_unpause_LDADD = libchaos/libchaos.la
tests_lab_lab_unpause_LDFLAGS = $(AM_LDFLAGS) -no-install
# containerd's runc shim played for chaos-oci: a subreaper (libc only).
tests_lab_lab_oci_reaper_SOURCES = tests/lab/lab-oci-reaper.c
# ... and the --console-socket end of it (libc only).
tests_lab_lab_console_socket_SOURCES = tests/lab/lab-console-socket.c
# chaosd's create request without the `chaos` command (pool-bench).
tests_lab_lab_chaosd_create_SOURCES = tests/lab/lab-chaosd-create.c
# ... and N of them from one long-lived client, some at once (pool-bench).
tests_lab_lab_chaosd_load_SOURCES = tests/lab/lab-chaosd-load.c \
	tests/lab/lab-util.h
# systemd for chaosd.socket + chaosd.service (dom0 has no systemd; libc only).
tests_lab_lab_sd_activate_SOURCES = tests/lab/lab-sd-activate.c
# Domain events as lines, and the kernel cache shown twice (libchaos).
# -no-install: a real ELF file (not libtool's wrapper script) that the lab
# can pack; dom0 finds libchaos in /usr/local/lib.
tests_lab_lab_events_SOURCES = tests/lab/lab-events.c
tests_lab_lab_events_LDADD = libchaos/libchaos.la
tests_lab_lab_events_LDFLAGS = $(AM_LDFLAGS) -no-install
tests_lab_lab_kernel_cache_SOURCES = tests/lab/lab-kernel-cache.c
tests_lab_lab_kernel_cache_LDADD = libchaos/libchaos.la
tests_lab_lab_kernel_cache_LDFLAGS = $(AM_LDFLAGS) -no-install
# TAP devices (test-tap.sh): tap.c itself, as libchaos exports only chaos_*.
tests_lab_lab_tap_SOURCES = tests/lab/lab-tap.c libchaos/backend/tap.c \
	libchaos/backend/netback_csum.c
tests_lab_lab_tap_CFLAGS = $(AM_CFLAGS) $(MNL_CFLAGS)
tests_lab_lab_tap_LDADD = $(MNL_LIBS)
# ARP and TCP frames an interface sees, as lines (dom0 has no tcpdump;
# libc only).
tests_lab_lab_sniff_SOURCES = tests/lab/lab-sniff.c
# The bytes blk-test writes (test-noxs.sh), from the unikernel's header.
tests_lab_lab_blk_pattern_SOURCES = tests/lab/lab-blk-pattern.c \
	unikernel/blkpattern.h
tests_lab_lab_blk_pattern_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/unikernel
# One UDP round trip (test-noxs.sh: busybox nc has no UDP).
tests_lab_lab_udp_echo_SOURCES = tests/lab/lab-udp-echo.c
# The guest side of save without chaos's save (test-uk-suspend.sh):
# libxenguest's xc_domain_save and xc_domain_resume, directly.
tests_lab_lab_uk_save_SOURCES = tests/lab/lab-uk-save.c noxs/noxs_abi.h \
	tests/lab/lab-util.h
tests_lab_lab_uk_save_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/noxs
tests_lab_lab_uk_save_CFLAGS = $(AM_CFLAGS) -std=gnu11 $(XENCTRL_CFLAGS) \
	$(XENGUEST_CFLAGS) $(XENFMEM_CFLAGS) $(XENEVTCHN_CFLAGS)
tests_lab_lab_uk_save_LDADD = $(XENGUEST_LIBS) $(XENCTRL_LIBS) \
	$(XENFMEM_LIBS) $(XENEVTCHN_LIBS)
# A hostile guest program that floods its XenStore: it runs in the lab's
# Linux guest (/bin/xs-flood in its initramfs), so it is static.
tests_lab_lab_xs_flood_SOURCES = tests/lab/lab-xs-flood.c
tests_lab_lab_xs_flood_LDFLAGS = $(AM_LDFLAGS) -all-static

EXTRA_DIST += tools/lab/chaos-lab tools/lab/dom0-init tools/lab/guest-init \
	tools/lab/xl-up tests/lab/run-all tests/lab/lib.sh tests/lab/template-vif-lib.sh \
	tests/lab/test-xen-probe.sh tests/lab/test-xl-pv.sh \
	tests/lab/test-chaos-create-pv.sh tests/lab/test-chaos-create-pvh.sh tests/lab/test-chaos-bad-input.sh \
	tests/lab/test-xl-unikernel.sh tests/lab/test-chaos-xenstore.sh tests/lab/test-tinyx.sh \
	tests/lab/test-chaos-console.sh tests/lab/test-chaos-events.sh tests/lab/test-chaosd.sh \
	tests/lab/test-chaos-restart.sh tests/lab/test-chaos-kernel-cache.sh \
	tests/lab/test-chaosd-systemd.sh tests/lab/test-chaosd-valgrind.sh \
	tests/lab/test-supervisor.sh tests/lab/test-chaosd-peercred.sh \
	tests/lab/test-noxs.sh tests/lab/test-chaos-devices-linux.sh \
	tests/lab/test-chaos-save.sh tests/lab/test-chaos-save-linux.sh \
	tests/lab/test-chaos-verbs.sh tests/lab/test-tinyx-net.sh \
	tests/lab/test-tap.sh tests/lab/test-uk-suspend.sh \
	tests/lab/test-chaos-restore-inplace.sh \
	tests/lab/test-chaosd-restore.sh tests/lab/test-chaosd-metrics.sh \
	tests/lab/test-chaosd-image-pool.sh tests/lab/test-chaos-oci.sh \
	tests/lab/test-chaosd-template-pool.sh \
	tests/lab/test-chaosd-template-vif.sh \
	tests/lab/test-chaosd-template-linux.sh tests/lab/bench-template-linux-xl.sh \
	tests/lab/test-chaosd-template-warm.sh \
	tests/lab/bench-template-linux-trace.sh \
	tests/lab/test-chaos-devices-handover.sh \
	tests/lab/test-chaos-oci-ctr.sh tests/lab/containerd.sh \
	tests/lab/repro-busy-fault.sh \
	tests/lab/test-debs.sh tests/lab/test-chaos-foreground.sh \
	tests/lab/chaosd.supp tests/lab/lab-vg-xen.c \
	tools/lab/guest-poweroff tools/lab/demo.sh \
	tests/lab-host/lab-failures.sh

CHAOS_LAB = $(top_srcdir)/tools/lab/chaos-lab
# Options for the lab run, e.g. make check-lab LAB_FLAGS="--accel tcg".
LAB_FLAGS =
# The whole suite runs in one boot: under TCG it takes about 15 minutes
# (boot included), so chaos-lab's default 900 s per run is too short for
# it.  This bounds a hung lab; run-all bounds each test (600 s).
LAB_SUITE_TIMEOUT = 2400

.PHONY: lab-programs print-lab-programs check-lab check-unit
lab-programs: $(LAB_TEST_BINARIES) $(LAB_TEST_LIBS)
print-lab-programs:
	@echo $(LAB_TEST_BINARIES) $(LAB_TEST_LIBS)

# One boot of the lab runs every lab test (tests/lab/run-all); then the lab
# tool's own failure handling is checked from the host (timeouts, statuses,
# Ctrl-C), since a lab that hangs or lies would make every other test moot.
check-lab: all lab-programs
	$(CHAOS_LAB) --build $(abs_top_builddir) --timeout $(LAB_SUITE_TIMEOUT) \
		$(LAB_FLAGS) run /lab/tests/run-all
	$(top_srcdir)/tests/lab-host/lab-failures.sh $(abs_top_builddir) $(LAB_FLAGS)

# Unit tests only (Check), without booting the lab.
check-unit:
	$(MAKE) $(AM_MAKEFLAGS) check-TESTS

# `make check`: unit tests (TESTS), then the lab tests.
check-local: check-lab
# Makes and damages image files (test-chaos-save.sh) with libchaos's own
# header codec (pure code and zlib: compiled in; libchaos exports only
# chaos_*), and counts descriptors around failed restores (libchaos).
tests_lab_lab_snap_image_SOURCES = tests/lab/lab-snap-image.c \
	libchaos/snapshot_image.h libchaos/snapshot_image.c
tests_lab_lab_snap_image_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/libchaos
tests_lab_lab_snap_image_CFLAGS = $(AM_CFLAGS) $(ZLIB_CFLAGS)
tests_lab_lab_snap_image_LDADD = libchaos/libchaos.la $(ZLIB_LIBS)
tests_lab_lab_snap_image_LDFLAGS = $(AM_LDFLAGS) -no-install
