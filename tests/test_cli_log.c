/*
 * `dagrun log DIR|FILE` (cli/cmd_log.c, docs/resuming.md "dagrun log"),
 * run as the real binary on journals written through the journal's API:
 * each run and its records, results cut to one line, errors escaped, torn
 * and altered lines left out and counted, --json for programs, and a clear
 * error with exit 2 for a missing folder or file and for what is no
 * journal.
 */
#include "journal.h"
#include "support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

static const char long_result[] =
    "{\"values\": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, "
    "17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30]}";

/* DIR/journal.jsonl with two runs of graph "pi": a fresh one (sum ok with
 * a long result, map-1 failed) and a resumed one (map-1 ok). */
static char *make_journal(const char *dir) {
    char *path = drt_fmt("%s/journal.jsonl", dir);
    dr__fp f = {1, 2}, rf = {3, 4};
    for (int run = 0; run < 2; run++) {
        dr__journal *j;
        dr_error err;
        dr_error_clear(&err);
        cr_assert_eq(dr__journal_open(path, "pi", run, &j, &err), 0, "%s",
                     err.text);
        if (run == 0) {
            dr__jrec sum = {.task = "sum",
                            .attempt = 1,
                            .status = "ok",
                            .worker = 0,
                            .start = 0.25,
                            .end = 1.5,
                            .fp = f,
                            .op = f,
                            .result_fp = &rf,
                            .result = long_result,
                            .result_len = strlen(long_result)};
            cr_assert_eq(dr__journal_append(j, &sum), 0);
            dr__jrec bad = {.task = "map-1",
                            .attempt = 2,
                            .status = "failed",
                            .worker = 3,
                            .start = 1,
                            .end = 3.125,
                            .fp = f,
                            .op = f,
                            .error = "exit 3: boom\nsecond \x1b[31mline"};
            cr_assert_eq(dr__journal_append(j, &bad), 0);
        } else {
            dr__jrec ok = {.task = "map-1",
                           .attempt = 1,
                           .status = "ok",
                           .worker = 1,
                           .start = 0.5,
                           .end = 0.75,
                           .fp = f,
                           .op = f,
                           .result_fp = &rf,
                           .result = "3.5",
                           .result_len = 3};
            cr_assert_eq(dr__journal_append(j, &ok), 0);
        }
        cr_assert_eq(dr__journal_close(j, &err), 0, "%s", err.text);
    }
    return path;
}

/* The line of `out` holding `needle`, as a new string (NULL: none). */
static char *line_with(const char *out, const char *needle) {
    const char *p = strstr(out, needle);
    if (p == NULL)
        return NULL;
    const char *a = p;
    while (a > out && a[-1] != '\n')
        a--;
    return strndup(a, strcspn(a, "\n"));
}

Test(cli_log, lists_each_run_and_its_records) {
    char *dir = drt_tmpdir();
    char *path = make_journal(dir);
    char *out = NULL, *err = NULL;
    int rc = drt_cli(&out, &err, "log '%s'", dir);
    cr_assert_eq(rc, 0, "%s", err);
    cr_expect_str_empty(err);
    char *run1 = drt_fmt("run 1 of graph 'pi': started ");
    char *pid = drt_fmt(", pid %ld, started afresh (dagrun %s)", (long)getpid(),
                        DAGRUN_VERSION_STRING);
    cr_expect_not_null(strstr(out, run1), "%s", out);
    cr_expect_not_null(strstr(out, pid), "%s", out);
    cr_expect_not_null(strstr(out, "run 2 of graph 'pi'"), "%s", out);
    cr_expect_not_null(strstr(out, ", resumed (dagrun"), "%s", out);
    cr_expect(strstr(out, "run 1") < strstr(out, "run 2"));
    /* end, task, status, attempt, worker, duration, result. */
    char *sum = line_with(out, "  sum  ");
    cr_assert_not_null(sum, "%s", out);
    cr_expect_not_null(strstr(sum, "1.500  sum  "), "%s", sum);
    cr_expect_not_null(strstr(sum, "  ok  "), "%s", sum);
    cr_expect_not_null(strstr(sum, "1.250s  {\"values\":[1,2,3,"), "%s", sum);
    /* The result is cut to one line of about 60 characters. */
    const char *res = strstr(sum, "{\"values\"");
    cr_expect_leq(strlen(res), 63, "%s", res);
    cr_expect_eq(strcmp(res + strlen(res) - 3, "..."), 0, "%s", res);
    char *failed = line_with(out, "failed");
    cr_assert_not_null(failed, "%s", out);
    cr_expect_not_null(strstr(failed, "3.125  map-1"), "%s", failed);
    cr_expect_not_null(
        strstr(failed, "2.125s  error: exit 3: boom\\nsecond \\x1b[31mline"),
        "%s", failed);
    cr_expect_not_null(strstr(failed, "      2       3  "), "%s", failed);
    /* Nothing of the journal reaches the terminal raw. */
    cr_expect_null(strchr(out, '\x1b'));
    /* The resumed run's record is under the second run. */
    cr_expect_not_null(strstr(strstr(out, "run 2"), "0.750  map-1"), "%s", out);
    /* The file itself reads the same. */
    char *out2 = NULL;
    cr_expect_eq(drt_cli(&out2, NULL, "log '%s'", path), 0);
    cr_expect_str_eq(out2, out);
    free(out2);
    free(sum);
    free(failed);
    free(run1);
    free(pid);
    free(out);
    free(err);
    free(path);
    drt_rmtree(dir);
    free(dir);
}

