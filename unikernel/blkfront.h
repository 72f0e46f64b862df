/*
 * blkfront.h - a block front end over noxs (blkif ring, Xen's
 * io/blkif.h): synchronous requests, one at a time.
 */
#ifndef CHAOS_UK_BLKFRONT_H
#define CHAOS_UK_BLKFRONT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BLKFRONT_SECTOR 512u

struct blkfront;

/* Connects the index-th block device of the page (0: the first disk);
 * NULL (and a message) when there is none or it cannot connect. */
struct blkfront *blkfront_open(unsigned index);

/* After a restore into a new domain (devices.c): connects every open
 * disk again, keeping its struct blkfront. */
void blkfront_resume(void);

/* Size in 512-byte sectors; whether writes are refused; whether flush is
 * honoured. */
uint64_t blkfront_sectors(const struct blkfront *bf);
bool blkfront_readonly(const struct blkfront *bf);
bool blkfront_can_flush(const struct blkfront *bf);

/* Reads or writes count sectors at sector (any length: split into
 * requests as needed).  0, or -1 (and a message) on an error reply. */
int blkfront_read(struct blkfront *bf, uint64_t sector, void *buf,
                  size_t count);
int blkfront_write(struct blkfront *bf, uint64_t sector, const void *buf,
                   size_t count);

/* BLKIF_OP_FLUSH_DISKCACHE: returns when the back end says everything
 * written before is on stable storage.  0 or -1. */
int blkfront_flush(struct blkfront *bf);

/* A hostile guest, on purpose (blk-test corrupt=1, the lab's proof that
 * dom0's back end disconnects a guest that corrupts its ring and carries
 * on): publishes a producer index two rings ahead of what was answered
 * and notifies.  The device is unusable afterwards. */
void blkfront_corrupt_ring(struct blkfront *bf);

#endif
