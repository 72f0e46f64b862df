/*
 * registry_names.c - the name index, RUNDIR/names/NAME (see registry.h).
 *
 * Atomicity.  An entry is written whole to a temporary file in the same
 * directory and link(2)ed to its name: link fails with EEXIST if the name
 * is taken, so of two concurrent claims exactly one wins, and the entry
 * appears complete or not at all.  (open(O_CREAT|O_EXCL) then write would
 * be as exclusive, but a reader could see the file empty or half written
 * and take it for corrupt; rename(2) would silently replace a rival.)
 *
 * Removal is a compare-and-delete (read the owner, unlink if it matches),
 * which is only atomic if nothing else removes the entry in between:
 * otherwise a rival's fresh claim could take its place and be deleted.
 * Every removal therefore holds an exclusive flock(2) on the names
 * directory.  Claims and lookups need no lock: a claim cannot replace an
 * existing entry, and readers only ever see complete ones.  flock, not
 * fcntl locks, because chaosd creates from several threads of one process.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "registry.h"

#define NAME_MAX_LEN 63 /* as the config's names and record.name */

const char *registry_name_problem(const char *name)
{
    if (!name || !name[0])
        return "it is empty";
    if (strlen(name) > NAME_MAX_LEN)
        return "it is longer than 63 characters";
    if (name[0] == '.')
        return "it starts with '.' (kept for the index's own files)";
    if (strchr(name, '/'))
        return "it contains '/'";
    return NULL;
}

static int entry_path(const char *name, char *out, size_t len)
{
    if (registry_name_problem(name))
        return -EINVAL;
    char sub[16 + NAME_MAX_LEN];
    snprintf(sub, sizeof(sub), "names/%s", name);
    return registry_run_path(sub, out, len);
}

int registry_claim_name(const char *name, chaos_domid domid,
                        const uint8_t uuid[16])
{
    char path[600], tmp[600];
    int rc = entry_path(name, path, sizeof(path));
    if (!rc)
        rc = registry_run_path("names/.claim-XXXXXX", tmp, sizeof(tmp));
    if (!rc) {
        char dir[600];
        registry_run_path("names", dir, sizeof(dir));
        rc = registry_ensure_dir(dir);
    }
    if (rc)
        return rc;
    /* mkstemp, not a name from the pid: chaosd claims from several threads. */
    int fd = mkstemp(tmp);
    if (fd < 0)
        return -errno;
    char line[64], text[37];
    registry_uuid_format(uuid, text);
    int n = snprintf(line, sizeof(line), "%u %s\n", domid, text);
    ssize_t w = write(fd, line, (size_t)n);
    if (w != n)
        rc = w < 0 ? -errno : -EIO;
    if (close(fd) != 0 && !rc)
        rc = -errno;
    if (!rc && link(tmp, path) != 0)
        rc = -errno;
    unlink(tmp);
    return rc;
}

/* Parses "DOMID UUID\n" exactly; anything else is corrupt. */
static int parse_entry(const char *text, chaos_domid *domid, uint8_t uuid[16])
{
    char *end;
    errno = 0;
    unsigned long id = strtoul(text, &end, 10);
    if (end == text || errno || id > 0xffff || *end != ' ' ||
        strlen(end + 1) != 37 || end[37] != '\n')
        return -EINVAL;
    char u[37];
    memcpy(u, end + 1, 36);
    u[36] = '\0';
    if (registry_uuid_parse(u, uuid) != 0)
        return -EINVAL;
    *domid = (chaos_domid)id;
    return 0;
}

int registry_lookup_name(const char *name, chaos_domid *domid, uint8_t uuid[16])
{
    char path[600];
    int rc = entry_path(name, path, sizeof(path));
    if (rc)
        return rc;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    char text[80];
    ssize_t n = read(fd, text, sizeof(text) - 1);
    rc = n < 0 ? -errno : 0;
    close(fd);
    if (rc)
        return rc;
    text[n] = '\0';
    return parse_entry(text, domid, uuid);
}

/*
 * Removes name's entry if match() says it is the one the caller means,
 * under the directory lock (see the top of the file).
 */
static int remove_if(const char *name,
                     bool (*match)(int rc, chaos_domid domid,
                                   const uint8_t uuid[16], const void *arg),
                     const void *arg)
{
    char path[600], dir[600];
    int rc = entry_path(name, path, sizeof(path));
    if (!rc)
        rc = registry_run_path("names", dir, sizeof(dir));
    if (rc)
        return rc;
    int lock = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (lock < 0)
        return errno == ENOENT ? 0 : -errno; /* no index: nothing to do */
    if (flock(lock, LOCK_EX) != 0) {
        rc = -errno;
        close(lock);
        return rc;
    }
    chaos_domid domid = 0;
    uint8_t uuid[16] = { 0 };
    rc = registry_lookup_name(name, &domid, uuid);
    if (rc == -ENOENT)
        rc = 0;
    else if (rc != 0 && rc != -EINVAL)
        ; /* cannot read: leave it */
    else if (!match(rc, domid, uuid, arg))
        rc = -EBUSY;
    else if (unlink(path) != 0 && errno != ENOENT)
        rc = -errno;
    else
        rc = 0;
    close(lock); /* releases the flock */
    return rc;
}

struct owner {
    chaos_domid domid;
    const uint8_t *uuid;
};

static bool owned_by(int rc, chaos_domid domid, const uint8_t uuid[16],
                     const void *arg)
{
    const struct owner *o = arg;
    return rc == 0 && domid == o->domid &&
           (!o->uuid || memcmp(uuid, o->uuid, 16) == 0);
}

int registry_release_name(const char *name, chaos_domid domid,
                          const uint8_t *uuid)
{
    struct owner o = { domid, uuid };
    return remove_if(name, owned_by, &o);
}

static bool corrupt(int rc, chaos_domid domid, const uint8_t uuid[16],
                    const void *arg)
{
    (void)domid, (void)uuid, (void)arg;
    return rc == -EINVAL;
}

int registry_drop_corrupt_name(const char *name)
{
    return remove_if(name, corrupt, NULL);
}
