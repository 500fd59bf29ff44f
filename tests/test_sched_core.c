/* The scheduling core on its own: readiness, each policy's order, the
 * deterministic tie-breaking, free workers, failures, retries and stop.
 * No clock and no threads: the tests play the driver by hand. */
#include "core.h"

#include <criterion/criterion.h>
#include <stdio.h>

/* Adds tasks "t0".."t<n-1>" with the given costs (NULL: unset). */
static dr_graph *tasks(size_t n, const double *costs) {
    dr_graph *g = dr_graph_create();
    cr_assert_not_null(g);
    for (size_t i = 0; i < n; i++) {
        char key[32];
        snprintf(key, sizeof(key), "t%zu", i);
        dr_task t;
        cr_assert_eq(dr_graph_add_task(g, key, &t), 0);
        if (costs != NULL)
            cr_assert_eq(dr_task_set_cost(g, t, costs[i]), 0);
    }
    return g;
}

static void dep(dr_graph *g, dr_task task, dr_task on) {
    cr_assert_eq(dr_graph_add_dep(g, task, on), 0);
}

static void validate(dr_graph *g) {
    dr_error err;
    cr_assert_eq(dr_graph_validate(g, &err), 0, "%s", err.text);
}

/* Runs the whole graph on `workers` with zero-length tasks finished in
 * assignment order, one at a time; returns the start order. */
static void run_order(dr_graph *g, dr_policy p, uint64_t seed, unsigned workers,
                      dr_task *order) {
    dr__core *c = dr__core_create(g, p, seed, workers, NULL);
    cr_assert_not_null(c);
    dr__core_start(c, 0);
    size_t n = dr_graph_ntasks(g), k = 0;
    dr_task running[64];
    unsigned on[64];
    size_t nrun = 0;
    double now = 0;
    while (!dr__core_idle(c)) {
        dr_task t;
        unsigned w;
        while (dr__core_assign(c, now, &t, &w)) {
            order[k++] = t;
            running[nrun] = t;
            on[nrun++] = w;
        }
        cr_assert_gt(nrun, 0, "nothing runs but the core is not idle");
        /* The oldest running task ends first. */
        now += 1;
        dr__core_finish(c, running[0], on[0], now);
        for (size_t i = 1; i < nrun; i++)
            running[i - 1] = running[i], on[i - 1] = on[i];
        nrun--;
    }
    cr_assert_eq(k, n);
    cr_assert_eq(dr__core_nfinished(c), n);
    dr__core_destroy(c);
}

Test(core, only_tasks_without_dependencies_start_ready, .timeout = 10) {
    dr_graph *g = tasks(4, NULL);
    dep(g, 1, 0), dep(g, 2, 0), dep(g, 3, 1), dep(g, 3, 2);
    validate(g);
    dr__core *c = dr__core_create(g, DR_POLICY_FIFO, 0, 4, NULL);
    dr__core_start(c, 0.5);
    cr_expect_eq(dr__core_nready(c), 1);
    cr_expect_eq(dr__core_state(c, 0), DR__READY);
    cr_expect_eq(dr__core_state(c, 3), DR__WAITING);
    cr_expect_eq(dr__core_ready_time(c, 0), 0.5);
    cr_expect_eq(dr__core_ready_time(c, 3), -1);
    dr_task t;
    unsigned w;
    cr_assert(dr__core_assign(c, 0.5, &t, &w));
    cr_expect_eq(t, 0);
    cr_expect_eq(w, 0);
    cr_expect_not(dr__core_assign(c, 0.5, &t, &w), "t1 must wait for t0");
    dr__core_finish(c, 0, 0, 2);
    cr_expect_eq(dr__core_nready(c), 2);
    cr_expect_eq(dr__core_ready_time(c, 1), 2);
    dr_task a, b;
    unsigned wa, wb;
    cr_assert(dr__core_assign(c, 2, &a, &wa));
    cr_assert(dr__core_assign(c, 2, &b, &wb));
    cr_expect_eq(dr__core_nrunning(c), 2);
    dr__core_finish(c, a, wa, 3);
    cr_expect_eq(dr__core_state(c, 3), DR__WAITING, "t3 needs both");
    dr__core_finish(c, b, wb, 4);
    cr_expect_eq(dr__core_state(c, 3), DR__READY);
    cr_expect_eq(dr__core_ready_time(c, 3), 4);
    dr__core_destroy(c);
    dr_graph_destroy(g);
}

