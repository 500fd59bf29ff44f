/* Gantt charts: well-formed SVG with one bar per attempt, tooltips, ticks,
 * hatched failures, outlined critical path, idle tails; and the merging of
 * sub-pixel bars that keeps 100,000 attempts small. */
#include "dagrun/viz.h"
#include "support.h"
#include "viz_internal.h"

#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *load_json(const char *name) {
    char *path = drt_fmt("%s/viz/%s", DR_TEST_DATA, name);
    json_t *j = json_load_file(path, 0, NULL);
    cr_assert_not_null(j, "cannot read %s", path);
    free(path);
    return j;
}

static size_t count(const char *s, const char *needle) {
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

static int xml_well_formed(const char *text) {
    if (system("command -v xmllint >/dev/null 2>&1") != 0)
        return -1;
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/x.svg", dir);
    cr_assert_eq(drt_write_file(path, text), 0);
    char *cmd =
        drt_fmt("xmllint --noout --nonet --huge '%s' 2>/dev/null", path);
    int rc = system(cmd);
    free(cmd);
    free(path);
    drt_rmtree(dir);
    free(dir);
    return rc == 0;
}

static char *gantt(const char *trace_name, const char *summary_name) {
    json_t *trace = load_json(trace_name);
    json_t *summary = summary_name ? load_json(summary_name) : NULL;
    char *svg;
    size_t len;
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(dr_viz_gantt_svg(trace, summary, NULL, &svg, &len, &err), 0,
                 "%s", err.text);
    cr_assert_eq(strlen(svg), len);
    json_decref(trace);
    json_decref(summary);
    return svg;
}

Test(viz_gantt, one_bar_per_attempt_with_tooltips_in_well_formed_svg) {
    char *svg = gantt("lecture-trace.json", "lecture-summary.json");
    cr_assert_eq(count(svg, "class=\"bar"), 6);
    cr_assert_eq(count(svg, "class=\"bar merged"), 0);
    cr_assert(strstr(svg, "<title>c\nworker 1\nstart 1 s\nend 6 s\nduration "
                          "5 s\nwait 0\nstatus ok</title>") != NULL);
    cr_assert(strstr(svg, "<script") == NULL);
    int ok = xml_well_formed(svg);
    if (ok < 0)
        cr_log_warn("xmllint missing: well-formedness not checked");
    else
        cr_assert_eq(ok, 1, "not well-formed:\n%s", svg);
    free(svg);
}

Test(viz_gantt, axis_has_nice_ticks_in_seconds) {
    char *svg = gantt("lecture-trace.json", NULL);
    for (int s = 0; s <= 8; s++) {
        char label[32];
        snprintf(label, sizeof(label), ">%d</text>", s);
        cr_assert(strstr(svg, label) != NULL, "tick %d", s);
    }
    cr_assert(strstr(svg, "time (s)") != NULL);
    free(svg);
}

Test(viz_gantt, critical_path_is_outlined_and_idle_tails_shaded) {
    char *svg = gantt("lecture-trace.json", "lecture-summary.json");
    cr_assert_eq(count(svg, "class=\"bar cp"), 4, "a, b, e, f");
    /* Worker 0 runs to the end; workers 1 and 2 idle at the end. */
    cr_assert_eq(count(svg, "class=\"idle-tail\""), 2);
    cr_assert(strstr(svg, "worker 2: idle tail 6 s") != NULL);
    free(svg);
    svg = gantt("lecture-trace.json", NULL);
    cr_assert_eq(count(svg, "class=\"bar cp"), 0, "no summary, no outline");
    free(svg);
}

Test(viz_gantt, failed_attempts_are_hatched_red) {
    char *svg = gantt("failed-trace.json", "failed-summary.json");
    cr_assert_eq(count(svg, "class=\"bar failed\""), 2, "e's two attempts");
    cr_assert(strstr(svg, "e (attempt 2)\nworker 2") != NULL);
    cr_assert(strstr(svg, "status failed\nexit status 3") != NULL);
    cr_assert(strstr(svg, "id=\"dr-hatch\"") != NULL);
    free(svg);
}

Test(viz_gantt, parallelism_profile_and_worker_line_are_drawn) {
    char *svg = gantt("lecture-trace.json", NULL);
    cr_assert(strstr(svg, "class=\"profile\"") != NULL);
    cr_assert(strstr(svg, "class=\"workers\"") != NULL);
    cr_assert(strstr(svg, "max 3, time-weighted mean 1.75, 3 workers") != NULL);
    free(svg);
    json_t *trace = load_json("lecture-trace.json");
    dr_gantt_options o;
    dr_gantt_options_init(&o);
    o.profile = 0;
    cr_assert_eq(dr_viz_gantt_svg(trace, NULL, &o, &svg, NULL, NULL), 0);
    cr_assert(strstr(svg, "class=\"profile\"") == NULL);
    free(svg);
    json_decref(trace);
}

/* A synthetic trace: `n` attempts of 5-15 µs on `workers` workers, with an
 * idle gap of 30 ms every 10,000 tasks on each worker. */
static json_t *synthetic(size_t n, int workers) {
    json_t *events = json_array();
    double *clock = calloc((size_t)workers, sizeof(*clock));
    unsigned x = 12345;
    char key[64], cat[16];
    for (size_t i = 0; i < n; i++) {
        int w = (int)(i % (size_t)workers);
        x = x * 1103515245u + 12345u;
        double dur = 5 + (x >> 16) % 11;
        if (i % 10000 == 0)
            clock[w] += 30000;
        snprintf(key, sizeof(key), "%s-%zu", i % 3 ? "map" : "load", i);
        snprintf(cat, sizeof(cat), "%s", i % 3 ? "map" : "load");
        json_t *ev = json_pack(
            "{s:s, s:s, s:s, s:i, s:i, s:f, s:f, s:{s:s, s:f, s:s, s:i, s:i}}",
            "name", key, "cat", cat, "ph", "X", "pid", 1, "tid", w, "ts",
            clock[w], "dur", dur, "args", "task", key, "ready", clock[w],
            "status", i == 500 ? "failed" : "ok", "attempt", 1, "worker", w);
        json_array_append_new(events, ev);
        clock[w] += dur;
    }
    free(clock);
    return json_pack("{s:{s:s, s:i}, s:o}", "otherData", "graph", "synthetic",
                     "workers", workers, "traceEvents", events);
}

Test(viz_gantt, hundred_thousand_attempts_merge_into_a_small_svg,
     .timeout = 120) {
    json_t *trace = synthetic(100000, 4);
    char *svg;
    size_t len;
    cr_assert_eq(dr_viz_gantt_svg(trace, NULL, NULL, &svg, &len, NULL), 0);
    cr_log_info("100,000 attempts: %zu bytes, %zu rects", len,
                count(svg, "<rect"));
    cr_assert_lt(len, 3u * 1024 * 1024, "%zu bytes", len);
    cr_assert_gt(count(svg, "class=\"bar merged"), 0);
    cr_assert(strstr(svg, " tasks\nworker ") != NULL, "a merged bar's title");
    /* The idle gaps (30 ms in a ~350 ms run) stay visible: each worker's
     * row is split at them, so there are several merged bars per row. */
    cr_assert_geq(count(svg, "class=\"bar merged"), 4 * 3);
    cr_assert_eq(xml_well_formed(svg) == 0, 0);
    free(svg);
    json_decref(trace);
}

Test(viz_gantt, many_workers_stay_bounded, .timeout = 120) {
    json_t *trace = synthetic(100000, 1000);
    char *svg;
    size_t len;
    cr_assert_eq(dr_viz_gantt_svg(trace, NULL, NULL, &svg, &len, NULL), 0);
    cr_log_info("1,000 workers: %zu bytes", len);
    cr_assert_lt(len, 4u * 1024 * 1024, "%zu bytes", len);
    free(svg);
    json_decref(trace);
}

Test(viz_gantt, not_a_trace_is_an_error) {
    json_t *j = json_pack("{s:i}", "x", 1);
    char *svg = NULL;
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(dr_viz_gantt_svg(j, NULL, NULL, &svg, NULL, &err), DR_EINVAL);
    cr_assert_null(svg);
    cr_assert(strstr(err.text, "traceEvents") != NULL, "%s", err.text);
    json_decref(j);
}

Test(viz_gantt, units_follow_the_makespan) {
    json_t *trace = json_pack("{s:[{s:s, s:s, s:i, s:f, s:f, s:{s:s}}]}",
                              "traceEvents", "name", "t", "ph", "X", "tid", 0,
                              "ts", 0.0, "dur", 12345.0, "args", "task", "t");
    char *svg;
    cr_assert_eq(dr_viz_gantt_svg(trace, NULL, NULL, &svg, NULL, NULL), 0);
    cr_assert(strstr(svg, "time (ms)") != NULL);
    cr_assert(strstr(svg, ">10</text>") != NULL, "a tick at 10 ms");
    free(svg);
    json_decref(trace);
}

Test(viz_cli, gantt_writes_the_svg) {
    char *dir = drt_tmpdir();
    char *err = NULL;
    int rc = drt_cli(NULL, &err,
                     "gantt %s/viz/lecture-trace.json -s "
                     "%s/viz/lecture-summary.json -o %s/g.svg",
                     DR_TEST_DATA, DR_TEST_DATA, dir);
    cr_assert_eq(rc, 0, "%s", err);
    free(err);
    char *path = drt_fmt("%s/g.svg", dir);
    char *svg = drt_read_file(path, NULL);
    cr_assert_not_null(svg);
    cr_assert_eq(count(svg, "class=\"bar"), 6);
    free(svg);
    free(path);
    err = NULL;
    cr_assert_eq(
        drt_cli(NULL, &err, "gantt %s/viz/lecture-trace.json", DR_TEST_DATA),
        2);
    cr_assert(strstr(err, "-o") != NULL, "%s", err);
    free(err);
    drt_rmtree(dir);
    free(dir);
}

/* Two workers, each running 1,000 back-to-back tasks whose recorded end
 * overshoots the next start by 0.001 µs, as float rounding of ts and dur
 * does in real traces. */
static json_t *overshooting(void) {
    json_t *events = json_array();
    char key[32];
    for (int w = 0; w < 2; w++) {
        double clock = 0.1 * w;
        for (int i = 0; i < 1000; i++) {
            double dur = 10.003 + 0.0001 * (i % 7);
            snprintf(key, sizeof(key), "t-%d-%d", w, i);
            json_array_append_new(
                events,
                json_pack("{s:s, s:s, s:s, s:i, s:i, s:f, s:f, s:{s:s}}",
                          "name", key, "cat", "t", "ph", "X", "pid", 1, "tid",
                          w, "ts", clock, "dur", dur + 0.001, "args", "task",
                          key));
            clock += dur;
        }
    }
    return json_pack("{s:{s:s, s:i}, s:o}", "otherData", "graph", "overshoot",
                     "workers", 2, "traceEvents", events);
}

Test(viz_gantt, rounding_overshoot_never_shows_more_running_than_workers) {
    json_t *trace = overshooting();
    char *svg;
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(dr_viz_gantt_svg(trace, NULL, NULL, &svg, NULL, &err), 0, "%s",
                 err.text);
    cr_assert(strstr(svg, "max 2, ") != NULL, "the profile says more than 2");
    cr_assert(strstr(svg, "2 workers") != NULL);
    free(svg);
    json_decref(trace);
}

Test(viz_gantt, rows_carry_worker_colours_and_bars_worker_or_group_colours) {
    /* The two palettes never share a colour. */
    for (size_t i = 0; i < dr_viz_palette_size(); i++)
        for (size_t j = 0; j < dr_viz_prefix_palette_size(); j++)
            cr_assert_str_neq(dr_viz_palette(i), dr_viz_prefix_palette(j));
    /* By default a bar has its worker's colour, as the task in the DAG. */
    char *svg = gantt("lecture-trace.json", NULL);
    cr_assert_eq(count(svg, "class=\"worker-swatch\""), 3);
    char *swatch = drt_fmt("fill=\"%s\"><title>worker 2", dr_viz_palette(2));
    cr_assert(strstr(svg, swatch) != NULL, "%s", swatch);
    free(swatch);
    for (size_t i = 0; i < dr_viz_prefix_palette_size(); i++) {
        char *f = drt_fmt("fill=\"%s\"", dr_viz_prefix_palette(i));
        cr_assert(strstr(svg, f) == NULL, "%s", f);
        free(f);
    }
    char *bar = drt_fmt("fill=\"%s\" stroke", dr_viz_palette(2));
    cr_assert(strstr(svg, bar) != NULL, "%s", bar);
    free(bar);
    cr_assert(strstr(svg, "Colour: the worker that ran it") != NULL);
    free(svg);
    /* By group: light colours of their own; worker colours only on the
     * swatches. */
    json_t *trace = load_json("lecture-trace.json");
    dr_gantt_options go;
    dr_gantt_options_init(&go);
    go.color = DR_VIZ_COLOR_GROUP;
    cr_assert_eq(dr_viz_gantt_svg(trace, NULL, &go, &svg, NULL, NULL), 0);
    json_decref(trace);
    bar = drt_fmt("fill=\"%s\"", dr_viz_prefix_palette(0));
    cr_assert(strstr(svg, bar) != NULL);
    free(bar);
    for (size_t i = 0; i < dr_viz_palette_size(); i++) {
        char *f = drt_fmt("fill=\"%s\"", dr_viz_palette(i));
        cr_assert(count(svg, f) <= 1, "%s", f);
        free(f);
    }
    cr_assert(strstr(svg, "Colour: group") != NULL);
    free(svg);
}

Test(viz_cli, gantt_width_limits_are_worded_one_way) {
    const char *bad[] = {"300", "30000", "0", "abc"};
    for (int i = 0; i < 4; i++) {
        char *err = NULL;
        cr_assert_eq(drt_cli(NULL, &err,
                             "gantt %s/viz/lecture-trace.json -o /tmp/x.svg "
                             "-w %s",
                             DR_TEST_DATA, bad[i]),
                     2);
        cr_assert(strstr(err, "from 400 to 20000") != NULL, "%s", err);
        free(err);
    }
}

/* The chain that set the makespan (summary.json "makespan_chain", CONTRACTS):
 * its bars outlined, consecutive steps linked, solid for a dependency and
 * dashed for a wait for a worker, with legend entries; the graph's critical
 * path is then not outlined (the DAG draws it). */
Test(viz_gantt, makespan_chain_is_outlined_and_linked_with_a_legend) {
    char *svg = gantt("short-trace.json", "short-summary.json");
    cr_expect_eq(count(svg, "class=\"bar chain"), 4, "a, b, d, e");
    cr_expect_eq(count(svg, "class=\"bar cp"), 0);
    cr_expect_eq(count(svg, "class=\"link dependency\""), 2, "a->b, d->e");
    cr_expect_eq(count(svg, "class=\"link worker\""), 1, "b=>d");
    cr_expect(strstr(svg, "<title>d waited for a worker: b freed it</title>") !=
              NULL);
    cr_expect(strstr(svg, "<title>e waited for d, a dependency, to end"
                          "</title>") != NULL);
    cr_expect(strstr(svg, ">chain that set the makespan (4 steps)</text>") !=
              NULL);
    cr_expect(strstr(svg, ">waited for a dependency</text>") != NULL);
    cr_expect(strstr(svg, ">waited for a worker</text>") != NULL);
    cr_expect(strstr(svg, ">critical path</text>") == NULL);
    cr_expect_eq(xml_well_formed(svg) == 0, 0, "not well-formed");
    free(svg);
    /* All on one worker and all dependencies: no "waited for a worker". */
    svg = gantt("lecture-trace.json", "lecture-chain-summary.json");
    cr_expect_eq(count(svg, "class=\"bar chain"), 4);
    cr_expect_eq(count(svg, "class=\"link dependency\""), 3);
    cr_expect(strstr(svg, ">waited for a worker</text>") == NULL);
    free(svg);
}

Test(viz_gantt, chain_steps_of_another_run_are_left_out) {
    json_t *trace = load_json("short-trace.json");
    json_t *summary = load_json("short-summary.json");
    json_t *chain = json_object_get(summary, "makespan_chain");
    /* Step 2 (b) now names a worker b never ran on, step 3 a task that is
     * not in the trace: both and their links are dropped. */
    json_object_set_new(json_array_get(chain, 1), "worker", json_integer(1));
    json_object_set_new(json_array_get(chain, 2), "task", json_string("zz"));
    char *svg;
    cr_assert_eq(dr_viz_gantt_svg(trace, summary, NULL, &svg, NULL, NULL), 0);
    cr_expect_eq(count(svg, "class=\"bar chain"), 2, "a and e");
    cr_expect_eq(count(svg, "class=\"link"), 0);
    cr_expect(strstr(svg, "(2 steps)") != NULL);
    free(svg);
    /* No step matches: the critical path is outlined instead. */
    json_array_clear(chain);
    cr_assert_eq(dr_viz_gantt_svg(trace, summary, NULL, &svg, NULL, NULL), 0);
    cr_expect_eq(count(svg, "class=\"bar cp"), 3, "a, d, e");
    cr_expect(strstr(svg, ">critical path</text>") != NULL);
    free(svg);
    json_decref(trace);
    json_decref(summary);
}

Test(viz_gantt, interrupted_attempts_are_drawn_apart_from_failures) {
    char *svg = gantt("interrupted-trace.json", "interrupted-summary.json");
    cr_expect_eq(count(svg, " interrupted\""), 2, "b and c");
    cr_expect_eq(count(svg, "url(#dr-intr)") - 1, 2, "two bars + legend");
    cr_expect_eq(count(svg, "class=\"bar failed"), 0);
    cr_expect(strstr(svg, ">interrupted</text>") != NULL, "legend entry");
    cr_expect(strstr(svg, ">failed</text>") == NULL, "nothing failed");
    cr_expect(strstr(svg, "status interrupted (running when the run was "
                          "stopped)") != NULL);
    free(svg);
    /* Legend entries only for what is drawn. */
    svg = gantt("lecture-trace.json", NULL);
    cr_expect(strstr(svg, ">interrupted</text>") == NULL);
    cr_expect(strstr(svg, ">failed</text>") == NULL, "nothing failed");
    cr_expect(strstr(svg, ">idle tail</text>") != NULL);
    cr_expect(strstr(svg, "<pattern id=\"dr-intr\"") != NULL);
    free(svg);
    svg = gantt("failed-trace.json", "failed-summary.json");
    cr_expect(strstr(svg, ">failed</text>") != NULL);
    cr_expect(strstr(svg, ">interrupted</text>") == NULL);
    free(svg);
}

/* Above 1,000 workers a row is a band of workers, so the output stays
 * bounded by the row count whatever the worker count says. */
Test(viz_gantt, thousands_of_workers_are_drawn_in_bands, .timeout = 120) {
    json_t *trace = synthetic(20000, 5000);
    char *svg;
    size_t len;
    cr_assert_eq(dr_viz_gantt_svg(trace, NULL, NULL, &svg, &len, NULL), 0);
    cr_log_info("5,000 workers: %zu bytes", len);
    cr_expect(strstr(svg, "on 5000 workers (10 a row)") != NULL);
    cr_expect(strstr(svg, ">workers 0\xE2\x80\x93"
                          "9</text>") != NULL);
    cr_expect_eq(count(svg, "class=\"worker-swatch\""), 0,
                 "a band has no single colour");
    cr_expect_leq(count(svg, "class=\"idle-tail\""), 500);
    cr_expect(strstr(svg, " tasks\nworkers 0\xE2\x80\x93"
                          "9\nfrom ") != NULL,
              "a merged bar names its band");
    cr_expect_lt(len, 4u * 1024 * 1024);
    cr_expect_eq(xml_well_formed(svg) == 0, 0);
    free(svg);
    json_decref(trace);
}

Test(viz_gantt, policy_and_names_are_escaped) {
    json_t *trace = load_json("lecture-trace.json");
    json_object_set_new(json_object_get(trace, "otherData"), "policy",
                        json_string("<cp&>"));
    char *svg;
    cr_assert_eq(dr_viz_gantt_svg(trace, NULL, NULL, &svg, NULL, NULL), 0);
    cr_expect(strstr(svg, "policy &lt;cp&amp;&gt;") != NULL);
    cr_expect_eq(xml_well_formed(svg) == 0, 0);
    free(svg);
    json_decref(trace);
}

/* Appends an attempt of task `key` on worker tid from ts for dur (µs). */
static void add_event(json_t *events, const char *key, int tid, double ts,
                      double dur) {
    json_array_append_new(events,
                          json_pack("{s:s, s:s, s:i, s:f, s:f, s:{s:s}}",
                                    "name", key, "ph", "X", "tid", tid, "ts",
                                    ts, "dur", dur, "args", "task", key));
}

/* The points (x after each H, y after each V) of the path of class `cls`
 * in svg, at most max.  The path is "M x,y H x V y H x V y ...". */
static size_t path_points(const char *svg, const char *cls, double *x,
                          double *y, size_t max) {
    char *needle = drt_fmt("class=\"%s\" d=\"M", cls);
    const char *p = strstr(svg, needle);
    free(needle);
    cr_assert_not_null(p, "no %s path", cls);
    p = strchr(p, 'M') + 1;
    const char *end = strchr(p, '"');
    char *q;
    x[0] = strtod(p, &q);
    y[0] = strtod(q + 1, &q);
    size_t n = 1;
    double cx = x[0];
    while (q < end && n < max) {
        while (*q == ' ')
            q++;
        if (*q == 'H')
            cx = strtod(q + 1, &q);
        else if (*q == 'V') {
            x[n] = cx;
            y[n] = strtod(q + 1, &q);
            n++;
        } else
            break;
    }
    return n;
}

/* The profile's y of 0 running tasks and of the (2) workers' line. */
static void levels_of(const char *svg, double *y0, double *yw) {
    const char *p = strstr(svg, "class=\"profile\" d=\"M");
    cr_assert_not_null(p);
    *y0 = strtod(strchr(p, ',') + 1, NULL);
    const char *w = strstr(svg, "class=\"workers\"");
    cr_assert_not_null(w);
    *yw = strtod(strstr(w, "y1=\"") + 4, NULL);
}

/* A trace built in memory, as `dagrun run` draws it: times in seconds
 * scaled to microseconds (ts = start * 1e6, dur = (end - start) * 1e6) are
 * rounded, so ts + dur often falls an ulp short of the next start on the
 * worker.  The profile drew a spike down to one task fewer at each such
 * hand-over (seen on a simulated 300-task layered run). */
Test(viz_gantt, rounding_undershoot_draws_no_dips_in_the_profile) {
    json_t *events = json_array();
    size_t short_ends = 0;
    for (int w = 0; w < 2; w++) {
        for (int i = 0; i < 300; i++) {
            double s0 = i * 0.1 + w * 0.05, s1 = (i + 1) * 0.1 + w * 0.05;
            double start = s0 * 1e6, dur = (s1 - s0) * 1e6;
            short_ends += start + dur < s1 * 1e6;
            char key[32];
            snprintf(key, sizeof(key), "t-%d-%d", w, i);
            add_event(events, key, w, start, dur);
        }
    }
    cr_assert_gt(short_ends, 0, "the test needs ends that fall short");
    json_t *trace = json_pack("{s:{s:i}, s:o}", "otherData", "workers", 2,
                              "traceEvents", events);
    char *svg;
    cr_assert_eq(dr_viz_gantt_svg(trace, NULL, NULL, &svg, NULL, NULL), 0);
    /* Worker 1 starts and ends 50 ms after worker 0: one task runs at the
     * very start and the very end, two in between, never one in between
     * (the spikes down to one task drew 132 steps). */
    double y0, y2;
    levels_of(svg, &y0, &y2);
    double x[4096], y[4096];
    size_t n = path_points(svg, "profile", x, y, 4096);
    cr_assert_gt(n, 2);
    size_t off = 0;
    for (size_t i = 0; i < n; i++)
        if (x[i] > x[0] + 20 && x[i] < x[n - 1] - 20 && y[i] != y2)
            off++;
    cr_expect_eq(off, 0,
                 "the profile leaves 2 running tasks %zu times (y0 %g,"
                 " y2 %g)",
                 off, y0, y2);
    free(svg);
    json_decref(trace);
}

/* A fine-grained run at half use: each of two workers runs a 5 µs task
 * every 10 µs, out of step by 2.5 µs, so a pixel column (about 200 µs)
 * holds moments with 0, 1 and 2 tasks running.  The profile's area is the
 * mean, 1 task; it was drawn as a min-max envelope filled up to 2, which
 * looked like both workers busy all the time.  The thin line shows 2. */
Test(viz_gantt, a_fine_grained_run_at_half_use_draws_half_height) {
    json_t *events = json_array();
    for (int w = 0; w < 2; w++)
        for (int i = 0; i < 20000; i++) {
            char key[32];
            snprintf(key, sizeof(key), "t-%d-%d", w, i);
            add_event(events, key, w, i * 10.0 + w * 2.5, 5.0);
        }
    json_t *trace = json_pack("{s:{s:i}, s:o}", "otherData", "workers", 2,
                              "traceEvents", events);
    char *svg;
    cr_assert_eq(dr_viz_gantt_svg(trace, NULL, NULL, &svg, NULL, NULL), 0);
    cr_expect_not_null(strstr(svg, "max 2, time-weighted mean 1.00"));
    double y0, y2;
    levels_of(svg, &y0, &y2);
    double y1 = (y0 + y2) / 2, tol = 0.05 * (y0 - y2);
    static double x[8192], y[8192];
    size_t n = path_points(svg, "profile", x, y, 8192), off = 0, mid = 0;
    for (size_t i = 0; i < n; i++)
        if (x[i] > x[0] + 20 && x[i] < x[n - 1] - 20) {
            mid++;
            off += fabs(y[i] - y1) > tol;
        }
    cr_expect_eq(off, 0,
                 "%zu of %zu points of the area are not at 1 task "
                 "(y %g, 0 at %g, 2 at %g)",
                 off, mid, y1, y0, y2);
    n = path_points(svg, "profile-max", x, y, 8192);
    off = 0;
    for (size_t i = 0; i < n; i++)
        off += x[i] > x[0] + 20 && y[i] != y2;
    cr_expect_eq(off, 0, "the most at once is not 2 at %zu points", off);
    cr_expect_not_null(strstr(svg, "mean running over each pixel column"),
                       "no key");
    free(svg);
    json_decref(trace);
}

/* A chain handed from worker to worker: each task starts at the instant
 * the one before ends, on the other worker, but its recorded start falls a
 * few ulps before that end (the trace reader clamps only ends on the same
 * worker).  At most one task ever runs: the header and the thin line say
 * 1, not 2 at every hand-over. */
Test(viz_gantt, a_hand_over_to_another_worker_is_not_two_at_once) {
    json_t *events = json_array();
    for (int i = 0; i < 2000; i++) {
        char key[32];
        snprintf(key, sizeof(key), "t-%d", i);
        add_event(events, key, i % 2, i * 10.0, 10.0 + 1e-9);
    }
    json_t *trace = json_pack("{s:{s:i}, s:o}", "otherData", "workers", 2,
                              "traceEvents", events);
    char *svg;
    cr_assert_eq(dr_viz_gantt_svg(trace, NULL, NULL, &svg, NULL, NULL), 0);
    cr_expect_not_null(strstr(svg, "max 1, "), "the header says more than 1");
    double y0, y2;
    levels_of(svg, &y0, &y2);
    double y1 = (y0 + y2) / 2;
    static double x[8192], y[8192];
    size_t n = path_points(svg, "profile-max", x, y, 8192), off = 0;
    for (size_t i = 0; i < n; i++)
        off += x[i] > x[0] + 2 && fabs(y[i] - y1) > 0.01;
    cr_expect_eq(off, 0, "the most at once leaves 1 task at %zu points", off);
    free(svg);
    json_decref(trace);
}

/* Issue 8: two bars that touch on one worker, of one colour (--color group:
 * x-1, x-2, x-3 of group x-*, back to back), must not read as one long bar.
 * Every bar has an outline of its own, and drawing it moves no time: each
 * bar still starts where the previous one ends. */
Test(viz_gantt, bars_that_touch_on_a_worker_stay_apart) {
    json_t *ev = json_array();
    for (int i = 0; i < 3; i++) {
        char name[8];
        snprintf(name, sizeof(name), "x-%d", i + 1);
        json_array_append_new(
            ev, json_pack("{s:s, s:s, s:s, s:i, s:i, s:f, s:f, s:{s:s, s:s}}",
                          "name", name, "cat", "x-*", "ph", "X", "pid", 1,
                          "tid", 0, "ts", i * 1e6, "dur", 1e6, "args", "task",
                          name, "status", "ok"));
    }
    json_t *trace = json_pack("{s:o, s:{s:i}}", "traceEvents", ev, "otherData",
                              "workers", 1);
    for (int width = 400; width <= 20000; width *= 50) {
        dr_gantt_options go;
        dr_gantt_options_init(&go);
        go.color = DR_VIZ_COLOR_GROUP;
        go.width = width;
        char *svg;
        cr_assert_eq(dr_viz_gantt_svg(trace, NULL, &go, &svg, NULL, NULL), 0);
        double prev_end = -1;
        const char *fill0 = NULL;
        int bars = 0;
        for (const char *r = svg; (r = strstr(r, "<rect class=\"bar")) != NULL;
             r++) {
            double x, w, sw = 0;
            char fill[32] = "", stroke[32] = "";
            const char *p = strstr(r, " x=\"");
            cr_assert(p && sscanf(p, " x=\"%lf\"", &x) == 1);
            p = strstr(r, " width=\"");
            cr_assert(p && sscanf(p, " width=\"%lf\"", &w) == 1);
            p = strstr(r, " fill=\"");
            cr_assert(p && sscanf(p, " fill=\"%31[^\"]\"", fill) == 1);
            p = strstr(r, " stroke=\"");
            cr_assert(p && sscanf(p, " stroke=\"%31[^\"]\"", stroke) == 1);
            p = strstr(r, " stroke-width=\"");
            cr_assert(p != NULL && p < strchr(r, '>'),
                      "bar %d has no outline: %.200s", bars, r);
            sscanf(p, " stroke-width=\"%lf\"", &sw);
            cr_expect(strcmp(stroke, "none") != 0 && strcmp(stroke, fill) != 0,
                      "bar %d: outline %s on fill %s", bars, stroke, fill);
            cr_expect_gt(sw, 0.3, "bar %d: outline %g px", bars, sw);
            if (fill0 == NULL)
                fill0 = strdup(fill);
            cr_expect_str_eq(fill, fill0, "one group, one colour");
            if (prev_end >= 0)
                cr_expect(fabs(x - prev_end) < 0.011,
                          "bar %d starts at %g, the previous ends at %g", bars,
                          x, prev_end);
            prev_end = x + w;
            bars++;
        }
        cr_expect_eq(bars, 3, "width %d: %d bars", width, bars);
        free((char *)fill0);
        free(svg);
    }
    json_decref(trace);
}

Test(viz_gantt, a_chain_of_twenty_thousand_retries_is_matched_in_n_log_n,
     .timeout = 120) {
    /* A real run of one task retried 20,000 times: summary.json's chain
     * has 20,001 steps on one worker.  Matching each step to its attempt
     * once looked at every attempt of the task (4 x 10^8 for this run);
     * two binary searches look at about 2 log2(20,001) + 2 = 31 each. */
    char *dir = drt_tmpdir();
    char *graph = drt_fmt("%s/rf.json", dir);
    cr_assert_eq(drt_write_file(graph, "{\"name\":\"rf\",\"tasks\":[{\"id\":"
                                       "\"a\",\"op\":\"fail\",\"retries\":"
                                       "20000}]}"),
                 0);
    cr_assert_eq(drt_cli(NULL, NULL,
                         "run '%s' -w 1 --no-outputs -q --trace '%s/t.json' "
                         "--json '%s/s.json'",
                         graph, dir, dir),
                 1);
    char *tpath = drt_fmt("%s/t.json", dir), *spath = drt_fmt("%s/s.json", dir);
    json_t *trace = json_load_file(tpath, 0, NULL);
    json_t *summary = json_load_file(spath, 0, NULL);
    cr_assert(trace != NULL && summary != NULL);
    cr_assert_eq(json_array_size(json_object_get(summary, "makespan_chain")),
                 20001);
    size_t before = dr__vgantt_chain_probes();
    char *svg;
    cr_assert_eq(dr_viz_gantt_svg(trace, summary, NULL, &svg, NULL, NULL), 0);
    size_t probes = dr__vgantt_chain_probes() - before;
    cr_expect_gt(probes, 20001, "every step is matched");
    cr_expect_leq(probes, 20001 * 40, "%zu attempts looked at", probes);
    cr_expect(strstr(svg, ">chain that set the makespan (20001 steps)") != NULL,
              "every step found its attempt");
    free(svg);
    json_decref(trace);
    json_decref(summary);
    /* Three attempts: few enough for links, which say "retry". */
    cr_assert_eq(drt_write_file(graph, "{\"name\":\"rf\",\"tasks\":[{\"id\":"
                                       "\"a\",\"op\":\"fail\",\"retries\":"
                                       "2}]}"),
                 0);
    cr_assert_eq(drt_cli(NULL, NULL,
                         "run '%s' -w 1 --no-outputs -q --trace '%s/t.json' "
                         "--json '%s/s.json'",
                         graph, dir, dir),
                 1);
    trace = json_load_file(tpath, 0, NULL);
    summary = json_load_file(spath, 0, NULL);
    cr_assert_eq(dr_viz_gantt_svg(trace, summary, NULL, &svg, NULL, NULL), 0);
    cr_expect_eq(count(svg, "class=\"link retry\""), 2);
    cr_expect(strstr(svg, "<title>a (attempt 2) retried the failed attempt "
                          "1</title>") != NULL);
    cr_expect(strstr(svg, ">waited for the failed attempt it retries</text>") !=
              NULL);
    cr_expect(strstr(svg, ">waited for a dependency</text>") == NULL);
    free(svg);
    json_decref(trace);
    json_decref(summary);
    free(tpath);
    free(spath);
    free(graph);
    drt_rmtree(dir);
    free(dir);
}

/* ------------------------------------------------------- cached tasks */

/* Appends to a trace's events the instant event dagrun writes for a
 * cached task (docs/trace-format.md). */
static void add_cached(json_t *trace, const char *task, const char *cat) {
    json_array_append_new(
        json_object_get(trace, "traceEvents"),
        json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:f, s:{s:s, s:s, s:s}}",
                  "name", task, "cat", cat, "ph", "i", "s", "t", "pid", 1,
                  "tid", 99, "ts", 0.0, "args", "task", task, "op", "noop",
                  "status", "cached"));
}

