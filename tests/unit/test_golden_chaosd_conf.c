/*
 * test_golden_chaosd_conf.c - chaosd configurations in
 * tests/golden/chaosd-conf/: each NAME.conf is loaded as chaosd loads its
 * file; NAME.err holds the exact message of a refused one, NAME.ok a dump
 * of what an accepted one sets.
 */
#include <stdio.h>
#include <stdlib.h>

#include "conf.h"
#include "golden.h"

/* The settings, one "key = value" a line, flavors as in the file. */
static char *dump(const struct chaosd_conf *c)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    if (!out)
        return NULL;
    fprintf(out,
            "socket = \"%s\"\nidle_memory_mib = %llu\n"
            "kernel_cache_mib = %llu\nrefill_workers = %u\n"
            "refill_quiet_ms = %u\nready_timeout_s = %u\n",
            c->socket_path, (unsigned long long)c->idle_memory_mib,
            (unsigned long long)c->kernel_cache_mib, c->refill_workers,
            c->refill_quiet_ms, c->ready_timeout_s);
    if (c->metrics_listen[0])
        fprintf(out, "metrics_listen = \"%s\"\n", c->metrics_listen);
    for (unsigned i = 0; i < c->n_flavors; i++) {
        const struct chaosd_flavor *f = &c->flavors[i];
        fprintf(out,
                "\n[flavor %s]\ntype = \"%s\"\nmemory = %llu\n"
                "maxmem = %llu\nvcpus = %u\npool = %u\n",
                f->name, f->pvh ? "pvh" : "pv",
                (unsigned long long)f->memory_mib,
                (unsigned long long)f->maxmem_mib, f->vcpus, f->pool);
    }
    if (fclose(out) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

static bool run(const char *path, char **out)
{
    static struct chaosd_conf conf; /* 4 KiB: not on the stack */
    char err[512];
    int rc = chaosd_conf_load(&conf, path, err, sizeof(err));
    if (rc == 0)
        *out = dump(&conf);
    else if (asprintf(out, "%s\n", err) < 0)
        *out = NULL;
    if (!*out)
        abort();
    return rc == 0;
}

int main(void)
{
    return golden_main("chaosd-conf", ".conf", run);
}
