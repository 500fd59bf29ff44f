/*
 * dagrun: a task-graph scheduler with a DAG visualiser.
 *
 * This header is the graph half of the public API: errors, the graph itself
 * (tasks, operations, dependencies), loading and saving, analysis and
 * generators.  The graph is plain data; running it is the scheduler's job
 * (include/dagrun/run.h), which borrows the graph and never changes it.
 *
 * Conventions (see docs/api.md):
 *  - functions that can fail return int: 0 on success, a negative DR_E* code;
 *  - constructors return NULL on failure and fill an optional dr_error;
 *  - every function says whether a returned pointer is new (caller frees) or
 *    borrowed (valid until the named event);
 *  - dr_X_destroy(NULL) does nothing.
 */
#ifndef DAGRUN_H
#define DAGRUN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(DAGRUN_BUILDING) && defined(__GNUC__)
#define DR_EXTERN __attribute__((visibility("default")))
#else
#define DR_EXTERN /* nothing */
#endif

#define DAGRUN_VERSION_MAJOR 0
#define DAGRUN_VERSION_MINOR 1
#define DAGRUN_VERSION_PATCH 0
#define DAGRUN_VERSION_STRING "0.1.0"

/* ------------------------------------------------------------------ errors */

/* One list generates the enum, dr_strerror() and dr_err_name(). */
#define DR_ERRNO_MAP(XX)                                                       \
    XX(NOMEM, 1, "out of memory")                                              \
    XX(INVAL, 2, "invalid argument")                                           \
    XX(EXIST, 3, "a task with this key already exists")                        \
    XX(NOENT, 4, "no such task")                                               \
    XX(CYCLE, 5, "the graph has a cycle")                                      \
    XX(PARSE, 6, "syntax error")                                               \
    XX(FORMAT, 7, "invalid graph description")                                 \
    XX(IO, 8, "input/output error")                                            \
    XX(RANGE, 9, "value out of range")                                         \
    XX(TOOBIG, 10, "too large")                                                \
    XX(NOOP, 11, "unknown operation")                                          \
    XX(FAILED, 12, "a task failed")                                            \
    XX(INTR, 13, "interrupted")                                                \
    XX(TIMEDOUT, 14, "timed out")                                              \
    XX(DLOPEN, 15, "cannot load plugin")                                       \
    XX(NOTSUP, 16, "not supported")                                            \
    XX(BUSY, 17, "in use by another run")

typedef enum {
    DR_OK = 0,
#define DR__ERR_ENUM(name, num, text) DR_E##name = -(num),
    DR_ERRNO_MAP(DR__ERR_ENUM)
#undef DR__ERR_ENUM
} dr_errno;

/* Returns a static string; unknown codes give "unknown error". */
DR_EXTERN const char *dr_strerror(int err);
/* Returns "DR_ENOMEM" etc.; a static string. */
DR_EXTERN const char *dr_err_name(int err);

#define DR_ERROR_SOURCE_LENGTH 256
#define DR_ERROR_TASK_LENGTH 128
#define DR_ERROR_TEXT_LENGTH 512

/*
 * Where and what went wrong, first error wins (like jansson's json_error_t).
 * `text` is the full human message, already formatted as
 *   "graph.json:12:5: task 'reduce': unknown dependency 'map-7'"
 * (parts that are unknown are left out).  `message` is the last part only.
 * line/column are 1-based; 0 means unknown.
 */
typedef struct dr_error {
    int code; /* a DR_E* value, 0 when no error was recorded */
    int line;
    int column;
    char source[DR_ERROR_SOURCE_LENGTH]; /* file name, "<string>" or "" */
    char task[DR_ERROR_TASK_LENGTH];     /* task key or "" */
    char message[DR_ERROR_TEXT_LENGTH];
    char text[DR_ERROR_SOURCE_LENGTH + DR_ERROR_TASK_LENGTH +
              DR_ERROR_TEXT_LENGTH + 64];
} dr_error;

/* Resets *err to "no error".  err may be NULL.  dr_run_graph,
 * dr_mpi_serve and the dr_graph_load functions clear their err first, so a
 * caller's `dr_error err;` needs no initialising for them. */
DR_EXTERN void dr_error_clear(dr_error *err);

/* ------------------------------------------------------------- parameters */

/* A named integer, as given with `--set name=value`. */
typedef struct dr_param {
    const char *name;
    int64_t value;
} dr_param;

/* Parses "name=value" (value an integer expression without names, e.g.
 * "4*16").  name points into `text` and is NUL-terminated in place.
 * Returns 0 or DR_EINVAL and fills err. */
