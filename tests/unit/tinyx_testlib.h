/*
 * tinyx_testlib.h - helpers for tinyx's unit tests: scratch directories,
 * files, running commands (the C compiler, cpio, gzip, the tinyx command)
 * and reading cpio archives back.  Failures abort the current test through
 * Check's assertions.
 */
#ifndef TINYX_TESTLIB_H
#define TINYX_TESTLIB_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

/* A new empty directory under $TMPDIR (or /tmp); remove with tt_rm_rf. */
char *tt_tmpdir(void);
void tt_rm_rf(const char *path);

/* mkdir -p */
void tt_mkdirs(const char *path);
/* Writes a file (parents created) with the given bytes / string. */
void tt_write(const char *path, const void *data, size_t len);
void tt_write_str(const char *path, const char *text);
/* Reads a whole file; NULL if it cannot be read. */
char *tt_read(const char *path, size_t *len);
/* Creates a symlink (parents created). */
void tt_symlink(const char *target, const char *path);

/* printf to a malloc'ed string; never NULL. */
char *tt_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Keeps s (malloc'ed) until tt_free_kept(), usually in a test's teardown,
 * so tests can build strings inline: S("%s/bin", dir). */
char *tt_keep(char *s);
void tt_free_kept(void);
#define S(...) tt_keep(tt_fmt(__VA_ARGS__))

/* Runs a shell command; returns its exit status (-1 if it did not exit). */
int tt_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Runs a shell command, asserting it exits 0. */
void tt_sh_ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Runs a command and returns its standard output; *status gets its exit status. */
char *tt_capture(int *status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Compiles with the C compiler the project was configured with
 * (TEST_CC), in directory dir, asserting success. */
void tt_cc(const char *dir, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* One entry of a newc archive, as read back by tt_cpio_parse. */
struct tt_cpio_entry {
    char name[4096];
    uint32_t ino, mode, uid, gid, nlink, mtime, size, rmajor, rminor;
};
/* Parses a whole newc archive (uncompressed), checking its framing;
 * returns the number of entries before the trailer, or -1 if malformed. */
int tt_cpio_parse(const unsigned char *data, size_t len,
                  struct tt_cpio_entry *out, int max);

#endif
