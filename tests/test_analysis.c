/*
 * Graph analysis (graph/analysis.c): known answers on hand-built graphs,
 * the exact width against a brute force over every subset of small random
 * graphs, properties of the critical path and the profile on random graphs,
 * the JSON form and the `dagrun analyze` command.
 */
#include "formats_internal.h"
#include "support.h"

#include <criterion/criterion.h>
#include <dagrun/run.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- helpers */

static dr_task add(dr_graph *g, const char *key, double cost) {
    dr_task t;
    cr_assert_eq(dr_graph_add_task(g, key, &t), 0, "add %s", key);
    if (cost >= 0)
        cr_assert_eq(dr_task_set_cost(g, t, cost), 0);
    return t;
}

static void dep(dr_graph *g, const char *task, const char *on) {
    cr_assert_eq(dr_graph_add_dep_key(g, task, on), 0, "%s <- %s", task, on);
}

static dr_analysis *analyze(dr_graph *g) {
    dr_error err;
    dr_error_clear(&err);
    dr_analysis *a = dr_analyze(g, NULL, &err);
    cr_assert_not_null(a, "%s", err.text);
    return a;
}

static void expect_path(const dr_analysis *a, const dr_graph *g,
                        const char *const *keys, size_t n) {
    cr_assert_eq(a->critical_path_len, n, "critical path has %zu tasks",
                 a->critical_path_len);
    for (size_t i = 0; i < n; i++)
        cr_expect_str_eq(dr_task_key(g, a->critical_path[i]), keys[i]);
}

static uint64_t rng_state;
static uint32_t rnd(void) {
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng_state >> 33);
}

/* A random DAG on n tasks: edge i -> j (i < j) with probability p%, costs
 * 0..4 (some zero on purpose). */
static dr_graph *random_dag(size_t n, unsigned p) {
    dr_graph *g = dr_graph_create();
    for (size_t i = 0; i < n; i++) {
        char key[32];
        snprintf(key, sizeof(key), "n%zu", i);
        add(g, key, (double)(rnd() % 5));
    }
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < j; i++)
            if (rnd() % 100 < p)
                cr_assert_eq(dr_graph_add_dep(g, (dr_task)j, (dr_task)i), 0);
    return g;
}

/* Maximum antichain by trying every subset (n <= 16). */
static size_t brute_force_width(dr_graph *g) {
    size_t n = dr_graph_ntasks(g);
    cr_assert_leq(n, 16);
    uint32_t reach[16] = {0}; /* reach[v]: tasks v depends on, transitively */
    const dr_task *topo = dr_graph_topo_order(g);
    for (size_t i = 0; i < n; i++) {
        dr_task v = topo[i];
        size_t nd;
        const dr_task *deps = dr_task_deps(g, v, &nd);
        for (size_t k = 0; k < nd; k++)
            reach[v] |= reach[deps[k]] | (1u << deps[k]);
    }
    size_t best = 0;
    for (uint32_t s = 0; s < (1u << n); s++) {
        size_t size = (size_t)__builtin_popcount(s);
        if (size <= best)
            continue;
        int ok = 1;
        for (size_t v = 0; v < n && ok; v++)
            if ((s >> v & 1) && (reach[v] & s))
                ok = 0;
        if (ok)
            best = size;
    }
    return best;
}

/* -------------------------------------------------------- known answers */

Test(analysis, chain_has_span_equal_to_work_and_width_one) {
    dr_graph *g = dr_graph_create();
    add(g, "a", 1);
    add(g, "b", 2);
    add(g, "c", 3);
    dep(g, "b", "a");
    dep(g, "c", "b");
    dr_analysis *a = analyze(g);
    cr_expect_eq(a->tasks, 3);
    cr_expect_eq(a->edges, 2);
    cr_expect_eq(a->sources, 1);
    cr_expect_eq(a->sinks, 1);
    cr_expect_eq(a->depth, 3);
    cr_expect_eq(a->work, 6);
    cr_expect_eq(a->span, 6);
    cr_expect_eq(a->parallelism, 1);
    cr_expect_eq(a->width, 1);
    cr_expect(a->width_exact);
    const char *path[] = {"a", "b", "c"};
    expect_path(a, g, path, 3);
    cr_expect_eq(a->top_level[dr_graph_find(g, "c")], 3);
    cr_expect_eq(a->bottom_level[dr_graph_find(g, "a")], 6);
    cr_expect_eq(a->profile_len, 1);
    cr_expect_eq(a->profile_running[0], 1);
    cr_expect_eq(a->max_profile, 1);
    dr_analysis_destroy(a);
    dr_graph_destroy(g);
}

