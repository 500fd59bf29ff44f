/*
 * Running graphs: the real executor (worker threads, child processes, wall
 * clock) and the simulator (virtual clock), both driven by one scheduling
 * core.  A run borrows the graph and never changes it; its result object
 * (dr_run) holds per-task records, metrics, the trace and the summary.
 */
#ifndef DAGRUN_RUN_H
#define DAGRUN_RUN_H

#include "../dagrun.h"

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dr_policy {
    DR_POLICY_CP = 0, /* critical path first: highest bottom level (default) */
    DR_POLICY_FIFO,   /* ready order */
    DR_POLICY_LIFO,   /* most recently ready first */
    DR_POLICY_ORDER,  /* Dask-like: depth-first, finish branches early */
    DR_POLICY_RANDOM  /* seeded random */
} dr_policy;

/* "cp", "fifo", ...; static. */
DR_EXTERN const char *dr_policy_name(dr_policy p);
/* Returns 0 and sets *out, or DR_EINVAL for an unknown name. */
DR_EXTERN int dr_policy_from_name(const char *name, dr_policy *out);

/* Where a real run's function tasks (builtin ops, C functions, plugin ops)
 * run; commands are child processes under every executor
 * (docs/running.md, "Executors"). */
typedef enum dr_executor {
    DR_EXECUTOR_THREADS = 0, /* on worker threads of this process (default) */
    DR_EXECUTOR_PROCESSES,   /* in worker processes, one task at a time each,
                                over the worker protocol
                                (docs/worker-protocol.md) */
    DR_EXECUTOR_SYNC,        /* on the calling thread, one at a time, in
                                policy order (for gdb, valgrind, printf) */
    DR_EXECUTOR_MPI          /* on the worker ranks of an MPI job started by
                                mpirun or srun, every task, commands
                                included; this process is rank 0 and the
                                others call dr_mpi_serve (docs/mpi.md) */
} dr_executor;

/* This process's rank in an MPI job, read from what mpirun or srun put in
 * its environment (nothing is initialised): 0..size-1, or -1 when it was
 * not started as part of one.  *size (may be NULL) gets the job's size (1
 * when -1 is returned). */
DR_EXTERN int dr_mpi_rank(unsigned *size);
/* 1 when this dagrun was built with MPI (--executor mpi exists), else 0. */
DR_EXTERN int dr_mpi_available(void);

/* "threads", "processes", "sync", "mpi"; static. */
DR_EXTERN const char *dr_executor_name(dr_executor e);
/* Returns 0 and sets *out, or DR_EINVAL for an unknown name. */
DR_EXTERN int dr_executor_from_name(const char *name, dr_executor *out);

/* How tasks without an operation (STG, WfCommons) run for real. */
typedef enum dr_cost_op {
    DR_COST_OP_NONE = 0, /* as noop */
    DR_COST_OP_SLEEP,    /* sleep for cost * cost_scale seconds */
    DR_COST_OP_SPIN      /* spin cost * cost_scale * 1000 units */
} dr_cost_op;

