/* Structural groups (graph/group.c) and the transitive reduction
 * (graph/reduce.c): groups keep a graph's shape (layers stay layers, the
 * groups always form a DAG, at most the limit), the reduction keeps exactly
 * the edges no other path implies, and a run's trace names each task's
 * group in `cat`, as the DAG diagram does. */
#include "dagrun/run.h"
#include "graph_internal.h"
#include "run_internal.h"
#include "support.h"

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static dr_graph *gen(const char *shape, const char *const *sets, size_t n,
                     uint64_t seed) {
    dr_param p[8];
    char text[8][64];
    for (size_t i = 0; i < n; i++) {
        snprintf(text[i], sizeof(text[i]), "%s", sets[i]);
        cr_assert_eq(dr_param_parse(text[i], &p[i], NULL), 0);
    }
    dr_error err;
    dr_graph *g = dr_generate(shape, p, n, seed, NULL, &err);
    cr_assert_not_null(g, "%s: %s", shape, err.text);
    return g;
}

static dr_graph *load(const char *path) {
    dr_error err;
    dr_graph *g = dr_graph_load(path, NULL, &err);
    cr_assert_not_null(g, "%s", err.text);
    return g;
}

static dr__groups group(const dr_graph *g, size_t limit) {
    dr__groups gr;
    cr_assert_eq(dr__graph_group(g, limit, &gr), 0);
    return gr;
}

static long find_group(const dr__groups *gr, const char *name) {
    for (size_t i = 0; i < gr->n; i++)
        if (strcmp(gr->name[i], name) == 0)
            return (long)i;
    return -1;
}

/* Every task in one group, counts right, at most `limit` groups, and every
 * dependency between two groups goes forward in their numbering. */
static void check_groups(const dr_graph *g, const dr__groups *gr,
                         size_t limit) {
    size_t n = dr_graph_ntasks(g);
    cr_assert_leq(gr->n, limit);
    cr_assert(n == 0 || gr->n >= 1);
    size_t *count = calloc(gr->n + 1, sizeof(*count));
    for (size_t t = 0; t < n; t++) {
        cr_assert_lt(gr->of[t], gr->n);
        count[gr->of[t]]++;
        size_t nd;
        const dr_task *deps = dr_task_deps(g, (dr_task)t, &nd);
        for (size_t j = 0; j < nd; j++)
            cr_assert_leq(gr->of[deps[j]], gr->of[t],
                          "dependency %s -> %s goes back from group %s to %s",
                          dr_task_key(g, deps[j]), dr_task_key(g, (dr_task)t),
                          gr->name[gr->of[deps[j]]], gr->name[gr->of[t]]);
    }
    for (size_t i = 0; i < gr->n; i++) {
        cr_assert_eq(count[i], gr->count[i], "group %s", gr->name[i]);
        cr_assert_gt(count[i], 0, "empty group %s", gr->name[i]);
        cr_assert_leq(gr->level_lo[i], gr->level_hi[i]);
    }
    free(count);
}

Test(group, layered_graph_is_grouped_by_layer) {
    const char *sets[] = {"layers=10", "width=30", "deps=3"};
    dr_graph *g = gen("layered", sets, 3, 7);
    dr__groups gr = group(g, DR__GROUP_LIMIT);
    check_groups(g, &gr, DR__GROUP_LIMIT);
    cr_assert_eq(gr.n, 10);
    for (int l = 0; l < 10; l++) {
        char name[32];
        snprintf(name, sizeof(name), "layer-%d-*", l);
        long i = find_group(&gr, name);
        cr_assert_geq(i, 0, "no group %s", name);
        cr_assert_eq(gr.count[i], 30);
        cr_assert_eq(gr.level_lo[i], (uint32_t)l + 1);
        cr_assert_eq(gr.level_hi[i], (uint32_t)l + 1);
    }
    dr__groups_free(&gr);
    dr_graph_destroy(g);
}

