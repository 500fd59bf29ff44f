/*
 * Private layout of a dr_graph, shared by the files of graph/ (and read by
 * the scheduler and viz through the public accessors only).
 *
 * A graph is an array of small fixed-size task records plus side tables:
 *  - keys live in a string arena (no per-key malloc);
 *  - a key -> task open-addressing table of (task, hash) pairs;
 *  - what few tasks have (arguments, a command, files, a timeout, user data)
 *    lives in a side array of "cold" records, made on first use, so a task
 *    record is 24 bytes;
 *  - dependencies (predecessors) of all tasks are one CSR array: an edge of
 *    the task being built, or of a later one, is appended in place; an edge
 *    added to an earlier task goes to a log that dr__graph_settle merges in
 *    (in the order edges were added) before anything reads dependencies;
 *  - successors and a topological order are derived (CSR arrays), built on
 *    demand and thrown away on any change.
 * That keeps a 1M-task / 4M-edge graph near 62 bytes a task plus 8 bytes an
 * edge (4 for the dependency, 4 for the successor; docs/architecture.md).
 */
#ifndef DAGRUN_GRAPH_INTERNAL_H
#define DAGRUN_GRAPH_INTERNAL_H

#include "dagrun.h"

#include <stdarg.h>

typedef struct dr__files {
    char **inputs;
    char **outputs;
    uint32_t ninputs, noutputs;
} dr__files;

/* What few tasks have, kept out of the task record (g->cold). */
typedef struct dr__task_cold {
    const char *op_name; /* only past DR__OP_INDEX_MAX distinct names */
    json_t *args;        /* owned reference or NULL */
    void *op_ptr; /* char ** argv (ARGV), char * (SHELL), fn (FUNCTION) */
    void *fn_data;
    dr__files *files; /* NULL when the task names no files */
    void *data;
    double timeout;  /* 0: none (when DR__T_HAS_TIMEOUT) */
    int32_t retries; /* -1: the run's default */
} dr__task_cold;

#define DR__T_HAS_COST 1u
#define DR__T_HAS_TIMEOUT 2u /* its own timeout was set (0 included: none) */
#define DR__T_NO_CACHE 4u    /* "cache": false: --resume always reruns it */

/* op: 1 + index into g->op_names, 0 for none, DR__OP_IN_COLD when the name
 * is in the cold record (a graph with more distinct names than fit). */
#define DR__OP_IN_COLD UINT16_MAX
#define DR__OP_INDEX_MAX (UINT16_MAX - 1)

typedef struct dr__task {
    const char *key; /* in the arena */
    double cost;
    uint32_t cold;   /* 1 + index into g->cold, 0: none yet */
    uint16_t op;     /* see DR__OP_IN_COLD */
    uint8_t op_kind; /* dr_op_kind */
    uint8_t flags;   /* DR__T_* */
} dr__task;

/* An edge added to a task that is no longer the last one being given
 * dependencies (dr__graph_settle merges these in). */
typedef struct dr__late_edge {
    dr_task task, dep;
} dr__late_edge;

typedef struct dr__arena_block {
    struct dr__arena_block *next;
    size_t used, size;
    char mem[];
} dr__arena_block;

typedef struct dr__slot {
    uint32_t task; /* DR_TASK_NONE: empty */
    uint32_t hash;
} dr__slot;

struct dr_graph {
    char *name;
    char *description;
    char **param_names;
    int64_t *param_values;
    size_t nparams, capparams;
    json_t *param_index; /* name -> index into the arrays; NULL until used */

    dr__task *tasks;
    size_t ntasks, captasks;
    size_t nedges; /* counts repeats until settled */

    /* Dependencies, CSR: task i's are dep[dep_off[i] .. dep_off[i + 1]).
     * Only offsets up to dep_front are kept while edges are added (the
     * task whose edges end the array); dr__graph_settle fills the rest. */
    uint32_t *dep_off; /* captasks + 1 */
    dr_task *dep;
    size_t ndep, capdep;
    size_t dep_front;
    dr__late_edge *late; /* edges of tasks before dep_front, to merge */
    size_t nlate, caplate;
    int needs_dedupe; /* a task past DEDUPE_SCAN edges, or late edges */
    int settled;      /* dep_off whole, no late edges, no repeats */

