/* What the summary (printed and summary.json) and the trace say about a
 * run, checked on real and simulated runs: busy and useful worker time
 * when attempts fail, the parameters a graph was made with, peak live
 * results counted alike by both drivers, the makespan chain in the trace
 * (and the Gantt chart drawn from the trace alone), the critical path of an
 * interrupted run (summary and DAG picture agree), and task ids made safe
 * on the terminal. */
#define _GNU_SOURCE /* memmem */
#include "run_internal.h"
#include "support.h"

#include <dagrun/viz.h>

#include <criterion/criterion.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

static dr_graph *load(const char *text, const dr_param *params,
                      size_t nparams) {
    dr_load_options lo = {0};
    lo.params = params;
    lo.nparams = nparams;
    dr_error err;
    dr_error_clear(&err);
    dr_graph *g = dr_graph_load_buffer(text, strlen(text), "test", &lo, &err);
    cr_assert_not_null(g, "%s", err.text);
    cr_assert_eq(dr_graph_validate(g, &err), 0, "%s", err.text);
    return g;
}

static dr_run *run_graph(dr_graph *g, unsigned workers, int simulate) {
    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = workers;
    o.simulate = simulate;
    o.keep_going = 1;
    dr_error err;
    dr_error_clear(&err);
    dr_run *run = dr_run_graph(g, &o, &err);
    cr_assert_not_null(run, "%s", err.text);
    return run;
}

static double num(const json_t *o, const char *key) {
    json_t *v = json_object_get(o, key);
    cr_assert(json_is_number(v), "no number '%s'", key);
    return json_number_value(v);
}

static char *summary_text(const dr_run *r) {
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    cr_assert_not_null(out);
    dr_run_print_summary(r, out);
    fclose(out);
    return text;
}

/* Sums a per_worker field. */
static double per_worker_sum(const json_t *s, const char *key) {
    double sum = 0;
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(s, "per_worker"), i, w) sum +=
        num(w, key);
    return sum;
}

/* ------------------------------------------ 1. busy and useful time */

