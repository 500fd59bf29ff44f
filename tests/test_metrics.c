/* Metrics on hand-made attempt lists: work, span and the critical path by
 * measured durations, bounds, utilisation, per-worker idle tails, the
 * degree-of-parallelism profile, overhead, the failure lists, which tasks
 * count as CPU-bound, and interrupted tasks (by hand and with a real
 * SIGINT). */
#include "run_internal.h"
#include "support.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static dr_graph *graph;
static dr_run *run;

/* a -> c, b -> c, c -> d; two workers. */
static void setup(void) {
    graph = dr_graph_create();
    dr_graph_set_name(graph, "hand");
    const char *keys[] = {"a", "b", "c", "d"};
    for (int i = 0; i < 4; i++)
        cr_assert_eq(dr_graph_add_task(graph, keys[i], NULL), 0);
    dr_graph_add_dep(graph, 2, 0);
    dr_graph_add_dep(graph, 2, 1);
    dr_graph_add_dep(graph, 3, 2);
    cr_assert_eq(dr_graph_validate(graph, NULL), 0);
    dr_run_options o;
    dr_run_options_init(&o);
    run = dr__run_create(graph, &o, 2, 2, 0);
    cr_assert_not_null(run);
}

static void teardown(void) {
    dr_run_destroy(run);
    dr_graph_destroy(graph);
}

static void ok(dr_task t, unsigned w, double ready, double start, double end) {
    cr_assert_geq(dr__run_add_attempt(run, t, w, 1, DR__ATTEMPT_OK, ready,
                                      start, end, NULL),
                  0);
    run->state[t] = DR_STATE_OK;
    if (end > run->makespan)
        run->makespan = end;
}

static double num(json_t *o, const char *key) {
    json_t *v = json_object_get(o, key);
    cr_assert(json_is_number(v), "no number '%s'", key);
    return json_number_value(v);
}

/* The schedule used by most tests:
 *   worker 0: a [0,2)  c [3,6)  d [6,7)
 *   worker 1: b [0,1)
 * b is ready at 0 but c waits for a; d ready at 6. */
static void schedule(void) {
    ok(0, 0, 0, 0, 2);
    ok(1, 1, 0, 0, 1);
    ok(2, 0, 2, 3, 6); /* one unit of latency */
    ok(3, 0, 6, 6, 7);
}

Test(metrics, work_span_and_critical_path_use_measured_durations, .init = setup,
     .fini = teardown, .timeout = 10) {
    schedule();
    json_t *s = dr_run_summary_json(run);
    cr_expect_float_eq(num(s, "makespan"), 7, 1e-12);
    cr_expect_float_eq(num(s, "work"), 7, 1e-12);
    cr_expect_float_eq(num(s, "span"), 6, 1e-12, "a(2) + c(3) + d(1)");
    json_t *path = json_object_get(s, "critical_path");
    cr_assert_eq(json_array_size(path), 3);
    cr_expect_str_eq(json_string_value(json_array_get(path, 0)), "a");
    cr_expect_str_eq(json_string_value(json_array_get(path, 1)), "c");
    cr_expect_str_eq(json_string_value(json_array_get(path, 2)), "d");
    cr_expect_float_eq(num(s, "parallelism"), 7.0 / 6, 1e-12);
    cr_expect_float_eq(num(s, "lower_bound"), 6, 1e-12, "max(6, 7/2)");
    cr_expect_float_eq(num(s, "makespan_over_bound"), 7.0 / 6, 1e-12);
    cr_expect_float_eq(num(s, "utilization"), 7.0 / 14, 1e-12);
    json_decref(s);
}

Test(metrics, per_worker_busy_idle_and_idle_tail, .init = setup,
     .fini = teardown, .timeout = 10) {
    schedule();
    json_t *s = dr_run_summary_json(run);
    json_t *w = json_object_get(s, "per_worker");
    cr_assert_eq(json_array_size(w), 2);
    json_t *w0 = json_array_get(w, 0), *w1 = json_array_get(w, 1);
    cr_expect_eq(json_integer_value(json_object_get(w0, "tasks")), 3);
    cr_expect_float_eq(num(w0, "busy"), 6, 1e-12);
    cr_expect_float_eq(num(w0, "idle"), 1, 1e-12);
    cr_expect_float_eq(num(w0, "idle_tail"), 0, 1e-12);
    cr_expect_eq(json_integer_value(json_object_get(w1, "tasks")), 1);
    cr_expect_float_eq(num(w1, "busy"), 1, 1e-12);
    cr_expect_float_eq(num(w1, "idle"), 6, 1e-12);
    cr_expect_float_eq(num(w1, "idle_tail"), 6, 1e-12,
                       "from b's end (1) to the makespan (7)");
    json_decref(s);
}

Test(metrics, profile_is_the_running_count_over_time, .init = setup,
     .fini = teardown, .timeout = 10) {
    schedule();
    json_t *s = dr_run_summary_json(run);
    /* [0,1): 2, [1,2): 1, [2,3): 0, [3,7): 1, 7: 0. */
    const double expect[][2] = {{0, 2}, {1, 1}, {2, 0}, {3, 1}, {7, 0}};
    json_t *p = json_object_get(s, "profile");
    cr_assert_eq(json_array_size(p), 5, "%s",
                 json_dumps(p, JSON_COMPACT | JSON_ENCODE_ANY));
    for (size_t i = 0; i < 5; i++) {
        json_t *step = json_array_get(p, i);
        cr_expect_float_eq(json_number_value(json_array_get(step, 0)),
                           expect[i][0], 1e-12);
        cr_expect_float_eq(json_number_value(json_array_get(step, 1)),
                           expect[i][1], 1e-12);
    }
    cr_expect_eq(json_integer_value(json_object_get(s, "max_running")), 2);
    cr_expect_float_eq(num(s, "avg_running"), 7.0 / 7, 1e-12);
    cr_expect(json_is_true(json_object_get(s, "profile_exact")));
    json_decref(s);
}

