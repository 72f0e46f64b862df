/*
 * net_tcp.c - the server side of TCP for the netstack (netstack.h): passive
 * open only, in-order data only (anything ahead of rcv_nxt is dropped and
 * answered with a duplicate ACK: the peer retransmits), no window scaling,
 * SACK or timestamps (none are offered, so the peer uses none).
 *
 * Sending: the application's bytes sit in the connection's sndbuf (a ring)
 * from snd_una on; `sent` of them are in flight, as much as the peer's
 * window allows.  A segment the device drops (a full transmit ring) is not
 * counted as sent: it goes with the next ACK, or at the timer when nothing
 * is in flight.  On a timeout the first unacknowledged segment is sent
 * again (with exponential back-off); there is no fast retransmit, so a
 * segment lost on the wire costs a timeout.  A zero window is probed the
 * same way.  An ACK that frees buffer space raises NETSTACK_TCP_WRITABLE.
 *
 * Offloads (netstack.h): with CSUM, segments with data leave through
 * output_tx, their data read by the device straight from sndbuf and their
 * checksum left to it; with TSO, output() also sends up to seg_max() bytes
 * (whole MSS, up to 64 KiB) as one segment for the device to cut, and the
 * buffer grows to NETSTACK_TCP_SNDBUF_TSO: the stack's work per byte
 * shrinks with the number of frames.  A retransmission stays one MSS.
 * Without offloads, the output is what it always was.
 *
 * Receiving: data goes straight to the application's callback, so the
 * advertised window is constant.  What the callback sends or closes goes
 * out after the segment is handled, so that a response, our FIN and the
 * ACK of the peer's data and FIN share segments.
 */
#include "klib.h"
#include "net_internal.h"

#define FIN 0x01
#define SYN 0x02
#define RST 0x04
#define PSH 0x08
#define ACK 0x10

#define RCV_WND 8192
#define OUR_MSS (NETSTACK_MTU - IP_HLEN - TCP_HLEN)
#define DEFAULT_MSS 536 /* RFC 879: when the peer gives none */
#define MIN_MSS 64      /* a tiny MSS would only multiply our segments */
#define SNDBUF_MASK (NETSTACK_TCP_SNDBUF_TSO - 1)

_Static_assert((NETSTACK_TCP_SNDBUF_TSO & SNDBUF_MASK) == 0 &&
                   NETSTACK_TCP_SNDBUF >= OUR_MSS &&
                   NETSTACK_TCP_SNDBUF <= NETSTACK_TCP_SNDBUF_TSO,
               "the send buffer is a ring of a power of 2, its plain part "
               "at least a segment");

enum {
    TCP_FREE,
    SYN_RCVD,
    ESTABLISHED,
    CLOSE_WAIT,
    FIN_WAIT_1,
    FIN_WAIT_2,
    CLOSING,
    LAST_ACK,
    TIME_WAIT,
};

/* Serial-number comparisons (RFC 1982): sequence numbers wrap. */
static bool seq_lt(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}

static bool seq_gt(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) > 0;
}

/* The fields of a received segment. */
struct segment {
    const struct net_ip_packet *pkt;
    uint16_t sport, dport, wnd, mss;
    uint32_t seq, ack;
    uint8_t flags;
    const uint8_t *data;
    size_t len;
};

/* ---------------------------------------------------------------- output */

/* Of len bytes of sndbuf from offset at, how many lie before the ring's
 * end (the rest wraps to its start). */
static size_t sndbuf_run(size_t at, size_t len)
{
    return len < NETSTACK_TCP_SNDBUF_TSO - at ? len
                                              : NETSTACK_TCP_SNDBUF_TSO - at;
}

/* Writes a TCP header, its checksum field 0, at net_ip_payload(ns);
 * returns its length. */
