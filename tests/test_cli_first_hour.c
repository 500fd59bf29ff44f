/*
 * What a new user meets in the first hour, through the CLI: a real run of
 * an imported graph (STG, WfCommons) says its costs are not spent; graphs
 * read from standard input and WfCommons instances get names fit for a
 * folder; `convert` writes reals with the digits that read back exactly;
 * a plugin named without a '/' and found here gets a hint; `--cost-scale`
 * scales the durations of `--costs` too.
 */
#include "support.h"

#include <criterion/criterion.h>
#include <dagrun.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define STG DR_TEST_DATA "/stg/rand0000.stg"
#define WF_CHAIN DR_TEST_DATA "/wfcommons/helloworld-chain-5-chameleon.json"
#define WF_CHAIN_NAME "chain-5-5000-0.6-100000000-cascadelake-1-0-1683736566"
#define EXAMPLE_PLUGIN DR_BUILD_DIR "/examples/dagrun_example_plugin.so"

static char *dir;

static void setup(void) { dir = drt_tmpdir(); }
static void teardown(void) {
    drt_rmtree(dir);
    free(dir);
}

static size_t count(const char *text, const char *needle) {
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

static json_t *load_json(const char *path) {
    json_error_t jerr;
    json_t *j = json_load_file(path, 0, &jerr);
    cr_assert_not_null(j, "%s: %s", path, jerr.text);
    return j;
}

/* --------------------------------------- costs a real run does not spend */

static const char note[] = "have a cost but no operation, so they run as "
                           "noop (instantly); --simulate times them by their "
                           "costs, --cost-op sleep|spin spends the costs for "
                           "real";

Test(first_hour, a_real_run_of_an_stg_graph_says_its_costs_are_not_spent,
     .init = setup, .fini = teardown, .timeout = 120) {
    char *out, *err;
    int rc = drt_cli(&out, &err, "run '%s' -w 2 -o '%s/out'", STG, dir);
    cr_assert_eq(rc, 0, "%s", err);
    cr_expect_not_null(strstr(err, "dagrun run: note: 50 of 50 tasks"), "%s",
                       err);
    cr_expect_not_null(strstr(err, note), "%s", err);
    cr_expect_eq(count(err, "note:"), 1, "not one line:\n%s", err);
    cr_expect_null(strstr(out, "no operation"), "on stdout too:\n%s", out);
    /* The line is the only record: the run's files are those of the run
     * that happened. */
    static const char *const files[] = {"summary.json", "trace.json",
                                        "report.html"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char *path = drt_fmt("%s/out/%s", dir, files[i]);
        char *text = drt_read_file(path, NULL);
        cr_assert_not_null(text, "%s", path);
        cr_expect_null(strstr(text, "no operation"), "%s has the note", path);
        free(text);
        free(path);
    }
    free(out), free(err);
}

Test(first_hour, a_real_scaling_run_of_an_stg_graph_says_so_too, .init = setup,
     .fini = teardown, .timeout = 120) {
    char *err;
    int rc = drt_cli(NULL, &err, "scale '%s' --workers 1,2 --repeat 1 -o '%s'",
                     STG, dir);
    cr_assert_eq(rc, 0, "%s", err);
    cr_expect_not_null(strstr(err, "dagrun scale: note: 50 of 50 tasks"), "%s",
                       err);
    cr_expect_eq(count(err, "note:"), 1, "%s", err);
    free(err);
    rc =
        drt_cli(NULL, &err, "scale '%s' --workers 1,2 -s -q -o '%s'", STG, dir);
    cr_assert_eq(rc, 0, "%s", err);
    cr_expect_null(strstr(err, "no operation"), "%s", err);
    free(err);
}

Test(first_hour, costs_that_are_spent_or_simulated_get_no_note,
     .timeout = 120) {
    static const char *const runs[] = {
        "run '" STG "' --no-outputs -w 2 --simulate",
        "run '" STG "' --no-outputs -w 2 --cost-op sleep --cost-scale 1e-5",
        "run '" STG "' --no-outputs -w 2 --cost-op spin --cost-scale 1e-5",
        "run '" STG "' --no-outputs -w 2 -q",
    };
    for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
        char *err;
        int rc = drt_cli(NULL, &err, "%s", runs[i]);
        cr_expect_eq(rc, 0, "%s: %s", runs[i], err);
        cr_expect_null(strstr(err, "no operation"), "%s:\n%s", runs[i], err);
        free(err);
    }
}

