/* Pure decisions of the device drivers; see devcheck.h. */
#include "devcheck.h"

#include "noxs_abi.h"

/* Requests this kernel carries out, and how. */
static const enum ctrl_action ctrl_actions[NOXS_CTRL_REQUEST_MAX + 1] = {
    [NOXS_CTRL_POWEROFF] = CTRL_ACT_POWEROFF,
    [NOXS_CTRL_REBOOT] = CTRL_ACT_REBOOT,
    [NOXS_CTRL_SUSPEND] = CTRL_ACT_SUSPEND,
};

uint32_t ctrl_taken(uint32_t offered, bool can_suspend)
{
    uint32_t handled = 0, r;

    for (r = 0; r <= NOXS_CTRL_REQUEST_MAX; r++)
        if (ctrl_actions[r] != CTRL_ACT_NONE)
            handled |= NOXS_CTRL_F(r);
    if (!can_suspend)
        handled &= ~NOXS_CTRL_F(NOXS_CTRL_SUSPEND);
    return offered & handled;
}

uint32_t ctrl_answer(uint32_t request, uint32_t taken, enum ctrl_action *action)
{
    *action = CTRL_ACT_NONE;
    /* Unknown, none, or not taken: refused (an answer of 0 would be a
     * protocol error, docs/noxs.md). */
    if (request > NOXS_CTRL_REQUEST_MAX || !(taken & NOXS_CTRL_F(request)) ||
        ctrl_actions[request] == CTRL_ACT_NONE)
        return NOXS_CTRL_ACK_REFUSED;
    *action = ctrl_actions[request];
    return NOXS_CTRL_ACK_DONE;
}

bool noxs_page_fresh(uint32_t saved_generation, uint32_t page_generation)
{
    return page_generation != saved_generation;
}

uint32_t net_taken(uint32_t offered)
{
    const uint32_t gso = NOXS_NET_F_SG | NOXS_NET_F_CSUM | NOXS_NET_F_GSO_TCPV4;
    uint32_t taken = NOXS_NET_F_RX_COPY | NOXS_NET_F_CSUM;

    /* SG is only of use for GSO frames: the others fit a page. */
    if ((offered & gso) == gso)
        taken |= gso;
    return taken & offered;
}

bool blk_sector_size_ok(uint32_t sector_size)
{
    return sector_size == 512 || sector_size == 1024 || sector_size == 2048 ||
           sector_size == 4096;
}

bool blk_range_ok(uint64_t sector, uint64_t count, uint32_t sector_size,
                  uint64_t disk_sectors)
{
    uint64_t align;

    if (!blk_sector_size_ok(sector_size))
        return false;
    align = sector_size / 512 - 1;
    if ((sector & align) != 0 || (count & align) != 0)
        return false;
    return count <= disk_sectors && sector <= disk_sectors - count;
}

size_t netrx_frame_len(uint16_t offset, int16_t status, size_t page_size)
{
    if (status <= 0 || (size_t)offset > page_size ||
        (size_t)status > page_size - offset)
        return 0;
    return (size_t)status;
}

uint32_t ring_trusted_prod(uint32_t cons, uint32_t prod, uint32_t outstanding)
{
    /* Unsigned differences: ring indexes wrap around. */
    if (prod - cons > outstanding)
        return cons + outstanding;
    return prod;
}
