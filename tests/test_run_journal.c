/*
 * The journal of real runs through the C API (scheduler/recorder.c and its
 * use in executor.c and run.c; docs/resuming.md): one record per attempt,
 * a command's record on disk before its dependents start, results of
 * cached tasks feeding the tasks that run, tasks with pointer results and
 * their dependents always running, --explain's lines, and no journal for
 * a simulation.  The CLI's resume, kill -9 and torn-journal tests are in
 * tests/test_resume_*.c; the journal file's own format in
 * tests/test_journal.c.
 */
#include "run_internal.h"
#include "support.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static dr_task add(dr_graph *g, const char *key) {
    dr_task t;
    cr_assert_eq(dr_graph_add_task(g, key, &t), 0, "adding %s", key);
    return t;
}

static dr_task add_task_fn(dr_graph *g, const char *key, dr_task_fn fn,
                           void *user, json_t *args) {
    dr_task t = add(g, key);
    cr_assert_eq(dr_task_set_function(g, t, key, fn, user, args), 0);
    return t;
}

static dr_run *run_or_die(dr_graph *g, const dr_run_options *o) {
    dr_error err;
    memset(&err, 0, sizeof err);
    dr_run *run = dr_run_graph(g, o, &err);
    cr_assert_not_null(run, "dr_run_graph failed: %s", err.text);
    return run;
}

/* The journal's records (header lines left out), each a new object. */
static json_t *records(const char *path) {
    char *text = drt_read_file(path, NULL);
    cr_assert_not_null(text, "no journal at %s", path);
    json_t *all = json_array();
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        json_error_t e;
        json_t *rec = json_loads(line, 0, &e);
        cr_assert_not_null(rec, "journal line is not JSON: %s", line);
        if (json_object_get(rec, "task") != NULL)
            json_array_append_new(all, rec);
        else
            json_decref(rec);
    }
    free(text);
    return all;
}

static size_t count_task(const json_t *recs, const char *key,
                         const char *status) {
    size_t n = 0, i;
    json_t *r;
    json_array_foreach(recs, i, r) {
        if (strcmp(json_string_value(json_object_get(r, "task")), key) != 0)
            continue;
        if (status == NULL ||
            strcmp(json_string_value(json_object_get(r, "status")), status) ==
                0)
            n++;
    }
    return n;
}

Test(journal, every_attempt_is_recorded_once_with_its_status) {
    char *dir = drt_tmpdir();
    char *jpath = drt_fmt("%s/journal.jsonl", dir);
    char *flag = drt_fmt("%s/failed-once", dir);
    dr_graph *g = dr_graph_create();
    dr_task a = add(g, "a"), b = add(g, "b"), c = add(g, "c");
    dr_task d = add(g, "d");
    cr_assert_eq(dr_task_set_builtin(g, a, "noop", NULL), 0);
    cr_assert_eq(dr_task_set_shell(g, b, "true"), 0);
    /* Fails on its first attempt only: two records, failed then ok. */
    char *once = drt_fmt("test -e %s || { touch %s; exit 3; }", flag, flag);
    cr_assert_eq(dr_task_set_shell(g, c, once), 0);
    cr_assert_eq(dr_task_set_retries(g, c, 1), 0);
    cr_assert_eq(dr_task_set_builtin(g, d, "noop", NULL), 0);
    dr_graph_add_dep(g, c, a);
    dr_graph_add_dep(g, d, b);
    dr_graph_add_dep(g, d, c);
    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = 2;
    o.journal = jpath;
    o.run_dir = dir;
    dr_run *run = run_or_die(g, &o);
    cr_assert_eq(dr_run_status(run), 0);
    json_t *recs = records(jpath);
    cr_expect_eq(json_array_size(recs), 5);
    cr_expect_eq(count_task(recs, "a", "ok"), 1);
    cr_expect_eq(count_task(recs, "b", "ok"), 1);
    cr_expect_eq(count_task(recs, "c", "failed"), 1);
    cr_expect_eq(count_task(recs, "c", "ok"), 1);
    cr_expect_eq(count_task(recs, "d", "ok"), 1);
    /* d ended last, after both its dependencies: the journal is in
     * completion order. */
    json_t *last = json_array_get(recs, json_array_size(recs) - 1);
    cr_expect_str_eq(json_string_value(json_object_get(last, "task")), "d");
    cr_expect_str_eq(dr_run_journal_note(run), "");
    json_decref(recs);
    dr_run_destroy(run);
    dr_graph_destroy(g);
    drt_rmtree(dir);
    free(once);
    free(flag);
    free(jpath);
    free(dir);
}