Test(metrics, overhead_counts_ready_time_while_a_worker_was_free, .init = setup,
     .fini = teardown, .timeout = 10) {
    schedule();
    json_t *s = dr_run_summary_json(run);
    json_t *o = json_object_get(s, "overhead");
    /* c was ready at 2 and started at 3 while worker 1 was free. */
    cr_expect_float_eq(num(o, "ready_while_idle"), 1, 1e-12);
    cr_expect_float_eq(num(o, "latency_mean"), 0.25, 1e-12);
    cr_expect_float_eq(num(o, "latency_median"), 0, 1e-12);
    cr_expect_float_eq(num(o, "latency_max"), 1, 1e-12);
    json_decref(s);
}

Test(metrics, overhead_is_bounded_by_the_free_workers, .init = setup,
     .fini = teardown, .timeout = 10) {
    /* Three tasks wait 2 s for the only worker, busy with nothing else for
     * the first second: one free worker for one second is 1 worker-second,
     * not 3 (one per waiting task). */
    run->workers = 1;
    ok(0, 0, 0, 1, 2);
    ok(1, 0, 0, 2, 3);
    ok(2, 0, 0, 3, 4);
    ok(3, 0, 3, 4, 5);
    json_t *s = dr_run_summary_json(run);
    json_t *o = json_object_get(s, "overhead");
    cr_expect_float_eq(num(o, "ready_while_idle"), 1, 1e-12);
    cr_expect_leq(num(o, "ready_while_idle"),
                  run->workers * num(s, "makespan") + 1e-12);
    json_decref(s);
}

Test(metrics, waiting_with_every_worker_busy_is_not_overhead, .init = setup,
     .fini = teardown, .timeout = 10) {
    /* b is ready at 0 but both workers run something until 2. */
    run->workers = 1;
    ok(0, 0, 0, 0, 2);
    ok(1, 0, 0, 2, 3);
    ok(2, 0, 3, 3, 4);
    ok(3, 0, 4, 4, 5);
    json_t *s = dr_run_summary_json(run);
    json_t *o = json_object_get(s, "overhead");
    cr_expect_float_eq(num(o, "ready_while_idle"), 0, 1e-12);
    cr_expect_float_eq(num(o, "latency_max"), 2, 1e-12);
    cr_expect_float_eq(num(s, "utilization"), 1, 1e-12);
    json_decref(s);
}

Test(metrics, failures_and_skipped_tasks_are_listed, .init = setup,
     .fini = teardown, .timeout = 10) {
    ok(1, 1, 0, 0, 1);
    cr_assert_geq(dr__run_add_attempt(run, 0, 0, 1, DR__ATTEMPT_FAILED, 0, 0, 1,
                                      "exit status 3"),
                  0);
    cr_assert_geq(dr__run_add_attempt(run, 0, 0, 2, DR__ATTEMPT_TIMEOUT, 1, 1,
                                      2, "timed out"),
                  0);
    run->makespan = 2;
    run->state[0] = DR_STATE_FAILED;
    run->state[2] = run->state[3] = DR_STATE_SKIPPED;
    cr_assert_eq(dr__run_add_failure(run, 0, 2, "timed out after 1 s",
                                     "line 1\nline 2\n"),
                 0);
    json_t *s = dr_run_summary_json(run);
    cr_expect_float_eq(num(s, "work"), 1, 1e-12, "failed attempts are no work");
    cr_expect_eq(json_integer_value(json_object_get(s, "succeeded")), 1);
    json_t *failed = json_object_get(s, "failed");
    cr_assert_eq(json_array_size(failed), 1);
    cr_expect_str_eq(json_string_value(json_array_get(failed, 0)), "a");
    json_t *skipped = json_object_get(s, "skipped");
    cr_expect_eq(json_array_size(skipped), 2);
    json_t *f = json_array_get(json_object_get(s, "failures"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(f, "reason")),
                     "timed out after 1 s");
    cr_expect_str_eq(json_string_value(json_object_get(f, "stderr_tail")),
                     "line 1\nline 2\n");
    cr_expect_eq(dr_run_status(run), DR_EFAILED);
    json_decref(s);
    /* The trace has both attempts of a, with their statuses. */
    json_t *t = dr_run_trace_json(run);
    size_t i, seen = 0;
    json_t *ev;
    json_array_foreach(json_object_get(t, "traceEvents"), i, ev) {
        json_t *args = json_object_get(ev, "args");
        const char *task = json_string_value(json_object_get(args, "task"));
        if (task == NULL || strcmp(task, "a") != 0)
            continue;
        json_int_t attempt =
            json_integer_value(json_object_get(args, "attempt"));
        cr_expect_str_eq(json_string_value(json_object_get(args, "status")),
                         attempt == 1 ? "failed" : "timeout");
        cr_expect_not_null(json_object_get(args, "error"));
        seen++;
    }
    cr_expect_eq(seen, 2);
    json_decref(t);
    /* The text summary names the failure and shows the stderr tail. */
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    dr_run_print_summary(run, out);
    fclose(out);
    cr_expect_not_null(strstr(text, "timed out after 1 s"), "%s", text);
    cr_expect_not_null(strstr(text, "| line 2"), "%s", text);
    free(text);
}

