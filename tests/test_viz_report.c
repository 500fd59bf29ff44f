/* The HTML report: every section present, nothing fetched from the network,
 * stderr tails escaped, the run outputs written; and a headless Chromium
 * screenshot that is not blank. */
#include "dagrun/viz.h"
#include "support.h"
#include "viz_internal.h"

#include <criterion/criterion.h>
#include <graphviz/cgraph.h>

#include <math.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static json_t *load_json(const char *name) {
    char *path = drt_fmt("%s/viz/%s", DR_TEST_DATA, name);
    json_t *j = json_load_file(path, 0, NULL);
    cr_assert_not_null(j, "cannot read %s", path);
    free(path);
    return j;
}

static dr_graph *lecture(void) {
    char *path = drt_fmt("%s/viz/lecture.json", DR_TEST_DATA);
    dr_error err;
    dr_error_clear(&err);
    dr_graph *g = dr_graph_load(path, NULL, &err);
    cr_assert_not_null(g, "%s", err.text);
    free(path);
    return g;
}

static char *report(const char *trace_name, const char *summary_name,
                    int with_graph) {
    dr_graph *g = with_graph ? lecture() : NULL;
    json_t *trace = load_json(trace_name);
    json_t *summary = summary_name ? load_json(summary_name) : NULL;
    char *html;
    size_t len;
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(dr_viz_report_html(g, trace, summary, NULL, &html, &len, &err),
                 0, "%s", err.text);
    json_decref(trace);
    json_decref(summary);
    dr_graph_destroy(g);
    return html;
}

Test(viz_report, has_every_section) {
    char *html = report("lecture-trace.json", "lecture-summary.json", 1);
    const char *ids[] = {"facts",   "metrics", "dag",     "gantt",
                         "profile", "workers", "slowest", "failures"};
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        char *needle = drt_fmt("<section id=\"%s\">", ids[i]);
        cr_assert(strstr(html, needle) != NULL, "section %s", ids[i]);
        free(needle);
    }
    const char *words[] = {"Makespan",
                           "Work T",
                           "Span T",
                           "Parallelism",
                           "Lower bound",
                           "Makespan / bound",
                           "Utilisation",
                           "Observed parallelism",
                           "Ready-to-start latency",
                           "Idle while work waited",
                           "Peak live results",
                           "idle tail",
                           "@media print",
                           "58.3 %",
                           "simulated"};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        cr_assert(strstr(html, words[i]) != NULL, "missing '%s'", words[i]);
    cr_assert(strstr(html, "<?xml") == NULL, "SVG prologs are stripped");
    cr_assert(strstr(html, "No task failed.") != NULL);
    free(html);
}

Test(viz_report, fetches_nothing_from_the_network) {
    char *html = report("failed-trace.json", "failed-summary.json", 1);
    const char *bad[] = {"src=\"http", "href=\"http", "src='http", "href='http",
                         "url(http",   "@import",     "<script",   "<link",
                         "<iframe",    "src=\"//",    "href=\"//"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert(strstr(html, bad[i]) == NULL, "found '%s'", bad[i]);
    free(html);
}

Test(viz_report, failures_show_escaped_stderr_tails_and_skipped_tasks) {
    char *html = report("failed-trace.json", "failed-summary.json", 1);
    cr_assert(strstr(html, "error: &lt;script&gt;alert(&#39;x&#39;)&lt;/script"
                           "&gt; &amp; bad &quot;data&quot;") != NULL);
    cr_assert(strstr(html, "<script>alert") == NULL);
    cr_assert(strstr(html, "exit status 3 (2 attempts)") != NULL);
    cr_assert(strstr(html, "1 task skipped because a dependency failed: f.") !=
              NULL);
    free(html);
}

Test(viz_report, a_bare_trace_is_enough) {
    char *html = report("failed-trace.json", NULL, 0);
    cr_assert(strstr(html, "<section id=\"dag\">") == NULL);
    cr_assert(strstr(html, "<section id=\"gantt\">") != NULL);
    cr_assert(strstr(html, "exit status 3") != NULL, "failures from the trace");
    free(html);
}

static int file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (int)st.st_size : -1;
}

