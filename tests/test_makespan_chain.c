/*
 * The chain of attempts that set the makespan (scheduler/makespan_chain.c),
 * beside the graph's critical path: on hand-built attempt lists (waits for a
 * worker, dependencies, retries, real-run latencies, inconsistent records),
 * on the pi example at 8 simulated workers, where the run ends with map-15,
 * which waited for map-6's worker, and on the lecture DAG at 1, 2 and 3
 * workers.
 */
#include "dagrun/run.h"
#include "run_internal.h"
#include "support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- helpers */

static dr_graph *graph;
static dr_run *run;

/* Tasks a, b, c, d, e with the dependencies in `edges` ("ca" = c needs a),
 * and an empty run on `workers` workers. */
static void make(const char *edges, unsigned workers) {
    graph = dr_graph_create();
    const char *keys[] = {"a", "b", "c", "d", "e"};
    for (int i = 0; i < 5; i++)
        cr_assert_eq(dr_graph_add_task(graph, keys[i], NULL), 0);
    for (const char *e = edges; e[0] && e[1]; e += 2)
        cr_assert_eq(dr_graph_add_dep(graph, (dr_task)(e[0] - 'a'),
                                      (dr_task)(e[1] - 'a')),
                     0);
    cr_assert_eq(dr_graph_validate(graph, NULL), 0);
    run = dr__run_create(graph, NULL, workers, workers, 0);
    cr_assert_not_null(run);
}

static void teardown(void) {
    dr_run_destroy(run);
    dr_graph_destroy(graph);
    run = NULL;
    graph = NULL;
}

static void attempt(char task, unsigned worker, unsigned number,
                    unsigned status, double ready, double start, double end) {
    cr_assert_geq(dr__run_add_attempt(run, (dr_task)(task - 'a'), worker,
                                      number, status, ready, start, end,
                                      status == DR__ATTEMPT_OK ? NULL : "x"),
                  0);
    if (end > run->makespan)
        run->makespan = end;
    run->state[task - 'a'] =
        status == DR__ATTEMPT_OK ? DR_STATE_OK : DR_STATE_FAILED;
}

static void ok(char task, unsigned worker, double ready, double start,
               double end) {
    attempt(task, worker, 1, DR__ATTEMPT_OK, ready, start, end);
}

/* The chain as text, "a:start b:worker ...", from summary.json (new). */
static char *chain_of(json_t *summary) {
    json_t *chain = json_object_get(summary, "makespan_chain");
    cr_assert(json_is_array(chain), "no makespan_chain");
    char *text = calloc(1, 4096);
    size_t i;
    json_t *step;
    json_array_foreach(chain, i, step) {
        const char *task = json_string_value(json_object_get(step, "task"));
        const char *via = json_string_value(json_object_get(step, "via"));
        cr_assert(task && via, "a step without task or via");
        cr_assert(json_is_integer(json_object_get(step, "worker")));
        cr_assert(json_is_number(json_object_get(step, "start")));
        cr_assert(json_is_number(json_object_get(step, "end")));
        snprintf(text + strlen(text), 4096 - strlen(text), "%s%s:%s",
                 i ? " " : "", task, via);
    }
    return text;
}

static char *chain_of_run(const dr_run *r) {
    json_t *s = dr_run_summary_json(r);
    cr_assert_not_null(s);
    char *text = chain_of(s);
    json_decref(s);
    return text;
}

static char *summary_text(const dr_run *r) {
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    cr_assert_not_null(out);
    dr_run_print_summary(r, out);
    fclose(out);
    return text;
}

static char *critical_path_of(json_t *summary) {
    json_t *path = json_object_get(summary, "critical_path");
    char *text = calloc(1, 4096);
    size_t i;
    json_t *key;
    json_array_foreach(path, i, key) {
        snprintf(text + strlen(text), 4096 - strlen(text), "%s%s", i ? " " : "",
                 json_string_value(key));
    }
    return text;
}

/* ------------------------------------------------------ hand-built runs */

