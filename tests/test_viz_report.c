/* The HTML report: every section present, nothing fetched from the network,
 * stderr tails escaped, the run outputs written; and a headless Chromium
 * screenshot that is not blank. */
#include "dagrun/viz.h"
#include "support.h"

#include <criterion/criterion.h>
#include <graphviz/cgraph.h>

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
        cr_skip_test("chromium is not installed (scripts/setup.sh installs "
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