static size_t tcp_header(struct netstack *ns, uint16_t sport, uint16_t dport,
                         uint32_t seq, uint32_t ack, uint8_t flags)
{
    uint8_t *t = net_ip_payload(ns);
    size_t hlen = TCP_HLEN + ((flags & SYN) ? 4 : 0);

    put16(t, sport);
    put16(t + 2, dport);
    put32(t + 4, seq);
    put32(t + 8, (flags & ACK) ? ack : 0);
    t[12] = (uint8_t)(hlen / 4 << 4);
    t[13] = flags;
    put16(t + 14, (flags & RST) ? 0 : RCV_WND);
    put16(t + 16, 0);
    put16(t + 18, 0);
    if (flags & SYN) {
        t[20] = 2; /* MSS option */
        t[21] = 4;
        put16(t + 22, OUR_MSS);
    }
    return hlen;
}

/* Sends a segment whose len bytes of data (none with SYN) the caller has
 * put at net_ip_payload(ns) + TCP_HLEN. */
static int emit(struct netstack *ns, const uint8_t *mac, uint32_t dst,
                uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                uint8_t flags, size_t len)
{
    uint8_t *t = net_ip_payload(ns);
    size_t hlen;

    if (TCP_HLEN + len > NETSTACK_MTU - IP_HLEN || ((flags & SYN) && len))
        return -1;
    hlen = tcp_header(ns, sport, dport, seq, ack, flags);
    put16(t + 16, net_fold(net_sum(
                      net_pseudo_sum(ns->cfg.ip, dst, IP_PROTO_TCP, hlen + len),
                      t, hlen + len)));
    return net_ip_send_to_mac(ns, mac, dst, IP_PROTO_TCP, hlen + len);
}

/* The largest segment connection c sends at once: with TSO, as many whole
 * MSS as a TSO frame holds (so that every segment the device cuts but the
 * last is a full one); else one MSS. */
static size_t seg_max(const struct netstack *ns, const struct netstack_tcp *c)
{
    size_t n = ns->tso_data - ns->tso_data % c->mss;

    return n > c->mss ? n : c->mss;
}

/*
 * A segment with data, the device completing its checksum (CSUM) and,
 * beyond one MSS, cutting it (TSO): the data goes as the one or two
 * pieces of the sndbuf ring it lies in, copied only by the device.
 */
static int conn_emit_tx(struct netstack *ns, struct netstack_tcp *c,
                        uint32_t seq, uint8_t flags, size_t at, size_t len)
{
    uint8_t *t = net_ip_payload(ns);
    size_t first = sndbuf_run(at, len);
    struct netstack_iov data[2] = { { c->sndbuf + at, first },
                                    { c->sndbuf, len - first } };
    size_t hlen;

    if (len > seg_max(ns, c))
        return -1;
    hlen = tcp_header(ns, c->local_port, c->peer_port, seq, c->rcv_nxt, flags);
    /* The pseudo-header over the whole TCP length, as Linux does for its
     * own TSO frames: the device (or the kernel behind it) adjusts it to
     * each segment's length. */
    put16(t + 16, net_fold_partial(net_pseudo_sum(ns->cfg.ip, c->peer_ip,
                                                  IP_PROTO_TCP, hlen + len)));
    return net_ip_send_tx(ns, c->peer_mac, c->peer_ip, hlen, data,
                          len > c->mss ? c->mss : 0);
}

/* A segment of connection c with len bytes from sndbuf, off bytes after
 * snd_una.  0, or -1 if the frame was dropped. */
static int conn_emit(struct netstack *ns, struct netstack_tcp *c, uint32_t seq,
                     uint8_t flags, size_t off, size_t len)
{
    uint8_t *d = net_ip_payload(ns) + TCP_HLEN;
    size_t at = (c->head + off) & SNDBUF_MASK;
    int sent;

    if (len > 0 && (ns->cfg.offload & NETSTACK_OFFLOAD_CSUM)) {
        sent = conn_emit_tx(ns, c, seq, flags | ACK, at, len);
    } else if (len > OUR_MSS) {
        sent = -1;
    } else {
        size_t first = sndbuf_run(at, len);

        memcpy(d, c->sndbuf + at, first);
        memcpy(d + first, c->sndbuf, len - first);
        sent = emit(ns, c->peer_mac, c->peer_ip, c->local_port, c->peer_port,
                    seq, c->rcv_nxt, flags | ACK, len);
    }
    if (sent != 0)
        return -1;
    c->ack_now = false;
    return 0;
}