Test(cli_log, json_prints_the_valid_lines_without_their_sums) {
    char *dir = drt_tmpdir();
    char *path = make_journal(dir);
    /* Alter the first record (line 2): it is left out and counted. */
    size_t len;
    char *text = drt_read_file(path, &len);
    char *second = strchr(text, '\n') + 1;
    second[10] ^= 0x01;
    cr_assert_eq(drt_write_file(path, text), 0);
    char *out = NULL, *err = NULL;
    cr_assert_eq(drt_cli(&out, &err, "log --json '%s'", dir), 0, "%s", err);
    char *want = drt_fmt("dagrun log: 1 line of %s left out: torn, altered "
                         "or not a journal line\n",
                         path);
    cr_expect_str_eq(err, want);
    size_t n = 0, headers = 0;
    for (char *line = out, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
        json_error_t je;
        json_t *v = json_loadb(line, (size_t)(nl - line), 0, &je);
        cr_assert_not_null(v, "line %zu: %s", n + 1, je.text);
        cr_expect_null(json_object_get(v, "sum"));
        headers += json_object_get(v, "journal") != NULL;
        if (n == 1)
            cr_expect_str_eq(json_string_value(json_object_get(v, "task")),
                             "map-1");
        if (n == 1)
            cr_expect_str_eq(json_string_value(json_object_get(v, "error")),
                             "exit 3: boom\nsecond \x1b[31mline");
        json_decref(v);
        n++;
    }
    cr_expect_eq(n, 4, "%s", out); /* 2 headers, 2 of the 3 records */
    cr_expect_eq(headers, 2);
    free(want);
    free(text);
    free(out);
    free(err);
    free(path);
    drt_rmtree(dir);
    free(dir);
}

Test(cli_log, a_torn_journal_lists_its_complete_records) {
    char *dir = drt_tmpdir();
    char *path = make_journal(dir);
    size_t len;
    char *text = drt_read_file(path, &len);
    text[len - 20] = '\0'; /* kill -9 during the last write */
    cr_assert_eq(drt_write_file(path, text), 0);
    char *out = NULL, *err = NULL;
    cr_assert_eq(drt_cli(&out, &err, "log '%s'", path), 0, "%s", err);
    cr_expect_not_null(strstr(out, "run 2 of graph 'pi'"), "%s", out);
    cr_expect_not_null(strstr(out, "3.125  map-1"), "%s", out);
    cr_expect_null(strstr(out, "0.750  map-1"), "%s", out);
    char *want = drt_fmt("\n1 line of %s left out: torn, altered or not a "
                         "journal line\n",
                         path);
    cr_expect_not_null(strstr(out, want), "%s", out);
    free(want);
    free(text);
    free(out);
    free(err);
    free(path);
    drt_rmtree(dir);
    free(dir);
}

static void expect_refused(const char *arg, const char *message) {
    char *out = NULL, *err = NULL;
    int rc = drt_cli(&out, &err, "log '%s'", arg);
    cr_expect_eq(rc, 2, "dagrun log %s: %d\n%s", arg, rc, err);
    cr_expect_str_eq(err, message);
    cr_expect_str_empty(out);
    free(out);
    free(err);
}