DR_EXTERN int dr_param_parse(char *text, dr_param *out, dr_error *err);

/* -------------------------------------------------------------- operations */

/*
 * What a task does.  Tasks imported from STG or WfCommons have no operation
 * (DR_OP_NONE): they run as `noop`, or as sleep/spin for their cost when the
 * scheduler is asked to (--cost-op).
 */
typedef enum dr_op_kind {
    DR_OP_NONE = 0, /* nothing to do */
    DR_OP_BUILTIN,  /* a builtin op by name (noop, sleep, spin, pi, sum, ...) */
    DR_OP_FUNCTION, /* a C function, registered by name or set directly */
    DR_OP_ARGV,     /* a command run without a shell */
    DR_OP_SHELL     /* a command string run with /bin/sh -c */
} dr_op_kind;

/* The scheduler's view of one call of a C function task; see dagrun/run.h. */
typedef struct dr_call dr_call;

/* A C function task.  Returns 0 on success, non-zero on failure (set a
 * message with dr_call_fail()). */
typedef int (*dr_task_fn)(dr_call *call, void *user_data);

/*
 * A table of named C function operations, so JSON graphs and plugins can name
 * them ("op": "my_op").  Builtin op names are always known and cannot be
 * replaced.  An op table is plain data: it is read, never changed, while
 * graphs are loaded and run.
 */
typedef struct dr_ops dr_ops;

/* Returns a new, empty table, or NULL when out of memory. */
DR_EXTERN dr_ops *dr_ops_create(void);
DR_EXTERN void dr_ops_destroy(dr_ops *ops);
/* Adds or replaces `name`.  The name is copied.  Returns 0, DR_EINVAL for an
 * empty name or one that is a builtin's, DR_ENOMEM. */
DR_EXTERN int dr_ops_register(dr_ops *ops, const char *name, dr_task_fn fn,
                              void *user_data);
/* Finds `name`.  Returns 0 and sets *fn and *user_data (either may be NULL), or
 * DR_ENOENT.  ops may be NULL (nothing registered). */
DR_EXTERN int dr_ops_find(const dr_ops *ops, const char *name, dr_task_fn *fn,
                          void **user_data);
/* Number of registered ops and the name of the i-th (borrowed). */
DR_EXTERN size_t dr_ops_count(const dr_ops *ops);
DR_EXTERN const char *dr_ops_name(const dr_ops *ops, size_t i);

/*
 * Builtin operations, known to the loader.  Returns 1 when `name` is one.
 * dr_builtin_check validates a builtin's arguments (args may be NULL): returns
 * 0, or DR_EINVAL with a message such as "op 'sleep' needs a number 'ms'"
 * written to msg (size msglen).
 */
DR_EXTERN int dr_builtin_exists(const char *name);
DR_EXTERN int dr_builtin_check(const char *name, const json_t *args, char *msg,
                               size_t msglen);
/* NULL-terminated list of builtin names (static). */
DR_EXTERN const char *const *dr_builtin_names(void);

/* ------------------------------------------------------------------- graph */

typedef struct dr_graph dr_graph;

/* Tasks are numbered 0..n-1 in the order they were added.  A dr_task is
 * that number; it stays valid for the life of the graph. */
typedef uint32_t dr_task;
#define DR_TASK_NONE ((dr_task)UINT32_MAX)

/* Returns a new empty graph, or NULL when out of memory. */
DR_EXTERN dr_graph *dr_graph_create(void);
DR_EXTERN void dr_graph_destroy(dr_graph *g);

/* Name and description; copied.  Borrowed results valid until changed. */
DR_EXTERN int dr_graph_set_name(dr_graph *g, const char *name);
DR_EXTERN const char *dr_graph_name(const dr_graph *g); /* "" when unset */
DR_EXTERN int dr_graph_set_description(dr_graph *g, const char *text);
DR_EXTERN const char *dr_graph_description(const dr_graph *g);

/*
 * The graph's parameters (from a JSON file, after --set overrides), kept so
 * that a saved graph records how it was made.  Copied.
 */
DR_EXTERN int dr_graph_set_param(dr_graph *g, const char *name, int64_t value);
DR_EXTERN size_t dr_graph_nparams(const dr_graph *g);
DR_EXTERN const char *dr_graph_param_name(const dr_graph *g, size_t i);
DR_EXTERN int64_t dr_graph_param_value(const dr_graph *g, size_t i);

