# libchaos/hv: the hypervisor module.
#
# A convenience library of its own (hv.h says what it may include): it is
# the only code compiled with Xen's include paths, which enforces that the
# rest of libchaos speaks the project's types.  Xen's public headers use
# anonymous unions and other GNU extensions, so it is built as gnu11.
noinst_LTLIBRARIES += libchaos/hv/libhv.la
libchaos_hv_libhv_la_SOURCES = \
	libchaos/hv/hv.h \
	libchaos/hv/hv_private.h \
	libchaos/hv/hv_build.h \
	libchaos/hv/hv_build_int.h \
	libchaos/hv/hv.c \
	libchaos/hv/hv_build.c \
	libchaos/hv/hv_build_pvh.c \
	libchaos/hv/hv_xs.h \
	libchaos/hv/hv_xs.c \
	libchaos/hv/hv_events.h \
	libchaos/hv/hv_events.c \
	libchaos/hv/hv_console.h \
	libchaos/hv/hv_console.c \
	libchaos/hv/hv_dev.h \
	libchaos/hv/hv_dev.c \
	libchaos/hv/hv_save.h \
	libchaos/hv/hv_save.c \
	libchaos/hv/hv_inplace.h \
	libchaos/hv/hv_inplace.c \
	libchaos/hv/hv_domctl.h \
	libchaos/hv/hv_domctl.c
libchaos_hv_libhv_la_CFLAGS = $(AM_CFLAGS) -std=gnu11 \
	$(XENCTRL_CFLAGS) $(XENGUEST_CFLAGS) $(XENFMEM_CFLAGS) \
	$(XENGNTTAB_CFLAGS) $(XENEVTCHN_CFLAGS) $(XENSTORE_CFLAGS) \
	$(XENTOOLLOG_CFLAGS)
libchaos_hv_libhv_la_LIBADD = $(XENCTRL_LIBS) $(XENGUEST_LIBS) $(XENFMEM_LIBS) \
	$(XENGNTTAB_LIBS) $(XENEVTCHN_LIBS) $(XENSTORE_LIBS) $(XENTOOLLOG_LIBS)

# Nothing outside this module may include a Xen header (the script lists
# the exceptions and why).  Part of `make lint`.
.PHONY: lint-xen-headers
lint-xen-headers:
	$(SHELL) $(top_srcdir)/tools/lint/xen-headers.sh $(top_srcdir)
EXTRA_DIST += tools/lint/xen-headers.sh