/* The summary printed into a new string (caller frees). */
static char *summary_text(const dr_run *r) {
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    cr_assert_not_null(out);
    dr_run_print_summary(r, out);
    fclose(out);
    return text;
}

/* A run of `graph` as it would be made for a real run of it (cpu_tasks
 * counted by dr__run_create), replacing the fixture's. */
static void recreate_run(unsigned workers, unsigned cores) {
    dr_run_destroy(run);
    dr_run_options o;
    dr_run_options_init(&o);
    run = dr__run_create(graph, &o, workers, cores, 0);
    cr_assert_not_null(run);
}

Test(metrics, text_summary_explains_and_warns_about_oversubscription,
     .init = setup, .fini = teardown, .timeout = 10) {
    /* Spinning tasks burn CPU in this process: 4 of them on 2 cores share
     * the cores. */
    json_t *args = json_pack("{s:i}", "units", 1);
    for (dr_task t = 0; t < 4; t++)
        cr_assert_eq(dr_task_set_builtin(graph, t, "spin", args), 0);
    json_decref(args);
    recreate_run(4, 2);
    schedule();
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    dr_run_print_summary(run, out);
    fclose(out);
    cr_expect_not_null(strstr(text, "Utilisation"), "%s", text);
    cr_expect_not_null(strstr(text, "idle tail"), "%s", text);
    cr_expect_not_null(strstr(text, "Note: 4 workers on"), "%s", text);
    json_t *s = dr_run_summary_json(run);
    cr_expect(json_is_true(json_object_get(s, "oversubscribed")));
    json_decref(s);
    free(text);
}

/* The trace's cat is the task's structural group (CONTRACTS.md: the name
 * the DAG gives it, graph/group.c): here each key's last number becomes
 * '*'. */
Test(metrics, trace_category_is_the_structural_group, .timeout = 10) {
    dr_graph *g = dr_graph_create();
    const char *keys[] = {"map-3", "reduce_12", "sink", "x-y", "-7"};
    for (int i = 0; i < 5; i++)
        dr_graph_add_task(g, keys[i], NULL);
    cr_assert_eq(dr_graph_validate(g, NULL), 0);
    dr_run *r = dr__run_create(g, NULL, 1, 1, 1);
    for (dr_task t = 0; t < 5; t++)
        dr__run_add_attempt(r, t, 0, 1, DR__ATTEMPT_OK, t, t, t + 1, NULL);
    json_t *trace = dr_run_trace_json(r);
    const char *expect[] = {"map-*", "reduce_*", "sink", "x-y", "-*"};
    size_t i, k = 0;
    json_t *ev;
    json_array_foreach(json_object_get(trace, "traceEvents"), i, ev) {
        if (strcmp(json_string_value(json_object_get(ev, "ph")), "X") != 0)
            continue;
        cr_expect_str_eq(json_string_value(json_object_get(ev, "cat")),
                         expect[k]);
        k++;
    }
    cr_expect_eq(k, 5);
    json_decref(trace);
    dr_run_destroy(r);
    dr_graph_destroy(g);
}

Test(metrics, keys_needing_escapes_survive_the_text_trace, .timeout = 10) {
    dr_graph *g = dr_graph_create();
    dr_graph_add_task(g, "quote\"back\\slash\ttab-é", NULL);
    cr_assert_eq(dr_graph_validate(g, NULL), 0);
    dr_run *r = dr__run_create(g, NULL, 1, 1, 1);
    dr__run_add_attempt(r, 0, 0, 1, DR__ATTEMPT_FAILED, 0, 0, 1, "bad \"x\"");
    char *text = dr__run_trace_text(r, NULL);
    json_error_t jerr;
    json_t *parsed = json_loads(text, 0, &jerr);
    cr_assert_not_null(parsed, "%s: %s", jerr.text, text);
    json_t *tree = dr_run_trace_json(r);
    cr_expect(json_equal(parsed, tree));
    json_decref(parsed), json_decref(tree);
    free(text);
    dr_run_destroy(r);
    dr_graph_destroy(g);
}

/* The sweep against brute force on random attempt lists with integer
 * times: every unit interval [k, k+1) is checked on its own. */
