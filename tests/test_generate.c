/*
 * Generators (graph/generate.c) through the C API, and `dagrun gen` through
 * the CLI.  Spans are computed here with a plain longest-path pass rather
 * than with dr_analyze(), so these tests check the generator alone.
 */
#include "support.h"

#include <criterion/criterion.h>
#include <dagrun.h>
#include <jansson.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---------------------------------------------------------------- helpers */

static dr_graph *gen_ok(const char *shape, const dr_param *p, size_t n,
                        uint64_t seed, const char *op) {
    dr_error err;
    dr_error_clear(&err);
    dr_graph *g = dr_generate(shape, p, n, seed, op, &err);
    cr_assert_not_null(g, "dr_generate(%s) failed: %s", shape, err.text);
    cr_assert_eq(err.code, 0);
    return g;
}

/* Returns the error text of a generator call that must fail with `code`. */
static void gen_fails(const char *shape, const dr_param *p, size_t n,
                      const char *op, int code, const char *text) {
    dr_error err;
    dr_error_clear(&err);
    dr_graph *g = dr_generate(shape, p, n, 1, op, &err);
    cr_assert_null(g, "dr_generate(%s) should fail", shape);
    cr_assert_eq(err.code, code, "code %s, expected %s (%s)",
                 dr_err_name(err.code), dr_err_name(code), err.text);
    cr_assert_str_eq(err.text, text);
}

static dr_task find(const dr_graph *g, const char *key) {
    dr_task t = dr_graph_find(g, key);
    cr_assert_neq(t, DR_TASK_NONE, "no task '%s'", key);
    return t;
}

static int depends_on(const dr_graph *g, const char *task, const char *dep) {
    size_t n;
    const dr_task *deps = dr_task_deps(g, find(g, task), &n);
    dr_task d = find(g, dep);
    for (size_t i = 0; i < n; i++)
        if (deps[i] == d)
            return 1;
    return 0;
}

static size_t ndeps(const dr_graph *g, const char *task) {
    size_t n;
    dr_task_deps(g, find(g, task), &n);
    return n;
}

/* The critical path length by cost, by a longest-path pass over the
 * topological order; also checks that the order puts every dependency
 * first. */
static double span_of(const dr_graph *g) {
    size_t n = dr_graph_ntasks(g);
    const dr_task *order = dr_graph_topo_order(g);
    cr_assert_not_null(order);
    double *finish = calloc(n ? n : 1, sizeof(*finish));
    char *done = calloc(n ? n : 1, 1);
    double span = 0;
    for (size_t i = 0; i < n; i++) {
        dr_task t = order[i];
        size_t nd;
        const dr_task *deps = dr_task_deps(g, t, &nd);
        double start = 0;
        for (size_t k = 0; k < nd; k++) {
            cr_assert(done[deps[k]], "'%s' comes before its dependency '%s'",
                      dr_task_key(g, t), dr_task_key(g, deps[k]));
            if (finish[deps[k]] > start)
                start = finish[deps[k]];
        }
        finish[t] = start + dr_task_cost(g, t);
        done[t] = 1;
        if (finish[t] > span)
            span = finish[t];
    }
    free(finish);
    free(done);
    return span;
}

static double work_of(const dr_graph *g) {
    double work = 0;
    for (size_t i = 0; i < dr_graph_ntasks(g); i++) {
        cr_assert(dr_task_has_cost(g, (dr_task)i));
        work += dr_task_cost(g, (dr_task)i);
    }
    return work;
}

static size_t count_sinks(const dr_graph *g) {
    size_t sinks = 0, n;
    for (size_t i = 0; i < dr_graph_ntasks(g); i++) {
        dr_task_succs(g, (dr_task)i, &n);
        sinks += n == 0;
    }
    return sinks;
}

/* ----------------------------------------------------------------- shapes */

Test(generate, chain_links_n_tasks_in_order) {
    dr_param p[] = {{"n", 5}, {"cost", 2}};
    dr_graph *g = gen_ok("chain", p, 2, 1, NULL);
    cr_assert_eq(dr_graph_ntasks(g), 5);
    cr_assert_eq(dr_graph_nedges(g), 4);
    cr_assert_str_eq(dr_graph_name(g), "chain-n5-cost2");
    for (int i = 1; i < 5; i++) {
        char a[16], b[16];
        snprintf(a, sizeof(a), "chain-%d", i);
        snprintf(b, sizeof(b), "chain-%d", i - 1);
        cr_assert(depends_on(g, a, b));
        cr_assert_eq(ndeps(g, a), 1);
    }
    cr_assert_float_eq(span_of(g), 10.0, 1e-9);
    cr_assert_float_eq(work_of(g), 10.0, 1e-9);
    dr_graph_destroy(g);
}

