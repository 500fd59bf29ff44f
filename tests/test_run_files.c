/*
 * Declared files (docs/graph-format.md, "Declared files"): one writer per
 * output and readers that depend on their writers (dr_graph_validate, for
 * graphs built with the C API; the JSON loader's located messages are cases
 * of tests/data/invalid); inputs that must exist before a real run; outputs
 * a successful attempt must leave; the outputs of a failed attempt removed.
 * Real runs, through dr_run_graph and the dagrun binary.
 */
#include "graph_internal.h"
#include "run_internal.h"
#include "support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static dr_task add(dr_graph *g, const char *key) {
    dr_task t;
    cr_assert_eq(dr_graph_add_task(g, key, &t), 0, "adding %s", key);
    return t;
}

static dr_run_options command_options(const char *dir) {
    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = 2;
    o.workdir = dir;
    o.run_dir = drt_fmt("%s/logs", dir); /* free with free_options */
    return o;
}

static void free_options(dr_run_options *o) { free((char *)o->run_dir); }

static dr_run *run_or_die(dr_graph *g, const dr_run_options *o) {
    dr_error err;
    dr_error_clear(&err);
    dr_run *run = dr_run_graph(g, o, &err);
    cr_assert_not_null(run, "dr_run_graph failed: %s", err.text);
    return run;
}

static int exists_in(const char *dir, const char *name) {
    char *path = drt_fmt("%s/%s", dir, name);
    int yes = access(path, F_OK) == 0;
    free(path);
    return yes;
}

/* ------------------------------------------------------------ validation */

Test(files, two_tasks_declaring_one_output_fail_validation_naming_both) {
    dr_graph *g = dr_graph_create();
    dr_task a = add(g, "a"), b = add(g, "b");
    cr_assert_eq(dr_task_add_output(g, a, "out/x.txt"), 0);
    cr_assert_eq(dr_task_add_output(g, b, "y.txt"), 0);
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(dr_graph_validate(g, &err), 0, "%s", err.text);
    /* Another spelling of the same path, as far as the text tells. */
    cr_assert_eq(dr_task_add_output(g, b, "./out//x.txt"), 0);
    cr_assert_eq(dr_graph_validate(g, &err), DR_EFORMAT);
    cr_expect_str_eq(err.task, "b");
    cr_expect_str_eq(err.text,
                     "task 'b': output './out//x.txt' is also an output of "
                     "task 'a' ('out/x.txt'): one file can be written by one "
                     "task only");
    cr_expect_eq(err.line, 0);
    dr_graph_destroy(g);
}

Test(files, one_task_listing_an_output_twice_is_fine) {
    dr_graph *g = dr_graph_create();
    dr_task a = add(g, "a");
    dr_task_add_output(g, a, "x");
    dr_task_add_output(g, a, "./x");
    dr_error err;
    dr_error_clear(&err);
    cr_expect_eq(dr_graph_validate(g, &err), 0, "%s", err.text);
    dr_graph_destroy(g);
}