Test(metrics, sweep_matches_brute_force_on_random_attempts, .timeout = 20) {
    uint64_t seed = 12345;
    for (int round = 0; round < 20; round++) {
        dr_graph *g = dr_graph_create();
        size_t n = 30;
        for (size_t i = 0; i < n; i++) {
            char key[32];
            snprintf(key, sizeof(key), "t%zu", i);
            dr_graph_add_task(g, key, NULL);
        }
        cr_assert_eq(dr_graph_validate(g, NULL), 0);
        unsigned P = 3;
        dr_run *r = dr__run_create(g, NULL, P, P, 1);
        int ready[30], start[30], end[30];
        for (size_t i = 0; i < n; i++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            ready[i] = (int)((seed >> 33) % 40);
            start[i] = ready[i] + (int)((seed >> 45) % 4);
            end[i] = start[i] + (int)((seed >> 55) % 6);
            dr__run_add_attempt(r, (dr_task)i, (unsigned)i % P, 1,
                                DR__ATTEMPT_OK, ready[i], start[i], end[i],
                                NULL);
            if (end[i] > r->makespan)
                r->makespan = end[i];
        }
        json_t *s = dr_run_summary_json(r);
        json_t *profile = json_object_get(s, "profile");
        double rwi = 0;
        int maxr = 0;
        for (int k = 0; k < (int)r->makespan; k++) {
            int running = 0, waiting = 0;
            for (size_t i = 0; i < n; i++) {
                running += start[i] <= k && end[i] >= k + 1;
                waiting += ready[i] <= k && start[i] >= k + 1;
            }
            if (running < (int)P)
                rwi += waiting < (int)P - running ? waiting : (int)P - running;
            if (running > maxr)
                maxr = running;
            /* The profile's step in force at k + 0.5. */
            double v = 0;
            size_t i;
            json_t *step;
            json_array_foreach(profile, i, step) {
                if (json_number_value(json_array_get(step, 0)) <= k + 0.5)
                    v = json_number_value(json_array_get(step, 1));
            }
            cr_expect_eq((int)v, running, "round %d, t=%d", round, k);
        }
        cr_expect_float_eq(
            num(json_object_get(s, "overhead"), "ready_while_idle"), rwi, 1e-9,
            "round %d: %g vs %g", round,
            num(json_object_get(s, "overhead"), "ready_while_idle"), rwi);
        cr_expect_eq(json_integer_value(json_object_get(s, "max_running")),
                     maxr, "round %d", round);
        json_decref(s);
        dr_run_destroy(r);
        dr_graph_destroy(g);
    }
}

Test(metrics, no_critical_path_when_nothing_succeeded, .init = setup,
     .fini = teardown, .timeout = 10) {
    cr_assert_geq(dr__run_add_attempt(run, 0, 0, 1, DR__ATTEMPT_FAILED, 0, 0, 1,
                                      "exit status 3"),
                  0);
    run->makespan = 1;
    run->state[0] = DR_STATE_FAILED;
    json_t *s = dr_run_summary_json(run);
    cr_expect_eq(json_array_size(json_object_get(s, "critical_path")), 0);
    cr_expect_float_eq(num(s, "span"), 0, 1e-12);
    json_decref(s);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    dr_run_print_summary(run, f);
    fclose(f);
    cr_expect_not_null(strstr(text, "No task took measurable time"), "%s",
                       text);
    free(text);
}

/* ------------------------------------------------------ CPU-bound tasks */

Test(metrics, sleeping_tasks_on_more_workers_than_cores_get_no_core_warning,
     .init = setup, .fini = teardown, .timeout = 10) {
    json_t *args = json_pack("{s:i}", "ms", 1);
    for (dr_task t = 0; t < 4; t++)
        cr_assert_eq(dr_task_set_builtin(graph, t, "sleep", args), 0);
    json_decref(args);
    recreate_run(4, 2);
    schedule();
    char *text = summary_text(run);
    cr_expect_null(strstr(text, "workers on"), "%s", text);
    json_t *s = dr_run_summary_json(run);
    cr_expect(json_is_false(json_object_get(s, "oversubscribed")));
    cr_expect_eq(json_integer_value(json_object_get(s, "cpu_tasks")), 0);
    json_decref(s);
    free(text);
}

static int nothing(dr_call *call, void *user_data) {
    (void)call, (void)user_data;
    return 0;
}

Test(metrics, which_tasks_use_cpu_in_this_process, .timeout = 10) {
    dr_graph *g = dr_graph_create();
    const char *keys[] = {"spin", "pi",  "sleep", "sum", "noop",
                          "fail", "cmd", "sh",    "fn",  "none"};
    for (int i = 0; i < 10; i++)
        cr_assert_eq(dr_graph_add_task(g, keys[i], NULL), 0);
    json_t *spin = json_pack("{s:i}", "units", 1);
    json_t *pi = json_pack("{s:i}", "samples", 10);
    json_t *sleep = json_pack("{s:i}", "ms", 1);
    cr_assert_eq(dr_task_set_builtin(g, 0, "spin", spin), 0);
    cr_assert_eq(dr_task_set_builtin(g, 1, "pi", pi), 0);
    cr_assert_eq(dr_task_set_builtin(g, 2, "sleep", sleep), 0);
    cr_assert_eq(dr_task_set_builtin(g, 3, "sum", NULL), 0);
    cr_assert_eq(dr_task_set_builtin(g, 4, "noop", NULL), 0);
    cr_assert_eq(dr_task_set_builtin(g, 5, "fail", NULL), 0);
    const char *argv[] = {"true", NULL};
    cr_assert_eq(dr_task_set_argv(g, 6, argv, 1), 0);
    cr_assert_eq(dr_task_set_shell(g, 7, "true"), 0);
    cr_assert_eq(dr_task_set_function(g, 8, "f", nothing, NULL, NULL), 0);
    json_decref(spin), json_decref(pi), json_decref(sleep);
    const int expect[] = {1, 1, 0, 0, 0, 0, 0, 0, 1, 0};
    for (dr_task t = 0; t < 10; t++)
        cr_expect_eq(dr_task_uses_cpu(g, t, DR_COST_OP_NONE), expect[t],
                     "task %s", keys[t]);
    /* A task without an operation spins for its cost under --cost-op spin,
     * and only sleeps under --cost-op sleep. */
    cr_expect_eq(dr_task_uses_cpu(g, 9, DR_COST_OP_SPIN), 1);
    cr_expect_eq(dr_task_uses_cpu(g, 9, DR_COST_OP_SLEEP), 0);
    cr_expect_eq(dr_graph_cpu_tasks(g, DR_COST_OP_NONE), 3);
    cr_expect_eq(dr_graph_cpu_tasks(g, DR_COST_OP_SPIN), 4);
    cr_expect_eq(dr_task_uses_cpu(g, 99, DR_COST_OP_SPIN), 0, "out of range");
    dr_graph_destroy(g);
}

