/*
 * Synthetic graphs: chain, fork-join, map-reduce, tree reduction, 2-D
 * stencil, random layered DAG, tiled Cholesky and Task Bench's graphs.
 *
 * Design: each shape is a row of one table (its name, its parameters with
 * defaults and lower bounds, a function that predicts its size and one that
 * builds it), so parameter checking, the size cap and the help text are
 * written once.  The size is predicted from the parameters before anything is
 * allocated, which is how `--set n=1000000000` fails at once with a clear
 * message instead of after eating the machine's memory.
 *
 * Costs are counted in "units" and every shape takes a `unit` parameter, the
 * milliseconds one unit lasts (default 1000, so costs read as seconds).  That
 * keeps the textbook numbers exact (a tiled Cholesky's span is 9t-10 units
 * from t = 2; its single task at t = 1 spans 1)
 * while `--set unit=10 --op sleep` turns the same graph into a quick real run.
 *
 * Keys follow Dask's "prefix-index" style (map-3, cell-2-5, gemm-3-2-1) so a
 * visualiser can group tasks by prefix.  The only randomness (the layered
 * shape) comes from splitmix64 seeded by the caller, so a seed always gives
 * the same graph on every platform.
 */
#include "generate_internal.h"
#include "graph_internal.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Generators obey the limits on graphs (graph/limits.c): tasks,
 * dependencies and the bytes of the saved JSON, so that whatever `gen`
 * makes, dagrun can load. */
#define GEN_MAX_PARAMS 8

typedef struct gen_param {
    const char *name;
    int64_t def;
    int64_t min;
    int in_name; /* always part of the graph name, not only when changed */
    /* A parameter that names one of these words (NULL-terminated): its
     * value is the word's index, `--set pattern=fft` in the CLI
     * (dr_generator_choice), and the graph name shows the word. */
    const char *const *choices;
} gen_param;

typedef struct gen gen;

typedef struct gen_shape {
    const char *name;
    const char *title;                /* for the graph description */
    gen_param params[GEN_MAX_PARAMS]; /* ends at the first NULL name */
    /* Predicted task and edge counts, and a lower bound on the bytes of
     * the saved JSON, as doubles so nothing overflows. */
    void (*size)(const int64_t *v, double *tasks, double *edges, double *bytes);
    int (*build)(gen *c, const int64_t *v);
} gen_shape;

/* Everything a builder needs: the graph, how tasks run and where errors go. */
struct gen {
    dr_graph *g;
    const gen_shape *shape;
    const char *op;  /* builtin name */
    double unit;     /* seconds per cost unit */
    json_t *args;    /* the op arguments of the last task, shared while the */
    double args_for; /* cost stays the same (args_for is that cost) */
    int64_t iterations; /* the `compute` op's argument (taskbench) */
    /* From op, once: the argument sleep ("ms") or spin ("units") takes,
     * or NULL; whether op is compute; whether its tasks need arguments. */
    const char *amount;
    int compute, needs_args;
    uint64_t rng;
    dr_error *err;
};

/* --------------------------------------------------------------- helpers */

/* splitmix64 (Steele, Lea, Flood 2014): tiny, fast and fully determined by
 * the seed, which is all a generator needs. */
