/*
 * Every example in examples/ run the way examples/README.md says, through
 * the dagrun CLI (or the C API program), checking its answer: pi's
 * estimate and sample count, the simulated makespans of the web requests
 * and the lecture DAG, the range sum, word counts and per-airline totals
 * against the same sums computed here with plain shell tools, the plugin's
 * result.  Each example also runs twice (or more) in one folder with other
 * parameters, larger first, so that an answer that picks up an earlier
 * run's files fails.  Sizes are scaled down with --set so the whole file
 * takes a few seconds; nothing checks how long a real run took.
 *
 * Examples with commands use paths relative to the working folder (the
 * repository root, in the README); here each runs in a scratch folder
 * with an `examples` link to the sources, so the tree stays clean.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* vasprintf */
#endif
#include "support.h"

#include <criterion/criterion.h>

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef DR_EXAMPLE_PLUGIN
#define DR_EXAMPLE_PLUGIN DR_BUILD_DIR "/examples/dagrun_example_plugin.so"
#endif
#ifndef DR_CAPI_EXAMPLE
#define DR_CAPI_EXAMPLE DR_BUILD_DIR "/examples/dagrun_capi_example"
#endif

#define EX DR_SOURCE_DIR "/examples"

/* A scratch folder with `examples` linked to the sources. */
static char *workdir(void) {
    char *dir = drt_tmpdir();
    char *link = drt_fmt("%s/examples", dir);
    cr_assert_eq(symlink(EX, link), 0);
    free(link);
    return dir;
}

/* Runs a shell command line in `dir`; returns the exit status and the
 * output (stdout, and stderr separately; either may be NULL). */
