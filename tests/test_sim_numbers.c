/*
 * Numbers at the edges of a simulation: huge virtual times must reach the
 * trace intact (issue 9 item 1: the text writer used to copy stack bytes
 * past its buffer), totals that overflow or scaled costs that are not finite
 * are refused before the run with a message naming what overflowed (item
 * 5), and tasks simulated at the default cost of 1 s are counted and
 * reported (issue 8).
 */
#include "dagrun/run.h"
#include "run_internal.h"
#include "support.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static dr_graph *load_text(const char *text) {
    dr_error err;
    dr_error_clear(&err);
    dr_graph *g =
        dr_graph_load_buffer(text, strlen(text), "test.json", NULL, &err);
    cr_assert_not_null(g, "%s", err.text);
    return g;
}

static dr_run_options sim_options(unsigned workers) {
    dr_run_options o;
    dr_run_options_init(&o);
    o.simulate = 1;
    o.workers = workers;
    return o;
}

static const char huge[] = "{\"tasks\": [{\"id\": \"a\", \"cost\": 1e300}, "
                           "{\"id\": \"b\", \"cost\": 1, \"deps\": [\"a\"]}]}";

/* The X event of `task` in a parsed trace. */
static json_t *event_of(json_t *trace, const char *task) {
    size_t i;
    json_t *ev;
    json_array_foreach(json_object_get(trace, "traceEvents"), i, ev) {
        const char *name = json_string_value(json_object_get(ev, "name"));
        const char *ph = json_string_value(json_object_get(ev, "ph"));
        if (name && ph && strcmp(ph, "X") == 0 && strcmp(name, task) == 0)
            return ev;
    }
    cr_assert_fail("no event for %s", task);
    return NULL;
}

static double num(json_t *o, const char *key) {
    json_t *v = json_object_get(o, key);
    cr_assert(json_is_number(v), "no number '%s'", key);
    return json_number_value(v);
}

/* ------------------------------------------------------ the trace text */