Test(first_hour, tasks_with_an_operation_or_without_a_cost_get_no_note,
     .init = setup, .fini = teardown, .timeout = 60) {
    char *g = drt_fmt("%s/g.json", dir);
    cr_assert_eq(drt_write_file(g, "{\"tasks\": [{\"id\": \"a\", \"op\": "
                                   "\"noop\", \"cost\": 3}, {\"id\": \"b\", "
                                   "\"deps\": [\"a\"]}, {\"id\": \"c\", "
                                   "\"cost\": 0}]}"),
                 0);
    char *err;
    int rc = drt_cli(NULL, &err, "run '%s' --no-outputs -w 1", g);
    cr_expect_eq(rc, 0, "%s", err);
    cr_expect_null(strstr(err, "no operation"), "%s", err);
    free(err);
    free(g);
}

Test(first_hour, a_real_run_of_a_wfcommons_graph_says_so_and_drops_json,
     .timeout = 120) {
    char *out, *err;
    int rc = drt_cli(&out, &err, "run '%s' --no-outputs -w 2", WF_CHAIN);
    cr_assert_eq(rc, 0, "%s", err);
    cr_expect_not_null(strstr(err, "note: 5 of 5 tasks"), "%s", err);
    cr_expect_not_null(strstr(out, "Real run of '" WF_CHAIN_NAME "'"), "%s",
                       out);
    cr_expect_null(strstr(out, ".json'"), "%s", out);
    free(out), free(err);
}

/* ------------------------------------------------------------------ names */

Test(first_hour, a_wfcommons_name_ending_in_json_loses_it) {
    dr_error e;
    dr_error_clear(&e);
    dr_graph *g = dr_graph_load(WF_CHAIN, NULL, &e);
    cr_assert_not_null(g, "%s", e.text);
    cr_expect_str_eq(dr_graph_name(g), WF_CHAIN_NAME);
    dr_graph_destroy(g);
    /* A name without it is kept as it is. */
    const char text[] =
        "{\"name\": \"montage.JSON.v2\", \"schemaVersion\": \"1.5\", "
        "\"workflow\": {\"specification\": {\"tasks\": [{\"name\": \"a\", "
        "\"id\": \"a\", \"parents\": [], \"children\": []}]}, "
        "\"execution\": {\"tasks\": []}}}";
    g = dr_graph_load_buffer(text, strlen(text), "x.json", NULL, &e);
    cr_assert_not_null(g, "%s", e.text);
    cr_expect_str_eq(dr_graph_name(g), "montage.JSON.v2");
    dr_graph_destroy(g);
}

/* `dagrun run - < FILE` from FOLDER, outputs in their default place. */
static int run_from_stdin(const char *folder, const char *file, char **out,
                          char **err) {
    return drt_cli(
        out, err,
        "--version >/dev/null; { cd '%s' && '%s' run - -w 1 < '%s'; }", folder,
        drt_cli_path(), file);
}

Test(first_hour, a_graph_read_from_standard_input_is_named_stdin, .init = setup,
     .fini = teardown, .timeout = 60) {
    /* Every format, and a dagrun graph whose "name" is empty. */
    static const char *const graphs[] = {
        "{\"tasks\": [{\"id\": \"a\"}]}",
        "{\"name\": \"\", \"tasks\": [{\"id\": \"a\"}]}",
        "1\n0 0 0\n1 1 1 0\n2 0 1 1\n",
    };
    for (size_t i = 0; i < sizeof(graphs) / sizeof(graphs[0]); i++) {
        char *g = drt_fmt("%s/g%zu", dir, i);
        cr_assert_eq(drt_write_file(g, graphs[i]), 0);
        char *out, *err;
        int rc = run_from_stdin(dir, g, &out, &err);
        cr_expect_eq(rc, 0, "%s", err);
        /* An explicit "name": "" stays the graph's name; its outputs
         * still go to dagrun-out/stdin/. */
        const char *name = i == 1 ? "" : "stdin";
        char *header = drt_fmt("run of '%s'", name);
        cr_expect_not_null(strstr(out, header), "graph %zu:\n%s", i, out);
        cr_expect_not_null(strstr(out, "dagrun-out/stdin/"), "graph %zu:\n%s",
                           i, out);
        char *summary = drt_fmt("%s/dagrun-out/stdin/summary.json", dir);
        json_t *s = load_json(summary);
        cr_expect_str_eq(json_string_value(json_object_get(s, "graph")), name);
        json_decref(s);
        char *dash = drt_fmt("%s/dagrun-out/-", dir);
        cr_expect_neq(access(dash, F_OK), 0, "%s exists", dash);
        free(header), free(dash), free(summary), free(out), free(err), free(g);
    }
}

/* -------------------------------------------------- convert: short reals */

