/* The readers of run files behind `gantt`, `viz --trace/--summary/--report`
 * and `run --costs`: hostile traces and summaries (issue 9) give a clear
 * error naming the file, the event and the task, or draw sanely — never a
 * hang, a crash or a giant output. */
#include "dagrun/viz.h"
#include "support.h"
#include "viz_internal.h"

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* A trace of one complete event whose fields are the JSON text `fields`
 * (e.g. "\"ts\": 0, \"dur\": 1"), after "ph" and the task name. */
static json_t *one_event(const char *fields, const char *other) {
    char *text = drt_fmt("{%s%s \"traceEvents\": [{\"name\": \"a\", \"ph\": "
                         "\"X\", %s, \"args\": {\"task\": \"a\"}}]}",
                         other ? other : "", other ? "," : "", fields);
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    cr_assert_not_null(j, "%s: %s", text, je.text);
    free(text);
    return j;
}

/* dr_viz_gantt_svg's result: 0 and the SVG, or the error text. */
static int gantt_of(const json_t *trace, const json_t *summary, int max_workers,
                    char **svg, size_t *len, dr_error *err) {
    dr_gantt_options o;
    dr_gantt_options_init(&o);
    o.max_workers = max_workers;
    dr_error_clear(err);
    *svg = NULL;
    return dr_viz_gantt_svg(trace, summary, &o, svg, len, err);
}

static void expect_refused(const char *fields, const char *other,
                           const char *words) {
    json_t *t = one_event(fields, other);
    char *svg;
    size_t len;
    dr_error err;
    cr_expect_eq(gantt_of(t, NULL, 0, &svg, &len, &err), DR_EINVAL,
                 "accepted: %s", fields);
    cr_expect_null(svg);
    cr_expect(strstr(err.text, words) != NULL, "%s: '%s' not in: %s", fields,
              words, err.text);
    if (other == NULL)
        cr_expect(strstr(err.text, "task 'a': traceEvents[0]") != NULL,
                  "the message names the task and the event: %s", err.text);
    free(svg);
    json_decref(t);
}

/* Issue 9 item 2: ts + dur infinite made axis_draw's step NaN and the loop
 * never ended (11 GB in 60 s); now it is an error. */
Test(viz_trace, infinite_end_is_an_error_not_a_hang, .timeout = 30) {
    expect_refused("\"tid\": 0, \"ts\": 1.7e308, \"dur\": 1.7e308", NULL,
                   "is not a finite time");
}

/* Issue 9 item 4: "tid": 9999999 asked for ten million rows (3.4 GB). */
Test(viz_trace, worker_beyond_the_limit_names_it_and_how_to_raise_it,
     .timeout = 30) {
    expect_refused("\"tid\": 9999999, \"ts\": 0, \"dur\": 1", NULL,
                   "a limit of 100000 workers");
    expect_refused("\"tid\": 9999999, \"ts\": 0, \"dur\": 1", NULL,
                   "--max-workers");
    expect_refused("\"ts\": 0, \"dur\": 1", "\"otherData\": {\"workers\": 1e9}",
                   "otherData.workers is 1000000000");
    expect_refused("\"ts\": 0, \"dur\": 1", "\"otherData\": {\"workers\": 0}",
                   "from 1 to 100000");
}

Test(viz_trace, raised_worker_limit_draws_bands_of_workers, .timeout = 60) {
    json_t *t = one_event("\"tid\": 9999999, \"ts\": 0, \"dur\": 1", NULL);
    char *svg;
    size_t len;
    dr_error err;
    cr_assert_eq(gantt_of(t, NULL, 10000000, &svg, &len, &err), 0, "%s",
                 err.text);
    cr_log_info("a 1-event trace on 10,000,000 workers: %zu bytes", len);
    /* One row per band of 20,000 workers: a few hundred kB, not 3.4 GB. */
    cr_expect_lt(len, 1024 * 1024, "%zu bytes", len);
    cr_expect(strstr(svg, ">workers 0\xE2\x80\x93"
                          "19999</text>") != NULL);
    cr_expect(strstr(svg, "<title>a\nworker 9999999\n") != NULL);
    cr_expect(strstr(svg, "(20000 a row)") != NULL);
    free(svg);
    json_decref(t);
}

