/*
 * The simulator's queue of completions (a radix heap, scheduler/
 * simulator.c) on random graphs whose costs repeat and include zero, for
 * every policy: the clock never goes back (attempts are recorded in start
 * order), a worker runs one attempt at a time, a task starts once every
 * dependency has ended, the schedule is greedy (a ready task waits only
 * while every worker is busy), equal end times are handled in start order
 * (so two runs agree attempt for attempt), and the makespan is the last
 * end.
 */
#include "run_internal.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 11;
static unsigned below(unsigned n) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)((rng >> 33) % n);
}

static dr_graph *random_graph(size_t n) {
    dr_graph *g = dr_graph_create();
    char key[32];
    for (size_t t = 0; t < n; t++) {
        snprintf(key, sizeof key, "t%zu", t);
        cr_assert_eq(dr_graph_add_task(g, key, NULL), 0);
        /* 0, 0.5, 1, ... 3.5 s: many equal end times, some zero-length */
        cr_assert_eq(dr_task_set_cost(g, (dr_task)t, below(8) / 2.0), 0);
        for (int k = 0; t > 0 && k < 3; k++)
            if (below(2))
                dr_graph_add_dep(g, (dr_task)t, below((unsigned)t));
    }
    cr_assert_eq(dr_graph_validate(g, NULL), 0);
    return g;
}

static dr_run *simulate(dr_graph *g, dr_policy policy, unsigned P) {
    dr_run_options o;
    dr_run_options_init(&o);
    o.simulate = 1;
    o.workers = P;
    o.policy = policy;
    o.seed = 3;
    dr_error err;
    dr_run *run = dr_run_graph(g, &o, &err);
    cr_assert_not_null(run, "%s", err.text);
    return run;
}

static void check(dr_graph *g, dr_policy policy, unsigned P) {
    dr_run *run = simulate(g, policy, P);
    size_t n = dr_graph_ntasks(g), na = run->nattempts;
    const char *pol = dr_policy_name(policy);
    cr_assert_eq(na, n, "%s: %zu attempts for %zu tasks", pol, na, n);
    double *end = malloc(n * sizeof(*end)), *busy_until = calloc(P, 8);
    double makespan = 0;
    for (size_t i = 0; i < na; i++) {
        const dr__attempt *a = &run->attempts[i];
        cr_assert(i == 0 || a->start >= run->attempts[i - 1].start,
                  "%s: attempt %zu starts at %g, before the one before", pol, i,
                  a->start);
        cr_assert_lt(a->worker, P);
        cr_assert_geq(a->start, busy_until[a->worker],
                      "%s: worker %u runs two attempts at %g", pol, a->worker,
                      a->start);
        busy_until[a->worker] = a->end;
        cr_assert_float_eq(a->end - a->start, dr_task_cost(g, a->task), 1e-12);
        end[a->task] = a->end;
        makespan = fmax(makespan, a->end);
    }
    for (size_t i = 0; i < na; i++) {
        const dr__attempt *a = &run->attempts[i];
        size_t nd;
        const dr_task *d = dr_task_deps(g, a->task, &nd);
        double ready = 0;
        for (size_t j = 0; j < nd; j++) {
            cr_assert_leq(end[d[j]], a->start,
                          "%s: %s starts before its "
                          "dependency ends",
                          pol, dr_task_key(g, a->task));
            ready = fmax(ready, end[d[j]]);
        }
        /* Greedy: from the instant it was ready to its start, no worker
         * was free (attempts running across an instant, or starting at
         * it before this one, fill the workers). */
        if (a->start > ready) {
            size_t running = 0;
            for (size_t k = 0; k < na; k++) {
                const dr__attempt *b = &run->attempts[k];
                running +=
                    b->start <= ready && b->end > ready && b->end > b->start;
            }
            cr_assert_eq(running, P,
                         "%s: %s ready at %g, started at %g, but only %zu of "
                         "%u workers were busy at %g",
                         pol, dr_task_key(g, a->task), ready, a->start, running,
                         P, ready);
        }
    }
    cr_assert_eq(dr_run_makespan(run), makespan);
    /* Deterministic, equal end times included. */
    dr_run *again = simulate(g, policy, P);
    cr_assert_eq(again->nattempts, na);
    for (size_t i = 0; i < na; i++)
        cr_assert(run->attempts[i].task == again->attempts[i].task &&
                      run->attempts[i].worker == again->attempts[i].worker &&
                      run->attempts[i].start == again->attempts[i].start,
                  "%s: runs differ at attempt %zu", pol, i);
    dr_run_destroy(again);
    dr_run_destroy(run);
    free(end);
    free(busy_until);
}

Test(sim_queue, schedules_are_ordered_greedy_and_repeatable) {
    const dr_policy policies[] = {DR_POLICY_CP, DR_POLICY_FIFO, DR_POLICY_LIFO,
                                  DR_POLICY_ORDER, DR_POLICY_RANDOM};
    for (size_t n = 50; n <= 1250; n *= 5) {
        dr_graph *g = random_graph(n);
        for (size_t p = 0; p < 5; p++)
            for (unsigned P = 1; P <= 9; P += 4)
                check(g, policies[p], P);
        dr_graph_destroy(g);
    }
}

/* Equal end times come out in start order: four tasks a0..a3 start at 0
 * on four workers and all end at 1; each has one dependent (b3 of a0, b2
 * of a1, ...: made in the other order), and under fifo the dependents
 * start at 1 in the order their dependencies' completions were handled,
 * which must be the order those started. */
Test(sim_queue, equal_ends_in_start_order) {
    dr_graph *g = dr_graph_create();
    const char *keys[] = {"a0", "a1", "a2", "a3", "b3", "b2", "b1", "b0"};
    for (int t = 0; t < 8; t++) {
        cr_assert_eq(dr_graph_add_task(g, keys[t], NULL), 0);
        cr_assert_eq(dr_task_set_cost(g, (dr_task)t, 1), 0);
    }
    for (int i = 0; i < 4; i++) /* b(3-i) after a(i) */
        dr_graph_add_dep(g, (dr_task)(4 + i), (dr_task)i);
    cr_assert_eq(dr_graph_validate(g, NULL), 0);
    dr_run *run = simulate(g, DR_POLICY_FIFO, 4);
    cr_assert_eq(run->nattempts, 8);
    for (size_t i = 4; i < 8; i++) {
        dr_task a = run->attempts[i - 4].task, b = run->attempts[i].task;
        size_t nd;
        const dr_task *d = dr_task_deps(g, b, &nd);
        cr_assert_eq(run->attempts[i].start, 1.0);
        cr_assert(nd == 1 && d[0] == a,
                  "attempt %zu is %s, after %s; the %zu-th to start at 0 "
                  "was %s",
                  i, dr_task_key(g, b), dr_task_key(g, d[0]), i - 4,
                  dr_task_key(g, a));
    }
    dr_run_destroy(run);
    dr_graph_destroy(g);
}