typedef struct dr_run_options {
    unsigned workers; /* worker slots; 0: the machine's core count */
    dr_policy policy;
    uint64_t seed;           /* for DR_POLICY_RANDOM */
    int simulate;            /* 1: virtual clock, durations from costs */
    const char *costs_trace; /* simulate with durations from this trace */
    int keep_going;          /* run what does not depend on a failure */
    int retries;             /* for tasks that do not set their own */
    double timeout;          /* seconds, for tasks without their own; 0 none */
    dr_cost_op cost_op;
    double cost_scale; /* 1.0 by default */
    /* Command logs; NULL: "dagrun-out/<graph>/logs".  The logs an earlier
     * run left there are removed when the run starts (docs/running.md). */
    const char *run_dir;
    const char *workdir; /* cwd of commands; NULL: the current folder; must
                            exist (checked before the run starts) */
    int progress;        /* 1: live status line on stderr if a terminal */
    int handle_signals;  /* 1: SIGINT/SIGTERM/SIGHUP stop the run (CLI) */
    const dr_ops *ops;   /* C function ops for tasks named in JSON */
    /* Keys of tasks whose results are kept after the run besides the
     * sinks' (`--output KEY`); may be NULL.  Borrowed. */
    const char *const *keep_results;
    size_t nkeep_results;
    /* Names of the graph parameters given on the command line (`--set
     * NAME=VALUE`, dr_load_options.params), recorded as such in the
     * summary and the trace (`params_set`) beside every parameter's final
     * value (`params`, from the graph); may be NULL.  Names that are not
     * parameters of the graph are ignored.  Borrowed for the call. */
    const char *const *params_set;
    size_t nparams_set;
    /* The run's output folder, given to every command as DAGRUN_OUT so
     * that what commands write goes beside the run's other outputs and two
     * runs with different folders never share files; NULL: DAGRUN_OUT is
     * not set (and one inherited from dagrun's environment is dropped).
     * The CLI passes its -o folder, made absolute.  Borrowed for the
     * call. */
    const char *output_dir;
    /* Durable runs (docs/resuming.md).  `journal`: the file where a real
     * run records every finished attempt as it happens (JSON lines, each
     * with a checksum), locked for the run; NULL: no journal.  Without
     * `resume` the journal starts afresh; with it, a task whose last
     * successful record still holds (same fingerprint: operation,
     * arguments or command, working folder, dependencies' results,
     * declared input files; declared outputs unchanged) is not run: it is
     * DR_STATE_CACHED and its recorded result feeds its dependents, and
     * the journal is appended to.  A simulation keeps no journal and
     * ignores both.  Borrowed for the call. */
    const char *journal;
    int resume;
    /* Not NULL: before tasks start, one line per task that will run and
     * why ("output out/3.txt missing", "first run"), as `--explain`. */
    FILE *explain;
    /* Where function tasks run (DR_EXECUTOR_THREADS by default).  A
     * simulation ignores it. */
    dr_executor executor;
    /* DR_EXECUTOR_PROCESSES: each worker process's address-space limit in
     * bytes (setrlimit RLIMIT_AS), so that a runaway task fails instead of
     * exhausting the machine; 0: no limit. */
    uint64_t worker_memory;
    /* DR_EXECUTOR_MPI on rank 0: use only the first mpi_slots of the worker
     * ranks' slots (rank 1's first, then rank 2's...); 0: all of them.
     * (workers is each worker rank's own slot count: dr_mpi_serve.)  What
     * `dagrun scale --executor mpi` varies. */
    unsigned mpi_slots;
    /* A simulation only: seconds every task keeps its worker besides its
     * duration, the per-task cost of a runtime (dispatch, bookkeeping), so
     * that a simulation predicts what a grain of work loses to it (Task
     * Bench's METG, bench/metg.c --simulate); 0: none.  Not scaled by
     * cost_scale.  A real run ignores it. */
    double sim_overhead;
} dr_run_options;

/* Fills defaults: workers 0, policy cp, cost_scale 1, everything else 0. */
DR_EXTERN void dr_run_options_init(dr_run_options *opts);

/*
 * 1 when task t burns CPU on a worker thread of this process when it runs
 * for real: the builtins spin, compute and pi, C function and plugin tasks,
 * and tasks without an operation under DR_COST_OP_SPIN.  0 for everything else:
 * sleep, noop, fail, the reductions (sum, mean, ...: microseconds of work)
 * and commands (other processes, whose CPU use dagrun cannot know).  Only
 * such tasks slow down when there are more workers than cores, so the
 * "workers on cores" warning and the oversubscribed flag of a summary
 * (summary.json `cpu_tasks`, `oversubscribed`) depend on it.  Cannot fail.
 */
DR_EXTERN int dr_task_uses_cpu(const dr_graph *g, dr_task t, dr_cost_op op);
/* The number of tasks of g for which dr_task_uses_cpu is 1. */
DR_EXTERN size_t dr_graph_cpu_tasks(const dr_graph *g, dr_cost_op op);