/* RFC 793's reset for a segment that belongs to no connection. */
static void reset_for(struct netstack *ns, const struct segment *s)
{
    size_t seg_len = s->len + !!(s->flags & SYN) + !!(s->flags & FIN);

    if (s->flags & RST)
        return;
    if (s->flags & ACK)
        emit(ns, s->pkt->eth_src, s->pkt->src, s->dport, s->sport, s->ack, 0,
             RST, 0);
    else
        emit(ns, s->pkt->eth_src, s->pkt->src, s->dport, s->sport, 0,
             s->seq + (uint32_t)seg_len, RST | ACK, 0);
}

static void arm(struct netstack *ns, struct netstack_tcp *c)
{
    if (c->rto_deadline == 0)
        c->rto_deadline = ns->now + c->rto_ms;
}

/* Our FIN is out: the state moves on (a retransmitted FIN changes
 * nothing). */
static void fin_out(struct netstack_tcp *c)
{
    c->fin_sent = true;
    c->snd_nxt++;
    if (c->state == ESTABLISHED)
        c->state = FIN_WAIT_1;
    else if (c->state == CLOSE_WAIT)
        c->state = LAST_ACK;
}

/*
 * Sends what the peer's window allows, then the FIN if one is due.  A
 * frame the device drops ends the burst: the device is full, and what is
 * left goes on the next ACK or at the timer.
 *
 * With TSO a segment holds up to seg_max() bytes: the device cuts it into
 * exactly the segments this loop would send one by one without TSO (full
 * MSS ones, then what the window or the buffer's end leaves), so the wire
 * sees the same stream either way.
 */
static void output(struct netstack *ns, struct netstack_tcp *c)
{
    size_t max = seg_max(ns, c);

    if (c->state == SYN_RCVD || c->fin_sent)
        return;
    while (c->sent < c->buffered) {
        size_t n = c->buffered - c->sent;
        size_t wnd = c->snd_wnd > c->sent ? c->snd_wnd - c->sent : 0;
        uint8_t flags = 0;

        if (n > max)
            n = max;
        /* A full buffer's short tail waits for the application's next
         * bytes (the ACK of what is in flight makes room for them):
         * otherwise every round of ACKs would carry one runt segment.
         * (n % mss is that tail only when n reaches the buffer's end: max
         * is whole segments.) */
        if (n % c->mss != 0 && !c->fin_queued &&
            c->buffered == ns->sndbuf_max) {
            if (n > c->mss)
                n -= n % c->mss;
            else if (c->sent > 0)
                break;
        }
        if (n > wnd)
            n = wnd;
        if (n == 0)
            break;
        if (c->sent + n == c->buffered)
            flags = PSH | (c->fin_queued ? FIN : 0);
        if (conn_emit(ns, c, c->snd_una + (uint32_t)c->sent, flags, c->sent,
                      n) != 0)
            break;
        c->sent += n;
        c->snd_nxt = c->snd_una + (uint32_t)c->sent;
        if (flags & FIN)
            fin_out(c);
    }
    if (c->fin_queued && !c->fin_sent && c->sent == c->buffered &&
        conn_emit(ns, c, c->snd_nxt, FIN, 0, 0) == 0)
        fin_out(c);
    /* Anything in flight, held back by a zero window or dropped by the
     * device: the timer retransmits, probes or sends it. */
    if (c->snd_una != c->snd_nxt || c->sent < c->buffered ||
        (c->fin_queued && !c->fin_sent))
        arm(ns, c);
}

static void syn_ack(struct netstack *ns, struct netstack_tcp *c)
{
    conn_emit(ns, c, c->iss, SYN, 0, 0);
}

/* ---------------------------------------------------------------- state */

static void gone(struct netstack *ns, struct netstack_tcp *c)
{
    const struct netstack_tcp_listener *l = c->listener;
    bool was_open = c->state != SYN_RCVD;

    c->state = TCP_FREE;
    if (was_open)
        l->fn(l->arg, ns, c, NETSTACK_TCP_GONE, NULL, 0);
}

