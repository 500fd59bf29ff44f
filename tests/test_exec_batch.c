/*
 * Batches of short tasks in the threads executor (scheduler/exec_threads.c,
 * docs/scheduling.md "Batches of short tasks"): a worker whose last bodies
 * were short, finding ready tasks and no idle worker, takes several at once
 * and records them in one lock hold.  A batched task's attempt starts
 * exactly where the one before it on the same worker ended (one clock read
 * between them), which is how these tests see a batch.
 */
#include "run_internal.h"
#include "support.h"

#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static dr_task add(dr_graph *g, const char *key) {
    dr_task t;
    cr_assert_eq(dr_graph_add_task(g, key, &t), 0, "%s", key);
    return t;
}

static dr_run *run_or_die(dr_graph *g, const dr_run_options *o) {
    dr_error err;
    dr_error_clear(&err);
    dr_run *run = dr_run_graph(g, o, &err);
    cr_assert_not_null(run, "%s", err.text);
    return run;
}

/* Attempts that start exactly where the previous attempt on the same
 * worker ended: the batched ones. */
static size_t batched_attempts(const dr_run *run, unsigned workers) {
    double last_end[8];
    int any[8] = {0};
    size_t n = 0;
    cr_assert(workers <= 8);
    for (size_t i = 0; i < run->nattempts; i++) {
        const dr__attempt *a = &run->attempts[i];
        cr_assert(a->worker < workers);
        if (any[a->worker] && a->start == last_end[a->worker])
            n++;
        cr_assert(a->start >= a->ready, "attempt %zu starts before ready", i);
        cr_assert(a->end >= a->start);
        last_end[a->worker] = a->end;
        any[a->worker] = 1;
    }
    return n;
}

static dr_graph *noops(size_t n) {
    dr_graph *g = dr_graph_create();
    char key[32];
    for (size_t i = 0; i < n; i++) {
        snprintf(key, sizeof key, "n-%zu", i);
        cr_assert_eq(dr_task_set_builtin(g, add(g, key), "noop", NULL), 0);
    }
    return g;
}

Test(exec_batch, short_tasks_are_batched_and_every_attempt_is_recorded,
     .timeout = 60) {
    dr_graph *g = noops(20000);
    /* A sink on every task: each result is released once it has run. */
    dr_task sink = add(g, "sink");
    for (dr_task t = 0; t < sink; t++)
        cr_assert_eq(dr_graph_add_dep(g, sink, t), 0);
    cr_assert_eq(dr_graph_validate(g, NULL), 0);
    for (unsigned w = 1; w <= 2; w++) {
        dr_run_options o;
        dr_run_options_init(&o);
        o.workers = w;
        dr_run *run = run_or_die(g, &o);
        cr_assert_eq(dr_run_status(run), 0);
        cr_assert_eq(run->nattempts, 20001, "one attempt per task");
        for (dr_task t = 0; t <= sink; t++)
            cr_assert_eq(dr_run_task_state(run, t), DR_STATE_OK, "task %u", t);
        size_t batched = batched_attempts(run, w);
        /* A noop's body takes well under BATCH_SHORT_S, so nearly every
         * lock hold takes a batch; a preempted body turns batching off
         * only until the next short one. */
        cr_assert_gt(batched, 20000 / 4, "%u workers: %zu batched", w, batched);
        dr_run_destroy(run);
    }
    dr_graph_destroy(g);
}

/* A function that sleeps for *(long *)user nanoseconds. */
static int fn_sleep_ns(dr_call *call, void *user) {
    (void)call;
    struct timespec ts = {0, *(const long *)user};
    nanosleep(&ts, NULL);
    return 0;
}

/* Functions that take 200 µs: never batched. */
static long ns_200us = 200000;

