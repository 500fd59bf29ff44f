/*
 * The real executor (scheduler/executor.c) through dr_run_graph: properties
 * on random DAGs for every policy and worker count, read from the trace;
 * results flowing between tasks; failures, keep-going, retries, timeouts;
 * command tasks (logs, stderr tail, environment, working folder); and
 * SIGINT on a running `dagrun run`.
 */
#include "run_internal.h"
#include "support.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void nap_us(long us) {
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

static dr_run *run_or_die(dr_graph *g, const dr_run_options *o) {
    dr_error err;
    memset(&err, 0, sizeof err);
    dr_run *run = dr_run_graph(g, o, &err);
    cr_assert_not_null(run, "dr_run_graph failed: %s", err.text);
    return run;
}

static dr_task add(dr_graph *g, const char *key) {
    dr_task t;
    cr_assert_eq(dr_graph_add_task(g, key, &t), 0, "adding %s", key);
    return t;
}

/* ----------------------------------------------------- random DAG props */

/* C function tasks count how many of them run at once. */
typedef struct concurrency {
    atomic_int running;
    atomic_int max;
} concurrency;

static int fn_busy(dr_call *call, void *user) {
    concurrency *c = user;
    int now = atomic_fetch_add(&c->running, 1) + 1;
    int seen = atomic_load(&c->max);
    while (now > seen && !atomic_compare_exchange_weak(&c->max, &seen, now))
        ;
    nap_us(200);
    atomic_fetch_sub(&c->running, 1);
    (void)call;
    return 0;
}

typedef struct event {
    double ts, end;
    int tid, count;
} event;

/* Reads the run's trace: one event per task, checked against the graph. */
static void check_trace(dr_run *run, dr_graph *g, unsigned workers) {
    size_t n = dr_graph_ntasks(g);
    event *ev = calloc(n, sizeof *ev);
    json_t *trace = dr_run_trace_json(run);
    cr_assert_not_null(trace);
    json_t *events = json_object_get(trace, "traceEvents");
    cr_assert(json_is_array(events));
    size_t i;
    json_t *e;
    size_t nx = 0;
    json_array_foreach(events, i, e) {
        const char *ph = json_string_value(json_object_get(e, "ph"));
        if (ph == NULL || strcmp(ph, "X") != 0)
            continue;
        json_t *args = json_object_get(e, "args");
        const char *key = json_string_value(json_object_get(args, "task"));
        dr_task t = dr_graph_find(g, key ? key : "");
        cr_assert_neq(t, DR_TASK_NONE, "unknown task in the trace");
        cr_assert_str_eq(json_string_value(json_object_get(args, "status")),
                         "ok");
        ev[t].count++;
        ev[t].ts = json_number_value(json_object_get(e, "ts"));
        ev[t].end = ev[t].ts + json_number_value(json_object_get(e, "dur"));
        ev[t].tid = (int)json_integer_value(json_object_get(e, "tid"));
        cr_assert(ev[t].tid >= 0 && ev[t].tid < (int)workers);
        nx++;
    }
    cr_assert_eq(nx, n, "%zu events for %zu tasks", nx, n);
    for (dr_task t = 0; t < n; t++) {
        cr_assert_eq(ev[t].count, 1, "task %s ran %d times", dr_task_key(g, t),
                     ev[t].count);
        size_t nd;
        const dr_task *deps = dr_task_deps(g, t, &nd);
        for (size_t k = 0; k < nd; k++)
            cr_assert(ev[t].ts >= ev[deps[k]].end - 1e-3,
                      "%s started at %f before %s ended at %f",
                      dr_task_key(g, t), ev[t].ts, dr_task_key(g, deps[k]),
                      ev[deps[k]].end);
        /* A worker runs one task at a time: at most `workers` at once. */
        for (dr_task u = 0; u < t; u++)
            if (ev[u].tid == ev[t].tid)
                cr_assert(ev[u].end <= ev[t].ts + 1e-3 ||
                              ev[t].end <= ev[u].ts + 1e-3,
                          "%s and %s overlap on worker %d", dr_task_key(g, t),
                          dr_task_key(g, u), ev[t].tid);
    }
    json_decref(trace);
    free(ev);
}

/* A random DAG of n tasks: a third C function tasks that take a moment, the
 * rest noops (builtin or no op at all), each with up to 3 earlier deps. */
static dr_graph *random_dag(size_t n, unsigned seed, concurrency *c) {
    dr_graph *g = dr_graph_create();
    uint64_t s = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    for (size_t i = 0; i < n; i++) {
        char key[32];
        snprintf(key, sizeof key, "t-%zu", i);
        dr_task t = add(g, key);
        if (i % 3 == 0)
            dr_task_set_function(g, t, "busy", fn_busy, c, NULL);
        else if (i % 3 == 1)
            dr_task_set_builtin(g, t, "noop", NULL);
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        unsigned ndeps = i ? (unsigned)(s >> 33) % 4 : 0;
        for (unsigned k = 0; k < ndeps; k++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            dr_graph_add_dep(g, t, (dr_task)((s >> 33) % i));
        }
    }
    cr_assert_eq(dr_graph_validate(g, NULL), 0);
    return g;
}

