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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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

Test(cli, an_interrupted_run_exits_130_and_reports_no_task_failed_or_skipped,
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

Test(cli, a_missing_workdir_is_a_usage_error_before_anything_runs,
     .init = setup, .fini = teardown, .timeout = 60) {
    char *g = write_graph("w.json", "{\"tasks\": [{\"id\": \"hello\", \"cmd\": "
                                    "[\"echo\", \"hello\"]}]}");
    char *out, *err;
    int rc = drt_cli(&out, &err, "run '%s' -o '%s/out' --workdir %s/nowhere", g,
                     dir, dir);
    cr_expect_eq(rc, 2, "%s", err);
    cr_expect_not_null(strstr(err, "--workdir"), "%s", err);
    cr_expect_not_null(strstr(err, "No such file or directory"), "%s", err);
    cr_expect_null(strstr(err, "cannot run 'echo'"), "%s", err);
    cr_expect_null(strstr(out, "run of"), "tasks ran: %s", out);
    free(out), free(err), free(g);
}

Test(cli, no_outputs_leaves_nothing_behind, .init = setup, .fini = teardown,
     .timeout = 60) {
    char *g = write_graph("n.json",
                          "{\"name\": \"n\", \"tasks\": [{\"id\": \"hello\", "
                          "\"shell\": \"echo hello; echo oops >&2\"}]}");
    char *tmp = drt_fmt("%s/tmp", dir);
    cr_assert_eq(mkdir(tmp, 0700), 0);
    char *cmd = drt_fmt("cd '%s' && TMPDIR='%s' '%s' run n.json --no-outputs "
                        "--output hello >stdout 2>stderr",
                        dir, tmp, drt_cli_path());
    int status = system(cmd);
    free(cmd);
    char *outp = drt_fmt("%s/stdout", dir), *errp = drt_fmt("%s/stderr", dir);
    char *out = drt_read_file(outp, NULL), *err = drt_read_file(errp, NULL);
    cr_assert(out != NULL && err != NULL);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s", err);
    /* The command's result is still printed... */
    cr_expect_not_null(strstr(out, "hello = hello"), "%s", out);
    /* ...but nothing stays here or in TMPDIR. */
    char *here = drt_fmt("%s/dagrun-out", dir);
    cr_expect_neq(access(here, F_OK), 0, "--no-outputs created %s", here);
    cmd = drt_fmt("test -z \"$(ls -A '%s')\"", tmp);
    cr_expect_eq(system(cmd), 0, "the temporary logs were left in %s", tmp);
    free(cmd), free(here), free(out), free(err), free(tmp), free(g);
    free(outp), free(errp);
}

Test(cli, a_commands_printed_output_is_its_result, .init = setup,
     .fini = teardown, .timeout = 60) {
    char *g = write_graph("c.json",
                          "{\"name\": \"c\", \"tasks\": ["
                          "{\"id\": \"one\", \"shell\": \"echo 500000500000\"},"
                          "{\"id\": \"many\", \"shell\": \"seq 1 30\"},"
                          "{\"id\": \"quiet\", \"shell\": \"true\"}]}");
    char *out, *err;
    int rc = drt_cli(&out, &err,
                     "run '%s' -q -o '%s/out' --output one --output many "
                     "--output quiet",
                     g, dir);
    cr_expect_eq(rc, 0, "%s", err);
    cr_expect_not_null(strstr(out, "one = 500000500000\n"), "%s", out);
    cr_expect_not_null(strstr(out, "many: standard output, first part:\n"
                                   "  | 1\n  | 2\n"),
                       "%s", out);
    cr_expect_not_null(strstr(out, "  | 20\n  ... 30 more bytes in "), "%s",
                       out);
    cr_expect_not_null(strstr(out, "out/logs/many.out"), "%s", out);
    cr_expect_null(strstr(out, "  | 21"), "%s", out);
    cr_expect_not_null(strstr(out, "quiet = (a command that printed nothing)"),
                       "%s", out);
    free(out), free(err), free(g);
}

Test(cli, task_ids_and_failures_are_printed_with_control_characters_escaped,
     .init = setup, .fini = teardown, .timeout = 60) {
    char *g =
        write_graph("e.json", "{\"name\": \"e\", \"tasks\": [{\"id\": "
                              "\"red\\u001b[31m\", \"shell\": \"exit 3\"}, "
                              "{\"id\": \"ok\\u001b]0;x\\u0007\", \"shell\": "
                              "\"printf 'a\\\\033[2Jb\\\\n'\"}]}");
    char *out, *err;
    int rc = drt_cli(&out, &err,
                     "run '%s' -q -k -o '%s/out' --output \"$(printf "
                     "'ok\\033]0;x\\007')\"",
                     g, dir);
    cr_expect_eq(rc, 1, "%s", err);
    cr_expect_not_null(strstr(err, "task 'red\\x1b[31m' failed"), "%s", err);
    cr_expect_not_null(strstr(out, "ok\\x1b]0;x\\x07 = a\\x1b[2Jb"), "%s", out);
    cr_expect_null(strchr(out, '\033'), "a raw escape on stdout");
    cr_expect_null(strchr(err, '\033'), "a raw escape on stderr");
    free(out), free(err), free(g);
}

/* A summary that cannot be written (here a file-size limit, as a full disk
 * would) is an error that names the file, and no temporary file stays. */
Test(cli, a_summary_that_cannot_be_written_is_reported, .init = setup,
     .fini = teardown, .timeout = 60) {
    char *g = drt_fmt("%s/chain.json", dir);
    char *gen = drt_fmt("'%s' gen chain --set n=300 > '%s'", drt_cli_path(), g);
    cr_assert_eq(system(gen), 0);
    char *errp = drt_fmt("%s/stderr", dir);
    char *cmd = drt_fmt("cd '%s' && ulimit -f 2 && exec '%s' run '%s' -q "
                        "--no-outputs --json s.json 2>'%s'",
                        dir, drt_cli_path(), g, errp);
    int status = system(cmd);
    char *err = drt_read_file(errp, NULL);
    cr_assert_not_null(err);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 1, "status %d: %s",
              status, err);
    cr_expect_not_null(strstr(err, "s.json: cannot write: File too large"),
                       "%s", err);
    char *left = drt_fmt("ls '%s' | grep -q 'tmp'", dir);
    cr_expect_neq(system(left), 0, "a temporary file was left behind");
    char *summary = drt_fmt("%s/s.json", dir);
    cr_expect_neq(access(summary, F_OK), 0);
    free(summary), free(left), free(err), free(cmd), free(errp), free(gen);
    free(g);
}
