/*
 * netapp.c - the network demos' common part (netapp.h): the glue between
 * the netfront driver, the netstack and the kernel's clock and waiting.
 */
#include "netapp.h"

#include "clock.h"
#include "cmdline.h"
#include "devices.h"
#include "kernel.h"
#include "netfront.h"
#include "suspend.h"

/* The longest sleep without a timer: the loop wakes for a device event
 * anyway, this only bounds how stale the stack's clock can get. */
#define IDLE_WAKE_MS 1000

static uint64_t now_ms(void)
{
    return clock_now_ns() / 1000000;
}

static int send_frame(void *arg, const void *frame, size_t len)
{
    return netfront_send(arg, frame, len);
}

/* The stack's offloaded TCP segments: checksum always left to the back
 * end, segmentation when gso_size says so. */
static int send_tx(void *arg, const struct netstack_tx *tx)
{
    struct netfront_iov iov[NETSTACK_TX_PARTS];
    unsigned i;

    for (i = 0; i < tx->parts; i++)
        iov[i] = (struct netfront_iov){ tx->part[i].base, tx->part[i].len };
    return netfront_send_iov(arg, iov, tx->parts, true, tx->gso_size);
}

/* What the stack may leave to the device: what netfront took. */
static void offloads(struct netstack_config *cfg, const struct netfront *nf)
{
    unsigned taken = netfront_offloads(nf);

    if (taken & NETFRONT_OFFLOAD_CSUM)
        cfg->offload |= NETSTACK_OFFLOAD_CSUM;
    if (taken & NETFRONT_OFFLOAD_GSO_TCPV4) {
        cfg->offload |= NETSTACK_OFFLOAD_TSO;
        cfg->tso_max = NETFRONT_GSO_FRAME_MAX;
    }
    cfg->output_tx = send_tx;
}

static void deliver(void *arg, const void *frame, size_t len)
{
    netstack_input(arg, frame, len);
}

/* An address word (key=A.B.C.D or key=A.B.C.D/LEN). */
static bool get_ip(const char *cmdline, const char *key, uint32_t *ip,
                   unsigned *prefix)
{
    struct cmdline_word w;

    return cmdline_find(cmdline, key, &w) && w.value != NULL &&
           netstack_parse_ipv4(w.value, w.value_len, ip, prefix);
}

/*
 * Our address: the vif's in the noxs page (dom0's ip=) when it gives one,
 * its prefix length from the page, else from the command line's ip=, else
 * 24; without one in the page, the command line's ip=A.B.C.D/LEN.
 */
static bool pick_address(const struct netapp *app, uint32_t *ip,
                         unsigned *prefix)
{
    uint32_t cmd_ip = 0;
    unsigned cmd_prefix = 0;
    bool cmd = get_ip(app->cmdline, "ip", &cmd_ip, &cmd_prefix) && cmd_ip != 0;

    if (netfront_ipv4(app->nf, ip, prefix)) {
        if (*prefix == 0)
            *prefix = cmd ? cmd_prefix : 24;
        return true;
    }
    *ip = cmd_ip;
    *prefix = cmd_prefix;
    return cmd;
}

static void say_address(const struct netapp *app, const char *what)
{
    uint32_t ip = app->ns.cfg.ip;
    const uint8_t *m = app->ns.cfg.mac;

    kprintf("%s: %s %u.%u.%u.%u/%u, mac %02x:%02x:%02x:%02x:%02x:%02x\n",
            app->name, what, ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff,
            ip & 0xff, app->ns.cfg.prefix, m[0], m[1], m[2], m[3], m[4], m[5]);
}

