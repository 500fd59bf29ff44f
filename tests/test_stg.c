/*
 * The STG reader (graph/stg.c): the published STG graphs give the critical
 * path and parallelism their own footers state, the dummies are dropped,
 * records are read by tokens, and every kind of malformed file is reported
 * with its line, column and task.
 */
#include "formats_internal.h"
#include "support.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STG_DIR DR_TEST_DATA "/stg"

static dr_graph *load_text(const char *text, dr_error *err) {
    dr_error_clear(err);
    return dr__load_stg(text, strlen(text), "case.stg", NULL, err);
}

static dr_graph *load_file(const char *path, char **text_out) {
    size_t len;
    char *text = drt_read_file(path, &len);
    cr_assert_not_null(text, "cannot read %s", path);
    dr_error err;
    dr_error_clear(&err);
    dr_graph *g = dr__load_stg(text, len, path, NULL, &err);
    cr_assert_not_null(g, "%s: %s", path, err.text);
    cr_assert_eq(dr_graph_validate(g, &err), 0, "%s", err.text);
    if (text_out != NULL)
        *text_out = text;
    else
        free(text);
    return g;
}

/* The value after "<label> ... :" on a '#' line of an STG footer
 * ("#   Tasks             : 50 (+dummy tasks : 2)"), or NAN. */
static double footer_value(const char *text, const char *label) {
    for (const char *p = strstr(text, label); p != NULL;
         p = strstr(p + 1, label)) {
        const char *colon = strchr(p, ':');
        const char *nl = strchr(p, '\n');
        if (colon != NULL && (nl == NULL || colon < nl))
            return strtod(colon + 1, NULL);
    }
    return NAN;
}

Test(stg, every_sample_matches_the_span_and_parallelism_of_its_footer) {
    DIR *d = opendir(STG_DIR);
    cr_assert_not_null(d);
    int checked = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".stg") != 0)
            continue;
        char *path = drt_fmt("%s/%s", STG_DIR, e->d_name);
        char *text;
        dr_graph *g = load_file(path, &text);
        double cp = footer_value(text, "CP Length");
        double par = footer_value(text, "Parallelism");
        double tasks = footer_value(text, "Tasks");
        cr_assert(!isnan(cp) && !isnan(par) && !isnan(tasks),
                  "%s: footer incomplete", path);
        dr_error err;
        dr_analysis *a = dr_analyze(g, NULL, &err);
        cr_assert_not_null(a, "%s", err.text);
        cr_expect_eq(a->tasks, (size_t)tasks, "%s: %zu tasks, footer %g", path,
                     a->tasks, tasks);
        cr_expect(fabs(a->span - cp) < 1e-5, "%s: span %g, footer %g", path,
                  a->span, cp);
        cr_expect(fabs(a->parallelism - par) < 1e-5,
                  "%s: parallelism %.7f, footer %.7f", path, a->parallelism,
                  par);
        /* The critical path is a real path whose costs add up to the span. */
        double sum = 0;
        for (size_t i = 0; i < a->critical_path_len; i++) {
            dr_task t = a->critical_path[i];
            sum += dr_task_cost(g, t);
            if (i > 0) {
                size_t nd;
                const dr_task *deps = dr_task_deps(g, t, &nd);
                int found = 0;
                for (size_t k = 0; k < nd; k++)
                    found |= deps[k] == a->critical_path[i - 1];
                cr_expect(found, "%s: critical path step %zu is not an edge",
                          path, i);
            }
        }
        cr_expect(fabs(sum - a->span) < 1e-9, "%s: path sums to %g", path, sum);
        dr_analysis_destroy(a);
        dr_graph_destroy(g);
        free(text);
        free(path);
        checked++;
    }
    closedir(d);
    cr_assert_geq(checked, 8, "only %d STG files found", checked);
}

