# tinyx: minimal Linux images, and the initramfs packer the Xen lab uses.
#
# All the reusable code (ELF closure, cpio writer, spec and image planner)
# is one convenience library: the `tinyx` command, the unit tests and the
# fuzz targets are built from the very same code.
noinst_LTLIBRARIES += tinyx/libtinyx.la
TINYX_LIB_SRCS = \
	tinyx/txutil.c \
	tinyx/sysroot.c \
	tinyx/elfdeps.c \
	tinyx/elfwalk.c \
	tinyx/cpio.c \
	tinyx/spec.c \
	tinyx/initramfs.c \
	tinyx/pack.c \
	tinyx/spawn.c \
	tinyx/rootfs.c \
	tinyx/guestcfg.c \
	tinyx/devices.c \
	tinyx/debpkg.c \
	tinyx/kernel.c \
	tinyx/kmod.c \
	tinyx/resolve.c \
	tinyx/build.c \
	tinyx/stdin_frame.c
TINYX_LIB_HDRS = \
	tinyx/txutil.h \
	tinyx/sysroot.h \
	tinyx/elfdeps.h \
	tinyx/cpio.h \
	tinyx/initramfs.h \
	tinyx/spawn.h \
	tinyx/build.h \
	tinyx/debpkg.h \
	tinyx/kernel.h \
	tinyx/kmod.h \
	tinyx/tinyx_build.h \
	tinyx/build_int.h \
	tinyx/stdin_frame.h
tinyx_libtinyx_la_SOURCES = $(TINYX_LIB_SRCS) $(TINYX_LIB_HDRS)
# build.c finds the init template where `make install` puts it.
tinyx_libtinyx_la_CFLAGS = $(AM_CFLAGS) $(ZLIB_CFLAGS) -DTINYX_DATADIR='"$(tinyxdatadir)"' \
	-DTINYX_LIBEXECDIR='"$(tinyxlibexecdir)"'
tinyx_libtinyx_la_LIBADD = $(ZLIB_LIBS)

bin_PROGRAMS += tinyx/tinyx
tinyx_tinyx_SOURCES = tinyx/tinyx.c tinyx/cmd_build.c tinyx/tinyx_cmds.h
tinyx_tinyx_LDADD = tinyx/libtinyx.la

# The /init template of tinyx images (data: tinyx build reads it).  The
# man page is docs/man/tinyx.1.scd.
tinyxdatadir = $(pkgdatadir)/tinyx
dist_tinyxdata_DATA = tinyx/init.sh

# tinyx-netwatch: guest code, put into --net images (tinyx/netwatch.c
# says why).  A static program, so that it runs in any image; its own
# flags, as the unikernel's: AM_CFLAGS and AM_LDFLAGS carry -fsanitize
# under --enable-sanitizers, and a guest has no sanitizer runtime.
# tinyx-stdin: guest code too, the same way, put by chaos-oci into
# containers without a terminal (tinyx/stdin.c says why).
tinyxlibexecdir = $(pkglibexecdir)/tinyx
tinyxlibexec_PROGRAMS = tinyx/tinyx-netwatch tinyx/tinyx-stdin
tinyx_tinyx_netwatch_SOURCES = tinyx/netwatch.c tinyx/netwatch_msg.c \
	tinyx/netwatch_msg.h tinyx/netwatch_net.c tinyx/netwatch_net.h
tinyx_tinyx_netwatch_CFLAGS = $(CHAOS_CFLAGS) -fno-sanitize=all -Os
tinyx_tinyx_netwatch_LDFLAGS = -all-static
tinyx_tinyx_stdin_SOURCES = tinyx/stdin.c tinyx/stdin_frame.c \
	tinyx/stdin_frame.h tinyx/txutil.c tinyx/txutil.h
tinyx_tinyx_stdin_CFLAGS = $(CHAOS_CFLAGS) -fno-sanitize=all -Os
tinyx_tinyx_stdin_LDFLAGS = -all-static

