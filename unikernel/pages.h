/*
 * pages.h - page-aligned pages for rings and buffers, from a small static
 * pool (the kernel has no allocator), and the frame number a grant names.
 */
#ifndef CHAOS_UK_PAGES_H
#define CHAOS_UK_PAGES_H

/* Pages in the pool: one network device (2 rings, 16 rx and 32 tx
 * buffers) and a disk (ring, bounce page) fit, with room to spare. */
#define PAGES_POOL 64

/* A zeroed page, or NULL (and a message) when the pool is exhausted. */
void *page_alloc(void);
void page_free(void *page);

/* The frame a grant of this page names: PV, its machine frame (through
 * start_info's p2m table); PVH, its guest frame.  0 if unknown. */
unsigned long page_frame(const void *page);

#endif