Test(stg, work_and_span_match_optimal_csv) {
    char *csv = drt_read_file(STG_DIR "/optimal.csv", NULL);
    cr_assert_not_null(csv);
    int checked = 0;
    char *save = NULL;
    for (char *line = strtok_r(csv, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        char file[64], status[32];
        int procs;
        double opt, best, cp, work;
        if (sscanf(line, "%63[^,],%d,%lf,%lf,%31[^,],%lf,%lf", file, &procs,
                   &opt, &best, status, &cp, &work) != 7)
            continue; /* the header */
        char *path = drt_fmt("%s/%s", STG_DIR, file);
        if (access(path, R_OK) != 0) {
            free(path); /* the csv covers the whole shared set */
            continue;
        }
        dr_graph *g = load_file(path, NULL);
        dr_analysis *a = dr_analyze(g, NULL, NULL);
        cr_assert_not_null(a);
        cr_expect_eq(a->span, cp, "%s: span %g, csv %g", file, a->span, cp);
        cr_expect_eq(a->work, work, "%s: work %g, csv %g", file, a->work, work);
        /* No schedule beats the lower bound max(span, work/P). */
        cr_expect_geq(best + 1e-9, dr_analysis_lower_bound(a, (unsigned)procs),
                      "%s: P=%d best %g below the bound", file, procs, best);
        dr_analysis_destroy(a);
        dr_graph_destroy(g);
        free(path);
        checked++;
    }
    free(csv);
    cr_assert_geq(checked, 8 * 4);
}

/* Widths computed independently (transitive closure and bipartite matching
 * in Python) for the samples; dagrun finds them by minimum flow. */
Test(stg, samples_have_the_independently_computed_width) {
    static const size_t widths[] = {19, 9, 11, 17, 9, 11, 13, 21};
    for (int i = 0; i < 8; i++) {
        char *path = drt_fmt("%s/rand%04d.stg", STG_DIR, i);
        dr_graph *g = load_file(path, NULL);
        dr_analysis *a = dr_analyze(g, NULL, NULL);
        cr_assert_not_null(a);
        cr_expect(a->width_exact);
        cr_expect_eq(a->width, widths[i], "%s: width %zu, expected %zu", path,
                     a->width, widths[i]);
        dr_analysis_destroy(a);
        dr_graph_destroy(g);
        free(path);
    }
}

static const char tiny[] = "3\n"
                           "0 0 0\n"
                           "1 2 1 0\n"
                           "2 3 1 1\n"
                           "3 4 2 0 1\n"
                           "4 0 2 2 3\n"
                           "# footer\n";

Test(stg, dummy_entry_and_exit_are_dropped) {
    dr_error err;
    dr_graph *g = load_text(tiny, &err);
    cr_assert_not_null(g, "%s", err.text);
    cr_expect_eq(dr_graph_ntasks(g), 3);
    cr_expect_eq(dr_graph_nedges(g), 2); /* 1->2 and 1->3; 0->* and *->4 gone */
    cr_expect_eq(dr_graph_find(g, "t0"), DR_TASK_NONE);
    cr_expect_eq(dr_graph_find(g, "t4"), DR_TASK_NONE);
    dr_graph_destroy(g);
}

Test(stg, a_task_depending_only_on_the_entry_becomes_a_source) {
    dr_error err;
    dr_graph *g = load_text(tiny, &err);
    cr_assert_not_null(g, "%s", err.text);
    size_t n;
    dr_task t1 = dr_graph_find(g, "t1");
    dr_task t3 = dr_graph_find(g, "t3");
    cr_assert_neq(t1, DR_TASK_NONE);
    dr_task_deps(g, t1, &n);
    cr_expect_eq(n, 0);
    const dr_task *deps = dr_task_deps(g, t3, &n);
    cr_assert_eq(n, 1);
    cr_expect_eq(deps[0], t1);
    dr_graph_destroy(g);
}

Test(stg, keys_are_t_and_the_stg_id_and_costs_are_processing_times) {
    dr_error err;
    dr_graph *g = load_text(tiny, &err);
    cr_assert_not_null(g, "%s", err.text);
    const char *keys[] = {"t1", "t2", "t3"};
    double costs[] = {2, 3, 4};
    for (int i = 0; i < 3; i++) {
        dr_task t = dr_graph_find(g, keys[i]);
        cr_assert_neq(t, DR_TASK_NONE, "%s missing", keys[i]);
        cr_expect(dr_task_has_cost(g, t));
        cr_expect_eq(dr_task_cost(g, t), costs[i]);
        cr_expect_eq(dr_task_op_kind(g, t), DR_OP_NONE);
    }
    dr_graph_destroy(g);
}

Test(stg, graph_name_is_the_file_base_name_without_extension) {
    dr_error err;
    dr_error_clear(&err);
    dr_graph *g = dr__load_stg(tiny, strlen(tiny), "/some/where/rand0042.stg",
                               NULL, &err);
    cr_assert_not_null(g, "%s", err.text);
    cr_expect_str_eq(dr_graph_name(g), "rand0042");
    dr_graph_destroy(g);
}

Test(stg, records_are_read_by_tokens_not_columns) {
    const char *text = "\r\n  3\r\n"
                       "0\t0 0\r\n"
                       "\n"
                       "# a comment between records\n"
                       "   1     2   1      0\r\n"
                       "2 3 1 1   # trailing comment\n"
                       "3\t\t4  2 0 1\n"
                       "4 0 2 2 3";
    dr_error err;
    dr_graph *g = load_text(text, &err);
    cr_assert_not_null(g, "%s", err.text);
    cr_expect_eq(dr_graph_ntasks(g), 3);
    cr_expect_eq(dr_graph_nedges(g), 2);
    cr_expect_eq(dr_task_cost(g, dr_graph_find(g, "t3")), 4);
    dr_graph_destroy(g);
}

Test(stg, input_need_not_end_with_a_nul) {
    /* The buffer continues past len with text that would be an error. */
    char buf[sizeof(tiny) + 16];
    memcpy(buf, tiny, strlen(tiny));
    memcpy(buf + strlen(tiny), "999 garbage\n", 13);
    dr_error err;
    dr_error_clear(&err);
    dr_graph *g = dr__load_stg(buf, strlen(tiny), "buf.stg", NULL, &err);
    cr_assert_not_null(g, "%s", err.text);
    dr_graph_destroy(g);
}

Test(stg, a_dummy_with_a_cost_is_kept_as_a_real_task) {
    const char *text = "1\n0 5 0\n1 2 1 0\n2 0 1 1\n";
    dr_error err;
    dr_graph *g = load_text(text, &err);
    cr_assert_not_null(g, "%s", err.text);
    cr_expect_eq(dr_graph_ntasks(g), 2);
    cr_expect_eq(dr_graph_nedges(g), 1);
    cr_expect_eq(dr_task_cost(g, dr_graph_find(g, "t0")), 5);
    dr_graph_destroy(g);
}

Test(stg, an_empty_graph_has_only_the_dummies) {
    dr_error err;
    dr_graph *g = load_text("0\n0 0 0\n1 0 1 0\n", &err);
    cr_assert_not_null(g, "%s", err.text);
    cr_expect_eq(dr_graph_ntasks(g), 0);
    dr_graph_destroy(g);
}

Test(stg, a_cycle_is_reported_at_the_predecessor_that_closes_it) {
    /* STG files are numbered topologically, but we accept any order; a
     * cycle is an error at the record of its first task, on the
     * predecessor that leads back around it. */
    const char *text = "2\n0 0 0\n1 1 1 2\n2 1 1 1\n3 0 2 1 2\n";
    dr_error err;
    dr_error_clear(&err);
    dr_graph *g = load_text(text, &err);
    cr_expect_null(g);
    dr_graph_destroy(g);
    cr_expect_eq(err.code, DR_ECYCLE);
    cr_expect_str_eq(err.text,
                     "case.stg:3:7: task 't1': cycle: t1 -> t2 -> t1");
}

Test(stg, a_cycle_in_a_file_is_reported_with_its_position_by_the_loader) {
    /* The same through the front door, and with the entry dummy kept (it
     * has a time), which shifts task numbers against record ids. */
    const char *text = "3\n0 5 0\n1 1 1 0\n2 1 2 1 3\n3 1 1 2\n4 0 1 3\n";
    dr_error err;
    dr_error_clear(&err);
    dr_graph *g = dr_graph_load_buffer(text, strlen(text), "c.stg", NULL, &err);
    cr_expect_null(g);
    dr_graph_destroy(g);
    cr_expect_str_eq(err.text, "c.stg:4:9: task 't2': cycle: t2 -> t3 -> t2");
}

Test(stg, a_count_over_the_task_limit_is_refused_naming_the_variable) {
    const char *text = "100000000\n0 0 0\n";
    dr_error err;
    dr_error_clear(&err);
    dr_graph *g = load_text(text, &err);
    cr_expect_null(g);
    cr_expect_eq(err.code, DR_ETOOBIG);
    cr_expect_str_eq(err.text,
                     "case.stg:1:1: the file declares 100000000 tasks, more "
                     "than the limit of 10000000 (set DAGRUN_MAX_TASKS to "
                     "raise it)");
    /* The variable raises it for the front door. */
    setenv("DAGRUN_MAX_TASKS", "200000000", 1);
    dr_error_clear(&err);
    g = dr_graph_load_buffer(text, strlen(text), "x.stg", NULL, &err);
    cr_expect_null(g);
    cr_expect(strstr(err.text, "truncated file") != NULL, "%s", err.text);
    unsetenv("DAGRUN_MAX_TASKS");
}

Test(stg, predecessors_past_the_dependency_limit_are_refused) {
    const char *text = "3\n0 0 0\n1 1 1 0\n2 1 1 1\n3 1 2 1 2\n4 0 1 3\n";
    dr_load_options o = {0};
    o.max_deps = 4;
    dr_error err;
    dr_error_clear(&err);
    dr_graph *g = dr_graph_load_buffer(text, strlen(text), "d.stg", &o, &err);
    cr_expect_null(g);
    cr_expect_eq(err.code, DR_ETOOBIG);
    cr_expect_str_eq(err.text,
                     "d.stg:6:7: task 't4': more than 4 dependencies, the "
                     "limit (set DAGRUN_MAX_DEPS to raise it)");
    o.max_deps = 5;
    dr_error_clear(&err);
    g = dr_graph_load_buffer(text, strlen(text), "d.stg", &o, &err);
    cr_expect_not_null(g, "%s", err.text);
    dr_graph_destroy(g);
}

/* Malformed files: the expected error text, line:column and task. */
typedef struct bad_case {
    const char *name, *text, *expected;
} bad_case;

static const bad_case bad_cases[] = {
    {"empty", "", "case.stg:1:1: empty STG file"},
    {"only comments", "# nothing\n\n", "case.stg:1:1: empty STG file"},
    {"count not a number", "three\n",
     "case.stg:1:1: number of tasks: expected "
     "a non-negative integer, got 'three'"},
    {"negative count", "-3\n", "got '-3'"},
    {"text after count", "3 4\n",
     "case.stg:1:3: unexpected '4' after the "
     "number of tasks"},
    {"truncated", "3\n0 0 0\n1 2 1 0\n",
     "truncated file: expected 5 task records (ids 0..4) after the count on "
     "line 1, found 2"},
    {"id out of order", "3\n0 0 0\n2 2 1 0\n",
     "case.stg:3:1: task ids out of order: expected 1, got 2"},
    {"non-integer time", "3\n0 0 0\n1 2.5 1 0\n",
     "case.stg:3:3: task 't1': processing time: expected a non-negative "
     "integer, got '2.5'"},
    {"non-integer pred", "3\n0 0 0\n1 2 1 x0\n",
     "case.stg:3:7: task 't1': predecessor: expected a task id, got 'x0'"},
    {"pred out of range", "3\n0 0 0\n1 2 1 0\n2 3 1 9\n",
     "case.stg:4:7: task 't2': predecessor 9 is out of range (0..4)"},
    {"huge pred", "3\n0 0 0\n1 2 1 99999999999999999999999\n",
     "task 't1': predecessor 99999999999999999999999 is out of range"},
    {"too few preds", "3\n0 0 0\n1 2 3 0\n",
     "case.stg:3:8: task 't1': says it has 3 predecessors but the line lists "
     "1"},
    {"too many preds", "3\n0 0 0\n1 2 1 0 0\n",
     "case.stg:3:9: task 't1': unexpected '0' after its 1 predecessors"},
    {"missing npred", "3\n0 0 0\n1 2\n",
     "case.stg:3:4: task 't1': the line ends before the number of "
     "predecessors"},
    {"self dependency", "3\n0 0 0\n1 2 1 1\n",
     "case.stg:3:7: task 't1': depends on itself"},
    {"depends on exit", "1\n0 0 0\n1 2 1 2\n2 0 1 1\n",
     "task 't1': depends on the exit task 2"},
    {"trailing text", "1\n0 0 0\n1 2 1 0\n2 0 1 1\n3 1 0\n",
     "case.stg:5:1: unexpected '3' after the exit task 2"},
    {"count too big", "99999999999\n",
     "number of tasks 99999999999 is too large"},
    {"binary garbage", "3\n0 0 0\n1 \x01\x02 1 0\n",
     "processing time: expected a non-negative integer, got '\?\?'"},
};

Test(stg, malformed_files_are_reported_with_line_column_and_task) {
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const bad_case *c = &bad_cases[i];
        dr_error err;
        dr_graph *g = load_text(c->text, &err);
        cr_expect_null(g, "%s: loaded", c->name);
        dr_graph_destroy(g);
        cr_expect_neq(err.code, 0, "%s: no error code", c->name);
        cr_expect(strstr(err.text, c->expected) != NULL,
                  "%s: got '%s', expected '%s'", c->name, err.text,
                  c->expected);
    }
}

