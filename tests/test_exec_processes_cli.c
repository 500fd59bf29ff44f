/*
 * `dagrun run --executor processes` for real: Ctrl-C stops every worker
 * process and every command (exit 130, trace written), kill -9 of dagrun
 * leaves nothing running, and the CLI's messages for crashes.
 */
#include "support.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Two long builtin tasks in worker processes and a long command. */
static const char *long_graph =
    "{\"dagrun\": 1, \"name\": \"long\", \"tasks\": ["
    "{\"id\": \"s1\", \"op\": \"sleep\", \"args\": {\"ms\": 60000}},"
    "{\"id\": \"s2\", \"op\": \"spin\", \"args\": {\"units\": 60000}},"
    "{\"id\": \"cmd\", \"shell\": \"sleep 60\"},"
    "{\"id\": \"end\", \"op\": \"noop\", \"deps\": [\"s1\", \"s2\", \"cmd\"]}"
    "]}";

/* Waits until dagrun and its zygote, 3 workers and the command's shell
 * (at least 5 processes) run in dir, then a little for the tasks to
 * start. */
static void wait_for_workers(const char *dir) {
    for (int i = 0; i < 1000 && drt_processes_in(dir) < 5; i++)
        drt_nap_ms(10);
    cr_assert_geq(drt_processes_in(dir), 5, "the workers did not start");
    drt_nap_ms(300);
}

static void wait_none_in(const char *dir) {
    for (int i = 0; i < 500 && drt_processes_in(dir) > 0; i++)
        drt_nap_ms(10);
    cr_expect_eq(drt_processes_in(dir), 0, "a process was left running");
}

Test(processes_cli, ctrl_c_stops_every_worker_and_command, .timeout = 120) {
    char *dir = drt_tmpdir();
    char *g = drt_fmt("%s/g.json", dir);
    cr_assert_eq(drt_write_file(g, long_graph), 0);
    char *argv[] = {"dagrun",     "run",       "g.json", "-w",  "3",
                    "--executor", "processes", "-o",     "out", NULL};
    pid_t pid = drt_start_cli(dir, argv, NULL, "stdout", "stderr");
    wait_for_workers(dir);
    cr_assert_eq(kill(pid, SIGINT), 0);
    int status;
    cr_assert_eq(drt_reap(pid, 60, &status), 0, "dagrun did not stop");
    char *err = drt_text_in(dir, "stderr");
    cr_expect_eq(drt_exit_code(status), 130, "exit %d\n%s",
                 drt_exit_code(status), err);
    char *tpath = drt_fmt("%s/out/trace.json", dir);
    json_t *t = json_load_file(tpath, 0, NULL);
    cr_expect_not_null(t, "trace.json is not whole JSON");
    json_decref(t);
    char *spath = drt_fmt("%s/out/summary.json", dir);
    json_t *s = json_load_file(spath, 0, NULL);
    cr_assert_not_null(s);
    cr_expect(json_is_true(json_object_get(s, "interrupted")));
    json_decref(s);
    wait_none_in(dir);
    free(spath);
    free(tpath);
    free(err);
    free(g);
    drt_rmtree(dir);
    free(dir);
}

Test(processes_cli, kill_9_of_dagrun_leaves_nothing_running, .timeout = 120) {
    char *dir = drt_tmpdir();
    char *g = drt_fmt("%s/g.json", dir);
    cr_assert_eq(drt_write_file(g, long_graph), 0);
    char *argv[] = {"dagrun",     "run",       "g.json", "-w",  "3",
                    "--executor", "processes", "-o",     "out", NULL};
    pid_t pid = drt_start_cli(dir, argv, NULL, "stdout", "stderr");
    wait_for_workers(dir);
    cr_assert_eq(kill(pid, SIGKILL), 0);
    int status;
    cr_assert_eq(drt_reap(pid, 60, &status), 0);
    wait_none_in(dir);
    free(g);
    drt_rmtree(dir);
    free(dir);
}

Test(processes_cli, scale_runs_each_point_under_processes, .timeout = 120) {
    char *dir = drt_tmpdir();
    cr_assert_eq(drt_cli(NULL, NULL,
                         "gen map-reduce --set n=6 --set unit=5 --op spin -o "
                         "'%s/g.json'",
                         dir),
                 0);
    char *err = NULL;
    int rc = drt_cli(NULL, &err,
                     "scale '%s/g.json' --workers 1,2 --repeat 1 --executor "
                     "processes -o '%s/out'",
                     dir, dir);
    cr_expect_eq(rc, 0, "%s", err);
    char *csv = drt_fmt("%s/out/scaling.csv", dir);
    cr_expect(access(csv, F_OK) == 0, "no scaling.csv");
    free(csv);
    free(err);
    wait_none_in(dir);
    drt_rmtree(dir);
    free(dir);
}

Test(processes_cli, sync_says_it_ignores_workers) {
    char *err = NULL;
    int rc = drt_cli(NULL, &err,
                     "run '%s/examples/lecture.json' --executor sync -w 3 "
                     "--no-outputs -q",
                     DR_SOURCE_DIR);
    cr_expect_eq(rc, 0, "%s", err);
    cr_expect(strstr(err, "note: --executor sync runs one task at a time: "
                          "--workers 3 is ignored") != NULL,
              "%s", err);
    free(err);
}
