/*
 * The command line as a user meets it: what happens before anything runs
 * (unwritable outputs, missing graphs, typos), reading a graph from standard
 * input, quiet runs that fail, and the summary of an interrupted run.
 */
#include "support.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static char *dir;

static void setup(void) { dir = drt_tmpdir(); }
static void teardown(void) {
    drt_rmtree(dir);
    free(dir);
}

static char *write_graph(const char *name, const char *text) {
    char *path = drt_fmt("%s/%s", dir, name);
    cr_assert_eq(drt_write_file(path, text), 0);
    return path;
}

static const char small[] =
    "{\"name\": \"small\", \"tasks\": [{\"id\": \"a\"}, "
    "{\"id\": \"b\", \"deps\": [\"a\"]}]}";

Test(cli, an_unwritable_output_folder_stops_before_any_task_runs, .init = setup,
     .fini = teardown, .timeout = 60) {
    char *g = write_graph("g.json", small);
    char *out, *err;
    int rc = drt_cli(&out, &err, "run '%s' -o /proc/no/such/dir", g);
    cr_expect_eq(rc, 2, "%s", err);
    cr_expect_not_null(strstr(err, "cannot write to the output folder"), "%s",
                       err);
    cr_expect_null(strstr(out, "run of"), "tasks ran: %s", out);
    free(out), free(err), free(g);
}

Test(cli, an_unwritable_trace_path_is_a_usage_error, .init = setup,
     .fini = teardown, .timeout = 60) {
    char *g = write_graph("g.json", small);
    char *out, *err;
    int rc =
        drt_cli(&out, &err, "run '%s' --no-outputs --trace /no/dir/t.json", g);
    cr_expect_eq(rc, 2, "%s", err);
    cr_expect_not_null(strstr(err, "--trace /no/dir/t.json"), "%s", err);
    free(out), free(err), free(g);
}

Test(cli, a_missing_graph_is_named, .timeout = 30) {
    char *err;
    int rc = drt_cli(NULL, &err, "no-such-graph.json -w 2");
    cr_expect_eq(rc, 2);
    cr_expect_not_null(strstr(err, "cannot read graph 'no-such-graph.json'"),
                       "%s", err);
    free(err);
}

Test(cli, a_mistyped_command_gets_a_suggestion, .timeout = 30) {
    char *err;
    int rc = drt_cli(NULL, &err, "rnu x.json");
    cr_expect_eq(rc, 2);
    cr_expect_not_null(strstr(err, "did you mean 'run'?"), "%s", err);
    free(err);
}

Test(cli, getopt_errors_name_the_subcommand, .timeout = 30) {
    char *err;
    int rc = drt_cli(NULL, &err, "run --bogus x.json");
    cr_expect_eq(rc, 2);
    cr_expect_not_null(strstr(err, "dagrun run: unknown option '--bogus'"),
                       "%s", err);
    free(err);
}

Test(cli, a_graph_can_come_from_standard_input, .init = setup, .fini = teardown,
     .timeout = 60) {
    char *outp = drt_fmt("%s/out", dir);
    char *cmd = drt_fmt("'%s' gen chain --set n=5 | '%s' validate - > '%s'",
                        drt_cli_path(), drt_cli_path(), outp);
    int status = system(cmd);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char *out = drt_read_file(outp, NULL);
    cr_assert_not_null(out);
    cr_expect_not_null(strstr(out, "5 tasks, 4 dependencies"), "%s", out);
    free(out), free(cmd), free(outp);
}

Test(cli, a_byte_order_mark_is_not_an_error, .init = setup, .fini = teardown,
     .timeout = 30) {
    char *g =
        write_graph("bom.json", "\xEF\xBB\xBF{\"tasks\": [{\"id\": \"a\"}]}");
    char *out, *err;
    int rc = drt_cli(&out, &err, "validate '%s'", g);
    cr_expect_eq(rc, 0, "%s", err);
    cr_expect_not_null(strstr(out, "1 task, 0 dependencies"), "%s", out);
    free(out), free(err), free(g);
}

Test(cli, a_quiet_run_still_reports_its_failures, .init = setup,
     .fini = teardown, .timeout = 60) {
    char *g = write_graph(
        "f.json",
        "{\"tasks\": [{\"id\": \"a\", \"op\": \"fail\", \"args\": "
        "{\"message\": \"boom\"}}, {\"id\": \"b\", \"deps\": [\"a\"]}]}");
    char *out, *err;
    int rc = drt_cli(&out, &err, "run '%s' -q --no-outputs", g);
    cr_expect_eq(rc, 1);
    cr_expect_not_null(strstr(err, "task 'a' failed: boom"), "%s", err);
    cr_expect_not_null(strstr(err, "1 task skipped"), "%s", err);
    free(out), free(err), free(g);
}

Test(cli, an_interrupted_run_reports_tasks_not_run_rather_than_failed,
     .init = setup, .fini = teardown, .timeout = 120) {
    char *g = write_graph(
        "long.json",
        "{\"name\": \"long\", \"tasks\": [{\"id\": \"s-{i}\", \"range\": "
        "{\"i\": \"4\"}, \"op\": \"sleep\", \"args\": {\"ms\": 20000}}, "
        "{\"id\": \"after\", \"deps\": [{\"all\": \"s-{i}\"}]}]}");
    char *outdir = drt_fmt("%s/out", dir);
    /* Long enough for a sanitizer build to start the run before SIGINT. */
    char *cmd = drt_fmt("'%s' run '%s' -w 2 -q -o '%s' & pid=$!; sleep 3; "
                        "kill -INT $pid; wait $pid",
                        drt_cli_path(), g, outdir);
    int status = system(cmd);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 130, "status %d",
              status);
    char *summary = drt_fmt("%s/summary.json", outdir);
    json_t *s = json_load_file(summary, 0, NULL);
    cr_assert_not_null(s, "no summary written");
    cr_expect(json_is_true(json_object_get(s, "interrupted")));
    cr_expect_eq(json_array_size(json_object_get(s, "failed")), 0);
    cr_expect_eq(json_array_size(json_object_get(s, "skipped")), 0);
    cr_expect_eq(json_integer_value(json_object_get(s, "succeeded")), 0);
    json_decref(s);
    free(summary), free(cmd), free(outdir), free(g);
}

Test(cli, every_command_rejects_an_unknown_format_the_same_way, .init = setup,
     .fini = teardown, .timeout = 60) {
    char *g = write_graph("g.json", small);
    const char *cmds[] = {"run", "validate", "analyze", "convert", "scale"};
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        char *err;
        int rc = drt_cli(NULL, &err, "%s '%s' --format nope -o '%s/out'",
                         cmds[i], g, dir);
        cr_expect_eq(rc, 2, "%s: %s", cmds[i], err);
        cr_expect_not_null(
            strstr(err, "--format: expected auto, json, stg or wfcommons, "
                        "got 'nope'"),
            "%s: %s", cmds[i], err);
        free(err);
    }
    free(g);
}
