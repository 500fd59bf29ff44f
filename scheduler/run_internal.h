/*
 * The dr_run result object, filled by either driver (executor.c for real
 * runs, simulator.c for simulated ones) and read by metrics, trace and
 * summary code.  Times are seconds since the run started.  The records
 * themselves (struct dr_run, attempts, failures) are in records.h, the
 * drivers' entry points in drivers.h; this header is run.c's and its
 * readers'.
 */
#ifndef DAGRUN_RUN_INTERNAL_H
#define DAGRUN_RUN_INTERNAL_H

#include "core.h"
#include "drivers.h"
#include "records.h"

/* "ok", "failed", "timeout" or "interrupted": an attempt's status as the
 * trace and the journal write it (trace.c). */
const char *dr__attempt_status_name(unsigned status);

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

#endif