Test(analysis, fork_join_width_is_the_fan_and_parallelism_work_over_span) {
    dr_graph *g = dr_graph_create();
    add(g, "fork", -1); /* no cost: counts as 1 */
    add(g, "join", -1);
    for (int i = 0; i < 4; i++) {
        char key[8];
        snprintf(key, sizeof(key), "m%d", i);
        add(g, key, -1);
        dep(g, key, "fork");
        dep(g, "join", key);
    }
    dr_analysis *a = analyze(g);
    cr_expect_eq(a->work, 6);
    cr_expect_eq(a->span, 3);
    cr_expect_eq(a->parallelism, 2);
    cr_expect_eq(a->width, 4);
    cr_expect_eq(a->depth, 3);
    cr_expect_eq(a->max_profile, 4);
    /* Profile: 1 task in [0,1), 4 in [1,2), 1 in [2,3). */
    cr_assert_eq(a->profile_len, 3);
    double times[] = {0, 1, 2};
    uint32_t running[] = {1, 4, 1};
    for (int i = 0; i < 3; i++) {
        cr_expect_eq(a->profile_time[i], times[i]);
        cr_expect_eq(a->profile_running[i], running[i]);
    }
    cr_expect_eq(dr_analysis_lower_bound(a, 1), 6);
    cr_expect_eq(dr_analysis_lower_bound(a, 2), 3);
    cr_expect_eq(dr_analysis_lower_bound(a, 4), 3); /* span, not 1.5 */
    dr_analysis_destroy(a);
    dr_graph_destroy(g);
}

/* Ties (docs/visualising.md): the longest path with the most tasks, then
 * the first end in topological order and the first dependency listed; the
 * rule the run summary and the DAG picture share (dr__critical_path). */
Test(analysis, critical_path_ties_go_to_the_most_tasks_then_the_first) {
    /* a -> c and a -> b -> c (b costs 0) are equally long: b is named. */
    dr_graph *g = dr_graph_create();
    add(g, "a", 1);
    add(g, "b", 0);
    add(g, "c", 1);
    dep(g, "b", "a");
    dep(g, "c", "a");
    dep(g, "c", "b");
    dr_analysis *a = analyze(g);
    const char *p1[] = {"a", "b", "c"};
    expect_path(a, g, p1, 3);
    dr_analysis_destroy(a);
    dr_graph_destroy(g);
    /* s -> l -> t and s -> r -> t tie in length and tasks: t lists r
     * first.  A zero-cost sink z after t is on the path (one task more). */
    g = dr_graph_create();
    add(g, "s", 1);
    add(g, "l", 2);
    add(g, "r", 2);
    add(g, "t", 1);
    add(g, "z", 0);
    add(g, "x", 4); /* alone, as long as s -> r -> t but with fewer tasks */
    dep(g, "l", "s");
    dep(g, "r", "s");
    dep(g, "t", "r");
    dep(g, "t", "l");
    dep(g, "z", "t");
    a = analyze(g);
    cr_expect_eq(a->span, 4);
    const char *p2[] = {"s", "r", "t", "z"};
    expect_path(a, g, p2, 4);
    dr_analysis_destroy(a);
    dr_graph_destroy(g);
}