static void abort_conn(struct netstack *ns, struct netstack_tcp *c)
{
    emit(ns, c->peer_mac, c->peer_ip, c->local_port, c->peer_port, c->snd_nxt,
         c->rcv_nxt, RST | ACK, 0);
    gone(ns, c);
}

void net_tcp_forget_all(struct netstack *ns)
{
    unsigned i;

    for (i = 0; i < NETSTACK_TCP_CONNS; i++)
        if (ns->tcp[i].state != TCP_FREE)
            gone(ns, &ns->tcp[i]);
}

static void event(struct netstack *ns, struct netstack_tcp *c,
                  enum netstack_tcp_event ev, const void *data, size_t len)
{
    c->listener->fn(c->listener->arg, ns, c, ev, data, len);
}

static uint32_t new_iss(struct netstack *ns, const struct segment *s)
{
    uint64_t x =
        ns->iss_state ^ ns->now ^
        ((uint64_t)s->pkt->src << 32 | (uint64_t)s->sport << 16 | s->dport);

    /* xorshift64*: unpredictable enough when seeded from the clock. */
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    ns->iss_state = x;
    return (uint32_t)((x * 0x2545f4914f6cdd1dull) >> 32);
}

static struct netstack_tcp *find_conn(struct netstack *ns,
                                      const struct segment *s)
{
    unsigned i;

    for (i = 0; i < NETSTACK_TCP_CONNS; i++) {
        struct netstack_tcp *c = &ns->tcp[i];

        if (c->state != TCP_FREE && c->peer_ip == s->pkt->src &&
            c->peer_port == s->sport && c->local_port == s->dport)
            return c;
    }
    return NULL;
}

/* A SYN for no connection: open one if someone listens and a slot (or a
 * TIME_WAIT one) is free. */
static void passive_open(struct netstack *ns, const struct segment *s)
{
    const struct netstack_tcp_listener *l = NULL;
    struct netstack_tcp *c = NULL;
    unsigned i;

    for (i = 0; i < NETSTACK_TCP_LISTENERS; i++)
        if (ns->listen[i].port != 0 && ns->listen[i].port == s->dport)
            l = &ns->listen[i];
    if (l == NULL) {
        reset_for(ns, s);
        return;
    }
    for (i = 0; i < NETSTACK_TCP_CONNS && c == NULL; i++)
        if (ns->tcp[i].state == TCP_FREE)
            c = &ns->tcp[i];
    for (i = 0; i < NETSTACK_TCP_CONNS && c == NULL; i++)
        if (ns->tcp[i].state == TIME_WAIT) {
            c = &ns->tcp[i];
            gone(ns, c);
        }
    if (c == NULL)
        return; /* full: the peer's SYN retransmission tries again */
    memset(c, 0, sizeof(*c) - sizeof(c->sndbuf));
    c->state = SYN_RCVD;
    c->listener = l;
    memcpy(c->peer_mac, s->pkt->eth_src, 6);
    c->peer_ip = s->pkt->src;
    c->peer_port = s->sport;
    c->local_port = s->dport;
    c->mss = s->mss;
    c->iss = new_iss(ns, s);
    c->snd_una = c->iss;
    c->snd_nxt = c->iss + 1;
    c->snd_wnd = s->wnd;
    c->rcv_nxt = s->seq + 1; /* data on a SYN is not taken */
    c->rto_ms = NETSTACK_TCP_RTO_MS;
    c->deadline = ns->now + NETSTACK_TCP_IDLE_MS;
    syn_ack(ns, c);
    arm(ns, c);
}

