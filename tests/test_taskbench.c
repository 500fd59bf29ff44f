/*
 * `dagrun gen taskbench` (graph/generate.c) and the `compute` builtin it
 * runs.  The dependency sets are checked two ways: hand-written lists for
 * a few points of each pattern, worked out on paper from Task Bench's
 * core/core.cc (TaskGraph::dependencies, dependence_set_at_timestep,
 * width_at_timestep), and for every point of small graphs against the
 * patterns' stated properties (trivial: none; no_comm: its own column;
 * stencil_1d: x-1..x+1 clipped; ...).  The predicted task and dependency
 * counts are checked to be exact, since the size caps rely on them.
 */
#include "builtins.h"
#include "support.h"

#include <criterion/criterion.h>
#include <dagrun.h>
#include <dagrun/run.h>
#include <jansson.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- helpers */

static int64_t pattern_value(const char *word) {
    dr_error err;
    dr_error_clear(&err);
    int64_t v = -1;
    cr_assert_eq(dr_generator_choice("taskbench", "pattern", word, &v, &err), 0,
                 "%s: %s", word, err.text);
    return v;
}

/* A taskbench graph of `pattern`, width w, `steps` timesteps, and radix
 * and period when not negative. */
static dr_graph *tb(const char *pattern, int64_t w, int64_t steps,
                    int64_t radix, int64_t period) {
    dr_param p[6] = {
        {"pattern", pattern_value(pattern)}, {"width", w}, {"steps", steps}};
    size_t n = 3;
    if (radix >= 0)
        p[n++] = (dr_param){"radix", radix};
    if (period >= 0)
        p[n++] = (dr_param){"period", period};
    dr_error err;
    dr_error_clear(&err);
    dr_graph *g = dr_generate("taskbench", p, n, 1, NULL, &err);
    cr_assert_not_null(g, "taskbench %s w=%lld: %s", pattern, (long long)w,
                       err.text);
    return g;
}

static void tb_fails(const dr_param *p, size_t n, int code, const char *text) {
    dr_error err;
    dr_error_clear(&err);
    dr_graph *g = dr_generate("taskbench", p, n, 1, NULL, &err);
    cr_assert_null(g, "should fail: %s", text);
    cr_assert_eq(err.code, code, "code %s (%s)", dr_err_name(err.code),
                 err.text);
    cr_assert_str_eq(err.text, text);
}

/* The points of timestep t-1 that step-t-p depends on, ascending, as a
 * string "0,1,2" ("" for none); asserts every dependency is on t-1. */
static char *deps_of(const dr_graph *g, int64_t t, int64_t p) {
    char key[64];
    snprintf(key, sizeof(key), "step-%lld-%lld", (long long)t, (long long)p);
    dr_task task = dr_graph_find(g, key);
    cr_assert_neq(task, DR_TASK_NONE, "no task %s", key);
    size_t n;
    const dr_task *deps = dr_task_deps(g, task, &n);
    int64_t *points = malloc((n ? n : 1) * sizeof(*points));
    for (size_t i = 0; i < n; i++) {
        long long dt, dp;
        cr_assert_eq(
            sscanf(dr_task_key(g, deps[i]), "step-%lld-%lld", &dt, &dp), 2);
        cr_assert_eq(dt, t - 1, "%s depends on %s", key,
                     dr_task_key(g, deps[i]));
        points[i] = dp;
    }
    for (size_t i = 1; i < n; i++) /* insertion sort: n is tiny */
        for (size_t j = i; j > 0 && points[j - 1] > points[j]; j--) {
            int64_t x = points[j];
            points[j] = points[j - 1];
            points[j - 1] = x;
        }
    char *text = calloc(1, 16 * n + 1);
    for (size_t i = 0; i < n; i++) {
        cr_assert(i == 0 || points[i] != points[i - 1], "%s: repeated dep",
                  key);
        sprintf(text + strlen(text), "%s%lld", i ? "," : "",
                (long long)points[i]);
    }
    free(points);
    return text;
}

static void expect_deps(const dr_graph *g, int64_t t, int64_t p,
                        const char *want) {
    char *got = deps_of(g, t, p);
    cr_expect_str_eq(got, want, "step-%lld-%lld in %s", (long long)t,
                     (long long)p, dr_graph_name(g));
    free(got);
}