Test(generate, defaults_apply_when_no_parameters_are_given) {
    dr_graph *g = gen_ok("chain", NULL, 0, 1, NULL);
    cr_assert_eq(dr_graph_ntasks(g), 10);
    cr_assert_str_eq(dr_graph_name(g), "chain-n10");
    cr_assert_float_eq(dr_task_cost(g, 0), 1.0, 1e-12);
    cr_assert_neq(strlen(dr_graph_description(g)), 0);
    dr_graph_destroy(g);
}

Test(generate, fork_join_stages_fork_work_and_join) {
    dr_param p[] = {{"n", 4}, {"stages", 2}};
    dr_graph *g = gen_ok("fork-join", p, 2, 1, NULL);
    cr_assert_eq(dr_graph_ntasks(g), 12);
    cr_assert_eq(dr_graph_nedges(g), 2 * 8 + 1);
    cr_assert_str_eq(dr_graph_name(g), "fork-join-n4-stages2");
    cr_assert_eq(ndeps(g, "fork-0"), 0);
    cr_assert(depends_on(g, "work-0-3", "fork-0"));
    cr_assert_eq(ndeps(g, "join-0"), 4);
    cr_assert(depends_on(g, "join-0", "work-0-2"));
    cr_assert(depends_on(g, "fork-1", "join-0"));
    cr_assert(depends_on(g, "join-1", "work-1-0"));
    cr_assert_eq(count_sinks(g), 1);
    cr_assert_float_eq(span_of(g), 6.0, 1e-9);
    dr_graph_destroy(g);
}

Test(generate, map_reduce_with_one_reducer_names_it_reduce) {
    dr_param p[] = {{"n", 5}};
    dr_graph *g = gen_ok("map-reduce", p, 1, 1, NULL);
    cr_assert_eq(dr_graph_ntasks(g), 6);
    cr_assert_eq(ndeps(g, "reduce"), 5);
    cr_assert(depends_on(g, "reduce", "map-4"));
    cr_assert_str_eq(dr_graph_name(g), "map-reduce-n5");
    dr_graph_destroy(g);
}

Test(generate, map_reduce_reducers_each_read_every_map) {
    dr_param p[] = {{"n", 5}, {"r", 3}};
    dr_graph *g = gen_ok("map-reduce", p, 2, 1, NULL);
    cr_assert_eq(dr_graph_ntasks(g), 8);
    cr_assert_eq(dr_graph_nedges(g), 15);
    cr_assert_eq(dr_graph_find(g, "reduce"), DR_TASK_NONE);
    for (int j = 0; j < 3; j++) {
        char key[16];
        snprintf(key, sizeof(key), "reduce-%d", j);
        cr_assert_eq(ndeps(g, key), 5);
    }
    cr_assert_str_eq(dr_graph_name(g), "map-reduce-n5-r3");
    dr_graph_destroy(g);
}

Test(generate, tree_reduces_leaves_pairwise_to_one_root) {
    for (int64_t n = 1; n <= 33; n++) {
        dr_param p[] = {{"n", n}};
        dr_graph *g = gen_ok("tree", p, 1, 1, NULL);
        cr_assert_eq(dr_graph_ntasks(g), (size_t)(2 * n - 1));
        cr_assert_eq(dr_graph_nedges(g), (size_t)(2 * n - 2));
        cr_assert_eq(count_sinks(g), 1);
        /* Levels: the leaves plus ceil(log2 n) rounds of sums. */
        int levels = 1;
        while ((1 << (levels - 1)) < n)
            levels++;
        cr_assert_float_eq(span_of(g), (double)levels, 1e-9, "n=%lld",
                           (long long)n);
        for (size_t i = 0; i < dr_graph_ntasks(g); i++) {
            size_t nd;
            dr_task_deps(g, (dr_task)i, &nd);
            const char *key = dr_task_key(g, (dr_task)i);
            cr_assert_eq(nd, strncmp(key, "leaf-", 5) == 0 ? 0u : 2u, "%s",
                         key);
        }
        dr_graph_destroy(g);
    }
}

Test(generate, stencil_cells_wait_for_left_and_upper_neighbours) {
    dr_param p[] = {{"w", 3}, {"h", 2}};
    dr_graph *g = gen_ok("stencil", p, 2, 1, NULL);
    cr_assert_eq(dr_graph_ntasks(g), 6);
    cr_assert_eq(dr_graph_nedges(g), 2 * 2 + 3 * 1);
    cr_assert_eq(ndeps(g, "cell-0-0"), 0);
    cr_assert(depends_on(g, "cell-1-2", "cell-1-1"));
    cr_assert(depends_on(g, "cell-1-2", "cell-0-2"));
    cr_assert_eq(ndeps(g, "cell-1-2"), 2);
    cr_assert_eq(ndeps(g, "cell-0-2"), 1);
    cr_assert_float_eq(span_of(g), 3 + 2 - 1, 1e-9);
    cr_assert_str_eq(dr_graph_name(g), "stencil-w3-h2");
    dr_graph_destroy(g);
}