/* The ACK field.  false: drop the rest of the segment. */
static bool take_ack(struct netstack *ns, struct netstack_tcp *c,
                     const struct segment *s)
{
    if (c->state == SYN_RCVD) {
        if (s->ack != c->iss + 1) {
            reset_for(ns, s);
            return false;
        }
        c->state = ESTABLISHED;
        c->snd_una = c->snd_nxt = s->ack;
        c->snd_wnd = s->wnd;
        c->rto_deadline = 0;
        c->retries = 0;
        event(ns, c, NETSTACK_TCP_OPEN, NULL, 0);
        return c->state != TCP_FREE;
    }
    if (seq_gt(s->ack, c->snd_nxt)) {
        c->ack_now = true; /* acks what we never sent */
        return false;
    }
    if (seq_gt(s->ack, c->snd_una)) {
        uint32_t acked = s->ack - c->snd_una;
        size_t bytes = acked < c->sent ? acked : c->sent;

        c->head = (c->head + bytes) & SNDBUF_MASK;
        c->buffered -= bytes;
        c->sent -= bytes;
        c->snd_una = s->ack;
        c->retries = 0;
        c->rto_ms = NETSTACK_TCP_RTO_MS;
        c->rto_deadline = 0;
        if (c->snd_una != c->snd_nxt)
            arm(ns, c);
    }
    if (!seq_lt(s->ack, c->snd_una))
        c->snd_wnd = s->wnd;
    if (c->fin_sent && c->snd_una == c->snd_nxt) {
        if (c->state == FIN_WAIT_1)
            c->state = FIN_WAIT_2;
        else if (c->state == CLOSING) {
            c->state = TIME_WAIT;
            c->deadline = ns->now + NETSTACK_TCP_TIME_WAIT_MS;
        } else if (c->state == LAST_ACK) {
            gone(ns, c);
            return false;
        }
    }
    return true;
}

/* The peer's FIN, in order. */
static void take_fin(struct netstack *ns, struct netstack_tcp *c)
{
    c->rcv_nxt++;
    c->ack_now = true;
    if (c->state == ESTABLISHED)
        c->state = CLOSE_WAIT;
    else if (c->state == FIN_WAIT_1)
        c->state = CLOSING;
    else if (c->state == FIN_WAIT_2) {
        c->state = TIME_WAIT;
        c->deadline = ns->now + NETSTACK_TCP_TIME_WAIT_MS;
        c->rto_deadline = 0;
    }
    event(ns, c, NETSTACK_TCP_PEER_CLOSED, NULL, 0);
}

static void conn_input(struct netstack *ns, struct netstack_tcp *c,
                       struct segment *s)
{
    bool fin = s->flags & FIN;
    size_t buffered;

    if (s->flags & RST) {
        /* In the window: a blind attacker must guess it. */
        if (!seq_lt(s->seq, c->rcv_nxt) && seq_lt(s->seq, c->rcv_nxt + RCV_WND))
            gone(ns, c);
        return;
    }
    if (s->flags & SYN) {
        if (c->state == SYN_RCVD && s->seq + 1 == c->rcv_nxt)
            syn_ack(ns, c); /* our SYN-ACK was lost */
        else
            conn_emit(ns, c, c->snd_nxt, 0, 0, 0);
        return;
    }
    /* Keep only what is new; anything ahead of rcv_nxt waits for the
     * peer's retransmission. */
    if (seq_lt(s->seq, c->rcv_nxt)) {
        uint32_t old = c->rcv_nxt - s->seq;

        if (old > s->len) {
            fin = false; /* the FIN, if any, was taken before */
            s->len = 0;
        } else {
            s->data += old;
            s->len -= old;
        }
        s->seq = c->rcv_nxt;
        if (s->len == 0 && !fin) {
            conn_emit(ns, c, c->snd_nxt, 0, 0, 0);
            return;
        }
    } else if (s->seq != c->rcv_nxt) {
        conn_emit(ns, c, c->snd_nxt, 0, 0, 0);
        return;
    }
    if (!(s->flags & ACK))
        return;
    if (c->state != TIME_WAIT)
        c->deadline = ns->now + NETSTACK_TCP_IDLE_MS;
    buffered = c->buffered;
    if (!take_ack(ns, c, s))
        goto out;
    if (c->buffered < buffered &&
        (c->state == ESTABLISHED || c->state == CLOSE_WAIT) && !c->fin_queued) {
        event(ns, c, NETSTACK_TCP_WRITABLE, NULL, 0);
        if (c->state == TCP_FREE)
            return;
    }
    if (s->len > 0 && (c->state == ESTABLISHED || c->state == FIN_WAIT_1 ||
                       c->state == FIN_WAIT_2)) {
        c->rcv_nxt += (uint32_t)s->len;
        c->ack_now = true;
        event(ns, c, NETSTACK_TCP_DATA, s->data, s->len);
        if (c->state == TCP_FREE)
            return;
    }
    if (fin && c->state >= ESTABLISHED && c->state <= FIN_WAIT_2) {
        take_fin(ns, c);
        if (c->state == TCP_FREE)
            return;
    } else if (fin && (c->state == CLOSE_WAIT || c->state == CLOSING ||
                       c->state == LAST_ACK || c->state == TIME_WAIT)) {
        c->ack_now = true; /* a repeated FIN: our ACK was lost */
    }
    output(ns, c);
out:
    if (c->state != TCP_FREE && c->ack_now)
        conn_emit(ns, c, c->snd_nxt, 0, 0, 0);
}

