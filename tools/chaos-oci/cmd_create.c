/*
 * cmd_create.c - `chaos-oci create --bundle DIR --pid-file FILE
 * [--console-socket SOCK] ID`: config.json to a paused guest and its
 * keeper.  The guest comes from chaosd (its pools) when chaosd answers,
 * else chaos-oci builds it (oci_chaosd.h).  Every failure removes what was
 * made (ROOT/ID, the domain), so a refused bundle leaves nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "oci.h"
#include "oci_chaosd.h"
#include "oci_image.h"
#include "oci_spec.h"

struct create {
    const struct oci_global *g;
    const char *id, *bundle, *pid_file, *console_socket;
    char *dir;
    struct oci_spec spec;
    chaos_ctx *ctx;
    chaos_config *cfg;
    bool made_dir, have_domain;
    int tty; /* process.terminal: the pty's slave, -1: none */
    chaos_domid domid;
    uint8_t uuid[16];
    int chaosd;                      /* chaosd's socket; -1: build here */
    struct oci_chaosd_created howto; /* chaosd's reply */
};

static int read_spec(struct create *c)
{
    char *path;
    if (asprintf(&path, "%s/config.json", c->bundle) < 0)
        return oci_error(c->g, "out of memory");
    FILE *f = fopen(path, "re");
    if (!f) {
        oci_error(c->g, "create %s: %s: %s", c->id, path, strerror(errno));
        free(path);
        return 1;
    }
    free(path);
    size_t cap = 1 << 16, len = 0;
    char *text = malloc(cap);
    size_t n;
    while (text && (n = fread(text + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap && cap < (1u << 24)) {
            char *t = realloc(text, cap *= 2);
            if (!t)
                free(text);
            text = t;
        } else if (len == cap) {
            break;
        }
    }
    fclose(f);
    if (!text)
        return oci_error(c->g, "out of memory");
    char msg[512];
    int r = oci_spec_parse(text, len, c->bundle, &c->spec, msg, sizeof(msg));
    free(text);
    if (r < 0)
        return oci_error(c->g, "create %s: %s", c->id, msg);
    if (c->spec.terminal && !c->console_socket)
        return oci_error(c->g,
                         "create %s: process.terminal is set but no "
                         "--console-socket was given",
                         c->id);
    return 0;
}

/* The guest's name: oci-ID, cut to what Xen names allow here. */
static int guest_config(struct create *c, const char *initrd)
{
    char name[64];
    oci_guest_name(c->id, name, sizeof(name));
    const char *kernel =
        c->spec.kernel ? c->spec.kernel : getenv("CHAOS_OCI_KERNEL");
    if (!kernel)
        kernel = OCI_DEFAULT_KERNEL;
    /* Absolute: chaosd's working directory is not ours. */
    char *kernel_abs = realpath(kernel, NULL);
    if (!kernel_abs || access(kernel_abs, R_OK) < 0) {
        oci_error(c->g,
                  "create %s: kernel %s: %s (set the annotation "
                  "org.chaos.kernel or CHAOS_OCI_KERNEL)",
                  c->id, kernel, strerror(errno));
        free(kernel_abs);
        return 1;
    }
    /* The initramfs is loaded into guest memory and unpacked into its page
     * cache: both at once at boot, on top of the kernel's own needs. */
    struct stat st;
    uint64_t mib = c->spec.memory_mib;
    if (stat(initrd, &st) == 0) {
        uint64_t floor = OCI_MIN_MEMORY_MIB +
                         2 * (((uint64_t)st.st_size + (1 << 20) - 1) >> 20);
        if (mib < floor)
            mib = floor;
    }
    if (!(c->cfg = chaos_config_new())) {
        free(kernel_abs);
        return oci_error(c->g, "out of memory");
    }
    int r = chaos_config_set_name(c->cfg, name);
    if (r == 0)
        r = chaos_config_set_type(c->cfg, CHAOS_GUEST_PV);
    if (r == 0)
        r = chaos_config_set_kernel(c->cfg, kernel_abs);
    free(kernel_abs);
    if (r == 0)
        r = chaos_config_set_ramdisk(c->cfg, initrd);
    if (r == 0)
        r = chaos_config_set_cmdline(c->cfg, OCI_CMDLINE);
    if (r == 0)
        r = chaos_config_set_memory_mib(c->cfg, mib);
    if (r == 0)
        r = chaos_config_set_vcpus(c->cfg, c->spec.vcpus);
    for (int e = CHAOS_ON_POWEROFF; r == 0 && e <= CHAOS_ON_CRASH; e++)
        r = chaos_config_set_action(c->cfg, (enum chaos_event)e,
                                    CHAOS_ACTION_DESTROY);
    if (r == 0)
        r = chaos_config_validate(c->cfg);
    if (r < 0)
        return oci_error(c->g, "create %s: %s", c->id,
                         chaos_config_errmsg(c->cfg));
    return 0;
}

static int write_pid_file(struct create *c, int pid)
{
    char *tmp;
    if (!c->pid_file)
        return 0;
    if (asprintf(&tmp, "%s.chaos-oci.new", c->pid_file) < 0)
        return -ENOMEM;
    FILE *f = fopen(tmp, "we");
    int r = 0;
    if (!f || fprintf(f, "%d", pid) < 0)
        r = -errno;
    if (f && fclose(f) != 0 && r == 0)
        r = -errno;
    if (r == 0 && rename(tmp, c->pid_file) < 0)
        r = -errno;
    if (r < 0)
        unlink(tmp);
    free(tmp);
    return r;
}

static void now_rfc3339(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, len - n, ".%09ldZ", ts.tv_nsec);
}