# ---------------------------------------------------------------- unit tests
# The tests build small ELF files with $(CC) at run time, read archives back
# with cpio(1) and gzip(1), and run the tinyx command itself.
TINYX_TESTS = \
	tests/unit/test_tinyx_elfdeps \
	tests/unit/test_tinyx_cpio \
	tests/unit/test_tinyx_pack \
	tests/unit/test_tinyx_build \
	tests/unit/test_tinyx_build_cli \
	tests/unit/test_tinyx_kmod \
	tests/unit/test_tinyx_devices \
	tests/unit/test_tinyx_netwatch \
	tests/unit/test_tinyx_stdin
check_PROGRAMS += $(TINYX_TESTS)
TESTS += $(TINYX_TESTS)
TINYX_TEST_FLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/tinyx \
	-DTEST_CC='"$(CC)"' -DTINYX_BIN='"$(abs_top_builddir)/tinyx/tinyx"' \
	-DTINYX_SRCDIR='"$(abs_top_srcdir)/tinyx"' \
	-DTINYX_BUILDDIR='"$(abs_top_builddir)/tinyx"'
TINYX_TEST_LIBS = tinyx/libtinyx.la $(CHECK_LIBS)
TINYX_TEST_COMMON = tests/unit/tinyx_testlib.h tests/unit/tinyx_testlib.c

tests_unit_test_tinyx_elfdeps_SOURCES = tests/unit/test_tinyx_elfdeps.c $(TINYX_TEST_COMMON)
tests_unit_test_tinyx_elfdeps_CFLAGS = $(TINYX_TEST_FLAGS)
tests_unit_test_tinyx_elfdeps_LDADD = $(TINYX_TEST_LIBS)
tests_unit_test_tinyx_cpio_SOURCES = tests/unit/test_tinyx_cpio.c $(TINYX_TEST_COMMON)
tests_unit_test_tinyx_cpio_CFLAGS = $(TINYX_TEST_FLAGS)
tests_unit_test_tinyx_cpio_LDADD = $(TINYX_TEST_LIBS)
tests_unit_test_tinyx_pack_SOURCES = tests/unit/test_tinyx_pack.c $(TINYX_TEST_COMMON)
tests_unit_test_tinyx_pack_CFLAGS = $(TINYX_TEST_FLAGS)
tests_unit_test_tinyx_pack_LDADD = $(TINYX_TEST_LIBS)
tests_unit_test_tinyx_build_SOURCES = tests/unit/test_tinyx_build.c $(TINYX_TEST_COMMON)
tests_unit_test_tinyx_build_CFLAGS = $(TINYX_TEST_FLAGS)
tests_unit_test_tinyx_build_LDADD = $(TINYX_TEST_LIBS) libchaos/libchaos.la
tests_unit_test_tinyx_build_cli_SOURCES = tests/unit/test_tinyx_build_cli.c $(TINYX_TEST_COMMON)
tests_unit_test_tinyx_build_cli_CFLAGS = $(TINYX_TEST_FLAGS)
tests_unit_test_tinyx_build_cli_LDADD = $(TINYX_TEST_LIBS)
tests_unit_test_tinyx_kmod_SOURCES = tests/unit/test_tinyx_kmod.c
tests_unit_test_tinyx_kmod_CFLAGS = $(TINYX_TEST_FLAGS)
tests_unit_test_tinyx_kmod_LDADD = $(TINYX_TEST_LIBS)
tests_unit_test_tinyx_devices_SOURCES = tests/unit/test_tinyx_devices.c $(TINYX_TEST_COMMON)
tests_unit_test_tinyx_devices_CFLAGS = $(TINYX_TEST_FLAGS)
tests_unit_test_tinyx_devices_LDADD = $(TINYX_TEST_LIBS) libchaos/libchaos.la

tests_unit_test_tinyx_netwatch_SOURCES = tests/unit/test_tinyx_netwatch.c \
	tinyx/netwatch_msg.c tinyx/netwatch_msg.h $(TINYX_TEST_COMMON)
tests_unit_test_tinyx_netwatch_CFLAGS = $(TINYX_TEST_FLAGS)
tests_unit_test_tinyx_netwatch_LDADD = $(TINYX_TEST_LIBS) -lutil
tests_unit_test_tinyx_stdin_SOURCES = tests/unit/test_tinyx_stdin.c \
	tinyx/stdin_frame.c tinyx/stdin_frame.h
