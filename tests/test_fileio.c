/*
 * Atomic output files (graph/fileio.c): the permissions they get.  A new
 * file honours the umask as a plain `> file` would, and a replaced file
 * keeps its mode (issue 9: every output was forced to 0644, so a summary
 * made private with chmod 600 became world-readable on the next run).
 * Each Criterion test runs in its own process, so setting the umask here
 * touches no other test.
 */
#include "dagrun.h"
#include "support.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static mode_t mode_of(const char *path) {
    struct stat st;
    cr_assert_eq(stat(path, &st), 0, "no %s", path);
    return st.st_mode & 07777;
}

static void write_ok(const char *path, const char *text) {
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(dr_write_file_atomic(path, text, strlen(text), &err), 0, "%s",
                 err.text);
}

/* Number of entries in a folder besides . and .. */
static int entries(const char *dir) {
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

Test(fileio, a_new_file_honours_the_umask) {
    static const mode_t masks[] = {077, 022, 002, 027};
    char *dir = drt_tmpdir();
    for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
        umask(masks[i]);
        char *path = drt_fmt("%s/out-%zu.json", dir, i);
        write_ok(path, "{}\n");
        cr_expect_eq(mode_of(path), 0666 & ~masks[i],
                     "umask %03o gave %03o, expected %03o", (unsigned)masks[i],
                     (unsigned)mode_of(path), (unsigned)(0666 & ~masks[i]));
        free(path);
    }
    cr_expect_eq(entries(dir), 4, "temporary files were left behind");
    drt_rmtree(dir);
    free(dir);
}

Test(fileio, a_replaced_file_keeps_its_mode) {
    umask(022);
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/summary.json", dir);
    static const mode_t modes[] = {0600, 0640, 0444, 0755};
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        write_ok(path, "old\n");
        cr_assert_eq(chmod(path, modes[i]), 0);
        write_ok(path, "new\n");
        cr_expect_eq(mode_of(path), modes[i], "mode %03o became %03o",
                     (unsigned)modes[i], (unsigned)mode_of(path));
        char *text = drt_read_file(path, NULL);
        cr_expect_str_eq(text, "new\n");
        free(text);
    }
    cr_expect_eq(entries(dir), 1, "temporary files were left behind");
    free(path);
    drt_rmtree(dir);
    free(dir);
}

Test(fileio, a_failed_write_reports_the_path_and_leaves_nothing) {
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/no/such/folder/out.json", dir);
    dr_error err;
    dr_error_clear(&err);
    cr_expect_eq(dr_write_file_atomic(path, "x", 1, &err), DR_EIO);
    cr_expect(strstr(err.text, path) != NULL &&
                  strstr(err.text, "cannot write: No such file or directory") !=
                      NULL,
              "%s", err.text);
    cr_expect_eq(entries(dir), 0);
    free(path);
    drt_rmtree(dir);
    free(dir);
}

Test(fileio, cli_outputs_honour_the_umask_and_keep_a_private_mode) {
    char *dir = drt_tmpdir();
    char *err = NULL;
    int rc = drt_cli(NULL, &err,
                     "gen chain -o %s/a.json && umask 077 && %s gen chain -o "
                     "%s/b.json && %s convert %s/a.json -o %s/c.json",
                     dir, drt_cli_path(), dir, drt_cli_path(), dir, dir);
    cr_assert_eq(rc, 0, "%s", err);
    free(err);
    char *b = drt_fmt("%s/b.json", dir), *c = drt_fmt("%s/c.json", dir);
    cr_expect_eq(mode_of(b), 0600, "gen under umask 077: %03o",
                 (unsigned)mode_of(b));
    cr_expect_eq(mode_of(c), 0600, "convert under umask 077: %03o",
                 (unsigned)mode_of(c));
    /* A private file stays private when a looser umask replaces it. */
    rc = drt_cli(NULL, &err, "gen tree -o %s/b.json", dir);
    cr_assert_eq(rc, 0, "%s", err);
    free(err);
    cr_expect_eq(mode_of(b), 0600, "replaced: %03o", (unsigned)mode_of(b));
    free(b);
    free(c);
    drt_rmtree(dir);
    free(dir);
}