Test(exec, random_dags_run_each_task_once_after_its_deps_on_n_workers,
     .timeout = 120) {
    static const dr_policy policies[] = {DR_POLICY_CP, DR_POLICY_FIFO,
                                         DR_POLICY_LIFO, DR_POLICY_ORDER,
                                         DR_POLICY_RANDOM};
    static const unsigned workers[] = {1, 2, 4, 8};
    for (size_t p = 0; p < 5; p++)
        for (size_t w = 0; w < 4; w++) {
            concurrency c;
            atomic_init(&c.running, 0);
            atomic_init(&c.max, 0);
            dr_graph *g = random_dag(150, (unsigned)(p * 4 + w + 1), &c);
            dr_run_options o;
            dr_run_options_init(&o);
            o.workers = workers[w];
            o.policy = policies[p];
            o.seed = 42;
            dr_run *run = run_or_die(g, &o);
            cr_assert_eq(dr_run_status(run), 0);
            for (dr_task t = 0; t < dr_graph_ntasks(g); t++)
                cr_assert_eq(dr_run_task_state(run, t), DR_STATE_OK);
            check_trace(run, g, workers[w]);
            cr_assert(atomic_load(&c.max) <= (int)workers[w]);
            dr_run_destroy(run);
            dr_graph_destroy(g);
        }
}

Test(exec, many_independent_noops_finish, .timeout = 60) {
    dr_graph *g = dr_graph_create();
    dr_task sink = add(g, "sink");
    for (int i = 0; i < 20000; i++) {
        char key[32];
        snprintf(key, sizeof key, "n-%d", i);
        dr_graph_add_dep(g, sink, add(g, key));
    }
    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = 2;
    dr_run *run = run_or_die(g, &o);
    cr_assert_eq(dr_run_status(run), 0);
    cr_assert_eq(run->nattempts, 20001);
    /* The sink starts after every noop has ended (task 0 is the sink). */
    for (dr_task t = 1; t <= 20000; t++)
        cr_assert(dr_run_task_start(run, sink) >= dr_run_task_end(run, t));
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

/* Each call marks its worker, then spins until a task has also run on the
 * other worker (or 10 s pass) and for about 50 µs more, so neither worker
 * can finish everything before the other has started: deterministic without
 * any timing threshold. */
typedef struct two_workers {
    atomic_int seen[2];
} two_workers;

static int fn_meet(dr_call *call, void *user) {
    two_workers *tw = user;
    unsigned w = dr_call_worker(call);
    if (w >= 2)
        return dr_call_fail(call, "worker %u out of range", w);
    atomic_store(&tw->seen[w], 1);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &b);
        double us = (b.tv_sec - a.tv_sec) * 1e6 + (b.tv_nsec - a.tv_nsec) / 1e3;
        if ((atomic_load(&tw->seen[1 - w]) && us >= 50) || us > 10e6)
            break;
    }
    return 0;
}

