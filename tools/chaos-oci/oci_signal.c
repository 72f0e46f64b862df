/*
 * oci_signal.c - signal names and the guest action for each (oci_signal.h).
 */
#include "oci_signal.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

enum { NONE = -1 };

/* Linux's signals, by name, with the action each one maps to: the ones
 * that ask a process to end become a shutdown request (which /init turns
 * into TERM for the program), KILL destroys; the others have no meaning
 * for a guest seen from dom0 and are refused rather than dropped. */
static const struct {
    const char *name;
    int signo;
    int action;
} signals[] = {
    { "HUP", SIGHUP, OCI_KILL_SHUTDOWN },
    { "INT", SIGINT, OCI_KILL_SHUTDOWN },
    { "QUIT", SIGQUIT, OCI_KILL_SHUTDOWN },
    { "ILL", SIGILL, NONE },
    { "TRAP", SIGTRAP, NONE },
    { "ABRT", SIGABRT, NONE },
    { "BUS", SIGBUS, NONE },
    { "FPE", SIGFPE, NONE },
    { "KILL", SIGKILL, OCI_KILL_DESTROY },
    { "USR1", SIGUSR1, NONE },
    { "SEGV", SIGSEGV, NONE },
    { "USR2", SIGUSR2, NONE },
    { "PIPE", SIGPIPE, NONE },
    { "ALRM", SIGALRM, NONE },
    { "TERM", SIGTERM, OCI_KILL_SHUTDOWN },
    { "STKFLT", SIGSTKFLT, NONE },
    { "CHLD", SIGCHLD, NONE },
    { "CONT", SIGCONT, NONE },
    { "STOP", SIGSTOP, NONE },
    { "TSTP", SIGTSTP, NONE },
    { "TTIN", SIGTTIN, NONE },
    { "TTOU", SIGTTOU, NONE },
    { "URG", SIGURG, NONE },
    { "XCPU", SIGXCPU, NONE },
    { "XFSZ", SIGXFSZ, NONE },
    { "VTALRM", SIGVTALRM, NONE },
    { "PROF", SIGPROF, NONE },
    { "WINCH", SIGWINCH, NONE },
    { "IO", SIGIO, NONE },
    { "PWR", SIGPWR, OCI_KILL_SHUTDOWN },
    { "SYS", SIGSYS, NONE },
};

int oci_signal_parse(const char *text, int *signo)
{
    if (text[0] >= '0' && text[0] <= '9') {
        char *end;
        long n = strtol(text, &end, 10);
        if (*end || n < 1 || n > 64)
            return -EINVAL;
        *signo = (int)n;
        return 0;
    }
    const char *name = strncasecmp(text, "SIG", 3) == 0 ? text + 3 : text;
    for (size_t i = 0; i < N_ELEMENTS(signals); i++)
        if (strcasecmp(signals[i].name, name) == 0) {
            *signo = signals[i].signo;
            return 0;
        }
    return -EINVAL;
}

int oci_signal_action(int signo, enum oci_kill_action *action)
{
    for (size_t i = 0; i < N_ELEMENTS(signals); i++)
        if (signals[i].signo == signo) {
            if (signals[i].action == NONE)
                return -ENOTSUP;
            *action = (enum oci_kill_action)signals[i].action;
            return 0;
        }
    return -ENOTSUP;
}

const char *oci_signal_name(int signo)
{
    for (size_t i = 0; i < N_ELEMENTS(signals); i++)
        if (signals[i].signo == signo)
            return signals[i].name;
    return NULL;
}
