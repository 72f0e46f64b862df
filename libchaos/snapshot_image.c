/*
 * snapshot_image.c - the chaos header of an image file (see
 * snapshot_image.h; the layout is in docs/snapshot.md).
 *
 * Fixed part (little-endian):
 *    0  8  magic "CHAOSIMG"
 *    8  4  format version (1)
 *   12  4  header size: 96 + config length + devices length
 *   16  4  CRC-32 of the whole header, computed with this field 0
 *   20  4  guest type: 0 PV, 1 PVH
 *   24  4  store: 0 none, 1 noxs page, 2 private XenStore
 *   28  4  noxs generation when saved
 *   32  8  stream length (0 until the stream is complete)
 *   40  4  stream CRC-32
 *   44  4  config text length
 *   48  4  devices text length
 *   52  4  store event channel (private XenStore only, else 0)
 *   56  8  reserved, 0
 *   64 32  chaos version, NUL-padded
 *   96     config text, then devices text (no NUL in either)
 * Devices text: one line per vif, "net INDEX MAC\n", in vif order.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "snapshot_image.h"

enum {
    OFF_MAGIC = 0,
    OFF_VERSION = 8,
    OFF_HSIZE = 12,
    OFF_HCRC = 16,
    OFF_TYPE = 20,
    OFF_STORE = 24,
    OFF_GEN = 28,
    OFF_SLEN = 32,
    OFF_SCRC = 40,
    OFF_CLEN = 44,
    OFF_DLEN = 48,
    OFF_STORE_PORT = 52,
    OFF_RESERVED = 56,
    OFF_CHAOS_VERSION = 64,
};
#define CHAOS_VERSION_LEN 32u

static int fail(char *err, size_t len, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t len, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return code;
}

uint32_t snap_crc32(uint32_t crc, const void *buf, size_t len)
{
    const Bytef *p = buf;
    uLong c = crc;
    /* zlib's length is a uInt: feed it in pieces. */
    while (len > 0) {
        uInt n = len > 0x40000000u ? 0x40000000u : (uInt)len;
        c = crc32(c, p, n);
        p += n;
        len -= n;
    }
    return (uint32_t)c;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* The devices text of h, into buf (SNAP_DEVICES_MAX); its length. */
static size_t devices_text(const struct snap_header *h, char *buf)
{
    size_t n = 0;
    for (unsigned i = 0; i < h->nr_macs; i++) {
        const uint8_t *m = h->macs[i];
        n += (size_t)snprintf(buf + n, SNAP_DEVICES_MAX - n,
                              "net %u %02x:%02x:%02x:%02x:%02x:%02x\n", i, m[0],
                              m[1], m[2], m[3], m[4], m[5]);
    }
    return n;
}

int snap_header_encode(const struct snap_header *h, const char *config,
                       uint8_t **out, size_t *len, char *err, size_t errlen)
{
    size_t clen = strlen(config);
    char devs[SNAP_DEVICES_MAX];

    if (clen > SNAP_CONFIG_MAX)
        return fail(err, errlen, -EINVAL,
                    "the configuration is too long for an image (%zu bytes, "
                    "at most %u)",
                    clen, SNAP_CONFIG_MAX);
    if (h->nr_macs > SNAP_MAX_VIFS || h->store > SNAP_STORE_MAX ||
        (h->store != SNAP_STORE_XENSTORE && h->store_port))
        return fail(err, errlen, -EINVAL, "bad device state");
    size_t dlen = devices_text(h, devs);
    size_t size = SNAP_FIXED_SIZE + clen + dlen;
    uint8_t *b = calloc(1, size);
    if (!b)
        return fail(err, errlen, -ENOMEM, "out of memory");
    memcpy(b + OFF_MAGIC, SNAP_MAGIC, 8);
    put32(b + OFF_VERSION, SNAP_FORMAT_VERSION);
    put32(b + OFF_HSIZE, (uint32_t)size);
    put32(b + OFF_TYPE, h->pvh ? 1 : 0);
    put32(b + OFF_STORE, h->store);
    put32(b + OFF_GEN, h->noxs_generation);
    put32(b + OFF_STORE_PORT, h->store_port);
    put64(b + OFF_SLEN, h->stream_length);
    put32(b + OFF_SCRC, h->stream_crc);
    put32(b + OFF_CLEN, (uint32_t)clen);
    put32(b + OFF_DLEN, (uint32_t)dlen);
    size_t vlen = strnlen(h->chaos_version, CHAOS_VERSION_LEN - 1);
    memcpy(b + OFF_CHAOS_VERSION, h->chaos_version, vlen); /* NUL-padded */
    memcpy(b + SNAP_FIXED_SIZE, config, clen);
    memcpy(b + SNAP_FIXED_SIZE + clen, devs, dlen);
    put32(b + OFF_HCRC, snap_crc32(0, b, size));
    *out = b;
    *len = size;
    return 0;
}

