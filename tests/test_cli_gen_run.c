/*
 * `dagrun run gen:SHAPE`: a generated graph run or simulated without a
 * graph file.  The summary (summary.json and the printed text) must be the
 * one of `dagrun gen SHAPE -o g.json` then `dagrun run g.json`, for every
 * policy; a bad shape, parameter or option is one clear line naming it;
 * the cap on a graph file's bytes does not apply (nothing is written); and
 * a run of more than 1,000,000 tasks writes no trace.json unless --trace
 * asks for one.
 */
#include "support.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* summary.json at path, without "params": a graph file loaded with the
 * run's `workers` parameter records it, a generated graph has none. */
static json_t *summary_without_params(const char *path) {
    json_error_t jerr;
    json_t *s = json_load_file(path, 0, &jerr);
    cr_assert_not_null(s, "%s: %s", path, jerr.text);
    cr_assert_not_null(json_object_get(s, "params"), "%s: no params", path);
    json_object_del(s, "params");
    return s;
}

/* The printed summary without the lines naming the files written and the
 * parameters line (the file's `workers`, as in summary_without_params). */
static char *printed_summary(char *out) {
    char *keep = out, *line = out;
    while (*line != '\0') {
        char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) + 1 : strlen(line);
        if (strncmp(line, "Summary: ", 9) != 0 &&
            strncmp(line, "Trace: ", 7) != 0 &&
            strncmp(line, "  Parameters: ", 14) != 0) {
            memmove(keep, line, len);
            keep += len;
        }
        line += len;
    }
    *keep = '\0';
    return out;
}

/* Runs `shape` with `sets` (--set options) both ways under `policy` and
 * checks that the summaries agree. */
static void same_both_ways(const char *shape, const char *sets,
                           const char *gen_extra, const char *run_extra,
                           const char *policy) {
    char *dir = drt_tmpdir();
    char *out1 = NULL, *out2 = NULL, *err = NULL;
    int rc = drt_cli(&out1, &err,
                     "run gen:%s %s %s --simulate -w 3 --policy %s "
                     "--no-outputs --json %s/a.json",
                     shape, sets, run_extra, policy, dir);
    cr_assert_eq(rc, 0, "gen:%s: %s", shape, err);
    free(err);
    rc = drt_cli(NULL, &err, "gen %s %s %s -o %s/g.json", shape, sets,
                 gen_extra, dir);
    cr_assert_eq(rc, 0, "gen %s: %s", shape, err);
    free(err);
    rc = drt_cli(&out2, &err,
                 "run %s/g.json --simulate -w 3 --policy %s --no-outputs "
                 "--json %s/b.json",
                 dir, policy, dir);
    cr_assert_eq(rc, 0, "run g.json: %s", err);
    free(err);
    char *pa = drt_fmt("%s/a.json", dir), *pb = drt_fmt("%s/b.json", dir);
    json_t *a = summary_without_params(pa), *b = summary_without_params(pb);
    char *ta = json_dumps(a, JSON_SORT_KEYS),
         *tb = json_dumps(b, JSON_SORT_KEYS);
    cr_expect_str_eq(ta, tb, "%s, %s: summary.json differs", shape, policy);
    cr_expect_str_eq(printed_summary(out1), printed_summary(out2),
                     "%s, %s: printed summary differs", shape, policy);
    free(ta), free(tb), json_decref(a), json_decref(b);
    free(pa), free(pb), free(out1), free(out2);
    drt_rmtree(dir);
    free(dir);
}

Test(gen_run, same_summary_as_the_file_for_every_policy) {
    const char *policies[] = {"cp", "order", "fifo", "lifo", "random"};
    for (size_t i = 0; i < 5; i++)
        same_both_ways("layered",
                       "--set layers=12 --set width=9 --set deps=3 --set hi=7",
                       "", "", policies[i]);
}