Test(group, hundred_thousand_task_layered_graph_keeps_its_layers,
     .timeout = 120) {
    const char *sets[] = {"layers=100", "width=1000"};
    dr_graph *g = gen("layered", sets, 2, 1);
    dr__groups gr = group(g, DR__GROUP_LIMIT);
    check_groups(g, &gr, DR__GROUP_LIMIT);
    cr_assert_eq(gr.n, 100, "one group per layer, not %zu", gr.n);
    cr_assert_str_eq(gr.name[0], "layer-0-*");
    cr_assert_str_eq(gr.name[99], "layer-99-*");
    cr_assert_eq(gr.count[42], 1000);
    dr__groups_free(&gr);
    dr_graph_destroy(g);
}

Test(group, deeper_than_the_limit_is_banded_by_level) {
    const char *sets[] = {"layers=1000", "width=3"};
    dr_graph *g = gen("layered", sets, 2, 1);
    dr__groups gr = group(g, DR__GROUP_LIMIT);
    check_groups(g, &gr, DR__GROUP_LIMIT);
    cr_assert(gr.by_level);
    cr_assert_geq(gr.n, DR__GROUP_LIMIT / 2, "bands use the room: %zu", gr.n);
    cr_assert(strstr(gr.name[0], "(levels 1\xE2\x80\x93") != NULL, "%s",
              gr.name[0]);
    /* Bands follow each other: the graph of groups is still a chain. */
    for (size_t i = 1; i < gr.n; i++)
        cr_assert_eq(gr.level_lo[i], gr.level_hi[i - 1] + 1);
    dr__groups_free(&gr);
    dr_graph_destroy(g);
}

Test(group, cholesky_is_grouped_by_kernel_and_step) {
    const char *sets[] = {"t=6"};
    dr_graph *g = gen("cholesky", sets, 1, 1);
    dr__groups gr = group(g, DR__GROUP_LIMIT);
    check_groups(g, &gr, DR__GROUP_LIMIT);
    const char *want[] = {"potrf-0", "trsm-*-0", "syrk-*-0", "gemm-*-*-0",
                          "potrf-5"};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        cr_assert_geq(find_group(&gr, want[i]), 0, "no group %s", want[i]);
    cr_assert_eq(gr.count[find_group(&gr, "gemm-*-*-0")], 10);
    dr__groups_free(&gr);
    dr_graph_destroy(g);
}

Test(group, keys_without_useful_numbers_are_split_by_level) {
    char *path = drt_fmt("%s/viz/dense100.stg", DR_TEST_DATA);
    dr_graph *g = load(path);
    free(path);
    dr__groups gr = group(g, DR__GROUP_LIMIT);
    check_groups(g, &gr, DR__GROUP_LIMIT);
    /* t1..t100 all match "t*", with dependencies inside: one group per
     * depth level, each named after it. */
    uint32_t depth = 0;
    for (size_t i = 0; i < gr.n; i++) {
        char want[64];
        snprintf(want, sizeof(want), "t* (level %u)", gr.level_lo[i]);
        cr_assert_str_eq(gr.name[i], want);
        cr_assert_eq(gr.level_lo[i], gr.level_hi[i]);
        if (gr.level_hi[i] > depth)
            depth = gr.level_hi[i];
    }
    cr_assert_eq(gr.n, depth);
    cr_assert_gt(gr.n, 10);
    dr__groups_free(&gr);
    dr_graph_destroy(g);
}

Test(group, groups_on_a_cycle_of_groups_are_split_by_level) {
    const char *sets[] = {"n=4", "stages=3"};
    dr_graph *g = gen("fork-join", sets, 2, 1);
    dr__groups gr = group(g, DR__GROUP_LIMIT);
    check_groups(g, &gr, DR__GROUP_LIMIT);
    /* fork-* -> work-s-* -> join-* -> fork-* would be a cycle. */
    cr_assert_geq(find_group(&gr, "work-1-*"), 0);
    cr_assert_geq(find_group(&gr, "fork-* (level 4)"), 0);
    cr_assert_eq(gr.n, 9);
    dr__groups_free(&gr);
    dr_graph_destroy(g);
}