long snap_header_size(const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    if (len < SNAP_FIXED_SIZE || memcmp(buf + OFF_MAGIC, SNAP_MAGIC, 8) != 0)
        return fail(err, errlen, -EINVAL,
                    "not a chaos image (no \"%s\" header)", SNAP_MAGIC);
    uint32_t version = get32(buf + OFF_VERSION);
    if (version != SNAP_FORMAT_VERSION)
        return fail(err, errlen, -EPROTONOSUPPORT,
                    "image format version %u; this chaos reads version %u",
                    version, SNAP_FORMAT_VERSION);
    uint32_t size = get32(buf + OFF_HSIZE);
    uint32_t clen = get32(buf + OFF_CLEN), dlen = get32(buf + OFF_DLEN);
    if (clen > SNAP_CONFIG_MAX || dlen > SNAP_DEVICES_MAX ||
        size != SNAP_FIXED_SIZE + clen + dlen)
        return fail(err, errlen, -EINVAL,
                    "the image header is corrupt (sizes %u, %u, %u)", size,
                    clen, dlen);
    return (long)size;
}

/* "xx:xx:xx:xx:xx:xx" exactly, lower or upper case. */
static int parse_mac(const char *s, uint8_t mac[6])
{
    for (int i = 0; i < 6; i++) {
        unsigned v = 0;
        for (int k = 0; k < 2; k++) {
            char c = s[3 * i + k];
            int d = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
            if (d < 0)
                return -1;
            v = v * 16 + (unsigned)d;
        }
        if (s[3 * i + 2] != (i < 5 ? ':' : '\0'))
            return -1;
        mac[i] = (uint8_t)v;
    }
    return 0;
}

/* The devices text (len bytes, no NUL inside) into h->macs. */
static int parse_devices(const char *text, size_t len, struct snap_header *h,
                         char *err, size_t errlen)
{
    size_t pos = 0;
    h->nr_macs = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        char line[64];
        unsigned idx;
        char mac[20];
        int used = 0;
        if (!nl || n >= sizeof(line))
            return fail(err, errlen, -EINVAL,
                        "the image's device state is corrupt");
        memcpy(line, text + pos, n);
        line[n] = '\0';
        char canonical[64];
        /* Exactly as written (one form per value, so the fuzz target can
         * check that a header reads back to its own bytes). */
        if (sscanf(line, "net %u %19s%n", &idx, mac, &used) != 2 ||
            line[used] || idx != h->nr_macs || idx >= SNAP_MAX_VIFS ||
            parse_mac(mac, h->macs[idx]) != 0 ||
            snprintf(canonical, sizeof(canonical),
                     "net %u %02x:%02x:%02x:%02x:%02x:%02x", idx,
                     h->macs[idx][0], h->macs[idx][1], h->macs[idx][2],
                     h->macs[idx][3], h->macs[idx][4], h->macs[idx][5]) < 0 ||
            strcmp(canonical, line) != 0)
            return fail(err, errlen, -EINVAL,
                        "the image's device state is corrupt: '%s'", line);
        h->nr_macs++;
        pos += n + 1;
    }
    return 0;
}