Test(gen_run, gen_seed_and_op_are_gens_seed_and_op) {
    same_both_ways("layered", "--set layers=6 --set width=5", "--seed 7",
                   "--gen-seed 7", "cp");
    same_both_ways("map-reduce", "--set n=10 --set unit=3", "--op sleep",
                   "--gen-op sleep", "fifo");
}

Test(gen_run, word_parameters_as_in_gen) {
    same_both_ways("taskbench", "--set pattern=fft --set width=8 --set steps=5",
                   "", "", "cp");
}

/* As `dagrun graph.json` is `dagrun run graph.json`. */
Test(gen_run, a_bare_gen_graph_runs) {
    char *out = NULL, *err = NULL;
    int rc =
        drt_cli(&out, &err, "gen:chain --set n=3 --simulate -w 2 --no-outputs");
    cr_assert_eq(rc, 0, "%s", err);
    cr_expect(strstr(out, "Simulated run of 'chain-n3': 3 tasks") != NULL, "%s",
              out);
    free(out), free(err);
}

/* A dozen tasks give too few gaps between tasks to call the grain too
 * fine (one delay of the OS would): the overhead is shown, the verdict
 * not.  (Real runs of noops; above DR_GRAIN_MIN_GAPS gaps it is given.) */
Test(gen_run, few_gaps_give_no_grain_verdict) {
    char *out = NULL, *err = NULL;
    int rc = drt_cli(&out, &err, "run gen:chain --set n=12 -w 1 --no-outputs");
    cr_assert_eq(rc, 0, "%s", err);
    cr_expect(strstr(out, "too few to judge the grain by") != NULL, "%s", out);
    cr_expect(strstr(out, "Tasks too fine-grained") == NULL, "%s", out);
    free(out), free(err);
    rc = drt_cli(&out, &err, "run gen:chain --set n=3000 -w 1 --no-outputs");
    cr_assert_eq(rc, 0, "%s", err);
    cr_expect(strstr(out, "too few to judge") == NULL, "%s", out);
    cr_expect(strstr(out, "Tasks too fine-grained") != NULL, "%s", out);
    free(out), free(err);
}

/* Only `run` makes a graph in memory; the other commands say so. */
Test(gen_run, other_commands_say_gen_is_for_run) {
    const char *cmds[] = {"analyze", "validate", "viz -o x.svg", "scale",
                          "convert -o x.json"};
    for (size_t i = 0; i < 5; i++) {
        char *err = NULL;
        char *c = drt_fmt("%s", cmds[i]);
        char *sp = strchr(c, ' ');
        if (sp != NULL)
            *sp = '\0';
        int rc = drt_cli(NULL, &err, "%s gen:chain%s", c,
                         strchr(cmds[i], ' ') ? strchr(cmds[i], ' ') : "");
        cr_expect_neq(rc, 0, "%s", cmds[i]);
        cr_expect(strstr(err, "gen:chain: a generated graph works with "
                              "'dagrun run' only; 'dagrun gen chain -o "
                              "FILE.json' writes one") != NULL,
                  "%s: %s", cmds[i], err);
        free(err), free(c);
    }
}

/* More workers than cores (64 on the test machines): the idle time with a
 * task ready is mostly workers waiting for a core, and the line says so
 * rather than calling it scheduling overhead. */
Test(gen_run, oversubscribed_idle_time_is_not_called_overhead) {
    char *out = NULL, *err = NULL;
    int rc = drt_cli(&out, &err,
                     "run gen:taskbench --set width=64 --set steps=2 "
                     "--set iterations=1000 -w 64 --no-outputs");
    cr_assert_eq(rc, 0, "%s", err);
    cr_expect(strstr(out, "Note: 64 workers on ") != NULL, "%s", out);
    cr_expect(strstr(out,
                     "(more workers than cores: mostly a woken worker "
                     "waiting for a core, not scheduling overhead") != NULL,
              "%s", out);
    free(out), free(err);
    rc = drt_cli(&out, &err,
                 "run gen:taskbench --set width=1 --set steps=3 "
                 "--set iterations=1000 -w 1 --no-outputs");
    cr_assert_eq(rc, 0, "%s", err);
    cr_expect(strstr(out, "a task ready (scheduling overhead, in") != NULL,
              "%s", out);
    free(out), free(err);
}