Test(viz_report, run_outputs_are_written_and_the_dot_parses) {
    dr_graph *g = lecture();
    json_t *trace = load_json("lecture-trace.json");
    json_t *summary = load_json("lecture-summary.json");
    char *dir = drt_tmpdir();
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(dr_viz_write_run_outputs(g, trace, summary, dir, &err), 0,
                 "%s", err.text);
    const char *names[] = {"dag.dot", "dag.svg", "gantt.svg", "report.html"};
    for (int i = 0; i < 4; i++) {
        char *p = drt_fmt("%s/%s", dir, names[i]);
        cr_assert_gt(file_size(p), 500, "%s", names[i]);
        free(p);
    }
    char *p = drt_fmt("%s/dag.dot", dir);
    char *dot = drt_read_file(p, NULL);
    Agraph_t *ag = agmemread(dot);
    cr_assert_not_null(ag);
    cr_assert_eq(agnnodes(ag), 7, "6 tasks and the legend");
    agclose(ag);
    free(dot);
    free(p);
    drt_rmtree(dir);
    free(dir);
    json_decref(trace);
    json_decref(summary);
    dr_graph_destroy(g);
}

Test(viz_cli, report_from_the_command_line) {
    char *dir = drt_tmpdir();
    char *err = NULL;
    int rc =
        drt_cli(NULL, &err,
                "viz %s/viz/lecture.json --trace %s/viz/lecture-trace.json "
                "--summary %s/viz/lecture-summary.json --report %s/r.html",
                DR_TEST_DATA, DR_TEST_DATA, DR_TEST_DATA, dir);
    cr_assert_eq(rc, 0, "%s", err);
    free(err);
    char *p = drt_fmt("%s/r.html", dir);
    cr_assert_gt(file_size(p), 5000);
    free(p);
    err = NULL;
    cr_assert_eq(drt_cli(NULL, &err, "viz %s/viz/lecture.json --report x.html",
                         DR_TEST_DATA),
                 2);
    cr_assert(strstr(err, "--trace") != NULL, "%s", err);
    free(err);
    drt_rmtree(dir);
    free(dir);
}

static const char *chromium(void) {
    const char *c[] = {"/usr/bin/chromium", "/usr/bin/chromium-browser",
                       "/usr/bin/google-chrome"};
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
        if (access(c[i], X_OK) == 0)
            return c[i];
    return NULL;
}

/* Screenshots `html_path` to `png`; returns the PNG's size or -1. */
static int screenshot(const char *browser, const char *dir,
                      const char *html_path, const char *png) {
    char *profile = drt_fmt("%s/profile-%s", dir, strrchr(png, '/') + 1);
    char *cmd = drt_fmt(
        "timeout 90 '%s' --headless --no-sandbox --disable-gpu --no-first-run "
        "--disable-background-networking --disable-component-update "
        "--disable-sync --user-data-dir='%s' --screenshot='%s' "
        "--window-size=1280,2000 'file://%s' >/dev/null 2>&1",
        browser, profile, png, html_path);
    int rc = system(cmd);
    free(cmd);
    free(profile);
    return rc == 0 ? file_size(png) : -1;
}