/* Each command of a chain checks that the journal already holds the
 * record of the command before it: a dependent never starts before its
 * dependency's record is written. */
Test(journal, a_commands_record_is_written_before_its_dependents_start) {
    char *dir = drt_tmpdir();
    char *jpath = drt_fmt("%s/journal.jsonl", dir);
    dr_graph *g = dr_graph_create();
    dr_task prev = DR_TASK_NONE;
    for (int i = 0; i < 30; i++) {
        char key[16];
        snprintf(key, sizeof key, "c%d", i);
        dr_task t = add(g, key);
        char *cmd =
            i == 0 ? drt_fmt("true")
                   : drt_fmt("grep -q '\"task\":\"c%d\",' '%s'", i - 1, jpath);
        cr_assert_eq(dr_task_set_shell(g, t, cmd), 0);
        free(cmd);
        if (prev != DR_TASK_NONE)
            dr_graph_add_dep(g, t, prev);
        prev = t;
    }
    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = 2;
    o.journal = jpath;
    o.run_dir = dir;
    dr_run *run = run_or_die(g, &o);
    cr_expect_eq(dr_run_status(run), 0,
                 "a command did not find its dependency's record");
    json_t *recs = records(jpath);
    cr_expect_eq(json_array_size(recs), 30);
    json_decref(recs);
    dr_run_destroy(run);
    dr_graph_destroy(g);
    drt_rmtree(dir);
    free(jpath);
    free(dir);
}

/* ------------------------------------------------------------ resuming */

typedef struct counts {
    atomic_int base, plus;
} counts;

static int fn_base(dr_call *call, void *user) {
    counts *c = user;
    atomic_fetch_add(&c->base, 1);
    dr_call_set_json(call, json_pack("{s:i}", "v", 42));
    return 0;
}

/* Its input's "v" plus its argument "add". */
static int fn_plus(dr_call *call, void *user) {
    counts *c = user;
    atomic_fetch_add(&c->plus, 1);
    json_t *in = dr_call_input_json(call, 0);
    json_int_t v = json_integer_value(json_object_get(in, "v"));
    json_int_t add =
        json_integer_value(json_object_get(dr_call_args(call), "add"));
    dr_call_set_json(call, json_pack("{s:I}", "v", v + add));
    return 0;
}

static dr_graph *plus_graph(counts *c, int add) {
    dr_graph *g = dr_graph_create();
    dr_graph_set_name(g, "plus");
    dr_task base = add_task_fn(g, "base", fn_base, c, NULL);
    json_t *args = json_pack("{s:i}", "add", add);
    dr_task plus = add_task_fn(g, "plus", fn_plus, c, args);
    json_decref(args);
    dr_graph_add_dep(g, plus, base);
    return g;
}

Test(journal, cached_results_feed_the_tasks_that_run) {
    char *dir = drt_tmpdir();
    char *jpath = drt_fmt("%s/journal.jsonl", dir);
    counts c = {0, 0};
    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = 2;
    o.journal = jpath;

    dr_graph *g = plus_graph(&c, 1);
    dr_run *run = run_or_die(g, &o);
    cr_assert_eq(dr_run_status(run), 0);
    dr_run_destroy(run);
    cr_assert_eq(atomic_load(&c.base), 1);
    cr_assert_eq(atomic_load(&c.plus), 1);

    /* Nothing changed: nothing runs, and the sink's result is the
     * recorded one. */
    o.resume = 1;
    run = run_or_die(g, &o);
    cr_expect_eq(atomic_load(&c.base), 1);
    cr_expect_eq(atomic_load(&c.plus), 1);
    dr_task plus = dr_graph_find(g, "plus");
    cr_expect_eq(dr_run_task_state(run, dr_graph_find(g, "base")),
                 DR_STATE_CACHED);
    cr_expect_eq(dr_run_task_state(run, plus), DR_STATE_CACHED);
    json_t *res = dr_run_task_result(run, plus);
    cr_expect_eq(json_integer_value(json_object_get(res, "v")), 43);
    dr_run_destroy(run);
    dr_graph_destroy(g);

    /* plus's argument changed: plus runs on base's recorded result, base
     * does not run. */
    g = plus_graph(&c, 10);
    run = run_or_die(g, &o);
    cr_expect_eq(atomic_load(&c.base), 1);
    cr_expect_eq(atomic_load(&c.plus), 2);
    plus = dr_graph_find(g, "plus");
    cr_expect_eq(dr_run_task_state(run, plus), DR_STATE_OK);
    res = dr_run_task_result(run, plus);
    cr_expect_eq(json_integer_value(json_object_get(res, "v")), 52);
    dr_run_destroy(run);

    /* Without resume everything runs again. */
    o.resume = 0;
    run = run_or_die(g, &o);
    cr_expect_eq(atomic_load(&c.base), 2);
    cr_expect_eq(atomic_load(&c.plus), 3);
    dr_run_destroy(run);
    dr_graph_destroy(g);
    drt_rmtree(dir);
    free(jpath);
    free(dir);
}

