/*
 * net_ip.c - the netstack's lower half: Ethernet II, ARP, IPv4, ICMP echo
 * and UDP (netstack.h).  TCP is net_tcp.c.
 *
 * Every frame is hostile: each header is length-checked before it is
 * read, lengths inside headers are checked against what arrived, and the
 * IP total length (not the frame length, which may carry Ethernet padding)
 * bounds the payload.
 */
#include "klib.h"
#include "net_internal.h"

#define ETHERTYPE_IP 0x0800
#define ETHERTYPE_ARP 0x0806
#define ARP_LEN 28
#define ETH_MIN_FRAME 60 /* without FCS: shorter frames are padded */
#define UDP_HLEN 8

enum { ARP_FREE, ARP_RESOLVING, ARP_RESOLVED };

static const uint8_t broadcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* ---------------------------------------------------------------- sums */

uint32_t net_sum(uint32_t sum, const uint8_t *data, size_t len)
{
    size_t i;

    for (i = 0; i + 1 < len; i += 2)
        sum += get16(data + i);
    if (len & 1)
        sum += (uint32_t)data[len - 1] << 8;
    /* Fold now and then so that no length can overflow 32 bits. */
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return sum;
}

uint16_t net_fold_partial(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

uint16_t net_fold(uint32_t sum)
{
    return (uint16_t)~net_fold_partial(sum);
}

uint32_t net_pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, size_t len)
{
    return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto +
           (uint32_t)len;
}

/* ---------------------------------------------------------------- output */

/* Completes tx's Ethernet header for mac and sends len bytes, padded to
 * Ethernet's minimum. */
static int send_frame(struct netstack *ns, const uint8_t *mac, size_t len)
{
    memcpy(ns->tx, mac, 6);
    if (len < ETH_MIN_FRAME) {
        memset(ns->tx + len, 0, ETH_MIN_FRAME - len);
        len = ETH_MIN_FRAME;
    }
    return ns->cfg.output(ns->cfg.output_arg, ns->tx, len);
}

static void eth_header(struct netstack *ns, uint16_t type)
{
    memcpy(ns->tx + 6, ns->cfg.mac, 6);
    put16(ns->tx + 12, type);
}

/* Writes the Ethernet (but its destination) and IP headers in front of the
 * len payload bytes already in tx; returns the frame length. */
static size_t ip_header(struct netstack *ns, uint32_t dst, uint8_t proto,
                        size_t len)
{
    uint8_t *ip = ns->tx + ETH_HLEN;

    eth_header(ns, ETHERTYPE_IP);
    ip[0] = 0x45; /* version 4, 5 words */
    ip[1] = 0;
    put16(ip + 2, (uint16_t)(IP_HLEN + len));
    put16(ip + 4, ns->ip_id++);
    put16(ip + 6, 0x4000); /* DF: we never fragment */
    ip[8] = 64;
    ip[9] = proto;
    put16(ip + 10, 0);
    put32(ip + 12, ns->cfg.ip);
    put32(ip + 16, dst);
    put16(ip + 10, net_fold(net_sum(0, ip, IP_HLEN)));
    return ETH_HLEN + IP_HLEN + len;
}

int net_ip_send_to_mac(struct netstack *ns, const uint8_t *mac, uint32_t dst,
                       uint8_t proto, size_t len)
{
    if (len > NETSTACK_MTU - IP_HLEN)
        return -1;
    return send_frame(ns, mac, ip_header(ns, dst, proto, len));
}

