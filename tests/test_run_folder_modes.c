/*
 * A run's outputs keep the modes the user gave them across runs (issue:
 * after `chmod 600 out/summary.json out/trace.json` a rerun into the same
 * folder made both 0644 again, because the run removes the last run's
 * outputs when it starts and the atomic writer then saw new files).  Real
 * reruns of the CLI.
 */
#include "support.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static mode_t mode_of(const char *dir, const char *name) {
    char *path = drt_fmt("%s/%s", dir, name);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0, "no %s", path);
    free(path);
    return st.st_mode & 07777;
}

static void run_into(const char *out, const char *more) {
    char *err = NULL;
    int rc = drt_cli(NULL, &err, "run -s %s/examples/lecture.json -o %s -q %s",
                     DR_SOURCE_DIR, out, more);
    cr_assert_eq(rc, 0, "%s", err);
    free(err);
}

Test(run_folder_modes, a_private_summary_and_trace_stay_private_on_rerun) {
    umask(022);
    char *dir = drt_tmpdir();
    char *out = drt_fmt("%s/out", dir);
    run_into(out, "");
    char *s = drt_fmt("%s/summary.json", out),
         *t = drt_fmt("%s/trace.json", out);
    char *r = drt_fmt("%s/report.html", out);
    cr_assert_eq(chmod(s, 0600), 0);
    cr_assert_eq(chmod(t, 0600), 0);
    cr_assert_eq(chmod(r, 0640), 0);
    /* Twice: the kept mode is kept again. */
    for (int i = 0; i < 2; i++) {
        run_into(out, "");
        cr_expect_eq(mode_of(out, "summary.json"), 0600, "summary: %03o",
                     (unsigned)mode_of(out, "summary.json"));
        cr_expect_eq(mode_of(out, "trace.json"), 0600, "trace: %03o",
                     (unsigned)mode_of(out, "trace.json"));
        cr_expect_eq(mode_of(out, "report.html"), 0640, "report: %03o",
                     (unsigned)mode_of(out, "report.html"));
        cr_expect_eq(mode_of(out, "gantt.svg"), 0644, "gantt: %03o",
                     (unsigned)mode_of(out, "gantt.svg"));
        /* And they are the new run's, not empty. */
        char *text = drt_read_file(s, NULL);
        cr_expect(text != NULL && strstr(text, "\"makespan\"") != NULL,
                  "summary: %s", text ? text : "(none)");
        free(text);
    }
    free(s), free(t), free(r);
    free(out);
    drt_rmtree(dir);
    free(dir);
}

Test(run_folder_modes, an_output_the_rerun_does_not_write_is_not_left_empty) {
    umask(022);
    char *dir = drt_tmpdir();
    char *out = drt_fmt("%s/out", dir);
    run_into(out, "");
    char *t = drt_fmt("%s/trace.json", out);
    cr_assert_eq(chmod(t, 0600), 0);
    /* The trace goes elsewhere this time: the folder has none, as before,
     * and no empty placeholder either. */
    char *more = drt_fmt("--trace %s/elsewhere.json", dir);
    run_into(out, more);
    cr_expect_neq(access(t, F_OK), 0, "an old or empty trace.json is left");
    cr_expect_eq(mode_of(dir, "elsewhere.json"), 0644);
    free(more);
    free(t);
    free(out);
    drt_rmtree(dir);
    free(dir);
}