Test(group, map_reduce_and_unnumbered_keys) {
    const char *sets[] = {"n=100", "r=4"};
    dr_graph *g = gen("map-reduce", sets, 2, 1);
    dr__groups gr = group(g, DR__GROUP_LIMIT);
    check_groups(g, &gr, DR__GROUP_LIMIT);
    cr_assert_eq(gr.n, 2);
    cr_assert_str_eq(gr.name[0], "map-*");
    cr_assert_str_eq(gr.name[1], "reduce-*");
    dr__groups_free(&gr);
    dr_graph_destroy(g);
    /* Distinct keys without numbers: more than the limit of them fall back
     * to bands of levels. */
    g = dr_graph_create();
    dr_task prev = DR_TASK_NONE;
    for (int i = 0; i < 60; i++) {
        char key[8] = {(char)('a' + i / 26 % 26), (char)('a' + i % 26), 0};
        dr_task t;
        cr_assert_eq(dr_graph_add_task(g, key, &t), 0);
        if (prev != DR_TASK_NONE)
            dr_graph_add_dep(g, t, prev);
        prev = t;
    }
    cr_assert_eq(dr_graph_validate(g, NULL), 0);
    gr = group(g, 10);
    check_groups(g, &gr, 10);
    cr_assert(gr.by_level);
    cr_assert_eq(gr.n, 10);
    cr_assert_str_eq(gr.name[0], "levels 1\xE2\x80\x93"
                                 "6");
    dr__groups_free(&gr);
    dr_graph_destroy(g);
}

/* A random DAG: each task depends on earlier ones with probability p;
 * keys from a few families so that key rules apply. */
static dr_graph *random_dag(unsigned seed, size_t n, double p) {
    dr_graph *g = dr_graph_create();
    unsigned s = seed * 2654435761u + 1;
    const char *fam[] = {"a-%zu", "b-%zu-%zu", "c%zu", "x_%zu_y"};
    for (size_t i = 0; i < n; i++) {
        char key[64];
        s = s * 1103515245u + 12345u;
        snprintf(key, sizeof(key), fam[(s >> 16) % 4], i, i % 7);
        cr_assert_eq(dr_graph_add_task(g, key, NULL), 0);
        for (size_t j = 0; j < i; j++) {
            s = s * 1103515245u + 12345u;
            if ((double)((s >> 8) & 0xFFFF) / 65536.0 < p)
                dr_graph_add_dep(g, (dr_task)i, (dr_task)j);
        }
    }
    cr_assert_eq(dr_graph_validate(g, NULL), 0);
    return g;
}

Test(group, random_graphs_always_give_a_dag_of_groups_within_the_limit) {
    size_t limits[] = {1, 3, 10, 40, 300};
    for (unsigned seed = 1; seed <= 40; seed++) {
        dr_graph *g = random_dag(seed, 20 + seed * 7, 0.02 + seed % 5 * 0.05);
        for (size_t k = 0; k < sizeof(limits) / sizeof(limits[0]); k++) {
            dr__groups gr = group(g, limits[k]);
            check_groups(g, &gr, limits[k]);
            dr__groups_free(&gr);
        }
        dr_graph_destroy(g);
    }
}

/* ------------------------------------------------------------ reduction */

/* Brute force: u -> v is implied when v is reachable from u by a path of
 * two or more edges. */
static int reachable_avoiding(size_t n, const uint32_t *off,
                              const uint32_t *succ, uint32_t u, uint32_t v) {
    unsigned char *seen = calloc(n, 1);
    uint32_t *stack = malloc(n * sizeof(*stack));
    size_t top = 0;
    int found = 0;
    for (uint32_t e = off[u]; e < off[u + 1]; e++)
        if (succ[e] != v && !seen[succ[e]]) {
            seen[succ[e]] = 1;
            stack[top++] = succ[e];
        }
    while (top > 0 && !found) {
        uint32_t x = stack[--top];
        for (uint32_t e = off[x]; e < off[x + 1]; e++) {
            if (succ[e] == v)
                found = 1;
            if (!seen[succ[e]]) {
                seen[succ[e]] = 1;
                stack[top++] = succ[e];
            }
        }
    }
    free(seen);
    free(stack);
    return found;
}