typedef enum dr_task_state {
    DR_STATE_PENDING = 0, /* never started: "not run" (the run stopped) */
    DR_STATE_OK,
    DR_STATE_FAILED,
    DR_STATE_SKIPPED,     /* a dependency failed */
    DR_STATE_INTERRUPTED, /* running when SIGINT/SIGTERM/SIGHUP stopped the
                             run: neither failed nor "not run" */
    DR_STATE_CACHED       /* not run: a resumed run reused its last result */
} dr_task_state;

typedef struct dr_run dr_run;

/*
 * Runs (or simulates) a graph.  The graph is validated first if it was not.
 * Returns a new run result even when tasks failed or the run was
 * interrupted (see dr_run_status), or NULL with err filled when the run
 * could not start (bad options, cycle, unknown op, missing working folder,
 * cannot create or clear the run dir, cannot start the process watcher).
 * A real run with command tasks forks a small watcher process before it
 * starts its threads; when this returns, nothing the commands started is
 * still running, and if the calling process dies the watcher stops them
 * (docs/running.md, "Nothing outlives a run").
 */
DR_EXTERN dr_run *dr_run_graph(dr_graph *g, const dr_run_options *opts,
                               dr_error *err);
DR_EXTERN void dr_run_destroy(dr_run *run);

/*
 * --executor mpi on a rank other than 0: serves rank 0's run of g (the same
 * graph, loaded by this rank: checked at start-up) with `opts->workers`
 * slots (0: this machine's cores), running each task rank 0 sends, until
 * rank 0 ends the run; rank 0 calls dr_run_graph with DR_EXECUTOR_MPI at
 * the same time.  Uses opts' workdir, ops, cost_op and cost_scale; the
 * rest is rank 0's.  Initialises MPI on first use (MPI_THREAD_MULTIPLE)
 * and finalises it at exit unless the program initialised it.  Returns 0
 * when rank 0 ended the run (whatever became of its tasks): call it again
 * for rank 0's next dr_run_graph; 1 when rank 0 has ended the job instead
 * (its program exited: there is no next run); or a DR_E* code with err
 * filled (rank 0 refused this rank: another graph or version; MPI failed).
 * A worker program is so `while (dr_mpi_serve(g, &o, &err) == 0) {}`
 * (docs/mpi.md).
 */
DR_EXTERN int dr_mpi_serve(dr_graph *g, const dr_run_options *opts,
                           dr_error *err);

/* 0 when every task succeeded, DR_EFAILED, or DR_EINTR. */
DR_EXTERN int dr_run_status(const dr_run *run);
DR_EXTERN const dr_graph *dr_run_graph_of(const dr_run *run);
DR_EXTERN dr_task_state dr_run_task_state(const dr_run *run, dr_task t);
/* Seconds since the run started; -1 when the task never ran.  Last attempt. */
DR_EXTERN double dr_run_task_start(const dr_run *run, dr_task t);
DR_EXTERN double dr_run_task_end(const dr_run *run, dr_task t);
DR_EXTERN int dr_run_task_worker(const dr_run *run, dr_task t);
/* The task's JSON result if it is still held (sinks and --output keys);
 * borrowed until dr_run_destroy.  NULL otherwise. */
DR_EXTERN json_t *dr_run_task_result(const dr_run *run, dr_task t);
DR_EXTERN double dr_run_makespan(const dr_run *run);

/* Tasks are too fine-grained when the scheduling overhead per task
 * (summary.json overhead.per_task: a worker's time from the end of one task
 * to the start of the next, already ready) is at least this share of the
 * median task: even a perfectly parallel graph then loses a tenth of its
 * time between tasks.  The run's summary and `dagrun scale` say so. */
#define DR_GRAIN_OVERHEAD_SHARE 0.1
/* ... but a real run's summary judges so only from this many gaps or more:
 * in a dozen tasks one delay of the operating system looks like a huge
 * overhead. */
#define DR_GRAIN_MIN_GAPS 100

/* New references: the Chrome trace (docs/trace-format.md) and the summary. */
DR_EXTERN json_t *dr_run_trace_json(const dr_run *run);
DR_EXTERN json_t *dr_run_summary_json(const dr_run *run);
/* The summary in plain words, each figure explained. */
DR_EXTERN void dr_run_print_summary(const dr_run *run, FILE *out);

