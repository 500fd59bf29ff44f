/* Metrics on hand-made attempt lists: work, span and the critical path by
 * measured durations, bounds, utilisation, per-worker idle tails, the
 * degree-of-parallelism profile, overhead and the failure lists. */
#include "run_internal.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

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

Test(metrics, text_summary_explains_and_warns_about_oversubscription,
     .init = setup, .fini = teardown, .timeout = 10) {
    schedule();
    run->workers = 4;
    run->cores = 2;
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