Test(generate, layered_tasks_depend_on_distinct_tasks_of_the_layer_before) {
    dr_param p[] = {
        {"layers", 6}, {"width", 7}, {"deps", 3}, {"lo", 2}, {"hi", 4}};
    dr_graph *g = gen_ok("layered", p, 5, 42, NULL);
    cr_assert_eq(dr_graph_ntasks(g), 42);
    cr_assert_eq(dr_graph_nedges(g), 5 * 7 * 3);
    for (size_t i = 0; i < dr_graph_ntasks(g); i++) {
        int layer, col;
        cr_assert_eq(
            sscanf(dr_task_key(g, (dr_task)i), "layer-%d-%d", &layer, &col), 2);
        size_t nd;
        const dr_task *deps = dr_task_deps(g, (dr_task)i, &nd);
        cr_assert_eq(nd, layer == 0 ? 0u : 3u);
        for (size_t k = 0; k < nd; k++) {
            int dl, dc;
            sscanf(dr_task_key(g, deps[k]), "layer-%d-%d", &dl, &dc);
            cr_assert_eq(dl, layer - 1);
            for (size_t m = 0; m < k; m++)
                cr_assert_neq(deps[m], deps[k]);
        }
        double cost = dr_task_cost(g, (dr_task)i);
        cr_assert(cost >= 2.0 && cost <= 4.0, "cost %g", cost);
        cr_assert_float_eq(cost * 1000, round(cost * 1000), 1e-6);
    }
    cr_assert_str_eq(dr_graph_name(g),
                     "layered-layers6-width7-deps3-lo2-hi4-seed42");
    dr_graph_destroy(g);
}

/* The keys are "layer-L-I" for task L x width + I (written without
 * printf), and each task's dependencies come in increasing order, whether
 * a few (sorted by insertion) or more than 16 (by qsort). */
Test(generate, layered_keys_name_their_place_and_deps_are_in_order) {
    for (int64_t deps = 3; deps <= 24; deps += 21) {
        dr_param p[] = {{"layers", 12}, {"width", 107}, {"deps", deps}};
        dr_graph *g = gen_ok("layered", p, 3, 5, NULL);
        cr_assert_eq(dr_graph_ntasks(g), 12 * 107);
        for (size_t i = 0; i < dr_graph_ntasks(g); i++) {
            char want[48];
            snprintf(want, sizeof want, "layer-%zu-%zu", i / 107, i % 107);
            cr_assert_str_eq(dr_task_key(g, (dr_task)i), want);
            size_t nd;
            const dr_task *d = dr_task_deps(g, (dr_task)i, &nd);
            cr_assert_eq(nd, i < 107 ? 0u : (size_t)deps);
            for (size_t k = 1; k < nd; k++)
                cr_assert_lt(d[k - 1], d[k], "%s: deps out of order", want);
        }
        dr_graph_destroy(g);
    }
}

Test(generate, layered_deps_up_to_the_width_take_that_many) {
    dr_param p[] = {{"layers", 3}, {"width", 4}, {"deps", 4}};
    dr_graph *g = gen_ok("layered", p, 3, 1, NULL);
    cr_assert_eq(dr_graph_nedges(g), 2 * 4 * 4);
    dr_graph_destroy(g);
}

Test(generate, layered_deps_beyond_the_width_are_refused) {
    dr_param p[] = {{"layers", 3}, {"width", 4}, {"deps", 9}};
    gen_fails("layered", p, 3, NULL, DR_ERANGE,
              "shape 'layered': deps (9) must not exceed width (4): each "
              "task depends on that many distinct tasks of the layer before");
}

/* The default deps (2) is cut to a width of 1: a chain of layers. */
Test(generate, layered_default_deps_fit_a_width_of_one) {
    dr_param p[] = {{"layers", 5}, {"width", 1}};
    dr_graph *g = gen_ok("layered", p, 2, 1, NULL);
    cr_assert_eq(dr_graph_ntasks(g), 5);
    cr_assert_eq(dr_graph_nedges(g), 4);
    cr_assert_not_null(strstr(dr_graph_name(g), "-deps1-"), "%s",
                       dr_graph_name(g));
    dr_graph_destroy(g);
}

Test(generate, same_seed_gives_an_equal_graph) {
    static const char *const all[] = {"chain",   "fork-join", "map-reduce",
                                      "tree",    "stencil",   "layered",
                                      "cholesky"};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        dr_graph *a = gen_ok(all[i], NULL, 0, 7, "sleep");
        dr_graph *b = gen_ok(all[i], NULL, 0, 7, "sleep");
        char why[256] = "";
        cr_assert(dr_graph_equal(a, b, why, sizeof(why)), "%s: %s", all[i],
                  why);
        dr_graph_destroy(a);
        dr_graph_destroy(b);
    }
}

