/*
 * lab-snap-image - makes and damages chaos image files for
 * test-chaos-save.sh, with libchaos's own header codec
 * (libchaos/snapshot_image.c), so the test does not spell the format out
 * in shell:
 *   lab-snap-image wrap OUT CONFIG STREAM [pv|pvh]   a well-formed image of
 *       CONFIG (xl.cfg text file) around the bytes of STREAM (not a real
 *       libxenguest stream: restore must fail in xc_domain_restore)
 *   lab-snap-image version IN OUT N   IN with format version N (header
 *       checksum recomputed: only the version is wrong)
 *   lab-snap-image incomplete IN OUT  IN with stream length 0, as a save
 *       that did not finish leaves it
 *   lab-snap-image show IN            the header's fields
 *   lab-snap-image fds IMAGE...       chaos_domain_restore of each IMAGE,
 *       which must fail, twice over in one process: its open descriptors
 *       are the same after the second round as after the first (a failed
 *       restore leaves none behind; the first round lets the context open
 *       what it keeps, e.g. its XenStore connection when xenstored runs)
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>

#include "chaos.h"
#include "snapshot_image.h"

static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    while (d && readdir(d))
        n++;
    if (d)
        closedir(d);
    return n;
}

/* Restores each image; all must fail.  0, or 1 if one did not. */
static int restore_all(chaos_ctx *ctx, int n, char **images, bool quiet)
{
    for (int i = 0; i < n; i++) {
        chaos_domid id;
        if (chaos_domain_restore(ctx, images[i], NULL, 0, 0, &id) == 0) {
            fprintf(stderr, "lab-snap-image: %s restored (domain %u)\n",
                    images[i], id);
            chaos_domain_destroy(ctx, id);
            return 1;
        }
        if (!quiet)
            printf("%s: %s\n", images[i], chaos_errmsg(ctx));
    }
    return 0;
}

/* Two rounds of failed restores; compares descriptors between them. */
static int fds(int n, char **images)
{
    chaos_ctx *ctx;
    if (chaos_open(&ctx) < 0) {
        fprintf(stderr, "lab-snap-image: %s\n", chaos_errmsg(ctx));
        return 1;
    }
    int start = open_fds();
    if (restore_all(ctx, n, images, false))
        return 1;
    int before = open_fds();
    if (restore_all(ctx, n, images, true))
        return 1;
    int after = open_fds();
    chaos_close(ctx);
    printf("descriptors: %d at the start, %d after %d failed restores, %d "
           "after %d more\n",
           start, before, n, after, n);
    return before == after ? 0 : 1;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(1);
    }
    size_t cap = 1 << 20, n = 0;
    uint8_t *b = malloc(cap);
    size_t r;
    while (b && (r = fread(b + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap)
            b = realloc(b, cap *= 2);
    }
    fclose(f);
    if (!b)
        exit(1);
    *len = n;
    return b;
}

static void spill(const char *path, const uint8_t *a, size_t alen,
                  const uint8_t *b, size_t blen)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(a, 1, alen, f) != alen ||
        (blen && fwrite(b, 1, blen, f) != blen) || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

/* Decodes IN's header (exits on error); *size its length. */
static void read_header(const uint8_t *b, size_t len, struct snap_header *h,
                        char **config)
{
    char err[SNAP_ERR_MAX];
    long size = snap_header_size(b, len, err, sizeof(err));
    if (size < 0 || (size_t)size > len ||
        snap_header_decode(b, (size_t)size, h, config, err, sizeof(err))) {
        fprintf(stderr, "lab-snap-image: %s\n", err);
        exit(1);
    }
}

/* Writes h/config as a header followed by the stream bytes. */
static void write_image(const char *out, const struct snap_header *h,
                        const char *config, const uint8_t *stream, size_t slen,
                        uint32_t version)
{
    char err[SNAP_ERR_MAX];
    uint8_t *hdr;
    size_t hlen;
    if (snap_header_encode(h, config, &hdr, &hlen, err, sizeof(err))) {
        fprintf(stderr, "lab-snap-image: %s\n", err);
        exit(1);
    }
    if (version != SNAP_FORMAT_VERSION) {
        /* Offset 8, then the header's CRC (offset 16) again. */
        for (int i = 0; i < 4; i++)
            hdr[8 + i] = (uint8_t)(version >> (8 * i));
        memset(hdr + 16, 0, 4);
        uint32_t crc = snap_crc32(0, hdr, hlen);
        for (int i = 0; i < 4; i++)
            hdr[16 + i] = (uint8_t)(crc >> (8 * i));
    }
    spill(out, hdr, hlen, stream, slen);
    free(hdr);
}

int main(int argc, char **argv)
{
    if (argc >= 5 && !strcmp(argv[1], "wrap")) {
        size_t clen, slen;
        uint8_t *cfg = slurp(argv[3], &clen);
        uint8_t *stream = slurp(argv[4], &slen);
        char *text = malloc(clen + 1);
        memcpy(text, cfg, clen);
        text[clen] = '\0';
        struct snap_header h = {
            .pvh = argc > 5 && !strcmp(argv[5], "pvh"),
            .store = SNAP_STORE_NOXS,
            .noxs_generation = 1,
            .stream_length = slen,
            .stream_crc = snap_crc32(0, stream, slen),
        };
        snprintf(h.chaos_version, sizeof(h.chaos_version), "lab");
        write_image(argv[2], &h, text, stream, slen, SNAP_FORMAT_VERSION);
        return 0;
    }
    if (argc >= 4 &&
        (!strcmp(argv[1], "version") || !strcmp(argv[1], "incomplete"))) {
        size_t len;
        uint8_t *b = slurp(argv[2], &len);
        struct snap_header h;
        char *config;
        read_header(b, len, &h, &config);
        uint32_t version = SNAP_FORMAT_VERSION;
        if (!strcmp(argv[1], "version"))
            version = argc > 4 ? (uint32_t)strtoul(argv[4], NULL, 10) : 2;
        else
            h.stream_length = 0;
        write_image(argv[3], &h, config, b + h.header_size, len - h.header_size,
                    version);
        return 0;
    }
    if (argc >= 3 && !strcmp(argv[1], "fds"))
        return fds(argc - 2, argv + 2);
    if (argc == 3 && !strcmp(argv[1], "show")) {
        size_t len;
        uint8_t *b = slurp(argv[2], &len);
        struct snap_header h;
        char *config;
        read_header(b, len, &h, &config);
        printf("format %u chaos %s type %s store %d generation %u "
               "header %u stream %llu macs %u\n",
               h.format_version, h.chaos_version, h.pvh ? "pvh" : "pv",
               (int)h.store, h.noxs_generation, h.header_size,
               (unsigned long long)h.stream_length, h.nr_macs);
        return 0;
    }
    fprintf(stderr, "usage: see the top of lab-snap-image.c\n");
    return 2;
}