Test(fileio, a_name_near_the_length_limit_still_fits_its_temporary) {
    /* The temporary name adds 11 bytes (".tmp.XXXXXX"), as mkstemp's did:
     * a 244-byte name still writes on a file system of 255-byte names. */
    char *dir = drt_tmpdir();
    char base[245];
    memset(base, 'n', 239);
    strcpy(base + 239, ".json");
    char *path = drt_fmt("%s/%s", dir, base);
    write_ok(path, "{}\n");
    cr_expect_eq(entries(dir), 1);
    free(path);
    drt_rmtree(dir);
    free(dir);
}

/* ------------------------------------------------------------------
 * Only a regular file is replaced (acceptance tester: as root, `dagrun
 * gantt trace.json -o /dev/null` renamed a regular file over /dev/null, and
 * `-o link.svg` replaced the link instead of its target). */

static int write_rc(const char *path, const char *text, dr_error *err) {
    dr_error_clear(err);
    return dr_write_file_atomic(path, text, strlen(text), err);
}

/* A private character device like /dev/null (major 1, minor 3), made with
 * mknod; NULL when this user may not make one (not root). */
static char *private_null(const char *dir) {
    char *path = drt_fmt("%s/null", dir);
    if (mknod(path, S_IFCHR | 0666, makedev(1, 3)) != 0) {
        free(path);
        return NULL;
    }
    return path;
}

/* Writing to a device made here leaves it a device: checked first by the
 * tests that then write to the machine's own /dev/null or /dev/stdout, so
 * a broken writer fails on a scratch device before it could replace a
 * system one. */
static void guard_devices_stay_devices(void) {
    char *dir = drt_tmpdir();
    char *dev = private_null(dir);
    if (dev != NULL) {
        dr_error err;
        cr_assert_eq(write_rc(dev, "x\n", &err), 0, "%s", err.text);
        struct stat st;
        cr_assert_eq(lstat(dev, &st), 0);
        cr_assert(S_ISCHR(st.st_mode),
                  "the writer replaced a character device: not touching "
                  "/dev/null");
        free(dev);
    }
    drt_rmtree(dir);
    free(dir);
}

Test(fileio, a_character_device_is_written_in_place_not_replaced) {
    char *dir = drt_tmpdir();
    char *dev = private_null(dir);
    if (dev == NULL) {
        drt_rmtree(dir);
        free(dir);
        cr_skip_test("mknod needs root");
    }
    dr_error err;
    cr_expect_eq(write_rc(dev, "{}\n", &err), 0, "%s", err.text);
    struct stat st;
    cr_assert_eq(lstat(dev, &st), 0);
    cr_expect(S_ISCHR(st.st_mode), "the device became mode %o",
              (unsigned)st.st_mode);
    cr_expect_eq(st.st_rdev, makedev(1, 3));
    cr_expect_eq(entries(dir), 1, "temporary files were left behind");
    free(dev);
    drt_rmtree(dir);
    free(dir);
}

Test(fileio, dev_null_stays_a_character_device) {
    guard_devices_stay_devices();
    dr_error err;
    cr_expect_eq(write_rc("/dev/null", "{}\n", &err), 0, "%s", err.text);
    struct stat st;
    cr_assert_eq(lstat("/dev/null", &st), 0);
    cr_expect(S_ISCHR(st.st_mode), "/dev/null is now mode %o",
              (unsigned)st.st_mode);
}

Test(fileio, a_fifo_is_written_in_place_for_its_reader) {
    char *dir = drt_tmpdir();
    char *fifo = drt_fmt("%s/pipe", dir);
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    /* A real reader: cat, blocked in open() until a writer comes. */
    char *argv[] = {"cat", "pipe", NULL};
    pid_t pid = drt_start(dir, "/bin/cat", argv, NULL, "got", NULL);
    dr_error err;
    cr_expect_eq(write_rc(fifo, "through the pipe\n", &err), 0, "%s", err.text);
    /* A deadline, not a measurement: a writer that replaced the FIFO
     * never reaches cat, which is then killed. */
    int status;
    cr_expect_eq(drt_reap(pid, 60, &status), 0, "cat never got a writer");
    char *got = drt_text_in(dir, "got");
    cr_expect_str_eq(got, "through the pipe\n");
    free(got);
    struct stat st;
    cr_assert_eq(lstat(fifo, &st), 0);
    cr_expect(S_ISFIFO(st.st_mode), "the FIFO became mode %o",
              (unsigned)st.st_mode);
    cr_expect_eq(entries(dir), 2, "temporary files were left behind");
    free(fifo);
    drt_rmtree(dir);
    free(dir);
}