Test(generate, layered_with_other_seeds_differs) {
    dr_param p[] = {{"layers", 10}, {"width", 10}};
    dr_graph *a = gen_ok("layered", p, 2, 1, NULL);
    dr_graph *b = gen_ok("layered", p, 2, 2, NULL);
    /* Names carry the seed, so compare everything else: rename b. */
    dr_graph_set_name(b, dr_graph_name(a));
    cr_assert_not(dr_graph_equal(a, b, NULL, 0));
    dr_graph_destroy(a);
    dr_graph_destroy(b);
}

/* ---------------------------------------------------------------- cholesky */

Test(generate, cholesky_has_the_textbook_count_work_and_span) {
    for (int64_t t = 1; t <= 10; t++) {
        dr_param p[] = {{"t", t}};
        dr_graph *g = gen_ok("cholesky", p, 1, 1, NULL);
        cr_assert_eq(dr_graph_ntasks(g), (size_t)(t * (t + 1) * (t + 2) / 6),
                     "t=%lld", (long long)t);
        cr_assert_float_eq(work_of(g), (double)(t * t * t), 1e-9);
        double expect = t == 1 ? 1.0 : 9.0 * (double)t - 10.0;
        cr_assert_float_eq(span_of(g), expect, 1e-9, "t=%lld: span %g",
                           (long long)t, span_of(g));
        cr_assert_eq(count_sinks(g), 1);
        dr_graph_destroy(g);
    }
}

Test(generate, cholesky_kernels_have_their_costs_and_inputs) {
    dr_param p[] = {{"t", 4}};
    dr_graph *g = gen_ok("cholesky", p, 1, 1, NULL);
    cr_assert_str_eq(dr_graph_name(g), "cholesky-t4");
    cr_assert_float_eq(dr_task_cost(g, find(g, "potrf-0")), 1.0, 1e-12);
    cr_assert_float_eq(dr_task_cost(g, find(g, "trsm-2-0")), 3.0, 1e-12);
    cr_assert_float_eq(dr_task_cost(g, find(g, "syrk-2-0")), 3.0, 1e-12);
    cr_assert_float_eq(dr_task_cost(g, find(g, "gemm-3-2-1")), 6.0, 1e-12);
    cr_assert(depends_on(g, "potrf-1", "syrk-1-0"));
    cr_assert(depends_on(g, "trsm-3-1", "potrf-1"));
    cr_assert(depends_on(g, "trsm-3-1", "gemm-3-1-0"));
    cr_assert(depends_on(g, "syrk-3-1", "syrk-3-0"));
    cr_assert(depends_on(g, "gemm-3-2-1", "trsm-3-1"));
    cr_assert(depends_on(g, "gemm-3-2-1", "trsm-2-1"));
    cr_assert(depends_on(g, "gemm-3-2-1", "gemm-3-2-0"));
    cr_assert_eq(ndeps(g, "potrf-0"), 0);
    dr_graph_destroy(g);
}

Test(generate, unit_scales_every_cost) {
    dr_param p[] = {{"t", 3}, {"unit", 10}};
    dr_graph *g = gen_ok("cholesky", p, 2, 1, NULL);
    cr_assert_float_eq(dr_task_cost(g, find(g, "gemm-2-1-0")), 0.06, 1e-12);
    cr_assert_float_eq(span_of(g), (9 * 3 - 10) * 0.01, 1e-9);
    cr_assert_str_eq(dr_graph_name(g), "cholesky-t3-unit10");
    dr_graph_destroy(g);
}

/* --------------------------------------------------------------------- ops */

Test(generate, tasks_run_noop_by_default) {
    dr_graph *g = gen_ok("chain", NULL, 0, 1, NULL);
    for (size_t i = 0; i < dr_graph_ntasks(g); i++) {
        cr_assert_eq(dr_task_op_kind(g, (dr_task)i), DR_OP_BUILTIN);
        cr_assert_str_eq(dr_task_op_name(g, (dr_task)i), "noop");
        cr_assert_null(dr_task_op_args(g, (dr_task)i));
    }
    dr_graph_destroy(g);
}

Test(generate, sleep_and_spin_last_for_the_cost) {
    dr_param p[] = {{"t", 3}, {"unit", 20}};
    dr_graph *g = gen_ok("cholesky", p, 2, 1, "sleep");
    json_t *args = dr_task_op_args(g, find(g, "gemm-2-1-0"));
    cr_assert_str_eq(dr_task_op_name(g, find(g, "gemm-2-1-0")), "sleep");
    cr_assert_float_eq(json_number_value(json_object_get(args, "ms")), 120.0,
                       1e-9);
    args = dr_task_op_args(g, find(g, "potrf-1"));
    cr_assert_float_eq(json_number_value(json_object_get(args, "ms")), 20.0,
                       1e-9);
    char msg[128];
    cr_assert_eq(dr_builtin_check("sleep", args, msg, sizeof(msg)), 0, "%s",
                 msg);
    dr_graph_destroy(g);

    g = gen_ok("chain", NULL, 0, 1, "spin");
    args = dr_task_op_args(g, 3);
    cr_assert_str_eq(dr_task_op_name(g, 3), "spin");
    /* Not the noop chain's name: their output folders must differ. */
    cr_expect_str_eq(dr_graph_name(g), "chain-n10-spin");
    cr_assert_float_eq(json_number_value(json_object_get(args, "units")),
                       1000.0, 1e-9);
    dr_graph_destroy(g);
}