int net_ip_send_tx(struct netstack *ns, const uint8_t *mac, uint32_t dst,
                   size_t hlen, const struct netstack_iov data[2],
                   uint16_t gso_size)
{
    static const uint8_t padding[ETH_MIN_FRAME];
    struct netstack_tx tx = { .gso_size = gso_size };
    size_t len = hlen + data[0].len + data[1].len;
    size_t max = gso_size != 0 ? ns->cfg.tso_max : NETSTACK_FRAME_MAX;
    unsigned i;

    if (!(ns->cfg.offload & NETSTACK_OFFLOAD_CSUM) ||
        (gso_size != 0 && !(ns->cfg.offload & NETSTACK_OFFLOAD_TSO)) ||
        len > max - ETH_HLEN - IP_HLEN)
        return -1;
    tx.len = ip_header(ns, dst, IP_PROTO_TCP, len);
    memcpy(ns->tx, mac, 6);
    tx.part[tx.parts++] =
        (struct netstack_iov){ ns->tx, ETH_HLEN + IP_HLEN + hlen };
    for (i = 0; i < 2; i++)
        if (data[i].len > 0)
            tx.part[tx.parts++] = data[i];
    /* A segment with a byte or five of data is a frame below Ethernet's
     * minimum: pad it as send_frame does, in a piece of its own. */
    if (tx.len < ETH_MIN_FRAME) {
        tx.part[tx.parts++] =
            (struct netstack_iov){ padding, ETH_MIN_FRAME - tx.len };
        tx.len = ETH_MIN_FRAME;
    }
    return ns->cfg.output_tx(ns->cfg.output_arg, &tx);
}

/* ---------------------------------------------------------------- ARP */

static void arp_send(struct netstack *ns, uint16_t op, const uint8_t *eth_dst,
                     const uint8_t *tha, uint32_t tpa)
{
    uint8_t *a = ns->tx + ETH_HLEN;

    eth_header(ns, ETHERTYPE_ARP);
    put16(a, 1); /* Ethernet */
    put16(a + 2, ETHERTYPE_IP);
    a[4] = 6;
    a[5] = 4;
    put16(a + 6, op);
    memcpy(a + 8, ns->cfg.mac, 6);
    put32(a + 14, ns->cfg.ip);
    memcpy(a + 18, tha, 6);
    put32(a + 24, tpa);
    send_frame(ns, eth_dst, ETH_HLEN + ARP_LEN);
}

static void arp_request(struct netstack *ns, uint32_t ip)
{
    static const uint8_t zero_mac[6];

    arp_send(ns, 1, broadcast_mac, zero_mac, ip);
}

void netstack_announce(struct netstack *ns)
{
    /* RFC 5227's announcement: a request for our own address, from it. */
    arp_request(ns, ns->cfg.ip);
}

int netstack_readdress(struct netstack *ns, const uint8_t mac[6], uint32_t ip,
                       unsigned prefix)
{
    bool moved;

    if (prefix > 32 || ip == 0)
        return -1;
    moved = ip != ns->cfg.ip;
    memcpy(ns->cfg.mac, mac, 6);
    ns->cfg.ip = ip;
    ns->cfg.prefix = prefix;
    ns->mask = prefix == 0 ? 0 : ~(uint32_t)0 << (32 - prefix);
    /* Neighbours learnt before may be another network's: asked again. */
    memset(ns->arp, 0, sizeof(ns->arp));
    if (moved)
        net_tcp_forget_all(ns);
    netstack_announce(ns);
    return 0;
}

static struct netstack_arp *arp_find(struct netstack *ns, uint32_t ip)
{
    unsigned i;

    for (i = 0; i < NETSTACK_ARP_ENTRIES; i++)
        if (ns->arp[i].state != ARP_FREE && ns->arp[i].ip == ip)
            return &ns->arp[i];
    return NULL;
}

/* A free entry, else the resolved one closest to expiry; NULL when all
 * are resolving (their queued frames are not thrown away for a new one). */
static struct netstack_arp *arp_slot(struct netstack *ns)
{
    struct netstack_arp *best = NULL;
    unsigned i;

    for (i = 0; i < NETSTACK_ARP_ENTRIES; i++) {
        struct netstack_arp *e = &ns->arp[i];

        if (e->state == ARP_FREE)
            return e;
        if (e->state == ARP_RESOLVED &&
            (best == NULL || e->deadline < best->deadline))
            best = e;
    }
    return best;
}

/* The entry now knows mac: send what waited for it. */
static void arp_resolved(struct netstack *ns, struct netstack_arp *e,
                         const uint8_t *mac)
{
    e->state = ARP_RESOLVED;
    memcpy(e->mac, mac, 6);
    e->deadline = ns->now + NETSTACK_ARP_TTL_MS;
    if (e->pending_len > 0) {
        memcpy(ns->tx, e->pending, e->pending_len);
        send_frame(ns, mac, e->pending_len);
        e->pending_len = 0;
    }
}

