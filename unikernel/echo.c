/*
 * echo: answers each console input line with "echo: <line>" until it reads
 * "quit", then powers off.  Exercises console input and blocking on an
 * event channel.
 *
 * A line ends at CR (what a terminal sends for Enter) or LF (what a pipe
 * sends); empty lines are ignored, so CR LF counts once.  Typed characters
 * are not echoed one by one.
 *
 * Command line (optional):
 *   idle_timeout_ms=N   give up after N ms without input: exit status 1
 */
#include "clock.h"
#include "cmdline.h"
#include "console.h"
#include "kernel.h"

#define LINE_MAX 256

static int handle_line(const char *line, size_t len)
{
    static const char quit[] = "quit";

    if (len == sizeof(quit) - 1 && line[0] == 'q' && line[1] == 'u' &&
        line[2] == 'i' && line[3] == 't')
        return 1;
    kprintf("echo: %.*s\n", (int)len, line);
    return 0;
}

int app_main(const char *cmdline)
{
    char line[LINE_MAX];
    size_t len = 0;
    uint64_t idle_ms = 0;

    if (!cmdline_get_u64(cmdline, "idle_timeout_ms", &idle_ms)) {
        kprintf("echo: bad command line: %s\n", cmdline);
        return 2;
    }
    kprintf("echo: ready, type 'quit' to stop\n");

    for (;;) {
        uint64_t deadline = idle_ms ? clock_now_ns() + idle_ms * 1000000 : 0;
        char input[64];
        size_t n, i;

        if (!console_wait_input(deadline)) {
            kprintf("echo: no input for %llu ms\n",
                    (unsigned long long)idle_ms);
            return 1;
        }
        n = console_read(input, sizeof(input));
        for (i = 0; i < n; i++) {
            char c = input[i];

            if (c == '\r' || c == '\n' || len == sizeof(line)) {
                if (len > 0 && handle_line(line, len)) {
                    kprintf("echo: bye\n");
                    return 0;
                }
                len = 0;
                if (c == '\r' || c == '\n')
                    continue;
            }
            line[len++] = c;
        }
    }
}