Test(cli_log, what_is_no_journal_is_one_line_and_exit_2) {
    char *dir = drt_tmpdir();
    char *msg;
    char *missing = drt_fmt("%s/no-such-folder", dir);
    msg = drt_fmt("dagrun log: cannot read '%s': No such file or directory\n",
                  missing);
    expect_refused(missing, msg);
    free(msg);
    msg = drt_fmt("dagrun log: no journal in folder '%s': %s/journal.jsonl: "
                  "No such file or directory (a run without --no-journal "
                  "writes it)\n",
                  dir, dir);
    expect_refused(dir, msg);
    free(msg);
    char *file = drt_fmt("%s/notes.txt", dir);
    cr_assert_eq(drt_write_file(file, "hello\n{\"task\": \"a\"}\n"), 0);
    msg = drt_fmt("dagrun log: %s is not a dagrun journal: no line of it is "
                  "a valid journal line\n",
                  file);
    expect_refused(file, msg);
    free(msg);
    cr_assert_eq(drt_write_file(file, ""), 0);
    msg =
        drt_fmt("dagrun log: %s is not a dagrun journal: it is empty\n", file);
    expect_refused(file, msg);
    free(msg);
    /* A journal of a later format, its checksum right. */
    const char *body = "{\"journal\":\"dagrun\",\"format\":2,\"dagrun\":"
                       "\"9.0\",\"graph\":\"pi\",\"pid\":1";
    char *text = drt_fmt("%s,\"sum\":\"%016llx\"}\n", body,
                         (unsigned long long)XXH3_64bits(body, strlen(body)));
    cr_assert_eq(drt_write_file(file, text), 0);
    msg = drt_fmt("dagrun log: %s is a journal of format 2; this dagrun (%s) "
                  "reads format 1\n",
                  file, DAGRUN_VERSION_STRING);
    expect_refused(file, msg);
    free(msg);
    free(text);
    free(file);
    free(missing);
    drt_rmtree(dir);
    free(dir);
}

Test(cli_log, help_and_usage) {
    char *out = NULL, *err = NULL;
    cr_expect_eq(drt_cli(&out, &err, "log --help"), 0);
    cr_expect_not_null(strstr(out, "Usage: dagrun log DIR|FILE [--json]"));
    cr_expect_not_null(strstr(out, "Exit codes:\n  0    success\n  2 "));
    free(out);
    free(err);
    cr_expect_eq(drt_cli(&out, &err, "log"), 2);
    cr_expect_not_null(strstr(err, "no journal given"), "%s", err);
    free(out);
    free(err);
    cr_expect_eq(drt_cli(&out, &err, "log --jsno x"), 2);
    cr_expect_not_null(strstr(err, "did you mean '--json'?"), "%s", err);
    free(out);
    free(err);
}

/* A resumed run that reused every task has a header and no records: the
 * listing says so rather than show an empty table. */
Test(cli_log, a_run_without_attempts_says_so) {
    char *dir = drt_tmpdir();
    char *graph = drt_fmt("%s/g.json", dir);
    cr_assert_eq(drt_write_file(graph,
                                "{\"name\": \"one\", \"tasks\": [{\"id\": "
                                "\"a\", \"op\": \"noop\"}]}\n"),
                 0);
    cr_assert_eq(drt_cli(NULL, NULL, "run '%s' -o '%s/out' -q", graph, dir), 0);
    char *out = NULL;
    cr_assert_eq(drt_cli(&out, NULL, "log '%s/out'", dir), 0);
    cr_expect_null(strstr(out, "no attempt ended"), "%s", out);
    free(out);
    cr_assert_eq(drt_cli(NULL, NULL, "run '%s' -o '%s/out' -q -r", graph, dir),
                 0);
    cr_assert_eq(drt_cli(&out, NULL, "log '%s/out'", dir), 0);
    const char *run2 = strstr(out, "run 2 of graph 'one'");
    cr_assert_not_null(run2, "%s", out);
    cr_expect_not_null(strstr(run2, "(no attempt ended in this run: every "
                                    "task was cached, or it stopped first)"),
                       "%s", out);
    free(out);
    free(graph);
    drt_rmtree(dir);
    free(dir);
}
