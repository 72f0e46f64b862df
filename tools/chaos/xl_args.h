/*
 * xl_args.h - how xl reads and prints the values of its operator verbs,
 * as pure functions (unit-tested in tests/unit/test_xl_args.c).
 */
#ifndef CHAOS_XL_ARGS_H
#define CHAOS_XL_ARGS_H

#include <stddef.h>
#include <stdint.h>

#include "chaos.h"

/*
 * A memory size as xl's mem-set and mem-max read it (parse_mem_size_kb):
 * a decimal number and at most one suffix, t, g, m, k or b in either
 * case; no suffix means MiB ("256" is 256 MiB, "512k" 512 KiB, "1g" 1 GiB;
 * bytes are rounded down to KiB).  0 and *kib, or -EINVAL for anything
 * else: no digits, a sign, two suffixes, a size past 2^63 KiB.  Unlike
 * xl, which takes "-1m" and "12abc" for sizes, those are refused.
 */
int xl_parse_mem_kib(const char *text, uint64_t *kib);

/*
 * A domain id as xl's domname reads it, but strict: decimal digits only,
 * at most 32767 (DOMID_FIRST_RESERVED - 1).  0 and *domid, or -EINVAL.
 */
int xl_parse_domid(const char *text, chaos_domid *domid);

/*
 * A CPU map as xl vcpu-list prints it (print_bitmap): "all" when every
 * one of nr_cpus is set, "none" when none is, else ranges, "0-3,6".  Cut
 * to len bytes (always terminated).  nr_cpus is at most
 * CHAOS_CPUMAP_BYTES * 8 (more are ignored).
 */
void xl_format_cpumap(const uint8_t *map, unsigned nr_cpus, char *buf,
                      size_t len);

#endif /* CHAOS_XL_ARGS_H */
