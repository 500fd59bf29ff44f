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
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
