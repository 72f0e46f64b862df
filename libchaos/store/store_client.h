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

#endif