static int sh_in(const char *dir, char **out, char **err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int sh_in(const char *dir, char **out, char **err, const char *fmt,
                 ...) {
    va_list ap;
    va_start(ap, fmt);
    char *line = NULL;
    cr_assert_geq(vasprintf(&line, fmt, ap), 0);
    va_end(ap);
    char *cmd = drt_fmt("cd '%s' && ( %s ) </dev/null >.out 2>.err", dir, line);
    int status = system(cmd);
    int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    char *p;
    if (out != NULL) {
        p = drt_fmt("%s/.out", dir);
        *out = drt_read_file(p, NULL);
        free(p);
    }
    if (err != NULL) {
        p = drt_fmt("%s/.err", dir);
        *err = drt_read_file(p, NULL);
        free(p);
    }
    free(cmd);
    free(line);
    return rc;
}

/* Runs `dagrun ARGS` in dir; asserts exit 0 unless `expect` says otherwise
 * and returns stdout (caller frees). */
static char *dagrun_in(const char *dir, int expect, const char *args) {
    char *out = NULL, *err = NULL;
    int rc = sh_in(dir, &out, &err, "'%s' %s", drt_cli_path(), args);
    cr_assert_eq(rc, expect, "dagrun %s: exit %d, expected %d\n%s\n%s", args,
                 rc, expect, out ? out : "", err ? err : "");
    free(err);
    return out;
}

/* The JSON after "KEY = " on a line of dagrun's output. */
static json_t *result_of(const char *out, const char *key) {
    char *needle = drt_fmt("%s = ", key);
    const char *p = out;
    while ((p = strstr(p, needle)) != NULL) {
        if (p == out || p[-1] == '\n')
            break;
        p++;
    }
    cr_assert_not_null(p, "no result for %s in:\n%s", key, out);
    p += strlen(needle);
    size_t n = strcspn(p, "\n");
    json_t *v = json_loadb(p, n, JSON_DECODE_ANY, NULL);
    cr_assert_not_null(v, "result of %s is not JSON: %.*s", key, (int)n, p);
    free(needle);
    return v;
}

/* The --json summary a run wrote to dir/summary.json. */
static json_t *summary_in(const char *dir) {
    char *path = drt_fmt("%s/summary.json", dir);
    json_t *s = json_load_file(path, 0, NULL);
    cr_assert_not_null(s, "no summary at %s", path);
    free(path);
    return s;
}

static double num(const json_t *obj, const char *key) {
    json_t *v = json_object_get(obj, key);
    cr_assert(json_is_number(v), "no number '%s'", key);
    return json_number_value(v);
}

static char *file_in(const char *dir, const char *name) {
    char *path = drt_fmt("%s/%s", dir, name);
    char *text = drt_read_file(path, NULL);
    cr_assert_not_null(text, "%s was not written", path);
    free(path);
    return text;
}

/* ------------------------------------------------------------------ pi */

Test(examples, pi_strong_scaling_estimates_pi_from_a_fixed_total) {
    char *dir = workdir();
    /* Two runs in one folder with other parameters, as for every example:
     * 7 and 3 chunks do not divide the totals (the last takes the rest). */
    const long samples[] = {0, 400000, 0, 90001};
    for (int w = 1; w <= 3; w += 2) {
        char *args = drt_fmt("run examples/pi.json -w %d --set chunks=%d "
                             "--set samples=%ld --no-outputs -q "
                             "--output reduce",
                             w, w == 1 ? 7 : 3, samples[w]);
        char *out = dagrun_in(dir, 0, args);
        json_t *r = result_of(out, "reduce");
        /* The same total at every worker count: that is strong scaling. */
        cr_assert_eq(json_integer_value(json_object_get(r, "samples")),
                     samples[w]);
        double e = num(r, "estimate");
        cr_assert(fabs(e - M_PI) < 0.02, "estimate %f", e);
        json_decref(r);
        free(out);
        free(args);
    }
    drt_rmtree(dir);
    free(dir);
}

Test(examples, pi_weak_scaling_grows_the_work_with_the_workers) {
    char *dir = workdir();
    char *out = dagrun_in(dir, 0,
                          "run examples/pi-weak.json -w 2 --set workers=2 "
                          "--set chunk_samples=25000 --no-outputs -q "
                          "--output reduce");
    json_t *r = result_of(out, "reduce");
    cr_assert_eq(json_integer_value(json_object_get(r, "samples")),
                 4 * 2 * 25000);
    cr_assert(fabs(num(r, "estimate") - M_PI) < 0.05);
    json_decref(r);
    free(out);
    drt_rmtree(dir);
    free(dir);
}

/* -------------------------------------------------------- web requests */

Test(examples, web_requests_take_the_sum_on_one_worker_the_longest_on_five) {
    char *dir = workdir();
    const double expect[] = {0, 9.5, 0, 0, 0, 3.0};
    for (int w = 1; w <= 5; w += 4) {
        char *args = drt_fmt("run examples/web-requests.json --simulate -w %d "
                             "--no-outputs -q --json summary.json",
                             w);
        free(dagrun_in(dir, 0, args));
        json_t *s = summary_in(dir);
        cr_assert_float_eq(num(s, "makespan"), expect[w], 1e-9,
                           "%d workers: makespan %f", w, num(s, "makespan"));
        cr_assert(json_is_true(json_object_get(s, "simulated")));
        json_decref(s);
        free(args);
    }
    /* And for real, with the waits scaled down to 1%. */
    free(dagrun_in(dir, 0,
                   "run examples/web-requests.json -w 5 --set percent=1 "
                   "--no-outputs -q"));
    drt_rmtree(dir);
    free(dir);
}

/* -------------------------------------------------------------- lecture */

static void check_lecture(const json_t *s) {
    json_t *pw = json_object_get(s, "per_worker");
    cr_assert_eq(json_array_size(pw), 3);
    json_t *third = json_array_get(pw, 2);
    /* The third worker runs d alone, then idles until the end. */
    cr_assert_eq(json_integer_value(json_object_get(third, "tasks")), 1);
    cr_assert_gt(num(third, "idle_tail"), num(third, "busy"));
}

Test(examples, lecture_third_worker_idles_until_the_end) {
    char *dir = workdir();
    free(dagrun_in(dir, 0,
                   "run examples/lecture.json --simulate -w 3 --no-outputs -q "
                   "--json summary.json"));
    json_t *s = summary_in(dir);
    cr_assert_float_eq(num(s, "makespan"), 8.0, 1e-9);
    cr_assert_float_eq(num(s, "work"), 14.0, 1e-9);
    check_lecture(s);
    json_t *third = json_array_get(json_object_get(s, "per_worker"), 2);
    cr_assert_float_eq(num(third, "busy"), 1.0, 1e-9);
    cr_assert_float_eq(num(third, "idle_tail"), 6.0, 1e-9);
    /* The second worker runs c from t = 1 to 6 (not to 8, as the README
     * once said): busy 5, idle tail 2. */
    json_t *second = json_array_get(json_object_get(s, "per_worker"), 1);
    cr_assert_float_eq(num(second, "busy"), 5.0, 1e-9);
    cr_assert_float_eq(num(second, "idle_tail"), 2.0, 1e-9);
    json_decref(s);

    /* Two workers finish just as early: the span decides. */
    free(dagrun_in(dir, 0,
                   "run examples/lecture.json --simulate -w 2 --no-outputs -q "
                   "--json summary.json"));
    s = summary_in(dir);
    cr_assert_float_eq(num(s, "makespan"), 8.0, 1e-9);
    json_decref(s);

    /* A real run shows the same shape (it follows from the dependencies,
     * not from the timing). */
    free(dagrun_in(dir, 0,
                   "run examples/lecture.json -w 3 --set unit_ms=10 "
                   "--no-outputs -q --json summary.json"));
    s = summary_in(dir);
    check_lecture(s);
    json_decref(s);
    drt_rmtree(dir);
    free(dir);
}

/* ------------------------------------------------------------ sum-range */

Test(examples, sum_range_adds_the_chunks) {
    char *dir = workdir();
    free(dagrun_in(dir, 0,
                   "run examples/sum-range.json -w 2 --set n=100000 "
                   "--no-outputs -q"));
    char *total = file_in(dir, "dagrun-out/sum-range/total.txt");
    cr_assert_str_eq(total, "5000050000\n");
    free(total);
    drt_rmtree(dir);
    free(dir);
}

/* Runs the example twice in one folder, more chunks first: the second run
 * must add only its own chunks (a glob over chunk files once picked up the
 * first run's and printed 875000750000 for 500000500000). */
Test(examples, sum_range_is_right_after_a_run_with_other_parameters) {
    char *dir = workdir();
    const struct {
        long n, chunks;
    } runs[] = {{1000000, 8}, {1000000, 4}, {100000, 13}, {1000, 3}, {7, 5}};
    for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
        char *args = drt_fmt("run examples/sum-range.json -w 2 --set n=%ld "
                             "--set chunks=%ld --no-outputs -q",
                             runs[i].n, runs[i].chunks);
        free(dagrun_in(dir, 0, args));
        char *total = file_in(dir, "dagrun-out/sum-range/total.txt");
        char *expect = drt_fmt("%ld\n", runs[i].n * (runs[i].n + 1) / 2);
        cr_expect_str_eq(total, expect, "%s", args);
        free(expect);
        free(total);
        free(args);
    }
    drt_rmtree(dir);
    free(dir);
}

