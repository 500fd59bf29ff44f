/*
 * The run folder of command logs (scheduler/logs.c) through dr_run_graph:
 * a new run clears the logs of the last one (and only files dagrun wrote),
 * task ids that are no file names (too long, control characters) still get
 * their own log files, and text read back from logs (a failure's stderr
 * tail) or given by user code (a failure message) is printable and valid
 * UTF-8.
 */
#include "run_internal.h"
#include "support.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *dir, *logs;

static void setup(void) {
    dir = drt_tmpdir();
    logs = drt_fmt("%s/logs", dir);
}

static void teardown(void) {
    drt_rmtree(dir);
    free(dir);
    free(logs);
}

static dr_task add(dr_graph *g, const char *key, const char *shell) {
    dr_task t;
    cr_assert_eq(dr_graph_add_task(g, key, &t), 0, "adding %s", key);
    if (shell != NULL)
        cr_assert_eq(dr_task_set_shell(g, t, shell), 0);
    return t;
}

static dr_run *run_in_logs(dr_graph *g) {
    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = 2;
    o.workdir = dir;
    o.run_dir = logs;
    dr_error err;
    memset(&err, 0, sizeof err);
    dr_run *run = dr_run_graph(g, &o, &err);
    cr_assert_not_null(run, "dr_run_graph failed: %s", err.text);
    return run;
}

static int exists(const char *name) {
    char *path = drt_fmt("%s/%s", logs, name);
    int ok = access(path, F_OK) == 0;
    free(path);
    return ok;
}

static char *log_text(const char *name) {
    char *path = drt_fmt("%s/%s", logs, name);
    char *text = drt_read_file(path, NULL);
    free(path);
    return text;
}

Test(logs, a_new_run_removes_the_logs_of_tasks_that_did_not_run_this_time,
     .init = setup, .fini = teardown, .timeout = 60) {
    dr_graph *first = dr_graph_create();
    add(first, "a", "echo a-first");
    add(first, "b", "echo b-first");
    add(first, "gone", "echo only-in-the-first-graph");
    dr_run *run = run_in_logs(first);
    cr_assert_eq(dr_run_status(run), 0);
    dr_run_destroy(run);
    cr_assert(exists("gone.out") && exists("b.out"));

    /* A file of the user's in the same folder is not dagrun's to remove. */
    char *notes = drt_fmt("%s/notes.out", logs);
    cr_assert_eq(drt_write_file(notes, "mine\n"), 0);

    /* This time a fails, so b (its dependent) never runs, and `gone` is
     * not in the graph at all. */
    dr_graph *second = dr_graph_create();
    dr_task a = add(second, "a", "echo a-second; exit 1");
    dr_task b = add(second, "b", "echo b-second");
    cr_assert_eq(dr_graph_add_dep(second, b, a), 0);
    run = run_in_logs(second);
    cr_assert_eq(dr_run_task_state(run, b), DR_STATE_SKIPPED);
    dr_run_destroy(run);
    char *text = log_text("a.out");
    cr_expect(text != NULL && strcmp(text, "a-second\n") == 0, "a.out: %s",
              text ? text : "(none)");
    free(text);
    cr_expect(!exists("b.out") && !exists("b.err"),
              "the skipped task's old log is still there");
    cr_expect(!exists("gone.out") && !exists("gone.err"),
              "a log of the earlier graph's task is still there");
    cr_expect(exists("notes.out"), "a file dagrun did not write was removed");

    /* A graph without commands still clears the folder it would use. */
    dr_graph *third = dr_graph_create();
    add(third, "noop", NULL);
    run = run_in_logs(third);
    cr_assert_eq(dr_run_status(run), 0);
    dr_run_destroy(run);
    cr_expect(!exists("a.out"), "the last run's log survived a run");
    cr_expect(exists("notes.out"));

    free(notes);
    dr_graph_destroy(first);
    dr_graph_destroy(second);
    dr_graph_destroy(third);
}

/* A log holds only what the last attempt of this run wrote: not the tail of
 * a longer log of the run before, nor of the failed attempt before a
 * retry (the first attempt opens its logs without truncating them, so the
 * run's start must have emptied them; a retry must truncate). */
Test(logs, a_log_holds_only_the_last_attempt_of_this_run, .init = setup,
     .fini = teardown, .timeout = 60) {
    dr_graph *first = dr_graph_create();
    add(first, "a",
        "echo a-long-output-of-the-first-run;"
        " echo a-long-error-of-the-first-run >&2");
    add(first, "quiet", "echo quiet-spoke-in-the-first-run");
    dr_run *run = run_in_logs(first);
    cr_assert_eq(dr_run_status(run), 0);
    dr_run_destroy(run);

    dr_graph *second = dr_graph_create();
    add(second, "a", "echo a2; echo e2 >&2");
    add(second, "quiet", "true");
    dr_task flaky = add(second, "flaky",
                        "if [ -e marker ]; then echo ok; echo E >&2; else"
                        " touch marker; echo the-failed-attempt-said-a-lot;"
                        " echo and-on-stderr-too >&2; exit 3; fi");
    cr_assert_eq(dr_task_set_retries(second, flaky, 1), 0);
    run = run_in_logs(second);
    cr_assert_eq(dr_run_status(run), 0);
    cr_assert_eq(run->nattempts, 4, "flaky ran twice");
    dr_run_destroy(run);

    static const char *const want[][2] = {
        {"a.out", "a2\n"}, {"a.err", "e2\n"},     {"quiet.out", ""},
        {"quiet.err", ""}, {"flaky.out", "ok\n"}, {"flaky.err", "E\n"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char *text = log_text(want[i][0]);
        cr_expect(text != NULL && strcmp(text, want[i][1]) == 0,
                  "%s holds '%s', not '%s'", want[i][0],
                  text ? text : "(no file)", want[i][1]);
        free(text);
    }
    dr_graph_destroy(first);
    dr_graph_destroy(second);
}

/* The names of the files in the run folder, but the manifest. */
static size_t list_logs(char names[][300], size_t max) {
    DIR *d = opendir(logs);
    cr_assert_not_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' &&
            (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
             strcmp(e->d_name, ".dagrun-logs") == 0))
            continue;
        if (n < max)
            snprintf(names[n], 300, "%s", e->d_name);
        n++;
    }
    closedir(d);
    return n;
}