/* "lo,lo+1,...,hi" clipped to 0..w-1. */
static char *range(int64_t lo, int64_t hi, int64_t w) {
    char *text = calloc(1, 16 * (size_t)(w + 1) + 1);
    int first = 1;
    for (int64_t q = lo < 0 ? 0 : lo; q <= hi && q < w; q++, first = 0)
        sprintf(text + strlen(text), "%s%lld", first ? "" : ",", (long long)q);
    return text;
}

/* ------------------------------------------------------ hand-checked lists */

Test(taskbench, stencil_1d_points_depend_on_their_clipped_neighbours) {
    dr_graph *g = tb("stencil_1d", 3, 3, -1, -1);
    expect_deps(g, 1, 0, "0,1");
    expect_deps(g, 1, 1, "0,1,2");
    expect_deps(g, 2, 2, "1,2");
    expect_deps(g, 0, 1, "");
    cr_expect_str_eq(dr_graph_name(g), "taskbench-stencil_1d-width3-steps3-"
                                       "iterations1000");
    dr_graph_destroy(g);
}

Test(taskbench, nearest_takes_radix_points_from_p_minus_half) {
    /* core.cc: max(0, p - radix/2) .. min(p + (radix-1)/2, width-1). */
    dr_graph *g = tb("nearest", 5, 2, 4, -1);
    expect_deps(g, 1, 0, "0,1");
    expect_deps(g, 1, 2, "0,1,2,3");
    expect_deps(g, 1, 4, "2,3,4");
    dr_graph_destroy(g);
    g = tb("nearest", 5, 2, 2, -1);
    expect_deps(g, 1, 0, "0");
    expect_deps(g, 1, 3, "2,3");
    dr_graph_destroy(g);
    g = tb("nearest", 5, 2, 5, -1);
    expect_deps(g, 1, 2, "0,1,2,3,4");
    expect_deps(g, 1, 0, "0,1,2");
    dr_graph_destroy(g);
    g = tb("nearest", 5, 2, 0, -1);
    expect_deps(g, 1, 2, "");
    dr_graph_destroy(g);
}

Test(taskbench, spread_shifts_by_the_timestep_modulo_the_period) {
    /* width 6, radix 3: offsets 0, 2, 4, the last two shifted by t % 2. */
    dr_graph *g = tb("spread", 6, 3, 3, 2);
    expect_deps(g, 1, 0, "0,3,5");
    expect_deps(g, 1, 2, "1,2,5");
    expect_deps(g, 2, 1, "1,3,5");
    dr_graph_destroy(g);
    /* Width 2 on 2 cores (bench/metg): radix 2, period 1 is everything. */
    g = tb("spread", 2, 2, 2, 1);
    expect_deps(g, 1, 0, "0,1");
    expect_deps(g, 1, 1, "0,1");
    dr_graph_destroy(g);
}

Test(taskbench, tree_fans_out_then_keeps_p_over_2) {
    dr_graph *g = tb("tree", 4, 4, -1, -1);
    cr_expect_eq(dr_graph_ntasks(g), 1 + 2 + 4 + 4);
    cr_expect_eq(dr_graph_find(g, "step-0-1"), DR_TASK_NONE);
    cr_expect_eq(dr_graph_find(g, "step-1-2"), DR_TASK_NONE);
    expect_deps(g, 1, 1, "0");
    expect_deps(g, 2, 3, "1");
    expect_deps(g, 3, 0, "0");
    expect_deps(g, 3, 3, "1");
    dr_graph_destroy(g);
}

Test(taskbench, fft_butterflies_cycle_through_the_strides) {
    /* width 4: ceil(log2 4) = 2 sets; timestep t uses stride 2^((t-1)%2). */
    dr_graph *g = tb("fft", 4, 4, -1, -1);
    expect_deps(g, 1, 0, "0,1");
    expect_deps(g, 1, 1, "0,1,2");
    expect_deps(g, 1, 3, "2,3");
    expect_deps(g, 2, 0, "0,2");
    expect_deps(g, 2, 1, "1,3");
    expect_deps(g, 2, 3, "1,3");
    expect_deps(g, 3, 2, "1,2,3");
    dr_graph_destroy(g);
    /* width 5: 3 sets, stride 4 at t = 3. */
    g = tb("fft", 5, 4, -1, -1);
    expect_deps(g, 3, 0, "0,4");
    expect_deps(g, 3, 2, "2");
    expect_deps(g, 3, 4, "0,4");
    dr_graph_destroy(g);
}