tests_unit_test_tinyx_stdin_CFLAGS = $(TINYX_TEST_FLAGS)
tests_unit_test_tinyx_stdin_LDADD = $(CHECK_LIBS) -lutil
# The --net builds of the build tests put the helper in their images;
# test_tinyx_stdin runs tinyx-stdin.
$(TINYX_TESTS): tinyx/tinyx-netwatch tinyx/tinyx-stdin

# Only tinyx's tests (the CLI test needs the tinyx command built).
check-tinyx: tinyx/tinyx tinyx/tinyx-netwatch tinyx/tinyx-stdin $(TINYX_TESTS)
	$(MAKE) $(AM_MAKEFLAGS) check-TESTS TESTS='$(TINYX_TESTS)'
.PHONY: check-tinyx

# ---------------------------------------------------------------- fuzzing
# `make fuzz-tinyx [FUZZ_SECONDS=N]` builds the libFuzzer targets with clang
# and runs each for N seconds (0: build only; default: FUZZ_SECONDS of the
# other fuzz fragments, else 10).  Not part of all or check.
TINYX_FUZZ_TARGETS = tests/fuzz/fuzz_elfdeps tests/fuzz/fuzz_spec tests/fuzz/fuzz_kmod \
	tests/fuzz/fuzz_stdin_frame
TINYX_FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -std=c11 -D_GNU_SOURCE \
	-include $(top_builddir)/config.h -I$(top_srcdir)/tinyx $(ZLIB_CFLAGS)
TINYX_FUZZ_SRC = $(TINYX_LIB_SRCS:%=$(top_srcdir)/%)
EXTRA_DIST += tests/fuzz/fuzz_elfdeps.c tests/fuzz/fuzz_spec.c tests/fuzz/fuzz_kmod.c \
	tests/fuzz/fuzz_stdin_frame.c
CLEANFILES += $(TINYX_FUZZ_TARGETS)