int snap_header_decode(const uint8_t *buf, size_t len, struct snap_header *h,
                       char **config, char *err, size_t errlen)
{
    long size = snap_header_size(buf, len, err, errlen);
    if (size < 0)
        return (int)size;
    if ((size_t)size != len)
        return fail(err, errlen, -EINVAL,
                    "the image header is %ld bytes, not %zu", size, len);
    uint8_t fixed[SNAP_FIXED_SIZE];
    memcpy(fixed, buf, sizeof(fixed));
    put32(fixed + OFF_HCRC, 0);
    uint32_t crc = snap_crc32(0, fixed, sizeof(fixed));
    crc = snap_crc32(crc, buf + SNAP_FIXED_SIZE, len - SNAP_FIXED_SIZE);
    if (crc != get32(buf + OFF_HCRC))
        return fail(err, errlen, -EINVAL,
                    "the image header's checksum does not match: the file is "
                    "corrupt");
    memset(h, 0, sizeof(*h));
    h->format_version = get32(buf + OFF_VERSION);
    h->header_size = (uint32_t)size;
    uint32_t type = get32(buf + OFF_TYPE), store = get32(buf + OFF_STORE);
    uint32_t port = get32(buf + OFF_STORE_PORT);
    if (type > 1 || store > SNAP_STORE_MAX ||
        (store != SNAP_STORE_XENSTORE && port))
        return fail(err, errlen, -EINVAL,
                    "the image header is corrupt (type %u, store %u)", type,
                    store);
    for (unsigned i = OFF_RESERVED; i < OFF_CHAOS_VERSION; i++)
        if (buf[i])
            return fail(err, errlen, -EINVAL,
                        "the image header is corrupt (reserved bytes)");
    h->pvh = type == 1;
    h->store = (enum snap_store)store;
    h->noxs_generation = get32(buf + OFF_GEN);
    h->store_port = port;
    h->stream_length = get64(buf + OFF_SLEN);
    h->stream_crc = get32(buf + OFF_SCRC);
    const char *ver = (const char *)buf + OFF_CHAOS_VERSION;
    size_t vlen = strnlen(ver, CHAOS_VERSION_LEN);
    if (vlen == CHAOS_VERSION_LEN)
        return fail(err, errlen, -EINVAL,
                    "the image header is corrupt (chaos version)");
    for (size_t i = vlen; i < CHAOS_VERSION_LEN; i++)
        if (ver[i])
            return fail(err, errlen, -EINVAL,
                        "the image header is corrupt (chaos version)");
    memcpy(h->chaos_version, ver, vlen);
    h->chaos_version[vlen] = '\0';
    uint32_t clen = get32(buf + OFF_CLEN), dlen = get32(buf + OFF_DLEN);
    const char *ctext = (const char *)buf + SNAP_FIXED_SIZE;
    if (memchr(ctext, '\0', clen + dlen))
        return fail(err, errlen, -EINVAL,
                    "the image header is corrupt (a NUL in its text)");
    int rc = parse_devices(ctext + clen, dlen, h, err, errlen);
    if (rc)
        return rc;
    char *c = malloc(clen + 1);
    if (!c)
        return fail(err, errlen, -ENOMEM, "out of memory");
    memcpy(c, ctext, clen);
    c[clen] = '\0';
    *config = c;
    return 0;
}

int snap_check_stream(const struct snap_header *h, uint64_t file_size,
                      char *err, size_t errlen)
{
    if (h->stream_length == 0)
        return fail(err, errlen, -EINVAL,
                    "the image is incomplete: its save did not finish");
    uint64_t want = h->header_size + h->stream_length;
    if (file_size < want)
        return fail(err, errlen, -EINVAL,
                    "the image is truncated: %llu bytes, its header says "
                    "%llu",
                    (unsigned long long)file_size, (unsigned long long)want);
    if (file_size > want)
        return fail(err, errlen, -EINVAL,
                    "the image has %llu bytes after its end: it is corrupt",
                    (unsigned long long)(file_size - want));
    return 0;
}
