/* The simulator's per-task overhead (dr_run_options.sim_overhead, `dagrun
 * run --simulate --overhead US`): every task keeps its worker that much
 * longer than its duration, which is how bench/metg.c --simulate predicts
 * Task Bench's METG from an overhead. */
#include "dagrun/run.h"
#include "support.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static dr_run *simulate(dr_graph *g, unsigned workers, double overhead,
                        double scale) {
    dr_run_options o;
    dr_run_options_init(&o);
    o.simulate = 1;
    o.workers = workers;
    o.sim_overhead = overhead;
    o.cost_scale = scale;
    dr_error err;
    dr_error_clear(&err);
    dr_run *run = dr_run_graph(g, &o, &err);
    cr_assert_not_null(run, "%s", err.text);
    return run;
}

static dr_graph *chain(void) {
    dr_graph *g = dr_graph_create();
    for (int i = 0; i < 5; i++) {
        char key[16];
        snprintf(key, sizeof(key), "c%d", i);
        dr_task t;
        cr_assert_eq(dr_graph_add_task(g, key, &t), 0);
        dr_task_set_cost(g, t, i + 1);
        if (i > 0)
            dr_graph_add_dep(g, t, t - 1);
    }
    return g;
}

Test(sim_overhead, every_task_keeps_its_worker_the_overhead_longer,
     .timeout = 10) {
    dr_graph *g = chain();
    dr_run *run = simulate(g, 2, 0.5, 1);
    cr_expect_float_eq(dr_run_makespan(run), 15 + 5 * 0.5, 1e-9);
    /* The overhead comes before each attempt, as the gap a real run's
     * scheduling leaves: the attempt is the task's own 3 s, and the
     * summary counts the gap as overhead per task, not as work. */
    dr_task t = dr_graph_find(g, "c2");
    cr_expect_float_eq(dr_run_task_end(run, t) - dr_run_task_start(run, t), 3.0,
                       1e-9);
    cr_expect_float_eq(dr_run_task_start(run, t) -
                           dr_run_task_end(run, dr_graph_find(g, "c1")),
                       0.5, 1e-9);
    json_t *sum = dr_run_summary_json(run);
    cr_assert_not_null(sum);
    cr_expect_float_eq(json_real_value(json_object_get(sum, "work")), 15, 1e-9);
    cr_expect_float_eq(json_real_value(json_object_get(sum, "sim_overhead")),
                       0.5, 1e-12);
    cr_expect_float_eq(json_real_value(json_object_get(
                           json_object_get(sum, "overhead"), "per_task")),
                       0.5, 1e-9);
    json_decref(sum);
    json_t *trace = dr_run_trace_json(run);
    cr_assert_not_null(trace);
    cr_expect_float_eq(
        json_real_value(json_object_get(json_object_get(trace, "otherData"),
                                        "sim_overhead_us")),
        5e5, 1e-6);
    json_decref(trace);
    dr_run_destroy(run);
    /* Not scaled with the costs: the runtime's time, not the task's. */
    run = simulate(g, 2, 0.5, 2);
    cr_expect_float_eq(dr_run_makespan(run), 30 + 5 * 0.5, 1e-9);
    dr_run_destroy(run);
    run = simulate(g, 2, 0, 1);
    cr_expect_float_eq(dr_run_makespan(run), 15, 1e-9);
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

/* Task Bench's stencil_1d at width 2 on 2 workers: every timestep takes
 * duration + overhead, so the efficiency is d / (d + o) and the METG(50%)
 * is where d = o. */
Test(sim_overhead, a_stencil_loses_the_overhead_at_every_timestep,
     .timeout = 10) {
    int64_t pattern;
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(dr_generator_choice("taskbench", "pattern", "stencil_1d",
                                     &pattern, &err),
                 0);
    dr_param p[] = {{"pattern", pattern},
                    {"width", 2},
                    {"steps", 100},
                    {"iterations", 1000},
                    {"iter_ps", 1000}};
    dr_graph *g = dr_generate("taskbench", p, 5, 1, NULL, &err);
    cr_assert_not_null(g, "%s", err.text);
    dr_run *run = simulate(g, 2, 3e-6, 1);
    cr_expect_float_eq(dr_run_makespan(run), 100 * (1e-6 + 3e-6), 1e-12);
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

Test(sim_overhead, a_negative_or_infinite_overhead_is_refused, .timeout = 10) {
    dr_graph *g = chain();
    dr_run_options o;
    dr_run_options_init(&o);
    o.simulate = 1;
    o.sim_overhead = -1;
    dr_error err;
    dr_error_clear(&err);
    cr_expect_null(dr_run_graph(g, &o, &err));
    cr_expect_eq(err.code, DR_EINVAL);
    o.sim_overhead = INFINITY;
    dr_error_clear(&err);
    cr_expect_null(dr_run_graph(g, &o, &err));
    cr_expect_eq(err.code, DR_EINVAL);
    dr_graph_destroy(g);
}

Test(sim_overhead_cli, overhead_is_in_microseconds_and_only_simulated,
     .timeout = 30) {
    char *dir = drt_tmpdir();
    char *out = NULL, *err = NULL;
    cr_assert_eq(drt_cli(NULL, &err,
                         "gen chain --set n=4 --set unit=1 -o '%s/c.json'",
                         dir),
                 0, "%s", err);
    free(err);
    cr_expect_eq(drt_cli(NULL, &err, "run '%s/c.json' --overhead 5", dir), 2);
    cr_expect_not_null(strstr(err, "dagrun run: --overhead is for a "
                                   "simulation: add --simulate (or --costs "
                                   "TRACE)"),
                       "%s", err);
    free(err);
    cr_expect_eq(
        drt_cli(NULL, &err, "run '%s/c.json' --simulate --overhead -2", dir),
        2);
    free(err);
    /* 4 tasks of 1 ms, 250 us each on top: 5 ms. */
    cr_assert_eq(drt_cli(&out, &err,
                         "run '%s/c.json' --simulate --overhead 250 "
                         "--no-outputs --json '%s/s.json'",
                         dir, dir),
                 0, "%s", err);
    cr_expect_not_null(strstr(out, "Overhead per task 250 µs (--overhead): "
                                   "each simulated task holds its worker"),
                       "%s", out);
    cr_expect_not_null(strstr(out, "Work T1 4 ms"), "%s", out);
    free(out), free(err);
    char *path = drt_fmt("%s/s.json", dir);
    json_t *s = json_load_file(path, 0, NULL);
    cr_assert_not_null(s);
    cr_expect_float_eq(json_number_value(json_object_get(s, "makespan")), 0.005,
                       1e-9);
    json_decref(s);
    free(path);
    drt_rmtree(dir);
    free(dir);
}