Test(chain, follows_dependencies_when_no_worker_was_missing, .fini = teardown,
     .timeout = 10) {
    /* c needs a and b, d needs c; c waited 1 s after a for nothing (a
     * dispatch latency while worker 1 was free): still a dependency. */
    make("cacbdc", 2);
    ok('a', 0, 0, 0, 2);
    ok('b', 1, 0, 0, 1);
    ok('c', 0, 2, 3, 6);
    ok('d', 0, 6, 6, 7);
    char *c = chain_of_run(run);
    cr_expect_str_eq(c, "a:start c:dependency d:dependency");
    free(c);
}

Test(chain, a_task_ready_while_its_worker_was_busy_waited_for_a_worker,
     .fini = teardown, .timeout = 10) {
    /* One worker, two independent tasks: b was ready at 0 and started when
     * a freed the worker. */
    make("", 1);
    ok('a', 0, 0, 0, 1);
    ok('b', 0, 0, 1, 3);
    json_t *s = dr_run_summary_json(run);
    char *c = chain_of(s);
    cr_expect_str_eq(c, "a:start b:worker");
    json_t *last = json_array_get(json_object_get(s, "makespan_chain"), 1);
    cr_expect_float_eq(json_number_value(json_object_get(last, "start")), 1,
                       1e-12);
    cr_expect_float_eq(json_number_value(json_object_get(last, "end")), 3,
                       1e-12);
    cr_expect_eq(json_integer_value(json_object_get(last, "worker")), 0);
    /* The graph's critical path is b alone (no dependencies): the two
     * answers differ, and the summary names them apart. */
    char *cp = critical_path_of(s);
    cr_expect_str_eq(cp, "b");
    json_decref(s);
    char *text = summary_text(run);
    cr_expect_not_null(strstr(text, "Critical path of the graph (1 task, "
                                    "dependencies only): b\n"),
                       "%s", text);
    cr_expect_not_null(
        strstr(text, "Chain that set the makespan (2 steps): a => b  (-> "
                     "dependency, => waited for a worker)\n"),
        "%s", text);
    free(text), free(cp), free(c);
}

Test(chain, a_real_run_with_latencies_is_read_the_same_way, .fini = teardown,
     .timeout = 10) {
    /* Wall-clock times: each start is a little after the event that
     * allowed it.  d (needs b) was ready at 1.2 while worker 1 ran c until
     * 2.0 and worker 0 ran a until 2.5; it started at 2.0003 on worker 1. */
    make("db", 2);
    ok('a', 0, 0, 0.0001, 2.5);
    ok('b', 1, 0, 0.0002, 1.2);
    ok('c', 1, 0, 1.2004, 2.0);
    ok('d', 1, 1.2, 2.0003, 4.0);
    char *c = chain_of_run(run);
    cr_expect_str_eq(c, "b:start c:worker d:worker");
    free(c);
}

Test(chain, a_retry_follows_the_attempt_it_repeats, .fini = teardown,
     .timeout = 10) {
    /* a failed on worker 0 and was tried again on worker 1, then b ran. */
    make("ba", 2);
    attempt('a', 0, 1, DR__ATTEMPT_FAILED, 0, 0, 1);
    attempt('a', 1, 2, DR__ATTEMPT_OK, 1, 1, 2);
    ok('b', 1, 2, 2, 3);
    char *c = chain_of_run(run);
    /* A retry is no dependency of the graph: it has its own via. */
    cr_expect_str_eq(c, "a:start a:retry b:dependency");
    free(c);
    char *text = summary_text(run);
    cr_expect_not_null(strstr(text, "(3 steps, dependencies and retries only)"
                                    ": a (attempts 1 to 2, retried 1 time) "
                                    "-> b\n"),
                       "%s", text);
    free(text);
}

