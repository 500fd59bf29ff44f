/*
 * The builtin operations, run on a worker thread, and plugin loading.
 *
 * Each builtin is a plain function of (args, inputs) with no shared state,
 * so workers call them without locks.  The one exception is the spin
 * calibration: how many iterations of the spin kernel make one "unit" of
 * about a millisecond on one core.  It is measured once, before the workers
 * start (dr__spin_calibrate), and read-only afterwards.  Spin is fixed work,
 * never fixed time: when more spinning tasks run than there are cores, each
 * takes longer, which is exactly what oversubscription experiments must show.
 * The calibration therefore measures thread CPU time, not wall time, and
 * keeps the best of a few trials, so that a busy machine does not make the
 * unit smaller (a preempted trial only looks slower, never faster).
 *
 * Long ops (sleep, spin, compute, pi, array) poll the caller's cancel flag:
 * sleep every 50 ms at most, the others every few thousand iterations,
 * so an interrupt
 * stops a run within milliseconds.
 *
 * Reductions (sum, mean, min, max, count) take the dependencies' results:
 * numbers as they are, arrays flattened, nulls (a noop dependency) skipped,
 * and pi results ({"inside", "samples", ...}) combined as the samples they
 * stand for: the sum of pi results is one pi result over all samples.
 */
#include "builtins.h"
#include "dagrun/run.h"
#include "graph_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uv.h>

/* ------------------------------------------------------------- messages */

