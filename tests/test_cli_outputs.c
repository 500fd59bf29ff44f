/* The names of the files the picture commands write: a name asks for a
 * format, and the command either writes that format (the task graph, through
 * Graphviz) or refuses it before anything is loaded or run, with one line
 * naming the option, the file and the names accepted; "-" is standard
 * output for viz and gantt and refused by run (whose standard output is its
 * summary).  Issue 8: `gantt -o g.png` and `run --gantt x.png --report
 * x.pdf` wrote SVG and HTML under those names and exited 0, and `-o -`
 * wrote a file named "-". */
#include "support.h"

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TRACE DR_TEST_DATA "/viz/lecture-trace.json"
#define SUMMARY DR_TEST_DATA "/viz/lecture-summary.json"
#define GRAPH DR_TEST_DATA "/viz/lecture.json"

/* Each test runs in a scratch folder of its own (Criterion forks a process
 * per test), so that a file named "-" would show up here. */
static char *dir;
static void in_scratch(void) {
    dir = drt_tmpdir();
    cr_assert_eq(chdir(dir), 0);
}
static void out_of_scratch(void) {
    cr_assert_eq(chdir("/"), 0);
    drt_rmtree(dir);
    free(dir);
}

static int exists(const char *name) { return access(name, F_OK) == 0; }

