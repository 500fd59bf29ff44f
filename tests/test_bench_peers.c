/*
 * The native peers of dagrun_bench_overhead (bench/peers.h) and its
 * --workers-list parsing (bench/workers_list.h).  No timing here: what is
 * checked is that a peer runs the same DAG as dagrun — every task once,
 * each after all of its dependencies — so that the benchmark's ratios
 * compare equal work.
 */
#include "../bench/peers.h"
#include "../bench/shapes.h"
#include "../bench/workers_list.h"

#include <criterion/criterion.h>

Test(bench_workers_list, parses_counts_in_order) {
    unsigned w[8];
    cr_assert_eq(workers_list_parse("1,2,4", w, 8), 3);
    cr_expect(w[0] == 1 && w[1] == 2 && w[2] == 4);
    cr_assert_eq(workers_list_parse("16", w, 8), 1);
    cr_expect_eq(w[0], 16);
    cr_expect_eq(workers_list_parse("1024", w, 8), 1);
}

Test(bench_workers_list, refuses_what_is_not_a_list_of_counts) {
    unsigned w[3];
    const char *bad[] = {
        "",   ",",  "1,", ",1", "1,,2", "0",    "-1",
        "+2", " 1", "1 ", "2x", "1;2",  "1025", "99999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect_eq(workers_list_parse(bad[i], w, 3), -1, "'%s'", bad[i]);
    cr_expect_eq(workers_list_parse(NULL, w, 3), -1);
    /* More counts than room. */
    cr_expect_eq(workers_list_parse("1,2,3,4", w, 3), -1);
}

/* The peer's arrays are the graph's edges, successors mirroring
 * dependencies. */
Test(bench_peers, dag_holds_the_graphs_edges) {
    dr_graph *g = shape_build("tree", 0.0001); /* 10 leaves */
    dr_error err;
    cr_assert_eq(dr_graph_validate(g, &err), 0);
    peer_dag *d = peer_dag_from_graph(g);
    cr_assert_not_null(d);
    cr_expect_eq(d->n, dr_graph_ntasks(g));
    cr_expect_eq(d->nedges, dr_graph_nedges(g));
    cr_expect_eq(d->nroots, 10);
    for (size_t t = 0; t < d->n; t++) {
        size_t nd;
        dr_task_deps(g, (dr_task)t, &nd);
        cr_expect_eq(d->ndeps[t], nd, "task %zu", t);
        cr_expect_eq(d->dep_start[t + 1] - d->dep_start[t], nd);
    }
    cr_expect_eq(d->succ_start[d->n], d->nedges);
    peer_dag_free(d);
    dr_graph_destroy(g);
}

/* A run that skipped a task, or ran one before a dependency, is reported:
 * the check itself can fail. */
Test(bench_peers, check_sees_a_task_run_too_early) {
    dr_graph *g = shape_build("chain", 0.0001);
    dr_error err;
    cr_assert_eq(dr_graph_validate(g, &err), 0);
    peer_dag *d = peer_dag_from_graph(g);
    cr_assert_not_null(d);
    peer_dag_begin(d, 1);
    for (uint32_t t = 0; t < d->n; t++)
        peer_body(d, t);
    cr_expect_eq(peer_dag_end(d), 0);
    peer_dag_begin(d, 1);
    for (uint32_t t = (uint32_t)d->n; t-- > 0;)
        peer_body(d, t);
    cr_expect_eq(peer_dag_end(d), -1, "the chain ran backwards unnoticed");
    peer_dag_begin(d, 0);
    for (uint32_t t = 1; t < d->n; t++)
        peer_body(d, t);
    cr_expect_eq(peer_dag_end(d), -1, "a task that did not run unnoticed");
    peer_dag_free(d);
    dr_graph_destroy(g);
}

static void runs_every_shape(int (*run)(peer_dag *, unsigned),
                             const char *name) {
    const unsigned workers[] = {1, 2, 4};
    for (size_t s = 0; s < nshapes; s++) {
        dr_graph *g = shape_build(shapes[s].name, 0.02);
        dr_error err;
        cr_assert_eq(dr_graph_validate(g, &err), 0);
        peer_dag *d = peer_dag_from_graph(g);
        cr_assert_not_null(d);
        for (size_t w = 0; w < 3; w++)
            for (int r = 0; r < 3; r++) {
                peer_dag_begin(d, 1);
                cr_assert_eq(run(d, workers[w]), 0);
                cr_expect_eq(peer_dag_end(d), 0, "%s, %s, %u workers", name,
                             shapes[s].name, workers[w]);
            }
        peer_dag_free(d);
        dr_graph_destroy(g);
    }
}

Test(bench_peers, pool_runs_each_task_once_after_its_dependencies,
     .timeout = 120) {
    runs_every_shape(peer_pool_run, "pool");
}
