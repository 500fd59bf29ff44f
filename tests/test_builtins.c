/*
 * The builtin operations (scheduler/builtins.c) called directly, without a
 * scheduler: known answers for each op, pi's determinism and accuracy,
 * reductions over numbers, arrays and pi results, error messages, the spin
 * calibration, cancellation, and plugin loading.  No test checks how long
 * anything takes (the machine is shared and noisy); spin and sleep are
 * checked to return, and to stop early when cancelled, under a Criterion
 * timeout that only a hang would hit.
 */
#include "builtins.h"
#include "dagrun/run.h"
#include "support.h"

#include <criterion/criterion.h>

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef DR_EXAMPLE_PLUGIN
#define DR_EXAMPLE_PLUGIN DR_BUILD_DIR "/examples/dagrun_example_plugin.so"
#endif

/* Runs a builtin; returns its status, *result (or NULL) and the message. */
static int run_op(const char *name, const char *args_text, json_t **inputs,
                  size_t ninputs, json_t **result, char *msg, size_t msglen) {
    json_t *args = NULL;
    if (args_text != NULL) {
        args = json_loads(args_text, 0, NULL);
        cr_assert_not_null(args, "bad test args %s", args_text);
    }
    msg[0] = '\0';
    int rc =
        dr__builtin_run(name, args, inputs, ninputs, result, msg, msglen, NULL);
    json_decref(args);
    return rc;
}

/* Runs a builtin that must succeed and returns its result (caller frees). */
static json_t *ok_op(const char *name, const char *args_text,
                     const char *inputs_text) {
    json_t *arr = json_loads(inputs_text ? inputs_text : "[]", 0, NULL);
    cr_assert(json_is_array(arr), "bad test inputs %s", inputs_text);
    size_t n = json_array_size(arr);
    json_t **in = calloc(n + 1, sizeof(*in));
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(arr, i);
        in[i] = json_is_null(v) ? NULL : v; /* null: no result at all */
    }
    json_t *r = NULL;
    char msg[256];
    int rc = run_op(name, args_text, in, n, &r, msg, sizeof(msg));
    cr_assert_eq(rc, 0, "%s failed: %s", name, msg);
    cr_assert_not_null(r, "%s gave no result", name);
    free(in);
    json_decref(arr);
    return r;
}

/* Runs a builtin that must fail; returns its message (static). */
static const char *failing_op(const char *name, const char *args_text,
                              const char *inputs_text) {
    static char msg[256];
    json_t *arr = json_loads(inputs_text ? inputs_text : "[]", 0, NULL);
    size_t n = json_array_size(arr);
    json_t **in = calloc(n + 1, sizeof(*in));
    for (size_t i = 0; i < n; i++)
        in[i] = json_array_get(arr, i);
    json_t *r = NULL;
    int rc = run_op(name, args_text, in, n, &r, msg, sizeof(msg));
    cr_assert_neq(rc, 0, "%s should fail", name);
    cr_assert_null(r, "a failed op leaves no result");
    free(in);
    json_decref(arr);
    return msg;
}

static void assert_json(json_t *got, const char *expected) {
    json_t *want = json_loads(expected, JSON_DECODE_ANY, NULL);
    cr_assert_not_null(want);
    char *g = json_dumps(got, JSON_ENCODE_ANY | JSON_SORT_KEYS);
    cr_assert(json_equal(got, want), "got %s, expected %s", g, expected);
    free(g);
    json_decref(want);
}

/* ------------------------------------------------------------ simple ops */

Test(builtins, noop_returns_null) {
    json_t *r = ok_op("noop", NULL, NULL);
    cr_assert(json_is_null(r));
    json_decref(r);
}

Test(builtins, sleep_returns_null_after_sleeping) {
    json_t *r = ok_op("sleep", "{\"ms\": 5}", NULL);
    cr_assert(json_is_null(r));
    json_decref(r);
    r = ok_op("sleep", "{\"ms\": 0}", NULL);
    json_decref(r);
}

