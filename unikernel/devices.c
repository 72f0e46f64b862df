/*
 * The noxs page, seen from the guest: finding it, the device table, the
 * control device, waiting for device events.  See devices.h, devpage.h
 * and docs/noxs.md.
 */
#include "devices.h"

#include "blkfront.h"
#include "clock.h"
#include "devcheck.h"
#include "devpage.h"
#include "evtchn.h"
#include "kernel.h"
#include "klib.h"
#include "netfront.h"
#include "suspend.h"

/* Ports devices_wait polls besides the page's and the control device's. */
#define WATCH_MAX 8

#define LOAD_ACQUIRE(field) __atomic_load_n(&(field), __ATOMIC_ACQUIRE)
#define STORE_RELEASE(field, value) \
    __atomic_store_n(&(field), (value), __ATOMIC_RELEASE)

static struct noxs_page *page; /* NULL: no noxs page, no devices */
static evtchn_port_t page_port;
static uint32_t generation; /* the one we acted on */
static struct devpage_dev devs[NOXS_MAX_DEVICES];
static unsigned int nr_devs;

static const struct devpage_dev *control;
static bool control_connected;
static uint32_t control_features; /* the requests we take */
static uint32_t acked_seq;

static evtchn_port_t watched[WATCH_MAX];
static unsigned int nr_watched;

static bool port_ok(uint32_t port)
{
    return port != 0 && port < EVTCHN_NR_PORTS;
}

/* Snapshots the entries of the types we know; skips the others. */
static void read_table(unsigned int nr)
{
    unsigned int i;

    for (i = 0; i < nr; i++) {
        struct devpage_dev *dev = &devs[nr_devs];

        dev->shared = &page->devices[i];
        memcpy(&dev->be, &dev->shared->be, sizeof(dev->be));
        if (dev->be.type == NOXS_DEV_NONE || dev->be.type > NOXS_DEV_TYPE_MAX)
            continue;
        if (!port_ok(dev->be.evtchn)) {
            kprintf("noxs: device %u has no usable event channel (%u)\n", i,
                    (unsigned)dev->be.evtchn);
            continue;
        }
        if (dev->be.type == NOXS_DEV_CONTROL) {
            if (control != NULL)
                continue; /* at most one: the first wins */
            control = dev;
            control_features =
                ctrl_taken(dev->be.features, kernel_boot_info()->can_suspend);
            acked_seq = LOAD_ACQUIRE(dev->shared->fe.u.control.ack_seq);
        }
        nr_devs++;
    }
}

uint32_t devpage_be_state(const struct devpage_dev *dev)
{
    return LOAD_ACQUIRE(dev->shared->be.state);
}

void devpage_set_fe_state(const struct devpage_dev *dev, uint32_t state)
{
    STORE_RELEASE(dev->shared->fe.state, state);
    evtchn_send(dev->be.evtchn);
}

/* Control, docs/noxs.md "States": connect once the back end is there. */
static bool control_connect(void)
{
    uint32_t state = devpage_be_state(control);

    if (state < NOXS_STATE_INITWAIT || state >= NOXS_STATE_CLOSING)
        return false;
    control->shared->fe.features = control_features;
    devpage_set_fe_state(control, NOXS_STATE_CONNECTED);
    control_connected = true;
    return true;
}

static int attach(bool resumed);

/* Suspend, then carry on (cancelled) or reconnect every device (a new
 * domain, docs/noxs.md "Save, restore and reconnect"). */
static void suspend(void)
{
    kprintf("noxs: suspend requested\n");
    if (kernel_suspend() == SUSPEND_CANCELLED) {
        kprintf("noxs: suspend cancelled\n");
        return;
    }
    if (attach(true) < 0) {
        kprintf("noxs: resumed in a new domain without devices\n");
        return;
    }
    kprintf("noxs: resumed in a new domain (generation %u)\n",
            (unsigned)generation);
    netfront_resume();
    blkfront_resume();
}

/*
 * A new request (request_seq moved): answer it, then carry it out.
 * Suspend only where the program waits (may_suspend: devices_wait), never
 * inside a driver's own wait (a device connecting, a block request in
 * flight), whose state a restore would pull from under it: refused there.
 * Returns whether the guest suspended (whatever the outcome).
 */
static bool control_serve(bool may_suspend)
{
    struct noxs_dev *shared;
    enum ctrl_action action;
    uint32_t seq, request, ack;

    if (control == NULL)
        return false;
    evtchn_clear(control->be.evtchn); /* before looking: see evtchn.h */
    if (!control_connected && !control_connect())
        return false;
    shared = control->shared;
    seq = LOAD_ACQUIRE(shared->be.u.control.request_seq);
    if (seq == acked_seq)
        return false;
    request = *(volatile uint32_t *)&shared->be.u.control.request;
    ack = ctrl_answer(request, control_features, &action);
    if (action == CTRL_ACT_SUSPEND && (!may_suspend || !suspend_possible())) {
        ack = NOXS_CTRL_ACK_REFUSED;
        action = CTRL_ACT_NONE;
    }
    shared->fe.u.control.ack = ack;
    STORE_RELEASE(shared->fe.u.control.ack_seq, seq);
    acked_seq = seq;
    evtchn_send(control->be.evtchn);
    switch (action) {
        case CTRL_ACT_POWEROFF:
            kprintf("noxs: poweroff requested\n");
            kernel_shutdown(SHUTDOWN_poweroff);
        case CTRL_ACT_REBOOT:
            kprintf("noxs: reboot requested\n");
            kernel_shutdown(SHUTDOWN_reboot);
        case CTRL_ACT_SUSPEND:
            suspend();
            return true;
        case CTRL_ACT_NONE:
            kprintf("noxs: control request %u refused\n", (unsigned)request);
            break;
    }
    return false;
}

