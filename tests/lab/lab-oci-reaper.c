/*
 * lab-oci-reaper - plays containerd's runc shim for test-chaos-oci.sh: a
 * child subreaper (PR_SET_CHILD_SUBREAPER) that runs one command (chaos-oci
 * create), then reaps every orphan that command leaves (the keeper) and
 * writes each exit status to a file, as the shim gets a container's.
 *
 *   lab-oci-reaper STATUS-FILE COMMAND [ARG...]
 *
 * STATUS-FILE gets "create RC" once the command ended, then "exit PID RC"
 * for each reaped orphan (RC: the exit status, or 128+N for signal N);
 * the reaper exits once it has no children left.  libc only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static int code(int status)
{
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* pid 0: the command's own status ("create RC"). */
static void note(const char *path, long pid, int rc)
{
    FILE *f = fopen(path, "a");
    if (!f)
        return;
    if (pid)
        fprintf(f, "exit %ld %d\n", pid, rc);
    else
        fprintf(f, "create %d\n", rc);
    fclose(f);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fputs("usage: lab-oci-reaper STATUS-FILE COMMAND [ARG...]\n", stderr);
        return 2;
    }
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
        perror("prctl");
        return 1;
    }
    pid_t cmd = fork();
    if (cmd < 0) {
        perror("fork");
        return 1;
    }
    if (cmd == 0) {
        execvp(argv[2], argv + 2);
        perror(argv[2]);
        _exit(127);
    }
    for (;;) {
        int status;
        pid_t pid = wait(&status);
        if (pid < 0 && errno == EINTR)
            continue;
        if (pid < 0)
            return 0; /* no children left */
        note(argv[1], pid == cmd ? 0 : (long)pid, code(status));
    }
}