/* Forks the keeper and waits until it serves the guest. */
static int start_keeper(struct create *c, int *pid_out)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return oci_error(c->g, "create %s: pipe: %s", c->id, strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return oci_error(c->g, "create %s: fork: %s", c->id, strerror(errno));
    }
    if (pid == 0) {
        /* The child never touches the parent's context (Xen handles must
         * not cross a fork): the keeper opens its own. */
        close(p[0]);
        setsid();
        if (c->tty >= 0) {
            /* The program's stdio is the terminal, as under runc. */
            for (int fd = 0; fd < 3; fd++)
                dup2(c->tty, fd);
            close(c->tty);
        }
        _exit(oci_keeper_run(c->dir, c->domid, c->spec.terminal,
                             c->howto.path[0] != '\0', p[1]));
    }
    close(p[1]);
    char buf[1024];
    ssize_t n, got = 0;
    while ((n = read(p[0], buf + got, sizeof(buf) - 1 - (size_t)got)) > 0)
        got += n;
    close(p[0]);
    buf[got > 0 ? got : 0] = '\0';
    if (got > 0 && buf[0] == 'R') {
        *pid_out = pid;
        return 0;
    }
    waitpid(pid, NULL, 0);
    return oci_error(c->g,
                     "create %s: the keeper could not serve the guest: %s",
                     c->id, got > 1 ? buf + 1 : "it died");
}

/* How the guest was made, for the log. */
static void describe(const struct create *c, char *buf, size_t len)
{
    const char *path = c->howto.path;
    if (!path[0])
        snprintf(buf, len, "built by chaos-oci");
    else if (!strcmp(path, "direct"))
        snprintf(buf, len, "built by chaosd directly (no shell fitted)");
    else
        snprintf(buf, len, "from chaosd's %s%s pool of flavor %s",
                 strcmp(path, "pool") ? path : "",
                 strcmp(path, "pool") ? "" : "shell", c->howto.flavor);
}

/*
 * Whether chaosd builds the guest: it answers on its socket, and neither
 * the bundle (org.chaos.direct) nor the environment (CHAOS_OCI_DIRECT=1)
 * asks for chaos-oci's own build.  Without chaosd, chaos-oci builds it,
 * as `chaos create` does.
 */