static uint64_t rng_next(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A uniform integer in [0, n) without modulo bias; n > 0. */
static uint64_t rng_below(uint64_t *state, uint64_t n) {
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t r;
    do {
        r = rng_next(state);
    } while (r >= limit);
    return r % n;
}

static int fail_rc(gen *c, int rc, const char *what) {
    dr__error_set(c->err, rc, NULL, 0, 0, NULL, "%s: %s", what,
                  dr_strerror(rc));
    return rc;
}

/* The op arguments for a task of `cost` seconds, or NULL for ops that take
 * none.  Consecutive tasks of equal cost share one object. */
static json_t *op_args(gen *c, double cost) {
    const char *amount = c->amount;
    if (c->compute) {
        /* Every task of a Task Bench graph does the same iterations. */
        if (c->args == NULL)
            c->args =
                json_pack("{sI}", "iterations", (json_int_t)c->iterations);
        return c->args;
    }
    if (amount == NULL)
        return NULL;
    if (c->args != NULL && c->args_for == cost)
        return c->args;
    json_decref(c->args);
    double ms = cost * 1000.0;
    json_t *value = ms == floor(ms) && ms < 9e15 ? json_integer((json_int_t)ms)
                                                 : json_real(ms);
    c->args = json_object();
    c->args_for = cost;
    if (c->args == NULL || value == NULL ||
        json_object_set_new(c->args, amount, value) != 0) {
        json_decref(c->args);
        c->args = NULL;
        return NULL;
    }
    return c->args;
}

/* Adds a task named by the printf-style key, costing `cost` seconds. */
static int add(gen *c, dr_task *out, double cost, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int add_key(gen *c, dr_task *out, double cost, const char *key);

static int add(gen *c, dr_task *out, double cost, const char *fmt, ...) {
    char key[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(key, sizeof(key), fmt, ap);
    va_end(ap);
    return add_key(c, out, cost, key);
}

/* add() with the key written already. */
static int add_key(gen *c, dr_task *out, double cost, const char *key) {
    dr_task t;
    /* Builders make each key once: no look-up per task; the index is
     * built at once at the end (dr__graph_index_build). */
    int rc = dr__graph_add_task_fresh(c->g, key, &t);
    if (rc != 0)
        return fail_rc(c, rc, key);
    json_t *args = op_args(c, cost);
    if (args == NULL && c->needs_args)
        return fail_rc(c, DR_ENOMEM, key);
    if ((rc = dr_task_set_builtin(c->g, t, c->op, args)) != 0 ||
        (rc = dr_task_set_cost(c->g, t, cost)) != 0)
        return fail_rc(c, rc, key);
    if (out != NULL)
        *out = t;
    return 0;
}

static int dep(gen *c, dr_task task, dr_task on) {
    int rc = dr_graph_add_dep(c->g, task, on);
    return rc != 0 ? fail_rc(c, rc, dr_task_key(c->g, task)) : 0;
}

/* Adds a dependency on the task with the printf-style key. */
static int dep_key(gen *c, dr_task task, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int dep_key(gen *c, dr_task task, const char *fmt, ...) {
    char key[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(key, sizeof(key), fmt, ap);
    va_end(ap);
    dr_task dup = DR_TASK_NONE;
    int rc = dr__graph_index_build(c->g, &dup);
    if (rc != 0) /* a key made twice: a bug in a builder */
        return fail_rc(
            c, rc, dup != DR_TASK_NONE ? dr_task_key(c->g, dup) : "key index");
    dr_task on = dr_graph_find(c->g, key);
    if (on == DR_TASK_NONE)
        return fail_rc(c, DR_ENOENT, key); /* a bug in a builder */
    return dep(c, task, on);
}

/* -------------------------------------------------------------- sizes */

/*
 * Lower bounds on the saved JSON, so that a graph too big to save is refused
 * before it is built.  Every task takes at least TASK_BYTES besides its key
 * ({"id":"","op":"noop","cost":1} on one line), every dependency its
 * target's key and 3 bytes ("",); keys are counted with their digits.
 */
#define TASK_BYTES 30.0

/* Decimal digits written for 0, 1, ..., n-1. */
static double digits_below(double n) {
    double total = 0, lo = 0, hi = 10;
    for (int d = 1; lo < n; d++, lo = hi, hi *= 10)
        total += ((n < hi ? n : hi) - lo) * d;
    return total;
}

/* Bytes of the keys "<prefix>0" .. "<prefix>(n-1)", prefix of len bytes. */
static double keys_bytes(double len, double n) {
    return n > 0 ? n * len + digits_below(n) : 0;
}

/* ------------------------------------------------------------------ chain */

static void chain_size(const int64_t *v, double *tasks, double *edges,
                       double *bytes) {
    double n = (double)v[0];
    *tasks = n;
    *edges = n - 1;
    *bytes =
        TASK_BYTES * n + keys_bytes(6, n) + keys_bytes(6, n - 1) + 3 * (n - 1);
}

static int chain_build(gen *c, const int64_t *v) {
    dr_task prev = DR_TASK_NONE, t;
    for (int64_t i = 0; i < v[0]; i++) {
        if (add(c, &t, (double)v[1] * c->unit, "chain-%" PRId64, i) != 0 ||
            (prev != DR_TASK_NONE && dep(c, t, prev) != 0))
            return -1;
        prev = t;
    }
    return 0;
}

/* -------------------------------------------------------------- fork-join */

static void forkjoin_size(const int64_t *v, double *tasks, double *edges,
                          double *bytes) {
    double n = (double)v[0], stages = (double)v[1];
    *tasks = stages * (n + 2);
    *edges = stages * 2 * n + (stages - 1);
    /* work-s-i keys twice (as tasks, as the join's dependencies), and each
     * work task's dependency on fork-s. */
    *bytes = stages * (TASK_BYTES * (n + 2) + 2 * keys_bytes(7, n) + 12 * n);
}

/* Each stage is fork-s -> work-s-i (n of them) -> join-s; stage s+1 forks
 * once stage s has joined. */
static int forkjoin_build(gen *c, const int64_t *v) {
    int64_t n = v[0], stages = v[1];
    double cost = (double)v[2] * c->unit;
    dr_task join = DR_TASK_NONE;
    for (int64_t s = 0; s < stages; s++) {
        dr_task fork, work, next;
        if (add(c, &fork, cost, "fork-%" PRId64, s) != 0 ||
            (join != DR_TASK_NONE && dep(c, fork, join) != 0))
            return -1;
        dr_task first = DR_TASK_NONE;
        for (int64_t i = 0; i < n; i++) {
            if (add(c, &work, cost, "work-%" PRId64 "-%" PRId64, s, i) != 0 ||
                dep(c, work, fork) != 0)
                return -1;
            if (first == DR_TASK_NONE)
                first = work;
        }
        if (add(c, &next, cost, "join-%" PRId64, s) != 0)
            return -1;
        for (int64_t i = 0; i < n; i++)
            if (dep(c, next, first + (dr_task)i) != 0)
                return -1;
        join = next;
    }
    return 0;
}

/* ------------------------------------------------------------- map-reduce */

static void mapreduce_size(const int64_t *v, double *tasks, double *edges,
                           double *bytes) {
    double n = (double)v[0], r = (double)v[1];
    *tasks = n + r;
    *edges = n * r;
    /* Every reducer lists every map. */
    *bytes = TASK_BYTES * (n + r) + keys_bytes(4, n) + 6 * r +
             r * (keys_bytes(4, n) + 3 * n);
}

/* n maps and r reducers, each reducer reading every map (a full shuffle).
 * A single reducer is just "reduce". */
static int mapreduce_build(gen *c, const int64_t *v) {
    int64_t n = v[0], r = v[1];
    double cost = (double)v[2] * c->unit;
    dr_task t, first = DR_TASK_NONE;
    for (int64_t i = 0; i < n; i++) {
        if (add(c, &t, cost, "map-%" PRId64, i) != 0)
            return -1;
        if (first == DR_TASK_NONE)
            first = t;
    }
    for (int64_t j = 0; j < r; j++) {
        int rc = r == 1 ? add(c, &t, cost, "reduce")
                        : add(c, &t, cost, "reduce-%" PRId64, j);
        if (rc != 0)
            return -1;
        for (int64_t i = 0; i < n; i++)
            if (dep(c, t, first + (dr_task)i) != 0)
                return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------- tree */

static void tree_size(const int64_t *v, double *tasks, double *edges,
                      double *bytes) {
    double n = (double)v[0];
    *tasks = 2 * n - 1;
    *edges = 2 * (n - 1);
    /* Every task but the root is some sum's dependency once. */
    *bytes = TASK_BYTES * (2 * n - 1) + 2 * keys_bytes(5, n) + 3 * n +
             7 * (n - 1) + (n > 2 ? 10 * (n - 2) : 0);
}

/* A binary reduction: leaves leaf-i, then level l combines neighbours
 * pairwise into sum-l-i; an odd one out moves up a level unchanged, so n
 * leaves always take n-1 sums and ceil(log2 n) levels. */
static int tree_build(gen *c, const int64_t *v) {
    int64_t n = v[0];
    double cost = (double)v[1] * c->unit;
    dr_task *level = malloc((size_t)n * sizeof(*level));
    if (level == NULL)
        return fail_rc(c, DR_ENOMEM, "tree");
    int rc = 0;
    for (int64_t i = 0; i < n && rc == 0; i++)
        rc = add(c, &level[i], cost, "leaf-%" PRId64, i);
    for (int64_t l = 1, width = n; width > 1 && rc == 0; l++) {
        int64_t next = 0;
        for (int64_t i = 0; i + 1 < width && rc == 0; i += 2) {
            dr_task t;
            rc = add(c, &t, cost, "sum-%" PRId64 "-%" PRId64, l, i / 2);
            if (rc == 0)
                rc = dep(c, t, level[i]);
            if (rc == 0)
                rc = dep(c, t, level[i + 1]);
            level[next++] = t;
        }
        if (width % 2 == 1)
            level[next++] = level[width - 1];
        width = next;
    }
    free(level);
    return rc;
}

/* ---------------------------------------------------------------- stencil */

static void stencil_size(const int64_t *v, double *tasks, double *edges,
                         double *bytes) {
    double w = (double)v[0], h = (double)v[1];
    *tasks = w * h;
    *edges = (w - 1) * h + w * (h - 1);
    *bytes = (TASK_BYTES + 8) * *tasks + 11 * *edges; /* cell-y-x */
}

/* cell-y-x waits for its left and upper neighbours: a wavefront whose
 * anti-diagonals run in parallel. */
static int stencil_build(gen *c, const int64_t *v) {
    int64_t w = v[0], h = v[1];
    double cost = (double)v[2] * c->unit;
    dr_task t;
    for (int64_t y = 0; y < h; y++) {
        for (int64_t x = 0; x < w; x++) {
            if (add(c, &t, cost, "cell-%" PRId64 "-%" PRId64, y, x) != 0)
                return -1;
            /* Tasks are numbered in the order added: row-major. */
            if (x > 0 && dep(c, t, t - 1) != 0)
                return -1;
            if (y > 0 && dep(c, t, t - (dr_task)w) != 0)
                return -1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- layered */

static void layered_size(const int64_t *v, double *tasks, double *edges,
                         double *bytes) {
    double layers = (double)v[0], width = (double)v[1];
    double deps = (double)v[2]; /* at most width (resolve_params) */
    *tasks = layers * width;
    *edges = (layers - 1) * width * deps;
    *bytes = (TASK_BYTES + 9) * *tasks + 12 * *edges; /* layer-l-i */
}

static int cmp_task(const void *a, const void *b) {
    dr_task x = *(const dr_task *)a, y = *(const dr_task *)b;
    return x < y ? -1 : x > y;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* `layers` layers of `width` tasks; each task past the first layer depends
 * on `deps` distinct tasks of the layer before, drawn uniformly, so the
 * depth is exactly `layers`.  Costs are whole milliseconds drawn from
 * [lo, hi] units. */
static int layered_build(gen *c, const int64_t *v) {
    int64_t layers = v[0], width = v[1], deps = v[2]; /* deps <= width */
    int64_t lo = v[3], hi = v[4];
    /* Costs in milliseconds: whole numbers keep saved graphs readable. */
    double unit_ms = c->unit * 1000.0;
    uint64_t span_ms = (uint64_t)llround((double)(hi - lo) * unit_ms);
    /* perm is a partial Fisher-Yates shuffle of 0..width-1, undone after
     * each task so drawing `deps` picks costs O(deps), not O(width). */
    uint32_t *perm = malloc((size_t)width * sizeof(*perm));
    uint32_t *swaps = malloc(((size_t)deps + 1) * sizeof(*swaps));
    dr_task *picks = malloc(((size_t)deps + 1) * sizeof(*picks));
    if (perm == NULL || swaps == NULL || picks == NULL) {
        free(perm);
        free(swaps);
        free(picks);
        return fail_rc(c, DR_ENOMEM, "layered");
    }
    for (int64_t i = 0; i < width; i++)
        perm[i] = (uint32_t)i;
    int rc = 0;
    for (int64_t l = 0; l < layers && rc == 0; l++) {
        for (int64_t i = 0; i < width && rc == 0; i++) {
            double ms = llround((double)lo * unit_ms) +
                        (double)rng_below(&c->rng, span_ms + 1);
            /* "layer-L-I", written by hand: printf's machinery was a
             * tenth of building 10,000,000 tasks. */
            char key[48], *k = dr__put_u64(key + 6, (uint64_t)l);
            memcpy(key, "layer-", 6);
            *k++ = '-';
            *dr__put_u64(k, (uint64_t)i) = '\0';
            dr_task t;
            rc = add_key(c, &t, ms / 1000.0, key);
            if (rc != 0 || l == 0)
                continue;
            dr_task first = t - (dr_task)i - (dr_task)width;
            for (int64_t k = 0; k < deps; k++) {
                uint64_t j =
                    (uint64_t)k + rng_below(&c->rng, (uint64_t)(width - k));
                uint32_t tmp = perm[k];
                perm[k] = perm[j];
                perm[j] = tmp;
                swaps[k] = (uint32_t)j;
                picks[k] = first + perm[k];
            }
            for (int64_t k = deps; k-- > 0;) {
                uint32_t tmp = perm[k];
                perm[k] = perm[swaps[k]];
                perm[swaps[k]] = tmp;
            }
            /* In increasing order; usually a handful of them, by
             * insertion (qsort's call was most of this loop's own time). */
            if (deps > 16)
                qsort(picks, (size_t)deps, sizeof(*picks), cmp_task);
            for (int64_t k = 1; deps <= 16 && k < deps; k++) {
                dr_task x = picks[k];
                int64_t j = k;
                for (; j > 0 && picks[j - 1] > x; j--)
                    picks[j] = picks[j - 1];
                picks[j] = x;
            }
            for (int64_t k = 0; k < deps && rc == 0; k++)
                rc = dep(c, t, picks[k]);
        }
    }
    free(perm);
    free(swaps);
    free(picks);
    return rc;
}

/* --------------------------------------------------------------- cholesky */

static void cholesky_size(const int64_t *v, double *tasks, double *edges,
                          double *bytes) {
    double t = (double)v[0];
    *tasks = t * (t + 1) * (t + 2) / 6;
    *edges = 3 * *tasks;
    /* Keys are at least potrf-k long; a lower bound on the edges too. */
    *bytes = (TASK_BYTES + 7) * *tasks + 10 * (*edges / 3);
}

/*
 * Right-looking tiled Cholesky of a t x t tile matrix.  Step k factors the
 * diagonal tile (potrf-k), solves the tiles below it (trsm-i-k), then updates
 * the trailing matrix: syrk-i-k on diagonal tiles, gemm-i-j-k on the others.
 * Each kernel depends on the kernels that produced its inputs and on the
 * previous update of the tile it writes.  Costs are the kernels' flop ratios
 * (1, 3, 3, 6), which give work t^3 and span 9t-10 for t >= 2; at t = 1
 * the graph is one potrf, span 1, hence max(1, 9t-10) in the help.
 */
static int cholesky_build(gen *c, const int64_t *v) {
    int64_t n = v[0];
    double u = c->unit;
    dr_task t;
    for (int64_t k = 0; k < n; k++) {
        if (add(c, &t, 1 * u, "potrf-%" PRId64, k) != 0 ||
            (k > 0 && dep_key(c, t, "syrk-%" PRId64 "-%" PRId64, k, k - 1)))
            return -1;
        for (int64_t i = k + 1; i < n; i++) {
            if (add(c, &t, 3 * u, "trsm-%" PRId64 "-%" PRId64, i, k) != 0 ||
                dep_key(c, t, "potrf-%" PRId64, k) != 0 ||
                (k > 0 && dep_key(c, t, "gemm-%" PRId64 "-%" PRId64 "-%" PRId64,
                                  i, k, k - 1)))
                return -1;
        }
        for (int64_t i = k + 1; i < n; i++) {
            if (add(c, &t, 3 * u, "syrk-%" PRId64 "-%" PRId64, i, k) != 0 ||
                dep_key(c, t, "trsm-%" PRId64 "-%" PRId64, i, k) != 0 ||
                (k > 0 && dep_key(c, t, "syrk-%" PRId64 "-%" PRId64, i, k - 1)))
                return -1;
            for (int64_t j = k + 1; j < i; j++) {
                if (add(c, &t, 6 * u, "gemm-%" PRId64 "-%" PRId64 "-%" PRId64,
                        i, j, k) != 0 ||
                    dep_key(c, t, "trsm-%" PRId64 "-%" PRId64, i, k) != 0 ||
                    dep_key(c, t, "trsm-%" PRId64 "-%" PRId64, j, k) != 0 ||
                    (k > 0 &&
                     dep_key(c, t, "gemm-%" PRId64 "-%" PRId64 "-%" PRId64, i,
                             j, k - 1)))
                    return -1;
            }
        }
    }
    return 0;
}

/* -------------------------------------------------------------- taskbench */

/*
 * Task Bench's graphs (Slaughter et al., "Task Bench: A Parameterized
 * Benchmark for Evaluating Parallel Runtime Performance", SC20; the
 * definitions are those of StanfordLegion/task-bench, core/core.cc).  A
 * graph is `steps` timesteps of up to `width` points; step-t-p is point p
 * at timestep t and depends on points of timestep t-1 only:
 *
 *   trivial      nothing
 *   no_comm      p
 *   stencil_1d   p-1, p, p+1 (clipped to 0..width-1)
 *   nearest      p - radix/2 .. p + (radix-1)/2 (clipped): radix points
 *   spread       (p + i*width/radix + (i > 0 ? t % period : 0)) % width,
 *                i = 0..radix-1: radix points spread over the width,
 *                shifted every timestep with period `period`
 *   tree         p/2; timestep t has min(width, 2^t) points, so the graph
 *                fans out from one task and then keeps p -> p/2
 *   fft          p - 2^d, p, p + 2^d (those inside the width), with
 *                d = (t-1) % ceil(log2 width): the butterfly of an FFT
 *   all_to_all   every point
 *
 * Timestep 0 depends on nothing.  Task Bench's own checks are kept as
 * errors: a period only for spread, at most ceil(width / radix) (so the
 * shifted points never wrap onto each other); and ours: a radix only for
 * nearest and spread, at most the width (more would name a point twice),
 * and fft from width 2 (ceil(log2 1) = 0 sets of butterflies).  The
 * dom, stencil_1d_periodic and random patterns are not made.
 *
 * Every task runs the `compute` builtin for `iterations` iterations (a
 * count, the same work on every machine); its cost, for the simulator and
 * `analyze`, is iterations x iter_ps picoseconds (x unit/1000).
 */
enum tb_pattern {
    TB_TRIVIAL,
    TB_NO_COMM,
    TB_STENCIL_1D,
    TB_NEAREST,
    TB_SPREAD,
    TB_TREE,
    TB_FFT,
    TB_ALL_TO_ALL,
};

static const char *const tb_patterns[] = {
    "trivial", "no_comm", "stencil_1d", "nearest", "spread",
    "tree",    "fft",     "all_to_all", NULL,
};

/* Parameter positions in the table row below. */
enum { TB_P, TB_W, TB_STEPS, TB_RADIX, TB_PERIOD, TB_ITER, TB_PS };

/* Points in timestep t (all of them start at point 0 for these patterns). */
static int64_t tb_width_at(const int64_t *v, int64_t t) {
    if (v[TB_P] == TB_TREE)
        return t >= 62 || ((int64_t)1 << t) >= v[TB_W] ? v[TB_W]
                                                       : (int64_t)1 << t;
    return v[TB_W];
}

/* ceil(log2 w): the fft's number of dependence sets; w >= 2. */
static int64_t tb_log2_ceil(int64_t w) {
    int64_t k = 0;
    while (((int64_t)1 << k) < w)
        k++;
    return k;
}

/*
 * The points of timestep t-1 that point p of timestep t (t >= 1) depends
 * on, ascending and without repeats, into out[] (room for width + 3).
 * Returns how many.
 */
static size_t tb_deps(const int64_t *v, int64_t t, int64_t p, int64_t *out) {
    int64_t w = v[TB_W], r = v[TB_RADIX], last = tb_width_at(v, t - 1);
    size_t n = 0;
    switch ((enum tb_pattern)v[TB_P]) {
    case TB_TRIVIAL:
        break;
    case TB_NO_COMM:
        out[n++] = p;
        break;
    case TB_STENCIL_1D:
    case TB_NEAREST: {
        int64_t lo = v[TB_P] == TB_NEAREST ? p - r / 2 : p - 1;
        int64_t hi = v[TB_P] == TB_NEAREST ? p + (r - 1) / 2 : p + 1;
        if (v[TB_P] == TB_NEAREST && r == 0)
            break;
        for (int64_t q = lo < 0 ? 0 : lo; q <= hi && q < w; q++)
            out[n++] = q;
        break;
    }
    case TB_SPREAD: {
        int64_t shift = (t % v[TB_PERIOD]);
        for (int64_t i = 0; i < r; i++)
            out[n++] = (p + i * w / r + (i > 0 ? shift : 0)) % w;
        qsort(out, n, sizeof(*out), cmp_i64);
        break;
    }
    case TB_TREE:
        out[n++] = p / 2;
        break;
    case TB_FFT: {
        int64_t d = (t - 1) % tb_log2_ceil(w), stride = (int64_t)1 << d;
        if (p - stride >= 0)
            out[n++] = p - stride;
        out[n++] = p;
        if (p + stride < w)
            out[n++] = p + stride;
        break;
    }
    case TB_ALL_TO_ALL:
        for (int64_t q = 0; q < w; q++)
            out[n++] = q;
        break;
    }
    /* Only points that exist at t-1 (the tree's narrower timesteps). */
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (out[i] < last && (kept == 0 || out[kept - 1] != out[i]))
            out[kept++] = out[i];
    return kept;
}

static void taskbench_size(const int64_t *v, double *tasks, double *edges,
                           double *bytes) {
    double w = (double)v[TB_W], steps = (double)v[TB_STEPS];
    double r = (double)v[TB_RADIX];
    double later = steps - 1; /* timesteps that have dependencies */
    *tasks = w * steps;
    *edges = 0;
    switch ((enum tb_pattern)v[TB_P]) {
    case TB_TRIVIAL:
        break;
    case TB_NO_COMM:
        *edges = later * w;
        break;
    case TB_STENCIL_1D:
        *edges = later * (w + 2 * (w - 1));
        break;
    case TB_NEAREST: {
        /* radix points each, less those clipped at either end (radix <=
         * width, so no point is clipped at both). */
        double a = (double)(v[TB_RADIX] / 2),
               b = (double)((v[TB_RADIX] - 1) / 2);
        *edges =
            r > 0 ? later * (r * w - a * (a + 1) / 2 - b * (b + 1) / 2) : 0;
        break;
    }
    case TB_SPREAD:
        *edges = later * r * w;
        break;
    case TB_TREE: {
        /* Widths 1, 2, 4, ... until the width is reached. */
        double sum = 0;
        int64_t t = 0;
        for (; t < v[TB_STEPS] && tb_width_at(v, t) < v[TB_W]; t++)
            sum += (double)tb_width_at(v, t);
        *tasks = sum + (double)(v[TB_STEPS] - t) * w;
        *edges = *tasks - 1; /* one parent each but for step-0-0 */
        break;
    }
    case TB_FFT: {
        /* Timestep t uses butterfly d = (t-1) % k: count them per d. */
        int64_t k = tb_log2_ceil(v[TB_W]);
        for (int64_t d = 0; d < k && d < v[TB_STEPS] - 1; d++) {
            double times = (double)((v[TB_STEPS] - 2 - d) / k + 1);
            *edges += times * (w + 2 * (w - (double)((int64_t)1 << d)));
        }
        break;
    }
    case TB_ALL_TO_ALL:
        *edges = later * w * w;
        break;
    }
    /* step-t-p: at least 8 bytes a key. */
    *bytes = (TASK_BYTES + 8) * *tasks + 11 * *edges;
}

static int taskbench_build(gen *c, const int64_t *v) {
    int64_t w = v[TB_W], steps = v[TB_STEPS];
    c->iterations = v[TB_ITER];
    double cost = (double)v[TB_ITER] * (double)v[TB_PS] * 1e-12 * c->unit;
    int64_t *deps = malloc(((size_t)w + 3) * sizeof(*deps));
    if (deps == NULL)
        return fail_rc(c, DR_ENOMEM, "taskbench");
    int rc = 0;
    dr_task first = 0, prev_first = 0; /* step-t-0 and step-(t-1)-0 */
    for (int64_t t = 0; t < steps && rc == 0; t++) {
        int64_t width = tb_width_at(v, t);
        for (int64_t p = 0; p < width && rc == 0; p++) {
            dr_task task;
            rc = add(c, &task, cost, "step-%" PRId64 "-%" PRId64, t, p);
            if (rc != 0)
                break;
            if (p == 0)
                first = task;
            size_t n = t > 0 ? tb_deps(v, t, p, deps) : 0;
            for (size_t i = 0; i < n && rc == 0; i++)
                rc = dep(c, task, prev_first + (dr_task)deps[i]);
        }
        prev_first = first;
    }
    free(deps);
    return rc;
}

/* ------------------------------------------------------------------ table */

#define COST_PARAM                                                             \
    { "cost", 1, 0, 0, NULL }

static const gen_shape shapes[] = {
    {"chain",
     "a chain of n tasks",
     {{"n", 10, 1, 1, NULL}, COST_PARAM},
     chain_size,
     chain_build},
    {"fork-join",
     "fork-join stages of n parallel tasks",
     {{"n", 8, 1, 1, NULL}, {"stages", 1, 1, 0, NULL}, COST_PARAM},
     forkjoin_size,
     forkjoin_build},
    {"map-reduce",
     "n maps feeding r reducers",
     {{"n", 8, 1, 1, NULL}, {"r", 1, 1, 0, NULL}, COST_PARAM},
     mapreduce_size,
     mapreduce_build},
    {"tree",
     "a binary tree reduction over n leaves",
     {{"n", 16, 1, 1, NULL}, COST_PARAM},
     tree_size,
     tree_build},
    {"stencil",
     "a w x h wavefront (each cell waits for left and upper)",
     {{"w", 8, 1, 1, NULL}, {"h", 8, 1, 1, NULL}, COST_PARAM},
     stencil_size,
     stencil_build},
    {"layered",
     "a random layered DAG",
     {{"layers", 8, 1, 1, NULL},
      {"width", 8, 1, 1, NULL},
      {"deps", 2, 0, 0, NULL},
      {"lo", 1, 0, 0, NULL},
      {"hi", 5, 0, 0, NULL}},
     layered_size,
     layered_build},
    {"cholesky",
     "a tiled Cholesky factorisation of a t x t tile matrix",
     {{"t", 4, 1, 1, NULL}},
     cholesky_size,
     cholesky_build},
    {"taskbench",
     "a Task Bench graph (Slaughter et al., SC20)",
     {{"pattern", TB_TRIVIAL, 0, 1, tb_patterns},
      {"width", 4, 1, 1, NULL},
      {"steps", 4, 1, 1, NULL},
      {"radix", 3, 0, 0, NULL},
      {"period", 3, 1, 0, NULL},
      {"iterations", 1000, 0, 1, NULL},
      {"iter_ps", 2000, 0, 0, NULL}},
     taskbench_size,
     taskbench_build},
};

#define NSHAPES (sizeof(shapes) / sizeof(shapes[0]))

/* The parameter every shape takes besides its own. */
static const gen_param unit_param = {"unit", 1000, 0, 0, NULL};

const char *dr_generator_help(void) {
    /* Kept by hand next to the table above; tests check that every shape
     * and parameter appears. */
    return "Shapes (parameters with their defaults; costs are in cost units, "
           "unit=MS below):\n"
           "  chain       n=10 cost=1\n"
           "      chain-0 -> chain-1 -> ... -> chain-(n-1), each of cost.\n"
           "  fork-join   n=8 stages=1 cost=1\n"
           "      per stage s: fork-s -> work-s-0..work-s-(n-1) -> join-s;\n"
           "      stage s+1 starts after join-s.\n"
           "  map-reduce  n=8 r=1 cost=1\n"
           "      map-0..map-(n-1); every reducer (reduce, or reduce-0..\n"
           "      reduce-(r-1)) depends on every map.\n"
           "  tree        n=16 cost=1\n"
           "      leaf-0..leaf-(n-1) summed pairwise by sum-LEVEL-i up to "
           "one root.\n"
           "  stencil     w=8 h=8 cost=1\n"
           "      cell-y-x depends on cell-y-(x-1) and cell-(y-1)-x.\n"
           "  layered     layers=8 width=8 deps=2 lo=1 hi=5\n"
           "      layer-l-i depends on `deps` (at most width) random tasks of\n"
           "      layer l-1; costs are random whole numbers in [lo, hi]\n"
           "      (--seed).\n"
           "  cholesky    t=4\n"
           "      tiled Cholesky: potrf-k (cost 1), trsm-i-k (3), syrk-i-k "
           "(3),\n"
           "      gemm-i-j-k (6); t(t+1)(t+2)/6 tasks, work t^3, span "
           "max(1, 9t-10).\n"
           "  taskbench   pattern=trivial width=4 steps=4 radix=3 period=3\n"
           "              iterations=1000 iter_ps=2000\n"
           "      Task Bench (SC20): step-t-p, point p of timestep t, "
           "depends on\n"
           "      points of timestep t-1 by pattern: trivial (none), "
           "no_comm (p),\n"
           "      stencil_1d (p-1..p+1), nearest (radix points around p), "
           "spread\n"
           "      (radix points spread over the width, shifted by t % "
           "period),\n"
           "      tree (p/2; timestep t has min(width, 2^t) points), fft "
           "(p and\n"
           "      p +- 2^((t-1) % ceil(log2 width))), all_to_all (every "
           "point).\n"
           "      Tasks run op compute for `iterations`; cost iterations x "
           "iter_ps ps.\n"
           "      radix only for nearest/spread, period only for spread.\n"
           "Every shape also takes unit=1000: the milliseconds in one cost "
           "unit.\n"
           "Graphs are capped at 10,000,000 tasks, 100,000,000 dependencies\n"
           "and 1 GiB of JSON; DAGRUN_MAX_TASKS, DAGRUN_MAX_DEPS and\n"
           "DAGRUN_MAX_GRAPH_BYTES raise the caps (docs/graph-format.md).\n";
}

static const gen_shape *find_shape(const char *name) {
    for (size_t i = 0; i < NSHAPES; i++)
        if (strcmp(shapes[i].name, name) == 0)
            return &shapes[i];
    return NULL;
}

static size_t nparams_of(const gen_shape *s) {
    size_t n = 0;
    while (n < GEN_MAX_PARAMS && s->params[n].name != NULL)
        n++;
    return n;
}

/* Task Bench's own checks of a graph (core.cc, App::check) and ours; see
 * taskbench_build.  `given`: bit i set when parameter i was set. */
static int taskbench_check(int64_t *v, unsigned given, dr_error *err) {
    const char *pattern = tb_patterns[v[TB_P]];
    int radix = v[TB_P] == TB_NEAREST || v[TB_P] == TB_SPREAD;
    if ((given & (1u << TB_RADIX)) && !radix) {
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL,
                      "shape 'taskbench': pattern '%s' takes no radix (only "
                      "nearest and spread do)",
                      pattern);
        return DR_EINVAL;
    }
    if ((given & (1u << TB_PERIOD)) && v[TB_P] != TB_SPREAD) {
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL,
                      "shape 'taskbench': pattern '%s' takes no period (only "
                      "spread does)",
                      pattern);
        return DR_EINVAL;
    }
    if (radix && v[TB_RADIX] > v[TB_W]) {
        dr__error_set(err, DR_ERANGE, NULL, 0, 0, NULL,
                      "shape 'taskbench': radix (%" PRId64
                      ") must not exceed width (%" PRId64
                      "): a point depends on radix distinct points of the "
                      "timestep before",
                      v[TB_RADIX], v[TB_W]);
        return DR_ERANGE;
    }
    if (v[TB_P] == TB_SPREAD && v[TB_RADIX] == 0) {
        dr__error_set(err, DR_ERANGE, NULL, 0, 0, NULL,
                      "shape 'taskbench': pattern 'spread' needs a radix of "
                      "at least 1");
        return DR_ERANGE;
    }
    if (v[TB_P] == TB_SPREAD) {
        int64_t most = (v[TB_W] + v[TB_RADIX] - 1) / v[TB_RADIX];
        /* Task Bench's default period (3) is too long for its default
         * width and radix (4 and 3): unless set, it is cut to fit. */
        if (!(given & (1u << TB_PERIOD)) && v[TB_PERIOD] > most)
            v[TB_PERIOD] = most;
        if (v[TB_PERIOD] > most) {
            dr__error_set(err, DR_ERANGE, NULL, 0, 0, NULL,
                          "shape 'taskbench': period (%" PRId64
                          ") must be at most ceil(width / radix) = %" PRId64
                          " for spread, so that shifted points do not wrap "
                          "onto each other",
                          v[TB_PERIOD], most);
            return DR_ERANGE;
        }
    }
    if (v[TB_P] == TB_FFT && v[TB_W] < 2) {
        dr__error_set(err, DR_ERANGE, NULL, 0, 0, NULL,
                      "shape 'taskbench': pattern 'fft' needs a width of at "
                      "least 2");
        return DR_ERANGE;
    }
    return 0;
}

/* "shape 'S': unknown parameter 'NAME' (parameters: ...)": DR_EINVAL. */
static int unknown_param(const gen_shape *s, const char *name, dr_error *err) {
    char list[160] = "";
    size_t n = nparams_of(s);
    for (size_t i = 0; i <= n; i++) {
        size_t used = strlen(list);
        snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "",
                 i < n ? s->params[i].name : unit_param.name);
    }
    dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL,
                  "shape '%s': unknown parameter '%s' (parameters: %s)",
                  s->name, name, list);
    return DR_EINVAL;
}

/* Resolves the caller's parameters against the shape's: values[i] for
 * s->params[i], then the unit last.  Returns 0 or an error code. */
static int resolve_params(const gen_shape *s, const dr_param *params,
                          size_t nparams, int64_t *values, dr_error *err) {
    size_t n = nparams_of(s);
    unsigned given = 0; /* bit i: s->params[i] was set by the caller */
    for (size_t i = 0; i < n; i++)
        values[i] = s->params[i].def;
    values[n] = unit_param.def;
    for (size_t p = 0; p < nparams; p++) {
        const char *name = params[p].name ? params[p].name : "";
        const gen_param *desc = NULL;
        size_t at = n;
        for (size_t i = 0; i < n && desc == NULL; i++)
            if (strcmp(s->params[i].name, name) == 0)
                desc = &s->params[at = i];
        if (desc == NULL && strcmp(name, unit_param.name) == 0)
            desc = &unit_param;
        if (desc == NULL)
            return unknown_param(s, name, err);
        if (params[p].value < desc->min && desc->choices == NULL) {
            dr__error_set(err, DR_ERANGE, NULL, 0, 0, NULL,
                          "shape '%s': parameter '%s' must be at least %" PRId64
                          ", got %" PRId64,
                          s->name, name, desc->min, params[p].value);
            return DR_ERANGE;
        }
        /* Past this no shape fits the task cap anyway, and staying well
         * inside int64 keeps the size arithmetic exact. */
        if (params[p].value > (int64_t)1 << 40) {
            dr__error_set(err, DR_ETOOBIG, NULL, 0, 0, NULL,
                          "shape '%s': parameter '%s' = %" PRId64
                          " is too large (at most %" PRId64 ")",
                          s->name, name, params[p].value, (int64_t)1 << 40);
            return DR_ETOOBIG;
        }
        if (desc->choices != NULL) {
            int64_t count = 0;
            while (desc->choices[count] != NULL)
                count++;
            if (params[p].value < 0 || params[p].value >= count) {
                char list[256] = "";
                for (int64_t c = 0; c < count; c++) {
                    size_t used = strlen(list);
                    snprintf(list + used, sizeof(list) - used,
                             "%s%" PRId64 " %s", c ? ", " : "", c,
                             desc->choices[c]);
                }
                dr__error_set(err, DR_ERANGE, NULL, 0, 0, NULL,
                              "shape '%s': parameter '%s' is one of %s (a "
                              "name or its number), got %" PRId64,
                              s->name, name, list, params[p].value);
                return DR_ERANGE;
            }
        }
        values[at] = params[p].value;
        if (at < n)
            given |= 1u << at;
    }
    if (strcmp(s->name, "taskbench") == 0)
        return taskbench_check(values, given, err);
    /* A task cannot depend on more distinct tasks than the layer before
     * has: a deps given is refused rather than quietly clamped, so that
     * the graph is what its name (layered-...-deps9-...) and the help say;
     * the default (2) is cut to a width of 1, which then says deps1. */
    if (strcmp(s->name, "layered") == 0 && !(given & (1u << 2)) &&
        values[2] > values[1])
        values[2] = values[1];
    if (strcmp(s->name, "layered") == 0 && values[2] > values[1]) {
        dr__error_set(err, DR_ERANGE, NULL, 0, 0, NULL,
                      "shape 'layered': deps (%" PRId64
                      ") must not exceed width (%" PRId64
                      "): each task depends on that many distinct tasks of "
                      "the layer before",
                      values[2], values[1]);
        return DR_ERANGE;
    }
    if (strcmp(s->name, "layered") == 0 && values[3] > values[4]) {
        dr__error_set(err, DR_ERANGE, NULL, 0, 0, NULL,
                      "shape 'layered': lo (%" PRId64
                      ") must not exceed hi (%" PRId64 ")",
                      values[3], values[4]);
        return DR_ERANGE;
    }
    return 0;
}

/* Checks `op` and returns the builtin generated tasks run. */
static const char *resolve_op(const char *op, int taskbench, dr_error *err) {
    if (op == NULL || op[0] == '\0')
        return "noop";
    if (!dr_builtin_exists(op)) {
        char list[160] = "";
        const char *const *names = dr_builtin_names();
        for (size_t i = 0; names[i] != NULL; i++) {
            size_t used = strlen(list);
            snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "",
                     names[i]);
        }
        dr__error_set(err, DR_ENOOP, NULL, 0, 0, NULL,
                      "unknown op '%s' (builtin ops: %s)", op, list);
        return NULL;
    }
    char msg[256];
    if (strcmp(op, "sleep") != 0 && strcmp(op, "spin") != 0 &&
        !(taskbench && strcmp(op, "compute") == 0) &&
        dr_builtin_check(op, NULL, msg, sizeof(msg)) != 0) {
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL,
                      "%s; generated tasks can run noop, sleep, spin, "
                      "compute (taskbench) or another op without required "
                      "arguments",
                      msg);
        return NULL;
    }
    return op;
}

/* The shape named `shape`, or NULL with an error listing the shapes. */
static const gen_shape *find_shape_or_fail(const char *shape, dr_error *err) {
    const gen_shape *s = shape ? find_shape(shape) : NULL;
    if (s == NULL) {
        char list[160] = "";
        for (size_t i = 0; i < NSHAPES; i++) {
            size_t used = strlen(list);
            snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "",
                     shapes[i].name);
        }
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL,
                      "unknown shape '%s' (shapes: %s)", shape ? shape : "",
                      list);
    }
    return s;
}

int dr_generator_choice(const char *shape, const char *param, const char *word,
                        int64_t *value, dr_error *err) {
    const gen_shape *s = find_shape_or_fail(shape, err);
    if (s == NULL)
        return DR_EINVAL;
    const gen_param *desc = NULL;
    for (size_t i = 0; s != NULL && i < nparams_of(s); i++)
        if (param != NULL && strcmp(s->params[i].name, param) == 0)
            desc = &s->params[i];
    if (desc == NULL && (param == NULL || strcmp(param, unit_param.name)))
        return unknown_param(s, param ? param : "", err);
    if (desc == NULL || desc->choices == NULL) {
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL,
                      "shape '%s': parameter '%s' takes a number, not '%s'",
                      s->name, param ? param : "", word ? word : "");
        return DR_EINVAL;
    }
    char list[256] = "";
    for (int64_t i = 0; desc->choices[i] != NULL; i++) {
        if (word != NULL && strcmp(desc->choices[i], word) == 0) {
            *value = i;
            return 0;
        }
        size_t used = strlen(list);
        snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "",
                 desc->choices[i]);
    }
    dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL,
                  "shape '%s': unknown %s '%s' (%ss: %s)", s->name, param,
                  word ? word : "", param, list);
    return DR_EINVAL;
}

