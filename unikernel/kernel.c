/* Kernel start-up, output and shutdown; see kernel.h. */
#include "kernel.h"

#include <stdarg.h>

#include "clock.h"
#include "cmdline.h"
#include "console.h"
#include "devices.h"
#include "evtchn.h"
#include "format.h"
#include "hypercall.h"
#include "klib.h"
#include "x86.h"

uint8_t shared_info_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

static struct boot_info boot;
static uint64_t entry_age_ns;

_Noreturn static void shutdown(unsigned int reason)
{
    struct sched_shutdown request = { .reason = reason };

    for (;;) /* SCHEDOP_shutdown does not return; this only says so */
        hyp_sched_op(SCHEDOP_shutdown, &request);
}

void kernel_start(const struct boot_info *info)
{
    uint64_t flush_ms = 5000;

    boot = *info;
    clock_init(boot.shared_info);
    evtchn_init(boot.shared_info);
    entry_age_ns = clock_vcpu_age_ns();
    console_init(boot.console, boot.console_port);
    if (!cmdline_get_u64(boot.cmdline, "console_timeout_ms", &flush_ms))
        kprintf("ignoring malformed console_timeout_ms\n");
    console_set_timeout_ns(flush_ms * 1000000);
    devices_init(); /* no noxs page: no devices, and nothing printed */
    kernel_exit(app_main(boot.cmdline));
}

const char *kernel_boot_mode(void)
{
    return boot.mode;
}

const struct boot_info *kernel_boot_info(void)
{
    return &boot;
}

void kernel_set_boot_info(const struct boot_info *info)
{
    boot = *info;
}

uint64_t kernel_entry_age_ns(void)
{
    return entry_age_ns;
}

/* Output is formatted in pieces and sent to the ring in line-sized chunks,
 * so a line costs one notification, not one per piece. */
struct line_buffer {
    char text[128];
    size_t used;
};

static void line_flush(struct line_buffer *line)
{
    console_write(line->text, line->used);
    line->used = 0;
}

static void line_sink(void *ctx, const char *text, size_t len)
{
    struct line_buffer *line = ctx;

    while (len > 0) {
        size_t n = sizeof(line->text) - line->used;

        if (n > len)
            n = len;
        memcpy(line->text + line->used, text, n);
        line->used += n;
        text += n;
        len -= n;
        if (line->used == sizeof(line->text))
            line_flush(line);
    }
}

static void vkprintf(const char *fmt, va_list ap)
{
    struct line_buffer line = { .used = 0 };

    fmt_vformat(line_sink, &line, fmt, ap);
    if (line.used > 0)
        line_flush(&line);
}

void kprintf(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vkprintf(fmt, ap);
    va_end(ap);
}

void kernel_exit(int status)
{
    if (status != 0)
        kprintf("exit status %d\n", status);
    kernel_shutdown(SHUTDOWN_poweroff);
}

void kernel_shutdown(unsigned int reason)
{
    console_flush();
    shutdown(reason);
}

void kernel_panic(const char *fmt, ...)
{
    va_list ap;

    kprintf("panic: ");
    va_start(ap, fmt);
    vkprintf(fmt, ap);
    va_end(ap);
    kprintf("\n");
    console_flush();
    shutdown(SHUTDOWN_crash);
}

void kernel_early_crash(const char *message)
{
    /* Heard only by a debug Xen ("xl dmesg"), but costs nothing. */
    hyp_console_write(message, strlen(message));
    shutdown(SHUTDOWN_crash);
}
