# libchaos/backend: device back ends in dom0 user space (backend.h).
# Part of libchaos.la; the ring consumers (*_ring.c) are pure code with
# unit tests and fuzz targets of their own.
libchaos_libchaos_la_SOURCES += libchaos/backend/backend.h
libchaos_libchaos_la_CFLAGS += $(MNL_CFLAGS)
libchaos_libchaos_la_LIBADD += $(MNL_LIBS)

# -- network back end (netback*.c, tap.c) --
# netback_ring.c is the only one that includes Xen's ring ABI
# (xen/io/netif.h, plain headers: no Xen library is linked for it).
libchaos_libchaos_la_SOURCES += libchaos/backend/netback.c \
	libchaos/backend/netback_csum.h libchaos/backend/netback_csum.c \
	libchaos/backend/netback_ring.h libchaos/backend/netback_ring.c \
	libchaos/backend/tap.c

# Unit tests of the ring logic on fake rings (Check).
check_PROGRAMS += tests/unit/test_netback_ring
TESTS += tests/unit/test_netback_ring
tests_unit_test_netback_ring_SOURCES = tests/unit/test_netback_ring.c \
	libchaos/backend/netback_ring.c libchaos/backend/netback_csum.c
tests_unit_test_netback_ring_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_netback_ring_LDADD = $(CHECK_LIBS)

# -- block back end (blkback*.c) --