Test(summary, utilisation_counts_failed_attempts_as_busy_and_says_the_useful,
     .timeout = 30) {
    /* Two workers: ok takes 1 s and succeeds, bad works 2 s and fails. */
    dr_graph *g = load("{\"tasks\": [{\"id\": \"ok\", \"cost\": 1}, "
                       "{\"id\": \"bad\", \"op\": \"fail\", \"cost\": 2}]}",
                       NULL, 0);
    dr_run *run = run_graph(g, 2, 1);
    json_t *s = dr_run_summary_json(run);
    cr_assert_float_eq(num(s, "makespan"), 2, 1e-12);
    cr_expect_float_eq(num(s, "work"), 1, 1e-12);
    cr_expect_float_eq(num(s, "busy"), 3, 1e-12);
    cr_expect_float_eq(num(s, "utilization"), 0.75, 1e-12, "busy / (P x M)");
    cr_expect_float_eq(num(s, "useful_utilization"), 0.25, 1e-12);
    cr_expect_float_eq(num(s, "busy_failed"), 2, 1e-12);
    /* The figures add up: per-worker busy is the utilisation's busy. */
    cr_expect_float_eq(per_worker_sum(s, "busy"), num(s, "busy"), 1e-12);
    cr_expect_float_eq(per_worker_sum(s, "useful"), num(s, "work"), 1e-12);
    cr_expect_float_eq(num(s, "avg_running") / 2, num(s, "utilization"), 1e-12);
    char *text = summary_text(run);
    cr_expect_not_null(strstr(text, "Utilisation 75%"), "%s", text);
    cr_expect_not_null(strstr(text, "Useful 25%"), "%s", text);
    cr_expect_not_null(strstr(text, "2 s of busy worker time went to "
                                    "attempts that failed"),
                       "%s", text);
    free(text);
    /* The report says the same, from the summary or the trace alone. */
    json_t *trace = dr_run_trace_json(run);
    dr_viz_options vo;
    dr_viz_options_init(&vo);
    for (int with = 0; with < 2; with++) {
        char *html = NULL;
        size_t len;
        cr_assert_eq(dr_viz_report_html(g, trace, with ? s : NULL, &vo, &html,
                                        &len, NULL),
                     0);
        cr_expect_not_null(strstr(html, "75.0 %"), "utilisation (%d)", with);
        cr_expect_not_null(strstr(html, "Useful utilisation"), "(%d)", with);
        cr_expect_not_null(strstr(html, "25.0 %"), "useful (%d)", with);
        free(html);
    }
    json_decref(trace);
    json_decref(s);
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

Test(summary, a_real_failing_command_is_busy_time_and_the_figures_add_up,
     .timeout = 60) {
    /* A command that works 0.2 s and fails, retried once, beside a
     * successful sleep. */
    dr_graph *g =
        load("{\"tasks\": [{\"id\": \"good\", \"op\": \"sleep\", \"args\": "
             "{\"ms\": 100}}, {\"id\": \"bad\", \"retries\": 1, \"shell\": "
             "\"sleep 0.2; exit 3\"}]}",
             NULL, 0);
    char *dir = drt_tmpdir();
    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = 2;
    o.keep_going = 1;
    o.run_dir = dir;
    dr_error err;
    dr_error_clear(&err);
    dr_run *run = dr_run_graph(g, &o, &err);
    cr_assert_not_null(run, "%s", err.text);
    json_t *s = dr_run_summary_json(run);
    double M = num(s, "makespan"), P = 2;
    double failed_time = 0;
    for (size_t i = 0; i < run->nattempts; i++)
        if (run->attempts[i].status != DR__ATTEMPT_OK)
            failed_time += run->attempts[i].end - run->attempts[i].start;
    cr_assert_eq(run->nattempts, 3);
    cr_assert_gt(failed_time, 0);
    cr_expect_float_eq(num(s, "busy_failed"), failed_time, 1e-9);
    cr_expect_float_eq(num(s, "busy"), num(s, "work") + failed_time, 1e-9);
    cr_expect_float_eq(num(s, "utilization") * P * M, num(s, "busy"), 1e-9);
    cr_expect_float_eq(num(s, "useful_utilization") * P * M, num(s, "work"),
                       1e-9);
    cr_expect_float_eq(per_worker_sum(s, "busy"), num(s, "busy"), 1e-9);
    cr_expect_float_eq(per_worker_sum(s, "useful"), num(s, "work"), 1e-9);
    /* idle = makespan - busy on every worker, so idle + busy = P x M. */
    cr_expect_float_eq(per_worker_sum(s, "idle") + num(s, "busy"), P * M, 1e-9);
    json_decref(s);
    dr_run_destroy(run);
    dr_graph_destroy(g);
    drt_rmtree(dir);
    free(dir);
}

/* ------------------------------------------------- 2. parameters */

static const char *params_graph =
    "{\"name\": \"p\", \"params\": {\"n\": 10, \"chunks\": 8, \"step\": "
    "\"n*2\"}, \"tasks\": [{\"id\": \"c-{i}\", \"range\": {\"i\": "
    "\"chunks\"}, \"cost\": 1}]}";

/* Checks `params` and `params_set` of a summary or a trace's otherData. */
static void expect_params(const json_t *o, const char *what) {
    json_t *p = json_object_get(o, "params");
    cr_assert(json_is_object(p), "%s: no params", what);
    cr_expect_eq(json_integer_value(json_object_get(p, "chunks")), 4, "%s",
                 what);
    cr_expect_eq(json_integer_value(json_object_get(p, "n")), 10, "%s", what);
    cr_expect_eq(json_integer_value(json_object_get(p, "step")), 20, "%s",
                 what);
    json_t *set = json_object_get(o, "params_set");
    cr_assert(json_is_array(set), "%s: no params_set", what);
    cr_expect_eq(json_array_size(set), 1, "%s", what);
    cr_expect_str_eq(json_string_value(json_array_get(set, 0)), "chunks", "%s",
                     what);
}

Test(summary, parameters_as_used_are_in_the_summary_and_the_trace,
     .timeout = 30) {
    char text[] = "chunks=4";
    dr_param p;
    cr_assert_eq(dr_param_parse(text, &p, NULL), 0);
    dr_graph *g = load(params_graph, &p, 1);
    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = 2;
    o.simulate = 1;
    const char *set[] = {"chunks", "no-such-parameter"};
    o.params_set = set;
    o.nparams_set = 2;
    dr_run *run = dr_run_graph(g, &o, NULL);
    cr_assert_not_null(run);
    json_t *s = dr_run_summary_json(run);
    expect_params(s, "summary");
    json_decref(s);
    json_t *t = dr_run_trace_json(run);
    expect_params(json_object_get(t, "otherData"), "trace tree");
    json_decref(t);
    size_t len;
    char *tt = dr__run_trace_text(run, &len);
    json_t *tj = json_loads(tt, 0, NULL);
    cr_assert_not_null(tj);
    expect_params(json_object_get(tj, "otherData"), "trace text");
    json_decref(tj);
    free(tt);
    /* The report's header, from the summary or from the trace alone. */
    json_t *tree = dr_run_trace_json(run), *sj = dr_run_summary_json(run);
    dr_viz_options vo;
    dr_viz_options_init(&vo);
    for (int with = 0; with < 2; with++) {
        char *html = NULL;
        size_t hlen;
        cr_assert_eq(dr_viz_report_html(g, tree, with ? sj : NULL, &vo, &html,
                                        &hlen, NULL),
                     0);
        char *head = strstr(html, "<header>");
        char *head_end = strstr(html, "</header>");
        cr_assert(head != NULL && head_end != NULL);
        *head_end = '\0';
        cr_expect_not_null(strstr(head, "Parameters: "), "%s", head);
        cr_expect_not_null(strstr(head, "chunks=4 (--set)"), "%s", head);
        cr_expect_not_null(strstr(head, "n=10,"), "%s", head);
        free(html);
    }
    json_decref(tree), json_decref(sj);
    char *sum = summary_text(run);
    cr_expect_not_null(strstr(sum, "Parameters: "), "%s", sum);
    cr_expect_not_null(strstr(sum, "chunks=4 (--set)"), "%s", sum);
    cr_expect_not_null(strstr(sum, "n=10,"), "%s", sum);
    cr_expect_not_null(strstr(sum, "step=20"), "%s", sum);
    free(sum);
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

Test(summary, run_set_records_the_parameters_in_the_files, .timeout = 60) {
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/p.json", dir);
    cr_assert_eq(drt_write_file(path, params_graph), 0);
    char *outdir = drt_fmt("%s/out", dir);
    cr_assert_eq(mkdir(outdir, 0777), 0);
    free(outdir);
    char *out = NULL;
    int rc = drt_cli(&out, NULL,
                     "run '%s' --simulate --set chunks=4 -w 3 --no-outputs "
                     "--json '%s/out/summary.json' --trace '%s/out/trace.json'",
                     path, dir, dir);
    cr_assert_eq(rc, 0, "%s", out);
    cr_expect_not_null(strstr(out, "chunks=4 (--set)"), "%s", out);
    cr_expect_not_null(strstr(out, "workers=3"), "%s", out);
    char *sp = drt_fmt("%s/out/summary.json", dir);
    char *tp = drt_fmt("%s/out/trace.json", dir);
    json_t *s = json_load_file(sp, 0, NULL), *t = json_load_file(tp, 0, NULL);
    cr_assert_not_null(s);
    cr_assert_not_null(t);
    expect_params(s, "summary.json");
    expect_params(json_object_get(t, "otherData"), "trace.json");
    /* `workers` follows -w; it was not given with --set. */
    cr_expect_eq(json_integer_value(
                     json_object_get(json_object_get(s, "params"), "workers")),
                 3);
    json_decref(s), json_decref(t);
    free(sp), free(tp), free(out), free(path);
    drt_rmtree(dir);
    free(dir);
}

/* ------------------------------------------- 3. peak live results */

Test(summary, peak_live_results_agree_between_real_and_simulated_runs,
     .timeout = 60) {
    /* src -> m-0..m-2 -> red, all noop (JSON null results), one worker:
     * after m-2, src and the three m are held (4); red's end adds red
     * before its inputs go: 4 again. */
    dr_graph *g = load(
        "{\"tasks\": [{\"id\": \"src\"}, {\"id\": \"m-{i}\", \"range\": "
        "{\"i\": \"3\"}, \"deps\": [\"src\"]}, {\"id\": \"red\", \"deps\": "
        "[{\"all\": \"m-{i}\"}]}]}",
        NULL, 0);
    dr_run *real = run_graph(g, 1, 0), *sim = run_graph(g, 1, 1);
    json_t *sr = dr_run_summary_json(real), *ss = dr_run_summary_json(sim);
    json_int_t pr =
        json_integer_value(json_object_get(sr, "peak_live_results"));
    json_int_t ps =
        json_integer_value(json_object_get(ss, "peak_live_results"));
    cr_expect_eq(pr, ps, "real %lld, simulated %lld", (long long)pr,
                 (long long)ps);
    cr_expect_eq(pr, 4);
    json_decref(sr), json_decref(ss);
    dr_run_destroy(real), dr_run_destroy(sim);
    dr_graph_destroy(g);
}

Test(summary, peak_live_results_agree_when_a_task_fails, .timeout = 60) {
    /* a feeds b (fails) and c; with --keep-going, b's failure is b's use of
     * a's result in both drivers, and d (after b) is skipped. */
    dr_graph *g = load(
        "{\"tasks\": [{\"id\": \"a\", \"op\": \"pi\", \"args\": "
        "{\"samples\": 100, \"seed\": 1}}, {\"id\": \"b\", \"op\": \"fail\", "
        "\"deps\": [\"a\"]}, {\"id\": \"c\", \"deps\": [\"a\"]}, "
        "{\"id\": \"d\", \"deps\": [\"b\", \"c\"]}]}",
        NULL, 0);
    dr_run *real = run_graph(g, 1, 0), *sim = run_graph(g, 1, 1);
    json_t *sr = dr_run_summary_json(real), *ss = dr_run_summary_json(sim);
    cr_expect_eq(json_integer_value(json_object_get(sr, "peak_live_results")),
                 json_integer_value(json_object_get(ss, "peak_live_results")));
    cr_expect_eq(json_integer_value(json_object_get(sr, "peak_live_results")),
                 2, "a and c, held for d until d is skipped");
    json_decref(sr), json_decref(ss);
    dr_run_destroy(real), dr_run_destroy(sim);
    dr_graph_destroy(g);
}

/* -------------------------------- 4. the makespan chain in the trace */

/* pi-like: 4 maps of 1 s and one of 1.5 s, on 2 workers, then reduce. */
static const char *chain_graph =
    "{\"name\": \"ch\", \"tasks\": [{\"id\": \"map-{i}\", \"range\": {\"i\": "
    "\"4\"}, \"cost\": 1}, {\"id\": \"slow\", \"cost\": 1.5}, {\"id\": "
    "\"reduce\", \"cost\": 0.1, \"deps\": [\"slow\", {\"all\": "
    "\"map-{i}\"}]}]}";

Test(summary, the_trace_holds_the_makespan_chain_of_the_summary,
     .timeout = 30) {
    dr_graph *g = load(chain_graph, NULL, 0);
    dr_run *run = run_graph(g, 2, 1);
    json_t *s = dr_run_summary_json(run), *t = dr_run_trace_json(run);
    json_t *sc = json_object_get(s, "makespan_chain");
    json_t *tc =
        json_object_get(json_object_get(t, "otherData"), "makespan_chain");
    cr_assert_gt(json_array_size(sc), 1);
    cr_expect(json_equal(sc, tc), "trace and summary chains differ");
    json_decref(s), json_decref(t);
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

static size_t count(const char *hay, const char *needle) {
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

Test(summary, gantt_from_the_trace_alone_outlines_the_chain, .timeout = 60) {
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/ch.json", dir);
    cr_assert_eq(drt_write_file(path, chain_graph), 0);
    char *out = NULL;
    int rc = drt_cli(&out, NULL, "run '%s' --simulate -w 2 -o '%s/out' -q",
                     path, dir);
    cr_assert_eq(rc, 0, "%s", out);
    free(out);
    rc = drt_cli(&out, NULL, "gantt '%s/out/trace.json' -o '%s/alone.svg'", dir,
                 dir);
    cr_assert_eq(rc, 0, "%s", out);
    free(out);
    rc = drt_cli(&out, NULL,
                 "gantt '%s/out/trace.json' -s '%s/out/summary.json' -o "
                 "'%s/with.svg'",
                 dir, dir, dir);
    cr_assert_eq(rc, 0, "%s", out);
    char *alone = drt_text_in(dir, "alone.svg");
    char *with = drt_text_in(dir, "with.svg");
    char *sp = drt_fmt("%s/out/summary.json", dir);
    json_t *s = json_load_file(sp, 0, NULL);
    free(sp);
    size_t steps = json_array_size(json_object_get(s, "makespan_chain"));
    cr_assert_gt(steps, 1);
    cr_expect_not_null(strstr(alone, "chain that set the makespan"), "%s",
                       alone);
    cr_expect_not_null(strstr(alone, "class=\"chain-links\""));
    /* The same bars outlined as with the summary. */
    cr_expect_eq(count(alone, " chain\""), count(with, " chain\""));
    cr_expect_gt(count(alone, " chain\""), 0);
    json_decref(s);
    free(alone), free(with), free(out), free(path);
    drt_rmtree(dir);
    free(dir);
}

Test(summary, a_malformed_chain_in_a_trace_is_refused, .timeout = 30) {
    char *dir = drt_tmpdir();
    char *tp = drt_fmt("%s/t.json", dir);
    cr_assert_eq(drt_write_file(
                     tp, "{\"otherData\": {\"workers\": 1, \"makespan_chain\": "
                         "[{\"task\": \"a\", \"worker\": 0, \"start\": 2, "
                         "\"end\": 1, \"via\": \"start\"}]}, \"traceEvents\": "
                         "[{\"name\": \"a\", \"ph\": \"X\", \"ts\": 0, "
                         "\"dur\": 5, \"tid\": 0}]}"),
                 0);
    char *err = NULL;
    int rc = drt_cli(NULL, &err, "gantt '%s/t.json' -o '%s/g.svg'", dir, dir);
    cr_expect_eq(rc, 2, "%s", err);
    cr_expect_not_null(strstr(err, "otherData.makespan_chain[0]"), "%s", err);
    free(err), free(tp);
    drt_rmtree(dir);
    free(dir);
}

/* ------------------------- 5. the critical path of an interrupted run */

/* Runs `graph` for real in dir on 2 workers, waits until every file of
 * `marks` exists (the long tasks have started), sends SIGINT and returns
 * the printed output. */
static char *interrupt_run(const char *dir, const char *graph,
                           const char *const *marks, size_t nmarks) {
    char *path = drt_fmt("%s/g.json", dir);
    cr_assert_eq(drt_write_file(path, graph), 0);
    char *argv[] = {"dagrun", "run", path, "-w", "2", "-o", "out", NULL};
    pid_t pid = drt_start_cli(dir, argv, NULL, "stdout.txt", "stderr.txt");
    for (size_t i = 0; i < nmarks; i++) {
        char *m = drt_fmt("%s/%s", dir, marks[i]);
        cr_assert(drt_wait_for_path(m, 60), "%s never started", marks[i]);
        free(m);
    }
    kill(pid, SIGINT);
    int status;
    cr_assert_eq(drt_reap(pid, 60, &status), 0);
    cr_expect_eq(drt_exit_code(status), 130);
    free(path);
    return drt_text_in(dir, "stdout.txt");
}

/* The DAG picture's tasks marked "on the critical path" (dag.dot's
 * tooltips), as "a,b,". */
static char *dag_cp(const char *dir) {
    char *dot = drt_text_in(dir, "out/dag.dot");
    cr_assert(dot[0], "no dag.dot");
    /* Graphviz continues long strings on the next line after a '\'. */
    char *w = dot;
    for (const char *r = dot; *r; r++) {
        if (r[0] == '\\' && r[1] == '\n')
            r++;
        else
            *w++ = *r;
    }
    *w = '\0';
    char *list = calloc(1, strlen(dot) + 1);
    for (char *p = dot; (p = strstr(p, "tooltip=\"")) != NULL;) {
        p += 9;
        char *end = strchr(p, '"');
        size_t klen = strcspn(p, "\\\"");
        if (end != NULL &&
            memmem(p, (size_t)(end - p), "on the critical path", 20) != NULL) {
            strncat(list, p, klen);
            strcat(list, ",");
        }
    }
    free(dot);
    return list;
}

Test(summary, an_interrupted_run_has_one_critical_path_everywhere,
     .timeout = 180) {
    /* a finishes; b (after a) and c are running when SIGINT comes. */
    char *dir = drt_tmpdir();
    const char *marks[] = {"b.on", "c.on"};
    char *text = interrupt_run(
        dir,
        "{\"name\": \"i\", \"tasks\": [{\"id\": \"a\", \"op\": \"sleep\", "
        "\"args\": {\"ms\": 50}}, {\"id\": \"b\", \"deps\": [\"a\"], "
        "\"shell\": \"touch b.on; sleep 60\"}, {\"id\": \"c\", \"shell\": "
        "\"touch c.on; sleep 60\"}]}",
        marks, 2);
    cr_expect_not_null(strstr(text, "Critical path of the graph (1 task, "
                                    "dependencies only, over the tasks that "
                                    "finished): a\n"),
                       "%s", text);
    char *sp = drt_fmt("%s/out/summary.json", dir);
    json_t *s = json_load_file(sp, 0, NULL);
    cr_assert_not_null(s);
    json_t *path = json_object_get(s, "critical_path");
    cr_expect_eq(json_array_size(path), 1);
    cr_expect_str_eq(json_string_value(json_array_get(path, 0)), "a");
    char *cp = dag_cp(dir);
    cr_expect_str_eq(cp, "a,", "the DAG marks %s", cp);
    json_decref(s);
    free(cp), free(sp), free(text);
    drt_rmtree(dir);
    free(dir);
}

Test(summary, an_interrupted_run_where_nothing_finished_has_no_critical_path,
     .timeout = 180) {
    char *dir = drt_tmpdir();
    const char *marks[] = {"x.on", "y.on"};
    char *text = interrupt_run(
        dir,
        "{\"name\": \"n\", \"tasks\": [{\"id\": \"x\", \"shell\": \"touch "
        "x.on; sleep 60\"}, {\"id\": \"y\", \"shell\": \"touch y.on; sleep "
        "60\"}, {\"id\": \"z\", \"deps\": [\"x\", \"y\"]}]}",
        marks, 2);
    cr_expect_not_null(strstr(text, "no critical path"), "%s", text);
    char *sp = drt_fmt("%s/out/summary.json", dir);
    json_t *s = json_load_file(sp, 0, NULL);
    cr_assert_not_null(s);
    cr_expect_eq(json_array_size(json_object_get(s, "critical_path")), 0);
    char *cp = dag_cp(dir);
    cr_expect_str_eq(cp, "", "the DAG marks %s", cp);
    char *dot = drt_text_in(dir, "out/dag.dot");
    cr_expect_not_null(strstr(dot, "no critical path"), "legend: %s", dot);
    json_decref(s);
    free(dot), free(cp), free(sp), free(text);
    drt_rmtree(dir);
    free(dir);
}

/* ------------------------------------- 6. ids safe on the terminal */

Test(summary, task_ids_reach_the_terminal_escaped_and_the_files_exact,
     .timeout = 60) {
    /* Ids with ESC sequences, a newline and a BEL: one succeeds, one fails
     * (after it), one is skipped; the graph name has an ESC too. */
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/e.json", dir);
    cr_assert_eq(
        drt_write_file(
            path, "{\"name\": \"n\\u001b[1m\", \"tasks\": [{\"id\": "
                  "\"a\\u001b[31mX\\nb\", \"op\": \"sleep\", \"args\": "
                  "{\"ms\": 20}}, {\"id\": \"f\\u001b]0;t\\u0007\", \"deps\": "
                  "[\"a\\u001b[31mX\\nb\"], \"op\": \"fail\"}, {\"id\": "
                  "\"s\\u001b[2J\", \"deps\": [\"f\\u001b]0;t\\u0007\"]}]}"),
        0);
    char *out = NULL, *err = NULL;
    int rc = drt_cli(&out, &err, "run '%s' -w 2 -o '%s/out' --keep-going", path,
                     dir);
    cr_expect_eq(rc, 1, "%s%s", out, err);
    cr_expect_null(strchr(out, '\x1b'), "an ESC reached stdout:\n%s", out);
    cr_expect_null(strchr(out, '\a'), "a BEL reached stdout");
    cr_expect_null(strchr(err, '\x1b'), "an ESC reached stderr:\n%s", err);
    /* The critical path, the chain, the failure and the skipped list. */
    cr_expect_not_null(strstr(out, "dependencies only): a\\x1b[31mX\\x0ab\n"),
                       "%s", out);
    cr_expect_not_null(strstr(out, "a\\x1b[31mX\\x0ab -> f\\x1b]0;t\\x07"),
                       "%s", out);
    cr_expect_not_null(strstr(out, "  f\\x1b]0;t\\x07: "), "%s", out);
    cr_expect_not_null(strstr(out, "    s\\x1b[2J\n"), "%s", out);
    cr_expect_not_null(strstr(out, "Real run of 'n\\x1b[1m'"), "%s", out);
    /* Files keep the ids exact. */
    char *sp = drt_fmt("%s/out/summary.json", dir);
    json_t *s = json_load_file(sp, 0, NULL);
    cr_assert_not_null(s);
    cr_expect_str_eq(json_string_value(json_array_get(
                         json_object_get(s, "critical_path"), 0)),
                     "a\x1b[31mX\nb");
    cr_expect_str_eq(
        json_string_value(json_array_get(json_object_get(s, "skipped"), 0)),
        "s\x1b[2J");
    json_decref(s);
    free(out), free(err);
    /* -q prints the failure line on stderr, escaped too. */
    rc =
        drt_cli(&out, &err, "run '%s' -w 2 -q --no-outputs --keep-going", path);
    cr_expect_eq(rc, 1);
    cr_expect_null(strchr(err, '\x1b'), "%s", err);
    cr_expect_null(strchr(out, '\x1b'), "%s", out);
    free(out), free(err), free(sp), free(path);
    drt_rmtree(dir);
    free(dir);
}

/* ------------------------------------------- cached tasks, for real */

/* Counts occurrences of `needle` in a file; -1 when it cannot be read. */
static long count_in(const char *dir, const char *name, const char *needle) {
    char *path = drt_fmt("%s/%s", dir, name);
    char *text = drt_read_file(path, NULL);
    free(path);
    if (text == NULL)
        return -1;
    long n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
        n++;
    free(text);
    return n;
}

Test(summary, a_resumed_run_shows_its_cached_tasks_in_every_output,
     .timeout = 120) {
    /* a -> b -> c; the second run changes c's argument: a and b are
     * cached, c runs.  The third reruns nothing. */
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/g.json", dir);
    const char *graph = "{\"name\": \"abc\", \"tasks\": [{\"id\": \"a\", "
                        "\"op\": \"noop\"}, {\"id\": \"b\", \"op\": \"noop\", "
                        "\"deps\": [\"a\"]}, {\"id\": \"c\", \"op\": "
                        "\"sleep\", \"args\": {\"ms\": %d}, \"deps\": "
                        "[\"b\"]}]}";
    char *text = drt_fmt(graph, 1);
    cr_assert_eq(drt_write_file(path, text), 0);
    free(text);
    char *out = NULL;
    cr_assert_eq(drt_cli(&out, NULL, "run '%s' -w 2 -o '%s/out'", path, dir), 0,
                 "%s", out);
    free(out);
    text = drt_fmt(graph, 2);
    cr_assert_eq(drt_write_file(path, text), 0);
    free(text);
    out = NULL;
    cr_assert_eq(
        drt_cli(&out, NULL, "run '%s' -w 2 -o '%s/out' --resume", path, dir), 0,
        "%s", out);
    cr_expect_not_null(strstr(out, "  2 tasks cached: not run, their recorded "
                                   "results reused (--resume)\n    a, b\n"),
                       "%s", out);
    cr_expect_not_null(strstr(out, "Tasks: 1 succeeded"), "%s", out);
    free(out);
    char *o = drt_fmt("%s/out", dir);
    char *sp = drt_fmt("%s/summary.json", o);
    json_t *s = json_load_file(sp, 0, NULL);
    cr_assert_not_null(s);
    cr_expect_eq(json_integer_value(json_object_get(s, "cached_tasks")), 2);
    cr_expect_eq(json_integer_value(json_object_get(s, "succeeded")), 1);
    json_decref(s);
    cr_expect_eq(count_in(o, "trace.json", "\"status\":\"cached\""), 2);
    cr_expect_eq(count_in(o, "trace.json", "\"cached_tasks\":2"), 1);
    cr_expect_eq(count_in(o, "gantt.svg", ">2 tasks cached: not run"), 1);
    cr_expect_eq(count_in(o, "dag.dot", "shape=note"), 2);
    cr_expect_eq(count_in(o, "report.html", ">1 succeeded, 2 cached<"), 1);
    /* Nothing changed: nothing runs, and every output says so. */
    out = NULL;
    cr_assert_eq(
        drt_cli(&out, NULL, "run '%s' -w 2 -o '%s/out' --resume", path, dir), 0,
        "%s", out);
    cr_expect_not_null(strstr(out, "3 tasks cached"), "%s", out);
    cr_expect_not_null(strstr(out, "Nothing ran (makespan 0 s)"), "%s", out);
    free(out);
    cr_expect_eq(count_in(o, "gantt.svg",
                          ">Nothing ran: every task was "
                          "cached"),
                 1);
    cr_expect_eq(count_in(o, "report.html", "<p>Nothing ran: all 3 tasks"), 1);
    cr_expect_eq(count_in(o, "dag.dot", "shape=note"), 3);
    free(sp), free(o), free(path);
    drt_rmtree(dir);
    free(dir);
}