Test(viz_report, renders_in_headless_chromium_and_is_not_blank,
     .timeout = 240) {
    const char *browser = chromium();
    if (browser == NULL)
        cr_skip_test("chromium is missing (scripts/setup.sh --test installs "
                     "it): the report was not rendered");
    char *html = report("failed-trace.json", "failed-summary.json", 1);
    char *dir = drt_tmpdir();
    char *page = drt_fmt("%s/report.html", dir);
    char *blank = drt_fmt("%s/blank.html", dir);
    cr_assert_eq(drt_write_file(page, html), 0);
    cr_assert_eq(drt_write_file(blank, "<!DOCTYPE html><html><body></body>"
                                       "</html>"),
                 0);
    char *png = drt_fmt("%s/report.png", dir);
    char *blank_png = drt_fmt("%s/blank.png", dir);
    int size = screenshot(browser, dir, page, png);
    int blank_size = screenshot(browser, dir, blank, blank_png);
    cr_log_info("report screenshot %d bytes, blank page %d bytes", size,
                blank_size);
    cr_assert_gt(size, 0, "no screenshot written");
    cr_assert_gt(blank_size, 0, "no screenshot of the blank page");
    char *data = drt_read_file(png, NULL);
    cr_assert(data && memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0, "not a PNG");
    free(data);
    /* A blank 1280x2000 page compresses to about 12 kB; the report,
     * with text, tables and charts, to far more. */
    cr_assert_gt(size, 8 * blank_size, "the screenshot looks blank");
    cr_assert_gt(size, 100 * 1024);
    if (getenv("DR_KEEP_SCREENSHOT") == NULL)
        drt_rmtree(dir);
    else
        cr_log_info("kept %s", png);
    free(png);
    free(blank_png);
    free(page);
    free(blank);
    free(dir);
    free(html);
}

/* The class names the pictures in a report use (class="a b" tokens inside
 * each <svg>...</svg>). */
static size_t picture_classes(const char *html, char names[][32], size_t max) {
    size_t n = 0;
    for (const char *svg = strstr(html, "<svg"); svg != NULL;
         svg = strstr(svg + 1, "<svg")) {
        const char *stop = strstr(svg, "</svg>");
        cr_assert_not_null(stop);
        for (const char *p = svg;
             (p = strstr(p, "class=\"")) != NULL && p < stop && n < max;) {
            p += 7;
            const char *end = strchr(p, '"');
            while (p < end) {
                size_t k = strcspn(p, " \"");
                if (k > 0 && k < 32) {
                    int seen = 0;
                    for (size_t i = 0; i < n; i++)
                        seen |=
                            strncmp(names[i], p, k) == 0 && names[i][k] == 0;
                    if (!seen) {
                        memcpy(names[n], p, k);
                        names[n++][k] = '\0';
                    }
                }
                p += k + (p[k] == ' ');
            }
        }
    }
    return n;
}

/* Issue 8: `.bar{height:10px}` reached the Gantt chart's <rect
 * class="bar">.  No rule of the report's style sheet may name a class that
 * a picture uses, and the universal rule must exclude SVG content. */
Test(viz_report, style_sheet_cannot_reach_the_pictures) {
    char *html =
        report("interrupted-trace.json", "interrupted-summary.json", 1);
    char names[256][32];
    size_t n = picture_classes(html, names, 256);
    cr_assert_geq(n, 5, "bar, axis, idle-tail, chain, node...");
    const char *css = dr__viz_report_css();
    for (size_t i = 0; i < n; i++) {
        char *sel = drt_fmt(".%s", names[i]);
        for (const char *p = css; (p = strstr(p, sel)) != NULL; p++) {
            char next = p[strlen(sel)];
            cr_expect(!(next == '{' || next == ' ' || next == ',' ||
                        next == ':' || next == '.' || next == '>' ||
                        next == '['),
                      "the report's CSS names '%s', a class of a picture", sel);
        }
        free(sel);
    }
    cr_expect(strstr(css, "\n*{") == NULL && strncmp(css, "*{", 2) != 0,
              "a bare universal rule reaches into SVGs");
    free(html);
}

