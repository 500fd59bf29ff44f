/*
 * Nothing a run starts outlives it: real `dagrun run` processes whose
 * commands leave background children (in their process group, and one that
 * escaped it with setsid) are ended every way dagrun can end — SIGKILL,
 * SIGTERM, SIGHUP, SIGINT and a normal end — and /proc must then hold no
 * live process carrying the test's mark.  The mark is an environment
 * variable given to dagrun only, so it tags dagrun, its watcher and
 * everything the commands start, and nothing else on this machine.  Each
 * test kills whatever still carries its mark when it ends, pass or fail.
 */
#include "support.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *dir;
static char mark[96]; /* "DRT_MARK=..." */

static void setup(void) {
    dir = drt_tmpdir();
    static unsigned counter;
    snprintf(mark, sizeof mark, "DRT_MARK=run-faults-%ld-%u-%ld",
             (long)getpid(), ++counter, (long)time(NULL));
}

static void teardown(void) {
    /* Whatever the outcome, nothing of this test stays behind. */
    for (int i = 0; i < 50 && drt_marked(mark, SIGKILL, NULL, 0) > 0; i++)
        drt_nap_ms(20);
    drt_rmtree(dir);
    free(dir);
}

/* Three commands that keep running: one with two children in its group,
 * one whose child left the group (setsid), and one that succeeded at once
 * leaving a child behind.  Each touches <id>.started once its children
 * exist. */
static const char running_graph[] =
    "{\"name\": \"faults\", \"tasks\": ["
    "{\"id\": \"bg\", \"shell\": \"sleep 411.5 & touch bg.started; echo "
    "ok\"},"
    "{\"id\": \"group\", \"shell\": \"sleep 412.5 & sleep 413.5 & touch "
    "group.started; wait\"},"
    "{\"id\": \"escaped\", \"shell\": \"setsid sleep 414.5 & touch "
    "escaped.started; wait\"},"
    "{\"id\": \"after\", \"deps\": [\"group\"], \"shell\": \"touch "
    "after.ran\"}]}";

/* Starts `dagrun run graph.json -w 3 -o out` in dir, with the mark in its
 * environment and its output in dir/stdout and dir/stderr. */
static pid_t start_dagrun(const char *graph_text) {
    char *graph = drt_fmt("%s/graph.json", dir);
    cr_assert_eq(drt_write_file(graph, graph_text), 0);
    free(graph);
    char **env = drt_env_with(mark);
    char *const args[] = {"dagrun", "run", "graph.json", "-w",
                          "3",      "-o",  "out",        NULL};
    pid_t pid = drt_start_cli(dir, args, env, "stdout", "stderr");
    free(env);
    return pid;
}

static int wait_for_file(const char *name) {
    char *path = drt_fmt("%s/%s", dir, name);
    int found = drt_wait_for_path(path, 30);
    free(path);
    return found;
}

/* Waits for dagrun to end (it is our child); returns its wait status. */
static int reap(pid_t pid) {
    int status = 0;
    if (drt_reap(pid, 60, &status) != 0)
        cr_assert_fail("dagrun did not end");
    return status;
}

/* Runs the running graph, sends `sig` once every command has started its
 * children, and checks what must hold after that way of dying. */
