# libchaos/backend: device back ends in dom0 user space (backend.h).
# Part of libchaos.la; the ring consumers (*_ring.c) are pure code with
# unit tests and fuzz targets of their own.
libchaos_libchaos_la_SOURCES += libchaos/backend/backend.h
libchaos_libchaos_la_CFLAGS += $(MNL_CFLAGS)
libchaos_libchaos_la_LIBADD += $(MNL_LIBS)

# -- network back end (netback*.c, tap.c) --

# -- block back end (blkback*.c) --