Test(core, lowest_free_worker_is_taken_first, .timeout = 10) {
    dr_graph *g = tasks(5, NULL);
    validate(g);
    dr__core *c = dr__core_create(g, DR_POLICY_FIFO, 0, 3, NULL);
    dr__core_start(c, 0);
    dr_task t[3];
    unsigned w[3];
    for (int i = 0; i < 3; i++) {
        cr_assert(dr__core_assign(c, 0, &t[i], &w[i]));
        cr_expect_eq(w[i], (unsigned)i);
    }
    dr_task x;
    unsigned wx;
    cr_expect_not(dr__core_assign(c, 0, &x, &wx), "all workers busy");
    dr__core_finish(c, t[2], w[2], 1);
    dr__core_finish(c, t[1], w[1], 1);
    cr_assert(dr__core_assign(c, 1, &x, &wx));
    cr_expect_eq(wx, 1);
    cr_assert(dr__core_assign(c, 1, &x, &wx));
    cr_expect_eq(wx, 2);
    dr__core_destroy(c);
    dr_graph_destroy(g);
}

Test(core, a_worker_can_take_the_best_ready_task_for_itself, .timeout = 10) {
    dr_graph *g = tasks(6, NULL);
    validate(g);
    dr__core *c = dr__core_create(g, DR_POLICY_FIFO, 0, 4, NULL);
    dr__core_start(c, 0);
    dr_task t, x;
    unsigned w;
    /* Worker 2 asks first and gets the oldest ready task. */
    cr_assert(dr__core_assign_to(c, 0, 2, &t));
    cr_expect_eq(t, 0);
    cr_expect_not(dr__core_assign_to(c, 0, 2, &x), "worker 2 is busy");
    cr_expect_not(dr__core_assign_to(c, 0, 4, &x), "no worker 4");
    /* The free-worker heap stays right for dr__core_assign: 0, 1, 3. */
    cr_assert(dr__core_assign(c, 0, &x, &w));
    cr_expect_eq(w, 0);
    cr_assert(dr__core_assign_to(c, 0, 3, &x));
    cr_assert(dr__core_assign(c, 0, &x, &w));
    cr_expect_eq(w, 1);
    cr_expect_not(dr__core_assign(c, 0, &x, &w), "all workers busy");
    cr_expect_eq(dr__core_nrunning(c), 4);
    dr__core_finish(c, t, 2, 1);
    cr_assert(dr__core_assign_to(c, 1, 2, &x));
    cr_expect_eq(x, 4);
    dr__core_stop(c);
    dr__core_finish(c, x, 2, 2);
    cr_expect_not(dr__core_assign_to(c, 2, 2, &x), "the core is stopped");
    dr__core_destroy(c);
    dr_graph_destroy(g);
}

Test(core, cp_runs_the_highest_bottom_level_first, .timeout = 10) {
    /* t0 (1) alone; t1 (1) -> t2 (5): t1's bottom level is 6. */
    double costs[] = {1, 1, 5};
    dr_graph *g = tasks(3, costs);
    dep(g, 2, 1);
    validate(g);
    dr_task order[3];
    run_order(g, DR_POLICY_CP, 0, 1, order);
    cr_expect_eq(order[0], 1);
    dr__core *c = dr__core_create(g, DR_POLICY_CP, 0, 1, NULL);
    cr_expect_lt(dr__core_rank(c, 1), dr__core_rank(c, 0));
    dr__core_destroy(c);
    dr_graph_destroy(g);
}

Test(core, cp_uses_the_given_durations_over_costs, .timeout = 10) {
    double costs[] = {1, 5};
    dr_graph *g = tasks(2, costs);
    validate(g);
    double duration[] = {9, 1};
    dr_task order[2];
    dr__core *c = dr__core_create(g, DR_POLICY_CP, 0, 1, duration);
    cr_expect_lt(dr__core_rank(c, 0), dr__core_rank(c, 1));
    dr__core_destroy(c);
    run_order(g, DR_POLICY_CP, 0, 1, order);
    cr_expect_eq(order[0], 1, "by costs t1 (5) goes first");
    dr_graph_destroy(g);
}

Test(core, cp_ties_go_to_more_descendant_work_then_lower_id, .timeout = 10) {
    /* Bottom levels all 3: t0 (3) alone, t1 (1) -> t2 (2), t3 (3) alone. */
    double costs[] = {3, 1, 2, 3};
    dr_graph *g = tasks(4, costs);
    dep(g, 2, 1);
    validate(g);
    dr_task order[4];
    run_order(g, DR_POLICY_CP, 0, 1, order);
    cr_expect_eq(order[0], 1, "t1 unlocks work");
    cr_expect_eq(order[1], 0, "then the lower id");
    /* The decision does not change from one run to the next. */
    dr_task again[4];
    for (int i = 0; i < 5; i++) {
        run_order(g, DR_POLICY_CP, (uint64_t)i, 1, again);
        cr_expect_arr_eq(order, again, sizeof(order));
    }
    dr_graph_destroy(g);
}

