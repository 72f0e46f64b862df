/*
 * The C library subset the kernel needs.  These keep their standard names
 * because the compiler emits calls to memcpy/memset/memmove/memcmp on its
 * own (struct copies, zeroing), even in a freestanding build.
 */
#ifndef CHAOS_UK_KLIB_H
#define CHAOS_UK_KLIB_H

#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif
