/*
 * golden.h - golden-file tests: every input file in a folder of
 * tests/golden/ is run through a parser, and what the parser says must
 * equal, byte for byte, the file beside it: NAME.err for an input the
 * parser refuses (its message), NAME.ok for one it accepts (a dump of the
 * result).  As OpenBSD's regress/usr.sbin/vmd/config does.
 *
 * The program chdir()s into the folder, so inputs are named relative to it
 * and the expected texts hold no build paths.  With CHAOS_GOLDEN_UPDATE=1
 * in the environment (`make golden-update`) the expected files are
 * rewritten from the current output instead of compared.
 */
#ifndef CHAOS_TESTS_GOLDEN_H
#define CHAOS_TESTS_GOLDEN_H

#include <stdbool.h>

/*
 * Runs the parser on the file named path (relative to the folder).  Sets
 * *out to a malloc'd text: the message (with a final newline) when the
 * input is refused, else the dump.  Returns true when it was accepted.
 */
typedef bool golden_fn(const char *path, char **out);

/*
 * The whole test program: the inputs are the files ending in ext (".cfg")
 * in GOLDEN_DIR/folder, one Check test each, in name order.  Returns the
 * exit status.
 */
int golden_main(const char *folder, const char *ext, golden_fn *fn);

#endif