/*
 * Adds a task with a unique, non-empty key (copied).  The task has no
 * operation, no cost (unset), no dependencies.  Returns 0 and sets *out
 * (out may be NULL), DR_EEXIST for a duplicate key, DR_EINVAL for an empty
 * key, DR_ERANGE past 2^32-2 tasks, DR_ENOMEM.
 */
DR_EXTERN int dr_graph_add_task(dr_graph *g, const char *key, dr_task *out);

/* Looks a key up.  Returns the task or DR_TASK_NONE.  O(1). */
DR_EXTERN dr_task dr_graph_find(const dr_graph *g, const char *key);

/*
 * Makes `task` depend on `dep` (dep must end before task starts).  A repeated
 * edge is ignored.  Returns 0, DR_EINVAL for a self-dependency or an id out of
 * range, DR_ENOMEM.  Cycles are found by dr_graph_validate(), not here.
 */
DR_EXTERN int dr_graph_add_dep(dr_graph *g, dr_task task, dr_task dep);
/* The same by key; DR_ENOENT when either key is unknown. */
DR_EXTERN int dr_graph_add_dep_key(dr_graph *g, const char *task,
                                   const char *dep);

/* Operations.  Strings and argv are copied; args are increfed (borrowed by
 * the caller, owned by the graph after).  Each replaces any earlier op. */
DR_EXTERN int dr_task_set_builtin(dr_graph *g, dr_task t, const char *name,
                                  json_t *args);
DR_EXTERN int dr_task_set_function(dr_graph *g, dr_task t, const char *name,
                                   dr_task_fn fn, void *user_data,
                                   json_t *args);
DR_EXTERN int dr_task_set_argv(dr_graph *g, dr_task t, const char *const *argv,
                               size_t argc);
DR_EXTERN int dr_task_set_shell(dr_graph *g, dr_task t, const char *command);
DR_EXTERN int dr_task_set_cost(dr_graph *g, dr_task t, double seconds);
DR_EXTERN int dr_task_set_timeout(dr_graph *g, dr_task t, double seconds);
DR_EXTERN int dr_task_set_retries(dr_graph *g, dr_task t, int retries);
/* Whether `dagrun run --resume` may reuse the task's last result
 * (docs/resuming.md): 1 by default; 0 ("cache": false in JSON) makes every
 * run run it, and so its dependents too. */
DR_EXTERN int dr_task_set_cache(dr_graph *g, dr_task t, int cache);
/* Input/output files: appended, copied.  Relative paths are relative to
 * the commands' working folder (dr_run_options.workdir).  A real run
 * checks them (docs/resuming.md): inputs that no task outputs must
 * exist, outputs must be written, and a failed attempt's outputs are
 * removed. */
DR_EXTERN int dr_task_add_input(dr_graph *g, dr_task t, const char *path);
DR_EXTERN int dr_task_add_output(dr_graph *g, dr_task t, const char *path);
/* Long-lived user data; the graph never touches it.  0, DR_EINVAL (no such
 * task) or DR_ENOMEM (it is kept beside the task record, made on first
 * use). */
DR_EXTERN int dr_task_set_data(dr_graph *g, dr_task t, void *data);

/* Reading a task back.  Borrowed pointers valid until the graph changes. */
DR_EXTERN size_t dr_graph_ntasks(const dr_graph *g);
/* Edges, repeats left out.  Like dr_task_deps, the first call after a
 * change may merge what was added, and is not safe to race with other
 * calls until dr_graph_validate(). */
DR_EXTERN size_t dr_graph_nedges(const dr_graph *g);
DR_EXTERN const char *dr_task_key(const dr_graph *g, dr_task t);
DR_EXTERN dr_op_kind dr_task_op_kind(const dr_graph *g, dr_task t);
/* Builtin or function op name; NULL for other kinds. */
DR_EXTERN const char *dr_task_op_name(const dr_graph *g, dr_task t);
/* Builtin/function arguments (borrowed, may be NULL). */
DR_EXTERN json_t *dr_task_op_args(const dr_graph *g, dr_task t);
DR_EXTERN dr_task_fn dr_task_function(const dr_graph *g, dr_task t,
                                      void **user_data);
/* Command argv, NULL-terminated, argc in *argc; NULL for other kinds. */
DR_EXTERN const char *const *dr_task_argv(const dr_graph *g, dr_task t,
                                          size_t *argc);