Test(taskbench, all_to_all_trivial_and_no_comm) {
    dr_graph *g = tb("all_to_all", 3, 3, -1, -1);
    expect_deps(g, 2, 1, "0,1,2");
    dr_graph_destroy(g);
    g = tb("trivial", 3, 3, -1, -1);
    cr_expect_eq(dr_graph_nedges(g), 0);
    dr_graph_destroy(g);
    g = tb("no_comm", 3, 3, -1, -1);
    expect_deps(g, 2, 1, "1");
    dr_graph_destroy(g);
}

/* ------------------------------------------------------------ properties */

/* Every point of small graphs of every pattern against the pattern's
 * definition, written here from Task Bench's intervals. */
Test(taskbench, every_point_of_small_graphs_follows_its_pattern) {
    static const char *const patterns[] = {"trivial", "no_comm",   "stencil_1d",
                                           "nearest", "spread",    "tree",
                                           "fft",     "all_to_all"};
    for (size_t k = 0; k < sizeof(patterns) / sizeof(patterns[0]); k++) {
        const char *pat = patterns[k];
        for (int64_t w = 1; w <= 7; w++) {
            if (strcmp(pat, "fft") == 0 && w < 2)
                continue;
            int radixed = !strcmp(pat, "nearest") || !strcmp(pat, "spread");
            int64_t radix = radixed ? (w < 3 ? w : 3) : -1;
            int64_t period =
                !strcmp(pat, "spread") ? (w + radix - 1) / radix : -1;
            int64_t steps = 6;
            dr_graph *g = tb(pat, w, steps, radix, period);
            int64_t sets = 0;
            while (((int64_t)1 << sets) < w)
                sets++;
            for (int64_t t = 0; t < steps; t++) {
                int64_t width = w;
                if (!strcmp(pat, "tree") && t < 62 && ((int64_t)1 << t) < w)
                    width = (int64_t)1 << t;
                for (int64_t p = 0; p < width; p++) {
                    char *want;
                    if (t == 0 || !strcmp(pat, "trivial")) {
                        want = strdup("");
                    } else if (!strcmp(pat, "no_comm")) {
                        want = range(p, p, w);
                    } else if (!strcmp(pat, "stencil_1d")) {
                        want = range(p - 1, p + 1, w);
                    } else if (!strcmp(pat, "nearest")) {
                        want = range(p - radix / 2, p + (radix - 1) / 2, w);
                    } else if (!strcmp(pat, "all_to_all")) {
                        want = range(0, w - 1, w);
                    } else if (!strcmp(pat, "tree")) {
                        want = range(p / 2, p / 2, w);
                    } else if (!strcmp(pat, "fft")) {
                        int64_t s = (int64_t)1 << ((t - 1) % sets);
                        want = calloc(1, 64);
                        if (p - s >= 0)
                            sprintf(want, "%lld,", (long long)(p - s));
                        sprintf(want + strlen(want), "%lld", (long long)p);
                        if (p + s < w)
                            sprintf(want + strlen(want), ",%lld",
                                    (long long)(p + s));
                    } else { /* spread: membership of each offset */
                        char *set = calloc(1, (size_t)w);
                        for (int64_t i = 0; i < radix; i++)
                            set[(p + i * w / radix + (i ? t % period : 0)) %
                                w] = 1;
                        want = calloc(1, 16 * (size_t)w + 1);
                        for (int64_t q = 0; q < w; q++)
                            if (set[q])
                                sprintf(want + strlen(want), "%s%lld",
                                        want[0] ? "," : "", (long long)q);
                        free(set);
                    }
                    expect_deps(g, t, p, want);
                    free(want);
                }
            }
            dr_graph_destroy(g);
        }
    }
}

/* The predicted counts are exact: with the caps at the real counts every
 * pattern still generates, and one less refuses it. */