static void arp_input(struct netstack *ns, const uint8_t *frame, size_t len)
{
    const uint8_t *a = frame + ETH_HLEN;
    const uint8_t *sha;
    struct netstack_arp *e;
    uint32_t spa, tpa;
    uint16_t op;

    if (len < ETH_HLEN + ARP_LEN || get16(a) != 1 ||
        get16(a + 2) != ETHERTYPE_IP || a[4] != 6 || a[5] != 4)
        return;
    op = get16(a + 6);
    sha = a + 8;
    spa = get32(a + 14);
    tpa = get32(a + 24);
    /* A group address cannot be a host's; our own IP from elsewhere is a
     * conflict we do not arbitrate. */
    if ((sha[0] & 1) || spa == ns->cfg.ip)
        return;
    /* RFC 826: update a known sender; add it only if it asks us. */
    e = spa != 0 ? arp_find(ns, spa) : NULL;
    if (e != NULL)
        arp_resolved(ns, e, sha);
    if (tpa != ns->cfg.ip)
        return;
    if (e == NULL && spa != 0 && (e = arp_slot(ns)) != NULL) {
        e->ip = spa;
        e->pending_len = 0;
        arp_resolved(ns, e, sha);
    }
    if (op == 1)
        arp_send(ns, 2, sha, sha, spa);
}

static void arp_tick(struct netstack *ns)
{
    unsigned i;

    for (i = 0; i < NETSTACK_ARP_ENTRIES; i++) {
        struct netstack_arp *e = &ns->arp[i];

        if (e->state == ARP_FREE || e->deadline > ns->now)
            continue;
        if (e->state == ARP_RESOLVING && e->tries < NETSTACK_ARP_TRIES) {
            e->tries++;
            e->deadline = ns->now + NETSTACK_ARP_RETRY_MS;
            arp_request(ns, e->ip);
        } else {
            e->state = ARP_FREE;
            e->pending_len = 0;
        }
    }
}

/* ---------------------------------------------------------------- IPv4 */

static bool on_link(const struct netstack *ns, uint32_t ip)
{
    return ((ip ^ ns->cfg.ip) & ns->mask) == 0;
}

/* Addresses we never answer: a reply to them would go to many hosts or
 * to none. */
static bool bad_source(const struct netstack *ns, uint32_t ip)
{
    uint32_t host = ip & ~ns->mask;

    return ip == 0 || ip == ns->cfg.ip || (ip >> 24) == 127 ||
           (ip >> 28) >= 0xe ||
           (on_link(ns, ip) && ns->mask < 0xfffffffe && host == ~ns->mask);
}

static void icmp_input(struct netstack *ns, const struct net_ip_packet *pkt)
{
    uint8_t *out = net_ip_payload(ns);

    /* Echo request only; its checksum covers the whole message. */
    if (pkt->len < 8 || pkt->payload[0] != 8 ||
        net_fold(net_sum(0, pkt->payload, pkt->len)) != 0 ||
        pkt->len > NETSTACK_MTU - IP_HLEN)
        return;
    memcpy(out, pkt->payload, pkt->len);
    out[0] = 0; /* echo reply */
    out[1] = 0;
    put16(out + 2, 0);
    put16(out + 2, net_fold(net_sum(0, out, pkt->len)));
    net_ip_send_to_mac(ns, pkt->eth_src, pkt->src, IP_PROTO_ICMP, pkt->len);
}

static void udp_input(struct netstack *ns, const struct net_ip_packet *pkt)
{
    const uint8_t *u = pkt->payload;
    uint16_t ulen, sum, port;
    unsigned i;

    if (pkt->len < UDP_HLEN)
        return;
    ulen = get16(u + 4);
    sum = get16(u + 6);
    if (ulen < UDP_HLEN || ulen > pkt->len)
        return;
    /* A zero checksum means "none" over IPv4. */
    if (sum != 0 &&
        net_fold(net_sum(net_pseudo_sum(pkt->src, pkt->dst, IP_PROTO_UDP, ulen),
                         u, ulen)) != 0)
        return;
    port = get16(u + 2);
    for (i = 0; i < NETSTACK_UDP_BINDS; i++)
        if (ns->udp[i].port != 0 && ns->udp[i].port == port) {
            ns->udp[i].fn(ns->udp[i].arg, ns, pkt->src, get16(u), port,
                          u + UDP_HLEN, ulen - UDP_HLEN);
            return;
        }
}