DR_EXTERN const char *dr_task_shell(const dr_graph *g, dr_task t);
/* "noop", "sleep", ..., the function name, "command", "shell" or "none". */
DR_EXTERN const char *dr_task_op_label(const dr_graph *g, dr_task t);
/* Cost in seconds; dr_task_has_cost() is 0 when it was never set, and
 * dr_task_cost() then returns 1.0 (the analysis's default for a task that
 * is neither a sleep nor a spin). */
DR_EXTERN int dr_task_has_cost(const dr_graph *g, dr_task t);
DR_EXTERN double dr_task_cost(const dr_graph *g, dr_task t);
/* Timeout in seconds; 0: none.  dr_task_has_timeout() is 0 when the task
 * never set one, and the run's default timeout (--timeout) then applies; a
 * task that set 0 has no timeout whatever the run's default. */
DR_EXTERN double dr_task_timeout(const dr_graph *g, dr_task t);
DR_EXTERN int dr_task_has_timeout(const dr_graph *g, dr_task t);
DR_EXTERN int dr_task_retries(const dr_graph *g, dr_task t); /* -1: default */
DR_EXTERN int dr_task_cache(const dr_graph *g, dr_task t);   /* 1 default */
DR_EXTERN size_t dr_task_ninputs(const dr_graph *g, dr_task t);
DR_EXTERN const char *dr_task_input(const dr_graph *g, dr_task t, size_t i);
DR_EXTERN size_t dr_task_noutputs(const dr_graph *g, dr_task t);
DR_EXTERN const char *dr_task_output(const dr_graph *g, dr_task t, size_t i);
DR_EXTERN void *dr_task_data(const dr_graph *g, dr_task t);

/* Dependencies (predecessors) of t, in the order added, repeats left out.
 * Never NULL when *n > 0 (NULL with *n == 0 on DR_ENOMEM).  Borrowed until
 * the graph changes.  The first call after a dependency was added to an
 * earlier task than the last one given dependencies merges those in (O(V+E))
 * and is not safe to race with other calls; dr_graph_validate() does it.
 * A program that reads dependencies between adding edges to earlier tasks
 * pays that merge every time: add the edges first. */
DR_EXTERN const dr_task *dr_task_deps(const dr_graph *g, dr_task t, size_t *n);
/* Dependents (successors) of t.  Built on first use after a change, so the
 * first call after adding tasks or edges is O(V+E) and is not safe to race
 * with other calls; dr_graph_validate() builds them.  Returns NULL with
 * *n == 0 when there are none or on DR_ENOMEM. */
DR_EXTERN const dr_task *dr_task_succs(const dr_graph *g, dr_task t, size_t *n);

/*
 * Checks that the graph is a DAG and builds the successor lists and a
 * topological order.  Returns 0, or DR_ECYCLE with err->message holding the
 * cycle itself ("cycle: a -> b -> c -> a") and err->task its first task.
 * After success, read-only calls are safe from several threads until the
 * graph changes.  The first validation after a change also gives back the
 * arrays' unused room, so pointers borrowed before it (dr_task_deps, keys
 * excepted) are no longer valid after it.
 */
DR_EXTERN int dr_graph_validate(dr_graph *g, dr_error *err);

/* A topological order (n entries, borrowed until the graph changes): Kahn's
 * algorithm starting from the sources in task-number order, so it is the
 * same for the same graph.  NULL when the graph is not validated or has a
 * cycle. */
DR_EXTERN const dr_task *dr_graph_topo_order(const dr_graph *g);

/*
 * The group a task key belongs to, Dask-style: the key without its numeric
 * suffixes ("map-3" -> "map", "gemm-3-2-1" -> "gemm", "load_2-3" -> "load")
 * and without a WfCommons "_ID<digits>" ("mAdd_ID0000018" -> "mAdd").  A
 * key without such a suffix is its own group ("reduce", "v2").  Returns the
 * length of the prefix within key.  Traces use it as the event category,
 * the visualiser to colour and collapse.  Can't fail.
 */
DR_EXTERN size_t dr_key_prefix(const char *key);

/* Bytes used by the graph's own structures (not op args), for the memory
 * report. */
DR_EXTERN size_t dr_graph_memory(const dr_graph *g);

/* Two graphs are equal when they have the same name, description, tasks (by
 * key, with equal ops, costs, timeouts, retries, files) and dependencies (as
 * sets).  Returns 1 or 0; when `why` is not NULL the first difference is
 * written to it.  It reads dependencies (see dr_task_deps on races). */
DR_EXTERN int dr_graph_equal(const dr_graph *a, const dr_graph *b, char *why,
                             size_t whylen);

