/*
 * test_snapshot_image.c - the image header codec (libchaos/snapshot_image.c):
 * a header written and read back gives the same fields and text; every
 * byte that matters is checked on the way in (magic, format version,
 * sizes, checksum, fields, device lines), and an incomplete, truncated or
 * over-long file is named as such.
 *
 * With CHAOS_SNAP_CORPUS=DIR in the environment it writes the valid
 * headers it builds into DIR: the fuzz target's seeds
 * (tests/fuzz/corpus/snapshot).
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "snapshot_image.h"

static char err[SNAP_ERR_MAX];
static const char CONFIG[] = "name = \"counter\"\ntype = \"pvh\"\n"
                             "kernel = \"/x/counter\"\nmemory = 8\n";

static struct snap_header sample(void)
{
    struct snap_header h = {
        .pvh = true,
        .store = SNAP_STORE_NOXS,
        .noxs_generation = 3,
        .stream_length = 123456,
        .stream_crc = 0xdeadbeef,
        .nr_macs = 2,
        .macs = { { 0x00, 0x16, 0x3e, 0x01, 0x02, 0x03 },
                  { 0x00, 0x16, 0x3e, 0xaa, 0xbb, 0xcc } },
    };
    snprintf(h.chaos_version, sizeof(h.chaos_version), "0.1.0");
    return h;
}

static void save_seed(const char *name, const uint8_t *b, size_t len)
{
    const char *dir = getenv("CHAOS_SNAP_CORPUS");
    if (!dir)
        return;
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(b, 1, len, f);
        fclose(f);
    }
}

static uint8_t *encode(const struct snap_header *h, const char *cfg,
                       size_t *len)
{
    uint8_t *b = NULL;
    int rc = snap_header_encode(h, cfg, &b, len, err, sizeof(err));
    ck_assert_msg(rc == 0, "encode: %s", err);
    return b;
}

START_TEST(round_trip)
{
    struct snap_header h = sample(), back;
    size_t len;
    uint8_t *b = encode(&h, CONFIG, &len);
    save_seed("sample", b, len);
    ck_assert_uint_eq(len, SNAP_FIXED_SIZE + strlen(CONFIG) +
                               2 * strlen("net 0 00:16:3e:01:02:03\n"));
    ck_assert_int_eq(snap_header_size(b, SNAP_FIXED_SIZE, err, sizeof(err)),
                     (long)len);
    char *cfg = NULL;
    ck_assert_int_eq(snap_header_decode(b, len, &back, &cfg, err, sizeof(err)),
                     0);
    ck_assert_str_eq(cfg, CONFIG);
    ck_assert(back.pvh);
    ck_assert_int_eq(back.store, SNAP_STORE_NOXS);
    ck_assert_uint_eq(back.noxs_generation, 3);
    ck_assert_uint_eq(back.stream_length, 123456);
    ck_assert_uint_eq(back.stream_crc, 0xdeadbeef);
    ck_assert_uint_eq(back.header_size, len);
    ck_assert_uint_eq(back.format_version, SNAP_FORMAT_VERSION);
    ck_assert_str_eq(back.chaos_version, "0.1.0");
    ck_assert_uint_eq(back.nr_macs, 2);
    ck_assert_mem_eq(back.macs[1], h.macs[1], 6);
    free(cfg);
    free(b);
}
END_TEST

/* Rewriting with the stream's length keeps the size (rewritten in place). */
START_TEST(rewrite_same_size)
{
    struct snap_header h = sample();
    h.stream_length = 0;
    h.stream_crc = 0;
    size_t a, c;
    uint8_t *first = encode(&h, CONFIG, &a);
    save_seed("incomplete", first, a);
    h.stream_length = UINT64_C(1) << 40;
    h.stream_crc = 1;
    uint8_t *second = encode(&h, CONFIG, &c);
    ck_assert_uint_eq(a, c);
    free(first);
    free(second);
}
END_TEST

START_TEST(no_devices_pv)
{
    struct snap_header h = sample(), back;
    h.pvh = false;
    h.nr_macs = 0;
    h.store = SNAP_STORE_NONE;
    size_t len;
    uint8_t *b = encode(&h, "", &len);
    save_seed("pv-empty", b, len);
    ck_assert_uint_eq(len, SNAP_FIXED_SIZE);
    char *cfg = NULL;
    ck_assert_int_eq(snap_header_decode(b, len, &back, &cfg, err, sizeof(err)),
                     0);
    ck_assert(!back.pvh);
    ck_assert_str_eq(cfg, "");
    free(cfg);
    free(b);
}
END_TEST