Test(generate, an_op_without_required_arguments_is_accepted) {
    dr_graph *g = gen_ok("tree", NULL, 0, 1, "fail");
    cr_assert_str_eq(dr_task_op_name(g, 0), "fail");
    dr_graph_destroy(g);
}

Test(generate, an_op_that_needs_arguments_is_refused) {
    gen_fails("chain", NULL, 0, "pi", DR_EINVAL,
              "op 'pi' needs an integer 'samples' in \"args\"; generated "
              "tasks can run noop, sleep, spin, compute (taskbench) or "
              "another op without required arguments");
}

Test(generate, an_unknown_op_is_refused_with_the_builtin_list) {
    gen_fails("chain", NULL, 0, "frobnicate", DR_ENOOP,
              "unknown op 'frobnicate' (builtin ops: noop, sleep, spin, "
              "compute, pi, array, sum, mean, min, max, count, fail)");
}

/* ------------------------------------------------------------------ errors */

Test(generate, unknown_shape_lists_the_shapes) {
    gen_fails("spiral", NULL, 0, NULL, DR_EINVAL,
              "unknown shape 'spiral' (shapes: chain, fork-join, "
              "map-reduce, tree, stencil, layered, cholesky, taskbench)");
}

Test(generate, unknown_parameter_names_the_shape_parameters) {
    dr_param p[] = {{"n", 4}, {"m", 3}};
    gen_fails("map-reduce", p, 2, NULL, DR_EINVAL,
              "shape 'map-reduce': unknown parameter 'm' (parameters: n, r, "
              "cost, unit)");
    dr_param q[] = {{"n", 4}};
    gen_fails("cholesky", q, 1, NULL, DR_EINVAL,
              "shape 'cholesky': unknown parameter 'n' (parameters: t, "
              "unit)");
}

Test(generate, too_small_values_are_refused) {
    dr_param p[] = {{"n", 0}};
    gen_fails("chain", p, 1, NULL, DR_ERANGE,
              "shape 'chain': parameter 'n' must be at least 1, got 0");
    dr_param q[] = {{"cost", -1}};
    gen_fails("tree", q, 1, NULL, DR_ERANGE,
              "shape 'tree': parameter 'cost' must be at least 0, got -1");
    dr_param r[] = {{"lo", 5}, {"hi", 2}};
    gen_fails("layered", r, 2, NULL, DR_ERANGE,
              "shape 'layered': lo (5) must not exceed hi (2)");
}

Test(generate, absurd_sizes_are_refused_before_building) {
    dr_param p[] = {{"n", 20000000}};
    gen_fails("chain", p, 1, NULL, DR_ETOOBIG,
              "shape 'chain': these parameters make 20000000 tasks, more "
              "than the limit of 10000000 (set DAGRUN_MAX_TASKS to raise "
              "it)");
    dr_param q[] = {{"n", 100000}, {"r", 10000}};
    gen_fails("map-reduce", q, 2, NULL, DR_ETOOBIG,
              "shape 'map-reduce': these parameters make 1000000000 "
              "dependencies, more than the limit of 100000000 (set "
              "DAGRUN_MAX_DEPS to raise it)");
    dr_param r[] = {{"w", 1000000000000000LL}, {"h", 1000000000000000LL}};
    gen_fails("stencil", r, 2, NULL, DR_ETOOBIG,
              "shape 'stencil': parameter 'w' = 1000000000000000 is "
              "too large (at most 1099511627776)");
    dr_param s[] = {{"t", 400}};
    gen_fails("cholesky", s, 1, NULL, DR_ETOOBIG,
              "shape 'cholesky': these parameters make 10746800 tasks, more "
              "than the limit of 10000000 (set DAGRUN_MAX_TASKS to raise "
              "it)");
}

Test(generate, errors_without_an_error_record_do_not_crash) {
    cr_assert_null(dr_generate("spiral", NULL, 0, 1, NULL, NULL));
    cr_assert_null(dr_generate(NULL, NULL, 0, 1, NULL, NULL));
    dr_param p[] = {{"x", 1}};
    cr_assert_null(dr_generate("chain", p, 1, 1, NULL, NULL));
}

Test(generate, help_names_every_shape_and_parameter) {
    const char *help = dr_generator_help();
    static const char *const words[] = {
        "chain",    "fork-join", "map-reduce", "tree",   "stencil", "layered",
        "cholesky", "n=10",      "stages=1",   "r=1",    "n=16",    "w=8",
        "h=8",      "layers=8",  "width=8",    "deps=2", "lo=1",    "hi=5",
        "t=4",      "cost=1",    "unit=1000"};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        cr_assert_not_null(strstr(help, words[i]), "help lacks '%s'", words[i]);
}

