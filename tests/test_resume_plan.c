/*
 * What a resumed run reruns (scheduler/resume.c, docs/resuming.md "What
 * reruns"): dr_plan_create read against journals written with the journal
 * writer, as a run records its attempts.  `record` below computes each
 * record the way resume.h says the executor must (op, fp from the
 * dependencies' result fingerprints and the inputs seen, result_fp), so a
 * journal written here is one a real run would leave.
 */
#include "dagrun.h"
#include "dagrun/run.h"
#include "fingerprint.h"
#include "journal.h"
#include "resume.h"
#include "support.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------ a fixture */

typedef struct fixture {
    char *dir;     /* the commands' working folder, files relative to it */
    char *journal; /* dir/journal.jsonl */
    dr_graph *g;
    dr__fp *results; /* what record() gave each task */
    dr__journal *j;
} fixture;

static fixture *fx_new(const char *name) {
    fixture *f = calloc(1, sizeof(*f));
    f->dir = drt_tmpdir();
    f->journal = drt_fmt("%s/journal.jsonl", f->dir);
    f->g = dr_graph_create();
    cr_assert_not_null(f->g);
    cr_assert_eq(dr_graph_set_name(f->g, name), 0);
    char *data = drt_fmt("%s/data", f->dir), *out = drt_fmt("%s/out", f->dir);
    cr_assert_eq(mkdir(data, 0755), 0);
    cr_assert_eq(mkdir(out, 0755), 0);
    free(data);
    free(out);
    return f;
}

static void fx_free(fixture *f) {
    dr_graph_destroy(f->g);
    free(f->results);
    drt_rmtree(f->dir);
    free(f->dir);
    free(f->journal);
    free(f);
}

static dr_task add(fixture *f, const char *key, const char *builtin,
                   const char *args) {
    dr_task t;
    cr_assert_eq(dr_graph_add_task(f->g, key, &t), 0);
    json_t *a = NULL;
    if (args != NULL) {
        json_error_t jerr;
        a = json_loads(args, 0, &jerr);
        cr_assert_not_null(a, "%s", jerr.text);
    }
    cr_assert_eq(dr_task_set_builtin(f->g, t, builtin, a), 0);
    json_decref(a);
    return t;
}

static dr_task add_shell(fixture *f, const char *key, const char *command) {
    dr_task t;
    cr_assert_eq(dr_graph_add_task(f->g, key, &t), 0);
    cr_assert_eq(dr_task_set_shell(f->g, t, command), 0);
    return t;
}

static void dep(fixture *f, dr_task t, dr_task d) {
    cr_assert_eq(dr_graph_add_dep(f->g, t, d), 0);
}

static void put(fixture *f, const char *name, const char *text) {
    char *path = drt_fmt("%s/%s", f->dir, name);
    cr_assert_eq(drt_write_file(path, text), 0);
    free(path);
}

/* Gives the file an mtime of its own (edits in one clock tick would keep
 * the old one, as they would for make). */
static void set_mtime(fixture *f, const char *name, time_t sec) {
    char *path = drt_fmt("%s/%s", f->dir, name);
    struct timespec ts[2] = {{sec, 0}, {sec, 0}};
    cr_assert_eq(utimensat(AT_FDCWD, path, ts, 0), 0, "%s", path);
    free(path);
}

static void rm(fixture *f, const char *name) {
    char *path = drt_fmt("%s/%s", f->dir, name);
    cr_assert_eq(unlink(path), 0, "%s", path);
    free(path);
}

static void open_journal(fixture *f, int append) {
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(
        dr__journal_open(f->journal, dr_graph_name(f->g), append, &f->j, &err),
        0, "%s", err.text);
    if (f->results == NULL) {
        cr_assert_eq(dr_graph_validate(f->g, &err), 0, "%s", err.text);
        f->results = calloc(dr_graph_ntasks(f->g) + 1, sizeof(dr__fp));
    }
}

static void close_journal(fixture *f) {
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(dr__journal_close(f->j, &err), 0, "%s", err.text);
    f->j = NULL;
}

