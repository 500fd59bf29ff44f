/*
 * Real runs behind two of the scaling verdicts: the scheduling overhead per
 * task (summary.json overhead.per_task) and the granularity verdict it
 * feeds, and the critical-path ceiling of a measured experiment on a
 * costed graph.  Nothing here compares a time with a threshold: the
 * overhead is only asserted to exist (> 0), and the verdict is tested on
 * tasks that do nothing against tasks of 20 ms, thousands of times apart.
 */
#define _GNU_SOURCE
#include "dagrun/scale.h"
#include "support.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* n independent tasks of the builtin `op` (args may be NULL) feeding one
 * reduction, as `dagrun gen map-reduce` makes them. */
static dr_graph *map_reduce(size_t n, const char *op, json_t *args) {
    dr_graph *g = dr_graph_create();
    cr_assert_not_null(g);
    dr_graph_set_name(g, op);
    dr_task reduce;
    cr_assert_eq(dr_graph_add_task(g, "reduce", &reduce), 0);
    cr_assert_eq(dr_task_set_builtin(g, reduce, op, args), 0);
    for (size_t i = 0; i < n; i++) {
        char key[32];
        snprintf(key, sizeof(key), "map-%zu", i);
        dr_task t;
        cr_assert_eq(dr_graph_add_task(g, key, &t), 0);
        cr_assert_eq(dr_task_set_builtin(g, t, op, args), 0);
        cr_assert_eq(dr_graph_add_dep(g, reduce, t), 0);
    }
    dr_error err;
    cr_assert_eq(dr_graph_validate(g, &err), 0, "%s", err.text);
    return g;
}

static dr_scale_result *scale(dr_graph *g, const unsigned *ps, size_t n,
                              char *dir) {
    dr_scale_options o;
    dr_scale_options_init(&o);
    o.workers = ps;
    o.nworkers = n;
    o.repeat = 1;
    o.keep_traces = 0;
    o.run.run_dir = dir;
    dr_error err;
    dr_scale_result *r = dr_scale_run(g, &o, &err);
    cr_assert_not_null(r, "%s", err.text);
    return r;
}

Test(scaling_grain, noop_tasks_have_a_measured_overhead_per_task,
     .timeout = 60) {
    dr_graph *g = map_reduce(3000, "noop", NULL);
    char *dir = drt_tmpdir();
    dr_run_options ro;
    dr_run_options_init(&ro);
    ro.workers = 1;
    ro.run_dir = dir;
    dr_error err;
    dr_run *run = dr_run_graph(g, &ro, &err);
    cr_assert_not_null(run, "%s", err.text);
    cr_assert_eq(dr_run_status(run), 0);
    json_t *s = dr_run_summary_json(run);
    json_t *o = json_object_get(s, "overhead");
    double per_task = json_number_value(json_object_get(o, "per_task"));
    json_int_t dispatches =
        json_integer_value(json_object_get(o, "dispatches"));
    /* One worker goes straight from each task to the next. */
    cr_assert_eq(dispatches, 3000);
    cr_assert_gt(per_task, 0, "%s", json_dumps(o, 0));
    cr_assert(json_is_number(json_object_get(o, "task_median")));
    /* The attempts no longer swallow the gaps: the work is below the
     * makespan, and the utilisation below 100%. */
    cr_assert_lt(json_number_value(json_object_get(s, "work")),
                 json_number_value(json_object_get(s, "makespan")));
    json_decref(s);

    /* The printed summary says it, and that noops are too fine-grained. */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    dr_run_print_summary(run, f);
    fclose(f);
    cr_assert(strstr(text, "  Overhead per task ") != NULL, "%s", text);
    cr_assert(strstr(text, "Tasks too fine-grained") != NULL, "%s", text);
    free(text);
    dr_run_destroy(run);
    dr_graph_destroy(g);
    drt_rmtree(dir);
    free(dir);
}

