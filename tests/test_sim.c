/* The simulator through the public API: known makespans, the work and span
 * limits, determinism, properties of every policy on random DAGs read back
 * from the trace, failures, --costs, the STG optimum check and the CLI. */
#include "dagrun/run.h"
#include "run_internal.h"
#include "support.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static dr_graph *tasks(size_t n, const double *costs) {
    dr_graph *g = dr_graph_create();
    dr_graph_set_name(g, "test");
    for (size_t i = 0; i < n; i++) {
        char key[32];
        snprintf(key, sizeof(key), "t%zu", i);
        dr_task t;
        cr_assert_eq(dr_graph_add_task(g, key, &t), 0);
        cr_assert_eq(dr_task_set_cost(g, t, costs ? costs[i] : 1), 0);
    }
    return g;
}

static dr_run *simulate(dr_graph *g, dr_policy p, unsigned workers) {
    dr_run_options o;
    dr_run_options_init(&o);
    o.simulate = 1;
    o.workers = workers;
    o.policy = p;
    o.seed = 11;
    dr_error err;
    dr_error_clear(&err);
    dr_run *run = dr_run_graph(g, &o, &err);
    cr_assert_not_null(run, "%s", err.text);
    return run;
}

/* splitmix64, so the random DAGs are the same on every machine. */
static uint64_t next(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* n tasks, integer costs 1..5, each task depends on up to 3 earlier ones. */
static dr_graph *random_dag(size_t n, uint64_t seed) {
    double costs[200];
    for (size_t i = 0; i < n; i++)
        costs[i] = 1 + (double)(next(&seed) % 5);
    dr_graph *g = tasks(n, costs);
    for (size_t t = 1; t < n; t++) {
        int k = (int)(next(&seed) % 4);
        for (int j = 0; j < k; j++)
            dr_graph_add_dep(g, (dr_task)t, (dr_task)(next(&seed) % t));
    }
    dr_error err;
    cr_assert_eq(dr_graph_validate(g, &err), 0);
    return g;
}

Test(sim, chain_takes_the_sum_of_its_costs, .timeout = 10) {
    double costs[] = {1, 2, 3, 4, 5};
    dr_graph *g = tasks(5, costs);
    for (dr_task t = 1; t < 5; t++)
        dr_graph_add_dep(g, t, t - 1);
    dr_run *run = simulate(g, DR_POLICY_CP, 4);
    cr_expect_float_eq(dr_run_makespan(run), 15, 1e-9);
    cr_expect_eq(dr_run_status(run), 0);
    cr_expect_float_eq(dr_run_task_start(run, 4), 10, 1e-9);
    cr_expect_float_eq(dr_run_task_end(run, 4), 15, 1e-9);
    cr_expect_eq(dr_run_task_worker(run, 4), 0, "lowest free worker");
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

Test(sim, fork_join_divides_the_middle_among_workers, .timeout = 10) {
    /* t0 (1) -> eight tasks of 2 -> t9 (1). */
    double costs[10] = {1, 2, 2, 2, 2, 2, 2, 2, 2, 1};
    dr_graph *g = tasks(10, costs);
    for (dr_task t = 1; t <= 8; t++) {
        dr_graph_add_dep(g, t, 0);
        dr_graph_add_dep(g, 9, t);
    }
    const double expect[][2] = {{1, 18}, {2, 10}, {4, 6}, {8, 4}, {16, 4}};
    for (size_t i = 0; i < 5; i++) {
        dr_run *run = simulate(g, DR_POLICY_FIFO, (unsigned)expect[i][0]);
        cr_expect_float_eq(dr_run_makespan(run), expect[i][1], 1e-9, "P=%g",
                           expect[i][0]);
        dr_run_destroy(run);
    }
    dr_graph_destroy(g);
}

Test(sim, diamond_with_two_workers_takes_its_span, .timeout = 10) {
    /* t0 (1) -> t1 (3), t2 (2) -> t3 (1): span 5. */
    double costs[] = {1, 3, 2, 1};
    dr_graph *g = tasks(4, costs);
    dr_graph_add_dep(g, 1, 0), dr_graph_add_dep(g, 2, 0);
    dr_graph_add_dep(g, 3, 1), dr_graph_add_dep(g, 3, 2);
    dr_run *run = simulate(g, DR_POLICY_CP, 2);
    cr_expect_float_eq(dr_run_makespan(run), 5, 1e-9);
    dr_run_destroy(run);
    run = simulate(g, DR_POLICY_CP, 1);
    cr_expect_float_eq(dr_run_makespan(run), 7, 1e-9);
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

Test(sim, lecture_dag_leaves_one_worker_idle_until_the_end, .timeout = 10) {
    /* a(1) -> b(3), c(5), d(1); b -> e(3); c, d, e -> f(1) on 3 workers. */
    double costs[] = {1, 3, 5, 1, 3, 1};
    dr_graph *g = tasks(6, costs);
    dr_graph_add_dep(g, 1, 0), dr_graph_add_dep(g, 2, 0);
    dr_graph_add_dep(g, 3, 0), dr_graph_add_dep(g, 4, 1);
    dr_graph_add_dep(g, 5, 2), dr_graph_add_dep(g, 5, 3);
    dr_graph_add_dep(g, 5, 4);
    dr_run *run = simulate(g, DR_POLICY_CP, 3);
    cr_expect_float_eq(dr_run_makespan(run), 8, 1e-9);
    json_t *s = dr_run_summary_json(run);
    json_t *w2 = json_array_get(json_object_get(s, "per_worker"), 2);
    cr_expect_float_eq(json_number_value(json_object_get(w2, "idle_tail")), 6,
                       1e-9);
    cr_expect_float_eq(json_number_value(json_object_get(s, "utilization")),
                       14.0 / 24, 1e-9);
    json_decref(s);
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

Test(sim, enough_workers_give_the_span_and_one_gives_the_work, .timeout = 30) {
    for (uint64_t seed = 1; seed <= 5; seed++) {
        dr_graph *g = random_dag(60, seed);
        dr_error err;
        dr_analysis *a = dr_analyze(g, NULL, &err);
        cr_assert_not_null(a);
        for (int p = DR_POLICY_CP; p <= DR_POLICY_RANDOM; p++) {
            dr_run *run = simulate(g, (dr_policy)p, 60);
            cr_expect_float_eq(dr_run_makespan(run), a->span, 1e-9);
            dr_run_destroy(run);
            run = simulate(g, (dr_policy)p, 1);
            cr_expect_float_eq(dr_run_makespan(run), a->work, 1e-9);
            dr_run_destroy(run);
        }
        dr_analysis_destroy(a);
        dr_graph_destroy(g);
    }
}

Test(sim, the_same_run_gives_the_same_trace, .timeout = 20) {
    dr_graph *g = random_dag(80, 3);
    for (int p = DR_POLICY_CP; p <= DR_POLICY_RANDOM; p++) {
        dr_run *a = simulate(g, (dr_policy)p, 3);
        dr_run *b = simulate(g, (dr_policy)p, 3);
        char *ta = dr__run_trace_text(a, NULL);
        char *tb = dr__run_trace_text(b, NULL);
        cr_expect_str_eq(ta, tb, "%s", dr_policy_name((dr_policy)p));
        free(ta), free(tb);
        dr_run_destroy(a), dr_run_destroy(b);
    }
    dr_graph_destroy(g);
}

/* Reads the trace back and checks: every task exactly once, never before
 * its dependencies ended, never more than `workers` at once, never two at
 * once on one worker. */
static void check_trace(dr_graph *g, json_t *trace, unsigned workers,
                        const char *what) {
    size_t n = dr_graph_ntasks(g);
    double *start = calloc(n, sizeof(double)), *end = calloc(n, sizeof(double));
    int *count = calloc(n, sizeof(int));
    json_t *events = json_object_get(trace, "traceEvents");
    cr_assert(json_is_array(events));
    size_t i;
    json_t *ev;
    size_t nx = 0;
    json_array_foreach(events, i, ev) {
        if (strcmp(json_string_value(json_object_get(ev, "ph")), "X") != 0)
            continue;
        nx++;
        json_t *args = json_object_get(ev, "args");
        dr_task t =
            dr_graph_find(g, json_string_value(json_object_get(args, "task")));
        cr_assert_neq(t, DR_TASK_NONE);
        count[t]++;
        start[t] = json_number_value(json_object_get(ev, "ts"));
        end[t] = start[t] + json_number_value(json_object_get(ev, "dur"));
        json_int_t tid = json_integer_value(json_object_get(ev, "tid"));
        cr_expect(tid >= 0 && tid < (json_int_t)workers, "%s: tid %lld", what,
                  (long long)tid);
        cr_expect_str_eq(json_string_value(json_object_get(args, "status")),
                         "ok");
        cr_expect_leq(json_number_value(json_object_get(args, "ready")),
                      start[t] + 1e-6);
    }
    cr_expect_eq(nx, n, "%s: %zu events for %zu tasks", what, nx, n);
    for (size_t t = 0; t < n; t++) {
        cr_expect_eq(count[t], 1, "%s: %s ran %d times", what,
                     dr_task_key(g, t), count[t]);
        size_t nd;
        const dr_task *d = dr_task_deps(g, (dr_task)t, &nd);
        for (size_t j = 0; j < nd; j++)
            cr_expect_geq(start[t], end[d[j]] - 1e-6,
                          "%s: %s started before %s ended", what,
                          dr_task_key(g, t), dr_task_key(g, d[j]));
    }
    /* At every start, count the tasks running at that instant. */
    json_array_foreach(events, i, ev) {
        if (strcmp(json_string_value(json_object_get(ev, "ph")), "X") != 0)
            continue;
        double at = json_number_value(json_object_get(ev, "ts"));
        json_int_t tid = json_integer_value(json_object_get(ev, "tid"));
        unsigned running = 0;
        size_t k;
        json_t *other;
        json_array_foreach(events, k, other) {
            if (strcmp(json_string_value(json_object_get(other, "ph")), "X"))
                continue;
            double s = json_number_value(json_object_get(other, "ts"));
            double e = s + json_number_value(json_object_get(other, "dur"));
            if (s <= at && at < e - 1e-6) {
                running++;
                if (k != i)
                    cr_expect_neq(
                        json_integer_value(json_object_get(other, "tid")), tid,
                        "%s: two tasks at once on a worker", what);
            }
        }
        cr_expect_leq(running, workers, "%s: %u running", what, running);
    }
    free(start), free(end), free(count);
}

Test(sim, every_policy_keeps_the_rules_on_random_dags, .timeout = 60) {
    for (uint64_t seed = 1; seed <= 4; seed++) {
        dr_graph *g = random_dag(50, seed * 101);
        for (int p = DR_POLICY_CP; p <= DR_POLICY_RANDOM; p++)
            for (unsigned w = 1; w <= 8; w *= 2) {
                dr_run *run = simulate(g, (dr_policy)p, w);
                char what[64];
                snprintf(what, sizeof(what), "seed %llu %s P=%u",
                         (unsigned long long)seed, dr_policy_name((dr_policy)p),
                         w);
                json_t *trace = dr_run_trace_json(run);
                check_trace(g, trace, w, what);
                /* The streamed text is the same trace. */
                char *text = dr__run_trace_text(run, NULL);
                json_t *again = json_loads(text, 0, NULL);
                cr_expect(json_equal(trace, again), "%s: text differs", what);
                json_decref(again), free(text);
                json_decref(trace);
                dr_run_destroy(run);
            }
        dr_graph_destroy(g);
    }
}

Test(sim, trace_metadata_says_simulated, .timeout = 10) {
    dr_graph *g = random_dag(10, 5);
    dr_run *run = simulate(g, DR_POLICY_ORDER, 2);
    json_t *t = dr_run_trace_json(run);
    json_t *other = json_object_get(t, "otherData");
    cr_expect(json_is_true(json_object_get(other, "simulated")));
    cr_expect_eq(json_integer_value(json_object_get(other, "workers")), 2);
    cr_expect_str_eq(json_string_value(json_object_get(other, "policy")),
                     "order");
    cr_expect_str_eq(json_string_value(json_object_get(other, "graph")),
                     "test");
    json_t *first = json_array_get(json_object_get(t, "traceEvents"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(first, "ph")), "M");
    json_decref(t);
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

Test(sim, a_failing_task_skips_its_dependents, .timeout = 10) {
    dr_graph *g = tasks(4, NULL);
    cr_assert_eq(dr_task_set_builtin(g, 0, "fail", NULL), 0);
    dr_graph_add_dep(g, 1, 0);
    dr_run_options o;
    dr_run_options_init(&o);
    o.simulate = 1;
    o.workers = 1;
    o.keep_going = 1;
    o.retries = 2;
    dr_run *run = dr_run_graph(g, &o, NULL);
    cr_assert_not_null(run);
    cr_expect_eq(dr_run_status(run), DR_EFAILED);
    cr_expect_eq(dr_run_task_state(run, 0), DR_STATE_FAILED);
    cr_expect_eq(dr_run_task_state(run, 1), DR_STATE_SKIPPED);
    cr_expect_eq(dr_run_task_state(run, 2), DR_STATE_OK);
    cr_expect_eq(dr_run_task_state(run, 3), DR_STATE_OK);
    json_t *s = dr_run_summary_json(run);
    json_t *f = json_array_get(json_object_get(s, "failures"), 0);
    cr_expect_eq(json_integer_value(json_object_get(f, "attempts")), 3);
    cr_expect_str_eq(
        json_string_value(json_array_get(json_object_get(s, "skipped"), 0)),
        "t1");
    json_decref(s);
    dr_run_destroy(run);
    /* Without keep-going nothing new starts after the failure. */
    o.keep_going = 0;
    o.retries = 0;
    run = dr_run_graph(g, &o, NULL);
    cr_expect_eq(dr_run_task_state(run, 2), DR_STATE_PENDING);
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

Test(sim, durations_can_come_from_an_earlier_trace, .timeout = 10) {
    double costs[] = {1, 2, 3};
    dr_graph *g = tasks(3, costs);
    dr_graph_add_dep(g, 2, 1);
    dr_run_options o;
    dr_run_options_init(&o);
    o.simulate = 1;
    o.workers = 2;
    o.cost_scale = 10;
    dr_run *run = dr_run_graph(g, &o, NULL);
    cr_expect_float_eq(dr_run_makespan(run), 50, 1e-9);
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/trace.json", dir);
    cr_assert_eq(dr__run_write_trace(run, path, NULL), 0);
    dr_run_destroy(run);
    dr_run_options_init(&o);
    o.simulate = 1;
    o.workers = 2;
    o.costs_trace = path;
    run = dr_run_graph(g, &o, NULL);
    cr_assert_not_null(run);
    cr_expect_float_eq(dr_run_makespan(run), 50, 1e-6);
    dr_run_destroy(run);
    /* A file that is not a trace is an error. */
    char *bad = drt_fmt("%s/bad.json", dir);
    drt_write_file(bad, "{\"traceEvents\": []}");
    o.costs_trace = bad;
    dr_error err;
    dr_error_clear(&err);
    cr_expect_null(dr_run_graph(g, &o, &err));
    cr_expect_eq(err.code, DR_EFORMAT);
    drt_rmtree(dir);
    free(dir), free(path), free(bad);
    dr_graph_destroy(g);
}

Test(sim, bad_options_are_refused, .timeout = 10) {
    dr_graph *g = tasks(2, NULL);
    dr_run_options o;
    dr_run_options_init(&o);
    o.simulate = 1;
    o.workers = 100001;
    dr_error err;
    dr_error_clear(&err);
    cr_expect_null(dr_run_graph(g, &o, &err));
    cr_expect_eq(err.code, DR_ERANGE);
    o.workers = 100000;
    dr_run *run = dr_run_graph(g, &o, NULL);
    cr_expect_not_null(run, "100,000 simulated workers are fine");
    dr_run_destroy(run);
    dr_graph_add_dep(g, 0, 1);
    dr_graph_add_dep(g, 1, 0);
    dr_error_clear(&err);
    cr_expect_null(dr_run_graph(g, &o, &err));
    cr_expect_eq(err.code, DR_ECYCLE);
    dr_graph_destroy(g);
}

Test(sim, policy_names_round_trip, .timeout = 10) {
    for (int p = DR_POLICY_CP; p <= DR_POLICY_RANDOM; p++) {
        dr_policy back;
        cr_expect_eq(dr_policy_from_name(dr_policy_name((dr_policy)p), &back),
                     0);
        cr_expect_eq(back, (dr_policy)p);
    }
    dr_policy x;
    cr_expect_eq(dr_policy_from_name("heft", &x), DR_EINVAL);
}

/* -------------------------------------------------------------- STG */

Test(sim, stg_makespans_never_beat_the_optimum_and_cp_is_near_it,
     .timeout = 120) {
    const char *dir = DR_TEST_DATA "/stg-opt";
    char *csv_path = drt_fmt("%s/optimal.csv", dir);
    FILE *f = fopen(csv_path, "r");
    cr_assert_not_null(f, "%s", csv_path);
    char line[512];
    cr_assert_not_null(fgets(line, sizeof(line), f));
    double sum[17] = {0};
    int count[17] = {0};
    while (fgets(line, sizeof(line), f)) {
        char file[64];
        int p;
        double opt;
        if (sscanf(line, "%63[^,],%d,%lf", file, &p, &opt) != 3 || p > 16)
            continue;
        char *path = drt_fmt("%s/%s", dir, file);
        dr_load_options lo = {0};
        lo.format = DR_FORMAT_STG;
        dr_error err;
        dr_error_clear(&err);
        dr_graph *g = dr_graph_load(path, &lo, &err);
        cr_assert_not_null(g, "%s", err.text);
        for (int pol = DR_POLICY_CP; pol <= DR_POLICY_RANDOM; pol++) {
            dr_run *run = simulate(g, (dr_policy)pol, (unsigned)p);
            double m = dr_run_makespan(run);
            cr_expect_geq(m, opt - 1e-9, "%s P=%d %s: %g below the optimum %g",
                          file, p, dr_policy_name((dr_policy)pol), m, opt);
            if (pol == DR_POLICY_CP) {
                sum[p] += m / opt;
                count[p]++;
            }
            dr_run_destroy(run);
        }
        dr_graph_destroy(g);
        free(path);
    }
    fclose(f);
    free(csv_path);
    for (int p = 2; p <= 16; p *= 2) {
        cr_assert_gt(count[p], 0);
        double mean = sum[p] / count[p];
        printf("STG cp: P=%2d mean makespan / optimum = %.5f (%d graphs)\n", p,
               mean, count[p]);
        cr_expect_lt(mean, 1.01, "P=%d: mean ratio %.5f", p, mean);
    }
    fflush(stdout);
}

/* -------------------------------------------------------------- CLI */

static const char small_graph[] =
    "{\"dagrun\": 1, \"name\": \"small\", \"tasks\": [\n"
    " {\"id\": \"a\", \"op\": \"noop\", \"cost\": 1},\n"
    " {\"id\": \"b\", \"op\": \"noop\", \"cost\": 2, \"deps\": [\"a\"]},\n"
    " {\"id\": \"c\", \"op\": \"noop\", \"cost\": 3, \"deps\": [\"a\"]},\n"
    " {\"id\": \"d\", \"op\": \"noop\", \"cost\": 1, \"deps\": [\"b\", "
    "\"c\"]}\n"
    "]}\n";

Test(sim_cli, simulate_writes_trace_and_summary, .timeout = 30) {
    char *dir = drt_tmpdir();
    char *graph = drt_fmt("%s/small.json", dir);
    cr_assert_eq(drt_write_file(graph, small_graph), 0);
    char *out = NULL, *err = NULL;
    int rc =
        drt_cli(&out, &err, "run %s --simulate -w 2 -o %s/out", graph, dir);
    cr_expect_eq(rc, 0, "stderr: %s", err);
    cr_expect_not_null(strstr(out, "Makespan"), "%s", out);
    cr_expect_not_null(strstr(out, "Utilisation"));
    char *sp = drt_fmt("%s/out/summary.json", dir);
    char *tp = drt_fmt("%s/out/trace.json", dir);
    json_t *s = json_load_file(sp, 0, NULL);
    cr_assert_not_null(s, "no %s", sp);
    cr_expect_float_eq(json_number_value(json_object_get(s, "makespan")), 5,
                       1e-9);
    cr_expect(json_is_true(json_object_get(s, "simulated")));
    const char *keys[] = {
        "makespan",      "work",    "span",      "parallelism", "lower_bound",
        "critical_path", "workers", "simulated", "utilization", "per_worker",
        "failed",        "skipped", "profile",   "overhead",    "max_running"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        cr_expect_not_null(json_object_get(s, keys[i]), "missing %s", keys[i]);
    json_t *t = json_load_file(tp, 0, NULL);
    cr_expect_not_null(t, "no %s", tp);
    json_decref(s), json_decref(t);
    free(out), free(err);
    /* Plain `dagrun GRAPH` is `dagrun run GRAPH`; --json picks the file. */
    rc = drt_cli(&out, &err, "%s --simulate -q --no-outputs --json %s/s.json",
                 graph, dir);
    cr_expect_eq(rc, 0, "stderr: %s", err);
    cr_expect_str_eq(out, "");
    char *s2 = drt_fmt("%s/s.json", dir);
    json_t *j = json_load_file(s2, 0, NULL);
    cr_expect_not_null(j);
    json_decref(j);
    free(out), free(err), free(s2);
    drt_rmtree(dir);
    free(dir), free(graph), free(sp), free(tp);
}

Test(sim_cli, usage_errors_exit_2_and_help_exits_0, .timeout = 30) {
    char *out = NULL, *err = NULL;
    cr_expect_eq(drt_cli(&out, &err, "run --help"), 0);
    cr_expect_not_null(strstr(out, "Exit codes"));
    free(out), free(err);
    cr_expect_eq(drt_cli(NULL, &err, "run"), 2);
    free(err);
    char *dir = drt_tmpdir();
    char *graph = drt_fmt("%s/small.json", dir);
    drt_write_file(graph, small_graph);
    cr_expect_eq(drt_cli(NULL, &err, "run %s --policy heft", graph), 2);
    cr_expect_not_null(strstr(err, "heft"));
    free(err);
    cr_expect_eq(drt_cli(NULL, &err, "run %s -w 0 --simulate", graph), 2);
    free(err);
    cr_expect_eq(drt_cli(NULL, &err, "run %s --retries -1 --simulate", graph),
                 2);
    free(err);
    cr_expect_eq(drt_cli(NULL, &err, "run %s --simulate --output nope", graph),
                 2);
    free(err);
    cr_expect_eq(drt_cli(NULL, &err, "run %s/missing.json", dir), 2);
    free(err);
    drt_rmtree(dir);
    free(dir), free(graph);
}

Test(sim_cli, a_failed_task_exits_1, .timeout = 30) {
    char *dir = drt_tmpdir();
    char *graph = drt_fmt("%s/f.json", dir);
    drt_write_file(graph,
                   "{\"dagrun\": 1, \"name\": \"f\", \"tasks\": [\n"
                   " {\"id\": \"a\", \"op\": \"fail\", "
                   "\"args\": {\"message\": \"boom\"}},\n"
                   " {\"id\": \"b\", \"op\": \"noop\", \"deps\": [\"a\"]}\n"
                   "]}\n");
    char *out = NULL, *err = NULL;
    int rc = drt_cli(&out, &err, "run %s --simulate -o %s/o", graph, dir);
    cr_expect_eq(rc, 1, "stdout: %s stderr: %s", out, err);
    cr_expect_not_null(strstr(out, "boom"), "%s", out);
    free(out), free(err);
    drt_rmtree(dir);
    free(dir), free(graph);
}

Test(sim_cli, costs_from_a_trace_and_output_keys, .timeout = 60) {
    char *dir = drt_tmpdir();
    char *graph = drt_fmt("%s/small.json", dir);
    cr_assert_eq(drt_write_file(graph, small_graph), 0);
    char *out = NULL, *err = NULL;
    /* A simulation with every cost doubled writes a trace... */
    int rc = drt_cli(&out, &err,
                     "run %s --simulate --cost-scale 2 -w 2 -q --trace "
                     "%s/t.json --no-outputs",
                     graph, dir);
    cr_expect_eq(rc, 0, "%s", err);
    free(out), free(err);
    /* ...whose durations a second simulation replays. */
    rc = drt_cli(&out, &err,
                 "run %s --costs %s/t.json -w 2 -q --json %s/s.json "
                 "--no-outputs",
                 graph, dir, dir);
    cr_expect_eq(rc, 0, "%s", err);
    free(out), free(err);
    char *sp = drt_fmt("%s/s.json", dir);
    json_t *s = json_load_file(sp, 0, NULL);
    cr_assert_not_null(s);
    cr_expect_float_eq(json_number_value(json_object_get(s, "makespan")), 10,
                       1e-6);
    json_decref(s);
    /* A real run prints the chosen task's result, even when quiet. */
    rc = drt_cli(&out, &err, "run %s -w 2 -q --no-outputs --output b", graph);
    cr_expect_eq(rc, 0, "%s", err);
    cr_expect_not_null(strstr(out, "b = "), "%s", out);
    free(out), free(err);
    drt_rmtree(dir);
    free(dir), free(graph), free(sp);
}

Test(sim, an_empty_graph_has_an_empty_summary, .timeout = 10) {
    dr_graph *g = dr_graph_create();
    dr_run *run = simulate(g, DR_POLICY_CP, 4);
    cr_expect_eq(dr_run_status(run), 0);
    cr_expect_eq(dr_run_makespan(run), 0);
    json_t *s = dr_run_summary_json(run);
    cr_assert_not_null(s);
    cr_expect_eq(json_array_size(json_object_get(s, "critical_path")), 0);
    cr_expect_eq(json_array_size(json_object_get(s, "per_worker")), 4);
    json_decref(s);
    json_t *t = dr_run_trace_json(run);
    cr_expect_not_null(t);
    json_decref(t);
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

Test(sim, huge_pools_name_only_the_workers_that_ran, .timeout = 30) {
    dr_graph *g = random_dag(20, 9);
    dr_run *run = simulate(g, DR_POLICY_CP, 100000);
    json_t *t = dr_run_trace_json(run);
    size_t i, names = 0;
    json_t *ev;
    json_array_foreach(json_object_get(t, "traceEvents"), i, ev) {
        const char *name = json_string_value(json_object_get(ev, "name"));
        names += strcmp(name, "thread_name") == 0;
    }
    cr_expect_leq(names, 20);
    cr_expect_gt(names, 0);
    json_decref(t);
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

Test(sim, order_keeps_fewer_results_alive_than_fifo_on_a_reduction,
     .timeout = 10) {
    /* A binary reduction tree over 16 leaves: t0..t15 leaves, then each
     * level combines pairs of the one below. */
    dr_graph *g = tasks(31, NULL);
    size_t lo = 0, n = 16, next_id = 16;
    while (n > 1) {
        for (size_t i = 0; i < n / 2; i++) {
            dr_graph_add_dep(g, (dr_task)next_id, (dr_task)(lo + 2 * i));
            dr_graph_add_dep(g, (dr_task)next_id, (dr_task)(lo + 2 * i + 1));
            next_id++;
        }
        lo += n;
        n /= 2;
    }
    dr_run *fifo = simulate(g, DR_POLICY_FIFO, 1);
    dr_run *order = simulate(g, DR_POLICY_ORDER, 1);
    json_t *sf = dr_run_summary_json(fifo), *so = dr_run_summary_json(order);
    json_int_t pf =
        json_integer_value(json_object_get(sf, "peak_live_results"));
    json_int_t po =
        json_integer_value(json_object_get(so, "peak_live_results"));
    /* A task's output counts before its inputs are released (metrics.c,
     * as a real run holds them): fifo holds all 16 leaves when the first
     * pair's combine ends, 17 with its output. */
    cr_expect_eq(pf, 17, "fifo holds every leaf's result (got %lld)",
                 (long long)pf);
    cr_expect_leq(po, 6, "order holds about one result per level (got %lld)",
                  (long long)po);
    json_decref(sf), json_decref(so);
    dr_run_destroy(fifo), dr_run_destroy(order);
    dr_graph_destroy(g);
}

/* As in a real run, a task is not retried once another task's failure has
 * stopped the run: it is reported failed, not "not run". */
Test(sim, no_retry_after_the_run_stopped, .timeout = 10) {
    const double costs[] = {1, 2};
    dr_graph *g = tasks(2, costs);
    cr_assert_eq(dr_task_set_builtin(g, 0, "fail", NULL), 0);
    cr_assert_eq(dr_task_set_builtin(g, 1, "fail", NULL), 0);
    cr_assert_eq(dr_task_set_retries(g, 1, 3), 0);
    dr_run *run = simulate(g, DR_POLICY_CP, 2);
    cr_expect_eq(dr_run_task_state(run, 0), DR_STATE_FAILED);
    cr_expect_eq(dr_run_task_state(run, 1), DR_STATE_FAILED);
    json_t *s = dr_run_summary_json(run);
    cr_expect_eq(json_array_size(json_object_get(s, "failed")), 2);
    json_decref(s);
    dr_run_destroy(run);
    dr_graph_destroy(g);
}
