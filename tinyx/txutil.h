/*
 * txutil.h - small helpers shared by the tinyx library (elfdeps, cpio,
 * initramfs): error reports, string lists, a string-keyed map, lexical path
 * operations and I/O loops.
 *
 * Error convention of the whole library: a function that can fail returns 0
 * (or a count) on success and a negative errno on failure, and fills the
 * caller's struct tx_error with a sentence naming what failed.  The library
 * never prints and never exits.
 */
#ifndef TINYX_TXUTIL_H
#define TINYX_TXUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TX_ERRMSG_MAX 2048

struct tx_error {
    char msg[TX_ERRMSG_MAX];
};

/* Sets err->msg (err may be NULL) and returns code, which is forced negative
 * (-EIO if it was not). */
int tx_fail(struct tx_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends "PREFIX: " to the message already in err and returns code. */
int tx_prefix(struct tx_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* malloc'ed printf; NULL when out of memory. */
char *tx_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grows *arr (elements of elsize bytes) so that it holds at least need
 * elements.  Returns 0 or -ENOMEM (the array is untouched then). */
int tx_grow(void *arrp, size_t *cap, size_t need, size_t elsize);

/* A growable list of owned strings. */
struct tx_strv {
    char **v;
    size_t n, cap;
};
int tx_strv_push(struct tx_strv *sv, const char *s); /* copies s */
int tx_strv_push_owned(struct tx_strv *sv,
                       char *s); /* takes s (frees it on failure) */
bool tx_strv_contains(const struct tx_strv *sv, const char *s);
void tx_strv_free(struct tx_strv *sv);

/* A map from strings (copied) to size_t values; open addressing. */
struct tx_map_slot;
struct tx_map {
    struct tx_map_slot *slots;
    size_t cap, n;
};
int tx_map_put(struct tx_map *m, const char *key, size_t val);
bool tx_map_get(const struct tx_map *m, const char *key, size_t *val);
void tx_map_free(struct tx_map *m);

/*
 * Lexical path operations (no file system access).  tx_path_normalize()
 * returns an absolute path ("/" + components): empty and "." components are
 * dropped, ".." removes the previous component and stops at "/".  Relative
 * input is taken relative to "/".
 */
char *tx_path_normalize(const char *path);
char *tx_path_join(const char *dir, const char *name); /* "dir/name" */
char *tx_dirname(const char *path);        /* "/a/b" -> "/a", "/a" -> "/" */
const char *tx_basename(const char *path); /* pointer into path */

/* Full-length write, retrying on EINTR and short writes.  0 or -errno. */
int tx_write_all(int fd, const void *buf, size_t len);
/* Reads up to len bytes at offset off, retrying on EINTR and short reads;
 * returns the number of bytes read (less only at end of file) or -errno. */
ssize_t tx_pread_full(int fd, void *buf, size_t len, uint64_t off);
/* Reads up to len bytes from the current position (as above). */
ssize_t tx_read_full(int fd, void *buf, size_t len);

/* Reads a whole file of at most max bytes into a NUL-terminated buffer.
 * "-" means standard input.  0 or -errno (-EFBIG when larger than max). */
int tx_read_file(const char *path, size_t max, char **data, size_t *len);

#endif