Test(gen_run, the_seed_is_in_the_graph_name) {
    char *out = NULL, *err = NULL;
    int rc = drt_cli(&out, &err,
                     "run gen:layered --set layers=3 --set width=4 "
                     "--gen-seed 9 --simulate --no-outputs");
    cr_assert_eq(rc, 0, "%s", err);
    cr_expect(strstr(out, "'layered-layers3-width4-seed9'") != NULL, "%s", out);
    free(out), free(err);
}

/* Runs `args` and expects exit 2 with every one of `needles` on stderr. */
static void refused(const char *args, const char *const *needles) {
    char *err = NULL;
    int rc = drt_cli(NULL, &err, "run %s", args);
    cr_expect_eq(rc, 2, "%s: exit %d, %s", args, rc, err);
    for (size_t i = 0; needles[i] != NULL; i++)
        cr_expect(strstr(err, needles[i]) != NULL, "%s: '%s' not in: %s", args,
                  needles[i], err);
    free(err);
}

Test(gen_run, errors_name_what_is_wrong) {
    refused("gen:layerd --simulate",
            (const char *[]){"unknown shape 'layerd'", "layered", NULL});
    refused("gen: --simulate", (const char *[]){"gen: needs a shape", NULL});
    refused("gen:layered --set lyers=3 --simulate",
            (const char *[]){"unknown parameter 'lyers'", "layers", NULL});
    refused("gen:layered --set width=0 --simulate",
            (const char *[]){"'width' must be at least 1", NULL});
    refused("gen:layered --set width=2 --set deps=3 --simulate",
            (const char *[]){"deps (3) must not exceed width (2)", NULL});
    refused("gen:taskbench --set pattern=ffx --simulate",
            (const char *[]){"--set pattern=ffx", "unknown pattern 'ffx'",
                             "fft", NULL});
    refused("gen:layered --set layers=2+ --simulate",
            (const char *[]){"--set layers=2+", NULL});
    refused(
        "gen:layered --gen-seed x --simulate",
        (const char *[]){"--gen-seed: expected a whole number, got 'x'", NULL});
    /* Not wrapped round to 2^64 - 1 (strtoull skips the space). */
    refused("gen:layered --gen-seed ' -1' --simulate",
            (const char *[]){"--gen-seed: expected a whole number, got ' -1'",
                             NULL});
    refused(
        "gen:layered --simulate --policy random --seed ' -1'",
        (const char *[]){"--seed: expected a whole number, got ' -1'", NULL});
    refused("gen:layered --gen-op nope --simulate",
            (const char *[]){"unknown op 'nope'", NULL});
    refused("gen:layered --format json --simulate",
            (const char *[]){"--format is for a graph file", NULL});
    /* Too big is said before anything is built. */
    refused("gen:chain --set n=2000000000 --simulate",
            (const char *[]){"2000000000 tasks", "DAGRUN_MAX_TASKS", NULL});
}

Test(gen_run, gen_options_need_a_generated_graph) {
    char *dir = drt_tmpdir();
    char *err = NULL;
    cr_assert_eq(drt_cli(NULL, &err, "gen chain --set n=3 -o %s/c.json", dir),
                 0, "%s", err);
    free(err);
    char *args = drt_fmt("%s/c.json --gen-seed 3 --simulate", dir);
    refused(args, (const char *[]){"--gen-seed is for a generated graph",
                                   "gen:SHAPE", NULL});
    free(args);
    /* A word is a shape's value only: for a file it is the expression
     * error it always was. */
    args = drt_fmt("%s/c.json --set n=fft --simulate", dir);
    refused(args, (const char *[]){"--set n=fft", NULL});
    free(args);
    drt_rmtree(dir);
    free(dir);
}

/* Nothing is written, so the cap on a graph file's bytes does not apply:
 * dagrun gen refuses what run gen: simulates.  (Each Criterion test runs
 * in a process of its own: the variable stays in this one.) */