Test(chain, twenty_thousand_retries_print_as_one_item, .fini = teardown,
     .timeout = 60) {
    /* a, then b failing 19,999 times on one worker before it succeeds: the
     * chain has every attempt (20,001 steps), the printed line one item per
     * task, not one arrow per attempt. */
    make("ba", 1);
    ok('a', 0, 0, 0, 1);
    double t = 1;
    for (unsigned i = 1; i < 20000; i++, t += 0.001)
        attempt('b', 0, i, DR__ATTEMPT_FAILED, t, t, t + 0.001);
    attempt('b', 0, 20000, DR__ATTEMPT_OK, t, t, t + 0.001);
    json_t *s = dr_run_summary_json(run);
    cr_assert_not_null(s);
    json_t *chain = json_object_get(s, "makespan_chain");
    cr_assert_eq(json_array_size(chain), 20001);
    size_t retries = 0, i;
    json_t *step;
    json_array_foreach(chain, i, step) {
        retries += strcmp(json_string_value(json_object_get(step, "via")),
                          "retry") == 0;
    }
    cr_expect_eq(retries, 19999);
    json_decref(s);
    char *text = summary_text(run);
    const char *line = strstr(text, "Chain that set the makespan");
    cr_assert_not_null(line, "%s", text);
    size_t len = strcspn(line, "\n");
    cr_expect_lt(len, 200, "%.*s", (int)len, line);
    cr_expect_eq(strncmp(line,
                         "Chain that set the makespan (20001 steps, "
                         "dependencies and retries only): a -> b (attempts 1 "
                         "to 20000, retried 19999 times)\n",
                         len + 1),
                 0, "%.*s", (int)len, line);
    free(text);
}

Test(chain, ties_go_to_the_dependency_on_the_same_worker, .fini = teardown,
     .timeout = 10) {
    /* c needs a and b, which end together; c runs on b's worker. */
    make("cacb", 2);
    ok('a', 0, 0, 0, 2);
    ok('b', 1, 0, 0, 2);
    ok('c', 1, 2, 2, 3);
    char *c = chain_of_run(run);
    cr_expect_str_eq(c, "b:start c:dependency");
    free(c);
}

Test(chain, records_out_of_order_and_zero_length_attempts_still_end,
     .fini = teardown, .timeout = 10) {
    /* Attempts recorded in no particular order, two of them zero-length
     * at the same instant on the same worker (taken in record order). */
    make("", 1);
    ok('c', 0, 0, 2, 2);
    ok('a', 0, 0, 0, 2);
    ok('b', 0, 0, 2, 2);
    ok('d', 0, 0, 2, 5);
    char *c = chain_of_run(run);
    cr_expect_str_eq(c, "a:start c:worker b:worker d:worker");
    free(c);
}

Test(chain, an_empty_run_has_an_empty_chain, .fini = teardown, .timeout = 10) {
    make("", 1);
    json_t *s = dr_run_summary_json(run);
    json_t *chain = json_object_get(s, "makespan_chain");
    cr_expect(json_is_array(chain));
    cr_expect_eq(json_array_size(chain), 0);
    json_decref(s);
    char *text = summary_text(run);
    cr_expect_null(strstr(text, "Chain that set"), "%s", text);
    free(text);
}

/* ------------------------------------------------------------ examples */

static dr_graph *load_example(const char *name, const char *param_text) {
    dr_load_options lo = {0};
    dr_param param;
    char *copy = param_text ? strdup(param_text) : NULL;
    if (copy != NULL) {
        cr_assert_eq(dr_param_parse(copy, &param, NULL), 0);
        lo.params = &param;
        lo.nparams = 1;
    }
    char *path = drt_fmt("%s/examples/%s", DR_SOURCE_DIR, name);
    dr_error err;
    dr_error_clear(&err);
    dr_graph *g = dr_graph_load(path, &lo, &err);
    cr_assert_not_null(g, "%s", err.text);
    free(path);
    free(copy);
    return g;
}

static dr_run *simulate(dr_graph *g, unsigned workers) {
    dr_run_options o;
    dr_run_options_init(&o);
    o.simulate = 1;
    o.workers = workers;
    dr_error err;
    dr_error_clear(&err);
    dr_run *r = dr_run_graph(g, &o, &err);
    cr_assert_not_null(r, "%s", err.text);
    return r;
}