Test(reduce, keeps_exactly_the_edges_no_longer_path_implies) {
    for (unsigned seed = 1; seed <= 30; seed++) {
        size_t n = 10 + seed * 3;
        double p = 0.05 + (seed % 6) * 0.08;
        uint32_t *off = calloc(n + 1, sizeof(*off));
        uint32_t *succ = malloc(n * n * sizeof(*succ));
        unsigned s = seed;
        size_t m = 0;
        for (size_t u = 0; u < n; u++) {
            off[u] = (uint32_t)m;
            for (size_t v = u + 1; v < n; v++) {
                s = s * 1103515245u + 12345u;
                if ((double)((s >> 8) & 0xFFFF) / 65536.0 < p)
                    succ[m++] = (uint32_t)v;
            }
        }
        off[n] = (uint32_t)m;
        unsigned char *implied = malloc(m ? m : 1);
        size_t nimplied = 0, expect = 0;
        cr_assert_eq(dr__dag_reduce(n, off, succ, implied, &nimplied), 0);
        for (size_t u = 0; u < n; u++)
            for (uint32_t e = off[u]; e < off[u + 1]; e++) {
                int want =
                    reachable_avoiding(n, off, succ, (uint32_t)u, succ[e]);
                expect += (size_t)want;
                cr_assert_eq(implied[e], want, "seed %u edge %zu -> %u", seed,
                             u, succ[e]);
            }
        cr_assert_eq(nimplied, expect);
        free(off);
        free(succ);
        free(implied);
    }
}

Test(reduce, refuses_graphs_too_large_for_its_bitsets) {
    uint32_t off[2] = {0, 0};
    unsigned char implied[1];
    cr_assert_eq(
        dr__dag_reduce(DR__REDUCE_MAX_NODES + 1, off, NULL, implied, NULL),
        DR_ETOOBIG);
    cr_assert_eq(dr__dag_reduce(0, off, NULL, implied, NULL), 0);
}

/* ----------------------------------------------------- trace categories */

Test(group, trace_cat_names_the_group_the_diagram_draws) {
    const char *sets[] = {"layers=4", "width=5"};
    dr_graph *g = gen("layered", sets, 2, 3);
    dr__groups gr = group(g, DR__GROUP_LIMIT);
    dr_run_options o;
    dr_run_options_init(&o);
    o.simulate = 1;
    o.workers = 2;
    dr_error err;
    dr_run *run = dr_run_graph(g, &o, &err);
    cr_assert_not_null(run, "%s", err.text);
    json_t *trace = dr_run_trace_json(run);
    cr_assert_not_null(trace);
    json_t *events = json_object_get(trace, "traceEvents"), *ev;
    size_t i, seen = 0;
    json_array_foreach(events, i, ev) {
        if (strcmp(json_string_value(json_object_get(ev, "ph")), "X") != 0)
            continue;
        const char *task = json_string_value(json_object_get(ev, "name"));
        dr_task t = dr_graph_find(g, task);
        cr_assert_str_eq(json_string_value(json_object_get(ev, "cat")),
                         gr.name[gr.of[t]], "task %s", task);
        seen++;
    }
    cr_assert_eq(seen, 20);
    /* The streamed text trace says the same. */
    char *text = dr__run_trace_text(run, NULL);
    cr_assert_not_null(text);
    cr_assert(strstr(text, "\"name\":\"layer-2-3\",\"cat\":\"layer-2-*\"") !=
                  NULL,
              "%.400s", text);
    free(text);
    json_decref(trace);
    dr_run_destroy(run);
    dr__groups_free(&gr);
    dr_graph_destroy(g);
}