/* ------------------------------------------------------ loading and saving */

typedef enum dr_format {
    DR_FORMAT_AUTO = 0, /* by extension, then by content */
    DR_FORMAT_JSON,     /* dagrun's own format (docs/graph-format.md) */
    DR_FORMAT_STG,      /* Standard Task Graph Set */
    DR_FORMAT_WFCOMMONS /* WfCommons WfFormat 1.4 / 1.5 */
} dr_format;

/*
 * Limits (docs/graph-format.md, "Limits"): a value of 0 takes the
 * environment variable named beside it, or else the default, so one variable
 * raises a limit for every program and subcommand.  A malformed variable is
 * a load error (DR_EINVAL).  Reaching a limit is DR_ETOOBIG, with a message
 * that names the limit and its variable.
 */
typedef struct dr_load_options {
    dr_format format;
    const dr_param *params; /* --set overrides, applied before expansion */
    size_t nparams;
    const dr_ops *ops; /* C function ops JSON may name; NULL: builtins only */
    size_t max_tasks;  /* tasks in the graph, templates expanded, any format;
                          0: $DAGRUN_MAX_TASKS or 10,000,000 */
    size_t max_deps;   /* dependencies, repeats included; 0:
                          $DAGRUN_MAX_DEPS or 100,000,000 */
    size_t max_bytes;  /* bytes of the file (or of stdin), and bytes of text
                          (ids, commands, file names, args) templates may
                          expand to; 0: $DAGRUN_MAX_GRAPH_BYTES or 1 GiB */
} dr_load_options;

/* Returns the format name ("json", "stg", "wfcommons"); static. */
DR_EXTERN const char *dr_format_name(dr_format f);
/* Parses a format name; DR_FORMAT_AUTO for "auto" or unknown. */
DR_EXTERN dr_format dr_format_from_name(const char *name);

/*
 * Loads and validates a graph (a cycle is an error).  opts may be NULL.
 * Returns a new graph (caller destroys) or NULL with err filled: syntax
 * errors, wrong types, missing/duplicate ids, unknown dependencies, cycles,
 * unknown ops, bad templates... each naming file:line:column and the task.
 */
DR_EXTERN dr_graph *dr_graph_load(const char *path, const dr_load_options *opts,
                                  dr_error *err);
/* The same from memory; `source` names it in errors (NULL: "<string>"). */
DR_EXTERN dr_graph *dr_graph_load_buffer(const char *text, size_t len,
                                         const char *source,
                                         const dr_load_options *opts,
                                         dr_error *err);

/* The graph in dagrun's JSON format with templates expanded; a new
 * reference, NULL on DR_ENOMEM or for a graph with C function tasks set
 * directly (not by registered name). */
DR_EXTERN json_t *dr_graph_to_json(const dr_graph *g);
/* The same as JSON text with one task a line, built one task at a time (a
 * jansson tree of a million tasks would take about a gigabyte).  Returns a
 * new NUL-terminated string (free it) and its length in *len (may be NULL),
 * or NULL as dr_graph_to_json. */
DR_EXTERN char *dr_graph_to_text(const dr_graph *g, size_t *len);
typedef struct dr_save_options {
    int compact;      /* 1: the whole graph on one line */
    size_t max_bytes; /* 0: $DAGRUN_MAX_GRAPH_BYTES or 1 GiB, the limit on
                         what a graph file may be when loaded */
} dr_save_options;
/* dr_graph_to_text(), or all on one line, refusing a text longer than the
 * byte limit (opts may be NULL).  Building stops at the limit, so a graph
 * too big to save costs no more memory than that.  Returns a new string
 * (free it) or NULL with err filled: DR_ETOOBIG naming the limit and its
 * variable, DR_EINVAL as dr_graph_to_json, DR_EINVAL for a malformed
 * variable. */
DR_EXTERN char *dr_graph_to_text_opts(const dr_graph *g,
                                      const dr_save_options *opts, size_t *len,
                                      dr_error *err);
/* Writes dr_graph_to_text() atomically (temp file + rename), under the byte
 * limit of dr_graph_to_text_opts(), so every saved graph loads back.
 * Returns 0 or a DR_E* code with err filled. */
DR_EXTERN int dr_graph_save(const dr_graph *g, const char *path, dr_error *err);