Test(exec_batch, long_tasks_and_tasks_with_a_timeout_are_not_batched,
     .timeout = 60) {
    dr_graph *g = dr_graph_create();
    char key[32];
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof key, "slow-%d", i);
        dr_task t = add(g, key);
        cr_assert_eq(
            dr_task_set_function(g, t, "slow", fn_sleep_ns, &ns_200us, NULL),
            0);
    }
    dr_graph *timed = noops(2000);
    for (dr_task t = 0; t < 2000; t++)
        cr_assert_eq(dr_task_set_timeout(timed, t, 60), 0);
    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = 2;
    dr_run *run = run_or_die(g, &o);
    cr_assert_eq(dr_run_status(run), 0);
    cr_assert_eq(batched_attempts(run, 2), 0);
    dr_run_destroy(run);
    run = run_or_die(timed, &o);
    cr_assert_eq(dr_run_status(run), 0);
    cr_assert_eq(run->nattempts, 2000);
    cr_assert_eq(batched_attempts(run, 2), 0);
    dr_run_destroy(run);
    /* A run-wide timeout arms a timer for every task: no batch either. */
    dr_graph *plain = noops(2000);
    o.timeout = 60;
    run = run_or_die(plain, &o);
    cr_assert_eq(dr_run_status(run), 0);
    cr_assert_eq(batched_attempts(run, 2), 0);
    dr_run_destroy(run);
    dr_graph_destroy(plain);
    dr_graph_destroy(timed);
    dr_graph_destroy(g);
}

/* One function among noops fails: with one worker, batches are sure to
 * surround it.  Nothing may start after it ended (no --keep-going); the
 * tasks of its batch that had not started are given back and never run. */
static int fn_fail(dr_call *call, void *user) {
    (void)user;
    return dr_call_fail(call, "broken on purpose");
}