Test(stg, a_huge_count_in_a_short_file_fails_fast_without_allocating) {
    dr_error err;
    dr_graph *g = load_text("9000000\n0 0 0\n", &err);
    cr_expect_null(g);
    cr_expect(strstr(err.text, "truncated file") != NULL, "%s", err.text);
}

/* End to end through the CLI: format detection by extension in
 * dr_graph_load, then `dagrun analyze`. */
Test(stg, cli_analyze_reports_the_footer_values) {
    char *out = NULL, *errs = NULL;
    int rc = drt_cli(&out, &errs, "analyze --json %s/rand0000.stg", STG_DIR);
    cr_expect_eq(rc, 0, "exit %d: %s", rc, errs);
    json_t *j = rc == 0 ? json_loads(out, 0, NULL) : NULL;
    free(out);
    free(errs);
    cr_expect_not_null(j, "no JSON");
    if (j == NULL)
        return; /* asserting would leak */
    cr_expect_eq(json_integer_value(json_object_get(j, "tasks")), 50);
    cr_expect_eq(json_number_value(json_object_get(j, "span")), 55);
    cr_expect(fabs(json_number_value(json_object_get(j, "parallelism")) -
                   4.763637) < 1e-5);
    json_decref(j);
}

Test(stg, cli_analyze_names_the_line_of_a_bad_file) {
    char *dir = drt_tmpdir();
    char *path = drt_fmt("%s/bad.stg", dir);
    cr_assert_eq(drt_write_file(path, "3\n0 0 0\n1 2 1 0\n2 3 1 9\n"), 0);
    char *errs = NULL;
    int rc = drt_cli(NULL, &errs, "analyze %s", path);
    cr_expect_eq(rc, 2);
    cr_expect(strstr(errs, "bad.stg:4:7: task 't2': predecessor 9 is out of "
                           "range") != NULL,
              "%s", errs);
    free(errs);
    free(path);
    drt_rmtree(dir);
    free(dir);
}
