/*
 * elfdeps.c - reading what an ELF file asks of the dynamic loader.
 *
 * The input is untrusted (users hand in arbitrary files, and the search
 * reads whatever sits in library directories), so: fields are decoded from
 * bytes rather than by casting structures over the file, every offset and
 * size is checked against the file size before use, every count has a cap,
 * and strings must end inside their string table.  Nothing is read whole:
 * headers, the program header table and the dynamic table are small, and
 * strings are read one at a time, so a huge library costs a few reads.
 */
#include "elfdeps.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_PHDR_TABLE (1u << 20) /* bytes of program headers we accept */
#define MAX_DYN_ENTRIES (1u << 16)
#define MAX_NEEDED 4096
#define MAX_STRING 4096 /* longest name or path list we accept */

/* Where the bytes come from: memory (fuzzing, tests) or a file. */
struct src {
    const unsigned char *mem;
    int fd;
    uint64_t size;
};

static int src_read(const struct src *s, uint64_t off, void *buf, size_t len,
                    const char *what, struct tx_error *err)
{
    if (off > s->size || len > s->size - off)
        return tx_fail(err, -EINVAL,
                       "truncated or corrupt: %s (offset %" PRIu64
                       ", %zu bytes) "
                       "lies past the end of the file (%" PRIu64 " bytes)",
                       what, off, len, s->size);
    if (s->mem) {
        memcpy(buf, s->mem + off, len);
        return 0;
    }
    ssize_t r = tx_pread_full(s->fd, buf, len, off);
    if (r < 0)
        return tx_fail(err, (int)r, "read error: %s", strerror((int)-r));
    if ((size_t)r < len)
        return tx_fail(err, -EINVAL, "the file shrank while being read");
    return 0;
}

static uint16_t le16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* The fields of a program header we use (ELF64 layout offsets). */
struct phdr {
    uint32_t type;
    uint64_t offset, vaddr, filesz;
};

static struct phdr decode_phdr(const unsigned char *p)
{
    return (struct phdr){ .type = le32(p),
                          .offset = le64(p + 8),
                          .vaddr = le64(p + 16),
                          .filesz = le64(p + 32) };
}

/* The dynamic string table, as a file range. */
struct strtab {
    uint64_t off, size;
};

/* Reads the NUL-terminated string at offset off of the string table. */
static int read_string(const struct src *s, const struct strtab *t,
                       uint64_t off, const char *what, char **out,
                       struct tx_error *err)
{
    char buf[MAX_STRING + 1];
    if (off >= t->size)
        return tx_fail(err, -EINVAL,
                       "corrupt: %s string offset %" PRIu64
                       " is outside the string table (%" PRIu64 " bytes)",
                       what, off, t->size);
    uint64_t avail = t->size - off;
    size_t len = avail < sizeof(buf) ? (size_t)avail : sizeof(buf);
    int r = src_read(s, t->off + off, buf, len, what, err);
    if (r < 0)
        return r;
    char *nul = memchr(buf, '\0', len);
    if (!nul)
        return tx_fail(
            err, -EINVAL,
            "corrupt: %s string is unterminated or longer than %d bytes", what,
            MAX_STRING);
    *out = strdup(buf);
    return *out ? 0 : tx_fail(err, -ENOMEM, "out of memory");
}

/* Maps a virtual address to a file offset through the PT_LOAD segments. */
static int vaddr_to_offset(const struct phdr *loads, size_t nloads,
                           uint64_t addr, uint64_t *off)
{
    for (size_t i = 0; i < nloads; i++) {
        const struct phdr *p = &loads[i];
        if (addr >= p->vaddr && addr - p->vaddr < p->filesz) {
            uint64_t o = p->offset + (addr - p->vaddr);
            if (o < p->offset)
                return -1; /* wrapped around */
            *off = o;
            return 0;
        }
    }
    return -1;
}

static int check_ident(const unsigned char *id, struct tx_error *err)
{
    if (!elfdeps_has_elf_magic(id, EI_NIDENT))
        return tx_fail(err, -ENOEXEC, "not an ELF file");
    if (id[EI_CLASS] != ELFCLASS64)
        return tx_fail(
            err, -ENOTSUP,
            "%s ELF file; only x86_64 (ELF64, little-endian) is supported",
            id[EI_CLASS] == ELFCLASS32 ? "32-bit" : "unknown-class");
    if (id[EI_DATA] != ELFDATA2LSB)
        return tx_fail(
            err, -ENOTSUP,
            "big-endian ELF file; only x86_64 (ELF64, little-endian) "
            "is supported");
    return 0;
}

