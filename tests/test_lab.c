/*
 * The claims of the lab's step 8 (docs/lab.md, "Threads versus processes"),
 * checked through the real CLI with the lab's own graphs: test_docs runs
 * the step's commands and checks their exit statuses and a few printed
 * lines; this checks what the text says those runs show.
 *
 *   (a) both executors give the same π estimate for the same parameters,
 *       and each run's summary names its executor;
 *   (b) under processes the summary's transfer bytes cover a million
 *       numbers' text each way; under threads nothing is transferred;
 *   (c) under threads the crash kills dagrun by SIGSEGV and leaves no
 *       process of the run behind; under processes the run exits 1 with
 *       the worker's death named, every other task succeeds, and the
 *       summary and trace are written.
 *
 * Every dagrun started here carries a mark in its environment
 * (drt_env_with), so the processes of one run (dagrun, its zygote and
 * workers) can be found, and shown to be gone, without looking at anybody
 * else's.  No test measures time.
 */
#include "support.h"

#include <criterion/criterion.h>
#include <jansson.h>

#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef DR_EXAMPLE_PLUGIN
#define DR_EXAMPLE_PLUGIN DR_BUILD_DIR "/examples/dagrun_example_plugin.so"
#endif

#define EX DR_SOURCE_DIR "/examples"

/* One finished run of the CLI. */
typedef struct lab_run {
    int status;      /* the wait status */
    char *out;       /* stdout */
    char *err;       /* stderr */
    char *dir;       /* the folder it ran in; its -o folder is dir/out */
    char *mark;      /* the environment entry every process of it carries */
    json_t *summary; /* dir/out/summary.json, or NULL */
    json_t *trace;   /* dir/out/trace.json, or NULL */
} lab_run;

/* Runs `dagrun run GRAPH -o out --workers 2 --executor EXEC EXTRA...` (a
 * NULL-terminated list) in a new folder and waits for it (a deadline of
 * 300 s that only a hang reaches). */
static lab_run run_lab(const char *graph, const char *executor, ...) {
    static int serial;
    lab_run r = {0};
    r.dir = drt_tmpdir();
    r.mark = drt_fmt("DAGRUN_TEST_LAB_MARK=%ld-%d", (long)getpid(), ++serial);
    char *argv[32];
    int n = 0;
    argv[n++] = "dagrun", argv[n++] = "run", argv[n++] = (char *)graph;
    argv[n++] = "-o", argv[n++] = "out", argv[n++] = "--workers";
    argv[n++] = "2", argv[n++] = "--executor", argv[n++] = (char *)executor;
    va_list ap;
    va_start(ap, executor);
    for (char *a; n < 31 && (a = va_arg(ap, char *)) != NULL;)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    /* Under AddressSanitizer a SIGSEGV would be reported and turned into
     * exit status 1; the kernel's own death by signal is what the lab
     * shows. */
    setenv("ASAN_OPTIONS", "handle_segv=0", 1);
    char **env = drt_env_with(r.mark);
    pid_t pid = drt_start_cli(r.dir, argv, env, "stdout", "stderr");
    free(env);
    cr_assert_eq(drt_reap(pid, 300, &r.status), 0, "dagrun %s hung", graph);
    r.out = drt_text_in(r.dir, "stdout");
    r.err = drt_text_in(r.dir, "stderr");
    char *p = drt_fmt("%s/out/summary.json", r.dir);
    r.summary = json_load_file(p, 0, NULL);
    free(p);
    p = drt_fmt("%s/out/trace.json", r.dir);
    r.trace = json_load_file(p, 0, NULL);
    free(p);
    return r;
}

static void lab_run_free(lab_run *r) {
    drt_rmtree(r->dir);
    free(r->dir), free(r->mark), free(r->out), free(r->err);
    json_decref(r->summary);
    json_decref(r->trace);
}

/* The text after "KEY = " on the line of stdout where dagrun prints a
 * sink's result; new, or NULL. */
static char *printed_result(const char *out, const char *key) {
    char *head = drt_fmt("%s = ", key);
    const char *line = out;
    char *found = NULL;
    while (line != NULL && *line != '\0' && found == NULL) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (strncmp(line, head, strlen(head)) == 0)
            found = strndup(line + strlen(head), len - strlen(head));
        line = end ? end + 1 : NULL;
    }
    free(head);
    return found;
}

