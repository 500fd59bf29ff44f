/*
 * The dr_run result object, filled by either driver (executor.c for real
 * runs, simulator.c for simulated ones) and read by metrics, trace and
 * summary code.  Times are seconds since the run started.
 */
#ifndef DAGRUN_RUN_INTERNAL_H
#define DAGRUN_RUN_INTERNAL_H

#include "core.h"

/* How an attempt ended. */
enum {
    DR__ATTEMPT_OK = 0,
    DR__ATTEMPT_FAILED,
    DR__ATTEMPT_TIMEOUT,
    DR__ATTEMPT_INTERRUPTED
};

/* One attempt of one task: a bar in the Gantt chart, an event in the trace. */
typedef struct dr__attempt {
    dr_task task;
    uint32_t worker;
    uint32_t attempt; /* 1-based */
    uint32_t status;  /* DR__ATTEMPT_* */
    double ready, start, end;
    char *error; /* owned; one line, NULL when ok */
    /* DR_EXECUTOR_PROCESSES (and MPI): seconds spent sending the task
     * message (its arguments and its dependencies' results) and receiving
     * the result message, inside [start, end], and the bytes of each
     * message; 0 under threads and sync, where nothing moves. */
    float send_s, recv_s;
    uint64_t bytes_sent, bytes_received;
} dr__attempt;

/* A failed task's details for the summary. */
typedef struct dr__failure {
    dr_task task;
    uint32_t attempts;
    char *reason; /* owned */
    char
        *stderr_tail; /* owned, may be NULL: last lines of a command's stderr */
} dr__failure;

struct dr_run {
    dr_graph *graph;     /* borrowed */
    dr_run_options opts; /* copied; strings borrowed from the caller */
    unsigned workers;    /* resolved worker count */
    unsigned cores;      /* the host's core count */
    int simulated;
    int interrupted;
    int stop_signal; /* the signal that interrupted the run, 0: none */
    double makespan;

    /* In the order the driver recorded them: the simulator when an attempt
     * starts, the executor when it ends.  Either way one worker's attempts
     * are in start order (a worker runs one at a time); across workers
     * there is no order to rely on (metrics.c sorts its sweep's events). */
    dr__attempt *attempts;
    size_t nattempts, capattempts;
    dr__failure *failures;
    size_t nfailures, capfailures;

    uint8_t *state;   /* per task: dr_task_state */
    int32_t *last;    /* per task: index of the last attempt, -1 */
    json_t **results; /* per task: kept JSON results (sinks...), or NULL */

    uint8_t *keep; /* per task: 1 when its result is kept after
                      the run (sinks and opts.keep_results) */

    /* Bytes of the in-memory results (JSON values, pointers) held at once,
     * at most; real runs only.  The peak count of live results is a metric
     * of the attempt list (metrics.c), the same for both drivers. */
    size_t peak_live_bytes;
    /* Per graph parameter (dr_graph_param_name order): 1 when it was set
     * on the command line (opts.params_set); NULL when none was. */
    uint8_t *param_set;
    char *run_dir; /* owned: where command logs went, or NULL */

    /* A simulation's tasks whose duration is the default cost 1 (no cost,
     * no sleep/spin length, not in the --costs trace); 0 for real runs. */
    size_t tasks_without_cost;
    /* Tasks that burn CPU in this process (dr_task_uses_cpu). */
    size_t cpu_tasks;

    /* A real run's check of the machine (run.c, with scaling_probe.c):
     * whether other programs took CPU time from its computing tasks, and
     * the evidence as one clause.  NAN figures are unknown; all NAN and
     * busy 0 for a simulation or when no task computes. */
    int busy;
    double cpu_share;    /* CPU seconds got / needed by the computing tasks */
    double others_cores; /* cores used by other programs, on average */
    double load_before, load_after; /* 1-minute load averages */
    char busy_why[384];
    /* --costs: the replayed trace says it was recorded on a busy machine
     * (its otherData.busy_machine). */
    int costs_busy;

    /* Durable runs (docs/resuming.md), real runs with opts.journal only:
     * the plan (which tasks are cached, every task's op fingerprint) and
     * the journal open for the run, both released by run.c when the
     * driver returns; and why the journal was not used or not written
     * ("" when it was). */
    struct dr_plan *plan;
    struct dr__journal *journal;
    char journal_note[640];
};

/* "ok", "failed", "timeout" or "interrupted": an attempt's status as the
 * trace and the journal write it (trace.c). */
const char *dr__attempt_status_name(unsigned status);

/* Appends an attempt (error copied); returns its index or -1 (ENOMEM). */
long dr__run_add_attempt(dr_run *run, dr_task t, unsigned worker,
                         unsigned attempt, unsigned status, double ready,
                         double start, double end, const char *error);
/* Records a final failure (strings copied): the reason is made safe here
 * (graph/escape.c); the stderr tail is safe already (dr__log_tail made it)
 * and is copied as it is, so that it is escaped once. */
int dr__run_add_failure(dr_run *run, dr_task t, unsigned attempts,
                        const char *reason, const char *stderr_tail);

/* A run with no attempts yet: per-task arrays allocated (state pending,
 * last -1, keep set for sinks and opts->keep_results), workers and cores as
 * given, cpu_tasks counted.  Used by dr_run_graph and by tests that build
 * attempt lists by hand.  Returns NULL on DR_ENOMEM. */