Test(builtins, spin_returns_null) {
    json_t *r = ok_op("spin", "{\"units\": 2}", NULL);
    cr_assert(json_is_null(r));
    json_decref(r);
    r = ok_op("spin", "{\"units\": 0.5}", NULL);
    json_decref(r);
}

Test(builtins, fail_uses_its_message) {
    cr_assert_str_eq(failing_op("fail", "{\"message\": \"disk full\"}", NULL),
                     "disk full");
}

Test(builtins, fail_without_message_names_the_op) {
    cr_assert_str_eq(failing_op("fail", NULL, NULL), "task failed (op 'fail')");
}

Test(builtins, unknown_op_is_an_error) {
    cr_assert_str_eq(failing_op("frobnicate", NULL, NULL),
                     "unknown op 'frobnicate'");
}

Test(builtins, missing_arguments_are_errors_not_zero_work) {
    cr_assert(strstr(failing_op("sleep", "{}", NULL), "'ms'") != NULL);
    cr_assert(strstr(failing_op("spin", NULL, NULL), "'units'") != NULL);
    cr_assert(strstr(failing_op("pi", "{\"seed\": 1}", NULL), "'samples'") !=
              NULL);
    cr_assert(strstr(failing_op("pi", "{\"samples\": 0}", NULL), "positive") !=
              NULL);
}

/* -------------------------------------------------------------------- pi */

Test(builtins, pi_result_has_inside_samples_and_estimate) {
    json_t *r = ok_op("pi", "{\"samples\": 1000, \"seed\": 3}", NULL);
    json_int_t in = json_integer_value(json_object_get(r, "inside"));
    cr_assert_eq(json_integer_value(json_object_get(r, "samples")), 1000);
    cr_assert(in > 0 && in <= 1000);
    cr_assert_float_eq(json_real_value(json_object_get(r, "estimate")),
                       4.0 * (double)in / 1000.0, 1e-12);
    json_decref(r);
}

Test(builtins, pi_is_deterministic_for_a_seed) {
    json_t *a = ok_op("pi", "{\"samples\": 100000, \"seed\": 42}", NULL);
    json_t *b = ok_op("pi", "{\"samples\": 100000, \"seed\": 42}", NULL);
    json_t *c = ok_op("pi", "{\"samples\": 100000, \"seed\": 43}", NULL);
    cr_assert(json_equal(a, b), "same seed, same samples");
    cr_assert_not(json_equal(a, c), "another seed, other samples");
    json_decref(a);
    json_decref(b);
    json_decref(c);
}

Test(builtins, pi_seed_defaults_to_zero) {
    json_t *a = ok_op("pi", "{\"samples\": 5000}", NULL);
    json_t *b = ok_op("pi", "{\"samples\": 5000, \"seed\": 0}", NULL);
    cr_assert(json_equal(a, b));
    json_decref(a);
    json_decref(b);
}

Test(builtins, pi_estimate_is_close_for_a_million_samples) {
    /* The standard error is about 1.6e-3 for 10^6 samples: 0.01 is six
     * standard errors, and the seed is fixed, so this cannot flake. */
    json_t *r = ok_op("pi", "{\"samples\": 1000000, \"seed\": 7}", NULL);
    double e = json_real_value(json_object_get(r, "estimate"));
    cr_assert(fabs(e - M_PI) < 0.01, "estimate %f", e);
    json_decref(r);
}

Test(builtins, pi_stops_when_cancelled) {
    atomic_int cancel = 1;
    json_t *args = json_pack("{sI}", "samples", (json_int_t)1000000000000LL);
    json_t *r = NULL;
    char msg[64];
    int rc =
        dr__builtin_run("pi", args, NULL, 0, &r, msg, sizeof(msg), &cancel);
    cr_assert_neq(rc, 0);
    cr_assert_str_eq(msg, "interrupted");
    json_decref(args);
}

/* ----------------------------------------------------------------- array */

Test(builtins, array_counts_from_zero_to_n_minus_one) {
    json_t *r = ok_op("array", "{\"n\": 5}", NULL);
    assert_json(r, "[0, 1, 2, 3, 4]");
    json_decref(r);
    r = ok_op("array", "{\"n\": 0}", NULL);
    assert_json(r, "[]");
    json_decref(r);
}

