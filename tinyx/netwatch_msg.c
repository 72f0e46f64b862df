/*
 * netwatch_msg.c - XenStore wire messages and the checks on what the
 * store answers, for tinyx-netwatch (see netwatch_msg.h).  Pure code.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "netwatch_msg.h"

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4); /* the guest's own byte order, as xs_wire.h */
}

size_t nw_request(uint8_t *buf, size_t cap, uint32_t type, uint32_t req_id,
                  const char *a, const char *b)
{
    size_t la = strlen(a) + 1, lb = b ? strlen(b) + 1 : 0;
    if (la + lb > NW_PAYLOAD_MAX || NW_HEADER + la + lb > cap)
        return 0;
    put32(buf, type);
    put32(buf + 4, req_id);
    put32(buf + 8, 0); /* no transaction */
    put32(buf + 12, (uint32_t)(la + lb));
    memcpy(buf + NW_HEADER, a, la);
    if (b)
        memcpy(buf + NW_HEADER + la, b, lb);
    return NW_HEADER + la + lb;
}

int nw_header(const uint8_t hdr[NW_HEADER], uint32_t *type, uint32_t *len)
{
    memcpy(type, hdr, 4);
    memcpy(len, hdr + 12, 4);
    return *len > NW_PAYLOAD_MAX ? -1 : 0;
}

/* A decimal number of 1 to 3 digits at *p, up to max: advances *p. */
static int number(const char **p, const char *end, unsigned max)
{
    unsigned v = 0, digits = 0;
    const char *first = *p;
    while (*p < end && **p >= '0' && **p <= '9' && digits < 4) {
        v = v * 10 + (unsigned)(**p - '0');
        (*p)++;
        digits++;
    }
    /* No leading zeros: some parsers read them as octal. */
    if (digits > 1 && *first == '0')
        return -1;
    return digits >= 1 && digits <= 3 && v <= max ? 0 : -1;
}

int nw_ip(const char *value, size_t len, char *out, size_t outlen)
{
    const char *p = value, *end = value;
    if (outlen)
        out[0] = '\0';
    /* The first word: libxl's ip may list several addresses. */
    while ((size_t)(end - value) < len && *end && *end != ' ')
        end++;
    for (int i = 0; i < 4; i++) {
        if (number(&p, end, 255) < 0)
            return -1;
        if (i < 3 && (p == end || *p++ != '.'))
            return -1;
    }
    if (p < end) {
        const char *len_at = ++p;
        if (len_at[-1] != '/' || number(&p, end, 32) < 0 || *len_at == '0')
            return -1;
    }
    size_t n = (size_t)(end - value);
    if (p != end || n + 1 > outlen)
        return -1;
    memcpy(out, value, n);
    out[n] = '\0';
    return 0;
}

int nw_path(const char *value, size_t len, char *out, size_t outlen)
{
    if (len == 0 || len + 1 > outlen || value[0] != '/')
        return -1;
    for (size_t i = 0; i < len; i++)
        if (value[i] <= ' ' || value[i] > '~')
            return -1;
    memcpy(out, value, len);
    out[len] = '\0';
    return 0;
}

int nw_addr(const char *s, uint32_t *addr_be, unsigned *prefix)
{
    char check[24];
    unsigned o[4], len = 0;
    size_t n = strlen(s);
    /* Only what nw_ip accepts: no sscanf leniency (spaces, signs). */
    if (nw_ip(s, n, check, sizeof(check)) < 0)
        return -1;
    int fields =
        sscanf(check, "%u.%u.%u.%u/%u", &o[0], &o[1], &o[2], &o[3], &len);
    if (fields < 4)
        return -1;
    if (fields == 4)
        len = o[0] < 128 ? 8 : o[0] < 192 ? 16 : 24;
    *addr_be = htonl(o[0] << 24 | o[1] << 16 | o[2] << 8 | o[3]);
    *prefix = len;
    return 0;
}

uint32_t nw_mask(unsigned prefix)
{
    if (prefix == 0)
        return 0;
    if (prefix >= 32)
        return 0xffffffffu;
    return htonl(0xffffffffu << (32 - prefix));
}

void nw_arp_announce(uint8_t out[NW_ARP_LEN], const uint8_t mac[6],
                     uint32_t addr_be)
{
    static const uint8_t head[8] = {
        0,    1,    /* hardware: Ethernet */
        0x08, 0x00, /* protocol: IPv4 */
        6,    4,    /* their lengths */
        0,    1,    /* a request */
    };
    memcpy(out, head, sizeof(head));
    memcpy(out + 8, mac, 6);
    memcpy(out + 14, &addr_be, 4);
    memset(out + 18, 0, 6);
    memcpy(out + 24, &addr_be, 4);
}