/* --------------------------------------------------------------------- CLI
 * These need the JSON saver (graph/json_save.c), the loader and the
 * parameter parser (graph/expr.c). */

/* `dagrun gen SHAPE ARGS -o FILE; dagrun analyze --json FILE` as a JSON
 * object. */
static json_t *analyze_generated(const char *args) {
    char *dir = drt_tmpdir(), *out = NULL, *err = NULL;
    int rc = drt_cli(NULL, &err, "gen %s -o '%s/g.json'", args, dir);
    cr_assert_eq(rc, 0, "gen %s: exit %d: %s", args, rc, err);
    free(err);
    rc = drt_cli(&out, &err, "analyze --json '%s/g.json'", dir);
    drt_rmtree(dir);
    free(dir);
    cr_assert_eq(rc, 0, "analyze of gen %s: exit %d: %s", args, rc, err);
    json_error_t jerr;
    json_t *a = json_loads(out, 0, &jerr);
    cr_assert_not_null(a, "analyze --json: %s:\n%s", jerr.text, out);
    free(out);
    free(err);
    return a;
}

/* What `gen --help` says of the tiled Cholesky (its count, work and span
 * for every t) is what `dagrun analyze` finds in the graph it makes, t = 1
 * included (one potrf: span 1, which 9t-10 alone gets wrong). */
Test(gen_cli, cholesky_help_states_the_count_work_and_span_analyze_finds) {
    char *help = NULL;
    cr_assert_eq(drt_cli(&help, NULL, "gen --help"), 0);
    cr_assert_not_null(
        strstr(help, "t(t+1)(t+2)/6 tasks, work t^3, span max(1, 9t-10)."),
        "gen --help states other formulas:\n%s", help);
    free(help);
    for (long t = 1; t <= 6; t++) {
        char *args = drt_fmt("cholesky --set t=%ld", t);
        json_t *a = analyze_generated(args);
        double span = 9.0 * (double)t - 10.0;
        if (span < 1)
            span = 1;
        cr_expect_eq(json_integer_value(json_object_get(a, "tasks")),
                     t * (t + 1) * (t + 2) / 6, "t=%ld: tasks", t);
        cr_expect_float_eq(json_number_value(json_object_get(a, "work")),
                           (double)(t * t * t), 1e-9, "t=%ld: work", t);
        cr_expect_float_eq(json_number_value(json_object_get(a, "span")), span,
                           1e-9, "t=%ld: span %g, the help says %g", t,
                           json_number_value(json_object_get(a, "span")), span);
        json_decref(a);
        free(args);
    }
}

/* `deps` random tasks of the layer before, as the help says: every task
 * past the first layer has exactly that many, up to the width; more is
 * refused rather than quietly clamped. */
Test(gen_cli, layered_makes_the_dependencies_its_help_states_or_refuses) {
    char *help = NULL;
    cr_assert_eq(drt_cli(&help, NULL, "gen --help"), 0);
    cr_assert_not_null(strstr(help, "depends on `deps` (at most width)"), "%s",
                       help);
    free(help);
    for (long deps = 0; deps <= 5; deps++) {
        char *args = drt_fmt("layered --set layers=4 --set width=5 "
                             "--set deps=%ld",
                             deps);
        json_t *a = analyze_generated(args);
        cr_expect_eq(json_integer_value(json_object_get(a, "edges")),
                     3 * 5 * deps, "deps=%ld", deps);
        json_decref(a);
        free(args);
    }
    char *err = NULL;
    int rc = drt_cli(NULL, &err, "gen layered --set width=5 --set deps=6");
    cr_expect_eq(rc, 2, "%s", err);
    cr_expect_not_null(strstr(err, "deps (6) must not exceed width (5)"), "%s",
                       err);
    free(err);
}

static dr_graph *load_text(const char *text) {
    dr_error err;
    dr_error_clear(&err);
    dr_graph *g = dr_graph_load_buffer(text, strlen(text), "<gen>", NULL, &err);
    cr_assert_not_null(g, "cannot load gen output: %s", err.text);
    return g;
}

Test(gen_cli, help_lists_shapes_and_exit_codes) {
    char *out = NULL;
    int rc = drt_cli(&out, NULL, "gen --help");
    cr_assert_eq(rc, 0);
    cr_assert_not_null(strstr(out, "Usage: dagrun gen SHAPE"));
    cr_assert_not_null(strstr(out, "cholesky    t=4"));
    cr_assert_not_null(strstr(out, "Exit codes:"));
    free(out);
}