/* --------------------------------------------------- interrupted tasks */

/* What a signal leaves behind, as the executor records it: a and b were
 * running and were stopped (their attempts "interrupted", the core calls
 * them failed and skips c and d).  Settling makes a and b interrupted, and
 * c and d, which nothing real made fail, "not run". */
Test(metrics, interrupted_tasks_are_counted_apart_from_failed_and_not_run,
     .init = setup, .fini = teardown, .timeout = 10) {
    for (dr_task t = 0; t < 2; t++) {
        cr_assert_geq(dr__run_add_attempt(run, t, t, 1, DR__ATTEMPT_INTERRUPTED,
                                          0, 0, 1, "interrupted"),
                      0);
        cr_assert_eq(dr__run_add_failure(run, t, 1, "interrupted", NULL), 0);
        run->state[t] = DR_STATE_FAILED;
    }
    run->state[2] = run->state[3] = DR_STATE_SKIPPED;
    run->makespan = 1;
    run->interrupted = 1;
    dr__run_settle_interrupted(run);
    cr_expect_eq(dr_run_task_state(run, 0), DR_STATE_INTERRUPTED);
    cr_expect_eq(dr_run_task_state(run, 1), DR_STATE_INTERRUPTED);
    cr_expect_eq(dr_run_task_state(run, 2), DR_STATE_PENDING);
    cr_expect_eq(dr_run_task_state(run, 3), DR_STATE_PENDING);
    cr_expect_eq(dr_run_status(run), DR_EINTR);
    json_t *s = dr_run_summary_json(run);
    cr_expect_eq(json_array_size(json_object_get(s, "failed")), 0);
    cr_expect_eq(json_array_size(json_object_get(s, "failures")), 0);
    cr_expect_eq(json_array_size(json_object_get(s, "skipped")), 0);
    json_t *it = json_object_get(s, "interrupted_tasks");
    cr_assert_eq(json_array_size(it), 2);
    cr_expect_str_eq(json_string_value(json_array_get(it, 0)), "a");
    cr_expect_str_eq(json_string_value(json_array_get(it, 1)), "b");
    json_t *nr = json_object_get(s, "not_run");
    cr_assert_eq(json_array_size(nr), 2);
    cr_expect_str_eq(json_string_value(json_array_get(nr, 0)), "c");
    cr_expect_str_eq(json_string_value(json_array_get(nr, 1)), "d");
    cr_expect(json_is_true(json_object_get(s, "interrupted")));
    json_decref(s);
    char *text = summary_text(run);
    cr_expect_not_null(strstr(text, "Tasks: 0 succeeded, 0 failed, 2 "
                                    "interrupted, 0 skipped, 2 not run"),
                       "%s", text);
    cr_expect_not_null(
        strstr(text, "Interrupted (running when the run was stopped): 2 "
                     "tasks\n    a, b\n"),
        "%s", text);
    cr_expect_not_null(strstr(text, "Not run (never started): 2 tasks\n"
                                    "    c, d\n"),
                       "%s", text);
    free(text);
}

/* A failure before the signal stays a failure, and what it skipped stays
 * skipped; only the task the signal stopped is interrupted. */
Test(metrics, a_real_failure_before_the_signal_stays_a_failure, .init = setup,
     .fini = teardown, .timeout = 10) {
    cr_assert_geq(dr__run_add_attempt(run, 0, 0, 1, DR__ATTEMPT_FAILED, 0, 0, 1,
                                      "exit status 1"),
                  0);
    cr_assert_eq(dr__run_add_failure(run, 0, 1, "exit status 1", NULL), 0);
    cr_assert_geq(dr__run_add_attempt(run, 1, 1, 1, DR__ATTEMPT_INTERRUPTED, 0,
                                      0, 2, "interrupted"),
                  0);
    cr_assert_eq(dr__run_add_failure(run, 1, 1, "interrupted", NULL), 0);
    run->state[0] = run->state[1] = DR_STATE_FAILED;
    run->state[2] = run->state[3] = DR_STATE_SKIPPED;
    run->makespan = 2;
    run->interrupted = 1;
    dr__run_settle_interrupted(run);
    cr_expect_eq(dr_run_task_state(run, 0), DR_STATE_FAILED);
    cr_expect_eq(dr_run_task_state(run, 1), DR_STATE_INTERRUPTED);
    cr_expect_eq(dr_run_task_state(run, 2), DR_STATE_SKIPPED);
    cr_expect_eq(dr_run_task_state(run, 3), DR_STATE_SKIPPED);
    json_t *s = dr_run_summary_json(run);
    cr_expect_eq(json_array_size(json_object_get(s, "failures")), 1);
    cr_expect_eq(json_array_size(json_object_get(s, "interrupted_tasks")), 1);
    cr_expect_eq(json_array_size(json_object_get(s, "not_run")), 0);
    json_decref(s);
}

/* The real thing: SIGINT while two of four sleeps run on two workers.  The
 * summary file, the printed summary and the trace agree: two interrupted,
 * three never started (two sleeps and the task after them), none failed. */