/* Two runs at once with different -o folders and parameters: each adds its
 * own chunks.  Both once wrote ./dagrun-out/sum-range/chunks whatever -o
 * said, and `total = (failed)` came out of 4 tries in 4; the commands now
 * write into the run's output folder ($DAGRUN_OUT). */
Test(examples, sum_range_runs_at_once_in_two_folders_do_not_mix,
     .timeout = 240) {
    char *dir = workdir();
    for (int round = 0; round < 3; round++) {
        char *a1[] = {"dagrun",   "run",      "examples/sum-range.json",
                      "-w",       "2",        "--set",
                      "chunks=8", "-o",       "sr1",
                      "-q",       "--output", "total",
                      NULL};
        char *a2[] = {"dagrun",   "run",   "examples/sum-range.json",
                      "-w",       "2",     "--set",
                      "chunks=3", "--set", "n=1000",
                      "-o",       "sr2",   "-q",
                      "--output", "total", NULL};
        pid_t p1 = drt_start_cli(dir, a1, NULL, "out1", "err1");
        pid_t p2 = drt_start_cli(dir, a2, NULL, "out2", "err2");
        int s1, s2;
        cr_assert_eq(drt_reap(p1, 200, &s1), 0);
        cr_assert_eq(drt_reap(p2, 200, &s2), 0);
        char *o1 = drt_text_in(dir, "out1"), *o2 = drt_text_in(dir, "out2");
        char *e1 = drt_text_in(dir, "err1"), *e2 = drt_text_in(dir, "err2");
        cr_expect_eq(drt_exit_code(s1), 0, "%s", e1);
        cr_expect_eq(drt_exit_code(s2), 0, "%s", e2);
        cr_expect_str_eq(o1, "total = 500000500000\n", "round %d", round);
        cr_expect_str_eq(o2, "total = 500500\n", "round %d", round);
        char *t1 = file_in(dir, "sr1/total.txt");
        char *t2 = file_in(dir, "sr2/total.txt");
        cr_expect_str_eq(t1, "500000500000\n");
        cr_expect_str_eq(t2, "500500\n");
        free(o1), free(o2), free(e1), free(e2), free(t1), free(t2);
    }
    char *shared = drt_fmt("%s/dagrun-out", dir);
    cr_expect_neq(access(shared, F_OK), 0,
                  "a run with -o wrote into ./dagrun-out");
    free(shared);
    drt_rmtree(dir);
    free(dir);
}

