/*
 * hv_ops.c - the table chaosd uses in production: libchaos itself (see
 * hv_ops.h for why there is a table).
 */
#include "hv_ops.h"

const struct chaosd_hv_ops chaosd_hv_libchaos = {
    .open = chaos_open,
    .close = chaos_close,
    .errmsg = chaos_errmsg,
    .kernel_cache_enable = chaos_kernel_cache_enable,
    .kernel_cache_stats = chaos_kernel_cache_stats,
    .shell_prepare = chaos_shell_prepare,
    .shell_domid = chaos_shell_domid,
    .shell_execute = chaos_shell_execute,
    .shell_discard = chaos_shell_discard,
    .shell_load = chaos_shell_load_flags,
    .shell_image_fits = chaos_shell_image_fits,
    .supervisor_prepare = chaos_supervisor_prepare,
    .supervisor_close = chaos_supervisor_close,
    .restore_shell_prepare = chaos_restore_shell_prepare,
    .image_config = chaos_image_config,
    .image_open = chaos_image_open,
    .image_close = chaos_image_close,
    .image_id = chaos_image_id,
    .image_in_place = chaos_image_in_place,
    .image_config_of = chaos_image_config_of,
    .image_restore = chaos_image_restore,
    .domain_create = chaos_domain_create,
    .domain_destroy = chaos_domain_destroy,
    .domain_list = chaos_domain_list,
    .dominfo_free = chaos_dominfo_free,
    .domain_info = chaos_domain_info,
    .domain_lookup = chaos_domain_lookup,
    .domain_shutdown = chaos_domain_shutdown,
    .domain_console = chaos_domain_console,
    .physinfo = chaos_physinfo,
    .domain_rename = chaos_domain_rename,
    .domain_unpause = chaos_domain_unpause,
    .domain_readdress = chaos_domain_readdress,
    .template_boot = chaosd_template_boot,
};