Test(metrics, a_real_sigint_reports_interrupted_tasks_everywhere,
     .timeout = 120) {
    char *dir = drt_tmpdir();
    char *graph_path = drt_fmt("%s/long.json", dir);
    cr_assert_eq(
        drt_write_file(graph_path,
                       "{\"name\": \"long\", \"tasks\": [{\"id\": \"s-{i}\", "
                       "\"range\": {\"i\": \"4\"}, \"op\": \"sleep\", "
                       "\"args\": {\"ms\": 20000}}, {\"id\": \"after\", "
                       "\"deps\": [{\"all\": \"s-{i}\"}]}]}"),
        0);
    char *outdir = drt_fmt("%s/out", dir);
    char *stdout_path = drt_fmt("%s/stdout.txt", dir);
    char *quiet_path = drt_fmt("%s/quiet.txt", dir);
    /* Two runs at once, one with -q (a line on stderr says it all).  Three
     * seconds are long enough for a sanitizer build to start both. */
    char *cmd = drt_fmt(
        "'%s' run '%s' -w 2 -o '%s' >'%s' 2>&1 & pid=$!; "
        "'%s' run '%s' -w 2 -q --no-outputs 2>'%s' & qpid=$!; "
        "sleep 3; kill -INT $pid $qpid; wait $qpid; q=$?; wait $pid; r=$?; "
        "[ $q = 130 ] && exit $r; exit 1",
        drt_cli_path(), graph_path, outdir, stdout_path, drt_cli_path(),
        graph_path, quiet_path);
    int status = system(cmd);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 130, "status %d",
              status);
    char *quiet = drt_read_file(quiet_path, NULL);
    cr_assert_not_null(quiet);
    cr_expect_not_null(strstr(quiet, "dagrun: interrupted: 2 tasks stopped "
                                     "while running, 3 not run\n"),
                       "%s", quiet);
    free(quiet), free(quiet_path);
    char *summary_path = drt_fmt("%s/summary.json", outdir);
    json_t *s = json_load_file(summary_path, 0, NULL);
    cr_assert_not_null(s, "no summary written");
    cr_expect(json_is_true(json_object_get(s, "interrupted")));
    cr_expect_eq(json_array_size(json_object_get(s, "failed")), 0);
    cr_expect_eq(json_array_size(json_object_get(s, "interrupted_tasks")), 2);
    cr_expect_eq(json_array_size(json_object_get(s, "not_run")), 3);
    json_decref(s);
    char *text = drt_read_file(stdout_path, NULL);
    cr_assert_not_null(text);
    cr_expect_not_null(
        strstr(text, "0 succeeded, 0 failed, 2 interrupted, 0 skipped, "
                     "3 not run"),
        "%s", text);
    char *trace_path = drt_fmt("%s/trace.json", outdir);
    json_t *t = json_load_file(trace_path, 0, NULL);
    cr_assert_not_null(t, "no trace written");
    size_t i, interrupted = 0;
    json_t *ev;
    json_array_foreach(json_object_get(t, "traceEvents"), i, ev) {
        const char *st = json_string_value(
            json_object_get(json_object_get(ev, "args"), "status"));
        interrupted += st != NULL && strcmp(st, "interrupted") == 0;
    }
    cr_expect_eq(interrupted, 2);
    json_decref(t);
    free(trace_path), free(text), free(summary_path), free(cmd);
    free(stdout_path), free(outdir), free(graph_path);
    drt_rmtree(dir);
    free(dir);
}

/* ------------------------------------------------ cached tasks (resume) */

/* A resumed run's cached task: not run, no attempt (the executor records
 * none), its result reused. */
static void cached(dr_task t) { run->state[t] = DR_STATE_CACHED; }

static int has_key(json_t *list, const char *key) {
    size_t i;
    json_t *v;
    json_array_foreach(list, i,
                       v) if (strcmp(json_string_value(v), key) == 0) return 1;
    return 0;
}

Test(metrics, cached_tasks_are_counted_apart_and_not_as_run, .init = setup,
     .fini = teardown, .timeout = 10) {
    /* a and b were cached; c [0,3) and d [3,4) ran on worker 0. */
    cached(0), cached(1);
    ok(2, 0, 0, 0, 3);
    ok(3, 0, 3, 3, 4);
    json_t *s = dr_run_summary_json(run);
    cr_assert_not_null(s);
    cr_expect_eq(num(s, "cached_tasks"), 2);
    json_t *list = json_object_get(s, "cached");
    cr_expect_eq(json_array_size(list), 2);
    cr_expect(has_key(list, "a") && has_key(list, "b"));
    cr_expect_eq(num(s, "succeeded"), 2,
                 "cached tasks did not succeed: "
                 "they did not run");
    cr_expect_eq(json_array_size(json_object_get(s, "not_run")), 0,
                 "cached is not 'not run'");
    cr_expect_eq(json_array_size(json_object_get(s, "skipped")), 0);
    cr_expect_float_eq(num(s, "work"), 4, 1e-12, "c + d only");
    cr_expect_float_eq(num(s, "span"), 4, 1e-12);
    cr_expect_float_eq(num(s, "parallelism"), 1, 1e-12);
    json_t *path = json_object_get(s, "critical_path");
    cr_assert_eq(json_array_size(path), 2, "over the tasks that ran");
    cr_expect_str_eq(json_string_value(json_array_get(path, 0)), "c");
    cr_expect_float_eq(num(s, "utilization"), 0.5, 1e-12, "4 / (2 x 4)");
    /* a's and b's results feed c: held from the start until c ends, with
     * c's own at that instant (d, the sink, is kept to the end). */
    cr_expect_eq(num(s, "peak_live_results"), 3);
    json_decref(s);

    char *text = summary_text(run);
    cr_expect_not_null(strstr(text, "  2 tasks cached: not run, their "
                                    "recorded results reused (--resume)\n"
                                    "    a, b\n"),
                       "%s", text);
    cr_expect_not_null(strstr(text, "Tasks: 2 succeeded, 0 failed, 0 "
                                    "skipped, 0 not run"),
                       "%s", text);
    cr_expect_not_null(strstr(text, "dependencies only, over the tasks that "
                                    "ran): c -> d"),
                       "%s", text);
    cr_expect_not_null(strstr(text, "cached tasks add nothing"), "%s", text);
    free(text);
}