/* Every command gets the run's output folder as an absolute path, also
 * when it runs in another folder (--workdir). */
Test(examples, commands_get_the_output_folder_in_dagrun_out) {
    char *dir = workdir();
    char *graph = drt_fmt("%s/env.json", dir);
    cr_assert_eq(
        drt_write_file(graph,
                       "{\"tasks\":[{\"id\":\"a\",\"shell\":\"printf '%s' "
                       "\\\"$DAGRUN_OUT\\\" > \\\"$DAGRUN_OUT\\\"/seen\"}]}"),
        0);
    char *sub = drt_fmt("%s/elsewhere", dir);
    cr_assert_eq(mkdir(sub, 0755), 0);
    free(dagrun_in(dir, 0, "run env.json -o out/x --workdir elsewhere -q"));
    char *seen = file_in(dir, "out/x/seen");
    char *want = drt_fmt("%s/out/x", dir);
    cr_expect_str_eq(seen, want);
    free(seen);
    free(want);
    /* An inherited DAGRUN_OUT is not passed on: this run's own is. */
    int rc = sh_in(dir, NULL, NULL,
                   "DAGRUN_OUT=/nonexistent '%s' run env.json -o '%s/y' -q",
                   drt_cli_path(), dir);
    cr_expect_eq(rc, 0);
    seen = file_in(dir, "y/seen");
    want = drt_fmt("%s/y", dir);
    cr_expect_str_eq(seen, want);
    free(seen);
    free(want);
    free(sub);
    free(graph);
    drt_rmtree(dir);
    free(dir);
}