Test(builtins, sum_of_an_array_is_n_times_n_minus_one_over_two) {
    /* 200,000 items cross the 64K batch boundary of the cancel checks
     * three times, so the batching cannot drop or repeat an item. */
    json_int_t n = 200000;
    json_t *args = json_pack("{sI}", "n", n);
    json_t *a = NULL;
    char msg[256] = "";
    cr_assert_eq(
        dr__builtin_run("array", args, NULL, 0, &a, msg, sizeof msg, NULL), 0,
        "%s", msg);
    cr_assert_eq(json_array_size(a), (size_t)n);
    json_t *in[1] = {a}, *sum = NULL;
    cr_assert_eq(
        dr__builtin_run("sum", NULL, in, 1, &sum, msg, sizeof msg, NULL), 0,
        "%s", msg);
    cr_assert(json_is_integer(sum));
    cr_assert_eq(json_integer_value(sum), n * (n - 1) / 2);
    json_decref(sum);
    json_decref(a);
    json_decref(args);
}

Test(builtins, array_with_a_bad_n_says_what_n_must_be) {
    cr_assert_str_eq(failing_op("array", NULL, NULL),
                     "op 'array' needs a non-negative integer 'n'");
    cr_assert_str_eq(failing_op("array", "{\"n\": -1}", NULL),
                     "op 'array' needs a non-negative integer 'n'");
    cr_assert_str_eq(failing_op("array", "{\"n\": 2.5}", NULL),
                     "op 'array' needs a non-negative integer 'n'");
    cr_assert_str_eq(failing_op("array", "{\"n\": \"7\"}", NULL),
                     "op 'array' needs a non-negative integer 'n'");
    cr_assert_str_eq(failing_op("array", "{\"n\": 100000001}", NULL),
                     "op 'array': 'n' is 100000001, more than the 100000000 "
                     "numbers an array may hold");
}

Test(builtins, array_arguments_are_checked_when_the_graph_loads) {
    char msg[256];
    json_t *ok = json_pack("{sI}", "n", (json_int_t)100000000);
    json_t *big = json_pack("{sI}", "n", (json_int_t)100000001);
    json_t *neg = json_pack("{sI}", "n", (json_int_t)-3);
    cr_assert_eq(dr_builtin_check("array", ok, msg, sizeof msg), 0, "%s", msg);
    cr_assert_eq(dr_builtin_check("array", big, msg, sizeof msg), DR_EINVAL);
    cr_assert(strstr(msg, "more than the 100000000") != NULL, "%s", msg);
    cr_assert_eq(dr_builtin_check("array", neg, msg, sizeof msg), DR_EINVAL);
    cr_assert_eq(dr_builtin_check("array", NULL, msg, sizeof msg), DR_EINVAL);
    cr_assert_str_eq(msg, "op 'array' needs an integer 'n' in \"args\"");
    json_decref(ok);
    json_decref(big);
    json_decref(neg);
}

Test(builtins, array_stops_when_cancelled) {
    atomic_int cancel = 1;
    json_t *args = json_pack("{sI}", "n", (json_int_t)100000000);
    json_t *r = NULL;
    char msg[64];
    int rc =
        dr__builtin_run("array", args, NULL, 0, &r, msg, sizeof(msg), &cancel);
    cr_assert_neq(rc, 0);
    cr_assert_null(r);
    cr_assert_str_eq(msg, "interrupted");
    json_decref(args);
}

/* ------------------------------------------------------------ reductions */

Test(builtins, sum_of_integers_is_an_integer) {
    json_t *r = ok_op("sum", NULL, "[1, 2, 3, 4]");
    assert_json(r, "10");
    cr_assert(json_is_integer(r));
    json_decref(r);
}

Test(builtins, sum_with_reals_is_real) {
    json_t *r = ok_op("sum", NULL, "[1, 2.5]");
    cr_assert(json_is_real(r));
    cr_assert_float_eq(json_real_value(r), 3.5, 1e-12);
    json_decref(r);
}

