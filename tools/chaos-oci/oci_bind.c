/*
 * oci_bind.c - the guest's side of bind mounts (oci_bind.h): a BusyBox sh
 * script that mounts the copies, then execs the program.
 */
#include "oci_bind.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BB "/bin/busybox"

/* s in single quotes for sh (' as '\''). */
static void quoted(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputs("'\\''", f);
        else
            fputc(*s, f);
    }
    fputc('\'', f);
}

/* The folder that holds path (absolute): "/" for "/x". */
static void parent(FILE *f, const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t len = slash && slash != path ? (size_t)(slash - path) : 1;
    char *p = strndup(path, len);
    quoted(f, p ? p : "/");
    free(p);
}

static char *script(const struct oci_spec *s, const bool *is_dir)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    for (size_t i = 0; i < s->nbinds; i++) {
        const struct oci_bind *b = &s->binds[i];
        /* The mount point: a folder, or an empty file for a file. */
        fputs(BB " mkdir -p ", f);
        if (is_dir[i]) {
            quoted(f, b->destination);
        } else {
            parent(f, b->destination);
            fputs(" && { [ -e ", f);
            quoted(f, b->destination);
            fputs(" ] || " BB " touch ", f);
            quoted(f, b->destination);
            fputs("; }", f);
        }
        fprintf(f, " && " BB " mount --bind " OCI_BIND_DIR "/%zu ", i);
        quoted(f, b->destination);
        if (b->readonly) {
            fputs(" && " BB " mount -o remount,bind,ro ", f);
            quoted(f, b->destination);
        }
        fputs(" || { echo ", f);
        quoted(f, "chaos-oci: cannot bind-mount a copy of ");
        quoted(f, b->source);
        quoted(f, " on ");
        quoted(f, b->destination);
        fprintf(f, " >&2; exit %d; }\n", OCI_BIND_FAILED);
    }
    fputs("exec \"$@\"\n", f);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

char **oci_bind_argv(const struct oci_spec *s, const bool *is_dir, size_t *n)
{
    static const char *const head[] = { BB, "sh", "-c", NULL, "chaos-oci" };
    size_t nhead = sizeof(head) / sizeof(*head);
    char **v = calloc(nhead + s->nargs + 1, sizeof(*v));
    if (!v)
        return NULL;
    bool ok = true;
    for (size_t i = 0; i < nhead; i++)
        ok &= (v[i] = head[i] ? strdup(head[i]) : script(s, is_dir)) != NULL;
    for (size_t i = 0; i < s->nargs; i++)
        ok &= (v[nhead + i] = strdup(s->args[i])) != NULL;
    *n = nhead + s->nargs;
    if (!ok) {
        oci_argv_free(v, *n);
        return NULL;
    }
    return v;
}

void oci_argv_free(char **argv, size_t n)
{
    for (size_t i = 0; argv && i < n; i++)
        free(argv[i]);
    free(argv);
}