    dr__task_cold *cold;
    size_t ncold, capcold;
    size_t nfile_tasks; /* tasks that name files */

    dr__slot *slots;   /* key index */
    size_t nslots;     /* power of two */
    size_t nunindexed; /* the last tasks, from dr__graph_add_task_fresh,
                          not yet in the key index */

    dr__arena_block *arena;
    size_t arena_bytes;

    /* Distinct op names, each stored once in the arena (a graph has few). */
    const char **op_names;
    size_t nop_names;
    json_t *op_index; /* name -> index, once there are many; else NULL */

    /* Derived; valid when `derived` is set, rebuilt after any change. */
    int derived;
    int acyclic;
    uint32_t *succ_off; /* ntasks + 1 */
    dr_task *succ;      /* nedges */
    dr_task *topo;      /* ntasks, or NULL when cyclic */
};

/* Formats err->message, err->text from the parts (any may be NULL/0). */
void dr__error_set(dr_error *err, int code, const char *source, int line,
                   int column, const char *task, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
void dr__error_setv(dr_error *err, int code, const char *source, int line,
                    int column, const char *task, const char *fmt, va_list ap);

/* A run's trace.json or summary.json read with a size cap (json_file.c):
 * DAGRUN_MAX_TRACE_BYTES (parsed as the graph limits are, dr__limit_from_env),
 * default below.  `what` names the file in messages ("trace", "summary").
 * Returns a new reference, or NULL with err filled (DR_EIO, DR_EPARSE with
 * line:column, DR_ETOOBIG naming the limit and how to raise it, DR_EINVAL for
 * a malformed variable). */
#define DR__ENV_MAX_TRACE_BYTES "DAGRUN_MAX_TRACE_BYTES"
#define DR__DEFAULT_MAX_TRACE_BYTES ((size_t)512 << 20)
json_t *dr__json_load_run_file(const char *path, const char *what,
                               dr_error *err);

/* The JSON_REAL_PRECISION that prints every real inside v (any depth) with
 * the fewest significant digits that read back as exactly the same double:
 * the most any of them needs, 1..17.  Can't fail. */
int dr__json_real_precision(const json_t *v);

/* Names g after the base name of `source` without its extension
 * ("data/rand0000.stg" -> "rand0000"), "stdin" when the source is
 * "<stdin>", and `fallback` ("" for none) when it is "<string>" or empty.
 * Returns 0 or DR_ENOMEM. */
int dr__graph_name_from_source(dr_graph *g, const char *source,
                               const char *fallback);
/* dr_analyze's check of a valid graph: its costs add up to a finite work
 * (each one is finite, their sum may not be).  Returns 0, or DR_ERANGE with
 * err filled naming the largest cost (analysis.c); `validate` refuses such
 * a graph without the rest of the analysis. */
int dr__analysis_check_work(const dr_graph *g, dr_error *err);
/* 1 when task t runs a command (argv or shell): a process of its own, with
 * log files in the run folder. */
int dr__task_is_command(const dr_graph *g, dr_task t);

/* The value of a hex digit (either case), or -1 (fileio.c). */
int dr__hex_digit(char c);
/* `path` in folder `workdir`: workdir/path, or path itself when it is
 * absolute or workdir is NULL or "" (fileio.c).  A new string, or NULL on
 * DR_ENOMEM. */
char *dr__path_in(const char *workdir, const char *path);
/* 1 when any task of g runs a command. */
int dr__graph_has_commands(const dr_graph *g);
/* Copies a string into the graph's arena; NULL on DR_ENOMEM. */
const char *dr__graph_intern(dr_graph *g, const char *s);
/* dr_graph_add_task for a key the caller knows is new (a generator's): the
 * key index is not touched, which spares a cache miss per task on big
 * graphs; dr__graph_index_build then puts every such task in at once.
 * dr_graph_add_task builds it first; dr_graph_find, which cannot (const),
 * scans the tasks not yet in, so call dr__graph_index_build before
 * looking keys up.  Returns 0 or DR_E*. */
int dr__graph_add_task_fresh(dr_graph *g, const char *key, dr_task *out);
/* Puts the tasks added by dr__graph_add_task_fresh into the key index: one
 * by one when they are few, else the whole index anew, its entries sorted
 * by home slot so that it is written in order.  A key seen twice:
 * DR_EEXIST, *dup (may be NULL) the second task with it, the index left as
 * it was. */
int dr__graph_index_build(dr_graph *g, dr_task *dup);
/* Makes the dependency arrays whole: merges late edges and removes repeated
 * ones (keeping the order edges were added in).  0 or DR_ENOMEM (the graph
 * is left as it was). */
int dr__graph_settle(dr_graph *g);
/* Task t's dependencies in a settled graph (dr__graph_settle). */
static inline const dr_task *dr__task_deps_of(const dr_graph *g, dr_task t,
                                              uint32_t *n) {
    *n = g->dep_off[t + 1] - g->dep_off[t];
    /* g->dep is NULL in a graph without edges: no offset on it. */
    return *n > 0 ? g->dep + g->dep_off[t] : NULL;
}
/* Task t's cold record, or NULL when it has none. */
static inline const dr__task_cold *dr__task_cold_of(const dr_graph *g,
                                                    dr_task t) {
    uint32_t c = g->tasks[t].cold;
    return c ? &g->cold[c - 1] : NULL;
}
/* Task t's declared files, or NULL. */
static inline const dr__files *dr__task_files(const dr_graph *g, dr_task t) {
    const dr__task_cold *c = dr__task_cold_of(g, t);
    return c ? c->files : NULL;
}
/* Builds successors and the topological order if needed; returns 0,
 * DR_ECYCLE (succ built, topo NULL) or DR_ENOMEM. */
int dr__graph_derive(dr_graph *g);
/* Writes "a -> b -> a" for a cycle of a cyclic derived graph into buf;
 * *first (may be NULL) is the task it starts with, *first_dep (may be NULL)
 * that task's dependency on the cycle, the edge a reader points at. */
void dr__graph_describe_cycle(const dr_graph *g, char *buf, size_t len,
                              dr_task *first, dr_task *first_dep);
/* dr_graph_validate(), also giving, for a cycle, the task the message starts
 * with and its dependency on the cycle (DR_TASK_NONE otherwise); either
 * pointer may be NULL. */
int dr__graph_validate_at(dr_graph *g, dr_error *err, dr_task *first,
                          dr_task *first_dep);

/*
 * Declared files (files.c, docs/graph-format.md "Declared files").  Paths
 * are compared after dr__path_normalize: "." components and repeated or
 * trailing slashes dropped ("./out//a.txt" is "out/a.txt"; "" and "./" are
 * "."); out needs strlen(path) + 2 bytes; returns the new length.
 */
size_t dr__path_normalize(const char *path, char *out);
/* Where a file rule is broken: task's outputs[index] (output) or
 * inputs[index]; task is DR_TASK_NONE when none is. */
typedef struct dr__file_at {
    dr_task task;
    int output;
    size_t index;
} dr__file_at;
/* The rules dr_graph_validate checks (it calls this after the cycles): two
 * tasks may not declare one output, and a task that reads another task's
 * output must depend on it, directly or not.  Returns 0, DR_ENOMEM, or
 * DR_EFORMAT with err naming the tasks and the file (no location) and *at
 * (may be NULL) set to the declaration at fault: the second of two outputs,
 * the input of the reader. */
int dr__graph_check_files(dr_graph *g, dr_error *err, dr__file_at *at);
/* Before a real run: every declared input that no task outputs exists
 * (inputs of tasks without an operation, which read nothing, aside).
 * Relative paths are looked up in workdir (NULL: the current folder); when
 * workdir is not a folder they are not checked (the run reports the
 * folder).  Returns 0, DR_ENOENT (err names the task and the file), DR_EIO
 * (another stat error) or DR_ENOMEM. */
int dr__graph_check_inputs(const dr_graph *g, const char *workdir,
                           dr_error *err);

/*
 * Structural groups of tasks (group.c): the groups a collapsed diagram
 * draws and the trace's `cat` names, so the DAG and the Gantt chart agree.
 * Groups are numbered in a topological order of the graph of groups (every
 * dependency between two groups goes from a smaller to a larger number).
 */
#define DR__GROUP_LIMIT 300 /* the groups of pictures and traces */
#define DR__GROUP_MAX 4096  /* most groups dr__graph_group makes */

typedef struct dr__groups {
    size_t n;           /* groups */
    uint32_t *of;       /* one per task: its group */
    char **name;        /* n names: "layer-3-*", "t* (level 3)", ... */
    uint32_t *count;    /* n: tasks in each group */
    uint32_t *level_lo; /* n: shallowest and deepest depth level of its */
    uint32_t *level_hi; /*    tasks, from 1 (the sources) */
    int by_level;       /* no key rule fitted: groups are bands of levels */
} dr__groups;

/* Groups the tasks of a validated graph into at most max_groups groups
 * (clamped to 1..DR__GROUP_MAX).  Returns 0, DR_EINVAL (not validated) or
 * DR_ENOMEM; *out is filled on success (free with dr__groups_free) and
 * zeroed on failure. */
int dr__graph_group(const dr_graph *g, size_t max_groups, dr__groups *out);
void dr__groups_free(dr__groups *gr);

/*
 * The critical path by `weight` (analysis.c): a longest path, the one that
 * `dagrun analyze`, the run summary and the DAG picture all name.  Ties go,
 * at the end and at each step back, to the longest path with the most
 * tasks (so a zero-cost task on a longest path is shown, not skipped), then
 * to the first: the first end in topological order, the first dependency as
 * listed.  weight[t] >= 0 for each task; skip (may be NULL) marks tasks no
 * path may use (after a run: those that did not finish).  On success
 * prev[t] is t's predecessor on the longest path ending at t (or
 * DR_TASK_NONE), *end the path's last task (DR_TASK_NONE: no task may be
 * used) and *length its total weight.  0 or DR_ENOMEM (nothing set).
 */
int dr__critical_path(const dr_graph *g, const double *weight,
                      const unsigned char *skip, dr_task *prev, dr_task *end,
                      double *length);

/*
 * Transitive reduction (reduce.c) of a DAG of n nodes numbered in a
 * topological order, successors of node u in succ[off[u] .. off[u+1]),
 * increasing and without repeats.  Sets implied[e] for each edge another
 * path implies, and *nimplied (may be NULL) to their number.  Memory
 * n * n / 8 bytes: returns DR_ETOOBIG above DR__REDUCE_MAX_NODES nodes,
 * else 0 or DR_ENOMEM.
 */
#define DR__REDUCE_MAX_NODES 20000
int dr__dag_reduce(size_t n, const uint32_t *off, const uint32_t *succ,
                   unsigned char *implied, size_t *nimplied);

/*
 * "Did you mean" (suggest.c), for the CLI's options and commands and the
 * loader's keys and ops: the candidates closest to `typed` by a weighted
 * edit distance (at most `max`, into out, borrowed from candidates; every
 * one tied for the best), or 0 when none is close enough or `typed` is
 * longer than DR__SUGGEST_MAX bytes.
 */
#define DR__SUGGEST_MAX 64
size_t dr__suggest(const char *typed, const char *const *candidates,
                   size_t ncandidates, const char **out, size_t max);
/* The weighted edit distance dr__suggest ranks by: a left-out letter or a
 * swapped pair costs 1, a wrong or an extra letter 2.  (size_t)-1 when out
 * of memory. */
size_t dr__edit_cost(const char *typed, const char *candidate);

/* A growable string (buf.c).  After any allocation failure `oom` is set
 * and later appends do nothing, so callers check once at the end. */
typedef struct dr__buf {
    char *s;
    size_t len, cap;
    int oom;
} dr__buf;

void dr__buf_puts(dr__buf *b, const char *s);
void dr__buf_putn(dr__buf *b, const char *s, size_t n);
void dr__buf_printf(dr__buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void dr__buf_free(dr__buf *b);
/* Hands the string over (caller frees); returns NULL when oom. */
char *dr__buf_take(dr__buf *b, size_t *len);

/*
 * Text safe to print (escape.c): control characters, C1 controls and
 * invalid UTF-8 escaped, valid UTF-8 kept.  dr__escape writes src[0..len)
 * into dst (size bytes, NUL-terminated), never splitting a character, and
 * returns 1 when it did not all fit.  DR__ESC_MESSAGE: one line, newline,
 * tab and CR as \n \t \r, C1 as \u0080; else tab kept, newline kept with
 * DR__ESC_NEWLINES, every other unsafe byte \xHH.
 */
#define DR__ESC_MESSAGE 1u
#define DR__ESC_NEWLINES 2u
int dr__escape(char *dst, size_t size, const char *src, size_t len,
               unsigned flags);
/* dr__escape into a new string (tab kept, newlines kept when `newlines`),
 * or NULL (DR_ENOMEM). */
char *dr__safe_text(const char *s, size_t len, int newlines);

/* Writes v in decimal at p (20 bytes at most, no NUL); returns the end.
 * Without printf: the journal and the generators write millions. */
static inline char *dr__put_u64(char *p, uint64_t v) {
    char t[20];
    int n = 0;
    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0)
        *p++ = t[--n];
    return p;
}

/* Copies src into dst (size bytes, always NUL-terminated when size > 0),
 * cutting it if needed; returns strlen(src), as BSD strlcpy. */
size_t dr__strlcpy(char *dst, const char *src, size_t size);

/* The most numbers the builtin `array` makes ({"n": N}): checked when the
 * graph is loaded (graph/ops.c) and again when it runs
 * (scheduler/builtins.c).  A jansson array of 10^8 integers is some 4 GB,
 * already more than most machines a lab runs on should give one task. */
#define DR__ARRAY_MAX 100000000

/*
 * Limits on graphs (graph/limits.c, docs/graph-format.md "Limits"): the
 * caller's option, else the environment variable, else the default.  Every
 * message about a limit names its variable, as DR__RAISE_* says.
 */
#define DR__DEFAULT_MAX_BYTES ((size_t)1 << 30)
#define DR__DEFAULT_MAX_TASKS ((size_t)10000000)
#define DR__DEFAULT_MAX_DEPS ((size_t)100000000)
#define DR__ENV_MAX_BYTES "DAGRUN_MAX_GRAPH_BYTES"
#define DR__ENV_MAX_TASKS "DAGRUN_MAX_TASKS"
#define DR__ENV_MAX_DEPS "DAGRUN_MAX_DEPS"
#define DR__RAISE_BYTES "(set " DR__ENV_MAX_BYTES " to raise it)"
#define DR__RAISE_TASKS "(set " DR__ENV_MAX_TASKS " to raise it)"
#define DR__RAISE_DEPS "(set " DR__ENV_MAX_DEPS " to raise it)"

typedef struct dr__limits {
    size_t max_bytes; /* a graph file; text templates expand to; saved text */
    size_t max_tasks;
    size_t max_deps; /* dependencies, repeats included */
} dr__limits;

/* Fills *out for opts (may be NULL).  Returns 0, or DR_EINVAL with err
 * filled when an environment variable holds no valid number. */
int dr__limits_get(dr__limits *out, const dr_load_options *opts, dr_error *err);
/* `limits`, or the built-in defaults (without the environment) when it is
 * NULL: what a reader called directly (tests, fuzzers) obeys. */
const dr__limits *dr__limits_or_defaults(const dr__limits *limits);
/* Reads one limit variable (a whole number above 0, optionally followed by K,
 * M or G): returns 0 with *out unchanged when unset or empty, 0 with *out set
 * when valid, -1 with err filled (naming the variable) when not. */
int dr__limit_from_env(const char *name, size_t *out, dr_error *err);

/* qsort's comparison of doubles, ascending (graph/analysis.c). */
int dr__cmp_double(const void *a, const void *b);

/* x rounded to the 3 significant digits times are printed with ("%.3g"):
 * a printer picks the unit after rounding, so 0.99999999985 s is "1 s",
 * not "1e+03 ms" (graph/analysis.c).  Not finite: x. */
double dr__round3(double x);

/* A task's duration as the analysis and the simulator take it (graph/
 * analysis.c): its cost; without one, a sleep's ms / 1000 and a spin's
 * units / 1000 (s); otherwise the default cost, 1, and *guessed is set
 * (guessed may be NULL). */
double dr__task_estimate(const dr_graph *g, dr_task t, int *guessed);

#endif