Test(exec_batch, a_failure_in_a_batch_starts_nothing_after_it, .timeout = 60) {
    dr_graph *g = noops(5000);
    dr_task bad = 2500;
    cr_assert_eq(dr_task_set_function(g, bad, "fail", fn_fail, NULL, NULL), 0);
    cr_assert_eq(dr_graph_validate(g, NULL), 0);
    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = 1;
    o.policy = DR_POLICY_ORDER; /* task order: the failure comes mid-run */
    dr_run *run = run_or_die(g, &o);
    cr_assert_neq(dr_run_status(run), 0);
    cr_assert_eq(dr_run_task_state(run, bad), DR_STATE_FAILED);
    double failed_end = -1;
    for (size_t i = 0; i < run->nattempts; i++)
        if (run->attempts[i].task == bad)
            failed_end = run->attempts[i].end;
    cr_assert_geq(failed_end, 0);
    size_t ok = 0, pending = 0;
    for (size_t i = 0; i < run->nattempts; i++) {
        const dr__attempt *a = &run->attempts[i];
        cr_assert_leq(a->start, failed_end, "task %u started after the failure",
                      a->task);
        cr_assert(a->task == bad || a->status == DR__ATTEMPT_OK);
    }
    for (dr_task t = 0; t < 5000; t++) {
        int st = dr_run_task_state(run, t);
        ok += st == DR_STATE_OK;
        pending += st == DR_STATE_PENDING;
        cr_assert(st == DR_STATE_OK || st == DR_STATE_PENDING || t == bad,
                  "task %u: state %d", t, st);
    }
    cr_assert_eq(ok, bad, "the tasks before it ran: %zu", ok);
    cr_assert_eq(pending, 5000 - bad - 1);
    cr_assert_eq(run->nattempts, (size_t)bad + 1,
                 "no attempt of a given-back "
                 "task is recorded");
    cr_assert_gt(batched_attempts(run, 1), 100);
    dr_run_destroy(run);

    /* With --keep-going the given-back tasks run after all. */
    o.keep_going = 1;
    run = run_or_die(g, &o);
    for (dr_task t = 0; t < 5000; t++)
        cr_assert_eq(dr_run_task_state(run, t),
                     t == bad ? DR_STATE_FAILED : DR_STATE_OK, "task %u", t);
    cr_assert_eq(run->nattempts, 5000);
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

/* Retries of a batched task that fails once: the retry is a new attempt,
 * and the tasks after it in its batch run too. */
static int fn_flaky(dr_call *call, void *user) {
    atomic_int *calls = user;
    if (atomic_fetch_add(calls, 1) == 0)
        return dr_call_fail(call, "first call fails");
    return 0;
}

Test(exec_batch, a_retried_task_in_a_batch_runs_again, .timeout = 60) {
    dr_graph *g = noops(3000);
    atomic_int calls;
    atomic_init(&calls, 0);
    cr_assert_eq(dr_task_set_function(g, 1500, "flaky", fn_flaky, &calls, NULL),
                 0);
    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = 2;
    o.retries = 1;
    dr_run *run = run_or_die(g, &o);
    cr_assert_eq(dr_run_status(run), 0);
    cr_assert_eq(atomic_load(&calls), 2);
    cr_assert_eq(run->nattempts, 3001);
    for (dr_task t = 0; t < 3000; t++)
        cr_assert_eq(dr_run_task_state(run, t), DR_STATE_OK, "task %u", t);
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

/* Every 7th task fails, with --keep-going: wherever a failure falls in a
 * batch, it is recorded as a failure and the rest of its batch runs later. */
Test(exec_batch, failures_anywhere_in_batches_are_recorded, .timeout = 60) {
    dr_graph *g = noops(7000);
    for (dr_task t = 3; t < 7000; t += 7)
        cr_assert_eq(dr_task_set_function(g, t, "fail", fn_fail, NULL, NULL),
                     0);
    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = 1;
    o.keep_going = 1;
    dr_run *run = run_or_die(g, &o);
    cr_assert_neq(dr_run_status(run), 0);
    cr_assert_eq(run->nattempts, 7000);
    for (dr_task t = 0; t < 7000; t++)
        cr_assert_eq(dr_run_task_state(run, t),
                     t % 7 == 3 ? DR_STATE_FAILED : DR_STATE_OK, "task %u", t);
    cr_assert_gt(batched_attempts(run, 1), 100);
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

/* A chain of noops: each task's only dependency has just run on the same
 * worker, so it follows at once, claimed from the core, its attempt
 * starting (and its ready time) where the one before ended. */
static dr_graph *chain_of(size_t n, const char *op) {
    dr_graph *g = dr_graph_create();
    char key[32];
    for (size_t i = 0; i < n; i++) {
        snprintf(key, sizeof key, "c-%zu", i);
        dr_task t = add(g, key);
        cr_assert_eq(dr_task_set_builtin(g, t, op, NULL), 0);
        if (i > 0)
            cr_assert_eq(dr_graph_add_dep(g, t, t - 1), 0);
    }
    return g;
}

Test(exec_batch, a_chain_of_short_tasks_runs_on_one_worker_in_order,
     .timeout = 60) {
    dr_graph *g = chain_of(5000, "noop");
    for (unsigned w = 1; w <= 2; w++) {
        dr_run_options o;
        dr_run_options_init(&o);
        o.workers = w;
        dr_run *run = run_or_die(g, &o);
        cr_assert_eq(dr_run_status(run), 0);
        cr_assert_eq(run->nattempts, 5000);
        double end[5000];
        for (size_t i = 0; i < run->nattempts; i++) {
            const dr__attempt *a = &run->attempts[i];
            cr_assert_eq(a->attempt, 1);
            end[a->task] = a->end;
        }
        for (size_t i = 0; i < run->nattempts; i++) {
            const dr__attempt *a = &run->attempts[i];
            cr_assert_eq(a->task, (dr_task)i, "recorded in chain order");
            if (i > 0)
                cr_assert_geq(a->ready, end[i - 1], "task %zu ready early", i);
        }
        size_t batched = batched_attempts(run, w);
        cr_assert_gt(batched, 5000 / 4, "%u workers: %zu followed at once", w,
                     batched);
        dr_run_destroy(run);
    }
    dr_graph_destroy(g);
}

/* A failure in a chain: the tasks after it are skipped, never run. */
Test(exec_batch, a_failure_in_a_chain_skips_the_rest, .timeout = 60) {
    dr_graph *g = chain_of(3000, "noop");
    cr_assert_eq(dr_task_set_function(g, 2000, "fail", fn_fail, NULL, NULL), 0);
    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = 2;
    o.keep_going = 1;
    dr_run *run = run_or_die(g, &o);
    cr_assert_neq(dr_run_status(run), 0);
    cr_assert_eq(run->nattempts, 2001);
    for (dr_task t = 0; t < 3000; t++)
        cr_assert_eq(dr_run_task_state(run, t),
                     t < 2000    ? DR_STATE_OK
                     : t == 2000 ? DR_STATE_FAILED
                                 : DR_STATE_SKIPPED,
                     "task %u", t);
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

/* A chain of tasks that read their input (sum) is not run ahead of its
 * inputs: every sum sees the one before's result. */
static int fn_one(dr_call *call, void *user) {
    (void)user;
    dr_call_set_json(call, json_integer(1));
    return 0;
}

Test(exec_batch, a_chain_of_tasks_that_read_inputs_gets_each_input,
     .timeout = 60) {
    dr_graph *g = chain_of(2000, "sum");
    cr_assert_eq(dr_task_set_function(g, 0, "one", fn_one, NULL, NULL), 0);
    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = 2;
    dr_run *run = run_or_die(g, &o);
    cr_assert_eq(dr_run_status(run), 0);
    json_t *last = dr_run_task_result(run, 1999);
    cr_assert(json_is_number(last));
    cr_assert_eq(json_number_value(last), 1.0);
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

/* Tasks that turn out to be long stop a batch: the worker gives the rest
 * back, so two of them never run back to back in one batch (the next one
 * waits for a lock hold, where an idle worker may take it). */
static long ns_5ms = 5000000;

Test(exec_batch, a_long_body_ends_its_batch, .timeout = 60) {
    dr_graph *g = noops(400);
    char key[32];
    for (int i = 0; i < 8; i++) {
        snprintf(key, sizeof key, "slow-%d", i);
        cr_assert_eq(dr_task_set_function(g, add(g, key), "slow", fn_sleep_ns,
                                          &ns_5ms, NULL),
                     0);
    }
    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = 2;
    o.policy = DR_POLICY_ORDER; /* the noops first, then the slow ones */
    dr_run *run = run_or_die(g, &o);
    cr_assert_eq(dr_run_status(run), 0);
    double last_end[2] = {-1, -1};
    int last_slow[2] = {0, 0};
    for (size_t i = 0; i < run->nattempts; i++) {
        const dr__attempt *a = &run->attempts[i];
        int slow = a->task >= 400;
        cr_assert(
            !(slow && last_slow[a->worker] && a->start == last_end[a->worker]),
            "task %u ran in the batch of a slow task", a->task);
        last_end[a->worker] = a->end;
        last_slow[a->worker] = slow;
    }
    cr_assert_gt(batched_attempts(run, 2), 50, "the noops were batched");
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

/* --executor sync runs one task at a time in the policy's order: no batch,
 * and the same order as a one-worker simulation. */
Test(exec_batch, sync_runs_in_the_policy_order_without_batches, .timeout = 60) {
    dr_graph *g = chain_of(11, "noop");
    char key[32];
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof key, "b-%d", i);
        cr_assert_eq(dr_task_set_builtin(g, add(g, key), "noop", NULL), 0);
    }
    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = 1;
    o.executor = DR_EXECUTOR_SYNC;
    dr_run *run = run_or_die(g, &o);
    cr_assert_eq(dr_run_status(run), 0);
    cr_assert_eq(batched_attempts(run, 1), 0);
    o.executor = DR_EXECUTOR_THREADS;
    o.simulate = 1;
    dr_run *sim = run_or_die(g, &o);
    cr_assert_eq(run->nattempts, sim->nattempts);
    for (size_t i = 0; i < run->nattempts; i++)
        cr_assert_eq(run->attempts[i].task, sim->attempts[i].task,
                     "attempt %zu: task %u, simulated %u", i,
                     run->attempts[i].task, sim->attempts[i].task);
    dr_run_destroy(sim);
    dr_run_destroy(run);
    dr_graph_destroy(g);
}
