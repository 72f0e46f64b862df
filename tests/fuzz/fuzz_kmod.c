/*
 * fuzz_kmod.c - libFuzzer target for the modules.dep / modules.builtin
 * reader behind tinyx build --module (tinyx/kmod.c).
 *
 * The input is modules.dep, then a NUL byte, then modules.builtin.  A few
 * short names are looked up one at a time and all together (the fuzzer
 * finds "a.ko:" lines quickly); a successful plan is checked: every file
 * once, each a relative .ko path.
 *
 *   make fuzz-tinyx FUZZ_SECONDS=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kmod.h"

static const char *const names[] = { "a", "b", "a-b", "a_b", "9p", "x-y-z" };
#define NNAMES (sizeof(names) / sizeof(*names))

static void plan_and_check(const char *dep, size_t deplen, const char *builtin,
                           size_t blen, const char *const *want, size_t nwant)
{
    struct kmod_plan plan;
    struct tx_error err;
    if (kmod_plan(dep, deplen, builtin, blen, want, nwant, &plan, &err) < 0)
        return;
    for (size_t i = 0; i < plan.load.n; i++) {
        if (!strstr(plan.load.v[i], ".ko") || plan.load.v[i][0] == '/')
            abort();
        for (size_t j = 0; j < i; j++)
            if (strcmp(plan.load.v[i], plan.load.v[j]) == 0)
                abort();
    }
    kmod_plan_free(&plan);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *nul = memchr(text, '\0', size);
    size_t deplen = nul ? (size_t)(nul - text) : size;
    const char *builtin = nul ? nul + 1 : NULL;
    size_t blen = nul ? size - deplen - 1 : 0;
    for (size_t i = 0; i < NNAMES; i++)
        plan_and_check(text, deplen, builtin, blen, &names[i], 1);
    plan_and_check(text, deplen, builtin, blen, names, NNAMES);
    return 0;
}