fuzz-tinyx:
	@test -n "$(FUZZ_CC)" || { echo "fuzz-tinyx: no clang (apt-get install clang, then re-run configure)" >&2; exit 1; }
	@$(MKDIR_P) tests/fuzz/corpus-elfdeps tests/fuzz/corpus-spec tests/fuzz/corpus-kmod \
		tests/fuzz/corpus-stdin_frame
	$(FUZZ_CC) $(TINYX_FUZZ_FLAGS) -o tests/fuzz/fuzz_elfdeps \
		$(top_srcdir)/tests/fuzz/fuzz_elfdeps.c $(TINYX_FUZZ_SRC) $(ZLIB_LIBS)
	$(FUZZ_CC) $(TINYX_FUZZ_FLAGS) -o tests/fuzz/fuzz_spec \
		$(top_srcdir)/tests/fuzz/fuzz_spec.c $(TINYX_FUZZ_SRC) $(ZLIB_LIBS)
	$(FUZZ_CC) $(TINYX_FUZZ_FLAGS) -o tests/fuzz/fuzz_kmod \
		$(top_srcdir)/tests/fuzz/fuzz_kmod.c $(TINYX_FUZZ_SRC) $(ZLIB_LIBS)
	$(FUZZ_CC) $(TINYX_FUZZ_FLAGS) -o tests/fuzz/fuzz_stdin_frame \
		$(top_srcdir)/tests/fuzz/fuzz_stdin_frame.c $(top_srcdir)/tinyx/stdin_frame.c
	@for f in /bin/true /bin/ls /usr/lib/x86_64-linux-gnu/libz.so.1; do \
		test -f $$f && cp -L $$f tests/fuzz/corpus-elfdeps/seed-$$(basename $$f) || :; done
	@printf 'dir /a 0700\nfile "/b c" ./x 0644\nelf /bin/x /bin/true\nlib libc.so.6\ntree / ./t\nslink /l ../x\nnod /dev/console c 5 1 0600\n' \
		>tests/fuzz/corpus-spec/seed-spec
	@printf 'k/9p.ko.xz: k/9pnet.ko k/a-b.ko\nk/9pnet.ko: k/a-b.ko\nk/a-b.ko:\n\nk/b.ko:\0k/x_y-z.ko\n' \
		>tests/fuzz/corpus-kmod/seed-kmod
	@printf 'a\nb\377\377c\017\000\377\004tail' >tests/fuzz/corpus-stdin_frame/seed-frames
	@secs='$(FUZZ_SECONDS)'; test -n "$$secs" || secs=10; \
	if test "$$secs" != 0; then \
		for t in $(TINYX_FUZZ_TARGETS); do \
			echo "running $$t for $$secs s"; \
			./$$t -max_total_time=$$secs -print_final_stats=1 \
				tests/fuzz/corpus-$${t#tests/fuzz/fuzz_} || exit 1; \
		done; \
	fi
.PHONY: fuzz-tinyx

# ---------------------------------------------------------------- lab images
# Images the lab boots (tests/lab/test-tinyx.sh): built on the host, where
# apt works, at lab-image time; tools/lab/chaos-lab packs the folder into
# dom0 as /lab/tinyx.  A real Debian program that prints something
# checkable: sqlite3 computing 6*7 (sqlite3, libsqlite3-0, libreadline8,
# libtinfo6, zlib1g, libc6: a small package set).  One image per target.
# And --module: Debian's xen-netfront (a module there) in a PV image whose
# program, the host's cat, prints /proc/modules.
TINYX_LAB_DIR = tinyx/lab-images
TINYX_LAB_TINYX = TINYX_DATADIR=$(abs_top_srcdir)/tinyx \
	TINYX_LIBEXECDIR=$(abs_top_builddir)/tinyx ./tinyx/tinyx build -q --force
TINYX_LAB_BUILD = $(TINYX_LAB_TINYX) --package sqlite3
TINYX_LAB_APP = -- sqlite3 :memory: 'select 6*7 as answer;'
$(TINYX_LAB_DIR)/.stamp: tinyx/tinyx tinyx/tinyx-netwatch $(top_srcdir)/tinyx/init.sh
	@$(MKDIR_P) $(TINYX_LAB_DIR)
	$(TINYX_LAB_BUILD) -t xen-pv -n tinyx-sqlite3-pv \
		--image-dir /lab/tinyx/sqlite3-pv -o $(TINYX_LAB_DIR)/sqlite3-pv $(TINYX_LAB_APP)
	$(TINYX_LAB_BUILD) -t xen-pvh -n tinyx-sqlite3-pvh \
		--image-dir /lab/tinyx/sqlite3-pvh -o $(TINYX_LAB_DIR)/sqlite3-pvh $(TINYX_LAB_APP)
	$(TINYX_LAB_TINYX) -t xen-pv -n tinyx-modules-pv --module xen-netfront \
		--image-dir /lab/tinyx/modules-pv -o $(TINYX_LAB_DIR)/modules-pv \
		-- cat /proc/modules
	@touch $@

# --net and --disk (tests/lab/test-tinyx-net.sh): Debian's lighttpd serving
# a page at ip=10.0.11.2/24 on xenbr0, and busybox sh reading and writing
# an ext4 disk (/tmp/tinyx-disk.img in dom0, a copy of disk.img, mounted on
# /data).  The kernel back ends Debian's xl needs for the disk, loop and
# xen-blkback, are not in the lab's dom0: they are taken from the same
# Debian kernel package (dom0-modules/RELEASE/; the test checks the
# release against dom0's).  disk.img is made with mkfs.ext4 -d (e2fsprogs),
# which needs no root.
TINYX_LAB_SRC = $(TINYX_LAB_DIR)/src
$(TINYX_LAB_DIR)/.stamp-devices: tinyx/tinyx tinyx/tinyx-netwatch $(top_srcdir)/tinyx/init.sh
	@$(MKDIR_P) $(TINYX_LAB_SRC)/www $(TINYX_LAB_SRC)/disk
	@echo 'tinyx lab page: lighttpd on --net' >$(TINYX_LAB_SRC)/www/index.html
	@printf '%s\n' 'server.document-root = "/www"' 'server.port = 80' \
		'server.upload-dirs = ( "/tmp" )' 'index-file.names = ( "index.html" )' \
		'mimetype.assign = ( ".html" => "text/html" )' >$(TINYX_LAB_SRC)/lighttpd.conf
	$(TINYX_LAB_TINYX) -t xen-pv -n tinyx-web-pv --ip 10.0.11.2/24 \
		--image-dir /lab/tinyx/web-pv -o $(TINYX_LAB_DIR)/web-pv -p lighttpd \
		-f $(TINYX_LAB_SRC)/www:/www \
		-f $(TINYX_LAB_SRC)/lighttpd.conf:/etc/lighttpd/lighttpd.conf \
		-- lighttpd -D -f /etc/lighttpd/lighttpd.conf
	$(TINYX_LAB_TINYX) -t xen-pv -n tinyx-disk-pv \
		--disk /tmp/tinyx-disk.img:/data \
		--image-dir /lab/tinyx/disk-pv -o $(TINYX_LAB_DIR)/disk-pv \
		-- /bin/busybox sh -c 'cat /data/hello.txt && echo tinyx-disk-written >/data/out.txt && sync'
	@echo 'tinyx-disk-hello: read from xvda' >$(TINYX_LAB_SRC)/disk/hello.txt
	rm -f $(TINYX_LAB_DIR)/disk.img
	mkfs.ext4 -q -F -L tinyx -d $(TINYX_LAB_SRC)/disk $(TINYX_LAB_DIR)/disk.img 16M
	@kpkg=$$(awk '/^linux-image-/ { print $$1 "_" $$2 "_" $$3 }' \
		$(TINYX_LAB_DIR)/disk-pv/build/packages) && \
	kdir=$$(echo "$${TINYX_CACHE:-/var/cache/tinyx}/pkgs/$$kpkg"/lib/modules/*) && \
	rel=$$(basename "$$kdir") && rm -rf $(TINYX_LAB_DIR)/dom0-modules && \
	$(MKDIR_P) $(TINYX_LAB_DIR)/dom0-modules/$$rel && \
	cp "$$kdir/kernel/drivers/block/loop.ko" \
		"$$kdir/kernel/drivers/block/xen-blkback/xen-blkback.ko" \
		$(TINYX_LAB_DIR)/dom0-modules/$$rel/
	@touch $@
# A template pool's service (tests/lab/test-chaosd-template-linux.sh):
# busybox's httpd on chaosbr0 at ip=10.0.0.2/24, which says "tinyx-httpd:
# serving" once it answers (the template's ready line).  Small and fast
# to boot: no package, the image's own busybox.
$(TINYX_LAB_DIR)/.stamp-httpd: tinyx/tinyx tinyx/tinyx-netwatch $(top_srcdir)/tinyx/init.sh
	@$(MKDIR_P) $(TINYX_LAB_SRC)/httpd
	@echo 'tinyx lab page: busybox httpd' >$(TINYX_LAB_SRC)/httpd/index.html
	@printf '%s\n' 'busybox httpd -f -p 80 -h /www &' \
		'until busybox wget -q -O /dev/null http://127.0.0.1/ 2>/dev/null; do busybox usleep 100000; done' \
		'echo "tinyx-httpd: serving"' 'wait' >$(TINYX_LAB_SRC)/httpd.sh
	$(TINYX_LAB_TINYX) -t xen-pv -n tinyx-httpd-pv --bridge chaosbr0 \
		--ip 10.0.0.2/24 --image-dir /lab/tinyx/httpd-pv \
		-o $(TINYX_LAB_DIR)/httpd-pv -f $(TINYX_LAB_SRC)/httpd:/www \
		-f $(TINYX_LAB_SRC)/httpd.sh:/httpd.sh -- /bin/busybox sh /httpd.sh
	@touch $@
lab-tinyx-images: $(TINYX_LAB_DIR)/.stamp $(TINYX_LAB_DIR)/.stamp-devices \
	$(TINYX_LAB_DIR)/.stamp-httpd
.PHONY: lab-tinyx-images
clean-local: clean-tinyx-lab
clean-tinyx-lab:
	rm -rf $(TINYX_LAB_DIR)
.PHONY: clean-tinyx-lab
EXTRA_DIST += tools/bench/tinyx-bench