Test(viz_trace, bad_times_and_workers_are_errors_naming_the_event) {
    expect_refused("\"tid\": 0, \"dur\": 1", NULL, "\"ts\" is missing");
    expect_refused("\"tid\": 0, \"ts\": \"0\", \"dur\": 1", NULL,
                   "\"ts\" is not a number");
    expect_refused("\"tid\": 0, \"ts\": 0", NULL, "\"dur\" is missing");
    expect_refused("\"tid\": 0, \"ts\": 0, \"dur\": -5", NULL,
                   "\"dur\" is -5: a duration cannot be negative");
    expect_refused("\"tid\": 0, \"ts\": -1, \"dur\": 5", NULL, "\"ts\" is -1");
    expect_refused("\"tid\": 1.5, \"ts\": 0, \"dur\": 5", NULL,
                   "\"tid\" is 1.5");
    expect_refused("\"tid\": \"w\", \"ts\": 0, \"dur\": 5", NULL,
                   "\"tid\" is not a number");
    expect_refused("\"tid\": 0, \"ts\": 0, \"dur\": 1",
                   "\"otherData\": {\"makespan_us\": -3}",
                   "otherData.makespan_us");
}

static size_t longest_tick_label(const char *svg) {
    size_t longest = 0;
    const char *p = svg;
    while ((p = strstr(p, "text-anchor=\"middle\" font-size=\"11\" "
                          "fill=\"#4A5560\">")) != NULL) {
        p = strchr(p, '>') + 1;
        size_t n = strcspn(p, "<");
        if (n > longest)
            longest = n;
    }
    return longest;
}

/* Issue 9 item 1's trace (times of 1e300 µs) is finite: it draws, with
 * short tick labels and a small file. */
Test(viz_trace, absurd_but_finite_times_draw_sanely, .timeout = 30) {
    json_t *t = one_event("\"tid\": 0, \"ts\": 1e300, \"dur\": 1e300", NULL);
    char *svg;
    size_t len;
    dr_error err;
    cr_assert_eq(gantt_of(t, NULL, 0, &svg, &len, &err), 0, "%s", err.text);
    cr_expect_lt(len, 64 * 1024);
    cr_expect_leq(longest_tick_label(svg), 10,
                  "a tick label is a 300-digit "
                  "number");
    cr_expect(strstr(svg, ">2e+293</text>") != NULL ||
                  strstr(svg, "e+29") != NULL,
              "ticks in powers of ten");
    free(svg);
    json_decref(t);
    /* And a span below a nanosecond (denormal steps) ends too. */
    t = one_event("\"tid\": 0, \"ts\": 0, \"dur\": 5e-324", NULL);
    cr_assert_eq(gantt_of(t, NULL, 0, &svg, &len, &err), 0, "%s", err.text);
    cr_expect_lt(len, 64 * 1024);
    free(svg);
    json_decref(t);
}

/* Decorations fall back: an absurd attempt number (a cast to int of 1e300
 * is undefined behaviour, which UBSan reports) and a ready time after the
 * start (a negative wait). */
Test(viz_trace, decorations_out_of_range_fall_back) {
    json_t *t = json_loads(
        "{\"otherData\": {\"cores\": 1e300}, \"traceEvents\": [{\"name\": "
        "\"a\", \"ph\": \"X\", \"tid\": 0, \"ts\": 10, \"dur\": 5, \"args\": "
        "{\"task\": \"a\", \"attempt\": 1e300, \"ready\": 99}}]}",
        0, NULL);
    cr_assert_not_null(t);
    char *svg;
    size_t len;
    dr_error err;
    cr_assert_eq(gantt_of(t, NULL, 0, &svg, &len, &err), 0, "%s", err.text);
    cr_expect(strstr(svg, "wait 0\n") != NULL, "a negative wait is shown");
    cr_expect(strstr(svg, "(attempt 1000000000)") != NULL);
    free(svg);
    char *html = NULL;
    cr_assert_eq(dr_viz_report_html(NULL, t, NULL, NULL, &html, NULL, &err), 0,
                 "%s", err.text);
    free(html);
    json_decref(t);
}

/* Issue 9 item 5 (the pictures' part): figures that overflow when the
 * report divides or multiplies them never print as inf or nan. */