Test(analysis, diamond_critical_path_follows_the_heavier_branch) {
    dr_graph *g = dr_graph_create();
    add(g, "a", 1);
    add(g, "b", 2);
    add(g, "c", 5);
    add(g, "d", 1);
    dep(g, "b", "a");
    dep(g, "c", "a");
    dep(g, "d", "b");
    dep(g, "d", "c");
    dr_analysis *a = analyze(g);
    cr_expect_eq(a->span, 7);
    cr_expect_eq(a->work, 9);
    cr_expect_eq(a->width, 2);
    const char *path[] = {"a", "c", "d"};
    expect_path(a, g, path, 3);
    double top[] = {0, 1, 1, 6}, bottom[] = {7, 3, 6, 1};
    for (dr_task t = 0; t < 4; t++) {
        cr_expect_eq(a->top_level[t], top[t], "top of %s", dr_task_key(g, t));
        cr_expect_eq(a->bottom_level[t], bottom[t], "bottom of %s",
                     dr_task_key(g, t));
    }
    /* b ends at 3 while c runs on; d starts when c ends at 6, so the count
     * stays 1 and no point is added there. */
    cr_assert_eq(a->profile_len, 3);
    cr_expect_eq(a->profile_time[1], 1);
    cr_expect_eq(a->profile_running[1], 2);
    cr_expect_eq(a->profile_time[2], 3);
    cr_expect_eq(a->profile_running[2], 1);
    dr_analysis_destroy(a);
    dr_graph_destroy(g);
}

Test(analysis, width_walks_the_closure_where_disjoint_paths_cannot) {
    /* a, b -> c -> d, e: the widest antichains have 2 tasks ({a,b} or
     * {d,e}) but covering with disjoint paths needs 3 (c can only be on one
     * of them).  The exact width must share c. */
    dr_graph *g = dr_graph_create();
    const char *keys[] = {"a", "b", "c", "d", "e"};
    for (int i = 0; i < 5; i++)
        add(g, keys[i], 1);
    dep(g, "c", "a");
    dep(g, "c", "b");
    dep(g, "d", "c");
    dep(g, "e", "c");
    dr_analysis *a = analyze(g);
    cr_expect_eq(a->width, 2);
    cr_expect(a->width_exact);
    dr_analysis_destroy(a);

    dr_analyze_options opts = {.exact_width_limit = 2};
    a = dr_analyze(g, &opts, NULL);
    cr_assert_not_null(a);
    cr_expect_not(a->width_exact);
    cr_expect_eq(a->width, 3, "the disjoint-path bound");
    cr_expect_eq(a->width_lower, 2);
    dr_analysis_destroy(a);
    dr_graph_destroy(g);
}

Test(analysis, independent_tasks_are_all_sources_and_sinks) {
    dr_graph *g = dr_graph_create();
    add(g, "x", 2);
    add(g, "y", 3);
    add(g, "z", 0);
    dr_analysis *a = analyze(g);
    cr_expect_eq(a->sources, 3);
    cr_expect_eq(a->sinks, 3);
    cr_expect_eq(a->depth, 1);
    cr_expect_eq(a->width, 3);
    cr_expect_eq(a->span, 3);
    cr_expect_eq(a->critical_path_len, 1);
    cr_expect_str_eq(dr_task_key(g, a->critical_path[0]), "y");
    /* z has no duration: the profile shows the two others. */
    cr_expect_eq(a->max_profile, 2);
    dr_analysis_destroy(a);
    dr_graph_destroy(g);
}

Test(analysis, empty_graph_is_all_zero) {
    dr_graph *g = dr_graph_create();
    dr_analysis *a = analyze(g);
    cr_expect_eq(a->tasks, 0);
    cr_expect_eq(a->work, 0);
    cr_expect_eq(a->span, 0);
    cr_expect_eq(a->parallelism, 0);
    cr_expect_eq(a->width, 0);
    cr_expect_eq(a->critical_path_len, 0);
    cr_expect_eq(a->profile_len, 0);
    json_t *j = dr_analysis_to_json(a, g);
    cr_expect_not_null(j);
    json_decref(j);
    dr_analysis_destroy(a);
    dr_graph_destroy(g);
}