Test(gen_run, no_cap_on_file_bytes) {
    setenv("DAGRUN_MAX_GRAPH_BYTES", "2000", 1);
    char *out = NULL, *err = NULL;
    int rc = drt_cli(NULL, &err, "gen layered --set layers=20 --set width=20");
    cr_expect_eq(rc, 2, "gen under the cap: exit %d", rc);
    cr_expect(strstr(err, "DAGRUN_MAX_GRAPH_BYTES") != NULL, "%s", err);
    free(err);
    rc = drt_cli(&out, &err,
                 "run gen:layered --set layers=20 --set width=20 --simulate "
                 "--no-outputs");
    cr_expect_eq(rc, 0, "run gen: under the cap: %s", err);
    cr_expect(strstr(out, "400 tasks") != NULL, "%s", out);
    free(out), free(err);
}

/* More than 1,000,000 tasks: the output folder gets summary.json and no
 * trace.json, and the run says so; --trace FILE still writes one. */
Test(gen_run, no_trace_in_the_folder_above_a_million_tasks) {
    char *dir = drt_tmpdir();
    char *out = NULL, *err = NULL;
    int rc = drt_cli(&out, &err,
                     "run gen:layered --set layers=2 --set width=500001 "
                     "--set deps=1 --simulate -w 1000 -o %s/big",
                     dir);
    cr_assert_eq(rc, 0, "%s", err);
    cr_expect(strstr(out, "Trace: not written for 1000002 tasks (more than "
                          "1000000") != NULL,
              "%s", out);
    cr_expect(strstr(out, "--trace FILE writes it") != NULL, "%s", out);
    /* Nor the default pictures (above 200,000 tasks), which it says too. */
    cr_expect(strstr(out, "Pictures: not drawn for 1000002 tasks (more than "
                          "200000); --trace FILE writes the trace, and "
                          "dagrun gantt FILE") != NULL,
              "%s", out);
    char *g = drt_fmt("%s/big/gantt.svg", dir);
    cr_expect(access(g, F_OK) != 0, "gantt.svg was drawn");
    free(g);
    char *t = drt_fmt("%s/big/trace.json", dir);
    char *s = drt_fmt("%s/big/summary.json", dir);
    cr_expect(access(t, F_OK) != 0, "trace.json was written");
    cr_expect(access(s, F_OK) == 0, "no summary.json");
    free(out), free(err), free(t), free(s);
    /* At the limit the folder gets its trace as always. */
    rc = drt_cli(&out, &err,
                 "run gen:layered --set layers=2 --set width=500000 "
                 "--set deps=1 --simulate -w 1000 -o %s/edge",
                 dir);
    cr_assert_eq(rc, 0, "%s", err);
    t = drt_fmt("%s/edge/trace.json", dir);
    cr_expect(access(t, F_OK) == 0, "no trace.json at 1,000,000 tasks");
    cr_expect(strstr(out,
                     "Pictures: not drawn for 1000000 tasks (more than "
                     "200000); dagrun gantt TRACE -o gantt.svg draws") != NULL,
              "%s", out);
    free(out), free(err), free(t);
    drt_rmtree(dir);
    free(dir);
}

/* A real run with many sinks of no value (noops) counts them in one line
 * instead of listing 20 lines of "= null". */
Test(gen_run, many_null_sinks_are_counted_not_listed) {
    char *out = NULL, *err = NULL;
    int rc = drt_cli(&out, &err,
                     "run gen:layered --set layers=2 --set width=30 -w 2 "
                     "--no-outputs");
    cr_assert_eq(rc, 0, "%s", err);
    cr_expect_null(strstr(out, "= null"), "%s", out);
    /* 30 in the last layer, and the first layer's that none depends on */
    cr_expect_not_null(strstr(out, " sink tasks returned no value (null: "
                                   "noop and sleep return none)"),
                       "%s", out);
    free(out), free(err);
}