/* The files of a task as seen now, with their declared paths. */
static dr__jfile *seen(fixture *f, dr_task t, int outputs, size_t *n) {
    *n = outputs ? dr_task_noutputs(f->g, t) : dr_task_ninputs(f->g, t);
    dr__jfile *files = calloc(*n + 1, sizeof(*files));
    for (size_t i = 0; i < *n; i++) {
        files[i].path =
            outputs ? dr_task_output(f->g, t, i) : dr_task_input(f->g, t, i);
        dr_error err;
        dr_error_clear(&err);
        cr_assert_eq(
            dr__file_fp_compute(f->dir, files[i].path, &files[i].fp, &err), 0,
            "%s", err.text);
    }
    return files;
}

/*
 * Appends the record of one attempt of t: a builtin's result is
 * {"key":KEY,"x":0.1+0.2} (so reals go through the journal); a task whose
 * key starts with "ptr" has a result the journal cannot store; a
 * command's result is its declared outputs.  `status` NULL: "ok".
 */
static void record(fixture *f, const char *key, const char *status) {
    dr_task t = dr_graph_find(f->g, key);
    cr_assert_neq(t, DR_TASK_NONE, "%s", key);
    dr__fp op;
    cr_assert_eq(dr__task_op_fp(f->g, t, f->dir, &op), 0);
    size_t nd, nin, nout;
    const dr_task *deps = dr_task_deps(f->g, t, &nd);
    dr__fp *dres = calloc(nd + 1, sizeof(*dres));
    for (size_t i = 0; i < nd; i++)
        dres[i] = f->results[deps[i]];
    dr__jfile *in = seen(f, t, 0, &nin), *out = seen(f, t, 1, &nout);
    dr__file_fp *infp = calloc(nin + 1, sizeof(*infp)),
                *outfp = calloc(nout + 1, sizeof(*outfp));
    for (size_t i = 0; i < nin; i++)
        infp[i] = in[i].fp;
    for (size_t i = 0; i < nout; i++)
        outfp[i] = out[i].fp;

    dr__jrec r;
    memset(&r, 0, sizeof(r));
    r.task = key;
    r.attempt = 1;
    r.status = status ? status : "ok";
    r.start = 0.25;
    r.end = 0.5;
    r.op = op;
    dr__task_fp(&op, dres, nd, infp, nin, &r.fp);
    r.inputs = in;
    r.ninputs = nin;
    char *text = NULL;
    dr__fp result;
    int ok = strcmp(r.status, "ok") == 0;
    if (ok) {
        r.outputs = out;
        r.noutputs = nout;
    }
    if (!ok) {
        r.error = "it went wrong";
    } else if (dr_task_op_kind(f->g, t) == DR_OP_SHELL) {
        dr__command_result_fp(&r.fp, outfp, nout, &result);
        r.result_fp = &result;
    } else if (strncmp(key, "ptr", 3) == 0) {
        r.result_fp = NULL;
    } else {
        json_t *v =
            json_pack("{s:s,s:f}", "key", key, "x", 0.1 + 0.2 + (double)t);
        text = json_dumps(v, JSON_COMPACT);
        cr_assert_eq(dr__json_fp(v, &result), 0);
        json_decref(v);
        r.result = text;
        r.result_len = strlen(text);
        r.result_fp = &result;
    }
    cr_assert_eq(dr__journal_append(f->j, &r), 0);
    if (ok && r.result_fp != NULL)
        f->results[t] = result;
    free(text);
    free(dres);
    free(in);
    free(out);
    free(infp);
    free(outfp);
}

/* One successful run of every task, in topological order, as a fresh
 * journal. */
static void record_all(fixture *f) {
    open_journal(f, 0);
    const dr_task *topo = dr_graph_topo_order(f->g);
    for (size_t i = 0; i < dr_graph_ntasks(f->g); i++)
        record(f, dr_task_key(f->g, topo[i]), NULL);
    close_journal(f);
}

static dr_plan *plan_of(fixture *f, int resume) {
    dr_run_options o;
    dr_run_options_init(&o);
    o.journal = f->journal;
    o.resume = resume;
    o.workdir = f->dir;
    dr_error err;
    dr_error_clear(&err);
    dr_plan *p = dr_plan_create(f->g, &o, &err);
    cr_assert_not_null(p, "%s", err.text);
    return p;
}

