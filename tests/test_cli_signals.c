/*
 * Signals that reach `dagrun run` after its tasks have ended, while it
 * draws the pictures (cli/draw_guard.c), for real: a real dagrun on a graph
 * of 100,000 tasks, whose pictures take seconds to draw, is sent the signal
 * as soon as it has printed where its summary went (the line printed, and
 * flushed, just before the drawing starts).  It must stop the drawing at
 * once and cleanly: exit 130 with one line saying so, trace.json and
 * summary.json complete and unchanged ("interrupted": false: the tasks
 * were not interrupted), no picture, no temporary file, no RUNNING file and
 * no process left.  Also: when the trace cannot be written, the summary
 * still is, and each failure is reported by its file.
 */
#include "support.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void signal_while_drawing(int sig) {
    char *dir = drt_tmpdir();
    cr_assert_eq(drt_cli(NULL, NULL,
                         "gen map-reduce --set n=100000 --compact -o "
                         "'%s/g.json'",
                         dir),
                 0);
    char *argv[] = {"dagrun", "run", "g.json", "-w", "2", "-o", "out", NULL};
    pid_t pid = drt_start_cli(dir, argv, NULL, "stdout", "stderr");
    /* The summary's path is printed (and flushed) when trace.json and
     * summary.json are written, just before the pictures are drawn.  The
     * deadline only bounds a hang. */
    char *out = NULL;
    for (int i = 0; i < 30000; i++) {
        free(out);
        out = drt_text_in(dir, "stdout");
        if (strstr(out, "\nSummary: ") != NULL &&
            strchr(strstr(out, "\nSummary: ") + 1, '\n') != NULL)
            break;
        drt_nap_ms(10);
    }
    cr_assert(strstr(out, "\nSummary: ") != NULL, "no summary:\n%s", out);
    cr_assert_eq(kill(pid, sig), 0);
    int status;
    cr_assert_eq(drt_reap(pid, 60, &status), 0, "dagrun did not stop");
    char *err = drt_text_in(dir, "stderr");
    free(out);
    out = drt_text_in(dir, "stdout");
    cr_expect_eq(drt_exit_code(status), 130, "exit %d\n%s",
                 drt_exit_code(status), err);
    cr_expect(strstr(err, "while drawing the pictures: the tasks had ended "
                          "(none was interrupted); trace.json and "
                          "summary.json are complete, the pictures were not "
                          "written\n") != NULL,
              "%s", err);
    cr_expect(strstr(out, "Pictures:") == NULL, "%s", out);
    /* The folder holds the trace, the summary and the journal (which the
     * run wrote before its summary), nothing else. */
    char *outdir = drt_fmt("%s/out", dir);
    DIR *d = opendir(outdir);
    cr_assert_not_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        cr_expect(strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
                      strcmp(e->d_name, "trace.json") == 0 ||
                      strcmp(e->d_name, "summary.json") == 0 ||
                      strcmp(e->d_name, "journal.jsonl") == 0,
                  "left in the run folder: %s", e->d_name);
    closedir(d);
    char *spath = drt_fmt("%s/summary.json", outdir);
    json_t *s = json_load_file(spath, 0, NULL);
    cr_assert_not_null(s, "summary.json is not whole JSON");
    cr_expect(json_is_false(json_object_get(s, "interrupted")));
    cr_expect_eq(json_integer_value(json_object_get(s, "succeeded")), 100001);
    json_decref(s);
    char *tpath = drt_fmt("%s/trace.json", outdir);
    json_t *t = json_load_file(tpath, 0, NULL);
    cr_expect_not_null(t, "trace.json is not whole JSON");
    json_decref(t);
    /* The drawing process went with dagrun. */
    for (int i = 0; i < 500 && drt_processes_in(dir) > 0; i++)
        drt_nap_ms(10);
    cr_expect_eq(drt_processes_in(dir), 0, "a process was left running");
    free(tpath);
    free(spath);
    free(outdir);
    free(err);
    free(out);
    drt_rmtree(dir);
    free(dir);
}

Test(draw_signals, sigterm_while_drawing_stops_the_pictures_cleanly,
     .timeout = 300) {
    signal_while_drawing(SIGTERM);
}

Test(draw_signals, sighup_while_drawing_stops_the_pictures_cleanly,
     .timeout = 300) {
    signal_while_drawing(SIGHUP);
}

Test(draw_signals, sigint_while_drawing_stops_the_pictures_cleanly,
     .timeout = 300) {
    signal_while_drawing(SIGINT);
}

/* The trace cannot be written (its path is a folder): the summary still
 * is, and each file's fate is said by its name. */
Test(draw_signals, a_trace_that_cannot_be_written_still_leaves_the_summary,
     .timeout = 60) {
    char *dir = drt_tmpdir();
    char *graph = drt_fmt("%s/g.json", dir);
    cr_assert_eq(drt_write_file(graph, "{\"tasks\":[{\"id\":\"a\",\"op\":"
                                       "\"noop\"}]}"),
                 0);
    char *folder = drt_fmt("%s/t.json", dir);
    cr_assert_eq(mkdir(folder, 0755), 0);
    char *out = NULL, *err = NULL;
    int rc = drt_cli(&out, &err,
                     "run '%s' --no-outputs --trace '%s' --json '%s/s.json'",
                     graph, folder, dir);
    cr_expect_eq(rc, 1, "exit %d\n%s", rc, err);
    cr_expect(strstr(err, "dagrun run: cannot write the trace: ") != NULL, "%s",
              err);
    cr_expect(strstr(err, "cannot write the summary") == NULL, "%s", err);
    char *want =
        drt_fmt("Trace: %s (failed)\nSummary: %s/s.json\n", folder, dir);
    cr_expect(strstr(out, want) != NULL, "%s", out);
    char *spath = drt_fmt("%s/s.json", dir);
    json_t *s = json_load_file(spath, 0, NULL);
    cr_expect_not_null(s, "the summary was not written");
    json_decref(s);
    free(spath);
    free(want);
    free(out);
    free(err);
    free(folder);
    free(graph);
    drt_rmtree(dir);
    free(dir);
}