static int read_interp(const struct src *s, const struct phdr *p, char **out,
                       struct tx_error *err)
{
    char buf[MAX_STRING + 1];
    if (p->filesz == 0 || p->filesz > MAX_STRING)
        return tx_fail(err, -EINVAL, "corrupt: PT_INTERP of %" PRIu64 " bytes",
                       p->filesz);
    int r = src_read(s, p->offset, buf, (size_t)p->filesz, "PT_INTERP", err);
    if (r < 0)
        return r;
    buf[p->filesz] = '\0';
    if (buf[0] == '\0')
        return tx_fail(err, -EINVAL, "corrupt: empty PT_INTERP");
    *out = strdup(buf);
    return *out ? 0 : tx_fail(err, -ENOMEM, "out of memory");
}

/* The dynamic table entries we care about. */
struct dyninfo {
    bool has_strtab, has_strsz, has_soname, has_rpath, has_runpath;
    uint64_t strtab, strsz, soname, rpath, runpath;
    uint64_t needed[MAX_NEEDED];
    size_t nneeded;
    uint64_t flags_1;
};

static int read_dynamic(const struct src *s, const struct phdr *p,
                        struct dyninfo *d, struct tx_error *err)
{
    uint64_t count = p->filesz / 16;
    if (count > MAX_DYN_ENTRIES)
        return tx_fail(err, -EINVAL,
                       "corrupt: dynamic section of %" PRIu64 " entries",
                       count);
    unsigned char *tab = malloc(count ? (size_t)count * 16 : 1);
    if (!tab)
        return tx_fail(err, -ENOMEM, "out of memory");
    int r =
        src_read(s, p->offset, tab, (size_t)count * 16, "dynamic section", err);
    for (uint64_t i = 0; r == 0 && i < count; i++) {
        uint64_t tag = le64(tab + i * 16), val = le64(tab + i * 16 + 8);
        if (tag == DT_NULL)
            break;
        switch (tag) {
            case DT_NEEDED:
                if (d->nneeded == MAX_NEEDED)
                    r = tx_fail(err, -EINVAL,
                                "corrupt: more than %d DT_NEEDED entries",
                                MAX_NEEDED);
                else
                    d->needed[d->nneeded++] = val;
                break;
            case DT_STRTAB:
                d->has_strtab = true;
                d->strtab = val;
                break;
            case DT_STRSZ:
                d->has_strsz = true;
                d->strsz = val;
                break;
            case DT_SONAME:
                d->has_soname = true;
                d->soname = val;
                break;
            case DT_RPATH:
                d->has_rpath = true;
                d->rpath = val;
                break;
            case DT_RUNPATH:
                d->has_runpath = true;
                d->runpath = val;
                break;
            case DT_FLAGS_1:
                d->flags_1 = val;
                break;
            default:
                break;
        }
    }
    free(tab);
    return r;
}

static int parse(const struct src *s, struct elfdeps_info *info,
                 struct tx_error *err)
{
    unsigned char eh[64];
    struct phdr *loads = NULL;
    unsigned char *phtab = NULL;
    struct dyninfo *d = NULL;
    size_t nloads = 0;
    int r;

    memset(info, 0, sizeof(*info));
    memset(eh, 0, sizeof(eh));
    size_t have = s->size < sizeof(eh) ? (size_t)s->size : sizeof(eh);
    if ((r = src_read(s, 0, eh, have, "ELF header", err)) < 0)
        return r;
    if (have < EI_NIDENT) {
        if (!elfdeps_has_elf_magic(eh, have))
            return tx_fail(err, -ENOEXEC, "not an ELF file");
        return tx_fail(err, -EINVAL, "truncated ELF header (%zu bytes)", have);
    }
    if ((r = check_ident(eh, err)) < 0)
        return r;
    if (have < sizeof(eh))
        return tx_fail(err, -EINVAL, "truncated ELF header (%zu bytes)", have);
    info->type = le16(eh + 16);
    unsigned machine = le16(eh + 18);
    if (machine != EM_X86_64)
        return tx_fail(err, -ENOTSUP,
                       "ELF file for machine %u; only x86_64 (machine %u) "
                       "is supported",
                       machine, EM_X86_64);
    uint64_t phoff = le64(eh + 32);
    unsigned phentsize = le16(eh + 54), phnum = le16(eh + 56);
    if (phnum == PN_XNUM)
        return tx_fail(err, -EINVAL,
                       "unsupported: more than %u program headers",
                       PN_XNUM - 1);
    if (phnum == 0)
        return 0; /* no segments: nothing to load, nothing needed */
    if (phentsize < 56)
        return tx_fail(err, -EINVAL,
                       "corrupt: program header size %u (expected 56)",
                       phentsize);
    if ((uint64_t)phnum * phentsize > MAX_PHDR_TABLE)
        return tx_fail(err, -EINVAL,
                       "corrupt: program header table of %u x %u bytes", phnum,
                       phentsize);

    size_t tabsize = (size_t)phnum * phentsize;
    phtab = malloc(tabsize);
    loads = calloc(phnum, sizeof(*loads));
    d = calloc(1, sizeof(*d));
    if (!phtab || !loads || !d) {
        r = tx_fail(err, -ENOMEM, "out of memory");
        goto out;
    }
    if ((r = src_read(s, phoff, phtab, tabsize, "program header table", err)) <
        0)
        goto out;