Test(viz_report, interrupted_runs_say_interrupted_in_the_tables) {
    char *html =
        report("interrupted-trace.json", "interrupted-summary.json", 1);
    cr_expect(strstr(html, "<section id=\"interrupted\">") != NULL);
    cr_expect(strstr(html, ">2 succeeded, 2 interrupted, 2 not run<") != NULL,
              "the Tasks row counts them");
    cr_expect(strstr(html, "<td class=\"rp-intr\">interrupted</td>") != NULL,
              "the slowest-tasks table");
    cr_expect(strstr(html, "(1 interrupted)") != NULL, "the workers table");
    cr_expect(strstr(html, "No task failed.") != NULL,
              "interrupted is not failed");
    cr_expect(strstr(html, "2 tasks</span> were running when a signal "
                           "stopped the run: b, c.") != NULL);
    cr_expect(strstr(html, "2 tasks never started: e, f.") != NULL);
    cr_expect(strstr(html, "The run was interrupted: 2 tasks were running") !=
              NULL);
    free(html);
    /* Without a summary the trace's attempts say it. */
    html = report("interrupted-trace.json", NULL, 0);
    cr_expect(strstr(html, ">2 succeeded, 2 interrupted<") != NULL);
    cr_expect(strstr(html, "No task failed.") != NULL);
    cr_expect(strstr(html, "were running when a signal stopped the run: b, "
                           "c.") != NULL);
    free(html);
    /* A run that was not interrupted has no such section or words. */
    html = report("lecture-trace.json", "lecture-summary.json", 1);
    cr_expect(strstr(html, "id=\"interrupted\"") == NULL);
    cr_expect(strstr(html, ">6 succeeded<") != NULL);
    free(html);
}

/* The report from in-memory JSON (the graph: the lecture DAG). */
static char *report_of(const json_t *trace, const json_t *summary) {
    dr_graph *g = lecture();
    char *html;
    size_t len;
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(dr_viz_report_html(g, trace, summary, NULL, &html, &len, &err),
                 0, "%s", err.text);
    dr_graph_destroy(g);
    return html;
}

/* The explanation (third cell) of the summary row named `name`; new. */
static char *row_why(const char *html, const char *name) {
    char *th = drt_fmt("<tr><th>%s</th>", name);
    const char *r = strstr(html, th);
    free(th);
    if (r == NULL)
        return NULL;
    const char *w = strstr(r, "<td class=\"rp-why\">");
    cr_assert_not_null(w);
    w += strlen("<td class=\"rp-why\">");
    return strndup(w, (size_t)(strstr(w, "</td>") - w));
}

/* Issue 8: the ready-to-start latency is not an overhead; each of the
 * summary's figures has its own row under its own name, and the overhead
 * per task appears only when the summary has one. */
Test(viz_report, latency_and_overhead_rows_name_what_they_measure) {
    json_t *trace = load_json("lecture-trace.json");
    json_t *summary = load_json("lecture-summary.json");
    json_object_set_new(summary, "overhead",
                        json_pack("{s:f, s:f, s:f, s:f}", "ready_while_idle",
                                  0.5, "latency_mean", 0.25, "latency_median",
                                  0.1, "latency_max", 1.0));
    json_object_set_new(summary, "simulated", json_false());
    char *html = report_of(trace, summary);
    cr_expect(strstr(html, "Scheduling overhead") == NULL,
              "a latency shown as an overhead");
    cr_expect(strstr(html, "<tr><th>Ready-to-start latency</th><td "
                           "class=\"rp-num\">mean 250 ms, median 100 ms, "
                           "max 1 s</td>") != NULL);
    char *why = row_why(html, "Ready-to-start latency");
    cr_assert_not_null(why);
    cr_expect(strstr(why, "ready") && strstr(why, "not an overhead"), "%s",
              why);
    free(why);
    cr_expect(strstr(html, "<tr><th>Idle while work waited</th><td "
                           "class=\"rp-num\">500 ms</td>") != NULL);
    cr_expect(strstr(html, "Overhead per task") == NULL,
              "no per-task overhead in this summary");
    free(html);
    /* A summary with the overhead per task (overhead.per_task, the mean
     * gap between one task's end and the next one's start on a worker
     * when the next was already ready, over overhead.dispatches gaps). */
    json_t *ov = json_object_get(summary, "overhead");
    json_object_set_new(ov, "per_task", json_real(2e-4));
    json_object_set_new(ov, "dispatches", json_integer(12));
    html = report_of(trace, summary);
    cr_expect(strstr(html, "<tr><th>Overhead per task</th><td "
                           "class=\"rp-num\">200 \xC2\xB5s (mean of 12)"
                           "</td>") != NULL);
    cr_expect(strstr(html, "mean 250 ms, median 100 ms, max 1 s") != NULL,
              "the latency keeps its own row");
    free(html);
    json_decref(summary);
    json_decref(trace);
}