Test(analysis, a_cycle_is_an_error_naming_it) {
    dr_graph *g = dr_graph_create();
    add(g, "a", 1);
    add(g, "b", 1);
    dep(g, "a", "b");
    dep(g, "b", "a");
    dr_error err;
    dr_error_clear(&err);
    cr_expect_null(dr_analyze(g, NULL, &err));
    cr_expect_eq(err.code, DR_ECYCLE);
    cr_expect(strstr(err.message, "a -> b -> a") != NULL ||
                  strstr(err.message, "b -> a -> b") != NULL,
              "%s", err.message);
    dr_graph_destroy(g);
}

Test(analysis, destroy_null_does_nothing) { dr_analysis_destroy(NULL); }

/* ------------------------------------------------------- random graphs */

Test(analysis, exact_width_equals_brute_force_on_small_random_graphs) {
    rng_state = 12345;
    for (int round = 0; round < 400; round++) {
        size_t n = 1 + rnd() % 13;
        unsigned p = 5 + rnd() % 60;
        dr_graph *g = random_dag(n, p);
        dr_analysis *a = analyze(g);
        size_t want = brute_force_width(g);
        cr_expect_eq(a->width, want,
                     "round %d: n=%zu p=%u width %zu, brute %zu", round, n, p,
                     a->width, want);
        cr_expect(a->width_exact);
        dr_analysis_destroy(a);
        /* The bounds above the limit bracket the truth. */
        dr_analyze_options opts = {.exact_width_limit = 1};
        a = dr_analyze(g, &opts, NULL);
        cr_assert_not_null(a);
        if (n > 1)
            cr_expect_not(a->width_exact);
        cr_expect_geq(a->width, want, "round %d: upper bound %zu < %zu", round,
                      a->width, want);
        cr_expect_leq(a->width_lower, want, "round %d: lower bound %zu > %zu",
                      round, a->width_lower, want);
        dr_analysis_destroy(a);
        dr_graph_destroy(g);
    }
}

Test(analysis, critical_path_and_profile_are_consistent_on_random_graphs) {
    rng_state = 777;
    for (int round = 0; round < 50; round++) {
        dr_graph *g = random_dag(20 + rnd() % 200, 1 + rnd() % 10);
        dr_analysis *a = analyze(g);
        /* The critical path is a path of dependencies whose costs add up to
         * the span, and every task on it has no slack. */
        double sum = 0;
        for (size_t i = 0; i < a->critical_path_len; i++) {
            dr_task t = a->critical_path[i];
            sum += dr_task_cost(g, t);
            cr_expect(fabs(a->top_level[t] + a->bottom_level[t] - a->span) <
                      1e-9);
            if (i > 0) {
                size_t nd;
                const dr_task *deps = dr_task_deps(g, t, &nd);
                int found = 0;
                for (size_t k = 0; k < nd; k++)
                    found |= deps[k] == a->critical_path[i - 1];
                cr_expect(found, "round %d: step %zu is not an edge", round, i);
            }
        }
        size_t first_deps;
        dr_task_deps(g, a->critical_path[0], &first_deps);
        cr_expect_eq(first_deps, 0, "the path starts at a source");
        cr_expect(fabs(sum - a->span) < 1e-9);
        /* No task starts before its dependencies end. */
        for (dr_task t = 0; t < a->tasks; t++) {
            size_t nd;
            const dr_task *deps = dr_task_deps(g, t, &nd);
            for (size_t k = 0; k < nd; k++)
                cr_expect_geq(a->top_level[t],
                              a->top_level[deps[k]] + dr_task_cost(g, deps[k]));
            cr_expect_leq(a->top_level[t] + a->bottom_level[t], a->span + 1e-9);
        }
        /* The area under the profile is the work, and its peak is an
         * antichain, so at most the width. */
        double area = 0;
        for (size_t i = 0; i < a->profile_len; i++) {
            double end =
                i + 1 < a->profile_len ? a->profile_time[i + 1] : a->span;
            area += a->profile_running[i] * (end - a->profile_time[i]);
        }
        cr_expect(fabs(area - a->work) < 1e-6, "round %d: area %g, work %g",
                  round, area, a->work);
        cr_expect_leq(a->max_profile, a->width);
        cr_expect_leq(a->width_lower, a->width);
        dr_analysis_destroy(a);
        dr_graph_destroy(g);
    }
}