Test(files, paths_are_compared_after_dot_components_and_slashes_go) {
    char buf[64];
    const char *cases[][2] = {
        {"./out//a.txt", "out/a.txt"},
        {"out/./a.txt/", "out/a.txt"},
        {"././a", "a"},
        {"//abs/x", "/abs/x"},
        {"./", "."},
        {"/", "/"},
        {"../a", "../a"},
        {"a/../b", "a/../b"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dr__path_normalize(cases[i][0], buf);
        cr_expect_str_eq(buf, cases[i][1], "'%s'", cases[i][0]);
    }
}

Test(files, a_reader_that_does_not_depend_on_the_writer_is_a_race) {
    dr_graph *g = dr_graph_create();
    dr_task a = add(g, "a"), b = add(g, "b"), c = add(g, "c");
    dr_task_add_output(g, a, "x.txt");
    dr_task_add_input(g, b, "x.txt");
    dr_graph_add_dep(g, b, c); /* depends on c, not on a */
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(dr_graph_validate(g, &err), DR_EFORMAT);
    cr_expect_str_eq(err.task, "b");
    cr_expect_str_eq(err.text, "task 'b': reads 'x.txt', which task 'a' "
                               "writes, but does not depend on 'a'");
    /* Through c, the dependency holds. */
    dr_graph_add_dep(g, c, a);
    dr_error_clear(&err);
    cr_expect_eq(dr_graph_validate(g, &err), 0, "%s", err.text);
    dr_graph_destroy(g);
}

Test(files, reading_its_own_output_or_a_direct_dependency_is_fine) {
    dr_graph *g = dr_graph_create();
    dr_task a = add(g, "a"), b = add(g, "b");
    dr_task_add_input(g, a, "db");
    dr_task_add_output(g, a, "db");
    dr_task_add_input(g, b, "./db");
    dr_graph_add_dep(g, b, a);
    dr_error err;
    dr_error_clear(&err);
    cr_expect_eq(dr_graph_validate(g, &err), 0, "%s", err.text);
    dr_graph_destroy(g);
}

/* A long chain where each task reads the output of the task two back (a
 * transitive dependency): every read is checked, the search back from each
 * reader stops at its writer's place in the order. */
Test(files, transitive_readers_of_a_long_chain_validate, .timeout = 60) {
    dr_graph *g = dr_graph_create();
    enum { N = 20000 };
    char key[32], file[32];
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "t%d", i);
        dr_task t = add(g, key);
        snprintf(file, sizeof file, "f%d", i);
        dr_task_add_output(g, t, file);
        if (i >= 1)
            dr_graph_add_dep(g, t, t - 1);
        if (i >= 2) {
            snprintf(file, sizeof file, "f%d", i - 2);
            dr_task_add_input(g, t, file);
        }
    }
    dr_error err;
    dr_error_clear(&err);
    cr_expect_eq(dr_graph_validate(g, &err), 0, "%s", err.text);
    /* Every task also reads the first task's output (one writer, many
     * readers: searched forward), and the last one every output (one
     * reader, many writers: searched back). */
    for (int i = 2; i < N; i++)
        dr_task_add_input(g, (dr_task)i, "f0");
    for (int i = 0; i < N - 3; i++) {
        snprintf(file, sizeof file, "./f%d", i);
        dr_task_add_input(g, N - 1, file);
    }
    cr_expect_eq(dr_graph_validate(g, &err), 0, "%s", err.text);
    /* A task outside the chain reading from it races, wherever it is. */
    dr_task x = add(g, "outside");
    dr_task_add_input(g, x, "f0");
    dr_task_add_input(g, x, "f123");
    dr_graph_add_dep(g, x, 0);
    cr_expect_eq(dr_graph_validate(g, &err), DR_EFORMAT);
    cr_expect_str_eq(err.text, "task 'outside': reads 'f123', which task "
                               "'t123' writes, but does not depend on 't123'");
    dr_graph_destroy(g);
}

/* ------------------------------------------------- inputs before a run */

Test(files, a_missing_input_stops_a_real_run_naming_task_and_file,
     .timeout = 30) {
    char *dir = drt_tmpdir();
    dr_graph *g = dr_graph_create();
    dr_task t = add(g, "wc");
    dr_task_set_shell(g, t, "touch ran; wc -l data/1.csv");
    dr_task_add_input(g, t, "data/1.csv");
    dr_run_options o = command_options(dir);
    dr_error err;
    dr_error_clear(&err);
    dr_run *run = dr_run_graph(g, &o, &err);
    cr_expect_null(run, "the run started");
    cr_expect_eq(err.code, DR_ENOENT);
    cr_expect_str_eq(err.task, "wc");
    cr_expect(strstr(err.text, "task 'wc': declared input 'data/1.csv' does "
                               "not exist") != NULL,
              "%s", err.text);
    cr_expect(strstr(err.text, "no task outputs it") != NULL, "%s", err.text);
    cr_expect(!exists_in(dir, "ran"), "the task ran");
    dr_run_destroy(run);

    /* A simulation reads no file. */
    o.simulate = 1;
    dr_error_clear(&err);
    run = dr_run_graph(g, &o, &err);
    cr_expect_not_null(run, "%s", err.text);
    dr_run_destroy(run);

    /* The file in the working folder is found there. */
    o.simulate = 0;
    char *data = drt_fmt("%s/data", dir);
    cr_assert_eq(mkdir(data, 0755), 0);
    char *csv = drt_fmt("%s/1.csv", data);
    cr_assert_eq(drt_write_file(csv, "a\nb\n"), 0);
    run = run_or_die(g, &o);
    cr_expect_eq(dr_run_status(run), 0);
    dr_run_destroy(run);
    free(csv);
    free(data);
    dr_graph_destroy(g);
    free_options(&o);
    drt_rmtree(dir);
    free(dir);
}