/* A trace of the lecture DAG on one worker where a and b succeeded. */
static json_t *two_tasks_trace(int workers) {
    json_t *ev = json_array();
    const char *names[] = {"a", "b"};
    for (int i = 0; i < 2; i++)
        json_array_append_new(
            ev, json_pack("{s:s, s:s, s:s, s:i, s:i, s:f, s:f, s:{s:s, s:s, "
                          "s:f}}",
                          "name", names[i], "cat", names[i], "ph", "X", "pid",
                          1, "tid", 0, "ts", i * 1e6, "dur", 1e6, "args",
                          "task", names[i], "status", "ok", "ready", i * 1e6));
    return json_pack("{s:o, s:{s:s, s:i}}", "traceEvents", ev, "otherData",
                     "graph", "lecture", "workers", workers);
}

/* Issue 8: a run stopped by a signal between tasks has no interrupted task,
 * so nothing may explain "Interrupted"; what it has (tasks that never
 * started) is explained as what happened. */
Test(viz_report, a_run_stopped_between_tasks_explains_only_what_happened) {
    json_t *trace = two_tasks_trace(1);
    json_t *summary =
        json_pack("{s:s, s:i, s:b, s:i, s:i, s:[], s:[], s:b, s:[], s:[ssss]}",
                  "graph", "lecture", "workers", 1, "simulated", 0, "tasks", 6,
                  "succeeded", 2, "failed", "skipped", "interrupted", 1,
                  "interrupted_tasks", "not_run", "c", "d", "e", "f");
    char *html = report_of(trace, summary);
    cr_expect(strstr(html, ">2 succeeded, 4 not run<") != NULL);
    char *why = row_why(html, "Tasks");
    cr_assert_not_null(why);
    cr_expect(strstr(why, "Interrupted") == NULL, "no task interrupted: %s",
              why);
    cr_expect(strstr(why, "Failed") == NULL && strstr(why, "Skipped") == NULL,
              "%s", why);
    cr_expect(strstr(why, "Not run: never started, because a signal stopped "
                          "the run first.") != NULL,
              "%s", why);
    free(why);
    cr_expect(strstr(html, "0 tasks") == NULL, "no \"0 tasks were running\"");
    cr_expect(strstr(html,
                     "The run was interrupted between tasks: none was "
                     "running when it was stopped; 4 never started") != NULL);
    cr_expect(strstr(html, "<section id=\"interrupted\">") != NULL);
    cr_expect(strstr(html, "4 tasks never started: c, d, e, f.") != NULL);
    free(html);
    json_decref(summary);
    json_decref(trace);
}

/* A normal run explains nothing it does not show; a run that stopped after
 * a failure (no --keep-going) is not called interrupted. */