/* Lines of text (the message and the "Try --help" hint at most). */
static int lines(const char *s) {
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static int starts_with_png(const char *path) {
    size_t len = 0;
    char *data = drt_read_file(path, &len);
    int ok =
        data != NULL && len > 8 && memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0;
    free(data);
    return ok;
}

TestSuite(cli_outputs, .init = in_scratch, .fini = out_of_scratch);

Test(cli_outputs, gantt_refuses_a_name_that_is_not_svg) {
    char *out = NULL, *err = NULL;
    int rc = drt_cli(&out, &err, "gantt %s -o g.png", TRACE);
    cr_expect_eq(rc, 2, "%s", err);
    cr_expect(strstr(err, "dagrun gantt: -o g.png: ") == err, "%s", err);
    cr_expect(strstr(err, ".svg") != NULL, "names what it accepts: %s", err);
    cr_expect_leq(lines(err), 2, "%s", err);
    cr_expect(!exists("g.png"), "nothing written under a PNG's name");
    free(out);
    free(err);
    /* Any case of .svg is an SVG's name. */
    rc = drt_cli(NULL, &err, "gantt %s -o G.SVG", TRACE);
    cr_expect_eq(rc, 0, "%s", err);
    cr_expect(exists("G.SVG"));
    free(err);
}

Test(cli_outputs, gantt_dash_is_standard_output) {
    char *out = NULL, *err = NULL;
    int rc = drt_cli(&out, &err, "gantt %s -s %s -o -", TRACE, SUMMARY);
    cr_assert_eq(rc, 0, "%s", err);
    cr_expect(strncmp(out, "<svg", 4) == 0 || strncmp(out, "<?xml", 5) == 0,
              "%.80s", out);
    cr_expect(strstr(out, "</svg>") != NULL);
    cr_expect_str_eq(err, "");
    cr_expect(!exists("-"), "a file named '-' was written");
    free(out);
    free(err);
}

Test(cli_outputs, viz_writes_the_format_the_name_asks_for_or_refuses) {
    char *err = NULL;
    /* Graphviz renders PNG: x.png is a PNG. */
    cr_assert_eq(drt_cli(NULL, &err, "viz %s -o x.png", GRAPH), 0, "%s", err);
    cr_expect(starts_with_png("x.png"));
    free(err);
    cr_expect_eq(drt_cli(NULL, &err, "viz %s -o x.txt", GRAPH), 2);
    cr_expect(strstr(err, "dagrun viz: -o x.txt: ") == err, "%s", err);
    cr_expect(strstr(err, ".svg") && strstr(err, ".png") &&
                  strstr(err, ".pdf") && strstr(err, ".dot"),
              "%s", err);
    cr_expect(!exists("x.txt"));
    free(err);
    /* PostScript is not offered: Graphviz's driver garbles the labels'
     * non-Latin-1 characters. */
    cr_expect_eq(drt_cli(NULL, &err, "viz %s -o x.ps", GRAPH), 2);
    free(err);
    cr_expect_eq(
        drt_cli(NULL, &err, "viz %s --trace %s --report x.pdf", GRAPH, TRACE),
        2);
    cr_expect(strstr(err, "dagrun viz: --report x.pdf: ") == err, "%s", err);
    cr_expect(strstr(err, ".html") != NULL, "%s", err);
    cr_expect(!exists("x.pdf"));
    free(err);
}

Test(cli_outputs, viz_dash_is_standard_output_for_one_of_its_outputs) {
    char *out = NULL, *err = NULL;
    cr_assert_eq(drt_cli(&out, &err, "viz %s -o -", GRAPH), 0, "%s", err);
    cr_expect(strstr(out, "<svg") != NULL && strstr(out, "</svg>") != NULL,
              "SVG on standard output: %.80s", out);
    free(out);
    free(err);
    cr_assert_eq(drt_cli(&out, &err,
                         "viz %s --trace %s --summary %s "
                         "--report -",
                         GRAPH, TRACE, SUMMARY),
                 0, "%s", err);
    cr_expect(strncmp(out, "<!DOCTYPE html>", 15) == 0, "%.80s", out);
    cr_expect(strstr(out, "</html>") != NULL);
    free(out);
    free(err);
    cr_expect_eq(
        drt_cli(&out, &err, "viz %s --trace %s -o - --report -", GRAPH, TRACE),
        2);
    cr_expect(strstr(err, "standard output") != NULL, "%s", err);
    cr_expect_str_eq(out, "");
    free(out);
    free(err);
    cr_expect(!exists("-"), "a file named '-' was written");
}

/* run checks every output's name before the run: nothing runs, no trace is
 * written, and the message names the option and the file. */
Test(cli_outputs, run_refuses_a_wrong_name_before_the_run) {
    static const char *const cases[][2] = {
        {"--gantt x.png", "--gantt x.png: "},
        {"--report x.pdf", "--report x.pdf: "},
        {"--svg x.txt", "--svg x.txt: "},
        {"--svg -", "--svg -: "},
        {"--gantt -", "--gantt -: "},
        {"--report -", "--report -: "},
        {"--json -", "--json -: "},
        {"--trace t.svg", "--trace t.svg: "},
        {"-o -", "-o -: "},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out = NULL, *err = NULL;
        /* The last -o wins: "-o out -o -" asks for a folder named "-". */
        int rc = drt_cli(&out, &err, "run %s -s -o out %s", GRAPH, cases[i][0]);
        cr_expect_eq(rc, 2, "%s: exit %d: %s", cases[i][0], rc, err);
        char *want = drt_fmt("dagrun run: %s", cases[i][1]);
        cr_expect(strstr(err, want) == err, "%s: %s", cases[i][0], err);
        free(want);
        cr_expect_leq(lines(err), 2, "%s", err);
        cr_expect(strstr(out, "run of") == NULL, "%s ran: %s", cases[i][0],
                  out);
        cr_expect(!exists("out/trace.json"), "%s: the run started",
                  cases[i][0]);
        cr_expect(!exists("x.png") && !exists("x.pdf") && !exists("-") &&
                      !exists("t.svg"),
                  "%s", cases[i][0]);
        free(out);
        free(err);
    }
}

Test(cli_outputs, run_writes_what_each_name_asks_for) {
    char *err = NULL;
    int rc = drt_cli(NULL, &err,
                     "run %s -s -q -o out --svg g.png --dot g.dot "
                     "--gantt t.svg --report r.html --trace t.json",
                     GRAPH);
    cr_assert_eq(rc, 0, "%s", err);
    free(err);
    cr_expect(starts_with_png("g.png"));
    char *dot = drt_read_file("g.dot", NULL);
    cr_expect(dot != NULL && strncmp(dot, "digraph", 7) == 0, "%.40s", dot);
    free(dot);
    char *svg = drt_read_file("t.svg", NULL);
    cr_expect(svg != NULL && strstr(svg, "<svg") != NULL);
    free(svg);
    char *html = drt_read_file("r.html", NULL);
    cr_expect(html != NULL && strncmp(html, "<!DOCTYPE html>", 15) == 0);
    free(html);
}

/* The files asked for by name are said, with --no-outputs as without: a
 * user who gave --gantt sees where it went. */
Test(cli_outputs, run_says_where_the_files_asked_for_went) {
    char *out = NULL, *err = NULL;
    int rc =
        drt_cli(&out, &err,
                "run %s -s --no-outputs --gantt t.svg --report r.html", GRAPH);
    cr_assert_eq(rc, 0, "%s", err);
    cr_expect_not_null(strstr(out, "\nGantt chart: t.svg\n"), "%s", out);
    cr_expect_not_null(strstr(out, "\nReport: r.html\n"), "%s", out);
    cr_expect_null(strstr(out, "Pictures:"), "no default pictures: %s", out);
    free(out);
    free(err);
    out = err = NULL;
    rc = drt_cli(&out, &err, "run %s -s -o out --dot g.dot --svg g.svg", GRAPH);
    cr_assert_eq(rc, 0, "%s", err);
    cr_expect_not_null(strstr(out, "Pictures: out/dag.svg"), "%s", out);
    cr_expect_not_null(strstr(out, "\nGraph (DOT): g.dot\n"), "%s", out);
    cr_expect_not_null(strstr(out, "\nGraph: g.svg\n"), "%s", out);
    free(out);
    free(err);
}
