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
                           "Scheduling overhead",
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
