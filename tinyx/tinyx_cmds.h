/*
 * tinyx_cmds.h - subcommands of the tinyx command defined outside tinyx.c
 * (tinyx.c keeps the table).  Each returns an exit status: 0 success,
 * 1 failure, 2 usage error.
 */
#ifndef TINYX_TINYX_CMDS_H
#define TINYX_TINYX_CMDS_H

#include <stdio.h>

int cmd_build(int argc, char **argv);
void help_build(FILE *f);
int cmd_kernel(int argc, char **argv);
void help_kernel(FILE *f);

#endif