Test(logs, a_task_id_too_long_for_a_file_name_still_gets_its_own_logs,
     .init = setup, .fini = teardown, .timeout = 60) {
    /* Two 300-byte ids that differ only in their last byte. */
    char one[301], two[301];
    memset(one, 'k', 300);
    one[300] = '\0';
    memcpy(two, one, sizeof one);
    two[299] = 'z';
    dr_graph *g = dr_graph_create();
    add(g, one, "echo first");
    add(g, two, "echo second");
    dr_run *run = run_in_logs(g);
    cr_assert_eq(dr_run_status(run), 0, "%s",
                 run->nfailures ? run->failures[0].reason : "");
    char names[8][300];
    size_t n = list_logs(names, 8);
    cr_assert_eq(n, 4, "%zu files in the run folder", n);
    int first = 0, second = 0;
    for (size_t i = 0; i < n; i++) {
        cr_expect_leq(strlen(names[i]), 255);
        size_t len = strlen(names[i]);
        if (len < 4 || strcmp(names[i] + len - 4, ".out") != 0)
            continue;
        char *text = log_text(names[i]);
        cr_assert_not_null(text);
        first += strcmp(text, "first\n") == 0;
        second += strcmp(text, "second\n") == 0;
        free(text);
    }
    cr_expect(first == 1 && second == 1, "the two tasks share a log");
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

Test(logs, ids_with_control_characters_never_become_raw_file_names,
     .init = setup, .fini = teardown, .timeout = 60) {
    dr_graph *g = dr_graph_create();
    add(g, "line\nbreak", "echo nl");
    add(g, "esc\x1b[31mred", "echo esc");
    add(g, "del\x7f", "echo del");
    dr_run *run = run_in_logs(g);
    cr_assert_eq(dr_run_status(run), 0);
    char names[8][300];
    size_t n = list_logs(names, 8);
    cr_assert_eq(n, 6);
    for (size_t i = 0; i < n; i++)
        for (const char *p = names[i]; *p; p++)
            cr_expect((unsigned char)*p >= 0x20 && (unsigned char)*p != 0x7f,
                      "a control character in the file name '%s'", names[i]);
    char *text = log_text("line%0Abreak.out");
    cr_expect(text != NULL && strcmp(text, "nl\n") == 0);
    free(text);
    text = log_text("esc%1B[31mred.out");
    cr_expect(text != NULL && strcmp(text, "esc\n") == 0);
    free(text);
    dr_run_destroy(run);
    dr_graph_destroy(g);
}

/* 1 when s holds a control byte other than newline and tab, or is not
 * valid UTF-8 (checked by jansson). */
static int unsafe(const char *s) {
    for (const char *p = s; *p; p++)
        if (((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t') ||
            (unsigned char)*p == 0x7f)
            return 1;
    json_t *j = json_string(s);
    json_decref(j);
    return j == NULL;
}

static int fn_fail_with_escapes(dr_call *call, void *user) {
    (void)user;
    return dr_call_fail(call, "bad \x1b[2J news \xff");
}

Test(logs, failure_text_from_commands_and_functions_is_printable, .init = setup,
     .fini = teardown, .timeout = 60) {
    dr_graph *g = dr_graph_create();
    add(g, "loud",
        "printf 'red \\033[31m bell \\007 bad \\377 csi \\302\\233 ok "
        "\\303\\251\\n' >&2; exit 1");
    dr_task f = add(g, "fn", NULL);
    cr_assert_eq(
        dr_task_set_function(g, f, "escapes", fn_fail_with_escapes, NULL, NULL),
        0);
    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = 2;
    o.keep_going = 1;
    o.workdir = dir;
    o.run_dir = logs;
    dr_run *run = dr_run_graph(g, &o, NULL);
    cr_assert_not_null(run);
    cr_assert_eq(run->nfailures, 2);
    for (size_t i = 0; i < run->nfailures; i++) {
        const dr__failure *fl = &run->failures[i];
        cr_expect(!unsafe(fl->reason), "reason: %s", fl->reason);
        if (fl->task == f) {
            cr_expect_not_null(strstr(fl->reason, "bad \\x1b[2J news \\xff"),
                               "%s", fl->reason);
            continue;
        }
        const char *tail = fl->stderr_tail;
        cr_assert_not_null(tail);
        cr_expect(!unsafe(tail), "the tail is not printable");
        cr_expect_not_null(strstr(tail, "red \\x1b[31m bell \\x07 bad \\xff "
                                        "csi \\xc2\\x9b ok \xc3\xa9"),
                           "tail: %s", tail);
    }
    /* The summary (JSON: valid UTF-8 only) carries both. */
    json_t *s = dr_run_summary_json(run);
    cr_assert_not_null(s);
    cr_expect_eq(json_array_size(json_object_get(s, "failures")), 2);
    json_decref(s);
    /* The log itself keeps the raw bytes. */
    char *raw = log_text("loud.err");
    cr_assert_not_null(raw);
    cr_expect_not_null(strstr(raw, "\x1b[31m"));
    free(raw);
    dr_run_destroy(run);
    dr_graph_destroy(g);
}