Test(core, fifo_runs_in_ready_order_and_lifo_in_reverse, .timeout = 10) {
    /* t0 -> t1, t0 -> t2, t0 -> t3: all three ready together, then t4
     * after t1. */
    dr_graph *g = tasks(5, NULL);
    dep(g, 1, 0), dep(g, 2, 0), dep(g, 3, 0), dep(g, 4, 1);
    validate(g);
    dr_task order[5];
    run_order(g, DR_POLICY_FIFO, 0, 1, order);
    dr_task fifo[] = {0, 1, 2, 3, 4};
    cr_expect_arr_eq(order, fifo, sizeof(fifo));
    run_order(g, DR_POLICY_LIFO, 0, 1, order);
    /* Successors are readied in order t1, t2, t3: newest is t3; then t2;
     * then t1, whose successor t4 is then the newest. */
    dr_task lifo[] = {0, 3, 2, 1, 4};
    cr_expect_arr_eq(order, lifo, sizeof(lifo));
    dr_graph_destroy(g);
}

Test(core, order_finishes_a_branch_before_starting_the_next, .timeout = 10) {
    /* Two reductions t0,t1 -> t2 and t3,t4 -> t5, joined by t6. */
    dr_graph *g = tasks(7, NULL);
    dep(g, 2, 0), dep(g, 2, 1), dep(g, 5, 3), dep(g, 5, 4);
    dep(g, 6, 2), dep(g, 6, 5);
    validate(g);
    dr_task order[7];
    run_order(g, DR_POLICY_ORDER, 0, 1, order);
    /* The first reduction runs before the other branch starts. */
    size_t pos[7];
    for (size_t i = 0; i < 7; i++)
        pos[order[i]] = i;
    size_t first = pos[2] < pos[5] ? 2 : 5;
    size_t other_leaf = first == 2 ? 3 : 0;
    cr_expect_lt(pos[first], pos[other_leaf], "branch finished first");
    cr_expect_lt(pos[first], pos[other_leaf + 1]);
    /* fifo, by contrast, runs all four leaves first. */
    run_order(g, DR_POLICY_FIFO, 0, 1, order);
    dr_task fifo[] = {0, 1, 3, 4, 2, 5, 6};
    cr_expect_arr_eq(order, fifo, sizeof(fifo));
    dr_graph_destroy(g);
}

Test(core, order_starts_the_longest_chain_first, .timeout = 10) {
    /* t0 (1) -> t1 (1) -> t2 (1) and t3 (1) -> t2: t0 reaches further. */
    double costs[] = {1, 1, 1, 1, 10};
    dr_graph *g = tasks(5, costs);
    dep(g, 1, 0), dep(g, 2, 1), dep(g, 2, 3);
    validate(g);
    dr_task order[5];
    run_order(g, DR_POLICY_ORDER, 0, 1, order);
    cr_expect_eq(order[0], 4, "the sink with the longest path goes first");
    cr_expect_eq(order[1], 0, "then the longer chain of t2");
    dr_graph_destroy(g);
}

Test(core, random_is_deterministic_for_a_seed, .timeout = 10) {
    dr_graph *g = tasks(40, NULL);
    validate(g);
    dr_task a[40], b[40], c[40];
    run_order(g, DR_POLICY_RANDOM, 7, 1, a);
    run_order(g, DR_POLICY_RANDOM, 7, 1, b);
    run_order(g, DR_POLICY_RANDOM, 8, 1, c);
    cr_expect_arr_eq(a, b, sizeof(a));
    cr_expect_arr_neq(a, c, sizeof(a), "another seed, another order");
    dr_graph_destroy(g);
}

Test(core, every_policy_runs_every_task_once, .timeout = 20) {
    dr_graph *g = tasks(30, NULL);
    for (dr_task t = 1; t < 30; t++) {
        dep(g, t, (t - 1) / 2);
        if (t > 5)
            dep(g, t, t - 5);
    }
    validate(g);
    for (int p = DR_POLICY_CP; p <= DR_POLICY_RANDOM; p++)
        for (unsigned w = 1; w <= 8; w *= 2) {
            dr_task order[30];
            run_order(g, (dr_policy)p, 3, w, order);
            int seen[30] = {0};
            for (int i = 0; i < 30; i++)
                seen[order[i]]++;
            for (int i = 0; i < 30; i++)
                cr_expect_eq(seen[i], 1, "%s/%u: t%d ran %d times",
                             dr_policy_name((dr_policy)p), w, i, seen[i]);
        }
    dr_graph_destroy(g);
}