/* A random layered DAG: `layers` layers of `w` tasks, each task depending on
 * 1-3 tasks of the layer before. */
static dr_graph *layered(size_t layers, size_t w) {
    dr_graph *g = dr_graph_create();
    char key[64];
    for (size_t l = 0; l < layers; l++)
        for (size_t i = 0; i < w; i++) {
            snprintf(key, sizeof(key), "L%zu-%zu", l, i);
            dr_task t = add(g, key, 1 + rnd() % 9);
            if (l == 0)
                continue;
            int k = 1 + (int)(rnd() % 3);
            for (int j = 0; j < k; j++)
                dr_graph_add_dep(g, t, (dr_task)((l - 1) * w + rnd() % w));
        }
    return g;
}

Test(analysis, width_is_exact_on_a_5000_task_layered_graph) {
    rng_state = 99;
    dr_graph *g = layered(100, 50);
    dr_analysis *a = analyze(g);
    cr_expect_eq(a->tasks, 5000);
    cr_expect(a->width_exact);
    /* Each layer is an antichain; tasks no later layer depends on add to
     * it, so the width is at least a layer and at most the disjoint-path
     * bound. */
    cr_expect_geq(a->width, 50);
    dr_analyze_options opts = {.exact_width_limit = 10};
    dr_analysis *b = dr_analyze(g, &opts, NULL);
    cr_assert_not_null(b);
    cr_expect_leq(a->width, b->width);
    cr_expect_geq(a->width, b->width_lower);
    dr_analysis_destroy(b);
    dr_analysis_destroy(a);
    dr_graph_destroy(g);
}

Test(analysis, a_long_chain_does_not_overflow_the_stack) {
    dr_graph *g = dr_graph_create();
    char key[32], prev[32];
    for (int i = 0; i < 30000; i++) {
        snprintf(key, sizeof(key), "c%d", i);
        add(g, key, -1);
        if (i > 0)
            dep(g, key, prev);
        memcpy(prev, key, sizeof(key));
    }
    dr_analyze_options opts = {.exact_width_limit = 100000};
    dr_analysis *a = dr_analyze(g, &opts, NULL);
    cr_assert_not_null(a);
    cr_expect_eq(a->width, 1);
    cr_expect_eq(a->span, 30000);
    cr_expect_eq(a->critical_path_len, 30000);
    dr_analysis_destroy(a);
    dr_graph_destroy(g);
}

/* ------------------------------------------------------------------ JSON */

