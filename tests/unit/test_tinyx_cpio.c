/*
 * test_tinyx_cpio.c - the newc writer, checked by reading its archives
 * back with the system's cpio(1) and gzip(1) and by parsing the headers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpio.h"
#include "tinyx_testlib.h"
#include "check_run.h"

static char *D; /* scratch directory of the current test */

static void setup(void)
{
    D = tt_tmpdir();
    unsetenv("SOURCE_DATE_EPOCH");
}

static void teardown(void)
{
    tt_rm_rf(D);
    free(D);
}

/* A file of n pseudo-random bytes (spans several of the writer's chunks). */
static char *make_big(size_t n)
{
    unsigned char *buf = malloc(n);
    uint32_t x = 42;
    for (size_t i = 0; i < n; i++) {
        x = x * 1664525u + 1013904223u;
        buf[i] = (unsigned char)(x >> 24);
    }
    char *path = tt_fmt("%s/big.src", D);
    tt_write(path, buf, n);
    free(buf);
    return path;
}

static void add_file(struct cpio_writer *w, const char *name, unsigned mode,
                     const char *src)
{
    struct tx_error err;
    struct stat st;
    int fd = open(src, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(fstat(fd, &st), 0);
    ck_assert_msg(
        cpio_add_file(w, name, mode, fd, (uint64_t)st.st_size, &err) == 0, "%s",
        err.msg);
    close(fd);
}

/* Writes the sample archive (no device nodes: extracting those needs
 * privileges) to path. */
static void write_sample(const char *path, unsigned flags, uint32_t mtime)
{
    struct tx_error err;
    struct cpio_writer *w;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(cpio_writer_new(&w, fd, flags, mtime, &err), 0);
    ck_assert_int_eq(cpio_add_dir(w, "/d", 0750, &err), 0);
    ck_assert_int_eq(
        cpio_add_data(w, "d/hello.txt", 0640, "hello, world\n", 13, &err), 0);
    ck_assert_int_eq(cpio_add_data(w, "d/empty", 0600, "", 0, &err), 0);
    char *big = make_big(300 * 1000 + 3);
    add_file(w, "d/big", 0755, big);
    free(big);
    ck_assert_int_eq(cpio_add_symlink(w, "d/link", "hello.txt", &err), 0);
    ck_assert_int_eq(cpio_add_symlink(w, "d/abs", "/d/big", &err), 0);
    ck_assert_int_eq(cpio_add_dir(w, "d/sub dir", 0700, &err), 0);
    ck_assert_int_eq(cpio_add_data(w, "d/sub dir/x", 04711, "x", 1, &err), 0);
    ck_assert_msg(cpio_finish(w, &err) == 0, "%s", err.msg);
    cpio_writer_free(w);
    ck_assert_int_eq(close(fd), 0);
}

static void expect_mode(const char *path, unsigned mode)
{
    struct stat st;
    ck_assert_msg(lstat(path, &st) == 0, "%s missing", path);
    ck_assert_msg((st.st_mode & 07777) == mode, "%s: mode %04o, want %04o",
                  path, st.st_mode & 07777, mode);
}

static void expect_extracted(const char *x)
{
    char *p = tt_fmt("%s/d/hello.txt", x);
    size_t len;
    char *data = tt_read(p, &len);
    ck_assert_ptr_nonnull(data);
    ck_assert_str_eq(data, "hello, world\n");
    free(data);
    expect_mode(p, 0640);
    free(p);

    p = tt_fmt("%s/d/big", x);
    char *src = tt_fmt("%s/big.src", D);
    ck_assert_int_eq(tt_sh("cmp -s '%s' '%s'", p, src), 0);
    expect_mode(p, 0755);
    free(src);
    free(p);

    p = tt_fmt("%s/d/empty", x);
    data = tt_read(p, &len);
    ck_assert_ptr_nonnull(data);
    ck_assert_int_eq(len, 0);
    free(data);
    free(p);

    char target[256];
    p = tt_fmt("%s/d/link", x);
    ssize_t n = readlink(p, target, sizeof(target) - 1);
    ck_assert_int_eq(n, 9);
    target[n] = '\0';
    ck_assert_str_eq(target, "hello.txt");
    free(p);
    p = tt_fmt("%s/d/abs", x);
    n = readlink(p, target, sizeof(target) - 1);
    ck_assert_int_gt(n, 0);
    target[n] = '\0';
    ck_assert_str_eq(target, "/d/big");
    free(p);

    p = tt_fmt("%s/d/sub dir", x);
    expect_mode(p, 0700);
    free(p);
    p = tt_fmt("%s/d", x);
    expect_mode(p, 0750);
    free(p);
}

START_TEST(test_readback_with_cpio)
{
    char *a = tt_fmt("%s/a.cpio", D);
    char *x = tt_fmt("%s/x", D);
    write_sample(a, 0, 0);
    tt_mkdirs(x);
    tt_sh_ok("cd '%s' && cpio -idm --quiet <'%s'", x, a);
    expect_extracted(x);
    /* cpio -t sees exactly the entries, in order, and no leading '/'. */
    int st;
    char *list = tt_capture(&st, "cpio -t --quiet <'%s'", a);
    ck_assert_int_eq(st, 0);
    ck_assert_str_eq(list, "d\nd/hello.txt\nd/empty\nd/big\nd/link\nd/abs\nd/"
                           "sub dir\nd/sub dir/x\n");
    free(list);
    free(a);
    free(x);
}
END_TEST

START_TEST(test_headers)
{
    char *a = tt_fmt("%s/a.cpio", D);
    write_sample(a, 0, 0);
    size_t len;
    unsigned char *data = (unsigned char *)tt_read(a, &len);
    struct tt_cpio_entry e[16];
    int n = tt_cpio_parse(data, len, e, 16);
    ck_assert_int_eq(n, 8);
    for (int i = 0; i < n; i++) {
        ck_assert_uint_eq(e[i].ino, (uint32_t)i + 1); /* sequential */
        ck_assert_uint_eq(e[i].uid, 0);
        ck_assert_uint_eq(e[i].gid, 0);
        ck_assert_uint_eq(e[i].mtime, 0);
        ck_assert_uint_eq(e[i].nlink, S_ISDIR(e[i].mode) ? 2 : 1);
    }
    ck_assert_uint_eq(e[0].mode, S_IFDIR | 0750);
    ck_assert_uint_eq(e[3].size, 300003);
    ck_assert_uint_eq(e[4].mode, S_IFLNK | 0777);
    ck_assert_uint_eq(e[7].mode, S_IFREG | 04711);
    free(data);
    free(a);
}
END_TEST

START_TEST(test_device_nodes)
{
    char *a = tt_fmt("%s/n.cpio", D);
    struct tx_error err;
    struct cpio_writer *w;
    int fd = open(a, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_eq(cpio_writer_new(&w, fd, 0, 0, &err), 0);
    ck_assert_int_eq(cpio_add_node(w, "dev/console", 'c', 5, 1, 0600, &err), 0);
    ck_assert_int_eq(cpio_add_node(w, "dev/sda", 'b', 8, 0, 0660, &err), 0);
    ck_assert_int_eq(cpio_add_node(w, "dev/bad", 'x', 1, 1, 0600, &err),
                     -EINVAL);
    ck_assert_int_eq(cpio_finish(w, &err), 0);
    cpio_writer_free(w);
    close(fd);
    int st;
    char *list = tt_capture(&st, "cpio -tv --quiet <'%s'", a);
    ck_assert_int_eq(st, 0);
    ck_assert_msg(strstr(list, "crw-------") && strstr(list, "5,   1") &&
                      strstr(list, "brw-rw----") && strstr(list, "8,   0"),
                  "%s", list);
    free(list);
    size_t len;
    unsigned char *data = (unsigned char *)tt_read(a, &len);
    struct tt_cpio_entry e[4];
    ck_assert_int_eq(tt_cpio_parse(data, len, e, 4), 2);
    ck_assert_uint_eq(e[0].rmajor, 5);
    ck_assert_uint_eq(e[0].rminor, 1);
    ck_assert_uint_eq(e[0].mode, S_IFCHR | 0600);
    free(data);
    free(a);
}
END_TEST

START_TEST(test_gzip)
{
    char *plain = tt_fmt("%s/a.cpio", D);
    char *gz = tt_fmt("%s/a.cpio.gz", D);
    char *x = tt_fmt("%s/x", D);
    write_sample(plain, 0, 0);
    write_sample(gz, CPIO_GZIP, 0);
    /* Same archive inside; readable by the standard tools. */
    tt_sh_ok("gzip -t '%s'", gz);
    tt_sh_ok("gzip -dc '%s' | cmp -s - '%s'", gz, plain);
    int st;
    char *list = tt_capture(&st, "gzip -dc '%s' | cpio -t --quiet", gz);
    ck_assert_int_eq(st, 0);
    ck_assert_ptr_nonnull(strstr(list, "d/big\n"));
    free(list);
    tt_mkdirs(x);
    tt_sh_ok("cd '%s' && gzip -dc '%s' | cpio -idm --quiet", x, gz);
    expect_extracted(x);
    /* The gzip header: no name (FLG 0), no time (MTIME 0), Unix. */
    size_t len;
    unsigned char *data = (unsigned char *)tt_read(gz, &len);
    ck_assert_int_ge(len, 10);
    ck_assert_uint_eq(data[0], 0x1f);
    ck_assert_uint_eq(data[1], 0x8b);
    ck_assert_uint_eq(data[3], 0);
    ck_assert(data[4] == 0 && data[5] == 0 && data[6] == 0 && data[7] == 0);
    ck_assert_uint_eq(data[9], 3);
    free(data);
    free(plain);
    free(gz);
    free(x);
}
END_TEST

START_TEST(test_reproducible_and_epoch)
{
    char *a = tt_fmt("%s/a.cpio.gz", D), *b = tt_fmt("%s/b.cpio.gz", D);
    write_sample(a, CPIO_GZIP, 0);
    sleep(1); /* a clock leaking in would show */
    write_sample(b, CPIO_GZIP, 0);
    ck_assert_int_eq(tt_sh("cmp -s '%s' '%s'", a, b), 0);

    struct tx_error err;
    uint32_t mtime = 7;
    ck_assert_int_eq(cpio_mtime_from_env(&mtime, &err), 0);
    ck_assert_uint_eq(mtime, 0);
    setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
    ck_assert_int_eq(cpio_mtime_from_env(&mtime, &err), 0);
    ck_assert_uint_eq(mtime, 1700000000u);
    setenv("SOURCE_DATE_EPOCH", "yesterday", 1);
    ck_assert_int_eq(cpio_mtime_from_env(&mtime, &err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "SOURCE_DATE_EPOCH"));
    setenv("SOURCE_DATE_EPOCH", "99999999999", 1);
    ck_assert_int_eq(cpio_mtime_from_env(&mtime, &err), -EINVAL);
    unsetenv("SOURCE_DATE_EPOCH");

    char *c = tt_fmt("%s/c.cpio", D);
    write_sample(c, 0, 1700000000u);
    size_t len;
    unsigned char *data = (unsigned char *)tt_read(c, &len);
    struct tt_cpio_entry e[16];
    ck_assert_int_eq(tt_cpio_parse(data, len, e, 16), 8);
    ck_assert_uint_eq(e[2].mtime, 1700000000u);
    free(data);
    free(a);
    free(b);
    free(c);
}
END_TEST

START_TEST(test_size_mismatch)
{
    char *src = tt_fmt("%s/s", D), *a = tt_fmt("%s/a.cpio", D);
    tt_write_str(src, "12345");
    struct tx_error err;
    struct cpio_writer *w;
    int out = open(a, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int in = open(src, O_RDONLY);
    ck_assert_int_eq(cpio_writer_new(&w, out, 0, 0, &err), 0);
    ck_assert_int_eq(cpio_add_file(w, "s", 0644, in, 10, &err), -EIO);
    ck_assert_ptr_nonnull(strstr(err.msg, "shrank"));
    /* After an error the writer refuses to go on. */
    ck_assert_int_lt(cpio_add_dir(w, "d", 0755, &err), 0);
    cpio_writer_free(w);
    lseek(in, 0, SEEK_SET);
    ck_assert_int_eq(cpio_writer_new(&w, out, 0, 0, &err), 0);
    ck_assert_int_eq(cpio_add_file(w, "s", 0644, in, 3, &err), -EIO);
    ck_assert_ptr_nonnull(strstr(err.msg, "grew"));
    cpio_writer_free(w);
    /* Names: empty or only slashes are refused. */
    ck_assert_int_eq(cpio_writer_new(&w, out, 0, 0, &err), 0);
    ck_assert_int_eq(cpio_add_dir(w, "/", 0755, &err), -EINVAL);
    cpio_writer_free(w);
    close(in);
    close(out);
    free(src);
    free(a);
}
END_TEST

START_TEST(test_write_error)
{
    struct tx_error err;
    struct cpio_writer *w;
    int fd = open("/dev/full", O_WRONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(cpio_writer_new(&w, fd, 0, 0, &err), 0);
    char *big = make_big(200 * 1000);
    int in = open(big, O_RDONLY);
    int r = cpio_add_file(w, "big", 0644, in, 200 * 1000, &err);
    if (r == 0)
        r = cpio_finish(w, &err);
    ck_assert_int_eq(r, -ENOSPC);
    ck_assert_ptr_nonnull(strstr(err.msg, "writing the archive"));
    cpio_writer_free(w);
    close(in);
    close(fd);
    free(big);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tinyx-cpio");
    TCase *tc = tcase_create("cpio");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_readback_with_cpio);
    tcase_add_test(tc, test_headers);
    tcase_add_test(tc, test_device_nodes);
    tcase_add_test(tc, test_gzip);
    tcase_add_test(tc, test_reproducible_and_epoch);
    tcase_add_test(tc, test_size_mismatch);
    tcase_add_test(tc, test_write_error);
    suite_add_tcase(s, tc);
    return check_run(s);
}