static int fn_pointer(dr_call *call, void *user) {
    counts *c = user;
    atomic_fetch_add(&c->base, 1);
    static int value = 7;
    dr_call_set_ptr(call, &value, NULL, sizeof value);
    return 0;
}

static int fn_after_pointer(dr_call *call, void *user) {
    counts *c = user;
    atomic_fetch_add(&c->plus, 1);
    int *p = dr_call_input_ptr(call, 0);
    cr_assert_not_null(p, "the pointer did not reach the dependent");
    dr_call_set_json(call, json_integer(*p));
    return 0;
}

Test(journal, pointer_results_and_their_dependents_always_run) {
    char *dir = drt_tmpdir();
    char *jpath = drt_fmt("%s/journal.jsonl", dir);
    counts c = {0, 0};
    dr_graph *g = dr_graph_create();
    dr_task p = add_task_fn(g, "p", fn_pointer, &c, NULL);
    dr_task q = add_task_fn(g, "q", fn_after_pointer, &c, NULL);
    dr_graph_add_dep(g, q, p);
    dr_run_options o;
    dr_run_options_init(&o);
    o.journal = jpath;
    dr_run *run = run_or_die(g, &o);
    dr_run_destroy(run);
    o.resume = 1;
    char *text = NULL;
    size_t len = 0;
    FILE *explain = open_memstream(&text, &len);
    o.explain = explain;
    run = run_or_die(g, &o);
    fclose(explain);
    cr_expect_eq(dr_run_status(run), 0);
    cr_expect_eq(atomic_load(&c.base), 2, "p must run again");
    cr_expect_eq(atomic_load(&c.plus), 2, "q must run again");
    cr_expect_eq(dr_run_task_state(run, p), DR_STATE_OK);
    cr_expect(strstr(text, "p: ") != NULL, "explain names p: %s", text);
    cr_expect(strstr(text, "q: ") != NULL, "explain names q: %s", text);
    free(text);
    dr_run_destroy(run);
    dr_graph_destroy(g);
    drt_rmtree(dir);
    free(jpath);
    free(dir);
}

Test(journal, explain_names_each_task_that_runs_and_why) {
    char *dir = drt_tmpdir();
    char *jpath = drt_fmt("%s/journal.jsonl", dir);
    counts c = {0, 0};
    dr_graph *g = plus_graph(&c, 1);
    dr_run_options o;
    dr_run_options_init(&o);
    o.journal = jpath;
    o.resume = 1;
    char *text = NULL;
    size_t len = 0;
    FILE *explain = open_memstream(&text, &len);
    o.explain = explain;
    dr_run *run = run_or_die(g, &o); /* no journal yet: a first run */
    fclose(explain);
    cr_expect(strstr(text, "base: first run\n") != NULL, "%s", text);
    cr_expect(strstr(text, "plus: ") != NULL, "%s", text);
    free(text);
    dr_run_destroy(run);
    dr_graph_destroy(g);

    g = plus_graph(&c, 2);
    explain = open_memstream(&text, &len);
    o.explain = explain;
    run = run_or_die(g, &o);
    fclose(explain);
    cr_expect(strstr(text, "base") == NULL, "base is cached: %s", text);
    cr_expect(strstr(text, "plus: arguments changed\n") != NULL, "%s", text);
    free(text);
    dr_run_destroy(run);
    dr_graph_destroy(g);
    drt_rmtree(dir);
    free(jpath);
    free(dir);
}

Test(journal, a_simulation_keeps_none_and_null_means_none) {
    char *dir = drt_tmpdir();
    char *jpath = drt_fmt("%s/journal.jsonl", dir);
    counts c = {0, 0};
    dr_graph *g = plus_graph(&c, 1);
    dr_run_options o;
    dr_run_options_init(&o);
    o.simulate = 1;
    o.journal = jpath;
    o.resume = 1;
    dr_run *run = run_or_die(g, &o);
    dr_run_destroy(run);
    cr_expect_neq(access(jpath, F_OK), 0, "a simulation wrote a journal");
    dr_run_options_init(&o); /* journal NULL */
    run = run_or_die(g, &o);
    dr_run_destroy(run);
    cr_expect_neq(access(jpath, F_OK), 0);
    cr_expect_eq(atomic_load(&c.base), 1);
    dr_graph_destroy(g);
    drt_rmtree(dir);
    free(jpath);
    free(dir);
}