Test(taskbench, predicted_task_and_dependency_counts_are_exact) {
    static const char *const patterns[] = {"trivial", "no_comm",   "stencil_1d",
                                           "nearest", "spread",    "tree",
                                           "fft",     "all_to_all"};
    for (size_t k = 0; k < sizeof(patterns) / sizeof(patterns[0]); k++) {
        const char *pat = patterns[k];
        int radixed = !strcmp(pat, "nearest") || !strcmp(pat, "spread");
        for (int64_t w = 2; w <= 9; w += 7) {
            dr_graph *g = tb(pat, w, 11, radixed ? 2 : -1, -1);
            size_t tasks = dr_graph_ntasks(g), edges = dr_graph_nedges(g);
            dr_graph_destroy(g);
            char *text = drt_fmt("%zu", tasks);
            setenv("DAGRUN_MAX_TASKS", text, 1);
            free(text);
            text = drt_fmt("%zu", edges ? edges : 1);
            setenv("DAGRUN_MAX_DEPS", text, 1);
            free(text);
            dr_graph_destroy(tb(pat, w, 11, radixed ? 2 : -1, -1));
            dr_param p[4] = {{"pattern", pattern_value(pat)},
                             {"width", w},
                             {"steps", 11},
                             {"radix", 2}};
            dr_error err;
            dr_error_clear(&err);
            text = drt_fmt("%zu", tasks - 1);
            setenv("DAGRUN_MAX_TASKS", text, 1);
            free(text);
            cr_expect_null(
                dr_generate("taskbench", p, radixed ? 4 : 3, 1, NULL, &err),
                "%s w=%lld: %zu tasks not predicted", pat, (long long)w, tasks);
            if (edges > 1) {
                text = drt_fmt("%zu", tasks);
                setenv("DAGRUN_MAX_TASKS", text, 1);
                free(text);
                text = drt_fmt("%zu", edges - 1);
                setenv("DAGRUN_MAX_DEPS", text, 1);
                free(text);
                dr_error_clear(&err);
                cr_expect_null(
                    dr_generate("taskbench", p, radixed ? 4 : 3, 1, NULL, &err),
                    "%s w=%lld: %zu deps not predicted", pat, (long long)w,
                    edges);
            }
            unsetenv("DAGRUN_MAX_TASKS");
            unsetenv("DAGRUN_MAX_DEPS");
        }
    }
}

Test(taskbench, tasks_run_compute_for_the_iterations_at_their_cost) {
    dr_param p[] = {{"pattern", pattern_value("no_comm")},
                    {"iterations", 5000},
                    {"iter_ps", 3000}};
    dr_error err;
    dr_error_clear(&err);
    dr_graph *g = dr_generate("taskbench", p, 3, 1, NULL, &err);
    cr_assert_not_null(g, "%s", err.text);
    dr_task t = dr_graph_find(g, "step-2-1");
    cr_assert_str_eq(dr_task_op_name(g, t), "compute");
    cr_assert_eq(json_integer_value(
                     json_object_get(dr_task_op_args(g, t), "iterations")),
                 5000);
    cr_assert_float_eq(dr_task_cost(g, t), 5000 * 3000e-12, 1e-15);
    cr_assert(dr_task_uses_cpu(g, t, DR_COST_OP_NONE));
    dr_graph_destroy(g);
    /* --op noop is Task Bench's empty kernel. */
    g = dr_generate("taskbench", p, 3, 1, "noop", &err);
    cr_assert_not_null(g, "%s", err.text);
    cr_assert_str_eq(dr_task_op_name(g, 0), "noop");
    dr_graph_destroy(g);
}

