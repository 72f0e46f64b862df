/*
 * tinyx_cmds.h - subcommands of the tinyx command defined outside tinyx.c
 * (tinyx.c keeps the table).  Each returns an exit status: 0 success,
 * 1 failure, 2 usage error.
 */
#ifndef TINYX_TINYX_CMDS_H
#define TINYX_TINYX_CMDS_H

#include <stdio.h>

#include <stddef.h>

/* Prints "tinyx CMD: MSG" (msg NULL: getopt has already said what is
 * wrong) and the --help hint; returns the usage exit status, 2. */
int tx_usage_error(const char *cmd, const char *msg);
#define EXIT_USAGE 2

/* Appends s (borrowed) to the growing array *v of *n strings; -ENOMEM. */
int tx_push_arg(const char ***v, size_t *n, const char *s);

int cmd_build(int argc, char **argv);
void help_build(FILE *f);
int cmd_kernel(int argc, char **argv);
void help_kernel(FILE *f);

#endif