/* The MSS option of a SYN; the others are skipped. */
static uint16_t parse_mss(const uint8_t *opt, size_t len)
{
    size_t i = 0;

    while (i < len && opt[i] != 0) {
        if (opt[i] == 1) {
            i++;
            continue;
        }
        if (i + 1 >= len || opt[i + 1] < 2 || opt[i + 1] > len - i)
            break;
        if (opt[i] == 2 && opt[i + 1] == 4) {
            uint16_t mss = get16(opt + i + 2);

            if (mss < MIN_MSS)
                return MIN_MSS;
            return mss > OUR_MSS ? OUR_MSS : mss;
        }
        i += opt[i + 1];
    }
    return DEFAULT_MSS;
}

void net_tcp_input(struct netstack *ns, const struct net_ip_packet *pkt)
{
    const uint8_t *t = pkt->payload;
    struct netstack_tcp *c;
    struct segment s;
    size_t hlen;

    if (pkt->len < TCP_HLEN)
        return;
    hlen = (size_t)(t[12] >> 4) * 4;
    if (hlen < TCP_HLEN || hlen > pkt->len ||
        net_fold(
            net_sum(net_pseudo_sum(pkt->src, pkt->dst, IP_PROTO_TCP, pkt->len),
                    t, pkt->len)) != 0)
        return;
    s.pkt = pkt;
    s.sport = get16(t);
    s.dport = get16(t + 2);
    s.seq = get32(t + 4);
    s.ack = get32(t + 8);
    s.flags = t[13] & 0x3f;
    s.wnd = get16(t + 14);
    s.data = t + hlen;
    s.len = pkt->len - hlen;
    s.mss = (s.flags & SYN) ? parse_mss(t + TCP_HLEN, hlen - TCP_HLEN) : 0;
    if (s.sport == 0 || s.dport == 0)
        return;

    c = find_conn(ns, &s);
    /* A new SYN may reuse a connection in TIME_WAIT (RFC 1122 4.2.2.13). */
    if (c != NULL && c->state == TIME_WAIT && (s.flags & SYN) &&
        !(s.flags & (ACK | RST)) && seq_gt(s.seq, c->rcv_nxt)) {
        gone(ns, c);
        c = NULL;
    }
    if (c != NULL) {
        unsigned i;

        ns->in_tcp_input = true;
        conn_input(ns, c, &s);
        ns->in_tcp_input = false;
        /* A callback may have written to another connection. */
        for (i = 0; i < NETSTACK_TCP_CONNS; i++)
            if (ns->tcp[i].state != TCP_FREE)
                output(ns, &ns->tcp[i]);
    } else if ((s.flags & (SYN | ACK | RST)) == SYN)
        passive_open(ns, &s);
    else
        reset_for(ns, &s);
}

/* ---------------------------------------------------------------- timers */