/* An input touched without a change keeps the task cached, and the resumed
 * run records the file's new mtime, so that the next resume need not read
 * it. */
Test(journal, a_touched_input_is_recorded_with_its_new_mtime) {
    char *dir = drt_tmpdir();
    char *jpath = drt_fmt("%s/journal.jsonl", dir);
    char *in = drt_fmt("%s/in.txt", dir);
    cr_assert_eq(drt_write_file(in, "same\n"), 0);
    dr_graph *g = dr_graph_create();
    dr_task t = add(g, "c");
    cr_assert_eq(dr_task_set_shell(g, t, "cat in.txt >/dev/null"), 0);
    cr_assert_eq(dr_task_add_input(g, t, "in.txt"), 0);
    dr_run_options o;
    dr_run_options_init(&o);
    o.journal = jpath;
    o.workdir = dir;
    o.run_dir = dir;
    dr_run *run = run_or_die(g, &o);
    dr_run_destroy(run);
    /* A new mtime, the same content. */
    struct timespec times[2] = {{0, UTIME_OMIT}, {1000000000, 0}};
    cr_assert_eq(utimensat(AT_FDCWD, in, times, 0), 0);
    o.resume = 1;
    run = run_or_die(g, &o);
    cr_expect_eq(dr_run_task_state(run, t), DR_STATE_CACHED);
    dr_run_destroy(run);
    json_t *recs = records(jpath);
    json_t *last = json_array_get(recs, json_array_size(recs) - 1);
    cr_assert_str_eq(json_string_value(json_object_get(last, "task")), "c");
    json_t *file = json_array_get(json_object_get(last, "inputs"), 0);
    cr_expect_eq(json_integer_value(json_object_get(file, "mtime_ns")),
                 1000000000LL * 1000000000LL,
                 "the touched input's new mtime was not recorded");
    json_decref(recs);
    dr_graph_destroy(g);
    drt_rmtree(dir);
    free(in);
    free(jpath);
    free(dir);
}

/* dr_plan_print, the lines of --dry-run and --explain: topological order,
 * and a key's control characters never reach the terminal raw. */
Test(journal, plan_lines_are_in_order_and_escape_keys) {
    char *dir = drt_tmpdir();
    char *jpath = drt_fmt("%s/journal.jsonl", dir);
    dr_graph *g = dr_graph_create();
    dr_task b = add(g, "b\x1b[31mred"), a = add(g, "a");
    dr_task_set_builtin(g, a, "noop", NULL);
    dr_task_set_builtin(g, b, "noop", NULL);
    dr_graph_add_dep(g, b, a);
    dr_run_options o;
    dr_run_options_init(&o);
    o.journal = jpath;
    o.resume = 1;
    dr_error err;
    dr_error_clear(&err);
    dr_plan *plan = dr_plan_create(g, &o, &err);
    cr_assert_not_null(plan, "%s", err.text);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    dr_plan_print(plan, f);
    fclose(f);
    cr_expect_null(strchr(text, '\x1b'), "%s", text);
    const char *la = strstr(text, "a: first run\n");
    const char *lb = strstr(text, "red: first run\n");
    cr_expect(la != NULL && lb != NULL && la < lb, "%s", text);
    free(text);
    dr_plan_destroy(plan);
    dr_graph_destroy(g);
    drt_rmtree(dir);
    free(jpath);
    free(dir);
}

/* A cached command's log is what it printed when it ran: a resumed run
 * keeps it, so its result (what it printed) is still there. */
Test(journal, a_cached_commands_log_and_printed_result_are_kept) {
    char *dir = drt_tmpdir();
    char *graph = drt_fmt("%s/g.json", dir);
    cr_assert_eq(drt_write_file(graph,
                                "{\"name\": \"hi\", \"tasks\": [{\"id\": "
                                "\"say\", \"shell\": \"echo hello\"}]}\n"),
                 0);
    char *out = NULL;
    cr_assert_eq(
        drt_cli(&out, NULL, "run '%s' -o '%s/out' -q --output say", graph, dir),
        0);
    cr_expect_not_null(strstr(out, "hello"), "%s", out);
    free(out);
    cr_assert_eq(drt_cli(&out, NULL, "run '%s' -o '%s/out' -q -r --output say",
                         graph, dir),
                 0);
    cr_expect_not_null(strstr(out, "hello"),
                       "cached command lost its output: %s", out);
    free(out);
    free(graph);
    drt_rmtree(dir);
    free(dir);
}