Test(examples, sum_range_refuses_parameters_it_cannot_sum_exactly) {
    char *dir = workdir();
    /* A first good run leaves a total behind; a refused run must not let
     * it look like its own answer. */
    free(dagrun_in(dir, 0,
                   "run examples/sum-range.json --set n=100 --no-outputs -q"));
    const char *bad[] = {"--set chunks=0", "--set n=-5", "--set n=1000000000"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *out = NULL, *err = NULL;
        int rc = sh_in(dir, &out, &err,
                       "'%s' run examples/sum-range.json %s --no-outputs",
                       drt_cli_path(), bad[i]);
        cr_expect_eq(rc, 1, "%s: exit %d", bad[i], rc);
        char *all = drt_fmt("%s%s", out, err);
        cr_expect(strstr(all, "sum-range: ") != NULL &&
                      strstr(all, "must be") != NULL,
                  "%s: no message saying what is wrong:\n%s", bad[i], all);
        char *path = drt_fmt("%s/dagrun-out/sum-range/total.txt", dir);
        cr_expect(access(path, F_OK) != 0,
                  "%s: an earlier run's total.txt is still there", bad[i]);
        free(path);
        free(all);
        free(out);
        free(err);
    }
    drt_rmtree(dir);
    free(dir);
}

/* ------------------------------------------------ wordcount and airlines */

/* More files first, then fewer: the total is files * words, every file
 * having exactly `words` words, whatever ran in the folder before. */
Test(examples, wordcount_is_right_after_a_run_with_more_files) {
    char *dir = workdir();
    const struct {
        int files, words;
    } runs[] = {{8, 3000}, {3, 5000}, {1, 700}};
    for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
        char *args = drt_fmt("run examples/wordcount/graph.json -w 2 "
                             "--set files=%d --set words=%d --no-outputs -q",
                             runs[i].files, runs[i].words);
        free(dagrun_in(dir, 0, args));
        char *total = file_in(dir, "dagrun-out/wordcount/total.txt");
        char *expect = drt_fmt("%d\n", runs[i].files * runs[i].words);
        cr_expect_str_eq(total, expect, "%s", args);
        /* The data folder holds this run's files only. */
        char *n = NULL;
        cr_assert_eq(sh_in(dir, &n, NULL,
                           "ls dagrun-out/wordcount/data | wc -l | tr -d ' '"),
                     0);
        char *nfiles = drt_fmt("%d\n", runs[i].files);
        cr_expect_str_eq(n, nfiles, "%s: stale data files", args);
        free(nfiles);
        free(n);
        free(expect);
        free(total);
        free(args);
    }
    drt_rmtree(dir);
    free(dir);
}

/* The per-airline totals of flights-0 .. flights-(files-1), computed here
 * in one pass over exactly those files. */
static char *airline_totals(const char *dir, int files) {
    char *expect = NULL;
    cr_assert_eq(
        sh_in(dir, &expect, NULL,
              "i=0; while [ $i -lt %d ]; do tail -n +2 "
              "dagrun-out/airlines/data/flights-$i.csv; i=$((i + 1)); done | "
              "awk -F, '{ d[$1] += $4 } END { for (a in d) printf "
              "\"%%s,%%.0f\\n\", a, d[a] }' | sort",
              files),
        0);
    return expect;
}

Test(examples, airlines_are_right_after_a_run_with_more_files) {
    char *dir = workdir();
    const struct { int files, rows; } runs[] = {{6, 1500}, {2, 2000}, {1, 10}};
    for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
        char *args = drt_fmt("run examples/airlines/graph.json -w 2 "
                             "--set files=%d --set rows=%d --no-outputs -q",
                             runs[i].files, runs[i].rows);
        free(dagrun_in(dir, 0, args));
        char *totals = file_in(dir, "dagrun-out/airlines/totals.csv");
        char *expect = airline_totals(dir, runs[i].files);
        cr_expect_str_eq(totals, expect, "%s", args);
        /* And the distances add up to the sum over every row. */
        char *sum = NULL, *all = NULL;
        cr_assert_eq(sh_in(dir, &sum, NULL,
                           "awk -F, '{ s += $2 } END { printf \"%%.0f\", s "
                           "}' dagrun-out/airlines/totals.csv"),
                     0);
        cr_assert_eq(sh_in(dir, &all, NULL,
                           "i=0; while [ $i -lt %d ]; do tail -n +2 "
                           "dagrun-out/airlines/data/flights-$i.csv; "
                           "i=$((i + 1)); done | awk -F, '{ s += $4 } END { "
                           "printf \"%%.0f\", s }'",
                           runs[i].files),
                     0);
        cr_expect_str_eq(sum, all, "%s", args);
        free(sum);
        free(all);
        free(expect);
        free(totals);
        free(args);
    }
    drt_rmtree(dir);
    free(dir);
}