static char *gantt_of_json(const json_t *trace) {
    char *svg;
    size_t len;
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(dr_viz_gantt_svg(trace, NULL, NULL, &svg, &len, &err), 0, "%s",
                 err.text);
    return svg;
}

Test(viz_gantt, cached_tasks_are_a_line_under_the_title_not_bars) {
    /* The lecture graph resumed: a, b, d cached; c, e, f ran. */
    char *svg = gantt("cached-trace.json", "cached-summary.json");
    cr_expect_eq(count(svg, "class=\"bar"), 3, "bars of c, e and f only");
    cr_expect_eq(count(svg, "<g class=\"cached-note\">"), 1);
    cr_expect(strstr(svg, ">3 tasks cached: not run, their recorded results "
                          "reused (--resume): a, b, d<title>a\nb\nd</title>") !=
                  NULL,
              "%s", svg);
    /* Its swatch is the cached tasks' look in the task graph. */
    cr_expect(strstr(svg, "fill=\"" DR__VCACHED_FILL
                          "\" stroke=\"" DR__VCACHED_LINE "\"") != NULL);
    cr_expect(strstr(svg, "<title>a\nworker") == NULL, "no bar of a");
    cr_expect(strstr(svg, "3 attempts on 3 workers") != NULL);
    cr_expect_eq(xml_well_formed(svg) == 0, 0);
    free(svg);
    /* A trace without cached tasks has no such line. */
    svg = gantt("lecture-trace.json", NULL);
    cr_expect(strstr(svg, "cached") == NULL);
    free(svg);
}