Test(files, dagrun_run_exits_2_on_a_missing_input, .timeout = 30) {
    char *dir = drt_tmpdir();
    char *graph = drt_fmt("%s/g.json", dir);
    cr_assert_eq(drt_write_file(graph,
                                "{\"tasks\": [{\"id\": \"wc-{i}\", \"range\": "
                                "{\"i\": 2}, \"shell\": \"touch ran\", "
                                "\"inputs\": [\"data/{i}.csv\"]}]}\n"),
                 0);
    char *err = NULL;
    int rc =
        drt_cli(NULL, &err, "run %s --workdir %s --no-outputs -q", graph, dir);
    cr_expect_eq(rc, 2, "exit %d: %s", rc, err);
    cr_expect(strstr(err, "task 'wc-0': declared input 'data/0.csv' does not "
                          "exist") != NULL,
              "%s", err);
    cr_expect(!exists_in(dir, "ran"), "a task ran");
    free(err);
    free(graph);
    drt_rmtree(dir);
    free(dir);
}

Test(files, an_input_another_task_outputs_need_not_exist_yet, .timeout = 30) {
    char *dir = drt_tmpdir();
    dr_graph *g = dr_graph_create();
    dr_task a = add(g, "make"), b = add(g, "use");
    dr_task_set_shell(g, a, "mkdir -p out && echo 3 > out/x.txt");
    dr_task_add_output(g, a, "out/x.txt");
    dr_task_set_shell(g, b, "cat out/x.txt > y.txt");
    dr_task_add_input(g, b, "./out/x.txt");
    dr_task_add_output(g, b, "y.txt");
    dr_graph_add_dep(g, b, a);
    dr_run_options o = command_options(dir);
    dr_run *run = run_or_die(g, &o);
    cr_expect_eq(dr_run_status(run), 0);
    char *y = drt_text_in(dir, "y.txt");
    cr_expect_str_eq(y, "3\n");
    free(y);
    dr_run_destroy(run);
    dr_graph_destroy(g);
    free_options(&o);
    drt_rmtree(dir);
    free(dir);
}

/* ------------------------------------------------- outputs after a run */

Test(files, a_command_that_exits_0_without_its_output_fails, .timeout = 30) {
    char *dir = drt_tmpdir();
    dr_graph *g = dr_graph_create();
    dr_task t = add(g, "lazy");
    dr_task_set_shell(g, t, "mkdir -p out; echo said-it-did");
    dr_task_add_output(g, t, "out/3.txt");
    dr_run_options o = command_options(dir);
    dr_run *run = run_or_die(g, &o);
    cr_expect_eq(dr_run_status(run), DR_EFAILED);
    cr_expect_eq(dr_run_task_state(run, t), DR_STATE_FAILED);
    cr_assert_eq(run->nattempts, 1);
    cr_expect_eq(run->attempts[0].status, DR__ATTEMPT_FAILED);
    cr_assert_eq(run->nfailures, 1);
    cr_expect_str_eq(run->failures[0].reason,
                     "declared output 'out/3.txt' was not written");
    dr_run_destroy(run);
    dr_graph_destroy(g);
    free_options(&o);
    drt_rmtree(dir);
    free(dir);
}

/* Outputs are removed before each attempt: a file an earlier run left
 * does not pass for this attempt's. */