Test(examples, wordcount_matches_wc_over_all_files) {
    char *dir = workdir();
    free(dagrun_in(dir, 0,
                   "run examples/wordcount/graph.json -w 2 --set files=3 "
                   "--set words=5000 --no-outputs -q"));
    char *total = file_in(dir, "dagrun-out/wordcount/total.txt");
    char *expect = NULL;
    cr_assert_eq(sh_in(dir, &expect, NULL,
                       "cat dagrun-out/wordcount/data/part-*.txt | wc -w | "
                       "tr -d ' '"),
                 0);
    cr_assert_str_eq(total, expect);
    cr_assert_str_eq(total, "15000\n");
    free(total);
    free(expect);
    drt_rmtree(dir);
    free(dir);
}

Test(examples, wordcount_data_is_the_same_on_every_run) {
    char *dir = workdir();
    char *a = NULL;
    cr_assert_eq(sh_in(dir, &a, NULL,
                       "sh examples/wordcount/make-data.sh d1 2 300 && "
                       "sh examples/wordcount/make-data.sh d2 2 300 && "
                       "cat d1/* | cksum && cat d2/* | cksum"),
                 0);
    char *nl = strchr(a, '\n');
    cr_assert_not_null(nl);
    *nl = '\0';
    char *second = nl + 1;
    second[strcspn(second, "\n")] = '\0';
    cr_assert_str_eq(a, second, "make-data.sh is not deterministic");
    free(a);
    drt_rmtree(dir);
    free(dir);
}

Test(examples, airlines_totals_match_one_pass_over_all_files) {
    char *dir = workdir();
    char *out = dagrun_in(dir, 0,
                          "run examples/airlines/graph.json -w 2 "
                          "--set files=3 --set rows=2000 --no-outputs -q");
    free(out);
    char *totals = file_in(dir, "dagrun-out/airlines/totals.csv");
    char *expect = NULL;
    cr_assert_eq(
        sh_in(dir, &expect, NULL,
              "for f in dagrun-out/airlines/data/flights-*.csv; do "
              "tail -n +2 $f; done | awk -F, '{ d[$1] += $4 } END { for (a in "
              "d) printf \"%%s,%%.0f\\n\", a, d[a] }' | sort"),
        0);
    cr_assert_str_eq(totals, expect);
    /* Eight airlines, all of them with flights. */
    size_t lines = 0;
    for (const char *p = totals; *p; p++)
        lines += *p == '\n';
    cr_assert_eq(lines, 8);
    free(totals);
    free(expect);
    drt_rmtree(dir);
    free(dir);
}

/* -------------------------------------------------------- C API, plugin */

Test(examples, capi_program_counts_primes_both_ways) {
    char *dir = workdir();
    char *out = NULL, *err = NULL;
    int rc = sh_in(dir, &out, &err, "'%s' 2 20000 4", DR_CAPI_EXAMPLE);
    cr_assert_eq(rc, 0, "%s%s", out, err);
    /* pi(20000) = 2262. */
    cr_assert(strstr(out, "primes below 20000: 2262 (built in C") != NULL, "%s",
              out);
    cr_assert(strstr(out, "primes below 20000: 2262 (loaded from JSON") != NULL,
              "%s", out);
    free(out);
    free(err);
    drt_rmtree(dir);
    free(dir);
}

