/*
 * Hand-offs between workers in the threads executor
 * (scheduler/exec_threads.c): a worker that finds nothing ready polls
 * (poll_ready), then sleeps, and a worker that makes tasks ready takes the
 * best and hands the rest to the idle ones (dr__x_hand_out).  A width-2
 * stencil of short tasks on 2 workers does that at nearly every step: each
 * step's two tasks need both of the step before, so the first of a step to
 * end polls or sleeps while the other ends and releases both.  These tests
 * check what a hand-off must keep: every input read is its dependency's
 * finished result, every task runs once and after its dependencies, and
 * both workers take part.  (Under TSan too: the file is a scheduler test.)
 */
#include "run_internal.h"
#include "support.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>

#define WIDTH 2
#define STEPS 3000
#define MOD 1000003

/* Task (s, i): (its inputs' sum + 7 s + i + 1) mod MOD, the first step
 * from nothing; a wrong or missing input changes every later value. */
static int64_t expected(int64_t prev_sum, int64_t s, int64_t i) {
    return (prev_sum + 7 * s + i + 1) % MOD;
}

static int fn_step(dr_call *call, void *user) {
    intptr_t id = (intptr_t)user;
    int64_t s = id / WIDTH, i = id % WIDTH, sum = 0;
    size_t n = dr_call_ninputs(call);
    if (n != (s == 0 ? 0 : WIDTH))
        return dr_call_fail(call, "%zu inputs", n);
    for (size_t k = 0; k < n; k++) {
        json_t *v = dr_call_input_json(call, k);
        if (!json_is_integer(v))
            return dr_call_fail(call, "input %zu is not an integer", k);
        sum += json_integer_value(v);
    }
    dr_call_set_json(call, json_integer(expected(sum, s, i)));
    return 0;
}

static dr_graph *stencil(void) {
    dr_graph *g = dr_graph_create();
    char key[32];
    for (int64_t s = 0; s < STEPS; s++)
        for (int64_t i = 0; i < WIDTH; i++) {
            dr_task t;
            snprintf(key, sizeof key, "s%lld-%lld", (long long)s, (long long)i);
            cr_assert_eq(dr_graph_add_task(g, key, &t), 0);
            cr_assert_eq(t, (dr_task)(s * WIDTH + i));
            cr_assert_eq(dr_task_set_function(g, t, "step", fn_step,
                                              (void *)(intptr_t)t, NULL),
                         0);
            for (int64_t j = 0; s > 0 && j < WIDTH; j++)
                cr_assert_eq(
                    dr_graph_add_dep(g, t, (dr_task)((s - 1) * WIDTH + j)), 0);
        }
    cr_assert_eq(dr_graph_validate(g, NULL), 0);
    return g;
}

Test(exec_handoff, a_stencil_reads_every_input_and_runs_each_task_once,
     .timeout = 120) {
    dr_graph *g = stencil();
    int64_t want[WIDTH], sum = 0;
    for (int64_t s = 0; s < STEPS; s++) {
        int64_t next = 0;
        for (int64_t i = 0; i < WIDTH; i++) {
            want[i] = expected(s == 0 ? 0 : sum, s, i);
            next += want[i];
        }
        sum = next;
    }
    for (int round = 0; round < 3; round++) {
        dr_run_options o;
        dr_run_options_init(&o);
        o.workers = 2;
        dr_error err;
        dr_error_clear(&err);
        dr_run *run = dr_run_graph(g, &o, &err);
        cr_assert_not_null(run, "%s", err.text);
        cr_assert_eq(dr_run_status(run), 0);
        cr_assert_eq(run->nattempts, (size_t)STEPS * WIDTH,
                     "one attempt per task");
        size_t per_worker[2] = {0, 0};
        for (size_t k = 0; k < run->nattempts; k++) {
            const dr__attempt *a = &run->attempts[k];
            cr_assert(a->worker < 2);
            per_worker[a->worker]++;
            cr_assert(a->start >= a->ready);
        }
        /* Both workers took part (each step ends with one of them
         * polling, the other handing it a task or leaving one ready). */
        cr_assert_gt(per_worker[0], 0);
        cr_assert_gt(per_worker[1], 0);
        for (dr_task t = 0; t < (dr_task)(STEPS * WIDTH); t++) {
            cr_assert_eq(dr_run_task_state(run, t), DR_STATE_OK, "task %u", t);
            size_t nd;
            const dr_task *d = dr_task_deps(g, t, &nd);
            for (size_t j = 0; j < nd; j++)
                cr_assert(dr_run_task_start(run, t) >=
                              dr_run_task_end(run, d[j]),
                          "task %u starts before dependency %u ends", t, d[j]);
        }
        for (int64_t i = 0; i < WIDTH; i++) {
            json_t *v = dr_run_task_result(
                run, (dr_task)((STEPS - 1) * WIDTH + (size_t)i));
            cr_assert(json_is_integer(v));
            cr_assert_eq(json_integer_value(v), want[i], "sink %lld",
                         (long long)i);
        }
        dr_run_destroy(run);
    }
    dr_graph_destroy(g);
}