Test(metrics, one_cached_task_is_said_in_the_singular_and_none_says_nothing,
     .init = setup, .fini = teardown, .timeout = 10) {
    char *text = summary_text(run);
    cr_expect_null(strstr(text, "cached"), "no cached task: no line\n%s", text);
    free(text);
    json_t *s = dr_run_summary_json(run);
    cr_expect_eq(num(s, "cached_tasks"), 0);
    cr_expect_eq(json_array_size(json_object_get(s, "cached")), 0);
    json_decref(s);
    cached(0);
    ok(1, 0, 0, 0, 1);
    ok(2, 0, 1, 1, 2);
    ok(3, 1, 2, 2, 3);
    text = summary_text(run);
    cr_expect_not_null(strstr(text, "  1 task cached: not run, its recorded "
                                    "result reused (--resume)\n    a\n"),
                       "%s", text);
    free(text);
}

/* Every number of a summary is finite (jansson cannot write NaN: the
 * summary would be NULL). */
static void expect_finite(json_t *v, const char *where) {
    if (json_is_real(v))
        cr_expect(isfinite(json_real_value(v)), "%s", where);
    const char *k;
    json_t *x;
    size_t i;
    if (json_is_object(v))
        json_object_foreach(v, k, x) expect_finite(x, k);
    if (json_is_array(v))
        json_array_foreach(v, i, x) expect_finite(x, where);
}

Test(metrics, a_run_where_every_task_is_cached_reports_that_nothing_ran,
     .init = setup, .fini = teardown, .timeout = 10) {
    for (dr_task t = 0; t < 4; t++)
        cached(t);
    json_t *s = dr_run_summary_json(run);
    cr_assert_not_null(s, "no NaN, no division by zero");
    expect_finite(s, "summary");
    cr_expect_eq(num(s, "cached_tasks"), 4);
    cr_expect_eq(num(s, "succeeded"), 0);
    cr_expect_float_eq(num(s, "makespan"), 0, 1e-12);
    cr_expect_float_eq(num(s, "work"), 0, 1e-12);
    cr_expect_float_eq(num(s, "utilization"), 0, 1e-12);
    cr_expect_float_eq(num(s, "parallelism"), 0, 1e-12);
    cr_expect_eq(json_array_size(json_object_get(s, "critical_path")), 0);
    cr_expect_eq(json_array_size(json_object_get(s, "makespan_chain")), 0);
    /* d, a sink, is kept for the run's output: read back, one result. */
    cr_expect_eq(num(s, "peak_live_results"), 1);
    json_decref(s);
    char *text = summary_text(run);
    cr_expect_not_null(strstr(text, "  4 tasks cached: not run, their "
                                    "recorded results reused (--resume)\n"),
                       "%s", text);
    cr_expect_not_null(strstr(text, "  Nothing ran (makespan 0 s): no "
                                    "durations, critical path, parallelism "
                                    "or worker figures to report.\n"),
                       "%s", text);
    /* No figures of workers that had nothing to do. */
    cr_expect_null(strstr(text, "Utilisation"), "%s", text);
    cr_expect_null(strstr(text, "idle tail"), "%s", text);
    cr_expect_null(strstr(text, "attempts"), "%s", text);
    cr_expect_null(strstr(text, "nan"), "%s", text);
    cr_expect_null(strstr(text, "inf"), "%s", text);
    free(text);
}

Test(metrics, cached_cpu_tasks_neither_burn_cpu_nor_oversubscribe,
     .init = setup, .fini = teardown, .timeout = 10) {
    /* Four spinning tasks on 4 workers and 2 cores, all cached: nothing
     * burned CPU, so no "workers on cores" note. */
    json_t *args = json_pack("{s:i}", "units", 1);
    for (dr_task t = 0; t < 4; t++)
        cr_assert_eq(dr_task_set_builtin(graph, t, "spin", args), 0);
    json_decref(args);
    recreate_run(4, 2);
    for (dr_task t = 0; t < 4; t++)
        cached(t);
    json_t *s = dr_run_summary_json(run);
    cr_expect_eq(num(s, "cpu_tasks"), 0);
    cr_expect(json_is_false(json_object_get(s, "oversubscribed")));
    json_decref(s);
    char *text = summary_text(run);
    cr_expect_null(strstr(text, "Note: 4 workers on"), "%s", text);
    free(text);
    /* Two of them ran: those two count. */
    run->state[2] = run->state[3] = DR_STATE_PENDING;
    ok(2, 0, 0, 0, 1);
    ok(3, 1, 1, 1, 2);
    s = dr_run_summary_json(run);
    cr_expect_eq(num(s, "cpu_tasks"), 2);
    cr_expect(json_is_true(json_object_get(s, "oversubscribed")));
    json_decref(s);
    text = summary_text(run);
    cr_expect_not_null(strstr(text, "Note: 4 workers on 2 cores: 2 of the 4 "
                                    "tasks burn CPU"),
                       "%s", text);
    free(text);
}