Test(sim_numbers, huge_virtual_times_reach_the_trace_text_intact,
     .timeout = 30) {
    dr_graph *g = load_text(huge);
    dr_run_options o = sim_options(2);
    dr_run *run = dr_run_graph(g, &o, NULL);
    cr_assert_not_null(run);
    size_t len = 0;
    char *text = dr__run_trace_text(run, &len);
    cr_assert_not_null(text);
    cr_expect_eq(strlen(text), len);
    /* Only the JSON the writer meant: printable ASCII and newlines. */
    for (size_t i = 0; i < len; i++)
        cr_assert((text[i] >= 0x20 && text[i] < 0x7f) || text[i] == '\n',
                  "byte %zu is 0x%02x", i, (unsigned char)text[i]);
    json_error_t jerr;
    json_t *trace = json_loads(text, 0, &jerr);
    cr_assert_not_null(trace, "%s", jerr.text);
    json_t *a = event_of(trace, "a"), *b = event_of(trace, "b");
    cr_expect_float_eq(num(a, "dur"), 1e306, 1e294);
    cr_expect_float_eq(num(b, "ts"), 1e306, 1e294);
    cr_expect_float_eq(num(json_object_get(b, "args"), "ready"), 1e306, 1e294);
    cr_expect_str_eq(json_string_value(
                         json_object_get(json_object_get(b, "args"), "status")),
                     "ok");
    /* The tree and the text say the same. */
    json_t *tree = dr_run_trace_json(run);
    cr_expect(json_equal(tree, trace));
    json_decref(tree);
    json_decref(trace);
    free(text);
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

/* The three reproducers, through the command line. */
Test(sim_numbers, huge_times_from_costs_scale_or_a_trace_give_valid_traces,
     .timeout = 120) {
    char *dir = drt_tmpdir();
    char *g = drt_fmt("%s/huge.json", dir);
    cr_assert_eq(drt_write_file(g, huge), 0);
    char *costs = drt_fmt("%s/costs.json", dir);
    cr_assert_eq(drt_write_file(costs,
                                "{\"traceEvents\": [{\"name\": \"a\", \"ph\": "
                                "\"X\", \"ts\": 0, \"dur\": 1e300, \"args\": "
                                "{\"task\": \"a\", \"status\": \"ok\"}}]}"),
                 0);
    const char *runs[] = {"-s", "-s --costs '%s'", "-s --cost-scale 1e100"};
    for (int i = 0; i < 3; i++) {
        char *opts = drt_fmt(runs[i], costs);
        const char *graph = i < 2 ? g : DR_SOURCE_DIR "/examples/lecture.json";
        char *err = NULL;
        int rc = drt_cli(NULL, &err,
                         "run '%s' %s -q --no-outputs --trace "
                         "'%s/t%d.json' --json '%s/s%d.json'",
                         graph, opts, dir, i, dir, i);
        cr_expect_eq(rc, 0, "%s: %s", opts, err);
        char *tp = drt_fmt("%s/t%d.json", dir, i);
        json_error_t jerr;
        json_t *t = json_load_file(tp, 0, &jerr);
        cr_expect_not_null(t, "%s: %s", opts, jerr.text);
        char *text = drt_read_file(tp, NULL);
        cr_assert_not_null(text);
        for (size_t k = 0; text[k]; k++)
            cr_assert((text[k] >= 0x20 && text[k] < 0x7f) || text[k] == '\n',
                      "%s: byte %zu is 0x%02x", opts, k,
                      (unsigned char)text[k]);
        if (i == 1) /* a lasted 1e300 µs in the trace given */
            cr_expect_float_eq(num(event_of(t, "a"), "dur"), 1e300, 1e288);
        json_decref(t);
        free(text), free(tp), free(err), free(opts);
    }
    free(costs), free(g);
    drt_rmtree(dir);
    free(dir);
}

/* ---------------------------------------------- non-finite totals, scale */

Test(sim_numbers, costs_whose_sum_overflows_are_refused_before_the_run,
     .timeout = 30) {
    dr_graph *g = load_text("{\"tasks\": [{\"id\": \"a\", \"cost\": 1e308}, "
                            "{\"id\": \"b\", \"cost\": 1.5e308}]}");
    dr_run_options o = sim_options(2);
    dr_error err;
    dr_error_clear(&err);
    cr_expect_null(dr_run_graph(g, &o, &err));
    cr_expect_eq(err.code, DR_ERANGE);
    cr_expect_not_null(strstr(err.text, "the simulated task durations add up "
                                        "to more than"),
                       "%s", err.text);
    cr_expect_not_null(strstr(err.text, "task 'b'"), "%s", err.text);
    dr_graph_destroy(g);
}

Test(sim_numbers, a_total_too_long_for_the_worker_count_is_refused,
     .timeout = 30) {
    /* Worker-seconds (up to workers x makespan) and microseconds must stay
     * finite: 1e300 s is fine on 2 workers, not on 100,000. */
    dr_graph *g = load_text("{\"tasks\": [{\"id\": \"a\", \"cost\": 1e300}]}");
    dr_run_options o = sim_options(2);
    dr_run *run = dr_run_graph(g, &o, NULL);
    cr_assert_not_null(run);
    json_t *s = dr_run_summary_json(run);
    cr_assert_not_null(s, "the summary of a finite run exists");
    cr_expect_float_eq(num(s, "makespan"), 1e300, 1e288);
    json_decref(s);
    dr_run_destroy(run);
    o.workers = 100000;
    dr_error err;
    dr_error_clear(&err);
    cr_expect_null(dr_run_graph(g, &o, &err));
    cr_expect_eq(err.code, DR_ERANGE);
    cr_expect_not_null(strstr(err.text, "on 100000 workers times at most"),
                       "%s", err.text);
    dr_graph_destroy(g);
}

Test(sim_numbers, a_cost_scale_that_makes_a_cost_infinite_names_the_task,
     .timeout = 30) {
    dr_graph *g = load_text("{\"tasks\": [{\"id\": \"small\", \"cost\": 1}, "
                            "{\"id\": \"big\", \"cost\": 1e10}]}");
    dr_run_options o = sim_options(2);
    o.cost_scale = 1e300;
    dr_error err;
    dr_error_clear(&err);
    cr_expect_null(dr_run_graph(g, &o, &err));
    cr_expect_eq(err.code, DR_ERANGE);
    cr_expect_str_eq(err.task, "big");
    cr_expect_not_null(strstr(err.text, "not a finite number of seconds"), "%s",
                       err.text);
    /* A real run that would sleep for cost x scale is refused the same way,
     * instead of sleeping forever. */
    dr_run_options_init(&o);
    o.cost_op = DR_COST_OP_SLEEP;
    o.cost_scale = 1e300;
    o.workers = 1;
    dr_error_clear(&err);
    cr_expect_null(dr_run_graph(g, &o, &err));
    cr_expect_str_eq(err.task, "big");
    dr_graph_destroy(g);
}

Test(sim_numbers, overflowing_totals_exit_2_with_a_clear_message_and_no_files,
     .timeout = 60) {
    char *dir = drt_tmpdir();
    char *g = drt_fmt("%s/inf.json", dir);
    cr_assert_eq(drt_write_file(g, "{\"tasks\": [{\"id\": \"a\", \"cost\": "
                                   "1e308}, {\"id\": \"b\", \"cost\": 1e308, "
                                   "\"deps\": [\"a\"]}]}"),
                 0);
    char *err = NULL;
    int rc = drt_cli(NULL, &err, "run '%s' -s -o '%s/out'", g, dir);
    cr_expect_eq(rc, 2, "%s", err);
    cr_expect_not_null(strstr(err, "add up to more than"), "%s", err);
    cr_expect_null(strstr(err, "out of memory"), "%s", err);
    free(err);
    err = NULL;
    rc = drt_cli(NULL, &err, "run '%s' -s --cost-scale 1e308 -o '%s/out'",
                 DR_SOURCE_DIR "/examples/lecture.json", dir);
    cr_expect_eq(rc, 2, "%s", err);
    cr_expect_not_null(strstr(err, "task 'b': its duration"), "%s", err);
    char *summary = drt_fmt("%s/out/summary.json", dir);
    cr_expect_neq(access(summary, F_OK), 0, "nothing ran, nothing written");
    free(summary), free(err), free(g);
    drt_rmtree(dir);
    free(dir);
}

/* ------------------------------------------------ tasks without a cost */

Test(sim_numbers, tasks_without_a_cost_are_counted_and_reported,
     .timeout = 30) {
    dr_error err;
    dr_error_clear(&err);
    dr_graph *pi = dr_graph_load(DR_SOURCE_DIR "/examples/pi.json", NULL, &err);
    cr_assert_not_null(pi, "%s", err.text);
    dr_run_options o = sim_options(64);
    dr_run *run = dr_run_graph(pi, &o, NULL);
    cr_assert_not_null(run);
    json_t *s = dr_run_summary_json(run);
    cr_expect_eq(json_integer_value(json_object_get(s, "tasks_without_cost")),
                 33);
    json_decref(s);
    char *text = NULL;
    size_t len;
    FILE *f = open_memstream(&text, &len);
    dr_run_print_summary(run, f);
    fclose(f);
    cr_expect_not_null(strstr(text, "Note: 33 of the 33 tasks have no cost; "
                                    "each was simulated as taking 1 s."),
                       "%s", text);
    free(text);
    dr_run_destroy(run);
    dr_graph_destroy(pi);

    /* Sleeps take their length; tasks with costs theirs; a trace gives the
     * tasks it holds. */
    dr_graph *g = load_text(
        "{\"tasks\": [{\"id\": \"s\", \"op\": \"sleep\", \"args\": {\"ms\": "
        "5}}, {\"id\": \"c\", \"cost\": 2}, {\"id\": \"x\"}, {\"id\": "
        "\"y\"}]}");
    o = sim_options(2);
    run = dr_run_graph(g, &o, NULL);
    s = dr_run_summary_json(run);
    cr_expect_eq(json_integer_value(json_object_get(s, "tasks_without_cost")),
                 2, "x and y");
    json_decref(s);
    dr_run_destroy(run);
    char *dir = drt_tmpdir();
    char *costs = drt_fmt("%s/costs.json", dir);
    cr_assert_eq(drt_write_file(costs,
                                "{\"traceEvents\": [{\"name\": \"x\", \"ph\": "
                                "\"X\", \"ts\": 0, \"dur\": 300, \"args\": "
                                "{\"task\": \"x\", \"status\": \"ok\"}}]}"),
                 0);
    o.costs_trace = costs;
    run = dr_run_graph(g, &o, &err);
    cr_assert_not_null(run, "%s", err.text);
    s = dr_run_summary_json(run);
    cr_expect_eq(json_integer_value(json_object_get(s, "tasks_without_cost")),
                 1, "only y");
    json_decref(s);
    text = NULL;
    f = open_memstream(&text, &len);
    dr_run_print_summary(run, f);
    fclose(f);
    cr_expect_not_null(strstr(text, "Note: 1 of the 4 tasks has no cost"), "%s",
                       text);
    free(text);
    dr_run_destroy(run);
    /* A real run measures its durations: nothing to warn about. */
    dr_run_options_init(&o);
    o.workers = 2;
    run = dr_run_graph(g, &o, &err);
    cr_assert_not_null(run, "%s", err.text);
    s = dr_run_summary_json(run);
    cr_expect_eq(json_integer_value(json_object_get(s, "tasks_without_cost")),
                 0);
    json_decref(s);
    dr_run_destroy(run);
    drt_rmtree(dir);
    free(costs), free(dir);
    dr_graph_destroy(g);
}

Test(sim_numbers, a_graph_with_every_cost_set_gets_no_warning, .timeout = 30) {
    dr_error err;
    dr_error_clear(&err);
    dr_graph *g =
        dr_graph_load(DR_SOURCE_DIR "/examples/lecture.json", NULL, &err);
    cr_assert_not_null(g, "%s", err.text);
    dr_run_options o = sim_options(3);
    dr_run *run = dr_run_graph(g, &o, NULL);
    json_t *s = dr_run_summary_json(run);
    json_t *count = json_object_get(s, "tasks_without_cost");
    cr_expect(json_is_integer(count));
    cr_expect_eq(json_integer_value(count), 0);
    json_decref(s);
    char *text = NULL;
    size_t len;
    FILE *f = open_memstream(&text, &len);
    dr_run_print_summary(run, f);
    fclose(f);
    cr_expect_null(strstr(text, "no cost"), "%s", text);
    free(text);
    dr_run_destroy(run);
    dr_graph_destroy(g);
}