static void kill_and_check(int sig) {
    pid_t pid = start_dagrun(running_graph);
    int ready = wait_for_file("bg.started") && wait_for_file("group.started") &&
                wait_for_file("escaped.started");
    if (!ready)
        kill(pid, SIGKILL);
    cr_assert(ready, "the commands never started: %s",
              drt_text_in(dir, "stderr"));
    /* The marked processes are there to be stopped (the check is real). */
    cr_assert_geq(drt_marked(mark, 0, NULL, 0), 4);
    kill(pid, sig);
    int status = reap(pid);
    char who[2048];
    int left = drt_wait_unmarked(mark, who, sizeof who);
    cr_expect_eq(left, 0, "after %s, %d processes survive:%s", strsignal(sig),
                 left, who);
    if (sig == SIGKILL) {
        cr_expect(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        return;
    }
    /* SIGINT, SIGTERM and SIGHUP all stop the run cleanly. */
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 130, "status %d: %s",
              status, drt_text_in(dir, "stderr"));
    char *summary = drt_fmt("%s/out/summary.json", dir);
    json_t *s = json_load_file(summary, 0, NULL);
    cr_expect_not_null(s, "no summary after %s", strsignal(sig));
    cr_expect(json_is_true(json_object_get(s, "interrupted")));
    json_decref(s);
    char *trace = drt_fmt("%s/out/trace.json", dir);
    cr_expect_eq(access(trace, F_OK), 0, "no trace after %s", strsignal(sig));
    char *ran = drt_fmt("%s/after.ran", dir);
    cr_expect_neq(access(ran, F_OK), 0, "a task started after the signal");
    char *err = drt_text_in(dir, "stderr");
    cr_expect_not_null(strstr(err, "interrupted by SIG"), "%s", err);
    free(err), free(ran), free(trace), free(summary);
}

Test(run_faults, nothing_survives_a_sigkill_of_dagrun, .init = setup,
     .fini = teardown, .timeout = 120) {
    kill_and_check(SIGKILL);
}

Test(run_faults, nothing_survives_a_sigterm_and_the_run_is_written,
     .init = setup, .fini = teardown, .timeout = 120) {
    kill_and_check(SIGTERM);
}

Test(run_faults, sighup_is_handled_like_sigterm, .init = setup,
     .fini = teardown, .timeout = 120) {
    kill_and_check(SIGHUP);
}

Test(run_faults, nothing_survives_a_sigint_and_the_run_is_written,
     .init = setup, .fini = teardown, .timeout = 120) {
    kill_and_check(SIGINT);
}

Test(run_faults, nothing_survives_a_normal_end, .init = setup, .fini = teardown,
     .timeout = 120) {
    /* Every command succeeds at once, leaving a child in its group and
     * one that left it. */
    pid_t pid = start_dagrun(
        "{\"name\": \"faults\", \"tasks\": ["
        "{\"id\": \"bg\", \"shell\": \"sleep 415.5 & echo ok\"},"
        "{\"id\": \"escaped\", \"shell\": \"setsid sleep 416.5 & echo ok\"},"
        "{\"id\": \"last\", \"deps\": [\"bg\", \"escaped\"], \"shell\": "
        "\"touch last.ran\"}]}");
    int status = reap(pid);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d: %s",
              status, drt_text_in(dir, "stderr"));
    cr_expect(wait_for_file("last.ran"));
    /* No waiting here: when dagrun has exited, its watcher has done its
     * work. */
    char who[2048];
    int left = drt_marked(mark, 0, who, sizeof who);
    cr_expect_eq(left, 0, "%d processes survive the end of the run:%s", left,
                 who);
}

Test(run_faults, a_second_sigint_leaves_at_once_and_still_stops_everything,
     .init = setup, .fini = teardown, .timeout = 120) {
    /* A command that ignores SIGTERM (and so do its children, one of which
     * left its group) keeps the first SIGINT waiting; the second one makes
     * dagrun leave without writing, and the watcher must still stop
     * everything, with SIGKILL for what ignores SIGTERM. */
    pid_t pid = start_dagrun(
        "{\"name\": \"faults\", \"tasks\": ["
        "{\"id\": \"stubborn\", \"shell\": \"trap '' TERM; sleep 417.5 & "
        "setsid sleep 418.5 & touch stubborn.started; "
        "while :; do sleep 1; done\"}]}");
    int ready = wait_for_file("stubborn.started");
    if (!ready)
        kill(pid, SIGKILL);
    cr_assert(ready, "the command never started: %s",
              drt_text_in(dir, "stderr"));
    kill(pid, SIGINT);
    drt_nap_ms(100);
    kill(pid, SIGINT);
    int status = reap(pid);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 130, "status %d",
              status);
    char who[2048];
    int left = drt_wait_unmarked(mark, who, sizeof who);
    cr_expect_eq(left, 0, "%d processes survive:%s", left, who);
}