Test(taskbench, a_generated_graph_runs_to_the_end) {
    dr_param p[] = {{"pattern", pattern_value("fft")},
                    {"width", 4},
                    {"steps", 20},
                    {"iterations", 2000}};
    dr_error err;
    dr_error_clear(&err);
    dr_graph *g = dr_generate("taskbench", p, 4, 1, NULL, &err);
    cr_assert_not_null(g, "%s", err.text);
    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = 2;
    dr_run *run = dr_run_graph(g, &o, &err);
    cr_assert_not_null(run, "%s", err.text);
    cr_assert_eq(dr_run_status(run), 0);
    for (size_t t = 0; t < dr_graph_ntasks(g); t++)
        cr_assert_eq(dr_run_task_state(run, (dr_task)t), DR_STATE_OK);
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

/* ----------------------------------------------------------------- errors */

Test(taskbench, bad_parameters_are_refused_with_a_reason) {
    dr_param w0[] = {{"width", 0}};
    tb_fails(w0, 1, DR_ERANGE,
             "shape 'taskbench': parameter 'width' must be at least 1, got 0");
    dr_param s0[] = {{"steps", 0}};
    tb_fails(s0, 1, DR_ERANGE,
             "shape 'taskbench': parameter 'steps' must be at least 1, got 0");
    dr_param big_radix[] = {
        {"pattern", pattern_value("nearest")}, {"width", 2}, {"radix", 3}};
    tb_fails(big_radix, 3, DR_ERANGE,
             "shape 'taskbench': radix (3) must not exceed width (2): a "
             "point depends on radix distinct points of the timestep before");
    dr_param radix_tree[] = {{"pattern", pattern_value("tree")}, {"radix", 2}};
    tb_fails(radix_tree, 2, DR_EINVAL,
             "shape 'taskbench': pattern 'tree' takes no radix (only "
             "nearest and spread do)");
    dr_param period_stencil[] = {{"pattern", pattern_value("stencil_1d")},
                                 {"period", 1}};
    tb_fails(period_stencil, 2, DR_EINVAL,
             "shape 'taskbench': pattern 'stencil_1d' takes no period (only "
             "spread does)");
    dr_param long_period[] = {{"pattern", pattern_value("spread")},
                              {"width", 4},
                              {"radix", 2},
                              {"period", 3}};
    tb_fails(long_period, 4, DR_ERANGE,
             "shape 'taskbench': period (3) must be at most ceil(width / "
             "radix) = 2 for spread, so that shifted points do not wrap "
             "onto each other");
    dr_param spread0[] = {{"pattern", pattern_value("spread")}, {"radix", 0}};
    tb_fails(spread0, 2, DR_ERANGE,
             "shape 'taskbench': pattern 'spread' needs a radix of at least "
             "1");
    dr_param fft1[] = {{"pattern", pattern_value("fft")}, {"width", 1}};
    tb_fails(fft1, 2, DR_ERANGE,
             "shape 'taskbench': pattern 'fft' needs a width of at least 2");
    dr_param negative[] = {{"pattern", -1}};
    tb_fails(negative, 1, DR_ERANGE,
             "shape 'taskbench': parameter 'pattern' is one of 0 trivial, "
             "1 no_comm, 2 stencil_1d, 3 nearest, 4 spread, 5 tree, 6 fft, "
             "7 all_to_all (a name or its number), got -1");
    dr_param index[] = {{"pattern", 8}};
    tb_fails(index, 1, DR_ERANGE,
             "shape 'taskbench': parameter 'pattern' is one of 0 trivial, "
             "1 no_comm, 2 stencil_1d, 3 nearest, 4 spread, 5 tree, 6 fft, "
             "7 all_to_all (a name or its number), got 8");

    dr_error err;
    dr_error_clear(&err);
    int64_t v;
    cr_assert_eq(dr_generator_choice("taskbench", "pattern", "dom", &v, &err),
                 DR_EINVAL);
    cr_assert_str_eq(err.text, "shape 'taskbench': unknown pattern 'dom' "
                               "(patterns: trivial, no_comm, stencil_1d, "
                               "nearest, spread, tree, fft, all_to_all)");
    dr_error_clear(&err);
    cr_assert_eq(dr_generator_choice("taskbench", "width", "w", &v, &err),
                 DR_EINVAL);
    cr_assert_str_eq(err.text,
                     "shape 'taskbench': parameter 'width' takes a number, "
                     "not 'w'");
}

/* Task Bench's default period (3) does not fit its default width and radix
 * (4, 3): unless set, it is cut to ceil(4/3) = 2. */
Test(taskbench, default_spread_fits_its_period) {
    dr_graph *g = tb("spread", 4, 4, -1, -1);
    cr_expect_str_eq(dr_graph_name(g),
                     "taskbench-spread-width4-steps4-period2-iterations1000");
    dr_graph_destroy(g);
}

/* ------------------------------------------------------------------- CLI */

Test(taskbench_cli, pattern_is_set_by_name) {
    char *out = NULL, *err = NULL;
    int rc = drt_cli(&out, &err,
                     "gen taskbench --set pattern=stencil_1d --set width=2 "
                     "--set steps=2 --compact");
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_not_null(strstr(out, "\"name\":\"taskbench-stencil_1d-width2-"
                                   "steps2-iterations1000\""),
                       "%s", out);
    cr_assert_not_null(strstr(out, "\"deps\":[\"step-0-0\",\"step-0-1\"]"),
                       "%s", out);
    free(out);
    free(err);
}

/* The position in the list of patterns, from 0, as dr_generate takes it
 * (docs/taskbench.md): 2 is stencil_1d. */
Test(taskbench_cli, pattern_is_set_by_its_index_too) {
    char *out = NULL, *err = NULL;
    int rc = drt_cli(&out, &err,
                     "gen taskbench --set pattern=2 --set width=2 "
                     "--set steps=2 --compact");
    cr_assert_eq(rc, 0, "%s", err);
    cr_expect_not_null(strstr(out, "\"name\":\"taskbench-stencil_1d-width2-"),
                       "%s", out);
    free(out);
    free(err);
}

Test(taskbench_cli, an_unknown_pattern_is_a_usage_error_listing_them) {
    char *err = NULL;
    int rc = drt_cli(NULL, &err, "gen taskbench --set pattern=stencil");
    cr_assert_eq(rc, 2);
    cr_assert_not_null(strstr(err, "dagrun gen: --set pattern=stencil: shape "
                                   "'taskbench': unknown pattern 'stencil' "
                                   "(patterns: trivial, no_comm, "
                                   "stencil_1d, "),
                       "%s", err);
    free(err);
    /* Near misses are names too, not expressions with unknown names. */
    const char *near[][2] = {
        {"'pattern=all-to-all'", "unknown pattern 'all-to-all' (patterns: "},
        {"'pattern=nearest,'", "unknown pattern 'nearest,' (patterns: "},
        {"'pattern=stencil-1d'", "unknown pattern 'stencil-1d' (patterns: "}};
    for (size_t i = 0; i < 3; i++) {
        rc = drt_cli(NULL, &err, "gen taskbench --set %s", near[i][0]);
        cr_expect_eq(rc, 2);
        cr_expect_not_null(strstr(err, near[i][1]), "%s", err);
        free(err);
    }
    /* Spaces before the word are not part of it. */
    char *out = NULL;
    rc = drt_cli(&out, &err, "gen taskbench --set 'pattern= fft' --compact");
    cr_expect_eq(rc, 0, "%s", err);
    free(out);
    free(err);
    /* A misspelt parameter is unknown, whatever its value. */
    rc = drt_cli(NULL, &err, "gen taskbench --set patern=fft");
    cr_expect_eq(rc, 2);
    cr_expect_not_null(strstr(err, "unknown parameter 'patern' (parameters: "
                                   "pattern, width, "),
                       "%s", err);
    free(err);
    rc = drt_cli(NULL, &err, "gen spiral --set pattern=fft");
    cr_assert_eq(rc, 2);
    cr_assert_not_null(strstr(err, "unknown shape 'spiral'"), "%s", err);
    free(err);
}

Test(taskbench_cli, help_describes_the_shape) {
    char *out = NULL;
    cr_assert_eq(drt_cli(&out, NULL, "gen --help"), 0);
    const char *words[] = {"taskbench",  "pattern=trivial", "radix=3",
                           "period=3",   "iterations=1000", "iter_ps=2000",
                           "stencil_1d", "all_to_all",      "--set pattern="};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        cr_expect_not_null(strstr(out, words[i]), "help lacks %s", words[i]);
    free(out);
}

/* ---------------------------------------------------------------- compute */

static int compute(const char *args_text, char *msg, size_t len) {
    json_t *args = args_text ? json_loads(args_text, 0, NULL) : NULL;
    json_t *result = NULL;
    msg[0] = '\0';
    int rc = dr__builtin_run("compute", args, NULL, 0, &result, msg, len, NULL);
    json_decref(args);
    json_decref(result);
    return rc;
}

Test(compute, runs_its_iterations_and_refuses_bad_arguments) {
    char msg[256];
    cr_assert_eq(compute("{\"iterations\": 100000}", msg, sizeof(msg)), 0, "%s",
                 msg);
    cr_assert_eq(compute("{\"iterations\": 0}", msg, sizeof(msg)), 0, "%s",
                 msg);
    cr_assert_neq(compute("{\"iterations\": -1}", msg, sizeof(msg)), 0);
    cr_assert_str_eq(msg, "op 'compute' needs a non-negative integer "
                          "'iterations'");
    cr_assert_neq(compute(NULL, msg, sizeof(msg)), 0);
    cr_assert_neq(compute("{\"iterations\": 1.5}", msg, sizeof(msg)), 0);
    /* The loader checks it as well. */
    cr_assert_eq(dr_builtin_check("compute", NULL, msg, sizeof(msg)),
                 DR_EINVAL);
    cr_assert_str_eq(msg, "op 'compute' needs an integer 'iterations' in "
                          "\"args\"");
}

Test(compute, stops_when_cancelled) {
    atomic_int cancel = 1;
    json_t *args = json_pack("{sI}", "iterations", (json_int_t)1 << 50);
    json_t *result = NULL;
    char msg[128];
    cr_assert_neq(dr__builtin_run("compute", args, NULL, 0, &result, msg,
                                  sizeof(msg), &cancel),
                  0);
    cr_assert_str_eq(msg, "interrupted");
    json_decref(args);
}