Test(scaling_grain, a_scale_of_noop_tasks_says_they_are_too_fine_grained,
     .timeout = 60) {
    dr_graph *g = map_reduce(3000, "noop", NULL);
    char *dir = drt_tmpdir();
    unsigned ps[] = {1, 2};
    dr_scale_result *r = scale(g, ps, 2, dir);
    cr_assert_gt(r->task_overhead, 0);
    cr_assert(r->fine_grained, "%s", r->verdict);
    cr_assert(strstr(r->verdict, "Tasks are too fine-grained") != NULL, "%s",
              r->verdict);
    dr_scale_result_destroy(r);
    dr_graph_destroy(g);
    drt_rmtree(dir);
    free(dir);
}

Test(scaling_grain, coarse_tasks_are_not_called_fine_grained, .timeout = 60) {
    json_t *args = json_pack("{s:i}", "ms", 20);
    dr_graph *g = map_reduce(6, "sleep", args);
    json_decref(args);
    char *dir = drt_tmpdir();
    unsigned ps[] = {1, 2};
    dr_scale_result *r = scale(g, ps, 2, dir);
    cr_assert(isfinite(r->task_overhead));
    cr_assert_not(r->fine_grained, "%s", r->verdict);
    cr_assert(strstr(r->verdict, "fine-grained") == NULL, "%s", r->verdict);
    dr_scale_result_destroy(r);
    dr_graph_destroy(g);
    drt_rmtree(dir);
    free(dir);
}

Test(scaling_grain, a_measured_ceiling_is_analyzes_parallelism, .timeout = 60) {
    /* A costed graph whose tasks sleep their cost: a -> {b, c, d} -> e,
     * costs 10, 30, 20, 20, 10 ms.  `dagrun analyze` says T1/T-inf =
     * 90/50 = 1.8; the measured runs' own spans never give exactly that
     * (sleeps overshoot, more so on a busy machine), and the ceiling must
     * be the graph's figure at every P, not theirs. */
    dr_graph *g = dr_graph_create();
    dr_graph_set_name(g, "costed");
    const char *keys[] = {"a", "b", "c", "d", "e"};
    int ms[] = {10, 30, 20, 20, 10};
    dr_task t[5];
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(dr_graph_add_task(g, keys[i], &t[i]), 0);
        json_t *args = json_pack("{s:i}", "ms", ms[i]);
        cr_assert_eq(dr_task_set_builtin(g, t[i], "sleep", args), 0);
        json_decref(args);
        cr_assert_eq(dr_task_set_cost(g, t[i], ms[i] / 1000.0), 0);
    }
    for (int i = 1; i <= 3; i++) {
        cr_assert_eq(dr_graph_add_dep(g, t[i], t[0]), 0);
        cr_assert_eq(dr_graph_add_dep(g, t[4], t[i]), 0);
    }
    dr_error err;
    cr_assert_eq(dr_graph_validate(g, &err), 0, "%s", err.text);
    dr_analysis *a = dr_analyze(g, NULL, &err);
    cr_assert_not_null(a, "%s", err.text);
    double par = a->parallelism;
    dr_analysis_destroy(a);
    cr_assert_float_eq(par, 1.8, 1e-9);

    char *dir = drt_tmpdir();
    unsigned ps[] = {1, 2, 4};
    dr_scale_result *r = scale(g, ps, 3, dir);
    for (size_t i = 0; i < r->npoints; i++) {
        const dr_scale_point *pt = &r->points[i];
        cr_assert_float_eq(pt->ceiling_parallelism, par, 1e-12, "P = %u: %.17g",
                           pt->workers, pt->ceiling_parallelism);
        cr_assert_float_eq(pt->ceiling, fmin(pt->workers, par), 1e-12);
    }
    dr_scale_result_destroy(r);
    dr_graph_destroy(g);
    drt_rmtree(dir);
    free(dir);
}
