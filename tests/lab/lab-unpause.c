/*
 * lab-unpause: a paused, fully built guest started by one call, timed to
 * its first console line: what is left of a create once every choice
 * has been made and every page built (pool-bench's floor, issue 13).
 *
 *   lab-unpause DOMID LOGFILE TIMEOUT_S
 *
 * Opens libchaos (not timed), then unpauses DOMID (chaos_domain_unpause)
 * and watches LOGFILE, the guest's console log written by whoever serves
 * its console (chaosd for a `chaos create -p` through it), as the
 * benchmarks' clients do: every millisecond.  Prints
 * "UNPAUSE_MS,FIRST_LINE_MS" on the monotonic clock, both from before
 * the call; FIRST_LINE_MS is empty if no line came within TIMEOUT_S.
 * Exits 1 if the unpause failed (the message on stderr).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "chaos.h"
#include "lab-util.h"

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: lab-unpause DOMID LOGFILE TIMEOUT_S\n");
        return 2;
    }
    chaos_domid domid = (chaos_domid)atol(argv[1]);
    double timeout_ms = atof(argv[3]) * 1e3;
    chaos_ctx *ctx;
    int rc = chaos_open(&ctx);
    if (rc < 0) {
        fprintf(stderr, "lab-unpause: %s\n",
                ctx ? chaos_errmsg(ctx) : "cannot open libchaos");
        chaos_close(ctx);
        return 1;
    }
    double t0 = lab_now_ms();
    rc = chaos_domain_unpause(ctx, domid);
    double t1 = lab_now_ms();
    if (rc < 0) {
        fprintf(stderr, "lab-unpause: %s\n", chaos_errmsg(ctx));
        chaos_close(ctx);
        return 1;
    }
    double first = -1;
    struct timespec tick = { 0, 1000000 }; /* 1 ms */
    while (lab_now_ms() - t0 < timeout_ms) {
        if (lab_log_has_line(argv[2])) {
            first = lab_now_ms();
            break;
        }
        nanosleep(&tick, NULL);
    }
    chaos_close(ctx);
    if (first < 0)
        printf("%.3f,\n", t1 - t0);
    else
        printf("%.3f,%.3f\n", t1 - t0, first - t0);
    return 0;
}