Test(gen_cli, missing_or_unknown_shape_is_a_usage_error) {
    char *err = NULL;
    cr_assert_eq(drt_cli(NULL, &err, "gen"), 2);
    cr_assert_not_null(strstr(err, "which shape?"), "%s", err);
    free(err);
    cr_assert_eq(drt_cli(NULL, &err, "gen spiral"), 2);
    cr_assert_not_null(strstr(err, "dagrun gen: unknown shape 'spiral'"), "%s",
                       err);
    free(err);
    cr_assert_eq(drt_cli(NULL, &err, "gen chain extra"), 2);
    cr_assert_not_null(strstr(err, "unexpected argument 'extra'"), "%s", err);
    free(err);
    cr_assert_eq(drt_cli(NULL, &err, "gen chain --seed -3"), 2);
    cr_assert_not_null(strstr(err, "--seed"), "%s", err);
    free(err);
    cr_assert_eq(drt_cli(NULL, &err, "gen chain --bogus"), 2);
    free(err);
}

Test(gen_cli, prints_a_graph_that_loads_back_equal) {
    char *out = NULL, *err = NULL;
    int rc = drt_cli(&out, &err, "gen cholesky --set t=5 --op sleep");
    cr_assert_eq(rc, 0, "%s", err);
    dr_graph *loaded = load_text(out);
    dr_param p[] = {{"t", 5}};
    dr_graph *g = gen_ok("cholesky", p, 1, 1, "sleep");
    char why[256] = "";
    cr_assert(dr_graph_equal(g, loaded, why, sizeof(why)), "%s", why);
    dr_graph_destroy(g);
    dr_graph_destroy(loaded);
    free(out);
    free(err);
}

Test(gen_cli, seed_and_set_reach_the_generator) {
    char *out = NULL, *err = NULL;
    int rc = drt_cli(&out, &err,
                     "gen layered --set layers=4 --set width=2*3 --seed 9 "
                     "--compact");
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(strchr(out, '\n'), out + strlen(out) - 1,
                 "compact output is one line");
    dr_graph *loaded = load_text(out);
    dr_param p[] = {{"layers", 4}, {"width", 6}};
    dr_graph *g = gen_ok("layered", p, 2, 9, NULL);
    char why[256] = "";
    cr_assert(dr_graph_equal(g, loaded, why, sizeof(why)), "%s", why);
    dr_graph_destroy(g);
    dr_graph_destroy(loaded);
    free(out);
    free(err);
}

Test(gen_cli, bad_parameter_is_a_usage_error_naming_it) {
    char *err = NULL;
    cr_assert_eq(drt_cli(NULL, &err, "gen chain --set m=3"), 2);
    cr_assert_not_null(strstr(err, "unknown parameter 'm'"), "%s", err);
    free(err);
}

Test(gen_cli, output_file_is_written_atomically) {
    char *dir = drt_tmpdir();
    char *err = NULL;
    int rc = drt_cli(NULL, &err, "gen stencil --set w=4 -o '%s/s.json'", dir);
    cr_assert_eq(rc, 0, "%s", err);
    free(err);
    char *path = drt_fmt("%s/s.json", dir);
    char *text = drt_read_file(path, NULL);
    cr_assert_not_null(text);
    dr_graph *loaded = load_text(text);
    cr_assert_eq(dr_graph_ntasks(loaded), 32);
    cr_assert_str_eq(dr_graph_name(loaded), "stencil-w4-h8");
    dr_graph_destroy(loaded);
    free(text);
    free(path);
    /* A missing folder fails cleanly. */
    rc = drt_cli(NULL, &err, "gen chain -o '%s/no/such/g.json'", dir);
    cr_assert_eq(rc, 2);
    cr_assert_not_null(strstr(err, "no/such/g.json"), "%s", err);
    free(err);
    drt_rmtree(dir);
    free(dir);
}

/* ------------------------------------------------------------------ limits */

Test(generate_limits, a_shuffle_too_big_to_save_is_refused_before_building) {
    /* Issue 9: 20,000 tasks and 99,990,000 dependencies made 9.4 GB. */
    dr_param p[] = {{"n", 10000}, {"r", 9999}};
    gen_fails("map-reduce", p, 2, NULL, DR_ETOOBIG,
              "shape 'map-reduce': these parameters make at least "
              "1089529964 bytes of JSON, more than the limit of 1073741824 "
              "for a graph file (set DAGRUN_MAX_GRAPH_BYTES to raise it)");
}

/* The byte bound is a lower bound: with the limit set to the exact length
 * of the compact JSON, every shape still generates and saves, and one byte
 * less refuses the text. */