Test(analysis, json_has_the_documented_keys) {
    dr_graph *g = dr_graph_create();
    add(g, "a", 1);
    add(g, "b", 2);
    add(g, "c", 5);
    add(g, "d", 1);
    dep(g, "b", "a");
    dep(g, "c", "a");
    dep(g, "d", "b");
    dep(g, "d", "c");
    dr_analysis *a = analyze(g);
    json_t *j = dr_analysis_to_json(a, g);
    cr_assert_not_null(j);
    const char *keys[] = {"tasks",       "edges",        "sources",
                          "sinks",       "depth",        "work",
                          "span",        "parallelism",  "width",
                          "width_exact", "width_lower",  "critical_path",
                          "profile",     "lower_bounds", "max_profile"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        cr_expect_not_null(json_object_get(j, keys[i]), "missing %s", keys[i]);
    cr_expect_eq(json_integer_value(json_object_get(j, "tasks")), 4);
    cr_expect_eq(json_real_value(json_object_get(j, "span")), 7);
    cr_expect(json_is_true(json_object_get(j, "width_exact")));
    json_t *path = json_object_get(j, "critical_path");
    cr_assert_eq(json_array_size(path), 3);
    cr_expect_str_eq(json_string_value(json_array_get(path, 1)), "c");
    /* Bounds for P = 1, 2, 4: up to the first power of two past width 2. */
    json_t *lb = json_object_get(j, "lower_bounds");
    cr_expect_eq(json_object_size(lb), 3);
    cr_expect_eq(json_real_value(json_object_get(lb, "1")), 9);
    cr_expect_eq(json_real_value(json_object_get(lb, "4")), 7);
    /* The profile ends with [span, 0]. */
    json_t *prof = json_object_get(j, "profile");
    json_t *last = json_array_get(prof, json_array_size(prof) - 1);
    cr_expect_eq(json_number_value(json_array_get(last, 0)), 7);
    cr_expect_eq(json_integer_value(json_array_get(last, 1)), 0);
    json_decref(j);
    dr_analysis_destroy(a);
    dr_graph_destroy(g);
}

/* ------------------------------------------------------------------- CLI */

#define RAND0 DR_TEST_DATA "/stg/rand0000.stg"

Test(analysis, cli_help_goes_to_stdout_with_exit_codes) {
    char *out = NULL;
    cr_expect_eq(drt_cli(&out, NULL, "analyze --help"), 0);
    cr_expect(strstr(out, "Usage: dagrun analyze") != NULL);
    cr_expect(strstr(out, "Exit codes") != NULL);
    free(out);
}

Test(analysis, cli_usage_errors_exit_2) {
    char *errs = NULL;
    cr_expect_eq(drt_cli(NULL, &errs, "analyze"), 2);
    cr_expect(strstr(errs, "expected one GRAPH") != NULL, "%s", errs);
    free(errs);
    errs = NULL;
    cr_expect_eq(drt_cli(NULL, &errs, "analyze --exact-limit x " RAND0), 2);
    free(errs);
    errs = NULL;
    cr_expect_eq(drt_cli(NULL, &errs, "analyze --format nope " RAND0), 2);
    free(errs);
}

Test(analysis, cli_text_explains_work_span_parallelism_and_width) {
    char *out = NULL, *errs = NULL;
    int rc = drt_cli(&out, &errs, "analyze " RAND0);
    cr_expect_eq(rc, 0, "exit %d: %s", rc, errs);
    cr_assert_not_null(out);
    const char *want[] = {
        "50 tasks, 96 dependencies",
        "Work T1 = 262 (sum of task costs: one worker needs this long)",
        "Span T\xe2\x88\x9e = 55 (the critical path: no number of workers "
        "can "
        "finish sooner)",
        "Average parallelism T1/T\xe2\x88\x9e = 4.76: the best speedup",
        "(exact): at most",
        "Critical path (",
        "length 55):",
        "Costs are in the graph's own units (a simulation reads them as "
        "seconds;",
        "Parallelism profile",
        "max(T\xe2\x88\x9e, T1/P)",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        cr_expect(strstr(out, want[i]) != NULL, "missing '%s' in:\n%s", want[i],
                  out);
    free(out);
    free(errs);
}

Test(analysis, cli_json_with_levels_has_every_task) {
    char *out = NULL, *errs = NULL;
    int rc = drt_cli(&out, &errs, "analyze --json --levels " RAND0);
    cr_expect_eq(rc, 0, "exit %d: %s", rc, errs);
    json_t *j = rc == 0 ? json_loads(out, 0, NULL) : NULL;
    free(out);
    free(errs);
    cr_expect_not_null(j, "no JSON");
    if (j == NULL)
        return; /* asserting would leak */
    json_t *levels = json_object_get(j, "levels");
    cr_expect_eq(json_object_size(levels), 50);
    json_t *t1 = json_object_get(levels, "t1");
    cr_expect_not_null(json_object_get(t1, "top"));
    cr_expect_not_null(json_object_get(t1, "bottom"));
    cr_expect_eq(json_integer_value(json_object_get(j, "width")),
                 json_integer_value(json_object_get(j, "width_lower")));
    json_decref(j);
}

Test(analysis, cli_bound_mode_is_labelled) {
    char *out = NULL, *errs = NULL;
    int rc = drt_cli(&out, &errs, "analyze --exact-limit 10 " RAND0);
    cr_expect_eq(rc, 0, "exit %d: %s", rc, errs);
    cr_expect(strstr(out, "Width between") != NULL, "%s", out);
    cr_expect(strstr(out, "exact only up to 10 tasks") != NULL, "%s", out);
    free(out);
    free(errs);
}

/* ------------------------------------------------------ non-finite totals */

/* Every cost is finite, their sum is not: an error that says so and names
 * the largest cost, instead of "parallelism = -nan" (issue 9, item 5). */
Test(analysis, costs_whose_sum_overflows_are_an_error) {
    dr_graph *g = dr_graph_create();
    add(g, "a", 1e308);
    add(g, "b", 1.7e308);
    dep(g, "b", "a");
    dr_error err;
    dr_error_clear(&err);
    cr_expect_null(dr_analyze(g, NULL, &err));
    cr_expect_eq(err.code, DR_ERANGE);
    cr_expect(strstr(err.text,
                     "the costs of the 2 tasks add up to more than") != NULL,
              "%s", err.text);
    cr_expect(strstr(err.text, "task 'b', 1.7e+308 s") != NULL, "%s", err.text);
    dr_graph_destroy(g);
}

Test(analysis, cli_overflowing_costs_exit_2_naming_the_file) {
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/inf.json", dir);
    cr_assert_eq(drt_write_file(path, "{\"tasks\": [{\"id\": \"a\", \"cost\": "
                                      "1e308}, {\"id\": \"b\", \"cost\": "
                                      "1e308}]}"),
                 0);
    char *out = NULL, *errs = NULL;
    int rc = drt_cli(&out, &errs, "analyze '%s'", path);
    cr_expect_eq(rc, 2);
    char *want =
        drt_fmt("dagrun analyze: %s: the costs of the 2 tasks add up", path);
    cr_expect(strstr(errs, want) != NULL, "%s", errs);
    cr_expect(strstr(out, "nan") == NULL, "%s", out);
    cr_expect(strstr(out, "every task has cost 0") == NULL, "%s", out);
    free(want), free(out), free(errs), free(path);
    drt_rmtree(dir);
    free(dir);
}

/* A task without a cost lasts what the simulator makes it last: a sleep
 * its ms / 1000, a spin its units / 1000, any other task 1.  analyze said
 * 2 s for this graph while --simulate said 1.2 s. */
Test(analysis, durations_without_a_cost_are_the_simulators) {
    dr_graph *g = dr_graph_create();
    dr_task a, b, c;
    cr_assert_eq(dr_graph_add_task(g, "a", &a), 0);
    cr_assert_eq(
        dr_task_set_builtin(g, a, "sleep", json_pack("{s:i}", "ms", 200)), 0);
    cr_assert_eq(dr_graph_add_task(g, "b", &b), 0);
    cr_assert_eq(
        dr_task_set_builtin(g, b, "spin", json_pack("{s:i}", "units", 300)), 0);
    cr_assert_eq(dr_graph_add_task(g, "c", &c), 0); /* no op: 1 */
    cr_assert_eq(dr_graph_add_dep(g, b, a), 0);
    cr_assert_eq(dr_graph_add_dep(g, c, b), 0);
    dr_error err;
    dr_error_clear(&err);
    dr_analysis *an = dr_analyze(g, NULL, &err);
    cr_assert_not_null(an, "%s", err.text);
    cr_expect_float_eq(an->work, 1.5, 1e-12, "work %g", an->work);
    cr_expect_float_eq(an->span, 1.5, 1e-12, "span %g", an->span);
    dr_run_options o;
    dr_run_options_init(&o);
    o.simulate = 1;
    o.workers = 2;
    dr_run *run = dr_run_graph(g, &o, &err);
    cr_assert_not_null(run, "%s", err.text);
    cr_expect_float_eq(dr_run_makespan(run), an->span, 1e-12,
                       "simulated %g, analysed %g", dr_run_makespan(run),
                       an->span);
    dr_run_destroy(run);
    dr_analysis_destroy(an);
    dr_graph_destroy(g);
}