    struct phdr dyn = { 0 }, interp = { 0 };
    bool have_dyn = false, have_interp = false;
    for (unsigned i = 0; i < phnum; i++) {
        struct phdr p = decode_phdr(phtab + (size_t)i * phentsize);
        if (p.type == PT_LOAD)
            loads[nloads++] = p;
        else if (p.type == PT_DYNAMIC && !have_dyn)
            dyn = p, have_dyn = true;
        else if (p.type == PT_INTERP && !have_interp)
            interp = p, have_interp = true;
    }
    if (have_interp && (r = read_interp(s, &interp, &info->interp, err)) < 0)
        goto out;
    if (!have_dyn)
        goto out; /* static: no DT_NEEDED to follow */
    info->dynamic = true;
    if ((r = read_dynamic(s, &dyn, d, err)) < 0)
        goto out;
    info->nodeflib = (d->flags_1 & DF_1_NODEFLIB) != 0;
    if (!d->nneeded && !d->has_soname && !d->has_rpath && !d->has_runpath)
        goto out;
    if (!d->has_strtab) {
        r = tx_fail(err, -EINVAL,
                    "corrupt: dynamic section has names but no DT_STRTAB");
        goto out;
    }
    struct strtab t;
    if (vaddr_to_offset(loads, nloads, d->strtab, &t.off) < 0 ||
        t.off >= s->size) {
        r = tx_fail(err, -EINVAL,
                    "corrupt: DT_STRTAB address 0x%" PRIx64
                    " is not in any loaded part of the file",
                    d->strtab);
        goto out;
    }
    t.size = s->size - t.off;
    if (d->has_strsz && d->strsz < t.size)
        t.size = d->strsz;

    for (size_t i = 0; i < d->nneeded; i++) {
        char *name;
        if ((r = read_string(s, &t, d->needed[i], "DT_NEEDED", &name, err)) < 0)
            goto out;
        if (name[0] == '\0') {
            free(name);
            r = tx_fail(err, -EINVAL, "corrupt: empty DT_NEEDED name");
            goto out;
        }
        if ((r = tx_strv_push_owned(&info->needed, name)) < 0) {
            r = tx_fail(err, r, "out of memory");
            goto out;
        }
    }
    if (d->has_soname && (r = read_string(s, &t, d->soname, "DT_SONAME",
                                          &info->soname, err)) < 0)
        goto out;
    if (d->has_runpath && (r = read_string(s, &t, d->runpath, "DT_RUNPATH",
                                           &info->runpath, err)) < 0)
        goto out;
    /* ld.so ignores DT_RPATH when DT_RUNPATH is present (glibc's
     * elf_get_dynamic_info drops it), so it is not even read then. */
    if (d->has_rpath && !d->has_runpath &&
        (r = read_string(s, &t, d->rpath, "DT_RPATH", &info->rpath, err)) < 0)
        goto out;
out:
    free(phtab);
    free(loads);
    free(d);
    if (r < 0)
        elfdeps_info_free(info);
    return r;
}

bool elfdeps_has_elf_magic(const void *data, size_t len)
{
    const unsigned char *p = data;
    return len >= 4 && p[0] == ELFMAG0 && p[1] == ELFMAG1 && p[2] == ELFMAG2 &&
           p[3] == ELFMAG3;
}

int elfdeps_parse_mem(const void *data, size_t len, struct elfdeps_info *info,
                      struct tx_error *err)
{
    struct src s = { .mem = data, .fd = -1, .size = len };
    return parse(&s, info, err);
}

int elfdeps_parse_fd(int fd, struct elfdeps_info *info, struct tx_error *err)
{
    struct stat st;
    memset(info, 0, sizeof(*info));
    if (fstat(fd, &st) < 0)
        return tx_fail(err, -errno, "%s", strerror(errno));
    if (!S_ISREG(st.st_mode))
        return tx_fail(err, -ENOEXEC, "not a regular file");
    struct src s = { .mem = NULL, .fd = fd, .size = (uint64_t)st.st_size };
    return parse(&s, info, err);
}

int elfdeps_parse_file(const char *path, struct elfdeps_info *info,
                       struct tx_error *err)
{
    memset(info, 0, sizeof(*info));
    /* O_NONBLOCK: a FIFO planted where a library is expected must not hang
     * us; parse_fd then rejects it as not a regular file. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return tx_fail(err, -errno, "%s", strerror(errno));
    int r = elfdeps_parse_fd(fd, info, err);
    close(fd);
    return r;
}

void elfdeps_info_free(struct elfdeps_info *info)
{
    free(info->interp);
    free(info->soname);
    free(info->rpath);
    free(info->runpath);
    tx_strv_free(&info->needed);
    memset(info, 0, sizeof(*info));
}