Test(viz_gantt, one_cached_task_is_said_in_the_singular) {
    json_t *trace = load_json("lecture-trace.json");
    add_cached(trace, "prep", "prep");
    char *svg = gantt_of_json(trace);
    cr_expect(strstr(svg, ">1 task cached: not run, its recorded result "
                          "reused (--resume): prep<title>prep</title>") != NULL,
              "%s", svg);
    cr_expect_eq(count(svg, "class=\"bar"), 6, "the lecture's six bars");
    free(svg);
    json_decref(trace);
}

Test(viz_gantt, ten_thousand_cached_tasks_are_one_line_by_group,
     .timeout = 60) {
    json_t *trace = synthetic(1000, 4);
    char *plain = gantt_of_json(trace);
    char key[32];
    for (int i = 0; i < 10000; i++) {
        snprintf(key, sizeof(key), "%s-%d", i % 10 ? "map" : "load", i);
        add_cached(trace, key, i % 10 ? "map-*" : "load-*");
    }
    char *svg = gantt_of_json(trace);
    cr_expect(strstr(svg, ">10,000 tasks cached: not run, their recorded "
                          "results reused (--resume): map-* \xC3\x97"
                          "9,000, "
                          "load-* \xC3\x97"
                          "1,000<title>load-0\nmap-1\n") != NULL,
              "%s", strstr(svg, "cached-note"));
    /* The tooltip names the first 100, then says how many more. */
    cr_expect(strstr(svg, "\nmap-99\n\xE2\x80\xA6 and 9,900 more</title>") !=
              NULL);
    cr_expect_eq(count(svg, "<g class=\"cached-note\">"), 1);
    /* One line: the chart grows by a line's worth of text, not by 10,000
     * of anything. */
    cr_log_info("without cached tasks %zu bytes, with 10,000 %zu",
                strlen(plain), strlen(svg));
    cr_expect_lt(strlen(svg), strlen(plain) + 4096);
    cr_expect_eq(xml_well_formed(svg) == 0, 0);
    free(plain);
    free(svg);
    /* Many cached tasks of as many groups: named one by one as far as the
     * line has room. */
    json_decref(trace);
    trace = synthetic(10, 1);
    for (int i = 0; i < 500; i++) {
        snprintf(key, sizeof(key), "t%d", i);
        add_cached(trace, key, key);
    }
    svg = gantt_of_json(trace);
    const char *note = strstr(svg, "500 tasks cached");
    cr_assert_not_null(note);
    cr_expect(strstr(note, ": t0, t1, t2, ") != NULL, "%.300s", note);
    cr_expect(strstr(note, " more<title>") != NULL, "%.300s", note);
    cr_expect(strstr(note, "t499<") == NULL, "%.300s", note);
    free(svg);
    json_decref(trace);
}