/* ------------------------------------------------------ resuming a run */

/*
 * What a run with opts->resume would do, without running anything (`dagrun
 * run --dry-run`): reads opts->journal (without taking its lock) and
 * decides, task by task in topological order, whether its last successful
 * record still holds.  The graph is validated first if it was not.  A
 * journal that is missing, of another graph or format, or unreadable gives
 * a plan where every task runs, with a note saying why (dr_plan_note);
 * records that are torn or fail their checksum are ignored.  Returns a new
 * plan, or NULL with err filled (invalid graph, out of memory).
 */
typedef struct dr_plan dr_plan;
DR_EXTERN dr_plan *dr_plan_create(dr_graph *g, const dr_run_options *opts,
                                  dr_error *err);
DR_EXTERN void dr_plan_destroy(dr_plan *plan);
/* 1 when t would be reused (cached), 0 when it would run. */
DR_EXTERN int dr_plan_cached(const dr_plan *plan, dr_task t);
/* Why t would run, one line ("first run", "command changed", "input
 * data/3.csv changed (content)", "dependency map-3 runs", ...); NULL when
 * it is cached.  Borrowed until dr_plan_destroy. */
DR_EXTERN const char *dr_plan_reason(const dr_plan *plan, dr_task t);
/* Tasks that would run. */
DR_EXTERN size_t dr_plan_nrun(const dr_plan *plan);
/* "KEY: REASON" on `out`, one line per task that would run, in
 * topological order (keys with control characters escaped): what
 * `--dry-run` and `--explain` print. */
DR_EXTERN void dr_plan_print(const dr_plan *plan, FILE *out);
/* After a run with a journal: why the journal's records were not used (a
 * journal of another graph or format: every task ran), or why it could
 * not be written to the end; "" when neither.  Borrowed. */
DR_EXTERN const char *dr_run_journal_note(const dr_run *run);
/* Why the journal was not used at all, or "" (borrowed). */
DR_EXTERN const char *dr_plan_note(const dr_plan *plan);

/* ------------------------------------------------ C function task calls */

/* Inside a dr_task_fn: the task's key, worker, args (borrowed). */
DR_EXTERN const char *dr_call_task(const dr_call *call);
DR_EXTERN unsigned dr_call_worker(const dr_call *call);
DR_EXTERN json_t *dr_call_args(const dr_call *call);
/* Dependencies' results, in dependency order.  A JSON result (borrowed) or
 * NULL; a pointer result (borrowed) or NULL. */
DR_EXTERN size_t dr_call_ninputs(const dr_call *call);
DR_EXTERN const char *dr_call_input_key(const dr_call *call, size_t i);
DR_EXTERN json_t *dr_call_input_json(const dr_call *call, size_t i);
DR_EXTERN void *dr_call_input_ptr(const dr_call *call, size_t i);
/* Sets the task's result: a JSON value (stolen), or a pointer released with
 * free_fn (may be NULL) when the last dependent has run; size is reported
 * in the peak-live-results figure. */
DR_EXTERN void dr_call_set_json(dr_call *call, json_t *value);
DR_EXTERN void dr_call_set_ptr(dr_call *call, void *ptr,
                               void (*free_fn)(void *), size_t size);
/* Records a failure message; returns -1 so `return dr_call_fail(...)`. */
DR_EXTERN int dr_call_fail(dr_call *call, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Non-zero once the run is being stopped; long functions should return. */
DR_EXTERN int dr_call_cancelled(const dr_call *call);

/* A plugin is a shared library exporting
 *     int dagrun_plugin_init(dr_ops *ops);
 * which registers its ops and returns 0.  dr_plugin_load loads one (libuv's
 * uv_dlopen) into ops; returns 0 or DR_EDLOPEN with err filled. */
DR_EXTERN int dr_plugin_load(const char *path, dr_ops *ops, dr_error *err);

#ifdef __cplusplus
}
#endif
#endif