/* Writes `text` (len bytes) to `path` atomically: a temporary file in the
 * same folder, fsync'd, then renamed over `path` (a replaced file keeps its
 * mode).  Only a regular file is replaced: /dev/stdout, /dev/stderr and
 * /dev/fd/N write to that descriptor; an existing character device, FIFO
 * or socket is written in place; a symbolic link stays and its target is
 * replaced; a dangling link or a folder is an error.  Returns 0 or DR_EIO
 * with err filled (naming the path and errno's text). */
DR_EXTERN int dr_write_file_atomic(const char *path, const void *text,
                                   size_t len, dr_error *err);
/* Creates folder `path` and its parents (mkdir -p); an existing folder is
 * fine.  Returns 0, or DR_EIO with err filled (the path and errno's text;
 * errno is left set), DR_ENOMEM. */
DR_EXTERN int dr_make_dirs(const char *path, dr_error *err);
/* json_dumps() + dr_write_file_atomic(); flags as for json_dumps. */
DR_EXTERN int dr_write_json_atomic(const char *path, const json_t *json,
                                   size_t flags, dr_error *err);

/* ----------------------------------------------------------------- analysis */

typedef struct dr_analysis {
    size_t tasks, edges, sources, sinks;
    size_t depth;           /* number of levels: tasks on the longest chain */
    double work;            /* T1: sum of costs */
    double span;            /* T-infinity: critical path length by cost */
    double parallelism;     /* work / span (0 for an empty graph) */
    size_t width;           /* maximum antichain (exact or upper bound) */
    int width_exact;        /* 1 when width is exact */
    size_t width_lower;     /* a lower bound: max(profile peak, widest level);
                               equals width when exact */
    dr_task *critical_path; /* tasks in order, from a source to a sink */
    size_t critical_path_len;
    double *top_level;    /* per task: earliest start (longest path before) */
    double *bottom_level; /* per task: longest path from its start to end,
                             its own cost included (the "static level") */
    /* Parallelism profile of the earliest-start schedule with unlimited
     * workers: from profile_time[i] until profile_time[i+1] (the last until
     * span), profile_running[i] tasks run. */
    size_t profile_len;
    double *profile_time;
    uint32_t *profile_running;
    size_t max_profile; /* peak of the profile */
} dr_analysis;

typedef struct dr_analyze_options {
    size_t exact_width_limit; /* tasks up to which width is exact; 0: 20,000 */
} dr_analyze_options;

/* Analyses a validated graph.  Returns a new analysis (destroy it) or NULL
 * with err filled (DR_ECYCLE, DR_ENOMEM).  opts may be NULL.  A task's
 * duration is the simulator's: its cost; without one, a sleep's ms / 1000,
 * a spin's units / 1000, any other task 1. */
DR_EXTERN dr_analysis *dr_analyze(dr_graph *g, const dr_analyze_options *opts,
                                  dr_error *err);
DR_EXTERN void dr_analysis_destroy(dr_analysis *a);
/* The lower bound on the makespan with P workers: max(span, work / P). */
DR_EXTERN double dr_analysis_lower_bound(const dr_analysis *a, unsigned p);
/* A JSON object with at least tasks, edges, work, span, parallelism, width,
 * width_exact, critical_path (keys); new reference. */
DR_EXTERN json_t *dr_analysis_to_json(const dr_analysis *a, const dr_graph *g);

/* --------------------------------------------------------------- generators */

/*
 * Builds a synthetic graph.  Shapes: "chain", "fork-join", "map-reduce",
 * "tree", "stencil", "layered", "cholesky", "taskbench" (dr_generator_help()
 * lists their parameters and defaults).  Unknown parameter names are an
 * error.  `op` is the builtin op generated tasks run (NULL: noop, but
 * "compute" for taskbench); with "sleep" or "spin" the op's amount is the
 * task's cost.  Deterministic for a given seed.
 * Returns a new, validated graph or NULL with err filled.
 */
DR_EXTERN dr_graph *dr_generate(const char *shape, const dr_param *params,
                                size_t nparams, uint64_t seed, const char *op,
                                dr_error *err);
/* A static text describing every shape and its parameters. */
DR_EXTERN const char *dr_generator_help(void);
/* The value of a parameter that names a word, such as taskbench's pattern
 * (trivial, no_comm, stencil_1d, nearest, spread, tree, fft, all_to_all:
 * 0..7): the word's index into *value for dr_generate().  Returns 0, or
 * DR_EINVAL with err naming the words (or saying the parameter takes a
 * number). */
DR_EXTERN int dr_generator_choice(const char *shape, const char *param,
                                  const char *word, int64_t *value,
                                  dr_error *err);

#ifdef __cplusplus
}
#endif
#endif /* DAGRUN_H */