/* A Linux guest's image keeps its store event channel; only it may. */
START_TEST(xenstore_port)
{
    struct snap_header h = sample(), back;
    h.store = SNAP_STORE_XENSTORE;
    h.store_port = 2;
    size_t len;
    uint8_t *b = encode(&h, CONFIG, &len);
    save_seed("xenstore", b, len);
    char *cfg = NULL;
    ck_assert_int_eq(snap_header_decode(b, len, &back, &cfg, err, sizeof(err)),
                     0);
    ck_assert_int_eq(back.store, SNAP_STORE_XENSTORE);
    ck_assert_uint_eq(back.store_port, 2);
    free(cfg);
    free(b);
    uint8_t *out;
    h.store = SNAP_STORE_NOXS;
    ck_assert_int_eq(
        snap_header_encode(&h, CONFIG, &out, &len, err, sizeof(err)), -EINVAL);
}
END_TEST

/* Decodes b with byte i changed to v: the code, and err. */
static int decode_changed(const uint8_t *b, size_t len, size_t i, uint8_t v)
{
    uint8_t *c = malloc(len);
    memcpy(c, b, len);
    c[i] = v;
    struct snap_header h;
    char *cfg = NULL;
    int rc = snap_header_decode(c, len, &h, &cfg, err, sizeof(err));
    free(cfg);
    free(c);
    return rc;
}

START_TEST(every_byte_is_checked)
{
    struct snap_header h = sample();
    size_t len;
    uint8_t *b = encode(&h, CONFIG, &len);
    for (size_t i = 0; i < len; i++) {
        int rc = decode_changed(b, len, i, (uint8_t)(b[i] ^ 0x01));
        ck_assert_msg(rc < 0, "byte %zu changed, still accepted", i);
    }
    free(b);
}
END_TEST

START_TEST(messages)
{
    struct snap_header h = sample();
    size_t len;
    uint8_t *b = encode(&h, CONFIG, &len);

    ck_assert_int_eq(snap_header_size(b, 10, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "not a chaos image"));
    ck_assert_int_eq(decode_changed(b, len, 0, 'X'), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "not a chaos image"));
    ck_assert_int_eq(decode_changed(b, len, 8, 2), -EPROTONOSUPPORT);
    ck_assert_str_eq(err, "image format version 2; this chaos reads version 1");
    ck_assert_int_eq(decode_changed(b, len, 12, 0xff), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "header is corrupt"));
    ck_assert_int_eq(decode_changed(b, len, 100, 'Q'), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "checksum does not match"));

    h.stream_length = 0;
    ck_assert_int_eq(snap_check_stream(&h, 5000, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "save did not finish"));
    h.stream_length = 1000;
    h.header_size = 200;
    ck_assert_int_eq(snap_check_stream(&h, 1200, err, sizeof(err)), 0);
    ck_assert_int_eq(snap_check_stream(&h, 1199, err, sizeof(err)), -EINVAL);
    ck_assert_str_eq(err, "the image is truncated: 1199 bytes, its header says "
                          "1200");
    ck_assert_int_eq(snap_check_stream(&h, 1201, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "after its end"));
    free(b);
}
END_TEST

START_TEST(refuses_bad_input_to_encode)
{
    struct snap_header h = sample();
    uint8_t *b = NULL;
    size_t len;
    h.nr_macs = SNAP_MAX_VIFS + 1;
    ck_assert_int_eq(snap_header_encode(&h, CONFIG, &b, &len, err, sizeof(err)),
                     -EINVAL);
    h = sample();
    char *big = malloc(SNAP_CONFIG_MAX + 2);
    memset(big, 'a', SNAP_CONFIG_MAX + 1);
    big[SNAP_CONFIG_MAX + 1] = '\0';
    ck_assert_int_eq(snap_header_encode(&h, big, &b, &len, err, sizeof(err)),
                     -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "too long"));
    free(big);
}
END_TEST

START_TEST(crc_is_zlibs)
{
    /* The check value of CRC-32 (IEEE 802.3), as zlib computes it. */
    ck_assert_uint_eq(snap_crc32(0, "123456789", 9), 0xcbf43926u);
    ck_assert_uint_eq(snap_crc32(snap_crc32(0, "1234", 4), "56789", 5),
                      0xcbf43926u);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("snapshot_image");
    TCase *tc = tcase_create("codec");
    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, rewrite_same_size);
    tcase_add_test(tc, no_devices_pv);
    tcase_add_test(tc, xenstore_port);
    tcase_add_test(tc, every_byte_is_checked);
    tcase_add_test(tc, messages);
    tcase_add_test(tc, refuses_bad_input_to_encode);
    tcase_add_test(tc, crc_is_zlibs);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(suite());
}