Test(files, an_output_left_by_an_earlier_run_does_not_pass, .timeout = 30) {
    char *dir = drt_tmpdir();
    char *out = drt_fmt("%s/out", dir), *old = drt_fmt("%s/out/3.txt", dir);
    cr_assert_eq(mkdir(out, 0755), 0);
    cr_assert_eq(drt_write_file(old, "from the last run\n"), 0);
    dr_graph *g = dr_graph_create();
    dr_task t = add(g, "lazy");
    dr_task_set_shell(g, t, "true");
    dr_task_add_output(g, t, "out/3.txt");
    dr_run_options o = command_options(dir);
    dr_run *run = run_or_die(g, &o);
    cr_expect_eq(dr_run_task_state(run, t), DR_STATE_FAILED);
    cr_assert_eq(run->nfailures, 1);
    cr_expect_str_eq(run->failures[0].reason,
                     "declared output 'out/3.txt' was not written");
    cr_expect(!exists_in(dir, "out/3.txt"), "the stale output is still there");
    dr_run_destroy(run);
    dr_graph_destroy(g);
    free_options(&o);
    drt_rmtree(dir);
    free(old);
    free(out);
    free(dir);
}

/* The input check comes before the output folder is taken: the last
 * run's summary is still there after the refused run. */
Test(files, a_missing_input_leaves_the_last_runs_outputs, .timeout = 60) {
    char *dir = drt_tmpdir();
    char *graph = drt_fmt("%s/g.json", dir), *in = drt_fmt("%s/in.txt", dir);
    cr_assert_eq(drt_write_file(in, "x\n"), 0);
    cr_assert_eq(drt_write_file(graph, "{\"tasks\": [{\"id\": \"a\", "
                                       "\"shell\": \"cat in.txt\", "
                                       "\"inputs\": [\"in.txt\"]}]}\n"),
                 0);
    int rc = drt_cli(NULL, NULL, "run %s --workdir %s -o %s/out -q", graph, dir,
                     dir);
    cr_assert_eq(rc, 0);
    cr_assert(exists_in(dir, "out/summary.json"));
    unlink(in);
    char *err = NULL;
    rc = drt_cli(NULL, &err, "run %s --workdir %s -o %s/out -q", graph, dir,
                 dir);
    cr_expect_eq(rc, 2, "exit %d: %s", rc, err);
    cr_expect(strstr(err, "declared input 'in.txt' does not exist") != NULL,
              "%s", err);
    cr_expect(exists_in(dir, "out/summary.json"),
              "the refused run removed the last run's outputs");
    free(err);
    drt_rmtree(dir);
    free(in);
    free(graph);
    free(dir);
}

Test(files, a_missing_output_is_retried_as_any_failure, .timeout = 30) {
    char *dir = drt_tmpdir();
    dr_graph *g = dr_graph_create();
    dr_task t = add(g, "second-time");
    /* Writes its output on the second attempt only. */
    dr_task_set_shell(g, t,
                      "if [ \"$DAGRUN_ATTEMPT\" = 2 ]; then echo ok > "
                      "o.txt; fi");
    dr_task_add_output(g, t, "o.txt");
    dr_task_set_retries(g, t, 2);
    dr_run_options o = command_options(dir);
    dr_run *run = run_or_die(g, &o);
    cr_expect_eq(dr_run_status(run), 0);
    cr_assert_eq(run->nattempts, 2);
    cr_expect_eq(run->attempts[0].status, DR__ATTEMPT_FAILED);
    cr_expect_str_eq(run->attempts[0].error,
                     "declared output 'o.txt' was not written");
    cr_expect_eq(run->attempts[1].status, DR__ATTEMPT_OK);
    cr_expect(exists_in(dir, "o.txt"));
    dr_run_destroy(run);
    dr_graph_destroy(g);
    free_options(&o);
    drt_rmtree(dir);
    free(dir);
}