Test(builtins, reductions_flatten_arrays_and_skip_missing_results) {
    json_t *r = ok_op("sum", NULL, "[[1, [2, 3]], null, 4]");
    assert_json(r, "10");
    json_decref(r);
    r = ok_op("count", NULL, "[[1, [2, 3]], null, 4, []]");
    assert_json(r, "4");
    json_decref(r);
}

Test(builtins, mean_min_max_count_have_known_answers) {
    json_t *r = ok_op("mean", NULL, "[1, 2, 3, 6]");
    cr_assert_float_eq(json_number_value(r), 3.0, 1e-12);
    json_decref(r);
    r = ok_op("min", NULL, "[5, -2.5, 3]");
    assert_json(r, "-2.5");
    json_decref(r);
    r = ok_op("max", NULL, "[5, -2.5, [30]]");
    assert_json(r, "30");
    cr_assert(json_is_integer(r), "max keeps the integer");
    json_decref(r);
    r = ok_op("count", NULL, "[5, -2.5, 3]");
    assert_json(r, "3");
    json_decref(r);
}

Test(builtins, empty_reductions) {
    json_t *r = ok_op("sum", NULL, "[]");
    assert_json(r, "0");
    json_decref(r);
    r = ok_op("count", NULL, "[null]");
    assert_json(r, "0");
    json_decref(r);
    cr_assert_str_eq(failing_op("mean", NULL, "[]"), "op 'mean': no values");
    cr_assert_str_eq(failing_op("min", NULL, "[[]]"), "op 'min': no values");
    cr_assert_str_eq(failing_op("max", NULL, "[]"), "op 'max': no values");
}

Test(builtins, sum_of_pi_results_is_a_pi_result_over_all_samples) {
    json_t *r =
        ok_op("sum", NULL,
              "[{\"inside\": 7, \"samples\": 10, \"estimate\": 2.8},"
              " {\"inside\": 80, \"samples\": 100, \"estimate\": 3.2}]");
    cr_assert_eq(json_integer_value(json_object_get(r, "inside")), 87);
    cr_assert_eq(json_integer_value(json_object_get(r, "samples")), 110);
    cr_assert_float_eq(json_real_value(json_object_get(r, "estimate")),
                       4.0 * 87 / 110, 1e-12);
    json_decref(r);
}

Test(builtins, mean_of_pi_results_weights_by_samples) {
    json_t *r = ok_op("mean", NULL,
                      "[{\"inside\": 7, \"samples\": 10},"
                      " {\"inside\": 80, \"samples\": 100}]");
    cr_assert_float_eq(json_real_value(r), 4.0 * 87 / 110, 1e-12);
    json_decref(r);
    r = ok_op("max", NULL,
              "[{\"inside\": 7, \"samples\": 10},"
              " {\"inside\": 80, \"samples\": 100}]");
    cr_assert_float_eq(json_real_value(r), 3.2, 1e-12);
    json_decref(r);
    r = ok_op("count", NULL,
              "[{\"inside\": 7, \"samples\": 10},"
              " {\"inside\": 80, \"samples\": 100}]");
    assert_json(r, "2");
    json_decref(r);
}

Test(builtins, reducing_real_pi_runs_matches_one_big_run_in_samples) {
    json_t *a = ok_op("pi", "{\"samples\": 200000, \"seed\": 1}", NULL);
    json_t *b = ok_op("pi", "{\"samples\": 300000, \"seed\": 2}", NULL);
    json_t *in[2] = {a, b};
    json_t *r = NULL;
    char msg[128];
    cr_assert_eq(
        dr__builtin_run("sum", NULL, in, 2, &r, msg, sizeof(msg), NULL), 0);
    cr_assert_eq(json_integer_value(json_object_get(r, "samples")), 500000);
    cr_assert_eq(json_integer_value(json_object_get(r, "inside")),
                 json_integer_value(json_object_get(a, "inside")) +
                     json_integer_value(json_object_get(b, "inside")));
    double e = json_real_value(json_object_get(r, "estimate"));
    cr_assert(fabs(e - M_PI) < 0.02, "estimate %f", e);
    json_decref(r);
    json_decref(a);
    json_decref(b);
}