/* pi with 16 chunks on 8 workers, map-6 half again as long as the other
 * maps (what a real run measured: it got the slowest core).  map-6 holds
 * worker 0 until 1.5 s; at 1 s the other seven workers take map-8..14 and
 * map-15 has to wait for map-6's worker, so it ends last (2.5 s) and the
 * reduce follows it.  The graph's critical path is map-6 -> reduce, which
 * is not what ended the run. */
Test(chain, pi_on_8_workers_ends_with_map_15_after_map_6_on_its_worker,
     .timeout = 30) {
    dr_graph *g = load_example("pi.json", "chunks=16");
    for (dr_task t = 0; t < dr_graph_ntasks(g); t++)
        cr_assert_eq(dr_task_set_cost(g, t, 1.0), 0);
    cr_assert_eq(dr_task_set_cost(g, dr_graph_find(g, "map-6"), 1.5), 0);
    cr_assert_eq(dr_task_set_cost(g, dr_graph_find(g, "reduce"), 0.1), 0);
    dr_run *r = simulate(g, 8);
    json_t *s = dr_run_summary_json(r);
    char *cp = critical_path_of(s);
    cr_expect_str_eq(cp, "map-6 reduce");
    char *c = chain_of(s);
    cr_expect_str_eq(c, "map-6:start map-15:worker reduce:dependency");
    json_t *chain = json_object_get(s, "makespan_chain");
    json_t *m6 = json_array_get(chain, 0), *m15 = json_array_get(chain, 1);
    cr_expect_eq(json_integer_value(json_object_get(m6, "worker")),
                 json_integer_value(json_object_get(m15, "worker")),
                 "map-15 ran on map-6's worker");
    cr_expect_float_eq(json_number_value(json_object_get(m15, "start")), 1.5,
                       1e-9);
    cr_expect_float_eq(json_number_value(json_object_get(m15, "end")), 2.5,
                       1e-9);
    json_t *last = json_array_get(chain, 2);
    cr_expect_float_eq(json_number_value(json_object_get(last, "end")),
                       json_number_value(json_object_get(s, "makespan")), 1e-12,
                       "the chain ends at the makespan");
    json_decref(s);
    char *text = summary_text(r);
    cr_expect_not_null(strstr(text, "Critical path of the graph (2 tasks, "
                                    "dependencies only): map-6 -> reduce\n"),
                       "%s", text);
    cr_expect_not_null(strstr(text, "Chain that set the makespan (3 steps): "
                                    "map-6 => map-15 -> reduce  (-> "
                                    "dependency, => waited for a worker)\n"),
                       "%s", text);
    free(text), free(c), free(cp);
    dr_run_destroy(r);
    dr_graph_destroy(g);
}

/* The lecture DAG: on 2 or 3 workers the makespan is the critical path
 * a-b-e-f (f's other inputs end no later than e, which ran on f's worker);
 * on one worker every task waits for the worker, in the cp order a b c e d,
 * and the chain is the whole run. */
Test(chain, lecture_dag_at_one_two_and_three_workers, .timeout = 30) {
    dr_graph *g = load_example("lecture.json", NULL);
    const char *expect[] = {
        "a:start b:dependency c:worker e:worker d:worker f:dependency",
        "a:start b:dependency e:dependency f:dependency",
        "a:start b:dependency e:dependency f:dependency"};
    for (unsigned w = 1; w <= 3; w++) {
        dr_run *r = simulate(g, w);
        json_t *s = dr_run_summary_json(r);
        char *cp = critical_path_of(s);
        cr_expect_str_eq(cp, "a b e f", "%u workers", w);
        char *c = chain_of(s);
        cr_expect_str_eq(c, expect[w - 1], "%u workers", w);
        free(c), free(cp);
        json_decref(s);
        dr_run_destroy(r);
    }
    dr_graph_destroy(g);
}
