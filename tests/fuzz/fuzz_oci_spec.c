/*
 * fuzz_oci_spec.c - libFuzzer target: config.json text into chaos-oci's
 * translation (tools/chaos-oci/oci_spec.c).  Any input must give either a
 * spec or an error message, never a crash or a leak; a parsed spec must
 * keep its promises (args[0] non-empty, memory at least the floor).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci_spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct oci_spec s;
    char msg[256];
    if (oci_spec_parse((const char *)data, size, "/bundle", &s, msg,
                       sizeof(msg)) == 0) {
        if (s.nargs == 0 || !s.args[0][0] ||
            s.memory_mib < OCI_MIN_MEMORY_MIB || s.vcpus == 0 || !s.root_path ||
            !s.cwd || s.cwd[0] != '/')
            abort();
        oci_spec_free(&s);
    } else if (!memchr(msg, '\0', sizeof(msg)) || !msg[0]) {
        abort();
    }
    return 0;
}