Test(files, a_failed_commands_partial_output_is_removed, .timeout = 30) {
    char *dir = drt_tmpdir();
    dr_graph *g = dr_graph_create();
    dr_task t = add(g, "half");
    dr_task_set_shell(g, t, "echo half > part.txt; echo x > other.txt; exit 1");
    dr_task_add_output(g, t, "part.txt");
    dr_task_add_output(g, t, "missing.txt");
    /* A folder named as an output is left alone. */
    char *sub = drt_fmt("%s/folder", dir);
    cr_assert_eq(mkdir(sub, 0755), 0);
    dr_task_add_output(g, t, "folder");
    dr_run_options o = command_options(dir);
    dr_run *run = run_or_die(g, &o);
    cr_expect_eq(dr_run_status(run), DR_EFAILED);
    cr_expect(!exists_in(dir, "part.txt"), "the partial output is still there");
    cr_expect(exists_in(dir, "other.txt"), "an undeclared file was removed");
    cr_expect(exists_in(dir, "folder"), "a folder was removed");
    cr_assert_eq(run->nfailures, 1);
    cr_expect_str_eq(run->failures[0].reason,
                     "exit status 1 (removed its declared output 'part.txt')");
    dr_run_destroy(run);
    free(sub);
    dr_graph_destroy(g);
    free_options(&o);
    drt_rmtree(dir);
    free(dir);
}

Test(files, a_command_killed_by_its_timeout_loses_what_it_wrote,
     .timeout = 30) {
    char *dir = drt_tmpdir();
    dr_graph *g = dr_graph_create();
    dr_task t = add(g, "slow");
    /* Writes, says so (by a second file, not declared), then hangs. */
    dr_task_set_shell(g, t, "echo start > big.txt; touch wrote; sleep 60");
    dr_task_add_output(g, t, "big.txt");
    dr_task_set_timeout(g, t, 0.5);
    dr_run_options o = command_options(dir);
    dr_run *run = run_or_die(g, &o);
    cr_expect_eq(dr_run_status(run), DR_EFAILED);
    cr_assert_eq(run->nattempts, 1);
    cr_expect_eq(run->attempts[0].status, DR__ATTEMPT_TIMEOUT);
    cr_expect(exists_in(dir, "wrote"), "the command never wrote");
    cr_expect(!exists_in(dir, "big.txt"), "the output is still there");
    cr_expect(strstr(run->failures[0].reason,
                     "(removed its declared output 'big.txt')") != NULL,
              "%s", run->failures[0].reason);
    dr_run_destroy(run);
    dr_graph_destroy(g);
    free_options(&o);
    drt_rmtree(dir);
    free(dir);
}

/* A C function task: writes the files named in its args ("write"), then
 * fails when args say so. */
static int fn_write(dr_call *call, void *user) {
    const char *dir = user;
    json_t *args = dr_call_args(call);
    size_t i;
    json_t *name;
    json_array_foreach(json_object_get(args, "write"), i, name) {
        char *path = drt_fmt("%s/%s", dir, json_string_value(name));
        drt_write_file(path, "data\n");
        free(path);
    }
    if (json_is_true(json_object_get(args, "fail")))
        return dr_call_fail(call, "failed on purpose");
    dr_call_set_json(call, json_integer(7));
    return 0;
}