Test(core, a_failure_skips_descendants_and_stops, .timeout = 10) {
    /* t0 -> t1 -> t2, t0 -> t3, and t4 independent. */
    dr_graph *g = tasks(5, NULL);
    dep(g, 1, 0), dep(g, 2, 1), dep(g, 3, 0);
    validate(g);
    dr__core *c = dr__core_create(g, DR_POLICY_FIFO, 0, 1, NULL);
    dr__core_start(c, 0);
    dr_task t;
    unsigned w;
    cr_assert(dr__core_assign(c, 0, &t, &w));
    cr_assert_eq(t, 0);
    dr__core_fail(c, t, w, 1, 0);
    cr_expect_eq(dr__core_state(c, 0), DR__FAILED);
    cr_expect_eq(dr__core_state(c, 1), DR__SKIPPED);
    cr_expect_eq(dr__core_state(c, 2), DR__SKIPPED);
    cr_expect_eq(dr__core_state(c, 3), DR__SKIPPED);
    cr_expect_eq(dr__core_state(c, 4), DR__READY);
    cr_expect_eq(dr__core_nfinished(c), 4);
    cr_expect(dr__core_stopped(c));
    cr_expect_not(dr__core_assign(c, 1, &t, &w), "stopped: nothing starts");
    cr_expect(dr__core_idle(c));
    dr__core_destroy(c);
    dr_graph_destroy(g);
}

Test(core, keep_going_runs_what_does_not_depend_on_the_failure, .timeout = 10) {
    dr_graph *g = tasks(4, NULL);
    dep(g, 1, 0), dep(g, 3, 2);
    validate(g);
    dr__core *c = dr__core_create(g, DR_POLICY_FIFO, 0, 1, NULL);
    dr__core_start(c, 0);
    dr_task t;
    unsigned w;
    cr_assert(dr__core_assign(c, 0, &t, &w));
    cr_assert_eq(t, 0);
    dr__core_fail(c, t, w, 1, 1);
    cr_expect_eq(dr__core_state(c, 1), DR__SKIPPED);
    cr_expect_not(dr__core_stopped(c));
    cr_assert(dr__core_assign(c, 1, &t, &w));
    cr_expect_eq(t, 2);
    dr__core_finish(c, t, w, 2);
    cr_assert(dr__core_assign(c, 2, &t, &w));
    cr_expect_eq(t, 3);
    dr__core_finish(c, t, w, 3);
    cr_expect(dr__core_idle(c));
    cr_expect_eq(dr__core_nfinished(c), 4);
    dr__core_destroy(c);
    dr_graph_destroy(g);
}

Test(core, a_retried_task_becomes_ready_again, .timeout = 10) {
    dr_graph *g = tasks(2, NULL);
    dep(g, 1, 0);
    validate(g);
    dr__core *c = dr__core_create(g, DR_POLICY_CP, 0, 2, NULL);
    dr__core_start(c, 0);
    dr_task t;
    unsigned w;
    cr_assert(dr__core_assign(c, 0, &t, &w));
    dr__core_retry(c, t, w, 1.5);
    cr_expect_eq(dr__core_state(c, 0), DR__READY);
    cr_expect_eq(dr__core_ready_time(c, 0), 1.5);
    cr_expect_eq(dr__core_nrunning(c), 0);
    cr_expect_eq(dr__core_nfinished(c), 0);
    cr_assert(dr__core_assign(c, 1.5, &t, &w));
    cr_expect_eq(t, 0);
    cr_expect_eq(w, 0, "the worker was given back");
    dr__core_finish(c, t, w, 2);
    cr_expect_eq(dr__core_state(c, 1), DR__READY);
    dr__core_destroy(c);
    dr_graph_destroy(g);
}

Test(core, stop_lets_running_tasks_finish_but_starts_nothing, .timeout = 10) {
    dr_graph *g = tasks(3, NULL);
    validate(g);
    dr__core *c = dr__core_create(g, DR_POLICY_FIFO, 0, 1, NULL);
    dr__core_start(c, 0);
    dr_task t;
    unsigned w;
    cr_assert(dr__core_assign(c, 0, &t, &w));
    dr__core_stop(c);
    cr_expect_not(dr__core_idle(c), "a task still runs");
    dr__core_finish(c, t, w, 1);
    cr_expect_not(dr__core_assign(c, 1, &t, &w));
    cr_expect(dr__core_idle(c));
    cr_expect_eq(dr__core_nready(c), 2);
    dr__core_destroy(c);
    dr_graph_destroy(g);
}