static void pick_chaosd(struct create *c)
{
    const char *env = getenv("CHAOS_OCI_DIRECT");
    c->chaosd = -1;
    if (c->spec.direct || (env && !strcmp(env, "1")))
        return;
    const char *sock;
    int fd = oci_chaosd_connect(&sock);
    if (fd >= 0)
        c->chaosd = fd;
    else if (fd != -ENOENT && fd != -ECONNREFUSED)
        oci_info(c->g,
                 "create %s: chaosd does not answer on %s (%s): "
                 "building the guest here",
                 c->id, sock, strerror(-fd));
}

/* The paused guest: chaosd's (a pool shell when one fits), or ours. */
static int make_guest(struct create *c)
{
    if (c->chaosd < 0) {
        if (chaos_domain_create(c->ctx, c->cfg, CHAOS_CREATE_PAUSED, &c->domid,
                                NULL) < 0)
            return oci_error(c->g, "create %s: %s", c->id,
                             chaos_errmsg(c->ctx));
        c->have_domain = true;
        return 0;
    }
    char err[1024], source[160];
    snprintf(source, sizeof(source), "chaos-oci %s", c->id);
    int fd = c->chaosd;
    c->chaosd = -1; /* closed by the request */
    if (oci_chaosd_create(fd, c->cfg, source, &c->howto, err, sizeof(err)) <
        0) {
        c->howto.path[0] = '\0';
        return oci_error(c->g, "create %s: chaosd refused the guest: %s", c->id,
                         err);
    }
    /* chaosd's guest from now on; a failure below destroys it as ours
     * (chaosd sees it die and lets it go, as after `chaos destroy`). */
    c->domid = c->howto.domid;
    c->have_domain = true;
    return 0;
}

static int do_create(struct create *c)
{
    int r = read_spec(c);
    if (r)
        return r;
    char *initrd = oci_path(c->g, c->id, "initrd");
    if (!initrd)
        return oci_error(c->g, "out of memory");
    char msg[512];
    const char *host = c->spec.hostname ? c->spec.hostname : c->id;
    if (oci_image_pack(&c->spec, host, c->dir, initrd, msg, sizeof(msg)) < 0) {
        free(initrd);
        return oci_error(c->g, "create %s: %s", c->id, msg);
    }
    /* Absolute (--root may be relative): chaosd reads it too. */
    char *abs = realpath(initrd, NULL);
    free(initrd);
    if (!abs)
        return oci_error(c->g, "create %s: the image: %s", c->id,
                         strerror(errno));
    r = guest_config(c, abs);
    free(abs);
    if (r)
        return r;
    if (c->spec.terminal &&
        oci_pty_send(c->console_socket, &c->tty, msg, sizeof(msg)) < 0)
        return oci_error(c->g, "create %s: %s", c->id, msg);
    char why[256];
    pick_chaosd(c);
    if (chaos_open(&c->ctx) < 0) {
        oci_error(c->g, "create %s: %s", c->id, chaos_errmsg(c->ctx));
        chaos_close(c->ctx);
        c->ctx = NULL;
        return 1;
    }
    if (chaos_supervisor_check_config(c->cfg, why, sizeof(why)) < 0)
        return oci_error(c->g, "create %s: %s", c->id, why);
    if ((r = make_guest(c)))
        return r;
    struct chaos_dominfo info;
    if (chaos_domain_info(c->ctx, c->domid, &info) < 0)
        return oci_error(c->g, "create %s: %s", c->id, chaos_errmsg(c->ctx));
    memcpy(c->uuid, info.uuid, 16);
    struct oci_record rec = {
        .id = (char *)c->id,
        .bundle = (char *)c->bundle,
        .domid = c->domid,
        .has_domain = true,
        .annotations = c->spec.annotations,
        .nannotations = c->spec.nannotations,
        .path = c->howto.path[0] ? c->howto.path : "chaos-oci",
        .flavor = c->howto.flavor[0] ? c->howto.flavor : NULL,
    };
    memcpy(rec.uuid, c->uuid, 16);
    char created[64];
    now_rfc3339(created, sizeof(created));
    rec.created = created;
    /* Saved before the keeper runs: a crash in between leaves a record
     * (status "creating") that `delete` clears, domain included. */
    if ((r = oci_record_save(c->g, &rec)) < 0)
        return oci_error(c->g, "create %s: state.json: %s", c->id,
                         strerror(-r));
    int pid = 0;
    if ((r = start_keeper(c, &pid)))
        return r;
    rec.pid = pid;
    rec.pid_start = oci_pid_start(pid);
    if ((r = oci_record_save(c->g, &rec)) < 0 ||
        (r = write_pid_file(c, pid)) < 0) {
        /* The keeper ends with its guest. */
        chaos_domain_destroy(c->ctx, c->domid);
        c->have_domain = false;
        waitpid(pid, NULL, 0);
        return oci_error(c->g, "create %s: %s: %s", c->id,
                         r == -ENOMEM ? "state" : c->pid_file, strerror(-r));
    }
    char how[128];
    describe(c, how, sizeof(how));
    oci_info(c->g, "create %s: domain %u (%s), paused, %s; keeper %d", c->id,
             c->domid, chaos_config_name(c->cfg), how, pid);
    return 0;
}

