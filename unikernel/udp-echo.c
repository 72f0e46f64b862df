/*
 * udp-echo: answers every UDP datagram on a port with the same payload
 * (RFC 862's echo service over UDP), on the first network device.  Runs
 * until dom0 shuts the guest down.
 *
 * Command line: ip=A.B.C.D/LEN (required), gw=A.B.C.D, port=N (default 7);
 * see netapp.h.
 */
#include "kernel.h"
#include "netapp.h"

static struct netapp app;

static void echo(void *arg, struct netstack *ns, uint32_t src_ip,
                 uint16_t src_port, uint16_t dst_port, const void *data,
                 size_t len)
{
    /* A lost answer is a lost datagram: UDP promises no more. */
    (void)netstack_udp_send(ns, dst_port, src_ip, src_port, data, len);
}

int app_main(const char *cmdline)
{
    uint16_t port;
    int status;

    if (!netapp_port("udp-echo", cmdline, 7, &port))
        return 2;
    status = netapp_start(&app, "udp-echo", cmdline);
    if (status != 0)
        return status;
    if (netstack_udp_bind(&app.ns, port, echo, NULL) != 0) {
        kprintf("udp-echo: cannot bind port %u\n", port);
        return 1;
    }
    netapp_ready(&app, "udp", port);
    netapp_run(&app);
}
