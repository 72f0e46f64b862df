/*
 * lab-vg-xen.so: lets valgrind's memcheck run a program that makes Xen
 * hypercalls (chaosd, in tests/lab/test-chaosd-valgrind.sh).
 *
 *   LD_PRELOAD=/lab/bin/lab-vg-xen.so valgrind ... chaosd ...
 *
 * Why: Debian 12's valgrind (3.19) checks every domctl and sysctl it sees
 * against the Xen interface versions it knows (up to 0x12 for domctl) and
 * fails the others with ENOSYS without making them.  Xen 4.17 speaks domctl
 * 0x15, so under valgrind every libxenctrl call fails at once.  No valgrind
 * option turns that check off, and no newer valgrind is packaged for
 * Debian 12, so this shim stands in for the missing knowledge.
 *
 * What it does: libxencall makes each hypercall with
 * ioctl(fd, IOCTL_PRIVCMD_HYPERCALL, &call).  This library's ioctl() makes
 * that one request itself, outside valgrind's syscall wrappers
 * (VALGRIND_NON_SIMD_CALL runs a function on the real CPU), and passes
 * every other request on as a plain ioctl system call that valgrind
 * follows as usual.  Xen writes its answers into the hypercall buffers
 * (pages libxencall maps from /dev/xen/hypercall) behind valgrind's back,
 * so after each hypercall every such mapping is marked defined; the
 * mappings are tracked by wrapping mmap() and munmap().
 *
 * What it costs: memcheck no longer checks what goes into a hypercall
 * (undefined bytes sent to Xen go unseen); everything else it checks as
 * before.  Outside valgrind the library only passes calls on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <valgrind/memcheck.h>
#include <valgrind/valgrind.h>

/* linux/include/uapi/xen/privcmd.h: _IOC(_IOC_NONE, 'P', 0, 48). */
#define PRIVCMD_HYPERCALL 0x305000UL
#define HYPERCALL_DEVICE "/dev/xen/hypercall"
#define MAX_BUFFERS 256

/* The hypercall buffer mappings: libxencall keeps a few, reused. */
static struct {
    void *addr;
    size_t len;
} buffers[MAX_BUFFERS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static long raw_syscall6(long nr, long a, long b, long c, long d, long e,
                         long f)
{
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "0"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
                       "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

/* Returns -errno on failure, as the kernel does; sets errno as libc does. */
static long result(long ret)
{
    if (ret < 0 && ret > -4096) {
        errno = (int)-ret;
        return -1;
    }
    return ret;
}

/* Run by valgrind on the real CPU: first argument is valgrind's thread id. */
static long native_ioctl(long tid, long fd, long req, long arg)
{
    (void)tid;
    return raw_syscall6(SYS_ioctl, fd, req, arg, 0, 0, 0);
}

static int is_hypercall_device(int fd)
{
    static dev_t rdev;
    static int known; /* 1: rdev holds the device's number; -1: no device */
    struct stat st;
    if (!known) {
        known = stat(HYPERCALL_DEVICE, &st) == 0 ? (rdev = st.st_rdev, 1) : -1;
    }
    return known == 1 && fd >= 0 && fstat(fd, &st) == 0 &&
           S_ISCHR(st.st_mode) && st.st_rdev == rdev;
}

static void mark_buffers_defined(void)
{
    pthread_mutex_lock(&lock);
    for (int i = 0; i < MAX_BUFFERS; i++)
        if (buffers[i].addr)
            VALGRIND_MAKE_MEM_DEFINED(buffers[i].addr, buffers[i].len);
    pthread_mutex_unlock(&lock);
}

int ioctl(int fd, unsigned long req, ...)
{
    va_list ap;
    va_start(ap, req);
    long arg = (long)va_arg(ap, void *);
    va_end(ap);
    if (req != PRIVCMD_HYPERCALL || !RUNNING_ON_VALGRIND)
        return (int)result(
            raw_syscall6(SYS_ioctl, fd, (long)req, arg, 0, 0, 0));
    long ret = (long)VALGRIND_NON_SIMD_CALL3(native_ioctl, fd, req, arg);
    mark_buffers_defined();
    return (int)result(ret);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    long ret =
        raw_syscall6(SYS_mmap, (long)addr, (long)len, prot, flags, fd, off);
    if (ret < 0 && ret > -4096) {
        errno = (int)-ret;
        return MAP_FAILED;
    }
    if (RUNNING_ON_VALGRIND && is_hypercall_device(fd)) {
        pthread_mutex_lock(&lock);
        for (int i = 0; i < MAX_BUFFERS; i++)
            if (!buffers[i].addr) {
                buffers[i].addr = (void *)ret;
                buffers[i].len = len;
                break;
            }
        pthread_mutex_unlock(&lock);
    }
    return (void *)ret;
}

int munmap(void *addr, size_t len)
{
    pthread_mutex_lock(&lock);
    for (int i = 0; i < MAX_BUFFERS; i++)
        if (buffers[i].addr == addr)
            buffers[i].addr = NULL;
    pthread_mutex_unlock(&lock);
    return (int)result(
        raw_syscall6(SYS_munmap, (long)addr, (long)len, 0, 0, 0, 0));
}
