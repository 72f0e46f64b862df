/*
 * netapp.h - what the network demos (udp-echo, http) share: the command
 * line (ip=, gw=, port=), bringing up the first vif with a netstack on
 * it, the "ready" line, and the main loop.
 *
 * Command line:
 *   ip=A.B.C.D/LEN   our address and prefix length (required unless the
 *                    vif gives one: ip= in its config, which dom0 puts in
 *                    the noxs page; the page's wins, here and after a
 *                    restore)
 *   gw=A.B.C.D       a gateway for peers outside the subnet (optional)
 *   port=N           the program's port (1..65535; each has a default)
 */
#ifndef CHAOS_UK_NETAPP_H
#define CHAOS_UK_NETAPP_H

#include <stdbool.h>
#include <stdint.h>

#include "netstack.h"

struct netfront;

struct netapp {
    const char *name;    /* the program's, for messages */
    const char *cmdline; /* kept: a restore picks the address again */
    struct netfront *nf;
    struct netstack ns;
};

/*
 * Parses the command line and connects the first network device.  0, or
 * the exit status to return: 2 for a bad command line, 1 when there is no
 * usable device (a message says which).
 */
int netapp_start(struct netapp *app, const char *name, const char *cmdline);

/* port= with a default; false (and a message naming the program) when it
 * is bad. */
bool netapp_port(const char *name, const char *cmdline, uint16_t default_port,
                 uint16_t *port);

/* Prints "NAME: listening on A.B.C.D:PORT (PROTO, mac M)", then "NAME: tx
 * offloads: ..." if the device took any. */
void netapp_ready(const struct netapp *app, const char *proto, uint16_t port);

/* Receives, runs timers and sleeps until the next event, forever: the
 * program ends when dom0 shuts it down (devices_wait serves that). */
_Noreturn void netapp_run(struct netapp *app);

#endif