Test(fileio, dev_fd_n_writes_to_that_descriptor) {
    /* Opened for appending: writing to the descriptor keeps what is there,
     * as `>> file` with `-o /dev/fd/3` would. */
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/log", dir);
    cr_assert_eq(drt_write_file(path, "before\n"), 0);
    int fd = open(path, O_WRONLY | O_APPEND);
    cr_assert(fd >= 0);
    char *name = drt_fmt("/dev/fd/%d", fd);
    dr_error err;
    cr_expect_eq(write_rc(name, "after\n", &err), 0, "%s", err.text);
    close(fd);
    char *text = drt_read_file(path, NULL);
    cr_expect_str_eq(text, "before\nafter\n");
    free(text);
    free(name);
    free(path);
    drt_rmtree(dir);
    free(dir);
}

Test(fileio, dev_stdout_writes_to_standard_output) {
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/out", dir);
    /* First the same through /dev/fd/N, which a broken writer fails
     * without touching anything shared. */
    cr_assert_eq(drt_write_file(path, "before\n"), 0);
    int fd = open(path, O_WRONLY | O_APPEND);
    cr_assert(fd >= 0);
    char *name = drt_fmt("/dev/fd/%d", fd);
    dr_error err;
    cr_assert_eq(write_rc(name, "", &err), 0, "%s", err.text);
    free(name);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        dup2(fd, 1);
        dr_error e;
        _exit(write_rc("/dev/stdout", "on stdout\n", &e) == 0 ? 0 : 1);
    }
    close(fd);
    int status;
    cr_assert_eq(drt_reap(pid, 60, &status), 0);
    cr_expect_eq(drt_exit_code(status), 0);
    char *text = drt_read_file(path, NULL);
    cr_expect_str_eq(text, "before\non stdout\n");
    free(text);
    struct stat st;
    cr_assert_eq(lstat("/dev/stdout", &st), 0);
    cr_expect(S_ISLNK(st.st_mode), "/dev/stdout is no longer a link");
    free(path);
    drt_rmtree(dir);
    free(dir);
}

Test(fileio, a_symlink_stays_and_its_target_is_replaced) {
    umask(022);
    char *dir = drt_tmpdir();
    char *sub = drt_fmt("%s/pictures", dir);
    cr_assert_eq(mkdir(sub, 0777), 0);
    char *target = drt_fmt("%s/gantt.svg", sub);
    char *link = drt_fmt("%s/link.svg", dir);
    cr_assert_eq(drt_write_file(target, "old\n"), 0);
    cr_assert_eq(chmod(target, 0640), 0);
    cr_assert_eq(symlink("pictures/gantt.svg", link), 0);
    dr_error err;
    cr_expect_eq(write_rc(link, "new\n", &err), 0, "%s", err.text);
    struct stat st;
    cr_assert_eq(lstat(link, &st), 0);
    cr_expect(S_ISLNK(st.st_mode), "the link was replaced by a file");
    char buf[64];
    ssize_t n = readlink(link, buf, sizeof(buf) - 1);
    cr_assert(n > 0);
    buf[n] = '\0';
    cr_expect_str_eq(buf, "pictures/gantt.svg");
    char *text = drt_read_file(target, NULL);
    cr_expect_str_eq(text, "new\n");
    free(text);
    cr_expect_eq(mode_of(target), 0640, "the target's mode became %03o",
                 (unsigned)mode_of(target));
    /* The temporary file went beside the target and is gone. */
    cr_expect_eq(entries(dir), 2);
    cr_expect_eq(entries(sub), 1);
    free(target);
    free(link);
    free(sub);
    drt_rmtree(dir);
    free(dir);
}