dr_graph *dr_generate(const char *shape, const dr_param *params, size_t nparams,
                      uint64_t seed, const char *op, dr_error *err) {
    return dr__generate(shape, params, nparams, seed, op, 1, err);
}

dr_graph *dr__generate(const char *shape, const dr_param *params,
                       size_t nparams, uint64_t seed, const char *op,
                       int for_file, dr_error *err) {
    const gen_shape *s = find_shape_or_fail(shape, err);
    if (s == NULL)
        return NULL;
    if (params == NULL && nparams > 0) {
        dr__error_set(err, DR_EINVAL, NULL, 0, 0, NULL, "no parameters given");
        return NULL;
    }
    int64_t values[GEN_MAX_PARAMS + 1];
    if (resolve_params(s, params, nparams, values, err) != 0)
        return NULL;
    int taskbench = strcmp(s->name, "taskbench") == 0;
    /* Task Bench's tasks run its compute-bound kernel unless told
     * otherwise (--op noop is its empty kernel). */
    if (taskbench && (op == NULL || op[0] == '\0'))
        op = "compute";
    const char *run = resolve_op(op, taskbench, err);
    if (run == NULL)
        return NULL;

    dr__limits limits;
    if (dr__limits_get(&limits, NULL, err) != 0)
        return NULL;
    double tasks, edges, bytes;
    s->size(values, &tasks, &edges, &bytes);
    if (tasks > (double)limits.max_tasks) {
        dr__error_set(err, DR_ETOOBIG, NULL, 0, 0, NULL,
                      "shape '%s': these parameters make %.0f tasks, more "
                      "than the limit of %zu " DR__RAISE_TASKS,
                      s->name, tasks, limits.max_tasks);
        return NULL;
    }
    if (edges > (double)limits.max_deps) {
        dr__error_set(err, DR_ETOOBIG, NULL, 0, 0, NULL,
                      "shape '%s': these parameters make %.0f dependencies, "
                      "more than the limit of %zu " DR__RAISE_DEPS,
                      s->name, edges, limits.max_deps);
        return NULL;
    }
    if (for_file && bytes > (double)limits.max_bytes) {
        dr__error_set(err, DR_ETOOBIG, NULL, 0, 0, NULL,
                      "shape '%s': these parameters make at least %.0f bytes "
                      "of JSON, more than the limit of %zu for a graph "
                      "file " DR__RAISE_BYTES,
                      s->name, bytes, limits.max_bytes);
        return NULL;
    }

    gen c = {0};
    c.shape = s;
    c.op = run;
    c.amount = strcmp(run, "sleep") == 0  ? "ms"
               : strcmp(run, "spin") == 0 ? "units"
                                          : NULL;
    c.compute = strcmp(run, "compute") == 0;
    c.needs_args = c.amount != NULL || c.compute;
    c.unit = (double)values[nparams_of(s)] / 1000.0;
    c.rng = seed;
    c.err = err;
    if ((c.g = dr_graph_create()) == NULL) {
        dr__error_set(err, DR_ENOMEM, NULL, 0, 0, NULL, "out of memory");
        return NULL;
    }

    /* The name records the size and whatever was changed from the
     * defaults: "cholesky-t8", "map-reduce-n100-r4", "layered-...-seed7",
     * "chain-n10-spin". */
    char name[256], desc[512];
    size_t used = (size_t)snprintf(name, sizeof(name), "%s", s->name);
    size_t n = nparams_of(s);
    for (size_t i = 0; i <= n && used < sizeof(name); i++) {
        const gen_param *p = i < n ? &s->params[i] : &unit_param;
        if (p->choices != NULL)
            used += (size_t)snprintf(name + used, sizeof(name) - used, "-%s",
                                     p->choices[values[i]]);
        else if (p->in_name || values[i] != p->def)
            used += (size_t)snprintf(name + used, sizeof(name) - used,
                                     "-%s%" PRId64, p->name, values[i]);
    }
    if (strcmp(s->name, "layered") == 0 && used < sizeof(name))
        used += (size_t)snprintf(name + used, sizeof(name) - used,
                                 "-seed%" PRIu64, seed);
    /* The op too, when it is not the shape's default (noop; compute for
     * taskbench): a run of the same shape with --op spin must not write
     * over the noop run's folder. */
    if (strcmp(run, taskbench ? "compute" : "noop") != 0 && used < sizeof(name))
        snprintf(name + used, sizeof(name) - used, "-%s", run);
    snprintf(desc, sizeof(desc), "Generated by dagrun gen: %s.", s->title);

    int rc = dr_graph_set_name(c.g, name);
    if (rc == 0)
        rc = dr_graph_set_description(c.g, desc);
    if (rc != 0)
        fail_rc(&c, rc, "graph");
    else
        rc = s->build(&c, values);
    dr_task dup = DR_TASK_NONE;
    if (rc == 0 && (rc = dr__graph_index_build(c.g, &dup)) != 0)
        fail_rc(&c, rc, /* a key made twice: a bug in a builder */
                dup != DR_TASK_NONE ? dr_task_key(c.g, dup) : "key index");
    json_decref(c.args);
    if (rc == 0 && dr_graph_validate(c.g, err) != 0)
        rc = -1;
    if (rc != 0) {
        dr_graph_destroy(c.g);
        return NULL;
    }
    return c.g;
}
