/*
 * snapshot_image.h - the chaos header of a saved guest's image file
 * (docs/snapshot.md, "The image file"): pure code, no Xen, no I/O, so the
 * unit test and the fuzz target run it as it is.
 *
 * An image is this header, then libxenguest's migration stream (v2).  The
 * header is a fixed part of SNAP_FIXED_SIZE bytes (little-endian), then
 * the guest's configuration as xl.cfg text, then its device state as
 * text; a CRC-32 covers the whole header.  The stream's length and CRC-32
 * are written into the header only once the stream is complete, so an
 * image whose save did not finish, or that was cut short, is recognised.
 * Every field read from a file is checked here: the file may be damaged
 * or hostile.
 */
#ifndef CHAOS_SNAPSHOT_IMAGE_H
#define CHAOS_SNAPSHOT_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SNAP_MAGIC "CHAOSIMG" /* 8 bytes, no NUL */
#define SNAP_FORMAT_VERSION 1u
#define SNAP_FIXED_SIZE 96u
/* Upper bounds of the two texts: far above any real configuration, low
 * enough that a damaged length cannot make a reader allocate much. */
#define SNAP_CONFIG_MAX (256u * 1024)
#define SNAP_DEVICES_MAX (16u * 1024)
#define SNAP_MAX_VIFS 8u /* CHAOS_CONFIG_MAX_VIFS */
#define SNAP_ERR_MAX 200

/* Which store page the guest had (its "store" slot, docs/noxs.md). */
enum snap_store {
    SNAP_STORE_NONE = 0,     /* none: no devices, no requests */
    SNAP_STORE_NOXS = 1,     /* the noxs device page */
    SNAP_STORE_XENSTORE = 2, /* a private XenStore (Linux) */
};
#define SNAP_STORE_MAX 2u

struct snap_header {
    uint32_t format_version;  /* SNAP_FORMAT_VERSION when written */
    uint32_t header_size;     /* fixed part + texts: the stream's offset */
    char chaos_version[32];   /* who wrote it ("0.1.0"), NUL-terminated */
    bool pvh;                 /* false: PV */
    enum snap_store store;    /* which page the guest had */
    uint32_t noxs_generation; /* the page's generation when saved */
    uint32_t store_port;      /* XenStore: the guest's store event channel
                                 (Linux binds it again on resume), else 0 */
    uint64_t stream_length;   /* 0: the stream is not complete */
    uint32_t stream_crc;      /* CRC-32 of the stream's bytes */
    unsigned nr_macs;         /* vif i had macs[i] (vif order) */
    uint8_t macs[SNAP_MAX_VIFS][6];
};

/*
 * The whole header: h's fields (header_size and format_version are
 * computed) and config, the guest's configuration text (NUL-terminated,
 * at most SNAP_CONFIG_MAX bytes).  *out (free()) and *len; 0, -EINVAL
 * (err says what) or -ENOMEM.  Writing it again with the stream's
 * length and CRC gives the same size, so it can be rewritten in place.
 */
int snap_header_encode(const struct snap_header *h, const char *config,
                       uint8_t **out, size_t *len, char *err, size_t errlen);

/*
 * Reads the fixed part (len >= SNAP_FIXED_SIZE bytes of buf): magic,
 * format version, sizes.  Returns the whole header's size (which the
 * caller then reads), or a negative errno with a message: -EINVAL (not a
 * chaos image, or damaged sizes), -EPROTONOSUPPORT (another format
 * version; both versions named).
 */
long snap_header_size(const uint8_t *buf, size_t len, char *err, size_t errlen);

/*
 * Decodes a whole header (len bytes, as snap_header_size() said) into h
 * and *config (malloc'd, NUL-terminated; the caller frees it).  Checks
 * the CRC, every field and the texts.  A stream length of 0 is accepted
 * here: snap_check_stream() judges the stream.  0, or -EINVAL /
 * -EPROTONOSUPPORT / -ENOMEM with a message.
 */
int snap_header_decode(const uint8_t *buf, size_t len, struct snap_header *h,
                       char **config, char *err, size_t errlen);

/*
 * Whether a file of file_size bytes holds the whole stream h announces:
 * 0, or -EINVAL naming the problem (the save did not finish; the file is
 * shorter, or longer, than header and stream).
 */
int snap_check_stream(const struct snap_header *h, uint64_t file_size,
                      char *err, size_t errlen);

/* CRC-32 (zlib's) of len bytes, continuing crc (start with 0). */
uint32_t snap_crc32(uint32_t crc, const void *buf, size_t len);

#endif /* CHAOS_SNAPSHOT_IMAGE_H */