Test(builtins, reductions_reject_what_they_cannot_add) {
    cr_assert_str_eq(failing_op("sum", NULL, "[1, \"two\"]"),
                     "op 'sum': input 2 is a string; it reduces numbers, "
                     "arrays of numbers and pi results");
    cr_assert(strstr(failing_op("max", NULL, "[{\"a\": 1}]"),
                     "input 1 is an object (not a pi result)") != NULL);
    cr_assert(
        strstr(failing_op("sum", NULL, "[1, {\"inside\": 1, \"samples\": 2}]"),
               "cannot add pi results and plain numbers") != NULL);
    cr_assert(strstr(failing_op("count", NULL, "[true]"), "a boolean") != NULL);
}

/* An integer total beyond 64 bits is an error that gives the exact total,
 * never a rounded double (issue 9, item 7). */
Test(builtins, integer_sum_overflow_is_an_error_with_the_exact_total) {
    const char *msg = failing_op(
        "sum", NULL,
        "[9223372036854775807, 9223372036854775807, 4173596777529487673]");
    cr_assert(strstr(msg,
                     "op 'sum': the integers add up to "
                     "22620340851239039287, outside the 64-bit range") != NULL,
              "%s", msg);
    msg = failing_op("sum", NULL, "[-9223372036854775808, -1]");
    cr_assert(strstr(msg, "add up to -9223372036854775809") != NULL, "%s", msg);
}

Test(builtins, integer_sum_that_passes_64_bits_on_the_way_is_exact) {
    json_t *r =
        ok_op("sum", NULL, "[9223372036854775807, 1, -2, [3, -3], null]");
    assert_json(r, "9223372036854775806");
    json_decref(r);
}

Test(builtins, pi_results_with_too_many_samples_are_an_error) {
    const char *msg =
        failing_op("sum", NULL,
                   "[{\"inside\": 1, \"samples\": 4611686018427387904}, "
                   "{\"inside\": 1, \"samples\": 4611686018427387904}]");
    cr_assert(strstr(msg, "9223372036854775808 samples") != NULL, "%s", msg);
}

/* ------------------------------------------------------------------ spin */

Test(spin, calibration_is_positive) {
    dr__spin_calibrate();
    cr_assert_gt(dr__spin_iters_per_unit(), 0);
    /* Idempotent: a second call keeps the value. */
    uint64_t first = dr__spin_iters_per_unit();
    dr__spin_calibrate();
    cr_assert_eq(dr__spin_iters_per_unit(), first);
}

/* Criterion runs each test in its own process, so the environment set here
 * is seen by the first (and only) calibration of this process. */
Test(spin, environment_overrides_the_calibration, .timeout = 60) {
    setenv("DAGRUN_SPIN_ITERS", "3", 1);
    cr_assert_eq(dr__spin_iters_per_unit(), 3);
    /* A million units of 3 iterations: done at once, where the measured
     * calibration would take a quarter of an hour. */
    dr__spin(1e6, NULL);
}

Test(spin, a_bad_override_is_ignored) {
    setenv("DAGRUN_SPIN_ITERS", "lots", 1);
    cr_assert_gt(dr__spin_iters_per_unit(), 3);
}

static double thread_cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Spin burns CPU on the calling thread (some, not a given amount: no
 * timing threshold), returns for zero and negative amounts, and succeeds
 * as a builtin with a null result. */
Test(spin, does_its_work_and_returns, .timeout = 60) {
    dr__spin_calibrate();
    double before = thread_cpu_seconds();
    dr__spin(5, NULL);
    cr_expect_gt(thread_cpu_seconds(), before, "5 units burnt no CPU");
    dr__spin(0, NULL);
    dr__spin(-1, NULL);
    json_t *args = json_pack("{si}", "units", 2);
    json_t *r = NULL;
    char msg[64] = "";
    cr_assert_eq(
        dr__builtin_run("spin", args, NULL, 0, &r, msg, sizeof(msg), NULL), 0,
        "%s", msg);
    cr_expect(r == NULL || json_is_null(r));
    json_decref(r);
    json_decref(args);
}