Test(viz_report, explanations_appear_only_for_what_happened) {
    char *html = report("lecture-trace.json", "lecture-summary.json", 1);
    char *why = row_why(html, "Tasks");
    cr_assert_not_null(why);
    cr_expect_str_eq(why, "What became of the tasks: all of them succeeded.");
    free(why);
    cr_expect(strstr(html, "interrupted") == NULL);
    cr_expect(strstr(html, "never started") == NULL);
    free(html);

    json_t *trace = load_json("failed-trace.json");
    json_t *summary = load_json("failed-summary.json");
    html = report_of(trace, summary);
    why = row_why(html, "Tasks");
    cr_expect_str_eq(why, "Failed: every attempt failed or timed out. "
                          "Skipped: a dependency failed.");
    free(why);
    free(html);
    /* The same run, had it stopped after the failure with f pending. */
    json_object_set_new(summary, "skipped", json_array());
    json_object_set_new(summary, "not_run", json_pack("[s]", "f"));
    html = report_of(trace, summary);
    why = row_why(html, "Tasks");
    cr_expect_str_eq(why, "Failed: every attempt failed or timed out. Not "
                          "run: never started, because the run stopped after "
                          "a failure (without --keep-going).");
    free(why);
    cr_expect(strstr(html, "id=\"interrupted\"") == NULL,
              "no signal stopped this run");
    cr_expect(strstr(html, "interrupted") == NULL);
    cr_expect(strstr(html, "1 task never started: the run stopped after the "
                           "failure (without --keep-going): f.") != NULL);
    free(html);
    json_decref(summary);
    json_decref(trace);
}

/* A script that measures, in the SVG's own units, every bar and text of the
 * timeline and appends the numbers to the document (for --dump-dom).  No
 * '<' or '&', so it is valid inside an SVG document as it is. */
static const char measure_js[] =
    "(function(){var svg=document.querySelector('#gantt svg')||"
    "document.documentElement;var r=svg.getBoundingClientRect();"
    "var k=svg.viewBox.baseVal.width/r.width;var out=[];"
    "var els=svg.querySelectorAll('rect.bar, text');"
    "for(var i=0;i!==els.length;i++){var b=els[i].getBoundingClientRect();"
    "out.push([els[i].tagName,((b.left-r.left)*k).toFixed(2),"
    "((b.top-r.top)*k).toFixed(2),(b.width*k).toFixed(2),"
    "(b.height*k).toFixed(2)].join(' '))}"
    "var m=document.createElementNS(svg.namespaceURI,'desc');"
    "m.textContent='MEA'+'SURE['+out.join('|')+']MEA'+'SURE';"
    "svg.appendChild(m)"
    "})();";

/* Loads `path` in headless Chromium and returns what measure_js found
 * ("rect x y w h|text ..."), or NULL. */
static char *measure(const char *browser, const char *dir, const char *path) {
    char *out = drt_fmt("%s.dom", path);
    char *cmd = drt_fmt(
        "timeout 90 '%s' --headless --no-sandbox --disable-gpu "
        "--disable-quic --no-first-run --disable-background-networking "
        "--disable-component-update --disable-sync --user-data-dir='%s/p-%s' "
        "--window-size=1400,3000 --dump-dom 'file://%s' >'%s' 2>/dev/null",
        browser, dir, strrchr(path, '/') + 1, path, out);
    int rc = system(cmd);
    free(cmd);
    char *dom = rc == 0 ? drt_read_file(out, NULL) : NULL;
    free(out);
    char *s = dom ? strstr(dom, "MEASURE[") : NULL,
         *e = s ? strstr(s, "]MEASURE") : NULL;
    char *m = NULL;
    if (s && e)
        m = strndup(s + 8, (size_t)(e - s - 8));
    free(dom);
    return m;
}

/* Inserts `text` before the last occurrence of `tag` in `doc`. */
static char *insert_before(const char *doc, const char *tag, const char *text) {
    const char *at = NULL;
    for (const char *p = doc; (p = strstr(p, tag)) != NULL; p++)
        at = p;
    cr_assert_not_null(at);
    return drt_fmt("%.*s%s%s", (int)(at - doc), doc, text, at);
}

/* Issue 8: the report's timeline is drawn exactly as the stand-alone
 * gantt.svg: every bar and label at the same place and size, measured by
 * the real headless Chromium (today the report's CSS made the bars 10 px
 * high with their labels hanging below). */