static const char *why(const dr_plan *p, fixture *f, const char *key) {
    dr_task t = dr_graph_find(f->g, key);
    cr_assert_neq(t, DR_TASK_NONE, "%s", key);
    const char *r = dr_plan_reason(p, t);
    return r ? r : "(cached)";
}

#define expect_cached(p, f, key)                                               \
    cr_expect_str_eq(why(p, f, key), "(cached)", "task %s", key)
#define expect_runs(p, f, key, reason)                                         \
    cr_expect_str_eq(why(p, f, key), reason, "task %s", key)

/* a -> b -> c, d alone; e (a command) reads data/in.csv and writes
 * out/e.txt; f reads e's output. */
static fixture *pipeline(void) {
    fixture *f = fx_new("pipe");
    dr_task a = add(f, "a", "sum", "{\"x\": 1}"), b = add(f, "b", "noop", NULL),
            c = add(f, "c", "sleep", "{\"ms\": 0.5}");
    add(f, "d", "noop", NULL);
    dep(f, b, a);
    dep(f, c, b);
    dr_task e = add_shell(f, "e", "cp data/in.csv out/e.txt");
    cr_assert_eq(dr_task_add_input(f->g, e, "data/in.csv"), 0);
    cr_assert_eq(dr_task_add_output(f->g, e, "out/e.txt"), 0);
    dr_task g = add_shell(f, "g", "wc -l out/e.txt");
    cr_assert_eq(dr_task_add_input(f->g, g, "out/e.txt"), 0);
    dep(f, g, e);
    put(f, "data/in.csv", "1,2,3\n");
    set_mtime(f, "data/in.csv", 1700000000);
    put(f, "out/e.txt", "1,2,3\n");
    set_mtime(f, "out/e.txt", 1700000001);
    return f;
}

/* ------------------------------------------------------------ tests */

Test(resume_plan, everything_matches_everything_is_cached) {
    fixture *f = pipeline();
    record_all(f);
    dr_plan *p = plan_of(f, 1);
    cr_expect_str_eq(dr_plan_note(p), "");
    cr_expect_eq(dr_plan_nrun(p), 0);
    for (dr_task t = 0; t < dr_graph_ntasks(f->g); t++) {
        cr_expect(dr_plan_cached(p, t), "%s: %s", dr_task_key(f->g, t),
                  dr_plan_reason(p, t));
        cr_expect_not_null(dr__plan_record(p, t));
        dr__fp r, op;
        cr_expect_eq(dr__plan_result_fp(p, t, &r), 0);
        cr_expect(dr__fp_equal(&r, &f->results[t]));
        cr_assert_eq(dr__task_op_fp(f->g, t, f->dir, &op), 0);
        cr_expect(dr__fp_equal(dr__plan_op_fp(p, t), &op));
        size_t n;
        cr_expect_null(dr__plan_touched(p, t, &n));
        cr_expect_eq(n, 0);
    }
    /* A builtin's result comes back, reals included, and hashes as it was
     * recorded. */
    json_t *res = dr__plan_result(p, dr_graph_find(f->g, "c"));
    cr_assert_not_null(res);
    cr_expect_str_eq(json_string_value(json_object_get(res, "key")), "c");
    dr__fp back;
    cr_assert_eq(dr__json_fp(res, &back), 0);
    cr_expect(dr__fp_equal(&back, &f->results[dr_graph_find(f->g, "c")]));
    cr_expect_null(dr__plan_result(p, dr_graph_find(f->g, "e")),
                   "a command has no JSON result");
    dr_plan_destroy(p);
    fx_free(f);
}

Test(resume_plan, without_a_journal_file_every_task_is_a_first_run) {
    fixture *f = pipeline();
    dr_plan *p = plan_of(f, 1);
    cr_expect_str_eq(dr_plan_note(p), "");
    cr_expect_eq(dr_plan_nrun(p), dr_graph_ntasks(f->g));
    expect_runs(p, f, "a", "first run");
    expect_runs(p, f, "g", "first run");
    dr_plan_destroy(p);
    fx_free(f);
}