/* The page's own channel says the header changed: a new generation. */
static void page_serve(void)
{
    uint32_t now;

    evtchn_clear(page_port);
    now = LOAD_ACQUIRE(page->be.generation);
    if (now == generation)
        return;
    generation = now; /* say it once; fe.generation stays: not acted on */
    kprintf("noxs: the device table changed (generation %u); "
            "hot-plug is not supported\n",
            (unsigned)now);
}

/* Returns whether the guest suspended (then the ports may be others). */
static bool serve(bool may_suspend)
{
    if (page == NULL)
        return false;
    page_serve();
    return control_serve(may_suspend);
}

/* Polls `ports` plus the page's and the control device's channels. */
static void block_on(const evtchn_port_t *ports, unsigned int nr,
                     uint64_t deadline_ns, bool may_suspend)
{
    evtchn_port_t all[2 + WATCH_MAX + 1];
    unsigned int n = 0, i;

    if (page == NULL) {
        evtchn_poll_ports(ports, nr, deadline_ns);
        return;
    }
    if (serve(may_suspend))
        return; /* the program looks at its devices again first */
    all[n++] = page_port;
    if (control != NULL)
        all[n++] = control->be.evtchn;
    for (i = 0; i < nr && n < sizeof(all) / sizeof(all[0]); i++)
        all[n++] = ports[i];
    evtchn_poll_ports(all, n, deadline_ns);
    serve(may_suspend);
}

void devices_wait(uint64_t deadline_ns)
{
    block_on(watched, nr_watched, deadline_ns, true);
}

void devpage_block(evtchn_port_t port, uint64_t deadline_ns)
{
    block_on(&port, 1, deadline_ns, false);
}

void devpage_watch(evtchn_port_t port)
{
    if (nr_watched < WATCH_MAX)
        watched[nr_watched++] = port;
}

uint32_t devpage_wait_be_state(const struct devpage_dev *dev,
                               uint32_t min_state, uint64_t deadline_ns)
{
    for (;;) {
        uint32_t state;

        evtchn_clear(dev->be.evtchn);
        state = devpage_be_state(dev);
        if (state >= min_state || clock_now_ns() >= deadline_ns)
            return state;
        devpage_block(dev->be.evtchn, deadline_ns);
    }
}

const struct devpage_dev *devpage_find(unsigned int type, unsigned int index)
{
    unsigned int i;

    for (i = 0; i < nr_devs; i++)
        if (devs[i].be.type == type && index-- == 0)
            return &devs[i];
    return NULL;
}

/*
 * Finds the page and reads it: at boot, and in a new domain after a
 * restore (resumed), where dom0 must have rewritten the page with another
 * generation than the one we saved with: a page it did not rewrite (PV
 * keeps the saved bytes) names the old domain's event channels.
 */
static int attach(bool resumed)
{
    const struct boot_info *boot = kernel_boot_info();
    struct noxs_page *p = boot->store_page;
    uint32_t saved = generation, nr;

    page = NULL;
    control = NULL;
    control_connected = false;
    nr_devs = 0;
    nr_watched = 0;
    /* No store page, or another magic (a XenStore ring, a zeroed page):
     * not a noxs guest.  Silent: most guests have no devices. */
    if (p == NULL || !port_ok(boot->store_port) ||
        LOAD_ACQUIRE(p->be.magic) != NOXS_MAGIC)
        return -1;
    if (p->be.version != NOXS_VERSION) {
        kprintf("noxs: the page is version %u, this kernel speaks %u: "
                "no devices\n",
                (unsigned)p->be.version, NOXS_VERSION);
        STORE_RELEASE(p->fe.version, NOXS_VERSION);
        evtchn_send(boot->store_port);
        return -1;
    }
    generation = LOAD_ACQUIRE(p->be.generation);
    if (resumed && !noxs_page_fresh(saved, generation)) {
        kprintf("noxs: the page was not rewritten after the restore "
                "(generation %u): no devices\n",
                (unsigned)generation);
        return -1;
    }
    page = p;
    page_port = boot->store_port;
    nr = p->be.nr_devices;
    if (nr > NOXS_MAX_DEVICES) {
        kprintf("noxs: the page claims %u devices; using %u\n", nr,
                NOXS_MAX_DEVICES);
        nr = NOXS_MAX_DEVICES;
    }
    read_table(nr);
    p->fe.version = NOXS_VERSION;
    STORE_RELEASE(p->fe.generation, generation);
    evtchn_send(page_port);
    control_serve(false); /* connects it if its back end is there already */
    return (int)nr_devs;
}

int devices_init(void)
{
    return attach(false);
}