int cmd_create(const struct oci_global *g, int argc, char **argv)
{
    static const struct option opts[] = {
        { "bundle", required_argument, NULL, 'b' },
        { "pid-file", required_argument, NULL, 'p' },
        { "console-socket", required_argument, NULL, 'c' },
        { "no-pivot", no_argument, NULL, 'N' },
        { "no-new-keyring", no_argument, NULL, 'K' },
        { "preserve-fds", required_argument, NULL, 'P' },
        { NULL, 0, NULL, 0 },
    };
    struct create c = { .g = g, .bundle = ".", .tty = -1, .chaosd = -1 };
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "+b:", opts, NULL)) != -1) {
        switch (opt) {
            case 'b':
                c.bundle = optarg;
                break;
            case 'p':
                c.pid_file = optarg;
                break;
            case 'c':
                c.console_socket = optarg;
                break;
            case 'N':
            case 'K':
                break; /* meaningless for a VM */
            case 'P':
                if (strcmp(optarg, "0") != 0)
                    return oci_error(g, "create: --preserve-fds is not "
                                        "supported");
                break;
            default:
                return oci_error(g, "create: bad option (see chaos-oci "
                                    "--help)");
        }
    }
    if (optind != argc - 1)
        return oci_error(g, "create: exactly one container ID is needed");
    c.id = argv[optind];
    if (!oci_id_ok(c.id))
        return oci_error(g,
                         "create: \"%s\" is not a valid container ID "
                         "(1-128 of A-Z a-z 0-9 _ . -)",
                         c.id);
    char *bundle = realpath(c.bundle, NULL);
    if (!bundle)
        return oci_error(g, "create %s: bundle %s: %s", c.id, c.bundle,
                         strerror(errno));
    c.bundle = bundle;
    int r = oci_root_make(g);
    if (r < 0) {
        free(bundle);
        return oci_error(g, "create %s: --root %s: %s", c.id, g->root,
                         strerror(-r));
    }
    if (!(c.dir = oci_path(g, c.id, NULL))) {
        free(bundle);
        return oci_error(g, "out of memory");
    }
    if (mkdir(c.dir, 0700) < 0) {
        r = errno == EEXIST
                ? oci_error(g, "create %s: a container with that ID exists",
                            c.id)
                : oci_error(g, "create %s: %s: %s", c.id, c.dir,
                            strerror(errno));
    } else {
        c.made_dir = true;
        r = do_create(&c);
    }
    if (r && c.have_domain)
        chaos_domain_destroy(c.ctx, c.domid);
    if (r && c.made_dir)
        oci_remove(g, c.id);
    if (c.tty >= 0)
        close(c.tty);
    if (c.chaosd >= 0)
        close(c.chaosd);
    if (c.ctx)
        chaos_close(c.ctx);
    if (c.cfg)
        chaos_config_free(c.cfg);
    oci_spec_free(&c.spec);
    free(c.dir);
    free(bundle);
    return r;
}