Test(core, an_empty_graph_is_idle_at_once, .timeout = 10) {
    dr_graph *g = dr_graph_create();
    validate(g);
    dr__core *c = dr__core_create(g, DR_POLICY_CP, 0, 2, NULL);
    cr_assert_not_null(c);
    dr__core_start(c, 0);
    cr_expect(dr__core_idle(c));
    dr__core_destroy(c);
    dr_graph_destroy(g);
}

/* Batches (the executor's): a worker that holds a task takes more; it is
 * free again only when all it holds have ended or been given back. */
Test(core, a_worker_holding_a_batch_is_free_when_all_of_it_ended,
     .timeout = 10) {
    dr_graph *g = tasks(6, NULL);
    validate(g);
    dr__core *c = dr__core_create(g, DR_POLICY_FIFO, 0, 2, NULL);
    dr__core_start(c, 0);
    cr_expect_eq(dr__core_nfree(c), 2);
    dr_task a, b, d, e;
    cr_expect_not(dr__core_assign_more(c, 0, 0, &a), "holds nothing yet");
    cr_assert(dr__core_assign_to(c, 0, 0, &a));
    cr_assert(dr__core_assign_more(c, 0, 0, &b));
    cr_assert(dr__core_assign_more(c, 0, 0, &d));
    cr_expect_eq(a, 0);
    cr_expect_eq(b, 1);
    cr_expect_eq(d, 2);
    cr_expect_eq(dr__core_nfree(c), 1);
    cr_expect_eq(dr__core_nrunning(c), 3);
    dr__core_finish(c, a, 0, 1);
    cr_expect_eq(dr__core_nfree(c), 1, "still holds two");
    cr_expect_not(dr__core_assign_to(c, 1, 0, &e), "worker 0 is not free");
    /* d never started: given back, ready again with its old ready time. */
    dr__core_unassign(c, d, 0);
    cr_expect_eq(dr__core_state(c, d), DR__READY);
    cr_expect_eq(dr__core_ready_time(c, d), 0);
    cr_expect_eq(dr__core_nfree(c), 1);
    dr__core_finish(c, b, 0, 2);
    cr_expect_eq(dr__core_nfree(c), 2, "worker 0 is free again");
    cr_expect_eq(dr__core_nrunning(c), 0);
    cr_assert(dr__core_assign_to(c, 2, 1, &e));
    cr_expect_eq(dr__core_nfree(c), 1);
    dr__core_destroy(c);
    dr_graph_destroy(g);
}

/* Chains: the claimed dependent starts on the same worker at once, never
 * in the ready set; a claim that does not become ready is ignored. */
Test(core, a_claimed_dependent_runs_on_the_same_worker, .timeout = 10) {
    dr_graph *g = tasks(4, NULL);
    dep(g, 1, 0);
    dep(g, 3, 2);
    dep(g, 3, 1);
    validate(g);
    dr__core *c = dr__core_create(g, DR_POLICY_CP, 0, 2, NULL);
    dr__core_start(c, 0);
    dr_task a, x;
    cr_assert(dr__core_assign_to(c, 0, 0, &a));
    cr_expect_eq(a, 0);
    dr__core_finish_claim(c, 0, 0, 1.5, 1);
    cr_expect_eq(dr__core_state(c, 1), DR__RUNNING);
    cr_expect_eq(dr__core_ready_time(c, 1), 1.5);
    cr_expect_eq(dr__core_nready(c), 1, "only task 2 is ready");
    cr_expect_eq(dr__core_nfree(c), 1, "worker 0 holds task 1");
    cr_expect_not(dr__core_assign_to(c, 2, 0, &x));
    /* Task 3 waits for 2 as well: claiming it does nothing. */
    dr__core_finish_claim(c, 1, 0, 2, 3);
    cr_expect_eq(dr__core_state(c, 3), DR__WAITING);
    cr_expect_eq(dr__core_nfree(c), 2);
    cr_expect_eq(dr__core_nrunning(c), 0);
    cr_assert(dr__core_assign_to(c, 2, 1, &x));
    cr_expect_eq(x, 2);
    dr__core_finish(c, 2, 1, 3);
    cr_expect_eq(dr__core_state(c, 3), DR__READY);
    dr__core_destroy(c);
    dr_graph_destroy(g);
}