Test(viz_report, timeline_in_the_report_matches_the_standalone_chart,
     .timeout = 300) {
    const char *browser = chromium();
    if (browser == NULL)
        cr_skip_test("chromium is missing (scripts/setup.sh --test installs "
                     "it): the report was not rendered");
    dr_graph *g = lecture();
    json_t *trace = load_json("lecture-trace.json");
    json_t *summary = load_json("lecture-chain-summary.json");
    char *html, *svg;
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(dr_viz_report_html(g, trace, summary, NULL, &html, NULL, &err),
                 0, "%s", err.text);
    /* The report draws the chart without the profile below (it has its own
     * section); the stand-alone chart is drawn the same way. */
    dr_gantt_options go;
    dr_gantt_options_init(&go);
    go.profile = 0;
    cr_assert_eq(dr_viz_gantt_svg(trace, summary, &go, &svg, NULL, &err), 0);
    char *dir = drt_tmpdir();
    char *script_html = drt_fmt("<script>%s</script>", measure_js);
    char *page = insert_before(html, "</body>", script_html);
    char *script_svg = drt_fmt("<script>%s</script>", measure_js);
    char *image = insert_before(svg, "</svg>", script_svg);
    char *page_path = drt_fmt("%s/report.html", dir);
    char *image_path = drt_fmt("%s/gantt.svg", dir);
    cr_assert_eq(drt_write_file(page_path, page), 0);
    cr_assert_eq(drt_write_file(image_path, image), 0);
    char *in_report = measure(browser, dir, page_path);
    char *alone = measure(browser, dir, image_path);
    cr_assert_not_null(in_report, "no measurement from the report");
    cr_assert_not_null(alone, "no measurement from gantt.svg");
    cr_log_info("report: %s", in_report);
    cr_log_info("gantt.svg: %s", alone);
    size_t bars = 0;
    char *sa, *sb;
    char *a = strtok_r(in_report, "|", &sa), *b = strtok_r(alone, "|", &sb);
    for (; a && b; a = strtok_r(NULL, "|", &sa), b = strtok_r(NULL, "|", &sb)) {
        char ta[16], tb[16];
        double va[4], vb[4];
        cr_assert_eq(sscanf(a, "%15s %lf %lf %lf %lf", ta, &va[0], &va[1],
                            &va[2], &va[3]),
                     5, "%s", a);
        cr_assert_eq(sscanf(b, "%15s %lf %lf %lf %lf", tb, &vb[0], &vb[1],
                            &vb[2], &vb[3]),
                     5, "%s", b);
        cr_assert_str_eq(ta, tb);
        int is_bar = strcmp(ta, "rect") == 0;
        bars += is_bar;
        /* Bars exactly (up to the rounding of the report's scaling);
         * text positions within two units (glyphs are hinted at the
         * scaled size). */
        double tol = is_bar ? 0.6 : 2.0;
        const char *what[] = {"x", "y", "width", "height"};
        for (int k = 0; k < 4; k++) {
            double t = k == 2 && !is_bar ? fmax(tol, 0.08 * vb[2]) : tol;
            cr_expect(fabs(va[k] - vb[k]) <= t,
                      "%s %s: %.2f in the report, %.2f in gantt.svg", ta,
                      what[k], va[k], vb[k]);
        }
    }
    cr_expect(a == NULL && b == NULL, "not the same number of bars and texts");
    cr_expect_eq(bars, 6, "the six bars of the lecture run were measured");
    free(in_report), free(alone);
    drt_rmtree(dir);
    free(dir), free(page_path), free(image_path), free(page), free(image);
    free(script_html), free(script_svg), free(html), free(svg);
    json_decref(trace);
    json_decref(summary);
    dr_graph_destroy(g);
}

/* A real report of `trace`/`summary` after setting summary fields. */
static char *report_with(json_t *trace, json_t *summary) {
    char *html;
    size_t len;
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(
        dr_viz_report_html(NULL, trace, summary, NULL, &html, &len, &err), 0,
        "%s", err.text);
    return html;
}