Test(files, function_tasks_outputs_are_checked_and_removed_likewise,
     .timeout = 30) {
    char *dir = drt_tmpdir();
    dr_graph *g = dr_graph_create();
    dr_task good = add(g, "good"), lazy = add(g, "lazy"), bad = add(g, "bad");
    json_t *args = json_pack("{s:[s]}", "write", "g.txt");
    dr_task_set_function(g, good, "write", fn_write, dir, args);
    json_decref(args);
    dr_task_add_output(g, good, "g.txt");
    args = json_pack("{s:[s]}", "write", "l1.txt");
    dr_task_set_function(g, lazy, "write", fn_write, dir, args);
    json_decref(args);
    dr_task_add_output(g, lazy, "l1.txt");
    dr_task_add_output(g, lazy, "l2.txt");
    args = json_pack("{s:[s], s:b}", "write", "b.txt", "fail", 1);
    dr_task_set_function(g, bad, "write", fn_write, dir, args);
    json_decref(args);
    dr_task_add_output(g, bad, "b.txt");
    dr_run_options o = command_options(dir);
    o.keep_going = 1;
    dr_run *run = run_or_die(g, &o);
    cr_expect_eq(dr_run_task_state(run, good), DR_STATE_OK);
    cr_expect(exists_in(dir, "g.txt"));
    cr_expect_eq(dr_run_task_state(run, lazy), DR_STATE_FAILED);
    cr_expect(!exists_in(dir, "l1.txt"), "a failed task's output is there");
    cr_expect_eq(dr_run_task_state(run, bad), DR_STATE_FAILED);
    cr_expect(!exists_in(dir, "b.txt"), "a failed task's output is there");
    cr_assert_eq(run->nfailures, 2);
    for (size_t i = 0; i < run->nfailures; i++) {
        const char *why = run->failures[i].reason;
        if (run->failures[i].task == lazy)
            cr_expect_str_eq(why, "declared output 'l2.txt' was not written "
                                  "(removed its declared output 'l1.txt')");
        else
            cr_expect_str_eq(why, "failed on purpose (removed its declared "
                                  "output 'b.txt')");
    }
    dr_run_destroy(run);
    dr_graph_destroy(g);
    free_options(&o);
    drt_rmtree(dir);
    free(dir);
}

/* Writes its output, waits for its timeout to cancel it, and returns 0 all
 * the same: reported as timed out, so its output goes too. */
static int fn_write_then_ignore_cancel(dr_call *call, void *user) {
    char *path = drt_fmt("%s/slow.txt", (const char *)user);
    drt_write_file(path, "partial\n");
    free(path);
    while (!dr_call_cancelled(call))
        drt_nap_ms(5);
    return 0;
}

Test(files, a_function_task_past_its_timeout_loses_what_it_wrote,
     .timeout = 30) {
    char *dir = drt_tmpdir();
    dr_graph *g = dr_graph_create();
    dr_task t = add(g, "slow");
    dr_task_set_function(g, t, "slow", fn_write_then_ignore_cancel, dir, NULL);
    dr_task_add_output(g, t, "slow.txt");
    dr_task_set_timeout(g, t, 0.2);
    dr_run_options o = command_options(dir);
    dr_run *run = run_or_die(g, &o);
    cr_expect_eq(dr_run_status(run), DR_EFAILED);
    cr_assert_eq(run->nattempts, 1);
    cr_expect_eq(run->attempts[0].status, DR__ATTEMPT_TIMEOUT);
    cr_expect(!exists_in(dir, "slow.txt"), "the output is still there");
    cr_assert_eq(run->nfailures, 1);
    cr_expect_str_eq(run->failures[0].reason,
                     "timed out after 0.2 s (removed its declared output "
                     "'slow.txt')");
    dr_run_destroy(run);
    dr_graph_destroy(g);
    free_options(&o);
    drt_rmtree(dir);
    free(dir);
}

/* A graph replayed with --cost-op (tasks without an operation) keeps its
 * files as a description: nothing is looked for, checked or removed. */
Test(files, tasks_without_an_operation_leave_their_files_alone, .timeout = 30) {
    char *dir = drt_tmpdir();
    dr_graph *g = dr_graph_create();
    dr_task a = add(g, "a"), b = add(g, "b");
    dr_task_add_input(g, a, "raw.csv");
    dr_task_add_output(g, a, "clean.csv");
    dr_task_add_output(g, b, "kept.txt");
    dr_task_set_cost(g, b, 0.001);
    dr_graph_add_dep(g, b, a);
    char *kept = drt_fmt("%s/kept.txt", dir);
    cr_assert_eq(drt_write_file(kept, "old\n"), 0);
    dr_run_options o = command_options(dir);
    o.cost_op = DR_COST_OP_SLEEP;
    dr_run *run = run_or_die(g, &o);
    cr_expect_eq(dr_run_status(run), 0);
    cr_expect(exists_in(dir, "kept.txt"));
    dr_run_destroy(run);
    free(kept);
    dr_graph_destroy(g);
    free_options(&o);
    drt_rmtree(dir);
    free(dir);
}
