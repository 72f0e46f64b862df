/*
 * test_golden_xlcfg.c - guest configurations in tests/golden/xlcfg/: each
 * NAME.cfg is read as `chaos create NAME.cfg` reads it (parse, then
 * validate); NAME.err holds the exact message of a refused one, NAME.ok the
 * chaos_config_to_text() of an accepted one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chaos.h"
#include "golden.h"

static bool run(const char *path, char **out)
{
    chaos_config *cfg = chaos_config_new();
    if (!cfg)
        abort();
    int rc = chaos_config_parse_file(cfg, path);
    if (rc == 0)
        rc = chaos_config_validate(cfg);
    if (rc == 0)
        *out = chaos_config_to_text(cfg);
    else if (asprintf(out, "%s\n", chaos_config_errmsg(cfg)) < 0)
        *out = NULL;
    chaos_config_free(cfg);
    if (!*out)
        abort();
    return rc == 0;
}

int main(void)
{
    return golden_main("xlcfg", ".cfg", run);
}