Test(generate_limits, the_byte_estimate_never_exceeds_the_real_text) {
    static const char *const shapes[] = {"chain",    "fork-join", "map-reduce",
                                         "tree",     "stencil",   "layered",
                                         "cholesky", "taskbench"};
    dr_param big[] = {{"n", 1234}, {"r", 3}};
    for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
        int mr = strcmp(shapes[i], "map-reduce") == 0;
        int chain = strcmp(shapes[i], "chain") == 0;
        dr_graph *g = gen_ok(shapes[i], big, mr ? 2 : chain ? 1 : 0, 1, NULL);
        dr_save_options so = {0};
        so.compact = 1;
        size_t len;
        dr_error err;
        dr_error_clear(&err);
        char *text = dr_graph_to_text_opts(g, &so, &len, &err);
        cr_assert_not_null(text, "%s: %s", shapes[i], err.text);
        free(text);
        dr_graph_destroy(g);

        char *limit = drt_fmt("%zu", len);
        setenv("DAGRUN_MAX_GRAPH_BYTES", limit, 1);
        free(limit);
        g = gen_ok(shapes[i], big, mr ? 2 : chain ? 1 : 0, 1, NULL);
        dr_error_clear(&err);
        text = dr_graph_to_text_opts(g, &so, &len, &err);
        cr_expect_not_null(text, "%s at its own length: %s", shapes[i],
                           err.text);
        free(text);
        so.max_bytes = len - 1;
        dr_error_clear(&err);
        cr_expect_null(dr_graph_to_text_opts(g, &so, &len, &err));
        cr_expect_eq(err.code, DR_ETOOBIG, "%s", shapes[i]);
        dr_graph_destroy(g);
        unsetenv("DAGRUN_MAX_GRAPH_BYTES");
    }
}

Test(generate_limits, the_task_and_dependency_limits_follow_the_environment) {
    setenv("DAGRUN_MAX_TASKS", "5", 1);
    dr_param six[] = {{"n", 6}}, five[] = {{"n", 5}};
    gen_fails("chain", six, 1, NULL, DR_ETOOBIG,
              "shape 'chain': these parameters make 6 tasks, more than the "
              "limit of 5 (set DAGRUN_MAX_TASKS to raise it)");
    dr_graph_destroy(gen_ok("chain", five, 1, 1, NULL));
    unsetenv("DAGRUN_MAX_TASKS");
    setenv("DAGRUN_MAX_DEPS", "1K", 1);
    dr_param wide[] = {{"n", 33}, {"r", 32}}, fits[] = {{"n", 32}, {"r", 32}};
    gen_fails("map-reduce", wide, 2, NULL, DR_ETOOBIG,
              "shape 'map-reduce': these parameters make 1056 dependencies, "
              "more than the limit of 1024 (set DAGRUN_MAX_DEPS to raise "
              "it)");
    dr_graph_destroy(gen_ok("map-reduce", fits, 2, 1, NULL));
    unsetenv("DAGRUN_MAX_DEPS");
}

Test(generate_limits, a_malformed_limit_is_an_error_not_the_default) {
    setenv("DAGRUN_MAX_TASKS", "lots", 1);
    gen_fails("chain", NULL, 0, NULL, DR_EINVAL,
              "DAGRUN_MAX_TASKS='lots' is not a limit: expected a whole "
              "number above 0, optionally followed by K, M or G (times 1024, "
              "1024^2, 1024^3)");
    setenv("DAGRUN_MAX_TASKS", "-5", 1);
    gen_fails("chain", NULL, 0, NULL, DR_EINVAL,
              "DAGRUN_MAX_TASKS='-5' is not a limit: expected a whole "
              "number above 0, optionally followed by K, M or G (times 1024, "
              "1024^2, 1024^3)");
    unsetenv("DAGRUN_MAX_TASKS");
}

Test(gen_cli, output_past_the_byte_limit_is_refused_and_nothing_written) {
    char *dir = drt_tmpdir();
    char *out = NULL, *err = NULL;
    /* A stencil's estimate is well below its text: the streamed writer
     * stops at the limit. */
    int rc =
        drt_cli(&out, &err, "gen stencil --set w=100 --set h=100 --compact");
    cr_assert_eq(rc, 0, "%s", err);
    size_t full = strlen(out);
    free(out);
    free(err);
    rc = drt_cli(&out, &err,
                 "gen stencil --set w=100 --set h=100 --compact "
                 "-o %s/s.json; DAGRUN_MAX_GRAPH_BYTES=%zu %s gen stencil "
                 "--set w=100 --set h=100 -o %s/t.json",
                 dir, full, drt_cli_path(), dir);
    cr_expect_eq(rc, 2, "exit %d: %s", rc, err);
    cr_expect(strstr(err, "dagrun gen: ") != NULL &&
                  strstr(err, "t.json: the graph as JSON passes") != NULL &&
                  strstr(err, "(set DAGRUN_MAX_GRAPH_BYTES to raise it)") !=
                      NULL,
              "%s", err);
    char *t = drt_fmt("%s/t.json", dir);
    cr_expect_eq(access(t, F_OK), -1, "t.json was written");
    free(t);
    free(out);
    free(err);
    rc = drt_cli(&out, &err,
                 "gen map-reduce --set n=10000 --set r=9999 --compact");
    cr_expect_eq(rc, 2);
    cr_expect_str_eq(out, "");
    cr_expect(strstr(err,
                     "more than the limit of 1073741824 for a graph "
                     "file (set DAGRUN_MAX_GRAPH_BYTES to raise it)") != NULL,
              "%s", err);
    free(out);
    free(err);
    drt_rmtree(dir);
    free(dir);
}