dr_run *dr__run_create(dr_graph *g, const dr_run_options *opts,
                       unsigned workers, unsigned cores, int simulated);

/* Per-task durations (seconds) for priorities and the simulator: the task's
 * cost when set, else a sleep's ms / 1000 or a spin's units / 1000, else the
 * default cost 1; times opts->cost_scale for a simulation.  With
 * opts->costs_trace, tasks found in that trace (last ok attempt) take their
 * measured duration instead.  *without_cost (may be NULL) receives the
 * number of tasks left at the default cost; *costs_busy (may be NULL) 1
 * when the --costs trace was recorded on a busy machine.  A scaled cost that is
 * not a finite number of seconds (in a simulation, or for a task run as sleep
 * or spin for its cost) is DR_ERANGE naming the task.  Returns 0 or a DR_E*
 * code with err filled. */
int dr__run_durations(const dr_graph *g, const dr_run_options *opts,
                      double *duration, size_t *without_cost, int *costs_busy,
                      dr_error *err);

/* Reads a previous run's trace and sets duration[t] for every task found
 * (*busy, may be NULL, as dr__trace_busy)
 * (its last ok attempt, dur in µs); others are left alone.  found (may be
 * NULL) gets found[t] = 1 for them.  Returns the number of tasks matched (0
 * is an error: DR_EFORMAT), or a DR_E* code. */
long dr__costs_from_trace(const dr_graph *g, const char *path, double *duration,
                          uint8_t *found, int *busy, dr_error *err);
/* 1 when a trace's otherData says it was recorded on a busy machine
 * (busy_machine, written by dr_run_trace_json), else 0. */
int dr__trace_busy(const json_t *trace);
/* The same on a trace already read; `source` names it in errors. */
long dr__costs_from_trace_json(const dr_graph *g, const json_t *trace,
                               const char *source, double *duration,
                               uint8_t *found, dr_error *err);

/* 0 when `dir` is a folder commands can run in (it exists, is a folder,
 * and may be entered), else an errno value (executor.c).  The CLI asks
 * before it takes its output folder. */
int dr__workdir_error(const char *dir);

/* After a run stopped by a signal: a task whose last attempt was
 * interrupted becomes DR_STATE_INTERRUPTED (its failure record goes), and a
 * task skipped only because of such tasks goes back to "not run"
 * (DR_STATE_PENDING).  Skips caused by a real failure stay.  Called by
 * dr_run_graph; tests call it on hand-built runs. */
void dr__run_settle_interrupted(dr_run *run);

/* One step of the chain of attempts that set the makespan. */
/* DR__VIA_RETRY: the step repeats the failed attempt before it, which it
 * could not start before (a retry is not a dependency of the graph). */
enum { DR__VIA_START = 0, DR__VIA_DEPENDENCY, DR__VIA_WORKER, DR__VIA_RETRY };
typedef struct dr__chain_step {
    size_t attempt; /* index into run->attempts */
    unsigned via;   /* DR__VIA_*: why it started when it did */
} dr__chain_step;

/* The makespan chain (docs/scheduling.md): from the attempt that ended
 * last, back through "waited for a worker" and "waited for a dependency"
 * steps to one that nothing held.  Sets *steps to a new array (free it) in
 * time order, first step first, and *n; an empty run gives NULL and 0.
 * Returns 0 or DR_ENOMEM.  makespan_chain.c. */
int dr__run_makespan_chain(const dr_run *run, dr__chain_step **steps,
                           size_t *n);
/* "start", "dependency" or "worker" (summary.json `via`). */
const char *dr__via_name(unsigned via);
/* The chain as summary.json's (and trace otherData's) `makespan_chain`:
 * `[{"task", "worker", "start", "end", "via"}, ...]`, first step first.  A
 * new reference, or NULL on DR_ENOMEM.  dr__run_chain_json computes the
 * chain first. */
json_t *dr__chain_json(const dr_run *run, const dr__chain_step *steps,
                       size_t n);
json_t *dr__run_chain_json(const dr_run *run);

/* The graph's parameters as used by the run, `{"name": value, ...}` in the
 * graph's order, and the names of those set on the command line (`--set`,
 * dr_run_options.params_set) as a list: summary.json and trace otherData
 * `params`, `params_set`.  New references, or NULL on DR_ENOMEM (run.c). */
json_t *dr__run_params_json(const dr_run *run);
json_t *dr__run_params_set_json(const dr_run *run);

/* The trace as JSON text, built one event at a time so a million-task
 * trace never exists as a jansson tree; the same content as
 * dr_run_trace_json.  Returns new text (free it) or NULL on DR_ENOMEM. */
char *dr__run_trace_text(const dr_run *run, size_t *len);
/* Writes the trace atomically.  Returns 0 or DR_E* with err. */
int dr__run_write_trace(const dr_run *run, const char *path, dr_error *err);

/* The drivers.  Each runs the whole graph, filling `run`; returns 0 or a
 * DR_E* code for an error that stopped the driver itself (not task
 * failures).  The core is created by the caller (run.c) and started by the
 * driver. */
int dr__simulate(dr_run *run, dr__core *core, const double *duration,
                 dr_error *err);
int dr__execute(dr_run *run, dr__core *core, dr_error *err);

#endif