Test(first_hour, convert_writes_reals_with_the_digits_that_read_back,
     .init = setup, .fini = teardown, .timeout = 60) {
    char *g = drt_fmt("%s/g.json", dir), *c = drt_fmt("%s/c.json", dir);
    cr_assert_eq(drt_write_file(g, "{\"name\": \"reals\", \"tasks\": ["
                                   "{\"id\": \"a\", \"cost\": 0.054023},"
                                   "{\"id\": \"b\", \"cost\": 0.1},"
                                   "{\"id\": \"c\", \"cost\": "
                                   "0.30000000000000004},"
                                   "{\"id\": \"d\", \"cost\": 1e-7},"
                                   "{\"id\": \"e\", \"cost\": 123456.789},"
                                   "{\"id\": \"f\", \"op\": \"sleep\", "
                                   "\"args\": {\"ms\": 2.5}}]}"),
                 0);
    char *err;
    int rc = drt_cli(NULL, &err, "convert '%s' -o '%s'", g, c);
    cr_assert_eq(rc, 0, "%s", err);
    char *text = drt_read_file(c, NULL);
    cr_assert_not_null(text);
    /* 0.1 is "0.1", not 0.10000000000000001; 0.30000000000000004 needs
     * all 17 digits to stay itself. */
    static const char *const shortest[] = {"\"cost\": 0.054023}",
                                           "\"cost\": 0.1}",
                                           "\"cost\": 0.30000000000000004}",
                                           "\"cost\": 1e-7}",
                                           "\"cost\": 123456.789}",
                                           "\"ms\": 2.5}"};
    for (size_t i = 0; i < sizeof(shortest) / sizeof(shortest[0]); i++)
        cr_expect_not_null(strstr(text, shortest[i]), "no %s in:\n%s",
                           shortest[i], text);
    /* Exactly the same doubles, and so the same graph, once read back. */
    dr_error e;
    dr_error_clear(&e);
    dr_graph *a = dr_graph_load(g, NULL, &e), *b = dr_graph_load(c, NULL, &e);
    cr_assert(a != NULL && b != NULL, "%s", e.text);
    char why[256] = "";
    cr_expect(dr_graph_equal(a, b, why, sizeof(why)), "%s", why);
    for (dr_task t = 0; t < dr_graph_ntasks(a); t++)
        cr_expect(dr_task_cost(a, t) == dr_task_cost(b, t), "task %s",
                  dr_task_key(a, t));
    dr_graph_destroy(a), dr_graph_destroy(b);
    free(text), free(err), free(g), free(c);
}

Test(first_hour, converted_wfcommons_costs_are_short_and_exact, .init = setup,
     .fini = teardown, .timeout = 60) {
    char *c = drt_fmt("%s/c.json", dir);
    char *err;
    int rc = drt_cli(NULL, &err, "convert '%s' -o '%s'", WF_CHAIN, c);
    cr_assert_eq(rc, 0, "%s", err);
    char *text = drt_read_file(c, NULL);
    cr_expect_not_null(strstr(text, "\"cost\": 99.396"), "%s", text);
    cr_expect_null(strstr(text, "000000000"), "long reals:\n%s", text);
    cr_expect_not_null(strstr(text, "\"name\": \"" WF_CHAIN_NAME "\""), "%s",
                       text);
    dr_error e;
    dr_error_clear(&e);
    dr_graph *a = dr_graph_load(WF_CHAIN, NULL, &e),
             *b = dr_graph_load(c, NULL, &e);
    cr_assert(a != NULL && b != NULL, "%s", e.text);
    for (dr_task t = 0; t < dr_graph_ntasks(a); t++)
        cr_expect(dr_task_cost(a, t) == dr_task_cost(b, t), "task %s",
                  dr_task_key(a, t));
    dr_graph_destroy(a), dr_graph_destroy(b);
    free(text), free(err), free(c);
}

/* ---------------------------------------------------------------- plugins */

/* `dagrun run ARGS` in `folder`; returns the exit code. */
static int run_in(const char *folder, char *const argv[], char **err) {
    pid_t pid = drt_start_cli(folder, argv, NULL, "out", "err");
    int status;
    cr_assert_eq(drt_reap(pid, 60, &status), 0, "dagrun did not end");
    *err = drt_text_in(folder, "err");
    return drt_exit_code(status);
}