/* The sum of the integer members of summary.transfer whose names start
 * with "bytes" (bytes_sent, bytes_received); -1 without a transfer. */
static json_int_t transfer_bytes(const json_t *summary) {
    json_t *t = json_object_get(summary, "transfer");
    if (!json_is_object(t))
        return -1;
    json_int_t total = 0;
    const char *k;
    json_t *v;
    json_object_foreach(t, k, v) {
        if (strncmp(k, "bytes", 5) == 0 && json_is_integer(v))
            total += json_integer_value(v);
    }
    return total;
}

/* The characters of the numbers 0 .. n-1 written in decimal, without the
 * commas between them: the least text a million numbers can be. */
static json_int_t digits_of_numbers_below(json_int_t n) {
    json_int_t total = 0;
    for (json_int_t lo = 1, d = 1; lo / 10 < n; lo *= 10, d++) {
        json_int_t first = lo == 1 ? 0 : lo, last = lo * 10 < n ? lo * 10 : n;
        if (last > first)
            total += (last - first) * d;
    }
    return total;
}

/* The trace's "status" of the last attempt of task `key`, or NULL. */
static const char *trace_status(const json_t *trace, const char *key) {
    const char *status = NULL;
    json_t *events = json_object_get(trace, "traceEvents");
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e) {
        json_t *args = json_object_get(e, "args");
        json_t *task = json_object_get(args, "task");
        if (json_is_string(task) && strcmp(json_string_value(task), key) == 0)
            status = json_string_value(json_object_get(args, "status"));
    }
    return status;
}

/* Asserts that no process of run r is alive (with a deadline of 30 s for
 * the stragglers a run stops as it ends). */
static void assert_nothing_left(const lab_run *r) {
    char who[1024] = "";
    int left = drt_wait_unmarked(r->mark, who, sizeof who);
    cr_assert_eq(left, 0, "processes of the run are left: %s", who);
}

/* ------------------------------------------------------- (a) the same π */

Test(lab, both_executors_estimate_the_same_pi_and_say_which_ran,
     .timeout = 600) {
    const char *graph = EX "/pi.json";
    lab_run t = run_lab(graph, "threads", "--set", "samples=2000000", "--set",
                        "chunks=8", NULL);
    lab_run p = run_lab(graph, "processes", "--set", "samples=2000000", "--set",
                        "chunks=8", NULL);
    cr_assert_eq(drt_exit_code(t.status), 0, "threads: %s", t.err);
    cr_assert_eq(drt_exit_code(p.status), 0, "processes: %s", p.err);
    char *a = printed_result(t.out, "reduce"),
         *b = printed_result(p.out, "reduce");
    cr_assert_not_null(a, "threads printed no result: %s", t.out);
    cr_assert_not_null(b, "processes printed no result: %s", p.out);
    cr_assert_str_eq(a, b, "the same seeds drew other points");
    cr_assert(strstr(a, "\"samples\":2000000") != NULL, "%s", a);
    cr_assert_not_null(t.summary);
    cr_assert_not_null(p.summary);
    cr_assert_str_eq(json_string_value(json_object_get(t.summary, "executor")),
                     "threads");
    cr_assert_str_eq(json_string_value(json_object_get(p.summary, "executor")),
                     "processes");
    free(a), free(b);
    lab_run_free(&t);
    lab_run_free(&p);
}

/* ------------------------------------------------ (b) a large result */

Test(lab, a_million_numbers_cross_the_socket_only_under_processes,
     .timeout = 600) {
    const char *graph = EX "/big-array.json";
    lab_run t = run_lab(graph, "threads", NULL);
    lab_run p = run_lab(graph, "processes", NULL);
    cr_assert_eq(drt_exit_code(t.status), 0, "threads: %s", t.err);
    cr_assert_eq(drt_exit_code(p.status), 0, "processes: %s", p.err);
    char *a = printed_result(t.out, "total"),
         *b = printed_result(p.out, "total");
    cr_assert_str_eq(a ? a : "(none)", "499999500000", "%s", t.out);
    cr_assert_str_eq(b ? b : "(none)", "499999500000", "%s", p.out);
    free(a), free(b);
    json_int_t least = digits_of_numbers_below(1000000);
    cr_assert_eq(least, 5888890); /* 10 + 90*2 + 900*3 + ... + 900000*6 */
    json_int_t tb = transfer_bytes(t.summary), pb = transfer_bytes(p.summary);
    cr_assert(tb <= 0, "threads moved %lld bytes", (long long)tb);
    /* Twice: the result from the worker that made it to dagrun, and on,
     * as the input of `total`, to the worker that sums it. */
    json_t *x = json_object_get(p.summary, "transfer");
    json_int_t sent = json_integer_value(json_object_get(x, "bytes_sent"));
    json_int_t got = json_integer_value(json_object_get(x, "bytes_received"));
    cr_assert_geq(got, least, "received %lld", (long long)got);
    cr_assert_geq(sent, least, "sent %lld", (long long)sent);
    cr_assert_geq(pb, 2 * least,
                  "processes moved %lld bytes, less than a million numbers' "
                  "text (%lld)",
                  (long long)pb, (long long)least);
    lab_run_free(&t);
    lab_run_free(&p);
}