Test(spin, stops_early_when_cancelled, .timeout = 60) {
    /* A week of spinning, cancelled before it starts. */
    atomic_int cancel = 1;
    dr__spin(6e8, &cancel);
    json_t *args = json_pack("{sf}", "units", 6e8);
    json_t *r = NULL;
    char msg[64];
    cr_assert_neq(
        dr__builtin_run("spin", args, NULL, 0, &r, msg, sizeof(msg), &cancel),
        0);
    cr_assert_str_eq(msg, "interrupted");
    json_decref(args);
}

static void *cancel_later(void *arg) {
    struct timespec ts = {0, 30 * 1000 * 1000};
    nanosleep(&ts, NULL);
    atomic_store((atomic_int *)arg, 1);
    return NULL;
}

Test(spin, a_cancel_during_the_work_stops_it, .timeout = 60) {
    atomic_int cancel = 0;
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, cancel_later, &cancel), 0);
    dr__spin(6e8, &cancel); /* returns only because of the cancel */
    pthread_join(th, NULL);
}

Test(builtins, sleep_stops_when_cancelled, .timeout = 60) {
    atomic_int cancel = 0;
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, cancel_later, &cancel), 0);
    json_t *args = json_pack("{sf}", "ms", 6e8); /* a week */
    json_t *r = NULL;
    char msg[64];
    cr_assert_neq(
        dr__builtin_run("sleep", args, NULL, 0, &r, msg, sizeof(msg), &cancel),
        0);
    cr_assert_str_eq(msg, "interrupted");
    pthread_join(th, NULL);
    json_decref(args);
}

/* --------------------------------------------------------------- plugins */

Test(plugin, loading_registers_its_ops) {
    dr_ops *ops = dr_ops_create();
    dr_error err;
    dr_error_clear(&err);
    int rc = dr_plugin_load(DR_EXAMPLE_PLUGIN, ops, &err);
    cr_assert_eq(rc, 0, "%s", err.text);
    dr_task_fn fib = NULL;
    cr_assert_eq(dr_ops_find(ops, "fib", &fib, NULL), 0);
    cr_assert_not_null(fib);
    cr_assert_eq(dr_ops_find(ops, "square", NULL, NULL), 0);
    cr_assert_eq(dr_ops_find(ops, "crash", NULL, NULL), 0);
    cr_assert_eq(dr_ops_count(ops), 3);
    dr_ops_destroy(ops);
}

Test(plugin, a_missing_file_names_the_path) {
    dr_ops *ops = dr_ops_create();
    dr_error err;
    dr_error_clear(&err);
    int rc = dr_plugin_load("/nonexistent/libnothing.so", ops, &err);
    cr_assert_eq(rc, DR_EDLOPEN);
    cr_assert_eq(err.code, DR_EDLOPEN);
    cr_assert(strstr(err.text, "/nonexistent/libnothing.so") != NULL, "%s",
              err.text);
    cr_assert(strstr(err.text, "cannot load plugin") != NULL, "%s", err.text);
    cr_assert_eq(dr_ops_count(ops), 0);
    dr_ops_destroy(ops);
}

Test(plugin, a_library_without_the_init_function_is_refused) {
    /* libdagrun.so is a shared library but not a plugin. */
    dr_ops *ops = dr_ops_create();
    dr_error err;
    dr_error_clear(&err);
    int rc = dr_plugin_load(DR_BUILD_DIR "/libdagrun.so", ops, &err);
    cr_assert_eq(rc, DR_EDLOPEN);
    cr_assert(strstr(err.text, "dagrun_plugin_init") != NULL, "%s", err.text);
    cr_assert(strstr(err.text, "libdagrun.so") != NULL, "%s", err.text);
    dr_ops_destroy(ops);
}

Test(plugin, bad_arguments_are_refused) {
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(dr_plugin_load(NULL, NULL, &err), DR_EINVAL);
    cr_assert_eq(dr_plugin_load(DR_EXAMPLE_PLUGIN, NULL, NULL), DR_EINVAL);
}

/* Runs the plugin example with n Fibonacci numbers for real, keeping
 * going past failures; `keep` results are kept. */