Test(viz_trace, report_of_absurd_summary_figures_shows_no_inf_or_nan) {
    json_t *t = one_event("\"tid\": 0, \"ts\": 0, \"dur\": 1e6", NULL);
    const char *summaries[] = {
        "{\"workers\": 1, \"work\": 1.7e308, \"makespan\": 1e-300, "
        "\"span\": 1e-300, \"lower_bound\": 1e-300, \"utilization\": 1e308, "
        "\"max_running\": 1e300, \"avg_running\": 1e300}",
        "{\"workers\": 0, \"cores\": -1, \"work\": -5, \"makespan\": \"x\", "
        "\"tasks\": 1e300, \"peak_live_results\": 1e300}",
        "{\"workers\": 1e9, \"work\": 1e308, \"makespan\": 1e308}"};
    for (size_t i = 0; i < sizeof(summaries) / sizeof(*summaries); i++) {
        json_t *s = json_loads(summaries[i], 0, NULL);
        cr_assert_not_null(s);
        char *html = NULL;
        dr_error err;
        dr_error_clear(&err);
        cr_assert_eq(dr_viz_report_html(NULL, t, s, NULL, &html, NULL, &err), 0,
                     "%s", err.text);
        const char *bad[] = {"inf", "nan", "NaN", "Inf"};
        for (size_t k = 0; k < 4; k++)
            cr_expect(strstr(html, bad[k]) == NULL, "summary %zu shows '%s'", i,
                      bad[k]);
        cr_expect(strstr(html, "on 0 workers") == NULL);
        free(html);
        json_decref(s);
    }
    json_decref(t);
}

