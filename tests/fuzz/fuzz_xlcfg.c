/*
 * fuzz_xlcfg.c - libFuzzer target for the xl.cfg parser and the config
 * mapping.  Built and run by `make fuzz-config` (see libchaos/config.mk).
 *
 * Properties checked on every input, beyond "no crash, no leak, no UB":
 *  - text that parses into a configuration serialises (to_text) to text
 *    that parses again into an equal configuration, and serialising that
 *    gives the same text;
 *  - every string the parser returns survives xlcfg_quote() and a re-parse;
 *  - the input used as a command-line override obeys the same round trip;
 *  - vif and disk records (config_devices.c) survive the round trip.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chaos.h"
#include "config/xlcfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what, const char *text)
{
    fprintf(stderr, "fuzz_xlcfg: %s\n--- text ---\n%s\n", what,
            text ? text : "");
    abort();
}

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The devices read back from to_text are the ones written. */
static void check_same_devices(const chaos_config *a, const chaos_config *b,
                               const char *text)
{
    unsigned n = chaos_config_vif_count(a);

    if (n != chaos_config_vif_count(b) || n > CHAOS_CONFIG_MAX_VIFS)
        die("round trip changed the vifs", text);
    for (unsigned i = 0; i < n; i++) {
        struct chaos_vif_config x, y;
        if (chaos_config_vif(a, i, &x) || chaos_config_vif(b, i, &y) ||
            memcmp(&x, &y, sizeof(x)) != 0)
            die("round trip changed a vif", text);
    }
    n = chaos_config_disk_count(a);
    if (n != chaos_config_disk_count(b) || n > CHAOS_CONFIG_MAX_DISKS)
        die("round trip changed the disks", text);
    for (unsigned i = 0; i < n; i++) {
        struct chaos_disk_config x, y;
        if (chaos_config_disk(a, i, &x) || chaos_config_disk(b, i, &y) ||
            strcmp(x.target, y.target) || strcmp(x.vdev, y.vdev) ||
            x.readonly != y.readonly || x.target[0] != '/')
            die("round trip changed a disk", text);
    }
}

static void check_round_trip(const chaos_config *a)
{
    char *text = chaos_config_to_text(a);
    chaos_config *b = chaos_config_new();
    char *again;

    if (!text || !b)
        die("out of memory", NULL);
    if (chaos_config_parse(b, text, strlen(text), "to_text") != 0)
        die(chaos_config_errmsg(b), text);
    if (!same_str(chaos_config_name(a), chaos_config_name(b)) ||
        !same_str(chaos_config_kernel(a), chaos_config_kernel(b)) ||
        !same_str(chaos_config_ramdisk(a), chaos_config_ramdisk(b)) ||
        !same_str(chaos_config_cmdline(a), chaos_config_cmdline(b)) ||
        !same_str(chaos_config_uuid(a), chaos_config_uuid(b)) ||
        chaos_config_type(a) != chaos_config_type(b) ||
        chaos_config_memory_mib(a) != chaos_config_memory_mib(b) ||
        chaos_config_maxmem_mib(a) != chaos_config_maxmem_mib(b) ||
        chaos_config_vcpus(a) != chaos_config_vcpus(b) ||
        chaos_config_maxvcpus(a) != chaos_config_maxvcpus(b) ||
        chaos_config_xenstore(a) != chaos_config_xenstore(b))
        die("round trip changed a field", text);
    for (int e = CHAOS_ON_POWEROFF; e <= CHAOS_ON_CRASH; e++)
        if (chaos_config_action(a, (enum chaos_event)e) !=
            chaos_config_action(b, (enum chaos_event)e))
            die("round trip changed an action", text);
    check_same_devices(a, b, text);
    again = chaos_config_to_text(b);
    if (!again || strcmp(text, again) != 0)
        die("to_text is not stable", text);
    free(again);
    free(text);
    chaos_config_free(b);
}

/* Every string value, quoted again, must parse back to itself. */
static void check_quoting(const struct xlcfg_value *v)
{
    if (v->kind == XLCFG_LIST) {
        for (size_t i = 0; i < v->n_items; i++)
            check_quoting(&v->items[i]);
        return;
    }
    if (v->kind != XLCFG_STRING)
        return;
    size_t need = xlcfg_quote(NULL, 0, v->text);
    char *text = malloc(need + 8), err[256];
    struct xlcfg *tree;
    if (!text)
        die("out of memory", NULL);
    memcpy(text, "k = ", 4);
    xlcfg_quote(text + 4, need + 1, v->text);
    if (xlcfg_parse(text, strlen(text), "quote", &tree, err, sizeof(err)) != 0)
        die(err, text);
    if (tree->n_settings != 1 || strcmp(tree->settings[0].value.text, v->text))
        die("quoting changed a string", text);
    xlcfg_free(tree);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct xlcfg *tree;
    char err[256], *arg;
    chaos_config *cfg = chaos_config_new();

    if (!cfg)
        return 0;
    if (xlcfg_parse(text, size, "fuzz", &tree, err, sizeof(err)) == 0) {
        for (size_t i = 0; i < tree->n_settings; i++)
            check_quoting(&tree->settings[i].value);
        xlcfg_free(tree);
    }
    if (chaos_config_parse(cfg, text, size, "fuzz") == 0) {
        chaos_config_validate(cfg);
        check_round_trip(cfg);
    }
    chaos_config_free(cfg);

    /* The same bytes as one command-line override. */
    arg = malloc(size + 1);
    cfg = chaos_config_new();
    if (arg && cfg) {
        memcpy(arg, data, size);
        arg[size] = '\0';
        if (chaos_config_set_arg(cfg, arg) == 0)
            check_round_trip(cfg);
    }
    free(arg);
    chaos_config_free(cfg);
    return 0;
}