static void retransmit(struct netstack *ns, struct netstack_tcp *c)
{
    size_t n = c->sent < c->mss ? c->sent : c->mss;

    if (++c->retries > NETSTACK_TCP_RETRIES) {
        abort_conn(ns, c);
        return;
    }
    c->rto_ms = c->rto_ms * 2 > NETSTACK_TCP_RTO_MAX_MS
                    ? NETSTACK_TCP_RTO_MAX_MS
                    : c->rto_ms * 2;
    c->rto_deadline = ns->now + c->rto_ms;
    if (c->state == SYN_RCVD) {
        syn_ack(ns, c);
        return;
    }
    if (n == 0 && c->buffered > 0 && !c->fin_sent && c->snd_wnd == 0) {
        /* Zero-window probe: one byte, which is then in flight. */
        n = 1;
        c->sent = 1;
        c->snd_nxt = c->snd_una + 1;
    }
    if (n == 0 && !c->fin_sent) {
        /* Nothing in flight: what the device dropped goes now (output()
         * arms the timer again if there is still something to send). */
        c->rto_deadline = 0;
        output(ns, c);
        return;
    }
    conn_emit(
        ns, c, c->snd_una,
        (uint8_t)((n > 0 ? PSH : 0) | (c->fin_sent && n == c->sent ? FIN : 0)),
        0, n);
}

void net_tcp_tick(struct netstack *ns)
{
    unsigned i;

    for (i = 0; i < NETSTACK_TCP_CONNS; i++) {
        struct netstack_tcp *c = &ns->tcp[i];

        if (c->state == TCP_FREE)
            continue;
        if (c->deadline <= ns->now) {
            if (c->state == TIME_WAIT)
                gone(ns, c);
            else
                abort_conn(ns, c); /* idle too long */
        } else if (c->rto_deadline != 0 && c->rto_deadline <= ns->now) {
            retransmit(ns, c);
        }
    }
}

uint64_t net_tcp_next_timer(const struct netstack *ns)
{
    uint64_t next = UINT64_MAX;
    unsigned i;

    for (i = 0; i < NETSTACK_TCP_CONNS; i++) {
        const struct netstack_tcp *c = &ns->tcp[i];

        if (c->state == TCP_FREE)
            continue;
        if (c->deadline < next)
            next = c->deadline;
        if (c->rto_deadline != 0 && c->rto_deadline < next)
            next = c->rto_deadline;
    }
    return next;
}

/* ---------------------------------------------------------------- API */

int netstack_tcp_listen(struct netstack *ns, uint16_t port, netstack_tcp_fn *fn,
                        void *arg)
{
    struct netstack_tcp_listener *free_slot = NULL;
    unsigned i;

    if (port == 0 || fn == NULL)
        return -1;
    for (i = 0; i < NETSTACK_TCP_LISTENERS; i++) {
        if (ns->listen[i].port == port)
            return -1;
        if (ns->listen[i].port == 0 && free_slot == NULL)
            free_slot = &ns->listen[i];
    }
    if (free_slot == NULL)
        return -1;
    *free_slot = (struct netstack_tcp_listener){ port, fn, arg };
    return 0;
}

size_t netstack_tcp_send(struct netstack *ns, struct netstack_tcp *c,
                         const void *data, size_t len)
{
    size_t room = ns->sndbuf_max - c->buffered;
    size_t at = (c->head + c->buffered) & SNDBUF_MASK, first;

    if ((c->state != ESTABLISHED && c->state != CLOSE_WAIT) || c->fin_queued)
        return 0;
    if (len > room)
        len = room;
    first = sndbuf_run(at, len);
    memcpy(c->sndbuf + at, data, first);
    memcpy(c->sndbuf, (const uint8_t *)data + first, len - first);
    c->buffered += len;
    if (!ns->in_tcp_input)
        output(ns, c);
    return len;
}

void netstack_tcp_close(struct netstack *ns, struct netstack_tcp *c)
{
    if ((c->state != ESTABLISHED && c->state != CLOSE_WAIT) || c->fin_queued)
        return;
    c->fin_queued = true;
    if (!ns->in_tcp_input)
        output(ns, c);
}

unsigned netstack_tcp_index(const struct netstack *ns,
                            const struct netstack_tcp *c)
{
    return (unsigned)(c - ns->tcp);
}