/* ---------------------------------------------------- (c) a task crashes */

Test(lab, a_crash_under_threads_kills_dagrun_and_leaves_nothing,
     .timeout = 600) {
    lab_run t = run_lab(EX "/crash.json", "threads", "--keep-going", "--plugin",
                        DR_EXAMPLE_PLUGIN, NULL);
    cr_assert(WIFSIGNALED(t.status) && WTERMSIG(t.status) == SIGSEGV,
              "dagrun did not die of SIGSEGV (exit code %d): %s",
              drt_exit_code(t.status), t.err);
    cr_assert_null(t.summary, "a dead dagrun wrote a summary");
    assert_nothing_left(&t);
    lab_run_free(&t);
}

Test(lab, a_crash_under_processes_fails_one_task_and_the_others_finish,
     .timeout = 600) {
    lab_run p = run_lab(EX "/crash.json", "processes", "--keep-going",
                        "--plugin", DR_EXAMPLE_PLUGIN, NULL);
    cr_assert(WIFEXITED(p.status), "dagrun died (status %d): %s",
              drt_exit_code(p.status), p.err);
    cr_assert_eq(WEXITSTATUS(p.status), 1, "%s", p.err);
    /* The summary's "Failed tasks" (stdout) names the worker's death. */
    char *both = drt_fmt("%s\n%s", p.out, p.err);
    cr_assert(strstr(both, "died of signal 11 (Segmentation fault) while "
                           "running 'crash'") != NULL,
              "%s", both);
    cr_assert(strstr(both, "worker process ") != NULL, "%s", both);
    free(both);
    cr_assert_not_null(p.summary, "no summary.json");
    cr_assert_not_null(p.trace, "no trace.json");
    json_t *failed = json_object_get(p.summary, "failed");
    cr_assert_eq(json_array_size(failed), 1);
    cr_assert_str_eq(json_string_value(json_array_get(failed, 0)), "crash");
    cr_assert_eq(json_integer_value(json_object_get(p.summary, "succeeded")),
                 5);
    const char *others[] = {"pi-0", "pi-1", "pi-2", "pi-3", "total"};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        const char *s = trace_status(p.trace, others[i]);
        cr_assert_str_eq(s ? s : "(absent)", "ok", "task %s", others[i]);
    }
    const char *s = trace_status(p.trace, "crash");
    cr_assert(s != NULL && strcmp(s, "ok") != 0, "crash: %s", s);
    assert_nothing_left(&p);
    lab_run_free(&p);
}

Test(lab, a_retried_crash_runs_again_on_a_new_worker, .timeout = 600) {
    lab_run p = run_lab(EX "/crash.json", "processes", "--keep-going",
                        "--retries", "1", "--plugin", DR_EXAMPLE_PLUGIN, NULL);
    cr_assert(WIFEXITED(p.status) && WEXITSTATUS(p.status) == 1,
              "status %d: %s", drt_exit_code(p.status), p.err);
    cr_assert_not_null(p.trace);
    /* Two attempts of `crash`, each on a live worker process: the trace
     * has two events for it. */
    size_t attempts = 0, i;
    json_t *e;
    json_array_foreach(json_object_get(p.trace, "traceEvents"), i, e) {
        json_t *task = json_object_get(json_object_get(e, "args"), "task");
        attempts += json_is_string(task) &&
                    strcmp(json_string_value(task), "crash") == 0;
    }
    cr_assert_eq(attempts, 2, "%s", p.err);
    cr_assert_eq(json_integer_value(json_object_get(p.summary, "succeeded")),
                 5);
    assert_nothing_left(&p);
    lab_run_free(&p);
}