Test(metrics, the_trace_marks_cached_tasks_as_instant_events, .init = setup,
     .fini = teardown, .timeout = 10) {
    cached(0), cached(1);
    ok(2, 0, 0, 0, 3);
    ok(3, 1, 3, 3, 4);
    json_t *trace = dr_run_trace_json(run);
    cr_assert_not_null(trace);
    json_t *other = json_object_get(trace, "otherData");
    cr_expect_eq(json_integer_value(json_object_get(other, "cached_tasks")), 2);
    size_t i, complete = 0, instants = 0, named = 0;
    json_t *ev;
    json_array_foreach(json_object_get(trace, "traceEvents"), i, ev) {
        const char *ph = json_string_value(json_object_get(ev, "ph"));
        json_t *args = json_object_get(ev, "args");
        if (strcmp(ph, "X") == 0) {
            complete++;
            cr_expect_str_neq(json_string_value(json_object_get(args, "task")),
                              "a");
        } else if (strcmp(ph, "i") == 0) {
            /* At the start of the run, on a row of their own after the
             * workers', status cached, no worker, no duration. */
            instants++;
            cr_expect_float_eq(json_number_value(json_object_get(ev, "ts")), 0,
                               1e-12);
            cr_expect_str_eq(json_string_value(json_object_get(ev, "s")), "t");
            cr_expect_eq(json_integer_value(json_object_get(ev, "tid")), 2);
            cr_expect_str_eq(json_string_value(json_object_get(args, "status")),
                             "cached");
            cr_expect_null(json_object_get(ev, "dur"));
            cr_expect_null(json_object_get(args, "worker"));
            cr_expect_str_eq(json_string_value(json_object_get(ev, "cat")),
                             json_string_value(json_object_get(args, "task")));
        } else if (strcmp(ph, "M") == 0 &&
                   json_integer_value(json_object_get(ev, "tid")) == 2) {
            named++;
            cr_expect_str_eq(json_string_value(json_object_get(args, "name")),
                             "cached (not run: results reused)");
        }
    }
    cr_expect_eq(complete, 2);
    cr_expect_eq(instants, 2);
    cr_expect_eq(named, 1);
    /* The streamed text says the same. */
    char *text = dr__run_trace_text(run, NULL);
    json_t *parsed = json_loads(text, 0, NULL);
    cr_assert_not_null(parsed);
    cr_expect(json_equal(parsed, trace));
    json_decref(parsed);
    free(text);
    json_decref(trace);
    /* Without cached tasks: no row for them, a count of 0. */
    for (dr_task t = 0; t < 2; t++)
        run->state[t] = DR_STATE_OK;
    trace = dr_run_trace_json(run);
    other = json_object_get(trace, "otherData");
    cr_expect_eq(json_integer_value(json_object_get(other, "cached_tasks")), 0);
    json_array_foreach(json_object_get(trace, "traceEvents"), i, ev)
        cr_expect_neq(json_integer_value(json_object_get(ev, "tid")), 2);
    json_decref(trace);
}

/* Worker 0 is busy from 0 to the end, but the sum of its three durations
 * falls 2 ulps short of the makespan: its idle time is 0, not a residue
 * of rounding printed as "1.78e-09 µs". */
Test(metrics, rounding_residues_print_as_zero, .init = setup, .fini = teardown,
     .timeout = 10) {
    const double t1 = 1.1918673240587485, t2 = 6.006790811870585,
                 t3 = 9.594240800441439;
    cr_assert_lt((t1 - 0) + (t2 - t1) + (t3 - t2), t3, "the test's premise");
    ok(0, 0, 0, 0, t1);
    ok(1, 1, 0, 0, 1);
    ok(2, 0, t1, t1, t2);
    ok(3, 0, t2, t2, t3);
    char *text = summary_text(run);
    const char *w0 = strstr(text, "\n  0  ");
    cr_assert_not_null(w0, "%s", text);
    const char *eol = strchr(w0 + 1, '\n');
    cr_assert_not_null(eol);
    char line[256];
    snprintf(line, sizeof line, "%.*s", (int)(eol - w0 - 1), w0 + 1);
    cr_expect_null(strstr(line, "µs"), "worker 0: '%s'", line);
    cr_expect_null(strstr(line, "e-"), "worker 0: '%s'", line);
    free(text);
    json_t *s = dr_run_summary_json(run);
    json_t *w0j = json_array_get(json_object_get(s, "per_worker"), 0);
    cr_expect_eq(num(w0j, "idle"), 0, "summary.json idle %g", num(w0j, "idle"));
    json_decref(s);
}

/* The summary's times are rounded before their unit is chosen: work of
 * 0.99999999985 s is "1 s", not "1e+03 ms". */
Test(metrics, times_round_before_their_unit_is_chosen, .init = setup,
     .fini = teardown, .timeout = 10) {
    ok(0, 0, 0, 0, 0.99999999985);
    char *text = summary_text(run);
    cr_expect_null(strstr(text, "e+03"), "%s", text);
    cr_expect_not_null(strstr(text, "Work T1 1 s"), "%s", text);
    free(text);
}

/* A simulation's span is by simulated durations, not measured ones. */
Test(metrics, a_simulated_span_says_simulated, .init = setup, .fini = teardown,
     .timeout = 10) {
    dr_run_destroy(run);
    dr_run_options o;
    dr_run_options_init(&o);
    run = dr__run_create(graph, &o, 2, 2, 1);
    cr_assert_not_null(run);
    schedule();
    char *text = summary_text(run);
    cr_expect_not_null(strstr(text, "chain of dependent tasks by simulated "
                                    "durations"),
                       "%s", text);
    free(text);
}