Test(resume_plan, without_resume_everything_runs_and_nothing_is_read) {
    fixture *f = pipeline();
    /* Not even a journal that cannot be read is looked at. */
    cr_assert_eq(mkdir(f->journal, 0755), 0);
    dr_plan *p = plan_of(f, 0);
    cr_expect_eq(dr_plan_nrun(p), dr_graph_ntasks(f->g));
    cr_expect_str_eq(dr_plan_note(p), "");
    for (dr_task t = 0; t < dr_graph_ntasks(f->g); t++) {
        cr_expect_str_eq(dr_plan_reason(p, t), "--resume not given");
        cr_expect_null(dr__plan_record(p, t));
        dr__fp op;
        cr_assert_eq(dr__task_op_fp(f->g, t, f->dir, &op), 0);
        cr_expect(dr__fp_equal(dr__plan_op_fp(p, t), &op),
                  "op fingerprints are there for the run to record");
    }
    dr_plan_destroy(p);
    fx_free(f);
}

Test(resume_plan, a_changed_argument_reruns_the_task_and_its_descendants) {
    fixture *f = pipeline();
    record_all(f);
    json_t *a = json_pack("{s:i}", "ms", 7);
    cr_assert_eq(dr_task_set_builtin(f->g, 2, "sleep", a), 0); /* c */
    json_decref(a);
    a = json_pack("{s:i}", "x", 2);
    cr_assert_eq(dr_task_set_builtin(f->g, 0, "sum", a), 0); /* a */
    json_decref(a);
    dr_plan *p = plan_of(f, 1);
    expect_runs(p, f, "a", "arguments changed");
    expect_runs(p, f, "b", "dependency a runs");
    expect_runs(p, f, "c", "arguments changed");
    expect_cached(p, f, "d");
    expect_cached(p, f, "e");
    expect_cached(p, f, "g");
    cr_expect_eq(dr_plan_nrun(p), 3);
    dr__fp r;
    cr_expect_eq(dr__plan_result_fp(p, 1, &r), -1);
    cr_expect_null(dr__plan_result(p, 1));
    dr_plan_destroy(p);
    fx_free(f);
}

Test(resume_plan, operation_and_command_changes_are_named) {
    fixture *f = pipeline();
    record_all(f);
    cr_assert_eq(dr_task_set_builtin(f->g, 3, "sum", NULL), 0); /* d */
    cr_assert_eq(dr_task_set_shell(f->g, 4, "cp  data/in.csv out/e.txt"), 0);
    dr_plan *p = plan_of(f, 1);
    expect_runs(p, f, "d", "operation changed");
    expect_runs(p, f, "e", "command changed");
    expect_runs(p, f, "g", "dependency e runs");
    dr_plan_destroy(p);
    fx_free(f);
}

Test(resume_plan, another_working_folder_reruns_commands) {
    fixture *f = fx_new("wd");
    add_shell(f, "cmd", "true");
    add(f, "b", "noop", NULL);
    record_all(f);
    dr_run_options o;
    dr_run_options_init(&o);
    o.journal = f->journal;
    o.resume = 1;
    o.workdir = "/";
    dr_plan *p = dr_plan_create(f->g, &o, NULL);
    cr_assert_not_null(p);
    expect_runs(p, f, "cmd", "working folder changed");
    expect_cached(p, f, "b");
    dr_plan_destroy(p);
    fx_free(f);
}

Test(resume_plan, the_last_attempt_says_why_a_task_without_success_runs) {
    fixture *f = fx_new("st");
    add(f, "failed", "noop", NULL);
    add(f, "slow", "noop", NULL);
    add(f, "stopped", "noop", NULL);
    add(f, "retried", "noop", NULL);
    add(f, "recovered", "noop", NULL);
    open_journal(f, 0);
    record(f, "failed", "failed");
    record(f, "slow", "failed");
    record(f, "slow", "timeout");
    record(f, "stopped", "interrupted");
    record(f, "retried", "failed");
    record(f, "retried", NULL);
    /* Succeeded, then failed in a later run: the success still holds. */
    record(f, "recovered", NULL);
    record(f, "recovered", "failed");
    close_journal(f);
    dr_plan *p = plan_of(f, 1);
    expect_runs(p, f, "failed", "its last attempt failed");
    expect_runs(p, f, "slow", "its last attempt timed out");
    expect_runs(p, f, "stopped", "its last attempt was interrupted");
    expect_cached(p, f, "retried");
    expect_cached(p, f, "recovered");
    dr_plan_destroy(p);
    fx_free(f);
}