/* The cores warning follows the summary's verdict: three sleeping workers on
 * two cores share nothing, so the report must not say their durations grow;
 * and a simulated makespan is not wall time. */
Test(viz_report,
     cores_warning_follows_the_summary_and_simulated_time_is_virtual) {
    json_t *trace = load_json("lecture-trace.json");
    json_t *summary = load_json("lecture-summary.json");
    json_object_set_new(json_object_get(trace, "otherData"), "simulated",
                        json_false());
    json_object_set_new(summary, "simulated", json_false());
    json_object_set_new(summary, "oversubscribed", json_false());
    char *html = report_with(trace, summary);
    cr_expect(strstr(html, "workers on 2 cores") == NULL,
              "a run of sleeps is warned about cores");
    cr_expect(strstr(html, "Wall time from the start") != NULL);
    free(html);
    json_object_set_new(summary, "oversubscribed", json_true());
    html = report_with(trace, summary);
    cr_expect(strstr(html, "3 workers on 2 cores") != NULL,
              "a run of CPU tasks on too few cores is not warned about");
    free(html);
    json_object_set_new(summary, "simulated", json_true());
    html = report_with(trace, summary);
    cr_expect(strstr(html, "Virtual time from the start") != NULL);
    cr_expect(strstr(html, "Wall time from the start") == NULL);
    free(html);
    json_decref(trace);
    json_decref(summary);
}

/* ------------------------------------------------------- cached tasks */

Test(viz_report, cached_tasks_are_counted_and_listed_in_the_tables) {
    /* The lecture graph resumed: a, b, d cached; c, e, f ran. */
    for (int with = 0; with < 2; with++) {
        char *html = report("cached-trace.json",
                            with ? "cached-summary.json" : NULL, with);
        cr_expect(strstr(html, ">3 succeeded, 3 cached<") != NULL,
                  "the Tasks row (%d)", with);
        cr_expect(strstr(html, "Cached: not run, the recorded result of an "
                               "earlier run reused (--resume).") != NULL);
        cr_expect(strstr(html, "<p class=\"rp-cached\">3 tasks cached: not "
                               "run, their recorded results of an earlier "
                               "run reused (--resume): a, b, d.</p>") != NULL,
                  "under the task table (%d)", with);
        /* They ran nowhere: no row of the task table. */
        cr_expect(strstr(html, "<tr><td>a</td>") == NULL);
        cr_expect(strstr(html, "<tr><td>c</td>") != NULL);
        cr_expect(strstr(html, "Nothing ran") == NULL);
        free(html);
    }
    char *html = report("lecture-trace.json", "lecture-summary.json", 1);
    cr_expect(strstr(html, "cached") == NULL);
    free(html);
}

Test(viz_report, a_run_where_every_task_was_cached_shows_no_times) {
    char *html = report("allcached-trace.json", "allcached-summary.json", 1);
    cr_expect(strstr(html,
                     "<p>Nothing ran: all 6 tasks were cached, their "
                     "recorded results of an earlier run reused "
                     "(--resume), so there are no times to show.</p>") != NULL);
    cr_expect(strstr(html, ">0 succeeded, 6 cached<") != NULL);
    /* Figures of time that would all be zero, and the sections made of
     * them, are left out; the task graph and the timeline stay. */
    cr_expect(strstr(html, "Utilisation") == NULL);
    cr_expect(strstr(html, "Parallelism T") == NULL);
    cr_expect(strstr(html, "<section id=\"profile\">") == NULL);
    cr_expect(strstr(html, "<section id=\"workers\">") == NULL);
    cr_expect(strstr(html, "<section id=\"dag\">") != NULL);
    cr_expect(strstr(html, "<section id=\"gantt\">") != NULL);
    cr_expect(strstr(html, "<p>No task ran.</p>") != NULL);
    cr_expect(strstr(html, "6 tasks cached: not run") != NULL);
    cr_expect(strstr(html, "nan") == NULL && strstr(html, "inf") == NULL);
    free(html);
}