Test(viz_gantt, a_run_where_every_task_was_cached_says_nothing_ran) {
    char *svg = gantt("allcached-trace.json", "allcached-summary.json");
    cr_expect(strstr(svg, ">6 tasks cached: not run, their recorded results "
                          "reused (--resume): a, b, c, d, e, f<") != NULL,
              "%s", svg);
    cr_expect(strstr(svg, ">Nothing ran: every task was cached (makespan "
                          "0)</text>") != NULL,
              "%s", svg);
    /* No time axis of a run that took no time, no flat profile, no legend
     * of worker colours no task has. */
    cr_expect(strstr(svg, "time (") == NULL, "%s", svg);
    cr_expect(strstr(svg, "Running tasks over time") == NULL);
    cr_expect(strstr(svg, "Colour:") == NULL);
    cr_expect_eq(count(svg, "class=\"bar"), 0);
    cr_expect_eq(xml_well_formed(svg) == 0, 0);
    free(svg);
}

/* A makespan of one denormal (the fuzzer's find): the profile's pixel
 * columns follow the axis (at least 1 ns wide), not the makespan, whose
 * thousandth is 0 and made every column index 0 / 0. */
Test(viz_gantt, a_denormal_makespan_draws_a_profile) {
    json_t *trace = json_pack("{s:[{s:s, s:s, s:i, s:f, s:f, s:{s:s}}]}",
                              "traceEvents", "name", "a", "ph", "X", "tid", 0,
                              "ts", 0.0, "dur", 5e-324, "args", "task", "a");
    char *svg = NULL;
    cr_assert_eq(dr_viz_gantt_svg(trace, NULL, NULL, &svg, NULL, NULL), 0);
    cr_expect_not_null(strstr(svg, "class=\"profile\""));
    cr_expect_null(strstr(svg, "nan"), "a NaN in the picture");
    free(svg);
    json_decref(trace);
}