Test(resume_plan, cache_false_reruns_the_task_and_its_dependents) {
    fixture *f = pipeline();
    record_all(f);
    cr_assert_eq(dr_task_set_cache(f->g, 1, 0), 0); /* b */
    dr_plan *p = plan_of(f, 1);
    expect_cached(p, f, "a");
    expect_runs(p, f, "b", "\"cache\": false");
    expect_runs(p, f, "c", "dependency b runs");
    cr_expect_eq(dr_plan_nrun(p), 2);
    dr_plan_destroy(p);
    fx_free(f);
}

Test(resume_plan, a_dependency_that_reran_with_another_result) {
    fixture *f = fx_new("dep");
    dr_task a = add(f, "a", "noop", NULL), b = add(f, "b", "noop", NULL);
    dep(f, b, a);
    open_journal(f, 0);
    record(f, "a", NULL);
    record(f, "b", NULL);
    close_journal(f);
    /* A later run reran a (its result changed) and stopped before b. */
    open_journal(f, 1);
    dr__journal *j = f->j;
    dr__fp op, fp, res = {7, 7};
    cr_assert_eq(dr__task_op_fp(f->g, a, f->dir, &op), 0);
    dr__task_fp(&op, NULL, 0, NULL, 0, &fp);
    dr__jrec r = {.task = "a",
                  .attempt = 1,
                  .status = "ok",
                  .fp = fp,
                  .op = op,
                  .result_fp = &res,
                  .result = "{\"other\":1}",
                  .result_len = 11};
    cr_assert_eq(dr__journal_append(j, &r), 0);
    close_journal(f);
    dr_plan *p = plan_of(f, 1);
    expect_cached(p, f, "a");
    expect_runs(p, f, "b", "dependency a reran with a different result");
    json_t *v = dr__plan_result(p, a);
    cr_expect_eq(json_integer_value(json_object_get(v, "other")), 1,
                 "the last successful record is the one used");
    dr_plan_destroy(p);
    fx_free(f);
}

Test(resume_plan, a_new_dependency_changes_the_dependencies) {
    fixture *f = fx_new("newdep");
    dr_task a = add(f, "a", "noop", NULL), b = add(f, "b", "noop", NULL);
    add(f, "n", "noop", NULL);
    dep(f, b, a);
    record_all(f);
    cr_assert_eq(dr_graph_add_dep_key(f->g, "b", "n"), 0);
    dr_plan *p = plan_of(f, 1);
    expect_cached(p, f, "a");
    expect_cached(p, f, "n");
    expect_runs(p, f, "b", "dependencies changed");
    dr_plan_destroy(p);
    (void)a;
    fx_free(f);
}

Test(resume_plan, a_dependency_that_reran_with_the_same_result_is_not_blamed) {
    fixture *f = fx_new("same");
    dr_task a = add(f, "a", "noop", NULL), b = add(f, "b", "noop", NULL);
    add(f, "n", "noop", NULL);
    dep(f, b, a);
    open_journal(f, 0);
    record(f, "n", NULL);
    record(f, "a", NULL);
    record(f, "b", NULL);
    record(f, "a", NULL); /* reran later, same result */
    close_journal(f);
    dr_plan *p = plan_of(f, 1);
    cr_expect_eq(dr_plan_nrun(p), 0, "%s", why(p, f, "b"));
    dr_plan_destroy(p);
    cr_assert_eq(dr_graph_add_dep_key(f->g, "b", "n"), 0);
    p = plan_of(f, 1);
    expect_runs(p, f, "b", "dependencies changed");
    dr_plan_destroy(p);
    (void)a;
    fx_free(f);
}

Test(resume_plan, a_touched_input_reruns_nothing) {
    fixture *f = pipeline();
    record_all(f);
    set_mtime(f, "data/in.csv", 1700000500);
    dr_plan *p = plan_of(f, 1);
    cr_expect_eq(dr_plan_nrun(p), 0, "%s", why(p, f, "e"));
    size_t n;
    const dr__file_fp *now = dr__plan_touched(p, 4, &n); /* e */
    cr_assert_not_null(now);
    cr_assert_eq(n, 2, "its input, then its output");
    cr_expect_eq(now[0].mtime_ns, 1700000500ll * 1000000000);
    cr_expect_eq(now[1].mtime_ns, 1700000001ll * 1000000000);
    cr_expect_null(dr__plan_touched(p, 5, &n), "g's files were not touched");
    dr_plan_destroy(p);
    fx_free(f);
}