static void ip_input(struct netstack *ns, const uint8_t *frame, size_t len)
{
    const uint8_t *ip = frame + ETH_HLEN;
    struct net_ip_packet pkt;
    size_t avail = len - ETH_HLEN, hlen, total;

    if (avail < IP_HLEN || (ip[0] >> 4) != 4)
        return;
    hlen = (size_t)(ip[0] & 0xf) * 4;
    total = get16(ip + 2);
    if (hlen < IP_HLEN || hlen > total || total > avail)
        return;
    /* Fragments (MF set or an offset) are dropped: no reassembly. */
    if ((get16(ip + 6) & 0x3fff) != 0 || net_fold(net_sum(0, ip, hlen)) != 0)
        return;
    pkt.eth_src = frame + 6;
    pkt.src = get32(ip + 12);
    pkt.dst = get32(ip + 16);
    pkt.payload = ip + hlen;
    pkt.len = total - hlen;
    if (pkt.dst != ns->cfg.ip || bad_source(ns, pkt.src))
        return;
    switch (ip[9]) {
        case IP_PROTO_ICMP:
            icmp_input(ns, &pkt);
            break;
        case IP_PROTO_UDP:
            udp_input(ns, &pkt);
            break;
        case IP_PROTO_TCP:
            net_tcp_input(ns, &pkt);
            break;
    }
}

/* ---------------------------------------------------------------- API */

int netstack_init(struct netstack *ns, const struct netstack_config *cfg,
                  uint64_t now_ms)
{
    const unsigned known = NETSTACK_OFFLOAD_CSUM | NETSTACK_OFFLOAD_TSO;
    bool tso = (cfg->offload & NETSTACK_OFFLOAD_TSO) != 0;

    if (cfg->prefix > 32 || cfg->output == NULL || cfg->ip == 0 ||
        (cfg->offload & ~known) != 0 ||
        (cfg->offload != 0 && cfg->output_tx == NULL) ||
        (tso && (!(cfg->offload & NETSTACK_OFFLOAD_CSUM) ||
                 cfg->tso_max < NETSTACK_FRAME_MAX)))
        return -1;
    memset(ns, 0, sizeof(*ns));
    ns->cfg = *cfg;
    if (ns->cfg.tso_max > NETSTACK_TSO_FRAME_MAX)
        ns->cfg.tso_max = NETSTACK_TSO_FRAME_MAX;
    ns->sndbuf_max = tso ? NETSTACK_TCP_SNDBUF_TSO : NETSTACK_TCP_SNDBUF;
    ns->tso_data = tso ? ns->cfg.tso_max - (ETH_HLEN + IP_HLEN + TCP_HLEN) : 0;
    ns->mask = cfg->prefix == 0 ? 0 : ~(uint32_t)0 << (32 - cfg->prefix);
    ns->now = now_ms;
    ns->iss_state = cfg->iss_seed ^ 0x9e3779b97f4a7c15ull;
    ns->ip_id = (uint16_t)cfg->iss_seed;
    return 0;
}

void netstack_input(struct netstack *ns, const void *frame, size_t len)
{
    const uint8_t *f = frame;

    if (len < ETH_HLEN || len > NETSTACK_FRAME_MAX)
        return;
    switch (get16(f + 12)) {
        case ETHERTYPE_ARP:
            if (memcmp(f, ns->cfg.mac, 6) == 0 ||
                memcmp(f, broadcast_mac, 6) == 0)
                arp_input(ns, f, len);
            break;
        case ETHERTYPE_IP:
            if (memcmp(f, ns->cfg.mac, 6) == 0)
                ip_input(ns, f, len);
            break;
    }
}

void netstack_tick(struct netstack *ns, uint64_t now_ms)
{
    if (now_ms > ns->now)
        ns->now = now_ms;
    arp_tick(ns);
    net_tcp_tick(ns);
}

uint64_t netstack_next_timer(const struct netstack *ns)
{
    uint64_t next = net_tcp_next_timer(ns);
    unsigned i;

    for (i = 0; i < NETSTACK_ARP_ENTRIES; i++)
        if (ns->arp[i].state != ARP_FREE && ns->arp[i].deadline < next)
            next = ns->arp[i].deadline;
    return next;
}