Test(fileio, a_dangling_symlink_is_refused_and_nothing_is_created) {
    char *dir = drt_tmpdir();
    char *link = drt_fmt("%s/link.svg", dir);
    cr_assert_eq(symlink("missing/gantt.svg", link), 0);
    char *missing = drt_fmt("%s/missing", dir);
    cr_assert_eq(mkdir(missing, 0777), 0);
    dr_error err;
    cr_expect_eq(write_rc(link, "new\n", &err), DR_EIO);
    cr_expect(strstr(err.text, link) != NULL &&
                  strstr(err.text, "symbolic link to 'missing/gantt.svg'") !=
                      NULL,
              "%s", err.text);
    struct stat st;
    cr_assert_eq(lstat(link, &st), 0);
    cr_expect(S_ISLNK(st.st_mode), "the link was replaced by a file");
    cr_expect_eq(entries(missing), 0, "the link's target was created");
    cr_expect_eq(entries(dir), 2, "temporary files were left behind");
    free(missing);
    free(link);
    drt_rmtree(dir);
    free(dir);
}

Test(fileio, a_folder_is_an_error_naming_it) {
    char *dir = drt_tmpdir();
    char *sub = drt_fmt("%s/out.svg", dir);
    cr_assert_eq(mkdir(sub, 0777), 0);
    dr_error err;
    cr_expect_eq(write_rc(sub, "x\n", &err), DR_EIO);
    cr_expect(strstr(err.text, sub) != NULL &&
                  strstr(err.text, "Is a directory") != NULL,
              "%s", err.text);
    cr_expect_eq(entries(dir), 1, "temporary files were left behind");
    cr_expect_eq(entries(sub), 0);
    free(sub);
    drt_rmtree(dir);
    free(dir);
}

Test(fileio, cli_output_to_dev_null_and_through_a_link) {
    guard_devices_stay_devices();
    char *dir = drt_tmpdir();
    char *err = NULL;
    int rc = drt_cli(NULL, &err,
                     "gen chain -o /dev/null && ln -s real.json %s/link.json "
                     "&& echo old > %s/real.json && %s gen chain -o "
                     "%s/link.json",
                     dir, dir, drt_cli_path(), dir);
    cr_expect_eq(rc, 0, "%s", err);
    free(err);
    struct stat st;
    cr_assert_eq(lstat("/dev/null", &st), 0);
    cr_expect(S_ISCHR(st.st_mode), "/dev/null is now mode %o",
              (unsigned)st.st_mode);
    char *link = drt_fmt("%s/link.json", dir);
    cr_assert_eq(lstat(link, &st), 0);
    cr_expect(S_ISLNK(st.st_mode), "the link was replaced by a file");
    char *text = drt_text_in(dir, "real.json");
    cr_expect(strstr(text, "\"tasks\"") != NULL, "target: %s", text);
    free(text);
    free(link);
    drt_rmtree(dir);
    free(dir);
}

Test(fileio, picture_commands_write_to_dev_null_whatever_its_name) {
    /* The acceptance tester's command: `gantt trace.json -o /dev/null`
     * (and viz's) are accepted without an extension, written in place. */
    guard_devices_stay_devices();
    char *dir = drt_tmpdir();
    char *err = NULL;
    int rc = drt_cli(NULL, &err,
                     "run -s %s/examples/lecture.json --no-outputs -q "
                     "--trace %s/t.json",
                     DR_SOURCE_DIR, dir);
    cr_assert_eq(rc, 0, "%s", err);
    free(err);
    rc = drt_cli(NULL, &err, "gantt %s/t.json -o /dev/null", dir);
    cr_expect_eq(rc, 0, "gantt: %s", err);
    free(err);
    rc = drt_cli(NULL, &err, "viz %s/examples/lecture.json -o /dev/null",
                 DR_SOURCE_DIR);
    cr_expect_eq(rc, 0, "viz: %s", err);
    free(err);
    struct stat st;
    cr_assert_eq(lstat("/dev/null", &st), 0);
    cr_expect(S_ISCHR(st.st_mode), "/dev/null is now mode %o",
              (unsigned)st.st_mode);
    drt_rmtree(dir);
    free(dir);
}
