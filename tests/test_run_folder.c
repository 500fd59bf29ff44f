/*
 * The output folder of `dagrun run` holds one run at a time: a new run
 * removes the last run's outputs before anything starts and marks the
 * folder with RUNNING until its own are written, so a run killed with
 * kill -9 leaves no older summary beside its logs; a second run cannot take
 * a folder a live run holds, but can take one a dead run left.  Real dagrun
 * processes, killed for real.
 */
#include "support.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *dir;
static pid_t running = -1; /* a dagrun started by the test, to stop */

static void setup(void) { dir = drt_tmpdir(); }

static void teardown(void) {
    if (running > 0) {
        kill(running, SIGKILL);
        waitpid(running, NULL, 0);
        running = -1;
    }
    /* Should dagrun have failed to stop it, the slow command goes too. */
    char *path = drt_fmt("%s/b.pid", dir);
    char *text = drt_read_file(path, NULL);
    long pid = text ? atol(text) : 0;
    free(text), free(path);
    path = drt_fmt("/proc/%ld/cmdline", pid);
    text = pid > 1 ? drt_read_file(path, NULL) : NULL;
    if (text != NULL && strcmp(text, "sleep") == 0)
        kill((pid_t)pid, SIGKILL);
    free(text), free(path);
    drt_rmtree(dir);
    free(dir);
}

static char *in_dir(const char *name) { return drt_fmt("%s/%s", dir, name); }

static int exists(const char *name) {
    char *path = in_dir(name);
    int ok = access(path, F_OK) == 0;
    free(path);
    return ok;
}

static int wait_for(const char *name) {
    char *path = in_dir(name);
    int found = drt_wait_for_path(path, 30);
    free(path);
    return found;
}

/* `dagrun run GRAPH -o out -q` in dir, in the background. */
static pid_t start(const char *graph) {
    char *const args[] = {"dagrun", "run", (char *)graph, "-o",
                          "out",    "-q",  NULL};
    return drt_start_cli(dir, args, NULL, NULL, NULL);
}

static const char quick[] = "{\"name\": \"q\", \"tasks\": [{\"id\": \"a\", "
                            "\"shell\": \"echo done\"}]}";
static const char slow[] =
    "{\"name\": \"s\", \"tasks\": [{\"id\": \"b\", \"shell\": \"echo $$ > "
    "b.pid; touch b.started; exec sleep 60\"}, {\"id\": \"a\", \"deps\": "
    "[\"b\"], \"shell\": \"echo again\"}]}";

static void write_graphs(void) {
    char *q = in_dir("quick.json"), *s = in_dir("slow.json");
    cr_assert_eq(drt_write_file(q, quick), 0);
    cr_assert_eq(drt_write_file(s, slow), 0);
    free(q), free(s);
}

static int run_quick(void) {
    char *out, *err;
    int rc =
        drt_cli(&out, &err, "run '%s/quick.json' -o '%s/out' -q", dir, dir);
    free(out), free(err);
    return rc;
}

Test(run_folder,
     a_run_killed_with_sigkill_leaves_no_older_outputs_beside_its_own,
     .init = setup, .fini = teardown, .timeout = 120) {
    write_graphs();
    cr_assert_eq(run_quick(), 0);
    cr_assert(exists("out/summary.json") && exists("out/trace.json"));
    cr_assert(!exists("out/RUNNING"), "RUNNING left after a normal end");

    running = start("slow.json");
    cr_assert(wait_for("b.started"), "the slow task never started");
    /* While it runs: none of the last run's outputs, and the note. */
    cr_expect(!exists("out/summary.json"), "the last run's summary is there");
    cr_expect(!exists("out/trace.json"), "the last run's trace is there");
    cr_expect(!exists("out/dag.svg") && !exists("out/report.html"));
    char *note_path = in_dir("out/RUNNING");
    char *note = drt_read_file(note_path, NULL);
    cr_assert_not_null(note, "no RUNNING file during the run");
    char *pid_line = drt_fmt("pid %ld\n", (long)running);
    cr_expect(strncmp(note, pid_line, strlen(pid_line)) == 0, "%s", note);
    free(note);

    /* Task a has not started: its log from the last run is no longer
     * there to be read as this run's. */
    char *a_log = in_dir("out/logs/a.out");
    char *a_text = drt_read_file(a_log, NULL);
    cr_expect(a_text == NULL || a_text[0] == '\0', "stale log: %s", a_text);
    free(a_text), free(a_log);

    kill(running, SIGKILL);
    waitpid(running, NULL, 0);
    running = -1;
    cr_expect(!exists("out/summary.json"));
    cr_expect(exists("out/RUNNING"), "a dead run's folder must say so");

    /* The dead run's lock died with it: the next run takes the folder. */
    cr_expect_eq(run_quick(), 0);
    cr_expect(exists("out/summary.json"));
    cr_expect(!exists("out/RUNNING"));
    free(pid_line), free(note_path);
}

Test(run_folder, two_live_runs_cannot_share_an_output_folder, .init = setup,
     .fini = teardown, .timeout = 120) {
    write_graphs();
    running = start("slow.json");
    cr_assert(wait_for("b.started"), "the slow task never started");
    char *out, *err;
    int rc =
        drt_cli(&out, &err, "run '%s/quick.json' -o '%s/out' -q", dir, dir);
    cr_expect_eq(rc, 2, "%s", err);
    cr_expect_not_null(strstr(err, "is in use by another run"), "%s", err);
    char *pid = drt_fmt("pid %ld", (long)running);
    cr_expect_not_null(strstr(err, pid), "%s", err);
    cr_expect(!exists("out/logs/a.out"), "the second run ran");
    free(pid), free(out), free(err);
    /* The first run is not disturbed: it stops cleanly on SIGTERM. */
    kill(running, SIGTERM);
    int status = 0;
    waitpid(running, &status, 0);
    running = -1;
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 130, "status %d",
              status);
    cr_expect(exists("out/summary.json"));
    cr_expect(!exists("out/RUNNING"));
}