static int fail_msg(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail_msg(char *errbuf, size_t errlen, const char *fmt, ...) {
    if (errbuf != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errbuf, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int cancelled(const atomic_int *cancel) {
    return cancel != NULL &&
           atomic_load_explicit(cancel, memory_order_relaxed) != 0;
}

/* Reads a non-negative number argument; returns 0 or -1 when missing. */
static int arg_number(const json_t *args, const char *name, double *out) {
    json_t *v = json_is_object(args) ? json_object_get(args, name) : NULL;
    if (!json_is_number(v))
        return -1;
    *out = json_number_value(v);
    return 0;
}

/* ----------------------------------------------------------------- sleep */

static double now_seconds(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Sleeps in slices of at most 50 ms so that a cancel is noticed quickly;
 * the deadline is absolute so the slices do not add up drift. */
static int op_sleep(const json_t *args, char *errbuf, size_t errlen,
                    const atomic_int *cancel) {
    double ms;
    if (arg_number(args, "ms", &ms) != 0 || !(ms >= 0))
        return fail_msg(errbuf, errlen,
                        "op 'sleep' needs a non-negative number 'ms'");
    double deadline = now_seconds(CLOCK_MONOTONIC) + ms / 1000.0;
    for (;;) {
        if (cancelled(cancel))
            return fail_msg(errbuf, errlen, "interrupted");
        double left = deadline - now_seconds(CLOCK_MONOTONIC);
        if (left <= 0)
            return 0;
        if (left > 0.05)
            left = 0.05;
        struct timespec ts;
        ts.tv_sec = (time_t)left;
        ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
        /* EINTR only shortens a slice; the loop re-checks the deadline. */
        nanosleep(&ts, NULL);
    }
}

/* ------------------------------------------------------------------ spin */

/* Iterations of the kernel per spin unit; 0 until calibrated.  Written once
 * under spin_once, read by any thread afterwards. */
static uint64_t spin_iters_per_unit;
static uv_once_t spin_once = UV_ONCE_INIT;

/* The result of every kernel call is stored here so the compiler must do
 * the work.  Atomic (relaxed) because several workers store into it at
 * once; nobody reads it, so no ordering is needed. */
static _Atomic uint64_t spin_sink;

/* A xorshift step mixed with a floating multiply-add: a dependency chain
 * the compiler can neither vectorise nor compute in closed form. */
static uint64_t spin_kernel(uint64_t x, uint64_t n) {
    double f = 1.0;
    for (uint64_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        f = f * 0.999999 + (double)(x & 0xff) * 1e-9;
    }
    return x ^ (uint64_t)f;
}

/* The kernel runs in batches of this many iterations between cancel
 * checks (tens of microseconds). */
#define SPIN_BATCH 4096

static void spin_measure(void) {
    const char *env = getenv("DAGRUN_SPIN_ITERS");
    if (env != NULL && *env != '\0') {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(env, &end, 10);
        if (errno == 0 && *end == '\0' && v > 0) {
            spin_iters_per_unit = v;
            return;
        }
        fprintf(stderr,
                "dagrun: ignoring DAGRUN_SPIN_ITERS='%s' (not a positive "
                "integer)\n",
                env);
    }
    /* Three trials of about 20 ms of CPU time each; the best rate wins. */
    double best = 0;
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int trial = 0; trial < 3; trial++) {
        double t0 = now_seconds(CLOCK_THREAD_CPUTIME_ID);
        double t1 = t0;
        uint64_t iters = 0;
        while (t1 - t0 < 0.020) {
            x = spin_kernel(x, SPIN_BATCH * 4);
            iters += SPIN_BATCH * 4;
            t1 = now_seconds(CLOCK_THREAD_CPUTIME_ID);
        }
        double per_ms = (double)iters / ((t1 - t0) * 1000.0);
        if (per_ms > best)
            best = per_ms;
    }
    atomic_store_explicit(&spin_sink, x, memory_order_relaxed);
    spin_iters_per_unit = best >= 1 ? (uint64_t)best : 1;
}

void dr__spin_calibrate(void) { uv_once(&spin_once, spin_measure); }

/* Not in builtins.h yet: the calibrated iterations per unit (tests, and the
 * summary could report it). */
uint64_t dr__spin_iters_per_unit(void);
uint64_t dr__spin_iters_per_unit(void) {
    dr__spin_calibrate();
    return spin_iters_per_unit;
}

/* Returns 0 when all the work was done, -1 when cancelled. */
static int spin_units(double units, const atomic_int *cancel) {
    dr__spin_calibrate();
    if (!(units > 0))
        return 0;
    double total = units * (double)spin_iters_per_unit;
    uint64_t left = total >= 1.8e19 ? UINT64_MAX : (uint64_t)(total + 0.5);
    uint64_t x = 0x2545f4914f6cdd1dull ^ left;
    while (left > 0) {
        if (cancelled(cancel))
            return -1;
        uint64_t n = left < SPIN_BATCH ? left : SPIN_BATCH;
        x = spin_kernel(x, n);
        left -= n;
    }
    atomic_store_explicit(&spin_sink, x, memory_order_relaxed);
    return 0;
}

void dr__spin(double units, const atomic_int *cancel) {
    (void)spin_units(units, cancel);
}

static int op_spin(const json_t *args, char *errbuf, size_t errlen,
                   const atomic_int *cancel) {
    double units;
    if (arg_number(args, "units", &units) != 0 || !(units >= 0))
        return fail_msg(errbuf, errlen,
                        "op 'spin' needs a non-negative number 'units'");
    if (spin_units(units, cancel) != 0)
        return fail_msg(errbuf, errlen, "interrupted");
    return 0;
}

/* --------------------------------------------------------------- compute */

/*
 * {"iterations": N}: N iterations of the spin kernel, uncalibrated: the
 * body of Task Bench graphs (`dagrun gen taskbench`), whose grain is a
 * count of iterations, as Task Bench's compute-bound kernel's is, so the
 * same graph is the same work on every machine and under every runtime
 * (bench/metg.c's OpenMP peer runs the same loop).  One iteration is a
 * few nanoseconds; the spin calibration (DAGRUN_SPIN_ITERS) does not
 * apply.  The kernel's result is checked, not just stored: xorshift never
 * maps a non-zero state to zero, so a zero means the loop was broken, and
 * the test makes the loop's result observable, so the compiler cannot drop
 * it.
 */
static int op_compute(const json_t *args, char *errbuf, size_t errlen,
                      const atomic_int *cancel) {
    json_t *v =
        json_is_object(args) ? json_object_get(args, "iterations") : NULL;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return fail_msg(errbuf, errlen,
                        "op 'compute' needs a non-negative integer "
                        "'iterations'");
    uint64_t left = (uint64_t)json_integer_value(v);
    uint64_t x = 0x2545f4914f6cdd1dull ^ left;
    if (x == 0)
        x = 1;
    while (left > 0) {
        if (cancelled(cancel))
            return fail_msg(errbuf, errlen, "interrupted");
        uint64_t n = left < SPIN_BATCH ? left : SPIN_BATCH;
        x = spin_kernel(x, n);
        left -= n;
    }
    if (x == 0)
        return fail_msg(errbuf, errlen,
                        "op 'compute': the kernel's state became 0 (broken "
                        "build?)");
    atomic_store_explicit(&spin_sink, x, memory_order_relaxed);
    return 0;
}

/* -------------------------------------------------------------------- pi */

/* splitmix64 turns the user's seed into xoshiro256** state, as the
 * xoshiro authors recommend; consecutive seeds give unrelated streams. */
static uint64_t splitmix64(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t xoshiro(uint64_t s[4]) {
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* A uniform double in [0, 1) from the top 53 bits. */
static double unit_double(uint64_t s[4]) {
    return (double)(xoshiro(s) >> 11) * 0x1.0p-53;
}

static json_t *pi_result(json_int_t inside, json_int_t samples) {
    json_t *r = json_object();
    if (r == NULL)
        return NULL;
    json_object_set_new(r, "inside", json_integer(inside));
    json_object_set_new(r, "samples", json_integer(samples));
    json_object_set_new(r, "estimate",
                        json_real(4.0 * (double)inside / (double)samples));
    return r;
}

static int op_pi(const json_t *args, json_t **result, char *errbuf,
                 size_t errlen, const atomic_int *cancel) {
    json_t *js = json_is_object(args) ? json_object_get(args, "samples") : NULL;
    json_t *jseed = json_is_object(args) ? json_object_get(args, "seed") : NULL;
    if (!json_is_integer(js) || json_integer_value(js) < 1)
        return fail_msg(errbuf, errlen,
                        "op 'pi' needs a positive integer 'samples'");
    if (jseed != NULL && !json_is_integer(jseed))
        return fail_msg(errbuf, errlen, "op 'pi': 'seed' must be an integer");
    json_int_t samples = json_integer_value(js);
    uint64_t seed = jseed ? (uint64_t)json_integer_value(jseed) : 0;
    uint64_t s[4];
    for (int i = 0; i < 4; i++)
        s[i] = splitmix64(&seed);
    json_int_t inside = 0;
    for (json_int_t done = 0; done < samples;) {
        if (cancelled(cancel))
            return fail_msg(errbuf, errlen, "interrupted");
        json_int_t batch = samples - done < 65536 ? samples - done : 65536;
        for (json_int_t i = 0; i < batch; i++) {
            double x = unit_double(s), y = unit_double(s);
            inside += x * x + y * y < 1.0;
        }
        done += batch;
    }
    *result = pi_result(inside, samples);
    return *result ? 0 : fail_msg(errbuf, errlen, "out of memory");
}

/* ----------------------------------------------------------------- array */

/* How many items `array` appends between two looks at the cancel flag: a
 * few hundred microseconds of work. */
#define ARRAY_CANCEL_BATCH 65536

/* {"n": N} -> [0, 1, ..., N-1]: a large result made cheaply, to show what
 * moving results between tasks costs (docs/lab.md, step 8). */
static int op_array(const json_t *args, json_t **result, char *errbuf,
                    size_t errlen, const atomic_int *cancel) {
    json_t *jn = json_is_object(args) ? json_object_get(args, "n") : NULL;
    if (!json_is_integer(jn) || json_integer_value(jn) < 0)
        return fail_msg(errbuf, errlen,
                        "op 'array' needs a non-negative integer 'n'");
    json_int_t n = json_integer_value(jn);
    if (n > DR__ARRAY_MAX)
        return fail_msg(errbuf, errlen,
                        "op 'array': 'n' is %lld, more than the %d numbers "
                        "an array may hold",
                        (long long)n, DR__ARRAY_MAX);
    json_t *a = json_array();
    if (a == NULL)
        return fail_msg(errbuf, errlen, "op 'array': out of memory");
    for (json_int_t i = 0; i < n; i++) {
        if (i % ARRAY_CANCEL_BATCH == 0 && cancelled(cancel)) {
            json_decref(a);
            return fail_msg(errbuf, errlen, "interrupted");
        }
        if (json_array_append_new(a, json_integer(i)) != 0) {
            json_decref(a);
            return fail_msg(errbuf, errlen,
                            "op 'array': out of memory after %lld of %lld "
                            "numbers",
                            (long long)i, (long long)n);
        }
    }
    *result = a;
    return 0;
}

/* ------------------------------------------------------------ reductions */

enum reduce_kind { R_SUM, R_MEAN, R_MIN, R_MAX, R_COUNT };

/* Integer sums are kept exactly in 128 bits: 2^64 inputs of 64 bits each
 * cannot overflow it, so the only question is whether the total fits a JSON
 * integer (json_int_t, 64 bits) at the end.  A total that does not is an
 * error with the exact value, never a rounded double. */
__extension__ typedef __int128 wide_int;
_Static_assert(sizeof(json_int_t) == sizeof(int64_t), "64-bit json_int_t");

/* "-170141183460469231731687303715884105728": at most 40 digits and a
 * sign. */
static const char *wide_text(char *buf, size_t len, wide_int v) {
    char digits[48];
    size_t n = 0;
    __extension__ unsigned __int128 u =
        v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
    do {
        digits[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u != 0 && n < sizeof(digits));
    size_t k = 0;
    if (v < 0 && k + 1 < len)
        buf[k++] = '-';
    while (n > 0 && k + 1 < len)
        buf[k++] = digits[--n];
    buf[k] = '\0';
    return buf;
}

static int fits_json_int(wide_int v) {
    return v >= (wide_int)INT64_MIN && v <= (wide_int)INT64_MAX;
}

typedef struct reduce_state {
    enum reduce_kind kind;
    const char *name;
    size_t count;  /* values seen (a pi result is one value) */
    size_t npi;    /* of which pi results */
    size_t nnum;   /* of which plain numbers */
    int all_int;   /* every number so far is an integer */
    wide_int isum; /* exact sum of the integers */
    double dsum;   /* plain numbers, and pi estimates for mean/min/max */
    wide_int pi_inside, pi_samples;
    const json_t *best; /* min/max: the value chosen so far (borrowed) */
    double best_value;
} reduce_state;

/* A pi result: an object with integer "inside" and positive "samples". */
static int is_pi(const json_t *v) {
    json_t *in = json_object_get(v, "inside");
    json_t *n = json_object_get(v, "samples");
    return json_is_integer(in) && json_is_integer(n) &&
           json_integer_value(n) > 0;
}

static void reduce_number(reduce_state *st, const json_t *v, double x) {
    if (st->kind == R_MIN || st->kind == R_MAX) {
        if (st->best == NULL ||
            (st->kind == R_MIN ? x < st->best_value : x > st->best_value)) {
            st->best = v;
            st->best_value = x;
        }
    }
    st->dsum += x;
}

static int reduce_value(reduce_state *st, const json_t *v, size_t input,
                        char *errbuf, size_t errlen) {
    if (v == NULL || json_is_null(v))
        return 0; /* a dependency with no result (noop) adds nothing */
    if (json_is_array(v)) {
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item) {
            if (reduce_value(st, item, input, errbuf, errlen) != 0)
                return -1;
        }
        return 0;
    }
    if (json_is_number(v)) {
        st->count++;
        st->nnum++;
        if (json_is_integer(v)) {
            st->isum += json_integer_value(v);
        } else {
            st->all_int = 0;
        }
        reduce_number(st, v, json_number_value(v));
        return 0;
    }
    if (json_is_object(v) && is_pi(v)) {
        json_int_t in = json_integer_value(json_object_get(v, "inside"));
        json_int_t n = json_integer_value(json_object_get(v, "samples"));
        st->count++;
        st->npi++;
        st->pi_inside += in;
        st->pi_samples += n;
        reduce_number(st, v, 4.0 * (double)in / (double)n);
        return 0;
    }
    const char *what = json_is_object(v)   ? "an object (not a pi result)"
                       : json_is_string(v) ? "a string"
                                           : "a boolean";
    return fail_msg(errbuf, errlen,
                    "op '%s': input %zu is %s; it reduces numbers, arrays of "
                    "numbers and pi results",
                    st->name, input + 1, what);
}

static json_t *real_or_null(double x) {
    return isfinite(x) ? json_real(x) : NULL;
}

static int op_reduce(enum reduce_kind kind, const char *name,
                     json_t *const *inputs, size_t ninputs, json_t **result,
                     char *errbuf, size_t errlen) {
    reduce_state st = {.kind = kind, .name = name, .all_int = 1};
    for (size_t i = 0; i < ninputs; i++)
        if (reduce_value(&st, inputs[i], i, errbuf, errlen) != 0)
            return -1;
    json_t *r = NULL;
    switch (kind) {
    case R_COUNT:
        r = json_integer((json_int_t)st.count);
        break;
    case R_SUM:
        if (st.npi > 0 && st.nnum > 0)
            return fail_msg(errbuf, errlen,
                            "op 'sum': cannot add pi results and plain "
                            "numbers together");
        if (st.npi > 0) {
            if (!fits_json_int(st.pi_inside) || !fits_json_int(st.pi_samples))
                return fail_msg(errbuf, errlen,
                                "op 'sum': the pi results hold %s samples in "
                                "all, more than a 64-bit integer counts",
                                wide_text((char[48]){0}, 48, st.pi_samples));
            r = pi_result((json_int_t)st.pi_inside, (json_int_t)st.pi_samples);
        } else if (st.all_int && st.nnum > 0 && !fits_json_int(st.isum)) {
            return fail_msg(errbuf, errlen,
                            "op 'sum': the integers add up to %s, outside "
                            "the 64-bit range of a JSON integer (%" PRId64
                            " to %" PRId64 ")",
                            wide_text((char[48]){0}, 48, st.isum), INT64_MIN,
                            INT64_MAX);
        } else if (st.all_int) {
            r = json_integer((json_int_t)st.isum);
        } else {
            r = real_or_null(st.dsum);
        }
        break;
    case R_MEAN:
        if (st.count == 0)
            return fail_msg(errbuf, errlen, "op 'mean': no values");
        /* Pi results alone: the estimate over all their samples, which is
         * the samples-weighted mean of their estimates. */
        if (st.npi == st.count)
            r = real_or_null(4.0 * (double)st.pi_inside /
                             (double)st.pi_samples);
        else if (st.all_int && st.npi == 0)
            r = real_or_null((double)st.isum / (double)st.count);
        else
            r = real_or_null(st.dsum / (double)st.count);
        break;
    case R_MIN:
    case R_MAX:
        if (st.count == 0)
            return fail_msg(errbuf, errlen, "op '%s': no values", name);
        r = json_is_number(st.best) ? json_deep_copy(st.best)
                                    : real_or_null(st.best_value);
        break;
    }
    if (r == NULL)
        return fail_msg(errbuf, errlen,
                        "op '%s': the result is not a finite number", name);
    *result = r;
    return 0;
}

/* ------------------------------------------------------------- dispatch */

int dr__builtin_run(const char *name, const json_t *args, json_t *const *inputs,
                    size_t ninputs, json_t **result, char *errbuf,
                    size_t errlen, const atomic_int *cancel) {
    *result = NULL;
    if (name == NULL)
        name = "";
    /* noop first: it is what the overhead benchmark measures. */
    if (strcmp(name, "noop") == 0) {
        *result = json_null();
        return 0;
    }
    int rc;
    if (strcmp(name, "sleep") == 0) {
        rc = op_sleep(args, errbuf, errlen, cancel);
    } else if (strcmp(name, "spin") == 0) {
        rc = op_spin(args, errbuf, errlen, cancel);
    } else if (strcmp(name, "compute") == 0) {
        rc = op_compute(args, errbuf, errlen, cancel);
    } else if (strcmp(name, "pi") == 0) {
        return op_pi(args, result, errbuf, errlen, cancel);
    } else if (strcmp(name, "array") == 0) {
        return op_array(args, result, errbuf, errlen, cancel);
    } else if (strcmp(name, "sum") == 0) {
        return op_reduce(R_SUM, name, inputs, ninputs, result, errbuf, errlen);
    } else if (strcmp(name, "mean") == 0) {
        return op_reduce(R_MEAN, name, inputs, ninputs, result, errbuf, errlen);
    } else if (strcmp(name, "min") == 0) {
        return op_reduce(R_MIN, name, inputs, ninputs, result, errbuf, errlen);
    } else if (strcmp(name, "max") == 0) {
        return op_reduce(R_MAX, name, inputs, ninputs, result, errbuf, errlen);
    } else if (strcmp(name, "count") == 0) {
        return op_reduce(R_COUNT, name, inputs, ninputs, result, errbuf,
                         errlen);
    } else if (strcmp(name, "fail") == 0) {
        json_t *m =
            json_is_object(args) ? json_object_get(args, "message") : NULL;
        return fail_msg(errbuf, errlen, "%s",
                        json_is_string(m) ? json_string_value(m)
                                          : "task failed (op 'fail')");
    } else {
        return fail_msg(errbuf, errlen, "unknown op '%s'", name);
    }
    if (rc != 0)
        return rc;
    *result = json_null();
    return 0;
}

/* --------------------------------------------------------------- CPU use */

/* Which tasks compete for cores when they run: the ops that compute on the
 * worker thread for as long as they run.  The reductions compute too, but
 * for microseconds; counting them would call a graph of sleeps with one sum
 * CPU-bound. */
int dr_task_uses_cpu(const dr_graph *g, dr_task t, dr_cost_op op) {
    if (g == NULL || t >= dr_graph_ntasks(g))
        return 0;
    const char *name = dr_task_op_name(g, t);
    switch (dr_task_op_kind(g, t)) {
    case DR_OP_NONE:
        return op == DR_COST_OP_SPIN;
    case DR_OP_BUILTIN:
        return name != NULL &&
               (strcmp(name, "spin") == 0 || strcmp(name, "compute") == 0 ||
                strcmp(name, "pi") == 0);
    case DR_OP_FUNCTION:
        return 1;
    default:
        return 0; /* commands: other processes */
    }
}

size_t dr_graph_cpu_tasks(const dr_graph *g, dr_cost_op op) {
    size_t n = g != NULL ? dr_graph_ntasks(g) : 0, count = 0;
    /* Builtin op names are interned: one compare per distinct name run. */
    const char *last_name = NULL;
    int last_uses = 0;
    for (size_t t = 0; t < n; t++) {
        if (dr_task_op_kind(g, (dr_task)t) != DR_OP_BUILTIN) {
            count += (size_t)dr_task_uses_cpu(g, (dr_task)t, op);
            continue;
        }
        const char *name = dr_task_op_name(g, (dr_task)t);
        if (name == NULL || name != last_name) {
            last_name = name;
            last_uses = dr_task_uses_cpu(g, (dr_task)t, op);
        }
        count += (size_t)last_uses;
    }
    return count;
}

/* --------------------------------------------------------------- plugins */

typedef int (*plugin_init_fn)(dr_ops *ops);

/*
 * The library stays loaded for the life of the process: the ops it
 * registered point into it, and nothing tells us when the last table that
 * holds them is gone.  The uv_lib_t can live on the stack because on
 * success it holds only the dlopen handle (libc keeps the library itself).
 */
int dr_plugin_load(const char *path, dr_ops *ops, dr_error *err) {
    if (path == NULL || ops == NULL) {
        dr__error_set(err, DR_EINVAL, path, 0, 0, NULL,
                      "no plugin path or op table");
        return DR_EINVAL;
    }
    uv_lib_t lib;
    if (uv_dlopen(path, &lib) != 0) {
        dr__error_set(err, DR_EDLOPEN, path, 0, 0, NULL,
                      "cannot load plugin: %s", uv_dlerror(&lib));
        uv_dlclose(&lib);
        return DR_EDLOPEN;
    }
    void *sym = NULL;
    if (uv_dlsym(&lib, "dagrun_plugin_init", &sym) != 0 || sym == NULL) {
        dr__error_set(err, DR_EDLOPEN, path, 0, 0, NULL,
                      "not a dagrun plugin (no dagrun_plugin_init): %s",
                      uv_dlerror(&lib));
        uv_dlclose(&lib);
        return DR_EDLOPEN;
    }
    plugin_init_fn init;
    memcpy(&init, &sym, sizeof(init)); /* object to function pointer */
    int rc = init(ops);
    if (rc != 0) {
        /* Some ops may be registered already and point into the library,
         * so it stays loaded. */
        dr__error_set(err, DR_EDLOPEN, path, 0, 0, NULL,
                      "dagrun_plugin_init failed (returned %d%s%s)", rc,
                      rc < 0 ? ": " : "", rc < 0 ? dr_strerror(rc) : "");
        return DR_EDLOPEN;
    }
    return 0;
}