Test(examples, plugin_ops_run_from_json) {
    char *dir = workdir();
    char *args = drt_fmt("run examples/plugin/graph.json -w 2 --plugin '%s' "
                         "--no-outputs -q --output total --output fib-9",
                         DR_EXAMPLE_PLUGIN);
    char *out = dagrun_in(dir, 0, args);
    json_t *total = result_of(out, "total");
    json_t *fib = result_of(out, "fib-9");
    cr_assert_eq(json_integer_value(total), 1870); /* F9 * F10 = 34 * 55 */
    cr_assert_eq(json_integer_value(fib), 34);
    json_decref(total);
    json_decref(fib);
    free(out);
    free(args);
    /* Again in the same folder with another n: F5 * F6 = 5 * 8. */
    args = drt_fmt("run examples/plugin/graph.json -w 2 --plugin '%s' "
                   "--set n=6 --no-outputs -q --output total",
                   DR_EXAMPLE_PLUGIN);
    out = dagrun_in(dir, 0, args);
    total = result_of(out, "total");
    cr_assert_eq(json_integer_value(total), 40);
    json_decref(total);
    free(out);
    free(args);
    drt_rmtree(dir);
    free(dir);
}

/* A plugin is loaded in every worker process (they are copies of dagrun
 * made after it loaded the plugin), and sync runs it on the main thread:
 * the same answers. */
Test(examples, plugin_ops_run_under_every_executor) {
    static const char *executors[] = {"processes", "sync"};
    for (size_t i = 0; i < 2; i++) {
        char *dir = workdir();
        char *args =
            drt_fmt("run examples/plugin/graph.json -w 2 --plugin '%s' "
                    "--executor %s --no-outputs -q --output total",
                    DR_EXAMPLE_PLUGIN, executors[i]);
        char *out = dagrun_in(dir, 0, args);
        json_t *total = result_of(out, "total");
        cr_expect_eq(json_integer_value(total), 1870, "under %s", executors[i]);
        json_decref(total);
        free(out);
        free(args);
        drt_rmtree(dir);
        free(dir);
    }
}

Test(examples, plugin_graph_without_the_plugin_is_an_invalid_graph) {
    char *dir = workdir();
    char *err = NULL;
    int rc = sh_in(dir, NULL, &err,
                   "'%s' run examples/plugin/graph.json --no-outputs -q",
                   drt_cli_path());
    cr_assert_eq(rc, 2);
    cr_assert(strstr(err, "fib") != NULL, "%s", err);
    free(err);
    drt_rmtree(dir);
    free(dir);
}

Test(examples, a_missing_plugin_is_named) {
    char *dir = workdir();
    char *err = NULL;
    int rc = sh_in(dir, NULL, &err,
                   "'%s' run examples/plugin/graph.json --plugin ./nope.so "
                   "--no-outputs -q",
                   drt_cli_path());
    cr_assert_eq(rc, 2);
    cr_assert(strstr(err, "./nope.so") != NULL, "%s", err);
    free(err);
    drt_rmtree(dir);
    free(dir);
}

Test(examples, every_graph_validates) {
    const char *graphs[] = {"pi.json",
                            "pi-weak.json",
                            "web-requests.json",
                            "lecture.json",
                            "sum-range.json",
                            "big-array.json",
                            "wordcount/graph.json",
                            "airlines/graph.json"};
    for (size_t i = 0; i < sizeof(graphs) / sizeof(graphs[0]); i++) {
        char *err = NULL;
        int rc = drt_cli(NULL, &err, "validate '%s/%s'", EX, graphs[i]);
        cr_assert_eq(rc, 0, "%s: %s", graphs[i], err);
        free(err);
    }
}

/* crash.json needs the plugin's `crash` op; --dry-run loads and validates
 * the graph with the plugin and runs nothing (nothing crashes here: the
 * crash itself is tests/test_lab.c's). */
Test(examples, crash_graph_loads_with_the_plugin) {
    char *err = NULL;
    int rc = drt_cli(NULL, &err, "run '%s/crash.json' --plugin '%s' --dry-run",
                     EX, DR_EXAMPLE_PLUGIN);
    cr_assert_eq(rc, 0, "%s", err);
    free(err);
}