int netapp_start(struct netapp *app, const char *name, const char *cmdline)
{
    struct netstack_config cfg = { 0 };
    struct cmdline_word w;
    const uint8_t *mac;
    uint32_t ip;
    unsigned prefix;

    app->name = name;
    app->cmdline = cmdline;
    if (cmdline_find(cmdline, "ip", &w) &&
        !get_ip(cmdline, "ip", &ip, &prefix)) {
        kprintf("%s: bad ip= (want A.B.C.D/LEN, e.g. ip=10.0.0.2/24)\n", name);
        return 2;
    }
    if (cmdline_find(cmdline, "gw", &w) &&
        !get_ip(cmdline, "gw", &cfg.gateway, NULL)) {
        kprintf("%s: bad gw= (want A.B.C.D)\n", name);
        return 2;
    }
    app->nf = netfront_open(0);
    if (app->nf == NULL) {
        kprintf("%s: no network device (a vif in the config?)\n", name);
        return 1;
    }
    if (!pick_address(app, &cfg.ip, &cfg.prefix)) {
        kprintf("%s: needs an address: ip= in the vif's config, or "
                "ip=A.B.C.D/LEN on the command line (e.g. ip=10.0.0.2/24)\n",
                name);
        return 2;
    }
    mac = netfront_mac(app->nf);
    for (unsigned i = 0; i < 6; i++)
        cfg.mac[i] = mac[i];
    /* The clock's low bits and the vCPU's age differ from boot to boot. */
    cfg.iss_seed = clock_now_ns() ^ (clock_vcpu_age_ns() << 20);
    cfg.output = send_frame;
    cfg.output_arg = app->nf;
    offloads(&cfg, app->nf);
    if (netstack_init(&app->ns, &cfg, now_ms()) != 0) {
        kprintf("%s: bad network configuration\n", name);
        return 2;
    }
    return 0;
}

bool netapp_port(const char *name, const char *cmdline, uint16_t default_port,
                 uint16_t *port)
{
    uint64_t n = default_port;

    if (!cmdline_get_u64(cmdline, "port", &n) || n == 0 || n > 65535) {
        kprintf("%s: bad port= (want 1..65535)\n", name);
        return false;
    }
    *port = (uint16_t)n;
    return true;
}

void netapp_ready(const struct netapp *app, const char *proto, uint16_t port)
{
    uint32_t ip = app->ns.cfg.ip;
    const uint8_t *m = app->ns.cfg.mac;

    kprintf("%s: listening on %u.%u.%u.%u:%u (%s, mac "
            "%02x:%02x:%02x:%02x:%02x:%02x)\n",
            app->name, ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff,
            port, proto, m[0], m[1], m[2], m[3], m[4], m[5]);
    /* Which transmit path this run takes, for whoever reads the log. */
    if (app->ns.cfg.offload & NETSTACK_OFFLOAD_TSO)
        kprintf("%s: tx offloads: checksum, TCP segmentation\n", app->name);
    else if (app->ns.cfg.offload & NETSTACK_OFFLOAD_CSUM)
        kprintf("%s: tx offloads: checksum\n", app->name);
}

/*
 * After a restore into a new domain the vif was reconnected (devices.c):
 * take its MAC and address, which dom0 may have changed (chaos restore
 * mac=..., a template pool's guest given the request's), and announce
 * them (a gratuitous ARP), so that the bridge and dom0 find this guest at
 * once.  The offloads are the ones taken at start: the back end that
 * serves a restored guest offers what the first one did, and the stack's
 * send buffers were sized for them; a device that took others says so.
 */
static void resumed(struct netapp *app)
{
    struct netstack_config cfg = { 0 };
    uint32_t ip;
    unsigned prefix;

    if (!pick_address(app, &ip, &prefix)) {
        ip = app->ns.cfg.ip; /* none given now: keep ours */
        prefix = app->ns.cfg.prefix;
    }
    netstack_readdress(&app->ns, netfront_mac(app->nf), ip, prefix);
    say_address(app, "resumed as");
    offloads(&cfg, app->nf);
    if (cfg.offload != app->ns.cfg.offload)
        kprintf("%s: the restored device takes other offloads; "
                "keeping the first ones\n",
                app->name);
}

void netapp_run(struct netapp *app)
{
    unsigned int restores = suspend_resumed_count();

    for (;;) {
        uint64_t now, next;

        if (suspend_resumed_count() != restores) {
            restores = suspend_resumed_count();
            resumed(app);
        }
        netfront_poll(app->nf, deliver, &app->ns);
        now = now_ms();
        netstack_tick(&app->ns, now);
        next = netstack_next_timer(&app->ns);
        if (next > now + IDLE_WAKE_MS)
            next = now + IDLE_WAKE_MS;
        /* now_ms() rounds down: one ms more so that we do not wake just
         * before the timer.  A timer already due gives a deadline in the
         * past: devices_wait returns at once. */
        devices_wait((next + 1) * 1000000);
    }
}
