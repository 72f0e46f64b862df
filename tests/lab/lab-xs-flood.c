/*
 * lab-xs-flood - a hostile program inside a Linux guest (test-chaos-
 * devices-linux.sh): floods the guest's XenStore through /dev/xen/xenbus,
 * which passes the wire protocol (xen/io/xs_wire.h) to whoever serves the
 * guest's store ring -- chaos's private store.  It writes NODES new nodes,
 * then sets WATCHES watches, counting what the store accepted and what it
 * refused, and prints
 *   XS-FLOOD nodes=OK/REFUSED(ERROR) watches=OK/REFUSED(ERROR) read=VALUE
 * where read is what a plain read of the guest's name returns afterwards
 * (the store still answers).  Static, so it runs in the lab's busybox
 * initramfs.
 *
 *   lab-xs-flood NODES WATCHES
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xen/io/xs_wire.h>

static int fd;
static unsigned next_id = 1;

/* One request, one answer (the kernel's device passes both whole);
 * watch events that arrive in between are skipped.  Returns the answer's
 * type, its payload (NUL-terminated) in out. */
static int request(unsigned type, const char *a, const char *b, char *out,
                   size_t outlen)
{
    char msg[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
    struct xsd_sockmsg hdr = { .type = type, .req_id = next_id++ };
    size_t alen = strlen(a) + 1, blen = b ? strlen(b) + (type == XS_WATCH) : 0;

    hdr.len = (uint32_t)(alen + blen);
    memcpy(msg, &hdr, sizeof(hdr));
    memcpy(msg + sizeof(hdr), a, alen);
    if (b)
        memcpy(msg + sizeof(hdr) + alen, b, blen);
    if (write(fd, msg, sizeof(hdr) + hdr.len) < 0)
        return -errno;
    for (;;) {
        struct xsd_sockmsg rep;
        if (read(fd, &rep, sizeof(rep)) != (ssize_t)sizeof(rep) ||
            rep.len > XENSTORE_PAYLOAD_MAX)
            return -EIO;
        if (read(fd, msg, rep.len) != (ssize_t)rep.len)
            return -EIO;
        if (rep.type == XS_WATCH_EVENT)
            continue;
        size_t n = rep.len < outlen - 1 ? rep.len : outlen - 1;
        memcpy(out, msg, n);
        out[n] = '\0';
        return (int)rep.type;
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s NODES WATCHES\n", argv[0]);
        return 2;
    }
    unsigned nodes = (unsigned)atoi(argv[1]), watches = (unsigned)atoi(argv[2]);
    fd = open("/dev/xen/xenbus", O_RDWR);
    if (fd < 0) {
        perror("/dev/xen/xenbus");
        return 1;
    }
    char ans[128], path[64], tok[32], nerr[130] = "-", werr[130] = "-";
    unsigned nok = 0, nbad = 0, wok = 0, wbad = 0;
    for (unsigned i = 0; i < nodes; i++) {
        snprintf(path, sizeof(path), "data/flood/n%u", i);
        int t = request(XS_WRITE, path, "0123456789abcdef", ans, sizeof(ans));
        if (t == XS_WRITE)
            nok++;
        else {
            nbad++;
            snprintf(nerr, sizeof(nerr), "%s", t == XS_ERROR ? ans : "io");
        }
    }
    for (unsigned i = 0; i < watches; i++) {
        snprintf(tok, sizeof(tok), "t%u", i);
        int t = request(XS_WATCH, "data/flood", tok, ans, sizeof(ans));
        if (t == XS_WATCH)
            wok++;
        else {
            wbad++;
            snprintf(werr, sizeof(werr), "%s", t == XS_ERROR ? ans : "io");
        }
    }
    int t = request(XS_READ, "name", NULL, ans, sizeof(ans));
    printf("XS-FLOOD nodes=%u/%u(%s) watches=%u/%u(%s) read=%s\n", nok, nbad,
           nerr, wok, wbad, werr, t == XS_READ ? ans : "failed");
    return 0;
}