static dr_run *run_plugin_example(dr_ops *ops, dr_graph **gp, int n,
                                  const char *const *keep, size_t nkeep) {
    dr_error err;
    dr_error_clear(&err);
    cr_assert_eq(dr_plugin_load(DR_EXAMPLE_PLUGIN, ops, &err), 0, "%s",
                 err.text);
    char text[32];
    snprintf(text, sizeof(text), "n=%d", n);
    dr_param param;
    cr_assert_eq(dr_param_parse(text, &param, &err), 0, "%s", err.text);
    dr_load_options lo = {0};
    lo.params = &param;
    lo.nparams = 1;
    lo.ops = ops;
    dr_graph *g =
        dr_graph_load(DR_SOURCE_DIR "/examples/plugin/graph.json", &lo, &err);
    cr_assert_not_null(g, "%s", err.text);
    dr_run_options o;
    dr_run_options_init(&o);
    o.workers = 2;
    o.keep_going = 1;
    o.ops = ops;
    o.keep_results = keep;
    o.nkeep_results = nkeep;
    o.run_dir = NULL;
    dr_run *run = dr_run_graph(g, &o, &err);
    cr_assert_not_null(run, "%s", err.text);
    *gp = g;
    return run;
}

static const char *reason_of(dr_run *run, const char *task) {
    json_t *s = dr_run_summary_json(run);
    static char reason[512];
    reason[0] = '\0';
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(s, "failures"), i, f) {
        if (strcmp(json_string_value(json_object_get(f, "task")), task) == 0)
            snprintf(reason, sizeof(reason), "%s",
                     json_string_value(json_object_get(f, "reason")));
    }
    json_decref(s);
    return reason;
}

/* F47 squared fits 64 bits, F48 squared does not: square-48 fails naming the
 * value, the total is skipped, and F92 (the largest Fibonacci number a
 * json_int_t holds) is exact.  Under UBSan this also checks that the example
 * has no signed overflow left (fib used to compute F93 for n = 92). */
Test(plugin, example_ops_are_exact_or_fail_naming_the_overflow, .timeout = 60) {
    dr_ops *ops = dr_ops_create();
    dr_graph *g;
    const char *keep[] = {"fib-92", "square-47"};
    dr_run *run = run_plugin_example(ops, &g, 93, keep, 2);
    json_t *f92 = dr_run_task_result(run, dr_graph_find(g, "fib-92"));
    cr_assert(json_is_integer(f92));
    cr_expect_eq(json_integer_value(f92), 7540113804746346429LL);
    json_t *sq = dr_run_task_result(run, dr_graph_find(g, "square-47"));
    cr_assert(json_is_integer(sq));
    cr_expect_eq(json_integer_value(sq), 8828119010022395329LL);
    for (int i = 48; i < 93; i++) {
        char key[32];
        snprintf(key, sizeof(key), "square-%d", i);
        cr_expect_eq(dr_run_task_state(run, dr_graph_find(g, key)),
                     DR_STATE_FAILED, "%s", key);
    }
    cr_expect(strstr(reason_of(run, "square-48"),
                     "4807526976 squared does not fit a 64-bit integer") !=
                  NULL,
              "%s", reason_of(run, "square-48"));
    cr_expect_eq(dr_run_task_state(run, dr_graph_find(g, "total")),
                 DR_STATE_SKIPPED);
    dr_run_destroy(run);
    dr_graph_destroy(g);
    dr_ops_destroy(ops);
}

/* With n = 47 every square fits and so does their sum, F46 * F47; with
 * n = 48 the squares fit but the sum does not, and `sum` says so exactly. */
Test(plugin, example_total_is_exact_up_to_64_bits_then_an_error,
     .timeout = 60) {
    dr_ops *ops = dr_ops_create();
    dr_graph *g;
    dr_run *run = run_plugin_example(ops, &g, 47, NULL, 0);
    json_t *total = dr_run_task_result(run, dr_graph_find(g, "total"));
    cr_assert(json_is_integer(total));
    cr_expect_eq(json_integer_value(total), 5456077604922913919LL);
    dr_run_destroy(run);
    dr_graph_destroy(g);
    run = run_plugin_example(ops, &g, 48, NULL, 0);
    cr_expect_eq(dr_run_task_state(run, dr_graph_find(g, "total")),
                 DR_STATE_FAILED);
    cr_expect(strstr(reason_of(run, "total"),
                     "the integers add up to 14284196614945309248") != NULL,
              "%s", reason_of(run, "total"));
    dr_run_destroy(run);
    dr_graph_destroy(g);
    dr_ops_destroy(ops);
}

