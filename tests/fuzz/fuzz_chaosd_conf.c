/*
 * fuzz_chaosd_conf.c - libFuzzer target for the chaosd.conf parser.
 * Built and run by `make fuzz-chaosd` (see chaosd/local.mk).
 *
 * Properties checked beyond "no crash, no leak, no UB": an accepted file
 * gives flavors with memory set, maxmem >= memory, unique names, and an
 * absolute socket path; a rejected one has a "SOURCE:LINE: " message.
 */
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct chaosd_conf conf;
    char err[512];
    if (chaosd_conf_parse(&conf, (const char *)data, size, "f.conf", err,
                          sizeof(err)) != 0) {
        if (strncmp(err, "f.conf:", 7) != 0)
            abort();
        return 0;
    }
    if (conf.socket_path[0] != '/' || conf.n_flavors > CHAOSD_MAX_FLAVORS)
        abort();
    for (unsigned i = 0; i < conf.n_flavors; i++) {
        const struct chaosd_flavor *f = &conf.flavors[i];
        if (!f->memory_mib || f->maxmem_mib < f->memory_mib || !f->name[0] ||
            chaosd_conf_flavor(&conf, f->name) != f)
            abort();
    }
    return 0;
}