int netstack_udp_bind(struct netstack *ns, uint16_t port, netstack_udp_fn *fn,
                      void *arg)
{
    struct netstack_udp_bind *free_slot = NULL;
    unsigned i;

    if (port == 0 || fn == NULL)
        return -1;
    for (i = 0; i < NETSTACK_UDP_BINDS; i++) {
        if (ns->udp[i].port == port)
            return -1;
        if (ns->udp[i].port == 0 && free_slot == NULL)
            free_slot = &ns->udp[i];
    }
    if (free_slot == NULL)
        return -1;
    *free_slot = (struct netstack_udp_bind){ port, fn, arg };
    return 0;
}

int netstack_udp_send(struct netstack *ns, uint16_t src_port, uint32_t dst_ip,
                      uint16_t dst_port, const void *data, size_t len)
{
    uint8_t *u = net_ip_payload(ns);
    uint32_t hop = dst_ip;
    struct netstack_arp *e;
    size_t frame_len;
    bool fresh = false;
    uint16_t sum;

    if (len > NETSTACK_UDP_MAX || dst_ip == 0)
        return -1;
    if (dst_ip != 0xffffffff && !on_link(ns, dst_ip)) {
        if (ns->cfg.gateway == 0)
            return -1;
        hop = ns->cfg.gateway;
    }
    memmove(u + UDP_HLEN, data, len);
    put16(u, src_port);
    put16(u + 2, dst_port);
    put16(u + 4, (uint16_t)(UDP_HLEN + len));
    put16(u + 6, 0);
    sum = net_fold(net_sum(
        net_pseudo_sum(ns->cfg.ip, dst_ip, IP_PROTO_UDP, UDP_HLEN + len), u,
        UDP_HLEN + len));
    put16(u + 6, sum == 0 ? 0xffff : sum); /* 0 would mean "none" */
    frame_len = ip_header(ns, dst_ip, IP_PROTO_UDP, UDP_HLEN + len);
    if (hop == 0xffffffff)
        return send_frame(ns, broadcast_mac, frame_len);

    e = arp_find(ns, hop);
    if (e != NULL && e->state == ARP_RESOLVED)
        return send_frame(ns, e->mac, frame_len);
    if (e == NULL) {
        e = arp_slot(ns);
        if (e == NULL)
            return -1;
        e->state = ARP_RESOLVING;
        e->ip = hop;
        e->tries = 1;
        e->deadline = ns->now + NETSTACK_ARP_RETRY_MS;
        fresh = true;
    }
    /* One frame waits per peer: the newest replaces an older one. */
    memcpy(e->pending, ns->tx, frame_len);
    e->pending_len = frame_len;
    if (fresh)
        arp_request(ns, hop);
    return 0;
}

/* --------------------------------------------------------- address text */

static bool parse_number(const char **p, const char *end, unsigned max,
                         unsigned *out)
{
    const char *s = *p;
    unsigned v = 0;

    if (s == end || *s < '0' || *s > '9')
        return false;
    /* No leading zeros: "010" is octal to some parsers. */
    if (*s == '0' && s + 1 != end && s[1] >= '0' && s[1] <= '9')
        return false;
    while (s != end && *s >= '0' && *s <= '9') {
        v = v * 10 + (unsigned)(*s++ - '0');
        if (v > max)
            return false;
    }
    *p = s;
    *out = v;
    return true;
}

bool netstack_parse_ipv4(const char *text, size_t len, uint32_t *ip,
                         unsigned *prefix)
{
    const char *p = text, *end = text + len;
    uint32_t addr = 0;
    unsigned i, v;

    for (i = 0; i < 4; i++) {
        if (i > 0 && (p == end || *p++ != '.'))
            return false;
        if (!parse_number(&p, end, 255, &v))
            return false;
        addr = addr << 8 | v;
    }
    if (prefix != NULL) {
        if (p == end || *p++ != '/' || !parse_number(&p, end, 32, &v))
            return false;
        *prefix = v;
    }
    if (p != end)
        return false;
    *ip = addr;
    return true;
}
