/*
 * cpio.h - writing cpio "newc" archives (the format Linux unpacks as an
 * initramfs), reproducibly: every entry gets the same mtime, uid and gid 0,
 * a sequential inode number and nlink 1 (2 for directories), so identical
 * input gives a byte-identical archive.  Optionally gzip-compressed, with a
 * gzip header that carries no time and no name.
 *
 * The writer does not sort or check names: callers add entries in the order
 * they must be unpacked (parents before children).  Names are stored without
 * a leading "/", as the kernel's own gen_init_cpio and cpio(1) expect.
 * File contents are streamed from a descriptor, never held whole.
 */
#ifndef TINYX_CPIO_H
#define TINYX_CPIO_H

#include <stdint.h>

#include "txutil.h"

struct cpio_writer;

#define CPIO_GZIP 0x1u

/* Largest file newc can describe (its size field has 32 bits). */
#define CPIO_MAX_FILE_SIZE 0xffffffffULL

/* Starts an archive on fd (which stays the caller's: not closed). */
int cpio_writer_new(struct cpio_writer **out, int fd, unsigned flags,
                    uint32_t mtime, struct tx_error *err);

/* mode: permission bits (07777); the file type comes from the call. */
int cpio_add_dir(struct cpio_writer *w, const char *name, unsigned mode,
                 struct tx_error *err);
int cpio_add_symlink(struct cpio_writer *w, const char *name,
                     const char *target, struct tx_error *err);
/* type: 'c' (character) or 'b' (block). */
int cpio_add_node(struct cpio_writer *w, const char *name, char type,
                  unsigned major, unsigned minor, unsigned mode,
                  struct tx_error *err);
/* Copies exactly size bytes read from fd (from its current position); a
 * file that turns out shorter or longer than size is an error. */
int cpio_add_file(struct cpio_writer *w, const char *name, unsigned mode,
                  int fd, uint64_t size, struct tx_error *err);
int cpio_add_data(struct cpio_writer *w, const char *name, unsigned mode,
                  const void *data, size_t len, struct tx_error *err);

/* Writes the trailer (and the gzip trailer) and flushes everything. */
int cpio_finish(struct cpio_writer *w, struct tx_error *err);
void cpio_writer_free(struct cpio_writer *w);

/* The timestamp for reproducible archives: SOURCE_DATE_EPOCH when set
 * (a decimal number of seconds that must fit 32 bits), else 0. */
int cpio_mtime_from_env(uint32_t *mtime, struct tx_error *err);

#endif