Test(resume_plan, an_edited_input_reruns_its_consumers) {
    fixture *f = pipeline();
    dr_task h = add_shell(f, "h", "cat data/in.csv");
    cr_assert_eq(dr_task_add_input(f->g, h, "data/in.csv"), 0);
    record_all(f);
    put(f, "data/in.csv", "1,2,4\n"); /* same size */
    set_mtime(f, "data/in.csv", 1700000500);
    dr_plan *p = plan_of(f, 1);
    expect_runs(p, f, "e", "input data/in.csv changed (content)");
    expect_runs(p, f, "h", "input data/in.csv changed (content)");
    expect_runs(p, f, "g", "dependency e runs");
    expect_cached(p, f, "a");
    expect_cached(p, f, "d");
    cr_expect_eq(dr_plan_nrun(p), 3);
    dr_plan_destroy(p);
    fx_free(f);
}

Test(resume_plan, a_missing_input_is_named) {
    fixture *f = pipeline();
    record_all(f);
    rm(f, "data/in.csv");
    dr_plan *p = plan_of(f, 1);
    expect_runs(p, f, "e", "input data/in.csv missing");
    dr_plan_destroy(p);
    fx_free(f);
}

Test(resume_plan, an_input_that_became_a_folder_is_named) {
    fixture *f = pipeline();
    record_all(f);
    rm(f, "data/in.csv");
    char *d = drt_fmt("%s/data/in.csv", f->dir);
    cr_assert_eq(mkdir(d, 0755), 0);
    free(d);
    dr_plan *p = plan_of(f, 1);
    expect_runs(p, f, "e", "input data/in.csv: is a folder, not a file");
    dr_plan_destroy(p);
    fx_free(f);
}

Test(resume_plan, a_deleted_or_changed_output_reruns_its_task) {
    fixture *f = pipeline();
    record_all(f);
    rm(f, "out/e.txt");
    dr_plan *p = plan_of(f, 1);
    expect_runs(p, f, "e", "output out/e.txt missing");
    expect_runs(p, f, "g", "dependency e runs");
    dr_plan_destroy(p);
    put(f, "out/e.txt", "something else\n");
    p = plan_of(f, 1);
    expect_runs(p, f, "e", "output out/e.txt changed");
    dr_plan_destroy(p);
    fx_free(f);
}

Test(resume_plan, a_builtin_with_a_declared_output_is_checked_too) {
    fixture *f = fx_new("bout");
    dr_task t = add(f, "t", "noop", NULL);
    cr_assert_eq(dr_task_add_output(f->g, t, "out/t.txt"), 0);
    put(f, "out/t.txt", "made by a plugin\n");
    record_all(f);
    dr_plan *p = plan_of(f, 1);
    expect_cached(p, f, "t");
    dr_plan_destroy(p);
    rm(f, "out/t.txt");
    p = plan_of(f, 1);
    expect_runs(p, f, "t", "output out/t.txt missing");
    dr_plan_destroy(p);
    fx_free(f);
}

Test(resume_plan, a_changed_list_of_declared_files_reruns) {
    fixture *f = pipeline();
    record_all(f);
    put(f, "data/more.csv", "x\n");
    cr_assert_eq(dr_task_add_input(f->g, 4, "data/more.csv"), 0);
    cr_assert_eq(dr_task_add_output(f->g, 5, "out/g.txt"), 0);
    dr_plan *p = plan_of(f, 1);
    expect_runs(p, f, "e", "its declared inputs changed");
    expect_runs(p, f, "g", "its declared outputs changed");
    dr_plan_destroy(p);
    fx_free(f);
}

Test(resume_plan, a_pointer_result_always_reruns_with_its_dependents) {
    fixture *f = fx_new("ptr");
    dr_task p1 = add(f, "ptr-1", "noop", NULL),
            u = add(f, "user", "noop", NULL);
    add(f, "other", "noop", NULL);
    dep(f, u, p1);
    record_all(f);
    dr_plan *p = plan_of(f, 1);
    expect_runs(p, f, "ptr-1",
                "its result is a C pointer, which the journal cannot store");
    expect_runs(p, f, "user", "dependency ptr-1 runs");
    expect_cached(p, f, "other");
    dr_plan_destroy(p);
    fx_free(f);
}