Test(viz_trace, summary_check_names_the_bad_key) {
    const char *cases[][2] = {
        {"{\"workers\": 0}", "\"workers\" is 0: expected a number from 1 to "
                             "100000"},
        {"{\"work\": \"x\"}", "\"work\" is not a number"},
        {"{\"makespan\": -1}", "\"makespan\" is -1: expected a number from 0 "
                               "up"},
        {"{\"critical_path\": [1]}", "\"critical_path\"[0] is not a task id"},
        {"{\"not_run\": \"a\"}", "\"not_run\" is not a list"},
        {"{\"makespan_chain\": [{\"task\": \"a\", \"worker\": 0, \"start\": "
         "2, \"end\": 1}]}",
         "\"makespan_chain\"[0]: \"start\" and \"end\""},
        {"{\"failures\": [3]}", "\"failures\"[0] is not an object"},
        {"{\"cached_tasks\": -1}", "\"cached_tasks\" is -1"},
        {"{\"cached\": [\"a\", 2]}", "\"cached\"[1] is not a task id"},
        {"[]", "not a summary"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        json_t *s = json_loads(cases[i][0], 0, NULL);
        cr_assert_not_null(s, "%s", cases[i][0]);
        dr_error err;
        dr_error_clear(&err);
        cr_expect_eq(dr__vsummary_check(s, "s.json", &err), DR_EINVAL, "%s",
                     cases[i][0]);
        cr_expect(strstr(err.text, cases[i][1]) != NULL, "%s -> %s",
                  cases[i][0], err.text);
        cr_expect(strncmp(err.text, "s.json: ", 8) == 0, "%s", err.text);
        json_decref(s);
    }
    json_t *ok = json_loads("{\"workers\": 3, \"parallelism\": null}", 0, NULL);
    cr_expect_eq(dr__vsummary_check(ok, "s.json", NULL), 0);
    json_decref(ok);
}

/* ------------------------------------------------------- command line */

static char *write_in(const char *dir, const char *name, const char *text) {
    char *path = drt_fmt("%s/%s", dir, name);
    cr_assert_eq(drt_write_file(path, text), 0);
    return path;
}

Test(viz_trace_cli, gantt_and_viz_name_the_file_event_and_task, .timeout = 60) {
    char *dir = drt_tmpdir();
    char *trace = write_in(dir, "hostile.json",
                           "{\"traceEvents\": [{\"ph\": \"M\"}, {\"name\": "
                           "\"x\", \"ph\": \"X\", \"tid\": 0, \"ts\": "
                           "1.7e308, \"dur\": 1.7e308, \"args\": {\"task\": "
                           "\"map-3\"}}]}");
    char *err = NULL;
    cr_expect_eq(drt_cli(NULL, &err, "gantt '%s' -o '%s/g.svg'", trace, dir),
                 2);
    char *want =
        drt_fmt("dagrun gantt: %s: task 'map-3': traceEvents[1]: ", trace);
    cr_expect(strstr(err, want) != NULL, "%s", err);
    free(err);
    err = NULL;
    cr_expect_eq(drt_cli(NULL, &err,
                         "viz %s/viz/lecture.json --trace '%s' --report "
                         "'%s/r.html'",
                         DR_TEST_DATA, trace, dir),
                 2);
    free(want);
    want = drt_fmt("dagrun viz: %s: task 'map-3': traceEvents[1]: ", trace);
    cr_expect(strstr(err, want) != NULL, "%s", err);
    free(err);
    free(want);
    char *summary = write_in(dir, "s.json", "{\"workers\": 0}");
    err = NULL;
    cr_expect_eq(drt_cli(NULL, &err,
                         "gantt %s/viz/lecture-trace.json -s '%s' "
                         "-o '%s/g.svg'",
                         DR_TEST_DATA, summary, dir),
                 2);
    cr_expect(strstr(err, "s.json: \"workers\" is 0") != NULL, "%s", err);
    free(err);
    /* --max-workers raises the limit and is checked like every count. */
    char *wide = write_in(dir, "wide.json",
                          "{\"traceEvents\": [{\"name\": \"a\", \"ph\": \"X\", "
                          "\"tid\": 9999999, \"ts\": 0, \"dur\": 1}]}");
    err = NULL;
    cr_expect_eq(drt_cli(NULL, &err, "gantt '%s' -o '%s/w.svg'", wide, dir), 2);
    cr_expect(strstr(err, "--max-workers") != NULL, "%s", err);
    free(err);
    err = NULL;
    cr_expect_eq(drt_cli(NULL, &err,
                         "gantt '%s' --max-workers 10000000 -o '%s/w.svg'",
                         wide, dir),
                 0, "%s", err);
    free(err);
    err = NULL;
    cr_expect_eq(drt_cli(NULL, &err, "gantt '%s' --max-workers 0 -o '%s/w.svg'",
                         wide, dir),
                 2);
    free(err);
    drt_rmtree(dir);
    free(dir), free(trace), free(summary), free(wide);
}

/* Issue 9 item 4: the readers cap the size of what they read, a regular
 * file before reading it, a pipe while reading it. */
Test(viz_trace_cli, trace_files_are_capped_with_a_message_to_raise_it,
     .timeout = 120) {
    char *dir = drt_tmpdir();
    /* A 2 MB trace: whitespace after a valid document. */
    char *path = drt_fmt("%s/big.json", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("{\"traceEvents\": []}", f);
    for (int i = 0; i < 2 * 1024; i++)
        fprintf(f, "%1024s", "");
    fclose(f);
    char *err = NULL;
    cr_expect_eq(drt_cli(NULL, &err, "gantt '%s' -o '%s/g.svg'", path, dir), 0,
                 "%s", err);
    free(err);
    /* Each Criterion test runs in its own process: setenv stays here. */
    setenv("DAGRUN_MAX_TRACE_BYTES", "1M", 1);
    err = NULL;
    cr_expect_eq(drt_cli(NULL, &err, "gantt '%s' -o '%s/g.svg'", path, dir), 2);
    cr_expect(strstr(err, "above the limit of 1 MiB") != NULL, "%s", err);
    cr_expect(strstr(err, "set DAGRUN_MAX_TRACE_BYTES to raise it") != NULL,
              "%s", err);
    free(err);
    err = NULL;
    cr_expect_eq(drt_cli(NULL, &err,
                         "viz %s/viz/lecture.json --trace '%s' --report "
                         "'%s/r.html'",
                         DR_TEST_DATA, path, dir),
                 2);
    cr_expect(strstr(err, "above the limit of 1 MiB") != NULL, "%s", err);
    free(err);
    /* run --costs reads through the same cap. */
    err = NULL;
    int rc = drt_cli(NULL, &err,
                     "run %s/viz/lecture.json -s -q --no-outputs --costs '%s'",
                     DR_TEST_DATA, path);
    cr_expect_eq(rc, 2, "%s", err);
    cr_expect(strstr(err, "above the limit of 1 MiB") != NULL, "%s", err);
    free(err);
    /* An endless pipe stops at the cap instead of being read for ever
     * (jansson skips whitespace without growing, so it never ended; the
     * timeout only keeps a regression from leaving it running). */
    char *cmd =
        drt_fmt("yes ' ' | timeout 120 '%s' gantt /dev/stdin -o '%s/g.svg' "
                "2>'%s/err'",
                drt_cli_path(), dir, dir);
    rc = system(cmd);
    cr_expect(WIFEXITED(rc) && WEXITSTATUS(rc) == 2, "status %d", rc);
    char *errpath = drt_fmt("%s/err", dir);
    err = drt_read_file(errpath, NULL);
    cr_expect(err && strstr(err, "more than 1 MiB") != NULL, "%s", err);
    free(err), free(errpath), free(cmd);
    drt_rmtree(dir);
    free(dir), free(path);
}

Test(viz_trace_cli, costs_reader_names_the_file_event_and_task, .timeout = 60) {
    char *dir = drt_tmpdir();
    const char *bad[][2] = {
        {"\"ts\": 0, \"dur\": -1", "\"dur\" is negative"},
        {"\"ts\": 0", "\"dur\" is missing"},
        {"\"ts\": \"x\", \"dur\": 1", "\"ts\" is not a number"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        char *text = drt_fmt("{\"traceEvents\": [{\"ph\": \"M\"}, {\"name\": "
                             "\"b\", \"ph\": \"X\", %s, \"args\": {\"task\": "
                             "\"b\", \"status\": \"ok\"}}]}",
                             bad[i][0]);
        char *path = write_in(dir, "costs.json", text);
        char *err = NULL;
        int rc = drt_cli(NULL, &err,
                         "run %s/viz/lecture.json -s -q --no-outputs --costs "
                         "'%s'",
                         DR_TEST_DATA, path);
        cr_expect_eq(rc, 2, "%s", err);
        char *want =
            drt_fmt("%s: task 'b': traceEvents[1]: %s", path, bad[i][1]);
        cr_expect(strstr(err, want) != NULL, "want '%s' in: %s", want, err);
        free(want), free(err), free(path), free(text);
    }
    drt_rmtree(dir);
    free(dir);
}

/* The run-file cap is read as the graph limits are: a malformed value is an
 * error naming the variable, never silently the default. */
Test(viz_trace_cli, a_malformed_trace_limit_is_an_error_naming_it) {
    setenv("DAGRUN_MAX_TRACE_BYTES", "lots", 1);
    char *err = NULL;
    cr_expect_eq(drt_cli(NULL, &err, "gantt %s/viz/lecture-trace.json -o -",
                         DR_TEST_DATA),
                 2, "%s", err);
    cr_expect(strstr(err, "DAGRUN_MAX_TRACE_BYTES='lots' is not a limit") !=
                  NULL,
              "%s", err);
    free(err);
    /* K, M and G work as for DAGRUN_MAX_GRAPH_BYTES. */
    setenv("DAGRUN_MAX_TRACE_BYTES", "1K", 1);
    err = NULL;
    cr_expect_eq(drt_cli(NULL, &err, "gantt %s/viz/lecture-trace.json -o -",
                         DR_TEST_DATA),
                 2, "%s", err);
    cr_expect(strstr(err, "above the limit") != NULL, "%s", err);
    free(err);
}

/* ------------------------------------------------------- cached tasks */

static json_t *load_data(const char *name) {
    char *path = drt_fmt("%s/viz/%s", DR_TEST_DATA, name);
    json_t *j = json_load_file(path, 0, NULL);
    cr_assert_not_null(j, "cannot read %s", path);
    free(path);
    return j;
}

/* cached-trace.json: the lecture graph resumed (written by dagrun's trace
 * writer from a hand-made run): a, b and d cached, c, e and f ran on 3
 * workers. */
Test(viz_trace, cached_tasks_are_read_apart_from_the_attempts) {
    json_t *j = load_data("cached-trace.json");
    dr__vtrace t;
    cr_assert_eq(dr__vtrace_read(j, &t, NULL), 0);
    cr_expect_eq(t.n, 3, "c, e, f");
    cr_assert_eq(t.ncached, 3);
    cr_expect_str_eq(t.cached[0].task, "a");
    cr_expect_str_eq(t.cached[1].task, "b");
    cr_expect_str_eq(t.cached[2].task, "d");
    cr_expect_str_eq(t.cached[0].op, "sleep");
    cr_expect_str_eq(t.cached[0].cat, "a");
    /* Their row (tid 3) is no worker, and they take no time. */
    cr_expect_eq(t.workers, 3);
    cr_expect_float_eq(t.makespan, 600000, 1e-6);
    for (size_t i = 0; i < t.n; i++)
        cr_expect_neq(t.a[i].worker, 3);
    dr__vtrace_free(&t);
    json_decref(j);
}

Test(viz_trace, other_instant_events_are_not_cached_tasks) {
    /* Instant events of other tools, or without a task, are unknown
     * events: skipped, never an error. */
    json_t *j = json_loads(
        "{\"traceEvents\": [{\"name\": \"mark\", \"ph\": \"i\", \"ts\": 5},"
        "{\"name\": \"gc\", \"ph\": \"i\", \"ts\": 1, \"args\": {\"status\": "
        "\"ok\"}},"
        "{\"ph\": \"i\", \"ts\": 0, \"args\": {\"status\": \"cached\"}},"
        "{\"ph\": \"i\", \"ts\": 0, \"args\": \"cached\"},"
        "{\"name\": \"x\", \"ph\": \"i\", \"ts\": 0, \"args\": {\"status\": "
        "\"cached\"}},"
        "{\"name\": \"a\", \"ph\": \"X\", \"ts\": 0, \"dur\": 1}]}",
        0, NULL);
    cr_assert_not_null(j);
    dr__vtrace t;
    cr_assert_eq(dr__vtrace_read(j, &t, NULL), 0);
    cr_expect_eq(t.n, 1);
    cr_assert_eq(t.ncached, 1, "only the one with a name and the status");
    cr_expect_str_eq(t.cached[0].task, "x");
    cr_expect_null(t.cached[0].op);
    cr_expect_str_eq(t.cached[0].cat, "");
    dr__vtrace_free(&t);
    json_decref(j);
}

Test(viz_trace, a_trace_where_every_task_was_cached_is_of_its_graph) {
    /* No attempts at all, and still the trace of the lecture graph; one of
     * another graph is still refused. */
    dr_graph *g = dr_graph_load(DR_TEST_DATA "/viz/lecture.json", NULL, NULL);
    cr_assert_not_null(g);
    json_t *j = load_data("allcached-trace.json");
    dr__vtrace t;
    cr_assert_eq(dr__vtrace_read(j, &t, NULL), 0);
    cr_expect_eq(t.n, 0);
    cr_expect_eq(t.ncached, 6);
    cr_expect_eq(dr__vtrace_check_graph(&t, g, NULL), 0);
    dr__vtrace_free(&t);
    json_decref(j);
    j = json_loads("{\"traceEvents\": [{\"name\": \"zz\", \"ph\": \"i\", "
                   "\"ts\": 0, \"args\": {\"status\": \"cached\"}}]}",
                   0, NULL);
    cr_assert_eq(dr__vtrace_read(j, &t, NULL), 0);
    dr_error err;
    dr_error_clear(&err);
    cr_expect_eq(dr__vtrace_check_graph(&t, g, &err), DR_EINVAL);
    cr_expect(strstr(err.text, "none of its 1 cached tasks is a task of the "
                               "graph") != NULL,
              "%s", err.text);
    dr__vtrace_free(&t);
    json_decref(j);
    dr_graph_destroy(g);
}

Test(viz_trace_cli, gantt_reads_cached_tasks_back_from_a_trace_file,
     .timeout = 60) {
    char *dir = drt_tmpdir();
    char *err = NULL;
    cr_expect_eq(drt_cli(NULL, &err,
                         "gantt %s/viz/cached-trace.json -o '%s/g.svg'",
                         DR_TEST_DATA, dir),
                 0, "%s", err);
    free(err);
    char *path = drt_fmt("%s/g.svg", dir);
    char *svg = drt_read_file(path, NULL);
    cr_assert_not_null(svg);
    cr_expect(strstr(svg, "3 tasks cached: not run, their recorded results "
                          "reused (--resume): a, b, d") != NULL,
              "%s", svg);
    cr_expect(strstr(svg, "3 attempts on 3 workers") != NULL, "%s", svg);
    free(svg);
    free(path);
    drt_rmtree(dir);
    free(dir);
}