Test(first_hour, a_plugin_named_without_a_slash_and_found_here_gets_a_hint,
     .init = setup, .fini = teardown, .timeout = 60) {
    size_t len;
    char *lib = drt_read_file(EXAMPLE_PLUGIN, &len);
    cr_assert_not_null(lib, "%s not built", EXAMPLE_PLUGIN);
    char *copy = drt_fmt("%s/libfoo.so", dir);
    FILE *f = fopen(copy, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(lib, 1, len, f), len);
    fclose(f);
    char *g = drt_fmt("%s/g.json", dir);
    cr_assert_eq(drt_write_file(g, "{\"tasks\": [{\"id\": \"f\", \"op\": "
                                   "\"fib\", \"args\": {\"n\": 10}}]}"),
                 0);
    free(g);
    char *err;
    char *bare[] = {"dagrun", "run",      "g.json",    "--no-outputs",
                    "-q",     "--plugin", "libfoo.so", NULL};
    int rc = run_in(dir, bare, &err);
    cr_expect_eq(rc, 2, "%s", err);
    cr_expect_not_null(strstr(err, "cannot load plugin"), "%s", err);
    cr_expect_not_null(strstr(err, "dagrun run: hint: use ./libfoo.so: a "
                                   "plugin named without a '/' is looked up "
                                   "in the library path"),
                       "%s", err);
    free(err);
    /* As the hint says, it loads. */
    char *dotted[] = {"dagrun", "run",      "g.json",      "--no-outputs",
                      "-q",     "--plugin", "./libfoo.so", NULL};
    rc = run_in(dir, dotted, &err);
    cr_expect_eq(rc, 0, "%s", err);
    cr_expect_null(strstr(err, "hint"), "%s", err);
    free(err);
    /* A name that is not here gets no hint. */
    char *absent[] = {"dagrun", "run",      "g.json",       "--no-outputs",
                      "-q",     "--plugin", "libabsent.so", NULL};
    rc = run_in(dir, absent, &err);
    cr_expect_eq(rc, 2, "%s", err);
    cr_expect_null(strstr(err, "hint"), "%s", err);
    free(err);
    free(copy), free(lib);
}

Test(first_hour, an_op_of_a_plugin_run_without_it_says_where_ops_come_from,
     .timeout = 60) {
    char *err;
    int rc = drt_cli(NULL, &err, "run '%s/examples/plugin/graph.json' -q",
                     DR_SOURCE_DIR);
    cr_expect_eq(rc, 2, "%s", err);
    cr_expect_not_null(strstr(err, "unknown op 'fib'"), "%s", err);
    cr_expect_not_null(
        strstr(err, "other ops come from a plugin: --plugin LIB.so"), "%s",
        err);
    free(err);
}

/* ---------------------------------------------- --cost-scale with --costs */

static const char costs_graph[] =
    "{\"name\": \"scaled\", \"tasks\": [{\"id\": \"a\", \"cost\": 0.001}, "
    "{\"id\": \"b\", \"deps\": [\"a\"], \"cost\": 0.001}]}";

/* A trace in which a took 0.25 s and b 2 s. */
static const char costs_trace[] =
    "{\"traceEvents\": ["
    "{\"name\": \"a\", \"ph\": \"X\", \"pid\": 1, \"tid\": 0, \"ts\": 0, "
    "\"dur\": 250000, \"args\": {\"task\": \"a\", \"status\": \"ok\"}},"
    "{\"name\": \"b\", \"ph\": \"X\", \"pid\": 1, \"tid\": 0, \"ts\": 250000, "
    "\"dur\": 2000000, \"args\": {\"task\": \"b\", \"status\": \"ok\"}}]}";

static double simulated_makespan(const char *extra) {
    char *g = drt_fmt("%s/g.json", dir), *t = drt_fmt("%s/t.json", dir);
    char *s = drt_fmt("%s/s.json", dir);
    char *err;
    int rc = drt_cli(NULL, &err,
                     "run '%s' --costs '%s' --no-outputs "
                     "--json '%s' -w 1 %s",
                     g, t, s, extra);
    cr_assert_eq(rc, 0, "%s", err);
    json_t *j = load_json(s);
    double m = json_number_value(json_object_get(j, "makespan"));
    json_decref(j);
    free(err), free(g), free(t), free(s);
    return m;
}

Test(first_hour, cost_scale_multiplies_the_durations_of_costs_too,
     .init = setup, .fini = teardown, .timeout = 60) {
    char *g = drt_fmt("%s/g.json", dir), *t = drt_fmt("%s/t.json", dir);
    cr_assert_eq(drt_write_file(g, costs_graph), 0);
    cr_assert_eq(drt_write_file(t, costs_trace), 0);
    cr_expect_float_eq(simulated_makespan(""), 2.25, 1e-12);
    cr_expect_float_eq(simulated_makespan("--cost-scale 4"), 9.0, 1e-12);
    cr_expect_float_eq(simulated_makespan("--cost-scale 0.5"), 1.125, 1e-12);
    /* Scaled past a finite number of seconds (b: 2 s x 1e308; the graph's
     * own costs stay finite): refused, naming the task. */
    char *err;
    int rc = drt_cli(NULL, &err,
                     "run '%s' --costs '%s' --no-outputs "
                     "--cost-scale 1e308",
                     g, t);
    cr_expect_eq(rc, 2, "%s", err);
    cr_expect(strstr(err, "task 'b'") != NULL &&
                  strstr(err, "not a finite number of seconds") != NULL,
              "%s", err);
    free(err), free(g), free(t);
}