Test(resume_plan, a_torn_last_record_is_ignored) {
    fixture *f = pipeline();
    record_all(f);
    /* kill -9 in the middle of the last record's write: cut it short. */
    struct stat st;
    cr_assert_eq(stat(f->journal, &st), 0);
    size_t len;
    char *text = drt_read_file(f->journal, &len);
    cr_assert_not_null(text);
    char *last = text + len - 2;
    while (last > text && *last != '\n')
        last--;
    cr_assert_eq(truncate(f->journal, (off_t)(last - text) + 20), 0);
    const dr_task *topo = dr_graph_topo_order(f->g);
    size_t n = dr_graph_ntasks(f->g);
    const char *key = dr_task_key(f->g, topo[n - 1]);
    char *quoted = drt_fmt("\"task\":\"%s\"", key);
    cr_expect(strstr(last, quoted) != NULL, "the last record is %s's", key);
    free(quoted);
    free(text);
    dr_plan *p = plan_of(f, 1);
    cr_expect_str_eq(dr_plan_note(p), "");
    expect_runs(p, f, key, "first run");
    for (size_t i = 0; i + 1 < n; i++)
        cr_expect(dr_plan_cached(p, topo[i]), "%s: %s",
                  dr_task_key(f->g, topo[i]), dr_plan_reason(p, topo[i]));
    cr_expect_eq(dr_plan_nrun(p), 1);
    dr_plan_destroy(p);
    fx_free(f);
}

Test(resume_plan, a_journal_of_another_graph_runs_everything_and_says_so) {
    fixture *f = pipeline();
    record_all(f);
    cr_assert_eq(dr_graph_set_name(f->g, "lecture"), 0);
    dr_plan *p = plan_of(f, 1);
    cr_expect(strstr(dr_plan_note(p), "pipe") != NULL, "%s", dr_plan_note(p));
    cr_expect(strstr(dr_plan_note(p), "lecture") != NULL, "%s",
              dr_plan_note(p));
    cr_expect_eq(dr_plan_nrun(p), dr_graph_ntasks(f->g));
    expect_runs(p, f, "a", "first run");
    dr_plan_destroy(p);
    fx_free(f);
}

Test(resume_plan, an_unreadable_journal_runs_everything_and_says_so) {
    fixture *f = pipeline();
    cr_assert_eq(mkdir(f->journal, 0755), 0); /* a folder, not a file */
    dr_plan *p = plan_of(f, 1);
    cr_expect(strstr(dr_plan_note(p), "journal.jsonl") != NULL, "%s",
              dr_plan_note(p));
    cr_expect_eq(dr_plan_nrun(p), dr_graph_ntasks(f->g));
    dr_plan_destroy(p);
    fx_free(f);
}

Test(resume_plan, no_journal_at_all_runs_everything) {
    fixture *f = pipeline();
    dr_run_options o;
    dr_run_options_init(&o);
    o.resume = 1;
    dr_plan *p = dr_plan_create(f->g, &o, NULL);
    cr_assert_not_null(p);
    cr_expect_neq(dr_plan_note(p)[0], '\0');
    expect_runs(p, f, "a", "first run");
    dr_plan_destroy(p);
    fx_free(f);
}

Test(resume_plan, an_invalid_graph_gives_no_plan) {
    fixture *f = fx_new("cyc");
    dr_task a = add(f, "a", "noop", NULL), b = add(f, "b", "noop", NULL);
    dep(f, a, b);
    dep(f, b, a);
    dr_run_options o;
    dr_run_options_init(&o);
    dr_error err;
    dr_error_clear(&err);
    cr_expect_null(dr_plan_create(f->g, &o, &err));
    cr_expect_eq(err.code, DR_ECYCLE);
    fx_free(f);
}

Test(resume_plan, an_empty_graph_has_an_empty_plan) {
    fixture *f = fx_new("empty");
    dr_plan *p = plan_of(f, 1);
    cr_expect_eq(dr_plan_nrun(p), 0);
    dr_plan_destroy(p);
    fx_free(f);
}