Test(exec, independent_tasks_run_on_both_worker_threads, .timeout = 60) {
    dr_graph *g = dr_graph_create();
    two_workers tw;
    atomic_init(&tw.seen[0], 0);
    atomic_init(&tw.seen[1], 0);
    for (int i = 0; i < 1000; i++) {
        char key[32];
        snprintf(key, sizeof key, "f-%d", i);
        dr_task t = add(g, key);
        /* Every other task a noop: they run on the worker threads too. */
        if (i % 2 == 0)
            dr_task_set_function(g, t, "meet", fn_meet, &tw, NULL);
        else
            dr_task_set_builtin(g, t, "noop", NULL);
    }
    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = 2;
    dr_run *run = run_or_die(g, &o);
    cr_assert_eq(dr_run_status(run), 0);
    cr_assert_eq(run->nattempts, 1000);
    size_t on[2] = {0, 0}, noops_on[2] = {0, 0};
    for (size_t i = 0; i < run->nattempts; i++) {
        const dr__attempt *a = &run->attempts[i];
        cr_assert(a->worker < 2);
        cr_assert(a->end >= a->start, "attempt %zu ends before it starts", i);
        cr_assert(a->start >= a->ready);
        on[a->worker]++;
        if (a->task % 2 == 1)
            noops_on[a->worker]++;
    }
    cr_assert(on[0] > 0 && on[1] > 0, "tasks on worker 0: %zu, 1: %zu", on[0],
              on[1]);
    cr_assert_eq(noops_on[0] + noops_on[1], 500);
    cr_assert(atomic_load(&tw.seen[0]) && atomic_load(&tw.seen[1]));
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

/* ---------------------------------------------------------- results flow */

Test(exec, pi_results_flow_into_a_sum, .timeout = 60) {
    dr_graph *g = dr_graph_create();
    dr_task sum = add(g, "sum");
    dr_task_set_builtin(g, sum, "sum", NULL);
    const char *keep[4];
    char keys[4][16];
    for (int i = 0; i < 4; i++) {
        snprintf(keys[i], sizeof keys[i], "pi-%d", i);
        keep[i] = keys[i];
        dr_task t = add(g, keys[i]);
        json_t *args = json_pack("{s:i, s:i}", "samples", 1000, "seed", i);
        dr_task_set_builtin(g, t, "pi", args);
        json_decref(args);
        dr_graph_add_dep(g, sum, t);
    }
    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = 2;
    o.keep_results = keep;
    o.nkeep_results = 4;
    dr_run *run = run_or_die(g, &o);
    cr_assert_eq(dr_run_status(run), 0);
    json_t *r = dr_run_task_result(run, sum);
    cr_assert_not_null(r);
    cr_assert_eq(json_integer_value(json_object_get(r, "samples")), 4000);
    json_int_t inside = 0;
    for (int i = 0; i < 4; i++) {
        json_t *pi = dr_run_task_result(run, dr_graph_find(g, keys[i]));
        cr_assert_not_null(pi, "kept result of %s", keys[i]);
        inside += json_integer_value(json_object_get(pi, "inside"));
    }
    cr_assert_eq(json_integer_value(json_object_get(r, "inside")), inside);
    json_t *summary = dr_run_summary_json(run);
    cr_assert(
        json_integer_value(json_object_get(summary, "peak_live_results")) >= 4);
    json_decref(summary);
    cr_assert(run->peak_live_bytes > 0);
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

static atomic_int freed;

static void count_free(void *p) {
    atomic_fetch_add(&freed, 1);
    free(p);
}

static int fn_produce(dr_call *call, void *user) {
    (void)user;
    int *v = malloc(sizeof *v);
    *v = (int)json_integer_value(json_object_get(dr_call_args(call), "v"));
    dr_call_set_ptr(call, v, count_free, sizeof *v);
    return 0;
}

static int fn_consume(dr_call *call, void *user) {
    (void)user;
    int sum = 0;
    if (dr_call_ninputs(call) != 4)
        return dr_call_fail(call, "%zu inputs", dr_call_ninputs(call));
    for (size_t i = 0; i < dr_call_ninputs(call); i++) {
        char want[32];
        snprintf(want, sizeof want, "p-%zu", i);
        if (strcmp(dr_call_input_key(call, i), want) != 0)
            return dr_call_fail(call, "input %zu is %s", i,
                                dr_call_input_key(call, i));
        int *v = dr_call_input_ptr(call, i);
        if (v == NULL || dr_call_input_json(call, i) != NULL)
            return dr_call_fail(call, "input %zu is not a pointer", i);
        sum += *v;
    }
    dr_call_set_json(call, json_integer(sum));
    return 0;
}

Test(exec, function_tasks_get_inputs_in_order_and_results_are_freed_once,
     .timeout = 60) {
    atomic_store(&freed, 0);
    dr_graph *g = dr_graph_create();
    dr_task c = add(g, "consumer");
    dr_task_set_function(g, c, "consume", fn_consume, NULL, NULL);
    for (int i = 0; i < 4; i++) {
        char key[16];
        snprintf(key, sizeof key, "p-%d", i);
        dr_task p = add(g, key);
        json_t *args = json_pack("{s:i}", "v", 10 + i);
        dr_task_set_function(g, p, "produce", fn_produce, NULL, args);
        json_decref(args);
        dr_graph_add_dep(g, c, p);
    }
    /* A sink with a pointer result: released when the run ends. */
    dr_task lone = add(g, "lone");
    json_t *args = json_pack("{s:i}", "v", 1);
    dr_task_set_function(g, lone, "produce", fn_produce, NULL, args);
    json_decref(args);
    for (unsigned w = 1; w <= 4; w *= 2) {
        atomic_store(&freed, 0);
        dr_run_options o;
        dr_run_options_init(&o);
        o.workers = w;
        dr_run *run = run_or_die(g, &o);
        cr_assert_eq(dr_run_status(run), 0, "failure: %s",
                     run->nfailures ? run->failures[0].reason : "");
        cr_assert_eq(json_integer_value(dr_run_task_result(run, c)),
                     10 + 11 + 12 + 13);
        cr_assert_eq(atomic_load(&freed), 5);
        dr_run_destroy(run);
        cr_assert_eq(atomic_load(&freed), 5);
    }
    dr_graph_destroy(g);
}

Test(exec, results_are_released_when_their_last_dependent_has_run,
     .timeout = 60) {
    atomic_store(&freed, 0);
    dr_graph *g = dr_graph_create();
    dr_task prev = DR_TASK_NONE;
    for (int i = 0; i < 100; i++) {
        char key[16];
        snprintf(key, sizeof key, "c-%d", i);
        dr_task t = add(g, key);
        json_t *args = json_pack("{s:i}", "v", i);
        dr_task_set_function(g, t, "produce", fn_produce, NULL, args);
        json_decref(args);
        if (prev != DR_TASK_NONE)
            dr_graph_add_dep(g, t, prev);
        prev = t;
    }
    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = 4;
    dr_run *run = run_or_die(g, &o);
    cr_assert_eq(dr_run_status(run), 0);
    /* A chain holds a task's result and its dependency's, never more. */
    json_t *summary = dr_run_summary_json(run);
    cr_assert_eq(
        json_integer_value(json_object_get(summary, "peak_live_results")), 2);
    json_decref(summary);
    cr_assert_eq(run->peak_live_bytes, 2 * sizeof(int));
    cr_assert_eq(atomic_load(&freed), 100);
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

Test(exec, tasks_without_an_op_replay_their_cost_with_cost_op, .timeout = 60) {
    dr_graph *g = dr_graph_create();
    dr_task a = add(g, "a"), b = add(g, "b");
    dr_task_set_cost(g, a, 0.05);
    dr_task_set_cost(g, b, 0.002);
    dr_graph_add_dep(g, b, a);
    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = 2;
    o.cost_op = DR_COST_OP_SLEEP;
    o.cost_scale = 2.0;
    dr_run *run = run_or_die(g, &o);
    cr_assert_eq(dr_run_status(run), 0);
    /* Sleeping lasts at least as long as asked (a lower bound only). */
    cr_assert(dr_run_task_end(run, a) - dr_run_task_start(run, a) >= 0.1);
    dr_run_destroy(run);
    o.cost_op = DR_COST_OP_SPIN;
    run = run_or_die(g, &o);
    cr_assert_eq(dr_run_status(run), 0);
    cr_assert_eq(run->nattempts, 2);
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

static int fn_twice(dr_call *call, void *user) {
    json_int_t v = json_integer_value(json_object_get(dr_call_args(call), "v"));
    dr_call_set_json(call, json_integer(v * *(int *)user));
    return 0;
}

Test(exec, registered_ops_named_in_json_run_with_their_user_data,
     .timeout = 30) {
    static int factor = 2;
    dr_ops *ops = dr_ops_create();
    cr_assert_eq(dr_ops_register(ops, "twice", fn_twice, &factor), 0);
    const char *text =
        "{\"name\": \"ops\", \"tasks\": [{\"id\": \"a\", \"op\": "
        "\"twice\", \"args\": {\"v\": 21}}]}";
    dr_load_options lo;
    memset(&lo, 0, sizeof lo);
    lo.ops = ops;
    dr_error err;
    memset(&err, 0, sizeof err);
    dr_graph *g = dr_graph_load_buffer(text, strlen(text), NULL, &lo, &err);
    cr_assert_not_null(g, "%s", err.text);
    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = 1;
    o.ops = ops;
    dr_run *run = run_or_die(g, &o);
    cr_assert_eq(dr_run_status(run), 0);
    cr_assert_eq(json_integer_value(dr_run_task_result(run, 0)), 42);
    dr_run_destroy(run);
    dr_graph_destroy(g);
    dr_ops_destroy(ops);
}

Test(exec, empty_graph_runs_and_more_workers_than_tasks_is_fine,
     .timeout = 30) {
    dr_graph *g = dr_graph_create();
    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = 8;
    dr_run *run = run_or_die(g, &o);
    cr_assert_eq(dr_run_status(run), 0);
    cr_assert_eq(run->nattempts, 0);
    dr_run_destroy(run);
    dr_task_set_builtin(g, add(g, "only"), "noop", NULL);
    run = run_or_die(g, &o);
    cr_assert_eq(dr_run_status(run), 0);
    cr_assert_eq(run->nattempts, 1);
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

/* ------------------------------------------------------------- failures */

static dr_graph *failing_graph(void) {
    /* fail -> b -> c, and unrelated u-0..u-4; fifo on one worker starts
     * `fail` first. */
    dr_graph *g = dr_graph_create();
    dr_task f = add(g, "fail");
    json_t *args = json_pack("{s:s}", "message", "boom");
    dr_task_set_builtin(g, f, "fail", args);
    json_decref(args);
    dr_task b = add(g, "b"), c = add(g, "c");
    dr_graph_add_dep(g, b, f);
    dr_graph_add_dep(g, c, b);
    for (int i = 0; i < 5; i++) {
        char key[16];
        snprintf(key, sizeof key, "u-%d", i);
        dr_task_set_builtin(g, add(g, key), "noop", NULL);
    }
    return g;
}

Test(exec, failure_skips_dependents_and_starts_nothing_new, .timeout = 30) {
    dr_graph *g = failing_graph();
    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = 1;
    o.policy = DR_POLICY_FIFO;
    dr_run *run = run_or_die(g, &o);
    cr_assert_eq(dr_run_status(run), DR_EFAILED);
    cr_assert_eq(dr_run_task_state(run, dr_graph_find(g, "fail")),
                 DR_STATE_FAILED);
    cr_assert_eq(dr_run_task_state(run, dr_graph_find(g, "b")),
                 DR_STATE_SKIPPED);
    cr_assert_eq(dr_run_task_state(run, dr_graph_find(g, "c")),
                 DR_STATE_SKIPPED);
    cr_assert_eq(dr_run_task_state(run, dr_graph_find(g, "u-0")),
                 DR_STATE_PENDING);
    cr_assert_eq(run->nattempts, 1);
    cr_assert_eq(run->nfailures, 1);
    cr_assert(strstr(run->failures[0].reason, "boom") != NULL, "reason: %s",
              run->failures[0].reason);
    cr_assert_eq(run->attempts[0].status, DR__ATTEMPT_FAILED);
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

Test(exec, keep_going_runs_everything_not_depending_on_the_failure,
     .timeout = 30) {
    dr_graph *g = failing_graph();
    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = 2;
    o.keep_going = 1;
    dr_run *run = run_or_die(g, &o);
    cr_assert_eq(dr_run_status(run), DR_EFAILED);
    cr_assert_eq(dr_run_task_state(run, dr_graph_find(g, "c")),
                 DR_STATE_SKIPPED);
    for (int i = 0; i < 5; i++) {
        char key[16];
        snprintf(key, sizeof key, "u-%d", i);
        cr_assert_eq(dr_run_task_state(run, dr_graph_find(g, key)), DR_STATE_OK,
                     "%s", key);
    }
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

static int fn_until_cancelled(dr_call *call, void *user) {
    (void)user;
    while (!dr_call_cancelled(call))
        nap_us(1000);
    return dr_call_fail(call, "stopped");
}

Test(exec, function_task_past_its_timeout_is_cancelled, .timeout = 30) {
    dr_graph *g = dr_graph_create();
    dr_task t = add(g, "stuck");
    dr_task_set_function(g, t, "stuck", fn_until_cancelled, NULL, NULL);
    dr_task_set_timeout(g, t, 0.2);
    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = 2;
    o.retries = 1;
    dr_run *run = run_or_die(g, &o);
    cr_assert_eq(dr_run_task_state(run, t), DR_STATE_FAILED);
    cr_assert_eq(run->nattempts, 2);
    cr_assert_eq(run->attempts[0].status, DR__ATTEMPT_TIMEOUT);
    cr_assert_eq(run->attempts[1].status, DR__ATTEMPT_TIMEOUT);
    cr_assert_eq(run->attempts[1].attempt, 2);
    cr_assert(strstr(run->failures[0].reason, "timed out") != NULL);
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

/* -------------------------------------------------------------- commands */

static dr_run_options command_options(const char *dir) {
    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = 2;
    o.workdir = dir;
    o.run_dir = drt_fmt("%s/logs", dir); /* free with free_options */
    return o;
}

static void free_options(dr_run_options *o) { free((char *)o->run_dir); }

Test(exec, shell_task_that_fails_once_succeeds_on_retry, .timeout = 30) {
    char *dir = drt_tmpdir();
    dr_graph *g = dr_graph_create();
    dr_task t = add(g, "flaky");
    dr_task_set_shell(g, t,
                      "if [ -e marker ]; then echo second; else touch marker;"
                      " echo first >&2; exit 3; fi");
    dr_task_set_retries(g, t, 1);
    dr_run_options o = command_options(dir);
    dr_run *run = run_or_die(g, &o);
    cr_assert_eq(dr_run_status(run), 0);
    cr_assert_eq(run->nattempts, 2);
    cr_assert_eq(run->attempts[0].status, DR__ATTEMPT_FAILED);
    cr_assert(strstr(run->attempts[0].error, "exit status 3") != NULL);
    cr_assert_eq(run->attempts[1].status, DR__ATTEMPT_OK);
    cr_assert_eq(run->attempts[1].attempt, 2);
    dr_run_destroy(run);
    dr_graph_destroy(g);
    free_options(&o);
    drt_rmtree(dir);
    free(dir);
}

Test(exec, command_past_its_timeout_has_its_process_group_killed,
     .timeout = 30) {
    char *dir = drt_tmpdir();
    dr_graph *g = dr_graph_create();
    dr_task t = add(g, "slow");
    dr_task_set_shell(g, t, "sleep 60 & echo $! > grandchild.pid; wait");
    dr_task_set_timeout(g, t, 0.3);
    dr_run_options o = command_options(dir);
    dr_run *run = run_or_die(g, &o);
    cr_assert_eq(dr_run_status(run), DR_EFAILED);
    cr_assert_eq(run->nattempts, 1);
    cr_assert_eq(run->attempts[0].status, DR__ATTEMPT_TIMEOUT);
    cr_assert(strstr(run->failures[0].reason, "timed out") != NULL);
    /* Stopped by the timeout, not by the end of the 60 s sleep. */
    cr_assert(run->attempts[0].end - run->attempts[0].start < 20.0);
    char *path = drt_fmt("%s/grandchild.pid", dir);
    char *text = drt_read_file(path, NULL);
    cr_assert_not_null(text);
    int pid = atoi(text);
    cr_assert(pid > 0);
    /* The grandchild was killed; give init a moment to reap it. */
    for (int i = 0; i < 500 && drt_alive(pid); i++)
        nap_us(10000);
    cr_assert(!drt_alive(pid), "grandchild %d still running", pid);
    free(text);
    free(path);
    dr_run_destroy(run);
    dr_graph_destroy(g);
    free_options(&o);
    drt_rmtree(dir);
    free(dir);
}

Test(exec, command_output_goes_to_log_files_and_stderr_tail_to_failure,
     .timeout = 30) {
    char *dir = drt_tmpdir();
    dr_graph *g = dr_graph_create();
    dr_task t = add(g, "noisy");
    dr_task_set_shell(g, t,
                      "echo to-stdout; i=1; while [ $i -le 12 ]; do "
                      "echo line$i >&2; i=$((i+1)); done; exit 2");
    dr_run_options o = command_options(dir);
    dr_run *run = run_or_die(g, &o);
    cr_assert_eq(dr_run_status(run), DR_EFAILED);
    cr_assert_str_eq(run->run_dir, o.run_dir);
    char *out = drt_fmt("%s/noisy.out", o.run_dir);
    char *text = drt_read_file(out, NULL);
    cr_assert_not_null(text);
    cr_assert_str_eq(text, "to-stdout\n");
    cr_assert_eq(run->nfailures, 1);
    cr_assert(strstr(run->failures[0].reason, "exit status 2") != NULL);
    const char *tail = run->failures[0].stderr_tail;
    cr_assert_not_null(tail);
    cr_assert(strncmp(tail, "line3\n", 6) == 0, "tail: %s", tail);
    cr_assert(strstr(tail, "line12") != NULL);
    free(text);
    free(out);
    dr_run_destroy(run);
    dr_graph_destroy(g);
    free_options(&o);
    drt_rmtree(dir);
    free(dir);
}

Test(exec, commands_see_their_task_worker_and_attempt_and_run_in_workdir,
     .timeout = 30) {
    char *dir = drt_tmpdir();
    dr_graph *g = dr_graph_create();
    dr_task t = add(g, "env-task");
    dr_task_set_shell(g, t,
                      "printf '%s %s %s' \"$DAGRUN_TASK\" \"$DAGRUN_WORKER\" "
                      "\"$DAGRUN_ATTEMPT\" > env.txt");
    const char *argv[] = {"/bin/echo", "hello", "argv"};
    dr_task a = add(g, "argv-task");
    dr_task_set_argv(g, a, argv, 3);
    dr_graph_add_dep(g, a, t);
    dr_run_options o = command_options(dir);
    o.workers = 1;
    dr_run *run = run_or_die(g, &o);
    cr_assert_eq(dr_run_status(run), 0);
    char *path = drt_fmt("%s/env.txt", dir);
    char *text = drt_read_file(path, NULL);
    cr_assert_not_null(text, "env.txt not written in the workdir");
    cr_assert_str_eq(text, "env-task 0 1");
    char *log = drt_fmt("%s/argv-task.out", o.run_dir);
    char *out = drt_read_file(log, NULL);
    cr_assert_not_null(out);
    cr_assert_str_eq(out, "hello argv\n");
    free(out);
    free(log);
    free(text);
    free(path);
    dr_run_destroy(run);
    dr_graph_destroy(g);
    free_options(&o);
    drt_rmtree(dir);
    free(dir);
}

Test(exec, commands_hold_a_slot_each_and_know_which_one, .timeout = 60) {
    char *dir = drt_tmpdir();
    dr_graph *g = dr_graph_create();
    for (int i = 0; i < 6; i++) {
        char key[16];
        snprintf(key, sizeof key, "cmd-%d", i);
        dr_task t = add(g, key);
        dr_task_set_shell(g, t, "sleep 0.05; echo $DAGRUN_WORKER");
        if (i >= 4)
            dr_graph_add_dep(g, t, (dr_task)(i - 4));
    }
    cr_assert_eq(dr_graph_validate(g, NULL), 0);
    dr_run_options o = command_options(dir);
    o.workers = 2;
    dr_run *run = run_or_die(g, &o);
    cr_assert_eq(dr_run_status(run), 0);
    check_trace(run, g, 2);
    for (dr_task t = 0; t < 6; t++) {
        char *log = drt_fmt("%s/%s.out", o.run_dir, dr_task_key(g, t));
        char *text = drt_read_file(log, NULL);
        cr_assert_not_null(text);
        cr_assert_eq(atoi(text), dr_run_task_worker(run, t), "%s", log);
        free(text);
        free(log);
    }
    dr_run_destroy(run);
    dr_graph_destroy(g);
    free_options(&o);
    drt_rmtree(dir);
    free(dir);
}

Test(exec, missing_program_fails_with_a_clear_reason, .timeout = 30) {
    char *dir = drt_tmpdir();
    dr_graph *g = dr_graph_create();
    const char *argv[] = {"/nonexistent/program"};
    dr_task_set_argv(g, add(g, "missing"), argv, 1);
    dr_run_options o = command_options(dir);
    dr_run *run = run_or_die(g, &o);
    cr_assert_eq(dr_run_status(run), DR_EFAILED);
    cr_assert(strstr(run->failures[0].reason, "cannot run") != NULL,
              "reason: %s", run->failures[0].reason);
    dr_run_destroy(run);
    dr_graph_destroy(g);
    free_options(&o);
    drt_rmtree(dir);
    free(dir);
}

/* ------------------------------------------------------------------ CLI */

Test(exec, sigint_stops_dagrun_run_with_130_and_a_trace, .timeout = 60) {
    char *dir = drt_tmpdir();
    dr_graph *g = dr_graph_create();
    dr_graph_set_name(g, "sleepy");
    dr_task s = add(g, "sleeper");
    dr_task_set_shell(g, s,
                      "echo $$ > sleeper.pid; touch started; "
                      "exec sleep 30");
    dr_task after = add(g, "after");
    dr_task_set_shell(g, after, "touch after-ran");
    dr_graph_add_dep(g, after, s);
    char *graph = drt_fmt("%s/graph.json", dir);
    dr_error err;
    memset(&err, 0, sizeof err);
    cr_assert_eq(dr_graph_save(g, graph, &err), 0, "%s", err.text);

    char *const args[] = {"dagrun", "run",     "graph.json", "--workers",
                          "2",      "--trace", "trace.json", NULL};
    pid_t pid = drt_start_cli(dir, args, NULL, NULL, NULL);
    char *started = drt_fmt("%s/started", dir);
    int ok = drt_wait_for_path(started, 15);
    if (!ok)
        kill(pid, SIGKILL);
    cr_assert(ok, "the sleeper never started");
    kill(pid, SIGINT);
    int status = 0;
    cr_assert_eq(drt_reap(pid, 15, &status), 0,
                 "dagrun did not stop after SIGINT");
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 130, "status %d",
              status);
    char *trace = drt_fmt("%s/trace.json", dir);
    cr_assert_eq(access(trace, F_OK), 0, "no trace written");
    char *after_ran = drt_fmt("%s/after-ran", dir);
    cr_assert_neq(access(after_ran, F_OK), 0, "a task started after SIGINT");
    char *pidpath = drt_fmt("%s/sleeper.pid", dir);
    char *pidtext = drt_read_file(pidpath, NULL);
    cr_assert_not_null(pidtext);
    int spid = atoi(pidtext);
    for (int i = 0; i < 500 && drt_alive(spid); i++)
        nap_us(10000);
    cr_assert(!drt_alive(spid), "the sleeping command survived");
    free(pidtext);
    free(pidpath);
    free(after_ran);
    free(trace);
    free(started);
    free(graph);
    dr_graph_destroy(g);
    drt_rmtree(dir);
    free(dir);
}

/* ------------------------------------------------- review regressions */

/* A timer request left by a task with a timeout must not arm a timer for
 * the next task on the same slot, which has none (it used to time out
 * "after 0 s" now and then). */
Test(exec, a_task_without_timeout_never_times_out_after_one_with,
     .timeout = 60) {
    for (int round = 0; round < 30; round++) {
        dr_graph *g = dr_graph_create();
        dr_task a = add(g, "a"), b = add(g, "b");
        cr_assert_eq(dr_task_set_builtin(g, a, "sum", NULL), 0);
        cr_assert_eq(dr_task_set_timeout(g, a, 5), 0);
        json_t *args = json_pack("{si}", "ms", 30);
        cr_assert_eq(dr_task_set_builtin(g, b, "sleep", args), 0);
        json_decref(args);
        cr_assert_eq(dr_graph_add_dep(g, b, a), 0);
        dr_run_options o;
        dr_run_options_init(&o);
        o.workers = 1;
        dr_run *run = run_or_die(g, &o);
        cr_assert_eq(dr_run_status(run), 0, "round %d: %s", round,
                     run->nfailures ? run->failures[0].reason : "");
        dr_run_destroy(run);
        dr_graph_destroy(g);
    }
}

/* A timeout too large for the timer's milliseconds means "never". */
Test(exec, a_huge_timeout_never_fires, .timeout = 30) {
    dr_graph *g = dr_graph_create();
    dr_task t = add(g, "nap");
    json_t *args = json_pack("{si}", "ms", 50);
    cr_assert_eq(dr_task_set_builtin(g, t, "sleep", args), 0);
    json_decref(args);
    cr_assert_eq(dr_task_set_timeout(g, t, 1e300), 0);
    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = 1;
    dr_run *run = run_or_die(g, &o);
    cr_expect_eq(dr_run_status(run), 0, "%s",
                 run->nfailures ? run->failures[0].reason : "");
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

/* Keys that differ only by '/' and '_' keep separate log files. */
Test(exec, similar_keys_do_not_share_a_log_file, .timeout = 30) {
    char *dir = drt_tmpdir();
    dr_graph *g = dr_graph_create();
    dr_task s = add(g, "x/y"), u = add(g, "x_y");
    cr_assert_eq(dr_task_set_shell(g, s, "echo from-slash"), 0);
    cr_assert_eq(dr_task_set_shell(g, u, "echo from-underscore"), 0);
    dr_run_options o = command_options(dir);
    dr_run *run = run_or_die(g, &o);
    cr_assert_eq(dr_run_status(run), 0);
    char *ps = drt_fmt("%s/x%%2Fy.out", o.run_dir);
    char *pu = drt_fmt("%s/x_y.out", o.run_dir);
    char *ts = drt_read_file(ps, NULL), *tu = drt_read_file(pu, NULL);
    cr_assert_not_null(ts, "%s missing", ps);
    cr_assert_not_null(tu, "%s missing", pu);
    cr_expect_str_eq(ts, "from-slash\n");
    cr_expect_str_eq(tu, "from-underscore\n");
    free(ts), free(tu), free(ps), free(pu);
    dr_run_destroy(run);
    dr_graph_destroy(g);
    free_options(&o);
    drt_rmtree(dir);
    free(dir);
}

/* Waits (up to 10 s) until `freed` reaches 1: succeeds only if a result
 * was released while the run was still going. */
static int fn_wait_for_release(dr_call *call, void *user) {
    (void)user;
    for (int i = 0; i < 2000; i++) {
        if (atomic_load(&freed) >= 1)
            return 0;
        nap_us(5000);
    }
    return dr_call_fail(call, "the skipped task's input was not released");
}

/* With --keep-going, p's only consumer q is skipped (x failed), so p's
 * result is released as soon as q is skipped, while the independent task
 * `watch` still runs, not when the run ends. */
Test(exec, inputs_of_skipped_tasks_are_released_during_the_run, .timeout = 60) {
    atomic_store(&freed, 0);
    dr_graph *g = dr_graph_create();
    dr_task p = add(g, "p"), x = add(g, "x"), q = add(g, "q"),
            w = add(g, "watch");
    json_t *args = json_pack("{si}", "v", 7);
    cr_assert_eq(dr_task_set_function(g, p, "produce", fn_produce, NULL, args),
                 0);
    json_decref(args);
    cr_assert_eq(dr_task_set_builtin(g, x, "fail", NULL), 0);
    cr_assert_eq(dr_task_set_builtin(g, q, "noop", NULL), 0);
    cr_assert_eq(dr_graph_add_dep(g, q, p), 0);
    cr_assert_eq(dr_graph_add_dep(g, q, x), 0);
    cr_assert_eq(
        dr_task_set_function(g, w, "watch", fn_wait_for_release, NULL, NULL),
        0);
    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = 2;
    o.keep_going = 1;
    dr_run *run = run_or_die(g, &o);
    cr_expect_eq(dr_run_task_state(run, q), DR_STATE_SKIPPED);
    cr_expect_eq(dr_run_task_state(run, w), DR_STATE_OK, "%s",
                 run->nfailures > 1 ? run->failures[1].reason : "");
    cr_expect_eq(atomic_load(&freed), 1);
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

/* A task's own "timeout": 0 means none, whatever the run's default; a task
 * without one gets the run's (--timeout). */
Test(exec, a_task_timeout_of_zero_is_never_overridden_by_the_runs_timeout,
     .timeout = 60) {
    dr_error err;
    memset(&err, 0, sizeof err);
    static const char text[] =
        "{\"tasks\": ["
        "{\"id\": \"patient\", \"op\": \"sleep\", \"args\": {\"ms\": 300}, "
        "\"timeout\": 0},"
        "{\"id\": \"default\", \"op\": \"sleep\", \"args\": {\"ms\": 20000}}]}";
    dr_graph *g = dr_graph_load_buffer(text, sizeof text - 1, NULL, NULL, &err);
    cr_assert_not_null(g, "%s", err.text);
    dr_task patient = dr_graph_find(g, "patient"),
            deflt = dr_graph_find(g, "default");
    cr_assert(dr_task_has_timeout(g, patient));
    cr_assert(!dr_task_has_timeout(g, deflt));
    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = 2;
    o.keep_going = 1;
    o.timeout = 0.05;
    dr_run *run = run_or_die(g, &o);
    cr_expect_eq(dr_run_task_state(run, patient), DR_STATE_OK,
                 "the task with timeout 0 was stopped");
    cr_expect_eq(dr_run_task_state(run, deflt), DR_STATE_FAILED);
    cr_expect_eq(run->attempts[run->last[deflt]].status, DR__ATTEMPT_TIMEOUT);
    /* And "timeout": 0 survives a save and a load. */
    json_t *saved = dr_graph_to_json(g);
    cr_assert_not_null(saved);
    json_t *tasks = json_object_get(saved, "tasks");
    int found = 0;
    for (size_t i = 0; i < json_array_size(tasks); i++) {
        json_t *task = json_array_get(tasks, i);
        if (strcmp(json_string_value(json_object_get(task, "id")), "patient") ==
            0) {
            json_t *timeout = json_object_get(task, "timeout");
            found = timeout != NULL && json_number_value(timeout) == 0;
        }
    }
    cr_expect(found, "timeout 0 was not saved");
    json_decref(saved);
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

/* A working folder that does not exist is reported as such, before
 * anything runs, not as "cannot run 'echo'". */
Test(exec, a_missing_working_folder_stops_the_run_before_it_starts,
     .timeout = 30) {
    char *dir = drt_tmpdir();
    dr_graph *g = dr_graph_create();
    dr_task t = add(g, "hello");
    const char *argv[] = {"echo", "hello"};
    cr_assert_eq(dr_task_set_argv(g, t, argv, 2), 0);
    dr_run_options o = command_options(dir);
    char *missing = drt_fmt("%s/no-such-folder", dir);
    o.workdir = missing;
    dr_error err;
    memset(&err, 0, sizeof err);
    dr_run *run = dr_run_graph(g, &o, &err);
    cr_expect_null(run, "the run started");
    cr_expect_not_null(strstr(err.text, "working folder"), "%s", err.text);
    cr_expect_not_null(strstr(err.text, missing), "%s", err.text);
    cr_expect_not_null(strstr(err.text, "No such file or directory"), "%s",
                       err.text);
    dr_run_destroy(run);
    dr_graph_destroy(g);
    free_options(&o);
    free(missing);
    drt_rmtree(dir);
    free(dir);
}