/* ----------------------------------------------------- printed results */

/* Results are printed with every digit they need to read back exactly:
 * 1/3 is 0.3333333333333333 (16 digits), not 0.3333333333 (10). */
Test(results, reals_are_printed_with_their_shortest_exact_digits,
     .timeout = 60) {
    char *dir = drt_tmpdir();
    char *g = drt_fmt("%s/mean.json", dir);
    cr_assert_eq(
        drt_write_file(g, "{\"tasks\": [{\"id\": \"zero\", \"op\": \"count\"}, "
                          "{\"id\": \"one\", \"op\": \"count\", \"deps\": "
                          "[\"zero\"]}, {\"id\": \"third\", \"op\": \"mean\", "
                          "\"deps\": [\"zero\", \"one\", \"z2\"]}, {\"id\": "
                          "\"z2\", \"op\": \"count\"}, {\"id\": \"half\", "
                          "\"op\": \"mean\", \"deps\": [\"zero\", \"one\"]}]}"),
        0);
    char *out = NULL;
    int rc = drt_cli(&out, NULL,
                     "run '%s' --no-outputs -q --output third "
                     "--output half",
                     g);
    cr_expect_eq(rc, 0);
    cr_expect_not_null(strstr(out, "third = 0.3333333333333333\n"), "%s", out);
    cr_expect_not_null(strstr(out, "half = 0.5\n"), "%s", out);
    free(out), free(g);
    drt_rmtree(dir);
    free(dir);
}

/* A command's result is the text it printed: every reduction refuses a
 * command among its inputs before anything runs (a sum of `echo 3` and
 * `echo 4` once printed 0 and exited 0), naming the file, the line and
 * column of the dependency, the task and the input. */
Test(builtins, reductions_refuse_command_outputs_before_running,
     .timeout = 60) {
    const char *ops[] = {"sum", "count", "mean", "min", "max"};
    char *dir = drt_tmpdir();
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        char *path = drt_fmt("%s/%s.json", dir, ops[i]);
        char *marker = drt_fmt("%s/ran-%s", dir, ops[i]);
        char *text =
            drt_fmt("{\"tasks\":[\n"
                    " {\"id\":\"a\",\"shell\":\"echo 3 > '%s'\"},\n"
                    " {\"id\":\"n\",\"op\":\"noop\"},\n"
                    " {\"id\":\"s\",\"op\":\"%s\",\"deps\":[\"n\", \"a\"]}]}\n",
                    marker, ops[i]);
        cr_assert_eq(drt_write_file(path, text), 0);
        char *out = NULL, *err = NULL;
        int rc =
            drt_cli(&out, &err, "run '%s' --no-outputs -q --output s", path);
        cr_expect_eq(rc, 2, "%s: exit %d, out %s, err %s", ops[i], rc, out,
                     err);
        /* Column: the "a" in the deps list. */
        char *want = drt_fmt("%s:4:%zu: task 's': %s: input 'a' is a "
                             "command's output (text), not a number",
                             path, 33 + strlen(ops[i]), ops[i]);
        cr_expect(strstr(err, want) != NULL, "%s", err);
        cr_expect(strstr(out, "s = ") == NULL, "%s", out);
        cr_expect_eq(access(marker, F_OK), -1, "%s: the command ran", ops[i]);
        free(out);
        free(err);
        free(want);
        /* dagrun validate says the same. */
        rc = drt_cli(NULL, &err, "validate '%s'", path);
        cr_expect_neq(rc, 0);
        cr_expect(strstr(err, "is a command's output (text)") != NULL, "%s",
                  err);
        free(err);
        free(text);
        free(marker);
        free(path);
    }
    drt_rmtree(dir);
    free(dir);
}