/* The unit is chosen after rounding to the 3 digits shown: a simulated
 * idle tail of 0.99999999985 s read "1e+03 ms" in the tooltips. */
Test(viz_gantt, times_round_before_their_unit_is_chosen) {
    char b[32];
    dr__vfmt_time(b, sizeof b, 999999.99985);
    cr_expect_str_eq(b, "1 s");
    dr__vfmt_time(b, sizeof b, 999.9996);
    cr_expect_str_eq(b, "1 ms");
    dr__vfmt_time(b, sizeof b, 1234.5);
    cr_expect_str_eq(b, "1.23 ms");
    dr__vfmt_time(b, sizeof b, 999.4);
    cr_expect_str_eq(b, "999 \xC2\xB5s");
}

/* Merged bars are shaded by how much of their time the worker was busy:
 * 20,000 tasks of 0.1 µs every 1 µs (10% use) are pale, the same tasks
 * back to back solid.  Drawn solid, the first looked fully busy. */
static char *merged_gantt(double every) {
    json_t *events = json_array();
    for (int i = 0; i < 20000; i++) {
        char key[32];
        snprintf(key, sizeof(key), "t-%d", i);
        add_event(events, key, 0, i * every, 0.1);
    }
    json_t *trace = json_pack("{s:{s:i}, s:o}", "otherData", "workers", 1,
                              "traceEvents", events);
    char *svg = NULL;
    cr_assert_eq(dr_viz_gantt_svg(trace, NULL, NULL, &svg, NULL, NULL), 0);
    json_decref(trace);
    return svg;
}

Test(viz_gantt, merged_bars_are_shaded_by_their_busy_share) {
    char *svg = merged_gantt(1.0);
    const char *bar = strstr(svg, "class=\"bar merged");
    cr_assert_not_null(bar, "no merged bar");
    const char *op = strstr(bar, "fill-opacity=\"");
    cr_assert(op != NULL && op < strchr(bar, '>'), "no shade on a 10%% bar");
    double v = strtod(op + 14, NULL);
    cr_expect(v > 0.2 && v < 0.35, "fill-opacity %g for 10%% busy", v);
    cr_expect_not_null(strstr(svg, "(10% of that time)"), "tooltip");
    free(svg);
    svg = merged_gantt(0.1);
    bar = strstr(svg, "class=\"bar merged");
    cr_assert_not_null(bar);
    op = strstr(bar, "fill-opacity=\"");
    cr_expect(op == NULL || op > strchr(bar, '>'), "a busy bar is shaded");
    free(svg);
}
