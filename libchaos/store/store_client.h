/*
 * store_client.h - the few requests dom0's own tools send to a guest's
 * private store over its socket (store_serve.h): the client half of the
 * wire protocol, on a connected stream socket.
 */
#ifndef CHAOS_STORE_CLIENT_H
#define CHAOS_STORE_CLIENT_H

#include <stddef.h>

/*
 * Writes value at path (XS_WRITE, no transaction) and reads the answer,
 * waiting at most timeout_ms in all: 0, or a negative errno with a
 * message in err (the store's error name when it refused, e.g. EACCES).
 */
int store_client_write(int fd, const char *path, const char *value,
                       int timeout_ms, char *err, size_t errlen);

/*
 * Reads path into buf (NUL-terminated, cut to len - 1 bytes): 0,
 * -ENOENT when there is no such node, or a negative errno with a message.
 */
int store_client_read(int fd, const char *path, char *buf, size_t len,
                      int timeout_ms, char *err, size_t errlen);

/*
 * In one transaction: reads path and, when it holds expect, writes value
 * there (as libxl withdraws a suspend request the guest did not take).
 * 1 when written, 0 when not (cur holds what was there, "" for no node),
 * or a negative errno with a message.  A commit that conflicts with
 * another change is tried again.
 */
int store_client_swap(int fd, const char *path, const char *expect,
                      const char *value, char *cur, size_t curlen,
                      int timeout_ms, char *err, size_t errlen);

#endif
